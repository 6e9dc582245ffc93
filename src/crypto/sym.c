/* sym.c - SM3 entry points, SHA-1/256, HMAC-SM3, SM4 CBC/CTR, SM3-MAC'd AEAD, random. */
#include "crypto/crypto_int.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void crypto_sm3_init(crypto_sm3_ctx *c)
{
    sm3_init(&c->c);
}

void crypto_sm3_update(crypto_sm3_ctx *c, const void *p, size_t n)
{
    sm3_update(&c->c, p, n);
}

void crypto_sm3_final(crypto_sm3_ctx *c, uint8_t out[32])
{
    sm3_final(&c->c, out);
}

void crypto_sm3(const void *p, size_t n, uint8_t out[32])
{
    sm3_digest(p, n, out);
}

void crypto_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1) abort();
}

void crypto_sha1(const void *p, size_t n, uint8_t out[20])
{
    unsigned int len = 20;
    if (EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) != 1) abort();
}

/* HMAC (RFC 2104) over SM3, native so that it shares the SM3 above. */
void crypto_hmac_sm3(const uint8_t *key, size_t klen, const void *p, size_t n, uint8_t out[32])
{
    uint8_t k0[64] = {0}, ipad[64], opad[64], inner[32];
    if (klen > 64)
        crypto_sm3(key, klen, k0);
    else if (klen > 0)
        memcpy(k0, key, klen);
    for (int i = 0; i < 64; i++) {
        ipad[i] = k0[i] ^ 0x36;
        opad[i] = k0[i] ^ 0x5c;
    }
    crypto_sm3_ctx c;
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, ipad, 64);
    crypto_sm3_update(&c, p, n);
    crypto_sm3_final(&c, inner);
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, opad, 64);
    crypto_sm3_update(&c, inner, 32);
    crypto_sm3_final(&c, out);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
    OPENSSL_cleanse(inner, sizeof(inner));
}

int crypto_sm4_cbc(int enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                   size_t len, sc_buf *out, sc_err *e)
{
    if (len > (size_t)INT32_MAX - 32)
        return sc_fail(e, SC_ETOOBIG, "sm4.too_big", "SM4 input too large");
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int rc = SC_ECRYPTO, n1 = 0, n2 = 0;
    if (c == NULL || sc_buf_reserve(out, len + 16) != 0) goto out;
    if (EVP_CipherInit_ex(c, EVP_sm4_cbc(), NULL, key, iv, enc) != 1 ||
        EVP_CipherUpdate(c, out->p + out->len, &n1, in, (int)len) != 1)
        goto out;
    if (EVP_CipherFinal_ex(c, out->p + out->len + n1, &n2) != 1) {
        rc = sc_fail(e, SC_EVERIFY, "sm4.bad_padding", "SM4-CBC: bad padding or wrong key");
        goto out;
    }
    out->len += (size_t)(n1 + n2);
    rc = 0;
out:
    if (rc == SC_ECRYPTO) sc_fail_ossl(e, rc, "sm4.fail", "SM4-CBC failed");
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int crypto_sm4_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, size_t len,
                   uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int rc = SC_ECRYPTO;
    size_t off = 0;
    if (c == NULL || EVP_EncryptInit_ex(c, EVP_sm4_ctr(), NULL, key, iv) != 1) goto out;
    while (off < len) {
        int chunk = len - off > (1 << 30) ? (1 << 30) : (int)(len - off), n = 0;
        if (EVP_EncryptUpdate(c, out + off, &n, in + off, chunk) != 1 || n != chunk) goto out;
        off += (size_t)chunk;
    }
    rc = 0;
out:
    EVP_CIPHER_CTX_free(c);
    return rc;
}

/* Separate encryption and MAC keys from one 32-byte key, so that the same bytes never serve
 * two purposes (HMAC-SM3 as a PRF with distinct labels). */
static void aead_keys(const uint8_t key[32], uint8_t ek[16], uint8_t mk[32])
{
    uint8_t t[32];
    crypto_hmac_sm3(key, 32, "sealca aead enc", 15, t);
    memcpy(ek, t, 16);
    crypto_hmac_sm3(key, 32, "sealca aead mac", 15, mk);
    OPENSSL_cleanse(t, sizeof(t));
}

static void aead_tag(const uint8_t mk[32], const uint8_t *aad, size_t aadlen, const uint8_t *ivct,
                     size_t ivctlen, uint8_t tag[32])
{
    /* HMAC over len(aad) || aad || iv || ct: the length prefix keeps aad/ct boundaries unambiguous
     */
    uint8_t k0[64] = {0}, ipad[64], opad[64], inner[32], l[8];
    memcpy(k0, mk, 32);
    for (int i = 0; i < 64; i++) {
        ipad[i] = k0[i] ^ 0x36;
        opad[i] = k0[i] ^ 0x5c;
    }
    for (int i = 0; i < 8; i++)
        l[i] = (uint8_t)((uint64_t)aadlen >> (56 - 8 * i));
    crypto_sm3_ctx c;
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, ipad, 64);
    crypto_sm3_update(&c, l, 8);
    crypto_sm3_update(&c, aad, aadlen);
    crypto_sm3_update(&c, ivct, ivctlen);
    crypto_sm3_final(&c, inner);
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, opad, 64);
    crypto_sm3_update(&c, inner, 32);
    crypto_sm3_final(&c, tag);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(ipad, sizeof(ipad));
    OPENSSL_cleanse(opad, sizeof(opad));
}

int crypto_aead_seal(const uint8_t key[32], const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                     size_t len, sc_buf *out, sc_err *e)
{
    uint8_t ek[16], mk[32];
    if (len > ((size_t)1 << 40))
        return sc_fail(e, SC_ETOOBIG, "aead.too_big", "plaintext too large");
    if (sc_buf_reserve(out, 1 + 16 + len + 32) != 0)
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    aead_keys(key, ek, mk);
    uint8_t *o = out->p + out->len;
    o[0] = 1;
    crypto_random(o + 1, 16);
    int rc = crypto_sm4_ctr(ek, o + 1, pt, len, o + 17);
    if (rc == 0) {
        aead_tag(mk, aad, aadlen, o + 1, 16 + len, o + 17 + len);
        out->len += 1 + 16 + len + 32;
    } else {
        sc_fail(e, rc, "aead.fail", "encryption failed");
    }
    OPENSSL_cleanse(ek, sizeof(ek));
    OPENSSL_cleanse(mk, sizeof(mk));
    return rc;
}

int crypto_aead_open(const uint8_t key[32], const uint8_t *aad, size_t aadlen, const uint8_t *in,
                     size_t len, sc_buf *out, sc_err *e)
{
    uint8_t ek[16], mk[32], tag[32];
    if (len < 1 + 16 + 32 || in[0] != 1)
        return sc_fail(e, SC_EINVAL, "aead.bad_format", "sealed data: bad format");
    size_t ctlen = len - 1 - 16 - 32;
    aead_keys(key, ek, mk);
    aead_tag(mk, aad, aadlen, in + 1, 16 + ctlen, tag);
    int rc = 0;
    if (sc_memeq_ct(tag, in + 17 + ctlen, 32) != 0) {
        rc = sc_fail(e, SC_EVERIFY, "aead.bad_tag", "sealed data: authentication failed");
    } else if (sc_buf_reserve(out, ctlen + 1) != 0) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    } else if ((rc = crypto_sm4_ctr(ek, in + 1, in + 17, ctlen, out->p + out->len)) == 0) {
        out->len += ctlen;
    }
    OPENSSL_cleanse(ek, sizeof(ek));
    OPENSSL_cleanse(mk, sizeof(mk));
    return rc;
}

void crypto_random(void *p, size_t n)
{
    if (n > 0 && RAND_priv_bytes(p, (int)n) != 1) {
        fputs("sealca: the random number generator failed; stopping\n", stderr);
        abort();
    }
}

int crypto_sm4_ecb(int enc, const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out)
{
    if (len % 16 != 0 || len > (size_t)INT32_MAX - 32) return SC_EINVAL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int rc = SC_ECRYPTO, n = 0;
    if (c != NULL && EVP_CipherInit_ex(c, EVP_sm4_ecb(), NULL, key, NULL, enc) == 1 &&
        EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 &&
        (size_t)n == len)
        rc = 0;
    EVP_CIPHER_CTX_free(c);
    return rc;
}
