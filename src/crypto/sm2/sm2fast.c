/* sm2fast.c - the SM2 engine's public operations (GM/T 0003.2 signature, GM/T 0003.4 encryption) on
 * top of sm2_ec.c. */
#include "crypto/sm2/sm2fast.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "crypto/sm2/sm2_ec.h"
#include "crypto/sm2/sm3.h"

struct sm2fast_pub {
    sm2_pubtab tab; /* odd multiples of P for wNAF verification */
    sm2_aff p;
    uint8_t pt[65];
};

struct sm2fast_priv {
    uint64_t d[4];
    uint64_t dinv1m[4]; /* (1+d)^-1 * 2^256 mod n (GM/T 0003.2 §6.1 step A6) in Montgomery
                         * form: s costs one multiplication mod n, no inversion */
    uint8_t pt[65];
};

/* n - 1: private keys must be <= n - 2 (GM/T 0003.1 §6.1) so that 1+d is invertible. */
static const uint64_t SN_NM1[4] = {0x53bbf40939d54122ULL, 0x7203df6b21c6052bULL,
                                   0xffffffffffffffffULL, 0xfffffffeffffffffULL};

static int rand_bytes(uint8_t *p0, size_t n0)
{
    uint8_t *p = p0;
    size_t n = n0;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    SM2_CLASSIFY(p0, n0);
    return 0;
}

/* ~0 if 1 <= d <= n-2, constant time */
static uint64_t priv_range_mask(const uint64_t d[4])
{
    return sm2_sn_lt_n_mask(d) & ~sm2_sn_is_zero_mask(d) & ~sm2_sn_eq_mask(d, SN_NM1);
}

/* ~0 if 1 <= k <= n-1 */
static uint64_t nonce_range_mask(const uint64_t k[4])
{
    return sm2_sn_lt_n_mask(k) & ~sm2_sn_is_zero_mask(k);
}

sm2fast_pub *sm2fast_pub_new(const uint8_t pt[65])
{
    sm2_aff a;
    if (pt == NULL || pt[0] != 0x04) return NULL;
    if (sm2_ec_aff_from_bytes(&a, pt + 1) != 0) return NULL;
    sm2fast_pub *k = malloc(sizeof(*k));
    if (k == NULL) return NULL;
    k->p = a;
    memcpy(k->pt, pt, 65);
    sm2_ec_pubtab_init(&k->tab, &a);
    return k;
}

void sm2fast_pub_free(sm2fast_pub *k)
{
    free(k);
}

sm2fast_priv *sm2fast_priv_new(const uint8_t d[32])
{
    uint64_t dl[4];
    static const uint64_t one[4] = {1, 0, 0, 0};
    sm2_sn_from_bytes(dl, d);
    uint64_t ok = priv_range_mask(dl) & 1;
    SM2_DECLASSIFY(&ok, sizeof(ok)); /* whether the key is accepted is public */
    if (!ok) {
        sm2_ct_wipe(dl, sizeof(dl));
        return NULL;
    }
    sm2fast_priv *k = malloc(sizeof(*k));
    if (k == NULL) {
        sm2_ct_wipe(dl, sizeof(dl));
        return NULL;
    }
    memcpy(k->d, dl, sizeof(dl));
    uint64_t d1[4];
    sm2_sn_add(d1, dl, one);
    sm2_sn_inv(d1, d1);
    sm2_sn_to_mont(k->dinv1m, d1);
    sm2_aff p;
    sm2_ec_mul_g(&p, dl);
    k->pt[0] = 0x04;
    sm2_ec_aff_to_bytes(k->pt + 1, &p);
    SM2_DECLASSIFY(k->pt, sizeof(k->pt)); /* the public key is public */
    sm2_ct_wipe(dl, sizeof(dl));
    sm2_ct_wipe(d1, sizeof(d1));
    sm2_ct_wipe(&p, sizeof(p));
    return k;
}

void sm2fast_priv_free(sm2fast_priv *k)
{
    if (k == NULL) return;
    sm2_ct_wipe(k, sizeof(*k));
    free(k);
}

void sm2fast_priv_public(const sm2fast_priv *k, uint8_t pt[65])
{
    memcpy(pt, k->pt, 65);
}

int sm2fast_keygen(uint8_t d[32], uint8_t pt[65])
{
    uint8_t buf[32];
    uint64_t dl[4];
    /* Rejection sampling (GM/T 0003.1 §6.1 needs d in [1, n-2]); a rejected candidate reveals
     * nothing about the kept one. */
    for (;;) {
        if (rand_bytes(buf, sizeof(buf)) != 0) return -1;
        sm2_sn_from_bytes(dl, buf);
        uint64_t ok = priv_range_mask(dl) & 1;
        SM2_DECLASSIFY(&ok, sizeof(ok));
        if (ok) break;
    }
    sm2_aff p;
    sm2_ec_mul_g(&p, dl);
    memcpy(d, buf, 32);
    pt[0] = 0x04;
    sm2_ec_aff_to_bytes(pt + 1, &p);
    sm2_ct_wipe(buf, sizeof(buf));
    sm2_ct_wipe(dl, sizeof(dl));
    sm2_ct_wipe(&p, sizeof(p));
    return 0;
}

/*
 * GM/T 0003.2 §6.1 steps A5-A6 for a nonce k in [1, n-1] with x1 = x(kG) (plain, < p):
 * r = (e + x1) mod n, s = (1+d)^-1 (k + r) - r mod n.
 * Returns 0, or 1 when r = 0, r + k = n or s = 0 (the standard's "return to A3").
 */
static int sign_finish(const sm2fast_priv *key, const uint64_t e[4], const uint64_t k[4],
                       const uint64_t x1in[4], uint8_t rb[32], uint8_t sb[32])
{
    uint64_t x1[4], r[4], rk[4], s[4];
    sm2_sn_reduce_once(x1, x1in); /* x1 < p < 2n */
    sm2_sn_add(r, e, x1);
    SM2_DECLASSIFY(r, sizeof(r)); /* r is output */
    sm2_sn_add(rk, r, k);
    uint64_t bad = (sm2_sn_is_zero_mask(r) | sm2_sn_is_zero_mask(rk)) & 1;
    SM2_DECLASSIFY(&bad, sizeof(bad));
    int rc = 1;
    if (!bad) {
        sm2_sn_mont_mul(s, key->dinv1m, rk); /* (1+d)^-1 (k + r) */
        sm2_sn_sub(s, s, r);
        SM2_DECLASSIFY(s, sizeof(s)); /* s is output */
        if (!(sm2_sn_is_zero_mask(s) & 1)) {
            sm2_sn_to_bytes(rb, r);
            sm2_sn_to_bytes(sb, s);
            rc = 0;
        }
    }
    sm2_ct_wipe(x1, sizeof(x1));
    sm2_ct_wipe(rk, sizeof(rk));
    return rc;
}

int sm2fast_sign_with_k(const sm2fast_priv *key, const uint8_t e[32], const uint8_t k[32],
                        uint8_t r[32], uint8_t s[32])
{
    uint64_t el[4], kl[4], x1[4];
    uint8_t xy[64];
    sm2_aff p;
    sm2_sn_from_bytes(el, e);
    sm2_sn_reduce_once(el, el);
    sm2_sn_from_bytes(kl, k);
    uint64_t ok = nonce_range_mask(kl) & 1;
    SM2_DECLASSIFY(&ok, sizeof(ok));
    int rc = -1;
    if (ok) {
        sm2_ec_mul_g(&p, kl); /* A4: (x1, y1) = kG */
        sm2_ec_aff_to_bytes(xy, &p);
        sm2_sn_from_bytes(x1, xy);
        rc = sign_finish(key, el, kl, x1, r, s) == 0 ? 0 : -1;
    }
    sm2_ct_wipe(kl, sizeof(kl));
    sm2_ct_wipe(x1, sizeof(x1));
    sm2_ct_wipe(xy, sizeof(xy));
    sm2_ct_wipe(&p, sizeof(p));
    return rc;
}

/*
 * Nonces. k is drawn uniformly from [1, n-1] out of the kernel CSPRNG (getrandom), like
 * the GM/T 0003.2 §6.1 A3 "random number generator"; what is new is that it is drawn
 * ahead of time: each thread keeps a pool of SM2_GBATCH_MAX pairs (k, x(kG)) made in one
 * batch (one getrandom call; sm2_ec_mul_g_x_batch sums each k's comb terms in a tree of
 * affine additions whose levels share one field inversion across the batch), so a
 * signature costs no inversion, no system call and no hashing of its own. The pairs do not
 * depend on any key; each is used once and wiped.
 *
 * Safety of a pool of nonces rests on never using a pair twice:
 * - per thread (__thread), so threads never share one;
 * - fork(): the child inherits the parent's pool, and both would sign different messages
 *   with the same k, which reveals d. A pthread_atfork child handler bumps a generation
 *   counter; a pool from an older generation is wiped before use.
 * - thread exit wipes the pool (pthread key destructor).
 */
typedef struct nonce_pool {
    uint64_t k[SM2_GBATCH_MAX][4];
    uint64_t x[SM2_GBATCH_MAX][4];
    int n;             /* pairs left, used from the top */
    unsigned long gen; /* fork generation the pairs belong to */
    int registered;    /* thread-exit destructor armed */
    void *scratch;     /* sm2_ec_mul_g_x_batch's working memory, kept for the thread's life */
} nonce_pool;

static __thread nonce_pool t_pool;
static unsigned long g_fork_gen = 1; /* 1: a zeroed pool (gen 0) is always stale */
static pthread_once_t g_pool_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_pool_key;
static int g_pool_key_ok;

static void pool_atfork_child(void)
{
    __atomic_add_fetch(&g_fork_gen, 1, __ATOMIC_SEQ_CST);
}

static void pool_thread_exit(void *pv)
{
    nonce_pool *p = pv;
    free(p->scratch); /* wiped by the batch code after each use */
    sm2_ct_wipe(p, sizeof(nonce_pool));
}

static void pool_init_once(void)
{
    if (pthread_atfork(NULL, NULL, pool_atfork_child) != 0) abort(); /* no fork safety: refuse */
    g_pool_key_ok = pthread_key_create(&g_pool_key, pool_thread_exit) == 0;
}

static int pool_refill(nonce_pool *p, unsigned long gen)
{
    uint8_t rnd[SM2_GBATCH_MAX][32];
    uint64_t k[SM2_GBATCH_MAX][4], x[SM2_GBATCH_MAX][4], bad[SM2_GBATCH_MAX];
    int m = 0;
    if (p->scratch == NULL && (p->scratch = malloc(sm2_ec_gbatch_scratch_size())) == NULL)
        return -1;
    if (rand_bytes(&rnd[0][0], sizeof(rnd)) != 0) return -1;
    for (int i = 0; i < SM2_GBATCH_MAX; i++) {
        sm2_sn_from_bytes(k[m], rnd[i]);
        uint64_t ok = nonce_range_mask(k[m]) & 1; /* fails with probability ~2^-32 */
        SM2_DECLASSIFY(&ok, sizeof(ok));
        m += (int)ok;
    }
    sm2_ct_wipe(rnd, sizeof(rnd));
    p->n = 0;
    if (m > 0) sm2_ec_mul_g_x_batch(x, bad, (const uint64_t(*)[4])k, m, p->scratch);
    for (int i = 0; i < m; i++) {
        uint64_t isbad = bad[i] & 1; /* never for k in [1, n-1]; reveals only a discarded k */
        SM2_DECLASSIFY(&isbad, sizeof(isbad));
        if (isbad) continue;
        memcpy(p->k[p->n], k[i], 32);
        memcpy(p->x[p->n], x[i], 32);
        p->n++;
    }
    sm2_ct_wipe(k, sizeof(k));
    sm2_ct_wipe(x, sizeof(x));
    sm2_ct_wipe(bad, sizeof(bad));
    if (p->n == 0) return -1;
    p->gen = gen;
    return 0;
}

/* Takes one unused (k, x(kG)) pair of this thread. 0 ok, -1 if the RNG failed. */
static int pool_take(uint64_t k[4], uint64_t x[4])
{
    nonce_pool *p = &t_pool;
    pthread_once(&g_pool_once, pool_init_once);
    unsigned long gen = __atomic_load_n(&g_fork_gen, __ATOMIC_SEQ_CST);
    if (p->gen != gen) { /* new thread, or a pool inherited through fork(): never use it */
        sm2_ct_wipe(p->k, sizeof(p->k));
        sm2_ct_wipe(p->x, sizeof(p->x));
        p->n = 0;
    }
    if (!p->registered && g_pool_key_ok) {
        p->registered = pthread_setspecific(g_pool_key, p) == 0;
    }
    if (p->n == 0 && pool_refill(p, gen) != 0) return -1;
    int i = --p->n;
    memcpy(k, p->k[i], 32);
    memcpy(x, p->x[i], 32);
    sm2_ct_wipe(p->k[i], 32);
    sm2_ct_wipe(p->x[i], 32);
    return 0;
}

int sm2fast_sign(const sm2fast_priv *key, const uint8_t e[32], uint8_t r[32], uint8_t s[32])
{
    uint64_t el[4], kl[4], x1[4];
    int rc = -1;
    sm2_sn_from_bytes(el, e);
    sm2_sn_reduce_once(el, el);
    /* a retry (r = 0, r + k = n, s = 0) has probability ~2^-254 per attempt */
    for (int attempt = 0; attempt < 64; attempt++) {
        if (pool_take(kl, x1) != 0) break;
        if (sign_finish(key, el, kl, x1, r, s) == 0) {
            rc = 0;
            break;
        }
    }
    sm2_ct_wipe(kl, sizeof(kl));
    sm2_ct_wipe(x1, sizeof(x1));
    return rc;
}

int sm2fast_verify(const sm2fast_pub *key, const uint8_t e[32], const uint8_t r[32],
                   const uint8_t s[32])
{
    uint64_t rl[4], sl[4], el[4], t[4], rme[4];
    sm2_sn_from_bytes(rl, r);
    sm2_sn_from_bytes(sl, s);
    /* GM/T 0003.2 §7.1 B1, B2: r, s in [1, n-1] */
    if (!sm2_sn_lt_n_mask(rl) || sm2_sn_is_zero_mask(rl) || !sm2_sn_lt_n_mask(sl) ||
        sm2_sn_is_zero_mask(sl))
        return 0;
    sm2_sn_add(t, rl, sl); /* B5: t = (r + s) mod n, t != 0 */
    if (sm2_sn_is_zero_mask(t)) return 0;
    sm2_sn_from_bytes(el, e);
    sm2_sn_reduce_once(el, el);
    sm2_sn_sub(rme, rl, el); /* B7: R = (e + x1) mod n == r  <=>  x1 mod n == r - e */
    return sm2_ec_verify_x(sl, t, &key->tab, rme);
}

/* GM/T 0003.4 §5.4.3 KDF with SM3, XORed into dst: dst[i] = src[i] ^ t[i]. Returns an OR of all t
 * bytes. */
static uint8_t kdf_xor(const uint8_t z[64], const uint8_t *src, uint8_t *dst, size_t len)
{
    sm3_ctx base, c;
    uint8_t h[32], acc = 0;
    uint32_t ct = 1;
    sm3_init(&base);
    sm3_update(&base, z, 64); /* one whole block: absorbed once for every counter */
    for (size_t off = 0; off < len; off += 32, ct++) {
        uint8_t ctb[4] = {(uint8_t)(ct >> 24), (uint8_t)(ct >> 16), (uint8_t)(ct >> 8),
                          (uint8_t)ct};
        c = base;
        sm3_update(&c, ctb, 4);
        sm3_final(&c, h);
        size_t n = len - off < 32 ? len - off : 32;
        for (size_t i = 0; i < n; i++) {
            acc |= h[i];
            dst[off + i] = src[off + i] ^ h[i];
        }
    }
    sm2_ct_wipe(&base, sizeof(base));
    sm2_ct_wipe(h, sizeof(h));
    return acc;
}

static void c3_hash(const uint8_t xy[64], const uint8_t *m, size_t mlen, uint8_t out[32])
{
    sm3_ctx c;
    sm3_init(&c);
    sm3_update(&c, xy, 32);
    sm3_update(&c, m, mlen);
    sm3_update(&c, xy + 32, 32);
    sm3_final(&c, out);
}

int sm2fast_encrypt(const sm2fast_pub *key, const uint8_t *m, size_t mlen, const uint8_t *k_or_null,
                    uint8_t *out)
{
    uint8_t kb[32], xy[64];
    uint64_t kl[4];
    sm2_aff c1, s2;
    int rc = -1;
    if (key == NULL || m == NULL || mlen == 0 || out == NULL) return -1;
    for (int attempt = 0; attempt < 64; attempt++) {
        /* GM/T 0003.4 §6.1 A1: k in [1, n-1] */
        if (k_or_null != NULL) {
            memcpy(kb, k_or_null, 32);
        } else if (rand_bytes(kb, 32) != 0) {
            break;
        }
        sm2_sn_from_bytes(kl, kb);
        uint64_t ok = nonce_range_mask(kl) & 1;
        SM2_DECLASSIFY(&ok, sizeof(ok));
        if (!ok) {
            if (k_or_null != NULL) break;
            continue;
        }
        sm2_ec_mul_g(&c1, kl); /* A2: C1 = kG */
        sm2_ec_mul(
            &s2, kl,
            &key->p); /* A4: (x2,y2) = k P_B; h = 1 so A3 (S = hP_B != O) holds for valid P_B */
        sm2_ec_aff_to_bytes(xy, &s2);
        out[0] = 0x04;
        sm2_ec_aff_to_bytes(out + 1, &c1);
        uint8_t any =
            kdf_xor(xy, m, out + 97, mlen); /* A5, A6: t = KDF(x2||y2, klen), C2 = M ^ t */
        uint64_t zero = (uint64_t)(any == 0);
        SM2_DECLASSIFY(&zero, sizeof(zero));
        if (zero) { /* A5: all-zero t -> new k */
            if (k_or_null != NULL) break;
            continue;
        }
        c3_hash(xy, m, mlen, out + 65); /* A7: C3 = Hash(x2 || M || y2) */
        rc = 0;
        break;
    }
    sm2_ct_wipe(kb, sizeof(kb));
    sm2_ct_wipe(kl, sizeof(kl));
    sm2_ct_wipe(xy, sizeof(xy));
    sm2_ct_wipe(&s2, sizeof(s2));
    return rc;
}

int sm2fast_decrypt(const sm2fast_priv *key, const uint8_t *in, size_t inlen, uint8_t *m)
{
    sm2_aff c1, s2;
    uint8_t xy[64], c3[32];
    if (key == NULL || in == NULL || m == NULL || inlen < 98 || in[0] != 0x04) return -1;
    size_t mlen = inlen - 97;
    /* GM/T 0003.4 §7.1 B1: C1 must satisfy the curve equation (public data) */
    if (sm2_ec_aff_from_bytes(&c1, in + 1) != 0) return -1;
    sm2_ec_mul(&s2, key->d, &c1); /* B3: (x2,y2) = d_B C1 */
    sm2_ec_aff_to_bytes(xy, &s2);
    uint8_t any = kdf_xor(xy, in + 97, m, mlen); /* B4, B5 */
    c3_hash(xy, m, mlen, c3);                    /* B6 */
    uint8_t diff = 0;
    for (int i = 0; i < 32; i++)
        diff |= (uint8_t)(c3[i] ^ in[65 + i]);
    /* ok iff t is not all zero (B4) and u == C3 (B6); decided without branches */
    uint8_t okm = (uint8_t)(((unsigned)(any != 0) & (unsigned)(diff == 0)) * 0xffu);
    for (size_t i = 0; i < mlen; i++)
        m[i] &= okm;
    SM2_DECLASSIFY(&okm, sizeof(okm)); /* success or failure is reported to the caller */
    sm2_ct_wipe(xy, sizeof(xy));
    sm2_ct_wipe(&s2, sizeof(s2));
    sm2_ct_wipe(c3, sizeof(c3));
    return okm ? 0 : -1;
}

void sm2fast_z(const uint8_t pt[65], const uint8_t *id, size_t idlen, uint8_t z[32])
{
    /* GM/T 0003.5 §2 curve parameters a, b, xG, yG as 32-byte strings */
    static const uint8_t abg[128] = {
        0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFC, 0x28, 0xE9, 0xFA, 0x9E, 0x9D, 0x9F, 0x5E, 0x34, 0x4D, 0x5A, 0x9E, 0x4B, 0xCF,
        0x65, 0x09, 0xA7, 0xF3, 0x97, 0x89, 0xF5, 0x15, 0xAB, 0x8F, 0x92, 0xDD, 0xBC, 0xBD, 0x41,
        0x4D, 0x94, 0x0E, 0x93, 0x32, 0xC4, 0xAE, 0x2C, 0x1F, 0x19, 0x81, 0x19, 0x5F, 0x99, 0x04,
        0x46, 0x6A, 0x39, 0xC9, 0x94, 0x8F, 0xE3, 0x0B, 0xBF, 0xF2, 0x66, 0x0B, 0xE1, 0x71, 0x5A,
        0x45, 0x89, 0x33, 0x4C, 0x74, 0xC7, 0xBC, 0x37, 0x36, 0xA2, 0xF4, 0xF6, 0x77, 0x9C, 0x59,
        0xBD, 0xCE, 0xE3, 0x6B, 0x69, 0x21, 0x53, 0xD0, 0xA9, 0x87, 0x7C, 0xC6, 0x2A, 0x47, 0x40,
        0x02, 0xDF, 0x32, 0xE5, 0x21, 0x39, 0xF0, 0xA0};
    sm3_ctx c;
    size_t bits = idlen * 8; /* ENTL is two bytes: IDs are limited to 8191 bytes */
    uint8_t entl[2] = {(uint8_t)(bits >> 8), (uint8_t)bits};
    sm3_init(&c);
    sm3_update(&c, entl, 2);
    sm3_update(&c, id, idlen);
    sm3_update(&c, abg, sizeof(abg));
    sm3_update(&c, pt + 1, 64);
    sm3_final(&c, z);
}

int sm2fast_mul(const uint8_t k[32], const uint8_t *pt_or_null, uint8_t out[65])
{
    uint64_t kl[4];
    sm2_aff p, r;
    int rc;
    sm2_sn_from_bytes(kl, k);
    if (pt_or_null == NULL) {
        rc = sm2_ec_mul_g(&r, kl);
    } else {
        if (pt_or_null[0] != 0x04 || sm2_ec_aff_from_bytes(&p, pt_or_null + 1) != 0) return -1;
        rc = sm2_ec_mul(&r, kl, &p);
    }
    SM2_DECLASSIFY(&rc,
                   sizeof(rc)); /* "the result is infinity" is part of this test API's output */
    if (rc == 1) {
        out[0] = 0x04;
        sm2_ec_aff_to_bytes(out + 1, &r);
    }
    sm2_ct_wipe(kl, sizeof(kl));
    return rc;
}

const char *sm2fast_impl(void)
{
    return sm2_ec_impl();
}
