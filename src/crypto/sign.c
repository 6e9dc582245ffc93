/* sign.c - signatures (SM2 with the GM/T 0009 ID, ECDSA P-256, RSA-3072) and SM2 encryption. */
#include "crypto/crypto_int.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

/* DER AlgorithmIdentifiers */
static const uint8_t ALG_SM2SM3[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x81,
                                     0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75};
static const uint8_t ALG_ECDSA256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                       0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t ALG_RSA256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                     0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};

int crypto_sigalg_der(sc_alg alg, sc_buf *out)
{
    switch (alg) {
    case SC_ALG_SM2:
        return sc_buf_append(out, ALG_SM2SM3, sizeof(ALG_SM2SM3));
    case SC_ALG_ECDSA_P256:
        return sc_buf_append(out, ALG_ECDSA256, sizeof(ALG_ECDSA256));
    case SC_ALG_RSA3072:
        return sc_buf_append(out, ALG_RSA256, sizeof(ALG_RSA256));
    default:
        return SC_EINVAL;
    }
}

int crypto_sigalg_parse(const uint8_t *der, size_t len, sc_alg *out, sc_err *e)
{
    /* Exact byte matches: sm2-with-sm3 without parameters (OpenSSL) or with NULL (Chinese CAs,
     * guomi-notes §2); ecdsa-with-SHA256 without parameters (RFC 5758); RSA with NULL (RFC 4055).
     */
    static const uint8_t SM2NULL[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81, 0x1c,
                                      0xcf, 0x55, 0x01, 0x83, 0x75, 0x05, 0x00};
    if (len == sizeof(ALG_SM2SM3) && memcmp(der, ALG_SM2SM3, len) == 0)
        *out = SC_ALG_SM2;
    else if (len == sizeof(SM2NULL) && memcmp(der, SM2NULL, len) == 0)
        *out = SC_ALG_SM2;
    else if (len == sizeof(ALG_ECDSA256) && memcmp(der, ALG_ECDSA256, len) == 0)
        *out = SC_ALG_ECDSA_P256;
    else if (len == sizeof(ALG_RSA256) && memcmp(der, ALG_RSA256, len) == 0)
        *out = SC_ALG_RSA3072;
    else
        return sc_fail(e, SC_EINVAL, "sig.unsupported_alg", "unsupported signature algorithm");
    return 0;
}

/* SM2 recommended curve parameters a, b, xG, yG (GM/T 0003.5 §4). */
static const uint8_t SM2_ABG[128] = {
    0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC,
    0x28, 0xE9, 0xFA, 0x9E, 0x9D, 0x9F, 0x5E, 0x34, 0x4D, 0x5A, 0x9E, 0x4B, 0xCF, 0x65, 0x09, 0xA7,
    0xF3, 0x97, 0x89, 0xF5, 0x15, 0xAB, 0x8F, 0x92, 0xDD, 0xBC, 0xBD, 0x41, 0x4D, 0x94, 0x0E, 0x93,
    0x32, 0xC4, 0xAE, 0x2C, 0x1F, 0x19, 0x81, 0x19, 0x5F, 0x99, 0x04, 0x46, 0x6A, 0x39, 0xC9, 0x94,
    0x8F, 0xE3, 0x0B, 0xBF, 0xF2, 0x66, 0x0B, 0xE1, 0x71, 0x5A, 0x45, 0x89, 0x33, 0x4C, 0x74, 0xC7,
    0xBC, 0x37, 0x36, 0xA2, 0xF4, 0xF6, 0x77, 0x9C, 0x59, 0xBD, 0xCE, 0xE3, 0x6B, 0x69, 0x21, 0x53,
    0xD0, 0xA9, 0x87, 0x7C, 0xC6, 0x2A, 0x47, 0x40, 0x02, 0xDF, 0x32, 0xE5, 0x21, 0x39, 0xF0, 0xA0,
};

int crypto_sm2_z(const sc_key *k, const uint8_t *id, size_t idlen, uint8_t z[32], sc_err *e)
{
    uint8_t pt[65], entl[2];
    if (k->alg != SC_ALG_SM2) return sc_fail(e, SC_EINVAL, "sm2.not_sm2", "not an SM2 key");
    if (idlen > 8191) /* ENTL is a 16-bit count of bits */
        return sc_fail(e, SC_EINVAL, "sm2.id_too_long", "SM2 ID longer than 8191 bytes");
    if (crypto_key_sm2_point(k, pt) != 0)
        return sc_fail(e, SC_ECRYPTO, "sm2.point", "cannot read SM2 public key");
    entl[0] = (uint8_t)((idlen * 8) >> 8);
    entl[1] = (uint8_t)(idlen * 8);
    crypto_sm3_ctx c;
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, entl, 2);
    crypto_sm3_update(&c, id, idlen);
    crypto_sm3_update(&c, SM2_ABG, sizeof(SM2_ABG));
    crypto_sm3_update(&c, pt + 1, 64);
    crypto_sm3_final(&c, z);
    return 0;
}

void crypto_sm2_e(sc_key *k, const uint8_t *msg, size_t len, uint8_t e_out[32])
{
    if (!k->have_z) {
        /* benign race: two threads compute the same bytes */
        if (crypto_sm2_z(k, (const uint8_t *)SC_SM2_DEFAULT_ID, SC_SM2_DEFAULT_ID_LEN, k->z,
                         NULL) != 0)
            abort(); /* an SM2 key always has a point */
        __atomic_store_n(&k->have_z, 1, __ATOMIC_RELEASE);
    }
    crypto_sm3_ctx c;
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, k->z, 32);
    crypto_sm3_update(&c, msg, len);
    crypto_sm3_final(&c, e_out);
}

/* Minimal DER for SEQUENCE { INTEGER r, INTEGER s } with 32-byte r, s. */
int crypto_sig_raw_to_der(const uint8_t rs[64], sc_buf *out)
{
    uint8_t tmp[72];
    size_t n = 2;
    for (int i = 0; i < 2; i++) {
        const uint8_t *v = rs + 32 * i;
        size_t skip = 0;
        while (skip < 31 && v[skip] == 0)
            skip++;
        size_t vl = 32 - skip;
        int pad = (v[skip] & 0x80) != 0;
        tmp[n++] = 0x02;
        tmp[n++] = (uint8_t)(vl + (size_t)pad);
        if (pad) tmp[n++] = 0;
        memcpy(tmp + n, v + skip, vl);
        n += vl;
    }
    tmp[0] = 0x30;
    tmp[1] = (uint8_t)(n - 2);
    return sc_buf_append(out, tmp, n);
}

/* Strict DER parse of SEQUENCE { INTEGER r, INTEGER s }, values 1..2^256-1. Returns 0 or -1. */
int crypto_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t rs[64])
{
    if (len < 8 || len > 72 || der[0] != 0x30 || der[1] != len - 2) return -1;
    size_t off = 2;
    memset(rs, 0, 64);
    for (int i = 0; i < 2; i++) {
        if (off + 2 > len || der[off] != 0x02) return -1;
        size_t vl = der[off + 1];
        off += 2;
        if (vl == 0 || vl > 33 || off + vl > len) return -1;
        const uint8_t *v = der + off;
        if (v[0] & 0x80) return -1;                           /* negative */
        if (vl > 1 && v[0] == 0 && !(v[1] & 0x80)) return -1; /* non-minimal */
        if (vl == 33) {
            if (v[0] != 0) return -1;
            v++;
            vl--;
        }
        memcpy(rs + 32 * i + (32 - vl), v, vl);
        off += (size_t)der[off - 1];
    }
    return off == len ? 0 : -1;
}

static int pkey_sign_digest(EVP_PKEY *pkey, const uint8_t *dgst, size_t dlen, sc_buf *sig,
                            sc_err *e)
{
    int rc = SC_ECRYPTO;
    size_t siglen = 0;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1) goto out;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
            EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
            goto out;
    }
    if (EVP_PKEY_sign(ctx, NULL, &siglen, dgst, dlen) != 1 || sc_buf_reserve(sig, siglen) != 0)
        goto out;
    if (EVP_PKEY_sign(ctx, sig->p + sig->len, &siglen, dgst, dlen) != 1) goto out;
    sig->len += siglen;
    rc = 0;
out:
    if (rc != 0) sc_fail_ossl(e, rc, "sig.sign", "signing failed");
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int crypto_sign(sc_key *k, const uint8_t *msg, size_t len, sc_buf *sig, sc_err *e)
{
    uint8_t dgst[32];
    if (k->remote != NULL) return k->remote(k->remote_ctx, msg, len, sig, e);
    if (!k->priv) return sc_fail(e, SC_EINVAL, "sig.no_private", "key has no private half");
    if (k->alg == SC_ALG_SM2) {
        /* GM/T 0009 §10 / GM/T 0003.2 §6.1: e = SM3(Z || M) with the default ID; the digest is
         * then signed directly, so OpenSSL's (empty) default ID never enters. */
        crypto_sm2_e(k, msg, len, dgst);
        if (crypto_sm2_engine() == SC_SM2_ENGINE_FAST) {
            uint8_t rs[64];
            if (crypto_fast_sign(k, dgst, rs) != 0)
                return sc_fail(e, SC_ECRYPTO, "sig.sign", "SM2 signing failed (fast engine)");
            return crypto_sig_raw_to_der(rs, sig) == 0 ? 0 : SC_ENOMEM;
        }
        return pkey_sign_digest(k->pkey, dgst, 32, sig, e);
    }
    crypto_sha256(msg, len, dgst);
    return pkey_sign_digest(k->pkey, dgst, 32, sig, e);
}

int crypto_verify(sc_key *pub, sc_alg alg, const uint8_t *msg, size_t len, const uint8_t *sig,
                  size_t siglen, sc_err *e)
{
    uint8_t dgst[32];
    if (alg != pub->alg)
        return sc_fail(e, SC_EVERIFY, "sig.alg_mismatch",
                       "signature algorithm does not match the key (%s vs %s)",
                       crypto_alg_name(alg), crypto_alg_name(pub->alg));
    if (siglen == 0 || siglen > 1024)
        return sc_fail(e, SC_EVERIFY, "sig.bad_length", "signature has a bad length");
    if (alg == SC_ALG_SM2) {
        crypto_sm2_e(pub, msg, len, dgst);
        if (crypto_sm2_engine() == SC_SM2_ENGINE_FAST) {
            uint8_t rs[64];
            if (crypto_sig_der_to_raw(sig, siglen, rs) != 0 ||
                crypto_fast_verify(pub, dgst, rs) != 1)
                return sc_fail(e, SC_EVERIFY, "sig.invalid", "signature does not verify");
            return 0;
        }
    } else {
        crypto_sha256(msg, len, dgst);
    }
    EVP_PKEY *pk = crypto_key_pkey(pub);
    EVP_PKEY_CTX *ctx = pk ? EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL) : NULL;
    int ok = ctx != NULL && EVP_PKEY_verify_init(ctx) == 1;
    if (ok && alg == SC_ALG_RSA3072)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1;
    if (ok && alg != SC_ALG_RSA3072) {
        /* OpenSSL accepts some non-DER encodings; we do not (one signature, one encoding) */
        uint8_t rs[64];
        ok = crypto_sig_der_to_raw(sig, siglen, rs) == 0;
    }
    ok = ok && EVP_PKEY_verify(ctx, sig, siglen, dgst, 32) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    if (!ok) return sc_fail(e, SC_EVERIFY, "sig.invalid", "signature does not verify");
    return 0;
}

/* ---- SM2 encryption (GM/T 0003.4; DER SM2Cipher per GM/T 0009 §7.2) ---- */

/* SM2Cipher DER <-> raw C1(65)||C3(32)||C2 */
static int cipher_der_to_raw(const uint8_t *der, size_t len, sc_buf *raw)
{
    const unsigned char *p = der;
    long plen = 0;
    int tag = 0, cls = 0;
    /* parse with OpenSSL's tolerant-but-bounded primitives */
    if (len > (1u << 24)) return -1;
    int r = ASN1_get_object(&p, &plen, &tag, &cls, (long)len);
    if ((r & 0x80) || tag != V_ASN1_SEQUENCE || !(r & V_ASN1_CONSTRUCTED) || p + plen != der + len)
        return -1;
    const unsigned char *end = p + plen;
    uint8_t xy[64];
    for (int i = 0; i < 2; i++) {
        const unsigned char *q = p;
        ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &q, end - p);
        if (ai == NULL) return -1;
        BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
        ASN1_INTEGER_free(ai);
        int ok = bn != NULL && !BN_is_negative(bn) && BN_bn2binpad(bn, xy + 32 * i, 32) == 32;
        BN_free(bn);
        if (!ok) return -1;
        p = q;
    }
    const unsigned char *q = p;
    ASN1_OCTET_STRING *c3 = d2i_ASN1_OCTET_STRING(NULL, &q, end - p);
    if (c3 == NULL) return -1;
    p = q;
    ASN1_OCTET_STRING *c2 = d2i_ASN1_OCTET_STRING(NULL, &q, end - p);
    int ok = c2 != NULL && q == end && ASN1_STRING_length(c3) == 32 && ASN1_STRING_length(c2) > 0;
    if (ok) {
        ok = sc_buf_putc(raw, 4) == 0 && sc_buf_append(raw, xy, 64) == 0 &&
             sc_buf_append(raw, ASN1_STRING_get0_data(c3), 32) == 0 &&
             sc_buf_append(raw, ASN1_STRING_get0_data(c2), (size_t)ASN1_STRING_length(c2)) == 0;
    }
    ASN1_OCTET_STRING_free(c3);
    ASN1_OCTET_STRING_free(c2);
    return ok ? 0 : -1;
}

static int der_len(sc_buf *b, size_t n)
{
    uint8_t t[5];
    size_t k = 0;
    if (n < 128) {
        t[k++] = (uint8_t)n;
    } else {
        size_t m = n, nb = 0;
        while (m) {
            nb++;
            m >>= 8;
        }
        t[k++] = (uint8_t)(0x80 | nb);
        for (size_t i = nb; i > 0; i--)
            t[k++] = (uint8_t)(n >> (8 * (i - 1)));
    }
    return sc_buf_append(b, t, k);
}

static void der_uint32(sc_buf *b, const uint8_t v[32])
{
    size_t skip = 0;
    while (skip < 31 && v[skip] == 0)
        skip++;
    int pad = (v[skip] & 0x80) != 0;
    sc_buf_putc(b, 0x02);
    der_len(b, 32 - skip + (size_t)pad);
    if (pad) sc_buf_putc(b, 0);
    sc_buf_append(b, v + skip, 32 - skip);
}

static int cipher_raw_to_der(const uint8_t *raw, size_t len, sc_buf *out)
{
    sc_buf body = {0};
    der_uint32(&body, raw + 1);
    der_uint32(&body, raw + 33);
    sc_buf_putc(&body, 0x04);
    der_len(&body, 32);
    sc_buf_append(&body, raw + 65, 32);
    sc_buf_putc(&body, 0x04);
    der_len(&body, len - 97);
    sc_buf_append(&body, raw + 97, len - 97);
    sc_buf_putc(out, 0x30);
    der_len(out, body.len);
    sc_buf_append(out, body.p, body.len);
    int rc = (body.oom || out->oom) ? SC_ENOMEM : 0;
    sc_buf_wipe(&body);
    return rc;
}

#define SM2_PLAINTEXT_MAX (1u << 20)

int crypto_sm2_encrypt(sc_key *pub, const uint8_t *m, size_t mlen, sc_buf *out, sc_err *e)
{
    if (pub->alg != SC_ALG_SM2) return sc_fail(e, SC_EINVAL, "sm2.not_sm2", "not an SM2 key");
    if (mlen == 0 || mlen > SM2_PLAINTEXT_MAX)
        return sc_fail(e, SC_EINVAL, "sm2.bad_length", "SM2 plaintext must be 1..%u bytes",
                       SM2_PLAINTEXT_MAX);
    if (crypto_sm2_engine() == SC_SM2_ENGINE_FAST) {
        uint8_t *raw = malloc(97 + mlen);
        if (raw == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        int rc = crypto_fast_encrypt(pub, m, mlen, raw);
        if (rc == 0)
            rc = cipher_raw_to_der(raw, 97 + mlen, out);
        else
            rc = sc_fail(e, SC_ECRYPTO, "sm2.encrypt", "SM2 encryption failed (fast engine)");
        free(raw);
        return rc;
    }
    int rc = SC_ECRYPTO;
    size_t clen = 0;
    EVP_PKEY *pk = crypto_key_pkey(pub);
    EVP_PKEY_CTX *ctx = pk ? EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL) : NULL;
    if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) != 1 ||
        EVP_PKEY_encrypt(ctx, NULL, &clen, m, mlen) != 1 || sc_buf_reserve(out, clen) != 0 ||
        EVP_PKEY_encrypt(ctx, out->p + out->len, &clen, m, mlen) != 1)
        goto out;
    out->len += clen;
    rc = 0;
out:
    if (rc != 0) sc_fail_ossl(e, rc, "sm2.encrypt", "SM2 encryption failed");
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int crypto_sm2_decrypt(sc_key *priv, const uint8_t *c, size_t clen, sc_buf *out, sc_err *e)
{
    if (priv->alg != SC_ALG_SM2 || !priv->priv)
        return sc_fail(e, SC_EINVAL, "sm2.not_sm2", "not an SM2 private key");
    if (clen > SM2_PLAINTEXT_MAX + 200)
        return sc_fail(e, SC_ETOOBIG, "sm2.too_big", "SM2 ciphertext too large");
    sc_buf raw = {0};
    if (cipher_der_to_raw(c, clen, &raw) != 0) {
        sc_buf_free(&raw);
        return sc_fail(e, SC_EINVAL, "sm2.bad_cipher", "not a valid DER SM2Cipher");
    }
    int rc = SC_EVERIFY;
    if (crypto_sm2_engine() == SC_SM2_ENGINE_FAST) {
        if (sc_buf_reserve(out, raw.len - 97) == 0 &&
            crypto_fast_decrypt(priv, raw.p, raw.len, out->p + out->len) == 0) {
            out->len += raw.len - 97;
            rc = 0;
        }
    } else {
        size_t mlen = 0;
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv->pkey, NULL);
        if (ctx != NULL && EVP_PKEY_decrypt_init(ctx) == 1 &&
            EVP_PKEY_decrypt(ctx, NULL, &mlen, c, clen) == 1 && sc_buf_reserve(out, mlen) == 0 &&
            EVP_PKEY_decrypt(ctx, out->p + out->len, &mlen, c, clen) == 1) {
            out->len += mlen;
            rc = 0;
        }
        EVP_PKEY_CTX_free(ctx);
        ERR_clear_error();
    }
    sc_buf_wipe(&raw);
    if (rc != 0)
        return sc_fail(e, rc, "sm2.decrypt", "SM2 decryption failed (wrong key or damaged data)");
    return 0;
}
