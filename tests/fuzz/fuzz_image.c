/* fuzz_image.c - libFuzzer target: the seal image loader never crashes, leaks or exceeds its
 * limits on any bytes; what it accepts re-encodes and re-loads identically, and extraction
 * runs on it without misbehaving. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_image: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* limits smaller than production so each input stays fast; the code paths are the same */
    const seal_img_limits lim = {.max_bytes = 1 << 20, .max_dim = 1024, .max_pixels = 1 << 18};
    seal_img im, back, ext;
    sc_err e = {0};
    int rc = seal_img_load(data, size, &lim, &im, &e);
    if (rc != 0) {
        if (im.rgba != NULL || im.w != 0) die("failed load left a picture behind");
        if (e.code[0] == 0) die("failed load without an error code");
        return 0;
    }
    if (im.w == 0 || im.h == 0 || im.w > lim.max_dim || im.h > lim.max_dim ||
        (uint64_t)im.w * im.h > lim.max_pixels)
        die("accepted a picture outside the limits");
    /* what was accepted round-trips through the PNG writer exactly */
    sc_buf png = {0};
    if (seal_img_png(&im, &png, NULL) != 0) die("cannot re-encode an accepted picture");
    if (seal_img_load(png.p, png.len, NULL, &back, NULL) != 0) die("own PNG refused");
    if (back.w != im.w || back.h != im.h ||
        memcmp(back.rgba, im.rgba, (size_t)im.w * im.h * 4) != 0)
        die("PNG round trip changed the picture");
    seal_img_free(&back);
    sc_buf_free(&png);
    /* extraction on arbitrary pixels, as is and with perspective correction (frame search,
     * homography, ellipse fit, line removal): a result or a clean 'no ink' */
    for (int deskew = 0; deskew <= 1; deskew++) {
        seal_extract_opts o = {.ink = ((size >> deskew) & 1) ? SEAL_INK_DARK : SEAL_INK_RED,
                               .size_mm = 10,
                               .dpi = 100,
                               .deskew = deskew ? SEAL_DESKEW_AUTO : SEAL_DESKEW_OFF};
        seal_extract_info info;
        rc = seal_extract(&im, &o, &ext, &info, NULL);
        if (rc == 0) {
            if (info.bx + info.bw > im.w || info.by + info.bh > im.h) die("region outside");
            if (ext.w == 0 || ext.h == 0 || ext.w > 4000 || ext.h > 4000) die("result size");
            if (info.axis_ratio < 0 || info.axis_ratio > 1) die("axis ratio outside 0..1");
            seal_img_free(&ext);
        } else if (rc != SC_ENOTFOUND) {
            die("extraction failed other than 'no ink'");
        } else if (ext.rgba != NULL) {
            die("failed extraction left a picture behind");
        }
    }
    seal_img_free(&im);
    return 0;
}
