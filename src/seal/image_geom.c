/* image_geom.c - the geometry behind perspective correction and frame removal in seal image
 * extraction: homographies, warping, ellipse fitting, the printed frame of a specimen box,
 * thin straight lines. All loops are bounded by the picture (or grid) size. */
#include "seal/image_geom.h"

#include <stdlib.h>
#include <string.h>

double sealg_sqrt(double v)
{
    if (!(v > 0) || v > 1e300) return 0;
    /* a start within a factor of two, then Newton: quadratic convergence */
    double x = 1;
    while (x * x < v)
        x *= 2;
    while (x * x > 4 * v)
        x /= 2;
    for (int i = 0; i < 60; i++) {
        double nx = 0.5 * (x + v / x);
        if (nx == x) break;
        x = nx;
    }
    return x;
}

static double dabs(double v)
{
    return v < 0 ? -v : v;
}

void sealg_mul(const double a[9], const double b[9], double out[9])
{
    double r[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    memcpy(out, r, sizeof(r));
}

int sealg_apply(const double h[9], double x, double y, double *ox, double *oy)
{
    double w = h[6] * x + h[7] * y + h[8];
    if (!(w > 1e-12)) return -1;
    *ox = (h[0] * x + h[1] * y + h[2]) / w;
    *oy = (h[3] * x + h[4] * y + h[5]) / w;
    return 0;
}

/* Gaussian elimination with partial pivoting of the n x n system a x = b (a row-major, n <= 8);
 * -1 when singular. */
static int solve(double *a, double *b, int n)
{
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int r = c + 1; r < n; r++)
            if (dabs(a[r * n + c]) > dabs(a[p * n + c])) p = r;
        if (!(dabs(a[p * n + c]) > 1e-12)) return -1;
        if (p != c) {
            for (int k = 0; k < n; k++) {
                double t = a[c * n + k];
                a[c * n + k] = a[p * n + k];
                a[p * n + k] = t;
            }
            double t = b[c];
            b[c] = b[p];
            b[p] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = a[r * n + c] / a[c * n + c];
            for (int k = c; k < n; k++)
                a[r * n + k] -= f * a[c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        double s = b[c];
        for (int k = c + 1; k < n; k++)
            s -= a[c * n + k] * b[k];
        b[c] = s / a[c * n + c];
    }
    return 0;
}

int sealg_homography(const double from[8], const double to[8], double h[9])
{
    double a[64], b[8];
    for (int i = 0; i < 4; i++) {
        double x = from[2 * i], y = from[2 * i + 1], u = to[2 * i], v = to[2 * i + 1];
        double r0[8] = {x, y, 1, 0, 0, 0, -x * u, -y * u};
        double r1[8] = {0, 0, 0, x, y, 1, -x * v, -y * v};
        memcpy(a + (2 * i) * 8, r0, sizeof(r0));
        memcpy(a + (2 * i + 1) * 8, r1, sizeof(r1));
        b[2 * i] = u;
        b[2 * i + 1] = v;
    }
    if (solve(a, b, 8) != 0) return -1;
    for (int i = 0; i < 8; i++) {
        if (!(b[i] > -1e12 && b[i] < 1e12)) return -1; /* also NaN */
        h[i] = b[i];
    }
    h[8] = 1;
    return 0;
}

int sealg_warp(const seal_img *src, const double h[9], uint32_t ow, uint32_t oh, seal_img *out,
               sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (ow == 0 || oh == 0 || ow > SEAL_IMG_MAX_DIM || oh > SEAL_IMG_MAX_DIM ||
        (uint64_t)ow * oh > SEAL_IMG_MAX_PIXELS)
        return sc_fail(e, SC_ETOOBIG, "image.too_big", "rectified picture %ux%u is too large", ow,
                       oh);
    int rc = seal_img_new(out, ow, oh, e);
    if (rc != 0) return rc;
    const double maxx = src->w - 1, maxy = src->h - 1;
    for (uint32_t y = 0; y < oh; y++)
        for (uint32_t x = 0; x < ow; x++) {
            uint8_t *q = out->rgba + ((size_t)y * ow + x) * 4;
            double sx, sy;
            /* outside the picture (and NaN): white paper */
            if (sealg_apply(h, x + 0.5, y + 0.5, &sx, &sy) != 0 || !(sx >= 0 && sx <= src->w) ||
                !(sy >= 0 && sy <= src->h)) {
                memset(q, 255, 4);
                continue;
            }
            sx -= 0.5;
            sy -= 0.5;
            if (sx < 0) sx = 0;
            if (sy < 0) sy = 0;
            if (sx > maxx) sx = maxx;
            if (sy > maxy) sy = maxy;
            uint32_t x0 = (uint32_t)sx, y0 = (uint32_t)sy;
            uint32_t x1 = x0 + 1 < src->w ? x0 + 1 : x0, y1 = y0 + 1 < src->h ? y0 + 1 : y0;
            double fx = sx - x0, fy = sy - y0;
            const uint8_t *p00 = src->rgba + ((size_t)y0 * src->w + x0) * 4;
            const uint8_t *p01 = src->rgba + ((size_t)y0 * src->w + x1) * 4;
            const uint8_t *p10 = src->rgba + ((size_t)y1 * src->w + x0) * 4;
            const uint8_t *p11 = src->rgba + ((size_t)y1 * src->w + x1) * 4;
            for (int c = 0; c < 4; c++) {
                double t = p00[c] + (p01[c] - p00[c]) * fx;
                double b = p10[c] + (p11[c] - p10[c]) * fx;
                double v = t + (b - t) * fy + 0.5;
                q[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    out->dpi = src->dpi;
    out->rendering = src->rendering;
    return 0;
}

/* ------------------------------------------------------------------------- ellipse fit */

/* least-squares conic x² + Bxy + Cy² + Dx + Ey + F = 0 through the points with use[i] set,
 * in coordinates centred and scaled for conditioning */
static int conic(const double *pts, const uint8_t *use, size_t n, sealg_ellipse *el)
{
    double mx = 0, my = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (use[i]) mx += pts[2 * i], my += pts[2 * i + 1], k++;
    if (k < 6) return -1;
    mx /= k;
    my /= k;
    double s2 = 0;
    for (size_t i = 0; i < n; i++)
        if (use[i]) {
            double dx = pts[2 * i] - mx, dy = pts[2 * i + 1] - my;
            s2 += dx * dx + dy * dy;
        }
    double s = sealg_sqrt(s2 / k);
    if (!(s > 1e-9)) return -1;
    double ata[25] = {0}, atb[5] = {0};
    for (size_t i = 0; i < n; i++) {
        if (!use[i]) continue;
        double x = (pts[2 * i] - mx) / s, y = (pts[2 * i + 1] - my) / s;
        double r[5] = {x * y, y * y, x, y, 1};
        for (int a = 0; a < 5; a++) {
            for (int b = 0; b < 5; b++)
                ata[a * 5 + b] += r[a] * r[b];
            atb[a] += r[a] * -(x * x);
        }
    }
    if (solve(ata, atb, 5) != 0) return -1;
    double B = atb[0], C = atb[1], D = atb[2], E = atb[3], F = atb[4];
    double det = C - B * B / 4;
    if (!(det > 1e-9)) return -1; /* not an ellipse */
    double cx = -(C * D / 2 - B / 2 * E / 2) / det, cy = -(-B / 2 * D / 2 + E / 2) / det;
    double K = cx * cx + B * cx * cy + C * cy * cy - F;
    if (!(K > 1e-12)) return -1;
    double mean = (1 + C) / 2, dd = sealg_sqrt((1 - C) * (1 - C) / 4 + B * B / 4);
    double l1 = mean - dd, l2 = mean + dd; /* l1 <= l2: l1 is the major axis */
    if (!(l1 > 1e-12)) return -1;
    /* eigenvector of l1: (B/2, l1 - 1) or (l1 - C, B/2), whichever is better conditioned */
    double vx = B / 2, vy = l1 - 1, wx = l1 - C, wy = B / 2;
    if (wx * wx + wy * wy > vx * vx + vy * vy) vx = wx, vy = wy;
    double vn = sealg_sqrt(vx * vx + vy * vy);
    if (vn < 1e-12) vx = 1, vy = 0, vn = 1; /* a circle: any direction */
    el->ux = vx / vn;
    el->uy = vy / vn;
    el->a = s * sealg_sqrt(K / l1);
    el->b = s * sealg_sqrt(K / l2);
    el->cx = mx + s * cx;
    el->cy = my + s * cy;
    if (!(el->a > 0 && el->b > 0)) return -1;
    return 0;
}

/* |distance from the centre relative to the ellipse's radius in that direction - 1| */
static double resid(const sealg_ellipse *el, double x, double y)
{
    double dx = x - el->cx, dy = y - el->cy;
    double p = dx * el->ux + dy * el->uy, q = -dx * el->uy + dy * el->ux;
    double r = sealg_sqrt(p * p / (el->a * el->a) + q * q / (el->b * el->b));
    return dabs(r - 1);
}

int sealg_fit_ellipse(const double *pts, size_t n, sealg_ellipse *el)
{
    if (n < 6 || n > 100000) return -1;
    uint8_t *use = malloc(n);
    double *r = malloc(n * sizeof(double));
    int rc = -1;
    if (use == NULL || r == NULL) goto out;
    memset(use, 1, n);
    if (conic(pts, use, n, el) != 0) goto out;
    for (int it = 0; it < 3; it++) {
        /* the median residual by counting: residuals are small, a histogram is enough */
        uint32_t hist[201] = {0};
        for (size_t i = 0; i < n; i++) {
            r[i] = resid(el, pts[2 * i], pts[2 * i + 1]);
            uint32_t b = r[i] >= 0.2 ? 200 : (uint32_t)(r[i] * 1000);
            hist[b]++;
        }
        size_t acc = 0, b = 0;
        while (b < 200 && acc + hist[b] < n / 2)
            acc += hist[b++];
        double med = (b + 1) / 1000.0, lim = 3 * med < 0.012 ? 0.012 : 3 * med;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            k += (use[i] = r[i] <= lim);
        if (k < 6) goto out;
        if (conic(pts, use, n, el) != 0) goto out;
    }
    rc = 0;
out:
    free(use);
    free(r);
    return rc;
}

/* ------------------------------------------------------------------------ frame (quad) */

uint32_t sealg_uf_find(uint32_t *par, uint32_t i)
{
    while (par[i] != i) {
        par[i] = par[par[i]];
        i = par[i];
    }
    return i;
}

void sealg_uf_union(uint32_t *par, uint32_t a, uint32_t b)
{
    a = sealg_uf_find(par, a);
    b = sealg_uf_find(par, b);
    if (a < b)
        par[b] = a;
    else if (b < a)
        par[a] = b;
}

typedef struct qcomp {
    uint64_t area;
    uint32_t x0, y0, x1, y1;
    int64_t smin, smax, dmin, dmax; /* extremes of x + y and x - y */
    uint32_t ps[2], pS[2], pd[2], pD[2];
} qcomp;

/* Total least squares line through the points: centre (mx, my), direction (dx, dy). */
static int fit_line(const double *p, size_t n, double l[4])
{
    if (n < 3) return -1;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++)
        mx += p[2 * i], my += p[2 * i + 1];
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = p[2 * i] - mx, dy = p[2 * i + 1] - my;
        sxx += dx * dx, sxy += dx * dy, syy += dy * dy;
    }
    double mean = (sxx + syy) / 2, dd = sealg_sqrt((sxx - syy) * (sxx - syy) / 4 + sxy * sxy);
    double lmax = mean + dd;
    double vx = sxy, vy = lmax - sxx, wx = lmax - syy, wy = sxy;
    if (wx * wx + wy * wy > vx * vx + vy * vy) vx = wx, vy = wy;
    double vn = sealg_sqrt(vx * vx + vy * vy);
    if (!(vn > 1e-12)) return -1;
    l[0] = mx, l[1] = my, l[2] = vx / vn, l[3] = vy / vn;
    return 0;
}

static int intersect(const double a[4], const double b[4], double *x, double *y)
{
    double cr = a[2] * b[3] - a[3] * b[2];
    if (dabs(cr) < 1e-6) return -1;
    double t = ((b[0] - a[0]) * b[3] - (b[1] - a[1]) * b[2]) / cr;
    *x = a[0] + t * a[2];
    *y = a[1] + t * a[3];
    return 0;
}

static double cross3(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - by) - (by - ay) * (cx - bx);
}

#define QSAMPLES 48

/* the four corners of component k, when its sides are straight lines */
static int quad_of(const uint8_t *m, uint32_t w, uint32_t h, uint32_t *lab, const qcomp *k,
                   uint64_t bestbox, double quad[8])
{
    /* the component's label, from one of its pixels */
    uint32_t root = sealg_uf_find(lab, (uint32_t)((size_t)k->ps[1] * w + k->ps[0]));
    double c[8] = {k->ps[0] + 0.5, k->ps[1] + 0.5, k->pD[0] + 0.5, k->pD[1] + 0.5,
                   k->pS[0] + 0.5, k->pS[1] + 0.5, k->pd[0] + 0.5, k->pd[1] + 0.5};
    /* convex, clockwise in image coordinates (y down), covering most of its box */
    double area2 = 0;
    for (int i = 0; i < 4; i++) {
        int j = (i + 1) % 4, l = (i + 2) % 4;
        if (!(cross3(c[2 * i], c[2 * i + 1], c[2 * j], c[2 * j + 1], c[2 * l], c[2 * l + 1]) > 0))
            return -1;
        area2 += c[2 * i] * c[2 * j + 1] - c[2 * j] * c[2 * i + 1];
    }
    if (!(area2 / 2 > 0.5 * (double)bestbox)) return -1;
    /* each side must be a line of the component: sample it, look across for the line, fit */
    double lines[4][4], pts[2 * QSAMPLES];
    for (int s = 0; s < 4; s++) {
        double ax = c[2 * s], ay = c[2 * s + 1], bx = c[2 * ((s + 1) % 4)],
               by = c[2 * ((s + 1) % 4) + 1];
        double len = sealg_sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay));
        if (len < 8) return -1;
        double nx = -(by - ay) / len, ny = (bx - ax) / len;
        int R = (int)(len * 0.04) + 2;
        size_t found = 0;
        for (int i = 0; i < QSAMPLES; i++) {
            double t = 0.1 + 0.8 * i / (QSAMPLES - 1);
            double px = ax + (bx - ax) * t, py = ay + (by - ay) * t;
            for (int r = 0; r <= R; r++) {
                int hit = 0;
                for (int sg = -1; sg <= 1 && !hit; sg += 2) {
                    double qx = px + sg * r * nx, qy = py + sg * r * ny;
                    if (!(qx >= 0 && qy >= 0 && qx < w && qy < h)) continue;
                    size_t j = (size_t)(uint32_t)qy * w + (uint32_t)qx;
                    if (m[j] && sealg_uf_find(lab, (uint32_t)j) == root) {
                        pts[2 * found] = qx, pts[2 * found + 1] = qy;
                        found++;
                        hit = 1;
                    }
                }
                if (hit) break;
            }
        }
        if (found * 4 < QSAMPLES * 3) return -1; /* not a straight side */
        if (fit_line(pts, found, lines[s]) != 0) return -1;
    }
    for (int s = 0; s < 4; s++) {
        /* corner s lies between side s-1 and side s */
        double x, y;
        if (intersect(lines[(s + 3) % 4], lines[s], &x, &y) != 0) return -1;
        double d =
            sealg_sqrt((x - c[2 * s]) * (x - c[2 * s]) + (y - c[2 * s + 1]) * (y - c[2 * s + 1]));
        if (d > 0.1 * (w + h)) return -1;
        quad[2 * s] = x;
        quad[2 * s + 1] = y;
    }
    return 0;
}

int sealg_find_quad(const uint8_t *m, uint32_t w, uint32_t h, double quad[8])
{
    if (w < 8 || h < 8) return -1;
    size_t n = (size_t)w * h;
    uint32_t *lab = malloc(n * sizeof(uint32_t));
    uint32_t *remap = malloc(n * sizeof(uint32_t));
    qcomp *cs = NULL;
    int rc = -1;
    if (lab == NULL || remap == NULL) goto out;
    for (size_t i = 0; i < n; i++)
        lab[i] = (uint32_t)i;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!m[i]) continue;
            if (x > 0 && m[i - 1]) sealg_uf_union(lab, (uint32_t)i, (uint32_t)i - 1);
            if (y > 0) {
                if (m[i - w]) sealg_uf_union(lab, (uint32_t)i, (uint32_t)(i - w));
                if (x > 0 && m[i - w - 1]) sealg_uf_union(lab, (uint32_t)i, (uint32_t)(i - w - 1));
                if (x + 1 < w && m[i - w + 1])
                    sealg_uf_union(lab, (uint32_t)i, (uint32_t)(i - w + 1));
            }
        }
    uint32_t nc = 0;
    for (size_t i = 0; i < n; i++)
        if (m[i] && sealg_uf_find(lab, (uint32_t)i) == i) remap[i] = nc++;
    if (nc == 0) goto out;
    cs = calloc(nc, sizeof(qcomp));
    if (cs == NULL) goto out;
    for (uint32_t i = 0; i < nc; i++) {
        cs[i].x0 = cs[i].y0 = UINT32_MAX;
        cs[i].smin = cs[i].dmin = INT64_MAX;
        cs[i].smax = cs[i].dmax = INT64_MIN;
    }
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (!m[i]) continue;
            qcomp *k = &cs[remap[sealg_uf_find(lab, (uint32_t)i)]];
            int64_t s = (int64_t)x + y, d = (int64_t)x - y;
            k->area++;
            if (x < k->x0) k->x0 = x;
            if (y < k->y0) k->y0 = y;
            if (x > k->x1) k->x1 = x;
            if (y > k->y1) k->y1 = y;
            if (s < k->smin) k->smin = s, k->ps[0] = x, k->ps[1] = y;
            if (s > k->smax) k->smax = s, k->pS[0] = x, k->pS[1] = y;
            if (d < k->dmin) k->dmin = d, k->pd[0] = x, k->pd[1] = y;
            if (d > k->dmax) k->dmax = d, k->pD[0] = x, k->pD[1] = y;
        }
    /* candidates: large, hollow, inside the picture (not the desk around a photographed
     * sheet); the largest that proves to be a quadrilateral of straight lines wins */
    uint8_t *tried = calloc(nc, 1);
    if (tried == NULL) goto out;
    for (int attempt = 0; attempt < 8 && rc != 0; attempt++) {
        uint32_t best = UINT32_MAX;
        uint64_t bestbox = 0;
        for (uint32_t i = 0; i < nc; i++) {
            qcomp *k = &cs[i];
            uint64_t bw = k->x1 - k->x0 + 1, bh = k->y1 - k->y0 + 1;
            if (tried[i] || bw * 4 < w || bh * 4 < h || k->area * 2 > bw * bh) continue;
            if (k->x0 == 0 || k->y0 == 0 || k->x1 + 1 >= w || k->y1 + 1 >= h) continue;
            if (bw * bh > bestbox) best = i, bestbox = bw * bh;
        }
        if (best == UINT32_MAX) break;
        tried[best] = 1;
        rc = quad_of(m, w, h, lab, &cs[best], bestbox, quad);
    }
    free(tried);
out:
    free(lab);
    free(remap);
    free(cs);
    return rc;
}

double sealg_rect_aspect(const double q[8], double u0, double v0, double diag)
{
    /* m1 TL, m2 TR, m3 BL, m4 BR, relative to the principal point */
    double m1[3] = {q[0] - u0, q[1] - v0, 1}, m2[3] = {q[2] - u0, q[3] - v0, 1};
    double m4[3] = {q[4] - u0, q[5] - v0, 1}, m3[3] = {q[6] - u0, q[7] - v0, 1};
    double top = sealg_sqrt((q[2] - q[0]) * (q[2] - q[0]) + (q[3] - q[1]) * (q[3] - q[1]));
    double bot = sealg_sqrt((q[4] - q[6]) * (q[4] - q[6]) + (q[5] - q[7]) * (q[5] - q[7]));
    double lef = sealg_sqrt((q[6] - q[0]) * (q[6] - q[0]) + (q[7] - q[1]) * (q[7] - q[1]));
    double rig = sealg_sqrt((q[4] - q[2]) * (q[4] - q[2]) + (q[5] - q[3]) * (q[5] - q[3]));
    if (!(lef + rig > 0)) return 1;
    double naive = (top + bot) / (lef + rig);
#define CROSS(a, b, o)                                                                             \
    o[0] = a[1] * b[2] - a[2] * b[1], o[1] = a[2] * b[0] - a[0] * b[2],                            \
    o[2] = a[0] * b[1] - a[1] * b[0]
#define DOT(a, b) (a[0] * b[0] + a[1] * b[1] + a[2] * b[2])
    double c14[3], c24[3], c34[3];
    CROSS(m1, m4, c14);
    CROSS(m2, m4, c24);
    CROSS(m3, m4, c34);
    double d2 = DOT(c24, m3), d3 = DOT(c34, m2);
    if (dabs(d2) < 1e-9 || dabs(d3) < 1e-9) return naive;
    double k2 = DOT(c14, m3) / d2, k3 = DOT(c14, m2) / d3;
    double n2[3], n3[3];
    for (int i = 0; i < 3; i++)
        n2[i] = k2 * m2[i] - m1[i], n3[i] = k3 * m3[i] - m1[i];
#undef CROSS
#undef DOT
    double den = n2[2] * n3[2];
    double f2 = dabs(den) > 1e-9 ? -(n2[0] * n3[0] + n2[1] * n3[1]) / den : -1;
    /* a plausible focal length (0.3 to 5 picture diagonals), else (one pair of sides parallel
     * in the photo: it cannot be recovered) a phone camera's typical one */
    if (!(f2 > 0.09 * diag * diag && f2 < 25 * diag * diag)) f2 = 0.85 * 0.85 * diag * diag;
    double a = (n2[0] * n2[0] + n2[1] * n2[1]) / f2 + n2[2] * n2[2];
    double b = (n3[0] * n3[0] + n3[1] * n3[1]) / f2 + n3[2] * n3[2];
    double r2 = b > 0 ? a / b : -1;
    double r = sealg_sqrt(r2);
    if (!(r > naive * 0.6 && r < naive / 0.6)) return naive;
    return r;
}

/* ------------------------------------------------------------------------------ lines */

typedef struct lstep {
    int32_t a, b; /* the run across the line at this step; a > b: a gap; b - a > thick: crossing */
} lstep;

#define L_DARK  0x1
#define L_LINE  0x2
#define L_VIS_H 0x4
#define L_VIS_V 0x8

static int mark_dir(uint8_t *m, uint32_t w, uint32_t h, int trans, uint32_t minlen,
                    uint32_t maxthick, lstep *path, uint64_t *budget, uint32_t *nlines)
{
    uint32_t U = trans ? h : w, V = trans ? w : h;
    uint8_t vis = trans ? L_VIS_V : L_VIS_H;
#define AT(u, v) m[trans ? (size_t)(u)*w + (v) : (size_t)(v)*w + (u)]
    for (uint32_t v0 = 0; v0 < V; v0++)
        for (uint32_t u0 = 0; u0 < U; u0++) {
            if (!(AT(u0, v0) & L_DARK) || (AT(u0, v0) & vis)) continue;
            if (u0 > 0 && (AT(u0 - 1, v0) & L_DARK)) continue; /* not the start of a run */
            int64_t cur = v0;
            uint32_t n = 0, last = 0, gap = 0, nthin = 0;
            for (uint32_t u = u0; u < U; u++) {
                if (*budget == 0) return 0;
                (*budget)--;
                int64_t hit = -1;
                const int64_t cand[3] = {cur, cur - 1, cur + 1};
                for (int i = 0; i < 3 && hit < 0; i++)
                    if (cand[i] >= 0 && cand[i] < V && (AT(u, cand[i]) & L_DARK)) hit = cand[i];
                lstep *st = &path[u - u0];
                n = u - u0 + 1;
                if (hit < 0) {
                    st->a = 1, st->b = 0;
                    if (++gap > 3) break;
                    continue;
                }
                gap = 0;
                int64_t a = hit, b = hit;
                while (a > 0 && (AT(u, a - 1) & L_DARK) && hit - a <= (int64_t)maxthick)
                    a--;
                while (b + 1 < V && (AT(u, b + 1) & L_DARK) && b - hit <= (int64_t)maxthick)
                    b++;
                st->a = (int32_t)a, st->b = (int32_t)b;
                for (int64_t v = a; v <= b; v++)
                    AT(u, v) |= vis;
                if (b - a + 1 <= (int64_t)maxthick) {
                    cur = (a + b) / 2;
                    nthin++;
                }
                last = u - u0 + 1;
            }
            (void)n;
            uint32_t len = last;
            if (len < minlen || nthin * 4 < len * 3) continue;
            /* straight: least squares v = p + q u over the thin steps, small deviation */
            double su = 0, sv = 0, suu = 0, suv = 0, k = 0;
            for (uint32_t i = 0; i < len; i++) {
                const lstep *st = &path[i];
                if (st->a > st->b || st->b - st->a + 1 > (int32_t)maxthick) continue;
                double cv = (st->a + st->b) / 2.0;
                su += i, sv += cv, suu += (double)i * i, suv += i * cv, k++;
            }
            double den = k * suu - su * su;
            if (!(den > 0)) continue;
            double q = (k * suv - su * sv) / den, p = (sv - q * su) / k;
            if (q > 0.25 || q < -0.25) continue;
            double dev = 0;
            for (uint32_t i = 0; i < len; i++) {
                const lstep *st = &path[i];
                if (st->a > st->b || st->b - st->a + 1 > (int32_t)maxthick) continue;
                double d = (st->a + st->b) / 2.0 - (p + q * i);
                if (d < 0) d = -d;
                if (d > dev) dev = d;
            }
            if (dev > 1.5 + maxthick / 2.0) continue;
            for (uint32_t i = 0; i < len; i++) {
                const lstep *st = &path[i];
                if (st->a > st->b || st->b - st->a + 1 > (int32_t)maxthick) continue;
                int64_t a = st->a > 0 ? st->a - 1 : 0,
                        b = st->b + 1 < (int64_t)V ? st->b + 1 : st->b;
                for (int64_t v = a; v <= b; v++)
                    AT(u0 + i, v) |= L_LINE;
            }
            (*nlines)++;
        }
#undef AT
    return 0;
}

int sealg_mark_lines(uint8_t *m, uint32_t w, uint32_t h, uint32_t minlen, uint32_t maxthick,
                     uint32_t *nlines, sc_err *e)
{
    *nlines = 0;
    if (w == 0 || h == 0) return 0;
    lstep *path = malloc(sizeof(lstep) * (w > h ? w : h));
    if (path == NULL) return sc_fail(e, SC_ENOMEM, "image.nomem", "out of memory");
    /* each trace step visits a dark pixel or one of a few gap pixels; a generous bound keeps
     * pathological (noise) pictures linear */
    uint64_t budget = 8 * (uint64_t)w * h + 1024;
    if (minlen < 8) minlen = 8;
    if (maxthick < 1) maxthick = 1;
    mark_dir(m, w, h, 0, minlen, maxthick, path, &budget, nlines);
    mark_dir(m, w, h, 1, minlen, maxthick, path, &budget, nlines);
    free(path);
    return 0;
}
