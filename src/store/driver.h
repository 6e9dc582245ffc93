/* driver.h - the vtable a store driver implements (SQLite now, PostgreSQL later). */
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
} store_drv;

extern const store_drv store_driver_sqlite;

#endif
