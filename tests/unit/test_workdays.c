/* test_workdays.c - working days in Asia/Shanghai: weekends, holidays, make-up days, time zone. */
#include "testutil.h"

#include <time.h>

#include "common/buf.h"
#include "ra/workdays.h"

/* UTC seconds of a Shanghai wall-clock time (UTC+8). */
static int64_t sh(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t)timegm(&tm) - 8 * 3600;
}

static void test_weekends(void **state)
{
    (void)state;
    /* 2026-11-26 is a Thursday */
    int64_t thu = sh(2026, 11, 26, 15, 30);
    assert_int_equal(workdays_date(thu), 20261126);
    assert_int_equal(workdays_add(thu, 0, NULL, 0), thu);
    assert_int_equal(workdays_add(thu, 1, NULL, 0), sh(2026, 11, 27, 15, 30)); /* Fri */
    assert_int_equal(workdays_add(thu, 2, NULL, 0), sh(2026, 11, 30, 15, 30)); /* Mon */
    assert_int_equal(workdays_add(thu, 3, NULL, 0), sh(2026, 12, 1, 15, 30));  /* Tue */
    assert_int_equal(workdays_add(thu, 10, NULL, 0), sh(2026, 12, 10, 15, 30));
    assert_int_equal(workdays_add(thu, -4, NULL, 0), sh(2026, 11, 20, 15, 30));
    /* an order on Saturday: 1 working day is Monday */
    int64_t sat = sh(2026, 11, 28, 9, 0);
    assert_int_equal(workdays_add(sat, 1, NULL, 0), sh(2026, 11, 30, 9, 0));
    /* the Shanghai date, not the UTC date: Friday 23:30 UTC is already Saturday in Shanghai */
    int64_t fri_utc_night = sh(2026, 11, 28, 7, 30); /* = 2026-11-27 23:30 UTC */
    assert_int_equal(workdays_date(fri_utc_night), 20261128);
    assert_int_equal(workdays_add(fri_utc_night, 1, NULL, 0), sh(2026, 11, 30, 7, 30));
    char txt[11];
    workdays_date_text(fri_utc_night, txt);
    assert_string_equal(txt, "2026-11-28");
    /* before 1970 arithmetic is not needed, but negative floor division must be right */
    assert_int_equal(workdays_date(-1), 19700101); /* 1969-12-31 23:59:59 UTC is 07:59 on 1 Jan */
}

static void test_holidays(void **state)
{
    (void)state;
    /* National Day 2026: 10-01..10-07 off; make-up working days Sunday 09-27 and Saturday 10-10
     * (the published arrangement may differ: this is test data) */
    workdays_cal cal;
    memset(&cal, 0, sizeof(cal));
    sc_err e = {0};
    assert_int_equal(workdays_parse_list("2026-10-01..2026-10-07, 2026-01-01", cal.holidays,
                                         WORKDAYS_MAX_DATES, &cal.nholidays, &e),
                     0);
    assert_int_equal(cal.nholidays, 8);
    assert_int_equal(cal.holidays[0], 20261001);
    assert_int_equal(cal.holidays[6], 20261007);
    assert_int_equal(cal.holidays[7], 20260101);
    assert_int_equal(workdays_parse_list("2026-09-27 2026-10-10", cal.workdays, WORKDAYS_MAX_DATES,
                                         &cal.nworkdays, &e),
                     0);
    int64_t wed = sh(2026, 9, 30, 10, 0);
    /* plain list: 3 working days after Wed 09-30 skip 10-01..07 (Thu-Wed) and land on 10-12 Mon?
     * 10-08 Thu = 1, 10-09 Fri = 2, 10-12 Mon = 3 */
    assert_int_equal(workdays_add(wed, 3, cal.holidays, cal.nholidays), sh(2026, 10, 12, 10, 0));
    /* with the make-up Saturday 10-10 counted */
    assert_int_equal(workdays_add_cal(wed, 3, &cal), sh(2026, 10, 10, 10, 0));
    /* Saturday 09-26 + 1: Sunday 09-27 is a make-up working day */
    assert_int_equal(workdays_add_cal(sh(2026, 9, 26, 12, 0), 1, &cal), sh(2026, 9, 27, 12, 0));
    assert_true(workdays_is_workday(20260927, &cal));
    assert_false(workdays_is_workday(20260927, NULL));
    assert_false(workdays_is_workday(20261005, &cal));
    assert_true(workdays_is_workday(20261126, &cal));
}

static void test_parse_refusals(void **state)
{
    (void)state;
    int32_t out[8];
    size_t n;
    static const char *bad[] = {"2026-02-30",   "2026-13-01",   "26-01-01",
                                "2026-1-1",     "2026/01/01",   "2026-10-07..2026-10-01",
                                "2026-10-01..", "..2026-10-01", "2026-10-01...2026-10-02",
                                "holiday",      "2026-01-01x",  "1969-12-31"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sc_err e = {0};
        if (workdays_parse_list(bad[i], out, 8, &n, &e) != SC_EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_string_equal(e.code, "conf.bad_date");
    }
    sc_err e = {0};
    assert_int_equal(workdays_parse_list("2026-01-01..2026-01-09", out, 8, &n, &e), SC_ETOOBIG);
    assert_int_equal(workdays_parse_list("2024-02-29", out, 8, &n, &e), 0); /* leap day */
    assert_int_equal(out[0], 20240229);
    assert_int_equal(workdays_parse_list("", out, 8, &n, &e), 0);
    assert_int_equal(n, 0);
}

static void test_load(void **state)
{
    (void)state;
    char *d = tu_tmpdir();
    char p[4200];
    snprintf(p, sizeof(p), "%s/sealca.conf", d);
    const char *conf = "name = x\nholidays = 2027-01-01, 2027-02-05..2027-02-11\n"
                       "workdays = 2027-02-13\n";
    assert_int_equal(sc_file_write_atomic(p, conf, strlen(conf), 0600), 0);
    workdays_cal cal;
    sc_err e = {0};
    assert_int_equal(workdays_load(d, &cal, &e), 0);
    assert_int_equal(cal.nholidays, 8);
    assert_int_equal(cal.nworkdays, 1);
    const char *badconf = "holidays = 2027-02-30\n";
    assert_int_equal(sc_file_write_atomic(p, badconf, strlen(badconf), 0600), 0);
    assert_int_equal(workdays_load(d, &cal, &e), SC_EINVAL);
    assert_int_equal(cal.nholidays, 0);
    tu_rmrf(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekends),
        cmocka_unit_test(test_holidays),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
