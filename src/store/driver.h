/* driver.h - the vtable a store driver implements (SQLite, PostgreSQL) and helpers drivers share.
 */
#ifndef SEALCA_STORE_DRIVER_H
#define SEALCA_STORE_DRIVER_H

#include "store/store.h"

typedef struct store_drv {
    const char *name;
    int (*open)(const char *path, void **conn, sc_err *e);
    void (*close)(void *conn);
    int (*exec_script)(void *conn, const char *sql, sc_err *e); /* several statements, no params */
    int (*prepare)(void *conn, const char *sql, void **stmt, sc_err *e);
    void (*finalize)(void *stmt);
    void (*reset)(void *stmt);
    int (*bind_int64)(void *stmt, int i, int64_t v);
    int (*bind_text)(void *stmt, int i, const char *v);
    int (*bind_blob)(void *stmt, int i, const void *p, size_t n);
    int (*bind_null)(void *stmt, int i);
    int (*step)(void *conn, void *stmt, sc_err *e);
    int (*col_isnull)(void *stmt, int c);
    int64_t (*col_int64)(void *stmt, int c);
    const char *(*col_text)(void *stmt, int c, size_t *len);
    const uint8_t *(*col_blob)(void *stmt, int c, size_t *len);
    int64_t (*changes)(void *conn);
    const char *begin_sql; /* the write-transaction opener */
    int one_writer;        /* the database takes one writer at a time (SQLite) */
    /* Schema DDL in this dialect: a malloc'd rewrite of the portable DDL in migrations.c, or
     * NULL when sql is already right (SQLite) or on out-of-memory (*oom set). */
    char *(*ddl)(const char *sql, int *oom);
    /* Run inside a migration's transaction before the version re-check, so that two processes
     * migrating at once queue (NULL: begin_sql already serialises writers). */
    const char *migrate_lock_sql;
} store_drv;

extern const store_drv store_driver_sqlite;
extern const store_drv store_driver_pg;

/* The portable SQL with each `?` outside string literals and quoted names numbered as `$1`..`$n`
 * (libpq's placeholders). Returns a malloc'd string (NULL on out-of-memory) and the count. */
char *store_sql_number_params(const char *sql, int *nparams);

#endif
