/* store.c - driver dispatch, the per-connection statement cache, transactions and migrations. */
#include "store/driver.h"
#include "store/migrations.h"
#include "common/testhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

struct store_stmt {
    store *owner;
    void *h; /* driver handle */
};

/* SQLite admits one writer at a time and a waiting writer polls with sleeps of 1 ms and more;
 * threads of one process queue on this mutex instead, so the next writer starts the instant
 * the previous one commits. Other processes still meet SQLite's busy timeout. */
static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;

struct store {
    const store_drv *drv;
    void *conn;
    store_stmt stmts[ST__COUNT];
    int in_tx;
};

char *store_sql_number_params(const char *sql, int *nparams)
{
    size_t n = strlen(sql), q = 0;
    for (size_t i = 0; i < n; i++)
        q += sql[i] == '?';
    /* each `?` grows to at most `$` and 5 digits */
    char *out = malloc(n + q * 5 + 1);
    if (out == NULL) return NULL;
    size_t o = 0;
    int k = 0;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char c = sql[i];
        if (quote) {
            if (c == quote) quote = 0; /* a doubled quote closes and reopens: same result */
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '?') {
            o += (size_t)snprintf(out + o, 7, "$%d", ++k);
            continue;
        }
        out[o++] = c;
    }
    out[o] = 0;
    if (nparams != NULL) *nparams = k;
    return out;
}

int store_open(const char *url, store **out, sc_err *e)
{
    *out = NULL;
    const char *path = url;
    const store_drv *drv = &store_driver_sqlite;
    if (strncmp(url, "sqlite:", 7) == 0)
        path = url + 7;
    else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        drv = &store_driver_pg; /* the whole URL is libpq's connection string */
    if (strlen(path) == 0 || strlen(path) > 4000)
        return sc_fail(e, SC_EINVAL, "store.url", "bad database path");
    store *s = calloc(1, sizeof(*s));
    if (s == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    s->drv = drv;
    int rc = drv->open(path, &s->conn, e);
    if (rc != 0) {
        free(s);
        return rc;
    }
    for (int i = 0; i < ST__COUNT; i++)
        s->stmts[i].owner = s;
    *out = s;
    return 0;
}

void store_close(store *s)
{
    if (s == NULL) return;
    if (s->in_tx) store_tx_rollback(s);
    for (int i = 0; i < ST__COUNT; i++)
        if (s->stmts[i].h != NULL) s->drv->finalize(s->stmts[i].h);
    s->drv->close(s->conn);
    free(s);
}

const char *store_driver(const store *s)
{
    return s->drv->name;
}

void store_release(store *s)
{
    if (s == NULL) return;
    for (int i = 0; i < ST__COUNT; i++)
        if (s->stmts[i].h != NULL) s->drv->reset(s->stmts[i].h);
}

int store_tx_begin(store *s, sc_err *e)
{
    if (s->in_tx) return sc_fail(e, SC_EINTERNAL, "store.nested_tx", "transaction already open");
    /* a SELECT left unfinished would pin an old snapshot and make the write fail (SQLite WAL) */
    store_release(s);
    if (s->drv->one_writer) pthread_mutex_lock(&writer_lock);
    int rc = s->drv->exec_script(s->conn, s->drv->begin_sql, e);
    if (rc == 0)
        s->in_tx = 1;
    else if (s->drv->one_writer)
        pthread_mutex_unlock(&writer_lock);
    return rc;
}

int store_tx_commit(store *s, sc_err *e)
{
    if (!s->in_tx) return sc_fail(e, SC_EINTERNAL, "store.no_tx", "no transaction open");
    int rc = s->drv->exec_script(s->conn, "COMMIT", e);
    if (rc != 0) {
        store_tx_rollback(s);
        return rc;
    }
    s->in_tx = 0;
    if (s->drv->one_writer) pthread_mutex_unlock(&writer_lock);
    return 0;
}

int store_in_tx(const store *s)
{
    return s->in_tx;
}

void store_tx_rollback(store *s)
{
    if (!s->in_tx) return;
    /* reset cached statements first: an active statement would keep the read lock */
    for (int i = 0; i < ST__COUNT; i++)
        if (s->stmts[i].h != NULL) s->drv->reset(s->stmts[i].h);
    s->drv->exec_script(s->conn, "ROLLBACK", NULL);
    s->in_tx = 0;
    if (s->drv->one_writer) pthread_mutex_unlock(&writer_lock);
}

int store_stmt_get(store *s, store_sql_id id, store_stmt **out, sc_err *e)
{
    if ((int)id < 0 || id >= ST__COUNT)
        return sc_fail(e, SC_EINTERNAL, "store.bad_stmt", "bad statement id %d", (int)id);
    store_stmt *st = &s->stmts[id];
    if (st->h == NULL) {
        int rc = s->drv->prepare(s->conn, store_sql_text(id), &st->h, e);
        if (rc != 0) return rc;
    } else {
        s->drv->reset(st->h);
    }
    *out = st;
    return 0;
}

int store_bind_int64(store_stmt *st, int i, int64_t v)
{
    return st->owner->drv->bind_int64(st->h, i, v);
}

int store_bind_text(store_stmt *st, int i, const char *v)
{
    return st->owner->drv->bind_text(st->h, i, v);
}

int store_bind_blob(store_stmt *st, int i, const void *p, size_t n)
{
    return st->owner->drv->bind_blob(st->h, i, p, n);
}

int store_bind_null(store_stmt *st, int i)
{
    return st->owner->drv->bind_null(st->h, i);
}

int store_step(store_stmt *st, sc_err *e)
{
    return st->owner->drv->step(st->owner->conn, st->h, e);
}

int store_exec(store_stmt *st, sc_err *e)
{
    int rc;
    while ((rc = store_step(st, e)) == STORE_ROW)
        ;
    st->owner->drv->reset(st->h);
    return rc;
}

int store_col_isnull(store_stmt *st, int c)
{
    return st->owner->drv->col_isnull(st->h, c);
}

int64_t store_col_int64(store_stmt *st, int c)
{
    return st->owner->drv->col_int64(st->h, c);
}

const char *store_col_text(store_stmt *st, int c, size_t *len)
{
    const char *p = st->owner->drv->col_text(st->h, c, len);
    return p ? p : "";
}

const uint8_t *store_col_blob(store_stmt *st, int c, size_t *len)
{
    return st->owner->drv->col_blob(st->h, c, len);
}

int64_t store_changes(store *s)
{
    return s->drv->changes(s->conn);
}

/* Run portable DDL, rewritten for the driver's dialect first. */
static int store_exec_ddl(store *s, const char *sql, sc_err *e)
{
    if (s->drv->ddl == NULL) return s->drv->exec_script(s->conn, sql, e);
    int oom = 0;
    char *mapped = s->drv->ddl(sql, &oom);
    if (oom) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    int rc = s->drv->exec_script(s->conn, mapped ? mapped : sql, e);
    free(mapped);
    return rc;
}

/* A migration's text with the parts for other drivers cut out (STORE_DIALECTS in
 * migrations.c), then run as DDL. */
static int migration_exec(store *s, const char *sql, sc_err *e)
{
    const char *a = strstr(sql, STORE_DIALECT_SQLITE);
    if (a == NULL) return store_exec_ddl(s, sql, e);
    const char *b = strstr(a, STORE_DIALECT_PG), *c = b ? strstr(b, STORE_DIALECT_END) : NULL;
    if (b == NULL || c == NULL)
        return sc_fail(e, SC_EINTERNAL, "store.migration", "unbalanced dialect markers");
    int pg = strcmp(s->drv->name, "postgresql") == 0;
    const char *from = pg ? b + strlen(STORE_DIALECT_PG) : a + strlen(STORE_DIALECT_SQLITE);
    const char *to = pg ? c : b;
    const char *rest = c + strlen(STORE_DIALECT_END);
    size_t n1 = (size_t)(a - sql), n2 = (size_t)(to - from), n3 = strlen(rest);
    char *out = malloc(n1 + n2 + n3 + 1);
    if (out == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    memcpy(out, sql, n1);
    memcpy(out + n1, from, n2);
    memcpy(out + n1 + n2, rest, n3 + 1);
    int rc = store_exec_ddl(s, out, e);
    free(out);
    return rc;
}

int store_schema_version(store *s, int *version, sc_err *e)
{
    store_stmt *st;
    sc_err ce = {0};
    int rc = store_exec_ddl(s,
                            "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                            &ce);
    /* PostgreSQL: a process creating it at the same instant wins the catalog's unique key */
    if (rc == SC_EEXIST)
        rc = 0;
    else if (rc != 0)
        sc_fail(e, ce.status, ce.code, "%s", ce.msg);
    if (rc == 0) rc = store_stmt_get(s, ST_SCHEMA_VERSION, &st, e);
    if (rc != 0) return rc;
    rc = store_step(st, e);
    if (rc < 0) return rc;
    *version = rc == STORE_ROW && !store_col_isnull(st, 0) ? (int)store_col_int64(st, 0) : 0;
    s->drv->reset(st->h);
    return 0;
}

int store_migrate(store *s, sc_err *e)
{
    return store_migrate_to(s, store_migration_count(), e);
}

int store_migrate_to(store *s, int latest, sc_err *e)
{
    int have = 0, rc = store_schema_version(s, &have, e);
    if (rc != 0) return rc;
    if (latest > store_migration_count()) latest = store_migration_count();
    if (have > store_migration_count())
        return sc_fail(e, SC_ESTATE, "store.too_new",
                       "database schema version %d is newer than this sealca (%d): upgrade sealca",
                       have, store_migration_count());
    for (int v = have + 1; v <= latest; v++) {
        /* each version in one transaction: a crash leaves the previous version intact */
        if ((rc = store_tx_begin(s, e)) != 0) return rc;
        if (s->drv->migrate_lock_sql != NULL &&
            (rc = s->drv->exec_script(s->conn, s->drv->migrate_lock_sql, e)) != 0)
            goto fail;
        /* re-check under the write lock: another process may have migrated meanwhile */
        int now = 0;
        store_stmt *st;
        if ((rc = store_stmt_get(s, ST_SCHEMA_VERSION, &st, e)) != 0) goto fail;
        if ((rc = store_step(st, e)) < 0) goto fail;
        now = rc == STORE_ROW && !store_col_isnull(st, 0) ? (int)store_col_int64(st, 0) : 0;
        s->drv->reset(st->h);
        if (now >= v) {
            store_tx_rollback(s);
            continue;
        }
        if ((rc = migration_exec(s, store_migration_sql(v), e)) != 0) goto fail;
        if ((rc = store_stmt_get(s, ST_SCHEMA_RECORD, &st, e)) != 0) goto fail;
        store_bind_int64(st, 1, v);
        store_bind_int64(st, 2, (int64_t)time(NULL));
        if ((rc = store_exec(st, e)) != 0) goto fail;
        if ((rc = store_tx_commit(s, e)) != 0) return rc;
    }
    return 0;
fail:
    store_tx_rollback(s);
    return rc;
}

void store_crashpoint(const char *label)
{
    const char *at = sc_testhook("SEALCA_CRASH_AT"); /* NULL in release builds */
    if (at != NULL && strcmp(at, label) == 0) _exit(99);
}

int store_counter(store *s, const char *name, int next, int64_t *v, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, next ? ST_COUNTER_NEXT : ST_COUNTER_GET, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, name);
    rc = store_step(st, e);
    if (rc == STORE_ROW) {
        *v = store_col_int64(st, 0);
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = sc_fail(e, SC_EINTERNAL, "store.counter", "counter %s missing", name);
    }
    store_exec(st, NULL);
    return rc;
}
