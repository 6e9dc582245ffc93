/* fuzz_tst.c - libFuzzer target: time-stamp tokens and responses (CMS SignedData, TSTInfo, ESS
 * attributes, PKIStatusInfo), as seal verification meets them inside GB/T 38540 signatures. */
#include <stddef.h>
#include <stdint.h>

#include "tsa/tsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsa_token_info ti;
    sc_err e = {0};
    (void)tsa_token_verify(data, size, NULL, 0, &ti, &e);
    sc_slice tok;
    sc_err e2 = {0};
    (void)tsa_resp_token(data, size, &tok, &e2);
    return 0;
}
