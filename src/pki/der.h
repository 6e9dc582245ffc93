/* der.h - a small strict DER writer and reader for certificates, CRLs, OCSP and seals. */
#ifndef SEALCA_DER_H
#define SEALCA_DER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Tags used across sealca */
enum {
    DER_BOOLEAN = 0x01,
    DER_INTEGER = 0x02,
    DER_BITSTRING = 0x03,
    DER_OCTETSTRING = 0x04,
    DER_NULL = 0x05,
    DER_OID = 0x06,
    DER_ENUMERATED = 0x0a,
    DER_UTF8STRING = 0x0c,
    DER_PRINTABLESTRING = 0x13,
    DER_IA5STRING = 0x16,
    DER_UTCTIME = 0x17,
    DER_GENERALIZEDTIME = 0x18,
    DER_SEQUENCE = 0x30,
    DER_SET = 0x31,
};
#define DER_CTX(n)      (0x80 | (n)) /* [n] IMPLICIT primitive */
#define DER_CTX_CONS(n) (0xa0 | (n)) /* [n] constructed / EXPLICIT */

#define DER_MAX_DEPTH 24

/*
 * Writer. Constructed values are opened with der_begin and closed with der_end, which fixes
 * the length in place (shifting the contents when the length needs long form). Errors are
 * sticky: check der_w.err (or the return of der_finish) once at the end.
 */
typedef struct der_w {
    sc_buf b;
    size_t stack[DER_MAX_DEPTH];
    int depth;
    int err;
} der_w;

void der_begin(der_w *w, uint8_t tag);
void der_end(der_w *w);
void der_raw(der_w *w, const void *p, size_t n);               /* pre-encoded TLV(s) */
void der_prim(der_w *w, uint8_t tag, const void *p, size_t n); /* tag + length + bytes */
void der_uint(der_w *w, const uint8_t *be, size_t n);          /* unsigned big-endian -> INTEGER */
void der_int64(der_w *w, int64_t v);
int der_oid(der_w *w, const char *dotted); /* 0, or -1 on a bad OID string */
void der_bool(der_w *w, int v);
void der_null(der_w *w);
void der_bits(der_w *w, const void *p, size_t n); /* BIT STRING, 0 unused bits */
void der_bits_named(der_w *w, uint32_t bits);     /* named-bit BIT STRING, bit 0 = MSB */
void der_time(der_w *w, int64_t t);               /* RFC 5280 §4.1.2.5 choice */
void der_gentime(der_w *w, int64_t t);
/* 0 when everything written, else SC_ENOMEM / SC_EINTERNAL (unbalanced). */
int der_finish(der_w *w);
/* 0 when no error so far (values may still be open). */
int der_status(const der_w *w);
void der_free(der_w *w);

/* Reader. */
typedef struct der_r {
    const uint8_t *p; /* current position */
    const uint8_t *end;
} der_r;

typedef struct der_tlv {
    uint8_t tag;
    const uint8_t *val; /* contents */
    size_t len;
    const uint8_t *raw; /* the whole TLV */
    size_t rawlen;
} der_tlv;

static inline der_r der_reader(const uint8_t *p, size_t n)
{
    /* an empty sc_buf has p == NULL, and NULL + 0 is undefined behaviour in C */
    der_r r = {p, p != NULL ? p + n : p};
    return r;
}
/* Next TLV (strict DER lengths: definite, minimal). 0 ok, -1 malformed or at end. */
int der_next(der_r *r, der_tlv *t);
/* Next TLV, which must have this tag. */
int der_expect(der_r *r, uint8_t tag, der_tlv *t);
/* The TLV's contents as a reader. */
static inline der_r der_inner(const der_tlv *t)
{
    return der_reader(t->val, t->len);
}
static inline int der_at_end(const der_r *r)
{
    return r->p >= r->end;
}
/* Next tag without consuming, or -1 at end. */
int der_peek(const der_r *r);
/* Dotted form of an OID's contents; -1 if malformed or too long. */
int der_oid_text(const uint8_t *v, size_t n, char *out, size_t outsz);
/* UTCTime / GeneralizedTime contents -> Unix time (UTC, 'Z' form only). */
int der_time_parse(uint8_t tag, const uint8_t *v, size_t n, int64_t *out);

#endif
