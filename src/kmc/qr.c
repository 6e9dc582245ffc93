/* qr.c - QR code PNGs of activation codes (libqrencode for the symbol, libpng for the file). */
#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "kmc/kmc.h"

#define QR_SCALE  8
#define QR_BORDER 4

static void png_to_buf(png_structp p, png_bytep data, png_size_t n)
{
    sc_buf *b = png_get_io_ptr(p);
    sc_buf_append(b, data, n);
}

static void png_flush_noop(png_structp p)
{
    (void)p;
}

int kmc_qr_png(const char *text, sc_buf *png, sc_err *e)
{
    if (text == NULL || strlen(text) > 512)
        return sc_fail(e, SC_EINVAL, "qr.too_long", "QR text longer than 512 bytes");
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (q == NULL) return sc_fail(e, SC_EINTERNAL, "qr.encode", "libqrencode failed");
    int side = (q->width + 2 * QR_BORDER) * QR_SCALE;
    uint8_t *row = malloc((size_t)side);
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    int rc = SC_EINTERNAL;
    if (row == NULL || p == NULL || info == NULL) goto out;
    if (setjmp(png_jmpbuf(p))) goto out;
    png_set_write_fn(p, png, png_to_buf, png_flush_noop);
    png_set_IHDR(p, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    for (int y = 0; y < side; y++) {
        int my = y / QR_SCALE - QR_BORDER;
        for (int x = 0; x < side; x++) {
            int mx = x / QR_SCALE - QR_BORDER;
            int dark = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
                       (q->data[my * q->width + mx] & 1);
            row[x] = dark ? 0 : 255;
        }
        png_write_row(p, row);
    }
    png_write_end(p, NULL);
    rc = png->oom ? SC_ENOMEM : 0;
out:
    if (p != NULL) png_destroy_write_struct(&p, info ? &info : NULL);
    free(row);
    QRcode_free(q);
    return rc ? sc_fail(e, rc, "qr.png", "cannot write the QR code PNG") : 0;
}
