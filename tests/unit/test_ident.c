/* test_ident.c - unit tests for resident ID, USCC and mobile checks and masking (pki/ident). */
#include "testutil.h"

#include <time.h>

#include "pki/ident.h"

/* Independent re-statement of GB 11643-1999 §6.2, so generated IDs do not trust the code
 * under test; the published example 11010519491231002X pins the formula itself. */
static char id_check(const char *s17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (s17[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

static const char ALPHA[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* GB 32100-2015 check character, restated. */
static char uscc_check(const char *s17)
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(ALPHA, s17[i]) - ALPHA) * w[i];
    return ALPHA[(31 - sum % 31) % 31];
}

/* GB 11714-1997 check character, in the "11 - (sum mod 11)" form of the standard. */
static char org_check(const char *s8)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (s8[i] <= '9' ? s8[i] - '0' : s8[i] - 'A' + 10) * w[i];
    int c = 11 - sum % 11;
    return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Fix the check character of an 18-char ID in place and return it. */
static char *id_fix(char *s)
{
    s[17] = id_check(s);
    return s;
}

static char *uscc_fix(char *s)
{
    s[17] = uscc_check(s);
    return s;
}

static void expect_err(int rc, const sc_err *e, const char *code)
{
    assert_int_equal(rc, SC_EINVAL);
    assert_int_equal(e->status, SC_EINVAL);
    assert_string_equal(e->code, code);
    assert_true(e->msg[0] != '\0');
}

static void id_bad(const char *s, const char *code)
{
    sc_err e = {0};
    expect_err(ident_check_resident_id(s, &e), &e, code);
    /* The message must never carry the ID number (personal data). */
    if (s != NULL && strlen(s) >= 8) assert_null(strstr(e.msg, s + strlen(s) - 8));
}

static void test_id_good(void **st)
{
    (void)st;
    sc_err e = {0};
    assert_int_equal(ident_check_resident_id("11010519491231002X", &e), 0);
    assert_int_equal(e.status, 0);
    assert_int_equal(ident_check_resident_id("11010519491231002x", &e), 0);
    assert_int_equal(ident_check_resident_id("11010519491231002X", NULL), 0);
    char a[] = "44030420000229123_"; /* leap day of a 400-year */
    assert_int_equal(ident_check_resident_id(id_fix(a), &e), 0);
    char b[] = "83000019000101001_"; /* earliest allowed date, Taiwan residence permit */
    assert_int_equal(ident_check_resident_id(id_fix(b), &e), 0);
}

static void test_id_errors(void **st)
{
    (void)st;
    id_bad(NULL, "ident.id_length");
    id_bad("", "ident.id_length");
    id_bad("11010519491231002", "ident.id_length");
    id_bad("11010519491231002X1", "ident.id_length");
    char huge[200];
    memset(huge, '1', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    id_bad(huge, "ident.id_length");

    id_bad("1101051949123100XX", "ident.id_chars");
    id_bad("11010519491231002Y", "ident.id_chars");
    id_bad("1101051949 231002X", "ident.id_chars");
    id_bad("X1010519491231002X", "ident.id_chars");

    id_bad("110105194912310021", "ident.id_checksum");
    id_bad("11010519491231002 ", "ident.id_chars");
    id_bad("11010519491231003X", "ident.id_checksum");

    char r1[] = "99010519491231002_", r2[] = "00010519491231002_", r3[] = "10010519491231002_",
         r4[] = "24010519491231002_", r5[] = "84010519491231002_";
    id_bad(id_fix(r1), "ident.id_region");
    id_bad(id_fix(r2), "ident.id_region");
    id_bad(id_fix(r3), "ident.id_region");
    id_bad(id_fix(r4), "ident.id_region");
    id_bad(id_fix(r5), "ident.id_region");

    const char *dates[] = {"19990229", "19000229", "18991231", "19491301", "19490001",
                           "19491200", "19490431", "29990101", "00000000"};
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        char s[19];
        snprintf(s, sizeof(s), "110105%s002_", dates[i]);
        id_bad(id_fix(s), "ident.id_birthdate");
    }
    /* Tomorrow (China time) is in the future; today is fine. */
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    char s[19], d[9];
    gmtime_r(&t, &tm);
    strftime(d, sizeof(d), "%Y%m%d", &tm);
    snprintf(s, sizeof(s), "110105%s002_", d);
    sc_err e = {0};
    assert_int_equal(ident_check_resident_id(id_fix(s), &e), 0);
    t += 86400;
    gmtime_r(&t, &tm);
    strftime(d, sizeof(d), "%Y%m%d", &tm);
    snprintf(s, sizeof(s), "110105%s002_", d);
    id_bad(id_fix(s), "ident.id_birthdate");
}

static void random_id(char *s)
{
    static const int prov[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                               43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
    int p = prov[rnd(sizeof(prov) / sizeof(prov[0]))];
    int y = 1900 + (int)rnd(120), m = 1 + (int)rnd(12);
    int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int d = 1 + (int)rnd((unsigned)(dim[m - 1] + (m == 2 && leap)));
    snprintf(s, 19, "%02d%04u%04d%02d%02d%03u_", p, rnd(10000), y, m, d, rnd(1000));
    id_fix(s);
}

static void test_id_random(void **st)
{
    (void)st;
    long n = tu_iters(2000, 50);
    for (long k = 0; k < n; k++) {
        char s[19];
        random_id(s);
        sc_err e = {0};
        if (ident_check_resident_id(s, &e) != 0)
            fail_msg("generated ID refused: %s (%s)", s, e.code);
        /* Every single-character substitution must be caught: the weights are all
         * non-zero mod the prime 11, so the checksum sees any one changed digit. */
        for (int i = 0; i < 18; i++) {
            const char *set = "0123456789XA ";
            for (const char *c = set; *c; c++) {
                if (*c == s[i]) continue;
                char m[19];
                memcpy(m, s, 19);
                m[i] = *c;
                int nondigit = !(*c >= '0' && *c <= '9');
                int chars = nondigit && !(i == 17 && *c == 'X');
                sc_err me = {0};
                int rc = ident_check_resident_id(m, &me);
                if (rc != SC_EINVAL ||
                    strcmp(me.code, chars ? "ident.id_chars" : "ident.id_checksum") != 0)
                    fail_msg("mutation %s of %s: rc %d code %s", m, s, rc, me.code);
            }
        }
    }
}

static void uscc_bad(const char *s, const char *code)
{
    sc_err e = {0};
    int warn = 7;
    expect_err(ident_check_uscc(s, &warn, &e), &e, code);
    assert_int_equal(warn, 7); /* untouched on refusal */
}

static void test_uscc_good(void **st)
{
    (void)st;
    sc_err e = {0};
    int warn = -1;
    assert_int_equal(ident_check_uscc("91350100M000100Y43", &warn, &e), 0);
    assert_int_equal(warn, 0);
    assert_int_equal(ident_check_uscc("91350100M000100Y43", NULL, NULL), 0);
    /* Embedded organisation code with a wrong check character: accepted with a warning. */
    char s[] = "91350100M000100Y5_";
    assert_int_equal(ident_check_uscc(uscc_fix(s), &warn, &e), 0);
    assert_int_equal(warn, 1);
    assert_int_equal(e.status, 0);
    /* Organisation code whose check is 'X' (sum mod 11 == 1) and '0' (sum mod 11 == 0). */
    char x[] = "11110000__________";
    memcpy(x + 8, "00000020", 8); /* sum = 4*2 = 8 -> 11-8 = 3 */
    x[16] = org_check(x + 8);
    assert_int_equal(x[16], '3');
    assert_int_equal(ident_check_uscc(uscc_fix(x), &warn, &e), 0);
    assert_int_equal(warn, 0);
    memcpy(x + 8, "00000030", 8); /* sum = 12 -> 1 -> 10 -> 'X' */
    x[16] = org_check(x + 8);
    assert_int_equal(x[16], 'X');
    assert_int_equal(ident_check_uscc(uscc_fix(x), &warn, &e), 0);
    assert_int_equal(warn, 0);
    memcpy(x + 8, "00000000", 8); /* sum = 0 -> 11 -> '0' */
    x[16] = org_check(x + 8);
    assert_int_equal(x[16], '0');
    assert_int_equal(ident_check_uscc(uscc_fix(x), &warn, &e), 0);
    assert_int_equal(warn, 0);
}

static void test_uscc_errors(void **st)
{
    (void)st;
    uscc_bad(NULL, "ident.uscc_length");
    uscc_bad("", "ident.uscc_length");
    uscc_bad("91350100M000100Y4", "ident.uscc_length");
    uscc_bad("91350100M000100Y433", "ident.uscc_length");
    uscc_bad("91350100m000100Y43", "ident.uscc_chars");
    for (const char *c = "IOSVZ*- "; *c; c++) {
        char s[] = "91350100M000100Y43";
        s[8] = *c;
        uscc_bad(s, "ident.uscc_chars");
    }
    uscc_bad("91350100M000100Y44", "ident.uscc_checksum");
    uscc_bad("92350100M000100Y43", "ident.uscc_checksum");
    char a[] = "B1350100M000100Y4_", c0[] = "90350100M000100Y4_", cA[] = "9A350100M000100Y4_",
         r[] = "913501A0M000100Y4_";
    uscc_bad(uscc_fix(a), "ident.uscc_authority");
    uscc_bad(uscc_fix(c0), "ident.uscc_category");
    uscc_bad(uscc_fix(cA), "ident.uscc_category");
    uscc_bad(uscc_fix(r), "ident.uscc_region");
}

static void random_uscc(char *s)
{
    const char *auth = "123456789ANY";
    s[0] = auth[rnd(12)];
    s[1] = (char)('1' + rnd(9));
    for (int i = 2; i < 8; i++)
        s[i] = (char)('0' + rnd(10));
    for (int i = 8; i < 16; i++)
        s[i] = ALPHA[rnd(31)];
    s[16] = org_check(s + 8);
    s[17] = uscc_check(s);
    s[18] = '\0';
}

static void test_uscc_random(void **st)
{
    (void)st;
    long n = tu_iters(2000, 50);
    for (long k = 0; k < n; k++) {
        char s[19];
        random_uscc(s);
        sc_err e = {0};
        int warn = -1;
        if (ident_check_uscc(s, &warn, &e) != 0 || warn != 0)
            fail_msg("generated USCC refused: %s (%s, warn %d)", s, e.code, warn);
        /* 31 is prime and every weight is non-zero mod 31: one changed character is caught. */
        for (int i = 0; i < 18; i++) {
            for (const char *c = "0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZa"; *c; c++) {
                if (*c == s[i]) continue;
                char m[19];
                memcpy(m, s, 19);
                m[i] = *c;
                int chars = strchr(ALPHA, *c) == NULL;
                sc_err me = {0};
                int rc = ident_check_uscc(m, &warn, &me);
                if (rc != SC_EINVAL ||
                    strcmp(me.code, chars ? "ident.uscc_chars" : "ident.uscc_checksum") != 0)
                    fail_msg("mutation %s of %s: rc %d code %s", m, s, rc, me.code);
            }
        }
    }
}

static void test_mobile(void **st)
{
    (void)st;
    sc_err e = {0};
    assert_int_equal(ident_check_mobile("13800138000", &e), 0);
    assert_int_equal(ident_check_mobile("19912345678", &e), 0);
    const struct {
        const char *s, *code;
    } bad[] = {
        {NULL, "ident.mobile_length"},
        {"", "ident.mobile_length"},
        {"1380013800", "ident.mobile_length"},
        {"138001380000", "ident.mobile_length"},
        {"+8613800138000", "ident.mobile_length"},
        {"138 0013800", "ident.mobile_chars"},
        {"1380013800A", "ident.mobile_chars"},
        {"12800138000", "ident.mobile_prefix"},
        {"10800138000", "ident.mobile_prefix"},
        {"23800138000", "ident.mobile_prefix"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sc_err be = {0};
        expect_err(ident_check_mobile(bad[i].s, &be), &be, bad[i].code);
    }
}

static void test_mask(void **st)
{
    (void)st;
    char out[80];
    ident_mask("11010519491231002X", out, sizeof(out));
    assert_string_equal(out, "1101**********002X");
    ident_mask("91350100M000100Y43", out, sizeof(out));
    assert_string_equal(out, "9135**********0Y43");
    ident_mask("13800138000", out, sizeof(out));
    assert_string_equal(out, "138****8000");
    ident_mask("12345678", out, sizeof(out)); /* short: only a quarter at each end */
    assert_string_equal(out, "12****78");
    ident_mask("abc", out, sizeof(out));
    assert_string_equal(out, "***");
    ident_mask("", out, sizeof(out));
    assert_string_equal(out, "");
    ident_mask("1234567890123456789012345", out, sizeof(out));
    assert_string_equal(out, "1234*****************2345");
    ident_mask(NULL, out, sizeof(out));
    assert_string_equal(out, "****");
    ident_mask("张三丰的身份证号码", out, sizeof(out));
    assert_string_equal(out, "****");
    char huge[100];
    memset(huge, '7', 99);
    huge[99] = '\0';
    ident_mask(huge, out, sizeof(out));
    assert_string_equal(out, "****");
    /* Too small for the masked form: empty, never a truncated prefix. */
    char small[18];
    memset(small, 'Q', sizeof(small));
    ident_mask("11010519491231002X", small, sizeof(small));
    assert_string_equal(small, "");
    ident_mask("11010519491231002X", small, 0);
    assert_int_equal(small[0], '\0');
    char exact[19];
    ident_mask("11010519491231002X", exact, sizeof(exact));
    assert_string_equal(exact, "1101**********002X");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_good),     cmocka_unit_test(test_id_errors),
        cmocka_unit_test(test_id_random),   cmocka_unit_test(test_uscc_good),
        cmocka_unit_test(test_uscc_errors), cmocka_unit_test(test_uscc_random),
        cmocka_unit_test(test_mobile),      cmocka_unit_test(test_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
