/* image_extract.c - find a red stamp (or a black/blue signature) on a scanned specimen sheet or
 * phone photo and turn its ink into a transparent picture at a stated physical size. */
#include "seal/image.h"

#include <stdlib.h>
#include <string.h>

#include "seal/image_geom.h"

/* Component analysis runs on a grid of blocks of at most this many on the longer side: a
 * 12 Mpx photo is labelled as ~1 M blocks, not 12 M pixels. */
#define GRID_MAX       1000
#define OUT_MAX_PX     4000 /* longest side of a result (200 mm at 508 dpi) */
#define PREVIEW_H      360
#define DEFAULT_DPI    300.0
#define DEFAULT_SEALMM 42.0
#define DEFAULT_SIGMM  50.0

/* the colours of the result */
static const uint8_t INK_RED[3] = {0xd0, 0x12, 0x1e};
static const uint8_t INK_BLACK[3] = {0x14, 0x14, 0x14};
static const uint8_t INK_BLUE[3] = {0x14, 0x2c, 0x9a};

static int imax(int a, int b)
{
    return a > b ? a : b;
}

/* rounding of a non-negative value (no libm: the build links none) */
static uint32_t rnd(double v)
{
    return v <= 0 ? 0 : (uint32_t)(v + 0.5);
}

uint8_t seal_ink_strength(seal_ink ink, const uint8_t px[4])
{
    /* over white: a transparent pixel is paper */
    int a = px[3];
    int r = (px[0] * a + 255 * (255 - a)) / 255;
    int g = (px[1] * a + 255 * (255 - a)) / 255;
    int b = (px[2] * a + 255 * (255 - a)) / 255;
    int red = r - imax(g, b); /* > 0: the red channel stands out */
    int s;
    if (ink == SEAL_INK_RED) {
        /* Redness, minus half the green/blue imbalance, keeps the hue within roughly ±20° of
         * red: orange (255,165,0) and magenta (200,50,150) score ~0; paper and black text,
         * being grey, score 0 whatever their brightness. */
        s = red - abs(g - b) / 2;
    } else {
        /* darkness (255 - luma, BT.601), minus twice the redness so a red stamp over the
         * signature does not count as signature ink; blue ink is dark in luma. */
        s = 255 - (299 * r + 587 * g + 114 * b) / 1000 - 2 * (red > 0 ? red : 0);
    }
    return (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
}

/* Per-channel gain so the paper is white: the 97th percentile of each channel (paper is the
 * brightest large area of a specimen sheet) is mapped to 255. Undoes a phone's warm or grey
 * cast before colours are judged. */
static void white_balance(const seal_img *im, uint32_t x0, uint32_t y0, uint32_t w, uint32_t h,
                          uint8_t lut[3][256])
{
    uint32_t hist[3][256];
    memset(hist, 0, sizeof(hist));
    uint64_t total = (uint64_t)w * h;
    uint32_t step = 1; /* sample at most ~1 M pixels */
    while (total / ((uint64_t)step * step) > 1000000)
        step++;
    uint64_t cnt = 0;
    for (uint32_t y = y0; y < y0 + h; y += step)
        for (uint32_t x = x0; x < x0 + w; x += step) {
            const uint8_t *p = im->rgba + ((size_t)y * im->w + x) * 4;
            for (int c = 0; c < 3; c++)
                hist[c][(p[c] * p[3] + 255 * (255 - p[3])) / 255]++;
            cnt++;
        }
    for (int c = 0; c < 3; c++) {
        uint64_t acc = 0, want = cnt - cnt * 97 / 100;
        int v = 255;
        while (v > 0 && acc + hist[c][v] < want)
            acc += hist[c][v--];
        /* a dark or coloured picture with no paper: leave it alone */
        double gain = v < 96 ? 1.0 : 255.0 / v;
        if (gain > 2.5) gain = 2.5;
        for (int i = 0; i < 256; i++) {
            double o = i * gain;
            lut[c][i] = (uint8_t)(o > 255 ? 255 : o + 0.5);
        }
    }
}

/* The lighting of a phone photo: a coarse grid of gains that brings the local paper
 * brightness to white (a shadow across the sheet would otherwise weaken the ink there).
 * Only brightness varies locally; the colour balance is the region's (global LUT), so a cell
 * mostly covered by red ink cannot tint itself grey. */
typedef struct norm {
    uint8_t lut[3][256];
    float *gain;     /* gx x gy, one per cell */
    uint32_t gx, gy; /* grid size */
    uint32_t cell;   /* cell side in pixels */
    uint32_t rx, ry; /* the region's origin in the picture */
} norm;

/* over white, then the global balance */
static void balanced(const norm *n, const uint8_t *p, int q[3])
{
    for (int c = 0; c < 3; c++)
        q[c] = n->lut[c][(p[c] * p[3] + 255 * (255 - p[3])) / 255];
}

static int illumination(norm *n, const seal_img *im, uint32_t rw, uint32_t rh, sc_err *e)
{
    uint32_t md = (uint32_t)imax((int)rw, (int)rh);
    n->cell = md / 10 > 24 ? md / 10 : 24;
    n->gx = (rw + n->cell - 1) / n->cell;
    n->gy = (rh + n->cell - 1) / n->cell;
    n->gain = malloc(sizeof(float) * n->gx * n->gy);
    if (n->gain == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    for (uint32_t cy = 0; cy < n->gy; cy++)
        for (uint32_t cx = 0; cx < n->gx; cx++) {
            uint32_t x0 = cx * n->cell, y0 = cy * n->cell;
            uint32_t x1 = x0 + n->cell < rw ? x0 + n->cell : rw;
            uint32_t y1 = y0 + n->cell < rh ? y0 + n->cell : rh;
            uint32_t step = 1;
            while ((uint64_t)((x1 - x0) / step) * ((y1 - y0) / step) > 4096)
                step++;
            uint32_t hist[256] = {0}, cnt = 0;
            for (uint32_t y = y0; y < y1; y += step)
                for (uint32_t x = x0; x < x1; x += step) {
                    int q[3];
                    balanced(n, im->rgba + ((size_t)(n->ry + y) * im->w + n->rx + x) * 4, q);
                    hist[(q[0] + q[1] + q[2]) / 3]++;
                    cnt++;
                }
            /* the 95th percentile: paper, even in a cell crossed by ink and print */
            uint32_t acc = 0, want = cnt - cnt * 95 / 100;
            int v = 255;
            while (v > 0 && acc + hist[v] < want)
                acc += hist[v--];
            double g = v < 48 ? 1.0 : 255.0 / v;
            n->gain[cy * n->gx + cx] = (float)(g < 1 ? 1 : g > 2.2 ? 2.2 : g);
        }
    return 0;
}

/* Bilinear gain between cell centres at region coordinates (x, y). */
static float gain_at(const norm *n, uint32_t x, uint32_t y)
{
    double fx = ((double)x + 0.5) / n->cell - 0.5, fy = ((double)y + 0.5) / n->cell - 0.5;
    if (fx < 0) fx = 0;
    if (fy < 0) fy = 0;
    if (fx > n->gx - 1) fx = n->gx - 1;
    if (fy > n->gy - 1) fy = n->gy - 1;
    uint32_t x0 = (uint32_t)fx, y0 = (uint32_t)fy;
    uint32_t x1 = x0 + 1 < n->gx ? x0 + 1 : x0, y1 = y0 + 1 < n->gy ? y0 + 1 : y0;
    double ax = fx - x0, ay = fy - y0;
    const float *g = n->gain;
    double top = g[y0 * n->gx + x0] * (1 - ax) + g[y0 * n->gx + x1] * ax;
    double bot = g[y1 * n->gx + x0] * (1 - ax) + g[y1 * n->gx + x1] * ax;
    return (float)(top * (1 - ay) + bot * ay);
}

/* The normalised colour of region pixel (x, y) under lighting gain g. */
static void norm_px_g(const norm *n, const seal_img *im, uint32_t x, uint32_t y, float g,
                      uint8_t q[4])
{
    int b[3];
    balanced(n, im->rgba + ((size_t)(n->ry + y) * im->w + n->rx + x) * 4, b);
    for (int c = 0; c < 3; c++) {
        float v = b[c] * g;
        q[c] = (uint8_t)(v > 255 ? 255 : v);
    }
    q[3] = 255;
}

static void norm_px(const norm *n, const seal_img *im, uint32_t x, uint32_t y, uint8_t q[4])
{
    norm_px_g(n, im, x, y, gain_at(n, x, y), q);
}

static uint8_t strength_at(const norm *n, const seal_img *im, seal_ink ink, uint32_t x, uint32_t y)
{
    uint8_t q[4];
    norm_px(n, im, x, y, q);
    return seal_ink_strength(ink, q);
}

typedef struct comp {
    uint64_t area;
    uint32_t x0, y0, x1, y1; /* inclusive, grid units */
    int sel;
} comp;

/* Separable area-average resampling of one float plane: exact for shrinking, piecewise for
 * enlarging. dst is dw x dh; tmp is dw x sh. */
static void resample_row(const float *s, uint32_t sn, float *d, uint32_t dn, size_t dstride)
{
    double scale = (double)sn / dn;
    for (uint32_t i = 0; i < dn; i++) {
        double a = i * scale, b = (i + 1) * scale, acc = 0;
        uint32_t j0 = (uint32_t)a, j1 = (uint32_t)b;
        if (j1 < b) j1++;
        if (j1 > sn) j1 = sn;
        for (uint32_t j = j0; j < j1; j++) {
            double lo = j > a ? j : a, hi = j + 1 < b ? j + 1 : b;
            if (hi > lo) acc += (hi - lo) * s[j];
        }
        d[(size_t)i * dstride] = (float)(acc / (b - a));
    }
}

static int clamp_rect(const seal_img *src, const seal_extract_opts *o, uint32_t *x0, uint32_t *y0,
                      uint32_t *w, uint32_t *h, sc_err *e)
{
    if (!o->crop) {
        *x0 = *y0 = 0;
        *w = src->w;
        *h = src->h;
        return 0;
    }
    if (o->cw == 0 || o->ch == 0 || o->cx >= src->w || o->cy >= src->h)
        return sc_fail(e, SC_EINVAL, "image.bad_crop",
                       "crop %u,%u %ux%u lies outside the %ux%u picture (裁剪区域超出图片范围)",
                       o->cx, o->cy, o->cw, o->ch, src->w, src->h);
    *x0 = o->cx;
    *y0 = o->cy;
    *w = o->cw > src->w - o->cx ? src->w - o->cx : o->cw;
    *h = o->ch > src->h - o->cy ? src->h - o->cy : o->ch;
    return 0;
}

typedef struct ext_ctx {
    uint8_t *grid;   /* max strength per block */
    uint32_t *lab;   /* union-find parents per block */
    comp *comps;     /* per root */
    uint8_t *keep;   /* per block: selected (dilated by one block) */
    float *rowbuf;   /* alpha of one source row of the box */
    float *tmp;      /* ow x bh */
    float *colbuf;   /* one column of tmp */
    float *colout;   /* one column of the result */
    uint32_t *remap; /* root -> comp index */
    uint8_t *sm;     /* ink strength in the box */
    uint8_t *dark;   /* per box pixel: dark print that may hide red ink */
    norm nm;         /* colour balance and lighting */
    float *gblk;     /* lighting gain per block of one grid row */
    uint8_t *lm;     /* signature: per region pixel, dark (0x1) / on a thin straight line (0x2) */
    uint32_t nlines; /* lines found in lm */
    int want_ell;    /* fit an ellipse to the outer boundary of the ink (deskew of a seal) */
    int ell_ok;
    sealg_ellipse ell; /* in source pixels */
} ext_ctx;

static void ext_free(ext_ctx *c)
{
    free(c->grid);
    free(c->lab);
    free(c->comps);
    free(c->keep);
    free(c->rowbuf);
    free(c->tmp);
    free(c->colbuf);
    free(c->colout);
    free(c->remap);
    free(c->sm);
    free(c->dark);
    free(c->nm.gain);
    free(c->gblk);
    free(c->lm);
}

/* ink strength at region pixel (x, y), nothing on a removed line */
static uint8_t cstrength(const ext_ctx *c, const seal_img *im, seal_ink ink, uint32_t rw,
                         uint32_t x, uint32_t y)
{
    if (c->lm != NULL && (c->lm[(size_t)y * rw + x] & 0x2)) return 0;
    return strength_at(&c->nm, im, ink, x, y);
}

/* Taylor series of cos and sin for a small angle (|t| < 0.1): no libm */
static void small_sincos(double t, double *co, double *si)
{
    double t2 = t * t;
    *co = 1 - t2 / 2 * (1 - t2 / 12 * (1 - t2 / 30 * (1 - t2 / 56)));
    *si = t * (1 - t2 / 6 * (1 - t2 / 20 * (1 - t2 / 42 * (1 - t2 / 72))));
}

#define ELL_RAYS 360

/* The outer boundary of the selected ink, seen from the centre of its box along ELL_RAYS
 * rays (the farthest ink on each: a seal's ring, whatever text lies inside), and the ellipse
 * through it. */
static void ink_ellipse(ext_ctx *c, const seal_img *src, seal_ink ink, uint8_t t8, uint32_t rw,
                        uint32_t f, uint32_t gw, uint32_t bx0, uint32_t by0, uint32_t bx1,
                        uint32_t by1)
{
    double pts[2 * ELL_RAYS];
    double cx = (bx0 + bx1 + 1) / 2.0, cy = (by0 + by1 + 1) / 2.0;
    double bw = bx1 - bx0 + 1, bh = by1 - by0 + 1;
    double rmax = sealg_sqrt(bw * bw + bh * bh) / 2 + 2;
    double c1, s1, co = 1, si = 0;
    small_sincos(2 * 3.14159265358979323846 / ELL_RAYS, &c1, &s1);
    size_t n = 0;
    for (int k = 0; k < ELL_RAYS; k++) {
        for (double t = rmax; t > 0; t -= 0.5) {
            double px = cx + t * co, py = cy + t * si;
            if (!(px >= bx0 && py >= by0 && px < bx1 + 1 && py < by1 + 1)) continue;
            uint32_t x = (uint32_t)px, y = (uint32_t)py;
            if (!c->keep[(size_t)(y / f) * gw + x / f]) continue;
            if (cstrength(c, src, ink, rw, x, y) < t8) continue;
            pts[2 * n] = px + c->nm.rx;
            pts[2 * n + 1] = py + c->nm.ry;
            n++;
            break;
        }
        double nc = co * c1 - si * s1, ns = si * c1 + co * s1;
        co = nc, si = ns;
    }
    c->ell_ok = sealg_fit_ellipse(pts, n, &c->ell) == 0;
}

static int extract(ext_ctx *c, const seal_img *src, const seal_extract_opts *o, seal_img *out,
                   seal_extract_info *info, sc_err *e)
{
    if (src->rgba == NULL || src->w == 0 || src->h == 0)
        return sc_fail(e, SC_EINVAL, "image.empty", "no picture");
    double thr = o->threshold > 0
                     ? o->threshold
                     : (o->ink == SEAL_INK_RED ? SEAL_THRESHOLD_RED : SEAL_THRESHOLD_DARK);
    if (!(thr > 0 && thr < 1))
        return sc_fail(e, SC_EINVAL, "image.bad_threshold",
                       "threshold must lie between 0 and 1 (阈值应在0到1之间)");
    double dpi = o->dpi > 0 ? o->dpi : DEFAULT_DPI;
    if (!(dpi >= 72 && dpi <= 1200))
        return sc_fail(e, SC_EINVAL, "image.bad_dpi", "dpi must lie between 72 and 1200");
    if (o->size_mm != 0 && !(o->size_mm >= 5 && o->size_mm <= 200))
        return sc_fail(e, SC_EINVAL, "image.bad_size",
                       "size must lie between 5 and 200 mm (尺寸应在5到200毫米之间)");
    uint32_t rx = 0, ry = 0, rw = 0, rh = 0;
    int rc = clamp_rect(src, o, &rx, &ry, &rw, &rh, e);
    if (rc != 0) return rc;

    norm *nm = &c->nm;
    nm->rx = rx;
    nm->ry = ry;
    white_balance(src, rx, ry, rw, rh, nm->lut);
    rc = illumination(nm, src, rw, rh, e);
    if (rc != 0) return rc;
    uint8_t t8 = (uint8_t)rnd(thr * 255);
    if (t8 == 0) t8 = 1;

    /* 0. a signature: thin straight lines (a printed frame, form lines) are not ink */
    if (o->ink == SEAL_INK_DARK && !o->keep_lines) {
        c->lm = malloc((size_t)rw * rh);
        if (c->lm == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
        for (uint32_t y = 0; y < rh; y++)
            for (uint32_t x = 0; x < rw; x++)
                c->lm[(size_t)y * rw + x] = strength_at(nm, src, SEAL_INK_DARK, x, y) >= t8;
        uint32_t big = (uint32_t)imax((int)rw, (int)rh);
        uint32_t minlen = big / 8 > 32 ? big / 8 : 32;
        uint32_t thick = (rw + rh) / 150 > 7 ? (rw + rh) / 150 : 7;
        rc = sealg_mark_lines(c->lm, rw, rh, minlen, thick, &c->nlines, e);
        if (rc != 0) return rc;
    }

    /* 1. block grid of maximum strength: thin strokes survive, and touching blocks join */
    uint32_t f = (imax((int)rw, (int)rh) + GRID_MAX - 1) / GRID_MAX;
    if (f == 0) f = 1;
    uint32_t gw = (rw + f - 1) / f, gh = (rh + f - 1) / f;
    size_t gn = (size_t)gw * gh;
    c->grid = calloc(gn, 1);
    c->lab = malloc(gn * sizeof(uint32_t));
    c->keep = calloc(gn, 1);
    if (c->grid == NULL || c->lab == NULL || c->keep == NULL)
        return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    c->gblk = malloc(sizeof(float) * gw);
    if (c->gblk == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    for (uint32_t y = 0; y < rh; y++) {
        /* the lighting varies over hundreds of pixels: one gain per block is plenty here */
        if (y % f == 0)
            for (uint32_t bx = 0; bx < gw; bx++)
                c->gblk[bx] = gain_at(nm, bx * f + f / 2, y);
        for (uint32_t x = 0; x < rw; x++) {
            uint8_t q[4];
            norm_px_g(nm, src, x, y, c->gblk[x / f], q);
            uint8_t s = seal_ink_strength(o->ink, q);
            if (c->lm != NULL && (c->lm[(size_t)y * rw + x] & 0x2)) s = 0;
            uint8_t *g = &c->grid[(size_t)(y / f) * gw + x / f];
            if (s > *g) *g = s;
        }
    }

    /* 2. 8-connected components of ink blocks */
    for (size_t i = 0; i < gn; i++)
        c->lab[i] = (uint32_t)i;
    for (uint32_t y = 0; y < gh; y++)
        for (uint32_t x = 0; x < gw; x++) {
            size_t i = (size_t)y * gw + x;
            if (c->grid[i] < t8) continue;
            if (x > 0 && c->grid[i - 1] >= t8) sealg_uf_union(c->lab, (uint32_t)i, (uint32_t)i - 1);
            if (y > 0) {
                size_t u = i - gw;
                if (c->grid[u] >= t8) sealg_uf_union(c->lab, (uint32_t)i, (uint32_t)u);
                if (x > 0 && c->grid[u - 1] >= t8)
                    sealg_uf_union(c->lab, (uint32_t)i, (uint32_t)u - 1);
                if (x + 1 < gw && c->grid[u + 1] >= t8)
                    sealg_uf_union(c->lab, (uint32_t)i, (uint32_t)u + 1);
            }
        }
    c->remap = malloc(gn * sizeof(uint32_t));
    if (c->remap == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    uint32_t nc = 0;
    for (size_t i = 0; i < gn; i++)
        if (c->grid[i] >= t8 && c->lab[i] == i) c->remap[i] = nc++;
    if (nc == 0)
        return sc_fail(e, SC_ENOTFOUND, "image.no_ink",
                       "no %s ink above threshold %.2f found; lower the threshold or adjust the "
                       "crop (未找到印迹，请调低阈值或调整裁剪区域)",
                       o->ink == SEAL_INK_RED ? "red" : "dark", thr);
    c->comps = calloc(nc, sizeof(comp));
    if (c->comps == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    for (uint32_t i = 0; i < nc; i++)
        c->comps[i].x0 = c->comps[i].y0 = UINT32_MAX;
    for (uint32_t y = 0; y < gh; y++)
        for (uint32_t x = 0; x < gw; x++) {
            size_t i = (size_t)y * gw + x;
            if (c->grid[i] < t8) continue;
            comp *k = &c->comps[c->remap[sealg_uf_find(c->lab, (uint32_t)i)]];
            k->area++;
            if (x < k->x0) k->x0 = x;
            if (y < k->y0) k->y0 = y;
            if (x > k->x1) k->x1 = x;
            if (y > k->y1) k->y1 = y;
        }

    /* 3. the group: the largest component, then every component of some size whose box
     * touches the group's box widened by a margin (a seal's characters and star sit inside
     * its ring; a signature's strokes sit side by side), until nothing more joins. */
    /* the main component is the one with the largest box, not the most ink: a seal's ring
     * or a signature's sweep spans more than a line of dense printed text */
    uint32_t big = 0;
    uint64_t bigbox = 0;
    for (uint32_t i = 0; i < nc; i++) {
        comp *k = &c->comps[i];
        uint64_t box = (uint64_t)(k->x1 - k->x0 + 1) * (k->y1 - k->y0 + 1);
        if (box > bigbox || (box == bigbox && k->area > c->comps[big].area)) big = i, bigbox = box;
    }
    uint64_t minarea = c->comps[big].area / 1500 + 2;
    uint32_t ux0, uy0, ux1, uy1;
    if (o->all_ink) {
        ux0 = uy0 = UINT32_MAX;
        ux1 = uy1 = 0;
        for (uint32_t i = 0; i < nc; i++) {
            comp *k = &c->comps[i];
            if (k->area < minarea && i != big) continue;
            k->sel = 1;
            if (k->x0 < ux0) ux0 = k->x0;
            if (k->y0 < uy0) uy0 = k->y0;
            if (k->x1 > ux1) ux1 = k->x1;
            if (k->y1 > uy1) uy1 = k->y1;
        }
    } else {
        c->comps[big].sel = 1;
        ux0 = c->comps[big].x0, uy0 = c->comps[big].y0;
        ux1 = c->comps[big].x1, uy1 = c->comps[big].y1;
        for (int changed = 1; changed;) {
            changed = 0;
            uint32_t dim = imax((int)(ux1 - ux0), (int)(uy1 - uy0)) + 1;
            double mf = o->ink == SEAL_INK_RED ? 0.06 : 0.12;
            int64_t m = (int64_t)(dim * mf) + 1;
            for (uint32_t i = 0; i < nc; i++) {
                comp *k = &c->comps[i];
                /* inside the group's box any mark but a lone speck belongs (the dot of a
                 * character, thin small text); around it only substantial ink */
                int inside = k->x0 >= ux0 && k->x1 <= ux1 && k->y0 >= uy0 && k->y1 <= uy1;
                if (k->sel || k->area < (inside ? 3 : minarea)) continue;
                if ((int64_t)k->x1 < (int64_t)ux0 - m || (int64_t)k->x0 > (int64_t)ux1 + m ||
                    (int64_t)k->y1 < (int64_t)uy0 - m || (int64_t)k->y0 > (int64_t)uy1 + m)
                    continue;
                k->sel = 1;
                changed = 1;
                if (k->x0 < ux0) ux0 = k->x0;
                if (k->y0 < uy0) uy0 = k->y0;
                if (k->x1 > ux1) ux1 = k->x1;
                if (k->y1 > uy1) uy1 = k->y1;
            }
        }
    }
    uint32_t nsel = 0;
    for (uint32_t i = 0; i < nc; i++)
        nsel += c->comps[i].sel != 0;
    /* selected blocks, dilated by one block so antialiased edges are not cut */
    for (uint32_t y = 0; y < gh; y++)
        for (uint32_t x = 0; x < gw; x++) {
            size_t i = (size_t)y * gw + x;
            if (c->grid[i] < t8 || !c->comps[c->remap[sealg_uf_find(c->lab, (uint32_t)i)]].sel)
                continue;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int64_t xx = (int64_t)x + dx, yy = (int64_t)y + dy;
                    if (xx >= 0 && yy >= 0 && xx < gw && yy < gh) c->keep[yy * gw + xx] = 1;
                }
        }

    /* 4. the tight box of ink pixels (full resolution) inside the selected blocks */
    uint32_t bx0 = UINT32_MAX, by0 = UINT32_MAX, bx1 = 0, by1 = 0;
    uint32_t sx0 = ux0 > 0 ? (ux0 - 1) * f : 0, sy0 = uy0 > 0 ? (uy0 - 1) * f : 0;
    uint32_t sx1 = (ux1 + 2) * f, sy1 = (uy1 + 2) * f;
    if (sx1 > rw) sx1 = rw;
    if (sy1 > rh) sy1 = rh;
    for (uint32_t y = sy0; y < sy1; y++)
        for (uint32_t x = sx0; x < sx1; x++) {
            if (!c->keep[(size_t)(y / f) * gw + x / f]) continue;
            if (cstrength(c, src, o->ink, rw, x, y) < t8) continue;
            if (x < bx0) bx0 = x;
            if (y < by0) by0 = y;
            if (x > bx1) bx1 = x;
            if (y > by1) by1 = y;
        }
    if (bx0 == UINT32_MAX)
        return sc_fail(e, SC_EINTERNAL, "image.no_ink", "ink blocks without ink pixels");
    uint32_t bw = bx1 - bx0 + 1, bh = by1 - by0 + 1;
    if (c->want_ell) ink_ellipse(c, src, o->ink, t8, rw, f, gw, bx0, by0, bx1, by1);

    /* 5. size: the stated one, else the scan's own when it says its DPI, else the default */
    double size_mm = o->size_mm;
    if (size_mm == 0 && src->dpi >= 72) size_mm = imax((int)bw, (int)bh) / src->dpi * 25.4;
    if (size_mm == 0 || size_mm < 5 || size_mm > 200)
        size_mm = o->ink == SEAL_INK_RED ? DEFAULT_SEALMM : DEFAULT_SIGMM;
    double lpx = size_mm / 25.4 * dpi;
    if (lpx > OUT_MAX_PX)
        return sc_fail(e, SC_EINVAL, "image.bad_size", "%.0f mm at %.0f dpi is too many pixels",
                       size_mm, dpi);
    double scale = lpx / imax((int)bw, (int)bh);
    uint32_t ow = rnd(bw * scale), oh = rnd(bh * scale);
    if (o->square) ow = oh = rnd(lpx);
    if (ow == 0) ow = 1;
    if (oh == 0) oh = 1;

    /* 6. alpha from ink strength: a ramp from half the threshold to a little above it, so
     * faint ink is faint and solid ink is opaque; then area-resampled to the result size */
    double lo = t8 * 0.5, hi = t8 * 2.2 > 255 ? 255 : t8 * 2.2;
    c->rowbuf = malloc(sizeof(float) * bw);
    c->tmp = malloc(sizeof(float) * (size_t)ow * bh);
    c->colbuf = malloc(sizeof(float) * bh);
    c->colout = malloc(sizeof(float) * oh);
    if (c->rowbuf == NULL || c->tmp == NULL || c->colbuf == NULL || c->colout == NULL)
        return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    c->sm = malloc((size_t)bw * bh);
    c->dark = calloc((size_t)bw * bh, 1);
    if (c->sm == NULL || c->dark == NULL)
        return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    int64_t bluesum = 0, inkn = 0;
    for (uint32_t y = 0; y < bh; y++)
        for (uint32_t x = 0; x < bw; x++) {
            uint32_t px = bx0 + x, py = by0 + y;
            size_t i = (size_t)y * bw + x;
            uint8_t q[4];
            norm_px(nm, src, px, py, q);
            uint8_t s = 0;
            if (c->keep[(size_t)(py / f) * gw + px / f]) {
                s = cstrength(c, src, o->ink, rw, px, py);
                if (s >= t8 && o->ink == SEAL_INK_DARK) {
                    bluesum += (int)q[2] - imax(q[0], q[1]);
                    inkn++;
                }
            }
            c->sm[i] = s;
            if (o->ink == SEAL_INK_RED && s < t8) {
                c->dark[i] = seal_ink_strength(SEAL_INK_DARK, q) > 150;
            }
        }
    /* Red ink stamped over black print shows black: those pixels hide ink. A dark pixel
     * with ink on both sides within a stroke's width (horizontally or vertically) is
     * taken as ink, which closes the gaps printed text cuts through a ring or a star. */
    if (o->ink == SEAL_INK_RED) {
        int r = imax(2, imax((int)bw, (int)bh) / 120);
        for (uint32_t y = 0; y < bh; y++)
            for (uint32_t x = 0; x < bw; x++) {
                size_t i = (size_t)y * bw + x;
                if (!c->dark[i]) continue;
                uint8_t l = 0, rr = 0, u = 0, d = 0;
                for (int k = 1; k <= r; k++) {
                    if (x >= (uint32_t)k && c->sm[i - k] > l) l = c->sm[i - k];
                    if (x + k < bw && c->sm[i + k] > rr) rr = c->sm[i + k];
                    if (y >= (uint32_t)k && c->sm[i - (size_t)k * bw] > u)
                        u = c->sm[i - (size_t)k * bw];
                    if (y + k < bh && c->sm[i + (size_t)k * bw] > d) d = c->sm[i + (size_t)k * bw];
                }
                uint8_t hfill = l < rr ? l : rr, vfill = u < d ? u : d;
                uint8_t fill = hfill > vfill ? hfill : vfill;
                /* marked 0x80 | value so a filled pixel does not feed its neighbours */
                c->dark[i] = fill >= t8 ? (uint8_t)(0x80 | (fill >> 1)) : 0;
            }
        for (size_t i = 0; i < (size_t)bw * bh; i++)
            if (c->dark[i] & 0x80) c->sm[i] = (uint8_t)((c->dark[i] & 0x7f) << 1);
    }
    for (uint32_t y = 0; y < bh; y++) {
        for (uint32_t x = 0; x < bw; x++) {
            double a = (c->sm[(size_t)y * bw + x] - lo) / (hi - lo);
            c->rowbuf[x] = (float)(a < 0 ? 0 : a > 1 ? 1 : a);
        }
        resample_row(c->rowbuf, bw, c->tmp + (size_t)y * ow, ow, 1);
    }
    rc = seal_img_new(out, ow, oh, e);
    if (rc != 0) return rc;
    int blue = inkn > 0 && bluesum / inkn > 25;
    const uint8_t *ink = o->ink == SEAL_INK_RED ? INK_RED : blue ? INK_BLUE : INK_BLACK;
    for (uint32_t x = 0; x < ow; x++) {
        for (uint32_t y = 0; y < bh; y++)
            c->colbuf[y] = c->tmp[(size_t)y * ow + x];
        resample_row(c->colbuf, bh, c->colout, oh, 1);
        for (uint32_t y = 0; y < oh; y++) {
            uint8_t *q = out->rgba + ((size_t)y * ow + x) * 4;
            q[0] = ink[0], q[1] = ink[1], q[2] = ink[2];
            q[3] = (uint8_t)rnd(c->colout[y] * 255.0);
        }
    }
    out->dpi = dpi;
    out->rendering = src->rendering; /* a rendering stays marked as one */
    if (info != NULL) {
        info->bx = rx + bx0;
        info->by = ry + by0;
        info->bw = bw;
        info->bh = bh;
        info->ncomp = nsel;
        info->threshold = thr;
        info->size_mm = size_mm;
        info->blue = blue;
        info->lines = c->nlines;
        if (c->ell_ok) info->axis_ratio = c->ell.b / c->ell.a;
    }
    return 0;
}

/* One extraction; with ell, also the ellipse of the ink's outer boundary (*ell_ok). */
static int extract_once(const seal_img *src, const seal_extract_opts *opts, seal_img *out,
                        seal_extract_info *info, sealg_ellipse *ell, int *ell_ok, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (info != NULL) memset(info, 0, sizeof(*info));
    ext_ctx c = {0};
    c.want_ell = ell != NULL;
    int rc = extract(&c, src, opts, out, info, e);
    if (ell != NULL) {
        *ell_ok = rc == 0 && c.ell_ok;
        *ell = c.ell;
    }
    ext_free(&c);
    if (rc != 0) seal_img_free(out);
    return rc;
}

/* The printed frame of a specimen box in im as a quadrilateral (pixels): 1 found, 0 none,
 * else an error code. Dark blocks (max-pooled, so thin lines survive) on a grid of at most
 * FRAME_GRID on the longer side. */
#define FRAME_GRID 600
static int frame_quad(const seal_img *im, double q[8], sc_err *e)
{
    norm nm = {0};
    white_balance(im, 0, 0, im->w, im->h, nm.lut);
    int rc = illumination(&nm, im, im->w, im->h, e);
    if (rc != 0) return rc;
    uint32_t f = ((uint32_t)imax((int)im->w, (int)im->h) + FRAME_GRID - 1) / FRAME_GRID;
    if (f == 0) f = 1;
    uint32_t gw = (im->w + f - 1) / f, gh = (im->h + f - 1) / f;
    uint8_t *m = calloc((size_t)gw * gh, 1);
    if (m == NULL) {
        free(nm.gain);
        return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    }
    uint8_t t8 = (uint8_t)rnd(SEAL_THRESHOLD_DARK * 255);
    for (uint32_t y = 0; y < im->h; y++)
        for (uint32_t x = 0; x < im->w; x++)
            if (strength_at(&nm, im, SEAL_INK_DARK, x, y) >= t8)
                m[(size_t)(y / f) * gw + x / f] = 1;
    int found = sealg_find_quad(m, gw, gh, q) == 0;
    for (int i = 0; found && i < 8; i++)
        q[i] *= f;
    free(m);
    free(nm.gain);
    return found;
}

#define RECT_MARGIN  0.08 /* of the frame's longer side, kept around it when rectified */
#define ROUND_ENOUGH 0.99 /* an ellipse this round is left alone */

static int extract_deskew(const seal_img *src, const seal_extract_opts *opts, seal_img *out,
                          seal_extract_info *info, sc_err *e)
{
    seal_img work = {0}, rect = {0}, circ = {0};
    seal_extract_info i1, i2;
    seal_extract_opts o1 = *opts;
    o1.crop = 0;
    o1.deskew = 0;
    int rc;
    uint32_t rx = 0, ry = 0, rw = 0, rh = 0;
    if (src->rgba == NULL || src->w == 0 || src->h == 0)
        return sc_fail(e, SC_EINVAL, "image.empty", "no picture");
    if ((rc = clamp_rect(src, opts, &rx, &ry, &rw, &rh, e)) != 0) return rc;
    /* T: pixels of the picture worked on -> source pixels */
    double T[9] = {1, 0, rx, 0, 1, ry, 0, 0, 1};
    const seal_img *W = src;
    if (opts->crop) {
        if ((rc = sealg_warp(src, T, rw, rh, &work, e)) != 0) goto out;
        W = &work;
    }

    /* 1. the specimen box's frame: rectify it to a rectangle of its true aspect */
    double q[8];
    rc = frame_quad(W, q, e);
    if (rc < 0 || rc > 1) goto out;
    if (rc == 1) {
        double aspect =
            sealg_rect_aspect(q, src->w / 2.0 - rx, src->h / 2.0 - ry,
                              sealg_sqrt((double)src->w * src->w + (double)src->h * src->h));
        double top = sealg_sqrt((q[2] - q[0]) * (q[2] - q[0]) + (q[3] - q[1]) * (q[3] - q[1]));
        double bot = sealg_sqrt((q[4] - q[6]) * (q[4] - q[6]) + (q[5] - q[7]) * (q[5] - q[7]));
        double fw = top > bot ? top : bot, fh = fw / aspect;
        /* a seal may be stamped across the frame's line: keep a margin around it; a
         * signature belongs inside the box, and the page's print around it is not ink */
        double m = opts->ink == SEAL_INK_RED ? RECT_MARGIN * (fw > fh ? fw : fh) : 0;
        double ow = fw + 2 * m, oh = fh + 2 * m;
        /* no more pixels than the picture had (and within the limits) */
        double cap = (double)rw * rh * 1.5;
        if (cap > SEAL_IMG_MAX_PIXELS) cap = SEAL_IMG_MAX_PIXELS;
        double k = 1;
        if (ow * oh > cap) k = sealg_sqrt(cap / (ow * oh));
        if (ow * k > SEAL_IMG_MAX_DIM) k = SEAL_IMG_MAX_DIM / ow;
        if (oh * k > SEAL_IMG_MAX_DIM) k = SEAL_IMG_MAX_DIM / oh;
        double r[8] = {m * k,        m * k,        (m + fw) * k, m * k,
                       (m + fw) * k, (m + fh) * k, m * k,        (m + fh) * k};
        double H[9];
        if (sealg_homography(r, q, H) == 0) {
            sealg_mul(T, H, T);
            rc = sealg_warp(src, T, rnd(ow * k), rnd(oh * k), &rect, e);
            if (rc != 0) goto out;
            W = &rect;
            info->deskew |= SEAL_DESKEWED_BOX;
            for (int i = 0; i < 8; i++)
                info->quad[i] = q[i] + (i % 2 ? ry : rx);
        }
    }

    /* 2. the ink, and for a seal the ellipse of its outline */
    sealg_ellipse el;
    int el_ok = 0;
    rc = extract_once(W, &o1, out, &i1, opts->ink == SEAL_INK_RED ? &el : NULL, &el_ok, e);
    if (rc != 0) goto out;
    seal_extract_info *fin = &i1;
    /* a plausible outline only: inside the picture, no larger than it, not a sliver (a fit
     * to arbitrary ink can be a huge or degenerate ellipse) */
    if (el_ok && !(el.cx >= 0 && el.cy >= 0 && el.cx <= W->w && el.cy <= W->h &&
                   2 * el.a <= sealg_sqrt((double)W->w * W->w + (double)W->h * W->h) &&
                   el.b >= 0.3 * el.a && el.b >= 4))
        el_ok = 0;
    if (el_ok) {
        info->axis_ratio = el.b / el.a;
        if (info->axis_ratio < ROUND_ENOUGH) {
            /* 3. the affine map that makes it a circle of the major axis' radius: output
             * p' -> W: c + M (p' - c') / k, M = u u' + (b / a) v v' */
            double side = 2 * el.a * 1.12 + 4, k = 1;
            if (side > OUT_MAX_PX) k = OUT_MAX_PX / side;
            /* no more pixels than the picture worked on */
            double cap = (double)W->w * W->h * 1.5;
            if (side * side * k * k > cap) k = sealg_sqrt(cap) / side;
            uint32_t S = rnd(side * k);
            double ux = el.ux, uy = el.uy, vx = -uy, vy = ux, t = el.b / el.a;
            double m00 = (ux * ux + t * vx * vx) / k, m01 = (ux * uy + t * vx * vy) / k;
            double m11 = (uy * uy + t * vy * vy) / k, cc = S / 2.0;
            double A[9] = {m00, m01, el.cx - m00 * cc - m01 * cc,
                           m01, m11, el.cy - m01 * cc - m11 * cc,
                           0,   0,   1};
            double T2[9];
            sealg_mul(T, A, T2);
            if ((rc = sealg_warp(src, T2, S, S, &circ, e)) != 0) goto out;
            /* the size pass 1 judged (from the scan's DPI) stays; the picture is resampled */
            if (o1.size_mm == 0) o1.size_mm = i1.size_mm;
            seal_img_free(out);
            if ((rc = extract_once(&circ, &o1, out, &i2, NULL, NULL, e)) != 0) goto out;
            fin = &i2;
            info->deskew |= SEAL_DESKEWED_ELLIPSE;
        }
    }
    /* the region found, in source pixels: the box of pass 1 mapped back */
    double x0 = src->w, y0 = src->h, x1 = 0, y1 = 0;
    for (int i = 0; i < 4; i++) {
        double px = i1.bx + (i & 1 ? i1.bw : 0), py = i1.by + (i & 2 ? i1.bh : 0), sx, sy;
        if (sealg_apply(T, px, py, &sx, &sy) != 0) continue;
        if (sx < x0) x0 = sx;
        if (sy < y0) y0 = sy;
        if (sx > x1) x1 = sx;
        if (sy > y1) y1 = sy;
    }
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > src->w) x1 = src->w;
    if (y1 > src->h) y1 = src->h;
    if (!(x1 > x0 + 1 && y1 > y0 + 1)) x0 = y0 = 0, x1 = src->w, y1 = src->h;
    info->bx = (uint32_t)x0;
    info->by = (uint32_t)y0;
    info->bw = (uint32_t)x1 - info->bx;
    info->bh = (uint32_t)y1 - info->by;
    if (info->bw == 0) info->bw = 1;
    if (info->bh == 0) info->bh = 1;
    info->ncomp = fin->ncomp;
    info->threshold = fin->threshold;
    info->size_mm = fin->size_mm;
    info->blue = fin->blue;
    info->lines = i1.lines;
    rc = 0;
out:
    seal_img_free(&work);
    seal_img_free(&rect);
    seal_img_free(&circ);
    if (rc != 0) seal_img_free(out);
    return rc;
}

int seal_extract(const seal_img *src, const seal_extract_opts *opts, seal_img *out,
                 seal_extract_info *info, sc_err *e)
{
    if (opts->deskew == SEAL_DESKEW_OFF) return extract_once(src, opts, out, info, NULL, NULL, e);
    seal_extract_info tmp;
    memset(out, 0, sizeof(*out));
    if (info == NULL) info = &tmp;
    memset(info, 0, sizeof(*info));
    int rc = extract_deskew(src, opts, out, info, e);
    if (rc != 0) memset(info, 0, sizeof(*info));
    return rc;
}

/* Nearest-neighbour copy of src rectangle (sx,sy,sw,sh) into a dw x dh panel of dst at (dx,0),
 * composited over a checkerboard (check = 1) or white. */
static void panel(const seal_img *src, uint32_t sx, uint32_t sy, uint32_t sw, uint32_t sh,
                  seal_img *dst, uint32_t dx, uint32_t dw, uint32_t dh, int check)
{
    for (uint32_t y = 0; y < dh; y++)
        for (uint32_t x = 0; x < dw; x++) {
            uint32_t px = sx + (uint32_t)((uint64_t)x * sw / dw);
            uint32_t py = sy + (uint32_t)((uint64_t)y * sh / dh);
            const uint8_t *p = src->rgba + ((size_t)py * src->w + px) * 4;
            int bg = check ? (((x / 12) + (y / 12)) % 2 ? 0xcc : 0xff) : 0xff;
            uint8_t *q = dst->rgba + ((size_t)y * dst->w + dx + x) * 4;
            for (int k = 0; k < 3; k++)
                q[k] = (uint8_t)((p[k] * p[3] + bg * (255 - p[3])) / 255);
            q[3] = 0xff;
        }
}

int seal_extract_preview(const seal_img *src, const seal_extract_info *info, const seal_img *ext,
                         seal_img *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (src->rgba == NULL || ext->rgba == NULL || info->bw == 0 || info->bh == 0 ||
        (uint64_t)info->bx + info->bw > src->w || (uint64_t)info->by + info->bh > src->h)
        return sc_fail(e, SC_EINVAL, "image.preview", "nothing to preview");
    /* the crop with a margin of 8% around the box found, so the reviewer sees the context */
    uint32_t m = (uint32_t)(imax((int)info->bw, (int)info->bh) * 0.08);
    uint32_t cx = info->bx > m ? info->bx - m : 0, cy = info->by > m ? info->by - m : 0;
    uint32_t cx1 = info->bx + info->bw + m, cy1 = info->by + info->bh + m;
    if (cx1 > src->w) cx1 = src->w;
    if (cy1 > src->h) cy1 = src->h;
    uint32_t cw = cx1 - cx, ch = cy1 - cy;
    uint32_t h = PREVIEW_H;
    uint32_t w1 = (uint32_t)((uint64_t)cw * h / ch), w2 = (uint32_t)((uint64_t)ext->w * h / ext->h);
    if (w1 == 0) w1 = 1;
    if (w2 == 0) w2 = 1;
    if (w1 > 4 * h) w1 = 4 * h;
    if (w2 > 4 * h) w2 = 4 * h;
    uint32_t gap = 16;
    int rc = seal_img_new(out, w1 + gap + w2, h, e);
    if (rc != 0) return rc;
    memset(out->rgba, 0xff, (size_t)out->w * out->h * 4);
    panel(src, cx, cy, cw, ch, out, 0, w1, h, 0);
    panel(ext, 0, 0, ext->w, ext->h, out, w1 + gap, w2, h, 1);
    /* the box found, outlined in green on the crop */
    uint32_t ox0 = (uint32_t)((uint64_t)(info->bx - cx) * w1 / cw);
    uint32_t ox1 = (uint32_t)((uint64_t)(info->bx - cx + info->bw - 1) * w1 / cw);
    uint32_t oy0 = (uint32_t)((uint64_t)(info->by - cy) * h / ch);
    uint32_t oy1 = (uint32_t)((uint64_t)(info->by - cy + info->bh - 1) * h / ch);
    for (uint32_t y = oy0; y <= oy1 && y < h; y++)
        for (uint32_t x = ox0; x <= ox1 && x < w1; x++) {
            if (x != ox0 && x != ox1 && y != oy0 && y != oy1) continue;
            uint8_t *q = out->rgba + ((size_t)y * out->w + x) * 4;
            q[0] = 0x00, q[1] = 0xa0, q[2] = 0x40;
        }
    out->rendering = ext->rendering;
    return 0;
}
