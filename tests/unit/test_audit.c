/* test_audit.c - the hash-chained audit log detects modified, deleted, inserted, reordered,
 * truncated and rewritten records. */
#include "testdb.h"

#include "audit/audit.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define N 10

static int g_pg; /* the driver main() is running the group on */

typedef struct fx {
    char *dir;
    tdb db;
    store *s;
    sc_key *key;   /* checkpoint signer (private) */
    sc_key *pub;   /* its public half, what the lookup callback hands out */
    sc_key *other; /* an unrelated key */
} fx;

static int group_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sc_err e = {0};
    if (crypto_key_generate(SC_ALG_SM2, &f->key, &e) != 0 ||
        crypto_key_generate(SC_ALG_SM2, &f->other, &e) != 0)
        return -1;
    sc_buf spki = {0};
    if (crypto_key_spki(f->key, &spki, &e) != 0 ||
        crypto_key_from_spki(spki.p, spki.len, &f->pub, &e) != 0)
        return -1;
    sc_buf_free(&spki);
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fx *f = *state;
    crypto_key_free(f->key);
    crypto_key_free(f->pub);
    crypto_key_free(f->other);
    free(f);
    return 0;
}

static void append(store *s, int i, const char *tag)
{
    char obj[32], detail[64];
    sc_err e = {0};
    snprintf(obj, sizeof(obj), "obj-%d", i);
    snprintf(detail, sizeof(detail), "%s record %d", tag, i);
    assert_int_equal(store_tx_begin(s, &e), 0);
    if (audit_append(s, "tester", "test.append", obj, "ok", detail, &e) != 0)
        fail_msg("audit_append: %s %s", e.code, e.msg);
    assert_int_equal(store_tx_commit(s, &e), 0);
}

static void checkpoint(fx *f)
{
    sc_err e = {0};
    assert_int_equal(store_tx_begin(f->s, &e), 0);
    if (audit_checkpoint(f->s, f->key, "sub-1", &e) != 0)
        fail_msg("audit_checkpoint: %s %s", e.code, e.msg);
    assert_int_equal(store_tx_commit(f->s, &e), 0);
}

/* A fresh store with records 1..N and a checkpoint at record cp (0: none). */
static int setup(void **state)
{
    fx *f = *state;
    f->dir = tu_tmpdir();
    tdb_create(&f->db, g_pg, f->dir, "audit.db");
    sc_err e = {0};
    if (store_open(f->db.url, &f->s, &e) != 0 || store_migrate(f->s, &e) != 0) {
        fprintf(stderr, "store: %s %s\n", e.code, e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    store_close(f->s);
    f->s = NULL;
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    f->dir = NULL;
    return 0;
}

static void fill(fx *f, int n, int cp)
{
    for (int i = 1; i <= n; i++) {
        append(f->s, i, "original");
        if (i == cp) checkpoint(f);
    }
}

static int lookup(void *arg, const char *signer, sc_key **out, sc_err *e)
{
    fx *f = arg;
    if (strcmp(signer, "sub-1") != 0)
        return sc_fail(e, SC_ENOTFOUND, "test.no_signer", "unknown signer");
    sc_buf spki = {0};
    int rc = crypto_key_spki(f->pub, &spki, e);
    if (rc == 0) rc = crypto_key_from_spki(spki.p, spki.len, out, e);
    sc_buf_free(&spki);
    return rc;
}

static int lookup_other(void *arg, const char *signer, sc_key **out, sc_err *e)
{
    fx *f = arg;
    sc_buf spki = {0};
    int rc = crypto_key_spki(f->other, &spki, e);
    if (rc == 0) rc = crypto_key_from_spki(spki.p, spki.len, out, e);
    sc_buf_free(&spki);
    return rc;
}

static void verify_ok(fx *f, int64_t records, int64_t checkpoints)
{
    audit_report rep;
    sc_err e = {0};
    int rc = audit_verify(f->s, lookup, f, &rep, &e);
    if (rc != 0)
        fail_msg("audit_verify: %s (record %lld: %s)", e.msg, (long long)rep.first_bad, rep.why);
    assert_true(rep.records == records);
    assert_true(rep.checkpoints == checkpoints);
    assert_true(rep.first_bad == 0);
}

/* Verify must fail at record `bad` with `why` containing `word`. */
static void verify_bad(fx *f, int64_t bad, const char *word)
{
    audit_report rep;
    sc_err e = {0};
    assert_int_equal(audit_verify(f->s, lookup, f, &rep, &e), SC_EVERIFY);
    assert_string_equal(e.code, "audit.broken");
    if (rep.first_bad != bad)
        fail_msg("first_bad %lld, expected %lld (%s)", (long long)rep.first_bad, (long long)bad,
                 rep.why);
    if (strstr(rep.why, word) == NULL)
        fail_msg("why \"%s\" does not mention \"%s\"", rep.why, word);
}

/* Tamper through a second, raw connection, as an attacker with database access would. */
static void raw_sql(fx *f, const char *sql)
{
    tdb_exec(&f->db, sql);
}

static void test_intact(void **state)
{
    fx *f = *state;
    audit_report rep;
    sc_err e = {0};
    /* an empty log is intact */
    assert_int_equal(audit_verify(f->s, lookup, f, &rep, &e), 0);
    assert_true(rep.records == 0);
    fill(f, N, 5);
    verify_ok(f, N, 1);
    int64_t pending = -1;
    assert_int_equal(audit_pending(f->s, &pending, &e), 0);
    assert_true(pending == N - 5);
    checkpoint(f);
    assert_int_equal(audit_pending(f->s, &pending, &e), 0);
    assert_true(pending == 0);
    /* checkpointing an already checkpointed head adds nothing */
    checkpoint(f);
    verify_ok(f, N, 2);
    /* an append rolled back leaves no record */
    assert_int_equal(store_tx_begin(f->s, &e), 0);
    assert_int_equal(audit_append(f->s, "t", "a", "o", "ok", "", &e), 0);
    store_tx_rollback(f->s);
    verify_ok(f, N, 2);
    /* NULL detail is stored as "", an oversized field is refused */
    assert_int_equal(store_tx_begin(f->s, &e), 0);
    assert_int_equal(audit_append(f->s, "t", "a", "o", "ok", NULL, &e), 0);
    char *big = malloc(5000);
    memset(big, 'x', 4999);
    big[4999] = 0;
    sc_err be = {0};
    assert_int_equal(audit_append(f->s, "t", "a", big, "ok", "", &be), SC_EINVAL);
    assert_string_equal(be.code, "audit.too_long");
    free(big);
    assert_int_equal(store_tx_commit(f->s, &e), 0);
    verify_ok(f, N + 1, 2);
}

static void test_modified_field(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    raw_sql(f, "UPDATE audit SET detail = 'original record 4, edited' WHERE id = 4");
    verify_bad(f, 4, "modified");
}

static void test_modified_time_and_hash(void **state)
{
    fx *f = *state;
    fill(f, N, 0);
    raw_sql(f, "UPDATE audit SET at = at - 3600 WHERE id = 7");
    verify_bad(f, 7, "modified");
    raw_sql(f, "UPDATE audit SET at = at + 3600 WHERE id = 7");
    verify_ok(f, N, 0);
    /* the stored hash itself replaced: record 3 no longer matches it */
    raw_sql(f, g_pg ? "UPDATE audit SET hash = decode(repeat('00', 32), 'hex') WHERE id = 3"
                    : "UPDATE audit SET hash = zeroblob(32) WHERE id = 3");
    verify_bad(f, 3, "modified");
}

static void test_deleted_record(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    raw_sql(f, "DELETE FROM audit WHERE id = 4");
    verify_bad(f, 5, "missing");
}

static void test_deleted_first_record(void **state)
{
    fx *f = *state;
    fill(f, N, 0);
    raw_sql(f, "DELETE FROM audit WHERE id = 1");
    verify_bad(f, 2, "missing");
}

static void test_inserted_record(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    /* make room after record 4 and insert a forged record 5 that chains to record 4 */
    raw_sql(f, "UPDATE audit SET id = id + 1000 WHERE id >= 5;"
               "UPDATE audit SET id = id - 999 WHERE id >= 1000;"
               "INSERT INTO audit (id, at, actor, action, object, result, detail, prev_hash, hash) "
               "SELECT 5, at, actor, action, 'forged', result, detail, hash, hash "
               "FROM audit WHERE id = 4");
    verify_bad(f, 5, "modified");
}

static void test_inserted_with_copied_hashes(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    /* duplicate record 4 verbatim as record 5 (renumbering the rest): chaining breaks at 5 */
    raw_sql(f, "UPDATE audit SET id = id + 1000 WHERE id >= 5;"
               "UPDATE audit SET id = id - 999 WHERE id >= 1000;"
               "INSERT INTO audit (id, at, actor, action, object, result, detail, prev_hash, hash) "
               "SELECT 5, at, actor, action, object, result, detail, prev_hash, hash "
               "FROM audit WHERE id = 4");
    verify_bad(f, 5, "chain");
}

static void test_swapped_records(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    /* swap every column but the id of records 3 and 6 */
    raw_sql(f, "UPDATE audit SET id = -3 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 6;"
               "UPDATE audit SET id = 6 WHERE id = -3");
    verify_bad(f, 3, "chain");
}

static void test_truncated_tail(void **state)
{
    fx *f = *state;
    fill(f, N, N - 2); /* checkpoint at 8, then records 9 and 10 */
    raw_sql(f, "DELETE FROM audit WHERE id >= 7");
    verify_bad(f, 7, "missing");
}

static void test_truncated_everything(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    raw_sql(f, "DELETE FROM audit");
    verify_bad(f, 1, "missing");
}

static void test_forged_checkpoint(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    verify_ok(f, N, 1);
    /* flip one bit of the stored signature */
    uint8_t sig[600];
    size_t n = tdb_blob_sql(&f->db, "SELECT sig FROM audit_checkpoints WHERE audit_id = 10", NULL,
                            NULL, 0, sig, sizeof(sig));
    assert_true(n > 20);
    sig[n / 2] ^= 0x01;
    const uint8_t *b[1] = {sig};
    tdb_blob_sql(&f->db, "UPDATE audit_checkpoints SET sig = ? WHERE audit_id = 10", b, &n, 1, NULL,
                 0);
    verify_bad(f, 10, "signature");
}

static void test_checkpoint_repointed(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    /* a checkpoint moved to another record with that record's hash: the signature is over
     * (id, hash, time) so it no longer verifies */
    raw_sql(f, "UPDATE audit_checkpoints SET audit_id = 9, "
               "head_hash = (SELECT hash FROM audit WHERE id = 9) WHERE audit_id = 10");
    verify_bad(f, 9, "signature");
}

static void test_wrong_or_unknown_signer(void **state)
{
    fx *f = *state;
    fill(f, 3, 3);
    audit_report rep;
    sc_err e = {0};
    assert_int_equal(audit_verify(f->s, lookup_other, f, &rep, &e), SC_EVERIFY);
    assert_true(rep.first_bad == 3);
    assert_non_null(strstr(rep.why, "signature"));
    raw_sql(f, "UPDATE audit_checkpoints SET signer = 'sub-9'");
    verify_bad(f, 3, "signature");
}

static void test_rewritten_chain(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    /* the attacker deletes everything and appends a different, self-consistent history */
    raw_sql(f, "DELETE FROM audit");
    for (int i = 1; i <= N + 2; i++)
        append(f->s, i, "rewritten");
    verify_bad(f, N, "checkpoint");
}

static void test_rewritten_chain_shorter(void **state)
{
    fx *f = *state;
    fill(f, N, N);
    raw_sql(f, "DELETE FROM audit");
    for (int i = 1; i <= 4; i++)
        append(f->s, i, "rewritten");
    verify_bad(f, 5, "missing");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_intact),
        T(test_modified_field),
        T(test_modified_time_and_hash),
        T(test_deleted_record),
        T(test_deleted_first_record),
        T(test_inserted_record),
        T(test_inserted_with_copied_hashes),
        T(test_swapped_records),
        T(test_truncated_tail),
        T(test_truncated_everything),
        T(test_forged_checkpoint),
        T(test_checkpoint_repointed),
        T(test_wrong_or_unknown_signer),
        T(test_rewritten_chain),
        T(test_rewritten_chain_shorter),
    };
    int drivers = tdb_drivers(), failed = drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed += cmocka_run_group_tests_name(g_pg ? "audit[postgresql]" : "audit[sqlite]", tests,
                                              group_setup, group_teardown);
    return failed != 0;
}
