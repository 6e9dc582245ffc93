/* test_ra_kmc.c - the pieces of the RA's KMC work that live outside the HTTP flow (which
 * t_ra_kmc.sh drives end to end): the key-recovery officer duty, the catalog's dual flag, issuance
 * and revocation inside the caller's transaction (what makes the RA's issuance and its order
 * change one transaction), and a key recovery refused without a KMC changing nothing; on SQLite
 * and PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/pki.h"
#include "ra/ra.h"
#include "ra/ra_int.h"
#include "ra/vault.h"

#define PASS "ra-kmc-unit-test-passphrase"
static int g_pg;

/* ---- pure ---- */

static void test_officer_duty(void **state)
{
    (void)state;
    unsigned d = 0;
    assert_int_equal(ra_duties_parse("review,recovery", &d), 0);
    assert_int_equal(d, RA_DUTY_REVIEW | RA_DUTY_RECOVERY);
    char out[80];
    ra_duties_format(d, out, sizeof(out));
    assert_string_equal(out, "review,recovery");
    assert_int_equal(ra_duties_parse("recovery,officer", &d), SC_EINVAL);
    /* an officer has the duty, an applicant or another operator has not */
    ra_session s;
    memset(&s, 0, sizeof(s));
    s.acct.role = RA_ROLE_OPERATOR;
    s.acct.duties = RA_DUTY_RECOVERY;
    assert_true(ra_has_duty(&s, RA_DUTY_RECOVERY));
    s.acct.duties = RA_DUTY_REVIEW | RA_DUTY_PRODUCTION;
    assert_false(ra_has_duty(&s, RA_DUTY_RECOVERY));
    s.acct.role = RA_ROLE_APPLICANT;
    s.acct.duties = RA_DUTY_RECOVERY;
    assert_false(ra_has_duty(&s, RA_DUTY_RECOVERY));
}

static void test_catalog_dual(void **state)
{
    (void)state;
    static const char *const dual[] = {"new", "replace", "reissue", NULL};
    static const char *const single[] = {"renew",      "rekey",  "change", "key-recovery",
                                         "pin-unlock", "revoke", NULL};
    for (size_t i = 0; dual[i]; i++)
        assert_int_equal(ra_business_get(dual[i])->dual, 1);
    for (size_t i = 0; single[i]; i++)
        assert_int_equal(ra_business_get(single[i])->dual, 0);
    /* reissue makes a new signing certificate from a CSR after review, without payment */
    const ra_business *b = ra_business_get("reissue");
    assert_true(b->needs_csr && b->needs_review && !b->needs_payment && b->needs_cert);
    assert_string_equal(ra_profile_base(RA_KIND_ORG), "organization");
    assert_string_equal(ra_profile_base(RA_KIND_EXPERT), "expert");
}

/* ---- with a store ---- */

typedef struct fx {
    char *dir;
    char home[4200];
    tdb db;
    pki_ca *ca;
    ra r;
    ra_catalog *cat;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    tdb_create(&f->db, g_pg, f->dir, "home/ca.db");
    ca_init_opts o = {0};
    o.home = f->home;
    o.database = g_pg ? f->db.url : NULL;
    o.name = "RA KMC 单元测试";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    sc_err e = {0};
    ra_err re = {0};
    if (ca_init(&o, &e) != 0 || ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0 ||
        ra_home_init(f->ca, &re) != 0 || ra_conf_load(f->home, &f->r, &re) != 0 ||
        ra_catalog_load(f->home, &f->cat, &re) != 0) {
        fprintf(stderr, "%s %s %s %s\n", e.code, e.msg, re.e.code, re.e.msg);
        return -1;
    }
    f->r.ca = f->ca;
    f->r.db = f->ca->db;
    f->r.cat = f->cat;
    if (vault_open_home(f->home, PASS, &f->r.v, &e) != 0) {
        fprintf(stderr, "vault: %s %s\n", e.code, e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ra_catalog_free(f->cat);
    vault_free(f->r.v);
    ca_close(f->ca);
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* sql: one text column (PostgreSQL answers in binary, so counts are cast to text) */
static long count(fx *f, const char *sql)
{
    uint8_t b[32];
    size_t n = tdb_blob_sql(&f->db, sql, NULL, NULL, 0, b, sizeof(b) - 1);
    b[n] = 0;
    return strtol((const char *)b, NULL, 10);
}

static void test_issue_in_tx(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    sc_key *k = NULL;
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k, &e), 0);
    issue_req ir = {.profile = "person-sign",
                    .subject = "CN=事务测试,C=CN",
                    .id_number = "11010519491231002X",
                    .pub = k,
                    .actor = "unit"};
    cert_info ci = {0};
    /* outside a transaction the in-transaction variant refuses and issues nothing */
    assert_int_equal(pki_issue_in_tx(f->ca, &ir, &ci, &e), SC_EINTERNAL);
    assert_string_equal(e.code, "store.no_tx");
    long certs0 = count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM certs");
    long audit0 = count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM audit WHERE action = 'cert.issue'");
    /* rolled back with the caller's transaction: no certificate, no audit record */
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(pki_issue_in_tx(f->ca, &ir, &ci, &e), 0);
    assert_int_equal(store_in_tx(f->ca->db), 1); /* still the caller's, not committed */
    char serial[33];
    snprintf(serial, sizeof(serial), "%s", ci.serial);
    cert_info_free(&ci);
    store_tx_rollback(f->ca->db);
    assert_int_equal(count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM certs"), certs0);
    assert_int_equal(
        count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM audit WHERE action = 'cert.issue'"), audit0);
    sc_err_clear(&e);
    assert_int_equal(pki_cert_get(f->ca, serial, &ci, &e), SC_ENOTFOUND);
    /* committed with it: certificate and audit record together */
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(pki_issue_in_tx(f->ca, &ir, &ci, &e), 0);
    assert_int_equal(store_tx_commit(f->ca->db, &e), 0);
    snprintf(serial, sizeof(serial), "%s", ci.serial);
    cert_info_free(&ci);
    assert_int_equal(count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM certs"), certs0 + 1);
    assert_int_equal(
        count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM audit WHERE action = 'cert.issue'"),
        audit0 + 1);
    /* a resumption in the caller's transaction: rolled back the hold stays, committed it ends */
    assert_int_equal(pki_revoke(f->ca, serial, REASON_CERTIFICATE_HOLD, 0, "unit", &e), 0);
    assert_int_equal(pki_resume_in_tx(f->ca, serial, "unit", &e), SC_EINTERNAL);
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(pki_resume_in_tx(f->ca, serial, "unit", &e), 0);
    store_tx_rollback(f->ca->db);
    assert_int_equal(pki_cert_get(f->ca, serial, &ci, &e), 0);
    assert_string_equal(ci.status, "hold");
    cert_info_free(&ci);
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(pki_resume_in_tx(f->ca, serial, "unit", &e), 0);
    assert_int_equal(store_tx_commit(f->ca->db, &e), 0);
    assert_int_equal(pki_cert_get(f->ca, serial, &ci, &e), 0);
    assert_string_equal(ci.status, "good");
    cert_info_free(&ci);
    /* a revocation rolled back leaves the certificate good; committed, revoked */
    assert_int_equal(pki_revoke_in_tx(f->ca, serial, REASON_SUPERSEDED, 0, "unit", &e),
                     SC_EINTERNAL);
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(pki_revoke_in_tx(f->ca, serial, REASON_SUPERSEDED, 0, "unit", &e), 0);
    store_tx_rollback(f->ca->db);
    assert_int_equal(pki_cert_get(f->ca, serial, &ci, &e), 0);
    assert_string_equal(ci.status, "good");
    cert_info_free(&ci);
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(pki_revoke_in_tx(f->ca, serial, REASON_SUPERSEDED, 0, "unit", &e), 0);
    assert_int_equal(store_tx_commit(f->ca->db, &e), 0);
    assert_int_equal(pki_cert_get(f->ca, serial, &ci, &e), 0);
    assert_string_equal(ci.status, "revoked");
    assert_int_equal(ci.reason, REASON_SUPERSEDED);
    cert_info_free(&ci);
    /* the own-transaction variant is unchanged for its callers */
    assert_int_equal(pki_issue(f->ca, &ir, &ci, &e), 0);
    assert_int_equal(store_in_tx(f->ca->db), 0);
    cert_info_free(&ci);
    crypto_key_free(k);
}

static void test_recovery_needs_kmc(void **state)
{
    fx *f = *state;
    ra_err re = {0};
    int64_t id = 0;
    char no[32];
    ra_session sa;
    char tok[48];
    assert_int_equal(
        ra_account_register(&f->r, "13900139000", "a@y.cn", "password-aaa-1", "甲", &id, &re), 0);
    assert_int_equal(ra_login(&f->r, "a@y.cn", "password-aaa-1", "1", tok, &sa, &re), 0);
    json_t *req = json_loads("{\"business\":\"new\",\"subject_kind\":\"organization\","
                             "\"medium\":\"usbkey\",\"years\":1}",
                             0, NULL);
    assert_int_equal(ra_order_create(&f->r, &sa, req, sa.acct.id, &id, no, &re), 0);
    json_decref(req);
    ra_order o;
    assert_int_equal(ra_order_load(&f->r, &sa, id, 0, &o, &re), 0);
    int64_t rec = 0;
    char enc[33];
    long before = count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM audit");
    /* a home without a KMC (f->r.kmc NULL): refused, nothing recorded */
    assert_null(f->r.kmc);
    assert_int_equal(ra_recovery_open(&f->r, &o, "staff:rev", &rec, enc, &re), SC_ESTATE);
    assert_string_equal(re.e.code, "kmc.none");
    assert_int_equal(rec, 0);
    /* production through the KMC: not a KMC order -> not handled (signing-only follows) */
    int handled = -1;
    json_t *out = NULL;
    memset(&re, 0, sizeof(re));
    ra_session prod;
    memset(&prod, 0, sizeof(prod));
    prod.acct.role = RA_ROLE_OPERATOR;
    prod.acct.duties = RA_DUTY_PRODUCTION;
    snprintf(prod.actor, sizeof(prod.actor), "staff:prod");
    assert_int_equal(ra_kmc_issue(&f->r, &prod, &o, NULL, &out, &handled, &re), 0);
    assert_int_equal(handled, 0);
    assert_null(out);
    /* officers' endpoints refuse anybody without the duty */
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_recovery_queue(&f->r, &prod, &out, &re), SC_EINVAL);
    assert_string_equal(re.e.code, "auth.forbidden");
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_recovery_decide(&f->r, &sa, id, "{}", "AA==", &out, &re), SC_EINVAL);
    assert_string_equal(re.e.code, "auth.forbidden");
    sc_buf pem = {0};
    memset(&re, 0, sizeof(re));
    prod.acct.duties = RA_DUTY_RECOVERY;
    assert_int_equal(ra_recovery_release_judicial(&f->r, &prod, id, "short", &pem, &re), SC_EINVAL);
    assert_string_equal(re.field, "password");
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_recovery_release_judicial(&f->r, &prod, id, "long-enough-1", &pem, &re),
                     SC_ESTATE);
    assert_string_equal(re.e.code, "kmc.none");
    assert_int_equal(pem.len, 0);
    /* the order has no KMC facts and the applicant gets no CSRResponse */
    assert_null(ra_order_kmc_json(&f->r, &o));
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_order_kmc_response(&f->r, &sa, id, &out, &re), SC_ENOTFOUND);
    assert_int_equal(count(f, "SELECT CAST(COUNT(*) AS TEXT) FROM audit"), before);
    ra_order_free(&o);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_officer_duty),
        cmocka_unit_test(test_catalog_dual),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_issue_in_tx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recovery_needs_kmc, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("ra_kmc", plain, NULL, NULL);
    int drivers = tdb_drivers();
    failed += drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed += cmocka_run_group_tests_name(g_pg ? "ra_kmc[postgresql]" : "ra_kmc[sqlite]", tests,
                                              NULL, NULL);
    return failed != 0;
}
