/* fuzz_material.c - libFuzzer target: sniffing never misbehaves, and an image it accepts either
 * decodes into a bounded preview or is refused with a code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/material.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_material: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *mime = NULL;
    sc_err e = {0};
    int rc = material_sniff(data, size, &mime, &e);
    if (rc != 0) {
        if (mime != NULL || e.code[0] == 0) die("error with a type or without a code");
        return 0;
    }
    if (strcmp(mime, "image/png") != 0 && strcmp(mime, "image/jpeg") != 0 &&
        strcmp(mime, "application/pdf") != 0)
        die("unknown type");
    if (mime[0] != 'i') return 0; /* PDFs: poppler has its own fuzzing (OSS-Fuzz) */
    sc_buf png = {0};
    sc_err e2 = {0};
    if (material_preview(data, size, 64, &png, &e2) == 0) {
        const char *m2 = NULL;
        if (material_sniff(png.p, png.len, &m2, NULL) != 0 || strcmp(m2, "image/png") != 0)
            die("preview is not a PNG");
    } else if (e2.code[0] == 0) {
        die("preview error without a code");
    }
    sc_buf_free(&png);
    return 0;
}
