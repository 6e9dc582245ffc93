/* ctgrind_sm2.c - constant-time audit of the fast SM2 engine: secrets are marked undefined for
 * valgrind memcheck, which then reports any branch or memory index that depends on them. */
/*
 * Built by scripts/ctgrind.sh with -DSEALCA_CTGRIND (no sanitizers, -O2 -g) and run
 * under `valgrind --error-exitcode=1`. Covered: private-key setup, signing (pooled
 * nonce and caller-supplied nonce), key generation (getrandom output is marked secret
 * inside the engine in this build), encryption (secret nonce, both scalar mults),
 * decryption (d*C1 + KDF + C3 check) and the raw scalar mults. Values that become
 * public (signature, ciphertext, success flag) are declassified at the point they are
 * released, in the engine (SM2_DECLASSIFY) or here before they are compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "crypto/sm2/sm2fast.h"
#include "crypto/sm2/sm3.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int fails;

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "ctgrind_sm2: functional check failed: %s\n", what);
        fails++;
    }
}

int main(void)
{
    uint8_t d[32], k[32], e[32], r[32], s[32], pt[65], out[65], ct[97 + 40], m[40];
    static const uint8_t msg[40] = "constant time or it did not happen......";
    printf("ctgrind_sm2: engine path %s\n", sm2fast_impl());
    memset(e, 0x5a, sizeof(e));

    for (int round = 0; round < 3; round++) {
        /* key generation: scalar mult on secret getrandom() output */
        check(sm2fast_keygen(d, pt) == 0, "keygen");
        PUBLIC(pt, sizeof(pt));
        sm2fast_pub *pub = sm2fast_pub_new(pt);
        check(pub != NULL, "keygen point valid");

        /* private key setup with a secret d */
        SECRET(d, sizeof(d));
        sm2fast_priv *priv = sm2fast_priv_new(d);
        check(priv != NULL, "priv_new");
        if (priv == NULL || pub == NULL) return 1;

        /* signature with a pooled nonce (the first call fills the pool: the batch runs here) */
        check(sm2fast_sign(priv, e, r, s) == 0, "sign");
        PUBLIC(r, 32);
        PUBLIC(s, 32);
        check(sm2fast_verify(pub, e, r, s) == 1, "sign verifies");

        /* caller-supplied secret nonce */
        memset(k, 0x11 * (round + 1), sizeof(k));
        SECRET(k, sizeof(k));
        check(sm2fast_sign_with_k(priv, e, k, r, s) == 0, "sign_with_k");
        PUBLIC(r, 32);
        PUBLIC(s, 32);
        check(sm2fast_verify(pub, e, r, s) == 1, "sign_with_k verifies");

        /* encryption (random secret nonce) and decryption with secret d */
        check(sm2fast_encrypt(pub, msg, sizeof(msg), NULL, ct) == 0, "encrypt");
        PUBLIC(ct, sizeof(ct));
        int rc = sm2fast_decrypt(priv, ct, sizeof(ct), m);
        PUBLIC(&rc, sizeof(rc));
        PUBLIC(m, sizeof(m));
        check(rc == 0 && memcmp(m, msg, sizeof(msg)) == 0, "decrypt");
        /* failing decryption (bad C3) must be just as quiet */
        ct[70] ^= 1;
        rc = sm2fast_decrypt(priv, ct, sizeof(ct), m);
        PUBLIC(&rc, sizeof(rc));
        check(rc == -1, "bad C3 refused");

        /* raw fixed-base and variable-base mults on a secret scalar */
        memset(k, 0xa5 ^ round, sizeof(k));
        SECRET(k, sizeof(k));
        int r1 = sm2fast_mul(k, NULL, out);
        PUBLIC(&r1, sizeof(r1));
        PUBLIC(out, sizeof(out));
        SECRET(k, sizeof(k));
        int r2 = sm2fast_mul(k, pt, out);
        PUBLIC(&r2, sizeof(r2));
        PUBLIC(out, sizeof(out));
        check(r1 == 1 && r2 == 1, "mul");

        sm2fast_priv_free(priv);
        sm2fast_pub_free(pub);
    }
    printf("ctgrind_sm2: %s\n", fails ? "FUNCTIONAL FAILURE" : "done");
    return fails ? 1 : 0;
}
