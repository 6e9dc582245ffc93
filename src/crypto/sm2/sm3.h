/* sm3.h - SM3 hash (GB/T 32905-2016 / GM/T 0004-2012), self-contained for the SM2 engine and the
 * rest of sealca. */
#ifndef SEALCA_SM3_H
#define SEALCA_SM3_H

#include <stddef.h>
#include <stdint.h>

#define SM3_DIGEST_LEN 32
#define SM3_BLOCK_LEN  64

/* Exposed so callers can copy a context that has absorbed a common prefix (HMAC pads, KDF seeds).
 */
typedef struct sm3_ctx {
    uint32_t h[8];    /* chaining value V(i) */
    uint64_t nblocks; /* compressed 64-byte blocks so far */
    uint8_t buf[64];  /* pending partial block */
    size_t buflen;
} sm3_ctx;

void sm3_init(sm3_ctx *c);
void sm3_update(sm3_ctx *c, const void *data, size_t len);
/* Writes the digest and wipes the context. */
void sm3_final(sm3_ctx *c, uint8_t out[SM3_DIGEST_LEN]);
void sm3_digest(const void *data, size_t len, uint8_t out[SM3_DIGEST_LEN]);
/* Compress n whole 64-byte blocks into h (exposed for callers that pre-pad, e.g. the KDF). */
void sm3_compress_blocks(uint32_t h[8], const uint8_t *blocks, size_t n);

#endif
