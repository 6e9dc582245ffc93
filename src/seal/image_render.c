/* image_render.c - standard seal images rendered from text (cairo + pango, Noto CJK) for test
 * data and previews; always marked as a rendering, never a registered seal. */
#include "seal/image.h"

#include <cairo.h>
#include <dlfcn.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

#define MAX_CHARS    40
#define RENDER_FONT  "Noto Serif CJK SC, Noto Sans CJK SC, serif"
#define MARK_TEXT    "样章 SPECIMEN RENDERING"
#define MARK_TEXT_SQ "样章 SPECIMEN"

/* the seal red, the same as extraction's */
static const double RED_R = 0xd0 / 255.0, RED_G = 0x12 / 255.0, RED_B = 0x1e / 255.0;

/* Split UTF-8 text into characters (code points): at most max, each NUL-terminated. */
static int split_chars(const char *s, char out[][5], int max, sc_err *e)
{
    size_t n = strlen(s);
    int k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = sc_utf8_next((const uint8_t *)s + i, n - i, &cp);
        if (l < 0 || sc_utf8_is_control(cp))
            return sc_fail(e, SC_EINVAL, "render.bad_text", "text is not valid UTF-8");
        if (k == max)
            return sc_fail(e, SC_EINVAL, "render.too_long", "at most %d characters (文字过长)",
                           max);
        memcpy(out[k], s + i, (size_t)l);
        out[k][l] = 0;
        k++;
        i += (size_t)l;
    }
    return k;
}

/* Draw text centred on (0,0) of the current transformation, its ink box scaled to fit
 * (fw, fh) when fw,fh > 0 (stretching it: seal lettering fills its cell), else at size px. */
static void draw_text(cairo_t *cr, const char *txt, double size, int bold, double fw, double fh)
{
    PangoLayout *lay = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(RENDER_FONT);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(lay, fd);
    pango_layout_set_text(lay, txt, -1);
    PangoRectangle ink, logical;
    pango_layout_get_extents(lay, &ink, &logical);
    double ix = (double)ink.x / PANGO_SCALE, iy = (double)ink.y / PANGO_SCALE;
    double iw = (double)ink.width / PANGO_SCALE, ih = (double)ink.height / PANGO_SCALE;
    cairo_save(cr);
    if (fw > 0 && fh > 0 && iw > 0 && ih > 0) cairo_scale(cr, fw / iw, fh / ih);
    cairo_move_to(cr, -ix - iw / 2, -iy - ih / 2);
    pango_cairo_show_layout(cr, lay);
    cairo_restore(cr);
    pango_font_description_free(fd);
    g_object_unref(lay);
}

/* Width of text's ink at size px. */
static double text_width(cairo_t *cr, const char *txt, double size)
{
    PangoLayout *lay = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(RENDER_FONT);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(lay, fd);
    pango_layout_set_text(lay, txt, -1);
    PangoRectangle ink;
    pango_layout_get_extents(lay, &ink, NULL);
    pango_font_description_free(fd);
    g_object_unref(lay);
    return (double)ink.width / PANGO_SCALE;
}

/* A five-pointed star, one point up, centred at (cx, cy). */
static void star(cairo_t *cr, double cx, double cy, double r)
{
    double ri = r * 0.381966; /* 1/φ²: the inner pentagon of a regular pentagram */
    cairo_save(cr);
    cairo_translate(cr, cx, cy);
    cairo_move_to(cr, 0, -r);
    /* cairo maps each point through the transformation current when it is added */
    for (int i = 1; i < 10; i++) {
        cairo_rotate(cr, M_PI / 5);
        cairo_line_to(cr, 0, i % 2 ? -ri : -r);
    }
    cairo_close_path(cr);
    cairo_restore(cr);
    cairo_fill(cr);
}

static void draw_round(cairo_t *cr, double S, const seal_render_opts *o, char ch[][5], int n)
{
    double R = S / 2; /* radius */
    double c = R;     /* centre, both coordinates */
    double lw = S * 0.035;
    cairo_set_line_width(cr, lw);
    cairo_arc(cr, c, c, R - lw / 2 - 1, 0, 2 * M_PI);
    cairo_stroke(cr);
    star(cr, c, c, R * 0.27);

    /* the name along the upper arc, each character upright to the centre, centred at the
     * top, spread over at most 250 degrees and shrunk to fit when long */
    double fs = R * 0.24;
    double rt = R - lw - fs * 0.62;
    double step = fs * 1.08 / rt;
    double span = step * (n - 1);
    if (span > 250 * M_PI / 180) {
        step = 250 * M_PI / 180 / (n - 1);
        span = 250 * M_PI / 180;
    }
    for (int i = 0; i < n; i++) {
        double a = -span / 2 + i * step;
        cairo_save(cr);
        cairo_translate(cr, c, c);
        cairo_rotate(cr, a);
        cairo_translate(cr, 0, -rt);
        double gs = fs * 0.92;
        draw_text(cr, ch[i], fs, 1, gs * 0.80, gs);
        cairo_restore(cr);
    }
    if (o->bottom != NULL && *o->bottom) {
        double bs = R * 0.15, w = text_width(cr, o->bottom, bs);
        double maxw = R * 1.15;
        cairo_save(cr);
        cairo_translate(cr, c, c + R * 0.47);
        draw_text(cr, o->bottom, bs, 1, w > maxw ? maxw : w, bs * 0.95);
        cairo_restore(cr);
    }
    if (!o->no_mark) {
        double ms = R * 0.085, w = text_width(cr, MARK_TEXT, ms), maxw = R * 0.98;
        cairo_save(cr);
        cairo_translate(cr, c, c + R * 0.69);
        draw_text(cr, MARK_TEXT, ms, 0, w > maxw ? maxw : w, ms * 0.8);
        cairo_restore(cr);
    }
}

static void draw_square(cairo_t *cr, double S, const seal_render_opts *o, char ch[][5], int n)
{
    double lw = S * 0.06;
    cairo_set_line_width(cr, lw);
    cairo_rectangle(cr, lw / 2 + 1, lw / 2 + 1, S - lw - 2, S - lw - 2);
    cairo_stroke(cr);
    double pad = lw * 1.6;
    double top = pad, left = pad, w = S - 2 * pad;
    double h = w; /* shrinks below by the mark's band */
    if (!o->no_mark) {
        /* a band at the bottom inside the frame carries the mark */
        double band = S * 0.13;
        cairo_save(cr);
        cairo_translate(cr, S / 2, S - pad - band / 2 + lw * 0.3);
        double ms = band * 0.7, tw = text_width(cr, MARK_TEXT_SQ, ms);
        draw_text(cr, MARK_TEXT_SQ, ms, 0, tw > w ? w : tw, ms * 0.75);
        cairo_restore(cr);
        h -= band;
    }
    /* traditional order: columns right to left, each top to bottom */
    int cols = 2, rows = n == 4 ? 2 : 1;
    double cw = w / cols, chh = h / rows, gap = S * 0.02;
    for (int i = 0; i < n; i++) {
        int col = cols - 1 - i / rows, row = i % rows;
        cairo_save(cr);
        cairo_translate(cr, left + cw * col + cw / 2, top + chh * row + chh / 2);
        draw_text(cr, ch[i], chh, 1, cw - gap, chh - gap);
        cairo_restore(cr);
    }
}

int seal_render(const seal_render_opts *o, seal_img *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (o->name == NULL || *o->name == 0)
        return sc_fail(e, SC_EINVAL, "render.no_name", "a seal needs a name (缺少印章文字)");
    char ch[MAX_CHARS][5];
    int n = split_chars(o->name, ch, MAX_CHARS, e);
    if (n < 0) return n;
    if (o->shape == SEAL_RENDER_SQUARE && n != 2 && n != 4)
        return sc_fail(e, SC_EINVAL, "render.square_chars",
                       "a square personal seal has 2 or 4 characters, not %d (方章应为2或4个字)",
                       n);
    if (o->shape == SEAL_RENDER_ROUND && n < 2)
        return sc_fail(e, SC_EINVAL, "render.round_chars", "a round seal name needs 2 characters");
    if (o->bottom != NULL) {
        char tmp[MAX_CHARS][5];
        int nb = split_chars(o->bottom, tmp, 16, e);
        if (nb < 0) return nb;
    }
    double mm = o->size_mm > 0 ? o->size_mm : (o->shape == SEAL_RENDER_ROUND ? 42 : 20);
    double dpi = o->dpi > 0 ? o->dpi : 300;
    if (!(mm >= 5 && mm <= 200) || !(dpi >= 72 && dpi <= 1200) || mm / 25.4 * dpi > 4000)
        return sc_fail(e, SC_EINVAL, "render.bad_size", "size %.1f mm at %.0f dpi refused", mm,
                       dpi);
    int S = (int)(mm / 25.4 * dpi + 0.5);
    if (S < 32) return sc_fail(e, SC_EINVAL, "render.bad_size", "too small to render");

    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, S, S);
    if (cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(sf);
        return sc_fail(e, SC_ENOMEM, "render.cairo", "cannot create a %dx%d surface", S, S);
    }
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, RED_R, RED_G, RED_B);
    if (o->shape == SEAL_RENDER_ROUND)
        draw_round(cr, S, o, ch, n);
    else
        draw_square(cr, S, o, ch, n);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_flush(sf);
    int rc = 0;
    if (st != CAIRO_STATUS_SUCCESS) {
        rc = sc_fail(e, SC_EINTERNAL, "render.cairo", "cairo: %s", cairo_status_to_string(st));
    } else if ((rc = seal_img_new(out, (uint32_t)S, (uint32_t)S, e)) == 0) {
        /* cairo's ARGB32 is premultiplied, native-endian 32-bit words */
        const uint8_t *d = cairo_image_surface_get_data(sf);
        int stride = cairo_image_surface_get_stride(sf);
        for (int y = 0; y < S; y++) {
            const uint32_t *row = (const uint32_t *)(const void *)(d + (size_t)y * stride);
            for (int x = 0; x < S; x++) {
                uint32_t v = row[x];
                unsigned a = v >> 24, r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
                uint8_t *q = out->rgba + ((size_t)y * S + x) * 4;
                if (a > 0) {
                    q[0] = (uint8_t)((r * 255 + a / 2) / a);
                    q[1] = (uint8_t)((g * 255 + a / 2) / a);
                    q[2] = (uint8_t)((b * 255 + a / 2) / a);
                }
                q[3] = (uint8_t)a;
            }
        }
        out->dpi = dpi;
        out->rendering = 1;
    }
    cairo_surface_destroy(sf);
    return rc;
}

void seal_render_release(void)
{
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    /* fontconfig's own configuration: FcFini, looked up at run time because the build links
     * fontconfig only through pango (it is loaded whenever anything was rendered) */
    void (*fcfini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
    if (fcfini != NULL) fcfini();
}
