/* tsa.c - RFC 3161 time-stamp requests, SM2 tokens (RFC 5652 SignedData), their verification. */
#include "tsa/tsa.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "pki/der.h"

#define OID_SIGNED_DATA   "1.2.840.113549.1.7.2"
#define OID_CT_TSTINFO    "1.2.840.113549.1.9.16.1.4"
#define OID_CONTENT_TYPE  "1.2.840.113549.1.9.3"
#define OID_MSG_DIGEST    "1.2.840.113549.1.9.4"
#define OID_SIGNING_TIME  "1.2.840.113549.1.9.5"
#define OID_SIGNING_CERT  "1.2.840.113549.1.9.16.2.12" /* ESS signingCertificate (SHA-1) */
#define OID_SIGNING_CERT2 "1.2.840.113549.1.9.16.2.47" /* ESS signingCertificateV2 */
#define OID_SM3           "1.2.156.10197.1.401"
#define OID_SHA256        "2.16.840.1.101.3.4.2.1"
#define OID_SHA1          "1.3.14.3.2.26"
#define OID_SM2_SM3       "1.2.156.10197.1.501"
#define OID_SM2_SIGN      "1.2.156.10197.1.301.1" /* GM/T 0010's signatureAlgorithm spelling */

/* clock skew the key process tolerates between the server's signingTime and its own clock */
#define TSA_SKEW 300

const char *tsa_hash_name(tsa_hash h)
{
    return h == TSA_HASH_SM3 ? "sm3" : h == TSA_HASH_SHA256 ? "sha256" : "?";
}

int tsa_hash_parse(const char *name, tsa_hash *out)
{
    if (strcmp(name, "sm3") == 0)
        *out = TSA_HASH_SM3;
    else if (strcmp(name, "sha256") == 0)
        *out = TSA_HASH_SHA256;
    else
        return -1;
    return 0;
}

void tsa_hash_data(tsa_hash h, const void *p, size_t n, uint8_t out[32])
{
    if (h == TSA_HASH_SHA256)
        crypto_sha256(p, n, out);
    else
        crypto_sm3(p, n, out);
}

static const char *hash_oid(tsa_hash h)
{
    return h == TSA_HASH_SHA256 ? OID_SHA256 : OID_SM3;
}

/* ---- DER helpers ---- */

static int oid_is(const der_tlv *t, const char *dotted)
{
    char buf[96];
    return t->tag == DER_OID && der_oid_text(t->val, t->len, buf, sizeof(buf)) == 0 &&
           strcmp(buf, dotted) == 0;
}

/* An OPTIONAL field: 1 when the next TLV has this tag and was read into t, 0 when the next
 * TLV is something else (or none), -1 when it has the tag but is malformed. */
static int opt(der_r *r, int tag, der_tlv *t)
{
    if (der_peek(r) != tag) return 0;
    return der_next(r, t) == 0 ? 1 : -1;
}

/* AlgorithmIdentifier of a digest: SEQUENCE { OID [, NULL] } -> hash (NONE when unknown). */
static int digest_alg(const der_tlv *t, tsa_hash *h)
{
    der_r r = der_inner(t);
    der_tlv o, p;
    if (t->tag != DER_SEQUENCE || der_expect(&r, DER_OID, &o) != 0) return -1;
    if (!der_at_end(&r) && (der_expect(&r, DER_NULL, &p) != 0 || p.len != 0 || !der_at_end(&r)))
        return -1;
    *h = oid_is(&o, OID_SM3) ? TSA_HASH_SM3 : oid_is(&o, OID_SHA256) ? TSA_HASH_SHA256 : 0;
    return 0;
}

static void put_alg(der_w *w, const char *oid)
{
    der_begin(w, DER_SEQUENCE);
    der_oid(w, oid);
    der_end(w);
}

/* GeneralizedTime with milliseconds, trailing zeros of the fraction dropped (RFC 3161 §2.4.2) */
static void put_gentime_ms(der_w *w, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char s[32];
    int n = (int)strftime(s, sizeof(s), "%Y%m%d%H%M%S", &tm);
    int frac = (int)(ms % 1000);
    if (frac != 0) {
        n += snprintf(s + n, sizeof(s) - (size_t)n, ".%03d", frac);
        while (s[n - 1] == '0')
            n--;
    }
    s[n++] = 'Z';
    der_prim(w, DER_GENERALIZEDTIME, s, (size_t)n);
}

/* YYYYMMDDHHMMSS[.f+]Z -> ms since the epoch. */
static int parse_gentime_ms(const der_tlv *t, int64_t *out)
{
    if (t->tag != DER_GENERALIZEDTIME || t->len < 15 || t->len > 40) return -1;
    const uint8_t *v = t->val;
    for (int i = 0; i < 14; i++)
        if (v[i] < '0' || v[i] > '9') return -1;
    size_t i = 14;
    int64_t ms = 0;
    if (v[i] == '.') {
        size_t d = 0;
        int64_t scale = 100;
        for (i++; i < t->len && v[i] >= '0' && v[i] <= '9'; i++, d++) {
            ms += (v[i] - '0') * scale;
            scale /= 10;
        }
        if (d == 0 || v[i - 1] == '0') return -1; /* DER: no trailing zeros */
    }
    if (i != t->len - 1 || v[i] != 'Z') return -1;
    int64_t whole;
    uint8_t z[15]; /* der_time_parse takes the whole-second Z form */
    memcpy(z, v, 14);
    z[14] = 'Z';
    if (der_time_parse(DER_GENERALIZEDTIME, z, 15, &whole) != 0) return -1;
    *out = whole * 1000 + ms;
    return 0;
}

/* issuer Name and serialNumber INTEGER TLVs of a certificate */
static int cert_issuer_serial(const uint8_t *der, size_t len, der_tlv *issuer, der_tlv *serial)
{
    der_r r = der_reader(der, len);
    der_tlv c, tbs, x;
    if (der_expect(&r, DER_SEQUENCE, &c) != 0) return -1;
    der_r cr = der_inner(&c);
    if (der_expect(&cr, DER_SEQUENCE, &tbs) != 0) return -1;
    der_r tr = der_inner(&tbs);
    if (opt(&tr, DER_CTX_CONS(0), &x) < 0) return -1;
    if (der_expect(&tr, DER_INTEGER, serial) != 0 || der_expect(&tr, DER_SEQUENCE, &x) != 0 ||
        der_expect(&tr, DER_SEQUENCE, issuer) != 0)
        return -1;
    return 0;
}

static void hex_of(const uint8_t *p, size_t n, char *out, size_t outsz)
{
    while (n > 1 && p[0] == 0) { /* INTEGER sign octet */
        p++;
        n--;
    }
    if (2 * n + 1 > outsz) n = (outsz - 1) / 2;
    sc_hex_encode(p, n, out, 0);
}

/* ---- requests ---- */

#define REQ_FAIL(bit, code, ...) (*fail_bit = (bit), sc_fail(e, SC_EINVAL, code, __VA_ARGS__))

int tsa_req_parse(const uint8_t *der, size_t len, tsa_req *out, int *fail_bit, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (len > TSA_REQUEST_MAX)
        return *fail_bit = TSA_FAIL_BAD_DATA_FORMAT,
               sc_fail(e, SC_ETOOBIG, "tsa.too_big", "request larger than %d bytes",
                       TSA_REQUEST_MAX);
    der_r r = der_reader(der, len);
    der_tlv top, v, mi, a, h, x;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r))
        return REQ_FAIL(TSA_FAIL_BAD_DATA_FORMAT, "tsa.bad_request",
                        "不是 DER TimeStampReq / not a DER TimeStampReq");
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_INTEGER, &v) != 0 || der_expect(&in, DER_SEQUENCE, &mi) != 0)
        return REQ_FAIL(TSA_FAIL_BAD_DATA_FORMAT, "tsa.bad_request",
                        "TimeStampReq lacks version or messageImprint");
    if (v.len != 1 || v.val[0] != 1)
        return REQ_FAIL(TSA_FAIL_BAD_REQUEST, "tsa.bad_version", "TimeStampReq version is not 1");
    der_r mr = der_inner(&mi);
    if (der_expect(&mr, DER_SEQUENCE, &a) != 0 || der_expect(&mr, DER_OCTETSTRING, &h) != 0 ||
        !der_at_end(&mr) || digest_alg(&a, &out->hash) != 0)
        return REQ_FAIL(TSA_FAIL_BAD_DATA_FORMAT, "tsa.bad_imprint", "messageImprint is malformed");
    if (out->hash == TSA_HASH_NONE)
        return REQ_FAIL(TSA_FAIL_BAD_ALG, "tsa.bad_alg",
                        "不支持的杂凑算法 / messageImprint hash must be SM3 or SHA-256");
    if (h.len != 32)
        return REQ_FAIL(TSA_FAIL_BAD_DATA_FORMAT, "tsa.bad_imprint",
                        "hashedMessage is %zu bytes, %s gives 32", h.len, tsa_hash_name(out->hash));
    memcpy(out->imprint, h.val, 32);
    out->imprint_tlv.p = mi.raw;
    out->imprint_tlv.len = mi.rawlen;
    int o;
    if ((o = opt(&in, DER_OID, &x)) != 0) {
        if (o < 0 || der_oid_text(x.val, x.len, out->policy, sizeof(out->policy)) != 0)
            return REQ_FAIL(TSA_FAIL_BAD_DATA_FORMAT, "tsa.bad_policy", "reqPolicy is malformed");
    }
    if ((o = opt(&in, DER_INTEGER, &x)) != 0) {
        if (o < 0 || x.len == 0 || x.len > TSA_NONCE_MAX || (x.val[0] & 0x80))
            return REQ_FAIL(TSA_FAIL_BAD_REQUEST, "tsa.bad_nonce",
                            "nonce must be a positive INTEGER of at most %d bytes", TSA_NONCE_MAX);
        out->nonce.p = x.raw;
        out->nonce.len = x.rawlen;
    }
    if ((o = opt(&in, DER_BOOLEAN, &x)) != 0) {
        /* DER: DEFAULT FALSE is never written, TRUE is 0xff */
        if (o < 0 || x.len != 1 || x.val[0] != 0xff)
            return REQ_FAIL(TSA_FAIL_BAD_DATA_FORMAT, "tsa.bad_certreq",
                            "certReq is not a DER BOOLEAN TRUE");
        out->cert_req = 1;
    }
    if (der_peek(&in) == DER_CTX_CONS(0))
        return REQ_FAIL(TSA_FAIL_UNACCEPTED_EXTENSION, "tsa.extension",
                        "this TSA supports no request extensions");
    if (!der_at_end(&in))
        return REQ_FAIL(TSA_FAIL_BAD_DATA_FORMAT, "tsa.bad_request",
                        "unexpected field in TimeStampReq");
    return 0;
}

int tsa_req_build(tsa_hash h, const uint8_t imprint[32], const uint8_t *nonce, size_t nlen,
                  int cert_req, sc_buf *out, sc_err *e)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, 1);
    der_begin(&w, DER_SEQUENCE);
    put_alg(&w, hash_oid(h));
    der_prim(&w, DER_OCTETSTRING, imprint, 32);
    der_end(&w);
    if (nonce != NULL && nlen > 0) der_uint(&w, nonce, nlen);
    if (cert_req) der_bool(&w, 1);
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    return rc == 0 ? 0 : sc_fail(e, SC_ENOMEM, "oom", "out of memory");
}

/* ---- responses ---- */

int tsa_reject(int fail_bit, const char *text, sc_buf *out)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE); /* TimeStampResp */
    der_begin(&w, DER_SEQUENCE); /* PKIStatusInfo */
    der_int64(&w, 2);            /* rejection */
    if (text != NULL && *text) {
        der_begin(&w, DER_SEQUENCE);
        der_prim(&w, DER_UTF8STRING, text, strnlen(text, 300));
        der_end(&w);
    }
    der_bits_named(&w, 1u << fail_bit);
    der_end(&w);
    der_end(&w);
    int rc = der_finish(&w);
    out->len = 0;
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    return rc;
}

pki_issuer *tsa_issuer(pki_ca *ca)
{
    pki_issuer *best = NULL;
    for (size_t i = 0; i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].role, "tsa") == 0 && ca->issuers[i].active)
            best = &ca->issuers[i];
    return best;
}

/* one signed attribute: SEQUENCE { type, SET { value } }, value pre-encoded */
static int attr(sc_buf *out, const char *oid, const uint8_t *val, size_t n)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, oid);
    der_begin(&w, DER_SET);
    der_raw(&w, val, n);
    der_end(&w);
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    return rc;
}

static int tlv_cmp(const void *a, const void *b)
{
    const sc_buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The token: ContentInfo { signedData, SignedData { TSTInfo } } signed by iss with k. */
static int token_build(const pki_issuer *iss, sc_key *k, const char *policy, const tsa_req *r,
                       const uint8_t serial[16], int64_t now_ms, sc_buf *token, sc_err *e)
{
    der_tlv cissuer, cserial;
    if (cert_issuer_serial(iss->der, iss->derlen, &cissuer, &cserial) != 0)
        return sc_fail(e, SC_EINTERNAL, "tsa.cert", "the TSA certificate is unreadable");
    int rc = SC_ENOMEM;
    der_w tst = {0}, v = {0}, w = {0};
    sc_buf at[4] = {{0}}, sa = {0}, sig = {0}, alg = {0};
    /* TSTInfo (RFC 3161 §2.4.2) */
    der_begin(&tst, DER_SEQUENCE);
    der_int64(&tst, 1);
    if (der_oid(&tst, policy) != 0) {
        rc = sc_fail(e, SC_EINVAL, "tsa.bad_policy", "tsa_policy %s is not an OID", policy);
        goto out;
    }
    der_raw(&tst, r->imprint_tlv.p, r->imprint_tlv.len);
    der_uint(&tst, serial, 16);
    put_gentime_ms(&tst, now_ms);
    der_begin(&tst, DER_SEQUENCE); /* accuracy: the server's clock is NTP-disciplined */
    der_int64(&tst, 1);
    der_end(&tst);
    if (r->nonce.len) der_raw(&tst, r->nonce.p, r->nonce.len);
    der_begin(&tst, DER_CTX_CONS(0)); /* tsa: directoryName of the signer */
    der_begin(&tst, DER_CTX_CONS(4));
    der_raw(&tst, iss->subject_der.p, iss->subject_der.len);
    der_end(&tst);
    der_end(&tst);
    der_end(&tst);
    if (der_finish(&tst) != 0) goto oom;
    /* signed attributes, in DER SET OF order */
    uint8_t md[32], ch[32];
    crypto_sm3(tst.b.p, tst.b.len, md);
    crypto_sm3(iss->der, iss->derlen, ch);
    der_oid(&v, OID_CT_TSTINFO);
    if (der_finish(&v) != 0 || attr(&at[0], OID_CONTENT_TYPE, v.b.p, v.b.len) != 0) goto oom;
    der_free(&v);
    der_time(&v, now_ms / 1000);
    if (der_finish(&v) != 0 || attr(&at[1], OID_SIGNING_TIME, v.b.p, v.b.len) != 0) goto oom;
    der_free(&v);
    der_prim(&v, DER_OCTETSTRING, md, 32);
    if (der_finish(&v) != 0 || attr(&at[2], OID_MSG_DIGEST, v.b.p, v.b.len) != 0) goto oom;
    der_free(&v);
    der_begin(&v, DER_SEQUENCE); /* SigningCertificateV2 */
    der_begin(&v, DER_SEQUENCE); /* certs */
    der_begin(&v, DER_SEQUENCE); /* ESSCertIDv2 */
    put_alg(&v, OID_SM3);
    der_prim(&v, DER_OCTETSTRING, ch, 32);
    der_begin(&v, DER_SEQUENCE); /* IssuerSerial */
    der_begin(&v, DER_SEQUENCE); /* GeneralNames */
    der_begin(&v, DER_CTX_CONS(4));
    der_raw(&v, cissuer.raw, cissuer.rawlen);
    der_end(&v);
    der_end(&v);
    der_raw(&v, cserial.raw, cserial.rawlen);
    der_end(&v);
    der_end(&v);
    der_end(&v);
    der_end(&v);
    if (der_finish(&v) != 0 || attr(&at[3], OID_SIGNING_CERT2, v.b.p, v.b.len) != 0) goto oom;
    der_free(&v);
    qsort(at, 4, sizeof(at[0]), tlv_cmp);
    /* what is signed: the attributes with the SET OF tag (RFC 5652 §5.4) */
    size_t alen = 0;
    for (int i = 0; i < 4; i++)
        alen += at[i].len;
    der_begin(&v, DER_SET);
    for (int i = 0; i < 4; i++)
        der_raw(&v, at[i].p, at[i].len);
    der_end(&v);
    if (der_finish(&v) != 0 || sc_buf_append(&sa, v.b.p, v.b.len) != 0) goto oom;
    if ((rc = crypto_sign(k, sa.p, sa.len, &sig, e)) != 0) goto out;
    /* ContentInfo */
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, OID_SIGNED_DATA);
    der_begin(&w, DER_CTX_CONS(0));
    der_begin(&w, DER_SEQUENCE); /* SignedData */
    der_int64(&w, 3);            /* eContentType is not id-data */
    der_begin(&w, DER_SET);
    put_alg(&w, OID_SM3);
    der_end(&w);
    der_begin(&w, DER_SEQUENCE); /* encapContentInfo */
    der_oid(&w, OID_CT_TSTINFO);
    der_begin(&w, DER_CTX_CONS(0));
    der_prim(&w, DER_OCTETSTRING, tst.b.p, tst.b.len);
    der_end(&w);
    der_end(&w);
    if (r->cert_req) {
        der_begin(&w, DER_CTX_CONS(0)); /* certificates [0] IMPLICIT */
        der_raw(&w, iss->der, iss->derlen);
        der_end(&w);
    }
    der_begin(&w, DER_SET); /* signerInfos */
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, 1);
    der_begin(&w, DER_SEQUENCE); /* IssuerAndSerialNumber */
    der_raw(&w, cissuer.raw, cissuer.rawlen);
    der_raw(&w, cserial.raw, cserial.rawlen);
    der_end(&w);
    put_alg(&w, OID_SM3);
    der_begin(&w, DER_CTX_CONS(0)); /* signedAttrs [0] IMPLICIT */
    for (int i = 0; i < 4; i++)
        der_raw(&w, at[i].p, at[i].len);
    der_end(&w);
    put_alg(&w, OID_SM2_SM3);
    der_prim(&w, DER_OCTETSTRING, sig.p, sig.len);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    (void)alen;
    if (der_finish(&w) != 0 || sc_buf_append(token, w.b.p, w.b.len) != 0) goto oom;
    rc = 0;
    goto out;
oom:
    rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
out:
    der_free(&tst);
    der_free(&v);
    der_free(&w);
    for (int i = 0; i < 4; i++)
        sc_buf_free(&at[i]);
    sc_buf_free(&sa);
    sc_buf_free(&sig);
    sc_buf_free(&alg);
    return rc;
}

static int log_token(store *s, const char *issuer, const char *policy, const tsa_req *r,
                     const char *serial, int64_t now_ms, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_TSA_TOKEN_INSERT, &st, e);
    if (rc != 0) return rc;
    char nonce[2 * TSA_NONCE_MAX + 1] = "";
    if (r->nonce.len) {
        der_r nr = der_reader(r->nonce.p, r->nonce.len);
        der_tlv t;
        if (der_next(&nr, &t) == 0) hex_of(t.val, t.len, nonce, sizeof(nonce));
    }
    store_bind_text(st, 1, serial);
    store_bind_text(st, 2, issuer);
    store_bind_text(st, 3, policy);
    store_bind_text(st, 4, tsa_hash_name(r->hash));
    store_bind_blob(st, 5, r->imprint, 32);
    store_bind_int64(st, 6, now_ms);
    store_bind_text(st, 7, nonce[0] ? nonce : NULL);
    return store_exec(st, e);
}

int tsa_respond(pki_ca *ca, const char *policy, const uint8_t *req, size_t len, int64_t now_ms,
                sc_buf *out, sc_err *e)
{
    tsa_req r;
    int fb = TSA_FAIL_BAD_DATA_FORMAT;
    if (policy == NULL || !*policy) policy = TSA_DEFAULT_POLICY;
    if (tsa_req_parse(req, len, &r, &fb, e) != 0) return tsa_reject(fb, e->msg, out);
    if (r.policy[0] && strcmp(r.policy, policy) != 0) {
        sc_fail(e, SC_EINVAL, "tsa.unaccepted_policy", "this TSA issues under policy %s, not %s",
                policy, r.policy);
        return tsa_reject(TSA_FAIL_UNACCEPTED_POLICY, e->msg, out);
    }
    pki_issuer *iss = tsa_issuer(ca);
    sc_key *k = NULL;
    if (iss == NULL) {
        sc_fail(e, SC_ESTATE, "tsa.none",
                "本机构没有时间戳证书 / no TSA certificate: run sealca ca tsa");
        return tsa_reject(TSA_FAIL_SYSTEM_FAILURE, "no TSA certificate", out);
    }
    if (ca_issuer_key(ca, iss, &k, e) != 0)
        return tsa_reject(TSA_FAIL_SYSTEM_FAILURE, "the TSA key is not available", out);
    sc_buf tok = {0};
    int rc = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        uint8_t serial[16];
        char hex[33];
        crypto_random(serial, sizeof(serial));
        serial[0] = (serial[0] & 0x7f) | 0x40; /* positive, always 16 bytes */
        sc_hex_encode(serial, 16, hex, 0);
        tok.len = 0;
        if ((rc = token_build(iss, k, policy, &r, serial, now_ms, &tok, e)) != 0) break;
        /* logged before it is handed out: every token issued can be looked up */
        rc = log_token(ca->db, iss->id, policy, &r, hex, now_ms, e);
        if (rc != SC_EEXIST) break;
    }
    if (rc != 0) {
        sc_buf_free(&tok);
        return tsa_reject(TSA_FAIL_SYSTEM_FAILURE, "the TSA cannot issue a token now", out);
    }
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, 0); /* granted */
    der_end(&w);
    der_raw(&w, tok.p, tok.len);
    der_end(&w);
    rc = der_finish(&w);
    out->len = 0;
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    sc_buf_free(&tok);
    if (rc != 0) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    sc_err_clear(e);
    return 0;
}

int tsa_log_get(store *s, const char *serial_hex, tsa_log_row *out, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_TSA_TOKEN_GET, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, serial_hex);
    rc = store_step(st, e);
    if (rc == STORE_ROW) {
        memset(out, 0, sizeof(*out));
        size_t n = 0;
        snprintf(out->serial, sizeof(out->serial), "%s", store_col_text(st, 0, NULL));
        snprintf(out->issuer, sizeof(out->issuer), "%s", store_col_text(st, 1, NULL));
        snprintf(out->policy, sizeof(out->policy), "%s", store_col_text(st, 2, NULL));
        snprintf(out->hash_alg, sizeof(out->hash_alg), "%s", store_col_text(st, 3, NULL));
        const uint8_t *b = store_col_blob(st, 4, &n);
        if (b != NULL && n == 32) memcpy(out->imprint, b, 32);
        out->gen_time_ms = store_col_int64(st, 5);
        if (!store_col_isnull(st, 6))
            snprintf(out->nonce, sizeof(out->nonce), "%s", store_col_text(st, 6, NULL));
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = sc_fail(e, SC_ENOTFOUND, "tsa.not_found", "no token with serial %s", serial_hex);
    }
    store_exec(st, NULL);
    return rc;
}

/* ---- what the key process signs for a TSA key ---- */

int tsa_signed_attrs_check(const uint8_t *msg, size_t len, int64_t now, sc_err *e)
{
    der_r r = der_reader(msg, len);
    der_tlv set, a, type, vals, val;
    int seen = 0;
    if (der_expect(&r, DER_SET, &set) != 0 || !der_at_end(&r)) goto refuse;
    der_r in = der_inner(&set);
    while (!der_at_end(&in)) {
        if (der_expect(&in, DER_SEQUENCE, &a) != 0) goto refuse;
        der_r ar = der_inner(&a);
        if (der_expect(&ar, DER_OID, &type) != 0 || der_expect(&ar, DER_SET, &vals) != 0 ||
            !der_at_end(&ar))
            goto refuse;
        der_r vr = der_inner(&vals);
        if (der_next(&vr, &val) != 0 || !der_at_end(&vr)) goto refuse;
        int bit;
        if (oid_is(&type, OID_CONTENT_TYPE)) {
            bit = 1;
            if (!oid_is(&val, OID_CT_TSTINFO)) goto refuse;
        } else if (oid_is(&type, OID_SIGNING_TIME)) {
            bit = 2;
            int64_t t;
            if ((val.tag != DER_UTCTIME && val.tag != DER_GENERALIZEDTIME) ||
                der_time_parse(val.tag, val.val, val.len, &t) != 0 || t < now - TSA_SKEW ||
                t > now + TSA_SKEW)
                return sc_fail(e, SC_EINVAL, "keyproc.refused",
                               "the key process refuses a TSA signingTime off its own clock");
        } else if (oid_is(&type, OID_MSG_DIGEST)) {
            bit = 4;
            if (val.tag != DER_OCTETSTRING || val.len != 32) goto refuse;
        } else if (oid_is(&type, OID_SIGNING_CERT2)) {
            bit = 8;
            if (val.tag != DER_SEQUENCE) goto refuse;
        } else {
            goto refuse;
        }
        if (seen & bit) goto refuse;
        seen |= bit;
    }
    if (seen == 15) return 0;
refuse:
    return sc_fail(e, SC_EINVAL, "keyproc.refused",
                   "the key process refuses to sign this for a tsa key");
}

/* ---- verification ---- */

#define BAD(code, ...)  sc_fail(e, SC_EINVAL, code, __VA_ARGS__)
#define FAIL(code, ...) sc_fail(e, SC_EVERIFY, code, __VA_ARGS__)

static const char *const fail_names[] = {
    [0] = "badAlg",
    [2] = "badRequest",
    [5] = "badDataFormat",
    [14] = "timeNotAvailable",
    [15] = "unacceptedPolicy",
    [16] = "unacceptedExtension",
    [17] = "addInfoNotAvailable",
    [25] = "systemFailure",
};

int tsa_resp_token(const uint8_t *resp, size_t len, sc_slice *token, sc_err *e)
{
    if (len > TSA_TOKEN_MAX) return sc_fail(e, SC_ETOOBIG, "tsa.too_big", "response too large");
    der_r r = der_reader(resp, len);
    der_tlv top, si, st, x, tok;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r))
        return BAD("tsa.bad_response", "not a DER TimeStampResp");
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_SEQUENCE, &si) != 0)
        return BAD("tsa.bad_response", "TimeStampResp lacks PKIStatusInfo");
    der_r sr = der_inner(&si);
    if (der_expect(&sr, DER_INTEGER, &st) != 0 || st.len != 1)
        return BAD("tsa.bad_response", "PKIStatus is malformed");
    if (st.val[0] > 1) {
        char text[256] = "", fails[160] = "";
        if (der_peek(&sr) == DER_SEQUENCE && der_next(&sr, &x) == 0) {
            der_r tr = der_inner(&x);
            der_tlv s1;
            if (der_expect(&tr, DER_UTF8STRING, &s1) == 0)
                snprintf(text, sizeof(text), "%.*s", (int)(s1.len < 200 ? s1.len : 200),
                         (const char *)s1.val);
        }
        if (der_peek(&sr) == DER_BITSTRING && der_next(&sr, &x) == 0 && x.len >= 1) {
            size_t fl = 0;
            for (size_t b = 0; b + 8 < x.len * 8 && b < 32; b++)
                if (x.val[1 + b / 8] & (0x80 >> (b % 8))) {
                    const char *nm = b < sizeof(fail_names) / sizeof(fail_names[0]) && fail_names[b]
                                         ? fail_names[b]
                                         : "?";
                    int k = snprintf(fails + fl, sizeof(fails) - fl, "%s%s", fl ? "," : "", nm);
                    if (k > 0 && (size_t)k < sizeof(fails) - fl) fl += (size_t)k;
                }
        }
        return FAIL("tsa.rejected",
                    "时间戳服务拒绝 / the TSA rejected the request (status %d%s%s%s%s)", st.val[0],
                    fails[0] ? ", failInfo " : "", fails, text[0] ? ": " : "", text);
    }
    if (der_expect(&in, DER_SEQUENCE, &tok) != 0 || !der_at_end(&in))
        return BAD("tsa.bad_response", "a granted TimeStampResp without a token");
    token->p = tok.raw;
    token->len = tok.rawlen;
    return 0;
}

/* Parse the TSTInfo into out. */
static int tstinfo_parse(const uint8_t *p, size_t n, tsa_token_info *out, sc_err *e)
{
    der_r r = der_reader(p, n);
    der_tlv top, v, pol, mi, a, h, ser, gt, x;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r))
        return BAD("tsa.bad_tstinfo", "TSTInfo is not a DER SEQUENCE");
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_INTEGER, &v) != 0 || v.len != 1 || v.val[0] != 1)
        return BAD("tsa.bad_tstinfo", "TSTInfo version is not 1");
    out->version = 1;
    if (der_expect(&in, DER_OID, &pol) != 0 ||
        der_oid_text(pol.val, pol.len, out->policy, sizeof(out->policy)) != 0)
        return BAD("tsa.bad_tstinfo", "TSTInfo policy is malformed");
    if (der_expect(&in, DER_SEQUENCE, &mi) != 0) return BAD("tsa.bad_tstinfo", "no messageImprint");
    der_r mr = der_inner(&mi);
    if (der_expect(&mr, DER_SEQUENCE, &a) != 0 || der_expect(&mr, DER_OCTETSTRING, &h) != 0 ||
        !der_at_end(&mr) || digest_alg(&a, &out->hash) != 0 || out->hash == TSA_HASH_NONE ||
        h.len != 32)
        return BAD("tsa.bad_tstinfo", "messageImprint is malformed or not SM3 / SHA-256");
    memcpy(out->imprint, h.val, 32);
    if (der_expect(&in, DER_INTEGER, &ser) != 0 || ser.len > 20)
        return BAD("tsa.bad_tstinfo", "serialNumber is malformed");
    hex_of(ser.val, ser.len, out->serial, sizeof(out->serial));
    if (der_next(&in, &gt) != 0 || parse_gentime_ms(&gt, &out->gen_time_ms) != 0)
        return BAD("tsa.bad_tstinfo", "genTime is not a GeneralizedTime YYYYMMDDhhmmss[.f]Z");
    out->accuracy_ms = -1;
    int o;
    if ((o = opt(&in, DER_SEQUENCE, &x)) != 0) {
        if (o < 0) return BAD("tsa.bad_tstinfo", "accuracy is malformed");
        der_r ar = der_inner(&x);
        der_tlv f;
        int64_t ms = 0;
        while (!der_at_end(&ar)) {
            if (der_next(&ar, &f) != 0 || f.len == 0 || f.len > 4)
                return BAD("tsa.bad_tstinfo", "accuracy is malformed");
            int64_t val = 0;
            for (size_t i = 0; i < f.len; i++)
                val = val << 8 | f.val[i];
            if (f.tag == DER_INTEGER)
                ms += val * 1000;
            else if (f.tag == DER_CTX(0))
                ms += val;
            else if (f.tag == DER_CTX(1))
                ms += (val + 999) / 1000;
            else
                return BAD("tsa.bad_tstinfo", "accuracy is malformed");
        }
        out->accuracy_ms = ms;
    }
    if (opt(&in, DER_BOOLEAN, &x) < 0) return BAD("tsa.bad_tstinfo", "ordering is malformed");
    if ((o = opt(&in, DER_INTEGER, &x)) < 0) return BAD("tsa.bad_tstinfo", "nonce is malformed");
    if (o) {
        out->nonce.p = x.val;
        out->nonce.len = x.len;
    }
    if (opt(&in, DER_CTX_CONS(0), &x) < 0 || opt(&in, DER_CTX_CONS(1), &x) < 0)
        return BAD("tsa.bad_tstinfo", "tsa or extensions malformed");
    if (!der_at_end(&in)) return BAD("tsa.bad_tstinfo", "unexpected field in TSTInfo");
    return 0;
}

/* RFC 3161 §2.3: extendedKeyUsage present, critical, timeStamping only */
static int tsa_cert_usage(const uint8_t *der, size_t len, sc_err *e)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL) return BAD("tsa.bad_cert", "the TSA certificate is malformed");
    int rc = 0;
    int idx = X509_get_ext_by_NID(x, NID_ext_key_usage, -1);
    X509_get_extension_flags(x);
    if (idx < 0 || !(X509_get_extension_flags(x) & EXFLAG_XKUSAGE))
        rc = FAIL("tsa.not_tsa_cert",
                  "the signer's certificate has no extendedKeyUsage: not a TSA certificate");
    else if (!X509_EXTENSION_get_critical(X509_get_ext(x, idx)))
        rc = FAIL("tsa.not_tsa_cert",
                  "the signer's extendedKeyUsage is not critical (RFC 3161 §2.3)");
    else if (X509_get_extended_key_usage(x) != XKU_TIMESTAMP)
        rc = FAIL("tsa.not_tsa_cert",
                  "the signer's extendedKeyUsage is not timeStamping alone (RFC 3161 §2.3)");
    X509_free(x);
    return rc;
}

int tsa_token_verify(const uint8_t *der, size_t len, const uint8_t *cert, size_t certlen,
                     tsa_token_info *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (len > TSA_TOKEN_MAX)
        return sc_fail(e, SC_ETOOBIG, "tsa.too_big", "token larger than %d bytes", TSA_TOKEN_MAX);
    der_r r = der_reader(der, len);
    der_tlv ci, ct, wrap, sd, ver, dalgs, eci, ect, ec, oct, certs, sis, si, x;
    if (der_expect(&r, DER_SEQUENCE, &ci) != 0 || !der_at_end(&r))
        return BAD("tsa.bad_token", "the timestamp is not a DER structure");
    der_r cr = der_inner(&ci);
    if (der_peek(&cr) == DER_SEQUENCE) { /* a whole TimeStampResp */
        sc_slice tk;
        int rc = tsa_resp_token(der, len, &tk, e);
        if (rc != 0) return rc;
        der_r tr = der_reader(tk.p, tk.len);
        der_tlv t0;
        if (der_next(&tr, &t0) != 0 || (tr = der_inner(&t0), der_peek(&tr)) != DER_OID)
            return BAD("tsa.bad_token", "the response's token is not a ContentInfo");
        return tsa_token_verify(tk.p, tk.len, cert, certlen, out, e); /* one level only */
    }
    out->token.p = ci.raw;
    out->token.len = ci.rawlen;
    if (der_expect(&cr, DER_OID, &ct) != 0 || !oid_is(&ct, OID_SIGNED_DATA) ||
        der_expect(&cr, DER_CTX_CONS(0), &wrap) != 0 || !der_at_end(&cr))
        return BAD("tsa.bad_token", "the timestamp is not a CMS SignedData ContentInfo");
    der_r wr = der_inner(&wrap);
    if (der_expect(&wr, DER_SEQUENCE, &sd) != 0 || !der_at_end(&wr))
        return BAD("tsa.bad_token", "SignedData is malformed");
    der_r sr = der_inner(&sd);
    if (der_expect(&sr, DER_INTEGER, &ver) != 0 || der_expect(&sr, DER_SET, &dalgs) != 0 ||
        der_expect(&sr, DER_SEQUENCE, &eci) != 0)
        return BAD("tsa.bad_token", "SignedData is malformed");
    /* RFC 5652 §5.1: version 3 when eContentType is not id-data */
    if (ver.len != 1 || ver.val[0] != 3) return BAD("tsa.bad_token", "SignedData version is not 3");
    int sm3_listed = 0;
    der_r dr = der_inner(&dalgs);
    while (!der_at_end(&dr)) {
        der_tlv da;
        tsa_hash dh0;
        if (der_next(&dr, &da) != 0 || digest_alg(&da, &dh0) != 0)
            return BAD("tsa.bad_token", "digestAlgorithms is malformed");
        sm3_listed |= dh0 == TSA_HASH_SM3;
    }
    if (!sm3_listed) return FAIL("tsa.bad_alg", "digestAlgorithms does not list SM3");
    der_r er = der_inner(&eci);
    if (der_expect(&er, DER_OID, &ect) != 0)
        return BAD("tsa.bad_token", "encapContentInfo is malformed");
    if (!oid_is(&ect, OID_CT_TSTINFO))
        return FAIL("tsa.bad_content_type", "the token does not hold a TSTInfo");
    if (der_expect(&er, DER_CTX_CONS(0), &ec) != 0 || !der_at_end(&er))
        return BAD("tsa.bad_token", "the token has no TSTInfo content");
    der_r ecr = der_inner(&ec);
    if (der_expect(&ecr, DER_OCTETSTRING, &oct) != 0 || !der_at_end(&ecr))
        return BAD("tsa.bad_token", "eContent is not an OCTET STRING");
    int rc = tstinfo_parse(oct.val, oct.len, out, e);
    if (rc != 0) return rc;
    certs.len = 0;
    certs.val = NULL;
    if (opt(&sr, DER_CTX_CONS(0), &certs) < 0 || opt(&sr, DER_CTX_CONS(1), &x) < 0)
        return BAD("tsa.bad_token", "certificates or crls malformed");
    if (der_expect(&sr, DER_SET, &sis) != 0 || !der_at_end(&sr))
        return BAD("tsa.bad_token", "SignedData has no signerInfos");
    der_r sir = der_inner(&sis);
    if (der_expect(&sir, DER_SEQUENCE, &si) != 0 || !der_at_end(&sir))
        return BAD("tsa.bad_token", "the token must have exactly one SignerInfo");
    /* SignerInfo */
    der_tlv siv, sid, dalg, attrs, salg, sig;
    der_r ir = der_inner(&si);
    if (der_expect(&ir, DER_INTEGER, &siv) != 0 || der_next(&ir, &sid) != 0 ||
        der_expect(&ir, DER_SEQUENCE, &dalg) != 0)
        return BAD("tsa.bad_token", "SignerInfo is malformed");
    if (der_expect(&ir, DER_CTX_CONS(0), &attrs) != 0)
        return BAD("tsa.bad_token", "SignerInfo has no signed attributes (RFC 3161 needs them)");
    if (der_expect(&ir, DER_SEQUENCE, &salg) != 0 || der_expect(&ir, DER_OCTETSTRING, &sig) != 0)
        return BAD("tsa.bad_token", "SignerInfo is malformed");
    if (opt(&ir, DER_CTX_CONS(1), &x) < 0) return BAD("tsa.bad_token", "SignerInfo is malformed");
    if (!der_at_end(&ir)) return BAD("tsa.bad_token", "SignerInfo is malformed");
    tsa_hash dh;
    der_r sar = der_inner(&salg);
    der_tlv so, sap;
    /* version 1: issuerAndSerialNumber; version 3: subjectKeyIdentifier (RFC 5652 §5.3) */
    if (siv.len != 1 || !((siv.val[0] == 1 && sid.tag == DER_SEQUENCE) ||
                          (siv.val[0] == 3 && sid.tag == DER_CTX(0))))
        return BAD("tsa.bad_token", "SignerInfo version does not match its sid");
    if (digest_alg(&dalg, &dh) != 0 || dh != TSA_HASH_SM3)
        return FAIL("tsa.bad_alg", "the token's digestAlgorithm is not SM3");
    if (der_expect(&sar, DER_OID, &so) != 0 ||
        !(oid_is(&so, OID_SM2_SM3) || oid_is(&so, OID_SM2_SIGN)))
        return FAIL("tsa.bad_alg", "the token's signatureAlgorithm is not SM2 with SM3");
    if (!der_at_end(&sar) &&
        (der_expect(&sar, DER_NULL, &sap) != 0 || sap.len != 0 || !der_at_end(&sar)))
        return BAD("tsa.bad_token", "signatureAlgorithm parameters are not NULL");
    /* the signer's certificate */
    const uint8_t *sc = NULL;
    size_t sclen = 0;
    der_r certr = der_reader(certs.val, certs.len);
    while (certs.val != NULL && !der_at_end(&certr) && sc == NULL) {
        der_tlv c, is, sn;
        if (der_next(&certr, &c) != 0) return BAD("tsa.bad_token", "certificates are malformed");
        if (c.tag != DER_SEQUENCE || cert_issuer_serial(c.raw, c.rawlen, &is, &sn) != 0) continue;
        if (sid.tag == DER_SEQUENCE) {
            der_r idr = der_inner(&sid);
            der_tlv i2, s2;
            if (der_expect(&idr, DER_SEQUENCE, &i2) == 0 &&
                der_expect(&idr, DER_INTEGER, &s2) == 0 && i2.rawlen == is.rawlen &&
                memcmp(i2.raw, is.raw, is.rawlen) == 0 && s2.rawlen == sn.rawlen &&
                memcmp(s2.raw, sn.raw, sn.rawlen) == 0) {
                sc = c.raw;
                sclen = c.rawlen;
            }
        }
    }
    if (sc == NULL && cert != NULL) {
        sc = cert;
        sclen = certlen;
    }
    if (sc == NULL)
        return FAIL("tsa.no_cert",
                    "the token carries no certificate of its signer (request it with certReq)");
    out->tsa_cert.p = sc;
    out->tsa_cert.len = sclen;
    /* signed attributes */
    der_r ar = der_inner(&attrs);
    int have_ct = 0, have_md = 0, have_sc = 0;
    while (!der_at_end(&ar)) {
        der_tlv a, type, vals, val;
        if (der_expect(&ar, DER_SEQUENCE, &a) != 0) return BAD("tsa.bad_token", "bad attribute");
        der_r a2 = der_inner(&a);
        if (der_expect(&a2, DER_OID, &type) != 0 || der_expect(&a2, DER_SET, &vals) != 0)
            return BAD("tsa.bad_token", "bad attribute");
        der_r vr = der_inner(&vals);
        if (der_next(&vr, &val) != 0) return BAD("tsa.bad_token", "empty attribute");
        if (oid_is(&type, OID_CONTENT_TYPE)) {
            if (!oid_is(&val, OID_CT_TSTINFO))
                return FAIL("tsa.bad_content_type", "the signed contentType is not TSTInfo");
            have_ct = 1;
        } else if (oid_is(&type, OID_MSG_DIGEST)) {
            uint8_t md[32];
            crypto_sm3(oct.val, oct.len, md);
            if (val.tag != DER_OCTETSTRING || val.len != 32 || sc_memeq_ct(val.val, md, 32) != 0)
                return FAIL("tsa.digest_mismatch",
                            "时间戳内容被篡改 / the TSTInfo does not match the signed "
                            "messageDigest (the token was altered)");
            have_md = 1;
        } else if (oid_is(&type, OID_SIGNING_CERT2) || oid_is(&type, OID_SIGNING_CERT)) {
            /* SigningCertificate(V2) { certs SEQUENCE OF ESSCertID(v2), ... }: the first names
             * the signer */
            int v1 = oid_is(&type, OID_SIGNING_CERT);
            der_r s1 = der_inner(&val);
            der_tlv seq, id, h1, hv;
            if (der_expect(&s1, DER_SEQUENCE, &seq) != 0) return BAD("tsa.bad_token", "bad ESS");
            der_r s2 = der_inner(&seq);
            if (der_expect(&s2, DER_SEQUENCE, &id) != 0) return BAD("tsa.bad_token", "bad ESS");
            der_r s3 = der_inner(&id);
            tsa_hash eh = TSA_HASH_SHA256;
            uint8_t want[32];
            size_t wl = 32;
            if (v1) {
                crypto_sha1(sc, sclen, want);
                wl = 20;
            } else {
                int ho = opt(&s3, DER_SEQUENCE, &h1);
                if (ho != 0) {
                    if (ho < 0 || digest_alg(&h1, &eh) != 0 || eh == TSA_HASH_NONE)
                        return FAIL("tsa.bad_alg", "ESSCertIDv2 hash is not SM3 or SHA-256");
                }
                tsa_hash_data(eh, sc, sclen, want);
            }
            if (der_expect(&s3, DER_OCTETSTRING, &hv) != 0 || hv.len != wl ||
                memcmp(hv.val, want, wl) != 0)
                return FAIL("tsa.cert_mismatch", "the signingCertificate attribute names another "
                                                 "certificate than the signer's");
            have_sc = 1;
        }
    }
    if (!have_ct || !have_md)
        return FAIL("tsa.bad_token", "contentType or messageDigest attribute missing");
    if (!have_sc)
        return FAIL("tsa.no_signing_cert",
                    "no ESS signingCertificate attribute (RFC 3161 §2.4.2 requires it)");
    /* the signature over DER(SET OF Attribute) */
    sc_buf sa = {0};
    der_w w = {0};
    der_prim(&w, DER_SET, attrs.val, attrs.len);
    rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(&sa, w.b.p, w.b.len);
    der_free(&w);
    if (rc != 0) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    sc_key *pub = NULL;
    rc = cert_pubkey(sc, sclen, &pub, e);
    if (rc == 0 && crypto_key_alg(pub) != SC_ALG_SM2)
        rc = FAIL("tsa.bad_alg", "the TSA certificate's key is not SM2");
    if (rc == 0) {
        sc_buf dsig = {0};
        const uint8_t *sp = sig.val;
        size_t sl = sig.len;
        if (sl == 64 && crypto_sig_raw_to_der(sig.val, &dsig) == 0) { /* raw r||s producers */
            sp = dsig.p;
            sl = dsig.len;
        }
        sc_err ve = {0};
        if (crypto_verify(pub, SC_ALG_SM2, sa.p, sa.len, sp, sl, &ve) != 0)
            rc = FAIL("tsa.bad_signature",
                      "时间戳签名无效 / the TSA's SM2 signature over the signed attributes does "
                      "not verify");
        sc_buf_free(&dsig);
    }
    crypto_key_free(pub);
    sc_buf_free(&sa);
    if (rc == 0) rc = tsa_cert_usage(sc, sclen, e);
    return rc;
}

/* ---- seals ---- */

int tsa_seal_attach(const uint8_t *sig_der, size_t len, const uint8_t *token, size_t tlen,
                    sc_buf *out, sc_err *e)
{
    der_r r = der_reader(sig_der, len);
    der_tlv top;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r))
        return BAD("tsa.bad_seal_sig", "not a DER SES_Signature");
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_raw(&w, top.val, top.len);
    der_begin(&w, DER_CTX_CONS(0)); /* GB/T 38540: timeStamp [0] EXPLICIT BIT STRING */
    der_bits(&w, token, tlen);
    der_end(&w);
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    return rc == 0 ? 0 : sc_fail(e, SC_ENOMEM, "oom", "out of memory");
}
