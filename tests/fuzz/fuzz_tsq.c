/* fuzz_tsq.c - libFuzzer target: the RFC 3161 TimeStampReq parser, and the same bytes as the
 * signed attributes the key process checks for a TSA key. */
#include <stddef.h>
#include <stdint.h>

#include "tsa/tsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsa_req r;
    int fb = -1;
    sc_err e = {0};
    if (tsa_req_parse(data, size, &r, &fb, &e) == 0) {
        /* a parsed request re-encodes to something that parses to the same imprint */
        sc_buf b = {0};
        tsa_req r2;
        if (tsa_req_build(r.hash, r.imprint, NULL, 0, r.cert_req, &b, NULL) != 0 ||
            tsa_req_parse(b.p, b.len, &r2, &fb, NULL) != 0 || r2.hash != r.hash ||
            __builtin_memcmp(r2.imprint, r.imprint, 32) != 0)
            __builtin_trap();
        sc_buf_free(&b);
    } else if (fb < 0 || fb > 25) {
        __builtin_trap(); /* every refusal names a PKIFailureInfo bit */
    }
    (void)tsa_signed_attrs_check(data, size, 1795705837, NULL) /* the seeds' signingTime */;
    return 0;
}
