/* test_sealimage.c - seal images: rendering, extraction from synthetic scans and photos
 * (IoU against the rendered ink), physical size, hostile images, the real fixtures' pictures,
 * and the staff HTTP handler. */
#include "testutil.h"

#include <curl/curl.h>
#include <dirent.h>
#include <jpeglib.h>
#include <png.h>

#include "api/api.h"
#include "http/http.h"
#include "pki/der.h"
#include "seal/image.h"
#include "seal/image_geom.h"

/* ------------------------------------------------------------------ synthetic material */

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* A sheet of paper: off-white (or a warm phone cast) with noise and rows of black "words". */
static void paper(seal_img *pg, uint32_t w, uint32_t h, int warm, uint32_t seed)
{
    rng_state = seed;
    assert_int_equal(seal_img_new(pg, w, h, NULL), 0);
    int base[3] = {246, 244, 238};
    if (warm) base[0] = 226, base[1] = 208, base[2] = 178;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        int n = (int)(rng() % 17) - 8;
        for (int c = 0; c < 3; c++) {
            int v = base[c] + n;
            pg->rgba[i * 4 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        pg->rgba[i * 4 + 3] = 255;
    }
    /* text lines every 44 px: words of 3..10 glyphs, each glyph a few dark strokes */
    for (uint32_t ly = 30; ly + 16 < h; ly += 44)
        for (uint32_t x = 20; x + 120 < w;) {
            uint32_t glyphs = 3 + rng() % 8;
            for (uint32_t g = 0; g < glyphs && x + 16 < w; g++, x += 16)
                for (int s = 0; s < 3; s++) {
                    uint32_t sx = x + rng() % 12, sy = ly + rng() % 4, len = 6 + rng() % 10;
                    int vert = rng() % 2;
                    for (uint32_t k = 0; k < len; k++)
                        for (int t = 0; t < 2; t++) {
                            uint32_t px = vert ? sx + t : sx + k, py = vert ? sy + k : sy + t;
                            if (px >= w || py >= h) continue;
                            uint8_t *q = pg->rgba + ((size_t)py * w + px) * 4;
                            q[0] = 28, q[1] = 28, q[2] = 34;
                        }
                }
            x += 20;
        }
}

/* Ink on paper multiplies: the paper shows through lighter ink. */
static void stamp(seal_img *pg, const seal_img *ink, uint32_t ox, uint32_t oy, double strength)
{
    for (uint32_t y = 0; y < ink->h && oy + y < pg->h; y++)
        for (uint32_t x = 0; x < ink->w && ox + x < pg->w; x++) {
            const uint8_t *p = ink->rgba + ((size_t)y * ink->w + x) * 4;
            uint8_t *q = pg->rgba + ((size_t)(oy + y) * pg->w + ox + x) * 4;
            double a = p[3] / 255.0 * strength;
            for (int c = 0; c < 3; c++)
                q[c] = (uint8_t)(q[c] * ((1 - a) + a * p[c] / 255.0) + 0.5);
        }
}

static void jpeg_encode(const seal_img *im, int quality, int orientation, double dpi, sc_buf *out)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL;
    unsigned long memlen = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &memlen);
    c.image_width = im->w;
    c.image_height = im->h;
    c.input_components = 4;
    c.in_color_space = JCS_EXT_RGBA;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (dpi > 0) {
        c.write_JFIF_header = TRUE;
        c.density_unit = 1;
        c.X_density = c.Y_density = (UINT16)dpi;
    }
    jpeg_start_compress(&c, TRUE);
    if (orientation > 1) {
        /* a minimal little-endian EXIF with IFD0 holding only Orientation */
        uint8_t ex[] = {'E', 'x',  'i',  'f', 0,
                        0,   'I',  'I',  42,  0,
                        8,   0,    0,    0,   1,
                        0,   0x12, 0x01, 3,   0,
                        1,   0,    0,    0,   (uint8_t)orientation,
                        0,   0,    0,    0,   0,
                        0,   0};
        jpeg_write_marker(&c, JPEG_APP0 + 1, ex, sizeof(ex));
    }
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = im->rgba + (size_t)c.next_scanline * im->w * 4;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    out->len = 0;
    assert_int_equal(sc_buf_append(out, mem, memlen), 0);
    free(mem);
}

/* A valid progressive JPEG of n_al * 63 * 3 + 3 scans: every AC coefficient of every
 * component in its own scan, refined bit by bit from Al = n_al - 1 down to 0 (a CPU bomb). */
static void jpeg_many_scans(int n_al, sc_buf *out)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL;
    unsigned long memlen = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &memlen);
    c.image_width = 16;
    c.image_height = 16;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    int n = 3 + n_al * 63 * 3, k = 0;
    jpeg_scan_info *si = calloc((size_t)n, sizeof(*si));
    for (int comp = 0; comp < 3; comp++) {
        si[k].comps_in_scan = 1;
        si[k].component_index[0] = comp;
        k++; /* DC, full precision */
    }
    for (int al = n_al - 1; al >= 0; al--)
        for (int comp = 0; comp < 3; comp++)
            for (int co = 1; co <= 63; co++) {
                si[k].comps_in_scan = 1;
                si[k].component_index[0] = comp;
                si[k].Ss = co;
                si[k].Se = co;
                si[k].Ah = al == n_al - 1 ? 0 : al + 1;
                si[k].Al = al;
                k++;
            }
    c.scan_info = si;
    c.num_scans = n;
    jpeg_start_compress(&c, TRUE);
    uint8_t row[48];
    for (int i = 0; i < 48; i++)
        row[i] = (uint8_t)(i * 5);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(si);
    out->len = 0;
    assert_int_equal(sc_buf_append(out, mem, memlen), 0);
    free(mem);
}

static void png_sink(png_structp png, png_bytep p, png_size_t n)
{
    sc_buf_append(png_get_io_ptr(png), p, n);
}

static void png_noflush(png_structp png) {}

/* A 16 x 16 PNG carrying ntext text chunks of textlen bytes each ('A's), zTXt when zip. */
static void png_with_text(int ntext, size_t textlen, int zip, sc_buf *out)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    png_set_write_fn(png, out, png_sink, png_noflush);
    png_set_IHDR(png, info, 16, 16, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    char *txt = malloc(textlen + 1);
    memset(txt, 'A', textlen);
    txt[textlen] = 0;
    png_text *t = calloc((size_t)ntext, sizeof(png_text));
    for (int i = 0; i < ntext; i++) {
        t[i].compression = zip ? PNG_TEXT_COMPRESSION_zTXt : PNG_TEXT_COMPRESSION_NONE;
        t[i].key = (png_charp) "Comment";
        t[i].text = txt;
    }
    png_set_text(png, info, t, ntext);
    png_write_info(png, info);
    uint8_t row[48] = {0};
    for (int y = 0; y < 16; y++)
        png_write_row(png, row);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(t);
    free(txt);
}

/* Box of alpha >= 128 in ref. */
static void alpha_box(const seal_img *im, uint32_t *x0, uint32_t *y0, uint32_t *bw, uint32_t *bh)
{
    uint32_t a = UINT32_MAX, b = UINT32_MAX, c = 0, d = 0;
    for (uint32_t y = 0; y < im->h; y++)
        for (uint32_t x = 0; x < im->w; x++)
            if (im->rgba[((size_t)y * im->w + x) * 4 + 3] >= 128) {
                if (x < a) a = x;
                if (y < b) b = y;
                if (x > c) c = x;
                if (y > d) d = y;
            }
    assert_true(a != UINT32_MAX);
    *x0 = a, *y0 = b, *bw = c - a + 1, *bh = d - b + 1;
}

/* Intersection over union of the ink masks (alpha >= 128): the extraction against the
 * rendered seal's own ink box, scaled to the extraction's size. */
static double iou(const seal_img *ref, const seal_img *ext)
{
    uint32_t x0, y0, bw, bh;
    alpha_box(ref, &x0, &y0, &bw, &bh);
    uint64_t inter = 0, uni = 0;
    for (uint32_t y = 0; y < ext->h; y++)
        for (uint32_t x = 0; x < ext->w; x++) {
            uint32_t rx = x0 + (uint32_t)((x + 0.5) * bw / ext->w);
            uint32_t ry = y0 + (uint32_t)((y + 0.5) * bh / ext->h);
            int a = ref->rgba[((size_t)ry * ref->w + rx) * 4 + 3] >= 128;
            int b = ext->rgba[((size_t)y * ext->w + x) * 4 + 3] >= 128;
            inter += a && b;
            uni += a || b;
        }
    return uni ? (double)inter / (double)uni : 0;
}

static uint32_t crc_table[256];
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    if (crc_table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* A small valid PNG whose IHDR is then rewritten (with a good CRC) to declare w x h. */
static void png_declaring(uint32_t w, uint32_t h, sc_buf *out)
{
    seal_img im;
    assert_int_equal(seal_img_new(&im, 16, 16, NULL), 0);
    assert_int_equal(seal_img_png(&im, out, NULL), 0);
    seal_img_free(&im);
    put32(out->p + 16, w);
    put32(out->p + 20, h);
    put32(out->p + 29, crc32_png(out->p + 12, 17));
}

/* A small valid JPEG whose SOF0 is rewritten to declare w x h (the "bomb" header). */
static void jpeg_declaring(uint32_t w, uint32_t h, sc_buf *out)
{
    seal_img im;
    assert_int_equal(seal_img_new(&im, 16, 16, NULL), 0);
    jpeg_encode(&im, 80, 0, 0, out);
    seal_img_free(&im);
    for (size_t i = 2; i + 9 < out->len; i++)
        if (out->p[i] == 0xff && out->p[i + 1] == 0xc0) {
            out->p[i + 5] = (uint8_t)(h >> 8), out->p[i + 6] = (uint8_t)h;
            out->p[i + 7] = (uint8_t)(w >> 8), out->p[i + 8] = (uint8_t)w;
            return;
        }
    fail_msg("no SOF0 in the test JPEG");
}

static void render(seal_render_shape shape, const char *name, const char *bottom, double mm,
                   double dpi, int no_mark, seal_img *out)
{
    seal_render_opts o = {.shape = shape,
                          .name = name,
                          .bottom = bottom,
                          .size_mm = mm,
                          .dpi = dpi,
                          .no_mark = no_mark};
    sc_err e = {0};
    int rc = seal_render(&o, out, &e);
    if (rc != 0) fail_msg("render: %s", e.msg);
}

/* SEALCA_TEST_DUMP=DIR keeps the pictures for a look */
static void dump(const seal_img *im, const char *name)
{
    const char *d = getenv("SEALCA_TEST_DUMP");
    if (d == NULL) return;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.png", d, name);
    sc_buf b = {0};
    if (seal_img_png(im, &b, NULL) == 0) sc_file_write_atomic(path, b.p, b.len, 0644);
    sc_buf_free(&b);
}

static uint64_t opaque(const seal_img *im)
{
    uint64_t n = 0;
    for (size_t i = 0; i < (size_t)im->w * im->h; i++)
        n += im->rgba[i * 4 + 3] >= 128;
    return n;
}

/* ---------------------------------------------------------------------------- rendering */

static void test_render_round_marked(void **st)
{
    seal_img a, b, c;
    render(SEAL_RENDER_ROUND, "北京测试科技有限公司", "合同专用章", 42, 300, 0, &a);
    assert_int_equal(a.w, 496); /* 42 mm at 300 dpi */
    assert_int_equal(a.h, 496);
    assert_int_equal(a.rendering, 1);
    /* the visible mark is ink that the unmarked rendering lacks */
    render(SEAL_RENDER_ROUND, "北京测试科技有限公司", "合同专用章", 42, 300, 1, &b);
    assert_true(b.rendering); /* the tEXt mark stays even without the visible one */
    assert_true(opaque(&a) > opaque(&b) + 200);
    /* the ring: opaque at the top edge, transparent in the corners */
    assert_true(a.rgba[((size_t)4 * a.w + a.w / 2) * 4 + 3] > 200);
    assert_int_equal(a.rgba[3], 0);
    /* red, not black */
    size_t mid = ((size_t)(a.h / 2) * a.w + a.w / 2) * 4; /* the star's centre */
    assert_true(a.rgba[mid + 3] > 200 && a.rgba[mid] > 150 && a.rgba[mid + 1] < 60);

    /* through PNG: pHYs gives back the DPI, tEXt the rendering mark */
    sc_buf png = {0};
    assert_int_equal(seal_img_png(&a, &png, NULL), 0);
    assert_non_null(memmem(png.p, png.len, "pHYs", 4));
    assert_non_null(memmem(png.p, png.len, SEAL_IMG_RENDERING_KEY, strlen(SEAL_IMG_RENDERING_KEY)));
    assert_int_equal(seal_img_load(png.p, png.len, NULL, &c, NULL), 0);
    assert_int_equal(c.rendering, 1);
    assert_true(c.dpi > 299.9 && c.dpi < 300.1);
    assert_memory_equal(c.rgba, a.rgba, (size_t)a.w * a.h * 4);
    /* pHYs holds pixels per metre: 300 dpi = 11811 */
    const uint8_t *ph = memmem(png.p, png.len, "pHYs", 4);
    assert_int_equal((ph[4] << 24) | (ph[5] << 16) | (ph[6] << 8) | ph[7], 11811);
    assert_int_equal(ph[12], 1);
    sc_buf_free(&png);

    /* the visible mark is ink: it survives an extraction, and so does the tEXt flag */
    seal_img ea, eb;
    seal_extract_opts o = {.ink = SEAL_INK_RED, .size_mm = 42};
    assert_int_equal(seal_extract(&a, &o, &ea, NULL, NULL), 0);
    assert_int_equal(seal_extract(&b, &o, &eb, NULL, NULL), 0);
    assert_int_equal(ea.rendering, 1);
    uint64_t band_a = 0, band_b = 0; /* rows of the mark: 0.62R..0.76R below the centre */
    for (uint32_t y = ea.h / 2 + ea.h * 31 / 100; y < ea.h / 2 + ea.h * 38 / 100; y++)
        for (uint32_t x = 0; x < ea.w; x++) {
            band_a += ea.rgba[((size_t)y * ea.w + x) * 4 + 3] >= 128;
            band_b += eb.rgba[((size_t)y * eb.w + x) * 4 + 3] >= 128;
        }
    print_message("mark band: %llu opaque px marked, %llu unmarked\n", (unsigned long long)band_a,
                  (unsigned long long)band_b);
    assert_true(band_a > band_b + 300);
    seal_img_free(&ea);
    seal_img_free(&eb);
    seal_img_free(&a);
    seal_img_free(&b);
    seal_img_free(&c);
}

static void test_render_square_and_refusals(void **st)
{
    seal_img a;
    render(SEAL_RENDER_SQUARE, "张三之印", NULL, 20, 300, 0, &a);
    assert_int_equal(a.w, 236);
    assert_true(opaque(&a) > a.w * a.h / 10);
    seal_img_free(&a);
    render(SEAL_RENDER_SQUARE, "李四", NULL, 40, 300, 0, &a);
    assert_int_equal(a.w, 472);
    seal_img_free(&a);

    sc_err e = {0};
    seal_render_opts o = {.shape = SEAL_RENDER_SQUARE, .name = "王小二"};
    assert_int_equal(seal_render(&o, &a, &e), SC_EINVAL);
    assert_string_equal(e.code, "render.square_chars");
    assert_null(a.rgba);
    o.name = "";
    assert_int_equal(seal_render(&o, &a, NULL), SC_EINVAL);
    o.name = "\xe5\xbc";
    assert_int_equal(seal_render(&o, &a, NULL), SC_EINVAL);
    o = (seal_render_opts){.shape = SEAL_RENDER_ROUND, .name = "测试", .size_mm = 2000};
    assert_int_equal(seal_render(&o, &a, NULL), SC_EINVAL);
    assert_null(a.rgba);
}

/* --------------------------------------------------------------------------- extraction */

static void test_extract_from_scan_png(void **st)
{
    seal_img seal, pg, back, ext;
    render(SEAL_RENDER_ROUND, "上海样例贸易有限公司", "合同专用章", 42, 300, 0, &seal);
    paper(&pg, 1100, 900, 0, 7);
    /* over text lines, as on a real specimen sheet */
    stamp(&pg, &seal, 380, 210, 0.9);
    sc_buf png = {0};
    pg.dpi = 300;
    assert_int_equal(seal_img_png(&pg, &png, NULL), 0);
    assert_int_equal(seal_img_load(png.p, png.len, NULL, &back, NULL), 0);
    seal_extract_opts o = {.ink = SEAL_INK_RED};
    seal_extract_info info;
    sc_err e = {0};
    if (seal_extract(&back, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
    /* the box found is the seal's */
    assert_true(abs((int)info.bx - 380) <= 3 && abs((int)info.by - 210) <= 3);
    assert_true(abs((int)info.bw - 496) <= 6 && abs((int)info.bh - 496) <= 6);
    /* the scan says 300 dpi, so its own size stands: 42 mm */
    assert_true(info.size_mm > 41.5 && info.size_mm < 42.5);
    assert_true(abs((int)ext.w - 496) <= 6);
    double v = iou(&seal, &ext);
    print_message("scan IoU %.3f\n", v);
    assert_true(v > 0.90);
    /* the black text under the seal did not come along: no ink outside the seal's ring */
    assert_int_equal(ext.rgba[3], 0);
    /* physical size in the PNG written */
    sc_buf out = {0};
    assert_int_equal(seal_img_png(&ext, &out, NULL), 0);
    const uint8_t *ph = memmem(out.p, out.len, "pHYs", 4);
    assert_non_null(ph);
    assert_int_equal((ph[4] << 24) | (ph[5] << 16) | (ph[6] << 8) | ph[7], 11811);

    /* a stated physical size: 40 mm at 600 dpi */
    seal_img ext2;
    o.size_mm = 40;
    o.dpi = 600;
    assert_int_equal(seal_extract(&back, &o, &ext2, NULL, NULL), 0);
    assert_int_equal(ext2.w > ext2.h ? ext2.w : ext2.h, 945); /* 40/25.4*600 */
    assert_true(iou(&seal, &ext2) > 0.88);

    /* the preview is the crop beside the extraction */
    seal_img pv;
    assert_int_equal(seal_extract_preview(&back, &info, &ext, &pv, NULL), 0);
    assert_true(pv.w > 2 * pv.h - 40 && pv.h == 360);
    seal_img_free(&pv);
    seal_img_free(&ext2);
    sc_buf_free(&out);
    sc_buf_free(&png);
    seal_img_free(&seal);
    seal_img_free(&pg);
    seal_img_free(&back);
    seal_img_free(&ext);
}

static void test_extract_from_phone_jpeg(void **st)
{
    /* a phone photo: 200 dpi, warm light, lighter ink, JPEG quality 70, rotated by EXIF */
    seal_img seal, pg, rot, back, ext;
    render(SEAL_RENDER_ROUND, "广州示例建设工程有限公司", NULL, 42, 200, 0, &seal);
    paper(&pg, 900, 700, 1, 99);
    stamp(&pg, &seal, 300, 180, 0.75);
    /* the phone's shadow: light falls off to 55 % across the sheet, diagonally */
    for (uint32_t y = 0; y < pg.h; y++)
        for (uint32_t x = 0; x < pg.w; x++) {
            double l = 1.0 - 0.45 * ((double)x / pg.w + (double)y / pg.h) / 2;
            uint8_t *q = pg.rgba + ((size_t)y * pg.w + x) * 4;
            for (int c = 0; c < 3; c++)
                q[c] = (uint8_t)(q[c] * l);
        }
    /* stored sideways with EXIF orientation 6 (rotate 90° clockwise to view), as phones do */
    assert_int_equal(seal_img_new(&rot, pg.h, pg.w, NULL), 0);
    for (uint32_t y = 0; y < pg.h; y++)
        for (uint32_t x = 0; x < pg.w; x++)
            memcpy(rot.rgba + ((size_t)(pg.w - 1 - x) * rot.w + y) * 4,
                   pg.rgba + ((size_t)y * pg.w + x) * 4, 4);
    sc_buf jpg = {0};
    jpeg_encode(&rot, 70, 6, 0, &jpg);
    assert_int_equal(seal_img_load(jpg.p, jpg.len, NULL, &back, NULL), 0);
    assert_int_equal(back.w, 900); /* upright again */
    assert_int_equal(back.h, 700);
    assert_true(back.dpi == 0 || back.dpi == 72);
    seal_extract_opts o = {.ink = SEAL_INK_RED, .size_mm = 42, .dpi = 300};
    seal_extract_info info;
    sc_err e = {0};
    if (seal_extract(&back, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
    assert_true(abs((int)info.bx - 300) <= 4 && abs((int)info.by - 180) <= 4);
    assert_int_equal(ext.w > ext.h ? ext.w : ext.h, 496);
    double v = iou(&seal, &ext);
    print_message("photo IoU %.3f\n", v);
    dump(&back, "photo_src");
    dump(&ext, "photo_ext");
    dump(&seal, "photo_seal");
    /* lighter ink at 200 dpi over dense print loses some thin strokes; a wrong region or
     * print taken for ink scores far lower (< 0.5) */
    assert_true(v > 0.80);
    sc_buf_free(&jpg);
    seal_img_free(&seal);
    seal_img_free(&pg);
    seal_img_free(&rot);
    seal_img_free(&back);
    seal_img_free(&ext);
}

static void test_extract_square_undoes_foreshortening(void **st)
{
    /* a photo taken at an angle: the round seal appears squeezed to 78 % of its height */
    seal_img seal, sq, pg, ext;
    render(SEAL_RENDER_ROUND, "武汉示例物流有限公司", "财务专用章", 42, 300, 0, &seal);
    uint32_t h2 = seal.h * 78 / 100;
    assert_int_equal(seal_img_new(&sq, seal.w, h2, NULL), 0);
    for (uint32_t y = 0; y < h2; y++)
        memcpy(sq.rgba + (size_t)y * sq.w * 4,
               seal.rgba + (size_t)((y * (uint64_t)seal.h + seal.h / 2) / h2) * seal.w * 4,
               (size_t)seal.w * 4);
    paper(&pg, 900, 700, 0, 8);
    stamp(&pg, &sq, 200, 150, 1.0);
    seal_extract_opts o = {.ink = SEAL_INK_RED, .size_mm = 42};
    assert_int_equal(seal_extract(&pg, &o, &ext, NULL, NULL), 0);
    assert_true(ext.h < ext.w * 82 / 100); /* as photographed */
    seal_img_free(&ext);
    o.square = 1;
    assert_int_equal(seal_extract(&pg, &o, &ext, NULL, NULL), 0);
    assert_int_equal(ext.w, 496);
    assert_int_equal(ext.h, 496);
    double v = iou(&seal, &ext);
    print_message("squared IoU %.3f\n", v);
    assert_true(v > 0.85);
    seal_img_free(&ext);
    seal_img_free(&seal);
    seal_img_free(&sq);
    seal_img_free(&pg);
}

static void test_extract_crop_and_threshold(void **st)
{
    /* two seals: the round one is larger; a crop selects the square one */
    seal_img round, sq, pg, ext;
    render(SEAL_RENDER_ROUND, "深圳示例科技有限公司", NULL, 40, 300, 1, &round);
    render(SEAL_RENDER_SQUARE, "王五之印", NULL, 20, 300, 1, &sq);
    paper(&pg, 1200, 800, 0, 3);
    stamp(&pg, &round, 60, 100, 1.0);
    stamp(&pg, &sq, 850, 300, 1.0);
    seal_extract_opts o = {.ink = SEAL_INK_RED, .size_mm = 40};
    seal_extract_info info;
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), 0);
    assert_true(info.bx < 70 && info.bw > 400); /* the round one */
    assert_true(iou(&round, &ext) > 0.9);
    seal_img_free(&ext);

    o = (seal_extract_opts){
        .ink = SEAL_INK_RED, .size_mm = 20, .crop = 1, .cx = 800, .cy = 250, .cw = 400, .ch = 400};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), 0);
    assert_true(abs((int)info.bx - 850) <= 3 && abs((int)info.by - 300) <= 3);
    assert_int_equal(ext.w, 236);
    assert_true(iou(&sq, &ext) > 0.9);
    seal_img_free(&ext);

    /* all ink in the whole sheet: both seals' box */
    o = (seal_extract_opts){.ink = SEAL_INK_RED, .all_ink = 1};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), 0);
    assert_true(info.bx < 70 && info.bx + info.bw > 1080);
    seal_img_free(&ext);

    /* a threshold above any ink finds nothing: a clear error, nothing produced */
    sc_err e = {0};
    o = (seal_extract_opts){.ink = SEAL_INK_RED, .threshold = 0.97};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, &e), SC_ENOTFOUND);
    assert_string_equal(e.code, "image.no_ink");
    assert_null(ext.rgba);
    /* a crop holding only paper and text */
    o = (seal_extract_opts){
        .ink = SEAL_INK_RED, .crop = 1, .cx = 600, .cy = 0, .cw = 200, .ch = 200};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), SC_ENOTFOUND);
    /* a crop outside the picture, bad threshold, bad size */
    sc_err_clear(&e);
    o = (seal_extract_opts){.crop = 1, .cx = 5000, .cy = 0, .cw = 10, .ch = 10};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, &e), SC_EINVAL);
    assert_string_equal(e.code, "image.bad_crop");
    o = (seal_extract_opts){.threshold = 1.5};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), SC_EINVAL);
    o = (seal_extract_opts){.size_mm = 1000};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), SC_EINVAL);
    /* a lower threshold takes in fainter ink: more opaque pixels, same box */
    seal_img lo, hi;
    seal_extract_info li, hinfo;
    o = (seal_extract_opts){.ink = SEAL_INK_RED, .threshold = 0.10, .size_mm = 40};
    assert_int_equal(seal_extract(&pg, &o, &lo, &li, NULL), 0);
    o.threshold = 0.45;
    assert_int_equal(seal_extract(&pg, &o, &hi, &hinfo, NULL), 0);
    assert_true(opaque(&lo) >= opaque(&hi));
    seal_img_free(&lo);
    seal_img_free(&hi);
    seal_img_free(&round);
    seal_img_free(&sq);
    seal_img_free(&pg);
}

/* A handwritten-looking signature: thick cubic strokes drawn with cairo. */
#include <cairo.h>
static void signature(seal_img *out, uint32_t w, uint32_t h, double r, double g, double b)
{
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, r, g, b);
    cairo_set_line_width(cr, 5);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_move_to(cr, 10, h * 0.7);
    cairo_curve_to(cr, w * 0.15, 5, w * 0.25, h - 5, w * 0.35, h * 0.4);
    cairo_curve_to(cr, w * 0.45, 10, w * 0.5, h * 0.9, w * 0.62, h * 0.5);
    cairo_stroke(cr);
    cairo_move_to(cr, w * 0.66, h * 0.2);
    cairo_curve_to(cr, w * 0.7, h * 0.95, w * 0.85, h * 0.1, w - 10, h * 0.75);
    cairo_stroke(cr);
    cairo_destroy(cr);
    cairo_surface_flush(sf);
    assert_int_equal(seal_img_new(out, w, h, NULL), 0);
    const uint8_t *d = cairo_image_surface_get_data(sf);
    int stride = cairo_image_surface_get_stride(sf);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint32_t v = ((const uint32_t *)(const void *)(d + (size_t)y * stride))[x];
            unsigned a = v >> 24;
            uint8_t *q = out->rgba + ((size_t)y * w + x) * 4;
            if (a) {
                q[0] = (uint8_t)(((v >> 16) & 0xff) * 255 / a);
                q[1] = (uint8_t)(((v >> 8) & 0xff) * 255 / a);
                q[2] = (uint8_t)((v & 0xff) * 255 / a);
            }
            q[3] = (uint8_t)a;
        }
    cairo_surface_destroy(sf);
}

static void test_extract_signature(void **st)
{
    seal_img sig, pg, ext, seal;
    signature(&sig, 420, 160, 0.08, 0.16, 0.62); /* blue ballpoint */
    paper(&pg, 1000, 700, 0, 11);
    /* a clean box on the sheet, as on the 签章采集表, with a red seal overlapping its end */
    for (uint32_t y = 300; y < 560; y++)
        for (uint32_t x = 150; x < 850; x++)
            memset(pg.rgba + ((size_t)y * pg.w + x) * 4, 244, 3);
    stamp(&pg, &sig, 250, 350, 1.0);
    render(SEAL_RENDER_SQUARE, "赵六", NULL, 12, 300, 1, &seal);
    stamp(&pg, &seal, 620, 420, 0.9);
    sc_buf jpg = {0};
    jpeg_encode(&pg, 85, 0, 300, &jpg);
    seal_img back;
    assert_int_equal(seal_img_load(jpg.p, jpg.len, NULL, &back, NULL), 0);
    assert_true(back.dpi == 300);
    seal_extract_opts o = {
        .ink = SEAL_INK_DARK, .crop = 1, .cx = 150, .cy = 300, .cw = 700, .ch = 260};
    seal_extract_info info;
    sc_err e = {0};
    if (seal_extract(&back, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
    assert_int_equal(info.blue, 1);
    /* the signature's own box, not the red seal's */
    assert_true(abs((int)info.bx - 250 - 8) <= 10 && info.bx + info.bw <= 250 + 420 + 4);
    /* the scan says 300 dpi: the signature keeps its size, 400-odd px = ~35 mm */
    assert_true(info.size_mm > 32 && info.size_mm < 37);
    double v = iou(&sig, &ext);
    print_message("signature IoU %.3f\n", v);
    assert_true(v > 0.75);
    /* blue ink out */
    assert_true(ext.rgba[2] > ext.rgba[0]);
    seal_img_free(&ext);

    /* black ink, no crop: the signature is the largest dark group on the page */
    seal_img sig2, pg2;
    signature(&sig2, 500, 180, 0.05, 0.05, 0.05);
    paper(&pg2, 900, 600, 0, 5);
    for (uint32_t y = 250; y < 560; y++)
        for (uint32_t x = 100; x < 800; x++)
            memset(pg2.rgba + ((size_t)y * pg2.w + x) * 4, 244, 3);
    stamp(&pg2, &sig2, 200, 330, 1.0);
    o = (seal_extract_opts){.ink = SEAL_INK_DARK, .size_mm = 50};
    assert_int_equal(seal_extract(&pg2, &o, &ext, &info, NULL), 0);
    assert_int_equal(info.blue, 0);
    print_message("black signature box %u,%u %ux%u\n", info.bx, info.by, info.bw, info.bh);
    dump(&pg2, "sig2_src");
    dump(&ext, "sig2_ext");
    uint32_t sx0, sy0, sw, sh;
    alpha_box(&sig2, &sx0, &sy0, &sw, &sh);
    assert_true(abs((int)info.bx - 200 - (int)sx0) <= 3 && abs((int)info.by - 330 - (int)sy0) <= 3);
    assert_true(abs((int)info.bw - (int)sw) <= 6 && abs((int)info.bh - (int)sh) <= 6);
    assert_true(iou(&sig2, &ext) > 0.75);
    assert_int_equal(ext.w, 591); /* 50 mm at 300 dpi */
    seal_img_free(&ext);
    seal_img_free(&sig2);
    seal_img_free(&pg2);
    sc_buf_free(&jpg);
    seal_img_free(&sig);
    seal_img_free(&pg);
    seal_img_free(&seal);
    seal_img_free(&back);
}

static void test_ink_strength(void **st)
{
    const uint8_t paperpx[4] = {246, 244, 238, 255}, black[4] = {25, 25, 30, 255},
                  red[4] = {210, 30, 35, 255}, orange[4] = {255, 165, 0, 255},
                  blue[4] = {20, 40, 160, 255}, clear[4] = {0, 0, 0, 0};
    assert_true(seal_ink_strength(SEAL_INK_RED, red) > 150);
    assert_true(seal_ink_strength(SEAL_INK_RED, paperpx) < 10);
    assert_int_equal(seal_ink_strength(SEAL_INK_RED, black), 0);
    assert_true(seal_ink_strength(SEAL_INK_RED, orange) < 0.18 * 255);
    assert_true(seal_ink_strength(SEAL_INK_DARK, black) > 200);
    assert_true(seal_ink_strength(SEAL_INK_DARK, blue) > 150);
    assert_int_equal(seal_ink_strength(SEAL_INK_DARK, red), 0);
    assert_true(seal_ink_strength(SEAL_INK_DARK, paperpx) < 20);
    assert_int_equal(seal_ink_strength(SEAL_INK_DARK, clear), 0);
}

/* --------------------------------------------------------------------------- bad input */

static void test_reject_not_images(void **st)
{
    seal_img im;
    sc_err e = {0};
    const char *txt = "hello, this is not an image";
    assert_int_equal(seal_img_load((const uint8_t *)txt, strlen(txt), NULL, &im, &e), SC_EINVAL);
    assert_string_equal(e.code, "image.not_image");
    assert_null(im.rgba);
    assert_int_equal(seal_img_load(NULL, 0, NULL, &im, NULL), SC_EINVAL);
    const uint8_t gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert_int_equal(seal_img_load(gif, sizeof(gif), NULL, &im, NULL), SC_EINVAL);
    /* the magic alone */
    const uint8_t pngsig[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    assert_int_equal(seal_img_load(pngsig, 8, NULL, &im, NULL), SC_EINVAL);
    const uint8_t soi[] = {0xff, 0xd8, 0xff, 0xe0};
    assert_int_equal(seal_img_load(soi, 4, NULL, &im, NULL), SC_EINVAL);
    /* a file over the size limit is refused before looking at it */
    sc_err_clear(&e);
    size_t big = SEAL_IMG_MAX_BYTES + 1;
    uint8_t *p = calloc(1, big);
    memcpy(p, pngsig, 8);
    assert_int_equal(seal_img_load(p, big, NULL, &im, &e), SC_ETOOBIG);
    assert_string_equal(e.code, "image.file_too_big");
    free(p);
    assert_int_equal(seal_img_load_file("/nonexistent/x.png", NULL, &im, NULL), SC_EIO);
}

static void test_reject_truncated_and_corrupt(void **st)
{
    seal_img seal, im;
    render(SEAL_RENDER_SQUARE, "张三", NULL, 12, 300, 0, &seal);
    sc_buf png = {0}, jpg = {0};
    assert_int_equal(seal_img_png(&seal, &png, NULL), 0);
    jpeg_encode(&seal, 80, 0, 0, &jpg);
    /* every truncation fails cleanly: no partial picture, no leak */
    for (size_t n = 0; n < png.len; n += 1 + png.len / 97) {
        int rc = seal_img_load(png.p, n, NULL, &im, NULL);
        assert_int_equal(rc, SC_EINVAL);
        assert_null(im.rgba);
    }
    assert_int_equal(seal_img_load(png.p, png.len - 1, NULL, &im, NULL), SC_EINVAL);
    for (size_t n = 0; n < jpg.len; n += 1 + jpg.len / 97) {
        int rc = seal_img_load(jpg.p, n, NULL, &im, NULL);
        assert_int_equal(rc, SC_EINVAL);
        assert_null(im.rgba);
    }
    assert_int_equal(seal_img_load(jpg.p, jpg.len - 2, NULL, &im, NULL), SC_EINVAL);
    /* the whole files load */
    assert_int_equal(seal_img_load(png.p, png.len, NULL, &im, NULL), 0);
    seal_img_free(&im);
    assert_int_equal(seal_img_load(jpg.p, jpg.len, NULL, &im, NULL), 0);
    seal_img_free(&im);
    /* random byte flips: either a picture or a clean error, never a crash or a leak */
    rng_state = 77;
    for (int i = 0; i < 300; i++) {
        sc_buf *src = i % 2 ? &png : &jpg;
        uint8_t *m = malloc(src->len);
        memcpy(m, src->p, src->len);
        for (int k = 0; k < 1 + i % 4; k++)
            m[rng() % src->len] ^= (uint8_t)(1 + rng() % 255);
        int rc = seal_img_load(m, src->len, NULL, &im, NULL);
        if (rc == 0)
            seal_img_free(&im);
        else
            assert_null(im.rgba);
        free(m);
    }
    /* a flipped IDAT byte breaks the CRC: refused */
    uint8_t *m = malloc(png.len);
    memcpy(m, png.p, png.len);
    const uint8_t *idat = memmem(png.p, png.len, "IDAT", 4);
    m[(idat - png.p) + 10] ^= 0x40;
    sc_err e = {0};
    assert_int_equal(seal_img_load(m, png.len, NULL, &im, &e), SC_EINVAL);
    assert_string_equal(e.code, "image.bad_png");
    free(m);
    sc_buf_free(&png);
    sc_buf_free(&jpg);
    seal_img_free(&seal);
}

static void test_reject_huge_and_bombs(void **st)
{
    seal_img im;
    sc_err e = {0};
    sc_buf b = {0};
    /* a 100-byte PNG declaring 100000 x 100000 pixels */
    png_declaring(100000, 100000, &b);
    assert_true(b.len < 200);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, &e), SC_ETOOBIG);
    assert_string_equal(e.code, "image.too_large");
    assert_null(im.rgba);
    /* within the side limit but over the pixel limit: 7900 x 7900 = 62 Mpx */
    b.len = 0;
    png_declaring(7900, 7900, &b);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), SC_ETOOBIG);
    /* 2^31 and zero: IHDR nonsense */
    b.len = 0;
    png_declaring(0x80000000u, 1, &b);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), SC_ETOOBIG);
    b.len = 0;
    png_declaring(0, 16, &b);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), SC_EINVAL);
    /* an honest IHDR with too little data behind it: corrupt, not a crash */
    b.len = 0;
    png_declaring(4000, 4000, &b);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), SC_EINVAL);

    /* JPEG frame headers declaring 60000 x 60000 and 8000 x 7000 */
    b.len = 0;
    jpeg_declaring(60000, 60000, &b);
    sc_err_clear(&e);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, &e), SC_ETOOBIG);
    assert_string_equal(e.code, "image.too_large");
    b.len = 0;
    jpeg_declaring(8000, 7000, &b);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), SC_ETOOBIG);
    b.len = 0;
    jpeg_declaring(3000, 3000, &b); /* allowed size, but the data is 16x16: corrupt */
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), SC_EINVAL);

    /* progressive JPEGs: 192 scans decode; 570 scans are refused as a CPU bomb */
    b.len = 0;
    jpeg_many_scans(1, &b);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), 0);
    assert_int_equal(im.w, 16);
    seal_img_free(&im);
    b.len = 0;
    jpeg_many_scans(3, &b);
    sc_err_clear(&e);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, &e), SC_ETOOBIG);
    assert_string_equal(e.code, "image.too_complex");
    assert_null(im.rgba);

    /* a real decompression bomb: 3000 x 3000 of nothing packs into a few kB */
    seal_img big;
    assert_int_equal(seal_img_new(&big, 3000, 3000, NULL), 0);
    b.len = 0;
    assert_int_equal(seal_img_png(&big, &b, NULL), 0);
    seal_img_free(&big);
    assert_true(b.len < 100000);
    seal_img_limits lim = {.max_pixels = 1000000};
    assert_int_equal(seal_img_load(b.p, b.len, &lim, &im, NULL), SC_ETOOBIG);
    lim = (seal_img_limits){.max_dim = 2000};
    assert_int_equal(seal_img_load(b.p, b.len, &lim, &im, NULL), SC_ETOOBIG);
    /* and within the limits it is an ordinary picture */
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), 0);
    assert_int_equal(im.w, 3000);
    seal_img_free(&im);
    /* ancillary bombs: an 8 MB zTXt (a few kB in the file) and 300 text chunks are dropped
     * by libpng's chunk limits; the picture itself loads */
    b.len = 0;
    png_with_text(1, 8 << 20, 1, &b);
    assert_true(b.len < 100000);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), 0);
    assert_int_equal(im.w, 16);
    seal_img_free(&im);
    b.len = 0;
    png_with_text(300, 10, 0, &b);
    assert_int_equal(seal_img_load(b.p, b.len, NULL, &im, NULL), 0);
    seal_img_free(&im);
    /* the encoded-size limit is the caller's to lower too */
    lim = (seal_img_limits){.max_bytes = b.len - 1};
    assert_int_equal(seal_img_load(b.p, b.len, &lim, &im, NULL), SC_ETOOBIG);
    sc_buf_free(&b);
}

/* ------------------------------------------------------------------- the real fixtures */

/* Every OCTET STRING in the DER tree that starts with a PNG or JPEG signature. */
static int find_pictures(der_r r, const uint8_t **pics, size_t *lens, int n, int max, int depth)
{
    der_tlv t;
    while (depth < 20 && der_next(&r, &t) == 0) {
        if (t.tag == DER_OCTETSTRING && seal_img_sniff(t.val, t.len) != SEAL_IMG_UNKNOWN &&
            n < max) {
            pics[n] = t.val;
            lens[n++] = t.len;
        } else if (t.tag & 0x20) {
            n = find_pictures(der_inner(&t), pics, lens, n, max, depth + 1);
        }
    }
    return n;
}

static void test_fixture_seal_pictures(void **st)
{
    const char *dir = getenv("SEALCA_FIXTURES");
    char path[1024];
    snprintf(path, sizeof(path), "%s/seal", dir ? dir : "../shared/fixtures");
    DIR *d = opendir(path);
    if (d == NULL) fail_msg("fixtures not found at %s (set SEALCA_FIXTURES)", path);
    int seals = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".esl") != 0) continue;
        char f[1400];
        snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
        uint8_t *der = NULL;
        size_t dn = 0;
        assert_int_equal(sc_file_read(f, 1 << 20, &der, &dn), 0);
        const uint8_t *pics[4];
        size_t lens[4];
        int n = find_pictures(der_reader(der, dn), pics, lens, 0, 4, 0);
        assert_true(n >= 1);
        for (int i = 0; i < n; i++) {
            seal_img im, ext;
            sc_err e = {0};
            if (seal_img_load(pics[i], lens[i], NULL, &im, &e) != 0)
                fail_msg("%s: %s", de->d_name, e.msg);
            print_message("%s: %s %ux%u, %llu opaque px\n", de->d_name,
                          seal_img_sniff(pics[i], lens[i]) == SEAL_IMG_PNG ? "PNG" : "JPEG", im.w,
                          im.h, (unsigned long long)opaque(&im));
            assert_true(im.w >= 32 && im.h >= 32 && opaque(&im) > 100);
            assert_int_equal(im.rendering, 0);
            /* its red ink extracts as a seal of about the picture's own extent */
            seal_extract_opts o = {.ink = SEAL_INK_RED, .size_mm = 40};
            seal_extract_info info;
            if (seal_extract(&im, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
            assert_true(info.bw > im.w / 2 && info.bh > im.h / 2);
            double v = iou(&im, &ext);
            print_message("  re-extracted IoU %.3f\n", v);
            assert_true(v > 0.85);
            /* truncating a real producer's file fails cleanly too */
            seal_img_free(&ext);
            assert_int_not_equal(seal_img_load(pics[i], lens[i] / 2, NULL, &ext, NULL), 0);
            seal_img_free(&im);
        }
        free(der);
        seals++;
    }
    closedir(d);
    assert_true(seals >= 3);
}

static void photograph(const seal_img *pg, double tilt, double axis, double roll, double foc,
                       double dist, uint32_t ow, uint32_t oh, seal_img *ph, double h[9]);

/* ------------------------------------------------------------------- the HTTP handler */

static void test_handler_direct(void **st)
{
    seal_img seal, pg;
    render(SEAL_RENDER_ROUND, "杭州示例有限公司", NULL, 42, 300, 0, &seal);
    paper(&pg, 800, 700, 0, 1);
    stamp(&pg, &seal, 150, 100, 1.0);
    sc_buf png = {0};
    assert_int_equal(seal_img_png(&pg, &png, NULL), 0);
    /* a direct call has no query: the defaults (seal, 42 mm at 300 dpi) */
    http_req req = {.method = "POST", .path = "/x", .body = png.p, .bodylen = png.len};
    http_resp resp = {0};
    api_seal_image_extract(NULL, &req, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.ctype, "image/png");
    seal_img out;
    assert_int_equal(seal_img_load(resp.body.p, resp.body.len, NULL, &out, NULL), 0);
    assert_int_equal(out.w, 496);
    print_message("direct IoU %.3f\n", iou(&seal, &out));
    dump(&pg, "direct_src");
    dump(&out, "direct_ext");
    assert_true(iou(&seal, &out) > 0.9);
    seal_img_free(&out);
    sc_buf_free(&resp.body);
    /* not an image: 400 with the loader's code, nothing else */
    resp = (http_resp){0};
    req.body = (const uint8_t *)"plain text";
    req.bodylen = 10;
    api_seal_image_extract(NULL, &req, &resp);
    assert_int_equal(resp.status, 400);
    assert_non_null(memmem(resp.body.p, resp.body.len, "image.not_image", 15));
    sc_buf_free(&resp.body);
    sc_buf_free(&png);
    seal_img_free(&seal);
    seal_img_free(&pg);
}

static size_t curl_sink(char *p, size_t sz, size_t n, void *u)
{
    sc_buf_append(u, p, sz * n);
    return sz * n;
}

static size_t curl_hdr(char *p, size_t sz, size_t n, void *u)
{
    sc_buf_append(u, p, sz * n);
    return sz * n;
}

static long post(unsigned port, const char *query, const char *ctype, const sc_buf *body,
                 sc_buf *out, sc_buf *hdrs)
{
    char url[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/staff/seal-image%s", port, query);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char ct[128];
    snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
    h = curl_slist_append(h, ct);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body->p);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curl_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, curl_hdr);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    out->len = 0;
    hdrs->len = 0;
    long code = 0;
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return code;
}

static void test_handler_over_http(void **st)
{
    /* the handler behind a private route (the lead wires the real one behind staff auth) */
    static const http_route routes[] = {
        {"POST", "/staff/seal-image", 0, SEAL_IMG_MAX_BYTES, api_seal_image_extract}};
    http_opts ho = {.listen = "127.0.0.1:0",
                    .threads = 2,
                    .conn_limit = 16,
                    .idle_timeout = 10,
                    .mem_limit = 32 * 1024};
    http_server *srv = NULL;
    sc_err e = {0};
    if (http_start(&ho, routes, 1, NULL, &srv, &e) != 0) fail_msg("%s", e.msg);
    unsigned port = http_port(srv);

    seal_img round, sq, pg;
    render(SEAL_RENDER_ROUND, "成都示例有限公司", NULL, 42, 300, 1, &round);
    render(SEAL_RENDER_SQUARE, "孙七之印", NULL, 20, 300, 1, &sq);
    paper(&pg, 1100, 700, 0, 21);
    stamp(&pg, &round, 80, 100, 1.0);
    stamp(&pg, &sq, 800, 300, 1.0);
    sc_buf jpg = {0}, out = {0}, hd = {0};
    jpeg_encode(&pg, 85, 0, 0, &jpg);

    /* the reviewer's manual crop around the square seal, at 20 mm */
    long code = post(port, "?kind=seal&crop=760,260,300,300&size_mm=20&threshold=0.2", "image/jpeg",
                     &jpg, &out, &hd);
    assert_int_equal(code, 200);
    assert_non_null(memmem(hd.p, hd.len, "Content-Type: image/png", 23));
    assert_non_null(memmem(hd.p, hd.len, "Cache-Control: no-store", 23));
    assert_non_null(memmem(hd.p, hd.len, "X-Seal-Threshold: 0.200", 23));
    seal_img im;
    assert_int_equal(seal_img_load(out.p, out.len, NULL, &im, NULL), 0);
    assert_int_equal(im.w > im.h ? im.w : im.h, 236);
    assert_true(iou(&sq, &im) > 0.85);
    seal_img_free(&im);
    /* the same with x/y/w/h */
    code = post(port, "?x=760&y=260&w=300&h=300&size_mm=20", "image/jpeg", &jpg, &out, &hd);
    assert_int_equal(code, 200);
    /* the preview */
    code = post(port, "?preview=1", "image/jpeg", &jpg, &out, &hd);
    assert_int_equal(code, 200);
    assert_int_equal(seal_img_load(out.p, out.len, NULL, &im, NULL), 0);
    assert_int_equal(im.h, 360);
    seal_img_free(&im);
    /* refusals: wrong type, mismatched type, bad parameters, no ink */
    assert_int_equal(post(port, "", "text/plain", &jpg, &out, &hd), 415);
    assert_int_equal(post(port, "", "image/png", &jpg, &out, &hd), 400);
    assert_non_null(memmem(out.p, out.len, "image.type_mismatch", 19));
    assert_int_equal(post(port, "?threshold=7", "image/jpeg", &jpg, &out, &hd), 400);
    assert_int_equal(post(port, "?crop=1,2,3", "image/jpeg", &jpg, &out, &hd), 400);
    assert_int_equal(post(port, "?kind=stamp", "image/jpeg", &jpg, &out, &hd), 400);
    assert_int_equal(post(port, "?size_mm=0.1", "image/jpeg", &jpg, &out, &hd), 400);
    assert_int_equal(post(port, "?crop=500,0,100,100", "image/jpeg", &jpg, &out, &hd), 422);
    assert_non_null(memmem(out.p, out.len, "image.no_ink", 12));
    /* a photo taken at an angle: made round by default (deskew=auto), left as is with
     * deskew=off, anything else refused */
    seal_img ph;
    double hm[9];
    photograph(&pg, 28, 90, 0, 4400, 6000, 1000, 700, &ph, hm);
    sc_buf phj = {0};
    jpeg_encode(&ph, 85, 0, 0, &phj);
    code = post(port, "?kind=seal&size_mm=42", "image/jpeg", &phj, &out, &hd);
    assert_int_equal(code, 200);
    assert_non_null(memmem(hd.p, hd.len, "X-Seal-Deskew: round", 20));
    assert_non_null(memmem(hd.p, hd.len, "X-Seal-Axis-Ratio: 0.8", 22));
    assert_int_equal(seal_img_load(out.p, out.len, NULL, &im, NULL), 0);
    assert_true(abs((int)im.w - (int)im.h) <= 6);
    seal_img_free(&im);
    code = post(port, "?kind=seal&size_mm=42&deskew=off", "image/jpeg", &phj, &out, &hd);
    assert_int_equal(code, 200);
    assert_non_null(memmem(hd.p, hd.len, "X-Seal-Deskew: none", 19));
    assert_int_equal(seal_img_load(out.p, out.len, NULL, &im, NULL), 0);
    assert_true(im.w < im.h * 92 / 100); /* squeezed across the tilt axis */
    seal_img_free(&im);
    assert_int_equal(post(port, "?deskew=maybe", "image/jpeg", &phj, &out, &hd), 400);
    assert_non_null(memmem(out.p, out.len, "image.bad_deskew", 16));
    sc_buf_free(&phj);
    seal_img_free(&ph);
    /* a bomb over HTTP */
    sc_buf bomb = {0};
    jpeg_declaring(60000, 60000, &bomb);
    assert_int_equal(post(port, "", "image/jpeg", &bomb, &out, &hd), 413);
    sc_buf_free(&bomb);
    http_stop(srv, 1000);
    sc_buf_free(&jpg);
    sc_buf_free(&out);
    sc_buf_free(&hd);
    seal_img_free(&round);
    seal_img_free(&sq);
    seal_img_free(&pg);
}

/* ------------------------------------------------------- perspective (deskew) and frames */

/* sine and cosine of degrees by their series (the tests link no libm either) */
static void tsincos(double deg, double *s, double *c)
{
    double x = deg * 3.14159265358979323846 / 180, t = x, u = 1;
    *s = 0, *c = 0;
    for (int k = 1; k < 30; k += 2) {
        *s += t;
        *c += u;
        u = -u * x * x / ((k) * (k + 1));
        t = -t * x * x / ((k + 1) * (k + 2));
    }
}

static void m3mul(const double a[9], const double b[9], double o[9])
{
    sealg_mul(a, b, o);
}

static void m3inv(const double m[9], double o[9])
{
    double d = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
               m[2] * (m[3] * m[7] - m[4] * m[6]);
    assert_true(d != 0);
    o[0] = (m[4] * m[8] - m[5] * m[7]) / d, o[1] = (m[2] * m[7] - m[1] * m[8]) / d;
    o[2] = (m[1] * m[5] - m[2] * m[4]) / d, o[3] = (m[5] * m[6] - m[3] * m[8]) / d;
    o[4] = (m[0] * m[8] - m[2] * m[6]) / d, o[5] = (m[2] * m[3] - m[0] * m[5]) / d;
    o[6] = (m[3] * m[7] - m[4] * m[6]) / d, o[7] = (m[1] * m[6] - m[0] * m[7]) / d;
    o[8] = (m[0] * m[4] - m[1] * m[3]) / d;
}

/*
 * A phone photo (ow x oh) of a flat page held at an angle: a pinhole camera of focal length
 * foc looking at the page centre from distance dist, the page tilted by tilt degrees about the
 * in-page axis at axis degrees from horizontal, then rolled by roll degrees. h receives the
 * page -> photo homography. 2x2 supersampled.
 */
static void photograph(const seal_img *pg, double tilt, double axis, double roll, double foc,
                       double dist, uint32_t ow, uint32_t oh, seal_img *ph, double h[9])
{
    double st, ct, sa, ca, sr, cr;
    tsincos(tilt, &st, &ct);
    tsincos(axis, &sa, &ca);
    tsincos(roll, &sr, &cr);
    double rz[9] = {ca, -sa, 0, sa, ca, 0, 0, 0, 1}, rzi[9] = {ca, sa, 0, -sa, ca, 0, 0, 0, 1};
    double rx[9] = {1, 0, 0, 0, ct, -st, 0, st, ct}, rr[9] = {cr, -sr, 0, sr, cr, 0, 0, 0, 1};
    double r[9];
    m3mul(rx, rzi, r);
    m3mul(rz, r, r);
    m3mul(rr, r, r);
    /* [r1 r2 t] with the page centred, then the camera matrix */
    double cx = pg->w / 2.0, cy = pg->h / 2.0;
    double e[9] = {r[0], r[1], -cx * r[0] - cy * r[1],       r[3], r[4], -cx * r[3] - cy * r[4],
                   r[6], r[7], -cx * r[6] - cy * r[7] + dist};
    double k[9] = {foc, 0, ow / 2.0, 0, foc, oh / 2.0, 0, 0, 1};
    m3mul(k, e, h);
    double hi[9];
    m3inv(h, hi);
    assert_int_equal(seal_img_new(ph, ow, oh, NULL), 0);
    for (uint32_t y = 0; y < oh; y++)
        for (uint32_t x = 0; x < ow; x++) {
            int acc[3] = {0, 0, 0};
            for (int s = 0; s < 4; s++) {
                double px, py;
                int in = sealg_apply(hi, x + 0.25 + 0.5 * (s & 1), y + 0.25 + 0.5 * (s >> 1), &px,
                                     &py) == 0 &&
                         px >= 0 && py >= 0 && px < pg->w && py < pg->h;
                /* beyond the page: a grey desk */
                const uint8_t desk[4] = {120, 118, 112, 255};
                const uint8_t *p =
                    in ? pg->rgba + ((size_t)(uint32_t)py * pg->w + (uint32_t)px) * 4 : desk;
                for (int c = 0; c < 3; c++)
                    acc[c] += p[c];
            }
            uint8_t *q = ph->rgba + ((size_t)y * ow + x) * 4;
            for (int c = 0; c < 3; c++)
                q[c] = (uint8_t)(acc[c] / 4);
            q[3] = 255;
        }
}

/* the light falls off across the photo (to 70 %) */
static void shade(seal_img *im)
{
    for (uint32_t y = 0; y < im->h; y++)
        for (uint32_t x = 0; x < im->w; x++) {
            double l = 1.0 - 0.3 * ((double)x / im->w + (double)y / im->h) / 2;
            uint8_t *q = im->rgba + ((size_t)y * im->w + x) * 4;
            for (int c = 0; c < 3; c++)
                q[c] = (uint8_t)(q[c] * l);
        }
}

static void jpeg_roundtrip(seal_img *im, int quality)
{
    sc_buf jpg = {0};
    jpeg_encode(im, quality, 0, 0, &jpg);
    seal_img back;
    assert_int_equal(seal_img_load(jpg.p, jpg.len, NULL, &back, NULL), 0);
    seal_img_free(im);
    *im = back;
    sc_buf_free(&jpg);
}

/* a dark printed frame, thick px wide, centred on the rectangle (x0,y0)-(x1,y1) */
static void frame(seal_img *pg, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1, int thick)
{
    for (uint32_t y = y0 - thick / 2; y <= y1 + thick / 2; y++)
        for (uint32_t x = x0 - thick / 2; x <= x1 + thick / 2; x++) {
            int on = abs((int)x - (int)x0) <= thick / 2 || abs((int)x - (int)x1) <= thick / 2 ||
                     abs((int)y - (int)y0) <= thick / 2 || abs((int)y - (int)y1) <= thick / 2;
            if (!on) continue;
            uint8_t *q = pg->rgba + ((size_t)y * pg->w + x) * 4;
            q[0] = 30, q[1] = 30, q[2] = 36;
        }
}

/* blank the inside of a specimen box */
static void blank(seal_img *pg, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1)
{
    for (uint32_t y = y0; y < y1; y++)
        for (uint32_t x = x0; x < x1; x++)
            memset(pg->rgba + ((size_t)y * pg->w + x) * 4, 244, 3);
}

/* minor / major axis ratio of the image of a small circle at page point (x, y) under h: the
 * singular values of its Jacobian */
static double expected_ratio(const double h[9], double x, double y)
{
    double w = h[6] * x + h[7] * y + h[8];
    double u = (h[0] * x + h[1] * y + h[2]) / w, v = (h[3] * x + h[4] * y + h[5]) / w;
    double a = (h[0] - u * h[6]) / w, b = (h[1] - u * h[7]) / w;
    double c = (h[3] - v * h[6]) / w, d = (h[4] - v * h[7]) / w;
    /* J'J = [[p, q], [q, r]] */
    double p = a * a + c * c, q = a * b + c * d, r = b * b + d * d;
    double mean = (p + r) / 2, dd = sealg_sqrt((p - r) * (p - r) / 4 + q * q);
    return sealg_sqrt((mean - dd) / (mean + dd));
}

/* Intersection over union against the rendered seal with ONE scale for both axes (an ellipse
 * left an ellipse scores low here, unlike iou()), at the best shift of up to 6 px: the ink
 * boxes' centres alone do not register thin strokes after two resamplings. */
static uint64_t iou_at(const seal_img *ref, const seal_img *ext, double s, double ox, double oy,
                       int step, uint64_t *uni)
{
    uint64_t inter = 0;
    *uni = 0;
    for (uint32_t y = 0; y < ref->h; y += step)
        for (uint32_t x = 0; x < ref->w; x += step) {
            int a = ref->rgba[((size_t)y * ref->w + x) * 4 + 3] >= 128;
            double ex = ox + (x + 0.5) / s, ey = oy + (y + 0.5) / s;
            int b = ex >= 0 && ey >= 0 && ex < ext->w && ey < ext->h &&
                    ext->rgba[((size_t)(uint32_t)ey * ext->w + (uint32_t)ex) * 4 + 3] >= 128;
            inter += a && b;
            *uni += a || b;
        }
    return inter;
}

static double iou_uniform(const seal_img *ref, const seal_img *ext)
{
    uint32_t x0, y0, bw, bh, ex0, ey0, ew, eh;
    alpha_box(ref, &x0, &y0, &bw, &bh);
    alpha_box(ext, &ex0, &ey0, &ew, &eh);
    double s = (double)(bw > bh ? bw : bh) / (ew > eh ? ew : eh);
    double ox = ex0 + ew / 2.0 - (x0 + bw / 2.0) / s, oy = ey0 + eh / 2.0 - (y0 + bh / 2.0) / s;
    /* coarse (every 2 px of shift, every 3rd pixel), then ±1 px around the best */
    double best = -1, bx = 0, by = 0, cx = 0, cy = 0;
    for (int dy = -6; dy <= 6; dy += 2)
        for (int dx = -6; dx <= 6; dx += 2) {
            uint64_t uni, in = iou_at(ref, ext, s, ox + dx, oy + dy, 3, &uni);
            double v = uni ? (double)in / uni : 0;
            if (v > best) best = v, cx = dx, cy = dy;
        }
    best = -1;
    for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++) {
            uint64_t uni, in = iou_at(ref, ext, s, ox + cx + dx, oy + cy + dy, 2, &uni);
            double v = uni ? (double)in / uni : 0;
            if (v > best) best = v, bx = cx + dx, by = cy + dy;
        }
    uint64_t uni, in = iou_at(ref, ext, s, ox + bx, oy + by, 1, &uni);
    return uni ? (double)in / uni : 0;
}

static void test_geometry_primitives(void **st)
{
    /* square roots, homography through four points, ellipse through noisy points with gaps */
    assert_true(sealg_sqrt(2) > 1.41421356 && sealg_sqrt(2) < 1.41421357);
    assert_true(sealg_sqrt(0) == 0 && sealg_sqrt(-1) == 0 && sealg_sqrt(1e-10) > 0);
    double from[8] = {0, 0, 100, 0, 100, 50, 0, 50}, to[8] = {10, 20, 130, 5, 120, 90, 5, 70};
    double h[9], x, y;
    assert_int_equal(sealg_homography(from, to, h), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sealg_apply(h, from[2 * i], from[2 * i + 1], &x, &y), 0);
        assert_true(x > to[2 * i] - 1e-6 && x < to[2 * i] + 1e-6);
        assert_true(y > to[2 * i + 1] - 1e-6 && y < to[2 * i + 1] + 1e-6);
    }
    double line[8] = {0, 0, 1, 1, 2, 2, 3, 3};
    assert_int_equal(sealg_homography(line, to, h), -1);
    /* an ellipse a = 200, b = 120 rotated by 30°, centre (400, 300); every tenth point pulled
     * in by 30 % (a gap in the ring exposing text inside) */
    double pts[2 * 360], s30, c30;
    tsincos(30, &s30, &c30);
    for (int k = 0; k < 360; k++) {
        double s, c;
        tsincos(k, &s, &c);
        double r = k % 10 == 3 ? 0.7 : 1.0 + ((k * 7919) % 11 - 5) * 0.0008;
        double ex = 200 * c * r, ey = 120 * s * r;
        pts[2 * k] = 400 + ex * c30 - ey * s30;
        pts[2 * k + 1] = 300 + ex * s30 + ey * c30;
    }
    sealg_ellipse el;
    assert_int_equal(sealg_fit_ellipse(pts, 360, &el), 0);
    print_message("ellipse fit: centre %.2f,%.2f axes %.2f %.2f dir %.4f,%.4f\n", el.cx, el.cy,
                  el.a, el.b, el.ux, el.uy);
    assert_true(el.cx > 399 && el.cx < 401 && el.cy > 299 && el.cy < 301);
    assert_true(el.a > 198 && el.a < 202 && el.b > 118.5 && el.b < 121.5);
    double dot = el.ux * c30 + el.uy * s30;
    assert_true(dot > 0.999 || dot < -0.999);
    assert_int_equal(sealg_fit_ellipse(pts, 5, &el), -1);
    assert_int_equal(sealg_fit_ellipse(line, 4, &el), -1);
}

/* the seal at the page's centre, a 42 mm round one rendered at 300 dpi */
static void test_deskew_round_seal_no_box(void **st)
{
    /* tilt, axis of the tilt */
    const double cases[][2] = {{0.001, 0}, {15, 0}, {25, 90}, {30, 35}, {30, 0}};
    seal_img seal;
    render(SEAL_RENDER_ROUND, "杭州示例数据技术有限公司", "合同专用章", 42, 300, 0, &seal);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        seal_img pg, ph, ext, ext0, again;
        paper(&pg, 1000, 800, 0, 21 + (uint32_t)i);
        stamp(&pg, &seal, 500 - seal.w / 2, 400 - seal.h / 2, 0.85);
        double h[9];
        photograph(&pg, cases[i][0], cases[i][1], 0, 4400, 6000, 900, 760, &ph, h);
        shade(&ph);
        jpeg_roundtrip(&ph, 80);
        double want = expected_ratio(h, 500, 400);
        seal_extract_opts o = {.ink = SEAL_INK_RED, .size_mm = 42, .deskew = SEAL_DESKEW_AUTO};
        seal_extract_info info;
        sc_err e = {0};
        if (seal_extract(&ph, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
        /* without deskew, for comparison */
        o.deskew = SEAL_DESKEW_OFF;
        assert_int_equal(seal_extract(&ph, &o, &ext0, NULL, NULL), 0);
        /* the result measured again: round now */
        seal_extract_info ri;
        o.deskew = SEAL_DESKEW_AUTO;
        o.size_mm = 0;
        assert_int_equal(seal_extract(&ext, &o, &again, &ri, NULL), 0);
        double v = iou_uniform(&seal, &ext), v0 = iou_uniform(&seal, &ext0);
        print_message("tilt %2.0f° axis %2.0f°: axis ratio measured %.3f expected %.3f; after "
                      "%.3f; IoU %.3f (without deskew %.3f); %ux%u px\n",
                      cases[i][0], cases[i][1], info.axis_ratio, want, ri.axis_ratio, v, v0, ext.w,
                      ext.h);
        dump(&ph, "deskew_photo");
        dump(&ext, "deskew_ext");
        assert_false(info.deskew & SEAL_DESKEWED_BOX);
        assert_true(info.axis_ratio > want - 0.02 && info.axis_ratio < want + 0.02);
        assert_true(ri.axis_ratio > 0.98);
        /* 42 mm at 300 dpi across, both ways */
        assert_true(abs((int)ext.w - 496) <= 6 && abs((int)ext.h - 496) <= 6);
        if (cases[i][0] < 1) {
            /* the control, photographed square on: round already, left alone */
            assert_false(info.deskew & SEAL_DESKEWED_ELLIPSE);
            assert_true(v > 0.80);
        } else {
            /* the outline is made exactly round; the perspective inside the seal (here about
             * ±1 % of scale across it) is not undone by an affine map and shifts thin strokes
             * by a pixel or two, hence the lower bound than square on */
            assert_true(info.deskew & SEAL_DESKEWED_ELLIPSE);
            assert_true(v > 0.70);
            assert_true(v > v0 + 0.15);
        }
        /* the region found is the seal's, in the photo's pixels */
        double sx, sy;
        assert_int_equal(sealg_apply(h, 500, 400, &sx, &sy), 0);
        assert_true(info.bx < sx && info.bx + info.bw > sx && info.by < sy &&
                    info.by + info.bh > sy);
        seal_img_free(&again);
        seal_img_free(&ext0);
        seal_img_free(&ext);
        seal_img_free(&ph);
        seal_img_free(&pg);
    }
    seal_img_free(&seal);
}

static void test_deskew_specimen_box(void **st)
{
    /* the 签章采集表 box: a printed frame with the seal inside, photographed at an angle and
     * rolled: the frame is found and rectified, then the seal made round */
    /* tilt, its axis, roll, the seal's centre x (the last one stamped across the frame's right
     * line, as applicants do) */
    const double cases[][4] = {
        {20, 0, 4, 550}, {30, 60, -6, 550}, {28, 120, 8, 550}, {22, 30, 3, 740}};
    seal_img seal;
    render(SEAL_RENDER_ROUND, "成都示例工程咨询有限公司", NULL, 42, 300, 0, &seal);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        seal_img pg, ph, ext;
        paper(&pg, 1100, 900, 0, 40 + (uint32_t)i);
        /* the box, with a clear margin around it as on the printed form */
        blank(&pg, 120, 100, 980, 800);
        frame(&pg, 160, 140, 940, 760, 4);
        stamp(&pg, &seal, (uint32_t)cases[i][3] - seal.w / 2, 450 - seal.h / 2, 0.85);
        double h[9];
        photograph(&pg, cases[i][0], cases[i][1], cases[i][2], 1100, 1700, 1000, 800, &ph, h);
        shade(&ph);
        jpeg_roundtrip(&ph, 80);
        seal_extract_opts o = {.ink = SEAL_INK_RED, .size_mm = 42, .deskew = SEAL_DESKEW_AUTO};
        seal_extract_info info;
        sc_err e = {0};
        if (seal_extract(&ph, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
        dump(&ph, "box_photo");
        dump(&ext, "box_ext");
        assert_true(info.deskew & SEAL_DESKEWED_BOX);
        /* the frame's corners where the camera put them */
        const double corners[8] = {160, 140, 940, 140, 940, 760, 160, 760};
        double worst = 0;
        for (int k = 0; k < 4; k++) {
            double x, y;
            assert_int_equal(sealg_apply(h, corners[2 * k], corners[2 * k + 1], &x, &y), 0);
            double d = sealg_sqrt((x - info.quad[2 * k]) * (x - info.quad[2 * k]) +
                                  (y - info.quad[2 * k + 1]) * (y - info.quad[2 * k + 1]));
            if (d > worst) worst = d;
        }
        double v = iou_uniform(&seal, &ext);
        print_message("box tilt %2.0f° axis %3.0f° roll %2.0f°: corners within %.1f px, axis "
                      "ratio after the box %.3f, IoU %.3f, %ux%u px\n",
                      cases[i][0], cases[i][1], cases[i][2], worst, info.axis_ratio, v, ext.w,
                      ext.h);
        assert_true(worst < 4);
        /* rectified by the frame, the seal is round already (or nearly) */
        assert_true(info.axis_ratio > 0.95);
        assert_true(abs((int)ext.w - 496) <= 8 && abs((int)ext.h - 496) <= 8);
        assert_true(v > 0.80);
        seal_img_free(&ext);
        seal_img_free(&ph);
        seal_img_free(&pg);
    }
    seal_img_free(&seal);
}

/* fraction of the frame's pixels (page (x0,y0)-(x1,y1), thick wide; those within skip_r of
 * (scx, scy) left out) still opaque in ext, whose pixels cover page box (bx, by, bw, bh) */
static double frame_left(const seal_img *ext, const seal_extract_info *info, uint32_t x0,
                         uint32_t y0, uint32_t x1, uint32_t y1, int thick, double scx, double scy,
                         double skip_r)
{
    uint64_t all = 0, left = 0;
    for (uint32_t y = y0 - thick / 2; y <= y1 + thick / 2; y++)
        for (uint32_t x = x0 - thick / 2; x <= x1 + thick / 2; x++) {
            int on = abs((int)x - (int)x0) <= thick / 2 || abs((int)x - (int)x1) <= thick / 2 ||
                     abs((int)y - (int)y0) <= thick / 2 || abs((int)y - (int)y1) <= thick / 2;
            if (!on || (x - scx) * (x - scx) + (y - scy) * (y - scy) < skip_r * skip_r) continue;
            all++;
            if (x < info->bx || y < info->by || x >= info->bx + info->bw ||
                y >= info->by + info->bh)
                continue;
            uint32_t ex = (uint32_t)((x - info->bx + 0.5) * ext->w / info->bw);
            uint32_t ey = (uint32_t)((y - info->by + 0.5) * ext->h / info->bh);
            if (ex < ext->w && ey < ext->h && ext->rgba[((size_t)ey * ext->w + ex) * 4 + 3] >= 128)
                left++;
        }
    return all ? (double)left / all : 1;
}

static void test_frames_removed(void **st)
{
    /* a black signature inside a printed box, one stroke crossing the frame's bottom line;
     * the reviewer crops around the box, frame included */
    seal_img sig, pg, ext, seal;
    signature(&sig, 460, 170, 0.05, 0.05, 0.08);
    paper(&pg, 1000, 700, 0, 61);
    blank(&pg, 110, 210, 890, 560);
    frame(&pg, 150, 250, 850, 520, 4);
    stamp(&pg, &sig, 220, 300, 1.0);
    /* a pen stroke through the bottom line */
    for (uint32_t y = 470; y < 560; y++)
        for (uint32_t x = 0; x < 5; x++) {
            uint8_t *q = pg.rgba + ((size_t)y * pg.w + 600 + x + (y - 470) / 3) * 4;
            q[0] = q[1] = 20, q[2] = 24;
        }
    sc_buf jpg = {0};
    jpeg_encode(&pg, 85, 0, 300, &jpg);
    seal_img back;
    assert_int_equal(seal_img_load(jpg.p, jpg.len, NULL, &back, NULL), 0);
    seal_extract_opts o = {
        .ink = SEAL_INK_DARK, .crop = 1, .cx = 120, .cy = 220, .cw = 760, .ch = 330};
    seal_extract_info info, kinfo;
    sc_err e = {0};
    if (seal_extract(&back, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
    double left = frame_left(&ext, &info, 150, 250, 850, 520, 4, 0, 0, 0);
    /* the same with the lines kept: the frame is all there, so the measure can fail */
    seal_img kept;
    o.keep_lines = 1;
    assert_int_equal(seal_extract(&back, &o, &kept, &kinfo, NULL), 0);
    double kleft = frame_left(&kept, &kinfo, 150, 250, 850, 520, 4, 0, 0, 0);
    uint32_t sx0, sy0, sw, sh;
    alpha_box(&sig, &sx0, &sy0, &sw, &sh);
    print_message("signature in a frame: %u line(s) removed, frame pixels left %.4f (kept: "
                  "%.3f); box %u,%u %ux%u\n",
                  info.lines, left, kleft, info.bx, info.by, info.bw, info.bh);
    dump(&ext, "frame_sig_ext");
    dump(&kept, "frame_sig_kept");
    assert_true(info.lines >= 4);
    assert_true(left < 0.01);
    assert_true(kleft > 0.9);
    /* the signature's box, plus the stroke crossing the frame (down to y = 560) */
    assert_true(abs((int)info.bx - (int)(220 + sx0)) <= 4);
    assert_true(abs((int)info.by - (int)(300 + sy0)) <= 4);
    assert_true(info.by + info.bh >= 548);
    /* the signature's proportions inside the box (down to the frame's bottom line) */
    double sig_ar = (double)info.bw / (520 - info.by);
    /* the crossing stroke survives where it crosses the line */
    uint32_t cx = (uint32_t)((622.0 - info.bx) * ext.w / info.bw),
             cy = (uint32_t)((520.0 - info.by) * ext.h / info.bh);
    int seen = 0;
    for (int dy = -3; dy <= 3; dy++)
        for (int dx = -4; dx <= 4; dx++)
            seen |= ext.rgba[((size_t)(cy + dy) * ext.w + cx + dx) * 4 + 3] >= 128;
    assert_true(seen);
    seal_img_free(&ext);
    seal_img_free(&kept);

    /* a red seal over the frame: black lines are not red ink (no removal needed) */
    render(SEAL_RENDER_ROUND, "南京示例软件有限公司", NULL, 30, 300, 1, &seal);
    stamp(&pg, &seal, 600, 300, 0.9);
    o = (seal_extract_opts){.ink = SEAL_INK_RED, .size_mm = 30};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), 0);
    double rl = frame_left(&ext, &info, 150, 250, 850, 520, 4, 600 + seal.w / 2.0,
                           300 + seal.h / 2.0, seal.w / 2.0 + 3);
    double v = iou(&seal, &ext);
    print_message("red seal over a frame: frame pixels outside the seal left %.4f, IoU %.3f\n", rl,
                  v);
    assert_true(rl == 0);
    assert_true(v > 0.88);
    seal_img_free(&ext);

    /* and photographed at an angle, with deskew: the box is found, the signature comes out
     * without its frame */
    seal_img ph;
    double h[9];
    photograph(&back, 25, 20, 3, 1000, 1500, 900, 700, &ph, h);
    o = (seal_extract_opts){.ink = SEAL_INK_DARK, .size_mm = 50, .deskew = SEAL_DESKEW_AUTO};
    if (seal_extract(&ph, &o, &ext, &info, &e) != 0) fail_msg("%s", e.msg);
    print_message("signature photo: deskew %d, %u line(s) removed, %ux%u\n", info.deskew,
                  info.lines, ext.w, ext.h);
    dump(&ph, "frame_sig_photo");
    dump(&ext, "frame_sig_photo_ext");
    assert_true(info.deskew & SEAL_DESKEWED_BOX);
    assert_true(info.lines >= 4);
    /* with the lines kept the frame is what is found: rectified to its true proportions
     * (700 x 270 between the lines' centres); without, the signature inside it (a signature
     * belongs inside the box: the rectified picture ends at the frame) */
    seal_img kph;
    o.keep_lines = 1;
    assert_int_equal(seal_extract(&ph, &o, &kph, &kinfo, NULL), 0);
    double ar = (double)ext.w / ext.h, kar = (double)kph.w / kph.h;
    print_message("signature photo: result aspect %.2f (signature %.2f); with the lines kept %.2f "
                  "(frame 2.57)\n",
                  ar, sig_ar, kar);
    assert_true(kar > 2.57 * 0.96 && kar < 2.57 * 1.04);
    assert_true(ar > sig_ar * 0.94 && ar < sig_ar * 1.06);
    seal_img_free(&kph);
    seal_img_free(&ext);
    seal_img_free(&ph);
    sc_buf_free(&jpg);
    seal_img_free(&back);
    seal_img_free(&seal);
    seal_img_free(&sig);
    seal_img_free(&pg);
}

static void test_deskew_failures(void **st)
{
    /* no red ink at all, a frame only: a clear 'no stamp' error, nothing produced */
    seal_img pg, ext;
    paper(&pg, 700, 500, 0, 77);
    blank(&pg, 100, 100, 600, 400);
    frame(&pg, 100, 100, 600, 400, 4);
    seal_extract_opts o = {.ink = SEAL_INK_RED, .deskew = SEAL_DESKEW_AUTO};
    seal_extract_info info;
    sc_err e = {0};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, &e), SC_ENOTFOUND);
    assert_string_equal(e.code, "image.no_ink");
    assert_non_null(strstr(e.msg, "未找到印迹"));
    assert_null(ext.rgba);
    assert_int_equal(info.bw, 0);
    /* a crop outside the picture */
    sc_err_clear(&e);
    o.crop = 1, o.cx = 900, o.cy = 0, o.cw = 10, o.ch = 10;
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, &e), SC_EINVAL);
    assert_string_equal(e.code, "image.bad_crop");
    /* a blank sheet: no frame, no ink */
    seal_img_free(&pg);
    assert_int_equal(seal_img_new(&pg, 300, 200, NULL), 0);
    memset(pg.rgba, 255, (size_t)300 * 200 * 4);
    o = (seal_extract_opts){.ink = SEAL_INK_DARK, .deskew = SEAL_DESKEW_AUTO};
    assert_int_equal(seal_extract(&pg, &o, &ext, &info, NULL), SC_ENOTFOUND);
    seal_img_free(&pg);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_round_marked),
        cmocka_unit_test(test_render_square_and_refusals),
        cmocka_unit_test(test_ink_strength),
        cmocka_unit_test(test_extract_from_scan_png),
        cmocka_unit_test(test_extract_from_phone_jpeg),
        cmocka_unit_test(test_extract_square_undoes_foreshortening),
        cmocka_unit_test(test_extract_crop_and_threshold),
        cmocka_unit_test(test_extract_signature),
        cmocka_unit_test(test_geometry_primitives),
        cmocka_unit_test(test_deskew_round_seal_no_box),
        cmocka_unit_test(test_deskew_specimen_box),
        cmocka_unit_test(test_frames_removed),
        cmocka_unit_test(test_deskew_failures),
        cmocka_unit_test(test_reject_not_images),
        cmocka_unit_test(test_reject_truncated_and_corrupt),
        cmocka_unit_test(test_reject_huge_and_bombs),
        cmocka_unit_test(test_fixture_seal_pictures),
        cmocka_unit_test(test_handler_direct),
        cmocka_unit_test(test_handler_over_http),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    seal_render_release();
    return rc;
}
