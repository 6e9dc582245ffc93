/* cmd_ca.c - init, chain, profiles, profile management and CA rollover. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "ra/vault.h"

int cmd_init(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *name = NULL, *algo = "sm2", *base = NULL, *database = "sqlite:ca.db";
    const char *ldap = NULL, *ldap_base = NULL, *ldap_bind_dn = NULL, *ldap_pwfile = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"name", required_argument, NULL, 'n'},
                                       {"algo", required_argument, NULL, 'a'},
                                       {"base-url", required_argument, NULL, 'b'},
                                       {"database", required_argument, NULL, 'd'},
                                       {"ldap", required_argument, NULL, 'L'},
                                       {"ldap-base", required_argument, NULL, 'B'},
                                       {"ldap-bind-dn", required_argument, NULL, 'D'},
                                       {"ldap-password-file", required_argument, NULL, 'P'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'n':
            name = optarg;
            break;
        case 'a':
            algo = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'd':
            database = optarg;
            break;
        case 'L':
            ldap = optarg;
            break;
        case 'B':
            ldap_base = optarg;
            break;
        case 'D':
            ldap_bind_dn = optarg;
            break;
        case 'P':
            ldap_pwfile = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc) return cli_usage("init: unexpected argument '%s'", argv[optind]);
    int rc = cli_home(&c);
    if (rc != 0) return rc;
    ca_init_opts o = {0};
    o.home = c.home;
    o.name = name;
    o.base_url = base;
    o.database = database;
    o.ldap = ldap;
    o.ldap_base = ldap_base;
    o.ldap_bind_dn = ldap_bind_dn;
    o.ldap_password_file = ldap_pwfile;
    if (crypto_alg_parse(algo, &o.alg) != 0)
        return cli_usage("--algo must be sm2, ecdsa-p256 or rsa3072");
    if ((rc = cli_passphrase(&c, 1)) != 0) return rc;
    o.pass = c.pass;
    o.passlen = c.passlen;
    sc_err e = {0};
    /* the data key (ra/vault.h) beside the CA keys, under the same passphrase */
    if (ca_init(&o, &e) != 0 || vault_init_home(c.home, c.pass, &e) != 0) {
        cli_done(&c);
        return cli_fail(&e);
    }
    cli_done(&c);
    printf("sealca: created CA home %s (%s)\n", c.home, algo);
    printf("  root CA, issuing CA, OCSP signer and seal-maker certificates: %s/certs/\n", c.home);
    if (strncmp(database, "sqlite:", 7) == 0)
        printf("  encrypted keys: %s/keys/   database: %s%s%s\n", c.home,
               database[7] == '/' ? "" : c.home, database[7] == '/' ? "" : "/", database + 7);
    else /* the URL may hold a password: it is in sealca.conf (mode 0600), not on the screen */
        printf("  encrypted keys: %s/keys/   database: PostgreSQL (see %s/sealca.conf)\n", c.home,
               c.home);
    return 0;
}

int cmd_chain(int argc, char **argv)
{
    cli_ctx c = {0};
    if (cli_common_only(&c, argc, argv) != 0) return EXIT_USAGE;
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    sc_buf pem = {0};
    pki_issuer *iss = ca_active_issuing(ca);
    if (iss == NULL)
        rc = cli_fail(&e);
    else if (ca_chain_pem(ca, iss, &pem, &e) != 0)
        rc = cli_fail(&e);
    else
        fwrite(pem.p, 1, pem.len, stdout);
    sc_buf_free(&pem);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

static const char *role_name(prof_role r)
{
    switch (r) {
    case PROF_ROOT_CA:
        return "root-ca";
    case PROF_ISSUING_CA:
        return "issuing-ca";
    case PROF_OCSP:
        return "ocsp";
    case PROF_SEAL_MAKER:
        return "seal-maker";
    default:
        return "end-entity";
    }
}

static int print_profile(void *arg, const pki_profile *p)
{
    printf("%-28s v%-3d %-8s %-11s %s / %s\n", p->name, p->version,
           p->active ? "active" : "retired", role_name(p->role), p->label, p->label_en);
    return 0;
}

int cmd_profiles(int argc, char **argv)
{
    cli_ctx c = {0};
    if (cli_common_only(&c, argc, argv) != 0) return EXIT_USAGE;
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (profile_list(ca->db, print_profile, NULL, &e) != 0) rc = cli_fail(&e);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

int cmd_profile(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *file = NULL;
    static const struct option lo[] = {
        CLI_COMMON_LONGOPTS, {"file", required_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 'f')
            file = optarg;
        else
            return EXIT_USAGE;
    }
    if (argc - optind != 2)
        return cli_usage("usage: sealca profile show|add|set|retire NAME [--file DEFINITION]");
    const char *verb = argv[optind], *name = argv[optind + 1];
    int writes = strcmp(verb, "show") != 0;
    if (strcmp(verb, "show") != 0 && strcmp(verb, "add") != 0 && strcmp(verb, "set") != 0 &&
        strcmp(verb, "retire") != 0)
        return cli_usage("profile: unknown action '%s'", verb);
    if ((strcmp(verb, "add") == 0 || strcmp(verb, "set") == 0) && file == NULL)
        return cli_usage("profile %s needs --file DEFINITION", verb);
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    pki_profile *p = malloc(sizeof(*p));
    uint8_t *text = NULL;
    size_t tl = 0;
    if (p == NULL) {
        rc = EXIT_REFUSED;
        goto out;
    }
    if (strcmp(verb, "show") == 0) {
        if (profile_get(ca->db, name, p, &e) != 0) {
            rc = cli_fail(&e);
            goto out;
        }
        printf("# %s version %d (%s%s)\n%s", p->name, p->version, p->active ? "active" : "retired",
               p->builtin ? ", built-in" : "", p->definition);
        goto out;
    }
    if (strcmp(verb, "retire") == 0) {
        if (profile_retire(ca->db, name, "cli", &e) != 0)
            rc = cli_fail(&e);
        else
            printf("sealca: profile %s retired\n", name);
        goto out;
    }
    int exists = profile_get(ca->db, name, p, NULL) == 0;
    if (strcmp(verb, "add") == 0 && exists) {
        sc_fail(&e, SC_EEXIST, "profile.exists",
                "profile %s exists: use 'profile set' for a new version", name);
        rc = cli_fail(&e);
        goto out;
    }
    if (strcmp(verb, "set") == 0 && !exists) {
        sc_fail(&e, SC_ENOTFOUND, "profile.not_found", "no profile %s: use 'profile add'", name);
        rc = cli_fail(&e);
        goto out;
    }
    int r2 = sc_file_read(file, 2047, &text, &tl);
    if (r2 != 0) {
        sc_fail(&e, r2, "profile.read", "cannot read %s%s", file,
                r2 == SC_ETOOBIG ? " (larger than 2047 bytes)" : "");
        rc = cli_fail(&e);
        goto out;
    }
    int version = 0;
    if (profile_put(ca->db, name, (char *)text, "cli", &version, &e) != 0)
        rc = cli_fail(&e);
    else
        printf("sealca: profile %s version %d stored (certificates already issued are unchanged)\n",
               name, version);
out:
    (void)writes;
    free(text);
    free(p);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

int cmd_ca(int argc, char **argv)
{
    cli_ctx c = {0};
    if (cli_common_only(&c, argc, argv) != 0) return EXIT_USAGE;
    if (argc - optind != 1 ||
        (strcmp(argv[optind], "rollover") != 0 && strcmp(argv[optind], "tsa") != 0))
        return cli_usage("usage: sealca ca rollover | sealca ca tsa");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 1, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (strcmp(argv[optind], "tsa") == 0) {
        pki_issuer *t = NULL;
        if (ca_make_tsa(ca, 0, "cli", &t, &e) != 0)
            rc = cli_fail(&e);
        else
            printf("sealca: 时间戳服务器证书 / TSA certificate %s (serial %s, signed by %s, "
                   "extendedKeyUsage timeStamping critical): %s/certs/%s.pem; restart "
                   "'sealca serve' to answer POST /tsa with it\n",
                   t->id, t->serial, t->parent, c.home, t->id);
        ca_close(ca);
        cli_done(&c);
        return rc;
    }
    pki_issuer *old = ca_active_issuing(ca);
    char oldid[32];
    snprintf(oldid, sizeof(oldid), "%s", old ? old->id : "?");
    if (ca_rollover(ca, "cli", &e) != 0) {
        rc = cli_fail(&e);
    } else {
        pki_issuer *n = ca_active_issuing(ca);
        printf(
            "sealca: new issuing CA %s; %s is retired from issuing and keeps signing CRLs for "
            "its certificates\n  link certificates: %s/certs/%s-by-%s.pem, %s/certs/%s-by-%s.pem\n",
            n->id, oldid, c.home, oldid, n->id, c.home, n->id, oldid);
    }
    ca_close(ca);
    cli_done(&c);
    return rc;
}
