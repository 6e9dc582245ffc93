/* fuzz_ocsp_request.c - libFuzzer target: the OCSP request parser and the whole responder on a CA
 * home. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ocsp/ocsp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define PASS "fuzz passphrase"

static char home[256];
static pki_ca *ca;
static pki_issuer *sub;
static uint8_t serials[2][16]; /* one good, one revoked certificate of sub-1 */

static void cleanup(void)
{
    char cmd[300];
    ca_close(ca);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    if (system(cmd) != 0) {
        /* best effort */
    }
}

/* One SM2 home with two certificates, made once: key encryption makes it slow. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sc_err e = {0};
    snprintf(home, sizeof(home), "%s/sealca-fuzz-ocsp-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(home) == NULL) abort();
    strcat(home, "/h");
    ca_init_opts o = {
        .home = home, .name = "fuzz CA", .alg = SC_ALG_SM2, .pass = PASS, .passlen = strlen(PASS)};
    if (ca_init(&o, &e) != 0 || ca_open(home, PASS, strlen(PASS), &ca, &e) != 0) {
        fprintf(stderr, "fuzz init: %s %s\n", e.code, e.msg);
        abort();
    }
    home[strlen(home) - 2] = 0; /* remove the parent directory at exit */
    atexit(cleanup);
    sub = ca_issuer(ca, "sub-1");
    for (int i = 0; i < 2; i++) {
        sc_key *k = NULL;
        cert_info ci;
        issue_req r = {.profile = "person-sign",
                       .subject = "CN=fuzz",
                       .id_number = "11010519491231002X",
                       .actor = "fuzz"};
        if (crypto_key_generate(SC_ALG_SM2, &k, &e) != 0) abort();
        r.pub = k;
        if (pki_issue(ca, &r, &ci, &e) != 0) {
            fprintf(stderr, "fuzz issue: %s %s\n", e.code, e.msg);
            abort();
        }
        sc_hex_decode(ci.serial, serials[i], 16);
        if (i == 1 && pki_revoke(ca, ci.serial, REASON_KEY_COMPROMISE, 0, "fuzz", &e) != 0) abort();
        cert_info_free(&ci);
        crypto_key_free(k);
    }
    return 0;
}

/* Every response is a well-formed OCSPResponse, and a successful one verifies. */
static void check(const sc_buf *resp)
{
    static ocsp_response r;
    sc_err e = {0};
    if (resp->len == 0 || ocsp_response_parse(resp->p, resp->len, &r, &e) != 0) abort();
    if (r.status == OCSP_SUCCESSFUL && ocsp_response_verify(ca, &r, NULL, &e) != 0) {
        fprintf(stderr, "own response does not verify: %s\n", e.msg);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t now = 1700000000;
    sc_buf resp = {0};
    sc_err e = {0};
    if (ocsp_respond(ca, data, size, now, &resp, &e) != 0)
        abort(); /* bad input always yields a response */
    check(&resp);
    sc_buf_free(&resp);

    /* The parsed request again, with its CertIDs pointed at this home's CA and certificates so
     * the fuzzer reaches the good / revoked / mixed-issuer paths too. */
    static ocsp_request rq;
    if (ocsp_request_parse(data, size, &rq, NULL) != 0) return 0;
    for (size_t i = 0; i < rq.n; i++) {
        ocsp_certid *id = &rq.ids[i];
        uint8_t n[32], k[32];
        size_t hl;
        uint8_t sel = id->serial[id->serial_len - 1];
        if ((sel & 3) == 3 || ocsp_issuer_hashes(sub, id->hash_alg, n, k, &hl) != 0 ||
            hl != id->hlen)
            continue;
        memcpy(id->name_hash, n, hl);
        memcpy(id->key_hash, k, hl);
        if ((sel & 3) != 2) {
            memcpy(id->serial, serials[sel & 1], 16);
            id->serial_len = 16;
        }
    }
    memset(&e, 0, sizeof(e));
    if (ocsp_respond_request(ca, &rq, now, &resp, &e) != 0) abort();
    check(&resp);
    sc_buf_free(&resp);
    return 0;
}
