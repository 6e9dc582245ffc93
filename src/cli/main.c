/* main.c - sealca: one binary, subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "sealca - SM2 certificate authority and electronic-seal service\n"
    "\n"
    "usage: sealca COMMAND [options]   (--home DIR or SEALCA_HOME everywhere;\n"
    "       the CA key passphrase from SEALCA_PASSPHRASE or --passphrase-file FILE)\n"
    "\n"
    "  init --home DIR [--name NAME] [--algo sm2|ecdsa-p256|rsa3072] [--base-url http://H:P]\n"
    "        [--ldap ldap://H:P --ldap-base DN [--ldap-bind-dn DN --ldap-password-file F]]\n"
    "        create a CA home: root CA, issuing CA, OCSP signer, seal-maker certificates\n"
    "  issue --profile NAME --subject \"CN=…,O=…,C=CN\" [--uscc CODE] [--id-number NUM]\n"
    "        (--csr FILE | --keygen --key-out FILE) [--days N] --out FILE.pem\n"
    "  revoke --serial HEX --reason REASON [--invalidity-date YYYY-MM-DD]\n"
    "        reasons: unspecified keyCompromise cACompromise affiliationChanged superseded\n"
    "        cessationOfOperation certificateHold (loss report, 挂失) privilegeWithdrawn\n"
    "  resume --serial HEX          release a certificateHold (解挂)\n"
    "  crl --out FILE [--delta] [--issuer ID]\n"
    "  list [--status good|revoked|hold] [--limit N]      show --serial HEX [--pem]\n"
    "  chain                        the CA chain (issuing CA, then root) as PEM\n"
    "  profiles                     list certificate profiles\n"
    "  profile show|add|set|retire NAME [--file DEFINITION]\n"
    "  ca rollover                  new issuing CA key and certificate, with link certificates\n"
    "  audit verify | audit checkpoint\n"
    "  verify-crl --crl FILE [--issuer ID]      check a CRL's signature with sealca's verifier\n"
    "  verify-cert --cert FILE --chain FILE     check a certificate path with sealca's verifier\n"
    "  ocsp --request REQ.der --out RESP.der    answer one OCSP request offline (signed by "
    "ocsp-N)\n"
    "  verify-ocsp --response RESP.der          check an OCSP response with sealca's verifier\n"
    "  serve [--listen 127.0.0.1:8080] [--tls-listen A:P --tls-cert F --tls-key F] [--threads N]\n"
    "        [--access-log FILE|-|none]   CA certificates, CRLs and OCSP over HTTP; keys stay in\n"
    "        a separate key process\n"
    "  publish [--now]              write queued certificates and CRLs to the LDAP directory\n"
    "        (sealca serve does this by itself every few seconds; --now skips the backoff)\n"
    "  bench issue|populate|sm2 …   benchmarks (see docs/benchmarks.md)\n"
    "  notify status | list [--limit N] | send [--now] | test --to ADDRESS\n"
    "        the e-mail outbox: state, recent messages, deliver due ones over SMTP, queue a test\n";

static const struct {
    const char *name;
    int (*fn)(int, char **);
} cmds[] = {
    {"init", cmd_init},
    {"issue", cmd_issue},
    {"revoke", cmd_revoke},
    {"resume", cmd_resume},
    {"crl", cmd_crl},
    {"list", cmd_list},
    {"show", cmd_show},
    {"chain", cmd_chain},
    {"profiles", cmd_profiles},
    {"profile", cmd_profile},
    {"ca", cmd_ca},
    {"audit", cmd_audit},
    {"verify-crl", cmd_verify_crl},
    {"verify-cert", cmd_verify_cert},
    {"bench", cmd_bench},
    {"serve", cmd_serve},
    {"ocsp", cmd_ocsp},
    {"verify-ocsp", cmd_verify_ocsp},
    {"publish", cmd_publish},
    {"notify", cmd_notify},
};

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[1], cmds[i].name) == 0) return cmds[i].fn(argc - 1, argv + 1);
    return cli_usage("unknown command '%s'", argv[1]);
}
