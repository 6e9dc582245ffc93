/* kdf.c - the token's PIN KDF: argon2id from libsodium (its own file: sodium.h and crypto.h both
 * declare a crypto_sign). */
#include <sodium.h>
#include <string.h>

#include "common/err.h"

int token_kdf(const char *pin, const uint8_t salt[16], uint64_t ops, uint64_t mem, uint8_t out[32],
              sc_err *e);

int token_kdf(const char *pin, const uint8_t salt[16], uint64_t ops, uint64_t mem, uint8_t out[32],
              sc_err *e)
{
    /* limits: a file or an unlock request cannot make us spend more than 1 GiB or 10 passes */
    if (ops < 1 || ops > 10 || mem < (8u << 20) || mem > (1024ull << 20))
        return sc_fail(e, SC_EINVAL, "token.bad_kdf", "token KDF parameters out of range");
    if (sodium_init() < 0) return sc_fail(e, SC_EINTERNAL, "sodium.init", "libsodium init failed");
    if (crypto_pwhash(out, 32, pin, strlen(pin), salt, ops, (size_t)mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return sc_fail(e, SC_ENOMEM, "token.kdf", "argon2id failed (out of memory?)");
    return 0;
}
