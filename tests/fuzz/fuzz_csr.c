/* fuzz_csr.c - libFuzzer target: the CSR parser (PEM or DER PKCS#10, proof-of-possession check). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pki/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csr c;
    sc_err e = {0};
    int rc = csr_parse(data, size, &c, &e);
    if (rc == 0) {
        /* an accepted request has a key and a message-free error */
        if (c.pub == NULL || e.status != 0) abort();
        csr_free(&c);
    } else if (e.status == 0 || e.code[0] == 0 || c.pub != NULL) {
        abort(); /* every refusal names its cause and leaves nothing allocated */
    }
    return 0;
}
