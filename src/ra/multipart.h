/* multipart.h - a strict RFC 7578 multipart/form-data parser (material uploads). */
#ifndef SEALCA_RA_MULTIPART_H
#define SEALCA_RA_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Limits (anything beyond is refused with SC_ETOOBIG): */
#define MP_MAX_HEADER_LINE 1024 /* one part header line, CRLF excluded */
#define MP_MAX_HEADERS     8    /* header lines per part */

typedef struct mp_part {
    char name[64];       /* form field name, valid UTF-8 without controls, never "" */
    char filename[256];  /* "" when none; UTF-8 */
    char ctype[128];     /* part Content-Type, "" when none */
    const uint8_t *data; /* points into the body */
    size_t len;
} mp_part;

/*
 * Parse body (len bytes) sent with the request header content_type
 * ("multipart/form-data; boundary=…", RFC 7578 §4.1 / RFC 2046 §5.1.1) into at most max_parts
 * parts. The parts point into body (the caller keeps body alive). Strict: the body must begin
 * with the first delimiter (no preamble) and end with the close delimiter, optionally followed by
 * one CRLF; each part needs `Content-Disposition: form-data; name="…"`; Content-Transfer-Encoding
 * other than 7bit/8bit/binary, duplicate disposition or parameters, bare LF line ends, controls
 * or invalid UTF-8 in names are refused. Returns 0, SC_EINVAL (broken structure, e.code
 * "multipart.*") or SC_ETOOBIG (too many parts, header too long). *nparts is 0 on error.
 */
int mp_parse(const char *content_type, const uint8_t *body, size_t len, mp_part *parts,
             size_t max_parts, size_t *nparts, sc_err *e);

/* The boundary parameter of a multipart/form-data Content-Type (1-70 bchars, RFC 2046 §5.1.1).
 * Returns 0 and writes it NUL-terminated into out (outsz >= 71), or SC_EINVAL. */
int mp_boundary(const char *content_type, char *out, size_t outsz, sc_err *e);

/* The first part named name, or NULL. */
const mp_part *mp_find(const mp_part *parts, size_t n, const char *name);

#endif
