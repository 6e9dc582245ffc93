/* cmd_kmc.c - sealca kmc … (key management centre) and sealca issue-dual (dual certificates). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kmc/kmc.h"

typedef struct kopts {
    cli_ctx c;
    const char *profile, *subject, *uscc, *id_number, *csr, *out, *cert, *kind, *enc_serial,
        *requester, *case_ref, *reason, *officer, *sign_cert, *password_file, *request, *new_pin,
        *order, *file, *qr, *code, *actor, *sign_out, *enc_out;
    int days, pool_min, pool_target, force, ttl, count;
    long long id;
} kopts;

enum {
    O_PROFILE = 1,
    O_SUBJECT,
    O_USCC,
    O_IDNUM,
    O_CSR,
    O_OUT,
    O_DAYS,
    O_CERT,
    O_KIND,
    O_ENC_SERIAL,
    O_REQUESTER,
    O_CASE,
    O_REASON,
    O_OFFICER,
    O_ID,
    O_SIGN_CERT,
    O_PASSWORD_FILE,
    O_REQUEST,
    O_NEW_PIN,
    O_ORDER,
    O_FILE,
    O_QR,
    O_CODE,
    O_TTL,
    O_POOL_MIN,
    O_POOL_TARGET,
    O_FORCE,
    O_ACTOR,
    O_SIGN_OUT,
    O_ENC_OUT,
    O_COUNT,
};

static int num(const char *s, long lo, long hi, const char *what, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < lo || v > hi) return cli_usage("%s must be %ld..%ld", what, lo, hi);
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, kopts *o)
{
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"profile", required_argument, NULL, O_PROFILE},
                                       {"subject", required_argument, NULL, O_SUBJECT},
                                       {"uscc", required_argument, NULL, O_USCC},
                                       {"id-number", required_argument, NULL, O_IDNUM},
                                       {"csr", required_argument, NULL, O_CSR},
                                       {"out", required_argument, NULL, O_OUT},
                                       {"days", required_argument, NULL, O_DAYS},
                                       {"cert", required_argument, NULL, O_CERT},
                                       {"kind", required_argument, NULL, O_KIND},
                                       {"enc-serial", required_argument, NULL, O_ENC_SERIAL},
                                       {"requester", required_argument, NULL, O_REQUESTER},
                                       {"case", required_argument, NULL, O_CASE},
                                       {"reason", required_argument, NULL, O_REASON},
                                       {"officer", required_argument, NULL, O_OFFICER},
                                       {"id", required_argument, NULL, O_ID},
                                       {"sign-cert", required_argument, NULL, O_SIGN_CERT},
                                       {"password-file", required_argument, NULL, O_PASSWORD_FILE},
                                       {"request", required_argument, NULL, O_REQUEST},
                                       {"new-pin", required_argument, NULL, O_NEW_PIN},
                                       {"order", required_argument, NULL, O_ORDER},
                                       {"file", required_argument, NULL, O_FILE},
                                       {"qr", required_argument, NULL, O_QR},
                                       {"code", required_argument, NULL, O_CODE},
                                       {"ttl", required_argument, NULL, O_TTL},
                                       {"pool-min", required_argument, NULL, O_POOL_MIN},
                                       {"pool-target", required_argument, NULL, O_POOL_TARGET},
                                       {"force", no_argument, NULL, O_FORCE},
                                       {"actor", required_argument, NULL, O_ACTOR},
                                       {"sign-out", required_argument, NULL, O_SIGN_OUT},
                                       {"enc-out", required_argument, NULL, O_ENC_OUT},
                                       {"count", required_argument, NULL, O_COUNT},
                                       {NULL, 0, NULL, 0}};
    int opt;
    long v;
    o->pool_min = 4;
    o->pool_target = 8;
    o->ttl = 600;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&o->c, opt, optarg)) continue;
        switch (opt) {
        case O_PROFILE:
            o->profile = optarg;
            break;
        case O_SUBJECT:
            o->subject = optarg;
            break;
        case O_USCC:
            o->uscc = optarg;
            break;
        case O_IDNUM:
            o->id_number = optarg;
            break;
        case O_CSR:
            o->csr = optarg;
            break;
        case O_OUT:
            o->out = optarg;
            break;
        case O_CERT:
            o->cert = optarg;
            break;
        case O_KIND:
            o->kind = optarg;
            break;
        case O_ENC_SERIAL:
            o->enc_serial = optarg;
            break;
        case O_REQUESTER:
            o->requester = optarg;
            break;
        case O_CASE:
            o->case_ref = optarg;
            break;
        case O_REASON:
            o->reason = optarg;
            break;
        case O_OFFICER:
            o->officer = optarg;
            break;
        case O_SIGN_CERT:
            o->sign_cert = optarg;
            break;
        case O_PASSWORD_FILE:
            o->password_file = optarg;
            break;
        case O_REQUEST:
            o->request = optarg;
            break;
        case O_NEW_PIN:
            o->new_pin = optarg;
            break;
        case O_ORDER:
            o->order = optarg;
            break;
        case O_FILE:
            o->file = optarg;
            break;
        case O_QR:
            o->qr = optarg;
            break;
        case O_CODE:
            o->code = optarg;
            break;
        case O_ACTOR:
            o->actor = optarg;
            break;
        case O_SIGN_OUT:
            o->sign_out = optarg;
            break;
        case O_ENC_OUT:
            o->enc_out = optarg;
            break;
        case O_FORCE:
            o->force = 1;
            break;
        case O_DAYS:
            if (num(optarg, 1, 7305, "--days", &v)) return EXIT_USAGE;
            o->days = (int)v;
            break;
        case O_TTL:
            if (num(optarg, 60, 30 * 86400, "--ttl", &v)) return EXIT_USAGE;
            o->ttl = (int)v;
            break;
        case O_POOL_MIN:
            if (num(optarg, 1, 100000, "--pool-min", &v)) return EXIT_USAGE;
            o->pool_min = (int)v;
            break;
        case O_POOL_TARGET:
            if (num(optarg, 1, 100000, "--pool-target", &v)) return EXIT_USAGE;
            o->pool_target = (int)v;
            break;
        case O_COUNT:
            if (num(optarg, 1, 1000000, "--count", &v)) return EXIT_USAGE;
            o->count = (int)v;
            break;
        case O_ID:
            if (num(optarg, 1, 2000000000L, "--id", &v)) return EXIT_USAGE;
            o->id = v;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc) return cli_usage("unexpected argument '%s'", argv[optind]);
    return 0;
}

typedef struct kctx {
    pki_ca *ca;
    kmc_backend be;
    kmc *k;
} kctx;

static int kopen(kopts *o, int need_key, kctx *x)
{
    memset(x, 0, sizeof(*x));
    int rc = cli_open(&o->c, need_key, &x->ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (need_key && kmc_backend_local(o->c.home, o->c.pass, o->c.passlen, &x->be, &e) != 0)
        return cli_fail(&e);
    if (kmc_open(x->ca, &x->be, &x->k, &e) != 0) return cli_fail(&e);
    return 0;
}

static void kclose(kctx *x, kopts *o)
{
    kmc_close(x->k);
    if (x->be.close) x->be.close(x->be.ctx);
    ca_close(x->ca);
    cli_done(&o->c);
}

static const char *actor_of(const kopts *o)
{
    return o->actor ? o->actor : "cli";
}

int cmd_issue_dual(int argc, char **argv)
{
    kopts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc != 0) return rc;
    if (o.profile == NULL || o.csr == NULL || o.out == NULL)
        return cli_usage("issue-dual needs --profile, --csr and --out");
    kctx x;
    if ((rc = kopen(&o, 1, &x)) != 0) {
        kclose(&x, &o);
        return rc;
    }
    sc_err e = {0};
    sc_buf csrb = {0};
    kmc_dual_result res = {0};
    kmc_dual_req r = {0};
    r.profile = o.profile;
    r.subject = o.subject;
    r.uscc = o.uscc;
    r.id_number = o.id_number;
    r.days = o.days;
    r.actor = actor_of(&o);
    if (cli_read_buf(o.csr, CSR_MAX, &csrb, &e) == 0) {
        r.csr = csrb.p;
        r.csrlen = csrb.len;
        rc = kmc_issue_dual(x.k, &r, &res, &e);
    } else {
        rc = -1;
    }
    if (rc == 0) rc = cli_write(o.out, res.response.p, res.response.len, 0644, &e);
    if (rc == 0 && o.sign_out != NULL) {
        csr_response cr;
        if ((rc = csrresp_parse(res.response.p, res.response.len, &cr, &e)) == 0 &&
            (rc = cli_write_cert_pem(o.sign_out, cr.sign_cert.p, cr.sign_cert.len, &e)) == 0 &&
            o.enc_out != NULL)
            rc = cli_write_cert_pem(o.enc_out, cr.enc_cert.p, cr.enc_cert.len, &e);
    }
    if (rc == 0)
        printf("签名证书 signing certificate %s\n加密证书 encryption certificate %s\n"
               "CSRResponse (GM/T 0092) written to %s\n",
               res.sign_serial, res.enc_serial, o.out);
    kmc_dual_result_free(&res);
    sc_buf_free(&csrb);
    kclose(&x, &o);
    return rc == 0 ? 0 : cli_fail(&e);
}

static int k_init(kopts *o)
{
    int rc = cli_home(&o->c);
    if (rc != 0) return rc;
    if ((rc = cli_passphrase(&o->c, 1)) != 0) return rc;
    sc_err e = {0};
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", o->c.home, KMC_MASTER_FILE);
    FILE *f = fopen(path, "r");
    if (f != NULL)
        fclose(f);
    else if (kmc_master_create(o->c.home, o->c.pass, o->c.passlen, &e) != 0)
        return cli_fail(&e);
    pki_ca *ca = NULL;
    kmc_backend be;
    if (ca_open(o->c.home, o->c.pass, o->c.passlen, &ca, &e) != 0) return cli_fail(&e);
    if (kmc_backend_local(o->c.home, o->c.pass, o->c.passlen, &be, &e) != 0) {
        ca_close(ca);
        return cli_fail(&e);
    }
    rc = kmc_setup(ca, &be, o->pool_min, o->pool_target, actor_of(o), &e);
    be.close(be.ctx);
    ca_close(ca);
    if (rc != 0) return cli_fail(&e);
    printf("KMC ready: master key %s, standby pool refilled to %d (refill below %d)\n", path,
           o->pool_target, o->pool_min);
    return 0;
}

int cmd_kmc(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("kmc init|stats|refill|sweep|register-ca|recover-request|"
                         "recover-approve|recover-reject|recover-release|unlock-answer|"
                         "activation-create|activation-redeem");
    const char *sub = argv[1];
    kopts o = {0};
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc != 0) return rc;
    if (strcmp(sub, "init") == 0) {
        rc = k_init(&o);
        cli_done(&o.c);
        return rc;
    }
    int need_key = strcmp(sub, "stats") != 0 && strcmp(sub, "sweep") != 0 &&
                   strcmp(sub, "register-ca") != 0 && strcmp(sub, "recover-request") != 0 &&
                   strcmp(sub, "recover-approve") != 0 && strcmp(sub, "recover-reject") != 0 &&
                   strcmp(sub, "activation-create") != 0 && strcmp(sub, "activation-redeem") != 0;
    kctx x;
    if ((rc = kopen(&o, need_key, &x)) != 0) {
        kclose(&x, &o);
        return rc;
    }
    sc_err e = {0};
    sc_buf b = {0}, b2 = {0};
    if (strcmp(sub, "stats") == 0) {
        kmc_stats st;
        if ((rc = kmc_get_stats(x.k, &st, &e)) == 0)
            printf("备用库 standby: %lld\n在用库 in-use: %lld\n历史库 history: %lld\n"
                   "pool: refill below %d to %d\nCAs served: %lld\n"
                   "key recoveries open: %lld\nactivation codes open: %lld\n",
                   (long long)st.standby, (long long)st.inuse, (long long)st.history, st.pool_min,
                   st.pool_target, (long long)st.cas, (long long)st.recoveries_pending,
                   (long long)st.activations_open);
    } else if (strcmp(sub, "refill") == 0) {
        int added = 0;
        if ((rc = kmc_refill(x.k, o.force, &added, &e)) == 0)
            printf("%d key pairs added to the standby pool\n", added);
    } else if (strcmp(sub, "sweep") == 0) {
        int moved = 0;
        if ((rc = kmc_sweep(x.k, actor_of(&o), &moved, &e)) == 0)
            printf("%d keys moved to the history pool\n", moved);
    } else if (strcmp(sub, "register-ca") == 0) {
        char id[32];
        if (o.cert == NULL) {
            rc = cli_usage("kmc register-ca needs --cert FILE");
            goto usage;
        }
        if ((rc = cli_read_cert(o.cert, 64 * 1024, &b, &e)) == 0 &&
            (rc = kmc_register_ca(x.k, b.p, b.len, actor_of(&o), id, &e)) == 0)
            printf("registered as %s\n", id);
    } else if (strcmp(sub, "recover-request") == 0) {
        kmc_recovery_kind kind = 0;
        if (o.kind != NULL && strcmp(o.kind, "damaged") == 0) kind = KMC_RECOVER_DAMAGED;
        if (o.kind != NULL && strcmp(o.kind, "judicial") == 0) kind = KMC_RECOVER_JUDICIAL;
        if (kind == 0 || o.enc_serial == NULL || o.requester == NULL) {
            rc = cli_usage("kmc recover-request needs --kind damaged|judicial, --enc-serial HEX, "
                           "--requester NAME and --case REF");
            goto usage;
        }
        int64_t id = 0;
        if ((rc = kmc_recovery_request(x.k, kind, o.enc_serial, o.requester, o.case_ref, o.reason,
                                       &id, &e)) == 0)
            printf("%lld\n", (long long)id);
    } else if (strcmp(sub, "recover-approve") == 0 || strcmp(sub, "recover-reject") == 0) {
        if (o.id == 0 || o.officer == NULL) {
            rc = cli_usage("kmc %s needs --id N and --officer NAME", sub);
            goto usage;
        }
        rc = sub[8] == 'a' ? kmc_recovery_approve(x.k, o.id, o.officer, &e)
                           : kmc_recovery_reject(x.k, o.id, o.officer, o.reason, &e);
        if (rc == 0) printf("recovery %lld: %s by %s\n", o.id, sub + 8, o.officer);
    } else if (strcmp(sub, "recover-release") == 0) {
        if (o.id == 0 || o.officer == NULL || o.out == NULL ||
            (o.sign_cert == NULL) == (o.password_file == NULL)) {
            rc = cli_usage("kmc recover-release needs --id N, --officer NAME, --out FILE and "
                           "either --sign-cert NEW.pem (damaged) or --password-file F (judicial)");
            goto usage;
        }
        if (o.sign_cert != NULL) {
            if ((rc = cli_read_cert(o.sign_cert, 64 * 1024, &b, &e)) == 0 &&
                (rc = kmc_recovery_release_damaged(x.k, o.id, o.officer, b.p, b.len, &b2, &e)) == 0)
                rc = cli_write(o.out, b2.p, b2.len, 0600, &e);
        } else {
            if ((rc = cli_read_buf(o.password_file, 1026, &b, &e)) == 0) {
                while (b.len > 0 && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r'))
                    b.len--;
                if ((rc = kmc_recovery_release_judicial(x.k, o.id, o.officer, (char *)b.p, b.len,
                                                        &b2, &e)) == 0)
                    rc = cli_write(o.out, b2.p, b2.len, 0600, &e);
            }
            sc_buf_wipe(&b);
        }
        if (rc == 0) printf("recovery %lld released to %s\n", o.id, o.out);
    } else if (strcmp(sub, "unlock-answer") == 0) {
        if (o.request == NULL || o.new_pin == NULL || o.order == NULL || o.out == NULL) {
            rc = cli_usage("kmc unlock-answer needs --request FILE, --new-pin PIN, --order REF and "
                           "--out FILE");
            goto usage;
        }
        if ((rc = cli_read_buf(o.request, 4096, &b, &e)) == 0 &&
            (rc = kmc_unlock_answer(x.k, o.order, b.p, b.len, o.new_pin, actor_of(&o), &b2, &e)) ==
                0)
            rc = cli_write(o.out, b2.p, b2.len, 0600, &e);
    } else if (strcmp(sub, "bench-dual") == 0) {
        /* dual issuances per second: signing certificate, KMC key (generation and escrow
         * amortised through the pool refills), encryption certificate, envelope */
        if (o.csr == NULL || o.count == 0) {
            rc = cli_usage("kmc bench-dual needs --csr FILE and --count N");
            goto usage;
        }
        if ((rc = cli_read_buf(o.csr, CSR_MAX, &b, &e)) == 0) {
            kmc_dual_req r = {0};
            r.profile = o.profile ? o.profile : "organization";
            r.uscc = o.uscc ? o.uscc : "91350100M000100Y43";
            r.subject = o.subject;
            r.csr = b.p;
            r.csrlen = b.len;
            r.actor = "bench";
            int64_t gen0 = 0;
            kmc_stats s0;
            kmc_get_stats(x.k, &s0, &e);
            gen0 = s0.standby + s0.inuse + s0.history;
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (int i = 0; i < o.count && rc == 0; i++) {
                kmc_dual_result res = {0};
                rc = kmc_issue_dual(x.k, &r, &res, &e);
                kmc_dual_result_free(&res);
            }
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            kmc_stats s1;
            kmc_get_stats(x.k, &s1, &e);
            if (rc == 0)
                printf("dual %d issuances %.3f s %.1f dual/s keys_generated=%lld store=%s "
                       "engine=%s\n",
                       o.count, dt, o.count / dt,
                       (long long)(s1.standby + s1.inuse + s1.history - gen0),
                       store_driver(x.ca->db), crypto_sm2_engine_name());
        }
    } else if (strcmp(sub, "activation-create") == 0) {
        char code[24];
        if (o.file == NULL) {
            rc = cli_usage("kmc activation-create needs --file TOKEN [--ttl SECONDS] [--qr PNG]");
            goto usage;
        }
        if ((rc = cli_read_buf(o.file, KMC_ACTIVATION_MAX, &b, &e)) == 0 &&
            (rc = kmc_activation_create(x.k, b.p, b.len, o.ttl, actor_of(&o), code, &e)) == 0) {
            if (o.qr != NULL) {
                char text[64];
                snprintf(text, sizeof(text), "sealca-activate:%s", code);
                if ((rc = kmc_qr_png(text, &b2, &e)) == 0)
                    rc = cli_write(o.qr, b2.p, b2.len, 0644, &e);
            }
            if (rc == 0)
                printf("激活码 activation code: %.5s-%.5s-%.5s-%.5s (once, %d s)\n", code, code + 5,
                       code + 10, code + 15, o.ttl);
        }
    } else if (strcmp(sub, "activation-redeem") == 0) {
        if (o.code == NULL || o.out == NULL) {
            rc = cli_usage("kmc activation-redeem needs --code CODE and --out FILE");
            goto usage;
        }
        if ((rc = kmc_activation_redeem(x.k, o.code, actor_of(&o), &b, &e)) == 0)
            rc = cli_write(o.out, b.p, b.len, 0600, &e);
    } else {
        rc = cli_usage("unknown kmc command '%s'", sub);
        goto usage;
    }
    sc_buf_free(&b);
    sc_buf_wipe(&b2);
    kclose(&x, &o);
    return rc == 0 ? 0 : cli_fail(&e);
usage:
    sc_buf_free(&b);
    sc_buf_wipe(&b2);
    kclose(&x, &o);
    return rc;
}
