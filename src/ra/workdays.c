/* workdays.c - working-day arithmetic on Shanghai calendar dates (UTC+8, no DST since 1991). */
#include "ra/workdays.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

#define SHANGHAI_OFFSET (8 * 3600)

/* Days since 1970-01-01 <-> civil date (H. Hinnant's algorithms, proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int32_t civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    return (int32_t)(y * 10000 + m * 100 + d);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int in_list(int32_t v, const int32_t *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == v) return 1;
    return 0;
}

static int is_workday(int64_t day, const int32_t *hol, size_t nhol, const int32_t *work,
                      size_t nwork)
{
    int32_t ymd = civil_from_days(day);
    int wd = (int)((day % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    if (in_list(ymd, work, nwork)) return 1;
    if (wd == 0 || wd == 6) return 0;
    return !in_list(ymd, hol, nhol);
}

static int64_t add(int64_t t, int days, const int32_t *hol, size_t nhol, const int32_t *work,
                   size_t nwork)
{
    if (days == 0) return t;
    int64_t day = floor_div(t + SHANGHAI_OFFSET, 86400), start = day;
    int step = days > 0 ? 1 : -1, left = days > 0 ? days : -days;
    /* a year without working days would be a configuration error: stop rather than loop */
    for (int guard = 0; left > 0 && guard < 3660 + 2 * abs(days); guard++) {
        day += step;
        if (is_workday(day, hol, nhol, work, nwork)) left--;
    }
    return t + (day - start) * 86400;
}

int64_t workdays_add(int64_t t_utc, int days, const int32_t *holidays_yyyymmdd, size_t n)
{
    return add(t_utc, days, holidays_yyyymmdd, n, NULL, 0);
}

int64_t workdays_add_cal(int64_t t_utc, int days, const workdays_cal *cal)
{
    if (cal == NULL) return add(t_utc, days, NULL, 0, NULL, 0);
    return add(t_utc, days, cal->holidays, cal->nholidays, cal->workdays, cal->nworkdays);
}

int workdays_is_workday(int32_t ymd, const workdays_cal *cal)
{
    int64_t day = days_from_civil(ymd / 10000, (unsigned)(ymd / 100 % 100), (unsigned)(ymd % 100));
    return cal ? is_workday(day, cal->holidays, cal->nholidays, cal->workdays, cal->nworkdays)
               : is_workday(day, NULL, 0, NULL, 0);
}

int32_t workdays_date(int64_t t_utc)
{
    return civil_from_days(floor_div(t_utc + SHANGHAI_OFFSET, 86400));
}

void workdays_date_text(int64_t t_utc, char out[11])
{
    unsigned d = (unsigned)workdays_date(t_utc); /* 1970..9999 for any time sealca handles */
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%04u-%02u-%02u", d / 10000 % 10000, d / 100 % 100, d % 100);
    memcpy(out, tmp, 10);
    out[10] = 0;
}

/* "YYYY-MM-DD" exactly, a real date in 1970..2199. */
static int parse_date(const char *s, size_t n, int64_t *day)
{
    if (n != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
    int y = atoi(s), m = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
    if (y < 1970 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31) return -1;
    int64_t z = days_from_civil(y, (unsigned)m, (unsigned)d);
    if (civil_from_days(z) != y * 10000 + m * 100 + d) return -1; /* 2026-02-30 */
    *day = z;
    return 0;
}

int workdays_parse_list(const char *text, int32_t *out, size_t cap, size_t *n, sc_err *e)
{
    *n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p) break;
        size_t l = strcspn(p, " ,\t");
        const char *dots = memchr(p, '.', l);
        int64_t a = 0, b = 0;
        int ok = dots ? dots + 1 < p + l && dots[1] == '.' &&
                            parse_date(p, (size_t)(dots - p), &a) == 0 &&
                            parse_date(dots + 2, (size_t)(p + l - dots - 2), &b) == 0 && a <= b &&
                            b - a <= 366
                      : parse_date(p, l, &a) == 0;
        if (!dots) b = a;
        if (!ok)
            return sc_fail(e, SC_EINVAL, "conf.bad_date",
                           "'%.*s' is not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
                           (int)(l > 40 ? 40 : l), p);
        for (int64_t z = a; z <= b; z++) {
            if (*n == cap)
                return sc_fail(e, SC_ETOOBIG, "conf.too_many_dates",
                               "more than %zu dates in one list", cap);
            out[(*n)++] = civil_from_days(z);
        }
        p += l;
    }
    return 0;
}

int workdays_load(const char *home, workdays_cal *cal, sc_err *e)
{
    memset(cal, 0, sizeof(*cal));
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/sealca.conf", home) >= (int)sizeof(path))
        return sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
    conf *c = NULL;
    int rc = conf_load(path, &c, e);
    if (rc != 0) return rc;
    const char *h = conf_get(c, "holidays"), *w = conf_get(c, "workdays");
    if (h) rc = workdays_parse_list(h, cal->holidays, WORKDAYS_MAX_DATES, &cal->nholidays, e);
    if (rc == 0 && w)
        rc = workdays_parse_list(w, cal->workdays, WORKDAYS_MAX_DATES, &cal->nworkdays, e);
    conf_free(c);
    if (rc != 0) memset(cal, 0, sizeof(*cal));
    return rc;
}
