/* testdb.h - the databases store tests run on: a temp SQLite file, and a fresh PostgreSQL schema
 * when SEALCA_TEST_PG_URL is set. */
#ifndef SEALCA_TESTDB_H
#define SEALCA_TESTDB_H

#include "testutil.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include "crypto/crypto.h"
#include "store/driver.h"

/*
 * main() runs its cmocka group once per driver that tdb_drivers() reports; setups create the
 * database with tdb_create and teardowns remove it with tdb_drop, so nothing is left behind.
 * On PostgreSQL each database is a new schema with a random name, reached through
 * `options=-c search_path=NAME` in the URL, so every connection sealca opens lands in it.
 */
typedef struct tdb {
    int pg;
    char url[4600];  /* what store_open / ca_init get */
    char file[4300]; /* SQLite: the file */
    char schema[40]; /* PostgreSQL: the schema */
} tdb;

static const char *const tdb_names[2] = {"sqlite", "postgresql"};

/* How many drivers to run on (1: SQLite, 2: SQLite and PostgreSQL), or -1 when PostgreSQL is
 * required (scripts/pg-test-env.sh) but missing. */
static inline int tdb_drivers(void)
{
    const char *u = getenv("SEALCA_TEST_PG_URL");
    if (u != NULL && *u) return 2;
    const char *req = getenv("SEALCA_TEST_PG_REQUIRED");
    if (req != NULL && *req == '1') {
        fprintf(stderr, "FAIL: PostgreSQL required but SEALCA_TEST_PG_URL is not set\n");
        return -1;
    }
    const char *no = getenv("SEALCA_TEST_NO_PG");
    if (no == NULL || *no != '1')
        fprintf(stderr, "note: SEALCA_TEST_PG_URL not set: store tests run on SQLite only "
                        "(make test starts PostgreSQL)\n");
    return 1;
}

static inline PGconn *tdb_pg_connect(const char *url)
{
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) fail_msg("PostgreSQL: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    return c;
}

/* Run the DDL statement that the server builds with format(%I) from a bound schema name: the
 * name is never pasted into SQL by this code. */
static inline void tdb_pg_schema_ddl(PGconn *c, const char *fmt_sql, const char *schema)
{
    const char *p[1] = {schema};
    PGresult *r = PQexecParams(c, fmt_sql, 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        fail_msg("%s: %s", fmt_sql, PQerrorMessage(c));
    PGresult *r2 = PQexec(c, PQgetvalue(r, 0, 0));
    if (PQresultStatus(r2) != PGRES_COMMAND_OK)
        fail_msg("%s: %s", PQgetvalue(r, 0, 0), PQerrorMessage(c));
    PQclear(r2);
    PQclear(r);
}

/* A fresh, empty database: SQLite file NAME in dir, or a new PostgreSQL schema. */
static inline void tdb_create(tdb *t, int pg, const char *dir, const char *name)
{
    memset(t, 0, sizeof(*t));
    t->pg = pg;
    if (!pg) {
        snprintf(t->file, sizeof(t->file), "%s/%s", dir, name);
        snprintf(t->url, sizeof(t->url), "sqlite:%s", t->file);
        return;
    }
    uint8_t rnd[8];
    crypto_random(rnd, sizeof(rnd));
    snprintf(t->schema, sizeof(t->schema), "t_");
    for (int i = 0; i < 8; i++)
        snprintf(t->schema + 2 + 2 * i, 3, "%02x", rnd[i]);
    const char *base = getenv("SEALCA_TEST_PG_URL");
    PGconn *c = tdb_pg_connect(base);
    tdb_pg_schema_ddl(c, "SELECT format('CREATE SCHEMA %I', $1::text)", t->schema);
    PQfinish(c);
    snprintf(t->url, sizeof(t->url), "%s%coptions=-c%%20search_path%%3D%s", base,
             strchr(base, '?') ? '&' : '?', t->schema);
}

static inline void tdb_drop(tdb *t)
{
    if (t->pg && t->schema[0]) {
        PGconn *c = tdb_pg_connect(getenv("SEALCA_TEST_PG_URL"));
        tdb_pg_schema_ddl(c, "SELECT format('DROP SCHEMA %I CASCADE', $1::text)", t->schema);
        PQfinish(c);
    }
    t->schema[0] = 0;
}

/* Raw SQL through a second connection, as an attacker or an old sealca would write. */
static inline void tdb_exec(const tdb *t, const char *sql)
{
    if (t->pg) {
        PGconn *c = tdb_pg_connect(t->url);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return;
    }
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->file, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(db);
}

/* Raw statement with `?` placeholders bound to blobs (nblobs of them): a SELECT's first column
 * of the first row goes to out (its length returned), or an UPDATE runs (0 returned). */
static inline size_t tdb_blob_sql(const tdb *t, const char *sql, const uint8_t *const *blobs,
                                  const size_t *lens, int nblobs, uint8_t *out, size_t cap)
{
    size_t got = 0;
    if (t->pg) {
        int n = 0;
        char *text = store_sql_number_params(sql, &n);
        assert_int_equal(n, nblobs);
        PGconn *c = tdb_pg_connect(t->url);
        const char *v[4];
        int l[4], fm[4];
        for (int i = 0; i < nblobs && i < 4; i++) {
            v[i] = (const char *)blobs[i];
            l[i] = (int)lens[i];
            fm[i] = 1;
        }
        PGresult *r = PQexecParams(c, text, n, NULL, v, l, fm, 1);
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) {
            got = (size_t)PQgetlength(r, 0, 0);
            assert_true(got <= cap);
            memcpy(out, PQgetvalue(r, 0, 0), got);
        }
        PQclear(r);
        PQfinish(c);
        free(text);
        return got;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(t->file, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    for (int i = 0; i < nblobs; i++)
        sqlite3_bind_blob(st, i + 1, blobs[i], (int)lens[i], SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        got = (size_t)sqlite3_column_bytes(st, 0);
        assert_true(got <= cap);
        memcpy(out, sqlite3_column_blob(st, 0), got);
    } else {
        assert_int_equal(rc, SQLITE_DONE);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return got;
}

/* The first column of the first row of a SELECT with one `?` bound to the integer v: the
 * length copied to out, or -1 when there is no row. */
static inline long tdb_blob_by_int(const tdb *t, const char *sql, int64_t v, uint8_t *out,
                                   size_t cap)
{
    long got = -1;
    if (t->pg) {
        int n = 0;
        char *text = store_sql_number_params(sql, &n), num[24];
        assert_int_equal(n, 1);
        snprintf(num, sizeof(num), "%lld", (long long)v);
        const char *p[1] = {num};
        PGconn *c = tdb_pg_connect(t->url);
        PGresult *r = PQexecParams(c, text, 1, NULL, p, NULL, NULL, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, PQerrorMessage(c));
        if (PQntuples(r) > 0) {
            got = PQgetlength(r, 0, 0);
            assert_true((size_t)got <= cap);
            memcpy(out, PQgetvalue(r, 0, 0), (size_t)got);
        }
        PQclear(r);
        PQfinish(c);
        free(text);
        return got;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(t->file, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_bind_int64(st, 1, v);
    if (sqlite3_step(st) == SQLITE_ROW) {
        got = sqlite3_column_bytes(st, 0);
        assert_true((size_t)got <= cap);
        memcpy(out, sqlite3_column_blob(st, 0), (size_t)got);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return got;
}

#endif
