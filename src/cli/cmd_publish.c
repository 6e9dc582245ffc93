/* cmd_publish.c - sealca publish: drain the directory outbox once (cron-able). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/publish.h"

#define PUBLISH_BATCH      200
#define PUBLISH_MAX_ROUNDS 1000 /* bounds one run: 200,000 rows */

int cmd_publish(int argc, char **argv)
{
    cli_ctx c = {0};
    int now = 0;
    static const struct option lo[] = {
        CLI_COMMON_LONGOPTS, {"now", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'n':
            now = 1;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc) return cli_usage("publish: unexpected argument '%s'", argv[optind]);
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (ca->ldap[0] == 0) {
        printf("sealca: no directory configured (set ldap and ldap_base in sealca.conf)\n");
        goto out;
    }
    if (now && ldappub_retry_now(ca, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    ldappub_stats tot = {0}, st = {0};
    for (int round = 0; round < PUBLISH_MAX_ROUNDS; round++) {
        if (ldappub_drain(ca, PUBLISH_BATCH, &st, &e) != 0) {
            rc = cli_fail(&e);
            goto out;
        }
        tot.published += st.published;
        tot.superseded += st.superseded;
        tot.failed += st.failed;
        tot.pending = st.pending;
        /* failed rows are scheduled later, so a round that only failed ends the run */
        if (st.published + st.superseded == 0) break;
    }
    printf("sealca: published %zu to %s, %zu superseded, %zu failed; %lld pending\n", tot.published,
           ca->ldap, tot.superseded, tot.failed, (long long)tot.pending);
    if (tot.failed > 0) {
        fprintf(stderr, "sealca: some publications failed and are retried later with backoff "
                        "(their last_error is in the outbox table; --now retries at once)\n");
        rc = EXIT_REFUSED;
    }
out:
    ca_close(ca);
    cli_done(&c);
    return rc;
}
