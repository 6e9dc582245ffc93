/* fuzz_multipart.c - libFuzzer target: the multipart parser never reads outside the body, and what
 * it accepts is well formed. Input: the Content-Type up to the first LF, then the body. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_multipart: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl == NULL) return 0;
    size_t ctl = (size_t)(nl - data);
    char *ct = malloc(ctl + 1);
    if (ct == NULL) return 0;
    memcpy(ct, data, ctl);
    ct[ctl] = 0;
    /* the body in its own allocation, so ASan sees any read past its end */
    size_t blen = size - ctl - 1;
    uint8_t *body = malloc(blen ? blen : 1);
    if (body == NULL) {
        free(ct);
        return 0;
    }
    memcpy(body, nl + 1, blen);
    mp_part parts[8];
    size_t n = 0;
    sc_err e = {0};
    int rc = mp_parse(ct, body, blen, parts, 8, &n, &e);
    if (rc == 0) {
        char b[80], delim[84];
        if (mp_boundary(ct, b, sizeof(b), NULL) != 0) die("accepted without a boundary");
        int dl = snprintf(delim, sizeof(delim), "\r\n--%s", b);
        if (n == 0 || n > 8) die("bad part count");
        for (size_t i = 0; i < n; i++) {
            const mp_part *p = &parts[i];
            if (p->name[0] == 0 || memchr(p->name, 0, sizeof(p->name)) == NULL ||
                memchr(p->filename, 0, sizeof(p->filename)) == NULL ||
                memchr(p->ctype, 0, sizeof(p->ctype)) == NULL)
                die("unterminated or empty name");
            if (p->data < body || p->data + p->len > body + blen) die("part outside the body");
            if (p->len >= (size_t)dl && memmem(p->data, p->len, delim, (size_t)dl) != NULL)
                die("a part contains the delimiter");
            if (i > 0 && p->data <= parts[i - 1].data) die("parts out of order");
        }
    } else {
        if (n != 0 || e.code[0] == 0) die("error without code or with parts");
        if (rc != SC_EINVAL && rc != SC_ETOOBIG) die("unexpected status");
    }
    free(body);
    free(ct);
    return 0;
}
