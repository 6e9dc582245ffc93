/* multipart.c - strict RFC 7578 multipart/form-data parsing: boundary, parts, part headers. */
#include "ra/multipart.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/utf8.h"

#define MP_MAX_BOUNDARY 70 /* RFC 2046 §5.1.1 */

static int is_tchar(int c)
{
    /* RFC 9110 §5.6.2 token characters */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int is_bchar(int c)
{
    /* RFC 2046 §5.1.1 bcharsnospace, plus space (not last) */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("'()+_,-./:=? ", c) != NULL);
}

static const char *skip_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/*
 * One parameter `; name=value` of a header value (RFC 9110 §5.6.6): *p at the ';'. value is a
 * token or a quoted-string (quoted-pairs unescaped). Returns 1 when a parameter was read, 0 at
 * the end, -1 on a syntax error, -2 when the value does not fit vcap.
 */
static int next_param(const char **pp, const char *end, char *name, size_t ncap, char *val,
                      size_t vcap)
{
    const char *p = skip_ows(*pp, end);
    if (p == end) return 0;
    if (*p != ';') return -1;
    p = skip_ows(p + 1, end);
    size_t n = 0;
    while (p < end && is_tchar((unsigned char)*p)) {
        if (n + 1 >= ncap) return -1;
        name[n++] = *p++;
    }
    name[n] = 0;
    if (n == 0 || p == end || *p != '=') return -1;
    p++;
    size_t v = 0;
    if (p < end && *p == '"') {
        p++;
        for (;;) {
            if (p == end) return -1; /* unterminated quoted-string */
            unsigned char c = (unsigned char)*p;
            if (c == '"') break;
            if (c == '\\') {
                if (++p == end) return -1;
                c = (unsigned char)*p;
            }
            /* qdtext: no controls except HTAB; obs-text (UTF-8 bytes) allowed, checked later */
            if ((c < 0x20 && c != '\t') || c == 0x7f) return -1;
            if (v + 1 >= vcap) return -2;
            val[v++] = (char)c;
            p++;
        }
        p++;
    } else {
        while (p < end && is_tchar((unsigned char)*p)) {
            if (v + 1 >= vcap) return -2;
            val[v++] = *p++;
        }
        if (v == 0) return -1;
    }
    val[v] = 0;
    *pp = p;
    return 1;
}

/* Valid UTF-8 without control characters. */
static int text_ok(const char *s)
{
    size_t n = strlen(s);
    const uint8_t *p = (const uint8_t *)s;
    while (n > 0) {
        uint32_t cp;
        int k = sc_utf8_next(p, n, &cp);
        if (k < 0 || sc_utf8_is_control(cp)) return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

int mp_boundary(const char *ct, char *out, size_t outsz, sc_err *e)
{
    static const char mt[] = "multipart/form-data";
    if (outsz > 0) out[0] = 0;
    if (ct == NULL || strlen(ct) > 1024)
        return sc_fail(e, SC_EINVAL, "multipart.bad_content_type",
                       "the request is not multipart/form-data");
    const char *end = ct + strlen(ct);
    const char *p = skip_ows(ct, end);
    if ((size_t)(end - p) < sizeof(mt) - 1 || strncasecmp(p, mt, sizeof(mt) - 1) != 0 ||
        (p[sizeof(mt) - 1] != 0 && p[sizeof(mt) - 1] != ';' && p[sizeof(mt) - 1] != ' ' &&
         p[sizeof(mt) - 1] != '\t'))
        return sc_fail(e, SC_EINVAL, "multipart.bad_content_type",
                       "the request is not multipart/form-data");
    p += sizeof(mt) - 1;
    char name[32], val[MP_MAX_BOUNDARY + 1];
    int found = 0, r;
    while ((r = next_param(&p, end, name, sizeof(name), val, sizeof(val))) == 1) {
        if (strcasecmp(name, "boundary") != 0) continue;
        if (found++)
            return sc_fail(e, SC_EINVAL, "multipart.bad_boundary",
                           "the Content-Type names the boundary twice");
        size_t bl = strlen(val);
        for (size_t i = 0; i < bl; i++)
            if (!is_bchar((unsigned char)val[i]))
                return sc_fail(e, SC_EINVAL, "multipart.bad_boundary",
                               "the boundary contains a character RFC 2046 does not allow");
        if (bl == 0 || val[bl - 1] == ' ')
            return sc_fail(e, SC_EINVAL, "multipart.bad_boundary",
                           "the boundary is empty or ends with a space");
        if (bl + 1 > outsz) return SC_EINVAL;
        memcpy(out, val, bl + 1);
    }
    if (r == -2)
        return sc_fail(e, SC_EINVAL, "multipart.bad_boundary",
                       "the boundary is longer than 70 characters (RFC 2046)");
    if (r < 0)
        return sc_fail(e, SC_EINVAL, "multipart.bad_content_type",
                       "the Content-Type parameters are malformed");
    if (!found)
        return sc_fail(e, SC_EINVAL, "multipart.bad_boundary",
                       "the Content-Type has no boundary parameter");
    return 0;
}

/* Parse the part headers in [p, end) (each line ends with CRLF, the blank line excluded). */
static int part_headers(const char *p, const char *end, mp_part *pt, sc_err *e)
{
    int nh = 0, have_cd = 0, have_ct = 0;
    while (p < end) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        if (eol == NULL || eol + 1 >= end || eol[1] != '\n')
            return sc_fail(e, SC_EINVAL, "multipart.bad_header",
                           "a part header line does not end with CRLF");
        if (memchr(p, '\n', (size_t)(eol - p)) != NULL || memchr(p, 0, (size_t)(eol - p)) != NULL)
            return sc_fail(e, SC_EINVAL, "multipart.bad_header",
                           "a part header contains a bare LF or a NUL byte");
        if (++nh > MP_MAX_HEADERS)
            return sc_fail(e, SC_ETOOBIG, "multipart.too_many_headers",
                           "a part has more than %d header lines", MP_MAX_HEADERS);
        if (*p == ' ' || *p == '\t')
            return sc_fail(e, SC_EINVAL, "multipart.bad_header",
                           "folded part headers are not accepted");
        const char *c = p;
        while (c < eol && is_tchar((unsigned char)*c))
            c++;
        if (c == p || c == eol || *c != ':')
            return sc_fail(e, SC_EINVAL, "multipart.bad_header", "a part header has no name");
        size_t hn = (size_t)(c - p);
        const char *v = skip_ows(c + 1, eol), *ve = eol;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (hn == 19 && strncasecmp(p, "Content-Disposition", 19) == 0) {
            if (have_cd++)
                return sc_fail(e, SC_EINVAL, "multipart.bad_disposition",
                               "a part has two Content-Disposition headers");
            if ((size_t)(ve - v) < 9 || strncasecmp(v, "form-data", 9) != 0)
                return sc_fail(e, SC_EINVAL, "multipart.bad_disposition",
                               "a part's Content-Disposition is not form-data");
            const char *q = v + 9;
            char pn[32], pv[sizeof(pt->filename)];
            int r, have_name = 0, have_fn = 0;
            while ((r = next_param(&q, ve, pn, sizeof(pn), pv, sizeof(pv))) == 1) {
                char *dst = NULL;
                size_t cap = 0;
                if (strcasecmp(pn, "name") == 0) {
                    if (have_name++) goto dup;
                    dst = pt->name;
                    cap = sizeof(pt->name);
                } else if (strcasecmp(pn, "filename") == 0) {
                    if (have_fn++) goto dup;
                    dst = pt->filename;
                    cap = sizeof(pt->filename);
                } else {
                    continue; /* RFC 7578 §4.2: other parameters are ignored (filename* too) */
                }
                if (strlen(pv) >= cap)
                    return sc_fail(e, SC_ETOOBIG, "multipart.name_too_long",
                                   "a part's %s is too long (at most %zu bytes)", pn, cap - 1);
                if (!text_ok(pv))
                    return sc_fail(e, SC_EINVAL, "multipart.bad_name",
                                   "a part's %s is not valid UTF-8 text", pn);
                memcpy(dst, pv, strlen(pv) + 1);
            }
            if (r == -2)
                return sc_fail(e, SC_ETOOBIG, "multipart.name_too_long",
                               "a part's file name is too long (at most 255 bytes)");
            if (r < 0)
                return sc_fail(e, SC_EINVAL, "multipart.bad_disposition",
                               "a part's Content-Disposition parameters are malformed");
            if (!have_name || pt->name[0] == 0)
                return sc_fail(e, SC_EINVAL, "multipart.bad_disposition",
                               "a part's Content-Disposition has no name");
        } else if (hn == 12 && strncasecmp(p, "Content-Type", 12) == 0) {
            if (have_ct++)
                return sc_fail(e, SC_EINVAL, "multipart.bad_header",
                               "a part has two Content-Type headers");
            size_t l = (size_t)(ve - v);
            if (l >= sizeof(pt->ctype))
                return sc_fail(e, SC_ETOOBIG, "multipart.header_too_long",
                               "a part's Content-Type is too long");
            for (size_t i = 0; i < l; i++)
                if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
                    return sc_fail(e, SC_EINVAL, "multipart.bad_header",
                                   "a part's Content-Type is not ASCII text");
            memcpy(pt->ctype, v, l);
            pt->ctype[l] = 0;
        } else if (hn == 25 && strncasecmp(p, "Content-Transfer-Encoding", 25) == 0) {
            /* RFC 7578 §4.7: deprecated; only the identity encodings mean anything here */
            size_t l = (size_t)(ve - v);
            if (!((l == 6 && strncasecmp(v, "binary", 6) == 0) ||
                  (l == 4 && strncasecmp(v, "8bit", 4) == 0) ||
                  (l == 4 && strncasecmp(v, "7bit", 4) == 0)))
                return sc_fail(e, SC_EINVAL, "multipart.bad_encoding",
                               "a part uses a Content-Transfer-Encoding sealca does not accept");
        }
        /* RFC 7578 §4.8: any other header is ignored */
        p = eol + 2;
    }
    if (!have_cd)
        return sc_fail(e, SC_EINVAL, "multipart.no_disposition",
                       "a part has no Content-Disposition header");
    return 0;
dup:
    return sc_fail(e, SC_EINVAL, "multipart.bad_disposition",
                   "a part's Content-Disposition repeats a parameter");
}

int mp_parse(const char *content_type, const uint8_t *body, size_t len, mp_part *parts,
             size_t max_parts, size_t *nparts, sc_err *e)
{
    *nparts = 0;
    char b[MP_MAX_BOUNDARY + 1];
    int rc = mp_boundary(content_type, b, sizeof(b), e);
    if (rc != 0) return rc;
    /* delim = CRLF "--" boundary; the first one may lack the CRLF (no preamble accepted) */
    char delim[MP_MAX_BOUNDARY + 5];
    size_t dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", b);
    const char *s = (const char *)body, *end = s + len;
    if (len < dl - 2 || memcmp(s, delim + 2, dl - 2) != 0)
        return sc_fail(e, SC_EINVAL, "multipart.no_start",
                       "the body does not begin with the multipart boundary");
    const char *p = s + dl - 2;
    size_t n = 0;
    for (;;) {
        /* after a delimiter: "--" closes, CRLF opens a part */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            p += 2;
            if (p == end || (end - p == 2 && p[0] == '\r' && p[1] == '\n')) break;
            rc = sc_fail(e, SC_EINVAL, "multipart.trailing_data",
                         "there is data after the closing boundary");
            goto fail;
        }
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            rc = sc_fail(e, SC_EINVAL, "multipart.bad_delimiter",
                         "a boundary line is followed by something other than CRLF or --");
            goto fail;
        }
        p += 2;
        if (n == max_parts) {
            rc = sc_fail(e, SC_ETOOBIG, "multipart.too_many_parts",
                         "the form has more than %zu parts", max_parts);
            goto fail;
        }
        mp_part *pt = &parts[n];
        memset(pt, 0, sizeof(*pt));
        /* headers end at the first CRLFCRLF, or immediately with CRLF (no headers) */
        const char *hend;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            hend = p;
        } else {
            size_t lim = (size_t)(end - p);
            size_t maxh = (size_t)MP_MAX_HEADERS * (MP_MAX_HEADER_LINE + 2) + 2;
            const char *f = memmem(p, lim < maxh ? lim : maxh, "\r\n\r\n", 4);
            if (f == NULL) {
                rc = lim >= maxh ? sc_fail(e, SC_ETOOBIG, "multipart.header_too_long",
                                           "a part's headers are too long")
                                 : sc_fail(e, SC_EINVAL, "multipart.truncated",
                                           "the body ends inside a part's headers");
                goto fail;
            }
            hend = f + 2;
            for (const char *l = p; l < hend;) {
                const char *x = memchr(l, '\n', (size_t)(hend - l));
                if (x == NULL || (size_t)(x - l) > MP_MAX_HEADER_LINE + 1) {
                    rc = sc_fail(e, SC_ETOOBIG, "multipart.header_too_long",
                                 "a part header line is longer than %d bytes", MP_MAX_HEADER_LINE);
                    goto fail;
                }
                l = x + 1;
            }
        }
        if ((rc = part_headers(p, hend, pt, e)) != 0) goto fail;
        const char *data = hend + 2;
        const char *d = memmem(data, (size_t)(end - data), delim, dl);
        if (d == NULL) {
            rc = sc_fail(e, SC_EINVAL, "multipart.truncated",
                         "the body ends before the closing boundary");
            goto fail;
        }
        pt->data = (const uint8_t *)data;
        pt->len = (size_t)(d - data);
        n++;
        p = d + dl;
    }
    if (n == 0) return sc_fail(e, SC_EINVAL, "multipart.empty", "the form has no parts");
    *nparts = n;
    return 0;
fail:
    memset(parts, 0, sizeof(*parts) * (n < max_parts ? n + 1 : max_parts));
    return rc;
}

const mp_part *mp_find(const mp_part *parts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(parts[i].name, name) == 0) return &parts[i];
    return NULL;
}
