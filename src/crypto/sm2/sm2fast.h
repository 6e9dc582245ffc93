/* sm2fast.h - sealca's own constant-time SM2 engine (GM/T 0003-2012 / GB/T 32918): sign, verify,
 * encrypt, decrypt; no OpenSSL. */
#ifndef SEALCA_SM2FAST_H
#define SEALCA_SM2FAST_H

#include <stddef.h>
#include <stdint.h>

/* Integers are 32-byte big-endian; points are 65-byte uncompressed 04||X||Y. */
typedef struct sm2fast_priv sm2fast_priv; /* opaque; long-lived signing/decryption context */
typedef struct sm2fast_pub sm2fast_pub;   /* opaque; long-lived verification/encryption context */

/* NULL if not 04-prefixed, coords >= p, not on curve, or infinity (or out of memory). */
sm2fast_pub *sm2fast_pub_new(const uint8_t pt[65]);
void sm2fast_pub_free(sm2fast_pub *);
/* NULL unless 1 <= d <= n-2; precomputes P=dG and (1+d)^-1. */
sm2fast_priv *sm2fast_priv_new(const uint8_t d[32]);
void sm2fast_priv_free(sm2fast_priv *); /* wipes */
void sm2fast_priv_public(const sm2fast_priv *, uint8_t pt[65]);
/* 0 ok; d uniform in [1, n-2] from getrandom(). */
int sm2fast_keygen(uint8_t d[32], uint8_t pt[65]);
/* e = SM3(Z || M) computed by the caller. Nonce: uniform in [1, n-1] from getrandom(), drawn ahead
 * of time in per-thread batches of (k, x(kG)) (fork-safe: see sm2fast.c), never predictable.
 * Thread-safe. 0 ok. */
int sm2fast_sign(const sm2fast_priv *, const uint8_t e[32], uint8_t r[32], uint8_t s[32]);
/* Only for test vectors: the caller supplies k (1 <= k <= n-1). 0 ok, -1 if k is out of range or
 * retry needed. */
int sm2fast_sign_with_k(const sm2fast_priv *, const uint8_t e[32], const uint8_t k[32],
                        uint8_t r[32], uint8_t s[32]);
/* 1 valid, 0 invalid (r,s = 0 or >= n refused). */
int sm2fast_verify(const sm2fast_pub *, const uint8_t e[32], const uint8_t r[32],
                   const uint8_t s[32]);
/* out = C1(65) || C3(32) || C2(mlen), the GM/T 0003-2012 order; k_or_null for test vectors.
 * 0 ok. mlen >= 1; out must not overlap m. */
int sm2fast_encrypt(const sm2fast_pub *, const uint8_t *m, size_t mlen, const uint8_t *k_or_null,
                    uint8_t *out);
/* in = C1||C3||C2; m gets inlen-97 bytes. 0 ok, -1 on bad C1 (not on curve), all-zero KDF output
 * or bad C3 (checked in constant time); on -1, m is zeroed. */
int sm2fast_decrypt(const sm2fast_priv *, const uint8_t *in, size_t inlen, uint8_t *m);
/* Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA), GM/T 0003.2 §5.5 (idlen < 8192). */
void sm2fast_z(const uint8_t pt[65], const uint8_t *id, size_t idlen, uint8_t z[32]);
/* For differential tests: out = k*P (P NULL means G). Returns 1 and writes out, or 0 if the result
 * is infinity, -1 if P is not a valid point. k is any 32-byte value, including 0, n, >= n. */
int sm2fast_mul(const uint8_t k[32], const uint8_t *pt_or_null, uint8_t out[65]);
/* Which code path was selected at run time: "c64" or "x86-64 mulx/adx" (SEALCA_SM2_IMPL=c forces
 * c64). */
const char *sm2fast_impl(void);

#endif
