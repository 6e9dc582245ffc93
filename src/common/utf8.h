/* utf8.h - strict UTF-8 decoding shared by the text parsers (subject names, config files). */
#ifndef SEALCA_UTF8_H
#define SEALCA_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode one code point from p[0..n-1] (n >= 1) per RFC 3629 §4: overlong forms,
 * surrogates (U+D800-U+DFFF), values above U+10FFFF, stray continuation bytes and
 * truncated sequences are errors. Returns the number of bytes used (1-4) and sets *cp,
 * or returns -1 on an error (*cp untouched).
 */
int sc_utf8_next(const uint8_t *p, size_t n, uint32_t *cp);

/* C0 controls, DEL and C1 controls (U+0000-U+001F, U+007F-U+009F). */
int sc_utf8_is_control(uint32_t cp);

#endif
