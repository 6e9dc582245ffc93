/* image.h - seal and signature images: a hardened PNG/JPEG loader, ink extraction from a
 * scanned specimen sheet or phone photo, and clearly marked renderings of standard seals. */
#ifndef SEALCA_SEAL_IMAGE_H
#define SEALCA_SEAL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* An 8-bit RGBA picture with straight (not premultiplied) alpha, rows top to bottom. */
typedef struct seal_img {
    uint32_t w, h;
    uint8_t *rgba; /* w * h * 4 bytes, owned; seal_img_free releases */
    double dpi;    /* from PNG pHYs / JPEG JFIF density; 0 when the file does not say */
    int rendering; /* a sealca rendering (PNG tEXt "sealca:rendering"), never a real seal */
} seal_img;

typedef enum { SEAL_IMG_UNKNOWN = 0, SEAL_IMG_PNG, SEAL_IMG_JPEG } seal_img_type;

/*
 * Limits on outside images. The dimensions are checked from the PNG IHDR / JPEG frame header
 * BEFORE any pixel is decoded or any pixel buffer allocated, so a small file declaring a huge
 * picture (a decompression bomb) costs nothing. Zero fields take the defaults below.
 */
typedef struct seal_img_limits {
    size_t max_bytes;    /* encoded file size */
    uint32_t max_dim;    /* width and height, each */
    uint64_t max_pixels; /* width * height */
} seal_img_limits;

#define SEAL_IMG_MAX_BYTES  ((size_t)20 << 20) /* 20 MiB: a 12 Mpx phone photo is ~4 MiB */
#define SEAL_IMG_MAX_DIM    8000u
#define SEAL_IMG_MAX_PIXELS 30000000u /* 30 Mpx: 120 MB of RGBA at most */

/* The PNG tEXt keyword that marks a rendering (value "1"); see docs/seals-images.md. */
#define SEAL_IMG_RENDERING_KEY "sealca:rendering"

/* Type by content (magic bytes), never by file name or Content-Type. */
seal_img_type seal_img_sniff(const uint8_t *p, size_t n);

/*
 * Decode a PNG or JPEG into *out (zeroed first). lim NULL = defaults. Errors (SC_EINVAL for
 * not-an-image / corrupt / truncated, SC_ETOOBIG for limits) leave *out empty. EXIF
 * orientation of a JPEG (phone photos) is applied, so out is upright.
 */
int seal_img_load(const uint8_t *p, size_t n, const seal_img_limits *lim, seal_img *out, sc_err *e);
int seal_img_load_file(const char *path, const seal_img_limits *lim, seal_img *out, sc_err *e);
void seal_img_free(seal_img *im);
/* A new transparent w x h picture. */
int seal_img_new(seal_img *im, uint32_t w, uint32_t h, sc_err *e);

/*
 * Encode as an 8-bit RGBA PNG, appended to out: a pHYs chunk when im->dpi > 0 (pixels per
 * metre, rounded), tEXt "Software" and, when im->rendering, tEXt SEAL_IMG_RENDERING_KEY=1.
 */
int seal_img_png(const seal_img *im, sc_buf *out, sc_err *e);

/* ---- extraction (image_extract.c) ---- */

typedef enum {
    SEAL_INK_RED = 0, /* a stamp: red ink */
    SEAL_INK_DARK = 1 /* a handwritten signature: black or blue ink */
} seal_ink;

typedef struct seal_extract_opts {
    seal_ink ink;
    double threshold; /* ink strength 0..1 that counts as ink; 0 = default for the ink */
    int crop;         /* 1: only look inside the rectangle below (source pixels) */
    uint32_t cx, cy, cw, ch;
    double size_mm; /* physical size of the longer side of the result; 0 = the scan's own size
                       when it states a DPI, else 42 mm (seal) / 50 mm (signature) */
    double dpi;     /* resolution of the result; 0 = 300 */
    int all_ink;    /* 1: keep every ink pixel in the crop, not only the main component group */
    int square;     /* 1: the stamp is round or square: stretch its box to a square, which undoes
                       the foreshortening of a photo taken at an angle along an image axis */
    int deskew; /* SEAL_DESKEW_AUTO: undo the perspective of a photo taken at an angle (below) */
    int keep_lines; /* 1: signatures keep thin straight lines (by default printed frames and form
                       lines are removed from black / blue ink) */
} seal_extract_opts;

/*
 * Perspective correction (deskew). SEAL_DESKEW_AUTO, in this order:
 *  1. when the picture (or the crop) holds the printed rectangular frame of a specimen box,
 *     the frame is found as a quadrilateral and the picture rectified by the homography that
 *     makes it a rectangle of its true aspect (recovered from the quadrilateral for a pinhole
 *     camera whose axis meets the middle of the photo);
 *  2. for a seal (red ink), an ellipse is fitted to the outer boundary of its ink, and when it
 *     is not a circle the affine map that makes it one is applied: a round seal comes out
 *     round (a square one square) and the stated size_mm is then its diameter.
 * The region reported in seal_extract_info stays in the source picture's pixels.
 */
#define SEAL_DESKEW_OFF       0
#define SEAL_DESKEW_AUTO      1
#define SEAL_DESKEWED_BOX     1 /* seal_extract_info.deskew: rectified by the frame */
#define SEAL_DESKEWED_ELLIPSE 2 /* made circular */

#define SEAL_THRESHOLD_RED  0.18
#define SEAL_THRESHOLD_DARK 0.35

typedef struct seal_extract_info {
    uint32_t bx, by, bw, bh; /* the region found, in source pixels */
    uint32_t ncomp;          /* connected ink components kept */
    double threshold;        /* the threshold used */
    double size_mm;          /* physical size of the longer side of the result */
    int blue;                /* signature ink judged blue */
    int deskew;              /* SEAL_DESKEWED_* flags of the corrections applied */
    double axis_ratio;       /* deskew of a seal: minor / major axis of the ellipse fitted to its
                                ink before correction (1 = round); 0 when not measured */
    double quad[8];          /* SEAL_DESKEWED_BOX: the frame's corners TL, TR, BR, BL (source px) */
    uint32_t lines;          /* signature: thin straight lines removed */
} seal_extract_info;

/*
 * Find the stamp (or signature) in src and produce a transparent picture of its ink: red (or
 * black / blue) with alpha from ink strength, at opts->size_mm on its longer side and
 * opts->dpi. SC_ENOTFOUND "image.no_ink" when nothing above the threshold is found.
 */
int seal_extract(const seal_img *src, const seal_extract_opts *opts, seal_img *out,
                 seal_extract_info *info, sc_err *e);

/* The reviewer's preview: the source crop beside the extraction over a checkerboard. */
int seal_extract_preview(const seal_img *src, const seal_extract_info *info, const seal_img *ext,
                         seal_img *out, sc_err *e);

/* Ink strength 0..255 of one straight-RGBA pixel composited over white (exposed for tests). */
uint8_t seal_ink_strength(seal_ink ink, const uint8_t px[4]);

/* ---- rendering (image_render.c) ---- */

typedef enum { SEAL_RENDER_ROUND = 0, SEAL_RENDER_SQUARE = 1 } seal_render_shape;

typedef struct seal_render_opts {
    seal_render_shape shape;
    const char *name;   /* UTF-8: organisation name (round), 2 or 4 characters (square) */
    const char *bottom; /* round only: horizontal text under the star, e.g. 合同专用章; NULL */
    double size_mm;     /* 0 = 42 (round) / 20 (square) */
    double dpi;         /* 0 = 300 */
    int no_mark;        /* 1: leave out the visible 样章 SPECIMEN RENDERING mark */
} seal_render_opts;

/*
 * Render a standard seal image from text with cairo + pango (Noto CJK). The result is marked
 * as a rendering (out->rendering = 1, and the PNG tEXt written by seal_img_png) and, unless
 * no_mark, carries a visible mark: it is test data and preview, never a registered seal.
 */
int seal_render(const seal_render_opts *o, seal_img *out, sc_err *e);

/* Drop pango's and cairo's process-wide font caches (fontconfig patterns, glyph caches).
 * Optional: for a clean LeakSanitizer report at exit; rendering again afterwards works. */
void seal_render_release(void);

#endif
