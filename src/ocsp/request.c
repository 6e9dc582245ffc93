/* request.c - strict parser of OCSPRequest (RFC 6960 §4.1.1) and CertID coding. */
#include "ocsp/ocsp_int.h"

#include <string.h>

/* OID contents of the CertID hash algorithms we match */
static const uint8_t oid_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
static const uint8_t oid_sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t oid_sm3[] = {0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11};
/* id-pkix-ocsp-nonce 1.3.6.1.5.5.7.48.1.2 */
static const uint8_t oid_nonce[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};

static int oid_is(const der_tlv *t, const uint8_t *oid, size_t n)
{
    return t->len == n && memcmp(t->val, oid, n) == 0;
}

int ocsp_certid_read(const der_tlv *t, ocsp_certid *out)
{
    memset(out, 0, sizeof(*out));
    if (t->tag != DER_SEQUENCE) return -1;
    der_r r = der_inner(t), a;
    der_tlv alg, oid, par, nh, kh, sn;
    char dotted[96];
    if (der_expect(&r, DER_SEQUENCE, &alg) != 0 || der_expect(&r, DER_OCTETSTRING, &nh) != 0 ||
        der_expect(&r, DER_OCTETSTRING, &kh) != 0 || der_expect(&r, DER_INTEGER, &sn) != 0 ||
        !der_at_end(&r))
        return -1;
    /* AlgorithmIdentifier: the OID, then NULL or nothing (hash algorithms have no parameters) */
    a = der_inner(&alg);
    if (der_expect(&a, DER_OID, &oid) != 0 || oid.len > sizeof(out->alg_oid) ||
        der_oid_text(oid.val, oid.len, dotted, sizeof(dotted)) != 0)
        return -1;
    if (!der_at_end(&a)) {
        if (der_expect(&a, DER_NULL, &par) != 0 || par.len != 0 || !der_at_end(&a)) return -1;
        out->alg_null = 1;
    }
    memcpy(out->alg_oid, oid.val, oid.len);
    out->alg_oid_len = oid.len;
    size_t want = 0;
    if (oid_is(&oid, oid_sha1, sizeof(oid_sha1))) {
        out->hash_alg = OCSP_HASH_SHA1;
        want = 20;
    } else if (oid_is(&oid, oid_sha256, sizeof(oid_sha256))) {
        out->hash_alg = OCSP_HASH_SHA256;
        want = 32;
    } else if (oid_is(&oid, oid_sm3, sizeof(oid_sm3))) {
        out->hash_alg = OCSP_HASH_SM3;
        want = 32;
    }
    if (nh.len != kh.len || nh.len == 0 || nh.len > OCSP_HASH_MAX || (want && nh.len != want))
        return -1;
    memcpy(out->name_hash, nh.val, nh.len);
    memcpy(out->key_hash, kh.val, kh.len);
    out->hlen = nh.len;
    /* INTEGER contents: at least one byte, minimal (X.690 §8.3.2) */
    if (sn.len == 0 || sn.len > OCSP_SERIAL_MAX ||
        (sn.len > 1 &&
         ((sn.val[0] == 0 && !(sn.val[1] & 0x80)) || (sn.val[0] == 0xff && (sn.val[1] & 0x80)))))
        return -1;
    memcpy(out->serial, sn.val, sn.len);
    out->serial_len = sn.len;
    return 0;
}

void ocsp_certid_write(der_w *w, const ocsp_certid *id)
{
    der_begin(w, DER_SEQUENCE);
    der_begin(w, DER_SEQUENCE);
    der_prim(w, DER_OID, id->alg_oid, id->alg_oid_len);
    if (id->alg_null) der_null(w);
    der_end(w);
    der_prim(w, DER_OCTETSTRING, id->name_hash, id->hlen);
    der_prim(w, DER_OCTETSTRING, id->key_hash, id->hlen);
    der_prim(w, DER_INTEGER, id->serial, id->serial_len);
    der_end(w);
}

/* The nonce extension's value: RFC 8954 OCTET STRING (SIZE(1..32)), or (older clients) the
 * raw bytes. The extnValue contents are kept to be echoed exactly. */
static int nonce_read(const der_tlv *v, ocsp_request *out, sc_err *e)
{
    if (out->has_nonce) return sc_fail(e, SC_EINVAL, "ocsp.nonce_twice", "two nonce extensions");
    der_r r = der_inner(v);
    der_tlv in;
    const uint8_t *val = v->val;
    size_t n = v->len;
    if (der_expect(&r, DER_OCTETSTRING, &in) == 0 && der_at_end(&r)) {
        val = in.val;
        n = in.len;
    }
    if (n == 0 || n > OCSP_NONCE_MAX || v->len > sizeof(out->nonce_ext))
        return sc_fail(e, SC_EINVAL, "ocsp.bad_nonce",
                       "the nonce must be 1 to 32 bytes (RFC 8954 §2.1)");
    memcpy(out->nonce, val, n);
    out->nonce_len = n;
    memcpy(out->nonce_ext, v->val, v->len);
    out->nonce_ext_len = v->len;
    out->has_nonce = 1;
    return 0;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension. Only requestExtensions (out != NULL)
 * can carry the nonce; unknown extensions are ignored unless critical (RFC 6960 §4.4). */
static int extensions_read(const der_tlv *t, ocsp_request *out, sc_err *e)
{
    der_r r = der_inner(t), x;
    der_tlv seq, ext, oid, crit, val;
    char dotted[96];
    if (der_expect(&r, DER_SEQUENCE, &seq) != 0 || !der_at_end(&r) || seq.len == 0)
        return sc_fail(e, SC_EINVAL, "ocsp.malformed", "malformed extensions");
    r = der_inner(&seq);
    while (!der_at_end(&r)) {
        int critical = 0;
        if (der_expect(&r, DER_SEQUENCE, &ext) != 0)
            return sc_fail(e, SC_EINVAL, "ocsp.malformed", "malformed extension");
        x = der_inner(&ext);
        if (der_expect(&x, DER_OID, &oid) != 0 ||
            der_oid_text(oid.val, oid.len, dotted, sizeof(dotted)) != 0)
            return sc_fail(e, SC_EINVAL, "ocsp.malformed", "malformed extension id");
        if (der_expect(&x, DER_BOOLEAN, &crit) == 0) {
            if (crit.len != 1 || (crit.val[0] != 0 && crit.val[0] != 0xff))
                return sc_fail(e, SC_EINVAL, "ocsp.malformed", "malformed critical flag");
            critical = crit.val[0] != 0;
        }
        if (der_expect(&x, DER_OCTETSTRING, &val) != 0 || !der_at_end(&x))
            return sc_fail(e, SC_EINVAL, "ocsp.malformed", "malformed extension value");
        if (out != NULL && oid_is(&oid, oid_nonce, sizeof(oid_nonce))) {
            int rc = nonce_read(&val, out, e);
            if (rc != 0) return rc;
        } else if (critical) {
            return sc_fail(e, SC_EINVAL, "ocsp.critical_extension",
                           "the request has a critical extension this responder does not know");
        }
    }
    return 0;
}

/* Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPT } */
static int single_read(const der_tlv *t, ocsp_certid *id, sc_err *e)
{
    der_r r = der_inner(t);
    der_tlv cid, ext;
    if (der_next(&r, &cid) != 0 || ocsp_certid_read(&cid, id) != 0)
        return sc_fail(e, SC_EINVAL, "ocsp.bad_certid", "malformed CertID");
    if (der_expect(&r, DER_CTX_CONS(0), &ext) == 0) {
        int rc = extensions_read(&ext, NULL, e);
        if (rc != 0) return rc;
    }
    if (!der_at_end(&r))
        return sc_fail(e, SC_EINVAL, "ocsp.malformed", "trailing data in a Request");
    return 0;
}

int ocsp_request_parse(const uint8_t *der, size_t len, ocsp_request *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (len > OCSP_REQUEST_MAX)
        return sc_fail(e, SC_ETOOBIG, "ocsp.too_big", "OCSP request of %zu bytes (limit %d)", len,
                       OCSP_REQUEST_MAX);
    der_r r = der_reader(der, len), in, tb;
    der_tlv req, tbs, t, list, sig;
    if (der_expect(&r, DER_SEQUENCE, &req) != 0 || !der_at_end(&r))
        return sc_fail(e, SC_EINVAL, "ocsp.malformed", "not a DER OCSPRequest");
    in = der_inner(&req);
    if (der_expect(&in, DER_SEQUENCE, &tbs) != 0)
        return sc_fail(e, SC_EINVAL, "ocsp.malformed", "no TBSRequest");
    if (der_expect(&in, DER_CTX_CONS(0), &sig) == 0)
        out->has_signature = 1; /* accepted, not checked: see ocsp.h */
    if (!der_at_end(&in))
        return sc_fail(e, SC_EINVAL, "ocsp.malformed", "trailing data in OCSPRequest");
    tb = der_inner(&tbs);
    if (der_expect(&tb, DER_CTX_CONS(0), &t) == 0) {
        /* version [0] EXPLICIT DEFAULT v1: DER omits it; tolerate an explicit v1 */
        der_r v = der_inner(&t);
        der_tlv ver;
        if (der_expect(&v, DER_INTEGER, &ver) != 0 || !der_at_end(&v) || ver.len != 1 ||
            ver.val[0] != 0)
            return sc_fail(e, SC_EINVAL, "ocsp.bad_version", "unsupported OCSP request version");
    }
    der_expect(&tb, DER_CTX_CONS(1), &t); /* requestorName: ignored */
    if (der_expect(&tb, DER_SEQUENCE, &list) != 0)
        return sc_fail(e, SC_EINVAL, "ocsp.malformed", "no requestList");
    if (der_expect(&tb, DER_CTX_CONS(2), &t) == 0) {
        int rc = extensions_read(&t, out, e);
        if (rc != 0) return rc;
    }
    if (!der_at_end(&tb))
        return sc_fail(e, SC_EINVAL, "ocsp.malformed", "trailing data in TBSRequest");
    der_r l = der_inner(&list);
    while (!der_at_end(&l)) {
        der_tlv one;
        if (out->n == OCSP_MAX_IDS)
            return sc_fail(e, SC_EINVAL, "ocsp.too_many", "more than %d CertIDs in one request",
                           OCSP_MAX_IDS);
        if (der_expect(&l, DER_SEQUENCE, &one) != 0)
            return sc_fail(e, SC_EINVAL, "ocsp.malformed", "malformed requestList");
        int rc = single_read(&one, &out->ids[out->n], e);
        if (rc != 0) return rc;
        out->n++;
    }
    if (out->n == 0)
        return sc_fail(e, SC_EINVAL, "ocsp.empty", "the request asks about no certificate");
    return 0;
}
