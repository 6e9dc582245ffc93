/* fuzz_envelope.c - libFuzzer target: the GM/T 0010 envelopedData parser and decryption with a
 * fixed key, and the GM/T 0092 CSRResponse / SM2EnvelopedKey parsers a token imports. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "envelope/envelope.h"
#include "kmc/kmc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sc_key *g_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_key == NULL && crypto_key_generate(SC_ALG_SM2, &g_key, NULL) != 0) abort();
    static envelope_info info;
    sc_err e = {0};
    if (envelope_parse(data, size, &info, &e) == 0) {
        if (info.nr == 0 || info.nr > ENVELOPE_MAX_RECIPIENTS || info.content.len % 16) abort();
    } else if (e.code[0] == 0) {
        abort();
    }
    sc_buf out = {0};
    sc_err de = {0};
    /* a random key is never a recipient: decryption must refuse and write nothing */
    if (envelope_decrypt(data, size, g_key, NULL, 0, &out, &de) == 0 || out.len != 0) abort();
    csr_response r;
    sc_err ce = {0};
    if (csrresp_parse(data, size, &r, &ce) == 0) {
        if (r.sign_cert.len == 0) abort();
        uint8_t pub[65];
        sc_key *k = NULL;
        sc_err ke = {0};
        if (r.env_key.len && envkey_open(r.env_key.p, r.env_key.len, g_key, &k, &ke) == 0) abort();
        (void)envkey_public(r.env_key.p, r.env_key.len, pub, NULL);
    } else if (ce.code[0] == 0) {
        abort();
    }
    return 0;
}
