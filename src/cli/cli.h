/* cli.h - shared helpers of the sealca command-line subcommands. */
#ifndef SEALCA_CLI_H
#define SEALCA_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "pki/pki.h"

/* exit codes */
#define EXIT_REFUSED 1 /* the operation was refused or failed; nothing changed */
#define EXIT_USAGE   2 /* bad command line */

typedef struct cli_ctx {
    const char *home;
    const char *passfile;
    char *pass; /* wiped at exit */
    size_t passlen;
} cli_ctx;

/* Common options: --home, --passphrase-file. Returns 1 if opt was consumed. */
int cli_common_opt(cli_ctx *c, int opt, const char *arg);
#define CLI_OPT_HOME     1000
#define CLI_OPT_PASSFILE 1001
#define CLI_COMMON_LONGOPTS                                                                        \
    {"home", required_argument, NULL, CLI_OPT_HOME},                                               \
    {                                                                                              \
        "passphrase-file", required_argument, NULL, CLI_OPT_PASSFILE                               \
    }

/* Parse a command line that takes only the common options; leaves optind at the first
 * operand. 0, or -1 on an unknown option (getopt has printed it). */
int cli_common_only(cli_ctx *c, int argc, char **argv);
/* Load the passphrase from --passphrase-file or SEALCA_PASSPHRASE. 0, or prints and fails. */
int cli_passphrase(cli_ctx *c, int required);
int cli_home(cli_ctx *c);
int cli_open(cli_ctx *c, int need_key, pki_ca **ca);
/* Print an error and return EXIT_REFUSED. */
int cli_fail(const sc_err *e);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Asia/Shanghai (UTC+8, no DST since 1991) for display. */
void cli_time(int64_t t, char *out, size_t outsz);
/* Write a file atomically, refusing to replace one that exists unless force. */
int cli_write(const char *path, const void *p, size_t n, int mode, sc_err *e);
void cli_done(cli_ctx *c);

int cmd_init(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_crl(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_chain(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_verify_crl(int argc, char **argv);
int cmd_verify_cert(int argc, char **argv);
int cmd_ocsp(int argc, char **argv);
int cmd_verify_ocsp(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_seal_image(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_ra(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_issue_dual(int argc, char **argv);
int cmd_kmc(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_envelope(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_tsa(int argc, char **argv);

#endif
