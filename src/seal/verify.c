/* verify.c - seal and seal-signature verification, GM/T 0031-2014 §6.1.2 (seal) and §6.2.3
 * (signature), with certificate paths, revocation (CRL or the sealca store) and the time rules. */
/* report texts are cut to their buffers on purpose: a long certificate name must not fail a
 * verification */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "seal/seal.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pki/der.h"
#include "tsa/tsa.h"

#define V_MAX_CERTS 64
#define V_MAX_CRLS  16
#define V_MAX_DEPTH 8
#define V_CACHE     256

typedef struct vcert {
    uint8_t *der;
    size_t len;
    sc_slice subject, issuer;
    int64_t nb, na;
    int is_ca, self_signed;
    sc_key *pub; /* lazily */
} vcert;

typedef struct vcrl {
    uint8_t *der;
    size_t len;
    X509_CRL *crl;
    sc_slice issuer;
    int64_t this_update, next_update;
    int checked; /* 1 signature good, -1 bad, 0 not yet */
} vcrl;

/* cached store lookups: certificate hash -> status */
typedef struct vcache {
    uint8_t h[32];
    int used;
    int revoked;
    int64_t at;
} vcache;

/* public keys of certificates met in seals (maker, signer): making an SM2 key object is costly
 * (Z value, engine tables), and a platform verifies many signatures of the same holders */
#define V_KEYS 32
typedef struct vkey {
    uint8_t h[32];
    sc_key *k;
} vkey;

struct seal_verifier {
    vkey keys[V_KEYS];
    int nextkey;
    vcert certs[V_MAX_CERTS];
    int ncerts;
    vcrl crls[V_MAX_CRLS];
    int ncrls;
    pki_ca *ca;
    int online; /* fetch CRLs from the certificates' CRL distribution points */
    int no_chain;
    int64_t at;
    vcache cache[V_CACHE];
};

static int same(sc_slice a, sc_slice b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

/* The public key of a certificate, from the verifier's cache (borrowed). */
static sc_key *cached_key(seal_verifier *v, const uint8_t *der, size_t len, sc_err *e)
{
    uint8_t h[32];
    crypto_sm3(der, len, h);
    for (int i = 0; i < V_KEYS; i++)
        if (v->keys[i].k != NULL && memcmp(v->keys[i].h, h, 32) == 0) return v->keys[i].k;
    sc_key *k = NULL;
    if (cert_pubkey(der, len, &k, e) != 0) return NULL;
    vkey *slot = &v->keys[v->nextkey];
    v->nextkey = (v->nextkey + 1) % V_KEYS;
    crypto_key_free(slot->k);
    memcpy(slot->h, h, 32);
    slot->k = k;
    return k;
}

int seal_verifier_new(seal_verifier **out, sc_err *e)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : sc_fail(e, SC_ENOMEM, "oom", "out of memory");
}

void seal_verifier_free(seal_verifier *v)
{
    if (v == NULL) return;
    for (int i = 0; i < v->ncerts; i++) {
        free(v->certs[i].der);
        crypto_key_free(v->certs[i].pub);
    }
    for (int i = 0; i < V_KEYS; i++)
        crypto_key_free(v->keys[i].k);
    for (int i = 0; i < v->ncrls; i++) {
        free(v->crls[i].der);
        X509_CRL_free(v->crls[i].crl);
    }
    free(v);
}

void seal_verifier_use_ca(seal_verifier *v, pki_ca *ca)
{
    v->ca = ca;
    for (size_t i = 0; ca != NULL && i < ca->nissuers; i++)
        seal_verifier_add_certs(v, ca->issuers[i].der, ca->issuers[i].derlen, NULL);
}

void seal_verifier_online(seal_verifier *v, int on)
{
    v->online = on;
}

void seal_verifier_no_chain(seal_verifier *v, int on)
{
    v->no_chain = on;
}

void seal_verifier_at(seal_verifier *v, int64_t t)
{
    v->at = t;
}

static int cert_load(const uint8_t *der, size_t len, vcert *c)
{
    memset(c, 0, sizeof(*c));
    if (cert_fields(der, len, &c->subject, &c->issuer, &c->nb, &c->na) != 0) return -1;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL || p != der + len) {
        X509_free(x);
        return -1;
    }
    c->is_ca = X509_check_ca(x) >= 1;
    X509_free(x);
    c->der = (uint8_t *)der;
    c->len = len;
    c->self_signed = same(c->subject, c->issuer);
    return 0;
}

static int add_one(seal_verifier *v, const uint8_t *der, size_t len, sc_err *e)
{
    for (int i = 0; i < v->ncerts; i++)
        if (v->certs[i].len == len && memcmp(v->certs[i].der, der, len) == 0) return 0;
    if (v->ncerts >= V_MAX_CERTS)
        return sc_fail(e, SC_ETOOBIG, "verify.too_many_certs", "more than %d certificates",
                       V_MAX_CERTS);
    uint8_t *copy = malloc(len);
    if (copy == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    memcpy(copy, der, len);
    if (cert_load(copy, len, &v->certs[v->ncerts]) != 0) {
        free(copy);
        return sc_fail(e, SC_EINVAL, "cert.malformed", "a trusted certificate is malformed");
    }
    v->ncerts++;
    return 0;
}

int seal_verifier_add_certs(seal_verifier *v, const uint8_t *data, size_t len, sc_err *e)
{
    if (len > 0 && data[0] == 0x30) return add_one(v, data, len, e);
    size_t off = 0;
    int n = 0;
    while (off < len) {
        sc_buf d = {0};
        size_t used = 0;
        if (pem_decode(data + off, len - off, "CERTIFICATE", &used, &d) != 0) {
            sc_buf_free(&d);
            break;
        }
        off += used;
        int rc = add_one(v, d.p, d.len, e);
        sc_buf_free(&d);
        if (rc != 0) return rc;
        n++;
    }
    return n > 0 ? 0 : sc_fail(e, SC_EINVAL, "pem.bad", "no certificate found");
}

static int64_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return (int64_t)timegm(&tm);
}

/* The issuer Name TLV of a DER CRL. */
static int crl_issuer(const uint8_t *der, size_t len, sc_slice *out)
{
    signed_parts sp;
    der_r r;
    der_tlv tbs, a, b;
    if (der_split_signed(der, len, &sp) != 0) return -1;
    r = der_reader(sp.tbs.p, sp.tbs.len);
    if (der_expect(&r, DER_SEQUENCE, &tbs) != 0) return -1;
    r = der_inner(&tbs);
    if (der_peek(&r) == DER_INTEGER) der_next(&r, &a);
    if (der_expect(&r, DER_SEQUENCE, &a) != 0 || der_expect(&r, DER_SEQUENCE, &b) != 0) return -1;
    out->p = b.raw;
    out->len = b.rawlen;
    return 0;
}

int seal_verifier_add_crl(seal_verifier *v, const uint8_t *data, size_t len, sc_err *e)
{
    if (v->ncrls >= V_MAX_CRLS)
        return sc_fail(e, SC_ETOOBIG, "verify.too_many_crls", "more than %d CRLs", V_MAX_CRLS);
    sc_buf d = {0};
    if (len > 0 && data[0] == 0x30)
        sc_buf_append(&d, data, len);
    else if (pem_decode(data, len, "X509 CRL", NULL, &d) != 0) {
        sc_buf_free(&d);
        return sc_fail(e, SC_EINVAL, "crl.bad", "neither a DER nor a PEM CRL");
    }
    vcrl *c = &v->crls[v->ncrls];
    memset(c, 0, sizeof(*c));
    c->der = sc_buf_steal(&d, &c->len);
    const unsigned char *p = c->der;
    c->crl = c->der ? d2i_X509_CRL(NULL, &p, (long)c->len) : NULL;
    if (c->crl == NULL || p != c->der + c->len || crl_issuer(c->der, c->len, &c->issuer) != 0) {
        X509_CRL_free(c->crl);
        free(c->der);
        memset(c, 0, sizeof(*c));
        return sc_fail(e, SC_EINVAL, "crl.malformed", "the CRL is malformed");
    }
    c->this_update = asn1_time(X509_CRL_get0_lastUpdate(c->crl));
    c->next_update = asn1_time(X509_CRL_get0_nextUpdate(c->crl));
    v->ncrls++;
    return 0;
}

/* ---- reports ---- */

void seal_report_add(seal_report *r, const char *id, const char *zh, const char *en, int status,
                     const char *code, const char *fmt, ...)
{
    if (r->n >= SEAL_MAX_CHECKS) {
        r->failed++; /* never lose a failure, even when the table is full */
        return;
    }
    seal_check *c = &r->checks[r->n++];
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->zh = zh;
    c->en = en;
    c->status = status;
    snprintf(c->code, sizeof(c->code), "%s", code ? code : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
    if (status == SEAL_CHECK_FAIL) r->failed++;
    if (status == SEAL_CHECK_SKIP) r->skipped++;
}

static void fmt_time(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)(t + 8 * 3600); /* Asia/Shanghai, no DST */
    struct tm tm;
    gmtime_r(&tt, &tm);
    char b[32];
    strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s +08:00", b);
}

static void name_text(sc_slice der, char *out, size_t n)
{
    if (name_der_text(der.p, der.len, out, n) != 0) snprintf(out, n, "(unreadable name)");
}

/* ---- certificate paths and revocation ---- */

static sc_key *vcert_key(vcert *c)
{
    if (c->pub == NULL) cert_pubkey(c->der, c->len, &c->pub, NULL);
    return c->pub;
}

/* Serial number contents of a certificate, as lowercase hex. */
static int cert_serial(const uint8_t *der, size_t len, char *hex, size_t hexsz, ASN1_INTEGER **ai)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL) return -1;
    const ASN1_INTEGER *s = X509_get0_serialNumber(x);
    int n = ASN1_STRING_length(s);
    const unsigned char *d = ASN1_STRING_get0_data(s);
    if (n <= 0 || (size_t)n * 2 + 1 > hexsz) {
        X509_free(x);
        return -1;
    }
    sc_hex_encode(d, (size_t)n, hex, 0);
    if (ai) *ai = ASN1_INTEGER_dup(s);
    X509_free(x);
    return 0;
}

/* ---- CRLs fetched from the CRL distribution point (http/https, size and time limits) ---- */

#define V_CRL_FETCH_MAX (64u * 1024 * 1024)

static size_t fetch_cb(char *p, size_t sz, size_t n, void *arg)
{
    sc_buf *b = arg;
    if (b->len + sz * n > V_CRL_FETCH_MAX || sc_buf_append(b, p, sz * n) != 0) return 0;
    return sz * n;
}

/* The first http(s) URI of the certificate's cRLDistributionPoints, fetched and added. */
static int fetch_crl(seal_verifier *v, const vcert *cur, char *why, size_t whysz)
{
    const unsigned char *p = cur->der;
    X509 *x = d2i_X509(NULL, &p, (long)cur->len);
    char url[512] = "";
    STACK_OF(DIST_POINT) *dps =
        x ? X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL) : NULL;
    for (int i = 0; dps != NULL && i < sk_DIST_POINT_num(dps) && !url[0]; i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (dp->distpoint == NULL || dp->distpoint->type != 0) continue;
        GENERAL_NAMES *gn = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(gn) && !url[0]; j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, j);
            if (g->type != GEN_URI) continue;
            const char *u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
            int ul = ASN1_STRING_length(g->d.uniformResourceIdentifier);
            if (ul > 0 && ul < (int)sizeof(url) &&
                (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0)) {
                memcpy(url, u, (size_t)ul);
                url[ul] = 0;
            }
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    X509_free(x);
    if (!url[0]) {
        snprintf(why, whysz, "the certificate names no http CRL distribution point");
        return -1;
    }
    CURL *c = curl_easy_init();
    sc_buf body = {0};
    long code = 0;
    int rc = -1;
    if (c != NULL) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        CURLcode cr = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (cr != CURLE_OK || code != 200)
            snprintf(why, whysz, "cannot fetch the CRL from %s (%s, HTTP %ld)", url,
                     curl_easy_strerror(cr), code);
        else if (seal_verifier_add_crl(v, body.p, body.len, NULL) != 0)
            snprintf(why, whysz, "the CRL at %s is malformed", url);
        else
            rc = 0;
        curl_easy_cleanup(c);
    }
    sc_buf_free(&body);
    return rc;
}

/* Revocation status of cur (issued by up) at time t. 0 when known (*revoked, *rat set), -1 when
 * no source covers it (why says so). */
static int revocation(seal_verifier *v, const vcert *cur, vcert *up, int64_t t, int *revoked,
                      int64_t *rat, char *why, size_t whysz)
{
    int64_t now = (int64_t)time(NULL);
    char hex[80];
    ASN1_INTEGER *ai = NULL;
    *revoked = 0;
    *rat = 0;
    if (cert_serial(cur->der, cur->len, hex, sizeof(hex), &ai) != 0) {
        snprintf(why, whysz, "the certificate's serial number is unreadable");
        return -1;
    }
    int known = 0;
    /* 0. this home's own CA / OCSP / seal-maker certificates: not in the certs table; they
     * leave service by rollover, never by revocation */
    for (size_t i = 0; v->ca != NULL && i < v->ca->nissuers && !known; i++)
        if (v->ca->issuers[i].derlen == cur->len &&
            memcmp(v->ca->issuers[i].der, cur->der, cur->len) == 0)
            known = 1;
    /* 1. the sealca store: certificates this home issued (status is current, cached) */
    for (size_t i = 0; v->ca != NULL && i < v->ca->nissuers && !known; i++) {
        if (!same(v->ca->issuers[i].subject_der, cur->issuer) || strlen(hex) != 32) continue;
        uint8_t h[32];
        crypto_sm3(cur->der, cur->len, h);
        vcache *slot = &v->cache[h[0] % V_CACHE];
        if (slot->used && memcmp(slot->h, h, 32) == 0) {
            *revoked = slot->revoked;
            *rat = slot->at;
            known = 1;
            break;
        }
        cert_info ci;
        sc_err e = {0};
        if (pki_cert_get(v->ca, hex, &ci, &e) == 0) {
            if (ci.derlen == cur->len && memcmp(ci.der, cur->der, cur->len) == 0) {
                *revoked = strcmp(ci.status, "good") != 0;
                *rat = ci.revoked_at;
                known = 1;
                memcpy(slot->h, h, 32);
                slot->used = 1;
                slot->revoked = *revoked;
                slot->at = *rat;
            }
            cert_info_free(&ci);
        }
    }
    /* 2. CRLs given by the relying party (or fetched: pass 1), signed by the issuer */
    char fwhy[300] = "";
    for (int pass = 0; pass < 2 && !known; pass++) {
        if (pass == 1 && (!v->online || fetch_crl(v, cur, fwhy, sizeof(fwhy)) != 0)) break;
        for (int i = 0; i < v->ncrls && !known; i++) {
            vcrl *c = &v->crls[i];
            if (!same(c->issuer, cur->issuer)) continue;
            if (c->checked == 0) {
                sc_key *k = vcert_key(up);
                c->checked = k != NULL && pki_verify_signed(c->der, c->len, k, NULL) == 0 ? 1 : -1;
            }
            if (c->checked != 1) continue;
            /* the CRL speaks for time t when it was issued after t, or is current now */
            if (!(c->this_update >= t || (now >= c->this_update && now <= c->next_update)))
                continue;
            X509_REVOKED *rv = NULL;
            if (X509_CRL_get0_by_serial(c->crl, &rv, ai) == 1 && rv != NULL) {
                *revoked = 1;
                *rat = asn1_time(X509_REVOKED_get0_revocationDate(rv));
            }
            known = 1;
        }
    }
    ASN1_INTEGER_free(ai);
    if (!known) {
        char nm[256];
        name_text(cur->issuer, nm, sizeof(nm));
        if (fwhy[0])
            snprintf(why, whysz, "certificate %s of \"%s\": %s", hex, nm, fwhy);
        else
            snprintf(why, whysz,
                     "no revocation source for certificate %s of \"%s\" (give --crl or --online, "
                     "or verify against the sealca home that issued it)",
                     hex, nm);
        return -1;
    }
    return 0;
}

/* The certificate's path to a trust anchor at time t, each certificate valid at t and not revoked
 * before t (GM/T 0031 time rule: revoked after t leaves it valid). */
static int chain_check(seal_verifier *v, const uint8_t *der, size_t len, int64_t t, char *code,
                       size_t codesz, char *detail, size_t dsz)
{
    vcert leaf;
    char ts[40], nm[256];
    fmt_time(t, ts, sizeof(ts));
    detail[0] = 0;
    if (cert_load(der, len, &leaf) != 0) {
        snprintf(code, codesz, "cert.malformed");
        snprintf(detail, dsz, "the certificate is malformed");
        return SEAL_CHECK_FAIL;
    }
    vcert *cur = &leaf;
    int rc = SEAL_CHECK_FAIL;
    size_t dl = 0;
    for (int depth = 0; depth < V_MAX_DEPTH; depth++) {
        name_text(cur->subject, nm, sizeof(nm));
        if (t < cur->nb || t > cur->na) {
            char a[40], b[40];
            fmt_time(cur->nb, a, sizeof(a));
            fmt_time(cur->na, b, sizeof(b));
            snprintf(code, codesz, "cert.expired");
            snprintf(detail + dl, dsz - dl,
                     "certificate \"%s\" is valid %s .. %s, not at %s (证书不在有效期内)", nm, a, b,
                     ts);
            goto out;
        }
        vcert *up = NULL;
        for (int i = 0; i < v->ncerts && up == NULL; i++) {
            vcert *c = &v->certs[i];
            if (!same(c->subject, cur->issuer)) continue;
            sc_key *k = vcert_key(c);
            if (k != NULL && pki_verify_signed(cur->der, cur->len, k, NULL) == 0) up = c;
        }
        if (up == NULL) {
            char in[256];
            name_text(cur->issuer, in, sizeof(in));
            snprintf(code, codesz, "cert.untrusted");
            snprintf(detail + dl, dsz - dl,
                     "no trusted certificate of \"%s\" signed \"%s\" (找不到可信的签发者)", in, nm);
            goto out;
        }
        /* RFC 5280 §6.1.1 (d): a trust anchor is a name and a key given by the relying party;
         * its own extensions are not path constraints (the ofdrw test root, like some real
         * roots, lacks keyCertSign). Intermediates must be CAs. */
        if (!up->is_ca && !up->self_signed) {
            snprintf(code, codesz, "cert.issuer_not_ca");
            snprintf(detail + dl, dsz - dl, "the issuer of \"%s\" is not a CA", nm);
            goto out;
        }
        if (cur == up) { /* a trusted self-signed certificate */
            rc = SEAL_CHECK_PASS;
            goto out;
        }
        int revoked = 0;
        int64_t rat = 0;
        char why[400];
        if (revocation(v, cur, up, t, &revoked, &rat, why, sizeof(why)) != 0) {
            snprintf(code, codesz, "cert.revocation_unknown");
            snprintf(detail + dl, dsz - dl, "%s", why);
            goto out;
        }
        if (revoked) {
            char rs[40];
            fmt_time(rat, rs, sizeof(rs));
            if (rat <= t) {
                snprintf(code, codesz, "cert.revoked");
                snprintf(
                    detail + dl, dsz - dl,
                    "certificate \"%s\" was revoked at %s, before %s (证书在签章时间之前已吊销)",
                    nm, rs, ts);
                goto out;
            }
            int k = snprintf(detail + dl, dsz - dl,
                             "certificate \"%s\" was revoked at %s, after %s: still valid for it "
                             "(GM/T 0031 时间规则); ",
                             nm, rs, ts);
            if (k > 0) dl += (size_t)k < dsz - dl ? (size_t)k : dsz - dl - 1;
        }
        if (up->self_signed) {
            if (t < up->nb || t > up->na) {
                name_text(up->subject, nm, sizeof(nm));
                snprintf(code, codesz, "cert.expired");
                snprintf(detail + dl, dsz - dl, "the root \"%s\" is not valid at %s", nm, ts);
                goto out;
            }
            name_text(up->subject, nm, sizeof(nm));
            snprintf(detail + dl, dsz - dl, "path of %d to \"%s\", valid and not revoked at %s",
                     depth + 2, nm, ts);
            rc = SEAL_CHECK_PASS;
            goto out;
        }
        cur = up;
    }
    snprintf(code, codesz, "cert.path_too_long");
    snprintf(detail, dsz, "no trust anchor within %d certificates", V_MAX_DEPTH);
out:
    crypto_key_free(leaf.pub);
    return rc;
}

static void add_chain(seal_verifier *v, seal_report *rep, const char *id, const char *zh,
                      const char *en, sc_slice cert, int64_t t)
{
    if (v->no_chain) {
        seal_report_add(rep, id, zh, en, SEAL_CHECK_INFO, NULL,
                        "not checked (--no-chain): path and revocation are the caller's business");
        return;
    }
    char code[48], detail[400];
    int st = chain_check(v, cert.p, cert.len, t, code, sizeof(code), detail, sizeof(detail));
    seal_report_add(rep, id, zh, en, st, st == SEAL_CHECK_PASS ? NULL : code, "%s", detail);
}

/* ---- GM/T 0031 §6.1.2: the seal ---- */

static void check_seal(seal_verifier *v, const seal *s, int64_t t, int in_sig, seal_report *rep)
{
    char a[40], b[40], ts[40];
    sc_err e = {0};
    /* the seal maker's signature over the seal information */
    sc_buf tbs = {0};
    sc_key *mk = cached_key(v, s->maker_cert.p, s->maker_cert.len, &e);
    if (mk == NULL) {
        seal_report_add(rep, "seal.maker_signature", "制章者签名", "seal maker's signature",
                        SEAL_CHECK_FAIL, "seal.maker_cert_bad",
                        "the seal maker's certificate is unreadable: %s", e.msg);
    } else if (seal_maker_tbs(s, &tbs, &e) != 0 ||
               seal_sm2_verify(mk, tbs.p, tbs.len, s->signed_value.p, s->signed_value.len, &e) !=
                   0) {
        seal_report_add(rep, "seal.maker_signature", "制章者签名", "seal maker's signature",
                        SEAL_CHECK_FAIL, "seal.bad_maker_signature",
                        "the seal maker's signature does not verify (印章被篡改或签名无效): %s",
                        e.msg);
    } else {
        seal_report_add(rep, "seal.maker_signature", "制章者签名", "seal maker's signature",
                        SEAL_CHECK_PASS, NULL, "SM2 signature over %s verifies (%s)",
                        s->layout == SEAL_LAYOUT_V4 ? "SES_SealInfo" : "SES_SealInfo, cert, alg",
                        s->signed_value.len == 64 ? "raw r||s" : "DER");
    }
    sc_buf_free(&tbs);
    add_chain(v, rep, "seal.maker_cert", "制章者证书", "seal maker's certificate", s->maker_cert,
              t);
    /* the certList: each entry a certificate (or a digest) */
    int bad = 0;
    for (int i = 0; i < s->ncerts && s->certlist_type == 1; i++) {
        sc_slice sub, iss;
        int64_t nb, na;
        if (cert_fields(s->certs[i].p, s->certs[i].len, &sub, &iss, &nb, &na) != 0) bad = i + 1;
    }
    if (bad)
        seal_report_add(rep, "seal.cert_list", "印章绑定证书列表", "seal certificate list",
                        SEAL_CHECK_FAIL, "seal.bad_certlist",
                        "certList entry %d is not a certificate", bad);
    else
        seal_report_add(rep, "seal.cert_list", "印章绑定证书列表", "seal certificate list",
                        SEAL_CHECK_PASS, NULL, "%d %s", s->ncerts,
                        s->certlist_type == 1 ? "certificate(s)" : "certificate digest(s)");
    /* the validity period */
    fmt_time(s->valid_from, a, sizeof(a));
    fmt_time(s->valid_to, b, sizeof(b));
    fmt_time(t, ts, sizeof(ts));
    if (t < s->valid_from || t > s->valid_to)
        seal_report_add(rep, "seal.validity", "印章有效期", "seal validity period", SEAL_CHECK_FAIL,
                        in_sig ? "seal.not_valid_at_signing" : "seal.not_valid",
                        "the seal is valid %s .. %s; the %s %s is outside (%s)", a, b,
                        in_sig ? "signing time" : "verification time", ts,
                        in_sig ? "签章时间不在印章有效期内" : "印章不在有效期内");
    else
        seal_report_add(rep, "seal.validity", "印章有效期", "seal validity period", SEAL_CHECK_PASS,
                        NULL, "%s .. %s contains the %s %s", a, b,
                        in_sig ? "signing time" : "verification time", ts);
}

static void report_seal_fields(seal_report *rep, const seal *s)
{
    snprintf(rep->esid, sizeof(rep->esid), "%s", s->esid);
    snprintf(rep->name, sizeof(rep->name), "%s", s->name);
    rep->layout = s->layout;
    if (!rep->is_signature) rep->version = s->version;
}

/* GB/T 38540 timeStamp: an RFC 3161 token over the signature value (tsa/tsa.h). Returns the
 * TSA's genTime when the token and its TSA certificate check out (it is then the signing time
 * evidence the time rules use), else the signer's claimed time t. */
static int64_t check_timestamp(seal_verifier *v, const seal_sig *g, seal_report *rep)
{
    tsa_token_info ti;
    sc_err te = {0};
    char ts[40], gs[40];
    if (tsa_token_verify(g->timestamp.p, g->timestamp.len, NULL, 0, &ti, &te) != 0) {
        seal_report_add(rep, "sig.timestamp", "时间戳", "timestamp", SEAL_CHECK_FAIL, te.code, "%s",
                        te.msg);
        return g->time;
    }
    uint8_t h[32];
    tsa_hash_data(ti.hash, g->signature.p, g->signature.len, h);
    fmt_time(ti.gen_time_ms / 1000, gs, sizeof(gs));
    fmt_time(g->time, ts, sizeof(ts));
    if (sc_memeq_ct(h, ti.imprint, 32) != 0) {
        seal_report_add(rep, "sig.timestamp", "时间戳", "timestamp", SEAL_CHECK_FAIL,
                        "tsa.imprint_mismatch",
                        "the token time-stamps other data than this signature value "
                        "(时间戳与签名值不符)");
        return g->time;
    }
    if (ti.gen_time_ms / 1000 + 300 < g->time) {
        seal_report_add(rep, "sig.timestamp", "时间戳", "timestamp", SEAL_CHECK_FAIL,
                        "tsa.before_signing",
                        "the TSA time %s precedes the claimed signing time %s by more than 5 "
                        "minutes (签章时间晚于时间戳时间)",
                        gs, ts);
        return g->time;
    }
    seal_report_add(rep, "sig.timestamp", "时间戳", "timestamp", SEAL_CHECK_PASS, NULL,
                    "RFC 3161 token serial %s, %s over the signature value, SM2 signature and "
                    "timeStamping certificate verify; TSA time %s (accuracy %lld ms) is the "
                    "signing time evidence (signer's claim %s)",
                    ti.serial, tsa_hash_name(ti.hash), gs, (long long)ti.accuracy_ms, ts);
    add_chain(v, rep, "sig.tsa_cert", "时间戳服务器证书", "TSA certificate", ti.tsa_cert,
              ti.gen_time_ms / 1000);
    return ti.gen_time_ms / 1000;
}

static int verify_any(seal_verifier *v, const uint8_t *der, size_t len, const uint8_t *hash,
                      seal_report *rep, sc_err *e)
{
    memset(rep, 0, sizeof(*rep));
    int64_t now = (int64_t)time(NULL);
    rep->is_signature = seal_is_signature(der, len);
    if (!rep->is_signature) {
        seal s;
        sc_err de = {0};
        if (seal_decode(der, len, &s, &de) != 0) {
            seal_report_add(rep, "seal.structure", "印章数据格式", "seal structure",
                            SEAL_CHECK_FAIL, de.code, "%s", de.msg);
            return SC_EVERIFY;
        }
        report_seal_fields(rep, &s);
        seal_report_add(rep, "seal.structure", "印章数据格式", "seal structure", SEAL_CHECK_PASS,
                        NULL, "%s, header version %d, vendor %s",
                        s.layout == SEAL_LAYOUT_V4 ? "GB/T 38540-2020" : "GM/T 0031-2014",
                        s.version, s.vid);
        check_seal(v, &s, v->at ? v->at : now, 0, rep);
        return rep->failed || rep->skipped ? SC_EVERIFY : 0;
    }
    seal_sig g;
    sc_err de = {0};
    if (seal_sig_decode(der, len, &g, &de) != 0) {
        seal_report_add(rep, "sig.structure", "签章数据格式", "signature structure",
                        SEAL_CHECK_FAIL, de.code, "%s", de.msg);
        return SC_EVERIFY;
    }
    report_seal_fields(rep, &g.eseal);
    rep->version = g.version;
    rep->sign_time = g.time;
    snprintf(rep->property, sizeof(rep->property), "%s", g.property);
    seal_report_add(rep, "sig.structure", "签章数据格式", "signature structure", SEAL_CHECK_PASS,
                    NULL, "%s SES_Signature version %d; seal header version %d",
                    g.layout == SEAL_LAYOUT_V4 ? "GB/T 38540-2020" : "GM/T 0031-2014", g.version,
                    g.eseal.version);
    if (g.layout != g.eseal.layout)
        seal_report_add(rep, "sig.consistent", "签章与印章版本一致", "signature and seal layout",
                        SEAL_CHECK_FAIL, "sig.layout_mismatch", "a %s signature holds a %s seal",
                        g.layout == 4 ? "v4" : "v1", g.eseal.layout == 4 ? "v4" : "v1");
    /* a timeStamp, when present and valid, dates the signature instead of the signer's claim */
    int64_t when = g.timestamp.len > 0 ? check_timestamp(v, &g, rep) : g.time;
    rep->sign_time = when;
    /* §6.2.3 b): the seal itself, at the signing time */
    check_seal(v, &g.eseal, when, 1, rep);
    /* the signing time is not in the future */
    if (g.time > now + 300) {
        char ts[40];
        fmt_time(g.time, ts, sizeof(ts));
        seal_report_add(rep, "sig.time", "签章时间", "signing time", SEAL_CHECK_FAIL,
                        "sig.time_in_future", "the signing time %s is in the future", ts);
    }
    /* §6.2.3 c): the signer's certificate is the one the seal is bound to */
    int bound = 0;
    for (int i = 0; i < g.eseal.ncerts && !bound; i++) {
        if (g.eseal.certlist_type == 1)
            bound = same(g.eseal.certs[i], g.signer_cert);
        else if (g.eseal.certs[i].len == 32) {
            uint8_t d[32];
            crypto_sm3(g.signer_cert.p, g.signer_cert.len, d);
            bound = memcmp(d, g.eseal.certs[i].p, 32) == 0;
        }
    }
    seal_report_add(rep, "sig.cert_bound", "签章人证书与印章绑定", "signer bound to the seal",
                    bound ? SEAL_CHECK_PASS : SEAL_CHECK_FAIL, bound ? NULL : "seal.cert_not_bound",
                    "%s",
                    bound ? "the signer's certificate is in the seal's certList"
                          : "the signer's certificate is not in the seal's certList "
                            "(签章人证书不是印章绑定的证书)");
    /* §6.2.3 d): the document signature */
    sc_err se = {0};
    sc_key *pub = cached_key(v, g.signer_cert.p, g.signer_cert.len, &se);
    if (pub == NULL)
        seal_report_add(rep, "sig.signature", "签章签名值", "document signature", SEAL_CHECK_FAIL,
                        "sig.cert_bad", "the signer's certificate is unreadable: %s", se.msg);
    else if (seal_sm2_verify(pub, g.tbs.p, g.tbs.len, g.signature.p, g.signature.len, &se) != 0)
        seal_report_add(rep, "sig.signature", "签章签名值", "document signature", SEAL_CHECK_FAIL,
                        "sig.bad_signature",
                        "the signature over TBS_Sign does not verify (签章数据被篡改): %s", se.msg);
    else
        seal_report_add(rep, "sig.signature", "签章签名值", "document signature", SEAL_CHECK_PASS,
                        NULL, "SM2 signature over TBS_Sign verifies (%s)",
                        g.signature.len == 64 ? "raw r||s" : "DER");
    /* the signer's certificate is for signing (keyUsage digitalSignature or nonRepudiation) */
    {
        const unsigned char *p = g.signer_cert.p;
        X509 *x = d2i_X509(NULL, &p, (long)g.signer_cert.len);
        uint32_t ku = x ? X509_get_key_usage(x) : 0;
        int ok = x != NULL && (ku & (X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION));
        X509_free(x);
        seal_report_add(rep, "sig.signer_usage", "签章人证书用途", "signer certificate usage",
                        ok ? SEAL_CHECK_PASS : SEAL_CHECK_FAIL, ok ? NULL : "cert.not_for_signing",
                        "%s",
                        ok ? "keyUsage allows signing"
                           : "the signer's certificate is not a signing certificate "
                             "(keyUsage lacks digitalSignature and nonRepudiation)");
    }
    /* §6.2.3 e): the signer's certificate path and status at the signing time */
    add_chain(v, rep, "sig.signer_cert", "签章人证书", "signer's certificate", g.signer_cert, when);
    /* §6.2.3 f): the data */
    if (hash == NULL)
        seal_report_add(rep, "sig.data_hash", "原文杂凑值", "data hash", SEAL_CHECK_SKIP,
                        "sig.no_data", "the signed data was not given (--data FILE): not checked");
    else if (g.hash.len != 32 || sc_memeq_ct(g.hash.p, hash, 32) != 0)
        seal_report_add(rep, "sig.data_hash", "原文杂凑值", "data hash", SEAL_CHECK_FAIL,
                        "sig.hash_mismatch",
                        "SM3 of the data does not equal dataHash (原文被篡改或不是所签文件)");
    else
        seal_report_add(rep, "sig.data_hash", "原文杂凑值", "data hash", SEAL_CHECK_PASS, NULL,
                        "SM3 of the data equals dataHash");
    (void)e;
    return rep->failed || rep->skipped ? SC_EVERIFY : 0;
}

int seal_verify(seal_verifier *v, const uint8_t *der, size_t len, const uint8_t *data,
                size_t datalen, seal_report *rep, sc_err *e)
{
    uint8_t h[32];
    if (data != NULL) crypto_sm3(data, datalen, h);
    return verify_any(v, der, len, data ? h : NULL, rep, e);
}

int seal_verify_hash(seal_verifier *v, const uint8_t *der, size_t len, const uint8_t hash[32],
                     seal_report *rep, sc_err *e)
{
    return verify_any(v, der, len, hash, rep, e);
}

/* ---- output ---- */

static const char *st_text(int s)
{
    switch (s) {
    case SEAL_CHECK_PASS:
        return "通过 PASS";
    case SEAL_CHECK_FAIL:
        return "失败 FAIL";
    case SEAL_CHECK_SKIP:
        return "未验 SKIP";
    default:
        return "略过 INFO";
    }
}

static const char *st_json(int s)
{
    static const char *n[] = {"pass", "fail", "skip", "info"};
    return s >= 0 && s <= 3 ? n[s] : "?";
}

void seal_report_text(const seal_report *r, sc_buf *out)
{
    char line[1024], ts[40];
    int n = snprintf(line, sizeof(line), "%s: %s  esID %s  名称 %s  (%s)\n",
                     r->is_signature ? "电子签章 / seal signature" : "电子印章 / seal",
                     r->layout == SEAL_LAYOUT_V4 ? "GB/T 38540" : "GM/T 0031", r->esid, r->name,
                     r->layout ? (r->layout == SEAL_LAYOUT_V4 ? "v4" : "v1") : "?");
    sc_buf_append(out, line, (size_t)n);
    if (r->is_signature && r->sign_time) {
        fmt_time(r->sign_time, ts, sizeof(ts));
        n = snprintf(line, sizeof(line), "  签章时间 signing time: %s   原文 property: %s\n", ts,
                     r->property);
        sc_buf_append(out, line, (size_t)n);
    }
    for (int i = 0; i < r->n; i++) {
        const seal_check *c = &r->checks[i];
        n = snprintf(line, sizeof(line), "  [%s] %s / %s%s%s%s: %s\n", st_text(c->status), c->zh,
                     c->en, c->code[0] ? " (" : "", c->code, c->code[0] ? ")" : "", c->detail);
        if (n > 0)
            sc_buf_append(out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    }
    if (r->failed == 0 && r->skipped == 0)
        n = snprintf(line, sizeof(line), "结果 result: 验证通过 VALID\n");
    else if (r->failed == 0)
        n = snprintf(line, sizeof(line), "结果 result: 未能完成验证 INCOMPLETE (%d not checked)\n",
                     r->skipped);
    else
        n = snprintf(line, sizeof(line), "结果 result: 验证失败 INVALID (%d check(s) failed)\n",
                     r->failed);
    sc_buf_append(out, line, (size_t)n);
}

void seal_report_json(const seal_report *r, sc_buf *out)
{
    json_t *o = json_object(), *arr = json_array();
    json_object_set_new(o, "valid", json_boolean(r->failed == 0 && r->skipped == 0));
    json_object_set_new(o, "kind", json_string(r->is_signature ? "signature" : "seal"));
    json_object_set_new(
        o, "standard",
        json_string(r->layout == SEAL_LAYOUT_V4 ? "GB/T 38540-2020" : "GM/T 0031-2014"));
    json_object_set_new(o, "version", json_integer(r->version));
    json_object_set_new(o, "esID", json_stringn(r->esid, strlen(r->esid)));
    json_object_set_new(o, "name", json_string(r->name));
    if (r->is_signature) {
        char ts[40];
        time_t tt = (time_t)r->sign_time;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_set_new(o, "signingTime", json_string(ts));
        json_object_set_new(o, "property", json_string(r->property));
    }
    for (int i = 0; i < r->n; i++) {
        const seal_check *c = &r->checks[i];
        json_t *j = json_object();
        json_object_set_new(j, "id", json_string(c->id));
        json_object_set_new(j, "status", json_string(st_json(c->status)));
        json_object_set_new(j, "name", json_string(c->zh));
        json_object_set_new(j, "name_en", json_string(c->en));
        if (c->code[0]) json_object_set_new(j, "code", json_string(c->code));
        json_object_set_new(j, "detail", json_string(c->detail));
        json_array_append_new(arr, j);
    }
    json_object_set_new(o, "checks", arr);
    json_object_set_new(o, "failed", json_integer(r->failed));
    json_object_set_new(o, "skipped", json_integer(r->skipped));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        sc_buf_append(out, s, strlen(s));
        sc_buf_putc(out, '\n');
        free(s);
    }
    json_decref(o);
}
