/* fuzz_name.c - libFuzzer target: name_parse never misbehaves, and format + re-parse is lossless.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_name: %s\n", what);
    abort();
}

static int same(const sc_name *a, const sc_name *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->attr[i].type != b->attr[i].type || a->attr[i].len != b->attr[i].len ||
            memcmp(a->attr[i].value, b->attr[i].value, a->attr[i].len) != 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sc_name a, b;
    static char out[32768], out2[32768];
    sc_err e = {0};
    int rc = name_parse((const char *)data, size, &a, &e);
    if (rc != 0) {
        if (e.status != rc || e.code[0] == '\0' || e.msg[0] == '\0')
            die("error without status/code/message");
        return 0;
    }
    if (e.status != 0) die("success with an error recorded");
    int cn = 0;
    if (a.n == 0 || a.n > NAME_MAX_ATTRS) die("attribute count out of range");
    for (size_t i = 0; i < a.n; i++) {
        const name_attr *t = &a.attr[i];
        if (t->len == 0 || t->len > NAME_MAX_VALUE || t->value[t->len] != '\0' ||
            memchr(t->value, '\0', t->len) != NULL || name_type_label(t->type) == NULL)
            die("malformed attribute");
        cn |= t->type == NAME_CN;
    }
    if (!cn) die("accepted a name without CN");
    if (name_format(&a, out, sizeof(out)) != 0) die("name_format failed on a parsed name");
    size_t len = strlen(out);
    sc_err e2 = {0};
    rc = name_parse(out, len, &b, &e2);
    if (len > NAME_MAX_INPUT) {
        if (rc != SC_ETOOBIG) die("over-long formatted name not refused as too big");
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "re-parse of '%s' failed: %s %s\n", out, e2.code, e2.msg);
        die("formatted name does not parse");
    }
    if (!same(&a, &b)) die("format + parse changed the name");
    if (name_format(&b, out2, sizeof(out2)) != 0 || strcmp(out, out2) != 0)
        die("format is not stable");
    return 0;
}
