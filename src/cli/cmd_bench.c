/* cmd_bench.c - in-process benchmarks: issuance throughput, CRL population, SM2 operations. */
#include "cli.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct issue_job {
    const char *home;
    const char *pass;
    size_t passlen;
    const uint8_t *csr;
    size_t csrlen;
    long count;
    long done;
    int failed;
    pthread_barrier_t *ready; /* every worker has its CA open and its key decrypted */
    double *t0;
} issue_job;

/* One thread: its own CA handle (its own store connection); CSR parsed and verified for every
 * certificate, as a CA serving requests would. */
static void *issue_worker(void *arg)
{
    issue_job *j = arg;
    pki_ca *ca = NULL;
    sc_err e = {0};
    sc_key *k = NULL;
    /* the passphrase KDF is paid once per process start, not per certificate: keep it out of
     * the measurement */
    if (ca_open(j->home, j->pass, j->passlen, &ca, &e) != 0 || ca_active_issuing(ca) == NULL ||
        ca_issuer_key(ca, ca_active_issuing(ca), &k, &e) != 0) {
        j->failed = 1;
        fprintf(stderr, "bench: %s\n", e.msg);
        pthread_barrier_wait(j->ready);
        ca_close(ca);
        return NULL;
    }
    if (pthread_barrier_wait(j->ready) == PTHREAD_BARRIER_SERIAL_THREAD) *j->t0 = now_s();
    for (long i = 0; i < j->count; i++) {
        csr req;
        cert_info ci;
        sc_err ie = {0};
        char subj[128];
        snprintf(subj, sizeof(subj), "CN=压测单位%ld,O=压测单位%ld,C=CN", i, i);
        issue_req r = {.profile = "organization-sign",
                       .subject = subj,
                       .uscc = "91350100M000100Y43",
                       .actor = "bench"};
        if (csr_parse(j->csr, j->csrlen, &req, &ie) != 0) {
            fprintf(stderr, "bench: %s\n", ie.msg);
            j->failed = 1;
            break;
        }
        r.pub = req.pub;
        int rc = pki_issue(ca, &r, &ci, &ie);
        csr_free(&req);
        if (rc != 0) {
            fprintf(stderr, "bench: %s\n", ie.msg);
            j->failed = 1;
            break;
        }
        cert_info_free(&ci);
        j->done++;
    }
    ca_close(ca);
    return NULL;
}

static int bench_issue(cli_ctx *c, const char *csrfile, long count, int threads)
{
    uint8_t *csrdata = NULL;
    size_t csrlen = 0;
    if (sc_file_read(csrfile, CSR_MAX, &csrdata, &csrlen) != 0)
        return cli_usage("cannot read --csr %s", csrfile);
    int rc = cli_home(c);
    if (rc == 0) rc = cli_passphrase(c, 1);
    if (rc != 0) {
        free(csrdata);
        return rc;
    }
    issue_job jobs[16];
    pthread_t th[16];
    pthread_barrier_t ready;
    double t0 = 0;
    pthread_barrier_init(&ready, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++) {
        jobs[i] = (issue_job){c->home,         c->pass, c->passlen, csrdata, csrlen,
                              count / threads, 0,       0,          &ready,  &t0};
        pthread_create(&th[i], NULL, issue_worker, &jobs[i]);
    }
    long done = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        done += jobs[i].done;
        failed |= jobs[i].failed;
    }
    double dt = now_s() - t0;
    pthread_barrier_destroy(&ready);
    printf("issue %ld certificates %d threads %.3f s %.0f certs/s engine=%s\n", done, threads, dt,
           done / dt, crypto_sm2_engine_name());
    free(csrdata);
    return failed ? EXIT_REFUSED : 0;
}

/* Fill the store with n revoked certificates of the active issuing CA, for CRL benchmarks.
 * The rows are synthetic (their DER column holds a marker, not a certificate): use a home made
 * for benchmarking only. */
static int bench_populate(cli_ctx *c, long n)
{
    pki_ca *ca = NULL;
    int rc = cli_open(c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    pki_issuer *iss = ca_active_issuing(ca);
    int64_t now = (int64_t)time(NULL);
    static const uint8_t marker[] = "bench-synthetic";
    for (long done = 0; done < n && rc == 0;) {
        if (store_tx_begin(ca->db, &e) != 0) {
            rc = cli_fail(&e);
            break;
        }
        for (long k = 0; k < 50000 && done < n; k++, done++) {
            uint8_t s[16];
            char sn[33];
            crypto_random(s, 16);
            s[0] = (uint8_t)((s[0] & 0x7f) | 0x01);
            sc_hex_encode(s, 16, sn, 0);
            store_stmt *st;
            if (store_stmt_get(ca->db, ST_CERT_INSERT, &st, &e) != 0) break;
            store_bind_text(st, 1, sn);
            store_bind_text(st, 2, iss->id);
            store_bind_text(st, 3, "organization-sign");
            store_bind_int64(st, 4, 1);
            store_bind_text(st, 5, "CN=bench");
            store_bind_int64(st, 6, now - 86400);
            store_bind_int64(st, 7, now + 365 * 86400);
            store_bind_int64(st, 8, now);
            store_bind_blob(st, 9, marker, sizeof(marker));
            if (store_exec(st, &e) != 0) break;
            if (store_stmt_get(ca->db, ST_CERT_SET_STATUS, &st, &e) != 0) break;
            store_bind_text(st, 1, "revoked");
            store_bind_int64(st, 2, (k % 3) ? REASON_KEY_COMPROMISE : REASON_CESSATION);
            store_bind_int64(st, 3, now - k % 86400);
            if (k % 5 == 0)
                store_bind_int64(st, 4, now - 2 * 86400);
            else
                store_bind_null(st, 4);
            store_bind_int64(st, 5, 1);
            store_bind_text(st, 6, sn);
            store_bind_text(st, 7, "good");
            if (store_exec(st, &e) != 0) break;
        }
        if (e.status != 0 || store_tx_commit(ca->db, &e) != 0) {
            store_tx_rollback(ca->db);
            rc = cli_fail(&e);
        }
    }
    if (rc == 0) printf("populated %ld revoked certificates under %s\n", n, iss->id);
    ca_close(ca);
    return rc;
}

/* CPU time of the calling thread: the SM2 rates are per CPU second, like `openssl speed`
 * (user CPU time), so that they mean "one core" on a machine shared with other work. */
static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One-core SM2 throughput through the crypto layer, i.e. what the rest of sealca gets:
 * sign includes e = SM3(Z || M) with a long-lived key (Z cached), verify includes the DER
 * signature decoding. Prints `sm2 <op> <ops-per-second>` per CPU second of this thread. */
static int bench_sm2(const char *engine, double seconds)
{
    sc_sm2_engine eng = SC_SM2_ENGINE_FAST;
    if (engine != NULL && strcmp(engine, "openssl") == 0)
        eng = SC_SM2_ENGINE_OPENSSL;
    else if (engine != NULL && strcmp(engine, "fast") != 0)
        return cli_usage("--engine must be fast or openssl");
    crypto_sm2_engine_set(eng);
    sc_err e = {0};
    sc_key *k = NULL;
    if (crypto_key_generate(SC_ALG_SM2, &k, &e) != 0) return cli_fail(&e);
    uint8_t msg[32];
    crypto_random(msg, sizeof(msg));
    sc_buf sig = {0}, ct = {0}, pt = {0};
    crypto_sign(k, msg, sizeof(msg), &sig, &e);
    crypto_sm2_encrypt(k, msg, sizeof(msg), &ct, &e);
    const char *ops[] = {"sign", "verify", "keygen", "encrypt", "decrypt"};
    int rc = 0;
    for (int op = 0; op < 5 && rc == 0; op++) {
        long n = 0;
        double t0 = thread_cpu_s(), t = t0;
        while (t - t0 < seconds) {
            for (int i = 0; i < 64; i++, n++) {
                int r = 0;
                switch (op) {
                case 0:
                    sig.len = 0;
                    r = crypto_sign(k, msg, sizeof(msg), &sig, &e);
                    break;
                case 1:
                    r = crypto_verify(k, SC_ALG_SM2, msg, sizeof(msg), sig.p, sig.len, &e);
                    break;
                case 2: {
                    sc_key *g = NULL;
                    r = crypto_key_generate(SC_ALG_SM2, &g, &e);
                    crypto_key_free(g);
                    break;
                }
                case 3:
                    ct.len = 0;
                    r = crypto_sm2_encrypt(k, msg, sizeof(msg), &ct, &e);
                    break;
                default:
                    pt.len = 0;
                    r = crypto_sm2_decrypt(k, ct.p, ct.len, &pt, &e);
                    break;
                }
                if (r != 0) {
                    rc = cli_fail(&e);
                    break;
                }
            }
            if (rc != 0) break;
            t = thread_cpu_s();
        }
        if (rc == 0) printf("sm2 %s %.0f\n", ops[op], n / (t - t0));
    }
    sc_buf_free(&sig);
    sc_buf_free(&ct);
    sc_buf_wipe(&pt);
    crypto_key_free(k);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *csrfile = NULL, *engine = NULL;
    double seconds = 2;
    long count = 2000, revoked = 0;
    int threads = 1;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"csr", required_argument, NULL, 'c'},
                                       {"count", required_argument, NULL, 'n'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"revoked", required_argument, NULL, 'r'},
                                       {"engine", required_argument, NULL, 'e'},
                                       {"seconds", required_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'c':
            csrfile = optarg;
            break;
        case 'n':
            count = strtol(optarg, NULL, 10);
            break;
        case 't':
            threads = atoi(optarg);
            break;
        case 'r':
            revoked = strtol(optarg, NULL, 10);
            break;
        case 'e':
            engine = optarg;
            break;
        case 's':
            seconds = strtod(optarg, NULL);
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1)
        return cli_usage("usage: sealca bench issue --csr F [--count N] [--threads T] | "
                         "bench populate --revoked N | bench sm2 [--engine fast|openssl] "
                         "[--seconds N]");
    int rc;
    if (strcmp(argv[optind], "issue") == 0) {
        if (csrfile == NULL || count < 1 || threads < 1 || threads > 16)
            return cli_usage("bench issue needs --csr FILE, --count >= 1, --threads 1..16");
        rc = bench_issue(&c, csrfile, count, threads);
    } else if (strcmp(argv[optind], "sm2") == 0) {
        if (seconds <= 0 || seconds > 600) return cli_usage("--seconds must be 0..600");
        rc = bench_sm2(engine, seconds);
    } else if (strcmp(argv[optind], "populate") == 0) {
        if (revoked < 1 || revoked > 10000000)
            return cli_usage("bench populate needs --revoked 1..10000000");
        rc = bench_populate(&c, revoked);
    } else {
        rc = cli_usage("unknown benchmark '%s'", argv[optind]);
    }
    cli_done(&c);
    return rc;
}
