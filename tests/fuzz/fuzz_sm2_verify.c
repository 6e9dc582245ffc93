/* fuzz_sm2_verify.c - libFuzzer differential target: the fast engine's SM2 verify must agree with
 * OpenSSL 3.0 on every (key, e, r, s). */
/*
 * Input: mode byte, then fields (zero-padded if short).
 *   mode%3 == 0: raw point x||y (64), e, r, s            - mostly invalid keys / signatures
 *   mode%3 == 1: scalar d (32) -> P = dG, e, r, s         - valid key, arbitrary signature
 *   mode%3 == 2: d, e, k, pos, xor: sign with k, then flip byte pos of e||r||s by xor
 *                (xor = 0 keeps the valid signature)     - near-valid signatures
 * OpenSSL verifies the raw digest e with EVP_PKEY_verify (its SM2 signature provider
 * takes tbs as e). Any disagreement, including on key validity, aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/sm2/sm2fast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *ossl_pub(const uint8_t pt[65])
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    EVP_PKEY *k = NULL;
    if (b == NULL) abort();
    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0);
    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, 65);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (EVP_PKEY_fromdata_init(c) != 1) abort();
    if (EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) k = NULL;
    EVP_PKEY_CTX_free(c);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    /* OpenSSL 3.0 may import an off-curve point lazily: run its public key check too */
    if (k != NULL) {
        EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new(k, NULL);
        int ok = EVP_PKEY_public_check(chk);
        EVP_PKEY_CTX_free(chk);
        if (ok != 1) {
            EVP_PKEY_free(k);
            k = NULL;
        }
    }
    return k;
}

static int ossl_verify(EVP_PKEY *k, const uint8_t e[32], const uint8_t r[32], const uint8_t s[32])
{
    uint8_t der[80], *p = der;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(r, 32, NULL), BN_bin2bn(s, 32, NULL));
    int dl = i2d_ECDSA_SIG(sig, &p);
    ECDSA_SIG_free(sig);
    if (dl <= 0) abort();
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
    if (EVP_PKEY_verify_init(c) != 1) abort();
    int rc = EVP_PKEY_verify(c, der, (size_t)dl, e, 32);
    EVP_PKEY_CTX_free(c);
    return rc == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t in[1 + 32 * 3 + 64 + 2];
    uint8_t pt[65], e[32], r[32], s[32];
    memset(in, 0, sizeof(in));
    memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
    int mode = in[0] % 3;
    const uint8_t *f = in + 1;
    pt[0] = 0x04;
    if (mode == 0) {
        memcpy(pt + 1, f, 64);
        memcpy(e, f + 64, 32);
        memcpy(r, f + 96, 32);
        memcpy(s, f + 128, 32);
    } else {
        if (sm2fast_mul(f, NULL, pt) != 1) return 0; /* d = 0 mod n: no key */
        memcpy(e, f + 32, 32);
        if (mode == 1) {
            memcpy(r, f + 64, 32);
            memcpy(s, f + 96, 32);
        } else {
            sm2fast_priv *priv = sm2fast_priv_new(f);
            if (priv == NULL) return 0;
            int rc = sm2fast_sign_with_k(priv, e, f + 64, r, s);
            sm2fast_priv_free(priv);
            if (rc != 0) return 0;
            uint8_t ers[96];
            memcpy(ers, e, 32);
            memcpy(ers + 32, r, 32);
            memcpy(ers + 64, s, 32);
            ers[f[96] % 96] ^= f[97];
            memcpy(e, ers, 32);
            memcpy(r, ers + 32, 32);
            memcpy(s, ers + 64, 32);
        }
    }
    sm2fast_pub *pub = sm2fast_pub_new(pt);
    EVP_PKEY *k = ossl_pub(pt);
    if ((pub == NULL) != (k == NULL)) abort(); /* key validity disagrees */
    if (pub != NULL) {
        int a = sm2fast_verify(pub, e, r, s);
        int b = ossl_verify(k, e, r, s);
        if (a != b) abort();
        if (mode == 2 && f[97] == 0 && a != 1) abort(); /* an untouched signature must verify */
    }
    sm2fast_pub_free(pub);
    EVP_PKEY_free(k);
    return 0;
}
