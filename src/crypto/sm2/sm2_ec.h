/* sm2_ec.h - internal interface of the SM2 engine's curve arithmetic (GM/T 0003.1 / GB/T 32918.1);
 * not a public API. */
#ifndef SEALCA_SM2_EC_H
#define SEALCA_SM2_EC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Constant-time audit hook: a value computed from secrets that is about to become
 * public anyway (a signature component, "key accepted", "decryption failed") is
 * declassified before the code branches on it. Under scripts/ctgrind.sh this tells
 * valgrind the bytes are defined; otherwise it is a no-op.
 */
#ifdef SEALCA_CTGRIND
#include <valgrind/memcheck.h>
#define SM2_DECLASSIFY(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
/* fresh random bytes are secret: the audit then follows them into keys and nonces */
#define SM2_CLASSIFY(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#else
#define SM2_DECLASSIFY(p, n) ((void)(p), (void)(n))
#define SM2_CLASSIFY(p, n)   ((void)(p), (void)(n))
#endif

/* An affine point, coordinates in Montgomery form mod p (x*2^256 mod p). Never infinity. */
typedef struct sm2_aff {
    uint64_t x[4];
    uint64_t y[4];
} sm2_aff;

/* For wNAF verification (window 7): the public scalar is split into 4 pieces of 64 bits, and
 * odd[j] holds the odd multiples Q, 3Q, ..., 63Q of Q = 2^(64j) P, so only 64 doublings are shared.
 */
#define SM2_PUBTAB_N     32
#define SM2_PUBTAB_SPLIT 4
typedef struct sm2_pubtab {
    sm2_aff odd[SM2_PUBTAB_SPLIT][SM2_PUBTAB_N];
} sm2_pubtab;

/* Builds the fixed-base comb table once (thread-safe) and selects the code path. */
void sm2_ec_init(void);
const char *sm2_ec_impl(void);
/* For tests: force the portable path (1) or restore the run-time choice (0). Returns the new name.
 */
const char *sm2_ec_force_c(int force);
int sm2_ec_have_asm(void);

/* For tests: one field operation mod p in Montgomery form, r = a*b/2^256 (op 0), a^2/2^256
 * (op 1) or a - b (op 2), on the portable C code (impl 0) or the MULX/ADX code (impl 1). Returns -1
 * if an input is >= p or the code path does not exist on this CPU. */
int sm2_ec_fp_op(int op, int impl, uint64_t r[4], const uint64_t a[4], const uint64_t b[4]);

/* Bytes x||y (64) -> affine; -1 if a coordinate >= p or the point is not on the curve. Public data
 * only. */
int sm2_ec_aff_from_bytes(sm2_aff *a, const uint8_t xy[64]);
void sm2_ec_aff_to_bytes(uint8_t xy[64], const sm2_aff *a);

/* Constant time in k. out = k*G for any 256-bit k; returns 1, or 0 (out zeroed) when the result is
 * infinity. */
int sm2_ec_mul_g(sm2_aff *out, const uint64_t k[4]);
/* Constant time in k. out = k*P. Same return convention. */
int sm2_ec_mul(sm2_aff *out, const uint64_t k[4], const sm2_aff *p);

/* Constant time in the scalars. x[j] = x(k[j]*G) as a plain integer < p, for cnt scalars
 * (1 <= cnt <= SM2_GBATCH_MAX) in [1, n-1] (checked by the caller), sharing few field
 * inversions. bad[j] is ~0 (secret: declassify before use) when x[j] is not valid and k[j]
 * must be discarded (a safety net: cannot happen for k in [1, n-1], see sm2_ec_tmpl.h). scratch
 * holds sm2_ec_gbatch_scratch_size() bytes, 32-byte aligned (malloc is enough). */
#define SM2_GBATCH_MAX 128
size_t sm2_ec_gbatch_scratch_size(void);
void sm2_ec_mul_g_x_batch(uint64_t (*x)[4], uint64_t *bad, const uint64_t (*k)[4], int cnt,
                          void *scratch);

/* Variable time (public inputs). */
void sm2_ec_pubtab_init(sm2_pubtab *t, const sm2_aff *p);
/* 1 if x(u1*G + u2*P) mod n == rme (all < n), 0 otherwise (including infinity). */
int sm2_ec_verify_x(const uint64_t u1[4], const uint64_t u2[4], const sm2_pubtab *t,
                    const uint64_t rme[4]);

/* Scalars mod n as 4 little-endian 64-bit limbs; all constant time. */
void sm2_sn_from_bytes(uint64_t r[4], const uint8_t b[32]);
void sm2_sn_to_bytes(uint8_t b[32], const uint64_t a[4]);
uint64_t sm2_sn_lt_n_mask(const uint64_t a[4]);    /* ~0 if a < n */
uint64_t sm2_sn_is_zero_mask(const uint64_t a[4]); /* ~0 if a == 0 */
uint64_t sm2_sn_eq_mask(const uint64_t a[4], const uint64_t b[4]);
void sm2_sn_reduce_once(uint64_t r[4], const uint64_t a[4]); /* a mod n for any a < 2^256 (< 2n) */
void sm2_sn_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]); /* inputs < n */
void sm2_sn_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]);
void sm2_sn_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]);
void sm2_sn_inv(uint64_t r[4], const uint64_t a[4]); /* a^(n-2) mod n; 0 -> 0 */
/* Montgomery form mod n (R = 2^256), for a constant multiplied many times: to_mont gives
 * a*R mod n once, then mont_mul(am, b) = am*b/R = a*b mod n in one multiplication. */
void sm2_sn_to_mont(uint64_t r[4], const uint64_t a[4]);
void sm2_sn_mont_mul(uint64_t r[4], const uint64_t am[4], const uint64_t b[4]);
/* Wipes memory the compiler may not elide (secrets). */
void sm2_ct_wipe(void *p, size_t n);

#endif
