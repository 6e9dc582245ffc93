/* test_testhook.c - the test build honours the environment test hooks and parses them strictly. */
#include "testutil.h"

#include "common/testhook.h"

static void test_enabled_in_test_build(void **state)
{
    (void)state;
    /* unit tests are linked with the sanitizer library, built with -DSEALCA_TEST_HOOKS */
    assert_int_equal(sc_testhooks_enabled(), 1);
    sc_err e = {0};
    setenv("SEALCA_CRASH_AT", "nowhere", 1);
    setenv("SEALCA_RA_CLOCK_OFFSET", "60", 1);
    assert_int_equal(sc_testhook_check(&e), 0); /* not refused here */
    assert_string_equal(sc_testhook("SEALCA_CRASH_AT"), "nowhere");
    setenv("SEALCA_CRASH_AT", "", 1);
    assert_null(sc_testhook("SEALCA_CRASH_AT")); /* empty = unset */
    unsetenv("SEALCA_CRASH_AT");
    unsetenv("SEALCA_RA_CLOCK_OFFSET");
    assert_null(sc_testhook("SEALCA_CRASH_AT"));
}

static void test_names(void **state)
{
    (void)state;
    int n = 0, clock = 0, crash = 0;
    for (; sc_testhook_names[n] != NULL; n++) {
        clock |= strcmp(sc_testhook_names[n], "SEALCA_RA_CLOCK_OFFSET") == 0;
        crash |= strcmp(sc_testhook_names[n], "SEALCA_CRASH_AT") == 0;
    }
    assert_int_equal(n, 2);
    assert_true(clock && crash);
}

static void test_seconds(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int ok;
        int64_t want;
    } cases[] = {
        {"0", 1, 0},
        {"29376000", 1, 29376000},
        {"-86400", 1, -86400},
        {"10000000000", 1, 10000000000LL},
        {"-10000000000", 1, -10000000000LL},
        {"10000000001", 0, 0},
        {"99999999999999999999999", 0, 0}, /* ERANGE */
        {"1d", 0, 0},
        {"12 ", 0, 0},
        {"abc", 0, 0},
        {" ", 0, 0},
        {"0x10", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sc_err e = {0};
        int64_t v = 123;
        setenv("SEALCA_RA_CLOCK_OFFSET", cases[i].v, 1);
        int rc = sc_testhook_seconds("SEALCA_RA_CLOCK_OFFSET", &v, &e);
        if (cases[i].ok) {
            assert_int_equal(rc, 0);
            assert_true(v == cases[i].want);
        } else {
            assert_int_equal(rc, SC_EINVAL);
            assert_string_equal(e.code, "testhook.bad_value");
            assert_non_null(strstr(e.msg, "SEALCA_RA_CLOCK_OFFSET"));
            assert_true(v == 0);
        }
    }
    unsetenv("SEALCA_RA_CLOCK_OFFSET");
    sc_err e = {0};
    int64_t v = 7;
    assert_int_equal(sc_testhook_seconds("SEALCA_RA_CLOCK_OFFSET", &v, &e), 0);
    assert_true(v == 0); /* unset: no offset */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enabled_in_test_build),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
