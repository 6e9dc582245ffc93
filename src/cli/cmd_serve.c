/* cmd_serve.c - sealca serve: the key process, the HTTP listeners, background publication. */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "publish/publish.h"
#include "ra/ra.h"

typedef struct maint {
    api_app *app;
    pthread_t th;
    int ok;
} maint;

/* Background publication: OCSP entries follow status changes within ~0.2 s, CRLs within 15 s. */
static void *maint_main(void *arg)
{
    maint *m = arg;
    api_app *app = m->app;
    int64_t last_crl = 0, last_due = (int64_t)time(NULL), last_ra = 0;
    while (!app->stopping) {
        int64_t now = (int64_t)time(NULL);
        sc_err e = {0};
        int due = now - last_due >= 60;
        if (api_ocsp_sync(app, now, due, &e) != 0)
            fprintf(stderr, "sealca serve: OCSP refresh: %s\n", e.msg);
        else if (due)
            last_due = now;
        if (now - last_crl >= 15) {
            sc_err ce = {0};
            if (api_crl_refresh(app, now, &ce) != 0)
                fprintf(stderr, "sealca serve: CRL publication: %s\n", ce.msg);
            last_crl = now;
        }
        if (now - last_ra >= 30) { /* registration service: reminders and mail */
            sc_err re = {0};
            if (api_ra_maint(app, now, &re) != 0)
                fprintf(stderr, "sealca serve: reminders/mail: %s\n", re.msg);
            last_ra = now;
        }
        for (int i = 0; i < 4 && !app->stopping; i++)
            usleep(50000);
    }
    pki_ca *ca = pthread_getspecific(app->ca_key);
    if (ca != NULL) {
        ca_close(ca);
        pthread_setspecific(app->ca_key, NULL);
    }
    return NULL;
}

/* Directory publication: drains the LDAP outbox every 2 s. A thread of its own beside
 * maint_main, so that a slow or unreachable directory (LDAPPUB_TIMEOUT s per connection) never
 * holds up the OCSP refresh, which follows status changes within a second. */
#define PUBLISH_EVERY 2
static void *publish_main(void *arg)
{
    maint *m = arg;
    api_app *app = m->app;
    int64_t last = 0;
    while (!app->stopping) {
        int64_t now = (int64_t)time(NULL);
        if (now - last >= PUBLISH_EVERY) {
            sc_err e = {0};
            ldappub_stats st = {0};
            pki_ca *ca = api_ca(app, &e);
            if (ca == NULL || ldappub_drain(ca, 100, &st, &e) != 0)
                fprintf(stderr, "sealca serve: directory publication: %s\n", e.msg);
            else if (st.failed > 0)
                fprintf(stderr,
                        "sealca serve: directory publication: %zu failed (retried with "
                        "backoff), %lld pending\n",
                        st.failed, (long long)st.pending);
            last = now;
        }
        for (int i = 0; i < 4 && !app->stopping; i++)
            usleep(50000);
    }
    pki_ca *ca = pthread_getspecific(app->ca_key);
    if (ca != NULL) {
        ca_close(ca);
        pthread_setspecific(app->ca_key, NULL);
    }
    return NULL;
}

int cmd_serve(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *listen = "127.0.0.1:8080", *tls_listen = NULL, *tls_cert = NULL, *tls_key = NULL;
    const char *logf = "-";
    unsigned threads = 4;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"listen", required_argument, NULL, 'l'},
                                       {"tls-listen", required_argument, NULL, 'L'},
                                       {"tls-cert", required_argument, NULL, 'c'},
                                       {"tls-key", required_argument, NULL, 'k'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"access-log", required_argument, NULL, 'a'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'l':
            listen = optarg;
            break;
        case 'L':
            tls_listen = optarg;
            break;
        case 'c':
            tls_cert = optarg;
            break;
        case 'k':
            tls_key = optarg;
            break;
        case 't':
            threads = (unsigned)atoi(optarg);
            break;
        case 'a':
            logf = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc) return cli_usage("serve: unexpected argument '%s'", argv[optind]);
    if (threads < 1 || threads > 64) return cli_usage("--threads must be 1..64");
    if ((tls_cert == NULL) != (tls_key == NULL) || (tls_cert != NULL && tls_listen == NULL))
        return cli_usage("--tls-cert and --tls-key go together, with --tls-listen");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 1, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    keyproc *kp = NULL;
    sc_buf tls_cert_pem = {0}, tls_key_pem = {0};
    if (tls_listen != NULL && tls_cert == NULL) {
        /* the HTTPS certificate made at init (DIR/tls/); its key is decrypted here, in the
         * network process, because TLS needs it there - it is not a CA key */
        char p[4200];
        sc_key *k = NULL;
        uint8_t *cd = NULL;
        size_t cl = 0;
        snprintf(p, sizeof(p), "%s/tls/server.key", c.home);
        int r2 = crypto_key_load(p, c.pass, c.passlen, &k, &e);
        if (r2 == 0) r2 = crypto_key_export_plain(k, &tls_key_pem, &e);
        crypto_key_free(k);
        snprintf(p, sizeof(p), "%s/tls/server.pem", c.home);
        if (r2 == 0 && (r2 = sc_file_read(p, 1 << 20, &cd, &cl)) != 0)
            sc_fail(&e, r2, "serve.tls", "cannot read %s", p);
        if (r2 == 0) {
            sc_buf_append(&tls_cert_pem, cd, cl);
            sc_buf_putc(&tls_cert_pem, 0);
            sc_buf_putc(&tls_key_pem, 0);
        }
        free(cd);
        if (r2 != 0) {
            ca_close(ca);
            cli_done(&c);
            sc_buf_wipe(&tls_key_pem);
            sc_buf_free(&tls_cert_pem);
            return cli_fail(&e);
        }
    }
    /* the key process is forked first, before any thread or listener exists; this process then
     * forgets the passphrase and never holds a private key */
    /* a home made when ra.conf held the phone lookup key: move it into the key store first, so
     * that the key process loads it and this process never holds it (ra-renew) */
    ra_err lre = {0};
    if (ra_lookup_key_migrate(ca, "serve", NULL, &lre) != 0) {
        ca_close(ca);
        cli_done(&c);
        return cli_fail(&lre.e);
    }
    rc = keyproc_start(ca, &kp, &e);
    ca_close(ca);
    cli_done(&c);
    if (rc != 0) return cli_fail(&e);
    FILE *log = NULL;
    if (strcmp(logf, "-") == 0)
        log = stdout;
    else if (strcmp(logf, "none") != 0 && (log = fopen(logf, "a")) == NULL) {
        keyproc_stop(kp);
        sc_fail(&e, SC_EIO, "serve.log", "cannot open access log %s: %s", logf, strerror(errno));
        return cli_fail(&e);
    }
    /* signals are taken by the main thread only */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    api_app app;
    http_server *plain = NULL, *tls = NULL;
    maint m = {0}, pub = {0};
    if (api_app_init(&app, c.home, kp, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    pki_ca *mca = api_ca(&app, &e);
    ocsp_cache_conf cf = {0};
    if (mca == NULL || ocsp_cache_new(mca, &cf, &app.ocsp, &e) != 0) {
        rc = cli_fail(&e);
        goto out_app;
    }
    if (store_counter(mca->db, "status", 0, &app.seen_status, &e) != 0) {
        rc = cli_fail(&e);
        goto out_app;
    }
    /* publish CRLs before the first relying party asks */
    if (api_crl_refresh(&app, (int64_t)time(NULL), &e) != 0) {
        rc = cli_fail(&e);
        goto out_app;
    }
    size_t nroutes;
    const http_route *routes = api_routes(&nroutes);
    http_opts ho = {.listen = listen,
                    .threads = threads,
                    .conn_limit = 2000,
                    .per_ip_limit = 0,
                    .idle_timeout = 15,
                    .mem_limit = 32 * 1024,
                    .access_log = log};
    if (http_start(&ho, routes, nroutes, &app, &plain, &e) != 0) {
        rc = cli_fail(&e);
        goto out_app;
    }
    if (tls_listen != NULL) {
        http_opts to = ho;
        to.listen = tls_listen;
        to.tls_cert = tls_cert;
        to.tls_key = tls_key;
        to.tls_cert_pem = tls_cert ? NULL : (const char *)tls_cert_pem.p;
        to.tls_key_pem = tls_cert ? NULL : (const char *)tls_key_pem.p;
        if (http_start(&to, routes, nroutes, &app, &tls, &e) != 0) {
            rc = cli_fail(&e);
            goto out_http;
        }
    }
    m.app = &app;
    pthread_create(&m.th, NULL, maint_main, &m);
    if (mca->ldap[0]) {
        pub.app = &app;
        pub.ok = pthread_create(&pub.th, NULL, publish_main, &pub) == 0;
    }
    char tlsinfo[160] = "";
    if (tls != NULL)
        snprintf(tlsinfo, sizeof(tlsinfo), ", https://%s (tls port %u)", tls_listen,
                 http_port(tls));
    fprintf(stderr, "sealca: serving http://%s (port %u)%s; key process pid %ld; engine %s\n",
            listen, http_port(plain), tlsinfo, (long)keyproc_pid(kp), crypto_sm2_engine_name());
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "sealca: signal %d: finishing requests in progress and stopping\n", sig);
    app.stopping = 1;
    pthread_join(m.th, NULL);
    if (pub.ok) pthread_join(pub.th, NULL);
out_http:
    http_stop(tls, 10000);
    http_stop(plain, 10000);
out_app:
    ocsp_cache_free(app.ocsp);
    api_app_free(&app);
out:
    sc_buf_wipe(&tls_key_pem);
    sc_buf_free(&tls_cert_pem);
    if (log != NULL && log != stdout) fclose(log);
    keyproc_stop(kp);
    return rc;
}
