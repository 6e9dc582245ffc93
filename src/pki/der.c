/* der.c - strict DER writing (minimal lengths, fixed in place) and reading. */
#include "pki/der.h"
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put(der_w *w, const void *p, size_t n)
{
    if (w->err == 0 && sc_buf_append(&w->b, p, n) != 0) w->err = SC_ENOMEM;
}

static size_t len_size(size_t n)
{
    if (n < 0x80) return 1;
    size_t k = 1;
    while (n) {
        k++;
        n >>= 8;
    }
    return k;
}

static void len_write(uint8_t *o, size_t n)
{
    size_t k = len_size(n);
    if (k == 1) {
        o[0] = (uint8_t)n;
        return;
    }
    o[0] = (uint8_t)(0x80 | (k - 1));
    for (size_t i = 1; i < k; i++)
        o[i] = (uint8_t)(n >> (8 * (k - 1 - i)));
}

void der_begin(der_w *w, uint8_t tag)
{
    if (w->depth >= DER_MAX_DEPTH) {
        w->err = SC_EINTERNAL;
        return;
    }
    uint8_t h[2] = {tag, 0};
    put(w, h, 2);
    w->stack[w->depth++] = w->b.len; /* contents start */
}

void der_end(der_w *w)
{
    if (w->depth <= 0) {
        w->err = SC_EINTERNAL;
        return;
    }
    size_t start = w->stack[--w->depth];
    if (w->err) return;
    size_t n = w->b.len - start, k = len_size(n);
    if (k > 1) {
        if (sc_buf_reserve(&w->b, k - 1) != 0) {
            w->err = SC_ENOMEM;
            return;
        }
        memmove(w->b.p + start + k - 1, w->b.p + start, n);
        w->b.len += k - 1;
    }
    len_write(w->b.p + start - 1, n);
}

void der_raw(der_w *w, const void *p, size_t n)
{
    put(w, p, n);
}

void der_prim(der_w *w, uint8_t tag, const void *p, size_t n)
{
    uint8_t h[10];
    h[0] = tag;
    len_write(h + 1, n);
    put(w, h, 1 + len_size(n));
    put(w, p, n);
}

void der_uint(der_w *w, const uint8_t *be, size_t n)
{
    while (n > 1 && be[0] == 0) {
        be++;
        n--;
    }
    if (n == 0) {
        static const uint8_t z = 0;
        der_prim(w, DER_INTEGER, &z, 1);
        return;
    }
    if (be[0] & 0x80) {
        uint8_t h[10];
        h[0] = DER_INTEGER;
        len_write(h + 1, n + 1);
        size_t hl = 1 + len_size(n + 1);
        h[hl] = 0;
        put(w, h, hl + 1);
        put(w, be, n);
        return;
    }
    der_prim(w, DER_INTEGER, be, n);
}

void der_int64(der_w *w, int64_t v)
{
    uint8_t b[9];
    int n = 0;
    uint64_t u = (uint64_t)v;
    /* two's complement, minimal */
    for (int i = 7; i >= 0; i--)
        b[n++] = (uint8_t)(u >> (8 * i));
    int s = 0;
    while (s < 7 && ((b[s] == 0 && !(b[s + 1] & 0x80)) || (b[s] == 0xff && (b[s + 1] & 0x80))))
        s++;
    der_prim(w, DER_INTEGER, b + s, (size_t)(8 - s));
}

/* Base-128 digits of a decimal arc of any length (UUID OIDs under 2.25 have 128-bit arcs). */
static int arc_encode(const char *dec, size_t n, uint8_t *out, size_t *outlen, size_t cap)
{
    uint8_t num[48], tmp[24];
    size_t nd = 0, t = 0;
    if (n == 0 || n > sizeof(num) || (n > 1 && dec[0] == '0')) return -1;
    for (size_t i = 0; i < n; i++)
        num[nd++] = (uint8_t)(dec[i] - '0');
    do { /* divide the decimal digit string by 128, collecting remainders */
        unsigned rem = 0;
        size_t q = 0;
        for (size_t i = 0; i < nd; i++) {
            unsigned cur = rem * 10 + num[i];
            uint8_t d = (uint8_t)(cur / 128);
            rem = cur % 128;
            if (q > 0 || d != 0) num[q++] = d;
        }
        if (t == sizeof(tmp)) return -1;
        tmp[t++] = (uint8_t)rem;
        nd = q;
    } while (nd > 0);
    if (*outlen + t > cap) return -1;
    while (t > 0) {
        t--;
        out[(*outlen)++] = (uint8_t)(tmp[t] | (t ? 0x80 : 0));
    }
    return 0;
}

int der_oid(der_w *w, const char *dotted)
{
    uint8_t out[128];
    size_t n = 0;
    const char *p = dotted, *arcs[64];
    size_t lens[64];
    int na = 0;
    while (*p) {
        size_t l = strspn(p, "0123456789");
        if (l == 0 || na == 64) goto bad;
        arcs[na] = p;
        lens[na++] = l;
        p += l;
        if (*p == '.' && p[1])
            p++;
        else if (*p)
            goto bad;
    }
    if (na < 2 || lens[0] != 1 || arcs[0][0] > '2') goto bad;
    /* first two arcs share one subidentifier: 40 * a0 + a1 (a1 may be large under 2) */
    {
        char first[64];
        unsigned a0 = (unsigned)(arcs[0][0] - '0');
        if (lens[1] > 40 || (lens[1] > 1 && arcs[1][0] == '0'))
            goto bad; /* too long, or a leading zero (not canonical; other arcs refuse it too) */
        if (a0 < 2 && (lens[1] > 2 || (lens[1] == 2 && arcs[1][0] > '3'))) goto bad;
        /* decimal addition of a0 * 40 to arc 1 */
        char a1[48];
        memcpy(a1, arcs[1], lens[1]);
        a1[lens[1]] = 0;
        unsigned long long small = 0;
        if (lens[1] <= 18) {
            small = strtoull(a1, NULL, 10) + a0 * 40ULL;
            snprintf(first, sizeof(first), "%llu", small);
        } else {
            /* huge second arc under 2: add 80 to its last digits */
            int carry = 80;
            size_t l = lens[1];
            for (size_t i = l; i-- > 0 && carry;) {
                int d = (a1[i] - '0') + carry;
                a1[i] = (char)('0' + d % 10);
                carry = d / 10;
            }
            if (carry) {
                snprintf(first, sizeof(first), "%d%s", carry, a1);
            } else {
                snprintf(first, sizeof(first), "%s", a1);
            }
        }
        if (arc_encode(first, strlen(first), out, &n, sizeof(out)) != 0) goto bad;
    }
    for (int i = 2; i < na; i++)
        if (arc_encode(arcs[i], lens[i], out, &n, sizeof(out)) != 0) goto bad;
    der_prim(w, DER_OID, out, n);
    return 0;
bad:
    w->err = SC_EINTERNAL;
    return -1;
}

void der_bool(der_w *w, int v)
{
    uint8_t b = v ? 0xff : 0x00;
    der_prim(w, DER_BOOLEAN, &b, 1);
}

void der_null(der_w *w)
{
    der_prim(w, DER_NULL, NULL, 0);
}

void der_bits(der_w *w, const void *p, size_t n)
{
    uint8_t h[10];
    h[0] = DER_BITSTRING;
    len_write(h + 1, n + 1);
    size_t hl = 1 + len_size(n + 1);
    h[hl] = 0;
    put(w, h, hl + 1);
    put(w, p, n);
}

void der_bits_named(der_w *w, uint32_t bits)
{
    /* X.690 §11.2.2: named bit lists drop trailing zero bits */
    uint8_t v[5] = {0};
    int hi = -1;
    for (int i = 0; i < 32; i++)
        if (bits & (1u << i)) {
            v[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
            hi = i;
        }
    if (hi < 0) {
        der_prim(w, DER_BITSTRING, v, 1);
        return;
    }
    size_t nbytes = (size_t)hi / 8 + 1;
    v[0] = (uint8_t)(7 - hi % 8);
    der_prim(w, DER_BITSTRING, v, nbytes + 1);
}

static void fmt_time(int64_t t, int gen, char *out)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    unsigned v[6] = {(unsigned)(tm.tm_year + 1900) % 10000u,
                     (unsigned)tm.tm_mon + 1,
                     (unsigned)tm.tm_mday,
                     (unsigned)tm.tm_hour,
                     (unsigned)tm.tm_min,
                     (unsigned)tm.tm_sec};
    size_t o = 0;
    if (gen) {
        out[o++] = (char)('0' + v[0] / 1000);
        out[o++] = (char)('0' + v[0] / 100 % 10);
    }
    out[o++] = (char)('0' + v[0] / 10 % 10);
    out[o++] = (char)('0' + v[0] % 10);
    for (int i = 1; i < 6; i++) {
        out[o++] = (char)('0' + v[i] / 10 % 10);
        out[o++] = (char)('0' + v[i] % 10);
    }
    out[o++] = 'Z';
    out[o] = 0;
}

void der_time(der_w *w, int64_t t)
{
    char s[16];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    int year = tm.tm_year + 1900;
    /* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 */
    if (year >= 1950 && year < 2050) {
        fmt_time(t, 0, s);
        der_prim(w, DER_UTCTIME, s, 13);
    } else {
        fmt_time(t, 1, s);
        der_prim(w, DER_GENERALIZEDTIME, s, 15);
    }
}

void der_gentime(der_w *w, int64_t t)
{
    char s[16];
    fmt_time(t, 1, s);
    der_prim(w, DER_GENERALIZEDTIME, s, 15);
}

int der_finish(der_w *w)
{
    if (w->err == 0 && w->depth != 0) w->err = SC_EINTERNAL;
    if (w->err == 0 && w->b.oom) w->err = SC_ENOMEM;
    return w->err;
}

int der_status(const der_w *w)
{
    return w->err ? w->err : (w->b.oom ? SC_ENOMEM : 0);
}

void der_free(der_w *w)
{
    sc_buf_free(&w->b);
    w->depth = 0;
    w->err = 0;
}

/* ---- reader ---- */

int der_next(der_r *r, der_tlv *t)
{
    const uint8_t *p = r->p;
    if (p >= r->end || r->end - p < 2) return -1;
    uint8_t tag = *p++;
    if ((tag & 0x1f) == 0x1f) return -1; /* high tag numbers: not used by anything we parse */
    size_t len;
    uint8_t l0 = *p++;
    if (l0 < 0x80) {
        len = l0;
    } else {
        size_t k = l0 & 0x7f;
        if (k == 0 || k > 4 || (size_t)(r->end - p) < k) return -1; /* indefinite or absurd */
        if (p[0] == 0) return -1;                                   /* non-minimal */
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = len << 8 | *p++;
        if (len < 0x80) return -1; /* non-minimal */
    }
    if ((size_t)(r->end - p) < len) return -1;
    t->tag = tag;
    t->val = p;
    t->len = len;
    t->raw = r->p;
    t->rawlen = (size_t)(p + len - r->p);
    r->p = p + len;
    return 0;
}

int der_expect(der_r *r, uint8_t tag, der_tlv *t)
{
    der_r save = *r;
    if (der_next(r, t) != 0 || t->tag != tag) {
        *r = save;
        return -1;
    }
    return 0;
}

int der_peek(const der_r *r)
{
    return r->p < r->end ? r->p[0] : -1;
}

int der_oid_text(const uint8_t *v, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    int first = 1;
    if (n == 0 || n > 128 || (v[n - 1] & 0x80) || outsz == 0) return -1;
    size_t i = 0;
    while (i < n) {
        /* one subidentifier: base-128 digits -> decimal digit string (any length) */
        uint8_t dec[64];
        size_t nd = 1;
        dec[0] = 0;
        if (v[i] == 0x80) return -1; /* non-minimal */
        do {
            unsigned carry = v[i] & 0x7f;
            for (size_t k = 0; k < nd; k++) { /* dec = dec * 128 + carry, little-endian digits */
                unsigned cur = dec[k] * 128u + carry;
                dec[k] = (uint8_t)(cur % 10);
                carry = cur / 10;
            }
            while (carry) {
                if (nd == sizeof(dec)) return -1;
                dec[nd++] = (uint8_t)(carry % 10);
                carry /= 10;
            }
        } while (v[i++] & 0x80);
        if (first) {
            /* split 40 * a0 + a1: small values only need the last digits */
            unsigned long long val = 0;
            int small = nd <= 18;
            for (size_t k = nd; k-- > 0 && small;)
                val = val * 10 + dec[k];
            if (small && val < 80) {
                int k = snprintf(out + o, outsz - o, "%llu.%llu", val / 40, val % 40);
                if (k < 0 || (size_t)k >= outsz - o) return -1;
                o += (size_t)k;
                first = 0;
                continue;
            }
            if (small) {
                int k = snprintf(out + o, outsz - o, "2.%llu", val - 80);
                if (k < 0 || (size_t)k >= outsz - o) return -1;
                o += (size_t)k;
                first = 0;
                continue;
            }
            /* a1 = value - 80, value has more than 18 digits */
            int borrow = 80;
            for (size_t k = 0; k < nd && borrow; k++) {
                int d = dec[k] - borrow % 10;
                borrow /= 10;
                if (d < 0) {
                    d += 10;
                    borrow += 1;
                }
                dec[k] = (uint8_t)d;
            }
            while (nd > 1 && dec[nd - 1] == 0)
                nd--;
            if (o + 2 >= outsz) return -1;
            out[o++] = '2';
            out[o++] = '.';
            first = 0;
        } else {
            if (o + 1 >= outsz) return -1;
            out[o++] = '.';
        }
        if (o + nd >= outsz) return -1;
        for (size_t k = nd; k-- > 0;)
            out[o++] = (char)('0' + dec[k]);
        out[o] = 0;
    }
    out[o] = 0;
    return 0;
}

static int digits(const uint8_t *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

int der_time_parse(uint8_t tag, const uint8_t *v, size_t n, int64_t *out)
{
    int y, mo, d, h, mi, s;
    const uint8_t *p = v;
    if (tag == DER_UTCTIME && n == 13 && v[12] == 'Z') {
        if (digits(p, 2, &y)) return -1;
        y += y < 50 ? 2000 : 1900;
        p += 2;
    } else if (tag == DER_GENERALIZEDTIME && n == 15 && v[14] == 'Z') {
        if (digits(p, 4, &y)) return -1;
        p += 4;
    } else {
        return -1;
    }
    if (digits(p, 2, &mo) || digits(p + 2, 2, &d) || digits(p + 4, 2, &h) ||
        digits(p + 6, 2, &mi) || digits(p + 8, 2, &s))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    time_t t = timegm(&tm);
    struct tm chk;
    gmtime_r(&t, &chk);
    if (chk.tm_mday != d || chk.tm_mon != mo - 1) return -1; /* 31 February */
    *out = (int64_t)t;
    return 0;
}
