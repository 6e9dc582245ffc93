/* fuzz_seal.c - libFuzzer target: the seal and seal-signature decoders (GM/T 0031 / GB/T 38540)
 * and the key process's classification of seal to-be-signed data. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "seal/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(sc_slice s, const uint8_t *data, size_t size)
{
    return s.len == 0 || (s.p >= data && s.p + s.len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal s;
    seal_sig g;
    sc_err e = {0};
    if (seal_decode(data, size, &s, &e) == 0) {
        /* every slice points into the input; the maker's TBS can be rebuilt */
        if (!inside(s.raw, data, size) || !inside(s.sealinfo, data, size) ||
            !inside(s.maker_cert, data, size) || !inside(s.picture, data, size) || s.ncerts < 1)
            abort();
        sc_buf tbs = {0};
        if (seal_maker_tbs(&s, &tbs, &e) != 0 || seal_tbs_check(tbs.p, tbs.len, NULL) != 0)
            abort(); /* the key process must accept what a decodable seal's maker signed */
        sc_buf_free(&tbs);
    } else if (e.code[0] == 0) {
        abort();
    }
    sc_err_clear(&e);
    if (seal_sig_decode(data, size, &g, &e) == 0) {
        if (!inside(g.tbs, data, size) || !inside(g.signer_cert, data, size) ||
            !inside(g.hash, data, size) || g.hash.len == 0)
            abort();
    } else if (e.code[0] == 0) {
        abort();
    }
    seal_tbs_check(data, size, NULL);
    return 0;
}
