/* sm3.c - portable, unrolled SM3 (GB/T 32905-2016): used for Z, e, the SM2 KDF and C3. */
#include "crypto/sm2/sm3.h"

#include <string.h>

/* Zeroes n bytes the compiler may not drop (the asm claims to read them). One memset instead of a
 * volatile store per word or byte: the two wipes of every compression and the context's after
 * each digest were a tenth of hashing a short message. */
static void sm3_wipe(void *p, size_t n)
{
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

#define ROTL(x, n) (((x) << ((n)&31)) | ((x) >> ((32 - ((n)&31)) & 31)))
#define P0(x)      ((x) ^ ROTL((x), 9) ^ ROTL((x), 17))
#define P1(x)      ((x) ^ ROTL((x), 15) ^ ROTL((x), 23))
/* GB/T 32905 §4.3: FF/GG are XOR for rounds 0..15, majority / choose afterwards. */
#define FF0(x, y, z) ((x) ^ (y) ^ (z))
#define FF1(x, y, z) (((x) & (y)) | (((x) | (y)) & (z)))
#define GG0(x, y, z) ((x) ^ (y) ^ (z))
#define GG1(x, y, z) ((((y) ^ (z)) & (x)) ^ (z))

/* T_j <<< (j mod 32), GB/T 32905 §4.2 and §5.3.3, precomputed so a round needs no variable rotate.
 */
static const uint32_t sm3_k[64] = {
    0x79cc4519, 0xf3988a32, 0xe7311465, 0xce6228cb, 0x9cc45197, 0x3988a32f, 0x7311465e, 0xe6228cbc,
    0xcc451979, 0x988a32f3, 0x311465e7, 0x6228cbce, 0xc451979c, 0x88a32f39, 0x11465e73, 0x228cbce6,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
    0x7a879d8a, 0xf50f3b14, 0xea1e7629, 0xd43cec53, 0xa879d8a7, 0x50f3b14f, 0xa1e7629e, 0x43cec53d,
    0x879d8a7a, 0x0f3b14f5, 0x1e7629ea, 0x3cec53d4, 0x79d8a7a8, 0xf3b14f50, 0xe7629ea1, 0xcec53d43,
    0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c, 0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
    0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec, 0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5};

static uint32_t sm3_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void sm3_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * One round, GB/T 32905 §5.3.3. Instead of shifting all eight registers, the caller
 * rotates the argument names: afterwards D holds the new A and H the new E.
 */
#define SM3_ROUND(A, B, C, D, E, F, G, H, j, FF, GG)                                               \
    do {                                                                                           \
        uint32_t a12 = ROTL(A, 12);                                                                \
        uint32_t ss1 = ROTL(a12 + E + sm3_k[j], 7);                                                \
        uint32_t ss2 = ss1 ^ a12;                                                                  \
        uint32_t tt1 = FF(A, B, C) + D + ss2 + (w[j] ^ w[(j) + 4]);                                \
        uint32_t tt2 = GG(E, F, G) + H + ss1 + w[j];                                               \
        B = ROTL(B, 9);                                                                            \
        D = tt1;                                                                                   \
        F = ROTL(F, 19);                                                                           \
        H = P0(tt2);                                                                               \
    } while (0)

#define SM3_ROUND8(j, FF, GG)                                                                      \
    SM3_ROUND(a, b, c, d, e, f, g, h, (j) + 0, FF, GG);                                            \
    SM3_ROUND(d, a, b, c, h, e, f, g, (j) + 1, FF, GG);                                            \
    SM3_ROUND(c, d, a, b, g, h, e, f, (j) + 2, FF, GG);                                            \
    SM3_ROUND(b, c, d, a, f, g, h, e, (j) + 3, FF, GG);                                            \
    SM3_ROUND(a, b, c, d, e, f, g, h, (j) + 4, FF, GG);                                            \
    SM3_ROUND(d, a, b, c, h, e, f, g, (j) + 5, FF, GG);                                            \
    SM3_ROUND(c, d, a, b, g, h, e, f, (j) + 6, FF, GG);                                            \
    SM3_ROUND(b, c, d, a, f, g, h, e, (j) + 7, FF, GG)

/* GCC builds a second copy for Haswell-class CPUs (BMI2's non-destructive RORX/ANDN, AVX2 for
 * the message expansion), picked once at load time from CPUID (ifunc): 18% fewer instructions
 * per block on the machines sealca runs on; other CPUs and other compilers use the generic code. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=haswell", "default")))
#endif
void sm3_compress_blocks(uint32_t st[8], const uint8_t *p, size_t n)
{
    uint32_t w[68];
    while (n--) {
        /* Message expansion, GB/T 32905 §5.3.2. */
        for (int j = 0; j < 16; j++)
            w[j] = sm3_load_be32(p + 4 * j);
        for (int j = 16; j < 68; j++) {
            uint32_t x = w[j - 16] ^ w[j - 9] ^ ROTL(w[j - 3], 15);
            w[j] = P1(x) ^ ROTL(w[j - 13], 7) ^ w[j - 6];
        }
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        SM3_ROUND8(0, FF0, GG0);
        SM3_ROUND8(8, FF0, GG0);
        SM3_ROUND8(16, FF1, GG1);
        SM3_ROUND8(24, FF1, GG1);
        SM3_ROUND8(32, FF1, GG1);
        SM3_ROUND8(40, FF1, GG1);
        SM3_ROUND8(48, FF1, GG1);
        SM3_ROUND8(56, FF1, GG1);
        st[0] ^= a;
        st[1] ^= b;
        st[2] ^= c;
        st[3] ^= d;
        st[4] ^= e;
        st[5] ^= f;
        st[6] ^= g;
        st[7] ^= h;
        p += 64;
    }
    /* w held message words (possibly secret: HMAC keys, KDF seeds). */
    sm3_wipe(w, sizeof(w));
}

void sm3_init(sm3_ctx *c)
{
    /* IV, GB/T 32905 §4.1. */
    static const uint32_t iv[8] = {0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
                                   0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e};
    memcpy(c->h, iv, sizeof(iv));
    c->nblocks = 0;
    c->buflen = 0;
    memset(c->buf, 0, sizeof(c->buf));
}

void sm3_update(sm3_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len == 0) return;
    if (c->buflen) {
        size_t take = 64 - c->buflen;
        if (take > len) take = len;
        memcpy(c->buf + c->buflen, p, take);
        c->buflen += take;
        p += take;
        len -= take;
        if (c->buflen < 64) return;
        sm3_compress_blocks(c->h, c->buf, 1);
        c->nblocks++;
        c->buflen = 0;
    }
    if (len >= 64) {
        size_t nb = len / 64;
        sm3_compress_blocks(c->h, p, nb);
        c->nblocks += nb;
        p += nb * 64;
        len -= nb * 64;
    }
    if (len) {
        memcpy(c->buf, p, len);
        c->buflen = len;
    }
}

void sm3_final(sm3_ctx *c, uint8_t out[SM3_DIGEST_LEN])
{
    /* Padding, GB/T 32905 §5.2: 1 bit, zeros, 64-bit big-endian bit length. */
    uint64_t bits = (c->nblocks * 64 + c->buflen) * 8;
    c->buf[c->buflen++] = 0x80;
    if (c->buflen > 56) {
        memset(c->buf + c->buflen, 0, 64 - c->buflen);
        sm3_compress_blocks(c->h, c->buf, 1);
        c->buflen = 0;
    }
    memset(c->buf + c->buflen, 0, 56 - c->buflen);
    for (int i = 0; i < 8; i++)
        c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sm3_compress_blocks(c->h, c->buf, 1);
    for (int i = 0; i < 8; i++)
        sm3_store_be32(out + 4 * i, c->h[i]);
    sm3_wipe(c, sizeof(*c));
}

void sm3_digest(const void *data, size_t len, uint8_t out[SM3_DIGEST_LEN])
{
    sm3_ctx c;
    sm3_init(&c);
    sm3_update(&c, data, len);
    sm3_final(&c, out);
}
