/* fuzz_conf.c - libFuzzer target: conf_parse never misbehaves, and format + re-parse is lossless.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_conf: %s\n", what);
    abort();
}

static int same(const conf *a, const conf *b)
{
    if (conf_count(a) != conf_count(b)) return 0;
    for (size_t i = 0; i < conf_count(a); i++) {
        const char *k = conf_key_at(a, i);
        if (strcmp(k, conf_key_at(b, i)) != 0 || strcmp(conf_get(a, k), conf_get(b, k)) != 0)
            return 0;
    }
    return 1;
}

/* format, re-parse, compare */
static void roundtrip(const conf *c)
{
    sc_buf b = {0};
    int rc = conf_format(c, &b);
    if (rc == SC_ETOOBIG) {
        if (b.len != 0) die("conf_format left partial output");
        sc_buf_free(&b);
        return;
    }
    if (rc != 0) die("conf_format failed");
    conf *d = NULL;
    sc_err e = {0};
    if (conf_parse((const char *)b.p, b.len, &d, &e) != 0) {
        fprintf(stderr, "%s %s\n", e.code, e.msg);
        die("formatted text does not parse");
    }
    if (!same(c, d)) die("format + parse changed the entries");
    conf_free(d);
    sc_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    conf *c = NULL;
    sc_err e = {0};
    int rc = conf_parse((const char *)data, size, &c, &e);
    if (rc != 0) {
        if (c != NULL || e.status != rc || e.code[0] == '\0')
            die("error without status/code, or with a result");
        /* Carry on with an empty conf so the bytes still reach conf_set below. */
        if (conf_parse("", 0, &c, NULL) != 0) die("empty text refused");
    }
    for (size_t i = 0; i < conf_count(c); i++) {
        const char *k = conf_key_at(c, i);
        long v;
        int b;
        sc_err ge = {0};
        (void)conf_get_int(c, k, -1000, 1000, 0, &v, &ge);
        (void)conf_get_bool(c, k, 0, &b, &ge);
    }
    static const char *const known[] = {"ca.name", "valid_days", NULL};
    sc_err ke = {0};
    (void)conf_check_keys(c, known, &ke);
    roundtrip(c);
    /* The input as one value set by the program (up to its first NUL). */
    if (size <= CONF_MAX_VALUE + 1) {
        char *v = malloc(size + 1);
        if (v == NULL) die("malloc");
        memcpy(v, data, size);
        v[size] = '\0';
        sc_err se = {0};
        size_t before = conf_count(c);
        if (conf_set(c, "fuzz.value", v, &se) == 0) {
            if (strcmp(conf_get(c, "fuzz.value"), v) != 0) die("conf_set stored something else");
            roundtrip(c);
        } else if (conf_count(c) != before) {
            die("refused conf_set changed the entries");
        }
        free(v);
    }
    conf_free(c);
    return 0;
}
