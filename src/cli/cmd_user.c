/* cmd_user.c - sealca ra init and sealca user …: staff accounts (GM/T 0037 三员分立) with their
 * software-token keys and certificates, and signing of login challenges and staff actions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ra/pw.h"
#include "ra/ra.h"
#include "ra/vault.h"

/* Read a small secret file: its first line (or line `line`, 0-based). */
static int read_line(const char *path, int line, char *out, size_t outsz)
{
    uint8_t *d = NULL;
    size_t n = 0;
    if (path == NULL || sc_file_read(path, 4096, &d, &n) != 0) return -1;
    size_t i = 0;
    for (int l = 0; l < line && i < n; i++)
        if (d[i] == '\n') l++;
    size_t j = 0;
    while (i < n && d[i] != '\n' && d[i] != '\r' && j + 1 < outsz)
        out[j++] = (char)d[i++];
    out[j] = 0;
    sc_wipe(d, n);
    free(d);
    return j > 0 ? 0 : -1;
}

typedef struct ra_cli {
    cli_ctx c;
    pki_ca *ca;
    ra r;
    ra_catalog *cat;
} ra_cli;

static int ra_open(ra_cli *x, int need_key)
{
    int rc = cli_open(&x->c, need_key, &x->ca);
    if (rc != 0) return rc;
    ra_err re = {0};
    if (ra_home_init(x->ca, &re) != 0 || ra_conf_load(x->c.home, &x->r, &re) != 0 ||
        ra_catalog_load(x->c.home, &x->cat, &re) != 0) {
        ca_close(x->ca);
        return cli_fail(&re.e);
    }
    x->r.ca = x->ca;
    x->r.db = x->ca->db;
    x->r.cat = x->cat;
    /* personal data opens with the data key, which the passphrase unlocks */
    if (x->c.pass != NULL && vault_open_home(x->c.home, x->c.pass, &x->r.v, &re.e) != 0) {
        ra_catalog_free(x->cat);
        ca_close(x->ca);
        return cli_fail(&re.e);
    }
    return 0;
}

static void ra_close(ra_cli *x)
{
    vault_free(x->r.v);
    ra_catalog_free(x->cat);
    sc_wipe(&x->r, sizeof(x->r));
    ca_close(x->ca);
    cli_done(&x->c);
}

static int ra_fail_cli(const ra_err *re)
{
    if (re->field[0])
        fprintf(stderr, "sealca: %s (field %s) [%s]\n", re->e.msg, re->field, re->e.code);
    else
        fprintf(stderr, "sealca: %s [%s]\n", re->e.msg, re->e.code);
    return EXIT_REFUSED;
}

/* A fresh SM2 key in a software token: PKCS#8 encrypted under the PIN, and the certificate. */
static int make_staff(ra_cli *x, const ra_staff_new *tmpl, const char *pin, const char *outdir)
{
    ra_staff_new n = *tmpl;
    sc_key *k = NULL;
    sc_err e = {0};
    if (crypto_key_generate(SC_ALG_SM2, &k, &e) != 0) return cli_fail(&e);
    char kp[4200], cp[4200];
    snprintf(kp, sizeof(kp), "%s/%s.key", outdir, n.login);
    snprintf(cp, sizeof(cp), "%s/%s.pem", outdir, n.login);
    struct stat sb;
    if (stat(kp, &sb) == 0 || stat(cp, &sb) == 0) {
        crypto_key_free(k);
        sc_fail(&e, SC_EEXIST, "user.exists", "%s or %s exists", kp, cp);
        return cli_fail(&e);
    }
    n.pub = k;
    int64_t id = 0;
    sc_buf der = {0}, pem = {0};
    ra_err re = {0};
    int rc = ra_staff_add(&x->r, NULL, &n, &id, &der, &re);
    if (rc != 0) {
        crypto_key_free(k);
        return ra_fail_cli(&re);
    }
    cert_pem(der.p, der.len, &pem);
    if (crypto_key_save(k, kp, pin, strlen(pin), &e) != 0 ||
        sc_file_write_atomic(cp, pem.p, pem.len, 0644) != 0) {
        rc = cli_fail(&e);
    } else {
        printf("%s\t%s\t%s\n", n.login, ra_role_name(n.role), cp);
    }
    crypto_key_free(k);
    sc_buf_free(&der);
    sc_buf_free(&pem);
    return rc;
}

static int user_init_admins(int argc, char **argv)
{
    ra_cli x = {0};
    const char *sup = NULL, *aud = NULL, *supn = "系统管理员", *audn = "审计管理员", *out = ".",
               *pwf = NULL, *pinf = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"super", required_argument, NULL, 's'},
                                       {"audit", required_argument, NULL, 'a'},
                                       {"super-name", required_argument, NULL, 'S'},
                                       {"audit-name", required_argument, NULL, 'A'},
                                       {"out", required_argument, NULL, 'o'},
                                       {"password-file", required_argument, NULL, 'p'},
                                       {"pin-file", required_argument, NULL, 'i'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&x.c, opt, optarg)) continue;
        switch (opt) {
        case 's':
            sup = optarg;
            break;
        case 'a':
            aud = optarg;
            break;
        case 'S':
            supn = optarg;
            break;
        case 'A':
            audn = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            pwf = optarg;
            break;
        case 'i':
            pinf = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (sup == NULL || aud == NULL || pwf == NULL || pinf == NULL)
        return cli_usage("user init-admins: --super LOGIN --audit LOGIN --password-file F "
                         "--pin-file F (two lines each: super, audit) are required");
    char pw1[257], pw2[257], pin1[257], pin2[257];
    if (read_line(pwf, 0, pw1, sizeof(pw1)) != 0 || read_line(pwf, 1, pw2, sizeof(pw2)) != 0 ||
        read_line(pinf, 0, pin1, sizeof(pin1)) != 0 || read_line(pinf, 1, pin2, sizeof(pin2)) != 0)
        return cli_usage("user init-admins: password and PIN files need two lines");
    int rc = ra_open(&x, 1);
    if (rc != 0) return rc;
    /* the two top administrators exist once, created together as peers */
    int have = 0;
    store_stmt *st;
    sc_err e = {0};
    if (store_stmt_get(x.r.db, ST_RA_STAFF_LIST, &st, &e) == 0)
        while (store_step(st, &e) == STORE_ROW) {
            const char *role = store_col_text(st, 6, NULL);
            have |= role && (strcmp(role, "super-admin") == 0 || strcmp(role, "audit-admin") == 0);
        }
    if (have) {
        sc_fail(&e, SC_EEXIST, "user.admins_exist", "the administrators were already created");
        rc = cli_fail(&e);
    } else {
        ra_staff_new a = {.login = sup, .name = supn, .password = pw1, .role = RA_ROLE_SUPER_ADMIN};
        ra_staff_new b = {.login = aud, .name = audn, .password = pw2, .role = RA_ROLE_AUDIT_ADMIN};
        rc = make_staff(&x, &a, pin1, out);
        if (rc == 0) rc = make_staff(&x, &b, pin2, out);
    }
    sc_wipe(pw1, sizeof(pw1));
    sc_wipe(pw2, sizeof(pw2));
    sc_wipe(pin1, sizeof(pin1));
    sc_wipe(pin2, sizeof(pin2));
    ra_close(&x);
    return rc;
}

static int user_add(int argc, char **argv)
{
    ra_cli x = {0};
    const char *login = NULL, *name = NULL, *role = NULL, *duties = "", *sp = NULL, *out = ".",
               *pwf = NULL, *pinf = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"login", required_argument, NULL, 'l'},
                                       {"name", required_argument, NULL, 'n'},
                                       {"role", required_argument, NULL, 'r'},
                                       {"duties", required_argument, NULL, 'd'},
                                       {"service-point", required_argument, NULL, 's'},
                                       {"out", required_argument, NULL, 'o'},
                                       {"password-file", required_argument, NULL, 'p'},
                                       {"pin-file", required_argument, NULL, 'i'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&x.c, opt, optarg)) continue;
        switch (opt) {
        case 'l':
            login = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        case 'd':
            duties = optarg;
            break;
        case 's':
            sp = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            pwf = optarg;
            break;
        case 'i':
            pinf = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    ra_staff_new n = {.login = login, .name = name, .service_point = sp};
    if (login == NULL || name == NULL || role == NULL || pwf == NULL || pinf == NULL)
        return cli_usage("user add: --login --name --role --password-file --pin-file required");
    if (ra_role_parse(role, &n.role) != 0 || n.role == RA_ROLE_APPLICANT ||
        n.role == RA_ROLE_SUPER_ADMIN || n.role == RA_ROLE_AUDIT_ADMIN)
        return cli_usage("user add: --role business-admin|operator|auditor (the two top "
                         "administrators come from init-admins)");
    if (ra_duties_parse(duties, &n.duties) != 0)
        return cli_usage("user add: --duties entry,review,production,query,recovery");
    char pw[257], pin[257];
    if (read_line(pwf, 0, pw, sizeof(pw)) != 0 || read_line(pinf, 0, pin, sizeof(pin)) != 0)
        return cli_usage("user add: empty password or PIN file");
    n.password = pw;
    int rc = ra_open(&x, 1);
    if (rc == 0) {
        rc = make_staff(&x, &n, pin, out);
        ra_close(&x);
    }
    sc_wipe(pw, sizeof(pw));
    sc_wipe(pin, sizeof(pin));
    return rc;
}

static int print_user(void *arg, const ra_account *a)
{
    char d[64];
    ra_duties_format(a->duties, d, sizeof(d));
    printf("%-16s %-15s %-24s %-16s %s%s\n", a->login, ra_role_name(a->role), d[0] ? d : "-",
           a->service_point[0] ? a->service_point : "-", a->cert_serial,
           a->disabled ? " (disabled)" : "");
    return 0;
}

static int user_list_disable(int argc, char **argv, int disable)
{
    ra_cli x = {0};
    const char *login = NULL;
    static const struct option lo[] = {
        CLI_COMMON_LONGOPTS, {"login", required_argument, NULL, 'l'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&x.c, opt, optarg)) continue;
        if (opt == 'l')
            login = optarg;
        else
            return EXIT_USAGE;
    }
    if (disable && login == NULL) return cli_usage("user disable: --login required");
    int rc = ra_open(&x, disable);
    if (rc != 0) return rc;
    ra_err re = {0};
    if (disable)
        rc = ra_staff_disable(&x.r, NULL, login, &re);
    else
        rc = ra_staff_list(&x.r, NULL, print_user, NULL, &re);
    if (rc != 0) rc = ra_fail_cli(&re);
    ra_close(&x);
    return rc;
}

/* Sign a login challenge (or, with --in, a staff action payload) with the token's key. */
static int user_sign(int argc, char **argv)
{
    const char *keyf = NULL, *login = NULL, *ch = NULL, *pinf = NULL, *in = NULL;
    static const struct option lo[] = {{"key", required_argument, NULL, 'k'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"login", required_argument, NULL, 'l'},
                                       {"challenge", required_argument, NULL, 'h'},
                                       {"pin-file", required_argument, NULL, 'i'},
                                       {"in", required_argument, NULL, 'n'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'k':
            keyf = optarg;
            break;
        case 'c':
            break; /* accepted for symmetry with the agent */
        case 'l':
            login = optarg;
            break;
        case 'h':
            ch = optarg;
            break;
        case 'i':
            pinf = optarg;
            break;
        case 'n':
            in = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (keyf == NULL || (in == NULL && (login == NULL || ch == NULL)))
        return cli_usage("user sign-challenge: --key F (--login L --challenge C | --in FILE) "
                         "[--pin-file F]");
    char pin[257] = "";
    const char *env = getenv("SEALCA_PIN");
    if (pinf != NULL && read_line(pinf, 0, pin, sizeof(pin)) != 0)
        return cli_usage("empty PIN file");
    if (pinf == NULL && env != NULL) snprintf(pin, sizeof(pin), "%s", env);
    sc_key *k = NULL;
    sc_err e = {0};
    /* a wrong PIN cannot decrypt the token's key: nothing is signed */
    int rc = crypto_key_load(keyf, pin, strlen(pin), &k, &e);
    sc_wipe(pin, sizeof(pin));
    if (rc != 0) return cli_fail(&e);
    sc_buf msg = {0}, sig = {0}, b64 = {0};
    if (in != NULL) {
        uint8_t *d = NULL;
        size_t n = 0;
        if (sc_file_read(in, 1 << 20, &d, &n) != 0) {
            crypto_key_free(k);
            sc_fail(&e, SC_EIO, "user.read", "cannot read %s", in);
            return cli_fail(&e);
        }
        sc_buf_append(&msg, d, n);
        free(d);
    } else {
        ra_staff_login_msg(login, ch, &msg);
    }
    rc = crypto_sign(k, msg.p, msg.len, &sig, &e);
    crypto_key_free(k);
    if (rc == 0) {
        ra_b64_encode(sig.p, sig.len, &b64);
        sc_buf_putc(&b64, 0);
        printf("%s\n", (const char *)b64.p);
    } else
        rc = cli_fail(&e);
    sc_buf_free(&msg);
    sc_buf_free(&sig);
    sc_buf_free(&b64);
    return rc;
}

int cmd_user(int argc, char **argv)
{
    if (argc < 2) return cli_usage("user init-admins|add|list|disable|sign-challenge");
    const char *sub = argv[1];
    if (strcmp(sub, "init-admins") == 0) return user_init_admins(argc - 1, argv + 1);
    if (strcmp(sub, "add") == 0) return user_add(argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0) return user_list_disable(argc - 1, argv + 1, 0);
    if (strcmp(sub, "disable") == 0) return user_list_disable(argc - 1, argv + 1, 1);
    if (strcmp(sub, "sign-challenge") == 0 || strcmp(sub, "sign") == 0)
        return user_sign(argc - 1, argv + 1);
    return cli_usage("user: unknown subcommand '%s'", sub);
}

int cmd_ra(int argc, char **argv)
{
    int remind = argc >= 2 && strcmp(argv[1], "remind") == 0;
    if (argc < 2 || (strcmp(argv[1], "init") != 0 && !remind))
        return cli_usage("ra init | ra remind");
    ra_cli x = {0};
    int rc = cli_common_only(&x.c, argc - 1, argv + 1);
    if (rc != 0) return EXIT_USAGE;
    if ((rc = ra_open(&x, remind)) != 0) return rc;
    if (remind) {
        /* expiry reminders at 30/7/1 days into the mail outbox (sealca serve does this too) */
        ra_err re = {0};
        int queued = 0;
        if (ra_remind_expiring(&x.r, ra_now(&x.r), &queued, &re) != 0)
            rc = ra_fail_cli(&re);
        else
            printf("%d reminder%s queued\n", queued, queued == 1 ? "" : "s");
    } else
        printf("registration service ready in %s (ra.conf, ra-catalog.json)\n", x.c.home);
    ra_close(&x);
    return rc;
}
