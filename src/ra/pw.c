/* pw.c - argon2id password hashes and base64 through libsodium (see pw.h for why apart). */
#include "ra/pw.h"

#include <sodium.h>
#include <string.h>

/* argon2id cost: t = 2, m = 19 MiB (OWASP's minimum for argon2id) keeps 200 concurrent logins
 * within memory; the string records the parameters, so raising them later is safe */
#define PW_OPS 2
#define PW_MEM (19u * 1024 * 1024)

_Static_assert(RA_PWHASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer");

int ra_pw_hash(const char *pw, char out[RA_PWHASH_MAX])
{
    if (sodium_init() < 0) return -1;
    return crypto_pwhash_str(out, pw, strlen(pw), PW_OPS, PW_MEM) == 0 ? 0 : -1;
}

int ra_pw_verify(const char *hash, const char *pw)
{
    if (sodium_init() < 0) return -1;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 ? 0 : -1;
}

int ra_b64_decode(const char *in, sc_buf *out)
{
    if (in == NULL) return -1;
    size_t n = strlen(in);
    if (n > 64 * 1024) return -1;
    if (sc_buf_reserve(out, n + 1) != 0) return -1;
    size_t bl = 0;
    if (sodium_base642bin(out->p + out->len, n + 1, in, n, NULL, &bl, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    out->len += bl;
    return 0;
}

void ra_b64_encode(const uint8_t *p, size_t n, sc_buf *out)
{
    size_t l = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
    if (sc_buf_reserve(out, l) != 0) return;
    sodium_bin2base64((char *)out->p + out->len, l, p, n, sodium_base64_VARIANT_ORIGINAL);
    out->len += l - 1;
}

void ra_b64url(const uint8_t *p, size_t n, char *out, size_t outsz)
{
    sodium_bin2base64(out, outsz, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void ra_b64std(const uint8_t *p, size_t n, char *out, size_t outsz)
{
    sodium_bin2base64(out, outsz, p, n, sodium_base64_VARIANT_ORIGINAL);
}
