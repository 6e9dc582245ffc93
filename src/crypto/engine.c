/* engine.c - choice of SM2 implementation and the bridge to the fast engine (src/crypto/sm2). */
#include "crypto/crypto_int.h"

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sm2/sm2fast.h"

static int engine_state = -1; /* -1 = not yet read from the environment */

sc_sm2_engine crypto_sm2_engine(void)
{
    int s = __atomic_load_n(&engine_state, __ATOMIC_ACQUIRE);
    if (s < 0) {
        /* the fast engine is the default: it passes the GM/T vectors, the differential tests
         * against OpenSSL and the constant-time audit (tests/unit/test_sm2fast.c, make ctgrind) */
        const char *v = getenv("SEALCA_SM2_ENGINE");
        s = (v != NULL && strcmp(v, "openssl") == 0) ? SC_SM2_ENGINE_OPENSSL : SC_SM2_ENGINE_FAST;
        __atomic_store_n(&engine_state, s, __ATOMIC_RELEASE);
    }
    return (sc_sm2_engine)s;
}

const char *crypto_sm2_engine_name(void)
{
    return crypto_sm2_engine() == SC_SM2_ENGINE_FAST ? "fast" : "openssl";
}

int crypto_sm2_engine_set(sc_sm2_engine eng)
{
    if (eng != SC_SM2_ENGINE_FAST && eng != SC_SM2_ENGINE_OPENSSL) return SC_EINVAL;
    __atomic_store_n(&engine_state, (int)eng, __ATOMIC_RELEASE);
    return 0;
}

void *crypto_fast_pub_new(const uint8_t pt[65])
{
    return sm2fast_pub_new(pt);
}

int crypto_fast_keygen(uint8_t d[32], uint8_t pt[65])
{
    return sm2fast_keygen(d, pt);
}

/* The engine contexts are made once per key (they hold precomputation) under the key's lock. */
static sm2fast_priv *fast_priv(sc_key *k)
{
    sm2fast_priv *p = __atomic_load_n((sm2fast_priv **)&k->fast_priv, __ATOMIC_ACQUIRE);
    if (p != NULL) return p;
    pthread_mutex_lock(&k->lock);
    if (k->fast_priv == NULL) {
        uint8_t d[32];
        if (crypto_key_sm2_private(k, d) == 0)
            __atomic_store_n((sm2fast_priv **)&k->fast_priv, sm2fast_priv_new(d), __ATOMIC_RELEASE);
        sc_wipe(d, sizeof(d));
    }
    pthread_mutex_unlock(&k->lock);
    return k->fast_priv;
}

static sm2fast_pub *fast_pub(sc_key *k)
{
    sm2fast_pub *p = __atomic_load_n((sm2fast_pub **)&k->fast_pub, __ATOMIC_ACQUIRE);
    if (p != NULL) return p;
    pthread_mutex_lock(&k->lock);
    if (k->fast_pub == NULL && k->have_pt)
        __atomic_store_n((sm2fast_pub **)&k->fast_pub, sm2fast_pub_new(k->pt), __ATOMIC_RELEASE);
    pthread_mutex_unlock(&k->lock);
    return k->fast_pub;
}

int crypto_fast_sign(sc_key *k, const uint8_t e[32], uint8_t rs[64])
{
    sm2fast_priv *p = fast_priv(k);
    return p != NULL ? sm2fast_sign(p, e, rs, rs + 32) : -1;
}

int crypto_fast_verify(sc_key *k, const uint8_t e[32], const uint8_t rs[64])
{
    sm2fast_pub *p = fast_pub(k);
    return p != NULL ? sm2fast_verify(p, e, rs, rs + 32) : -1;
}

int crypto_fast_encrypt(sc_key *k, const uint8_t *m, size_t mlen, uint8_t *out)
{
    sm2fast_pub *p = fast_pub(k);
    return p != NULL ? sm2fast_encrypt(p, m, mlen, NULL, out) : -1;
}

int crypto_fast_decrypt(sc_key *k, const uint8_t *c, size_t clen, uint8_t *out)
{
    sm2fast_priv *p = fast_priv(k);
    return p != NULL ? sm2fast_decrypt(p, c, clen, out) : -1;
}

void crypto_fast_free_pub(void *p)
{
    sm2fast_pub_free(p);
}

void crypto_fast_free(sc_key *k)
{
    sm2fast_priv_free(k->fast_priv);
    sm2fast_pub_free(k->fast_pub);
    k->fast_priv = NULL;
    k->fast_pub = NULL;
}
