/* cmd_ocsp.c - the offline OCSP responder (sealca ocsp) and sealca's own OCSP response checker. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocsp/ocsp.h"

#define OCSP_FILE_MAX (1024u * 1024)

int cmd_ocsp(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *in = NULL, *out = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"request", required_argument, NULL, 'r'},
                                       {"out", required_argument, NULL, 'o'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 'r')
            in = optarg;
        else if (opt == 'o')
            out = optarg;
        else
            return EXIT_USAGE;
    }
    if (optind != argc || in == NULL || out == NULL)
        return cli_usage("ocsp needs --request REQ.der --out RESP.der");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 1, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    sc_buf resp = {0};
    uint8_t *req = NULL;
    size_t len = 0;
    if (cli_read_file(in, OCSP_FILE_MAX, &req, &len, &e) != 0 ||
        ocsp_respond(ca, req, len, (int64_t)time(NULL), &resp, &e) < 0 ||
        cli_write(out, resp.p, resp.len, 0644, &e) != 0) {
        rc = cli_fail(&e);
    } else if (e.status != 0) {
        /* an error response was written: a relying party would get exactly this */
        fprintf(stderr, "sealca: wrote %s response (%s)\n",
                ocsp_status_name(resp.len == 5 ? resp.p[4] : OCSP_INTERNAL_ERROR), e.msg);
        rc = EXIT_REFUSED;
    } else {
        fprintf(stderr, "sealca: wrote a signed OCSP response, %zu bytes\n", resp.len);
    }
    free(req);
    sc_buf_free(&resp);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

static void print_single(const ocsp_single *s)
{
    char sn[2 * OCSP_SERIAL_MAX + 1], tu[40], nu[40], at[40];
    sc_hex_encode(s->id.serial, s->id.serial_len, sn, 0);
    cli_time(s->this_update, tu, sizeof(tu));
    if (s->next_update)
        cli_time(s->next_update, nu, sizeof(nu));
    else
        snprintf(nu, sizeof(nu), "(none)");
    printf("%s: %s", sn, ocsp_cert_status_name(s->status));
    if (s->status == OCSP_CERT_REVOKED) {
        cli_time(s->revoked_at, at, sizeof(at));
        printf(" at %s, reason %s", at, s->reason >= 0 ? reason_name(s->reason) : "(none)");
    }
    printf("\n    this update %s, next update %s\n", tu, nu);
}

int cmd_verify_ocsp(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *file = NULL;
    static const struct option lo[] = {
        CLI_COMMON_LONGOPTS, {"response", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        if (opt == 'r')
            file = optarg;
        else
            return EXIT_USAGE;
    }
    if (optind != argc || file == NULL) return cli_usage("verify-ocsp needs --response RESP.der");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    uint8_t *der = NULL;
    size_t len = 0;
    ocsp_response *r = calloc(1, sizeof(*r));
    pki_issuer *signer = NULL;
    if (r == NULL) {
        sc_fail(&e, SC_ENOMEM, "oom", "out of memory");
        rc = cli_fail(&e);
    } else if (cli_read_file(file, OCSP_FILE_MAX, &der, &len, &e) != 0 ||
               ocsp_response_parse(der, len, r, &e) != 0) {
        rc = cli_fail(&e);
    } else if (ocsp_response_verify(ca, r, &signer, &e) != 0) {
        rc = cli_fail(&e);
    } else {
        char pa[40];
        cli_time(r->produced_at, pa, sizeof(pa));
        printf("response status: successful, signature OK: signed by %s (%s), produced %s%s\n",
               signer->id, crypto_alg_name(signer->alg), pa,
               r->nonce_ext_len ? ", with nonce" : "");
        for (size_t i = 0; i < r->n; i++)
            print_single(&r->singles[i]);
    }
    free(der);
    free(r);
    ca_close(ca);
    cli_done(&c);
    return rc;
}
