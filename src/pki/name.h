/* name.h - parser and formatter for certificate subject strings ("CN=张三,O=某某公司,C=CN"). */
#ifndef SEALCA_NAME_H
#define SEALCA_NAME_H

#include <stddef.h>

#include "common/err.h"

#define NAME_MAX_ATTRS 16
/* Bytes of UTF-8 per value. The RFC 5280 appendix A upper bounds are enforced on top of
 * this, in characters (code points): CN, O, OU, title, serialNumber 64; L, ST 128;
 * emailAddress 255; C exactly 2 letters A-Z. */
#define NAME_MAX_VALUE 256
/* Bytes of input accepted by name_parse (SC_ETOOBIG above). */
#define NAME_MAX_INPUT 2048

typedef enum {
    NAME_C,
    NAME_ST,
    NAME_L,
    NAME_O,
    NAME_OU,
    NAME_CN,
    NAME_SERIALNUMBER,
    NAME_EMAIL,
    NAME_TITLE,
    NAME_GIVENNAME,
    NAME_SURNAME
} name_type;

typedef struct name_attr {
    name_type type;
    char value[NAME_MAX_VALUE + 1]; /* UTF-8, NUL-terminated (no NUL inside) */
    size_t len;                     /* bytes in value, excluding the NUL */
} name_attr;

/* attr[0..n-1] are in DER encoding order: attr[0] is the first RDN of the RDNSequence
 * (usually C), the last one the most specific (usually CN). Each RDN has one attribute. */
typedef struct sc_name {
    size_t n;
    name_attr attr[NAME_MAX_ATTRS];
} sc_name;

/*
 * Parse a subject string of `len` bytes (need not be NUL-terminated; a NUL byte inside is
 * refused) into *out, which the caller owns. *out is written only on success.
 *
 * Two syntaxes:
 *  - RFC 4514: "CN=张三,O=某某公司,C=CN", most specific RDN first; it is reversed so that
 *    out->attr is in encoding order (C, O, CN). Escapes: \, \+ \" \\ \= \< \> \; \# \space
 *    \/ and \XX hex pairs (bytes of UTF-8). Unescaped " ; < > in a value are refused.
 *  - OpenSSL: "/C=CN/O=某某公司/CN=张三" (first non-space character '/'), already in encoding
 * order; same escapes, and ',' ; " < > and a leading # are ordinary characters there. Types are
 * case-insensitive: C/countryName, ST/stateOrProvinceName, L/localityName, O/organizationName,
 * OU/organizationalUnitName, CN/commonName, serialNumber, emailAddress/E, title, GN/givenName,
 * SN/surname. Spaces around types and values are trimmed unless escaped. Multi-valued RDNs ('+',
 * either syntax) and RFC 4514 BER hex values
 * ("CN=#04...") are refused.
 *
 * Errors (SC_EINVAL unless noted; messages give the byte position and/or attribute, never
 * the value): name.too_big (SC_ETOOBIG, input > NAME_MAX_INPUT), name.syntax,
 * name.unknown_type, name.multivalued, name.empty_value, name.bad_utf8 (invalid UTF-8:
 * overlong, surrogate, > U+10FFFF, truncated), name.bad_char (control character U+0000-
 * U+001F, U+007F-U+009F; or a non-printable-ASCII character in C, serialNumber or
 * emailAddress), name.too_long (value over its bound), name.bad_country,
 * name.duplicate_country, name.too_many (> NAME_MAX_ATTRS), name.no_cn (no attribute or
 * no CN).
 */
int name_parse(const char *s, size_t len, sc_name *out, sc_err *e);

/*
 * Write `n` in RFC 4514 form (most specific RDN first) into out[outsz], NUL-terminated,
 * escaping , + " \ < > ; a leading # or space and a trailing space, and control bytes as
 * \XX. Returns 0, SC_ETOOBIG if outsz is too small (out is then ""), or SC_EINVAL if `n`
 * is malformed (too many attributes, bad type or length). For any name that name_parse
 * returned, name_parse(name_format(n)) gives back n, provided the formatted string is at
 * most NAME_MAX_INPUT bytes (heavily escaped long names can exceed it).
 */
int name_format(const sc_name *n, char *out, size_t outsz);

/* Short label ("CN", "O", "serialNumber", "GN", "SN", ...) or NULL for an invalid type. */
const char *name_type_label(name_type t);
/* Dotted OID ("2.5.4.3", ...) or NULL for an invalid type. */
const char *name_type_oid(name_type t);

#endif
