/* sym.c - SM3 (native, GB/T 32905), SHA-1/256, HMAC-SM3, SM4 CBC/CTR, SM3-MAC'd AEAD, random. */
#include "crypto/crypto_int.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SM3 (GB/T 32905-2016). Native: called per record by the audit log and per signature,
 * where EVP's per-call fetch and allocation would cost more than the hash itself. ---- */

#define ROTL(x, n) (((x) << ((n)&31)) | ((x) >> ((32 - ((n)&31)) & 31)))
#define P0(x) ((x) ^ ROTL((x), 9) ^ ROTL((x), 17))
#define P1(x) ((x) ^ ROTL((x), 15) ^ ROTL((x), 23))

static void sm3_block(uint32_t st[8], const uint8_t *p)
{
    uint32_t w[68], w1[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 68; i++)
        w[i] = P1(w[i - 16] ^ w[i - 9] ^ ROTL(w[i - 3], 15)) ^ ROTL(w[i - 13], 7) ^ w[i - 6];
    for (int i = 0; i < 64; i++)
        w1[i] = w[i] ^ w[i + 4];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6],
             h = st[7];
    for (int j = 0; j < 64; j++) {
        uint32_t t = j < 16 ? 0x79cc4519U : 0x7a879d8aU;
        uint32_t ss1 = ROTL(ROTL(a, 12) + e + ROTL(t, j % 32), 7);
        uint32_t ss2 = ss1 ^ ROTL(a, 12);
        uint32_t ff = j < 16 ? (a ^ b ^ c) : ((a & b) | (a & c) | (b & c));
        uint32_t gg = j < 16 ? (e ^ f ^ g) : ((e & f) | (~e & g));
        uint32_t tt1 = ff + d + ss2 + w1[j];
        uint32_t tt2 = gg + h + ss1 + w[j];
        d = c;
        c = ROTL(b, 9);
        b = a;
        a = tt1;
        h = g;
        g = ROTL(f, 19);
        f = e;
        e = P0(tt2);
    }
    st[0] ^= a;
    st[1] ^= b;
    st[2] ^= c;
    st[3] ^= d;
    st[4] ^= e;
    st[5] ^= f;
    st[6] ^= g;
    st[7] ^= h;
}

void crypto_sm3_init(crypto_sm3_ctx *c)
{
    static const uint32_t iv[8] = {0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
                                   0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e};
    memcpy(c->st, iv, sizeof(iv));
    c->nbytes = 0;
    c->buflen = 0;
}

void crypto_sm3_update(crypto_sm3_ctx *c, const void *data, size_t n)
{
    const uint8_t *p = data;
    c->nbytes += n;
    if (c->buflen > 0) {
        size_t take = 64 - c->buflen < n ? 64 - c->buflen : n;
        memcpy(c->buf + c->buflen, p, take);
        c->buflen += take;
        p += take;
        n -= take;
        if (c->buflen < 64)
            return;
        sm3_block(c->st, c->buf);
        c->buflen = 0;
    }
    while (n >= 64) {
        sm3_block(c->st, p);
        p += 64;
        n -= 64;
    }
    if (n > 0) {
        memcpy(c->buf, p, n);
        c->buflen = n;
    }
}

void crypto_sm3_final(crypto_sm3_ctx *c, uint8_t out[32])
{
    uint64_t bits = c->nbytes * 8;
    uint8_t pad[72] = {0x80};
    size_t padlen = (c->buflen < 56) ? 56 - c->buflen : 120 - c->buflen;
    for (int i = 0; i < 8; i++)
        pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
    crypto_sm3_update(c, pad, padlen + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(c->st[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->st[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->st[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->st[i];
    }
    OPENSSL_cleanse(c, sizeof(*c));
}

void crypto_sm3(const void *p, size_t n, uint8_t out[32])
{
    crypto_sm3_ctx c;
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, p, n);
    crypto_sm3_final(&c, out);
}

void crypto_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
        abort();
}

void crypto_sha1(const void *p, size_t n, uint8_t out[20])
{
    unsigned int len = 20;
    if (EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) != 1)
        abort();
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
    if (c == NULL || sc_buf_reserve(out, len + 16) != 0)
        goto out;
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
    if (rc == SC_ECRYPTO)
        sc_fail_ossl(e, rc, "sm4.fail", "SM4-CBC failed");
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int crypto_sm4_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, size_t len,
                   uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int rc = SC_ECRYPTO;
    size_t off = 0;
    if (c == NULL || EVP_EncryptInit_ex(c, EVP_sm4_ctr(), NULL, key, iv) != 1)
        goto out;
    while (off < len) {
        int chunk = len - off > (1 << 30) ? (1 << 30) : (int)(len - off), n = 0;
        if (EVP_EncryptUpdate(c, out + off, &n, in + off, chunk) != 1 || n != chunk)
            goto out;
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
    /* HMAC over len(aad) || aad || iv || ct: the length prefix keeps aad/ct boundaries unambiguous */
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
