/* pw.h - the libsodium pieces the RA uses (argon2id, base64, wiping), kept apart because
 * libsodium's crypto_sign() clashes with sealca's crypto layer name: only pw.c includes sodium.h.
 */
#ifndef SEALCA_RA_PW_H
#define SEALCA_RA_PW_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define RA_PWHASH_MAX 128 /* >= crypto_pwhash_STRBYTES */

/* argon2id string (libsodium format, parameters inside). 0, or -1 when out of memory. */
int ra_pw_hash(const char *pw, char out[RA_PWHASH_MAX]);
/* 0 when pw matches hash. */
int ra_pw_verify(const char *hash, const char *pw);
/* Standard base64 with padding <-> bytes; decode appends to out; 0 or -1. */
int ra_b64_decode(const char *in, sc_buf *out);
void ra_b64_encode(const uint8_t *p, size_t n, sc_buf *out);
/* bytes -> base64url without padding into out (outsz >= 4n/3 + 2). */
void ra_b64url(const uint8_t *p, size_t n, char *out, size_t outsz);
/* bytes -> standard base64 into out. */
void ra_b64std(const uint8_t *p, size_t n, char *out, size_t outsz);

#endif
