/* cmd_tsa.c - the time-stamping authority's token log and token checks (RFC 3161). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsa/tsa.h"

static void show_ms(int64_t ms)
{
    /* UTC and Asia/Shanghai (UTC+8, no daylight saving) */
    time_t t = (time_t)(ms / 1000), c = t + 8 * 3600;
    struct tm u, s;
    char a[32], b[32];
    gmtime_r(&t, &u);
    gmtime_r(&c, &s);
    strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S", &u);
    strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &s);
    printf("%s.%03d UTC (%s +08:00)\n", a, (int)(ms % 1000), b);
}

/* sealca tsa show SERIAL: the log row of a token this TSA issued */
static int tsa_show(cli_ctx *c, const char *serial)
{
    pki_ca *ca = NULL;
    int rc = cli_open(c, 0, &ca);
    if (rc != 0) return rc;
    char hex[64];
    size_t n = 0;
    for (const char *p = serial; *p && n < sizeof(hex) - 1; p++) {
        if (*p == ':' || (p == serial && *p == '0' && (p[1] == 'x' || p[1] == 'X'))) {
            if (*p == '0') p++;
            continue;
        }
        hex[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    }
    hex[n] = 0;
    sc_err e = {0};
    tsa_log_row row;
    if (tsa_log_get(ca->db, hex, &row, &e) != 0) {
        rc = cli_fail(&e);
    } else {
        char imp[65];
        sc_hex_encode(row.imprint, 32, imp, 0);
        printf("serial   %s\nTSA      %s\npolicy   %s\nimprint  %s %s\ngenTime  ", row.serial,
               row.issuer, row.policy, row.hash_alg, imp);
        show_ms(row.gen_time_ms);
        printf("nonce    %s\n", row.nonce[0] ? row.nonce : "-");
    }
    ca_close(ca);
    cli_done(c);
    return rc;
}

/* sealca tsa verify TOKEN|RESPONSE [--data FILE]: the token's own checks (no chain) */
static int tsa_verify_file(const char *file, const char *data)
{
    uint8_t *der = NULL, *d = NULL;
    size_t len = 0, dl = 0;
    sc_err e = {0};
    tsa_token_info ti;
    int rc = 0;
    if (sc_file_read(file, TSA_TOKEN_MAX, &der, &len) != 0) {
        sc_fail(&e, SC_EIO, "io.read", "cannot read %s (or larger than %d bytes)", file,
                TSA_TOKEN_MAX);
        return cli_fail(&e);
    }
    if (tsa_token_verify(der, len, NULL, 0, &ti, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    if (data != NULL) {
        uint8_t h[32];
        if (sc_file_read(data, 1u << 30, &d, &dl) != 0) {
            sc_fail(&e, SC_EIO, "io.read", "cannot read %s", data);
            rc = cli_fail(&e);
            goto out;
        }
        tsa_hash_data(ti.hash, d, dl, h);
        if (memcmp(h, ti.imprint, 32) != 0) {
            sc_fail(&e, SC_EVERIFY, "tsa.imprint_mismatch",
                    "the token time-stamps other data than %s", data);
            rc = cli_fail(&e);
            goto out;
        }
    }
    printf("token    serial %s, policy %s, %s imprint%s\ngenTime  ", ti.serial, ti.policy,
           tsa_hash_name(ti.hash), data ? " matches the data" : "");
    show_ms(ti.gen_time_ms);
    printf("checks   CMS structure, messageDigest, ESS signingCertificate, SM2 signature, "
           "timeStamping EKU: pass (the TSA certificate's chain is not checked here)\n");
out:
    free(der);
    free(d);
    return rc;
}

int cmd_tsa(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *data = NULL;
    static const struct option lo[] = {
        CLI_COMMON_LONGOPTS, {"data", required_argument, NULL, 'd'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 'd')
            data = optarg;
        else
            return EXIT_USAGE;
    }
    if (argc - optind == 2 && strcmp(argv[optind], "show") == 0)
        return tsa_show(&c, argv[optind + 1]);
    if (argc - optind == 2 && strcmp(argv[optind], "verify") == 0)
        return tsa_verify_file(argv[optind + 1], data);
    return cli_usage("usage: sealca tsa show SERIAL | sealca tsa verify TOKEN|RESPONSE "
                     "[--data FILE]");
}
