/* cmd_verify.c - check a certificate path with sealca's own signature verification. */
#include "cli.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAIN_MAX_CERTS 16
#define CHAIN_FILE_MAX  (1024 * 1024)

typedef struct certbuf {
    sc_buf der;
    sc_slice subject, issuer;
    int64_t nb, na;
} certbuf;

static int load_certs(const char *path, certbuf *out, int max, int *n, sc_err *e)
{
    uint8_t *data = NULL;
    size_t len = 0, off = 0;
    int rc = sc_file_read(path, CHAIN_FILE_MAX, &data, &len);
    if (rc != 0)
        return sc_fail(e, rc, "io.read", "cannot read %s%s", path,
                       rc == SC_ETOOBIG ? " (larger than 1 MiB)" : "");
    *n = 0;
    if (len > 0 && data[0] == 0x30) {
        sc_buf_append(&out[0].der, data, len);
        *n = 1;
    } else {
        while (off < len && *n < max) {
            size_t used = 0;
            if (pem_decode(data + off, len - off, "CERTIFICATE", &used, &out[*n].der) != 0) break;
            off += used;
            (*n)++;
        }
    }
    free(data);
    if (*n == 0) return sc_fail(e, SC_EINVAL, "pem.bad", "%s holds no certificate", path);
    for (int i = 0; i < *n; i++)
        if (cert_fields(out[i].der.p, out[i].der.len, &out[i].subject, &out[i].issuer, &out[i].nb,
                        &out[i].na) != 0)
            return sc_fail(e, SC_EINVAL, "cert.malformed", "%s: certificate %d is malformed", path,
                           i + 1);
    return 0;
}

static int same(sc_slice a, sc_slice b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static int is_ca_cert(const certbuf *c)
{
    const unsigned char *p = c->der.p;
    X509 *x = d2i_X509(NULL, &p, (long)c->der.len);
    int ok = x != NULL && X509_check_ca(x) >= 1;
    X509_free(x);
    return ok;
}

int cmd_verify_cert(int argc, char **argv)
{
    const char *certf = NULL, *chainf = NULL;
    static const struct option lo[] = {{"cert", required_argument, NULL, 'c'},
                                       {"chain", required_argument, NULL, 'C'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (opt == 'c')
            certf = optarg;
        else if (opt == 'C')
            chainf = optarg;
        else
            return EXIT_USAGE;
    }
    if (optind != argc || certf == NULL || chainf == NULL)
        return cli_usage("verify-cert needs --cert FILE and --chain FILE (PEM, root included)");
    certbuf leaf[1] = {0}, chain[CHAIN_MAX_CERTS];
    memset(chain, 0, sizeof(chain));
    int nleaf = 0, nchain = 0, rc = 0;
    sc_err e = {0};
    int64_t now = (int64_t)time(NULL);
    if (load_certs(certf, leaf, 1, &nleaf, &e) != 0 ||
        load_certs(chainf, chain, CHAIN_MAX_CERTS, &nchain, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    certbuf *cur = &leaf[0];
    for (int depth = 0; depth <= nchain; depth++) {
        if (now < cur->nb || now > cur->na) {
            sc_fail(&e, SC_EVERIFY, "cert.expired", "certificate at depth %d is not valid now",
                    depth);
            rc = cli_fail(&e);
            goto out;
        }
        certbuf *up = NULL;
        for (int i = 0; i < nchain && up == NULL; i++) {
            if (!same(chain[i].subject, cur->issuer)) continue;
            sc_key *pub = NULL;
            sc_err ve = {0};
            if (cert_pubkey(chain[i].der.p, chain[i].der.len, &pub, &ve) == 0 &&
                pki_verify_signed(cur->der.p, cur->der.len, pub, &ve) == 0)
                up = &chain[i];
            crypto_key_free(pub);
        }
        if (up == NULL) {
            sc_fail(&e, SC_EVERIFY, "cert.no_issuer",
                    "no certificate in %s signed the certificate at depth %d (signature checked "
                    "with the SM2 ID 1234567812345678)",
                    chainf, depth);
            rc = cli_fail(&e);
            goto out;
        }
        if (!is_ca_cert(up)) {
            sc_fail(&e, SC_EVERIFY, "cert.issuer_not_ca", "the issuer at depth %d is not a CA",
                    depth + 1);
            rc = cli_fail(&e);
            goto out;
        }
        if (up == cur || same(up->subject, up->issuer)) {
            /* reached a self-signed certificate from the chain file: the trust anchor */
            if (up != cur && (now < up->nb || now > up->na)) {
                sc_fail(&e, SC_EVERIFY, "cert.expired", "the root certificate is not valid now");
                rc = cli_fail(&e);
                goto out;
            }
            printf("%s: OK (path of %d, signatures checked by sealca)\n", certf,
                   depth + (up == cur ? 1 : 2));
            goto out;
        }
        cur = up;
    }
    sc_fail(&e, SC_EVERIFY, "cert.no_root", "no self-signed root reached in %s", chainf);
    rc = cli_fail(&e);
out:
    sc_buf_free(&leaf[0].der);
    for (int i = 0; i < CHAIN_MAX_CERTS; i++)
        sc_buf_free(&chain[i].der);
    return rc;
}
