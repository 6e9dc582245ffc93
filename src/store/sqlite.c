/* sqlite.c - the SQLite store driver: WAL, busy timeout, error classes. */
#include "store/driver.h"

#include <sqlite3.h>
#include <string.h>

static int classify(sqlite3 *db, int rc, sc_err *e, const char *what)
{
    int ext = sqlite3_extended_errcode(db);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return sc_fail(e, SC_EEXIST, "store.unique", "%s: %s", what, sqlite3_errmsg(db));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return sc_fail(e, SC_ERETRY, "store.busy", "%s: database busy", what);
    return sc_fail(e, SC_EIO, "store.error", "%s: %s", what, sqlite3_errmsg(db));
}

static int sq_open(const char *path, void **conn, sc_err *e)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sc_fail(e, SC_EIO, "store.open", "cannot open database %s: %s", path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return SC_EIO;
    }
    sqlite3_extended_result_codes(db, 1);
    /* Several processes (CLI beside a server, two CLIs) share the file: wait rather than fail. */
    sqlite3_busy_timeout(db, 10000);
    /* WAL: readers never block the writer; synchronous=FULL: a committed issuance survives a
     * power cut, which for a CA matters more than the last few percent of speed. */
    char *msg = NULL;
    rc = sqlite3_exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sc_fail(e, SC_EIO, "store.open", "cannot configure database: %s", msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_close(db);
        return SC_EIO;
    }
    *conn = db;
    return 0;
}

static void sq_close(void *conn)
{
    sqlite3_close_v2(conn);
}

static int sq_exec_script(void *conn, const char *sql, sc_err *e)
{
    char *msg = NULL;
    int rc = sqlite3_exec(conn, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK) return classify(conn, rc, e, "exec");
    return 0;
}

static int sq_prepare(void *conn, const char *sql, void **stmt, sc_err *e)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) return classify(conn, rc, e, "prepare");
    *stmt = st;
    return 0;
}

static void sq_finalize(void *stmt)
{
    sqlite3_finalize(stmt);
}

static void sq_reset(void *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

static int sq_bind_int64(void *stmt, int i, int64_t v)
{
    return sqlite3_bind_int64(stmt, i, v) == SQLITE_OK ? 0 : SC_EINTERNAL;
}

static int sq_bind_text(void *stmt, int i, const char *v)
{
    if (v == NULL) return sqlite3_bind_null(stmt, i) == SQLITE_OK ? 0 : SC_EINTERNAL;
    return sqlite3_bind_text(stmt, i, v, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : SC_EINTERNAL;
}

static int sq_bind_blob(void *stmt, int i, const void *p, size_t n)
{
    /* zero-length blobs must still be blobs, not NULL */
    static const uint8_t empty = 0;
    return sqlite3_bind_blob64(stmt, i, n ? p : &empty, n, SQLITE_TRANSIENT) == SQLITE_OK
               ? 0
               : SC_EINTERNAL;
}

static int sq_bind_null(void *stmt, int i)
{
    return sqlite3_bind_null(stmt, i) == SQLITE_OK ? 0 : SC_EINTERNAL;
}

static int sq_step(void *conn, void *stmt, sc_err *e)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) return STORE_ROW;
    if (rc == SQLITE_DONE) return STORE_DONE;
    return classify(conn, rc, e, "step");
}

static int sq_col_isnull(void *stmt, int c)
{
    return sqlite3_column_type(stmt, c) == SQLITE_NULL;
}

static int64_t sq_col_int64(void *stmt, int c)
{
    return sqlite3_column_int64(stmt, c);
}

static const char *sq_col_text(void *stmt, int c, size_t *len)
{
    const char *p = (const char *)sqlite3_column_text(stmt, c);
    if (len != NULL) *len = (size_t)sqlite3_column_bytes(stmt, c);
    return p;
}

static const uint8_t *sq_col_blob(void *stmt, int c, size_t *len)
{
    const uint8_t *p = sqlite3_column_blob(stmt, c);
    if (len != NULL) *len = (size_t)sqlite3_column_bytes(stmt, c);
    return p;
}

static int64_t sq_changes(void *conn)
{
    return sqlite3_changes64(conn);
}

const store_drv store_driver_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec_script = sq_exec_script,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_isnull = sq_col_isnull,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .begin_sql = "BEGIN IMMEDIATE",
    .one_writer = 1,
    .ddl = NULL, /* migrations.c is written in SQLite's spelling */
    .migrate_lock_sql = NULL,
};
