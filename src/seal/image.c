/* image.c - the hardened PNG/JPEG loader and the PNG writer for seal and signature images. */
#include "seal/image.h"

#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

/* Ancillary chunks (iCCP, zTXt, …) are decompressed into at most this much memory, and at
 * most this many ancillary chunks are kept: both bound what a hostile PNG can make us hold. */
#define PNG_CHUNK_MALLOC_MAX ((png_alloc_size_t)1 << 20)
#define PNG_CHUNK_CACHE_MAX  64
/* libjpeg working memory (progressive coefficient buffers) and scans: a progressive JPEG
 * with thousands of tiny scans is a CPU bomb (cf. djpeg -maxscans). */
#define JPEG_MAX_MEMORY ((long)256 << 20)
#define JPEG_MAX_SCANS  500
#define JPEG_MAX_WARN   50

seal_img_type seal_img_sniff(const uint8_t *p, size_t n)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    if (p == NULL) return SEAL_IMG_UNKNOWN;
    if (n >= 8 && memcmp(p, png_sig, 8) == 0) return SEAL_IMG_PNG;
    if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) return SEAL_IMG_JPEG;
    return SEAL_IMG_UNKNOWN;
}

void seal_img_free(seal_img *im)
{
    if (im == NULL) return;
    free(im->rgba);
    memset(im, 0, sizeof(*im));
}

int seal_img_new(seal_img *im, uint32_t w, uint32_t h, sc_err *e)
{
    memset(im, 0, sizeof(*im));
    if (w == 0 || h == 0 || (uint64_t)w * h > SEAL_IMG_MAX_PIXELS)
        return sc_fail(e, SC_ETOOBIG, "image.too_large", "picture of %ux%u pixels refused", w, h);
    im->rgba = calloc((size_t)w * h, 4);
    if (im->rgba == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    im->w = w;
    im->h = h;
    return 0;
}

static void limits_fill(const seal_img_limits *in, seal_img_limits *l)
{
    *l = (seal_img_limits){SEAL_IMG_MAX_BYTES, SEAL_IMG_MAX_DIM, SEAL_IMG_MAX_PIXELS};
    if (in == NULL) return;
    if (in->max_bytes) l->max_bytes = in->max_bytes;
    if (in->max_dim) l->max_dim = in->max_dim;
    if (in->max_pixels) l->max_pixels = in->max_pixels;
}

static int check_dims(const seal_img_limits *l, uint64_t w, uint64_t h, const char *what, sc_err *e)
{
    if (w == 0 || h == 0)
        return sc_fail(e, SC_EINVAL, "image.bad_header", "%s declares an empty picture", what);
    if (w > l->max_dim || h > l->max_dim || w * h > l->max_pixels)
        return sc_fail(e, SC_ETOOBIG, "image.too_large",
                       "%s declares %llux%llu pixels; the limit is %ux%u and %llu pixels "
                       "(图片尺寸过大)",
                       what, (unsigned long long)w, (unsigned long long)h, l->max_dim, l->max_dim,
                       (unsigned long long)l->max_pixels);
    return 0;
}

/* ------------------------------------------------------------------------------------ PNG */

/* Everything the decoder allocates lives here, in the caller's frame, so that after a
 * longjmp out of libpng the cleanup sees the current values (C11 7.13.2.1: only locals of
 * the function that called setjmp become indeterminate). */
typedef struct png_ctx {
    const uint8_t *p;
    size_t n, off;
    png_structp png;
    png_infop info;
    png_bytep *rows;
    seal_img im;
    char msg[200];
} png_ctx;

static void png_err_fn(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg)
{
    /* warnings (bad ancillary CRC, unknown sRGB profile, …) do not stop the decode */
}

static void png_read_mem(png_structp png, png_bytep out, png_size_t len)
{
    png_ctx *c = png_get_io_ptr(png);
    if (len > c->n - c->off) png_error(png, "file is truncated");
    memcpy(out, c->p + c->off, len);
    c->off += len;
}

static int png_decode(png_ctx *c, const seal_img_limits *l, sc_err *e)
{
    /* IHDR is the first chunk (PNG §5.6): check the declared size before libpng allocates. */
    if (c->n < 33 || memcmp(c->p + 12, "IHDR", 4) != 0)
        return sc_fail(e, SC_EINVAL, "image.bad_png", "not a PNG file: no IHDR (不是有效的PNG)");
    uint64_t w = ((uint64_t)c->p[16] << 24) | ((uint64_t)c->p[17] << 16) |
                 ((uint64_t)c->p[18] << 8) | c->p[19];
    uint64_t h = ((uint64_t)c->p[20] << 24) | ((uint64_t)c->p[21] << 16) |
                 ((uint64_t)c->p[22] << 8) | c->p[23];
    int rc = check_dims(l, w, h, "the PNG", e);
    if (rc != 0) return rc;

    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_err_fn, png_warn_fn);
    if (c->png == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    c->info = png_create_info_struct(c->png);
    if (c->info == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    if (setjmp(png_jmpbuf(c->png)))
        return sc_fail(e, SC_EINVAL, "image.bad_png", "corrupt PNG: %s (PNG文件损坏)", c->msg);
    /* the same limits again inside libpng, and bounds on ancillary data */
    png_set_user_limits(c->png, l->max_dim, l->max_dim);
    png_set_chunk_cache_max(c->png, PNG_CHUNK_CACHE_MAX);
    png_set_chunk_malloc_max(c->png, PNG_CHUNK_MALLOC_MAX);
    /* libpng's reading defaults stay: image data that ends early is an error ("Not enough
     * image data"); an invalid or over-limit ancillary chunk is dropped with a warning, as
     * real producers' files sometimes carry one */
    png_set_read_fn(c->png, c, png_read_mem);
    png_read_info(c->png, c->info);

    png_uint_32 pw = 0, ph = 0;
    int depth = 0, ctype = 0, interlace = 0;
    png_get_IHDR(c->png, c->info, &pw, &ph, &depth, &ctype, &interlace, NULL, NULL);
    if (check_dims(l, pw, ph, "the PNG", e) != 0) return SC_ETOOBIG;

    /* everything to 8-bit RGBA */
    png_set_expand(c->png); /* palette -> RGB, gray < 8 bit -> 8 bit, tRNS -> alpha */
    png_set_strip_16(c->png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(c->png);
    png_set_add_alpha(c->png, 0xff, PNG_FILLER_AFTER); /* only acts when there is none */
    png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);
    if (png_get_rowbytes(c->png, c->info) != (size_t)pw * 4 ||
        png_get_bit_depth(c->png, c->info) != 8)
        return sc_fail(e, SC_EINVAL, "image.bad_png", "unsupported PNG pixel format");

    c->im.rgba = malloc((size_t)pw * ph * 4);
    c->rows = malloc(sizeof(png_bytep) * ph);
    if (c->im.rgba == NULL || c->rows == NULL)
        return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    for (png_uint_32 y = 0; y < ph; y++)
        c->rows[y] = c->im.rgba + (size_t)y * pw * 4;
    png_read_image(c->png, c->rows);
    png_read_end(c->png, c->info); /* reads the rest: CRCs, text after IDAT */
    c->im.w = pw;
    c->im.h = ph;

    png_uint_32 rx = 0, ry = 0;
    int unit = 0;
    if (png_get_pHYs(c->png, c->info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx > 0)
        c->im.dpi = rx * 0.0254;
    png_textp text = NULL;
    int ntext = png_get_text(c->png, c->info, &text, NULL);
    for (int i = 0; i < ntext; i++)
        if (text[i].key != NULL && strcmp(text[i].key, SEAL_IMG_RENDERING_KEY) == 0)
            c->im.rendering = 1;
    return 0;
}

static int load_png(const uint8_t *p, size_t n, const seal_img_limits *l, seal_img *out, sc_err *e)
{
    png_ctx c = {.p = p, .n = n};
    int rc = png_decode(&c, l, e);
    if (c.png != NULL) png_destroy_read_struct(&c.png, c.info ? &c.info : NULL, NULL);
    free(c.rows);
    if (rc != 0)
        seal_img_free(&c.im);
    else
        *out = c.im;
    return rc;
}

/* ----------------------------------------------------------------------------------- JPEG */

typedef struct jpeg_ctx {
    struct jpeg_error_mgr err; /* first: libjpeg hands us a pointer to it */
    jmp_buf jb;
    struct jpeg_decompress_struct d;
    struct jpeg_progress_mgr prog;
    int created;
    int warnings;
    int too_many_scans;
    seal_img im;
    char msg[JMSG_LENGTH_MAX + 32];
} jpeg_ctx;

static void jpeg_error_exit_fn(j_common_ptr ci)
{
    jpeg_ctx *c = (jpeg_ctx *)ci->err;
    c->err.format_message(ci, c->msg);
    longjmp(c->jb, 1);
}

static void jpeg_emit_fn(j_common_ptr ci, int level)
{
    jpeg_ctx *c = (jpeg_ctx *)ci->err;
    if (level >= 0) return; /* trace messages */
    /* a truncated file, or entropy data that ends before the picture does, is an error
     * here, not a grey lower half */
    if (ci->err->msg_code == JWRN_JPEG_EOF || ci->err->msg_code == JWRN_HIT_MARKER ||
        ++c->warnings > JPEG_MAX_WARN) {
        c->err.format_message(ci, c->msg);
        longjmp(c->jb, 1);
    }
}

static void jpeg_progress_fn(j_common_ptr ci)
{
    jpeg_ctx *c = (jpeg_ctx *)ci->err;
    if (ci->is_decompressor && ((j_decompress_ptr)ci)->input_scan_number > JPEG_MAX_SCANS) {
        c->too_many_scans = 1;
        snprintf(c->msg, sizeof(c->msg), "more than %d scans", JPEG_MAX_SCANS);
        longjmp(c->jb, 1);
    }
}

static uint16_t rd16(const uint8_t *p, int le)
{
    return le ? (uint16_t)(p[0] | p[1] << 8) : (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p, int le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
              : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* EXIF orientation (TIFF tag 0x0112 in IFD0) from an APP1 "Exif\0\0" payload; 1 when absent
 * or malformed. Every offset is bounds-checked: the payload is outside input. */
static int exif_orientation(const uint8_t *p, size_t n)
{
    if (n < 14 || memcmp(p, "Exif\0\0", 6) != 0) return 1;
    const uint8_t *t = p + 6;
    size_t tn = n - 6;
    int le;
    if (t[0] == 'I' && t[1] == 'I')
        le = 1;
    else if (t[0] == 'M' && t[1] == 'M')
        le = 0;
    else
        return 1;
    if (rd16(t + 2, le) != 42) return 1;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd > tn || tn - ifd < 2) return 1;
    unsigned cnt = rd16(t + ifd, le);
    for (unsigned i = 0; i < cnt; i++) {
        size_t off = (size_t)ifd + 2 + (size_t)i * 12;
        if (off + 12 > tn) return 1;
        if (rd16(t + off, le) == 0x0112 && rd16(t + off + 2, le) == 3) {
            unsigned v = rd16(t + off + 8, le);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
}

/* Apply EXIF orientation 2..8 so the picture is upright (EXIF 2.3 §4.6.4 table). */
static int orient(seal_img *im, int o, sc_err *e)
{
    if (o <= 1) return 0;
    uint32_t w = im->w, h = im->h;
    int swap = o >= 5;
    uint32_t nw = swap ? h : w, nh = swap ? w : h;
    uint8_t *np = malloc((size_t)w * h * 4);
    if (np == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    for (uint32_t y = 0; y < nh; y++) {
        for (uint32_t x = 0; x < nw; x++) {
            uint32_t sx, sy;
            switch (o) {
            case 2:
                sx = w - 1 - x, sy = y;
                break;
            case 3:
                sx = w - 1 - x, sy = h - 1 - y;
                break;
            case 4:
                sx = x, sy = h - 1 - y;
                break;
            case 5:
                sx = y, sy = x;
                break;
            case 6:
                sx = y, sy = h - 1 - x;
                break;
            case 7:
                sx = w - 1 - y, sy = h - 1 - x;
                break;
            default:
                sx = w - 1 - y, sy = x;
                break; /* 8 */
            }
            memcpy(np + ((size_t)y * nw + x) * 4, im->rgba + ((size_t)sy * w + sx) * 4, 4);
        }
    }
    free(im->rgba);
    im->rgba = np;
    im->w = nw;
    im->h = nh;
    return 0;
}

static int jpeg_decode(jpeg_ctx *c, const uint8_t *p, size_t n, const seal_img_limits *l,
                       int *orientation, sc_err *e)
{
    c->d.err = jpeg_std_error(&c->err);
    c->err.error_exit = jpeg_error_exit_fn;
    c->err.emit_message = jpeg_emit_fn;
    if (setjmp(c->jb)) {
        if (c->too_many_scans)
            return sc_fail(e, SC_ETOOBIG, "image.too_complex", "JPEG refused: %s", c->msg);
        return sc_fail(e, SC_EINVAL, "image.bad_jpeg", "corrupt JPEG: %s (JPEG文件损坏)", c->msg);
    }
    jpeg_create_decompress(&c->d);
    c->created = 1;
    c->d.mem->max_memory_to_use = JPEG_MAX_MEMORY;
    c->prog.progress_monitor = jpeg_progress_fn;
    c->d.progress = &c->prog;
    jpeg_mem_src(&c->d, p, (unsigned long)n);
    jpeg_save_markers(&c->d, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&c->d, TRUE);
    /* the frame header's size, before anything is allocated for pixels */
    if (check_dims(l, c->d.image_width, c->d.image_height, "the JPEG", e) != 0) return SC_ETOOBIG;
    int cmyk = c->d.jpeg_color_space == JCS_CMYK || c->d.jpeg_color_space == JCS_YCCK;
    if (cmyk) {
        c->d.out_color_space = JCS_CMYK;
    } else if (c->d.num_components == 1 || c->d.num_components == 3) {
        c->d.out_color_space = JCS_EXT_RGBA;
    } else {
        return sc_fail(e, SC_EINVAL, "image.bad_jpeg", "JPEG with %d colour components refused",
                       c->d.num_components);
    }
    for (jpeg_saved_marker_ptr m = c->d.marker_list; m != NULL; m = m->next)
        if (m->marker == JPEG_APP0 + 1) *orientation = exif_orientation(m->data, m->data_length);
    if (c->d.saw_JFIF_marker && c->d.X_density > 0) {
        if (c->d.density_unit == 1) c->im.dpi = c->d.X_density;
        if (c->d.density_unit == 2) c->im.dpi = c->d.X_density * 2.54;
    }
    jpeg_start_decompress(&c->d);
    uint32_t w = c->d.output_width, h = c->d.output_height;
    if (check_dims(l, w, h, "the JPEG", e) != 0) return SC_ETOOBIG;
    if (c->d.output_components != 4) /* RGBA, or CMYK converted in place below */
        return sc_fail(e, SC_EINTERNAL, "image.bad_jpeg", "unexpected JPEG output format");
    c->im.rgba = malloc((size_t)w * h * 4);
    if (c->im.rgba == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    c->im.w = w;
    c->im.h = h;
    while (c->d.output_scanline < h) {
        uint8_t *row = c->im.rgba + (size_t)c->d.output_scanline * w * 4;
        JSAMPROW rp = row;
        if (jpeg_read_scanlines(&c->d, &rp, 1) != 1)
            return sc_fail(e, SC_EINVAL, "image.bad_jpeg", "JPEG decoding stopped early");
        if (cmyk) {
            /* Adobe writes CMYK inverted (0 = full ink), which is what nearly every CMYK
             * JPEG in the wild is; convert to RGB in place. */
            for (uint32_t x = 0; x < w; x++) {
                uint8_t *q = row + (size_t)x * 4;
                unsigned k = q[3];
                if (!c->d.saw_Adobe_marker) {
                    q[0] = (uint8_t)(255 - q[0]), q[1] = (uint8_t)(255 - q[1]);
                    q[2] = (uint8_t)(255 - q[2]), k = 255 - k;
                }
                q[0] = (uint8_t)(q[0] * k / 255);
                q[1] = (uint8_t)(q[1] * k / 255);
                q[2] = (uint8_t)(q[2] * k / 255);
                q[3] = 0xff;
            }
        }
    }
    jpeg_finish_decompress(&c->d);
    return 0;
}

static int load_jpeg(const uint8_t *p, size_t n, const seal_img_limits *l, seal_img *out, sc_err *e)
{
    jpeg_ctx *c = calloc(1, sizeof(*c));
    if (c == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    int orientation = 1;
    int rc = jpeg_decode(c, p, n, l, &orientation, e);
    if (c->created) jpeg_destroy_decompress(&c->d);
    if (rc == 0) rc = orient(&c->im, orientation, e);
    if (rc != 0)
        seal_img_free(&c->im);
    else
        *out = c->im;
    free(c);
    return rc;
}

int seal_img_load(const uint8_t *p, size_t n, const seal_img_limits *lim, seal_img *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    seal_img_limits l;
    limits_fill(lim, &l);
    if (n > l.max_bytes)
        return sc_fail(e, SC_ETOOBIG, "image.file_too_big",
                       "image file of %zu bytes exceeds the limit of %zu (图片文件过大)", n,
                       l.max_bytes);
    switch (seal_img_sniff(p, n)) {
    case SEAL_IMG_PNG:
        return load_png(p, n, &l, out, e);
    case SEAL_IMG_JPEG:
        return load_jpeg(p, n, &l, out, e);
    default:
        return sc_fail(e, SC_EINVAL, "image.not_image",
                       "not a PNG or JPEG image (不是PNG或JPEG图片)");
    }
}

int seal_img_load_file(const char *path, const seal_img_limits *lim, seal_img *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    seal_img_limits l;
    limits_fill(lim, &l);
    uint8_t *p = NULL;
    size_t n = 0;
    int rc = sc_file_read(path, l.max_bytes, &p, &n);
    if (rc == SC_ETOOBIG)
        return sc_fail(e, rc, "image.file_too_big", "%s exceeds %zu bytes (图片文件过大)", path,
                       l.max_bytes);
    if (rc != 0) return sc_fail(e, rc, "image.read", "cannot read %s", path);
    rc = seal_img_load(p, n, &l, out, e);
    free(p);
    return rc;
}

/* ------------------------------------------------------------------------------ PNG write */

typedef struct pngw_ctx {
    png_structp png;
    png_infop info;
    png_bytep *rows;
    sc_buf *out;
    char msg[200];
} pngw_ctx;

static void pngw_err_fn(png_structp png, png_const_charp msg)
{
    pngw_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof(c->msg), "%s", msg);
    png_longjmp(png, 1);
}

static void pngw_write(png_structp png, png_bytep p, png_size_t n)
{
    pngw_ctx *c = png_get_io_ptr(png);
    if (sc_buf_append(c->out, p, n) != 0) png_error(png, "out of memory");
}

static void pngw_flush(png_structp png) {}

static int pngw_encode(pngw_ctx *c, const seal_img *im, sc_err *e)
{
    c->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, c, pngw_err_fn, png_warn_fn);
    if (c->png == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    c->info = png_create_info_struct(c->png);
    if (c->info == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    c->rows = malloc(sizeof(png_bytep) * im->h);
    if (c->rows == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    if (setjmp(png_jmpbuf(c->png)))
        return sc_fail(e, SC_EINTERNAL, "image.png_write", "PNG encoding failed: %s", c->msg);
    png_set_write_fn(c->png, c, pngw_write, pngw_flush);
    png_set_IHDR(c->png, c->info, im->w, im->h, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (im->dpi > 0) {
        png_uint_32 ppm = (png_uint_32)(im->dpi / 0.0254 + 0.5);
        png_set_pHYs(c->png, c->info, ppm, ppm, PNG_RESOLUTION_METER);
    }
    png_text t[2];
    memset(t, 0, sizeof(t));
    t[0].compression = PNG_TEXT_COMPRESSION_NONE;
    t[0].key = (png_charp) "Software";
    t[0].text = (png_charp) "sealca";
    int nt = 1;
    if (im->rendering) {
        t[1].compression = PNG_TEXT_COMPRESSION_NONE;
        t[1].key = (png_charp)SEAL_IMG_RENDERING_KEY;
        t[1].text = (png_charp) "1 - a rendering from text, not a registered seal";
        nt = 2;
    }
    png_set_text(c->png, c->info, t, nt);
    png_write_info(c->png, c->info);
    for (uint32_t y = 0; y < im->h; y++)
        c->rows[y] = im->rgba + (size_t)y * im->w * 4;
    png_write_image(c->png, c->rows);
    png_write_end(c->png, c->info);
    return 0;
}

int seal_img_png(const seal_img *im, sc_buf *out, sc_err *e)
{
    if (im->rgba == NULL || im->w == 0 || im->h == 0)
        return sc_fail(e, SC_EINVAL, "image.empty", "no picture to write");
    pngw_ctx c = {.out = out};
    size_t before = out->len;
    int rc = pngw_encode(&c, im, e);
    if (c.png != NULL) png_destroy_write_struct(&c.png, c.info ? &c.info : NULL);
    free(c.rows);
    if (rc != 0) out->len = before;
    return rc;
}
