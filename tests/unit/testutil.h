/* testutil.h - shared helpers for the cmocka unit tests. */
#ifndef SEALCA_TESTUTIL_H
#define SEALCA_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Decode a hex literal into a static-sized buffer; fails the test on bad hex. */
static inline size_t tu_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    assert_true(n % 2 == 0 && n / 2 <= cap);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n / 2;
}

/* Number of iterations for randomized tests: n normally, n*soak under `make soak`. */
static inline long tu_iters(long n, long soak_factor)
{
    const char *s = getenv("SEALCA_SOAK");
    return (s != NULL && *s == '1') ? n * soak_factor : n;
}

/* A fresh temporary directory (mkdtemp) under $TMPDIR; caller removes with tu_rmrf. */
static inline char *tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/sealca-test-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(p) == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

static inline void tu_rmrf(char *dir)
{
    if (dir == NULL) return;
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        /* best effort */
    }
    free(dir);
}

#endif
