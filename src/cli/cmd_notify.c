/* cmd_notify.c - sealca notify: the e-mail outbox from the command line (status, list, send, test).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "ra/notify.h"

#define NOTIFY_MAX_ROUNDS 200 /* one run sends at most 200 batches */

static int print_msg(void *arg, const notify_msg *m)
{
    (void)arg;
    char when[40];
    cli_time(m->state[0] == 's' ? m->sent_at : m->next_attempt, when, sizeof(when));
    printf("%6lld  %-7s  %3lld  %s  %s  %s%s%s\n", (long long)m->id, m->state,
           (long long)m->attempts, when, m->to, m->subject,
           m->last_error[0] ? "  last error: " : "", m->last_error);
    return 0;
}

int cmd_notify(int argc, char **argv)
{
    cli_ctx c = {0};
    int now = 0;
    long limit = 20;
    const char *to = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"now", no_argument, NULL, 'n'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {"to", required_argument, NULL, 't'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'n':
            now = 1;
            break;
        case 'l':
            limit = strtol(optarg, NULL, 10);
            if (limit < 1 || limit > 1000) return cli_usage("notify: --limit is 1..1000");
            break;
        case 't':
            to = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) return cli_usage("notify: status | list | send | test --to ADDRESS");
    const char *sub = argv[optind];
    if (strcmp(sub, "status") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "send") != 0 &&
        strcmp(sub, "test") != 0)
        return cli_usage("notify: unknown subcommand '%s'", sub);
    if (strcmp(sub, "test") == 0 && to == NULL) return cli_usage("notify test needs --to ADDRESS");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    int64_t t = (int64_t)time(NULL);
    if (strcmp(sub, "test") == 0) {
        /* queued like any notification, in a transaction with its audit record */
        if (store_tx_begin(ca->db, &e) == 0) {
            if (notify_enqueue(ca->db, to, "【sealca】测试邮件 / test message",
                               "这是一封测试邮件：邮件通知已配置成功。\n"
                               "This is a test message: e-mail notifications work.\n",
                               0, &e) == 0 &&
                audit_append(ca->db, "operator", "notify.test", "notify", "ok", "queued", &e) ==
                    0 &&
                store_tx_commit(ca->db, &e) == 0)
                printf("sealca: test message queued (sealca notify send delivers it)\n");
            else
                store_tx_rollback(ca->db);
        }
    } else if (strcmp(sub, "list") == 0) {
        printf("    id  state    try  next/sent (Asia/Shanghai)  to  subject\n");
        notify_list(ca->db, (size_t)limit, print_msg, NULL, &e);
    } else if (strcmp(sub, "send") == 0) {
        notify_conf cf;
        int on = 0;
        if (notify_conf_load(ca->home, &cf, &on, &e) == 0) {
            if (!on) {
                printf("sealca: no mail server configured (set smtp_url and smtp_from in "
                       "sealca.conf); messages stay queued\n");
            } else if (!now || notify_requeue(ca->db, t, &e) == 0) {
                size_t total = 0, sent = 0;
                for (int r = 0; r < NOTIFY_MAX_ROUNDS; r++) {
                    if (notify_deliver(ca->db, &cf.smtp, t, &sent, &e) != 0 || sent == 0) break;
                    total += sent;
                }
                if (e.status == 0) printf("sealca: sent %zu message(s) via %s\n", total, cf.url);
            }
            notify_conf_free(&cf);
        }
    }
    notify_counts k;
    if (e.status == 0 && notify_stats(ca->db, &k, &e) == 0) {
        printf("sealca: outbox: %lld pending (%lld failing), %lld sent\n", (long long)k.pending,
               (long long)k.failing, (long long)k.sent);
        if (strcmp(sub, "send") == 0 && k.failing > 0) {
            fprintf(stderr, "sealca: some messages could not be sent; they are retried with "
                            "backoff (sealca notify list shows the last error; --now retries at "
                            "once)\n");
            rc = EXIT_REFUSED;
        }
    }
    if (e.status != 0) rc = cli_fail(&e);
    ca_close(ca);
    cli_done(&c);
    return rc;
}
