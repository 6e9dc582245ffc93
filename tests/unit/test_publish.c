/* test_publish.c - directory publication: DN mapping, settings checks, outbox rows queued with
 * their events and retried with backoff, on both store drivers. */
#include "testdb.h"

#include <time.h>
#include <unistd.h>

#include "pki/pki.h"
#include "publish/publish.h"

#define PASS  "unit-test passphrase"
#define IDNUM "11010519491231002X"
#define BASE  "dc=example,dc=cn"
/* nothing listens on port 1: every connection is refused at once */
#define DEAD_URL "ldap://127.0.0.1:1"

static int g_pg;

typedef struct fx {
    char *dir;
    char home[4200];
    pki_ca *ca;
    tdb db;
} fx;

/* ---- DN mapping (no store) ---- */

static void dn_of(const char *subject, const char *base, char *out, size_t outsz, int want_rc)
{
    sc_name n;
    sc_buf der = {0};
    sc_err e = {0};
    assert_int_equal(name_parse(subject, strlen(subject), &n, &e), 0);
    assert_int_equal(name_encode(&n, &der, &e), 0);
    int rc = outbox_dn(der.p, der.len, base, out, outsz, &e);
    assert_int_equal(rc, want_rc);
    if (rc != 0) assert_string_equal(e.code, "outbox.bad_dn");
    sc_buf_free(&der);
}

static void test_dn_mapping(void **state)
{
    char dn[OUTBOX_MAX_DN];
    dn_of("CN=张三,O=某公司,C=CN", BASE, dn, sizeof(dn), 0);
    assert_string_equal(dn, "cn=张三,o=某公司,c=CN,dc=example,dc=cn");
    dn_of("/C=CN/ST=福建/L=福州/O=某公司/OU=工程部/CN=Issuing CA G1", "o=ca", dn, sizeof(dn), 0);
    assert_string_equal(dn, "cn=Issuing CA G1,ou=工程部,o=某公司,l=福州,st=福建,c=CN,o=ca");
    /* RFC 4514 specials in a value stay escaped (libldap writes hex pairs), so the DN names
     * the same entry */
    dn_of("CN=a\\,b\\+c\\=d,O=x\\;y,C=CN", BASE, dn, sizeof(dn), 0);
    assert_string_equal(dn, "cn=a\\2Cb\\2Bc\\3Dd,o=x\\3By,c=CN,dc=example,dc=cn");
    dn_of("CN=\\ lead,C=CN", BASE, dn, sizeof(dn), 0);
    assert_string_equal(dn, "cn=\\20lead,c=CN,dc=example,dc=cn");
    /* no base: the subject alone */
    dn_of("CN=x", "", dn, sizeof(dn), 0);
    assert_string_equal(dn, "cn=x");
    /* a base that is no DN, and an output buffer too small */
    dn_of("CN=x", "not a dn", dn, sizeof(dn), SC_EINVAL);
    assert_string_equal(dn, "");
    dn_of("CN=张三,O=某公司,C=CN", BASE, dn, 10, SC_EINVAL);
    /* damaged DER */
    sc_err e = {0};
    const uint8_t junk[] = {0x30, 0x05, 0x31};
    assert_int_equal(outbox_dn(junk, sizeof(junk), BASE, dn, sizeof(dn), &e), SC_EINVAL);
}

static void check_fails(const char *url, const char *bind, const char *pw, const char *base,
                        const char *code)
{
    sc_err e = {0};
    assert_int_equal(ca_ldap_check(url, bind, pw, base, &e), SC_EINVAL);
    assert_string_equal(e.code, code);
}

static void test_settings(void **state)
{
    sc_err e = {0};
    assert_int_equal(ca_ldap_check(NULL, NULL, NULL, NULL, &e), 0);
    assert_int_equal(ca_ldap_check("ldap://127.0.0.1:389", NULL, NULL, BASE, &e), 0);
    assert_int_equal(ca_ldap_check("ldap://dir.example.cn/", "cn=admin," BASE, "/etc/pw", BASE, &e),
                     0);
    check_fails("ldaps://127.0.0.1", NULL, NULL, BASE, "conf.bad_ldap");
    check_fails("http://127.0.0.1", NULL, NULL, BASE, "conf.bad_ldap");
    check_fails("ldap://", NULL, NULL, BASE, "conf.bad_ldap");
    check_fails("ldap://h/dc=x??sub", NULL, NULL, BASE, "conf.bad_ldap");
    check_fails("ldap://h o", NULL, NULL, BASE, "conf.bad_ldap");
    check_fails("ldap://h", NULL, NULL, NULL, "conf.bad_ldap_base");
    check_fails("ldap://h", NULL, NULL, "dc=x,,", "conf.bad_ldap_base");
    check_fails("ldap://h", "nodn", "/pw", BASE, "conf.bad_ldap_bind_dn");
    check_fails("ldap://h", "cn=a", NULL, BASE, "conf.bad_ldap_password_file");
    check_fails("ldap://h", NULL, "/pw", BASE, "conf.bad_ldap_password_file");
    check_fails(NULL, NULL, NULL, BASE, "conf.bad_ldap");
    check_fails("", "cn=a", NULL, NULL, "conf.bad_ldap");
}

static void test_backoff(void **state)
{
    assert_int_equal(ldappub_backoff(0), 5);
    assert_int_equal(ldappub_backoff(1), 5);
    assert_int_equal(ldappub_backoff(2), 10);
    assert_int_equal(ldappub_backoff(3), 20);
    assert_int_equal(ldappub_backoff(6), 160);
    assert_int_equal(ldappub_backoff(7), LDAPPUB_BACKOFF_MAX);
    assert_int_equal(ldappub_backoff(1000), LDAPPUB_BACKOFF_MAX);
}

/* ---- the outbox on a store ---- */

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    tdb_create(&f->db, g_pg, f->dir, "home/ca.db");
    char pw[4300];
    snprintf(pw, sizeof(pw), "%s/ldap.pw", f->dir);
    FILE *fp = fopen(pw, "w");
    fputs("not-a-real-password\n", fp);
    fclose(fp);
    ca_init_opts o = {0};
    o.home = f->home;
    o.database = g_pg ? f->db.url : NULL;
    o.name = "目录 CA";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    o.ldap = DEAD_URL;
    o.ldap_base = BASE;
    o.ldap_bind_dn = "cn=admin," BASE;
    o.ldap_password_file = pw;
    sc_err e = {0};
    if (ca_init(&o, &e) != 0 || ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0) {
        fprintf(stderr, "%s %s\n", e.code, e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ca_close(f->ca);
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

typedef struct orow {
    char kind[8], object[80], dn[256];
    int64_t attempts, next_attempt;
} orow;

/* All pending rows, in queue order. */
static size_t pending_rows(pki_ca *ca, orow *out, size_t cap)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(ca->db, ST_OUTBOX_DUE, &st, &e), 0);
    store_bind_int64(st, 1, INT64_MAX / 2);
    store_bind_int64(st, 2, (int64_t)cap);
    size_t n = 0;
    while (store_step(st, &e) == STORE_ROW) {
        snprintf(out[n].kind, sizeof(out[n].kind), "%s", store_col_text(st, 1, NULL));
        snprintf(out[n].object, sizeof(out[n].object), "%s", store_col_text(st, 2, NULL));
        snprintf(out[n].dn, sizeof(out[n].dn), "%s", store_col_text(st, 3, NULL));
        out[n].attempts = store_col_int64(st, 5);
        out[n].next_attempt = store_col_int64(st, 6);
        n++;
    }
    store_exec(st, NULL);
    return n;
}

static void issue_one(pki_ca *ca, const char *subject, cert_info *ci)
{
    sc_key *k = NULL;
    sc_err e = {0};
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k, &e), 0);
    issue_req r = {.profile = "person-sign", .subject = subject, .id_number = IDNUM, .pub = k};
    memset(ci, 0, sizeof(*ci));
    if (pki_issue(ca, &r, ci, &e) != 0) fail_msg("pki_issue: %s %s", e.code, e.msg);
    crypto_key_free(k);
}

static void test_outbox_queue_and_retry(void **state)
{
    fx *f = *state;
    orow rows[16];
    /* init queued the root and issuing CA certificates, on the CA entries */
    size_t n = pending_rows(f->ca, rows, 16);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].kind, "cacert");
    assert_string_equal(rows[0].object, "root-1");
    assert_string_equal(rows[0].dn, "cn=Root CA,o=目录 CA,c=CN," BASE);
    assert_string_equal(rows[1].object, "sub-1");
    assert_string_equal(rows[1].dn, "cn=Issuing CA G1,o=目录 CA,c=CN," BASE);
    /* issuance and CRLs queue in their own transactions */
    cert_info ci;
    issue_one(f->ca, "CN=张三,O=某公司,C=CN", &ci);
    sc_buf crl = {0};
    crl_result res;
    sc_err e = {0};
    assert_int_equal(pki_crl_generate(f->ca, ca_active_issuing(f->ca), 0, &crl, &res, &e), 0);
    sc_buf_free(&crl);
    assert_int_equal(pki_crl_generate(f->ca, ca_active_issuing(f->ca), 1, &crl, &res, &e), 0);
    sc_buf_free(&crl);
    n = pending_rows(f->ca, rows, 16);
    assert_int_equal(n, 5);
    assert_string_equal(rows[2].kind, "cert");
    assert_string_equal(rows[2].object, ci.serial);
    assert_string_equal(rows[2].dn, "cn=张三,o=某公司,c=CN," BASE);
    assert_string_equal(rows[3].kind, "crl");
    assert_string_equal(rows[3].object, "sub-1:1");
    assert_string_equal(rows[4].kind, "delta");
    assert_string_equal(rows[4].object, "sub-1:2");
    assert_string_equal(rows[4].dn, rows[1].dn);
    cert_info_free(&ci);

    /* the directory is down: every row fails, keeps its place, and waits 5 s */
    ldappub_stats st;
    int64_t t0 = (int64_t)time(NULL);
    assert_int_equal(ldappub_drain(f->ca, 100, &st, &e), 0);
    assert_int_equal(st.published, 0);
    assert_int_equal(st.failed, 5);
    assert_int_equal(st.pending, 5);
    n = pending_rows(f->ca, rows, 16);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].attempts, 1);
        assert_in_range(rows[i].next_attempt, t0 + 5, (int64_t)time(NULL) + 5);
    }
    /* not due yet: a drain right away tries nothing */
    assert_int_equal(ldappub_drain(f->ca, 100, &st, &e), 0);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.pending, 5);
    /* due again: the second failure waits 10 s, and max bounds a drain */
    tdb_exec(&f->db, "UPDATE outbox SET next_attempt = 0");
    assert_int_equal(ldappub_drain(f->ca, 3, &st, &e), 0);
    assert_int_equal(st.failed, 3);
    n = pending_rows(f->ca, rows, 16);
    for (size_t i = 0; i < n; i++) {
        int64_t want = i < 3 ? 2 : 1;
        assert_int_equal(rows[i].attempts, want);
        if (i < 3)
            assert_true(rows[i].next_attempt >= t0 + 10);
        else
            assert_int_equal(rows[i].next_attempt, 0);
    }
    /* retry_now makes every pending row due; a home without ldap drains nothing */
    assert_int_equal(ldappub_retry_now(f->ca, &e), 0);
    n = pending_rows(f->ca, rows, 16);
    for (size_t i = 0; i < n; i++)
        assert_true(rows[i].next_attempt <= (int64_t)time(NULL));
    char saved[256];
    snprintf(saved, sizeof(saved), "%s", f->ca->ldap);
    f->ca->ldap[0] = 0;
    assert_int_equal(ldappub_drain(f->ca, 100, &st, &e), 0);
    assert_int_equal(st.failed + st.published, 0);
    issue_one(f->ca, "CN=不发布", &ci);
    cert_info_free(&ci);
    assert_int_equal(pending_rows(f->ca, rows, 16), 5);
    snprintf(f->ca->ldap, sizeof(f->ca->ldap), "%s", saved);
}

/* A claimed row (another drainer holds it) is skipped; the last_error never holds the password. */
/* the row's last_error as bytes (tdb_blob_sql reads blobs; BLOB is spelled BYTEA there) */
#define LAST_ERROR_SQL                                                                             \
    (g_pg ? "SELECT convert_to(last_error, 'UTF8') FROM outbox WHERE object = 'root-1'"            \
          : "SELECT CAST(last_error AS BLOB) FROM outbox WHERE object = 'root-1'")

static void test_outbox_claim_and_no_secret(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    ldappub_stats st;
    tdb_exec(&f->db, "UPDATE outbox SET next_attempt = 0 WHERE object = 'root-1'");
    tdb_exec(&f->db, "UPDATE outbox SET next_attempt = 4000000000 WHERE object = 'sub-1'");
    assert_int_equal(ldappub_drain(f->ca, 100, &st, &e), 0);
    assert_int_equal(st.failed, 1);
    uint8_t buf[512];
    const uint8_t *none[1] = {NULL};
    size_t nl[1] = {0};
    size_t got = tdb_blob_sql(&f->db, LAST_ERROR_SQL, none, nl, 0, buf, sizeof(buf) - 1);
    buf[got] = 0;
    assert_true(got > 0);
    assert_null(strstr((char *)buf, "not-a-real-password"));
    /* an unreadable password file is reported by key name */
    snprintf(f->ca->ldap_password_file, sizeof(f->ca->ldap_password_file), "missing.pw");
    tdb_exec(&f->db, "UPDATE outbox SET next_attempt = 0 WHERE object = 'root-1'");
    assert_int_equal(ldappub_drain(f->ca, 100, &st, &e), 0);
    got = tdb_blob_sql(&f->db, LAST_ERROR_SQL, none, nl, 0, buf, sizeof(buf) - 1);
    buf[got] = 0;
    assert_non_null(strstr((char *)buf, "ldap_password_file"));
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_dn_mapping),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_backoff),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outbox_queue_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_claim_and_no_secret, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("publish", plain, NULL, NULL);
    int drivers = tdb_drivers();
    failed += drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed += cmocka_run_group_tests_name(g_pg ? "outbox[postgresql]" : "outbox[sqlite]", tests,
                                              NULL, NULL);
    return failed != 0;
}
