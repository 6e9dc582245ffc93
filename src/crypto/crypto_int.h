/* crypto_int.h - internals shared by the crypto layer's files; never included outside src/crypto. */
#ifndef SEALCA_CRYPTO_INT_H
#define SEALCA_CRYPTO_INT_H

#include <openssl/evp.h>
#include <pthread.h>

#include "crypto/crypto.h"

struct sc_key {
    sc_alg alg;
    EVP_PKEY *pkey;     /* always present: OpenSSL holds the canonical key */
    int priv;           /* has a private half */
    uint8_t z[32];      /* SM2: Z for the default ID, computed once */
    int have_z;
    uint8_t *spki;      /* DER SubjectPublicKeyInfo, encoded once (OpenSSL's encoder is slow) */
    size_t spkilen;
    pthread_mutex_t lock; /* guards the lazily filled spki */
    /* fast SM2 engine contexts, built lazily on first use and then reused */
    pthread_once_t fast_once;
    void *fast_priv;
    void *fast_pub;
    int fast_failed;
};

sc_key *crypto_key_wrap(EVP_PKEY *pkey, sc_err *e); /* takes ownership of pkey */
/* e = SM3(Z || msg) with the default ID (Z cached in k). */
void crypto_sm2_e(sc_key *k, const uint8_t *msg, size_t len, uint8_t e_out[32]);

/* fast engine bridge (sm2_engine.c) */
int crypto_fast_sign(sc_key *k, const uint8_t e[32], uint8_t rs[64]);
int crypto_fast_verify(sc_key *k, const uint8_t e[32], const uint8_t rs[64]); /* 1 ok, 0 bad, <0 n/a */
int crypto_fast_encrypt(sc_key *k, const uint8_t *m, size_t mlen, uint8_t *out);
int crypto_fast_decrypt(sc_key *k, const uint8_t *c, size_t clen, uint8_t *out);
void crypto_fast_free(sc_key *k);

#endif
