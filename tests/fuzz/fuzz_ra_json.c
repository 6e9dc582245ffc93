/* fuzz_ra_json.c - libFuzzer target: RA request decoding (jansson with duplicate keys refused,
 * size and depth limits, typed members) and the order field checks never crash, never accept
 * invalid UTF-8 or control characters, and a refusal always names a stable code. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "ra/ra.h"
#include "ra/ra_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ra_catalog *cat;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_ra_json: %s\n", what);
    abort();
}

static void check_text(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = sc_utf8_next((const uint8_t *)s + i, n - i, &cp);
        if (l < 0) die("accepted invalid UTF-8");
        if (sc_utf8_is_control(cp) && cp != '\n') die("accepted a control character");
        i += (size_t)l;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ra_err re = {0};
    if (cat == NULL && ra_catalog_load(NULL, &cat, &re) != 0) die("demo catalog");
    /* the body in its own allocation, so ASan sees any read past its end */
    uint8_t *body = malloc(size ? size : 1);
    if (body == NULL) return 0;
    memcpy(body, data, size);
    json_t *j = NULL;
    int rc = ra_json_parse(body, size, &j, &re);
    if (rc != 0) {
        if (j != NULL || re.e.code[0] == 0) die("refusal without a code");
        free(body);
        return 0;
    }
    static const char *const keys[] = {"login", "password", "phone", "email", "name", NULL};
    memset(&re, 0, sizeof(re));
    if (ra_json_keys(j, keys, &re) == 0) {
        for (size_t i = 0; keys[i]; i++) {
            const char *s = NULL;
            memset(&re, 0, sizeof(re));
            if (ra_json_str(j, keys[i], 256, &s, &re) == 0 && s != NULL) check_text(s);
        }
    }
    /* the order field checks, as a PATCH would run them */
    ra r;
    memset(&r, 0, sizeof(r));
    r.cat = cat;
    json_t *all = json_object();
    memset(&re, 0, sizeof(re));
    if (ra_fields_merge(&r, all, j, &re) == 0) {
        const char *k;
        json_t *v;
        RA_OBJ_EACH(all, k, v) if (json_is_string(v)) check_text(json_string_value(v));
    } else if (re.e.code[0] == 0) {
        die("field refusal without a code");
    }
    json_decref(all);
    json_decref(j);
    free(body);
    return 0;
}
