/* main.c - sealca: one binary, subcommands. */
#include "cli.h"
#include "common/testhook.h"

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
    "  ca tsa                       RFC 3161 time-stamping certificate and key (POST /tsa)\n"
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
    "  seal-image extract|render|info …   stamp / signature images from specimen scans, and\n"
    "        marked renderings from text (see docs/seals-images.md)\n"
    "  ra init                      registration service settings and catalog in the home\n"
    "  ra remind                    queue expiry reminders (30/7/1 days) in the mail outbox\n"
    "  user init-admins --super L --audit L --password-file F --pin-file F [--out DIR]\n"
    "  user add --login L --name N --role business-admin|operator|auditor [--duties a,b]\n"
    "        [--service-point ID] --password-file F --pin-file F [--out DIR]\n"
    "  user list | user disable --login L\n"
    "  user sign-challenge --key F (--login L --challenge C | --in FILE) [--pin-file F]\n"
    "  agent --key F --cert F [--listen 127.0.0.1:7443] [--origin URL]   local signing agent\n"
    "  issue-dual --profile P --csr REQ --out RESP.der [--subject S] [--uscc C] [--id-number N]\n"
    "        signing + KMC-escrowed encryption certificate as a GM/T 0092 CSRResponse\n"
    "  kmc init|stats|refill|sweep|register-ca|recover-request|recover-approve|recover-reject|\n"
    "      recover-release|unlock-answer|activation-create|activation-redeem   (docs/tokens.md)\n"
    "  token init|csr|import|certs|sign|decrypt|info|change-pin|unblock|unlock-request|unlock\n"
    "        --file T.tok …   the holder's software USB key (docs/tokens.md)\n"
    "  envelope encrypt --to CERT… --out F FILE | decrypt --file T.tok --pin PIN --out F ENV\n"
    "  seal make --image F.png --name NAME --type organization|person --cert HOLDER.pem\n"
    "        [--kind K] [--valid-from D --valid-to D] [--version 1|4] [--replace ESID\n"
    "        --business seal-change|seal-redo] --out SEAL.esl      make a seal (电子印章)\n"
    "  seal sign --seal SEAL.esl (--key KEY.pem [--cert C.pem] | --token T.tok --pin PIN)\n"
    "        FILE --out FILE.ses [--tsa URL/tsa]      --tsa: RFC 3161 timeStamp (v4 seals)\n"
    "  seal verify FILE.esl|FILE.ses [--data FILE] [--ca CHAIN.pem] [--crl CRL|--online] [--at T]\n"
    "        [--ocsp URL|aia] [--policy strict|integrity] [--no-chain] [--json]\n"
    "        GM/T 0031 §6.1.2 / §6.2.3 checks; exit 0 only if all the policy requires pass\n"
    "  seal verify-ofd FILE.ofd [--ca …] [--crl …] [--ocsp …] [--policy …] [--json]      every\n"
    "        signature of an OFD\n"
    "  seal show ESID | seal retire ESID REASON      the seal registry\n"
    "  notify status | list [--limit N] | send [--now] | test --to ADDRESS\n"
    "        the e-mail outbox: state, recent messages, deliver due ones over SMTP, queue a test\n"
    "  tsa show SERIAL | tsa verify TOKEN|RESPONSE [--data FILE]\n"
    "        a logged timestamp token; an RFC 3161 token's own checks (docs/tsa.md)\n";

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
    {"seal-image", cmd_seal_image},
    {"seal", cmd_seal},
    {"user", cmd_user},
    {"ra", cmd_ra},
    {"agent", cmd_agent},
    {"issue-dual", cmd_issue_dual},
    {"kmc", cmd_kmc},
    {"token", cmd_token},
    {"envelope", cmd_envelope},
    {"notify", cmd_notify},
    {"tsa", cmd_tsa},
};

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    /* a release build refuses test hooks (SEALCA_RA_CLOCK_OFFSET…) loudly: common/testhook.h */
    sc_err e = {0};
    if (sc_testhook_check(&e) != 0) return cli_fail(&e);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(argv[1], cmds[i].name) == 0) return cmds[i].fn(argc - 1, argv + 1);
    return cli_usage("unknown command '%s'", argv[1]);
}
