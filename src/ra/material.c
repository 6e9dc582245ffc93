/* material.c - sniffing uploaded materials by their structure, SM3, and reviewer previews. */
#include "ra/material.h"

#include <cairo.h>
#include <poppler.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "crypto/crypto.h"

static const char MIME_PDF[] = "application/pdf";
static const char MIME_JPEG[] = "image/jpeg";
static const char MIME_PNG[] = "image/png";

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int damaged(sc_err *e, const char *what, const char *why)
{
    return sc_fail(e, SC_EINVAL, "material.damaged", "the %s file is damaged or incomplete (%s)",
                   what, why);
}

static int dims_ok(uint32_t w, uint32_t h)
{
    return w > 0 && h > 0 && w <= MATERIAL_MAX_DIM && h <= MATERIAL_MAX_DIM &&
           (uint64_t)w * h <= MATERIAL_MAX_PIXELS;
}

static int too_large_image(sc_err *e, uint32_t w, uint32_t h)
{
    return sc_fail(e, SC_ETOOBIG, "material.image_too_large",
                   "the image is %ux%u pixels; at most %d on a side and %u megapixels are accepted",
                   w, h, MATERIAL_MAX_DIM, MATERIAL_MAX_PIXELS / (1024 * 1024));
}

/* ---- PNG (ISO/IEC 15948 §5) ---- */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    static int ready;
    if (!ready) { /* idempotent: a race only computes the same table twice */
        crc_init();
        ready = 1;
    }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static int sniff_png(const uint8_t *d, size_t n, sc_err *e)
{
    size_t pos = 8;
    int idat = 0, first = 1;
    for (;;) {
        if (n - pos < 12) return damaged(e, "PNG", "ends before IEND");
        uint32_t len = be32(d + pos);
        const uint8_t *type = d + pos + 4;
        if (len > 0x7fffffffu || len > n - pos - 12)
            return damaged(e, "PNG", "a chunk runs past the end");
        for (int i = 0; i < 4; i++)
            if (!((type[i] >= 'a' && type[i] <= 'z') || (type[i] >= 'A' && type[i] <= 'Z')))
                return damaged(e, "PNG", "bad chunk type");
        if (crc32_png(type, 4 + (size_t)len) != be32(type + 4 + len))
            return damaged(e, "PNG", "chunk checksum mismatch");
        if (first) {
            if (memcmp(type, "IHDR", 4) != 0 || len != 13)
                return damaged(e, "PNG", "IHDR is not the first chunk");
            uint32_t w = be32(type + 4), h = be32(type + 8);
            uint8_t depth = type[12], ct = type[13];
            if (w == 0 || h == 0 || w > 0x7fffffffu || h > 0x7fffffffu)
                return damaged(e, "PNG", "zero or huge image size");
            if (!dims_ok(w, h)) return too_large_image(e, w, h);
            int ok = (ct == 0 &&
                      (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
                     (ct == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
                     ((ct == 2 || ct == 4 || ct == 6) && (depth == 8 || depth == 16));
            if (!ok || type[14] != 0 || type[15] != 0 || type[16] > 1)
                return damaged(e, "PNG", "invalid IHDR fields");
            first = 0;
        } else if (memcmp(type, "IHDR", 4) == 0) {
            return damaged(e, "PNG", "second IHDR");
        } else if (memcmp(type, "IDAT", 4) == 0) {
            idat++;
        } else if (memcmp(type, "IEND", 4) == 0) {
            if (len != 0) return damaged(e, "PNG", "IEND with data");
            if (!idat) return damaged(e, "PNG", "no image data");
            if (pos + 12 != n) return damaged(e, "PNG", "bytes after IEND");
            return 0;
        }
        pos += 12 + (size_t)len;
    }
}

/* ---- JPEG (ITU-T T.81 Annex B) ---- */

static int is_sof(uint8_t m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static int sniff_jpeg(const uint8_t *d, size_t n, sc_err *e)
{
    size_t pos = 2;
    int sof = 0, sos = 0;
    for (;;) {
        if (pos >= n || d[pos] != 0xff) return damaged(e, "JPEG", "marker expected");
        while (pos < n && d[pos] == 0xff) /* fill bytes, B.1.1.2 */
            pos++;
        if (pos >= n) return damaged(e, "JPEG", "ends inside a marker");
        uint8_t m = d[pos++];
        if (m == 0xd9) { /* EOI */
            if (!sos) return damaged(e, "JPEG", "no scan before EOI");
            if (pos != n) return damaged(e, "JPEG", "bytes after EOI");
            return 0;
        }
        if (m == 0x00 || m == 0xd8 || (m >= 0xd0 && m <= 0xd7))
            return damaged(e, "JPEG", "marker out of place");
        if (m == 0x01) continue; /* TEM: no length */
        if (n - pos < 2) return damaged(e, "JPEG", "ends inside a segment");
        size_t len = (size_t)d[pos] << 8 | d[pos + 1];
        if (len < 2 || len > n - pos) return damaged(e, "JPEG", "a segment runs past the end");
        if (is_sof(m)) {
            if (len < 8) return damaged(e, "JPEG", "short frame header");
            uint32_t h = (uint32_t)d[pos + 3] << 8 | d[pos + 4];
            uint32_t w = (uint32_t)d[pos + 5] << 8 | d[pos + 6];
            if (w == 0 || h == 0) return damaged(e, "JPEG", "zero image size");
            if (!dims_ok(w, h)) return too_large_image(e, w, h);
            sof = 1;
        }
        pos += len;
        if (m == 0xda) { /* SOS: entropy-coded data follows up to the next real marker */
            if (!sof) return damaged(e, "JPEG", "scan before frame header");
            sos = 1;
            for (;;) {
                const uint8_t *f = memchr(d + pos, 0xff, n - pos);
                if (f == NULL || (size_t)(f - d) + 1 >= n)
                    return damaged(e, "JPEG", "ends inside the image data");
                pos = (size_t)(f - d);
                uint8_t x = d[pos + 1];
                if (x == 0x00 || (x >= 0xd0 && x <= 0xd7)) {
                    pos += 2; /* stuffed 0xFF or restart marker */
                    continue;
                }
                if (x == 0xff) {
                    pos += 1;
                    continue;
                }
                break; /* a marker: back to the segment loop */
            }
        }
    }
}

/* ---- PDF (ISO 32000-1 §7.5) ---- */

static int pdf_ws(uint8_t c)
{
    return c == ' ' || c == '\r' || c == '\n' || c == '\t' || c == '\f' || c == 0;
}

static int sniff_pdf(const uint8_t *d, size_t n, sc_err *e)
{
    /* %PDF-1.0 … %PDF-1.7, %PDF-2.0 */
    if (!((d[5] == '1' && d[6] == '.' && d[7] >= '0' && d[7] <= '7') ||
          (d[5] == '2' && d[6] == '.' && d[7] == '0')))
        return damaged(e, "PDF", "unknown version");
    size_t end = n;
    while (end > 0 && pdf_ws(d[end - 1]))
        end--;
    if (end < 5 + 8 || memcmp(d + end - 5, "%%EOF", 5) != 0)
        return damaged(e, "PDF", "no %%EOF at the end");
    /* "startxref" EOL offset EOL "%%EOF" (§7.5.5) */
    size_t p = end - 5;
    while (p > 0 && pdf_ws(d[p - 1]))
        p--;
    size_t digits_end = p;
    while (p > 0 && d[p - 1] >= '0' && d[p - 1] <= '9')
        p--;
    if (p == digits_end || digits_end - p > 12) return damaged(e, "PDF", "no startxref offset");
    uint64_t off = 0;
    for (size_t i = p; i < digits_end; i++)
        off = off * 10 + (uint64_t)(d[i] - '0');
    size_t q = p;
    while (q > 0 && pdf_ws(d[q - 1]))
        q--;
    if (q == p || q < 9 || memcmp(d + q - 9, "startxref", 9) != 0)
        return damaged(e, "PDF", "no startxref");
    if (off < 9 || off >= q - 9) return damaged(e, "PDF", "startxref points outside the file");
    /* a cross-reference table, or an xref stream object "N G obj" */
    const uint8_t *x = d + off;
    if (!(q - 9 - off >= 4 && memcmp(x, "xref", 4) == 0) && !(x[0] >= '0' && x[0] <= '9'))
        return damaged(e, "PDF", "startxref does not point at a cross-reference section");
    return 0;
}

int material_sniff(const uint8_t *d, size_t n, const char **mime, sc_err *e)
{
    *mime = NULL;
    if (n > MATERIAL_MAX_BYTES)
        return sc_fail(e, SC_ETOOBIG, "material.too_large", "the file is larger than %u MB",
                       MATERIAL_MAX_BYTES / (1024 * 1024));
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    int rc;
    if (n >= 8 && memcmp(d, png_sig, 8) == 0) {
        if ((rc = sniff_png(d, n, e)) == 0) *mime = MIME_PNG;
        return rc;
    }
    if (n >= 4 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) {
        if ((rc = sniff_jpeg(d, n, e)) == 0) *mime = MIME_JPEG;
        return rc;
    }
    if (n >= 8 && memcmp(d, "%PDF-", 5) == 0) {
        if ((rc = sniff_pdf(d, n, e)) == 0) *mime = MIME_PDF;
        return rc;
    }
    return sc_fail(e, SC_EINVAL, "material.unsupported_type",
                   "only PDF, JPEG and PNG files are accepted");
}

void material_sm3(const uint8_t *d, size_t n, uint8_t out[32])
{
    crypto_sm3(d, n, out);
}

void material_sm3_hex(const uint8_t *d, size_t n, char out[65])
{
    uint8_t h[32];
    crypto_sm3(d, n, h);
    sc_hex_encode(h, 32, out, 0);
}

/* ---- decoding ---- */

/* An RGB24 cairo surface (white behind any alpha) of the image, or NULL with e set. */
static cairo_surface_t *decode_png(const uint8_t *d, size_t n, sc_err *e)
{
    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, d, n)) {
        damaged(e, "PNG", "cannot be decoded");
        return NULL;
    }
    if (!dims_ok(img.width, img.height)) {
        png_image_free(&img);
        too_large_image(e, img.width, img.height);
        return NULL;
    }
    img.format = PNG_FORMAT_BGR;
    size_t stride = (size_t)img.width * 3;
    uint8_t *rgb = malloc(stride * img.height);
    png_color white = {255, 255, 255};
    if (rgb == NULL) {
        png_image_free(&img);
        sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        return NULL;
    }
    if (!png_image_finish_read(&img, &white, rgb, (png_int_32)stride, NULL)) {
        free(rgb);
        png_image_free(&img);
        damaged(e, "PNG", "cannot be decoded");
        return NULL;
    }
    cairo_surface_t *s =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)img.width, (int)img.height);
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(s);
        uint8_t *px = cairo_image_surface_get_data(s);
        int cs = cairo_image_surface_get_stride(s);
        for (uint32_t y = 0; y < img.height; y++) {
            uint32_t *row = (uint32_t *)(void *)(px + (size_t)y * (size_t)cs);
            const uint8_t *src = rgb + (size_t)y * stride;
            for (uint32_t x = 0; x < img.width; x++)
                row[x] =
                    (uint32_t)src[3 * x + 2] << 16 | (uint32_t)src[3 * x + 1] << 8 | src[3 * x];
        }
        cairo_surface_mark_dirty(s);
    }
    free(rgb);
    return s;
}

typedef struct jerr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
} jerr;

static void jpeg_fail(j_common_ptr c)
{
    longjmp(((jerr *)(void *)c->err)->jb, 1);
}

static void jpeg_quiet(j_common_ptr c, int level)
{
    (void)c;
    (void)level;
}

static cairo_surface_t *decode_jpeg(const uint8_t *d, size_t n, int max_px, sc_err *e)
{
    struct jpeg_decompress_struct ci;
    jerr je;
    cairo_surface_t *volatile s = NULL;
    uint8_t *volatile row = NULL;
    memset(&ci, 0, sizeof(ci));
    ci.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = jpeg_fail;
    je.pub.emit_message = jpeg_quiet;
    if (setjmp(je.jb)) {
        jpeg_destroy_decompress(&ci);
        free(row);
        if (s) cairo_surface_destroy(s);
        damaged(e, "JPEG", "cannot be decoded");
        return NULL;
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, d, (unsigned long)n);
    jpeg_read_header(&ci, TRUE);
    if (!dims_ok(ci.image_width, ci.image_height)) {
        uint32_t w = ci.image_width, h = ci.image_height;
        jpeg_destroy_decompress(&ci);
        too_large_image(e, w, h);
        return NULL;
    }
    /* decode at 1/2, 1/4 or 1/8 when that still covers the preview: much less work */
    unsigned big = ci.image_width > ci.image_height ? ci.image_width : ci.image_height;
    ci.scale_num = 1;
    ci.scale_denom = 1;
    while (ci.scale_denom < 8 && big / (ci.scale_denom * 2) >= (unsigned)max_px)
        ci.scale_denom *= 2;
    int cmyk = ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK;
    ci.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&ci);
    int comps = ci.output_components;
    if ((cmyk && comps != 4) || (!cmyk && comps != 3)) longjmp(je.jb, 1);
    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)ci.output_width, (int)ci.output_height);
    row = malloc((size_t)ci.output_width * (size_t)comps);
    if (row == NULL || cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) longjmp(je.jb, 1);
    cairo_surface_flush(s);
    uint8_t *px = cairo_image_surface_get_data(s);
    int cs = cairo_image_surface_get_stride(s);
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW rp = row;
        unsigned y = ci.output_scanline;
        if (jpeg_read_scanlines(&ci, &rp, 1) != 1) longjmp(je.jb, 1);
        uint32_t *out = (uint32_t *)(void *)(px + (size_t)y * (size_t)cs);
        for (unsigned x = 0; x < ci.output_width; x++) {
            const uint8_t *p = row + (size_t)x * (size_t)comps;
            uint32_t r, g, b;
            if (cmyk) { /* Adobe CMYK JPEGs store inverted values */
                r = (uint32_t)p[0] * p[3] / 255;
                g = (uint32_t)p[1] * p[3] / 255;
                b = (uint32_t)p[2] * p[3] / 255;
            } else {
                r = p[0];
                g = p[1];
                b = p[2];
            }
            out[x] = r << 16 | g << 8 | b;
        }
    }
    cairo_surface_mark_dirty(s);
    jpeg_finish_decompress(&ci);
    jpeg_destroy_decompress(&ci);
    free(row);
    return s;
}

static PopplerDocument *open_pdf(const uint8_t *d, size_t n, sc_err *e)
{
    GBytes *b = g_bytes_new(d, n);
    GError *ge = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(b, NULL, &ge);
    g_bytes_unref(b);
    if (doc == NULL) {
        int enc = ge != NULL && ge->domain == POPPLER_ERROR && ge->code == POPPLER_ERROR_ENCRYPTED;
        if (ge) g_error_free(ge);
        if (enc)
            sc_fail(e, SC_EINVAL, "material.pdf_encrypted",
                    "the PDF is password-protected; upload it without a password");
        else
            damaged(e, "PDF", "cannot be parsed");
        return NULL;
    }
    if (poppler_document_get_n_pages(doc) < 1) {
        g_object_unref(doc);
        damaged(e, "PDF", "no pages");
        return NULL;
    }
    return doc;
}

static cairo_status_t png_sink(void *closure, const unsigned char *p, unsigned int n)
{
    return sc_buf_append(closure, p, n) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

int material_preview(const uint8_t *d, size_t n, int max_px, sc_buf *png, sc_err *e)
{
    const char *mime;
    int rc = material_sniff(d, n, &mime, e);
    if (rc != 0) return rc;
    if (max_px < 16 || max_px > 4096)
        return sc_fail(e, SC_EINVAL, "material.bad_preview_size", "preview size out of range");
    cairo_surface_t *src = NULL, *dst = NULL;
    double sw, sh;
    PopplerDocument *doc = NULL;
    PopplerPage *page = NULL;
    if (mime == MIME_PDF) {
        if ((doc = open_pdf(d, n, e)) == NULL) return SC_EINVAL;
        page = poppler_document_get_page(doc, 0);
        if (page == NULL) {
            g_object_unref(doc);
            return damaged(e, "PDF", "page 1 cannot be read");
        }
        poppler_page_get_size(page, &sw, &sh);
        if (!(sw >= 1 && sh >= 1 && sw <= 14400 && sh <= 14400)) {
            g_object_unref(page);
            g_object_unref(doc);
            return damaged(e, "PDF", "page size out of range");
        }
    } else {
        src = mime == MIME_PNG ? decode_png(d, n, e) : decode_jpeg(d, n, max_px, e);
        if (src == NULL) return e && e->status ? e->status : SC_EINVAL;
        sw = cairo_image_surface_get_width(src);
        sh = cairo_image_surface_get_height(src);
    }
    double big = sw > sh ? sw : sh;
    double k = big > max_px ? max_px / big : 1.0;
    int dw = (int)(sw * k + 0.5), dh = (int)(sh * k + 0.5);
    if (dw < 1) dw = 1;
    if (dh < 1) dh = 1;
    dst = cairo_image_surface_create(CAIRO_FORMAT_RGB24, dw, dh);
    cairo_t *cr = cairo_create(dst);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, k, k);
    if (page != NULL) {
        poppler_page_render(page, cr);
    } else {
        cairo_set_source_surface(cr, src, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_paint(cr);
    }
    cairo_status_t cst = cairo_status(cr);
    cairo_destroy(cr);
    if (cst == CAIRO_STATUS_SUCCESS) cst = cairo_surface_write_to_png_stream(dst, png_sink, png);
    cairo_surface_destroy(dst);
    if (src) cairo_surface_destroy(src);
    if (page) g_object_unref(page);
    if (doc) g_object_unref(doc);
    if (cst != CAIRO_STATUS_SUCCESS)
        return sc_fail(e, SC_EINTERNAL, "material.preview", "preview rendering failed: %s",
                       cairo_status_to_string(cst));
    return 0;
}

int material_pages(const uint8_t *d, size_t n, int *pages, sc_err *e)
{
    const char *mime;
    *pages = 0;
    int rc = material_sniff(d, n, &mime, e);
    if (rc != 0) return rc;
    if (mime != MIME_PDF) {
        *pages = 1;
        return 0;
    }
    PopplerDocument *doc = open_pdf(d, n, e);
    if (doc == NULL) return SC_EINVAL;
    *pages = poppler_document_get_n_pages(doc);
    g_object_unref(doc);
    return 0;
}

static int material_label(int64_t id, char *out, size_t outsz, sc_err *e)
{
    if (id <= 0) return sc_fail(e, SC_EINVAL, "material.bad_id", "bad material id");
    snprintf(out, outsz, "material:%lld", (long long)id);
    return 0;
}

int material_seal(vault *v, int64_t id, const uint8_t *d, size_t n, sc_buf *sealed,
                  const char **mime, char sm3_hex[65], sc_err *e)
{
    char label[40];
    int rc = material_sniff(d, n, mime, e);
    if (rc == 0) rc = material_label(id, label, sizeof(label), e);
    if (rc != 0) return rc;
    material_sm3_hex(d, n, sm3_hex);
    return vault_seal(v, label, d, n, sealed, e);
}

int material_open(vault *v, int64_t id, const uint8_t *sealed, size_t n, const char *sm3_hex,
                  sc_buf *out, sc_err *e)
{
    char label[40], got[65];
    int rc = material_label(id, label, sizeof(label), e);
    if (rc != 0) return rc;
    sc_buf pt = {0};
    if ((rc = vault_unseal(v, label, sealed, n, &pt, e)) != 0) return rc;
    material_sm3_hex(pt.p, pt.len, got);
    if (sm3_hex == NULL || strlen(sm3_hex) != 64 || sc_memeq_ct(got, sm3_hex, 64) != 0) {
        sc_buf_free(&pt);
        return sc_fail(e, SC_EVERIFY, "material.hash_mismatch",
                       "the material does not match the SM3 recorded at upload");
    }
    rc = sc_buf_append(out, pt.p, pt.len);
    sc_buf_free(&pt);
    return rc;
}
