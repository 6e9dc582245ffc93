/* respond.c - answer OCSP requests: match issuers, read statuses, sign BasicOCSPResponses. */
#include "ocsp/ocsp_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const uint8_t oid_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};

/* subjectPublicKey BIT STRING contents (without the unused-bits byte) of a certificate. */
static int cert_key_bits(const uint8_t *der, size_t len, sc_slice *out)
{
    signed_parts sp;
    der_tlv tbs, t, spki, alg, bits;
    if (der_split_signed(der, len, &sp) != 0) return -1;
    der_r r = der_reader(sp.tbs.p, sp.tbs.len);
    if (der_expect(&r, DER_SEQUENCE, &tbs) != 0) return -1;
    r = der_inner(&tbs);
    der_expect(&r, DER_CTX_CONS(0), &t); /* version */
    if (der_expect(&r, DER_INTEGER, &t) != 0 || der_expect(&r, DER_SEQUENCE, &t) != 0 ||
        der_expect(&r, DER_SEQUENCE, &t) != 0 || der_expect(&r, DER_SEQUENCE, &t) != 0 ||
        der_expect(&r, DER_SEQUENCE, &t) != 0 || der_expect(&r, DER_SEQUENCE, &spki) != 0)
        return -1;
    r = der_inner(&spki);
    if (der_expect(&r, DER_SEQUENCE, &alg) != 0 || der_expect(&r, DER_BITSTRING, &bits) != 0 ||
        bits.len < 2 || bits.val[0] != 0)
        return -1;
    out->p = bits.val + 1;
    out->len = bits.len - 1;
    return 0;
}

int ocsp_issuer_hashes(const pki_issuer *iss, int alg, uint8_t name[32], uint8_t key[32],
                       size_t *hlen)
{
    sc_slice bits;
    if (alg == OCSP_HASH_SHA1) {
        /* the SKI is already SHA-1 over the key bits (RFC 5280 §4.2.1.2 method 1) */
        crypto_sha1(iss->subject_der.p, iss->subject_der.len, name);
        memcpy(key, iss->ski, 20);
        *hlen = 20;
        return 0;
    }
    if (cert_key_bits(iss->der, iss->derlen, &bits) != 0) return -1;
    if (alg == OCSP_HASH_SHA256) {
        crypto_sha256(iss->subject_der.p, iss->subject_der.len, name);
        crypto_sha256(bits.p, bits.len, key);
    } else if (alg == OCSP_HASH_SM3) {
        crypto_sm3(iss->subject_der.p, iss->subject_der.len, name);
        crypto_sm3(bits.p, bits.len, key);
    } else {
        return -1;
    }
    *hlen = 32;
    return 0;
}

int ocsp_certid_make(const pki_issuer *iss, const uint8_t *serial, size_t serial_len,
                     ocsp_certid *out)
{
    memset(out, 0, sizeof(*out));
    if (serial_len == 0 || serial_len > OCSP_SERIAL_MAX) return -1;
    out->hash_alg = OCSP_HASH_SHA1;
    memcpy(out->alg_oid, oid_sha1, sizeof(oid_sha1));
    out->alg_oid_len = sizeof(oid_sha1);
    out->alg_null = 1; /* RFC 5019 §2.1.1 and OpenSSL write the NULL */
    uint8_t n[32], k[32];
    if (ocsp_issuer_hashes(iss, OCSP_HASH_SHA1, n, k, &out->hlen) != 0) return -1;
    memcpy(out->name_hash, n, 20);
    memcpy(out->key_hash, k, 20);
    memcpy(out->serial, serial, serial_len);
    out->serial_len = serial_len;
    return 0;
}

pki_issuer *ocsp_issuer_match(pki_ca *ca, const ocsp_certid *id)
{
    uint8_t n[32], k[32];
    size_t hl = 0;
    for (size_t i = 0; i < ca->nissuers; i++) {
        pki_issuer *iss = &ca->issuers[i];
        /* link certificates repeat a CA's name and key; the CA itself is the match */
        if (strcmp(iss->role, "root") != 0 && strcmp(iss->role, "issuing") != 0) continue;
        if (ocsp_issuer_hashes(iss, id->hash_alg, n, k, &hl) != 0 || hl != id->hlen) continue;
        if (memcmp(n, id->name_hash, hl) == 0 && memcmp(k, id->key_hash, hl) == 0) return iss;
    }
    return NULL;
}

pki_issuer *ocsp_signer_of(pki_ca *ca, const pki_issuer *iss)
{
    return ca_issuer_for(ca, "ocsp", iss->id);
}

int ocsp_status_lookup(pki_ca *ca, const pki_issuer *iss, const ocsp_certid *id, ocsp_answer *out,
                       sc_err *e)
{
    out->status = OCSP_CERT_UNKNOWN;
    out->revoked_at = 0;
    out->reason = -1;
    /* sealca serials are 16 bytes, first byte 01..7f (ca.c random_serial): anything else was
     * not issued here */
    if (id->serial_len != 16 || id->serial[0] == 0 || (id->serial[0] & 0x80)) return 0;
    char hex[33];
    sc_hex_encode(id->serial, 16, hex, 0);
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_CERT_STATUS, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, hex);
    rc = store_step(st, e);
    if (rc == STORE_ROW) {
        const char *issuer = store_col_text(st, 0, NULL);
        const char *status = store_col_text(st, 1, NULL);
        rc = 0;
        if (issuer == NULL || status == NULL || strcmp(issuer, iss->id) != 0) {
            /* known serial, other CA: unknown for this CertID */
        } else if (strcmp(status, "good") == 0) {
            out->status = OCSP_CERT_GOOD;
        } else {
            out->status = OCSP_CERT_REVOKED;
            out->revoked_at = store_col_int64(st, 3);
            if (strcmp(status, "hold") == 0)
                out->reason = REASON_CERTIFICATE_HOLD;
            else if (!store_col_isnull(st, 2) && store_col_int64(st, 2) > 0)
                out->reason = (int)store_col_int64(st, 2); /* unspecified: absent, as in the CRL */
        }
    } else if (rc == STORE_DONE) {
        rc = 0;
        /* the home's own certificates certified by iss (the seal maker's): not in the certs
         * table, never revoked (they leave service by rollover), so good while listed */
        for (size_t i = 0; i < ca->nissuers; i++)
            if (strcmp(ca->issuers[i].parent, iss->id) == 0 &&
                strcasecmp(ca->issuers[i].serial, hex) == 0)
                out->status = OCSP_CERT_GOOD;
    }
    store_exec(st, NULL);
    return rc;
}

/* SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] EXPLICIT OPT } */
static void single_write(der_w *w, const ocsp_certid *id, const ocsp_answer *a, int64_t now,
                         int64_t next)
{
    der_begin(w, DER_SEQUENCE);
    ocsp_certid_write(w, id);
    if (a->status == OCSP_CERT_GOOD) {
        der_prim(w, DER_CTX(0), NULL, 0); /* good [0] IMPLICIT NULL */
    } else if (a->status == OCSP_CERT_REVOKED) {
        der_begin(w, DER_CTX_CONS(1)); /* revoked [1] IMPLICIT RevokedInfo */
        der_gentime(w, a->revoked_at);
        if (a->reason >= 0) {
            uint8_t r = (uint8_t)a->reason;
            der_begin(w, DER_CTX_CONS(0)); /* revocationReason [0] EXPLICIT CRLReason */
            der_prim(w, DER_ENUMERATED, &r, 1);
            der_end(w);
        }
        der_end(w);
    } else {
        der_prim(w, DER_CTX(2), NULL, 0); /* unknown [2] IMPLICIT NULL */
    }
    der_gentime(w, now);
    der_begin(w, DER_CTX_CONS(0));
    der_gentime(w, next);
    der_end(w);
    der_end(w);
}

int ocsp_response_sign(pki_ca *ca, pki_issuer *signer, const ocsp_certid *ids,
                       const ocsp_answer *ans, size_t n, const uint8_t *nonce_ext,
                       size_t nonce_ext_len, int64_t now, sc_buf *resp, sc_err *e)
{
    sc_key *key = NULL;
    sc_buf alg = {0}, sig = {0};
    der_w tbs = {0}, w = {0};
    int hours = ca->ocsp_hours > 0 ? ca->ocsp_hours : OCSP_DEFAULT_HOURS;
    int rc = ca_issuer_key(ca, signer, &key, e);
    if (rc != 0) return rc;
    if ((rc = crypto_sigalg_der(crypto_key_alg(key), &alg)) != 0)
        return sc_fail(e, rc, "ocsp.alg", "unsupported signature algorithm");

    der_begin(&tbs, DER_SEQUENCE);    /* ResponseData, version v1 (DEFAULT, omitted) */
    der_begin(&tbs, DER_CTX_CONS(2)); /* responderID byKey: SHA-1 of the signer's key bits */
    der_prim(&tbs, DER_OCTETSTRING, signer->ski, 20);
    der_end(&tbs);
    der_gentime(&tbs, now); /* producedAt */
    der_begin(&tbs, DER_SEQUENCE);
    for (size_t i = 0; i < n; i++)
        single_write(&tbs, &ids[i], &ans[i], now, now + (int64_t)hours * 3600);
    der_end(&tbs);
    if (nonce_ext != NULL) {
        der_begin(&tbs, DER_CTX_CONS(1)); /* responseExtensions: the nonce, echoed as sent */
        der_begin(&tbs, DER_SEQUENCE);
        der_begin(&tbs, DER_SEQUENCE);
        der_oid(&tbs, OID_OCSP_NONCE);
        der_prim(&tbs, DER_OCTETSTRING, nonce_ext, nonce_ext_len);
        der_end(&tbs);
        der_end(&tbs);
        der_end(&tbs);
    }
    der_end(&tbs);
    if ((rc = der_finish(&tbs)) != 0) {
        sc_fail(e, rc, "ocsp.encode", "cannot encode the response");
        goto out;
    }
    if ((rc = crypto_sign(key, tbs.b.p, tbs.b.len, &sig, e)) != 0) goto out;

    der_begin(&w, DER_SEQUENCE); /* OCSPResponse */
    uint8_t ok = OCSP_SUCCESSFUL;
    der_prim(&w, DER_ENUMERATED, &ok, 1);
    der_begin(&w, DER_CTX_CONS(0));
    der_begin(&w, DER_SEQUENCE); /* ResponseBytes */
    der_oid(&w, OID_OCSP_BASIC);
    der_begin(&w, DER_OCTETSTRING);
    der_begin(&w, DER_SEQUENCE); /* BasicOCSPResponse */
    der_raw(&w, tbs.b.p, tbs.b.len);
    der_raw(&w, alg.p, alg.len);
    der_bits(&w, sig.p, sig.len);
    der_begin(&w, DER_CTX_CONS(0)); /* certs: the signer, so clients need not fetch it */
    der_begin(&w, DER_SEQUENCE);
    der_raw(&w, signer->der, signer->derlen);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    if ((rc = der_finish(&w)) != 0 || (rc = sc_buf_append(resp, w.b.p, w.b.len)) != 0)
        sc_fail(e, rc, "ocsp.encode", "cannot encode the response");
out:
    der_free(&tbs);
    der_free(&w);
    sc_buf_free(&alg);
    sc_buf_free(&sig);
    return rc;
}

int ocsp_response_error(int status, sc_buf *resp)
{
    /* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } - no responseBytes, unsigned */
    const uint8_t der[5] = {DER_SEQUENCE, 3, DER_ENUMERATED, 1, (uint8_t)status};
    return sc_buf_append(resp, der, sizeof(der));
}

int ocsp_respond_request(pki_ca *ca, const ocsp_request *rq, int64_t now, sc_buf *resp, sc_err *e)
{
    pki_issuer *match[OCSP_MAX_IDS];
    pki_issuer *served = NULL, *signer = NULL;
    ocsp_answer ans[OCSP_MAX_IDS];
    int rc;
    if (rq->n == 0 || rq->n > OCSP_MAX_IDS) {
        sc_fail(e, SC_EINVAL, "ocsp.malformed", "no CertID");
        return ocsp_response_error(OCSP_MALFORMED_REQUEST, resp);
    }
    for (size_t i = 0; i < rq->n; i++) {
        match[i] = ocsp_issuer_match(ca, &rq->ids[i]);
        if (served == NULL && match[i] != NULL && (signer = ocsp_signer_of(ca, match[i])) != NULL)
            served = match[i];
    }
    if (served == NULL) {
        sc_fail(e, SC_ENOTFOUND, "ocsp.unauthorized",
                "no CertID names a CA this responder signs for");
        return ocsp_response_error(OCSP_UNAUTHORIZED, resp);
    }
    for (size_t i = 0; i < rq->n; i++) {
        ans[i].status = OCSP_CERT_UNKNOWN;
        ans[i].reason = -1;
        ans[i].revoked_at = 0;
        if (match[i] == served &&
            (rc = ocsp_status_lookup(ca, served, &rq->ids[i], &ans[i], e)) != 0)
            return ocsp_response_error(OCSP_INTERNAL_ERROR, resp);
    }
    size_t mark = resp->len;
    rc = ocsp_response_sign(ca, signer, rq->ids, ans, rq->n, rq->has_nonce ? rq->nonce_ext : NULL,
                            rq->nonce_ext_len, now, resp, e);
    if (rc != 0) {
        resp->len = mark; /* nothing half-written */
        if (rc == SC_ENOMEM && resp->oom) return rc;
        return ocsp_response_error(OCSP_INTERNAL_ERROR, resp);
    }
    return 0;
}

int ocsp_respond(pki_ca *ca, const uint8_t *req, size_t len, int64_t now, sc_buf *resp, sc_err *e)
{
    ocsp_request rq;
    if (ocsp_request_parse(req, len, &rq, e) != 0)
        return ocsp_response_error(OCSP_MALFORMED_REQUEST, resp);
    return ocsp_respond_request(ca, &rq, now, resp, e);
}

const char *ocsp_status_name(int status)
{
    switch (status) {
    case OCSP_SUCCESSFUL:
        return "successful";
    case OCSP_MALFORMED_REQUEST:
        return "malformedRequest";
    case OCSP_INTERNAL_ERROR:
        return "internalError";
    case OCSP_TRY_LATER:
        return "tryLater";
    case OCSP_SIG_REQUIRED:
        return "sigRequired";
    case OCSP_UNAUTHORIZED:
        return "unauthorized";
    default:
        return "?";
    }
}

const char *ocsp_cert_status_name(int status)
{
    return status == OCSP_CERT_GOOD ? "good" : status == OCSP_CERT_REVOKED ? "revoked" : "unknown";
}
