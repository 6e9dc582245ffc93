/* name.c - RFC 4514 / OpenSSL-style subject string parsing and RFC 4514 formatting. */
#include "pki/name.h"

#include "common/utf8.h"

#include <string.h>

/* Per-type facts. ub = RFC 5280 appendix A upper bound in characters; ub-name (32768) for
 * givenName/surname is never reached before NAME_MAX_VALUE bytes. charset: 0 any UTF-8,
 * 1 printable ASCII (emailAddress is an IA5String, PKCS #9), 2 PrintableString
 * (X.520 SerialNumber), 3 country (X.520 CountryName: ISO 3166 alpha-2). */
enum { CS_UTF8, CS_ASCII, CS_PRINTABLE, CS_COUNTRY };
static const struct {
    const char *label, *oid;
    size_t ub;
    int charset;
} types[] = {
    [NAME_C] = {"C", "2.5.4.6", 2, CS_COUNTRY},
    [NAME_ST] = {"ST", "2.5.4.8", 128, CS_UTF8},
    [NAME_L] = {"L", "2.5.4.7", 128, CS_UTF8},
    [NAME_O] = {"O", "2.5.4.10", 64, CS_UTF8},
    [NAME_OU] = {"OU", "2.5.4.11", 64, CS_UTF8},
    [NAME_CN] = {"CN", "2.5.4.3", 64, CS_UTF8},
    [NAME_SERIALNUMBER] = {"serialNumber", "2.5.4.5", 64, CS_PRINTABLE},
    [NAME_EMAIL] = {"emailAddress", "1.2.840.113549.1.9.1", 255, CS_ASCII},
    [NAME_TITLE] = {"title", "2.5.4.12", 64, CS_UTF8},
    [NAME_GIVENNAME] = {"GN", "2.5.4.42", NAME_MAX_VALUE, CS_UTF8},
    [NAME_SURNAME] = {"SN", "2.5.4.4", NAME_MAX_VALUE, CS_UTF8},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* Accepted spellings (compared case-insensitively), plus the dotted OIDs above. */
static const struct {
    const char *name;
    name_type t;
} aliases[] = {
    {"c", NAME_C},
    {"countryname", NAME_C},
    {"st", NAME_ST},
    {"stateorprovincename", NAME_ST},
    {"l", NAME_L},
    {"localityname", NAME_L},
    {"o", NAME_O},
    {"organizationname", NAME_O},
    {"ou", NAME_OU},
    {"organizationalunitname", NAME_OU},
    {"cn", NAME_CN},
    {"commonname", NAME_CN},
    {"serialnumber", NAME_SERIALNUMBER},
    {"emailaddress", NAME_EMAIL},
    {"e", NAME_EMAIL},
    {"title", NAME_TITLE},
    {"gn", NAME_GIVENNAME},
    {"givenname", NAME_GIVENNAME},
    {"sn", NAME_SURNAME},
    {"surname", NAME_SURNAME},
};

const char *name_type_label(name_type t)
{
    return (unsigned)t < NTYPES ? types[t].label : NULL;
}

const char *name_type_oid(name_type t)
{
    return (unsigned)t < NTYPES ? types[t].oid : NULL;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int lookup_type(const char *p, size_t n, name_type *t)
{
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        const char *a = aliases[i].name;
        if (strlen(a) != n) continue;
        size_t k = 0;
        while (k < n && lower(p[k]) == a[k])
            k++;
        if (k == n) {
            *t = aliases[i].t;
            return 1;
        }
    }
    for (size_t i = 0; i < NTYPES; i++)
        if (strlen(types[i].oid) == n && memcmp(types[i].oid, p, n) == 0) {
            *t = (name_type)i;
            return 1;
        }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/*
 * Count the code points of a value: -1 for invalid UTF-8 (RFC 3629 §4), -2 for a control
 * character (C0, DEL, C1: they can rewrite terminals and logs that show the subject).
 */
static long utf8_count(const unsigned char *p, size_t n)
{
    long count = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = sc_utf8_next(p + i, n - i, &cp);
        if (k < 0) return -1;
        if (sc_utf8_is_control(cp)) return -2;
        i += (size_t)k;
        count++;
    }
    return count;
}

static int printable_string_char(unsigned char c)
{
    /* X.680 §41.4 PrintableString. */
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr(" '()+,-./:=?", c) != NULL);
}

/* Checks on one decoded value; idx is the 1-based position in the input. */
static int check_value(name_type t, const char *v, size_t len, size_t idx, sc_err *e)
{
    const char *lab = types[t].label;
    if (len == 0)
        return sc_fail(e, SC_EINVAL, "name.empty_value", "attribute %zu (%s) has an empty value",
                       idx, lab);
    long nch = utf8_count((const unsigned char *)v, len);
    if (nch == -1)
        return sc_fail(e, SC_EINVAL, "name.bad_utf8", "attribute %zu (%s) is not valid UTF-8 text",
                       idx, lab);
    if (nch == -2)
        return sc_fail(e, SC_EINVAL, "name.bad_char",
                       "attribute %zu (%s) contains a control character", idx, lab);
    if (types[t].charset == CS_COUNTRY) {
        if (len != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')
            return sc_fail(e, SC_EINVAL, "name.bad_country",
                           "attribute %zu (C) must be a two-letter uppercase ISO 3166 country "
                           "code such as CN",
                           idx);
        return 0;
    }
    if (len > NAME_MAX_VALUE || (size_t)nch > types[t].ub)
        return sc_fail(e, SC_EINVAL, "name.too_long",
                       "attribute %zu (%s) is too long: at most %zu characters and %d bytes "
                       "(RFC 5280 appendix A)",
                       idx, lab, types[t].ub, NAME_MAX_VALUE);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (types[t].charset == CS_ASCII && (c < 0x20 || c > 0x7E))
            return sc_fail(e, SC_EINVAL, "name.bad_char",
                           "attribute %zu (%s) must be printable ASCII", idx, lab);
        if (types[t].charset == CS_PRINTABLE && !printable_string_char(c))
            return sc_fail(e, SC_EINVAL, "name.bad_char",
                           "attribute %zu (%s) may only use A-Z a-z 0-9 space and ' ( ) + , - "
                           ". / : = ? (X.520 PrintableString)",
                           idx, lab);
    }
    return 0;
}

/*
 * Decode one value starting at *pos up to the next unescaped separator (RFC 4514 §3;
 * OpenSSL form: '/'). Unescaped leading spaces are skipped and unescaped trailing spaces
 * dropped (RFC 4514 §2.4 requires leading/trailing spaces to be escaped to be kept).
 */
static int parse_value(const char *s, size_t len, size_t *pos, int slash, char *buf, size_t *blen,
                       size_t idx, sc_err *e)
{
    size_t p = *pos, n = 0, keep = 0;
    char sep = slash ? '/' : ',';
    while (p < len && s[p] == ' ')
        p++;
    if (!slash && p < len && s[p] == '#')
        return sc_fail(e, SC_EINVAL, "name.syntax",
                       "attribute %zu: BER hex values (#...) are not supported at byte %zu; "
                       "write \\# for a literal #",
                       idx, p + 1);
    while (p < len && s[p] != sep) {
        char c = s[p];
        if (c == '+')
            return sc_fail(e, SC_EINVAL, "name.multivalued",
                           "multi-valued RDN ('+' at byte %zu) is not supported; write \\+ "
                           "for a literal +",
                           p + 1);
        if (!slash && (c == '"' || c == ';' || c == '<' || c == '>'))
            return sc_fail(e, SC_EINVAL, "name.syntax",
                           "unescaped '%c' at byte %zu; write \\%c (RFC 4514 2.4)", c, p + 1, c);
        if (c == '\\') {
            if (p + 1 >= len)
                return sc_fail(e, SC_EINVAL, "name.syntax", "lone '\\' at the end of input");
            char d = s[p + 1];
            int hi = hexval(d), lo = p + 2 < len ? hexval(s[p + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                buf[n++] = (char)(hi << 4 | lo);
                p += 3;
            } else if (d != '\0' && strchr(",+\"\\=<>;# /", d) != NULL) {
                buf[n++] = d;
                p += 2;
            } else {
                return sc_fail(e, SC_EINVAL, "name.syntax",
                               "invalid escape at byte %zu: use \\ before , + \" \\ = < > ; "
                               "# space / or two hex digits",
                               p + 1);
            }
            keep = n;
            continue;
        }
        buf[n++] = c;
        p++;
    }
    while (n > keep && buf[n - 1] == ' ')
        n--;
    *pos = p;
    *blen = n;
    return 0;
}

static int is_type_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

int name_parse(const char *s, size_t len, sc_name *out, sc_err *e)
{
    if (s == NULL) len = 0;
    if (len > NAME_MAX_INPUT)
        return sc_fail(e, SC_ETOOBIG, "name.too_big",
                       "subject is %zu bytes; at most %d are accepted", len, NAME_MAX_INPUT);
    sc_name tmp;
    char buf[NAME_MAX_INPUT];
    memset(&tmp, 0, sizeof(tmp));
    size_t lead = 0; /* spaces a shell user may leave before "/C=..." */
    while (lead < len && s[lead] == ' ')
        lead++;
    int slash = lead < len && s[lead] == '/';
    char sep = slash ? '/' : ',';
    size_t pos = slash ? lead + 1 : 0;
    size_t p0 = pos;
    while (p0 < len && s[p0] == ' ')
        p0++;
    if (p0 == len)
        return sc_fail(e, SC_EINVAL, "name.no_cn", "subject is empty; it needs at least CN=");
    for (;;) {
        size_t idx = tmp.n + 1;
        while (pos < len && s[pos] == ' ')
            pos++;
        size_t ts = pos;
        while (pos < len && is_type_char(s[pos]))
            pos++;
        size_t tl = pos - ts;
        if (tl == 0)
            return sc_fail(e, SC_EINVAL, "name.syntax",
                           "expected an attribute type such as CN at byte %zu", ts + 1);
        while (pos < len && s[pos] == ' ')
            pos++;
        if (pos >= len || s[pos] != '=')
            return sc_fail(e, SC_EINVAL, "name.syntax",
                           "expected '=' after the attribute type at byte %zu", pos + 1);
        pos++;
        name_type t;
        if (!lookup_type(s + ts, tl, &t)) {
            if (tl <= 32)
                return sc_fail(e, SC_EINVAL, "name.unknown_type",
                               "unknown attribute type '%.*s' at byte %zu (known: C ST L O OU "
                               "CN serialNumber emailAddress title GN SN)",
                               (int)tl, s + ts, ts + 1);
            return sc_fail(e, SC_EINVAL, "name.unknown_type", "unknown attribute type at byte %zu",
                           ts + 1);
        }
        if (tmp.n == NAME_MAX_ATTRS)
            return sc_fail(e, SC_EINVAL, "name.too_many", "subject has more than %d attributes",
                           NAME_MAX_ATTRS);
        size_t blen = 0;
        int rc = parse_value(s, len, &pos, slash, buf, &blen, idx, e);
        if (rc != 0) return rc;
        rc = check_value(t, buf, blen, idx, e);
        if (rc != 0) return rc;
        name_attr *a = &tmp.attr[tmp.n++];
        a->type = t;
        memcpy(a->value, buf, blen);
        a->value[blen] = '\0';
        a->len = blen;
        if (pos == len) break;
        /* s[pos] == sep */
        pos++;
        size_t q = pos;
        while (q < len && s[q] == ' ')
            q++;
        if (q == len)
            return sc_fail(e, SC_EINVAL, "name.syntax",
                           "subject ends with '%c' (byte %zu): remove it or add an attribute", sep,
                           pos);
    }
    if (!slash) /* RFC 4514 §2.1: the string starts with the last RDN of the sequence */
        for (size_t i = 0; i < tmp.n / 2; i++) {
            name_attr t = tmp.attr[i];
            tmp.attr[i] = tmp.attr[tmp.n - 1 - i];
            tmp.attr[tmp.n - 1 - i] = t;
        }
    int ncountry = 0, ncn = 0;
    for (size_t i = 0; i < tmp.n; i++) {
        ncountry += tmp.attr[i].type == NAME_C;
        ncn += tmp.attr[i].type == NAME_CN;
    }
    if (ncountry > 1)
        return sc_fail(e, SC_EINVAL, "name.duplicate_country",
                       "subject has %d C= attributes; at most one is allowed", ncountry);
    if (ncn == 0) return sc_fail(e, SC_EINVAL, "name.no_cn", "subject has no CN= (common name)");
    memcpy(out, &tmp, sizeof(tmp));
    return 0;
}

typedef struct {
    char *p;
    size_t cap, n;
    int over;
} wbuf;

static void put(wbuf *w, const char *s, size_t n)
{
    if (w->over || n > w->cap - w->n) {
        w->over = 1;
        return;
    }
    memcpy(w->p + w->n, s, n);
    w->n += n;
}

int name_format(const sc_name *nm, char *out, size_t outsz)
{
    if (out == NULL || outsz == 0) return SC_ETOOBIG;
    out[0] = '\0';
    if (nm == NULL || nm->n > NAME_MAX_ATTRS) return SC_EINVAL;
    for (size_t i = 0; i < nm->n; i++)
        if ((unsigned)nm->attr[i].type >= NTYPES || nm->attr[i].len > NAME_MAX_VALUE)
            return SC_EINVAL;
    wbuf w = {out, outsz - 1, 0, 0};
    for (size_t k = nm->n; k-- > 0;) { /* RFC 4514 §2.1: last RDN first */
        const name_attr *a = &nm->attr[k];
        if (k != nm->n - 1) put(&w, ",", 1);
        put(&w, types[a->type].label, strlen(types[a->type].label));
        put(&w, "=", 1);
        for (size_t i = 0; i < a->len; i++) {
            unsigned char c = (unsigned char)a->value[i];
            char esc[4];
            if (c < 0x20 || c == 0x7F) {
                esc[0] = '\\';
                esc[1] = "0123456789ABCDEF"[c >> 4];
                esc[2] = "0123456789ABCDEF"[c & 15];
                put(&w, esc, 3);
            } else if (strchr(",+\"\\<>;", c) != NULL || (i == 0 && (c == '#' || c == ' ')) ||
                       (i == a->len - 1 && c == ' ')) {
                /* RFC 4514 §2.4 */
                esc[0] = '\\';
                esc[1] = (char)c;
                put(&w, esc, 2);
            } else {
                put(&w, (const char *)&c, 1);
            }
        }
    }
    if (w.over) {
        out[0] = '\0';
        return SC_ETOOBIG;
    }
    out[w.n] = '\0';
    return 0;
}
