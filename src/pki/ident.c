/* ident.c - GB 11643 resident ID, GB 32100 USCC and mobile number checks, and masking. */
#include "pki/ident.h"

#include <string.h>
#include <time.h>

static size_t bounded_len(const char *s)
{
    return strnlen(s, IDENT_MAX_INPUT + 1);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Province-level prefixes of GB/T 2260 address codes. 71 Taiwan, 81 Hong Kong, 82 Macao;
 * 83 is used by residence permits for Taiwan residents (State Council decree 2018). */
static int province_ok(int p)
{
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
           (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
           p == 81 || p == 82 || p == 83;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

/* Today's date as YYYYMMDD in China Standard Time (UTC+8, no DST): a person born
 * "today" in Beijing must not be refused because the server clock is in UTC. */
static long today_cst(void)
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return 99991231L; /* cannot tell: do not refuse on the future-date rule */
    return (long)(tm.tm_year + 1900) * 10000L + (long)(tm.tm_mon + 1) * 100L + tm.tm_mday;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int ident_check_resident_id(const char *s, sc_err *e)
{
    /* GB 11643-1999 §6.2 weights w_i = 2^(18-i) mod 11 for i = 1..17. */
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    if (s == NULL) return sc_fail(e, SC_EINVAL, "ident.id_length", "resident ID number is missing");
    size_t n = bounded_len(s);
    if (n != 18)
        return sc_fail(e, SC_EINVAL, "ident.id_length",
                       "resident ID number must have 18 characters, got %s%zu",
                       n > IDENT_MAX_INPUT ? "more than " : "",
                       n > IDENT_MAX_INPUT ? (size_t)IDENT_MAX_INPUT : n);
    for (size_t i = 0; i < 17; i++)
        if (!is_digit(s[i]))
            return sc_fail(e, SC_EINVAL, "ident.id_chars",
                           "resident ID number: character %zu must be a digit", i + 1);
    char last = s[17] == 'x' ? 'X' : s[17];
    if (!is_digit(last) && last != 'X')
        return sc_fail(e, SC_EINVAL, "ident.id_chars",
                       "resident ID number: character 18 must be a digit or X");
    int sum = 0;
    for (size_t i = 0; i < 17; i++)
        sum += (s[i] - '0') * w[i];
    if (check[sum % 11] != last)
        return sc_fail(e, SC_EINVAL, "ident.id_checksum",
                       "resident ID number: check character does not match (GB 11643-1999 "
                       "6.2); a character was probably mistyped");
    if (!province_ok(num(s, 2)))
        return sc_fail(e, SC_EINVAL, "ident.id_region",
                       "resident ID number: the first two digits are not a province code");
    int y = num(s + 6, 4), m = num(s + 10, 2), d = num(s + 12, 2);
    long ymd = (long)y * 10000L + m * 100L + d;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || ymd > today_cst())
        return sc_fail(e, SC_EINVAL, "ident.id_birthdate",
                       "resident ID number: characters 7-14 are not a birth date between "
                       "1900-01-01 and today");
    return 0;
}

static const char uscc_alpha[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int uscc_val(char c)
{
    const char *p = c != '\0' ? strchr(uscc_alpha, c) : NULL;
    return p ? (int)(p - uscc_alpha) : -1;
}

/* GB 11714-1997 organisation code (8 body characters + check): digits are worth 0-9 and
 * letters A-Z 10-35; C9 = 11 - (sum mod 11), with 10 written 'X' and 11 written '0',
 * which is the same as "0X987654321"[sum mod 11]. */
static int org_code_ok(const char *p)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (size_t i = 0; i < 8; i++) {
        int v = is_digit(p[i]) ? p[i] - '0' : p[i] - 'A' + 10;
        sum += v * w[i];
    }
    int c9 = 11 - sum % 11;
    char want = c9 == 10 ? 'X' : c9 == 11 ? '0' : (char)('0' + c9);
    return p[8] == want;
}

int ident_check_uscc(const char *s, int *warning, sc_err *e)
{
    /* GB 32100-2015 §5 / annex: w_i = 3^(i-1) mod 31. */
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    if (s == NULL) return sc_fail(e, SC_EINVAL, "ident.uscc_length", "credit code is missing");
    size_t n = bounded_len(s);
    if (n != 18)
        return sc_fail(e, SC_EINVAL, "ident.uscc_length",
                       "unified social credit code must have 18 characters, got %s%zu",
                       n > IDENT_MAX_INPUT ? "more than " : "",
                       n > IDENT_MAX_INPUT ? (size_t)IDENT_MAX_INPUT : n);
    int v[18];
    for (size_t i = 0; i < 18; i++) {
        v[i] = uscc_val(s[i]);
        if (v[i] < 0)
            return sc_fail(e, SC_EINVAL, "ident.uscc_chars",
                           "unified social credit code: character %zu is not one of "
                           "0-9 or uppercase A-Y without I, O, S, V, Z",
                           i + 1);
    }
    int sum = 0;
    for (size_t i = 0; i < 17; i++)
        sum += v[i] * w[i];
    if (v[17] != (31 - sum % 31) % 31)
        return sc_fail(e, SC_EINVAL, "ident.uscc_checksum",
                       "unified social credit code: check character does not match "
                       "(GB 32100-2015); a character was probably mistyped");
    if (strchr("123456789ANY", s[0]) == NULL)
        return sc_fail(e, SC_EINVAL, "ident.uscc_authority",
                       "unified social credit code: character 1 is not a registration "
                       "authority code (1-9, A, N, Y)");
    if (s[1] < '1' || s[1] > '9')
        return sc_fail(e, SC_EINVAL, "ident.uscc_category",
                       "unified social credit code: character 2 is not an organisation "
                       "category (1-9)");
    for (size_t i = 2; i < 8; i++)
        if (!is_digit(s[i]))
            return sc_fail(e, SC_EINVAL, "ident.uscc_region",
                           "unified social credit code: characters 3-8 must be a numeric "
                           "administrative division code");
    if (warning != NULL) *warning = org_code_ok(s + 8) ? 0 : 1;
    return 0;
}

int ident_check_mobile(const char *s, sc_err *e)
{
    if (s == NULL) return sc_fail(e, SC_EINVAL, "ident.mobile_length", "mobile number is missing");
    size_t n = bounded_len(s);
    if (n != 11)
        return sc_fail(
            e, SC_EINVAL, "ident.mobile_length",
            "mobile number must have 11 digits (no +86, no spaces), got %s%zu characters",
            n > IDENT_MAX_INPUT ? "more than " : "",
            n > IDENT_MAX_INPUT ? (size_t)IDENT_MAX_INPUT : n);
    for (size_t i = 0; i < 11; i++)
        if (!is_digit(s[i]))
            return sc_fail(e, SC_EINVAL, "ident.mobile_chars",
                           "mobile number: character %zu must be a digit", i + 1);
    if (s[0] != '1' || s[1] < '3')
        return sc_fail(e, SC_EINVAL, "ident.mobile_prefix", "mobile number must start with 13-19");
    return 0;
}

void ident_mask(const char *s, char *out, size_t outsz)
{
    if (out == NULL || outsz == 0) return;
    size_t n = s ? bounded_len(s) : IDENT_MAX_INPUT + 1;
    int printable = n <= IDENT_MAX_INPUT;
    for (size_t i = 0; printable && i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) printable = 0;
    if (!printable) {
        if (outsz < 5)
            out[0] = '\0';
        else
            memcpy(out, "****", 5);
        return;
    }
    size_t head, tail;
    if (n == 18) {
        head = 4, tail = 4;
    } else if (n == 11) {
        head = 3, tail = 4;
    } else {
        head = tail = n / 4 > 4 ? 4 : n / 4;
    }
    if (outsz < n + 1) {
        out[0] = '\0';
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (i < head || i >= n - tail) ? s[i] : '*';
    out[n] = '\0';
}
