/* client.c - the relying party's OCSP: build a request with a nonce for one certificate and check
 * the answer (signer authority, signature, nonce, CertID, freshness). The transport is the
 * caller's (seal/verify.c fetches with libcurl). */
#include "ocsp/ocsp_int.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

static const uint8_t oid_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};

#define SKEW 300 /* seconds of clock difference tolerated between us and the responder */

/* The issuer's subject Name TLV and subjectPublicKey bits hashed with SHA-1 (RFC 6960 §4.1.1). */
static int issuer_hashes(X509 *iss, uint8_t name[20], uint8_t key[20])
{
    unsigned char *nd = NULL;
    int nl = i2d_X509_NAME(X509_get_subject_name(iss), &nd);
    ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(iss);
    if (nl <= 0 || bits == NULL) {
        OPENSSL_free(nd);
        return -1;
    }
    crypto_sha1(nd, (size_t)nl, name);
    crypto_sha1(ASN1_STRING_get0_data(bits), (size_t)ASN1_STRING_length(bits), key);
    OPENSSL_free(nd);
    return 0;
}

static X509 *x509_of(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x != NULL && p != der + len) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int ocsp_client_request(const uint8_t *cert, size_t certlen, const uint8_t *issuer,
                        size_t issuerlen, ocsp_query *q, sc_buf *req, sc_err *e)
{
    memset(q, 0, sizeof(*q));
    X509 *c = x509_of(cert, certlen), *is = x509_of(issuer, issuerlen);
    int rc = 0;
    unsigned char *sd = NULL;
    int sl = 0;
    if (c == NULL || is == NULL || issuer_hashes(is, q->id.name_hash, q->id.key_hash) != 0 ||
        (sl = i2d_ASN1_INTEGER(X509_get0_serialNumber(c), &sd)) <= 2) {
        rc = sc_fail(e, SC_EINVAL, "ocsp.bad_cert",
                     "cannot make a CertID: a certificate is "
                     "unreadable");
        goto out;
    }
    /* the INTEGER's contents after its tag and (short or long) length */
    size_t off = (sd[1] & 0x80) ? 2 + (size_t)(sd[1] & 0x7f) : 2;
    if (off >= (size_t)sl || (size_t)sl - off > OCSP_SERIAL_MAX) {
        rc = sc_fail(e, SC_EINVAL, "ocsp.bad_cert", "the certificate's serial number is too long");
        goto out;
    }
    q->id.hash_alg = OCSP_HASH_SHA1;
    memcpy(q->id.alg_oid, oid_sha1, sizeof(oid_sha1));
    q->id.alg_oid_len = sizeof(oid_sha1);
    q->id.alg_null = 1;
    q->id.hlen = 20;
    q->id.serial_len = (size_t)sl - off;
    memcpy(q->id.serial, sd + off, q->id.serial_len);
    /* RFC 8954: Nonce ::= OCTET STRING (SIZE(1..32)), inside the extnValue */
    q->nonce_ext[0] = DER_OCTETSTRING;
    q->nonce_ext[1] = 16;
    crypto_random(q->nonce_ext + 2, 16);
    q->nonce_ext_len = 18;
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE); /* OCSPRequest */
    der_begin(&w, DER_SEQUENCE); /* TBSRequest */
    der_begin(&w, DER_SEQUENCE); /* requestList */
    der_begin(&w, DER_SEQUENCE); /* Request */
    ocsp_certid_write(&w, &q->id);
    der_end(&w);
    der_end(&w);
    der_begin(&w, DER_CTX_CONS(2)); /* requestExtensions */
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, OID_OCSP_NONCE);
    der_prim(&w, DER_OCTETSTRING, q->nonce_ext, q->nonce_ext_len);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    if (der_finish(&w) != 0) {
        der_free(&w);
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    rc = sc_buf_append(req, w.b.p, w.b.len) == 0 ? 0 : sc_fail(e, SC_ENOMEM, "oom", "oom");
    der_free(&w);
out:
    OPENSSL_free(sd);
    X509_free(c);
    X509_free(is);
    return rc;
}

static int same_id(const ocsp_certid *a, const ocsp_certid *b)
{
    return a->hash_alg == b->hash_alg && a->hlen == b->hlen &&
           memcmp(a->name_hash, b->name_hash, a->hlen) == 0 &&
           memcmp(a->key_hash, b->key_hash, a->hlen) == 0 && a->serial_len == b->serial_len &&
           memcmp(a->serial, b->serial, a->serial_len) == 0;
}

int ocsp_client_check(const ocsp_response *r, const ocsp_query *q, const uint8_t *issuer,
                      size_t issuerlen, int64_t now, ocsp_single *out, sc_err *e)
{
    if (r->status != OCSP_SUCCESSFUL)
        return sc_fail(e, SC_EVERIFY, "ocsp.error_status", "the responder answered %s",
                       ocsp_status_name(r->status));
    int rc = SC_EVERIFY;
    X509 *is = x509_of(issuer, issuerlen), *sg = NULL;
    sc_key *pub = NULL;
    const uint8_t *sder = issuer;
    size_t slen = issuerlen;
    if (is == NULL) {
        rc = sc_fail(e, SC_EINVAL, "ocsp.bad_cert", "the issuer certificate is unreadable");
        goto out;
    }
    /* who signed: the CA itself, or a responder the CA delegated to (RFC 6960 §4.2.2.2) */
    if (r->cert.len > 0 &&
        !(r->cert.len == issuerlen && memcmp(r->cert.p, issuer, issuerlen) == 0)) {
        sg = x509_of(r->cert.p, r->cert.len);
        sc_key *ik = NULL;
        int ok = sg != NULL &&
                 X509_NAME_cmp(X509_get_issuer_name(sg), X509_get_subject_name(is)) == 0 &&
                 cert_pubkey(issuer, issuerlen, &ik, NULL) == 0 &&
                 pki_verify_signed(r->cert.p, r->cert.len, ik, NULL) == 0;
        crypto_key_free(ik);
        if (!ok) {
            sc_fail(e, SC_EVERIFY, "ocsp.not_authorized",
                    "the responder's certificate was not issued by the certificate's CA "
                    "(OCSP 响应者未获该 CA 授权)");
            goto out;
        }
        if (!(X509_get_extension_flags(sg) & EXFLAG_XKUSAGE) ||
            !(X509_get_extended_key_usage(sg) & XKU_OCSP_SIGN)) {
            sc_fail(e, SC_EVERIFY, "ocsp.not_authorized",
                    "the responder's certificate lacks extendedKeyUsage OCSPSigning");
            goto out;
        }
        sc_slice sub, iss;
        int64_t nb, na;
        if (cert_fields(r->cert.p, r->cert.len, &sub, &iss, &nb, &na) != 0 || now < nb ||
            now > na) {
            sc_fail(e, SC_EVERIFY, "ocsp.not_authorized",
                    "the responder's certificate is not valid now");
            goto out;
        }
        sder = r->cert.p;
        slen = r->cert.len;
    }
    X509 *sx = sg ? sg : is;
    /* the responderID names the signer: SHA-1 of its key bits, or its subject */
    if (r->by_key) {
        uint8_t nh[20], kh[20];
        if (issuer_hashes(sx, nh, kh) != 0 || memcmp(kh, r->key_hash, 20) != 0) {
            sc_fail(e, SC_EVERIFY, sg || r->cert.len ? "ocsp.responder_id" : "ocsp.unknown_signer",
                    "the responderID (byKey) does not name %s",
                    sg ? "the embedded responder certificate" : "the issuing CA");
            goto out;
        }
    } else {
        sc_slice sub, iss;
        int64_t nb, na;
        if (cert_fields(sder, slen, &sub, &iss, &nb, &na) != 0 || sub.len != r->name.len ||
            memcmp(sub.p, r->name.p, sub.len) != 0) {
            sc_fail(e, SC_EVERIFY, sg || r->cert.len ? "ocsp.responder_id" : "ocsp.unknown_signer",
                    "the responderID (byName) does not name %s",
                    sg ? "the embedded responder certificate" : "the issuing CA");
            goto out;
        }
    }
    sc_alg alg;
    sc_err ve = {0};
    if (cert_pubkey(sder, slen, &pub, &ve) != 0 ||
        crypto_sigalg_parse(r->sigalg.p, r->sigalg.len, &alg, &ve) != 0 ||
        crypto_verify(pub, alg, r->tbs.p, r->tbs.len, r->sig.p, r->sig.len, &ve) != 0) {
        sc_fail(e, SC_EVERIFY, "ocsp.bad_signature",
                "the OCSP response's signature does not verify (响应签名无效): %s", ve.msg);
        goto out;
    }
    if (r->nonce_ext_len != q->nonce_ext_len ||
        memcmp(r->nonce_ext, q->nonce_ext, q->nonce_ext_len) != 0) {
        sc_fail(e, SC_EVERIFY, "ocsp.nonce",
                "the response does not echo our nonce (a replayed or cached answer)");
        goto out;
    }
    const ocsp_single *s = NULL;
    for (size_t i = 0; i < r->n && s == NULL; i++)
        if (same_id(&r->singles[i].id, &q->id)) s = &r->singles[i];
    if (s == NULL) {
        sc_fail(e, SC_EVERIFY, "ocsp.no_answer",
                "the response does not answer for this certificate");
        goto out;
    }
    if (s->this_update > now + SKEW || (s->next_update != 0 && s->next_update < now - SKEW) ||
        (s->next_update != 0 && s->next_update < s->this_update)) {
        sc_fail(e, SC_EVERIFY, "ocsp.stale",
                "the response is not current (thisUpdate/nextUpdate do not contain now)");
        goto out;
    }
    *out = *s;
    rc = 0;
out:
    crypto_key_free(pub);
    X509_free(sg);
    X509_free(is);
    return rc;
}
