/* engine.c - choice of SM2 implementation and the bridge to the fast engine (src/crypto/sm2). */
#include "crypto/crypto_int.h"

#include <stdlib.h>
#include <string.h>

static int engine_state = -1; /* -1 = not yet read from the environment */

static int fast_available(void)
{
    return 0; /* the fast engine is not linked in yet */
}

sc_sm2_engine crypto_sm2_engine(void)
{
    int s = __atomic_load_n(&engine_state, __ATOMIC_ACQUIRE);
    if (s < 0) {
        const char *v = getenv("SEALCA_SM2_ENGINE");
        s = (v != NULL && strcmp(v, "fast") == 0 && fast_available()) ? SC_SM2_ENGINE_FAST
                                                                      : SC_SM2_ENGINE_OPENSSL;
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
    if (eng == SC_SM2_ENGINE_FAST && !fast_available())
        return SC_EINVAL;
    __atomic_store_n(&engine_state, (int)eng, __ATOMIC_RELEASE);
    return 0;
}

int crypto_fast_sign(sc_key *k, const uint8_t e[32], uint8_t rs[64])
{
    return -1;
}

int crypto_fast_verify(sc_key *k, const uint8_t e[32], const uint8_t rs[64])
{
    return -1;
}

int crypto_fast_encrypt(sc_key *k, const uint8_t *m, size_t mlen, uint8_t *out)
{
    return -1;
}

int crypto_fast_decrypt(sc_key *k, const uint8_t *c, size_t clen, uint8_t *out)
{
    return -1;
}

void crypto_fast_free(sc_key *k)
{
}
