/* cmd_audit.c - verify the audit chain; sign a checkpoint. */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"

static int key_for(void *arg, const char *signer, sc_key **out, sc_err *e)
{
    pki_ca *ca = arg;
    pki_issuer *iss = ca_issuer(ca, signer);
    if (iss == NULL)
        return sc_fail(e, SC_ENOTFOUND, "audit.unknown_signer", "unknown checkpoint signer %s",
                       signer);
    return cert_pubkey(iss->der, iss->derlen, out, e);
}

int cmd_audit(int argc, char **argv)
{
    cli_ctx c = {0};
    if (cli_common_only(&c, argc, argv) != 0) return EXIT_USAGE;
    if (argc - optind != 1 ||
        (strcmp(argv[optind], "verify") != 0 && strcmp(argv[optind], "checkpoint") != 0))
        return cli_usage("usage: sealca audit verify | sealca audit checkpoint");
    int verify = strcmp(argv[optind], "verify") == 0;
    pki_ca *ca = NULL;
    int rc = cli_open(&c, !verify, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (verify) {
        audit_report rep;
        if (audit_verify(ca->db, key_for, ca, &rep, &e) != 0) {
            if (rep.first_bad)
                fprintf(stderr, "sealca: audit log BROKEN at record %" PRId64 ": %s\n",
                        rep.first_bad, rep.why);
            rc = cli_fail(&e);
        } else {
            printf("audit log intact: %" PRId64 " records, %" PRId64 " signed checkpoints\n",
                   rep.records, rep.checkpoints);
        }
    } else {
        if (store_tx_begin(ca->db, &e) != 0 || ca_audit_checkpoint(ca, &e) != 0) {
            store_tx_rollback(ca->db);
            rc = cli_fail(&e);
        } else if (store_tx_commit(ca->db, &e) != 0) {
            rc = cli_fail(&e);
        } else {
            printf("audit checkpoint signed\n");
        }
    }
    ca_close(ca);
    cli_done(&c);
    return rc;
}
