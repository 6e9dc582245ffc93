/* sm2_icount.c - fixed workload for instruction counting under callgrind: N signs then N verifies
 * with one long-lived key. Build like sm2_speed.c (no -lcrypto needed); run e.g.
 *   SEALCA_SM2_IMPL='adx!' valgrind --tool=callgrind --callgrind-out-file=cg.out build/sm2_icount 200
 *   callgrind_annotate --inclusive=yes cg.out | grep -E 'sm2fast_(sign|verify) '
 * and divide the inclusive counts by N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/sm2/sm2fast.h"

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    uint8_t d[32], pt[65], e[32], r[32], s[32];
    memset(e, 0x17, sizeof(e));
    if (sm2fast_keygen(d, pt) != 0)
        return 1;
    sm2fast_priv *k = sm2fast_priv_new(d);
    sm2fast_pub *p = sm2fast_pub_new(pt);
    if (k == NULL || p == NULL)
        return 1;
    for (int i = 0; i < n; i++) {
        e[0] = (uint8_t)i;
        if (sm2fast_sign(k, e, r, s) != 0)
            return 1;
    }
    int ok = 0;
    for (int i = 0; i < n; i++) {
        e[0] = (uint8_t)(n - 1);
        ok += sm2fast_verify(p, e, r, s);
    }
    printf("%s: %d/%d verified\n", sm2fast_impl(), ok, n);
    sm2fast_priv_free(k);
    sm2fast_pub_free(p);
    return ok == n ? 0 : 1;
}
