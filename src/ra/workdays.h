/* workdays.h - working days in Asia/Shanghai (weekends and configured holidays excluded, make-up
 * working days included) for the "shipped within 1-3 working days" promise. */
#ifndef SEALCA_RA_WORKDAYS_H
#define SEALCA_RA_WORKDAYS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define WORKDAYS_MAX_DATES 1024 /* dates per list in the config (ranges expanded) */

/*
 * The time `days` working days after t (before, when days < 0): the same Shanghai time of day on
 * the date reached by stepping from t's Shanghai date one calendar day at a time and counting
 * only working days (Monday-Friday not in holidays). The start date itself is not counted, so a
 * Saturday order + 1 working day is Monday. days == 0 returns t. holidays: sorted or not,
 * YYYYMMDD numbers (e.g. 20261001).
 */
int64_t workdays_add(int64_t t_utc, int days, const int32_t *holidays_yyyymmdd, size_t n);

/* A calendar: holidays plus the weekend dates that are working days (调休 make-up days). */
typedef struct workdays_cal {
    int32_t holidays[WORKDAYS_MAX_DATES];
    size_t nholidays;
    int32_t workdays[WORKDAYS_MAX_DATES];
    size_t nworkdays;
} workdays_cal;

int64_t workdays_add_cal(int64_t t_utc, int days, const workdays_cal *cal);
/* 1 when the Shanghai date yyyymmdd is a working day under cal (NULL = weekends only). */
int workdays_is_workday(int32_t yyyymmdd, const workdays_cal *cal);
/* The Shanghai date of t as YYYYMMDD, and as "YYYY-MM-DD" text. */
int32_t workdays_date(int64_t t_utc);
void workdays_date_text(int64_t t_utc, char out[11]);

/*
 * Parse a date list: "2026-10-01, 2026-10-02..2026-10-08" (ISO dates, ".." ranges inclusive,
 * separated by commas and/or spaces) into out (cap entries). Real calendar dates only.
 * SC_EINVAL "conf.bad_date" naming the item, SC_ETOOBIG beyond cap.
 */
int workdays_parse_list(const char *text, int32_t *out, size_t cap, size_t *n, sc_err *e);
/* The `holidays` and `workdays` keys of home/sealca.conf (both optional). */
int workdays_load(const char *home, workdays_cal *cal, sc_err *e);

#endif
