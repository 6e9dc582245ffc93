/* envelope.c - GM/T 0010 SM2 envelopedData: build and open digital envelopes. */
#include "envelope/envelope.h"

#include <stdlib.h>
#include <string.h>

#include "pki/der.h"
#include "pki/pki.h"

#define OID_ENVELOPED "1.2.156.10197.6.1.4.2.3"
#define OID_DATA      "1.2.156.10197.6.1.4.2.1"
#define OID_SM2_ENC   "1.2.156.10197.1.301.3"
#define OID_SM4_CBC   "1.2.156.10197.1.104.2"

/* issuer Name TLV and serial INTEGER contents of a certificate */
static int cert_ias(const uint8_t *der, size_t len, sc_slice *issuer, sc_slice *serial)
{
    der_r r = der_reader(der, len);
    der_tlv c, tbs, v;
    if (der_expect(&r, DER_SEQUENCE, &c) != 0) return -1;
    r = der_inner(&c);
    if (der_expect(&r, DER_SEQUENCE, &tbs) != 0) return -1;
    r = der_inner(&tbs);
    if (der_next(&r, &v) != 0) return -1;
    if (v.tag == DER_CTX_CONS(0) && der_next(&r, &v) != 0) return -1;
    if (v.tag != DER_INTEGER) return -1;
    serial->p = v.val;
    serial->len = v.len;
    der_tlv alg, iss;
    if (der_expect(&r, DER_SEQUENCE, &alg) != 0 || der_expect(&r, DER_SEQUENCE, &iss) != 0)
        return -1;
    issuer->p = iss.raw;
    issuer->len = iss.rawlen;
    return 0;
}

static int cmp_tlv(const void *a, const void *b)
{
    const sc_buf *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len < y->len ? -1 : x->len > y->len);
}

int envelope_encrypt(const sc_slice *certs, size_t n, const uint8_t *in, size_t len, sc_buf *out,
                     sc_err *e)
{
    if (n == 0 || n > ENVELOPE_MAX_RECIPIENTS)
        return sc_fail(e, SC_EINVAL, "envelope.recipients", "1 to %d recipients",
                       ENVELOPE_MAX_RECIPIENTS);
    if (len > ENVELOPE_MAX)
        return sc_fail(e, SC_ETOOBIG, "envelope.too_big", "content larger than %u bytes",
                       ENVELOPE_MAX);
    uint8_t key[16], iv[16];
    crypto_random(key, 16);
    crypto_random(iv, 16);
    sc_buf *ri = calloc(n, sizeof(*ri));
    sc_buf ct = {0};
    der_w w = {0};
    int rc = 0;
    if (ri == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    for (size_t i = 0; i < n && rc == 0; i++) {
        sc_key *pub = NULL;
        sc_slice iss, sn;
        sc_buf ek = {0};
        if (cert_ias(certs[i].p, certs[i].len, &iss, &sn) != 0) {
            rc = sc_fail(e, SC_EINVAL, "envelope.bad_cert", "recipient %zu: not a certificate",
                         i + 1);
            break;
        }
        if ((rc = cert_pubkey(certs[i].p, certs[i].len, &pub, e)) != 0) break;
        if (crypto_key_alg(pub) != SC_ALG_SM2) {
            crypto_key_free(pub);
            rc = sc_fail(e, SC_EINVAL, "envelope.not_sm2",
                         "recipient %zu: not an SM2 encryption certificate", i + 1);
            break;
        }
        rc = crypto_sm2_encrypt(pub, key, 16, &ek, e);
        crypto_key_free(pub);
        if (rc != 0) break;
        der_w r = {0};
        der_begin(&r, DER_SEQUENCE);
        der_int64(&r, 0);
        der_begin(&r, DER_SEQUENCE);
        der_raw(&r, iss.p, iss.len);
        der_prim(&r, DER_INTEGER, sn.p, sn.len);
        der_end(&r);
        der_begin(&r, DER_SEQUENCE);
        der_oid(&r, OID_SM2_ENC);
        der_end(&r);
        der_prim(&r, DER_OCTETSTRING, ek.p, ek.len);
        der_end(&r);
        sc_buf_free(&ek);
        if ((rc = der_finish(&r)) == 0) {
            ri[i] = r.b;
            memset(&r.b, 0, sizeof(r.b));
        }
        der_free(&r);
    }
    if (rc != 0) goto out;
    /* DER: the elements of a SET OF in ascending order of their encodings */
    qsort(ri, n, sizeof(*ri), cmp_tlv);
    if ((rc = crypto_sm4_cbc(1, key, iv, in, len, &ct, e)) != 0) goto out;
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, OID_ENVELOPED);
    der_begin(&w, DER_CTX_CONS(0));
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, 0);
    der_begin(&w, DER_SET);
    for (size_t i = 0; i < n; i++)
        der_raw(&w, ri[i].p, ri[i].len);
    der_end(&w);
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, OID_DATA);
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, OID_SM4_CBC);
    der_prim(&w, DER_OCTETSTRING, iv, 16);
    der_end(&w);
    der_prim(&w, DER_CTX(0), ct.p, ct.len);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    if ((rc = der_finish(&w)) == 0 && sc_buf_append(out, w.b.p, w.b.len) != 0) rc = SC_ENOMEM;
    if (rc != 0) rc = sc_fail(e, rc, "envelope.encode", "cannot encode the envelope");
out:
    sc_wipe(key, sizeof(key));
    for (size_t i = 0; i < n; i++)
        sc_buf_free(&ri[i]);
    free(ri);
    sc_buf_free(&ct);
    der_free(&w);
    return rc;
}

static int oid_is(const der_tlv *t, const char *dotted)
{
    char o[64];
    return t->tag == DER_OID && der_oid_text(t->val, t->len, o, sizeof(o)) == 0 &&
           strcmp(o, dotted) == 0;
}

int envelope_parse(const uint8_t *der, size_t len, envelope_info *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    der_r r = der_reader(der, len);
    der_tlv ci, ct, c0, ed, ver, set, eci, t, alg, a1, a2;
    if (len > ENVELOPE_MAX + 65536 || der_expect(&r, DER_SEQUENCE, &ci) != 0 || !der_at_end(&r))
        goto bad;
    r = der_inner(&ci);
    if (der_expect(&r, DER_OID, &ct) != 0) goto bad;
    if (!oid_is(&ct, OID_ENVELOPED))
        return sc_fail(e, SC_EINVAL, "envelope.unsupported",
                       "not a GM/T 0010 envelopedData (1.2.156.10197.6.1.4.2.3)");
    if (der_expect(&r, DER_CTX_CONS(0), &c0) != 0 || !der_at_end(&r)) goto bad;
    r = der_inner(&c0);
    if (der_expect(&r, DER_SEQUENCE, &ed) != 0 || !der_at_end(&r)) goto bad;
    r = der_inner(&ed);
    if (der_expect(&r, DER_INTEGER, &ver) != 0 || ver.len != 1 || ver.val[0] > 2 ||
        der_expect(&r, DER_SET, &set) != 0 || der_expect(&r, DER_SEQUENCE, &eci) != 0 ||
        !der_at_end(&r))
        goto bad;
    der_r s = der_inner(&set);
    while (!der_at_end(&s)) {
        der_tlv ri, v, ias, iss, sn, kea, oid, ek;
        if (out->nr >= ENVELOPE_MAX_RECIPIENTS) goto bad;
        if (der_expect(&s, DER_SEQUENCE, &ri) != 0) goto bad;
        der_r q = der_inner(&ri);
        if (der_expect(&q, DER_INTEGER, &v) != 0 || der_expect(&q, DER_SEQUENCE, &ias) != 0 ||
            der_expect(&q, DER_SEQUENCE, &kea) != 0 || der_expect(&q, DER_OCTETSTRING, &ek) != 0 ||
            !der_at_end(&q))
            goto bad;
        der_r qi = der_inner(&ias);
        if (der_expect(&qi, DER_SEQUENCE, &iss) != 0 || der_expect(&qi, DER_INTEGER, &sn) != 0 ||
            !der_at_end(&qi))
            goto bad;
        der_r qk = der_inner(&kea);
        if (der_expect(&qk, DER_OID, &oid) != 0) goto bad;
        if (!oid_is(&oid, OID_SM2_ENC))
            return sc_fail(e, SC_EINVAL, "envelope.unsupported",
                           "a recipient's key is not SM2-encrypted (1.2.156.10197.1.301.3)");
        envelope_recipient *rr = &out->r[out->nr++];
        rr->issuer.p = iss.raw;
        rr->issuer.len = iss.rawlen;
        rr->serial.p = sn.val;
        rr->serial.len = sn.len;
        rr->enc_key.p = ek.val;
        rr->enc_key.len = ek.len;
    }
    if (out->nr == 0) goto bad;
    r = der_inner(&eci);
    if (der_expect(&r, DER_OID, &t) != 0 || !oid_is(&t, OID_DATA) ||
        der_expect(&r, DER_SEQUENCE, &alg) != 0)
        goto bad;
    der_r ar = der_inner(&alg);
    if (der_expect(&ar, DER_OID, &a1) != 0) goto bad;
    if (!oid_is(&a1, OID_SM4_CBC))
        return sc_fail(e, SC_EINVAL, "envelope.unsupported",
                       "the content is not SM4-CBC encrypted (1.2.156.10197.1.104.2)");
    if (der_expect(&ar, DER_OCTETSTRING, &a2) != 0 || a2.len != 16 || !der_at_end(&ar)) goto bad;
    memcpy(out->iv, a2.val, 16);
    der_tlv c;
    if (der_expect(&r, DER_CTX(0), &c) != 0 || !der_at_end(&r) || c.len == 0 || c.len % 16)
        goto bad;
    out->content.p = c.val;
    out->content.len = c.len;
    return 0;
bad:
    return sc_fail(e, SC_EINVAL, "envelope.malformed",
                   "数字信封格式错误 (not a well-formed GM/T 0010 envelopedData)");
}

int envelope_decrypt(const uint8_t *der, size_t len, sc_key *key, const uint8_t *cert,
                     size_t certlen, sc_buf *out, sc_err *e)
{
    envelope_info *in = malloc(sizeof(*in));
    if (in == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    int rc = envelope_parse(der, len, in, e);
    sc_buf k = {0};
    if (rc != 0) goto out;
    sc_slice ciss = {0}, csn = {0};
    if (cert != NULL && cert_ias(cert, certlen, &ciss, &csn) != 0) {
        rc = sc_fail(e, SC_EINVAL, "envelope.bad_cert", "the decryption certificate is malformed");
        goto out;
    }
    int found = 0;
    for (size_t i = 0; i < in->nr && !found; i++) {
        envelope_recipient *r = &in->r[i];
        if (cert != NULL && (r->issuer.len != ciss.len || r->serial.len != csn.len ||
                             memcmp(r->issuer.p, ciss.p, ciss.len) != 0 ||
                             memcmp(r->serial.p, csn.p, csn.len) != 0))
            continue;
        k.len = 0;
        if (crypto_sm2_decrypt(key, r->enc_key.p, r->enc_key.len, &k, NULL) == 0 && k.len == 16)
            found = 1;
    }
    if (!found) {
        rc =
            sc_fail(e, SC_EVERIFY, "envelope.not_recipient",
                    "此数字信封不是发给本证书的，或已被篡改 (the envelope is not addressed to this "
                    "key, or its key part was altered)");
        goto out;
    }
    sc_buf pt = {0};
    if (crypto_sm4_cbc(0, k.p, in->iv, in->content.p, in->content.len, &pt, NULL) != 0) {
        sc_buf_wipe(&pt);
        rc = sc_fail(e, SC_EVERIFY, "envelope.tampered",
                     "数字信封内容已损坏 (the envelope's content is damaged: bad padding)");
        goto out;
    }
    rc = sc_buf_append(out, pt.p, pt.len) != 0 ? sc_fail(e, SC_ENOMEM, "oom", "out of memory") : 0;
    sc_buf_wipe(&pt);
out:
    sc_buf_wipe(&k);
    free(in);
    return rc;
}
