/* sm2_cpurate.c - sign/verify rate of the fast SM2 engine by thread CPU time, for a machine whose
 * wall clock is shared with other work. */
/*
 * Build: cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/sm2_cpurate.c src/crypto/sm2/\*.c -lpthread
 * Usage: sm2_cpurate [signatures per round, default 16000]; 3 rounds, each N signatures of one
 * digest e (the per-thread nonce refills included) then N/8 verifications. CPU time leaves out
 * the time other processes hold the core, not their effect on the caches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "crypto/sm2/sm2fast.h"

static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 16000;
    uint8_t d[32], pt[65], e[32] = {1}, r[32], s[32];
    if (n < 8 || sm2fast_keygen(d, pt) != 0)
        return 1;
    sm2fast_priv *k = sm2fast_priv_new(d);
    sm2fast_pub *p = sm2fast_pub_new(pt);
    if (k == NULL || p == NULL || sm2fast_sign(k, e, r, s) != 0)
        return 1;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = cpu();
        for (int i = 0; i < n; i++)
            if (sm2fast_sign(k, e, r, s) != 0)
                return 1;
        double t1 = cpu();
        int m = n / 8;
        for (int i = 0; i < m; i++)
            if (sm2fast_verify(p, e, r, s) != 1)
                return 1;
        double t2 = cpu();
        printf("%s sign %.0f/s verify %.0f/s (thread CPU time)\n", sm2fast_impl(), n / (t1 - t0),
               m / (t2 - t1));
    }
    sm2fast_priv_free(k);
    sm2fast_pub_free(p);
    return 0;
}
