/* cert.c - X.509 v3 certificates written as strict DER (RFC 5280, GM/T 0015 profile). */
#include "pki/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/der.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#define OID_SKI          "2.5.29.14"
#define OID_KU           "2.5.29.15"
#define OID_BC           "2.5.29.19"
#define OID_CDP          "2.5.29.31"
#define OID_CP           "2.5.29.32"
#define OID_AKI          "2.5.29.35"
#define OID_EKU          "2.5.29.37"
#define OID_AIA          "1.3.6.1.5.5.7.1.1"
#define OID_AD_OCSP      "1.3.6.1.5.5.7.48.1"
#define OID_AD_CAISSUERS "1.3.6.1.5.5.7.48.2"
#define OID_OCSP_NOCHECK "1.3.6.1.5.5.7.48.1.5"
#define OID_GMT_USCC     "1.2.156.10260.4.4"   /* GM/T 0015-2023 */
#define OID_GMT_IDENTITY "1.2.156.10260.4.1.1" /* GM/T 0015-2012 IdentityCode */

int name_encode(const sc_name *n, sc_buf *out, sc_err *e)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    for (size_t i = 0; i < n->n; i++) {
        const name_attr *a = &n->attr[i];
        uint8_t tag = DER_UTF8STRING;
        /* RFC 5280 App. A: countryName and serialNumber are PrintableString, emailAddress is
         * IA5String; everything else UTF8String so Chinese names round-trip (GM/T 0015). */
        if (a->type == NAME_C || a->type == NAME_SERIALNUMBER)
            tag = DER_PRINTABLESTRING;
        else if (a->type == NAME_EMAIL)
            tag = DER_IA5STRING;
        der_begin(&w, DER_SET);
        der_begin(&w, DER_SEQUENCE);
        der_oid(&w, name_type_oid(a->type));
        der_prim(&w, tag, a->value, a->len);
        der_end(&w);
        der_end(&w);
    }
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    if (rc != 0) return sc_fail(e, rc, "cert.encode_name", "cannot encode the subject name");
    return 0;
}

static void ext_begin(der_w *w, const char *oid, int critical)
{
    der_begin(w, DER_SEQUENCE);
    der_oid(w, oid);
    if (critical) der_bool(w, 1);
    der_begin(w, DER_OCTETSTRING);
}

static void ext_end(der_w *w)
{
    der_end(w); /* OCTET STRING */
    der_end(w); /* Extension */
}

static void uri(der_w *w, const char *s)
{
    der_prim(w, DER_CTX(6), s, strlen(s)); /* GeneralName uniformResourceIdentifier */
}

int cert_build(const cert_tbs *t, const pki_issuer *issuer, sc_key *signkey, sc_buf *out, sc_err *e)
{
    const pki_profile *pr = t->prof;
    sc_buf subj = {0}, spki = {0}, alg = {0}, sig = {0};
    der_w w = {0};
    int rc;
    uint8_t ski[32];
    size_t skilen = 0;
    int is_ca = pr->role == PROF_ROOT_CA || pr->role == PROF_ISSUING_CA;

    if (t->subject != NULL) {
        if ((rc = name_encode(t->subject, &subj, e)) != 0) goto out;
    } else if ((rc = sc_buf_append(&subj, t->subject_der.p, t->subject_der.len)) != 0) {
        goto out;
    }
    if ((rc = crypto_key_spki(t->pub, &spki, e)) != 0 ||
        (rc = crypto_key_id(t->pub, ski, &skilen, e)) != 0)
        goto out;
    if ((rc = crypto_sigalg_der(crypto_key_alg(signkey), &alg)) != 0) {
        sc_fail(e, rc, "cert.alg", "unsupported signing algorithm");
        goto out;
    }

    der_begin(&w, DER_SEQUENCE); /* Certificate */
    der_begin(&w, DER_SEQUENCE); /* TBSCertificate */
    der_begin(&w, DER_CTX_CONS(0));
    der_int64(&w, 2); /* v3 */
    der_end(&w);
    der_uint(&w, t->serial, 16);
    der_raw(&w, alg.p, alg.len);
    if (issuer != NULL)
        der_raw(&w, issuer->subject_der.p, issuer->subject_der.len);
    else
        der_raw(&w, subj.p, subj.len);
    der_begin(&w, DER_SEQUENCE);
    der_time(&w, t->not_before);
    der_time(&w, t->not_after);
    der_end(&w);
    der_raw(&w, subj.p, subj.len);
    der_raw(&w, spki.p, spki.len);

    der_begin(&w, DER_CTX_CONS(3));
    der_begin(&w, DER_SEQUENCE);
    if (is_ca) {
        /* GmSSL rejects an empty basicConstraints: CA certificates only (guomi-notes §3) */
        ext_begin(&w, OID_BC, 1);
        der_begin(&w, DER_SEQUENCE);
        der_bool(&w, 1);
        if (t->path_len >= 0) der_int64(&w, t->path_len);
        der_end(&w);
        ext_end(&w);
    }
    ext_begin(&w, OID_KU, 1);
    der_bits_named(&w, pr->key_usage);
    ext_end(&w);
    if (pr->neku > 0) {
        ext_begin(&w, OID_EKU, pr->eku_critical);
        der_begin(&w, DER_SEQUENCE);
        for (int i = 0; i < pr->neku; i++)
            der_oid(&w, pr->eku[i]);
        der_end(&w);
        ext_end(&w);
    }
    ext_begin(&w, OID_SKI, 0);
    der_prim(&w, DER_OCTETSTRING, ski, skilen);
    ext_end(&w);
    ext_begin(&w, OID_AKI, 0);
    der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_CTX(0), issuer ? issuer->ski : ski, issuer ? 20 : skilen);
    der_end(&w);
    ext_end(&w);
    if (issuer != NULL && t->base_url != NULL && *t->base_url) {
        char u[600];
        /* RFC 5280 §4.2.1.13: where the issuer's CRL is */
        ext_begin(&w, OID_CDP, 0);
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_CTX_CONS(0));
        der_begin(&w, DER_CTX_CONS(0));
        snprintf(u, sizeof(u), "%s/crl/%s.crl", t->base_url, issuer->id);
        uri(&w, u);
        der_end(&w);
        der_end(&w);
        der_end(&w);
        der_end(&w);
        ext_end(&w);
        /* RFC 5280 §4.2.2.1: OCSP responder and the issuer's certificate. The OCSP signer
         * itself carries no OCSP URL (it is marked no-check instead). */
        ext_begin(&w, OID_AIA, 0);
        der_begin(&w, DER_SEQUENCE);
        if (pr->role != PROF_OCSP) {
            der_begin(&w, DER_SEQUENCE);
            der_oid(&w, OID_AD_OCSP);
            snprintf(u, sizeof(u), "%s/ocsp", t->base_url);
            uri(&w, u);
            der_end(&w);
        }
        der_begin(&w, DER_SEQUENCE);
        der_oid(&w, OID_AD_CAISSUERS);
        snprintf(u, sizeof(u), "%s/ca/%s.crt", t->base_url, issuer->id);
        uri(&w, u);
        der_end(&w);
        der_end(&w);
        ext_end(&w);
    }
    if (pr->policy[0]) {
        ext_begin(&w, OID_CP, 0);
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_SEQUENCE);
        der_oid(&w, pr->policy);
        der_end(&w);
        der_end(&w);
        ext_end(&w);
    }
    if (t->n_san_dns > 0 || t->n_san_ip > 0) {
        /* RFC 5280 §4.2.1.6; browsers require it for TLS server names */
        ext_begin(&w, "2.5.29.17", 0);
        der_begin(&w, DER_SEQUENCE);
        for (int i = 0; i < t->n_san_dns; i++)
            der_prim(&w, DER_CTX(2), t->san_dns[i], strlen(t->san_dns[i]));
        for (int i = 0; i < t->n_san_ip; i++)
            der_prim(&w, DER_CTX(7), t->san_ip[i], 4);
        der_end(&w);
        ext_end(&w);
    }
    if (pr->ocsp_nocheck) {
        ext_begin(&w, OID_OCSP_NOCHECK, 0);
        der_null(&w);
        ext_end(&w);
    }
    if (pr->identity == PROF_ID_USCC && t->uscc != NULL) {
        ext_begin(&w, OID_GMT_USCC, 0);
        der_prim(&w, DER_PRINTABLESTRING, t->uscc, strlen(t->uscc));
        ext_end(&w);
    }
    if (pr->identity == PROF_ID_PERSON && t->id_number != NULL) {
        /* IdentityCode ::= CHOICE { residenterCardNumber [0] PrintableString (SIZE (1..18)), … } */
        ext_begin(&w, OID_GMT_IDENTITY, 0);
        der_prim(&w, DER_CTX(0), t->id_number, strlen(t->id_number));
        ext_end(&w);
    }
    der_end(&w); /* extensions SEQUENCE */
    der_end(&w); /* [3] */
    der_end(&w); /* TBSCertificate */

    if ((rc = der_status(&w)) != 0) {
        sc_fail(e, rc, "cert.encode", "cannot encode the certificate");
        goto out;
    }
    /* the TBS is everything after the outer header opened above */
    size_t tbs_off = w.stack[0];
    if ((rc = crypto_sign(signkey, w.b.p + tbs_off, w.b.len - tbs_off, &sig, e)) != 0) goto out;
    der_raw(&w, alg.p, alg.len);
    der_bits(&w, sig.p, sig.len);
    der_end(&w); /* Certificate */
    if ((rc = der_finish(&w)) != 0 || (rc = sc_buf_append(out, w.b.p, w.b.len)) != 0)
        sc_fail(e, rc, "cert.encode", "cannot encode the certificate");
out:
    der_free(&w);
    sc_buf_free(&subj);
    sc_buf_free(&spki);
    sc_buf_free(&alg);
    sc_buf_free(&sig);
    return rc;
}

int der_split_signed(const uint8_t *der, size_t len, signed_parts *out)
{
    der_r r = der_reader(der, len);
    der_tlv outer, tbs, alg, sig;
    if (der_expect(&r, DER_SEQUENCE, &outer) != 0 || !der_at_end(&r)) return -1;
    der_r in = der_inner(&outer);
    if (der_expect(&in, DER_SEQUENCE, &tbs) != 0 || der_expect(&in, DER_SEQUENCE, &alg) != 0 ||
        der_expect(&in, DER_BITSTRING, &sig) != 0 || !der_at_end(&in))
        return -1;
    if (sig.len < 2 || sig.val[0] != 0) return -1;
    out->tbs.p = tbs.raw;
    out->tbs.len = tbs.rawlen;
    out->alg.p = alg.raw;
    out->alg.len = alg.rawlen;
    out->sig.p = sig.val + 1;
    out->sig.len = sig.len - 1;
    return 0;
}

int pki_verify_signed(const uint8_t *der, size_t len, sc_key *pub, sc_err *e)
{
    signed_parts sp;
    sc_alg alg;
    if (der_split_signed(der, len, &sp) != 0)
        return sc_fail(e, SC_EINVAL, "der.malformed", "not a signed DER object");
    int rc = crypto_sigalg_parse(sp.alg.p, sp.alg.len, &alg, e);
    if (rc != 0) return rc;
    return crypto_verify(pub, alg, sp.tbs.p, sp.tbs.len, sp.sig.p, sp.sig.len, e);
}

/* Walk a TBSCertificate to its fields. */
typedef struct tbs_fields {
    der_tlv serial, sigalg, issuer, validity, subject, spki;
} tbs_fields;

static int tbs_parse(const uint8_t *der, size_t len, tbs_fields *f)
{
    signed_parts sp;
    if (der_split_signed(der, len, &sp) != 0) return -1;
    der_r r = der_reader(sp.tbs.p, sp.tbs.len);
    der_tlv tbs, ver;
    if (der_expect(&r, DER_SEQUENCE, &tbs) != 0) return -1;
    der_r in = der_inner(&tbs);
    der_expect(&in, DER_CTX_CONS(0), &ver); /* optional version */
    if (der_expect(&in, DER_INTEGER, &f->serial) != 0 ||
        der_expect(&in, DER_SEQUENCE, &f->sigalg) != 0 ||
        der_expect(&in, DER_SEQUENCE, &f->issuer) != 0 ||
        der_expect(&in, DER_SEQUENCE, &f->validity) != 0 ||
        der_expect(&in, DER_SEQUENCE, &f->subject) != 0 ||
        der_expect(&in, DER_SEQUENCE, &f->spki) != 0)
        return -1;
    return 0;
}

int cert_pubkey(const uint8_t *der, size_t len, sc_key **out, sc_err *e)
{
    tbs_fields f;
    if (tbs_parse(der, len, &f) != 0)
        return sc_fail(e, SC_EINVAL, "cert.malformed", "not a valid X.509 certificate");
    return crypto_key_from_spki(f.spki.raw, f.spki.rawlen, out, e);
}

int cert_fields(const uint8_t *der, size_t len, sc_slice *subject, sc_slice *issuer, int64_t *nb,
                int64_t *na)
{
    tbs_fields f;
    if (tbs_parse(der, len, &f) != 0) return -1;
    if (subject) {
        subject->p = f.subject.raw;
        subject->len = f.subject.rawlen;
    }
    if (issuer) {
        issuer->p = f.issuer.raw;
        issuer->len = f.issuer.rawlen;
    }
    der_r v = der_inner(&f.validity);
    der_tlv a, b;
    if (der_next(&v, &a) != 0 || der_next(&v, &b) != 0) return -1;
    if (nb && der_time_parse(a.tag, a.val, a.len, nb) != 0) return -1;
    if (na && der_time_parse(b.tag, b.val, b.len, na) != 0) return -1;
    return 0;
}

void cert_info_free(cert_info *ci)
{
    if (ci == NULL) return;
    free(ci->der);
    ci->der = NULL;
    ci->derlen = 0;
}

int name_der_text(const uint8_t *der, size_t len, char *out, size_t outsz)
{
    const unsigned char *p = der;
    X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)len);
    if (n == NULL) {
        ERR_clear_error();
        return -1;
    }
    BIO *b = BIO_new(BIO_s_mem());
    int rc = -1;
    if (b != NULL && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data = NULL;
        long dl = BIO_get_mem_data(b, &data);
        if (dl >= 0 && (size_t)dl < outsz) {
            memcpy(out, data, (size_t)dl);
            out[dl] = 0;
            rc = 0;
        }
    }
    BIO_free(b);
    X509_NAME_free(n);
    return rc;
}

int cert_pem(const uint8_t *der, size_t len, sc_buf *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *hdr = "-----BEGIN CERTIFICATE-----\n", *ftr = "-----END CERTIFICATE-----\n";
    sc_buf_append(out, hdr, strlen(hdr));
    size_t col = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16;
        if (i + 1 < len) v |= (uint32_t)der[i + 1] << 8;
        if (i + 2 < len) v |= der[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < len ? b64[(v >> 6) & 63] : '=',
                     i + 2 < len ? b64[v & 63] : '='};
        sc_buf_append(out, q, 4);
        col += 4;
        if (col == 64) {
            sc_buf_putc(out, '\n');
            col = 0;
        }
    }
    if (col) sc_buf_putc(out, '\n');
    sc_buf_append(out, ftr, strlen(ftr));
    return out->oom ? SC_ENOMEM : 0;
}

int pem_decode(const uint8_t *in, size_t len, const char *label, size_t *consumed, sc_buf *out)
{
    char begin[64], end[64];
    snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
    snprintf(end, sizeof(end), "-----END %s-----", label);
    const char *s = memmem(in, len, begin, strlen(begin));
    if (s == NULL) return -1;
    s += strlen(begin);
    const char *t = memmem(s, len - (size_t)(s - (const char *)in), end, strlen(end));
    if (t == NULL) return -1;
    if (consumed) *consumed = (size_t)(t - (const char *)in) + strlen(end);
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (const char *p = s; p < t; p++) {
        int v;
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else if (c == '=') {
            pad++;
            continue;
        } else if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
            continue;
        else
            return -1;
        if (pad) return -1; /* data after padding */
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            sc_buf_putc(out, (uint8_t)(acc >> bits));
        }
    }
    return out->oom || pad > 2 ? -1 : 0;
}
