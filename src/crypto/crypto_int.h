/* crypto_int.h - internals shared by the crypto layer's files; never included outside src/crypto.
 */
#ifndef SEALCA_CRYPTO_INT_H
#define SEALCA_CRYPTO_INT_H

#include <openssl/evp.h>
#include <pthread.h>

#include "crypto/crypto.h"

struct sc_key {
    sc_alg alg;
    EVP_PKEY *pkey; /* OpenSSL's form; NULL for an SM2 public key until crypto_key_pkey() */
    uint8_t pt[65]; /* SM2: the public point 04||X||Y */
    int have_pt;
    int priv;      /* has a private half */
    uint8_t z[32]; /* SM2: Z for the default ID, computed once */
    int have_z;
    uint8_t *spki; /* DER SubjectPublicKeyInfo, encoded once (OpenSSL's encoder is slow) */
    size_t spkilen;
    pthread_mutex_t lock;         /* guards the lazily filled spki, pkey and fast contexts */
    crypto_remote_sign_fn remote; /* signatures come from elsewhere (key process) */
    void *remote_ctx;
    /* fast SM2 engine contexts, built on first use and then reused */
    void *fast_priv;
    void *fast_pub;
};

/* OpenSSL's form of the key, made on first use for keys that started without one. */
EVP_PKEY *crypto_key_pkey(sc_key *k);
/* An SM2 public key from a validated point, without an OpenSSL object (fast engine). */
sc_key *crypto_key_sm2_bare(const uint8_t pt[65], void *fast_pub, sc_err *e);

sc_key *crypto_key_wrap(EVP_PKEY *pkey, sc_err *e); /* takes ownership of pkey */
/* e = SM3(Z || msg) with the default ID (Z cached in k). */
void crypto_sm2_e(sc_key *k, const uint8_t *msg, size_t len, uint8_t e_out[32]);

/* fast engine bridge (sm2_engine.c) */
int crypto_fast_sign(sc_key *k, const uint8_t e[32], uint8_t rs[64]);
int crypto_fast_verify(sc_key *k, const uint8_t e[32],
                       const uint8_t rs[64]); /* 1 ok, 0 bad, <0 n/a */
int crypto_fast_encrypt(sc_key *k, const uint8_t *m, size_t mlen, uint8_t *out);
int crypto_fast_decrypt(sc_key *k, const uint8_t *c, size_t clen, uint8_t *out);
void crypto_fast_free(sc_key *k);
void crypto_fast_free_pub(void *p);
/* Fast engine: the point is on the curve and not infinity; returns a new sm2fast_pub or NULL. */
void *crypto_fast_pub_new(const uint8_t pt[65]);
int crypto_fast_keygen(uint8_t d[32], uint8_t pt[65]);

#endif
