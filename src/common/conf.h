/* conf.h - parser and writer for a CA home's sealca.conf ("key = value" lines). */
#ifndef SEALCA_CONF_H
#define SEALCA_CONF_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

/*
 * File format (UTF-8 text; an initial UTF-8 BOM is skipped; LF or CRLF line ends):
 *   # comment                      blank lines and lines starting with '#' are ignored
 *   key = value                    key: [a-z][a-z0-9_.]*, at most CONF_MAX_KEY bytes
 *   key = "  spaces # kept  "      double quotes keep spaces and '#'; inside them only
 *                                  \" and \\ are escapes
 *   key = value   # comment        unquoted: a '#' after a space or tab starts a comment;
 *                                  a '#' glued to the value is refused (quote the value)
 * Unquoted values are trimmed of spaces and tabs; a backslash in them is literal.
 * Limits: CONF_MAX_VALUE bytes per value, CONF_MAX_ENTRIES entries, CONF_MAX_FILE bytes.
 * Refused: NUL bytes, invalid UTF-8, CR not followed by LF, control characters other than
 * tab in values, duplicate keys.
 */
#define CONF_MAX_FILE    (64 * 1024)
#define CONF_MAX_KEY     64
#define CONF_MAX_VALUE   4096
#define CONF_MAX_ENTRIES 256

typedef struct conf conf; /* opaque; owns copies of all its keys and values */

/*
 * Parse text[0..len-1] (need not be NUL-terminated). On success *out is a new conf the
 * caller releases with conf_free; on error *out is NULL and e names the line.
 * Errors: SC_ETOOBIG conf.too_big (len > CONF_MAX_FILE); SC_EINVAL conf.nul, conf.bad_utf8,
 * conf.bare_cr, conf.bad_char, conf.bad_key, conf.syntax, conf.value_too_long,
 * conf.duplicate_key, conf.too_many; SC_ENOMEM.
 */
int conf_parse(const char *text, size_t len, conf **out, sc_err *e);

/* Read `path` (at most CONF_MAX_FILE bytes: SC_ETOOBIG conf.too_big; unreadable: SC_EIO
 * conf.io) and parse it as above. */
int conf_load(const char *path, conf **out, sc_err *e);

/* Release c and its strings (values are wiped first). NULL is fine. */
void conf_free(conf *c);

/* The value of key (owned by c, valid until c changes or is freed), or NULL if absent. */
const char *conf_get(const conf *c, const char *key);

/* Number of entries, and the key of entry i (file order, then conf_set order) or NULL. */
size_t conf_count(const conf *c);
const char *conf_key_at(const conf *c, size_t i);

/*
 * Typed getters. Absent key: *out = def, return 0. Present: the value must be a decimal
 * integer (optional sign, no spaces) in [min, max] (conf.bad_int / conf.out_of_range), or
 * one of true/false/yes/no/on/off/1/0, any case (conf.bad_bool); errors are SC_EINVAL, name
 * the key and line, and leave *out untouched.
 */
int conf_get_int(const conf *c, const char *key, long min, long max, long def, long *out,
                 sc_err *e);
int conf_get_bool(const conf *c, const char *key, int def, int *out, sc_err *e);

/* `known` is a NULL-terminated list. The first key not in it gives SC_EINVAL
 * conf.unknown_key naming the key and its line (catches typos such as "vaild_days"). */
int conf_check_keys(const conf *c, const char *const *known, sc_err *e);

/*
 * Add key (at the end) or replace its value. Key and value are checked with the same rules
 * as the parser (conf.bad_key, conf.bad_utf8, conf.bad_char - e.g. a newline -,
 * conf.value_too_long, conf.too_many); on any error c is unchanged. The strings are copied.
 */
int conf_set(conf *c, const char *key, const char *value, sc_err *e);

/*
 * Append "key = value\n" lines to *out (quoting values that are empty, have leading or
 * trailing blanks, or contain '#' or '"'). conf_parse of the result gives the same keys and
 * values in the same order. Returns 0, SC_ENOMEM, or SC_ETOOBIG when the text would exceed
 * CONF_MAX_FILE (so it could not be read back); on error *out is as before.
 */
int conf_format(const conf *c, sc_buf *out);

#endif
