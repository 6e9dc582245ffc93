/* test_store.c - the store interface contract (migrations, transactions, errors, counters,
 * concurrency), driver-agnostic. */
#include "testdb.h"

#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/migrations.h"
#include "store/store.h"

/*
 * Every test goes through open_test_store() on a fresh database of the driver main() is
 * running (g_pg): a temporary SQLite file, or a new PostgreSQL schema (testdb.h).
 */
static int g_pg;

typedef struct fixture {
    char *dir;
    tdb db;
    char url[4600];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (f == NULL) return -1;
    f->dir = tu_tmpdir();
    if (f->dir == NULL) {
        free(f);
        return -1;
    }
    tdb_create(&f->db, g_pg, f->dir, "test.db");
    snprintf(f->url, sizeof(f->url), "%s", f->db.url);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* Open (and, when migrate, bring up to date) the test database of this fixture. */
static store *open_test_store(fixture *f, int migrate)
{
    store *s = NULL;
    sc_err e = {0};
    if (store_open(f->url, &s, &e) != 0) fail_msg("store_open: %s %s", e.code, e.msg);
    if (migrate && store_migrate(s, &e) != 0) fail_msg("store_migrate: %s %s", e.code, e.msg);
    return s;
}

static int64_t counter_get(store *s, const char *name)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(s, ST_COUNTER_GET, &st, &e), 0);
    store_bind_text(st, 1, name);
    int rc = store_step(st, &e);
    int64_t v = rc == STORE_ROW ? store_col_int64(st, 0) : -1;
    store_exec(st, NULL);
    return v;
}

/* One increment of a counter in the caller's transaction. */
static int counter_next(store *s, const char *name, int64_t *v, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_COUNTER_NEXT, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, name);
    rc = store_step(st, e);
    if (rc == STORE_ROW) *v = store_col_int64(st, 0);
    store_exec(st, NULL);
    return rc == STORE_ROW ? 0 : (rc < 0 ? rc : SC_ENOTFOUND);
}

static void counter_init(store *s, const char *name, int64_t v)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(s, ST_COUNTER_INIT, &st, &e), 0);
    store_bind_text(st, 1, name);
    store_bind_int64(st, 2, v);
    assert_int_equal(store_exec(st, &e), 0);
}

static void issuer_insert(store *s, const char *id)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(s, ST_ISSUER_INSERT, &st, &e), 0);
    store_bind_text(st, 1, id);
    store_bind_text(st, 2, "issuing");
    store_bind_text(st, 3, NULL);
    store_bind_text(st, 4, "sm2");
    store_bind_text(st, 5, "CN=test");
    store_bind_text(st, 6, id); /* unique serial */
    store_bind_int64(st, 7, 1);
    store_bind_int64(st, 8, 2);
    store_bind_blob(st, 9, "\x30\x00", 2);
    store_bind_text(st, 10, NULL);
    store_bind_text(st, 11, "active");
    store_bind_int64(st, 12, 3);
    assert_int_equal(store_exec(st, &e), 0);
}

static int cert_insert(store *s, const char *serial, const char *subject, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_CERT_INSERT, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, serial);
    store_bind_text(st, 2, "sub-1");
    store_bind_text(st, 3, "person-sign");
    store_bind_int64(st, 4, 1);
    store_bind_text(st, 5, subject);
    store_bind_int64(st, 6, 100);
    store_bind_int64(st, 7, 200);
    store_bind_int64(st, 8, 150);
    store_bind_blob(st, 9, subject, strlen(subject));
    return store_exec(st, e);
}

/* The subject of a certificate row into out, or "" when there is none. */
static void cert_subject(store *s, const char *serial, char *out, size_t outsz)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(s, ST_CERT_GET, &st, &e), 0);
    store_bind_text(st, 1, serial);
    int rc = store_step(st, &e);
    assert_true(rc == STORE_ROW || rc == STORE_DONE);
    snprintf(out, outsz, "%s", rc == STORE_ROW ? store_col_text(st, 4, NULL) : "");
    store_exec(st, NULL);
}

static int cert_count(store *s)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(s, ST_CERT_LIST, &st, &e), 0);
    store_bind_null(st, 1);
    store_bind_null(st, 2);
    store_bind_null(st, 3);
    store_bind_null(st, 4);
    store_bind_int64(st, 5, 1000000);
    store_bind_int64(st, 6, 0);
    int n = 0, rc;
    while ((rc = store_step(st, &e)) == STORE_ROW)
        n++;
    assert_int_equal(rc, STORE_DONE);
    store_exec(st, NULL);
    return n;
}

static void test_migrate_fresh_and_twice(void **state)
{
    fixture *f = *state;
    store *s = open_test_store(f, 0);
    sc_err e = {0};
    int v = -1;
    assert_string_equal(store_driver(s), tdb_names[g_pg]);
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, 0);
    assert_true(store_migration_count() >= 1);
    assert_int_equal(store_migrate(s, &e), 0);
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count());
    /* the seeded counters exist */
    assert_int_equal(counter_get(s, "status"), 0);
    assert_int_equal(counter_get(s, "audit"), 0);
    /* data written after the migration survives a second migrate (in this connection and
     * in a new one): re-running a migration would fail on CREATE TABLE or reset the seeds */
    int64_t x = 0;
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(counter_next(s, "status", &x, &e), 0);
    assert_int_equal(store_tx_commit(s, &e), 0);
    assert_int_equal(store_migrate(s, &e), 0);
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count());
    assert_int_equal(counter_get(s, "status"), 1);
    store_close(s);
    s = open_test_store(f, 1);
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count());
    assert_int_equal(counter_get(s, "status"), 1);
    store_close(s);
}

static void test_too_new_refused(void **state)
{
    fixture *f = *state;
    store *s = open_test_store(f, 1);
    sc_err e = {0};
    store_stmt *st;
    /* a later sealca recorded a version this build does not know */
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(store_stmt_get(s, ST_SCHEMA_RECORD, &st, &e), 0);
    store_bind_int64(st, 1, store_migration_count() + 1);
    store_bind_int64(st, 2, (int64_t)time(NULL));
    assert_int_equal(store_exec(st, &e), 0);
    assert_int_equal(store_tx_commit(s, &e), 0);
    store_close(s);

    s = open_test_store(f, 0);
    int v = 0;
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count() + 1);
    assert_int_equal(store_migrate(s, &e), SC_ESTATE);
    assert_string_equal(e.code, "store.too_new");
    /* refused without touching anything: the version is unchanged and no tx is left open */
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count() + 1);
    sc_err e2 = {0};
    assert_int_equal(store_tx_begin(s, &e2), 0);
    store_tx_rollback(s);
    store_close(s);
}

/* A database as an old sealca at schema version 1 left it, built by hand through a raw
 * connection (on PostgreSQL in the driver's DDL dialect). */
static void make_v1_database(fixture *f)
{
    const char *head = "BEGIN; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                       "applied_at INTEGER NOT NULL);";
    const char *tail = "INSERT INTO schema_migrations VALUES (1, 1600000000);"
                       "UPDATE counters SET value = 41 WHERE name = 'status';"
                       "COMMIT;";
    const char *v1 = store_migration_sql(1);
    size_t n = strlen(head) + strlen(v1) + strlen(tail) + 1;
    char *sql = malloc(n);
    snprintf(sql, n, "%s%s%s", head, v1, tail);
    if (g_pg) {
        int oom = 0;
        char *mapped = store_driver_pg.ddl(sql, &oom);
        assert_non_null(mapped);
        free(sql);
        sql = mapped;
    }
    tdb_exec(&f->db, sql);
    free(sql);
}

static void test_older_version_upgrades(void **state)
{
    fixture *f = *state;
    make_v1_database(f);
    store *s = open_test_store(f, 0);
    sc_err e = {0};
    int v = 0;
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, 1);
    assert_int_equal(store_migrate(s, &e), 0);
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count());
    /* the old data is still there and the upgraded schema works */
    assert_int_equal(counter_get(s, "status"), 41);
    int64_t x = 0;
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(counter_next(s, "status", &x, &e), 0);
    assert_int_equal(store_tx_commit(s, &e), 0);
    assert_true(x == 42);
    store_close(s);
    /* and on the next open there is nothing left to do */
    s = open_test_store(f, 1);
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count());
    store_close(s);
}

static void test_unique_rollback_commit(void **state)
{
    fixture *f = *state;
    store *s = open_test_store(f, 1);
    sc_err e = {0};
    char subj[64];
    const char *sn1 = "0102030405060708090a0b0c0d0e0f10", *sn2 = "1112131415161718191a1b1c1d1e1f20";
    assert_int_equal(store_tx_begin(s, &e), 0);
    issuer_insert(s, "sub-1");
    assert_int_equal(cert_insert(s, sn1, "CN=first", &e), 0);
    assert_int_equal(store_changes(s), 1);
    assert_int_equal(store_tx_commit(s, &e), 0);

    /* duplicate serial: SC_EEXIST, and the transaction rolled back leaves everything as it was */
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(cert_insert(s, sn2, "CN=second", &e), 0);
    sc_err de = {0};
    assert_int_equal(cert_insert(s, sn1, "CN=dup", &de), SC_EEXIST);
    assert_string_equal(de.code, "store.unique");
    store_tx_rollback(s);
    cert_subject(s, sn1, subj, sizeof(subj));
    assert_string_equal(subj, "CN=first");
    cert_subject(s, sn2, subj, sizeof(subj));
    assert_string_equal(subj, "");
    assert_int_equal(cert_count(s), 1);

    /* a duplicate outside an explicit transaction changes nothing either */
    sc_err de2 = {0};
    assert_int_equal(cert_insert(s, sn1, "CN=dup", &de2), SC_EEXIST);
    cert_subject(s, sn1, subj, sizeof(subj));
    assert_string_equal(subj, "CN=first");

    /* rollback discards */
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(cert_insert(s, sn2, "CN=second", &e), 0);
    cert_subject(s, sn2, subj, sizeof(subj));
    assert_string_equal(subj, "CN=second"); /* visible inside the transaction */
    store_tx_rollback(s);
    cert_subject(s, sn2, subj, sizeof(subj));
    assert_string_equal(subj, "");

    /* nested begin and commit without begin are refused */
    assert_int_equal(store_tx_begin(s, &e), 0);
    sc_err ne = {0};
    assert_int_equal(store_tx_begin(s, &ne), SC_EINTERNAL);
    assert_string_equal(ne.code, "store.nested_tx");
    store_tx_rollback(s);
    sc_err ce = {0};
    assert_int_equal(store_tx_commit(s, &ce), SC_EINTERNAL);
    assert_string_equal(ce.code, "store.no_tx");

    /* commit persists across close and open */
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(cert_insert(s, sn2, "CN=second", &e), 0);
    assert_int_equal(store_tx_commit(s, &e), 0);
    store_close(s);
    s = open_test_store(f, 1);
    cert_subject(s, sn2, subj, sizeof(subj));
    assert_string_equal(subj, "CN=second");
    assert_int_equal(cert_count(s), 2);
    /* a store closed with an open transaction rolls it back */
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(cert_insert(s, "2122232425262728292a2b2c2d2e2f30", "CN=third", &e), 0);
    store_close(s);
    s = open_test_store(f, 1);
    assert_int_equal(cert_count(s), 2);
    store_close(s);
}

typedef struct second_writer {
    fixture *f;
    int ready[2]; /* pipe: the thread writes a byte just before it asks for the write lock */
    int begin_rc, saw_first, insert_rc, commit_rc;
    char code[48];
} second_writer;

static void *second_writer_main(void *arg)
{
    second_writer *w = arg;
    store *b = NULL;
    sc_err e = {0};
    if (store_open(w->f->url, &b, &e) != 0) {
        w->begin_rc = 999;
        if (write(w->ready[1], "x", 1) != 1) {
        }
        return NULL;
    }
    if (write(w->ready[1], "x", 1) != 1) w->begin_rc = 998;
    w->begin_rc = store_tx_begin(b, &e);
    /* SQLite queues writers at BEGIN; on PostgreSQL the counter row lock is the queue */
    int64_t seq = 0;
    if (w->begin_rc == 0) w->begin_rc = counter_next(b, "status", &seq, &e);
    snprintf(w->code, sizeof(w->code), "%s", e.code);
    if (w->begin_rc == 0) {
        char subj[64];
        store_stmt *st;
        /* under the write lock it must already see what the first writer committed */
        if (store_stmt_get(b, ST_CERT_GET, &st, &e) == 0) {
            store_bind_text(st, 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
            w->saw_first = store_step(st, &e) == STORE_ROW;
            if (w->saw_first) snprintf(subj, sizeof(subj), "%s", store_col_text(st, 4, NULL));
            store_exec(st, NULL);
        }
        w->insert_rc = cert_insert(b, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "CN=B", &e);
        w->commit_rc = store_tx_commit(b, &e);
    }
    store_close(b);
    return NULL;
}

static void test_second_writer_waits_for_first(void **state)
{
    fixture *f = *state;
    store *a = open_test_store(f, 1);
    sc_err e = {0};
    assert_int_equal(store_tx_begin(a, &e), 0);
    issuer_insert(a, "sub-1");
    assert_int_equal(store_tx_commit(a, &e), 0);

    assert_int_equal(store_tx_begin(a, &e), 0); /* A holds the write lock */
    int64_t seq = 0;
    assert_int_equal(counter_next(a, "status", &seq, &e), 0);
    second_writer w = {0};
    w.f = f;
    assert_int_equal(pipe(w.ready), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, second_writer_main, &w), 0);
    char c;
    assert_int_equal(read(w.ready[0], &c, 1), 1);
    /* give B time to block inside its begin (only makes the test meaningful; no threshold) */
    struct timespec d = {0, 200 * 1000 * 1000};
    nanosleep(&d, NULL);
    assert_int_equal(cert_insert(a, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "CN=A", &e), 0);
    assert_int_equal(store_tx_commit(a, &e), 0);
    pthread_join(th, NULL);
    close(w.ready[0]);
    close(w.ready[1]);
    if (w.begin_rc != 0) fail_msg("second writer's begin: %d %s", w.begin_rc, w.code);
    assert_true(w.saw_first);
    assert_int_equal(w.insert_rc, 0);
    assert_int_equal(w.commit_rc, 0);
    char subj[64];
    cert_subject(a, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", subj, sizeof(subj));
    assert_string_equal(subj, "CN=B");
    store_close(a);
}

static void test_counter_increases(void **state)
{
    fixture *f = *state;
    store *s = open_test_store(f, 1);
    sc_err e = {0};
    assert_int_equal(store_tx_begin(s, &e), 0);
    counter_init(s, "t", 5);
    assert_int_equal(store_tx_commit(s, &e), 0);
    assert_int_equal(counter_get(s, "t"), 5);
    int64_t prev = 5;
    for (int i = 0; i < 50; i++) {
        int64_t v = 0;
        assert_int_equal(store_tx_begin(s, &e), 0);
        assert_int_equal(counter_next(s, "t", &v, &e), 0);
        assert_int_equal(store_tx_commit(s, &e), 0);
        assert_true(v == prev + 1);
        prev = v;
    }
    /* init again does not reset it; an increment rolled back is not used up */
    assert_int_equal(store_tx_begin(s, &e), 0);
    counter_init(s, "t", 0);
    int64_t v = 0;
    assert_int_equal(counter_next(s, "t", &v, &e), 0);
    assert_true(v == prev + 1);
    store_tx_rollback(s);
    assert_true(counter_get(s, "t") == prev);
    /* a counter that does not exist yields no row */
    assert_int_equal(store_tx_begin(s, &e), 0);
    assert_int_equal(counter_next(s, "nope", &v, &e), SC_ENOTFOUND);
    store_tx_rollback(s);
    assert_int_equal(counter_get(s, "nope"), -1);
    store_close(s);
}

#define PER_CHILD 200

static void counter_child(const char *url, int fd)
{
    store *s = NULL;
    sc_err e = {0};
    if (store_open(url, &s, &e) != 0) _exit(2);
    for (int i = 0; i < PER_CHILD; i++) {
        int64_t v = 0;
        int rc;
        for (int attempt = 0; attempt < 100; attempt++) {
            sc_err te = {0};
            rc = store_tx_begin(s, &te);
            if (rc == 0) {
                rc = counter_next(s, "c", &v, &te);
                if (rc == 0)
                    rc = store_tx_commit(s, &te); /* rolls back itself on failure */
                else
                    store_tx_rollback(s);
            }
            if (rc != SC_ERETRY) break;
        }
        if (rc != 0) _exit(3);
        if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) _exit(4);
    }
    store_close(s);
    _exit(0);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_counter_two_processes(void **state)
{
    fixture *f = *state;
    store *s = open_test_store(f, 1);
    sc_err e = {0};
    assert_int_equal(store_tx_begin(s, &e), 0);
    counter_init(s, "c", 0);
    assert_int_equal(store_tx_commit(s, &e), 0);
    store_close(s); /* no connection is carried across fork */

    int fds[2][2];
    pid_t pid[2];
    for (int c = 0; c < 2; c++) {
        assert_int_equal(pipe(fds[c]), 0);
        pid[c] = fork();
        assert_true(pid[c] >= 0);
        if (pid[c] == 0) {
            close(fds[c][0]);
            counter_child(f->url, fds[c][1]);
        }
        close(fds[c][1]);
    }
    int64_t vals[2 * PER_CHILD] = {0};
    size_t n = 0;
    for (int c = 0; c < 2; c++) {
        /* each child's own values come out in increasing order */
        int64_t v, last = 0;
        ssize_t r;
        while ((r = read(fds[c][0], &v, sizeof(v))) == (ssize_t)sizeof(v)) {
            assert_true(n < 2 * PER_CHILD);
            assert_true(v > last);
            last = v;
            vals[n++] = v;
        }
        assert_int_equal(r, 0);
        close(fds[c][0]);
        int st = 0;
        assert_int_equal(waitpid(pid[c], &st, 0), pid[c]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(n, 2 * PER_CHILD);
    qsort(vals, n, sizeof(vals[0]), cmp64);
    for (size_t i = 0; i < n; i++)
        assert_true(vals[i] == (int64_t)i + 1); /* distinct, no gaps */
    s = open_test_store(f, 1);
    assert_true(counter_get(s, "c") == 2 * PER_CHILD);
    store_close(s);
}

static void test_bad_urls(void **state)
{
    store *s = NULL;
    sc_err e = {0};
    assert_int_equal(store_open("sqlite:", &s, &e), SC_EINVAL);
    assert_string_equal(e.code, "store.url");
    assert_null(s);
    /* a PostgreSQL server that is not there: SC_EIO, and the password is not in the message */
    sc_err e2 = {0};
    assert_int_equal(
        store_open("postgresql://alice:s3cret-pw@127.0.0.1:1/x?connect_timeout=3", &s, &e2),
        SC_EIO);
    assert_string_equal(e2.code, "store.connect");
    assert_null(strstr(e2.msg, "s3cret-pw"));
    assert_non_null(strstr(e2.msg, "127.0.0.1"));
    assert_null(s);
    sc_err e3 = {0};
    assert_int_equal(store_open("sqlite:/nonexistent-dir-sealca/x/y.db", &s, &e3), SC_EIO);
    assert_null(s);
    fixture *f = *state;
    s = open_test_store(f, 1);
    store_stmt *st;
    sc_err e4 = {0};
    assert_int_equal(store_stmt_get(s, ST__COUNT, &st, &e4), SC_EINTERNAL);
    assert_null(store_sql_text(ST__COUNT));
    store_close(s);
}

static void test_number_params(void **state)
{
    int n = -1;
    char *t = store_sql_number_params("SELECT a FROM t WHERE x = ? AND y IN (?, ?)", &n);
    assert_string_equal(t, "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)");
    assert_int_equal(n, 3);
    free(t);
    /* quoted text and names keep their question marks; '' inside a literal stays inside */
    t = store_sql_number_params("SELECT '?', 'it''s ?', \"a?b\" FROM t WHERE v = ?", &n);
    assert_string_equal(t, "SELECT '?', 'it''s ?', \"a?b\" FROM t WHERE v = $1");
    assert_int_equal(n, 1);
    free(t);
    t = store_sql_number_params("SELECT 1", &n);
    assert_string_equal(t, "SELECT 1");
    assert_int_equal(n, 0);
    free(t);
    /* more than nine parameters get two digits, and every statement translates */
    t = store_sql_number_params(store_sql_text(ST_ISSUER_INSERT), &n);
    assert_int_equal(n, 12);
    assert_non_null(strstr(t, "$10, $11, $12)"));
    assert_null(strchr(t, '?'));
    free(t);
    for (int id = 0; id < ST__COUNT; id++) {
        t = store_sql_number_params(store_sql_text((store_sql_id)id), &n);
        assert_non_null(t);
        assert_null(strchr(t, '?'));
        free(t);
    }
}

static void test_pg_ddl_words(void **state)
{
    int oom = 0;
    char *t = store_driver_pg.ddl("CREATE TABLE x (seq INTEGER PRIMARY KEY, b BLOB NOT NULL, "
                                  "BLOBS INTEGER, n INTEGER NOT NULL, c TEXT DEFAULT 'BLOB');",
                                  &oom);
    assert_false(oom);
    assert_string_equal(t, "CREATE TABLE x (seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY "
                           "KEY, b BYTEA NOT NULL, BLOBS INTEGER, n INTEGER NOT NULL, c TEXT "
                           "DEFAULT 'BLOB');");
    free(t);
    /* the whole of migration 1 keeps no SQLite-only word */
    t = store_driver_pg.ddl(store_migration_sql(1), &oom);
    assert_null(strstr(t, "BLOB"));
    assert_null(strstr(t, "INTEGER PRIMARY KEY"));
    assert_non_null(strstr(t, "cert_der BYTEA NOT NULL"));
    free(t);
    assert_null(store_driver_sqlite.ddl);
}

/* Values come back exactly: blobs with NUL and high bytes, empty blobs, UTF-8 text, int64 ends. */
static void test_values_round_trip(void **state)
{
    fixture *f = *state;
    store *s = open_test_store(f, 1);
    sc_err e = {0};
    store_stmt *st;
    uint8_t prev[32], hash[32];
    for (int i = 0; i < 32; i++) {
        prev[i] = (uint8_t)(i * 37);
        hash[i] = (uint8_t)(255 - i);
    }
    prev[0] = 0;
    prev[5] = 0;
    const int64_t ids[3] = {INT64_MAX, 1, INT64_MIN + 1};
    const char *text = "新疆 \xf0\x9f\x94\x90 'quote' \"dq\" \\ ?";
    assert_int_equal(store_tx_begin(s, &e), 0);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(store_stmt_get(s, ST_AUDIT_INSERT, &st, &e), 0);
        store_bind_int64(st, 1, ids[k]);
        store_bind_int64(st, 2, -ids[k]);
        store_bind_text(st, 3, text);
        store_bind_text(st, 4, "");
        store_bind_text(st, 5, "o");
        store_bind_text(st, 6, "r");
        store_bind_text(st, 7, "d");
        store_bind_blob(st, 8, prev, k == 1 ? 0 : 32);
        store_bind_blob(st, 9, hash, 32);
        assert_int_equal(store_exec(st, &e), 0);
        assert_int_equal(store_changes(s), 1);
    }
    assert_int_equal(store_tx_commit(s, &e), 0);
    assert_int_equal(store_stmt_get(s, ST_AUDIT_ALL, &st, &e), 0);
    const int64_t order[3] = {INT64_MIN + 1, 1, INT64_MAX};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(store_step(st, &e), STORE_ROW);
        assert_true(store_col_int64(st, 0) == order[k]);
        assert_true(store_col_int64(st, 1) == -order[k]);
        size_t len = 99;
        assert_string_equal(store_col_text(st, 2, &len), text);
        assert_int_equal(len, strlen(text));
        assert_string_equal(store_col_text(st, 3, &len), "");
        assert_int_equal(len, 0);
        assert_false(store_col_isnull(st, 3));
        const uint8_t *p = store_col_blob(st, 7, &len);
        assert_false(store_col_isnull(st, 7));
        if (order[k] == 1) {
            assert_int_equal(len, 0);
        } else {
            assert_int_equal(len, 32);
            assert_memory_equal(p, prev, 32);
        }
        p = store_col_blob(st, 8, &len);
        assert_int_equal(len, 32);
        assert_memory_equal(p, hash, 32);
    }
    assert_int_equal(store_step(st, &e), STORE_DONE);
    store_exec(st, NULL);
    /* NULL stays NULL; an aggregate over nothing is NULL too */
    assert_int_equal(store_stmt_get(s, ST_AUDIT_CP_LAST, &st, &e), 0);
    assert_int_equal(store_step(st, &e), STORE_ROW);
    assert_true(store_col_isnull(st, 0));
    store_exec(st, NULL);
    store_close(s);
}

typedef struct deadlocker {
    fixture *f;
    int rc;
    char code[48];
} deadlocker;

/* Takes counter y, then x (the main thread takes x, then y). */
static void *deadlock_main(void *arg)
{
    deadlocker *d = arg;
    store *b = NULL;
    sc_err e = {0};
    int64_t v;
    d->rc = store_open(d->f->url, &b, &e);
    if (d->rc == 0 && (d->rc = store_tx_begin(b, &e)) == 0) {
        d->rc = counter_next(b, "y", &v, &e);
        if (d->rc == 0) {
            struct timespec w = {0, 300 * 1000 * 1000};
            nanosleep(&w, NULL);
            d->rc = counter_next(b, "x", &v, &e);
        }
        if (d->rc == 0)
            d->rc = store_tx_commit(b, &e);
        else
            store_tx_rollback(b);
    }
    snprintf(d->code, sizeof(d->code), "%s", e.code);
    store_close(b);
    return NULL;
}

/* Two writers locking rows in opposite orders: PostgreSQL breaks the deadlock and the loser
 * sees SC_ERETRY ("store.busy"), which callers answer by retrying the whole transaction.
 * (SQLite queues whole transactions at BEGIN, so it cannot deadlock: nothing to test there.) */
static void test_deadlock_is_retry(void **state)
{
    fixture *f = *state;
    if (!g_pg) return;
    store *a = open_test_store(f, 1);
    sc_err e = {0};
    int64_t v;
    assert_int_equal(store_tx_begin(a, &e), 0);
    counter_init(a, "x", 0);
    counter_init(a, "y", 0);
    assert_int_equal(store_tx_commit(a, &e), 0);
    assert_int_equal(store_tx_begin(a, &e), 0);
    assert_int_equal(counter_next(a, "x", &v, &e), 0);
    deadlocker d = {f, 0, ""};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, deadlock_main, &d), 0);
    struct timespec w = {0, 150 * 1000 * 1000};
    nanosleep(&w, NULL);
    sc_err ae = {0};
    int arc = counter_next(a, "y", &v, &ae);
    if (arc == 0)
        arc = store_tx_commit(a, &ae);
    else
        store_tx_rollback(a);
    pthread_join(th, NULL);
    /* exactly one of the two lost, with the retry class */
    assert_true((arc == 0) != (d.rc == 0));
    if (arc != 0) {
        assert_int_equal(arc, SC_ERETRY);
        assert_string_equal(ae.code, "store.busy");
    } else {
        assert_int_equal(d.rc, SC_ERETRY);
        assert_string_equal(d.code, "store.busy");
    }
    store_close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_fresh_and_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_new_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_version_upgrades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_rollback_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_writer_waits_for_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_increases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_two_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_urls, setup, teardown),
        cmocka_unit_test(test_number_params),
        cmocka_unit_test(test_pg_ddl_words),
        cmocka_unit_test_setup_teardown(test_values_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadlock_is_retry, setup, teardown),
    };
    int drivers = tdb_drivers(), failed = drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed += cmocka_run_group_tests_name(g_pg ? "store[postgresql]" : "store[sqlite]", tests,
                                              NULL, NULL);
    return failed != 0;
}
