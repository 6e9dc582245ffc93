/* conf.c - sealca.conf parsing, typed lookups and writing back. */
#include "common/conf.h"
#include "common/utf8.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct conf_entry {
    char *key;
    char *val;
    size_t vlen;
    unsigned line; /* 0 when added by conf_set */
} conf_entry;

struct conf {
    size_t n, cap;
    conf_entry *ent;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int key_first(char c)
{
    return c >= 'a' && c <= 'z';
}

static int key_char(char c)
{
    return key_first(c) || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/* Key syntax; returns NULL or a reason. */
static const char *key_problem(const char *k, size_t n)
{
    if (n == 0 || !key_first(k[0])) return "a key must start with a lowercase letter a-z";
    if (n > CONF_MAX_KEY) return "a key may have at most 64 characters";
    for (size_t i = 1; i < n; i++)
        if (!key_char(k[i])) return "a key may only contain a-z 0-9 _ .";
    return NULL;
}

/* Value content: valid UTF-8 without control characters except tab. 0 ok, -1 bad UTF-8,
 * -2 control character. */
static int value_problem(const char *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = sc_utf8_next((const uint8_t *)v + i, n - i, &cp);
        if (k < 0) return -1;
        if (cp != '\t' && sc_utf8_is_control(cp)) return -2;
        i += (size_t)k;
    }
    return 0;
}

static conf_entry *find(const conf *c, const char *key, size_t klen)
{
    if (c == NULL || key == NULL) return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->ent[i].key) == klen && memcmp(c->ent[i].key, key, klen) == 0)
            return &c->ent[i];
    return NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Append an entry (caller has checked limits and duplicates). */
static int add(conf *c, const char *k, size_t kl, const char *v, size_t vl, unsigned line)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        conf_entry *ne = realloc(c->ent, ncap * sizeof(*ne));
        if (ne == NULL) return SC_ENOMEM;
        c->ent = ne;
        c->cap = ncap;
    }
    char *kk = dup_n(k, kl), *vv = dup_n(v, vl);
    if (kk == NULL || vv == NULL) {
        free(kk);
        free(vv);
        return SC_ENOMEM;
    }
    c->ent[c->n++] = (conf_entry){kk, vv, vl, line};
    return 0;
}

void conf_free(conf *c)
{
    if (c == NULL) return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->ent[i].key);
        sc_wipe(c->ent[i].val, c->ent[i].vlen);
        free(c->ent[i].val);
    }
    free(c->ent);
    free(c);
}

/* Parse one line (without its line end) into c. */
static int parse_line(conf *c, const char *s, size_t n, unsigned line, char *vbuf, sc_err *e)
{
    size_t p = 0;
    while (p < n && is_blank(s[p]))
        p++;
    if (p == n || s[p] == '#') return 0;
    size_t ks = p;
    while (p < n && s[p] != '=' && !is_blank(s[p]))
        p++;
    const char *why = key_problem(s + ks, p - ks);
    if (why != NULL) {
        if (p - ks == 0)
            return sc_fail(e, SC_EINVAL, "conf.syntax", "line %u: expected 'key = value'", line);
        return sc_fail(e, SC_EINVAL, "conf.bad_key", "line %u: %s", line, why);
    }
    size_t kl = p - ks;
    while (p < n && is_blank(s[p]))
        p++;
    if (p == n || s[p] != '=')
        return sc_fail(e, SC_EINVAL, "conf.syntax", "line %u: expected '=' after the key", line);
    p++;
    while (p < n && is_blank(s[p]))
        p++;
    size_t vl = 0;
    if (p < n && s[p] == '"') {
        p++;
        for (;;) {
            if (p == n)
                return sc_fail(e, SC_EINVAL, "conf.syntax",
                               "line %u: the quoted value has no closing '\"'", line);
            char ch = s[p];
            if (ch == '"') break;
            if (ch == '\\') {
                if (p + 1 == n || (s[p + 1] != '"' && s[p + 1] != '\\'))
                    return sc_fail(e, SC_EINVAL, "conf.syntax",
                                   "line %u: inside quotes only \\\" and \\\\ are escapes", line);
                ch = s[++p];
            }
            if (vl == CONF_MAX_VALUE)
                return sc_fail(e, SC_EINVAL, "conf.value_too_long",
                               "line %u: value longer than %d bytes", line, CONF_MAX_VALUE);
            vbuf[vl++] = ch;
            p++;
        }
        p++; /* closing quote */
        while (p < n && is_blank(s[p]))
            p++;
        if (p < n && s[p] != '#')
            return sc_fail(e, SC_EINVAL, "conf.syntax",
                           "line %u: unexpected text after the closing quote", line);
    } else {
        size_t vs = p, ve = p;
        for (; p < n; p++) {
            if (s[p] == '#') {
                if (p > vs && !is_blank(s[p - 1]))
                    return sc_fail(e, SC_EINVAL, "conf.syntax",
                                   "line %u: '#' inside an unquoted value; quote the value "
                                   "or put a space before the comment",
                                   line);
                break;
            }
            if (!is_blank(s[p])) ve = p + 1;
        }
        vl = ve - vs;
        if (vl > CONF_MAX_VALUE)
            return sc_fail(e, SC_EINVAL, "conf.value_too_long",
                           "line %u: value longer than %d bytes", line, CONF_MAX_VALUE);
        memcpy(vbuf, s + vs, vl);
    }
    if (value_problem(vbuf, vl) == -2)
        return sc_fail(e, SC_EINVAL, "conf.bad_char",
                       "line %u: control character in the value of '%.*s'", line, (int)kl, s + ks);
    const conf_entry *dup = find(c, s + ks, kl);
    if (dup != NULL)
        return sc_fail(e, SC_EINVAL, "conf.duplicate_key",
                       "line %u: key '%.*s' is already set on line %u", line, (int)kl, s + ks,
                       dup->line);
    if (c->n == CONF_MAX_ENTRIES)
        return sc_fail(e, SC_EINVAL, "conf.too_many", "line %u: more than %d entries", line,
                       CONF_MAX_ENTRIES);
    if (add(c, s + ks, kl, vbuf, vl, line) != 0)
        return sc_fail(e, SC_ENOMEM, "conf.nomem", "out of memory reading the configuration");
    return 0;
}

int conf_parse(const char *text, size_t len, conf **out, sc_err *e)
{
    *out = NULL;
    if (text == NULL) len = 0;
    if (len > CONF_MAX_FILE)
        return sc_fail(e, SC_ETOOBIG, "conf.too_big",
                       "configuration is %zu bytes; at most %d are accepted", len, CONF_MAX_FILE);
    /* Whole-text checks first, so that every later step sees clean UTF-8 lines. */
    unsigned line = 1;
    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\0') return sc_fail(e, SC_EINVAL, "conf.nul", "line %u: NUL byte", line);
        if (ch == '\r' && (i + 1 == len || text[i + 1] != '\n'))
            return sc_fail(e, SC_EINVAL, "conf.bare_cr",
                           "line %u: carriage return not followed by a line feed", line);
        if (ch == '\n') line++;
        uint32_t cp;
        int k = sc_utf8_next((const uint8_t *)text + i, len - i, &cp);
        if (k < 0) return sc_fail(e, SC_EINVAL, "conf.bad_utf8", "line %u: invalid UTF-8", line);
        i += (size_t)k;
    }
    conf *c = calloc(1, sizeof(*c));
    char *vbuf = malloc(CONF_MAX_VALUE + 1);
    if (c == NULL || vbuf == NULL) {
        free(c);
        free(vbuf);
        return sc_fail(e, SC_ENOMEM, "conf.nomem", "out of memory reading the configuration");
    }
    size_t p = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) p = 3;
    line = 1;
    int rc = 0;
    while (p < len) {
        const char *nl = memchr(text + p, '\n', len - p);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t ln = end - p;
        if (ln > 0 && text[p + ln - 1] == '\r') ln--;
        rc = parse_line(c, text + p, ln, line, vbuf, e);
        if (rc != 0) break;
        line++;
        p = end + 1;
    }
    sc_wipe(vbuf, CONF_MAX_VALUE + 1);
    free(vbuf);
    if (rc != 0) {
        conf_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int conf_load(const char *path, conf **out, sc_err *e)
{
    *out = NULL;
    uint8_t *p;
    size_t n;
    int rc = sc_file_read(path, CONF_MAX_FILE, &p, &n);
    if (rc == SC_ETOOBIG)
        return sc_fail(e, rc, "conf.too_big", "%s is larger than %d bytes", path, CONF_MAX_FILE);
    if (rc == SC_ENOMEM) return sc_fail(e, rc, "conf.nomem", "out of memory reading %s", path);
    if (rc != 0) return sc_fail(e, SC_EIO, "conf.io", "cannot read configuration file %s", path);
    rc = conf_parse((const char *)p, n, out, e);
    sc_wipe(p, n);
    free(p);
    return rc;
}

const char *conf_get(const conf *c, const char *key)
{
    const conf_entry *en = key ? find(c, key, strlen(key)) : NULL;
    return en ? en->val : NULL;
}

size_t conf_count(const conf *c)
{
    return c ? c->n : 0;
}

const char *conf_key_at(const conf *c, size_t i)
{
    return c && i < c->n ? c->ent[i].key : NULL;
}

/* "line N" for parsed entries, "set by the program" for conf_set ones. */
static void where(const conf_entry *en, char *buf, size_t n)
{
    if (en->line)
        snprintf(buf, n, "line %u", en->line);
    else
        snprintf(buf, n, "set by the program");
}

int conf_get_int(const conf *c, const char *key, long min, long max, long def, long *out, sc_err *e)
{
    const conf_entry *en = key ? find(c, key, strlen(key)) : NULL;
    if (en == NULL) {
        *out = def;
        return 0;
    }
    char w[32];
    where(en, w, sizeof(w));
    const char *s = en->val;
    int neg = 0;
    if (*s == '+' || *s == '-') neg = *s++ == '-';
    if (*s == '\0')
        return sc_fail(e, SC_EINVAL, "conf.bad_int", "%s (%s): expected a whole number", key, w);
    /* Accumulate negatively: LONG_MIN has no positive counterpart. */
    long v = 0;
    int overflow = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return sc_fail(e, SC_EINVAL, "conf.bad_int", "%s (%s): expected a whole number", key,
                           w);
        int d = *s - '0';
        if (v < (LONG_MIN + d) / 10)
            overflow = 1;
        else
            v = v * 10 - d;
    }
    if (!neg) {
        if (v == LONG_MIN)
            overflow = 1;
        else
            v = -v;
    }
    if (overflow || v < min || v > max)
        return sc_fail(e, SC_EINVAL, "conf.out_of_range", "%s (%s): must be between %ld and %ld",
                       key, w, min, max);
    *out = v;
    return 0;
}

int conf_get_bool(const conf *c, const char *key, int def, int *out, sc_err *e)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    const conf_entry *en = key ? find(c, key, strlen(key)) : NULL;
    if (en == NULL) {
        *out = def;
        return 0;
    }
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(en->val, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(en->val, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    char w[32];
    where(en, w, sizeof(w));
    return sc_fail(e, SC_EINVAL, "conf.bad_bool",
                   "%s (%s): expected true/false, yes/no, on/off or 1/0", key, w);
}

int conf_check_keys(const conf *c, const char *const *known, sc_err *e)
{
    for (size_t i = 0; c != NULL && i < c->n; i++) {
        int ok = 0;
        for (size_t k = 0; known != NULL && known[k] != NULL && !ok; k++)
            ok = strcmp(known[k], c->ent[i].key) == 0;
        if (!ok) {
            char w[32];
            where(&c->ent[i], w, sizeof(w));
            return sc_fail(e, SC_EINVAL, "conf.unknown_key", "unknown key '%s' (%s)", c->ent[i].key,
                           w);
        }
    }
    return 0;
}

int conf_set(conf *c, const char *key, const char *value, sc_err *e)
{
    if (c == NULL || key == NULL || value == NULL)
        return sc_fail(e, SC_EINVAL, "conf.bad_key", "conf_set: missing argument");
    size_t kl = strnlen(key, CONF_MAX_KEY + 1);
    const char *why = key_problem(key, kl);
    if (why != NULL) return sc_fail(e, SC_EINVAL, "conf.bad_key", "%s", why);
    size_t vl = strnlen(value, CONF_MAX_VALUE + 1);
    if (vl > CONF_MAX_VALUE)
        return sc_fail(e, SC_EINVAL, "conf.value_too_long", "%s: value longer than %d bytes", key,
                       CONF_MAX_VALUE);
    int vp = value_problem(value, vl);
    if (vp == -1)
        return sc_fail(e, SC_EINVAL, "conf.bad_utf8", "%s: value is not valid UTF-8", key);
    if (vp == -2)
        return sc_fail(e, SC_EINVAL, "conf.bad_char",
                       "%s: value contains a control character (only tab is allowed)", key);
    conf_entry *en = find(c, key, kl);
    if (en != NULL) {
        char *nv = dup_n(value, vl);
        if (nv == NULL) return sc_fail(e, SC_ENOMEM, "conf.nomem", "out of memory");
        sc_wipe(en->val, en->vlen);
        free(en->val);
        en->val = nv;
        en->vlen = vl;
        return 0;
    }
    if (c->n == CONF_MAX_ENTRIES)
        return sc_fail(e, SC_EINVAL, "conf.too_many", "more than %d entries", CONF_MAX_ENTRIES);
    if (add(c, key, kl, value, vl, 0) != 0)
        return sc_fail(e, SC_ENOMEM, "conf.nomem", "out of memory");
    return 0;
}

static int needs_quotes(const char *v, size_t n)
{
    if (n == 0 || is_blank(v[0]) || is_blank(v[n - 1])) return 1;
    return memchr(v, '#', n) != NULL || memchr(v, '"', n) != NULL;
}

int conf_format(const conf *c, sc_buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; c != NULL && i < c->n; i++) {
        const conf_entry *en = &c->ent[i];
        sc_buf_append(out, en->key, strlen(en->key));
        sc_buf_append(out, " = ", 3);
        if (needs_quotes(en->val, en->vlen)) {
            sc_buf_putc(out, '"');
            for (size_t k = 0; k < en->vlen; k++) {
                if (en->val[k] == '"' || en->val[k] == '\\') sc_buf_putc(out, '\\');
                sc_buf_putc(out, (uint8_t)en->val[k]);
            }
            sc_buf_putc(out, '"');
        } else {
            sc_buf_append(out, en->val, en->vlen);
        }
        sc_buf_putc(out, '\n');
        if (out->oom) return SC_ENOMEM;
        if (out->len - start > CONF_MAX_FILE) {
            out->len = start;
            return SC_ETOOBIG;
        }
    }
    return 0;
}
