/* sm2_dudect.c - dudect-style timing leak check of the fast engine's sign path (Welch t-test, fixed
 * vs random secret). */
/*
 * Reichelt-style "dudect" (Reparaz, Balasch, Verbauwhede 2017): interleave, in random
 * order, measurements for class 0 (a fixed secret) and class 1 (a fresh random secret),
 * then compare the two timing distributions with Welch's t-test, also after cropping
 * the slow tail at several percentiles. |t| > 4.5 is reported as "possible leak".
 * This is a report, not a pass/fail test: timing noise on a shared VM is large.
 * Three experiments: the nonce k (sm2fast_sign_with_k, fixed key), the private key d
 * (sm2fast_sign_with_k with a fixed k; key objects are prepared outside the timing), and the
 * nonce batch that sm2fast_sign's pool is filled from (sm2_ec_mul_g_x_batch over SM2_GBATCH_MAX
 * (128) fixed scalars vs as many random ones; n/128 batches). Usage: sm2_dudect [measurements per
 * experiment, default 200000]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <x86intrin.h>

#include "crypto/sm2/sm2_ec.h"
#include "crypto/sm2/sm2fast.h"

typedef struct welch {
    double n[2], mean[2], m2[2];
} welch;

static void welch_push(welch *w, int cls, double x)
{
    w->n[cls] += 1;
    double d = x - w->mean[cls];
    w->mean[cls] += d / w->n[cls];
    w->m2[cls] += d * (x - w->mean[cls]);
}

static double welch_t(const welch *w)
{
    if (w->n[0] < 2 || w->n[1] < 2) return 0;
    double v0 = w->m2[0] / (w->n[0] - 1), v1 = w->m2[1] / (w->n[1] - 1);
    return (w->mean[0] - w->mean[1]) / sqrt(v0 / w->n[0] + v1 / w->n[1]);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void rnd(void *p, size_t n)
{
    if (getrandom(p, n, 0) != (ssize_t)n) exit(1);
}

/* 1 <= k <= n-1 holds for random 32 bytes except with probability ~2^-32: force the top byte below
 * 0xff */
static void rnd_scalar(uint8_t k[32])
{
    rnd(k, 32);
    k[0] &= 0x7f;
    k[31] |= 1;
}

#define NPOOL 256

static double run(const char *name, long n, int vary_key)
{
    uint8_t fixed[32], e[32], r[32], s[32], k[32];
    uint8_t(*ks)[32] = malloc((size_t)n * 32);
    uint8_t *cls = malloc((size_t)n);
    uint64_t *t = malloc((size_t)n * sizeof(uint64_t));
    sm2fast_priv *pool[NPOOL], *fpool[NPOOL], *fixed_priv;
    if (ks == NULL || cls == NULL || t == NULL) exit(1);
    rnd(e, 32);
    rnd_scalar(fixed);
    fixed_priv = sm2fast_priv_new(fixed);
    for (int i = 0; i < NPOOL; i++) {
        uint8_t d[32];
        rnd_scalar(d);
        pool[i] = sm2fast_priv_new(d);
        fpool[i] = sm2fast_priv_new(fixed); /* same key, different memory: both classes rotate */
    }
    rnd(cls, (size_t)n);
    for (long i = 0; i < n; i++) {
        cls[i] &= 1;
        if (cls[i] == 0)
            memcpy(ks[i], fixed, 32);
        else
            rnd_scalar(ks[i]);
    }
    memcpy(k, fixed, 32);
    for (long i = 0; i < n; i++) {
        const sm2fast_priv *key = fixed_priv;
        const uint8_t *nonce = ks[i];
        if (vary_key) {
            key = cls[i] == 0 ? fpool[i % NPOOL] : pool[i % NPOOL];
            nonce = k;
        }
        unsigned aux;
        uint64_t t0 = __rdtscp(&aux);
        int rc = sm2fast_sign_with_k(key, e, nonce, r, s);
        uint64_t t1 = __rdtscp(&aux);
        t[i] = t1 - t0;
        if (rc != 0) t[i] = 0;
    }
    /* crop thresholds from the pooled distribution */
    uint64_t *sorted = malloc((size_t)n * sizeof(uint64_t));
    memcpy(sorted, t, (size_t)n * sizeof(uint64_t));
    qsort(sorted, (size_t)n, sizeof(uint64_t), cmp_u64);
    static const double pct[] = {1.0, 0.99, 0.95, 0.9, 0.75, 0.5};
    double worst = 0;
    printf("%s: %ld measurements, median %llu cycles\n", name, n,
           (unsigned long long)sorted[n / 2]);
    for (size_t j = 0; j < sizeof(pct) / sizeof(pct[0]); j++) {
        uint64_t lim = sorted[(long)((double)(n - 1) * pct[j])];
        welch w;
        memset(&w, 0, sizeof(w));
        for (long i = 0; i < n; i++)
            if (t[i] != 0 && t[i] <= lim) welch_push(&w, cls[i], (double)t[i]);
        double tv = welch_t(&w);
        printf("  crop %5.1f%%: t = %+7.2f (means %.0f / %.0f cycles)\n", pct[j] * 100, tv,
               w.mean[0], w.mean[1]);
        if (fabs(tv) > worst) worst = fabs(tv);
    }
    printf("  max |t| = %.2f: %s\n", worst, worst > 4.5 ? "possible leak" : "no leak detected");
    for (int i = 0; i < NPOOL; i++) {
        sm2fast_priv_free(pool[i]);
        sm2fast_priv_free(fpool[i]);
    }
    sm2fast_priv_free(fixed_priv);
    free(sorted);
    free(ks);
    free(cls);
    free(t);
    return worst;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double run_batch(const char *name, long n)
{
    uint8_t b[32];
    uint64_t fixed[SM2_GBATCH_MAX][4], k[SM2_GBATCH_MAX][4], x[SM2_GBATCH_MAX][4];
    uint64_t bad[SM2_GBATCH_MAX];
    void *scratch = malloc(sm2_ec_gbatch_scratch_size());
    double *t = malloc((size_t)n * sizeof(double)), *sorted = malloc((size_t)n * sizeof(double));
    uint8_t *cls = malloc((size_t)n);
    if (scratch == NULL || t == NULL || sorted == NULL || cls == NULL) exit(1);
    for (int j = 0; j < SM2_GBATCH_MAX; j++) {
        rnd_scalar(b);
        sm2_sn_from_bytes(fixed[j], b);
    }
    rnd(cls, (size_t)n);
    for (long i = 0; i < n; i++) {
        cls[i] &= 1;
        for (int j = 0; j < SM2_GBATCH_MAX; j++) {
            if (cls[i] == 0) {
                memcpy(k[j], fixed[j], 32);
            } else {
                rnd_scalar(b);
                sm2_sn_from_bytes(k[j], b);
            }
        }
        unsigned aux;
        uint64_t t0 = __rdtscp(&aux);
        sm2_ec_mul_g_x_batch(x, bad, (const uint64_t(*)[4])k, SM2_GBATCH_MAX, scratch);
        uint64_t t1 = __rdtscp(&aux);
        t[i] = (double)(t1 - t0);
    }
    memcpy(sorted, t, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), cmp_dbl);
    static const double pct[] = {1.0, 0.99, 0.95, 0.9, 0.75, 0.5};
    double worst = 0;
    printf("%s: %ld measurements, median %.0f cycles\n", name, n, sorted[n / 2]);
    for (size_t j = 0; j < sizeof(pct) / sizeof(pct[0]); j++) {
        double lim = sorted[(long)((double)(n - 1) * pct[j])];
        welch w;
        memset(&w, 0, sizeof(w));
        for (long i = 0; i < n; i++)
            if (t[i] <= lim) welch_push(&w, cls[i], t[i]);
        double tv = welch_t(&w);
        printf("  crop %5.1f%%: t = %+7.2f (means %.0f / %.0f cycles)\n", pct[j] * 100, tv,
               w.mean[0], w.mean[1]);
        if (fabs(tv) > worst) worst = fabs(tv);
    }
    printf("  max |t| = %.2f: %s\n", worst, worst > 4.5 ? "possible leak" : "no leak detected");
    free(scratch);
    free(t);
    free(sorted);
    free(cls);
    return worst;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    printf("sm2_dudect: engine path %s\n", sm2fast_impl());
    run("sign, secret nonce k (fixed vs random)", n, 0);
    run("sign, secret key d (fixed vs random)", n, 1);
    run_batch("nonce batch of 128 (fixed vs random scalars)", n / 128 > 100 ? n / 128 : 100);
    return 0;
}
