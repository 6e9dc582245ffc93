/* verify.c - read an OCSPResponse (RFC 6960 §4.2.1) and check it against a CA home. */
#include "ocsp/ocsp_int.h"

#include <string.h>

static const uint8_t oid_basic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
static const uint8_t oid_nonce[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};

#define BAD(what) sc_fail(e, SC_EINVAL, "ocsp.bad_response", "malformed OCSP response: %s", what)

static int gentime(der_r *r, int64_t *out)
{
    der_tlv t;
    return der_expect(r, DER_GENERALIZEDTIME, &t) != 0 ||
                   der_time_parse(t.tag, t.val, t.len, out) != 0
               ? -1
               : 0;
}

static int single_parse(const der_tlv *t, ocsp_single *s)
{
    der_r r = der_inner(t), x;
    der_tlv cid, st, u;
    memset(s, 0, sizeof(*s));
    s->reason = -1;
    if (der_next(&r, &cid) != 0 || ocsp_certid_read(&cid, &s->id) != 0 || der_next(&r, &st) != 0)
        return -1;
    if (st.tag == DER_CTX(0) && st.len == 0) {
        s->status = OCSP_CERT_GOOD;
    } else if (st.tag == DER_CTX(2) && st.len == 0) {
        s->status = OCSP_CERT_UNKNOWN;
    } else if (st.tag == DER_CTX_CONS(1)) {
        s->status = OCSP_CERT_REVOKED;
        x = der_inner(&st);
        if (gentime(&x, &s->revoked_at) != 0) return -1;
        if (der_expect(&x, DER_CTX_CONS(0), &u) == 0) {
            der_r y = der_inner(&u);
            der_tlv reason;
            if (der_expect(&y, DER_ENUMERATED, &reason) != 0 || reason.len != 1 ||
                reason.val[0] > 10 || !der_at_end(&y))
                return -1;
            s->reason = reason.val[0];
        }
        if (!der_at_end(&x)) return -1;
    } else {
        return -1;
    }
    if (gentime(&r, &s->this_update) != 0) return -1;
    if (der_expect(&r, DER_CTX_CONS(0), &u) == 0) {
        x = der_inner(&u);
        if (gentime(&x, &s->next_update) != 0 || !der_at_end(&x)) return -1;
    }
    der_expect(&r, DER_CTX_CONS(1), &u); /* singleExtensions: not interpreted */
    return der_at_end(&r) ? 0 : -1;
}

/* responseExtensions [1]: keep the nonce's extnValue contents */
static int extensions_parse(const der_tlv *t, ocsp_response *out)
{
    der_r r = der_inner(t), x;
    der_tlv seq, ext, oid, v;
    if (der_expect(&r, DER_SEQUENCE, &seq) != 0 || !der_at_end(&r)) return -1;
    r = der_inner(&seq);
    while (!der_at_end(&r)) {
        if (der_expect(&r, DER_SEQUENCE, &ext) != 0) return -1;
        x = der_inner(&ext);
        if (der_expect(&x, DER_OID, &oid) != 0) return -1;
        der_expect(&x, DER_BOOLEAN, &v);
        if (der_expect(&x, DER_OCTETSTRING, &v) != 0 || !der_at_end(&x)) return -1;
        if (oid.len == sizeof(oid_nonce) && memcmp(oid.val, oid_nonce, oid.len) == 0) {
            if (v.len > sizeof(out->nonce_ext)) return -1;
            memcpy(out->nonce_ext, v.val, v.len);
            out->nonce_ext_len = v.len;
        }
    }
    return 0;
}

static int data_parse(const der_tlv *tbs, ocsp_response *out, sc_err *e)
{
    der_r r = der_inner(tbs), x;
    der_tlv t, rid, list, one;
    if (der_expect(&r, DER_CTX_CONS(0), &t) == 0) {
        x = der_inner(&t);
        if (der_expect(&x, DER_INTEGER, &t) != 0 || t.len != 1 || t.val[0] != 0)
            return BAD("version");
    }
    if (der_next(&r, &rid) != 0) return BAD("responderID");
    x = der_inner(&rid);
    if (rid.tag == DER_CTX_CONS(2)) {
        if (der_expect(&x, DER_OCTETSTRING, &t) != 0 || t.len != 20 || !der_at_end(&x))
            return BAD("responderID byKey");
        out->by_key = 1;
        memcpy(out->key_hash, t.val, 20);
    } else if (rid.tag == DER_CTX_CONS(1)) {
        if (der_expect(&x, DER_SEQUENCE, &t) != 0 || !der_at_end(&x))
            return BAD("responderID byName");
        out->name.p = t.raw;
        out->name.len = t.rawlen;
    } else {
        return BAD("responderID");
    }
    if (gentime(&r, &out->produced_at) != 0 || der_expect(&r, DER_SEQUENCE, &list) != 0)
        return BAD("producedAt or responses");
    x = der_inner(&list);
    while (!der_at_end(&x)) {
        if (out->n == OCSP_MAX_IDS)
            return sc_fail(e, SC_EINVAL, "ocsp.too_many", "more than %d responses", OCSP_MAX_IDS);
        if (der_expect(&x, DER_SEQUENCE, &one) != 0 ||
            single_parse(&one, &out->singles[out->n]) != 0)
            return BAD("SingleResponse");
        out->n++;
    }
    if (der_expect(&r, DER_CTX_CONS(1), &t) == 0 && extensions_parse(&t, out) != 0)
        return BAD("responseExtensions");
    if (!der_at_end(&r) || out->n == 0) return BAD("ResponseData");
    return 0;
}

int ocsp_response_parse(const uint8_t *der, size_t len, ocsp_response *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    der_r r = der_reader(der, len), x;
    der_tlv resp, st, rb, oid, oct, basic, tbs, alg, sig, certs, seq, c;
    if (der_expect(&r, DER_SEQUENCE, &resp) != 0 || !der_at_end(&r))
        return BAD("not a DER OCSPResponse");
    r = der_inner(&resp);
    if (der_expect(&r, DER_ENUMERATED, &st) != 0 || st.len != 1 || st.val[0] > 6 || st.val[0] == 4)
        return BAD("responseStatus");
    out->status = st.val[0];
    if (out->status != OCSP_SUCCESSFUL)
        return der_at_end(&r) ? 0 : BAD("responseBytes in an error response");
    if (der_expect(&r, DER_CTX_CONS(0), &rb) != 0 || !der_at_end(&r))
        return BAD("no responseBytes");
    x = der_inner(&rb);
    if (der_expect(&x, DER_SEQUENCE, &seq) != 0 || !der_at_end(&x)) return BAD("ResponseBytes");
    x = der_inner(&seq);
    if (der_expect(&x, DER_OID, &oid) != 0 || oid.len != sizeof(oid_basic) ||
        memcmp(oid.val, oid_basic, oid.len) != 0 || der_expect(&x, DER_OCTETSTRING, &oct) != 0 ||
        !der_at_end(&x))
        return sc_fail(e, SC_EINVAL, "ocsp.not_basic", "not an id-pkix-ocsp-basic response");
    x = der_inner(&oct);
    if (der_expect(&x, DER_SEQUENCE, &basic) != 0 || !der_at_end(&x))
        return BAD("BasicOCSPResponse");
    x = der_inner(&basic);
    if (der_expect(&x, DER_SEQUENCE, &tbs) != 0 || der_expect(&x, DER_SEQUENCE, &alg) != 0 ||
        der_expect(&x, DER_BITSTRING, &sig) != 0 || sig.len < 2 || sig.val[0] != 0)
        return BAD("BasicOCSPResponse");
    if (der_expect(&x, DER_CTX_CONS(0), &certs) == 0) {
        der_r y = der_inner(&certs);
        if (der_expect(&y, DER_SEQUENCE, &seq) != 0 || !der_at_end(&y)) return BAD("certs");
        y = der_inner(&seq);
        if (!der_at_end(&y)) {
            if (der_expect(&y, DER_SEQUENCE, &c) != 0) return BAD("certs");
            out->cert.p = c.raw;
            out->cert.len = c.rawlen;
        }
    }
    if (!der_at_end(&x)) return BAD("trailing data");
    out->tbs.p = tbs.raw;
    out->tbs.len = tbs.rawlen;
    out->sigalg.p = alg.raw;
    out->sigalg.len = alg.rawlen;
    out->sig.p = sig.val + 1;
    out->sig.len = sig.len - 1;
    return data_parse(&tbs, out, e);
}

static pki_issuer *signer_find(pki_ca *ca, const ocsp_response *r)
{
    for (size_t i = 0; i < ca->nissuers; i++) {
        pki_issuer *is = &ca->issuers[i];
        if (strcmp(is->role, "ocsp") != 0) continue;
        if (r->cert.len ? (r->cert.len == is->derlen && memcmp(r->cert.p, is->der, is->derlen) == 0)
            : r->by_key ? memcmp(r->key_hash, is->ski, 20) == 0
                        : (r->name.len == is->subject_der.len &&
                           memcmp(r->name.p, is->subject_der.p, r->name.len) == 0))
            return is;
    }
    return NULL;
}

int ocsp_response_verify(pki_ca *ca, const ocsp_response *r, pki_issuer **signer, sc_err *e)
{
    if (signer) *signer = NULL;
    if (r->status != OCSP_SUCCESSFUL)
        return sc_fail(e, SC_EVERIFY, "ocsp.unsigned", "an unsigned %s response",
                       ocsp_status_name(r->status));
    pki_issuer *is = signer_find(ca, r);
    if (is == NULL)
        return sc_fail(e, SC_EVERIFY, "ocsp.unknown_signer",
                       "the response is not signed by an OCSP signer of this home");
    if (r->by_key ? memcmp(r->key_hash, is->ski, 20) != 0
                  : (r->name.len != is->subject_der.len ||
                     memcmp(r->name.p, is->subject_der.p, r->name.len) != 0))
        return sc_fail(e, SC_EVERIFY, "ocsp.responder_id",
                       "the responderID does not name the signer %s", is->id);
    sc_alg alg;
    int rc = crypto_sigalg_parse(r->sigalg.p, r->sigalg.len, &alg, e);
    if (rc != 0) return rc;
    if ((rc = crypto_verify(is->pub, alg, r->tbs.p, r->tbs.len, r->sig.p, r->sig.len, e)) != 0)
        return rc;
    /* RFC 6960 §4.2.2.2: a delegated signer speaks only for the CA that certified it */
    pki_issuer *parent = ca_issuer(ca, is->parent);
    for (size_t i = 0; i < r->n; i++)
        if (r->singles[i].status != OCSP_CERT_UNKNOWN &&
            (parent == NULL || ocsp_issuer_match(ca, &r->singles[i].id) != parent))
            return sc_fail(e, SC_EVERIFY, "ocsp.not_authorized",
                           "response %zu names a CA that %s does not sign for", i + 1, is->id);
    if (signer) *signer = is;
    return 0;
}
