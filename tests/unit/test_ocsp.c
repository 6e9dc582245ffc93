/* test_ocsp.c - the OCSP responder: requests made by OpenSSL, statuses, error responses,
 * signatures, the pre-signed cache. */
#include "testutil.h"

#include <pthread.h>
#include <time.h>

#include "ocsp/ocsp_int.h"
#include "pki/pki.h"

/* after pki.h: x509v3.h (through ocsp.h) defines KU_* macros that would shadow sealca's enum */
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#undef KU_DIGITAL_SIGNATURE
#undef KU_NON_REPUDIATION
#undef KU_KEY_ENCIPHERMENT
#undef KU_DATA_ENCIPHERMENT
#undef KU_KEY_AGREEMENT
#undef KU_KEY_CERT_SIGN
#undef KU_CRL_SIGN

#define PASS  "unit-test passphrase"
#define IDNUM "11010519491231002X"
#define NOW   ((int64_t)time(NULL))

/* One SM2 home for the file with three certificates of sub-1. */
typedef struct fx {
    char *dir;
    char home[4200];
    pki_ca *ca;
    cert_info c[3];
} fx;

static int make_home(const char *home, sc_alg alg, sc_err *e)
{
    ca_init_opts o = {0};
    o.home = home;
    o.name = "sealca OCSP 测试 CA";
    o.alg = alg;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    return ca_init(&o, e);
}

static int issue(pki_ca *ca, cert_info *out, sc_err *e)
{
    sc_key *k = NULL;
    int rc = crypto_key_generate(ca->alg, &k, e);
    if (rc != 0) return rc;
    issue_req r = {0};
    r.profile = "person-sign";
    r.subject = "CN=张三";
    r.id_number = IDNUM;
    r.pub = k;
    r.actor = "unit-test";
    rc = pki_issue(ca, &r, out, e);
    crypto_key_free(k);
    return rc;
}

static int group_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sc_err e = {0};
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    if (make_home(f->home, SC_ALG_SM2, &e) != 0 ||
        ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    for (int i = 0; i < 3; i++)
        if (issue(f->ca, &f->c[i], &e) != 0) {
            fprintf(stderr, "issue: %s %s\n", e.code, e.msg);
            return -1;
        }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 3; i++)
        cert_info_free(&f->c[i]);
    ca_close(f->ca);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static X509 *x509(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    return x;
}

static OCSP_CERTID *certid(const EVP_MD *md, const pki_issuer *iss, const cert_info *ci)
{
    X509 *ix = x509(iss->der, iss->derlen), *cx = x509(ci->der, ci->derlen);
    OCSP_CERTID *id = OCSP_cert_to_id(md, cx, ix);
    assert_non_null(id);
    X509_free(ix);
    X509_free(cx);
    return id;
}

/* DER of an OpenSSL-made request for these CertIDs (consumed), with a nonce if asked. */
static void request_der(OCSP_CERTID **ids, int n, int nonce, sc_buf *out)
{
    OCSP_REQUEST *rq = OCSP_REQUEST_new();
    for (int i = 0; i < n; i++)
        assert_non_null(OCSP_request_add0_id(rq, ids[i]));
    if (nonce) assert_int_equal(OCSP_request_add1_nonce(rq, NULL, -1), 1);
    unsigned char *p = NULL;
    int len = i2d_OCSP_REQUEST(rq, &p);
    assert_true(len > 0);
    sc_buf_append(out, p, (size_t)len);
    OPENSSL_free(p);
    OCSP_REQUEST_free(rq);
}

static void request_one(const EVP_MD *md, const pki_issuer *iss, const cert_info *ci, int nonce,
                        sc_buf *out)
{
    OCSP_CERTID *id = certid(md, iss, ci);
    request_der(&id, 1, nonce, out);
}

static OCSP_RESPONSE *respond(pki_ca *ca, const sc_buf *req, int want_status, sc_buf *der)
{
    sc_err e = {0};
    der->len = 0;
    assert_int_equal(ocsp_respond(ca, req->p, req->len, NOW, der, &e), 0);
    const unsigned char *p = der->p;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)der->len);
    assert_non_null(r);
    assert_ptr_equal(p, der->p + der->len);
    if (OCSP_response_status(r) != want_status)
        fail_msg("response status %d, want %d (%s %s)", OCSP_response_status(r), want_status,
                 e.code, e.msg);
    if (want_status == OCSP_SUCCESSFUL)
        assert_int_equal(e.status, 0);
    else
        assert_int_equal(der->len, 5); /* unsigned, no responseBytes */
    return r;
}

/* Status of one certificate in a response, through OpenSSL's OCSP_resp_find_status. */
static int find_status(OCSP_RESPONSE *r, const EVP_MD *md, const pki_issuer *iss,
                       const cert_info *ci, int *reason)
{
    OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
    assert_non_null(bs);
    OCSP_CERTID *id = certid(md, iss, ci);
    int status = -1;
    ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
    assert_int_equal(OCSP_resp_find_status(bs, id, &status, reason, &rev, &tu, &nu), 1);
    assert_int_equal(OCSP_check_validity(tu, nu, 300, -1), 1);
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, tu, nu), 1);
    assert_int_equal(days * 86400 + secs, 24 * 3600); /* the default ocsp_hours */
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    return status;
}

/* The signature verifies with crypto_verify and the OCSP signer's key; the signer is
 * embedded and named by key hash. */
static void check_signature(pki_ca *ca, OCSP_RESPONSE *r)
{
    OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
    assert_non_null(bs);
    pki_issuer *signer = ca_issuer(ca, "ocsp-1");
    unsigned char *tbs = NULL;
    int tl = i2d_OCSP_RESPDATA(OCSP_resp_get0_respdata(bs), &tbs);
    assert_true(tl > 0);
    const ASN1_OCTET_STRING *sig = OCSP_resp_get0_signature(bs);
    sc_err e = {0};
    if (crypto_verify(signer->pub, ca->alg, tbs, (size_t)tl, ASN1_STRING_get0_data(sig),
                      (size_t)ASN1_STRING_length(sig), &e) != 0)
        fail_msg("crypto_verify: %s", e.msg);
    const ASN1_OCTET_STRING *kh = NULL;
    const X509_NAME *nm = NULL;
    assert_int_equal(OCSP_resp_get0_id(bs, &kh, &nm), 1);
    assert_non_null(kh);
    assert_int_equal(ASN1_STRING_length(kh), 20);
    assert_memory_equal(ASN1_STRING_get0_data(kh), signer->ski, 20);
    const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
    assert_int_equal(sk_X509_num(certs), 1);
    unsigned char *cd = NULL;
    int cl = i2d_X509(sk_X509_value(certs, 0), &cd);
    assert_int_equal((size_t)cl, signer->derlen);
    assert_memory_equal(cd, signer->der, signer->derlen);
    OPENSSL_free(cd);
    OPENSSL_free(tbs);
    OCSP_BASICRESP_free(bs);
}

/* ---- parsing ---- */

static void test_parse_openssl_requests(void **state)
{
    fx *f = *state;
    pki_issuer *sub = ca_issuer(f->ca, "sub-1");
    sc_buf b = {0};
    ocsp_request rq;
    sc_err e = {0};
    /* SHA-1 with a nonce (OpenSSL: 16 random bytes in the RFC 8954 wrapped form) */
    request_one(EVP_sha1(), sub, &f->c[0], 1, &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), 0);
    assert_int_equal(rq.n, 1);
    assert_int_equal(rq.ids[0].hash_alg, OCSP_HASH_SHA1);
    assert_int_equal(rq.ids[0].hlen, 20);
    assert_int_equal(rq.ids[0].alg_null, 1);
    assert_int_equal(rq.ids[0].serial_len, 16);
    char hex[33];
    sc_hex_encode(rq.ids[0].serial, 16, hex, 0);
    assert_string_equal(hex, f->c[0].serial);
    assert_true(rq.has_nonce);
    assert_int_equal(rq.nonce_len, 16);
    assert_int_equal(rq.nonce_ext_len, 18);
    assert_int_equal(rq.nonce_ext[0], 0x04);
    assert_int_equal(ocsp_issuer_match(f->ca, &rq.ids[0]), sub);
    sc_buf_free(&b);
    /* SHA-256, SM3 and SHA-1 CertIDs in one request, no nonce */
    OCSP_CERTID *ids[3] = {certid(EVP_sha256(), sub, &f->c[0]), certid(EVP_sm3(), sub, &f->c[1]),
                           certid(EVP_sha1(), sub, &f->c[2])};
    request_der(ids, 3, 0, &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), 0);
    assert_int_equal(rq.n, 3);
    assert_false(rq.has_nonce);
    assert_int_equal(rq.ids[0].hash_alg, OCSP_HASH_SHA256);
    assert_int_equal(rq.ids[1].hash_alg, OCSP_HASH_SM3);
    assert_int_equal(rq.ids[2].hash_alg, OCSP_HASH_SHA1);
    for (int i = 0; i < 3; i++)
        assert_ptr_equal(ocsp_issuer_match(f->ca, &rq.ids[i]), sub);
    sc_buf_free(&b);
}

/* The request minus its outer header is a malformedRequest at every truncation. */
static void test_malformed(void **state)
{
    fx *f = *state;
    pki_issuer *sub = ca_issuer(f->ca, "sub-1");
    sc_buf req = {0}, resp = {0}, bad = {0};
    request_one(EVP_sha1(), sub, &f->c[0], 1, &req);
    for (size_t n = 0; n < req.len; n++) {
        bad.len = 0;
        sc_buf_append(&bad, req.p, n);
        OCSP_RESPONSE_free(respond(f->ca, &bad, OCSP_MALFORMED_REQUEST, &resp));
    }
    /* trailing garbage */
    bad.len = 0;
    sc_buf_append(&bad, req.p, req.len);
    sc_buf_putc(&bad, 0);
    OCSP_RESPONSE_free(respond(f->ca, &bad, OCSP_MALFORMED_REQUEST, &resp));
    /* oversized: a valid request padded with a big requestorName is refused on size alone */
    bad.len = 0;
    uint8_t *big = calloc(1, OCSP_REQUEST_MAX + 1);
    memcpy(big, req.p, req.len);
    sc_buf_append(&bad, big, OCSP_REQUEST_MAX + 1);
    free(big);
    sc_err e = {0};
    ocsp_request rq;
    assert_int_equal(ocsp_request_parse(bad.p, bad.len, &rq, &e), SC_ETOOBIG);
    OCSP_RESPONSE_free(respond(f->ca, &bad, OCSP_MALFORMED_REQUEST, &resp));
    /* every byte flipped: a response, never a crash (content may still parse) */
    for (size_t i = 0; i < req.len; i++) {
        bad.len = 0;
        sc_buf_append(&bad, req.p, req.len);
        bad.p[i] ^= 0xa5;
        resp.len = 0;
        assert_int_equal(ocsp_respond(f->ca, bad.p, bad.len, NOW, &resp, &e), 0);
        assert_true(resp.len >= 5);
    }
    sc_buf_free(&req);
    sc_buf_free(&resp);
    sc_buf_free(&bad);
}

/* Hand-made requests: 17 CertIDs, a critical unknown extension, nonces of bad sizes. */
static void build_request(int nids, const char *ext_oid, int critical, const uint8_t *val,
                          size_t vlen, sc_buf *out)
{
    der_w w = {0};
    uint8_t h[20] = {1}, sn[16] = {0x11};
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    for (int i = 0; i < nids; i++) {
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_SEQUENCE);
        der_oid(&w, "1.3.14.3.2.26");
        der_null(&w);
        der_end(&w);
        der_prim(&w, DER_OCTETSTRING, h, 20);
        der_prim(&w, DER_OCTETSTRING, h, 20);
        der_uint(&w, sn, 16);
        der_end(&w);
        der_end(&w);
    }
    der_end(&w);
    if (ext_oid != NULL) {
        der_begin(&w, DER_CTX_CONS(2));
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_SEQUENCE);
        der_oid(&w, ext_oid);
        if (critical) der_bool(&w, 1);
        der_prim(&w, DER_OCTETSTRING, val, vlen);
        der_end(&w);
        der_end(&w);
        der_end(&w);
    }
    der_end(&w);
    der_end(&w);
    assert_int_equal(der_finish(&w), 0);
    out->len = 0;
    sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
}

static void test_refusals(void **state)
{
    (void)state;
    sc_buf b = {0};
    ocsp_request rq;
    uint8_t v[40];
    memset(v, 0x5a, sizeof(v));
    sc_err e = {0};
    build_request(OCSP_MAX_IDS, NULL, 0, NULL, 0, &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), 0);
    assert_int_equal(rq.n, OCSP_MAX_IDS);
    build_request(OCSP_MAX_IDS + 1, NULL, 0, NULL, 0, &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), SC_EINVAL);
    assert_string_equal(e.code, "ocsp.too_many");
    build_request(0, NULL, 0, NULL, 0, &b);
    memset(&e, 0, sizeof(e));
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), SC_EINVAL);
    assert_string_equal(e.code, "ocsp.empty");
    /* unknown extensions: ignored, unless critical */
    build_request(1, "1.2.3.4", 0, v, 4, &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), 0);
    build_request(1, "1.2.3.4", 1, v, 4, &b);
    memset(&e, 0, sizeof(e));
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), SC_EINVAL);
    assert_string_equal(e.code, "ocsp.critical_extension");
    /* nonce: raw bytes accepted (older clients), 33 bytes refused (RFC 8954 §2.1) */
    build_request(1, "1.3.6.1.5.5.7.48.1.2", 0, v, 32, &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), 0);
    assert_int_equal(rq.nonce_len, 32);
    assert_int_equal(rq.nonce_ext_len, 32);
    build_request(1, "1.3.6.1.5.5.7.48.1.2", 0, v, 33, &b);
    memset(&e, 0, sizeof(e));
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), SC_EINVAL);
    assert_string_equal(e.code, "ocsp.bad_nonce");
    uint8_t wrapped[35] = {0x04, 33};
    memset(wrapped + 2, 7, 33);
    build_request(1, "1.3.6.1.5.5.7.48.1.2", 0, wrapped, sizeof(wrapped), &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), SC_EINVAL);
    uint8_t empty[2] = {0x04, 0};
    build_request(1, "1.3.6.1.5.5.7.48.1.2", 0, empty, 2, &b);
    assert_int_equal(ocsp_request_parse(b.p, b.len, &rq, &e), SC_EINVAL);
    sc_buf_free(&b);
}

/* ---- answers ---- */

static void test_unauthorized(void **state)
{
    fx *f = *state;
    sc_buf req = {0}, resp = {0};
    /* a CertID naming the root: no delegated signer there */
    request_one(EVP_sha1(), ca_issuer(f->ca, "root-1"), &f->c[0], 0, &req);
    OCSP_RESPONSE_free(respond(f->ca, &req, OCSP_RESPONSE_STATUS_UNAUTHORIZED, &resp));
    /* a foreign issuer */
    build_request(1, NULL, 0, NULL, 0, &req);
    OCSP_RESPONSE_free(respond(f->ca, &req, OCSP_RESPONSE_STATUS_UNAUTHORIZED, &resp));
    /* an unsupported hash (SHA-512): cannot match any issuer */
    req.len = 0;
    request_one(EVP_sha512(), ca_issuer(f->ca, "sub-1"), &f->c[0], 0, &req);
    OCSP_RESPONSE_free(respond(f->ca, &req, OCSP_RESPONSE_STATUS_UNAUTHORIZED, &resp));
    sc_buf_free(&req);
    sc_buf_free(&resp);
}

static int status_of(fx *f, const EVP_MD *md, const cert_info *ci, int *reason)
{
    sc_buf req = {0}, resp = {0};
    pki_issuer *sub = ca_issuer(f->ca, "sub-1");
    request_one(md, sub, ci, 1, &req);
    OCSP_RESPONSE *r = respond(f->ca, &req, OCSP_RESPONSE_STATUS_SUCCESSFUL, &resp);
    check_signature(f->ca, r);
    int st = find_status(r, md, sub, ci, reason);
    /* the nonce is echoed */
    OCSP_REQUEST *oreq = NULL;
    const unsigned char *p = req.p;
    oreq = d2i_OCSP_REQUEST(NULL, &p, (long)req.len);
    OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
    assert_int_equal(OCSP_check_nonce(oreq, bs), 1);
    OCSP_BASICRESP_free(bs);
    OCSP_REQUEST_free(oreq);
    OCSP_RESPONSE_free(r);
    sc_buf_free(&req);
    sc_buf_free(&resp);
    return st;
}

static void test_statuses(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    int reason = -2;
    const cert_info *c = &f->c[1];
    assert_int_equal(status_of(f, EVP_sha1(), c, &reason), V_OCSP_CERTSTATUS_GOOD);
    assert_int_equal(status_of(f, EVP_sha256(), c, &reason), V_OCSP_CERTSTATUS_GOOD);
    assert_int_equal(status_of(f, EVP_sm3(), c, &reason), V_OCSP_CERTSTATUS_GOOD);
    /* hold: revoked, certificateHold; resume: good */
    assert_int_equal(pki_revoke(f->ca, c->serial, REASON_CERTIFICATE_HOLD, 0, "t", &e), 0);
    assert_int_equal(status_of(f, EVP_sha1(), c, &reason), V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);
    assert_int_equal(pki_resume(f->ca, c->serial, "t", &e), 0);
    assert_int_equal(status_of(f, EVP_sha1(), c, &reason), V_OCSP_CERTSTATUS_GOOD);
    /* revoked with the reason; unspecified has no reason, as in the CRL */
    assert_int_equal(pki_revoke(f->ca, c->serial, REASON_SUPERSEDED, 0, "t", &e), 0);
    assert_int_equal(status_of(f, EVP_sha256(), c, &reason), V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, OCSP_REVOKED_STATUS_SUPERSEDED);
    cert_info u;
    assert_int_equal(issue(f->ca, &u, &e), 0);
    assert_int_equal(pki_revoke(f->ca, u.serial, REASON_UNSPECIFIED, 0, "t", &e), 0);
    assert_int_equal(status_of(f, EVP_sha1(), &u, &reason), V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, OCSP_REVOKED_STATUS_NOSTATUS);
    cert_info_free(&u);
    /* unknown: a serial this CA never issued */
    sc_buf req = {0}, resp = {0};
    ocsp_request rq;
    request_one(EVP_sha1(), ca_issuer(f->ca, "sub-1"), &f->c[0], 0, &req);
    assert_int_equal(ocsp_request_parse(req.p, req.len, &rq, &e), 0);
    rq.ids[0].serial[15] ^= 1;
    assert_int_equal(ocsp_respond_request(f->ca, &rq, NOW, &resp, &e), 0);
    ocsp_response r;
    assert_int_equal(ocsp_response_parse(resp.p, resp.len, &r, &e), 0);
    assert_int_equal(r.status, OCSP_SUCCESSFUL);
    assert_int_equal(r.singles[0].status, OCSP_CERT_UNKNOWN);
    pki_issuer *signer = NULL;
    assert_int_equal(ocsp_response_verify(f->ca, &r, &signer, &e), 0);
    assert_string_equal(signer->id, "ocsp-1");
    /* a flipped signature byte is caught */
    resp.p[resp.len - signer->derlen - 10] ^= 1;
    assert_int_equal(ocsp_response_parse(resp.p, resp.len, &r, &e), 0);
    assert_int_equal(ocsp_response_verify(f->ca, &r, NULL, &e), SC_EVERIFY);
    sc_buf_free(&req);
    sc_buf_free(&resp);
}

/* First served issuer signs; CertIDs of other issuers are unknown. */
static void test_mixed_issuers(void **state)
{
    fx *f = *state;
    pki_issuer *sub = ca_issuer(f->ca, "sub-1"), *root = ca_issuer(f->ca, "root-1");
    OCSP_CERTID *ids[2] = {certid(EVP_sha1(), root, &f->c[0]), certid(EVP_sha1(), sub, &f->c[0])};
    sc_buf req = {0}, resp = {0};
    request_der(ids, 2, 0, &req);
    sc_err e = {0};
    assert_int_equal(ocsp_respond(f->ca, req.p, req.len, NOW, &resp, &e), 0);
    ocsp_response r;
    assert_int_equal(ocsp_response_parse(resp.p, resp.len, &r, &e), 0);
    assert_int_equal(r.status, OCSP_SUCCESSFUL);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.singles[0].status, OCSP_CERT_UNKNOWN);
    assert_int_equal(r.singles[1].status, OCSP_CERT_GOOD);
    assert_int_equal(ocsp_response_verify(f->ca, &r, NULL, &e), 0);
    sc_buf_free(&req);
    sc_buf_free(&resp);
}

static void test_ecdsa_openssl_verify(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char home[4200];
    snprintf(home, sizeof(home), "%s/home", dir);
    sc_err e = {0};
    pki_ca *ca = NULL;
    cert_info ci;
    assert_int_equal(make_home(home, SC_ALG_ECDSA_P256, &e), 0);
    assert_int_equal(ca_open(home, PASS, strlen(PASS), &ca, &e), 0);
    assert_int_equal(issue(ca, &ci, &e), 0);
    pki_issuer *sub = ca_issuer(ca, "sub-1"), *root = ca_issuer(ca, "root-1");
    sc_buf req = {0}, resp = {0};
    request_one(EVP_sha1(), sub, &ci, 1, &req);
    OCSP_RESPONSE *r = respond(ca, &req, OCSP_RESPONSE_STATUS_SUCCESSFUL, &resp);
    check_signature(ca, r);
    OCSP_BASICRESP *bs = OCSP_response_get1_basic(r);
    X509_STORE *trust = X509_STORE_new();
    X509 *rx = x509(root->der, root->derlen), *sx = x509(sub->der, sub->derlen);
    X509_STORE_add_cert(trust, rx);
    STACK_OF(X509) *chain = sk_X509_new_null();
    sk_X509_push(chain, sx);
    /* the delegated signer is embedded; the issuing CA comes from the untrusted chain */
    if (OCSP_basic_verify(bs, chain, trust, 0) != 1)
        fail_msg("OCSP_basic_verify refused the response");
    int reason;
    assert_int_equal(find_status(r, EVP_sha1(), sub, &ci, &reason), V_OCSP_CERTSTATUS_GOOD);
    sk_X509_free(chain);
    X509_free(rx);
    X509_free(sx);
    X509_STORE_free(trust);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    sc_buf_free(&req);
    sc_buf_free(&resp);
    cert_info_free(&ci);
    ca_close(ca);
    tu_rmrf(dir);
}

/* ---- cache ---- */

static int cached_status(ocsp_cache *c, const sc_buf *req, int64_t now, int64_t *produced)
{
    sc_buf resp = {0};
    ocsp_response r;
    sc_err e = {0};
    if (ocsp_cache_get(c, req->p, req->len, now, &resp) != 0) return -1;
    assert_int_equal(ocsp_response_parse(resp.p, resp.len, &r, &e), 0);
    assert_int_equal(r.n, 1);
    if (produced) *produced = r.produced_at;
    sc_buf_free(&resp);
    return r.singles[0].status;
}

static void test_cache(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    ocsp_cache *c = NULL;
    assert_int_equal(ocsp_cache_new(f->ca, NULL, &c, &e), 0);
    pki_issuer *sub = ca_issuer(f->ca, "sub-1");
    const cert_info *ci = &f->c[2];
    sc_buf req = {0}, resp = {0}, fresh = {0};
    int64_t now = NOW, produced = 0, produced2 = 0;
    request_one(EVP_sha1(), sub, ci, 0, &req);
    /* miss, then a signed entry that matches a live answer in status */
    assert_int_equal(ocsp_cache_get(c, req.p, req.len, now, &resp), SC_ENOTFOUND);
    assert_int_equal(ocsp_respond_cached(c, f->ca, req.p, req.len, now, &resp, &e), 0);
    assert_int_equal(ocsp_cache_size(c), 1);
    assert_int_equal(cached_status(c, &req, now, &produced), OCSP_CERT_GOOD);
    assert_int_equal(ocsp_respond(f->ca, req.p, req.len, now, &fresh, &e), 0);
    ocsp_response a, b;
    assert_int_equal(ocsp_response_parse(resp.p, resp.len, &a, &e), 0);
    assert_int_equal(ocsp_response_parse(fresh.p, fresh.len, &b, &e), 0);
    assert_int_equal(a.singles[0].status, b.singles[0].status);
    assert_memory_equal(&a.singles[0].id, &b.singles[0].id, sizeof(a.singles[0].id));
    assert_int_equal(ocsp_response_verify(f->ca, &a, NULL, &e), 0);
    /* the hit is byte-for-byte the published response */
    sc_buf hit = {0};
    assert_int_equal(ocsp_cache_get(c, req.p, req.len, now, &hit), 0);
    assert_int_equal(hit.len, resp.len);
    assert_memory_equal(hit.p, resp.p, resp.len);
    sc_buf_free(&hit);
    /* a status change shows after ocsp_cache_refresh */
    assert_int_equal(pki_revoke(f->ca, ci->serial, REASON_CERTIFICATE_HOLD, 0, "t", &e), 0);
    assert_int_equal(cached_status(c, &req, now, NULL), OCSP_CERT_GOOD); /* until refreshed */
    assert_int_equal(ocsp_cache_refresh(c, f->ca, ci->serial, now + 1, &e), 0);
    assert_int_equal(cached_status(c, &req, now + 1, NULL), OCSP_CERT_REVOKED);
    assert_int_equal(pki_resume(f->ca, ci->serial, "t", &e), 0);
    assert_int_equal(ocsp_cache_refresh(c, f->ca, ci->serial, now + 2, &e), 0);
    assert_int_equal(cached_status(c, &req, now + 2, &produced), OCSP_CERT_GOOD);
    /* nothing due yet; near nextUpdate the entry is re-signed; past it a miss */
    size_t n = 99;
    assert_int_equal(ocsp_cache_refresh_due(c, f->ca, now + 2, &n, &e), 0);
    assert_int_equal(n, 0);
    int64_t later = now + 2 + 13 * 3600;
    assert_int_equal(ocsp_cache_refresh_due(c, f->ca, later, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cached_status(c, &req, later, &produced2), OCSP_CERT_GOOD);
    assert_int_equal(produced2, later);
    assert_int_equal(cached_status(c, &req, later + 25 * 3600, NULL), -1);
    /* not cached: a nonce, a SHA-256 CertID (answered with SHA-256), an unknown serial */
    sc_buf nreq = {0};
    request_one(EVP_sha1(), sub, ci, 1, &nreq);
    assert_int_equal(ocsp_cache_get(c, nreq.p, nreq.len, now, &resp), SC_ENOTFOUND);
    nreq.len = 0;
    request_one(EVP_sha256(), sub, ci, 0, &nreq);
    assert_int_equal(ocsp_cache_get(c, nreq.p, nreq.len, now, &resp), SC_ENOTFOUND);
    resp.len = 0;
    assert_int_equal(ocsp_respond_cached(c, f->ca, nreq.p, nreq.len, now, &resp, &e), 0);
    assert_int_equal(ocsp_response_parse(resp.p, resp.len, &a, &e), 0);
    assert_int_equal(a.singles[0].id.hash_alg, OCSP_HASH_SHA256);
    assert_int_equal(a.singles[0].status, OCSP_CERT_GOOD);
    assert_int_equal(ocsp_cache_refresh(c, f->ca, "0102030405060708090a0b0c0d0e0f10", now, &e),
                     SC_ENOTFOUND);
    assert_int_equal(ocsp_cache_size(c), 1);
    sc_buf_free(&nreq);
    sc_buf_free(&req);
    sc_buf_free(&resp);
    sc_buf_free(&fresh);
    ocsp_cache_free(c);
}

typedef struct reader {
    ocsp_cache *c;
    const sc_buf *req;
    int64_t now;
    int hits, bad;
} reader;

static void *reader_run(void *arg)
{
    reader *r = arg;
    for (int i = 0; i < 3000; i++) {
        sc_buf resp = {0};
        ocsp_response o;
        if (ocsp_cache_get(r->c, r->req->p, r->req->len, r->now, &resp) == 0) {
            r->hits++;
            if (ocsp_response_parse(resp.p, resp.len, &o, NULL) != 0 || o.status != 0 ||
                o.singles[0].status == OCSP_CERT_UNKNOWN)
                r->bad++;
        }
        sc_buf_free(&resp);
    }
    return NULL;
}

/* Readers on several threads while the owner thread re-signs the entry. */
static void test_cache_threads(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    ocsp_cache *c = NULL;
    ocsp_cache_conf cf = {.max_entries = 16, .margin = 0};
    assert_int_equal(ocsp_cache_new(f->ca, &cf, &c, &e), 0);
    sc_buf req = {0}, resp = {0};
    int64_t now = NOW;
    request_one(EVP_sha1(), ca_issuer(f->ca, "sub-1"), &f->c[0], 0, &req);
    assert_int_equal(ocsp_respond_cached(c, f->ca, req.p, req.len, now, &resp, &e), 0);
    pthread_t t[4];
    reader rd[4];
    for (int i = 0; i < 4; i++) {
        rd[i] = (reader){c, &req, now, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, reader_run, &rd[i]), 0);
    }
    for (int i = 0; i < 20; i++)
        assert_int_equal(ocsp_cache_refresh(c, f->ca, f->c[0].serial, now, &e), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(rd[i].hits, 3000);
        assert_int_equal(rd[i].bad, 0);
    }
    assert_int_equal(ocsp_cache_size(c), 1);
    sc_buf_free(&req);
    sc_buf_free(&resp);
    ocsp_cache_free(c);
}

/* ---- the relying party's client (seal verification): ocsp_client_request / _check ---- */

/* Check resp (DER) against q for issuer is at now; the sc_err code, "" when accepted. */
static const char *client_code(const sc_buf *resp, const ocsp_query *q, const pki_issuer *is,
                               int64_t now, ocsp_single *one, sc_err *e)
{
    static ocsp_response r;
    memset(e, 0, sizeof(*e));
    if (ocsp_response_parse(resp->p, resp->len, &r, e) != 0) return e->code;
    return ocsp_client_check(&r, q, is->der, is->derlen, now, one, e) == 0 ? "" : e->code;
}

/* a response to q signed by signer (any issuer of the home) saying good */
static void signed_by(fx *f, pki_issuer *signer, const ocsp_query *q, sc_buf *out)
{
    sc_err e = {0};
    ocsp_answer a = {OCSP_CERT_GOOD, 0, -1};
    out->len = 0;
    assert_int_equal(ocsp_response_sign(f->ca, signer, &q->id, &a, 1, q->nonce_ext,
                                        q->nonce_ext_len, NOW, out, &e),
                     0);
}

static void test_client(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    sc_buf req = {0}, resp = {0};
    ocsp_query q;
    ocsp_single one;
    pki_issuer *sub = ca_issuer(f->ca, "sub-1"), *root = ca_issuer(f->ca, "root-1");
    assert_non_null(sub);
    assert_non_null(root);
    /* a request OpenSSL reads, with our nonce, answered good by the delegated responder */
    assert_int_equal(
        ocsp_client_request(f->c[0].der, f->c[0].derlen, sub->der, sub->derlen, &q, &req, &e), 0);
    const unsigned char *p = req.p;
    OCSP_REQUEST *orq = d2i_OCSP_REQUEST(NULL, &p, (long)req.len);
    assert_non_null(orq);
    assert_int_equal(OCSP_request_onereq_count(orq), 1);
    assert_true(OCSP_REQUEST_get_ext_by_NID(orq, NID_id_pkix_OCSP_Nonce, -1) >= 0);
    OCSP_REQUEST_free(orq);
    assert_int_equal(ocsp_respond(f->ca, req.p, req.len, NOW, &resp, &e), 0);
    assert_string_equal(client_code(&resp, &q, sub, NOW, &one, &e), "");
    assert_int_equal(one.status, OCSP_CERT_GOOD);
    /* the same answer is not fresh two days later (nextUpdate is 24 h on) */
    assert_string_equal(client_code(&resp, &q, sub, NOW + 2 * 86400, &one, &e), "ocsp.stale");
    /* nor from the future (beyond the 300 s skew; certificates are backdated 10 minutes) */
    assert_string_equal(client_code(&resp, &q, sub, NOW - 400, &one, &e), "ocsp.stale");
    /* another nonce: a replay */
    ocsp_query q2 = q;
    q2.nonce_ext[5] ^= 1;
    assert_string_equal(client_code(&resp, &q2, sub, NOW, &one, &e), "ocsp.nonce");
    /* another certificate's CertID: no answer for ours */
    q2 = q;
    q2.id.serial[q2.id.serial_len - 1] ^= 1;
    assert_string_equal(client_code(&resp, &q2, sub, NOW, &one, &e), "ocsp.no_answer");
    /* a relying party that takes the root for the issuer: the responder is not the root's */
    assert_string_equal(client_code(&resp, &q, root, NOW, &one, &e), "ocsp.not_authorized");
    /* one flipped bit in the signed data */
    resp.p[resp.len / 3] ^= 0x01;
    const char *c = client_code(&resp, &q, sub, NOW, &one, &e);
    assert_true(strcmp(c, "") != 0);
    /* the CA itself may sign */
    signed_by(f, sub, &q, &resp);
    assert_string_equal(client_code(&resp, &q, sub, NOW, &one, &e), "");
    /* a certificate of the CA without EKU OCSPSigning (the seal maker's) may not */
    pki_issuer *maker = ca_issuer(f->ca, "sealmaker-1");
    assert_non_null(maker);
    assert_string_equal(maker->parent, "sub-1");
    signed_by(f, maker, &q, &resp);
    assert_string_equal(client_code(&resp, &q, sub, NOW, &one, &e), "ocsp.not_authorized");
    assert_non_null(strstr(e.msg, "OCSPSigning"));
    /* nor another CA (the root signing about sub-1's certificate) */
    signed_by(f, root, &q, &resp);
    assert_string_equal(client_code(&resp, &q, sub, NOW, &one, &e), "ocsp.not_authorized");
    /* an unsigned error answer */
    resp.len = 0;
    ocsp_response_error(OCSP_UNAUTHORIZED, &resp);
    assert_string_equal(client_code(&resp, &q, sub, NOW, &one, &e), "ocsp.error_status");
    sc_buf_free(&req);
    sc_buf_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_openssl_requests),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_unauthorized),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_mixed_issuers),
        cmocka_unit_test(test_ecdsa_openssl_verify),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_cache_threads),
        cmocka_unit_test(test_client),
    };
    return cmocka_run_group_tests_name("ocsp", tests, group_setup, group_teardown);
}
