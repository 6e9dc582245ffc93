/* sm2_ec.c - SM2 field (mod p), scalar (mod n) and point arithmetic with fixed-base comb tables; no
 * OpenSSL. */
#include "crypto/sm2/sm2_ec.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The SLP vectorizer turns the 4-limb carry chains into scalar-store / vector-load
 * sequences that stall on store forwarding; the table scans use explicit vectors. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-vectorize")
#endif

typedef unsigned __int128 u128;
typedef __int128 i128;
typedef uint64_t fe[4];

typedef struct jpt { /* Jacobian (X:Y:Z) = (X/Z^2, Y/Z^3), Montgomery form; Z = 0 is infinity */
    fe X, Y, Z;
} jpt;

/* GM/T 0003.5 §2: p = 2^256 - 2^224 - 2^96 + 2^64 - 1, n, b, G. Little-endian limbs. */
static const fe FP_P = {0xffffffffffffffffULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL,
                        0xfffffffeffffffffULL};
static const fe FP_R2 = {0x0000000200000003ULL, 0x00000002ffffffffULL, 0x0000000100000001ULL,
                         0x0000000400000002ULL}; /* 2^512 mod p */
static const fe FP_ZERO = {0, 0, 0, 0};
static const fe FP_ONE = {0x0000000000000001ULL, 0x00000000ffffffffULL, 0x0000000000000000ULL,
                          0x0000000100000000ULL}; /* 2^256 mod p: 1 in Montgomery form */
static const fe FP_B = {0x90d230632bc0dd42ULL, 0x71cf379ae9b537abULL, 0x527981505ea51c3cULL,
                        0x240fe188ba20e2c8ULL}; /* b * 2^256 mod p */
static const fe FP_GX = {0x61328990f418029eULL, 0x3e7981eddca6c050ULL, 0xd6a1ed99ac24c3c3ULL,
                         0x91167a5ee1c13b05ULL};
static const fe FP_GY = {0xc1354e593c2d0dddULL, 0xc1f5e5788d3295faULL, 0x8d4cfb066e2a48f8ULL,
                         0x63cd65d481d735bdULL};
static const uint64_t SN_N[4] = {0x53bbf40939d54123ULL, 0x7203df6b21c6052bULL,
                                 0xffffffffffffffffULL, 0xfffffffeffffffffULL};
static const uint64_t SN_R2[4] = {0x901192af7c114f20ULL, 0x3464504ade6fa2faULL,
                                  0x620fc84c3affe0d4ULL, 0x1eb5e412a22b3d3bULL};
static const uint64_t SN_N0 = 0x327f9e8872350975ULL; /* -n^-1 mod 2^64 */

/* ---- constant-time helpers ---- */

static inline uint64_t ct_mask_nz(uint64_t x)
{
    return (uint64_t)0 - ((x | ((uint64_t)0 - x)) >> 63);
}
static inline uint64_t ct_mask_z(uint64_t x)
{
    return ~ct_mask_nz(x);
}
static inline uint64_t ct_mask_eq(uint64_t a, uint64_t b)
{
    return ct_mask_z(a ^ b);
}

void sm2_ct_wipe(void *p, size_t n)
{
    memset(p, 0, n);
    /* the compiler must assume the zeroed bytes are read, so it cannot drop the memset */
    __asm__ volatile("" : : "r"(p) : "memory");
}

static inline void fe_copy(fe r, const fe a)
{
    memcpy(r, a, sizeof(fe));
}

/* r = mask ? a : r for mask 0 or ~0, without a branch. On x86-64 with CMOV (the instruction
 * always reads its source and is not predicted: constant time), 9 instructions instead of 24. */
static inline void fe_cmov(fe r, const fe a, uint64_t mask)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    uint64_t t0 = r[0], t1 = r[1], t2 = r[2], t3 = r[3];
    __asm__("testq %[m], %[m]\n\t"
            "cmovnzq %[a0], %[t0]\n\t"
            "cmovnzq %[a1], %[t1]\n\t"
            "cmovnzq %[a2], %[t2]\n\t"
            "cmovnzq %[a3], %[t3]"
            : [t0] "+r"(t0), [t1] "+r"(t1), [t2] "+r"(t2), [t3] "+r"(t3)
            : [m] "r"(mask), [a0] "m"(a[0]), [a1] "m"(a[1]), [a2] "m"(a[2]), [a3] "m"(a[3])
            : "cc");
    r[0] = t0;
    r[1] = t1;
    r[2] = t2;
    r[3] = t3;
#else
    r[0] ^= (r[0] ^ a[0]) & mask;
    r[1] ^= (r[1] ^ a[1]) & mask;
    r[2] ^= (r[2] ^ a[2]) & mask;
    r[3] ^= (r[3] ^ a[3]) & mask;
#endif
}

static inline void jpt_cmov(jpt *r, const jpt *a, uint64_t mask)
{
    fe_cmov(r->X, a->X, mask);
    fe_cmov(r->Y, a->Y, mask);
    fe_cmov(r->Z, a->Z, mask);
}

static inline uint64_t fe_is_zero_mask(const fe a)
{
    return ct_mask_z(a[0] | a[1] | a[2] | a[3]);
}
static inline int fe_is_zero_vt(const fe a)
{
    return (a[0] | a[1] | a[2] | a[3]) == 0;
}
static inline int fe_eq_vt(const fe a, const fe b)
{
    return memcmp(a, b, sizeof(fe)) == 0;
}

/* Add / subtract with carry. On x86-64 the intrinsics give clean adc / sbb chains (GCC's
 * unsigned __int128 code for carry chains is poor); elsewhere the same in __int128. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
static inline unsigned char addc(unsigned char c, uint64_t a, uint64_t b, uint64_t *out)
{
    unsigned long long o;
    c = _addcarry_u64(c, a, b, &o);
    *out = o;
    return c;
}
static inline unsigned char subb(unsigned char c, uint64_t a, uint64_t b, uint64_t *out)
{
    unsigned long long o;
    c = _subborrow_u64(c, a, b, &o);
    *out = o;
    return c;
}
#else
static inline unsigned char addc(unsigned char c, uint64_t a, uint64_t b, uint64_t *out)
{
    u128 t = (u128)a + b + c;
    *out = (uint64_t)t;
    return (unsigned char)(t >> 64);
}
static inline unsigned char subb(unsigned char c, uint64_t a, uint64_t b, uint64_t *out)
{
    u128 t = (u128)a - b - c;
    *out = (uint64_t)t;
    return (unsigned char)((t >> 64) & 1);
}
#endif

#define ADD4(s, cout, a, b)                                                                        \
    do {                                                                                           \
        unsigned char c_ = addc(0, (a)[0], (b)[0], &(s)[0]);                                       \
        c_ = addc(c_, (a)[1], (b)[1], &(s)[1]);                                                    \
        c_ = addc(c_, (a)[2], (b)[2], &(s)[2]);                                                    \
        (cout) = addc(c_, (a)[3], (b)[3], &(s)[3]);                                                \
    } while (0)
#define SUB4(d, bout, a, b)                                                                        \
    do {                                                                                           \
        unsigned char c_ = subb(0, (a)[0], (b)[0], &(d)[0]);                                       \
        c_ = subb(c_, (a)[1], (b)[1], &(d)[1]);                                                    \
        c_ = subb(c_, (a)[2], (b)[2], &(d)[2]);                                                    \
        (bout) = subb(c_, (a)[3], (b)[3], &(d)[3]);                                                \
    } while (0)

/* ---- field mod p; every value fully reduced to [0, p) ---- */

static inline void fp_add(fe r, const fe a, const fe b)
{
    uint64_t s[4], d[4], carry, borrow;
    ADD4(s, carry, a, b);
    SUB4(d, borrow, s, FP_P);
    /* subtract p when the sum carried out or is >= p */
    uint64_t m = (uint64_t)0 - (carry | (borrow ^ 1));
    r[0] = (d[0] & m) | (s[0] & ~m);
    r[1] = (d[1] & m) | (s[1] & ~m);
    r[2] = (d[2] & m) | (s[2] & ~m);
    r[3] = (d[3] & m) | (s[3] & ~m);
}

static inline void fp_sub(fe r, const fe a, const fe b)
{
    uint64_t d[4], borrow, carry;
    SUB4(d, borrow, a, b);
    uint64_t m = (uint64_t)0 - borrow;
    const fe pm = {FP_P[0] & m, FP_P[1] & m, FP_P[2] & m, FP_P[3] & m};
    ADD4(r, carry, d, pm);
    (void)carry;
}

static inline void fp_neg(fe r, const fe a)
{
    static const fe zero = {0, 0, 0, 0};
    fp_sub(r, zero, a);
}

/* r = mask ? p - r : r (mask 0 or ~0) for r in [1, p - 1], branch-free: the comb table's y
 * coordinates, never 0 (no point of prime order has y = 0), so p - r needs no reduction. */
static inline void fp_cneg_nz(fe r, uint64_t mask)
{
    fe n;
    uint64_t borrow;
    SUB4(n, borrow, FP_P, r);
    (void)borrow; /* r <= p - 1: none */
    fe_cmov(r, n, mask);
}

/*
 * Montgomery reduction by R = 2^256 exploiting p = 2^256 - 2^224 - 2^96 + 2^64 - 1:
 * -p^-1 = 1 mod 2^64, so each round's multiplier is m = u0, and since u0 + m*(-1) = 0,
 * (u + m*p) / 2^64 = u[1..3] + m*c with c = (p+1)/2^64 = 2^192 - 2^160 - 2^32 + 1,
 * a 3-limb constant: 3 multiplications per round and no carry beyond 4 limbs
 * (u[1..3] + m*c < 2^192 + (2^64-1)c < 2^256). The reduced low half is then added
 * to the high half; the sum is < 2p, so one conditional subtraction finishes.
 */
#define FP_C0 0xffffffff00000001ULL
#define FP_C1 0xffffffffffffffffULL
#define FP_C2 0xfffffffeffffffffULL

#define FP_RED_ROUND(u0, u1, u2, u3)                                                               \
    do {                                                                                           \
        uint64_t m_ = (u0), c_;                                                                    \
        u128 a_ = (u128)m_ * FP_C0 + (u1);                                                         \
        (u0) = (uint64_t)a_;                                                                       \
        c_ = (uint64_t)(a_ >> 64);                                                                 \
        a_ = (u128)m_ * FP_C1 + (u2) + c_;                                                         \
        (u1) = (uint64_t)a_;                                                                       \
        c_ = (uint64_t)(a_ >> 64);                                                                 \
        a_ = (u128)m_ * FP_C2 + (u3) + c_;                                                         \
        (u2) = (uint64_t)a_;                                                                       \
        (u3) = (uint64_t)(a_ >> 64);                                                               \
    } while (0)

static inline __attribute__((always_inline)) void fp_mont_reduce(fe r, const uint64_t t[8])
{
    uint64_t u0 = t[0], u1 = t[1], u2 = t[2], u3 = t[3];
    FP_RED_ROUND(u0, u1, u2, u3);
    FP_RED_ROUND(u0, u1, u2, u3);
    FP_RED_ROUND(u0, u1, u2, u3);
    FP_RED_ROUND(u0, u1, u2, u3);
    uint64_t u[4] = {u0, u1, u2, u3}, sm[4], d[4], top, br;
    ADD4(sm, top, u, t + 4);
    SUB4(d, br, sm, FP_P);
    /* subtract p if the sum carried out or is >= p */
    uint64_t m = (uint64_t)0 - (top | (br ^ 1));
    r[0] = (d[0] & m) | (sm[0] & ~m);
    r[1] = (d[1] & m) | (sm[1] & ~m);
    r[2] = (d[2] & m) | (sm[2] & ~m);
    r[3] = (d[3] & m) | (sm[3] & ~m);
}

/* one row of the schoolbook product: t[i..i+4] += a * bi */
#define FP_MUL_ROW(t, i, a, bi)                                                                    \
    do {                                                                                           \
        u128 x_;                                                                                   \
        uint64_t c_;                                                                               \
        x_ = (u128)(a)[0] * (bi) + (t)[(i) + 0];                                                   \
        (t)[(i) + 0] = (uint64_t)x_;                                                               \
        c_ = (uint64_t)(x_ >> 64);                                                                 \
        x_ = (u128)(a)[1] * (bi) + (t)[(i) + 1] + c_;                                              \
        (t)[(i) + 1] = (uint64_t)x_;                                                               \
        c_ = (uint64_t)(x_ >> 64);                                                                 \
        x_ = (u128)(a)[2] * (bi) + (t)[(i) + 2] + c_;                                              \
        (t)[(i) + 2] = (uint64_t)x_;                                                               \
        c_ = (uint64_t)(x_ >> 64);                                                                 \
        x_ = (u128)(a)[3] * (bi) + (t)[(i) + 3] + c_;                                              \
        (t)[(i) + 3] = (uint64_t)x_;                                                               \
        (t)[(i) + 4] = (uint64_t)(x_ >> 64);                                                       \
    } while (0)

static inline __attribute__((always_inline)) void fp_mul_c(fe r, const fe a, const fe b)
{
    uint64_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    FP_MUL_ROW(t, 0, a, b[0]);
    FP_MUL_ROW(t, 1, a, b[1]);
    FP_MUL_ROW(t, 2, a, b[2]);
    FP_MUL_ROW(t, 3, a, b[3]);
    fp_mont_reduce(r, t);
}

/* Squaring: the 6 cross products once, doubled, plus the 4 squares (10 multiplications). */
static inline __attribute__((always_inline)) void fp_sqr_c(fe r, const fe a)
{
    uint64_t t[8];
    u128 acc;
    uint64_t c;
    acc = (u128)a[0] * a[1];
    t[1] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)a[0] * a[2] + c;
    t[2] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)a[0] * a[3] + c;
    t[3] = (uint64_t)acc;
    t[4] = (uint64_t)(acc >> 64);
    acc = (u128)a[1] * a[2] + t[3];
    t[3] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)a[1] * a[3] + t[4] + c;
    t[4] = (uint64_t)acc;
    t[5] = (uint64_t)(acc >> 64);
    acc = (u128)a[2] * a[3] + t[5];
    t[5] = (uint64_t)acc;
    t[6] = (uint64_t)(acc >> 64);
    t[7] = t[6] >> 63;
    t[6] = (t[6] << 1) | (t[5] >> 63);
    t[5] = (t[5] << 1) | (t[4] >> 63);
    t[4] = (t[4] << 1) | (t[3] >> 63);
    t[3] = (t[3] << 1) | (t[2] >> 63);
    t[2] = (t[2] << 1) | (t[1] >> 63);
    t[1] = t[1] << 1;
    u128 sq;
    sq = (u128)a[0] * a[0];
    t[0] = (uint64_t)sq;
    acc = (u128)t[1] + (uint64_t)(sq >> 64);
    t[1] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    sq = (u128)a[1] * a[1];
    acc = (u128)t[2] + (uint64_t)sq + c;
    t[2] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)t[3] + (uint64_t)(sq >> 64) + c;
    t[3] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    sq = (u128)a[2] * a[2];
    acc = (u128)t[4] + (uint64_t)sq + c;
    t[4] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    acc = (u128)t[5] + (uint64_t)(sq >> 64) + c;
    t[5] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    sq = (u128)a[3] * a[3];
    acc = (u128)t[6] + (uint64_t)sq + c;
    t[6] = (uint64_t)acc;
    c = (uint64_t)(acc >> 64);
    t[7] = t[7] + (uint64_t)(sq >> 64) + c;
    fp_mont_reduce(r, t);
}

/* big-endian bytes <-> little-endian limbs */
static void fe_from_be(uint64_t r[4], const uint8_t b[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t v;
        memcpy(&v, b + (3 - i) * 8, 8);
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        r[i] = __builtin_bswap64(v);
#else
        v = 0;
        for (int j = 0; j < 8; j++)
            v = (v << 8) | b[(3 - i) * 8 + j];
        r[i] = v;
#endif
    }
}

static void fe_to_be(uint8_t b[32], const uint64_t a[4])
{
    for (int i = 0; i < 4; i++) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t v = __builtin_bswap64(a[i]);
        memcpy(b + (3 - i) * 8, &v, 8);
#else
        for (int j = 0; j < 8; j++)
            b[(3 - i) * 8 + j] = (uint8_t)(a[i] >> (56 - 8 * j));
#endif
    }
}

/* a < m as a mask, constant time */
static inline uint64_t lt_mask(const uint64_t a[4], const uint64_t m[4])
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 u = (u128)a[i] - m[i] - borrow;
        borrow = (uint64_t)(u >> 64) & 1;
    }
    return (uint64_t)0 - borrow;
}

/* ---- scalars mod n (generic Montgomery, CIOS) ---- */

static void sn_mont_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t t[6] = {0, 0, 0, 0, 0, 0};
    /* unrolled: GCC left the loops rolled, 782 instructions a call (a signature pays one) */
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        u128 acc;
        uint64_t c = 0;
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            acc = (u128)a[j] * b[i] + t[j] + c;
            t[j] = (uint64_t)acc;
            c = (uint64_t)(acc >> 64);
        }
        acc = (u128)t[4] + c;
        t[4] = (uint64_t)acc;
        t[5] = (uint64_t)(acc >> 64);
        uint64_t m = t[0] * SN_N0;
        acc = (u128)m * SN_N[0] + t[0];
        c = (uint64_t)(acc >> 64);
#pragma GCC unroll 3
        for (int j = 1; j < 4; j++) {
            acc = (u128)m * SN_N[j] + t[j] + c;
            t[j - 1] = (uint64_t)acc;
            c = (uint64_t)(acc >> 64);
        }
        acc = (u128)t[4] + c;
        t[3] = (uint64_t)acc;
        t[4] = t[5] + (uint64_t)(acc >> 64);
    }
    uint64_t d[4], borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 u = (u128)t[i] - SN_N[i] - borrow;
        d[i] = (uint64_t)u;
        borrow = (uint64_t)(u >> 64) & 1;
    }
    uint64_t m = (uint64_t)0 - (t[4] | (borrow ^ 1));
    for (int i = 0; i < 4; i++)
        r[i] = (d[i] & m) | (t[i] & ~m);
}

void sm2_sn_from_bytes(uint64_t r[4], const uint8_t b[32])
{
    fe_from_be(r, b);
}
void sm2_sn_to_bytes(uint8_t b[32], const uint64_t a[4])
{
    fe_to_be(b, a);
}
uint64_t sm2_sn_lt_n_mask(const uint64_t a[4])
{
    return lt_mask(a, SN_N);
}
uint64_t sm2_sn_is_zero_mask(const uint64_t a[4])
{
    return fe_is_zero_mask(a);
}

uint64_t sm2_sn_eq_mask(const uint64_t a[4], const uint64_t b[4])
{
    return ct_mask_z((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]));
}

void sm2_sn_reduce_once(uint64_t r[4], const uint64_t a[4])
{
    uint64_t d[4], borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 u = (u128)a[i] - SN_N[i] - borrow;
        d[i] = (uint64_t)u;
        borrow = (uint64_t)(u >> 64) & 1;
    }
    uint64_t m = (uint64_t)0 - (borrow ^ 1);
    for (int i = 0; i < 4; i++)
        r[i] = (d[i] & m) | (a[i] & ~m);
}

void sm2_sn_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t s[4], d[4];
    u128 t = 0;
    for (int i = 0; i < 4; i++) {
        t += (u128)a[i] + b[i];
        s[i] = (uint64_t)t;
        t >>= 64;
    }
    uint64_t carry = (uint64_t)t, borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 u = (u128)s[i] - SN_N[i] - borrow;
        d[i] = (uint64_t)u;
        borrow = (uint64_t)(u >> 64) & 1;
    }
    uint64_t m = (uint64_t)0 - (carry | (borrow ^ 1));
    for (int i = 0; i < 4; i++)
        r[i] = (d[i] & m) | (s[i] & ~m);
}

void sm2_sn_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t d[4], borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 u = (u128)a[i] - b[i] - borrow;
        d[i] = (uint64_t)u;
        borrow = (uint64_t)(u >> 64) & 1;
    }
    uint64_t m = (uint64_t)0 - borrow;
    u128 t = 0;
    for (int i = 0; i < 4; i++) {
        t += (u128)d[i] + (SN_N[i] & m);
        r[i] = (uint64_t)t;
        t >>= 64;
    }
}

void sm2_sn_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t t[4];
    sn_mont_mul(t, a, b);     /* a*b/R */
    sn_mont_mul(r, t, SN_R2); /* a*b */
}

void sm2_sn_to_mont(uint64_t r[4], const uint64_t a[4])
{
    sn_mont_mul(r, a, SN_R2);
}

void sm2_sn_mont_mul(uint64_t r[4], const uint64_t am[4], const uint64_t b[4])
{
    sn_mont_mul(r, am, b);
}

void sm2_sn_inv(uint64_t r[4], const uint64_t a[4])
{
    /* Fermat: a^(n-2). The exponent is public, so branching on its bits is constant time in a. */
    static const uint64_t e[4] = {0x53bbf40939d54121ULL, 0x7203df6b21c6052bULL,
                                  0xffffffffffffffffULL, 0xfffffffeffffffffULL};
    static const uint64_t one[4] = {1, 0, 0, 0};
    uint64_t am[4], x[4];
    sn_mont_mul(am, a, SN_R2); /* a*R */
    memcpy(x, am, sizeof(x));  /* top bit of e is 1 */
    for (int i = 254; i >= 0; i--) {
        sn_mont_mul(x, x, x);
        if ((e[i / 64] >> (i % 64)) & 1) sn_mont_mul(x, x, am);
    }
    sn_mont_mul(r, x, one);
    sm2_ct_wipe(am, sizeof(am));
    sm2_ct_wipe(x, sizeof(x));
}

/* b = p + n? used by verification: c = a + n if that is < p (public values). */
static int sn_add_n_below_p(uint64_t c[4], const uint64_t a[4])
{
    u128 t = 0;
    for (int i = 0; i < 4; i++) {
        t += (u128)a[i] + SN_N[i];
        c[i] = (uint64_t)t;
        t >>= 64;
    }
    return t == 0 && lt_mask(c, FP_P) != 0;
}

/* ---- scalar recoding ---- */

/* nbits (<= 8) bits of k[0..4] starting at bit pos (pos may be -1: a zero bit below bit 0).
 * Position is public. */
static inline uint64_t scalar_bits(const uint64_t k[5], int pos, int nbits)
{
    uint64_t mask = ((uint64_t)1 << nbits) - 1;
    if (pos < 0) return (k[0] << 1) & mask;
    int idx = pos >> 6, sh = pos & 63;
    uint64_t v = k[idx] >> sh;
    if (sh + nbits > 64) v |= k[idx + 1] << (64 - sh);
    return v & mask;
}

/* Signed Booth digit of a (w+1)-bit window (OpenSSL's _booth_recode_w*): |d| in [0, 2^(w-1)], sign
 * 0/1. */
static inline uint64_t booth_recode(uint64_t in, int w, uint64_t *sign)
{
    uint64_t s = ~((in >> w) - 1);
    uint64_t d = ((uint64_t)1 << (w + 1)) - in - 1;
    d = (d & s) | (in & ~s);
    d = (d >> 1) + (d & 1);
    *sign = s & 1;
    return d;
}

/* Width-w NAF of a public 256-bit scalar (libsecp256k1's method); returns the highest index used.
 */
static int wnaf_recode(int naf[258], const uint64_t k[4], int w)
{
    uint64_t kk[5] = {k[0], k[1], k[2], k[3], 0};
    int carry = 0, top = 0;
    memset(naf, 0, 258 * sizeof(int));
    for (int bit = 0; bit < 257;) {
        if ((int)((kk[bit >> 6] >> (bit & 63)) & 1) == carry) {
            bit++;
            continue;
        }
        int now = w;
        if (now > 257 - bit) now = 257 - bit;
        int word = (int)scalar_bits(kk, bit, now) + carry;
        carry = (word >> (w - 1)) & 1;
        word -= carry << w;
        naf[bit] = word;
        top = bit;
        bit += now;
    }
    return top;
}

/* ---- fixed-base comb table: g_comb[i][j] = (2j+1) * 2^(7i) * G ---- */

/* 7-bit windows of odd signed digits: 37 windows of 64 points (the odd multiples 1..127); 36
 * additions per scalar instead of 42 with 6-bit windows, for twice the entries scanned per
 * window. */
#define SM2_COMB_W       7
#define SM2_COMB_WINDOWS 37
#define SM2_COMB_POINTS  64
static sm2_aff g_comb[SM2_COMB_WINDOWS][SM2_COMB_POINTS] __attribute__((aligned(64)));

/*
 * Odd-digit recoding of an odd k < 2^256: k = sum d_i 2^(7i), i < 37, every d_i odd with
 * |d_i| <= 127. In closed form (the signed odd windows of libsecp256k1's ecmult_const): with
 * d_i = 2 b_i - 127, sum d_i 2^(7i) = 2B - (2^259 - 1), so the b_i are the 7-bit windows of
 * B = (k + 2^259 - 1) / 2 = (k >> 1) + 2^258. Digit i is stored at out[i * stride] as its table
 * index (|d_i| - 1) / 2 in bits 0..5 (b_i - 64 if b_i >= 64, else 63 - b_i) and its sign (1:
 * negative, b_i < 64) in bit 7. Constant time in k: no digit is ever 0, so no sum of comb
 * terms is ever the point at infinity and none needs masking. The top digit is 1..15 for k < n.
 */
static void odd_recode(uint8_t *out, size_t stride, const uint64_t k[4])
{
    uint64_t bw[5] = {(k[0] >> 1) | (k[1] << 63), (k[1] >> 1) | (k[2] << 63),
                      (k[2] >> 1) | (k[3] << 63), k[3] >> 1, 4};
    for (int i = 0; i < SM2_COMB_WINDOWS; i++) {
        uint64_t b = scalar_bits(bw, SM2_COMB_W * i, SM2_COMB_W);
        uint64_t pos = (b >> 6) & 1;
        out[(size_t)i * stride] = (uint8_t)(((b ^ ((pos - 1) & 63)) & 63) | ((pos ^ 1) << 7));
    }
    sm2_ct_wipe(bw, sizeof(bw));
}

/* k or n - k, whichever is odd (n is odd): x(k'G) = x(kG), and k'G = kG negated when the
 * returned mask is ~0. k in [0, n-1]; k = 0 gives n, which the callers exclude. */
static uint64_t odd_scalar(uint64_t out[4], const uint64_t k[4])
{
    static const uint64_t zero[4] = {0, 0, 0, 0};
    uint64_t nk[4];
    sm2_sn_sub(nk, zero, k);
    uint64_t even = (k[0] & 1) - 1;
    for (int i = 0; i < 4; i++)
        out[i] = (k[i] & ~even) | (nk[i] & even);
    sm2_ct_wipe(nk, sizeof(nk));
    return even;
}

/*
 * Masked scans of a whole table row: the memory access pattern does not depend on idx
 * (idx 0 gives 0,0). Written with intrinsics: GCC lowered the former generic-vector
 * compare to scalar sete + stack spills (~80 instructions per entry). SSE2 is part of
 * x86-64; the AVX2 variant is used by the MULX/ADX path when the CPU has AVX2.
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
/* IDX32[j] = j+1 in every 32-bit lane: the compare's memory operand in the unrolled scans */
static const uint32_t IDX32[SM2_COMB_POINTS][8] __attribute__((aligned(32))) = {
#define SM2_I8(v)                                                                                  \
    {                                                                                              \
        v, v, v, v, v, v, v, v                                                                     \
    }
    SM2_I8(1),  SM2_I8(2),  SM2_I8(3),  SM2_I8(4),  SM2_I8(5),  SM2_I8(6),  SM2_I8(7),  SM2_I8(8),
    SM2_I8(9),  SM2_I8(10), SM2_I8(11), SM2_I8(12), SM2_I8(13), SM2_I8(14), SM2_I8(15), SM2_I8(16),
    SM2_I8(17), SM2_I8(18), SM2_I8(19), SM2_I8(20), SM2_I8(21), SM2_I8(22), SM2_I8(23), SM2_I8(24),
    SM2_I8(25), SM2_I8(26), SM2_I8(27), SM2_I8(28), SM2_I8(29), SM2_I8(30), SM2_I8(31), SM2_I8(32),
    SM2_I8(33), SM2_I8(34), SM2_I8(35), SM2_I8(36), SM2_I8(37), SM2_I8(38), SM2_I8(39), SM2_I8(40),
    SM2_I8(41), SM2_I8(42), SM2_I8(43), SM2_I8(44), SM2_I8(45), SM2_I8(46), SM2_I8(47), SM2_I8(48),
    SM2_I8(49), SM2_I8(50), SM2_I8(51), SM2_I8(52), SM2_I8(53), SM2_I8(54), SM2_I8(55), SM2_I8(56),
    SM2_I8(57), SM2_I8(58), SM2_I8(59), SM2_I8(60), SM2_I8(61), SM2_I8(62), SM2_I8(63), SM2_I8(64),
#undef SM2_I8
};

static inline void select_aff_sse2(sm2_aff *out, const sm2_aff *row, uint64_t idx)
{
    __m128i x0 = _mm_setzero_si128(), x1 = x0, y0 = x0, y1 = x0;
    const __m128i want = _mm_set1_epi32((int)(uint32_t)idx);
    /* fully unrolled, each entry's index j+1 a memory operand of the compare (the empty asm
     * hides the table's contents, else GCC builds the 64 constants in registers and spills) */
    const uint32_t(*ix)[8] = IDX32;
    __asm__("" : "+r"(ix));
#pragma GCC unroll 64
    for (int j = 0; j < SM2_COMB_POINTS; j++) {
        /* all-ones where j+1 == idx */
        const __m128i m = _mm_cmpeq_epi32(want, _mm_load_si128((const __m128i *)ix[j]));
        const __m128i *e = (const __m128i *)&row[j];
        x0 = _mm_or_si128(x0, _mm_and_si128(m, _mm_loadu_si128(e + 0)));
        x1 = _mm_or_si128(x1, _mm_and_si128(m, _mm_loadu_si128(e + 1)));
        y0 = _mm_or_si128(y0, _mm_and_si128(m, _mm_loadu_si128(e + 2)));
        y1 = _mm_or_si128(y1, _mm_and_si128(m, _mm_loadu_si128(e + 3)));
    }
    _mm_storeu_si128((__m128i *)out->x, x0);
    _mm_storeu_si128((__m128i *)out->x + 1, x1);
    _mm_storeu_si128((__m128i *)out->y, y0);
    _mm_storeu_si128((__m128i *)out->y + 1, y1);
}

/*
 * The AVX2 select: a binary tree of blends, one level per bit of idx (in [0, 63]), each
 * coordinate on its own so that the six bit masks and the pending subtrees stay in the 16 YMM
 * registers: 32 loads and 63 VPBLENDVB per coordinate, where a compare-and-mask scan takes 5
 * instructions per entry. Every entry is loaded; no branch or address depends on idx.
 */
#define SM2_LD(j) _mm256_load_si256((const __m256i *)(base + 64 * (j)))
#define SM2_L1(j) _mm256_blendv_epi8(SM2_LD(j), SM2_LD((j) + 1), m0)
#define SM2_L2(j) _mm256_blendv_epi8(SM2_L1(j), SM2_L1((j) + 2), m1)
#define SM2_L3(j) _mm256_blendv_epi8(SM2_L2(j), SM2_L2((j) + 4), m2)
#define SM2_L4(j) _mm256_blendv_epi8(SM2_L3(j), SM2_L3((j) + 8), m3)
#define SM2_L5(j) _mm256_blendv_epi8(SM2_L4(j), SM2_L4((j) + 16), m4)
#define SM2_L6(j) _mm256_blendv_epi8(SM2_L5(j), SM2_L5((j) + 32), m5)
__attribute__((target("avx2"), noinline)) static void
select_aff_avx2(sm2_aff *out, const sm2_aff *row, uint64_t idx)
{
    const __m256i m0 = _mm256_set1_epi64x((long long)(0 - (idx & 1)));
    const __m256i m1 = _mm256_set1_epi64x((long long)(0 - ((idx >> 1) & 1)));
    const __m256i m2 = _mm256_set1_epi64x((long long)(0 - ((idx >> 2) & 1)));
    const __m256i m3 = _mm256_set1_epi64x((long long)(0 - ((idx >> 3) & 1)));
    const __m256i m4 = _mm256_set1_epi64x((long long)(0 - ((idx >> 4) & 1)));
    const __m256i m5 = _mm256_set1_epi64x((long long)(0 - ((idx >> 5) & 1)));
    const uint8_t *base = (const uint8_t *)row[0].x;
    _mm256_storeu_si256((__m256i *)out->x, SM2_L6(0));
    base = (const uint8_t *)row[0].y;
    _mm256_storeu_si256((__m256i *)out->y, SM2_L6(0));
}
#undef SM2_LD
#undef SM2_L1
#undef SM2_L2
#undef SM2_L3
#undef SM2_L4
#undef SM2_L5
#undef SM2_L6

static int g_use_avx2; /* set once at init from CPUID; public */

/* SELECT_AFF(out, row, idx): row[idx], idx in [0, SM2_COMB_POINTS - 1], by a full scan. */
static inline void select_aff_c64(sm2_aff *out, const sm2_aff *row, uint64_t idx)
{
    select_aff_sse2(out, row, idx + 1);
}

__attribute__((unused)) static inline void select_aff_adx(sm2_aff *out, const sm2_aff *row,
                                                          uint64_t idx)
{
    if (g_use_avx2)
        select_aff_avx2(out, row, idx);
    else
        select_aff_sse2(out, row, idx + 1);
}
#else
static inline void select_aff_c64(sm2_aff *out, const sm2_aff *row, uint64_t idx)
{
    memset(out, 0, sizeof(*out));
    for (int j = 0; j < SM2_COMB_POINTS; j++) {
        uint64_t m = ct_mask_eq((uint64_t)j, idx);
        fe_cmov(out->x, row[j].x, m);
        fe_cmov(out->y, row[j].y, m);
    }
}
#endif

static inline void select_jac(jpt *out, const jpt tab[16], uint64_t idx)
{
    memset(out, 0, sizeof(*out));
    for (int j = 0; j < 16; j++) {
        uint64_t m = ct_mask_eq((uint64_t)j + 1, idx);
        jpt_cmov(out, &tab[j], m);
    }
}

/* ---- scratch of the batched fixed-base multiplication (sm2_ec_tmpl.h mul_g_x_batch) ---- */

typedef sm2_aff sm2_apt; /* affine point, Montgomery form (odd digits: never infinity) */

#define SM2_GBATCH_PAIRS ((SM2_COMB_WINDOWS + 1) / 2)
typedef struct sm2_gbatch_scratch {
    sm2_apt node[SM2_GBATCH_MAX * SM2_COMB_WINDOWS]; /* each tree level's sums written in place */
    fe den[SM2_GBATCH_MAX * SM2_GBATCH_PAIRS];
    fe prod[SM2_GBATCH_MAX * SM2_GBATCH_PAIRS];
    uint8_t digit[SM2_COMB_WINDOWS * SM2_GBATCH_MAX]; /* |d| | sign << 7, window-major: secret */
} sm2_gbatch_scratch;

size_t sm2_ec_gbatch_scratch_size(void)
{
    return sizeof(sm2_gbatch_scratch);
}

/* ---- the two code paths ---- */

#define FMUL(r, a, b) fp_mul_c((r), (a), (b))
#define FSQR(r, a)    fp_sqr_c((r), (a))
#define FSUB(r, a, b) fp_sub((r), (a), (b))
#define NAME(x)       x##_c64
#define SELECT_AFF    select_aff_c64
#include "crypto/sm2/sm2_ec_tmpl.h"
#undef FMUL
#undef FSQR
#undef FSUB
#undef NAME
#undef SELECT_AFF

/* clang's AddressSanitizer instruments the asm's memory operands and then runs out of registers
 * for fp_mul_adx / fp_sqr_adx (GCC's does not): such builds (make fuzz) get the C path only. */
#if defined(__clang__) && defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SM2_NO_ASM 1
#endif
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(SM2_NO_ASM)
#define SM2_HAVE_ADX 1
#include "crypto/sm2/sm2_fp_adx.h"
#define FMUL(r, a, b) fp_mul_adx((r), (a), (b))
#define FSQR(r, a)    fp_sqr_adx((r), (a))
#define FSUB(r, a, b) fp_sub_x86((r), (a), (b))
#define NAME(x)       x##_adx
#define SELECT_AFF    select_aff_adx
#include "crypto/sm2/sm2_ec_tmpl.h"
#undef FMUL
#undef FSQR
#undef FSUB
#undef NAME
#undef SELECT_AFF
#else
#define SM2_HAVE_ADX 0
#endif

typedef struct sm2_ec_ops {
    const char *name;
    int (*mul_g)(sm2_aff *, const uint64_t *);
    int (*mul)(sm2_aff *, const uint64_t *, const sm2_aff *);
    void (*pubtab_init)(sm2_pubtab *, const sm2_aff *);
    int (*verify_x)(const uint64_t *, const uint64_t *, const sm2_pubtab *, const uint64_t *);
    void (*mul_g_x_batch)(uint64_t (*)[4], uint64_t *, const uint64_t (*)[4], int, void *);
} sm2_ec_ops;

static const sm2_ec_ops ops_c64 = {"c64",           mul_g_c64,    mul_c64,
                                   pubtab_init_c64, verify_x_c64, mul_g_x_batch_c64};
#if SM2_HAVE_ADX
static const sm2_ec_ops ops_adx = {"x86-64 mulx/adx", mul_g_adx,    mul_adx,
                                   pubtab_init_adx,   verify_x_adx, mul_g_x_batch_adx};
#endif
static const sm2_ec_ops *g_ops = &ops_c64;
static const sm2_ec_ops *g_ops_auto = &ops_c64;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int cpu_has_adx_bmi2(void)
{
#if SM2_HAVE_ADX
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    if (a < 7) return 0;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    /* CPUID.(EAX=7,ECX=0):EBX bit 8 = BMI2 (MULX), bit 19 = ADX (ADCX/ADOX) */
    return ((b >> 8) & 1) && ((b >> 19) & 1);
#else
    return 0;
#endif
}

int sm2_ec_have_asm(void)
{
    return cpu_has_adx_bmi2();
}

static int fp_on_curve_c(const fe x, const fe y)
{
    fe l, r, t;
    fp_sqr_c(l, y);
    fp_sqr_c(t, x);
    fp_mul_c(r, t, x);
    fp_sub(r, r, x);
    fp_sub(r, r, x);
    fp_sub(r, r, x);
    fp_add(r, r, FP_B);
    return fe_eq_vt(l, r);
}

/* Builds the comb table (about 1400 additions, one batched inversion per window) and checks every
 * entry. */
static void comb_build(void)
{
    jpt row[SM2_COMB_POINTS], base = {0};
    fe prod[SM2_COMB_POINTS];
    uint64_t hz, rz;
    fe_copy(base.X, FP_GX);
    fe_copy(base.Y, FP_GY);
    fe_copy(base.Z, FP_ONE);
    for (int i = 0; i < SM2_COMB_WINDOWS; i++) {
        jpt twice;
        row[0] = base;
        pt_dbl_c64(&twice, &base);
        for (int j = 1; j < SM2_COMB_POINTS; j++) /* (2j+1) base; never special: prime order */
            pt_add_raw_c64(&row[j], &row[j - 1], &twice, &hz, &rz);
        batch_to_aff_c64(g_comb[i], row, SM2_COMB_POINTS, prod);
        /* check: every entry must be a curve point, else the table is corrupt: refuse to run */
        for (int j = 0; j < SM2_COMB_POINTS; j++)
            if (!fp_on_curve_c(g_comb[i][j].x, g_comb[i][j].y)) abort();
        /* next base 2^7 * base = 127 * base + base */
        pt_add_raw_c64(&base, &row[SM2_COMB_POINTS - 1], &base, &hz, &rz);
    }
    /* and consistency between windows: 2^7 * g_comb[i][0] must equal g_comb[i+1][0] */
    for (int i = 0; i + 1 < SM2_COMB_WINDOWS; i++) {
        jpt q;
        fe_copy(q.X, g_comb[i][0].x);
        fe_copy(q.Y, g_comb[i][0].y);
        fe_copy(q.Z, FP_ONE);
        for (int j = 0; j < SM2_COMB_W; j++)
            pt_dbl_c64(&q, &q);
        sm2_aff a;
        pt_to_aff_c64(&a, &q);
        if (!fe_eq_vt(a.x, g_comb[i + 1][0].x) || !fe_eq_vt(a.y, g_comb[i + 1][0].y)) abort();
    }
}

static void ec_init_once(void)
{
    comb_build();
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    g_use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0; /* checks the OS saves YMM state too */
#endif
#if SM2_HAVE_ADX
    const char *force = getenv("SEALCA_SM2_IMPL");
    if (cpu_has_adx_bmi2() && !(force != NULL && strcmp(force, "c") == 0)) g_ops_auto = &ops_adx;
    /* "adx!" skips the CPUID check: for tools (valgrind) whose virtual CPUID hides ADX. */
    if (force != NULL && strcmp(force, "adx!") == 0) g_ops_auto = &ops_adx;
#endif
    g_ops = g_ops_auto;
}

void sm2_ec_init(void)
{
    pthread_once(&g_once, ec_init_once);
}

const char *sm2_ec_impl(void)
{
    sm2_ec_init();
    return g_ops->name;
}

const char *sm2_ec_force_c(int force)
{
    sm2_ec_init();
    g_ops = force ? &ops_c64 : g_ops_auto;
    return g_ops->name;
}

int sm2_ec_fp_op(int op, int impl, uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    if (lt_mask(a, FP_P) == 0 || (op != 1 && lt_mask(b, FP_P) == 0)) return -1;
    if (impl == 0) {
        if (op == 0)
            fp_mul_c(r, a, b);
        else if (op == 1)
            fp_sqr_c(r, a);
        else
            fp_sub(r, a, b);
        return 0;
    }
#if SM2_HAVE_ADX
    if (impl == 1 && cpu_has_adx_bmi2()) {
        if (op == 0)
            fp_mul_adx(r, a, b);
        else if (op == 1)
            fp_sqr_adx(r, a);
        else
            fp_sub_x86(r, a, b);
        return 0;
    }
#endif
    return -1;
}

int sm2_ec_aff_from_bytes(sm2_aff *a, const uint8_t xy[64])
{
    fe x, y;
    sm2_ec_init();
    fe_from_be(x, xy);
    fe_from_be(y, xy + 32);
    if (!lt_mask(x, FP_P) || !lt_mask(y, FP_P)) return -1;
    fp_mul_c(a->x, x, FP_R2);
    fp_mul_c(a->y, y, FP_R2);
    /* GM/T 0003.1 §6.2 public key check: y^2 = x^3 + ax + b. (0,0) is not on the curve since b !=
     * 0. */
    return fp_on_curve_c(a->x, a->y) ? 0 : -1;
}

void sm2_ec_aff_to_bytes(uint8_t xy[64], const sm2_aff *a)
{
    static const fe one = {1, 0, 0, 0};
    fe x, y;
    fp_mul_c(x, a->x, one);
    fp_mul_c(y, a->y, one);
    fe_to_be(xy, x);
    fe_to_be(xy + 32, y);
    sm2_ct_wipe(x, sizeof(x));
    sm2_ct_wipe(y, sizeof(y));
}

int sm2_ec_mul_g(sm2_aff *out, const uint64_t k[4])
{
    sm2_ec_init();
    return g_ops->mul_g(out, k);
}

int sm2_ec_mul(sm2_aff *out, const uint64_t k[4], const sm2_aff *p)
{
    sm2_ec_init();
    return g_ops->mul(out, k, p);
}

void sm2_ec_pubtab_init(sm2_pubtab *t, const sm2_aff *p)
{
    sm2_ec_init();
    g_ops->pubtab_init(t, p);
}

int sm2_ec_verify_x(const uint64_t u1[4], const uint64_t u2[4], const sm2_pubtab *t,
                    const uint64_t rme[4])
{
    sm2_ec_init();
    return g_ops->verify_x(u1, u2, t, rme);
}

void sm2_ec_mul_g_x_batch(uint64_t (*x)[4], uint64_t *bad, const uint64_t (*k)[4], int cnt,
                          void *scratch)
{
    sm2_ec_init();
    if (cnt > 0 && cnt <= SM2_GBATCH_MAX) g_ops->mul_g_x_batch(x, bad, k, cnt, scratch);
}
