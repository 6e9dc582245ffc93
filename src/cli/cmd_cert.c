/* cmd_cert.c - issue, revoke, resume, list and show certificates. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int parent_dir_ok(const char *path)
{
    char d[4096];
    snprintf(d, sizeof(d), "%s", path);
    char *slash = strrchr(d, '/');
    if (slash == NULL) return 1;
    *slash = 0;
    struct stat st;
    return d[0] == 0 || (stat(d, &st) == 0 && S_ISDIR(st.st_mode));
}

int cmd_issue(int argc, char **argv)
{
    cli_ctx c = {0};
    issue_req r = {0};
    const char *csrfile = NULL, *keyout = NULL, *out = NULL;
    int keygen = 0;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"profile", required_argument, NULL, 'p'},
                                       {"subject", required_argument, NULL, 's'},
                                       {"uscc", required_argument, NULL, 'u'},
                                       {"id-number", required_argument, NULL, 'i'},
                                       {"csr", required_argument, NULL, 'c'},
                                       {"keygen", no_argument, NULL, 'g'},
                                       {"key-out", required_argument, NULL, 'k'},
                                       {"days", required_argument, NULL, 'd'},
                                       {"out", required_argument, NULL, 'o'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'p':
            r.profile = optarg;
            break;
        case 's':
            r.subject = optarg;
            break;
        case 'u':
            r.uscc = optarg;
            break;
        case 'i':
            r.id_number = optarg;
            break;
        case 'c':
            csrfile = optarg;
            break;
        case 'g':
            keygen = 1;
            break;
        case 'k':
            keyout = optarg;
            break;
        case 'd': {
            char *end;
            long d = strtol(optarg, &end, 10);
            if (*end || d < 1 || d > 7305)
                return cli_usage("--days must be a number of days 1..7305");
            r.days = (int)d;
            break;
        }
        case 'o':
            out = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc) return cli_usage("issue: unexpected argument '%s'", argv[optind]);
    if (r.profile == NULL || r.subject == NULL || out == NULL)
        return cli_usage("issue needs --profile, --subject and --out");
    if ((csrfile == NULL) == (keygen == 0))
        return cli_usage("issue needs exactly one of --csr FILE or --keygen --key-out FILE");
    if (keygen && keyout == NULL)
        return cli_usage("--keygen needs --key-out FILE (the new key is written encrypted)");
    if (!parent_dir_ok(out) || (keyout && !parent_dir_ok(keyout)))
        return cli_usage("the directory of --out/--key-out does not exist");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 1, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    csr req = {0};
    sc_key *newkey = NULL;
    cert_info ci = {0};
    sc_buf pem = {0}, keypem = {0};
    if (csrfile != NULL) {
        uint8_t *data = NULL;
        size_t len = 0;
        int r2 = sc_file_read(csrfile, CSR_MAX, &data, &len);
        if (r2 != 0) {
            sc_fail(&e, r2, r2 == SC_ETOOBIG ? "csr.too_big" : "csr.read", "cannot read %s%s",
                    csrfile, r2 == SC_ETOOBIG ? " (larger than 64 KiB)" : "");
            rc = cli_fail(&e);
            goto out;
        }
        r2 = csr_parse(data, len, &req, &e);
        free(data);
        if (r2 != 0) {
            rc = cli_fail(&e);
            goto out;
        }
        r.pub = req.pub;
    } else {
        /* the holder's key is made here and leaves only encrypted, under the CA passphrase
         * unless SEALCA_KEY_PASSPHRASE names another */
        if (crypto_key_generate(ca->alg, &newkey, &e) != 0) {
            rc = cli_fail(&e);
            goto out;
        }
        const char *kp = getenv("SEALCA_KEY_PASSPHRASE");
        if (kp == NULL || !*kp) kp = c.pass;
        if (crypto_key_export(newkey, kp, strlen(kp), &keypem, &e) != 0) {
            rc = cli_fail(&e);
            goto out;
        }
        r.pub = newkey;
    }
    r.actor = "cli";
    if (pki_issue(ca, &r, &ci, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    cert_pem(ci.der, ci.derlen, &pem);
    if (keyout != NULL && cli_write(keyout, keypem.p, keypem.len, 0600, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    if (cli_write(out, pem.p, pem.len, 0644, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    char nb[40], na[40];
    cli_time(ci.not_before, nb, sizeof(nb));
    cli_time(ci.not_after, na, sizeof(na));
    fprintf(stderr, "sealca: issued %s\n  serial  %s\n  subject %s\n  valid   %s .. %s\n",
            ci.profile, ci.serial, ci.subject, nb, na);
out:
    cert_info_free(&ci);
    csr_free(&req);
    crypto_key_free(newkey);
    sc_buf_free(&pem);
    sc_buf_wipe(&keypem);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

int cmd_revoke(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *serial = NULL, *reason_s = NULL, *inv_s = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"serial", required_argument, NULL, 's'},
                                       {"reason", required_argument, NULL, 'r'},
                                       {"invalidity-date", required_argument, NULL, 'i'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 's':
            serial = optarg;
            break;
        case 'r':
            reason_s = optarg;
            break;
        case 'i':
            inv_s = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc || serial == NULL || reason_s == NULL)
        return cli_usage("revoke needs --serial HEX and --reason REASON");
    int reason;
    if (reason_parse(reason_s, &reason) != 0) return cli_usage("unknown --reason '%s'", reason_s);
    int64_t inv = 0;
    if (inv_s != NULL) {
        struct tm tm = {0};
        char *end = strptime(inv_s, "%Y-%m-%d", &tm);
        if (end == NULL || *end) return cli_usage("--invalidity-date must be YYYY-MM-DD");
        /* a date is given in China's civil time: midnight Asia/Shanghai */
        inv = (int64_t)timegm(&tm) - 8 * 3600;
    }
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (pki_revoke(ca, serial, reason, inv, "cli", &e) != 0)
        rc = cli_fail(&e);
    else
        fprintf(stderr, "sealca: %s %s (%s)\n", serial,
                reason == REASON_CERTIFICATE_HOLD ? "put on hold" : "revoked", reason_name(reason));
    ca_close(ca);
    cli_done(&c);
    return rc;
}

int cmd_resume(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *serial = NULL;
    static const struct option lo[] = {
        CLI_COMMON_LONGOPTS, {"serial", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 's')
            serial = optarg;
        else
            return EXIT_USAGE;
    }
    if (optind != argc || serial == NULL) return cli_usage("resume needs --serial HEX");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (pki_resume(ca, serial, "cli", &e) != 0)
        rc = cli_fail(&e);
    else
        fprintf(stderr, "sealca: %s released from hold\n", serial);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

int cmd_list(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *status = NULL;
    long limit = 100;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"status", required_argument, NULL, 's'},
                                       {"limit", required_argument, NULL, 'l'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 's') {
            status = optarg;
            if (strcmp(status, "good") && strcmp(status, "revoked") && strcmp(status, "hold"))
                return cli_usage("--status must be good, revoked or hold");
        } else if (opt == 'l') {
            char *end;
            limit = strtol(optarg, &end, 10);
            if (*end || limit < 1 || limit > 1000000)
                return cli_usage("--limit must be 1..1000000");
        } else {
            return EXIT_USAGE;
        }
    }
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    store_stmt *st;
    if (store_stmt_get(ca->db, ST_CERT_LIST, &st, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    store_bind_null(st, 1);
    store_bind_null(st, 2);
    store_bind_text(st, 3, status);
    store_bind_text(st, 4, status);
    store_bind_int64(st, 5, limit);
    store_bind_int64(st, 6, 0);
    printf("%-32s  %-7s  %-25s  %-25s  %s\n", "serial", "status", "profile", "expires (+08:00)",
           "subject");
    int r2;
    while ((r2 = store_step(st, &e)) == STORE_ROW) {
        char na[40];
        cli_time(store_col_int64(st, 6), na, sizeof(na));
        na[19] = 0;
        printf("%-32s  %-7s  %-25s  %-25s  %s\n", store_col_text(st, 0, NULL),
               store_col_text(st, 7, NULL), store_col_text(st, 2, NULL), na,
               store_col_text(st, 4, NULL));
    }
    store_exec(st, NULL);
    if (r2 < 0) rc = cli_fail(&e);
out:
    ca_close(ca);
    cli_done(&c);
    return rc;
}

int cmd_show(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *serial = NULL;
    int pem_only = 0;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"serial", required_argument, NULL, 's'},
                                       {"pem", no_argument, NULL, 'p'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 's')
            serial = optarg;
        else if (opt == 'p')
            pem_only = 1;
        else
            return EXIT_USAGE;
    }
    if (optind != argc || serial == NULL) return cli_usage("show needs --serial HEX");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    cert_info ci;
    if (pki_cert_get(ca, serial, &ci, &e) != 0) {
        rc = cli_fail(&e);
    } else {
        sc_buf pem = {0};
        cert_pem(ci.der, ci.derlen, &pem);
        if (!pem_only) {
            char nb[40], na[40], ra[40];
            cli_time(ci.not_before, nb, sizeof(nb));
            cli_time(ci.not_after, na, sizeof(na));
            printf(
                "serial:      %s\nissuer:      %s\nprofile:     %s (version %d)\nsubject:     %s\n"
                "not before:  %s\nnot after:   %s\nstatus:      %s\n",
                ci.serial, ci.issuer, ci.profile, ci.profile_version, ci.subject, nb, na,
                ci.status);
            if (ci.reason >= 0) {
                cli_time(ci.revoked_at, ra, sizeof(ra));
                printf("reason:      %s\nrevoked at:  %s\n", reason_name(ci.reason), ra);
            }
        }
        fwrite(pem.p, 1, pem.len, stdout);
        sc_buf_free(&pem);
        cert_info_free(&ci);
    }
    ca_close(ca);
    cli_done(&c);
    return rc;
}
