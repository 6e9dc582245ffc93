/* pg.c - the PostgreSQL store driver (libpq): prepared statements, binary values, error classes. */
#include "store/driver.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* Type OIDs from PostgreSQL's pg_type.h (stable across versions). */
#define PG_BOOLOID  16
#define PG_BYTEAOID 17
#define PG_INT8OID  20
#define PG_INT2OID  21
#define PG_INT4OID  23
#define PG_TEXTOID  25

typedef struct pg_conn {
    PGconn *c;
    int64_t changes;  /* rows touched by the last statement */
    unsigned next_id; /* names the prepared statements of this connection */
} pg_conn;

typedef struct pg_stmt {
    pg_conn *conn;
    char name[16];
    int nparams;
    char **vals;      /* owned copies, NULL = SQL NULL */
    int *lens, *fmts; /* binary (1) for int64 and blobs, text (0) for text */
    PGresult *res;    /* result of the current execution, NULL before the first step */
    int row, nrows;
} pg_stmt;

static void pg_ignore_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* "relation already exists, skipping" and the like are not for the operator */
}

/* The error class of a failed result (or of the connection when res is NULL). */
static int pg_classify(pg_conn *pc, PGresult *res, sc_err *e, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (msg == NULL) msg = PQerrorMessage(pc->c);
    if (PQstatus(pc->c) == CONNECTION_BAD)
        return sc_fail(e, SC_EIO, "store.connection", "%s: lost the PostgreSQL connection: %s",
                       what, msg);
    if (state != NULL && strcmp(state, "23505") == 0)
        return sc_fail(e, SC_EEXIST, "store.unique", "%s: %s", what, msg);
    if (state != NULL &&
        (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0))
        return sc_fail(e, SC_ERETRY, "store.busy", "%s: %s (SQLSTATE %s)", what, msg, state);
    return sc_fail(e, SC_EIO, "store.error", "%s: %s%s%s", what, msg, state ? " SQLSTATE " : "",
                   state ? state : "");
}

/* The connection target for messages: host, port, database and user, never the password. */
static void pg_describe(const char *url, char *out, size_t outsz)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err);
    const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (o->val == NULL) continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
        else if (strcmp(o->keyword, "user") == 0)
            user = o->val;
    }
    if (opts == NULL)
        snprintf(out, outsz, "(unparsable URL)");
    else
        snprintf(out, outsz, "database %s on %s%s%s%s%s", db ? db : "(default)",
                 host ? host : "(default host)", port ? " port " : "", port ? port : "",
                 user ? " as " : "", user ? user : "");
    PQconninfoFree(opts);
    PQfreemem(err);
}

static int pg_open(const char *url, void **conn, sc_err *e)
{
    char where[600];
    pg_describe(url, where, sizeof(where));
    pg_conn *pc = calloc(1, sizeof(*pc));
    if (pc == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    pc->c = PQconnectdb(url);
    if (pc->c == NULL || PQstatus(pc->c) != CONNECTION_OK) {
        /* libpq's own message names host and user, not the password */
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", pc->c ? PQerrorMessage(pc->c) : "out of memory");
        msg[strcspn(msg, "\n")] = 0;
        PQfinish(pc->c);
        free(pc);
        return sc_fail(e, SC_EIO, "store.connect", "cannot connect to PostgreSQL %s: %s", where,
                       msg);
    }
    PQsetNoticeProcessor(pc->c, pg_ignore_notice, NULL);
    PGresult *r = PQexec(pc->c, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        sc_fail(e, SC_EIO, "store.connect", "cannot configure the PostgreSQL session on %s", where);
        PQfinish(pc->c);
        free(pc);
        return SC_EIO;
    }
    *conn = pc;
    return 0;
}

static void pg_close(void *conn)
{
    pg_conn *pc = conn;
    if (pc == NULL) return;
    PQfinish(pc->c);
    free(pc);
}

static int pg_exec_script(void *conn, const char *sql, sc_err *e)
{
    pg_conn *pc = conn;
    PGresult *r = PQexec(pc->c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) rc = pg_classify(pc, r, e, "exec");
    PQclear(r);
    return rc;
}

static void pg_clear_params(pg_stmt *ps)
{
    for (int i = 0; i < ps->nparams; i++) {
        free(ps->vals[i]);
        ps->vals[i] = NULL;
        ps->lens[i] = 0;
        ps->fmts[i] = 0;
    }
}

static void pg_finalize(void *stmt)
{
    pg_stmt *ps = stmt;
    if (ps == NULL) return;
    PQclear(ps->res);
    pg_clear_params(ps);
    free(ps->vals);
    free(ps->lens);
    free(ps->fmts);
    /* the server-side statement goes with the connection (store_close finalizes first) */
    free(ps);
}

static int pg_prepare(void *conn, const char *sql, void **stmt, sc_err *e)
{
    pg_conn *pc = conn;
    int n = 0;
    char *text = store_sql_number_params(sql, &n);
    pg_stmt *ps = calloc(1, sizeof(*ps));
    if (text == NULL || ps == NULL) {
        free(text);
        free(ps);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    ps->conn = pc;
    ps->nparams = n;
    snprintf(ps->name, sizeof(ps->name), "s%u", ++pc->next_id);
    ps->vals = calloc((size_t)n + 1, sizeof(*ps->vals));
    ps->lens = calloc((size_t)n + 1, sizeof(*ps->lens));
    ps->fmts = calloc((size_t)n + 1, sizeof(*ps->fmts));
    if (ps->vals == NULL || ps->lens == NULL || ps->fmts == NULL) {
        free(text);
        pg_finalize(ps);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    /* parameter types are left to the server, which infers them from the statement */
    PGresult *r = PQprepare(pc->c, ps->name, text, n, NULL);
    free(text);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) rc = pg_classify(pc, r, e, "prepare");
    PQclear(r);
    if (rc != 0) {
        pg_finalize(ps);
        return rc;
    }
    *stmt = ps;
    return 0;
}

static void pg_reset(void *stmt)
{
    pg_stmt *ps = stmt;
    PQclear(ps->res);
    ps->res = NULL;
    ps->row = ps->nrows = 0;
    pg_clear_params(ps);
}

static int pg_bind(pg_stmt *ps, int i, const void *p, size_t n, int binary)
{
    if (i < 1 || i > ps->nparams || n > 0x7fffffff) return SC_EINTERNAL;
    i--;
    free(ps->vals[i]);
    ps->vals[i] = NULL;
    ps->lens[i] = 0;
    ps->fmts[i] = binary;
    if (p == NULL) return 0;
    ps->vals[i] = malloc(n + 1);
    if (ps->vals[i] == NULL) return SC_ENOMEM;
    if (n) memcpy(ps->vals[i], p, n);
    ps->vals[i][n] = 0;
    ps->lens[i] = (int)n;
    return 0;
}

static int pg_bind_int64(void *stmt, int i, int64_t v)
{
    /* text form: the server may have inferred int2, int4 or int8 for the parameter */
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", (long long)v);
    return pg_bind(stmt, i, num, (size_t)n, 0);
}

static int pg_bind_text(void *stmt, int i, const char *v)
{
    return pg_bind(stmt, i, v, v ? strlen(v) : 0, 0);
}

static int pg_bind_blob(void *stmt, int i, const void *p, size_t n)
{
    /* binary bytea is the bytes themselves; a zero-length blob is still not NULL */
    static const uint8_t empty = 0;
    return pg_bind(stmt, i, n ? p : &empty, n, 1);
}

static int pg_bind_null(void *stmt, int i)
{
    return pg_bind(stmt, i, NULL, 0, 0);
}

static int pg_step(void *conn, void *stmt, sc_err *e)
{
    pg_conn *pc = conn;
    pg_stmt *ps = stmt;
    if (ps->res == NULL) {
        ps->res = PQexecPrepared(pc->c, ps->name, ps->nparams, (const char *const *)ps->vals,
                                 ps->lens, ps->fmts, 1 /* binary results */);
        ExecStatusType st = PQresultStatus(ps->res);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            int rc = pg_classify(pc, ps->res, e, "step");
            PQclear(ps->res);
            ps->res = NULL;
            pc->changes = 0;
            return rc;
        }
        const char *n = PQcmdTuples(ps->res);
        pc->changes = (n != NULL && *n) ? strtoll(n, NULL, 10) : 0;
        ps->nrows = st == PGRES_TUPLES_OK ? PQntuples(ps->res) : 0;
        ps->row = -1;
    }
    if (ps->row + 1 < ps->nrows) {
        ps->row++;
        return STORE_ROW;
    }
    ps->row = ps->nrows;
    return STORE_DONE;
}

static int pg_have(const pg_stmt *ps, int c)
{
    return ps->res != NULL && ps->row >= 0 && ps->row < ps->nrows && c >= 0 &&
           c < PQnfields(ps->res);
}

static int pg_col_isnull(void *stmt, int c)
{
    pg_stmt *ps = stmt;
    return !pg_have(ps, c) || PQgetisnull(ps->res, ps->row, c);
}

static uint64_t pg_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static int64_t pg_col_int64(void *stmt, int c)
{
    pg_stmt *ps = stmt;
    if (pg_col_isnull(ps, c)) return 0;
    const uint8_t *p = (const uint8_t *)PQgetvalue(ps->res, ps->row, c);
    int len = PQgetlength(ps->res, ps->row, c);
    switch (PQftype(ps->res, c)) {
    case PG_INT8OID:
        return len == 8 ? (int64_t)pg_be(p, 8) : 0;
    case PG_INT4OID:
        return len == 4 ? (int64_t)(int32_t)(uint32_t)pg_be(p, 4) : 0;
    case PG_INT2OID:
        return len == 2 ? (int64_t)(int16_t)(uint16_t)pg_be(p, 2) : 0;
    case PG_BOOLOID:
        return len == 1 ? p[0] != 0 : 0;
    case PG_TEXTOID:
        return strtoll((const char *)p, NULL, 10);
    default:
        return 0;
    }
}

static const char *pg_col_text(void *stmt, int c, size_t *len)
{
    pg_stmt *ps = stmt;
    if (len != NULL) *len = 0;
    if (pg_col_isnull(ps, c)) return NULL;
    /* binary text is the UTF-8 bytes; libpq NUL-terminates every value */
    if (len != NULL) *len = (size_t)PQgetlength(ps->res, ps->row, c);
    return PQgetvalue(ps->res, ps->row, c);
}

static const uint8_t *pg_col_blob(void *stmt, int c, size_t *len)
{
    pg_stmt *ps = stmt;
    if (len != NULL) *len = 0;
    if (pg_col_isnull(ps, c)) return NULL;
    if (len != NULL) *len = (size_t)PQgetlength(ps->res, ps->row, c);
    return (const uint8_t *)PQgetvalue(ps->res, ps->row, c);
}

static int64_t pg_changes(void *conn)
{
    return ((pg_conn *)conn)->changes;
}

/* The portable DDL's few SQLite spellings, whole upper-case words outside quotes:
 * BLOB is BYTEA, and SQLite's auto-assigned rowid key INTEGER PRIMARY KEY is an identity. */
static const struct {
    const char *from, *to;
} pg_ddl_words[] = {
    {"INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
    {"BLOB", "BYTEA"},
};

static int pg_is_word(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static char *pg_ddl(const char *sql, int *oom)
{
    size_t n = strlen(sql), cap = n * 4 + 1; /* each mapping at most triples its word */
    char *out = malloc(cap);
    *oom = out == NULL;
    if (out == NULL) return NULL;
    size_t o = 0;
    char quote = 0;
    for (size_t i = 0; i < n;) {
        char c = sql[i];
        if (quote) {
            quote = c == quote ? 0 : quote;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (i == 0 || !pg_is_word(sql[i - 1])) {
            size_t k;
            for (k = 0; k < sizeof(pg_ddl_words) / sizeof(pg_ddl_words[0]); k++) {
                size_t fl = strlen(pg_ddl_words[k].from);
                if (strncmp(sql + i, pg_ddl_words[k].from, fl) == 0 && !pg_is_word(sql[i + fl])) {
                    size_t tl = strlen(pg_ddl_words[k].to);
                    memcpy(out + o, pg_ddl_words[k].to, tl);
                    o += tl;
                    i += fl;
                    break;
                }
            }
            if (k < sizeof(pg_ddl_words) / sizeof(pg_ddl_words[0])) continue;
        }
        out[o++] = c;
        i++;
    }
    out[o] = 0;
    return out;
}

const store_drv store_driver_pg = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec_script = pg_exec_script,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_isnull = pg_col_isnull,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
    /* READ COMMITTED: each statement sees what committed before it; the row lock of
     * `UPDATE counters ... RETURNING` orders the writers that must not interleave */
    .begin_sql = "BEGIN ISOLATION LEVEL READ COMMITTED",
    .one_writer = 0,
    .ddl = pg_ddl,
    .migrate_lock_sql = "LOCK TABLE schema_migrations IN EXCLUSIVE MODE",
};
