/* cmd_sealimage.c - sealca seal-image: extract a stamp or signature from a specimen scan,
 * render a marked seal image from text, inspect an image. Offline; touches no store. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seal/image.h"

static const char usage_text[] =
    "usage: sealca seal-image extract --in SCAN.jpg|png --out INK.png [--kind seal|signature]\n"
    "           [--threshold 0..1] [--crop X,Y,W,H] [--size-mm MM] [--dpi N] [--all-ink] "
    "[--square]\n"
    "           [--deskew auto|off] [--keep-lines] [--preview PREVIEW.png] [--force]\n"
    "       sealca seal-image render --shape round|square --name TEXT [--bottom TEXT]\n"
    "           [--size-mm MM] [--dpi N] [--no-mark] --out SEAL.png [--force]\n"
    "       sealca seal-image info FILE\n";

static int parse_double(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != 0) return -1;
    *out = v;
    return 0;
}

/* "X,Y,W,H" of non-negative integers */
static int parse_crop(const char *s, seal_extract_opts *o)
{
    unsigned long v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char *end = NULL;
        if (*p < '0' || *p > '9') return -1;
        v[i] = strtoul(p, &end, 10);
        if (v[i] > 1000000 || (i < 3 && *end != ',') || (i == 3 && *end != 0)) return -1;
        p = end + 1;
    }
    o->crop = 1;
    o->cx = (uint32_t)v[0], o->cy = (uint32_t)v[1], o->cw = (uint32_t)v[2], o->ch = (uint32_t)v[3];
    return 0;
}

static int write_png(const char *path, const seal_img *im, int force, sc_err *e)
{
    sc_buf b = {0};
    int rc = seal_img_png(im, &b, e);
    if (rc == 0) {
        if (!force && access(path, F_OK) == 0)
            rc = sc_fail(e, SC_EEXIST, "cli.exists", "%s exists (use --force to replace it)", path);
        else if (sc_file_write_atomic(path, b.p, b.len, 0644) != 0)
            rc = sc_fail(e, SC_EIO, "cli.write", "cannot write %s", path);
    }
    sc_buf_free(&b);
    return rc;
}

enum {
    O_IN = 1,
    O_OUT,
    O_KIND,
    O_THR,
    O_CROP,
    O_SIZE,
    O_DPI,
    O_PREV,
    O_FORCE,
    O_ALL,
    O_SQ,
    O_DESKEW,
    O_LINES
};

static int do_extract(int argc, char **argv)
{
    static const struct option lo[] = {
        {"in", required_argument, NULL, O_IN},      {"out", required_argument, NULL, O_OUT},
        {"kind", required_argument, NULL, O_KIND},  {"threshold", required_argument, NULL, O_THR},
        {"crop", required_argument, NULL, O_CROP},  {"size-mm", required_argument, NULL, O_SIZE},
        {"dpi", required_argument, NULL, O_DPI},    {"preview", required_argument, NULL, O_PREV},
        {"all-ink", no_argument, NULL, O_ALL},      {"square", no_argument, NULL, O_SQ},
        {"force", no_argument, NULL, O_FORCE},      {"deskew", required_argument, NULL, O_DESKEW},
        {"keep-lines", no_argument, NULL, O_LINES}, {NULL, 0, NULL, 0}};
    const char *in = NULL, *outp = NULL, *prev = NULL;
    /* perspective correction is on unless asked off: a photo taken square on is left as is */
    seal_extract_opts o = {.deskew = SEAL_DESKEW_AUTO};
    int force = 0, opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case O_IN:
            in = optarg;
            break;
        case O_OUT:
            outp = optarg;
            break;
        case O_PREV:
            prev = optarg;
            break;
        case O_FORCE:
            force = 1;
            break;
        case O_ALL:
            o.all_ink = 1;
            break;
        case O_SQ:
            o.square = 1;
            break;
        case O_LINES:
            o.keep_lines = 1;
            break;
        case O_DESKEW:
            if (strcmp(optarg, "auto") == 0)
                o.deskew = SEAL_DESKEW_AUTO;
            else if (strcmp(optarg, "off") == 0)
                o.deskew = SEAL_DESKEW_OFF;
            else
                return cli_usage("--deskew is auto or off");
            break;
        case O_KIND:
            if (strcmp(optarg, "seal") == 0)
                o.ink = SEAL_INK_RED;
            else if (strcmp(optarg, "signature") == 0)
                o.ink = SEAL_INK_DARK;
            else
                return cli_usage("--kind is seal or signature");
            break;
        case O_THR:
            if (parse_double(optarg, &o.threshold) != 0 || !(o.threshold > 0 && o.threshold < 1))
                return cli_usage("--threshold is a number between 0 and 1");
            break;
        case O_CROP:
            if (parse_crop(optarg, &o) != 0) return cli_usage("--crop is X,Y,W,H in pixels");
            break;
        case O_SIZE:
            if (parse_double(optarg, &o.size_mm) != 0) return cli_usage("--size-mm is a number");
            break;
        case O_DPI:
            if (parse_double(optarg, &o.dpi) != 0) return cli_usage("--dpi is a number");
            break;
        default:
            return cli_usage("%s", usage_text);
        }
    }
    if (in == NULL || outp == NULL || optind != argc) return cli_usage("%s", usage_text);
    sc_err e = {0};
    seal_img src = {0}, ext = {0}, pv = {0};
    seal_extract_info info;
    int rc = seal_img_load_file(in, NULL, &src, &e);
    if (rc == 0) rc = seal_extract(&src, &o, &ext, &info, &e);
    if (rc == 0 && prev != NULL) rc = seal_extract_preview(&src, &info, &ext, &pv, &e);
    if (rc == 0) rc = write_png(outp, &ext, force, &e);
    if (rc == 0 && prev != NULL) rc = write_png(prev, &pv, force, &e);
    if (rc == 0) {
        printf("extracted %s: region %u,%u %ux%u px of %ux%u, %u component(s), threshold %.2f\n",
               o.ink == SEAL_INK_RED ? "seal (red ink)"
               : info.blue           ? "signature (blue ink)"
                                     : "signature (black ink)",
               info.bx, info.by, info.bw, info.bh, src.w, src.h, info.ncomp, info.threshold);
        printf("wrote %s: %ux%u px = %.1f x %.1f mm at %.0f dpi%s\n", outp, ext.w, ext.h,
               ext.w / ext.dpi * 25.4, ext.h / ext.dpi * 25.4, ext.dpi,
               ext.rendering ? " (from a RENDERING, not a real specimen)" : "");
        if (info.deskew & SEAL_DESKEWED_BOX)
            printf("perspective: specimen box frame %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f "
                   "rectified\n",
                   info.quad[0], info.quad[1], info.quad[2], info.quad[3], info.quad[4],
                   info.quad[5], info.quad[6], info.quad[7]);
        if (info.axis_ratio > 0)
            printf("outline: axis ratio %.3f%s\n", info.axis_ratio,
                   info.deskew & SEAL_DESKEWED_ELLIPSE ? ", made round" : " (round enough)");
        if (info.lines > 0) printf("removed %u printed line(s)\n", info.lines);
        if (prev != NULL) printf("wrote preview %s\n", prev);
    }
    seal_img_free(&src);
    seal_img_free(&ext);
    seal_img_free(&pv);
    return rc == 0 ? 0 : cli_fail(&e);
}

static int do_render(int argc, char **argv)
{
    enum { R_SHAPE = 1, R_NAME, R_BOTTOM, R_SIZE, R_DPI, R_NOMARK, R_OUT, R_FORCE };
    static const struct option lo[] = {{"shape", required_argument, NULL, R_SHAPE},
                                       {"name", required_argument, NULL, R_NAME},
                                       {"bottom", required_argument, NULL, R_BOTTOM},
                                       {"size-mm", required_argument, NULL, R_SIZE},
                                       {"dpi", required_argument, NULL, R_DPI},
                                       {"no-mark", no_argument, NULL, R_NOMARK},
                                       {"out", required_argument, NULL, R_OUT},
                                       {"force", no_argument, NULL, R_FORCE},
                                       {NULL, 0, NULL, 0}};
    seal_render_opts o = {0};
    const char *outp = NULL;
    int force = 0, opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case R_SHAPE:
            if (strcmp(optarg, "round") == 0)
                o.shape = SEAL_RENDER_ROUND;
            else if (strcmp(optarg, "square") == 0)
                o.shape = SEAL_RENDER_SQUARE;
            else
                return cli_usage("--shape is round or square");
            break;
        case R_NAME:
            o.name = optarg;
            break;
        case R_BOTTOM:
            o.bottom = optarg;
            break;
        case R_SIZE:
            if (parse_double(optarg, &o.size_mm) != 0) return cli_usage("--size-mm is a number");
            break;
        case R_DPI:
            if (parse_double(optarg, &o.dpi) != 0) return cli_usage("--dpi is a number");
            break;
        case R_NOMARK:
            o.no_mark = 1;
            break;
        case R_OUT:
            outp = optarg;
            break;
        case R_FORCE:
            force = 1;
            break;
        default:
            return cli_usage("%s", usage_text);
        }
    }
    if (o.name == NULL || outp == NULL || optind != argc) return cli_usage("%s", usage_text);
    sc_err e = {0};
    seal_img im = {0};
    int rc = seal_render(&o, &im, &e);
    if (rc == 0) rc = write_png(outp, &im, force, &e);
    if (rc == 0)
        printf("wrote %s: %ux%u px at %.0f dpi - a RENDERING for tests and previews (样章), "
               "not a registered seal\n",
               outp, im.w, im.h, im.dpi);
    seal_img_free(&im);
    seal_render_release();
    return rc == 0 ? 0 : cli_fail(&e);
}

static int do_info(int argc, char **argv)
{
    if (argc != 2) return cli_usage("%s", usage_text);
    sc_err e = {0};
    seal_img im = {0};
    uint8_t *p = NULL;
    size_t n = 0;
    if (sc_file_read(argv[1], SEAL_IMG_MAX_BYTES, &p, &n) != 0) {
        sc_fail(&e, SC_EIO, "cli.read", "cannot read %s (or larger than %zu bytes)", argv[1],
                SEAL_IMG_MAX_BYTES);
        return cli_fail(&e);
    }
    seal_img_type t = seal_img_sniff(p, n);
    int rc = seal_img_load(p, n, NULL, &im, &e);
    free(p);
    if (rc != 0) return cli_fail(&e);
    uint64_t opaque = 0;
    for (size_t i = 0; i < (size_t)im.w * im.h; i++)
        opaque += im.rgba[i * 4 + 3] >= 128;
    printf("type: %s\nsize: %ux%u px\n", t == SEAL_IMG_PNG ? "PNG" : "JPEG", im.w, im.h);
    if (im.dpi > 0)
        printf("resolution: %.0f dpi (%.1f x %.1f mm)\n", im.dpi, im.w / im.dpi * 25.4,
               im.h / im.dpi * 25.4);
    else
        printf("resolution: not stated\n");
    printf("opaque pixels: %.1f%%\n", 100.0 * opaque / ((double)im.w * im.h));
    printf("rendering: %s\n",
           im.rendering ? "YES - a sealca rendering (样章), not a registered seal" : "no");
    seal_img_free(&im);
    return 0;
}

int cmd_seal_image(int argc, char **argv)
{
    if (argc < 2) return cli_usage("%s", usage_text);
    const char *sub = argv[1];
    if (strcmp(sub, "extract") == 0) return do_extract(argc - 1, argv + 1);
    if (strcmp(sub, "render") == 0) return do_render(argc - 1, argv + 1);
    if (strcmp(sub, "info") == 0) return do_info(argc - 1, argv + 1);
    return cli_usage("%s", usage_text);
}
