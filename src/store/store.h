/* store.h - the one SQL interface: statements by id, bind, step, column, transactions. */
#ifndef SEALCA_STORE_H
#define SEALCA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "store/sql.h"

/*
 * A store is one connection to one database (SQLite file now; PostgreSQL in the serving
 * issue). Not thread-safe: one store per thread. All SQL lives in store/sql.c, written with
 * `?` placeholders; a driver rewrites them once when it prepares (e.g. to `$1` for libpq).
 * Statements are prepared on first use and cached per connection.
 *
 * Errors map to SC_EEXIST (unique constraint), SC_ERETRY (busy / serialization failure:
 * roll back and retry the whole transaction) or SC_EIO (anything else).
 */
typedef struct store store;
typedef struct store_stmt store_stmt;

/* url: "sqlite:PATH" or a bare PATH (SQLite). The database is created if absent. */
int store_open(const char *url, store **out, sc_err *e);
void store_close(store *s);
const char *store_driver(const store *s);

/* Bring the schema up to date (idempotent; each migration in its own transaction). */
int store_migrate(store *s, sc_err *e);
/* Apply migrations up to version `latest` only (tests of a schema upgrade on old data). */
int store_migrate_to(store *s, int latest, sc_err *e);
int store_schema_version(store *s, int *version, sc_err *e);

/* Reset every cached statement: a SELECT stepped to its first row only keeps a read snapshot
 * (SQLite) until reset, so a long-lived connection calls this between requests. */
void store_release(store *s);
/* Write transaction (SQLite: BEGIN IMMEDIATE, so writers serialise up front). */
int store_tx_begin(store *s, sc_err *e);
int store_tx_commit(store *s, sc_err *e);
void store_tx_rollback(store *s);
/* 1 while a transaction is open on this handle (for functions that run inside the caller's). */
int store_in_tx(const store *s);

/* The statement for id, reset and with bindings cleared; owned by the store. */
int store_stmt_get(store *s, store_sql_id id, store_stmt **out, sc_err *e);
/* Parameters are 1-based, columns 0-based. */
int store_bind_int64(store_stmt *st, int i, int64_t v);
int store_bind_text(store_stmt *st, int i, const char *v); /* NUL-terminated, NULL binds NULL */
int store_bind_blob(store_stmt *st, int i, const void *p, size_t n);
int store_bind_null(store_stmt *st, int i);
/* STORE_ROW when a row is ready, STORE_DONE when finished, or a negative SC_E* status. */
enum { STORE_DONE = 0, STORE_ROW = 1 };
int store_step(store_stmt *st, sc_err *e);
/* Run a statement that returns no rows (or ignore them); returns 0 or error. */
int store_exec(store_stmt *st, sc_err *e);
int store_col_isnull(store_stmt *st, int c);
int64_t store_col_int64(store_stmt *st, int c);
/* Valid until the next step/reset of st. *len may be NULL. */
const char *store_col_text(store_stmt *st, int c, size_t *len);
const uint8_t *store_col_blob(store_stmt *st, int c, size_t *len);
/* A named counter (table counters): read it (next = 0) or increment and read it (next = 1,
 * inside a write transaction; the row lock orders concurrent writers on PostgreSQL). */
int store_counter(store *s, const char *name, int next, int64_t *v, sc_err *e);
/* Rows changed by the last INSERT/UPDATE/DELETE. */
int64_t store_changes(store *s);

/* Test hook: called with a label at named points inside multi-step writes so that a test can
 * kill the process exactly there (SEALCA_CRASH_AT=label makes store_crashpoint _exit(99); test
 * builds only, see common/testhook.h). */
void store_crashpoint(const char *label);

#endif
