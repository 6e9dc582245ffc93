/* utf8.c - strict UTF-8 decoding (RFC 3629 §4 table of well-formed byte sequences). */
#include "common/utf8.h"

int sc_utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
    if (n == 0) return -1;
    unsigned c = p[0];
    uint32_t v;
    size_t need;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) { /* C0, C1 would be overlong */
        v = c & 0x1F, need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        v = c & 0x0F, need = 2;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        v = c & 0x07, need = 3;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else {
        return -1;
    }
    if (n - 1 < need) return -1;
    for (size_t k = 1; k <= need; k++) {
        unsigned b = p[k];
        if (b < (k == 1 ? lo : 0x80u) || b > (k == 1 ? hi : 0xBFu)) return -1;
        v = v << 6 | (b & 0x3F);
    }
    *cp = v;
    return (int)need + 1;
}

int sc_utf8_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}
