/* envkey.c - GM/T 0009 §7 SM2EnvelopedKey and GM/T 0092 CSRResponse encoding and parsing. */
#include <string.h>

#include "kmc/kmc.h"
#include "pki/der.h"

#define OID_SM4_ECB "1.2.156.10197.1.104.1"

int envkey_seal(sc_key *k, sc_key *recip, sc_buf *out, sc_err *e)
{
    uint8_t d[32], sym[16], enc[32], pt[65];
    sc_buf c = {0};
    der_w w = {0};
    int rc;
    if (crypto_key_alg(k) != SC_ALG_SM2 || crypto_key_alg(recip) != SC_ALG_SM2 ||
        crypto_key_sm2_private(k, d) != 0 || crypto_key_sm2_point(k, pt) != 0)
        return sc_fail(e, SC_EINVAL, "envkey.not_sm2", "only SM2 keys can be enveloped");
    crypto_random(sym, sizeof(sym));
    if ((rc = crypto_sm4_ecb(1, sym, d, 32, enc)) != 0) {
        rc = sc_fail(e, SC_ECRYPTO, "envkey.sm4", "SM4 failed");
        goto out;
    }
    if ((rc = crypto_sm2_encrypt(recip, sym, sizeof(sym), &c, e)) != 0) goto out;
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, OID_SM4_ECB);
    der_end(&w);
    der_raw(&w, c.p, c.len); /* SM2Cipher */
    der_bits(&w, pt, 65);
    der_bits(&w, enc, 32);
    der_end(&w);
    if ((rc = der_finish(&w)) != 0) {
        rc = sc_fail(e, rc, "envkey.encode", "cannot encode the enveloped key");
        goto out;
    }
    rc =
        sc_buf_append(out, w.b.p, w.b.len) != 0 ? sc_fail(e, SC_ENOMEM, "oom", "out of memory") : 0;
out:
    sc_wipe(d, sizeof(d));
    sc_wipe(sym, sizeof(sym));
    der_free(&w);
    sc_buf_free(&c);
    return rc;
}

typedef struct envkey_parts {
    der_tlv cipher;
    const uint8_t *pub; /* 65 */
    const uint8_t *enc; /* 32 or 64 */
    size_t enclen;
} envkey_parts;

static int parse(const uint8_t *der, size_t len, envkey_parts *p, sc_err *e)
{
    der_r r = der_reader(der, len);
    der_tlv top, alg, oid, pub, enc;
    char o[64];
    if (len > KMC_MSG_MAX || der_next(&r, &top) != 0 || !der_at_end(&r) ||
        (top.tag != DER_SEQUENCE && top.tag != DER_CTX_CONS(0)))
        goto bad;
    der_r in = der_inner(&top);
    if (top.tag == DER_CTX_CONS(0)) {
        /* [0] inside a CSRResponse: IMPLICIT (the fields) or EXPLICIT (one SEQUENCE) */
        der_r probe = in;
        der_tlv f;
        if (der_expect(&probe, DER_SEQUENCE, &f) != 0) goto bad;
        der_r fi = der_inner(&f);
        if (der_peek(&fi) == DER_SEQUENCE) {
            if (!der_at_end(&probe)) goto bad;
            in = fi;
        }
    }
    if (der_expect(&in, DER_SEQUENCE, &alg) != 0 ||
        der_expect(&in, DER_SEQUENCE, &p->cipher) != 0 ||
        der_expect(&in, DER_BITSTRING, &pub) != 0 || der_expect(&in, DER_BITSTRING, &enc) != 0 ||
        !der_at_end(&in))
        goto bad;
    der_r a = der_inner(&alg);
    if (der_expect(&a, DER_OID, &oid) != 0 || der_oid_text(oid.val, oid.len, o, sizeof(o)) != 0)
        goto bad;
    if (der_peek(&a) == DER_NULL) der_next(&a, &oid);
    if (!der_at_end(&a)) goto bad;
    if (strcmp(o, OID_SM4_ECB) != 0)
        return sc_fail(e, SC_EINVAL, "envkey.bad_alg",
                       "the enveloped key uses %s, not SM4-ECB (1.2.156.10197.1.104.1)", o);
    if (pub.len != 66 || pub.val[0] != 0 || pub.val[1] != 4 || (enc.len != 33 && enc.len != 65) ||
        enc.val[0] != 0)
        goto bad;
    p->pub = pub.val + 1;
    p->enc = enc.val + 1;
    p->enclen = enc.len - 1;
    return 0;
bad:
    return sc_fail(
        e, SC_EINVAL, "envkey.malformed",
        "not a GM/T 0009 SM2EnvelopedKey (symAlgID, SM2Cipher, public key, private key)");
}

int envkey_public(const uint8_t *der, size_t len, uint8_t pub[65], sc_err *e)
{
    envkey_parts p;
    int rc = parse(der, len, &p, e);
    if (rc == 0) memcpy(pub, p.pub, 65);
    return rc;
}

int envkey_open(const uint8_t *der, size_t len, sc_key *recip, sc_key **out, sc_err *e)
{
    *out = NULL;
    envkey_parts p;
    int rc = parse(der, len, &p, e);
    if (rc != 0) return rc;
    sc_buf sym = {0};
    uint8_t d[64];
    sc_key *k = NULL, *pub = NULL;
    sc_err ie = {0};
    if (crypto_sm2_decrypt(recip, p.cipher.raw, p.cipher.rawlen, &sym, &ie) != 0 || sym.len != 16) {
        rc = sc_fail(e, SC_EVERIFY, "envkey.not_for_me",
                     "the enveloped key was not made for this key (SM2 decryption failed)");
        goto out;
    }
    if (crypto_sm4_ecb(0, sym.p, p.enc, p.enclen, d) != 0) {
        rc = sc_fail(e, SC_ECRYPTO, "envkey.sm4", "SM4 failed");
        goto out;
    }
    /* GM/T 0016 ENVELOPEDKEYBLOB right-aligns the 32-byte key in a 64-byte field */
    const uint8_t *dk = d + (p.enclen - 32);
    for (size_t i = 0; i < p.enclen - 32; i++)
        if (d[i] != 0) goto mismatch;
    if (crypto_key_sm2_from_private(dk, &k, &ie) != 0 ||
        crypto_key_sm2_from_point(p.pub, &pub, &ie) != 0 || !crypto_key_equal_public(k, pub))
        goto mismatch;
    *out = k;
    k = NULL;
    rc = 0;
    goto out;
mismatch:
    rc = sc_fail(e, SC_EVERIFY, "envkey.mismatch",
                 "the enveloped private key does not match the public key it carries");
out:
    sc_wipe(d, sizeof(d));
    sc_buf_wipe(&sym);
    crypto_key_free(k);
    crypto_key_free(pub);
    return rc;
}

int csrresp_encode(const uint8_t *sign, size_t signlen, const uint8_t *envk, size_t envklen,
                   const uint8_t *enc, size_t enclen, sc_buf *out, sc_err *e)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SET); /* CertificateSet (GB/T 31503 §12.2.3): SET OF certificates */
    der_raw(&w, sign, signlen);
    der_end(&w);
    if (envklen) {
        /* [0] IMPLICIT SM2EnvelopedKey: the SEQUENCE tag replaced by [0] */
        der_begin(&w, DER_CTX_CONS(0));
        der_r r = der_reader(envk, envklen);
        der_tlv t;
        if (der_expect(&r, DER_SEQUENCE, &t) != 0)
            w.err = SC_EINVAL;
        else
            der_raw(&w, t.val, t.len);
        der_end(&w);
    }
    if (enclen) {
        der_begin(&w, DER_CTX_CONS(1)); /* [1] IMPLICIT CertificateSet */
        der_raw(&w, enc, enclen);
        der_end(&w);
    }
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0 && sc_buf_append(out, w.b.p, w.b.len) != 0) rc = SC_ENOMEM;
    der_free(&w);
    return rc ? sc_fail(e, rc, "csrresp.encode", "cannot encode the CSRResponse") : 0;
}

/* First certificate of a CertificateSet given as its contents. */
static int first_cert(der_r s, sc_slice *out)
{
    der_tlv c;
    if (der_expect(&s, DER_SEQUENCE, &c) != 0) return -1;
    out->p = c.raw;
    out->len = c.rawlen;
    while (!der_at_end(&s))
        if (der_expect(&s, DER_SEQUENCE, &c) != 0) return -1;
    return 0;
}

/* Tagging of the module is not stated in GM/T 0092: both the IMPLICIT form sealca writes and
 * the EXPLICIT form are read. */
int csrresp_parse(const uint8_t *der, size_t len, csr_response *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    der_r r = der_reader(der, len);
    der_tlv top, set, ek, ec;
    if (len > KMC_MSG_MAX || der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r)) goto bad;
    der_r in = der_inner(&top);
    if (der_next(&in, &set) != 0 || (set.tag != DER_SET && set.tag != DER_SEQUENCE) ||
        first_cert(der_inner(&set), &out->sign_cert) != 0)
        goto bad;
    if (der_peek(&in) == DER_CTX_CONS(0)) {
        if (der_next(&in, &ek) != 0) goto bad;
        out->env_key.p = ek.raw;
        out->env_key.len = ek.rawlen;
    }
    if (der_peek(&in) == DER_CTX_CONS(1)) {
        if (der_next(&in, &ec) != 0) goto bad;
        der_r q = der_inner(&ec);
        if (der_peek(&q) == DER_SET) {
            der_tlv s2;
            if (der_next(&q, &s2) != 0 || !der_at_end(&q)) goto bad;
            q = der_inner(&s2);
        }
        if (first_cert(q, &out->enc_cert) != 0) goto bad;
    }
    if (!der_at_end(&in)) goto bad;
    if ((out->env_key.len == 0) != (out->enc_cert.len == 0))
        return sc_fail(e, SC_EINVAL, "csrresp.incomplete",
                       "the CSRResponse has an encryption key without its certificate or the "
                       "reverse");
    return 0;
bad:
    return sc_fail(e, SC_EINVAL, "csrresp.malformed",
                   "not a GM/T 0092 CSRResponse (signCertificate, [0] encryptedPrivateKey, [1] "
                   "encryptCertificate)");
}
