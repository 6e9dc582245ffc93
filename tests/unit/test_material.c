/* test_material.c - sniffing by structure, SM3 of materials, previews of images and PDFs. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <jpeglib.h>

#include "ra/material.h"

static cairo_status_t to_buf(void *c, const unsigned char *p, unsigned int n)
{
    return sc_buf_append(c, p, n) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

/* A w x h PNG: left half red, right half blue. */
static void make_png(int w, int h, sc_buf *out)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 0, 0);
    cairo_rectangle(cr, 0, 0, w / 2.0, h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 1);
    cairo_rectangle(cr, w / 2.0, 0, w / 2.0, h);
    cairo_fill(cr);
    cairo_destroy(cr);
    assert_int_equal(cairo_surface_write_to_png_stream(s, to_buf, out), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
}

/* A w x h JPEG, same picture. */
static void make_jpeg_p(int w, int h, int progressive, sc_buf *out)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr je;
    c.err = jpeg_std_error(&je);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    unsigned char *row = malloc((size_t)w * 3);
    for (int x = 0; x < w; x++) {
        int red = x < w / 2;
        row[3 * x] = red ? 255 : 0;
        row[3 * x + 1] = 0;
        row[3 * x + 2] = red ? 0 : 255;
    }
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    sc_buf_append(out, mem, len);
    free(mem);
}

static void make_jpeg(int w, int h, sc_buf *out)
{
    make_jpeg_p(w, h, 0, out);
}

/* An A4 PDF, left half black. */
static void make_pdf(sc_buf *out)
{
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(to_buf, out, 595, 842);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, 0, 0, 297, 842);
    cairo_fill(cr);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
}

static int sniff(const uint8_t *d, size_t n, const char **mime, sc_err *e)
{
    memset(e, 0, sizeof(*e));
    return material_sniff(d, n, mime, e);
}

static void expect_bad(const uint8_t *d, size_t n, int status, const char *code)
{
    const char *mime = "x";
    sc_err e;
    int rc = sniff(d, n, &mime, &e);
    if (rc != status || strcmp(e.code, code) != 0)
        fail_msg("got %d %s (%s), want %d %s", rc, e.code, e.msg, status, code);
    assert_null(mime);
}

static void test_sniff_good(void **state)
{
    (void)state;
    sc_buf png = {0}, jpg = {0}, pdf = {0};
    make_png(40, 20, &png);
    make_jpeg(40, 20, &jpg);
    make_pdf(&pdf);
    const char *mime;
    sc_err e;
    assert_int_equal(sniff(png.p, png.len, &mime, &e), 0);
    assert_string_equal(mime, "image/png");
    assert_int_equal(sniff(jpg.p, jpg.len, &mime, &e), 0);
    assert_string_equal(mime, "image/jpeg");
    sc_buf prog = {0}; /* several scans, tables between them */
    make_jpeg_p(64, 48, 1, &prog);
    assert_int_equal(sniff(prog.p, prog.len, &mime, &e), 0);
    assert_string_equal(mime, "image/jpeg");
    sc_buf out = {0};
    assert_int_equal(material_preview(prog.p, prog.len, 32, &out, &e), 0);
    sc_buf_free(&out);
    sc_buf_free(&prog);
    assert_int_equal(sniff(pdf.p, pdf.len, &mime, &e), 0);
    assert_string_equal(mime, "application/pdf");
    /* a PDF ending with CRLF after %%EOF is fine */
    sc_buf_append(&pdf, "\r\n", 2);
    assert_int_equal(sniff(pdf.p, pdf.len, &mime, &e), 0);
    sc_buf_free(&png);
    sc_buf_free(&jpg);
    sc_buf_free(&pdf);
}

static void test_sniff_refuses(void **state)
{
    (void)state;
    /* other types, whatever the name would say */
    static const char gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    expect_bad((const uint8_t *)gif, sizeof(gif) - 1, SC_EINVAL, "material.unsupported_type");
    static const char zip[] = "PK\x03\x04\x14\x00\x00\x00";
    expect_bad((const uint8_t *)zip, sizeof(zip) - 1, SC_EINVAL, "material.unsupported_type");
    static const char html[] = "<html><script>alert(1)</script></html>";
    expect_bad((const uint8_t *)html, sizeof(html) - 1, SC_EINVAL, "material.unsupported_type");
    expect_bad((const uint8_t *)"", 0, SC_EINVAL, "material.unsupported_type");

    sc_buf png = {0}, jpg = {0}, pdf = {0};
    make_png(40, 20, &png);
    make_jpeg(40, 20, &jpg);
    make_pdf(&pdf);
    /* PNG: magic only, no IEND, bytes after IEND, CRC flipped, IDAT removed */
    expect_bad(png.p, 8, SC_EINVAL, "material.damaged");
    expect_bad(png.p, png.len - 12, SC_EINVAL, "material.damaged");
    uint8_t *t = malloc(png.len + 4);
    memcpy(t, png.p, png.len);
    memcpy(t + png.len, "junk", 4);
    expect_bad(t, png.len + 4, SC_EINVAL, "material.damaged");
    memcpy(t, png.p, png.len);
    t[8 + 8 + 3] ^= 1; /* inside IHDR data: CRC no longer matches */
    expect_bad(t, png.len, SC_EINVAL, "material.damaged");
    /* IHDR followed directly by IEND */
    memcpy(t, png.p, 33);
    memcpy(t + 33, png.p + png.len - 12, 12);
    expect_bad(t, 45, SC_EINVAL, "material.damaged");
    free(t);
    /* JPEG: truncated (no EOI), EOI missing but data, SOI only, trailing bytes */
    expect_bad(jpg.p, jpg.len - 2, SC_EINVAL, "material.damaged");
    expect_bad(jpg.p, jpg.len / 2, SC_EINVAL, "material.damaged");
    static const uint8_t soi[] = {0xff, 0xd8, 0xff, 0xd9};
    expect_bad(soi, sizeof(soi), SC_EINVAL, "material.damaged");
    t = malloc(jpg.len + 3);
    memcpy(t, jpg.p, jpg.len);
    memcpy(t + jpg.len, "abc", 3);
    expect_bad(t, jpg.len + 3, SC_EINVAL, "material.damaged");
    free(t);
    /* PDF: header only, no %%EOF, startxref past the end, unknown version, bytes after EOF */
    static const char hdr[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
    expect_bad((const uint8_t *)hdr, sizeof(hdr) - 1, SC_EINVAL, "material.damaged");
    static const char far[] = "%PDF-1.4\nxref\n0 1\ntrailer<<>>\nstartxref\n99999\n%%EOF\n";
    expect_bad((const uint8_t *)far, sizeof(far) - 1, SC_EINVAL, "material.damaged");
    static const char ok[] = "%PDF-1.4\nxref\n0 1\ntrailer<<>>\nstartxref\n9\n%%EOF\n";
    const char *mime;
    sc_err e;
    assert_int_equal(sniff((const uint8_t *)ok, sizeof(ok) - 1, &mime, &e), 0);
    static const char v3[] = "%PDF-3.0\nxref\n0 1\ntrailer<<>>\nstartxref\n9\n%%EOF\n";
    expect_bad((const uint8_t *)v3, sizeof(v3) - 1, SC_EINVAL, "material.damaged");
    static const char notx[] = "%PDF-1.4\nhello\n0 1\ntrailer<<>>\nstartxref\n9\n%%EOF\n";
    expect_bad((const uint8_t *)notx, sizeof(notx) - 1, SC_EINVAL, "material.damaged");
    static const char tail[] = "%PDF-1.4\nxref\n0 1\ntrailer<<>>\nstartxref\n9\n%%EOF\nmore";
    expect_bad((const uint8_t *)tail, sizeof(tail) - 1, SC_EINVAL, "material.damaged");
    expect_bad(pdf.p, pdf.len - 7, SC_EINVAL, "material.damaged");
    sc_buf_free(&png);
    sc_buf_free(&jpg);
    sc_buf_free(&pdf);
}

static void test_limits(void **state)
{
    (void)state;
    /* over the byte limit: refused before looking */
    size_t big = MATERIAL_MAX_BYTES + 1;
    uint8_t *d = calloc(1, big);
    memcpy(d, "%PDF-1.4", 8);
    expect_bad(d, big, SC_ETOOBIG, "material.too_large");
    free(d);
    /* a valid PNG whose width is over the dimension limit */
    sc_buf png = {0};
    make_png(MATERIAL_MAX_DIM + 1, 1, &png);
    expect_bad(png.p, png.len, SC_ETOOBIG, "material.image_too_large");
    sc_buf_free(&png);
    sc_buf jpg = {0};
    make_jpeg(MATERIAL_MAX_DIM + 8, 8, &jpg);
    expect_bad(jpg.p, jpg.len, SC_ETOOBIG, "material.image_too_large");
    sc_buf_free(&jpg);
}

static void test_sm3(void **state)
{
    (void)state;
    char hex[65];
    material_sm3_hex((const uint8_t *)"abc", 3, hex);
    /* GB/T 32905-2016 Appendix A.1 */
    assert_string_equal(hex, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
}

/* Decode a preview and check its size and the colour at (x, y). */
static void check_preview(const sc_buf *png, int w, int h, int x, int y, uint32_t rgb)
{
    const char *mime;
    sc_err e;
    assert_int_equal(sniff(png->p, png->len, &mime, &e), 0);
    assert_string_equal(mime, "image/png");
    /* read back through a temp file */
    char path[] = "/tmp/sealca-preview-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, png->p, png->len), (ssize_t)png->len);
    close(fd);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    unlink(path);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    assert_int_equal(cairo_image_surface_get_width(s), w);
    assert_int_equal(cairo_image_surface_get_height(s), h);
    const uint8_t *px = cairo_image_surface_get_data(s);
    uint32_t v =
        *(const uint32_t *)(const void *)(px + y * cairo_image_surface_get_stride(s) + x * 4);
    for (int sh = 0; sh < 24; sh += 8) {
        int got = (int)((v >> sh) & 0xff), want = (int)((rgb >> sh) & 0xff);
        if (abs(got - want) > 24) fail_msg("pixel %06x, want %06x", v & 0xffffff, rgb);
    }
    cairo_surface_destroy(s);
}

static void test_previews(void **state)
{
    (void)state;
    sc_buf png = {0}, jpg = {0}, pdf = {0}, out = {0};
    sc_err e = {0};
    make_png(800, 400, &png);
    assert_int_equal(material_preview(png.p, png.len, 200, &out, &e), 0);
    check_preview(&out, 200, 100, 10, 50, 0xff0000);
    check_preview(&out, 200, 100, 190, 50, 0x0000ff);
    sc_buf_free(&out);
    /* never enlarged */
    sc_buf small = {0};
    make_png(40, 20, &small);
    assert_int_equal(material_preview(small.p, small.len, 200, &out, &e), 0);
    check_preview(&out, 40, 20, 5, 5, 0xff0000);
    sc_buf_free(&out);
    sc_buf_free(&small);
    make_jpeg(1600, 800, &jpg);
    assert_int_equal(material_preview(jpg.p, jpg.len, 256, &out, &e), 0);
    check_preview(&out, 256, 128, 20, 64, 0xff0000);
    check_preview(&out, 256, 128, 236, 64, 0x0000ff);
    sc_buf_free(&out);
    make_pdf(&pdf);
    assert_int_equal(material_preview(pdf.p, pdf.len, 300, &out, &e), 0);
    /* A4 at 300 px high: 212 x 300, left half black, right half white */
    check_preview(&out, 212, 300, 20, 150, 0x000000);
    check_preview(&out, 212, 300, 190, 150, 0xffffff);
    sc_buf_free(&out);
    int pages = 0;
    assert_int_equal(material_pages(pdf.p, pdf.len, &pages, &e), 0);
    assert_int_equal(pages, 1);
    assert_int_equal(material_pages(jpg.p, jpg.len, &pages, &e), 0);
    assert_int_equal(pages, 1);
    /* sniffs as a PDF but is no document: the preview refuses it */
    static const char fake[] = "%PDF-1.4\nxref\n0 1\ntrailer<<>>\nstartxref\n9\n%%EOF\n";
    memset(&e, 0, sizeof(e));
    assert_int_equal(material_preview((const uint8_t *)fake, sizeof(fake) - 1, 100, &out, &e),
                     SC_EINVAL);
    assert_string_equal(e.code, "material.damaged");
    assert_int_equal(out.len, 0);
    /* a flipped byte inside IDAT: the chunk CRC refuses it before any decoding */
    png.p[png.len - 20] ^= 0x55;
    memset(&e, 0, sizeof(e));
    assert_int_equal(material_preview(png.p, png.len, 100, &out, &e), SC_EINVAL);
    assert_string_equal(e.code, "material.damaged");
    sc_buf_free(&png);
    sc_buf_free(&jpg);
    sc_buf_free(&pdf);
}

/* At rest: sealed under the data key, bound to its row, checked against its SM3. */
static void test_seal_open(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char keys[4200];
    snprintf(keys, sizeof(keys), "%s/keys", dir);
    assert_int_equal(mkdir(keys, 0700), 0);
    vault *v = NULL;
    sc_err e = {0};
    assert_int_equal(vault_open_home(dir, "material test", &v, &e), 0);
    sc_buf png = {0}, sealed = {0}, out = {0};
    make_png(40, 20, &png);
    const char *mime = NULL;
    char hex[65], want[65];
    assert_int_equal(material_seal(v, 7, png.p, png.len, &sealed, &mime, hex, &e), 0);
    assert_string_equal(mime, "image/png");
    material_sm3_hex(png.p, png.len, want);
    assert_string_equal(hex, want);
    assert_null(memmem(sealed.p, sealed.len, "IHDR", 4)); /* not stored in clear */
    assert_int_equal(material_open(v, 7, sealed.p, sealed.len, hex, &out, &e), 0);
    assert_int_equal(out.len, png.len);
    assert_memory_equal(out.p, png.p, png.len);
    sc_buf_free(&out);
    /* another row's label, a wrong recorded hash */
    memset(&e, 0, sizeof(e));
    assert_int_equal(material_open(v, 8, sealed.p, sealed.len, hex, &out, &e), SC_EVERIFY);
    assert_string_equal(e.code, "vault.bad_tag");
    hex[0] = hex[0] == '0' ? '1' : '0';
    memset(&e, 0, sizeof(e));
    assert_int_equal(material_open(v, 7, sealed.p, sealed.len, hex, &out, &e), SC_EVERIFY);
    assert_string_equal(e.code, "material.hash_mismatch");
    assert_int_equal(out.len, 0);
    /* a refused file is not sealed */
    size_t before = sealed.len;
    memset(&e, 0, sizeof(e));
    assert_int_equal(material_seal(v, 9, (const uint8_t *)"GIF89a..", 8, &sealed, &mime, hex, &e),
                     SC_EINVAL);
    assert_int_equal(sealed.len, before);
    sc_buf_free(&sealed);
    sc_buf_free(&png);
    vault_free(v);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff_good), cmocka_unit_test(test_sniff_refuses),
        cmocka_unit_test(test_limits),     cmocka_unit_test(test_sm3),
        cmocka_unit_test(test_previews),   cmocka_unit_test(test_seal_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
