/* json.c - decoding of RA request bodies with jansson: strict UTF-8, no duplicate keys, size and
 * depth limits, typed members with field-named errors. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"
#include "ra/ra.h"

int ra_fail(ra_err *re, int status, const char *code, const char *field, const char *fmt, ...)
{
    if (re == NULL) return status;
    if (re->e.status != 0) return status;
    re->e.status = status;
    snprintf(re->e.code, sizeof(re->e.code), "%s", code);
    snprintf(re->field, sizeof(re->field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(re->e.msg, sizeof(re->e.msg), fmt, ap);
    va_end(ap);
    return status;
}

static int depth_ok(json_t *j, int depth)
{
    if (depth > 16) return 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        RA_OBJ_EACH(j, k, v)
        {
            (void)k;
            if (!depth_ok(v, depth + 1)) return 0;
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        RA_ARR_EACH(j, i, v) if (!depth_ok(v, depth + 1)) return 0;
    }
    return 1;
}

int ra_json_parse(const uint8_t *body, size_t len, json_t **out, ra_err *re)
{
    *out = NULL;
    if (len > RA_JSON_MAX)
        return ra_fail(re, SC_ETOOBIG, "request.too_large", NULL, "request body over %d bytes",
                       RA_JSON_MAX);
    if (body == NULL || len == 0)
        return ra_fail(re, SC_EINVAL, "request.bad_json", NULL, "empty request body");
    /* jansson refuses invalid UTF-8 and (without JSON_ALLOW_NUL) NUL inside strings */
    json_error_t je;
    json_t *j = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL)
        return ra_fail(re, SC_EINVAL, "request.bad_json", NULL, "bad JSON at byte %d: %.120s",
                       je.position, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return ra_fail(re, SC_EINVAL, "request.bad_json", NULL, "the body must be a JSON object");
    }
    if (!depth_ok(j, 0)) {
        json_decref(j);
        return ra_fail(re, SC_EINVAL, "request.bad_json", NULL, "JSON nested too deeply");
    }
    *out = j;
    return 0;
}

int ra_json_keys(json_t *o, const char *const *allowed, ra_err *re)
{
    const char *k;
    json_t *v;
    RA_OBJ_EACH(o, k, v)
    {
        (void)v;
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok) {
            char f[48];
            snprintf(f, sizeof(f), "%.47s", k);
            /* the key may be arbitrary UTF-8 cut mid-character: the field name stays ASCII */
            for (char *p = f; *p; p++)
                if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20) *p = '?';
            return ra_fail(re, SC_EINVAL, "field.unknown", f, "unknown field");
        }
    }
    return 0;
}

int ra_json_str(json_t *o, const char *key, size_t max, const char **out, ra_err *re)
{
    *out = NULL;
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) return 0;
    if (!json_is_string(v))
        return ra_fail(re, SC_EINVAL, "field.type", key, "%s must be a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max)
        return ra_fail(re, SC_EINVAL, "field.too_long", key, "%s longer than %zu bytes", key, max);
    /* jansson already checked UTF-8; refuse control characters other than line breaks in text */
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = sc_utf8_next((const uint8_t *)s + i, n - i, &cp);
        if (l < 0) return ra_fail(re, SC_EINVAL, "field.bad_char", key, "invalid UTF-8");
        if (sc_utf8_is_control(cp) && cp != '\n')
            return ra_fail(re, SC_EINVAL, "field.bad_char", key, "control character in %s", key);
        i += (size_t)l;
    }
    *out = s;
    return 0;
}

int ra_json_int(json_t *o, const char *key, int64_t min, int64_t max, int64_t *out, int *present,
                ra_err *re)
{
    if (present) *present = 0;
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) return 0;
    if (!json_is_integer(v))
        return ra_fail(re, SC_EINVAL, "field.type", key, "%s must be an integer", key);
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return ra_fail(re, SC_EINVAL, "field.range", key, "%s must be %lld..%lld", key,
                       (long long)min, (long long)max);
    *out = x;
    if (present) *present = 1;
    return 0;
}

int ra_json_bool(json_t *o, const char *key, int *out, int *present, ra_err *re)
{
    if (present) *present = 0;
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) return 0;
    if (!json_is_boolean(v))
        return ra_fail(re, SC_EINVAL, "field.type", key, "%s must be true or false", key);
    *out = json_is_true(v);
    if (present) *present = 1;
    return 0;
}
