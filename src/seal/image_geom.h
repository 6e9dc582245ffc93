/* image_geom.h - internal geometry of seal image extraction (image_geom.c): homographies and
 * warping, ellipse fitting, finding a printed frame, finding thin straight lines. Not a public
 * interface: used by image_extract.c and its tests. No libm: the build links none. */
#ifndef SEALCA_SEAL_IMAGE_GEOM_H
#define SEALCA_SEAL_IMAGE_GEOM_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "seal/image.h"

/* square root by Newton's method; 0 for v <= 0 or not finite */
double sealg_sqrt(double v);

/* 3x3 row-major matrices mapping homogeneous (x, y, 1) */
void sealg_mul(const double a[9], const double b[9], double out[9]);
/* The homography h with h * from[i] ~ to[i] for the four points (x, y pairs). -1 when the
 * points are degenerate (three on a line). */
int sealg_homography(const double from[8], const double to[8], double h[9]);
/* Apply h to (x, y); -1 when the point maps to infinity or behind the camera. */
int sealg_apply(const double h[9], double x, double y, double *ox, double *oy);

/*
 * A new ow x oh picture whose pixel centre (x + .5, y + .5) takes the colour of src at h applied
 * to it (bilinear; pixel centres at i + .5). Outside src: white paper. dpi and the rendering mark
 * are carried over.
 */
int sealg_warp(const seal_img *src, const double h[9], uint32_t ow, uint32_t oh, seal_img *out,
               sc_err *e);

typedef struct sealg_ellipse {
    double cx, cy; /* centre */
    double a, b;   /* semi-axes, a >= b > 0 */
    double ux, uy; /* unit vector of the major axis */
} sealg_ellipse;

/* Least-squares conic through n >= 6 points (x, y pairs), refitted without the points whose
 * distance from it is far above the median (gaps in a seal's ring, specks). -1 when no ellipse
 * fits. */
int sealg_fit_ellipse(const double *pts, size_t n, sealg_ellipse *el);

/* Union-find over pixel labels (path halving; the smaller root wins): connected components
 * for the stamp and frame searches. */
uint32_t sealg_uf_find(uint32_t *par, uint32_t i);
void sealg_uf_union(uint32_t *par, uint32_t a, uint32_t b);

/*
 * The printed frame of a specimen box in a w x h mask of dark blocks (1 = dark): the largest
 * hollow component spanning at least a quarter of each dimension whose four sides are straight
 * lines. quad receives its corners TL, TR, BR, BL (x, y pairs, block units, fitted lines
 * intersected). -1 when there is none. Work and memory O(w * h).
 */
int sealg_find_quad(const uint8_t *m, uint32_t w, uint32_t h, double quad[8]);

/*
 * The width / height ratio of the rectangle whose photograph is quad (TL, TR, BR, BL), for a
 * pinhole camera with square pixels and principal point (u0, v0) (Zhang & He, whiteboard
 * rectification). The focal length comes from the quad itself; when it cannot (one pair of
 * sides parallel in the photo) a phone camera's typical 0.85 x diag (the photo's diagonal) is
 * assumed. The mean side ratio when the result is implausible.
 */
double sealg_rect_aspect(const double quad[8], double u0, double v0, double diag);

/*
 * Thin straight lines in a w x h mask of dark pixels (1 = dark): runs followed horizontally
 * and vertically (drifting at most one pixel per step, short gaps bridged) that are at least
 * minlen long, at most maxthick thick along most of their length and straight. Their pixels,
 * and one pixel of fringe either side, get bit 0x2 in m; where another stroke crosses a line
 * (the dark run there is thicker) the pixels are left alone. *nlines: the lines found.
 * Bounded work: every pixel starts at most one trace in each direction.
 */
int sealg_mark_lines(uint8_t *m, uint32_t w, uint32_t h, uint32_t minlen, uint32_t maxthick,
                     uint32_t *nlines, sc_err *e);

#endif
