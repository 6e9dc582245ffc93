/* cmd_crl.c - generate CRLs and check CRL signatures with sealca's own verifier. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pki/der.h"

#define CRL_FILE_MAX (512u * 1024 * 1024)

int cmd_crl(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *out = NULL, *issuer = NULL;
    int delta = 0;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"out", required_argument, NULL, 'o'},
                                       {"delta", no_argument, NULL, 'd'},
                                       {"issuer", required_argument, NULL, 'i'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'o':
            out = optarg;
            break;
        case 'd':
            delta = 1;
            break;
        case 'i':
            issuer = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc || out == NULL) return cli_usage("crl needs --out FILE");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 1, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    pki_issuer *iss = issuer ? ca_issuer(ca, issuer) : ca_active_issuing(ca);
    sc_buf der = {0};
    crl_result res;
    if (iss == NULL) {
        sc_fail(&e, SC_ENOTFOUND, "crl.no_issuer", "no issuer '%s'", issuer ? issuer : "(active)");
        rc = cli_fail(&e);
    } else if (pki_crl_generate(ca, iss, delta, &der, &res, &e) != 0 ||
               cli_write(out, der.p, der.len, 0644, &e) != 0) {
        rc = cli_fail(&e);
    } else {
        char nu[40];
        cli_time(res.next_update, nu, sizeof(nu));
        fprintf(stderr, "sealca: %s CRL %lld of %s: %lld entries, %zu bytes, next update %s\n",
                delta ? "delta" : "full", (long long)res.number, iss->id, (long long)res.entries,
                der.len, nu);
    }
    sc_buf_free(&der);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

/* Read a PEM or DER file of one object. */
static int read_der(const char *path, const char *label, size_t max, sc_buf *out, sc_err *e)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = sc_file_read(path, max, &data, &len);
    if (rc != 0)
        return sc_fail(e, rc, "io.read", "cannot read %s%s", path,
                       rc == SC_ETOOBIG ? " (too large)" : "");
    if (len > 0 && data[0] == 0x30)
        rc = sc_buf_append(out, data, len);
    else if (pem_decode(data, len, label, NULL, out) != 0)
        rc = sc_fail(e, SC_EINVAL, "pem.bad", "%s is neither DER nor a PEM %s", path, label);
    free(data);
    return rc;
}

int cmd_verify_crl(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *file = NULL, *issuer = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"crl", required_argument, NULL, 'c'},
                                       {"issuer", required_argument, NULL, 'i'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 'c')
            file = optarg;
        else if (opt == 'i')
            issuer = optarg;
        else
            return EXIT_USAGE;
    }
    if (optind != argc || file == NULL) return cli_usage("verify-crl needs --crl FILE");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    sc_buf der = {0};
    if (read_der(file, "X509 CRL", CRL_FILE_MAX, &der, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    /* TBSCertList: version, signature, issuer, thisUpdate, nextUpdate … */
    signed_parts sp;
    der_r r;
    der_tlv tbs, ver, alg, name, tu, nu;
    if (der_split_signed(der.p, der.len, &sp) != 0 ||
        (r = der_reader(sp.tbs.p, sp.tbs.len), der_expect(&r, DER_SEQUENCE, &tbs)) != 0) {
        sc_fail(&e, SC_EINVAL, "crl.malformed", "%s is not a DER CRL", file);
        rc = cli_fail(&e);
        goto out;
    }
    der_r in = der_inner(&tbs);
    der_expect(&in, DER_INTEGER, &ver);
    int64_t t_this = 0, t_next = 0;
    if (der_expect(&in, DER_SEQUENCE, &alg) != 0 || der_expect(&in, DER_SEQUENCE, &name) != 0 ||
        der_next(&in, &tu) != 0 || der_time_parse(tu.tag, tu.val, tu.len, &t_this) != 0 ||
        der_next(&in, &nu) != 0 || der_time_parse(nu.tag, nu.val, nu.len, &t_next) != 0 ||
        alg.rawlen != sp.alg.len || memcmp(alg.raw, sp.alg.p, sp.alg.len) != 0) {
        sc_fail(&e, SC_EINVAL, "crl.malformed",
                "%s: malformed TBSCertList (or inner and outer algorithms differ)", file);
        rc = cli_fail(&e);
        goto out;
    }
    pki_issuer *iss = NULL;
    if (issuer != NULL) {
        iss = ca_issuer(ca, issuer);
    } else {
        for (size_t i = 0; i < ca->nissuers && iss == NULL; i++) {
            pki_issuer *x = &ca->issuers[i];
            if ((!strcmp(x->role, "root") || !strcmp(x->role, "issuing")) &&
                x->subject_der.len == name.rawlen &&
                memcmp(x->subject_der.p, name.raw, name.rawlen) == 0)
                iss = x;
        }
    }
    if (iss == NULL) {
        sc_fail(&e, SC_ENOTFOUND, "crl.unknown_issuer",
                "the CRL's issuer is not a CA of this home");
        rc = cli_fail(&e);
        goto out;
    }
    if (pki_verify_signed(der.p, der.len, iss->pub, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    char a[40], b[40];
    cli_time(t_this, a, sizeof(a));
    cli_time(t_next, b, sizeof(b));
    printf("%s: signature OK (issuer %s, %s), this update %s, next update %s%s\n", file, iss->id,
           crypto_alg_name(iss->alg), a, b,
           t_next < (int64_t)time(NULL) ? " - EXPIRED: relying parties will reject it" : "");
out:
    sc_buf_free(&der);
    ca_close(ca);
    cli_done(&c);
    return rc;
}
