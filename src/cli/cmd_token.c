/* cmd_token.c - sealca token … (the holder's software USB key) and sealca envelope … (GM/T 0010
 * digital envelopes for bid documents). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "envelope/envelope.h"
#include "kmc/kmc.h"
#include "token/token.h"

/* exit codes of the token commands beyond 0/1/2 (docs/tokens.md) */
#define EXIT_PIN_WRONG  3
#define EXIT_PIN_LOCKED 4

typedef struct topts {
    cli_ctx c;
    const char *file, *pin, *admin_pin, *new_pin, *serial, *label, *subject, *out, *out_sign,
        *out_enc, *container, *cert;
    const char *to[ENVELOPE_MAX_RECIPIENTS];
    int nto, managed;
    long size_mb;
} topts;

enum {
    T_FILE = 1,
    T_PIN,
    T_ADMIN_PIN,
    T_NEW_PIN,
    T_SERIAL,
    T_LABEL,
    T_SUBJECT,
    T_OUT,
    T_OUT_SIGN,
    T_OUT_ENC,
    T_CONTAINER,
    T_MANAGED,
    T_TO,
    T_CERT,
    T_SIZE,
};

static int tparse(int argc, char **argv, topts *o)
{
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"file", required_argument, NULL, T_FILE},
                                       {"token", required_argument, NULL, T_FILE},
                                       {"pin", required_argument, NULL, T_PIN},
                                       {"user-pin", required_argument, NULL, T_PIN},
                                       {"admin-pin", required_argument, NULL, T_ADMIN_PIN},
                                       {"new-pin", required_argument, NULL, T_NEW_PIN},
                                       {"serial", required_argument, NULL, T_SERIAL},
                                       {"label", required_argument, NULL, T_LABEL},
                                       {"subject", required_argument, NULL, T_SUBJECT},
                                       {"out", required_argument, NULL, T_OUT},
                                       {"out-sign", required_argument, NULL, T_OUT_SIGN},
                                       {"out-enc", required_argument, NULL, T_OUT_ENC},
                                       {"container", required_argument, NULL, T_CONTAINER},
                                       {"managed", no_argument, NULL, T_MANAGED},
                                       {"to", required_argument, NULL, T_TO},
                                       {"cert", required_argument, NULL, T_CERT},
                                       {"size-mb", required_argument, NULL, T_SIZE},
                                       {NULL, 0, NULL, 0}};
    int opt;
    o->container = "default";
    /* PINs may come from the environment instead of the command line (ps shows arguments) */
    o->pin = getenv("SEALCA_TOKEN_PIN");
    o->admin_pin = getenv("SEALCA_TOKEN_ADMIN_PIN");
    o->new_pin = getenv("SEALCA_TOKEN_NEW_PIN");
    if (o->pin != NULL && !*o->pin) o->pin = NULL;
    if (o->admin_pin != NULL && !*o->admin_pin) o->admin_pin = NULL;
    if (o->new_pin != NULL && !*o->new_pin) o->new_pin = NULL;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&o->c, opt, optarg)) continue;
        switch (opt) {
        case T_FILE:
            o->file = optarg;
            break;
        case T_PIN:
            o->pin = optarg;
            break;
        case T_ADMIN_PIN:
            o->admin_pin = optarg;
            break;
        case T_NEW_PIN:
            o->new_pin = optarg;
            break;
        case T_SERIAL:
            o->serial = optarg;
            break;
        case T_LABEL:
            o->label = optarg;
            break;
        case T_SUBJECT:
            o->subject = optarg;
            break;
        case T_OUT:
            o->out = optarg;
            break;
        case T_OUT_SIGN:
            o->out_sign = optarg;
            break;
        case T_OUT_ENC:
            o->out_enc = optarg;
            break;
        case T_CONTAINER:
            o->container = optarg;
            break;
        case T_MANAGED:
            o->managed = 1;
            break;
        case T_CERT:
            o->cert = optarg;
            break;
        case T_SIZE:
            o->size_mb = strtol(optarg, NULL, 10);
            if (o->size_mb < 1 || o->size_mb > 256) return cli_usage("--size-mb must be 1..256");
            break;
        case T_TO:
            if (o->nto >= ENVELOPE_MAX_RECIPIENTS)
                return cli_usage("at most %d --to recipients", ENVELOPE_MAX_RECIPIENTS);
            o->to[o->nto++] = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* Map token errors to exit codes: wrong PIN 3, locked 4, else 1. */
static int tfail(const sc_err *e)
{
    cli_fail(e);
    if (strcmp(e->code, "token.pin_incorrect") == 0) return EXIT_PIN_WRONG;
    if (strcmp(e->code, "token.pin_locked") == 0) return EXIT_PIN_LOCKED;
    return EXIT_REFUSED;
}

/* The device admin PIN of a managed token, from the KMC master key of --home. */
static int managed_admin_pin(topts *o, const char *serial, char pin[33], sc_err *e)
{
    int rc = cli_home(&o->c);
    if (rc != 0) return rc;
    if ((rc = cli_passphrase(&o->c, 1)) != 0) return rc;
    kmc_backend be;
    if (kmc_backend_local(o->c.home, o->c.pass, o->c.passlen, &be, e) != 0) return -1;
    rc = be.device_pin(be.ctx, serial, pin, e);
    be.close(be.ctx);
    return rc;
}

static int t_init(topts *o, sc_err *e)
{
    if (o->pin == NULL || (o->admin_pin == NULL) == (o->managed == 0))
        return cli_usage("token init needs --file, --user-pin and either --admin-pin or "
                         "--managed --home DIR (the admin PIN derived by the KMC)");
    token_init_opts io = {0};
    char serial[20], apin[33];
    io.user_pin = o->pin;
    io.admin_pin = o->admin_pin;
    io.label = o->label;
    io.serial = o->serial;
    if (o->managed) {
        if (o->serial == NULL) {
            uint8_t r[7];
            crypto_random(r, sizeof(r));
            char hx[15];
            sc_hex_encode(r, 7, hx, 1);
            snprintf(serial, sizeof(serial), "SC%s", hx);
            io.serial = serial;
        }
        int rc = managed_admin_pin(o, io.serial, apin, e);
        if (rc != 0) return rc;
        io.admin_pin = apin;
    }
    int rc = token_init(o->file, &io, e);
    sc_wipe(apin, sizeof(apin));
    if (rc != 0) return tfail(e);
    token *t = NULL;
    if (token_load(o->file, &t, e) != 0) return tfail(e);
    printf("令牌已创建 token created: serial %s, user PIN tries %d\n", t->serial, t->user_max);
    token_free(t);
    return 0;
}

int cmd_token(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("token init|csr|import|certs|sign|decrypt|info|change-pin|unblock|"
                         "unlock-request|unlock");
    const char *sub = argv[1];
    topts o = {0};
    int rc = tparse(argc - 1, argv + 1, &o);
    if (rc != 0) return rc;
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (o.file == NULL) return cli_usage("token %s needs --file TOKEN", sub);
    sc_err e = {0};
    if (strcmp(sub, "init") == 0) {
        rc = t_init(&o, &e);
        cli_done(&o.c);
        return rc;
    }
    token *t = NULL;
    sc_buf b = {0}, b2 = {0};
    if (token_load(o.file, &t, &e) != 0) return tfail(&e);
    int needs_pin = strcmp(sub, "info") != 0 && strcmp(sub, "unblock") != 0 &&
                    strcmp(sub, "unlock-request") != 0 && strcmp(sub, "unlock") != 0 &&
                    !(strcmp(sub, "certs") == 0 && o.pin == NULL);
    if (needs_pin) {
        if (o.pin == NULL) {
            rc = cli_usage("token %s needs --pin PIN", sub);
            goto done;
        }
        if (token_login(t, o.pin, &e) != 0) {
            rc = tfail(&e);
            goto done;
        }
    }
    token_container *c = token_container_get(t, o.container, 0);
    if (strcmp(sub, "info") == 0) {
        printf("serial: %s\nlabel: %s\nuser PIN tries left: %d of %d%s\n"
               "admin PIN tries left: %d of %d\ngeneration: %lld\nunlock request pending: %s\n",
               t->serial, t->label, t->user_tries, t->user_max,
               t->user_tries == 0 ? " (locked 已锁死)" : "", t->admin_tries, t->admin_max,
               (long long)t->generation, t->has_pending ? "yes" : "no");
        char subj[512];
        sc_slice sd;
        if (t->pub_sign.len &&
            cert_fields(t->pub_sign.p, t->pub_sign.len, &sd, NULL, NULL, NULL) == 0 &&
            name_der_text(sd.p, sd.len, subj, sizeof(subj)) == 0)
            printf("signing certificate: %s\n", subj);
        if (t->pub_enc.len &&
            cert_fields(t->pub_enc.p, t->pub_enc.len, &sd, NULL, NULL, NULL) == 0 &&
            name_der_text(sd.p, sd.len, subj, sizeof(subj)) == 0)
            printf("encryption certificate: %s\n", subj);
        rc = 0;
    } else if (strcmp(sub, "csr") == 0) {
        if (o.subject == NULL || o.out == NULL) {
            rc = cli_usage("token csr needs --subject and --out");
            goto done;
        }
        rc = token_csr(t, o.container, o.subject, &b, &e);
        if (rc == 0) rc = cli_write(o.out, b.p, b.len, 0644, &e);
        if (rc == 0) printf("证书请求 GM/T 0092 request written to %s\n", o.out);
    } else if (strcmp(sub, "import") == 0) {
        if (nargs != 1) {
            rc = cli_usage("token import needs the CSRResponse file");
            goto done;
        }
        if ((rc = cli_read_buf(args[0], KMC_MSG_MAX, &b, &e)) == 0 &&
            (rc = token_import(t, o.container, b.p, b.len, &e)) == 0)
            printf("已导入签名证书%s (imported the signing certificate%s)\n",
                   c && c->enc ? "、加密证书和加密密钥" : "",
                   c && c->enc ? ", the encryption certificate and key" : "");
    } else if (strcmp(sub, "certs") == 0) {
        const uint8_t *sp = t->pub_sign.p, *ep = t->pub_enc.p;
        size_t sl = t->pub_sign.len, el = t->pub_enc.len;
        if (t->open && c != NULL) {
            sp = c->sign_cert;
            sl = c->sign_cert_len;
            ep = c->enc_cert;
            el = c->enc_cert_len;
        }
        if (o.out_sign == NULL && o.out_enc == NULL) {
            rc = cli_usage("token certs needs --out-sign and/or --out-enc");
            goto done;
        }
        rc = 0;
        if (o.out_sign && sl == 0)
            rc = sc_fail(&e, SC_ENOTFOUND, "token.no_cert",
                         "no signing "
                         "certificate");
        if (rc == 0 && o.out_enc && el == 0)
            rc = sc_fail(&e, SC_ENOTFOUND, "token.no_cert", "no encryption certificate");
        if (rc == 0 && o.out_sign) rc = cli_write_cert_pem(o.out_sign, sp, sl, &e);
        if (rc == 0 && o.out_enc) rc = cli_write_cert_pem(o.out_enc, ep, el, &e);
    } else if (strcmp(sub, "sign") == 0) {
        if (nargs != 1 || o.out == NULL) {
            rc = cli_usage("token sign needs --out SIG and the file to sign");
            goto done;
        }
        if (c == NULL || c->sign == NULL) {
            rc = sc_fail(&e, SC_ESTATE, "token.no_sign_key", "the token has no signing key");
        } else if ((rc = cli_read_buf(args[0], ENVELOPE_MAX, &b, &e)) == 0 &&
                   (rc = crypto_sign(c->sign, b.p, b.len, &b2, &e)) == 0) {
            rc = cli_write(o.out, b2.p, b2.len, 0644, &e);
        }
    } else if (strcmp(sub, "decrypt") == 0) {
        if (nargs != 1 || o.out == NULL) {
            rc = cli_usage("token decrypt needs --out FILE and the envelope");
            goto done;
        }
        if (c == NULL || c->enc == NULL) {
            rc = sc_fail(&e, SC_ESTATE, "token.no_enc_key", "the token has no encryption key");
        } else if ((rc = cli_read_buf(args[0], ENVELOPE_MAX + 65536, &b, &e)) == 0 &&
                   (rc = envelope_decrypt(b.p, b.len, c->enc, c->enc_cert, c->enc_cert_len, &b2,
                                          &e)) == 0) {
            rc = cli_write(o.out, b2.p, b2.len, 0600, &e);
        }
    } else if (strcmp(sub, "change-pin") == 0) {
        if (o.new_pin == NULL) {
            rc = cli_usage("token change-pin needs --pin OLD --new-pin NEW");
            goto done;
        }
        if ((rc = token_change_pin(t, o.pin, o.new_pin, &e)) == 0) printf("PIN changed\n");
    } else if (strcmp(sub, "unblock") == 0) {
        if (o.admin_pin == NULL || o.new_pin == NULL) {
            rc = cli_usage("token unblock needs --admin-pin and --new-pin");
            goto done;
        }
        if ((rc = token_unblock(t, o.admin_pin, o.new_pin, &e)) == 0)
            printf("user PIN reset by the admin PIN\n");
    } else if (strcmp(sub, "unlock-request") == 0) {
        if (o.out == NULL) {
            rc = cli_usage("token unlock-request needs --out FILE");
            goto done;
        }
        if ((rc = token_unlock_request(t, &b, &e)) == 0 &&
            (rc = cli_write(o.out, b.p, b.len, 0644, &e)) == 0)
            printf("解锁请求 unlock request for %s written to %s\n", t->serial, o.out);
    } else if (strcmp(sub, "unlock") == 0) {
        if (nargs != 1) {
            rc = cli_usage("token unlock needs the service's answer file");
            goto done;
        }
        if ((rc = cli_read_buf(args[0], 4096, &b, &e)) == 0 &&
            (rc = token_unlock(t, b.p, b.len, &e)) == 0)
            printf("PIN 已解锁并重置 (user PIN reset, %d tries)\n", t->user_max);
    } else {
        rc = cli_usage("unknown token command '%s'", sub);
        goto done;
    }
    if (rc != 0) rc = tfail(&e);
done:
    sc_buf_wipe(&b);
    sc_buf_wipe(&b2);
    token_free(t);
    cli_done(&o.c);
    return rc;
}

static double secs_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* envelope bench --to enc.pem --file T.tok --pin PIN --size-mb N: in-memory encrypt and
 * decrypt of N MiB for one recipient (median of 3), for docs/benchmarks.md */
static int envelope_bench(topts *o)
{
    if (o->nto != 1 || o->file == NULL || o->pin == NULL || o->size_mb == 0)
        return cli_usage("envelope bench needs --to CERT, --file TOKEN, --pin PIN, --size-mb N");
    sc_err e = {0};
    sc_buf cert = {0}, in = {0}, env = {0}, out = {0};
    token *t = NULL;
    int rc = cli_read_cert(o->to[0], 64 * 1024, &cert, &e);
    if (rc == 0 && (rc = token_load(o->file, &t, &e)) == 0) rc = token_login(t, o->pin, &e);
    token_container *c = rc == 0 ? token_container_get(t, o->container, 0) : NULL;
    if (rc == 0 && (c == NULL || c->enc == NULL))
        rc = sc_fail(&e, SC_ESTATE, "token.no_enc_key", "the token has no encryption key");
    size_t n = (size_t)o->size_mb << 20;
    if (rc == 0 && (rc = sc_buf_reserve(&in, n)) == 0) {
        for (size_t i = 0; i < n; i++)
            in.p[i] = (uint8_t)(i * 131 + (i >> 12));
        in.len = n;
    }
    double enc[3], dec[3];
    for (int r = 0; r < 3 && rc == 0; r++) {
        sc_slice sl = {cert.p, cert.len};
        struct timespec t0;
        env.len = 0;
        out.len = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = envelope_encrypt(&sl, 1, in.p, in.len, &env, &e);
        enc[r] = secs_since(&t0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (rc == 0) rc = envelope_decrypt(env.p, env.len, c->enc, NULL, 0, &out, &e);
        dec[r] = secs_since(&t0);
        if (rc == 0 && (out.len != n || memcmp(out.p, in.p, n) != 0))
            rc = sc_fail(&e, SC_EINTERNAL, "bench.mismatch", "round trip differs");
    }
    if (rc == 0) {
        for (int i = 0; i < 3; i++) /* median of three: sort */
            for (int j = i + 1; j < 3; j++) {
                if (enc[j] < enc[i]) {
                    double x = enc[i];
                    enc[i] = enc[j];
                    enc[j] = x;
                }
                if (dec[j] < dec[i]) {
                    double x = dec[i];
                    dec[i] = dec[j];
                    dec[j] = x;
                }
            }
        printf("envelope %ld MiB encrypt %.1f MB/s decrypt %.1f MB/s\n", o->size_mb,
               (double)n / 1e6 / enc[1], (double)n / 1e6 / dec[1]);
    }
    token_free(t);
    sc_buf_free(&cert);
    sc_buf_free(&in);
    sc_buf_free(&env);
    sc_buf_wipe(&out);
    cli_done(&o->c);
    return rc == 0 ? 0 : cli_fail(&e);
}

int cmd_envelope(int argc, char **argv)
{
    if (argc < 2) return cli_usage("envelope encrypt|decrypt");
    const char *sub = argv[1];
    topts o = {0};
    int rc = tparse(argc - 1, argv + 1, &o);
    if (rc != 0) return rc;
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (strcmp(sub, "decrypt") == 0) {
        /* the same as token decrypt */
        if (o.file == NULL) return cli_usage("envelope decrypt needs --file TOKEN --pin PIN");
        char *av[16];
        int ac = 0;
        av[ac++] = "token";
        av[ac++] = "decrypt";
        av[ac++] = "--file";
        av[ac++] = (char *)o.file;
        if (o.pin) {
            av[ac++] = "--pin";
            av[ac++] = (char *)o.pin;
        }
        if (o.out) {
            av[ac++] = "--out";
            av[ac++] = (char *)o.out;
        }
        for (int i = 0; i < nargs && ac < 15; i++)
            av[ac++] = args[i];
        av[ac] = NULL;
        optind = 0;
        return cmd_token(ac, av);
    }
    if (strcmp(sub, "bench") == 0) return envelope_bench(&o);
    if (strcmp(sub, "encrypt") != 0) return cli_usage("unknown envelope command '%s'", sub);
    if (o.nto == 0 || o.out == NULL || nargs != 1)
        return cli_usage("envelope encrypt needs --to CERT (once per recipient), --out FILE and "
                         "the file to encrypt");
    sc_err e = {0};
    sc_buf certs[ENVELOPE_MAX_RECIPIENTS];
    sc_slice sl[ENVELOPE_MAX_RECIPIENTS];
    memset(certs, 0, sizeof(certs));
    sc_buf in = {0}, out = {0};
    rc = 0;
    for (int i = 0; i < o.nto && rc == 0; i++) {
        rc = cli_read_cert(o.to[i], 64 * 1024, &certs[i], &e);
        sl[i].p = certs[i].p;
        sl[i].len = certs[i].len;
    }
    if (rc == 0) rc = cli_read_buf(args[0], ENVELOPE_MAX, &in, &e);
    if (rc == 0) rc = envelope_encrypt(sl, (size_t)o.nto, in.p, in.len, &out, &e);
    if (rc == 0) rc = cli_write(o.out, out.p, out.len, 0644, &e);
    if (rc == 0) printf("数字信封 envelope for %d recipient(s) written to %s\n", o.nto, o.out);
    for (int i = 0; i < o.nto; i++)
        sc_buf_free(&certs[i]);
    sc_buf_wipe(&in);
    sc_buf_free(&out);
    return rc == 0 ? 0 : cli_fail(&e);
}
