/* util.c - option handling, passphrases, messages and output files shared by subcommands. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PASS_MAX 1024

int cli_common_opt(cli_ctx *c, int opt, const char *arg)
{
    if (opt == CLI_OPT_HOME) {
        c->home = arg;
        return 1;
    }
    if (opt == CLI_OPT_PASSFILE) {
        c->passfile = arg;
        return 1;
    }
    return 0;
}

int cli_common_only(cli_ctx *c, int argc, char **argv)
{
    static const struct option lo[] = {CLI_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1)
        if (!cli_common_opt(c, opt, optarg)) return -1;
    return 0;
}

int cli_fail(const sc_err *e)
{
    fprintf(stderr, "sealca: error: %s [%s]\n", e->msg[0] ? e->msg : sc_strstatus(e->status),
            e->code[0] ? e->code : "error");
    return EXIT_REFUSED;
}

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("sealca: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (sealca help)\n", stderr);
    return EXIT_USAGE;
}

int cli_home(cli_ctx *c)
{
    if (c->home == NULL) c->home = getenv("SEALCA_HOME");
    if (c->home == NULL || !*c->home) return cli_usage("--home DIR (or SEALCA_HOME) is required");
    return 0;
}

int cli_passphrase(cli_ctx *c, int required)
{
    if (c->passfile != NULL) {
        uint8_t *data = NULL;
        size_t len = 0;
        int rc = sc_file_read(c->passfile, PASS_MAX + 2, &data, &len);
        if (rc != 0) {
            fprintf(stderr, "sealca: error: cannot read passphrase file %s%s\n", c->passfile,
                    rc == SC_ETOOBIG ? " (longer than 1024 bytes)" : "");
            return EXIT_REFUSED;
        }
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
            len--;
        c->pass = (char *)data;
        c->passlen = len;
        data[len] = 0;
    } else {
        const char *env = getenv("SEALCA_PASSPHRASE");
        if (env != NULL && *env) {
            c->passlen = strlen(env);
            c->pass = strdup(env);
        }
    }
    if (c->pass != NULL && c->passlen > PASS_MAX) {
        fprintf(stderr, "sealca: error: passphrase longer than %d bytes\n", PASS_MAX);
        return EXIT_REFUSED;
    }
    if (required && (c->pass == NULL || c->passlen == 0)) {
        fprintf(stderr, "sealca: error: the CA key passphrase is required: set SEALCA_PASSPHRASE "
                        "or give --passphrase-file FILE\n");
        return EXIT_REFUSED;
    }
    return 0;
}

int cli_open(cli_ctx *c, int need_key, pki_ca **ca)
{
    int rc = cli_home(c);
    if (rc != 0) return rc;
    if ((rc = cli_passphrase(c, need_key)) != 0) return rc;
    sc_err e = {0};
    if (ca_open(c->home, c->pass, c->passlen, ca, &e) != 0) return cli_fail(&e);
    return 0;
}

void cli_done(cli_ctx *c)
{
    if (c->pass != NULL) {
        sc_wipe(c->pass, c->passlen);
        free(c->pass);
        c->pass = NULL;
    }
}

void cli_time(int64_t t, char *out, size_t outsz)
{
    time_t tt = (time_t)(t + 8 * 3600);
    struct tm tm;
    gmtime_r(&tt, &tm);
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, outsz, "%s +08:00", buf);
}

int cli_write(const char *path, const void *p, size_t n, int mode, sc_err *e)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0)
            return sc_fail(e, SC_EIO, "io.write", "cannot write to standard output");
        return 0;
    }
    int rc = sc_file_write_atomic(path, p, n, mode);
    if (rc != 0) return sc_fail(e, rc, "io.write", "cannot write %s: %s", path, strerror(errno));
    return 0;
}

int cli_read_file(const char *path, size_t max, uint8_t **data, size_t *len, sc_err *e)
{
    int rc = sc_file_read(path, max, data, len);
    if (rc == SC_ETOOBIG)
        return sc_fail(e, rc, "io.too_big", "cannot read %s (too large: more than %zu bytes)", path,
                       max);
    if (rc != 0) return sc_fail(e, rc, "io.read", "cannot read %s", path);
    return 0;
}

int cli_read_buf(const char *path, size_t max, sc_buf *out, sc_err *e)
{
    uint8_t *d = NULL;
    size_t n = 0;
    int rc = cli_read_file(path, max, &d, &n, e);
    if (rc == 0 && sc_buf_append(out, d, n) != 0)
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    free(d);
    return rc;
}

int cli_read_cert(const char *path, size_t max, sc_buf *der, sc_err *e)
{
    uint8_t *d = NULL;
    size_t n = 0;
    int rc = cli_read_file(path, max, &d, &n, e);
    if (rc != 0) return rc;
    if (n > 0 && d[0] == 0x30)
        rc = sc_buf_append(der, d, n) == 0 ? 0 : sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    else if (pem_decode(d, n, "CERTIFICATE", NULL, der) != 0)
        rc = sc_fail(e, SC_EINVAL, "cert.bad_pem", "%s is not a certificate (PEM or DER)", path);
    free(d);
    return rc;
}

int cli_write_cert_pem(const char *path, const uint8_t *der, size_t len, sc_err *e)
{
    sc_buf pem = {0};
    int rc = cert_pem(der, len, &pem);
    if (rc != 0)
        rc = sc_fail(e, rc, "cert.pem", "cannot encode the certificate as PEM");
    else
        rc = cli_write(path, pem.p, pem.len, 0644, e);
    sc_buf_free(&pem);
    return rc;
}
