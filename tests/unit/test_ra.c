/* test_ra.c - the registration service core: the state machine table, field checks, JSON
 * decoding, accounts, sessions (idle and absolute expiry, logout), lockout, CSRF, ownership,
 * staff roles, on SQLite and PostgreSQL. */
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

#define PASS "ra-unit-test-passphrase"
static int g_pg;

/* ---- pure: the table ---- */

static void test_state_table(void **state)
{
    const ra_business *nw = ra_business_get("new"), *rv = ra_business_get("revoke"),
                      *rn = ra_business_get("renew"), *ch = ra_business_get("change");
    assert_non_null(nw);
    /* the full path of a new certificate */
    assert_int_equal(ra_transition(nw, RA_DRAFT, RA_EV_SUBMIT), RA_SUBMITTED);
    assert_int_equal(ra_transition(nw, RA_SUBMITTED, RA_EV_APPROVE), RA_APPROVED);
    assert_int_equal(ra_transition(nw, RA_SUBMITTED, RA_EV_RETURN), RA_RETURNED);
    assert_int_equal(ra_transition(nw, RA_RETURNED, RA_EV_SUBMIT), RA_SUBMITTED);
    assert_int_equal(ra_transition(nw, RA_APPROVED, RA_EV_PAY), RA_PAID);
    assert_int_equal(ra_transition(nw, RA_PAID, RA_EV_FULFIL), RA_FULFILLING);
    assert_int_equal(ra_transition(nw, RA_FULFILLING, RA_EV_SHIP), RA_SHIPPED);
    assert_int_equal(ra_transition(nw, RA_FULFILLING, RA_EV_PICKUP), RA_COMPLETED);
    assert_int_equal(ra_transition(nw, RA_SHIPPED, RA_EV_COMPLETE), RA_COMPLETED);
    /* illegal: skipping review, paying a draft, anything after the end */
    assert_int_equal(ra_transition(nw, RA_DRAFT, RA_EV_APPROVE), -1);
    assert_int_equal(ra_transition(nw, RA_DRAFT, RA_EV_PAY), -1);
    assert_int_equal(ra_transition(nw, RA_COMPLETED, RA_EV_CANCEL), -1);
    assert_int_equal(ra_transition(nw, RA_REJECTED, RA_EV_SUBMIT), -1);
    assert_int_equal(ra_transition(nw, RA_SHIPPED, RA_EV_SHIP), -1);
    for (int st = 0; st < RA_STATE_COUNT; st++)
        for (int ev = RA_EV_SUBMIT; ev <= RA_EV_CANCEL; ev++) {
            int to = ra_transition(nw, (ra_state)st, (ra_event)ev);
            assert_true(to == -1 || (to >= 0 && to < RA_STATE_COUNT));
            if (st == RA_COMPLETED || st == RA_CANCELLED || st == RA_REJECTED)
                assert_int_equal(to, -1); /* final states stay final */
        }
    /* skips: renew has no review, revoke no payment and no shipping, change no shipping */
    assert_int_equal(ra_transition(rn, RA_DRAFT, RA_EV_SUBMIT), RA_APPROVED);
    assert_int_equal(ra_transition(rv, RA_SUBMITTED, RA_EV_APPROVE), RA_PAID);
    assert_int_equal(ra_transition(rv, RA_PAID, RA_EV_FULFIL), RA_COMPLETED);
    assert_int_equal(ra_transition(ch, RA_PAID, RA_EV_FULFIL), RA_COMPLETED);
    /* every business type of the glossary is a row */
    const char *names[] = {"new",         "renew",    "rekey",      "renew-without-rekey",
                           "reissue",     "change",   "replace",    "revoke",
                           "suspend",     "resume",   "pin-unlock", "key-recovery",
                           "seal-change", "seal-redo"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        assert_non_null(ra_business_get(names[i]));
    assert_null(ra_business_get("fly"));
    assert_int_equal(ra_kind_parse("legal-representative"), RA_KIND_LEGAL);
    assert_int_equal(ra_kind_parse("robot"), 0);
}

static void test_checklist(void **state)
{
    const char *m[16];
    size_t n = ra_materials_needed(ra_business_get("new"), RA_KIND_ORG, m, 16);
    assert_int_equal(n, 9);
    assert_string_equal(m[0], "business-licence");
    n = ra_materials_needed(ra_business_get("new"), RA_KIND_EXPERT, m, 16);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(m[i], "business-licence");
    const char *f[48];
    n = ra_required_fields(ra_business_get("new"), RA_KIND_ORG, "mail", f, 48);
    int uscc = 0, ret = 0;
    for (size_t i = 0; i < n; i++) {
        uscc |= strcmp(f[i], "org_uscc") == 0;
        ret |= strcmp(f[i], "return_address") == 0;
    }
    assert_true(uscc && ret);
}

static void test_json(void **state)
{
    json_t *j = NULL;
    ra_err re = {0};
    assert_int_equal(ra_json_parse((const uint8_t *)"{\"a\":1,\"a\":2}", 13, &j, &re), SC_EINVAL);
    assert_string_equal(re.e.code, "request.bad_json");
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_json_parse((const uint8_t *)"{\"a\":\"\xff\"}", 9, &j, &re), SC_EINVAL);
    memset(&re, 0, sizeof(re));
    char deep[100];
    memset(deep, '[', 40);
    memset(deep + 40, ']', 40);
    deep[80] = 0;
    char body[128];
    snprintf(body, sizeof(body), "{\"a\":%s}", deep);
    assert_int_equal(ra_json_parse((const uint8_t *)body, strlen(body), &j, &re), SC_EINVAL);
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_json_parse((const uint8_t *)"{\"s\":\"a\\u0001\",\"n\":7}", 21, &j, &re),
                     0);
    const char *s;
    assert_int_equal(ra_json_str(j, "s", 10, &s, &re), SC_EINVAL);
    assert_string_equal(re.field, "s");
    memset(&re, 0, sizeof(re));
    int64_t n = 0;
    assert_int_equal(ra_json_int(j, "n", 1, 5, &n, NULL, &re), SC_EINVAL);
    assert_string_equal(re.e.code, "field.range");
    static const char *const keys[] = {"s", NULL};
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_json_keys(j, keys, &re), SC_EINVAL);
    assert_string_equal(re.field, "n");
    json_decref(j);
    /* Chinese message with the field's label, English on request */
    ra_err e2 = {0};
    ra_fail(&e2, SC_EINVAL, "ident.uscc_checksum", "org_uscc", "x");
    char buf[300];
    assert_non_null(strstr(ra_message(&e2, "zh", buf, sizeof(buf)), "统一社会信用代码"));
    assert_non_null(strstr(ra_message(&e2, "en", buf, sizeof(buf)), "USCC"));
    assert_int_equal(ra_http_status(&e2), 400);
}

static void test_fields(void **state)
{
    ra_catalog *cat = NULL;
    ra_err re = {0};
    assert_int_equal(ra_catalog_load(NULL, &cat, &re), 0);
    ra r;
    memset(&r, 0, sizeof(r));
    r.cat = cat;
    struct {
        const char *json, *code, *field;
    } cases[] = {
        {"{\"org_uscc\":\"91350100M000100Y43\"}", NULL, NULL},
        {"{\"org_uscc\":\"91350100M000100Y44\"}", "ident.uscc_checksum", "org_uscc"},
        {"{\"legal_id_number\":\"11010519491231002x\"}", NULL, NULL},
        {"{\"legal_id_number\":\"110105194913310020\"}", NULL, "legal_id_number"},
        {"{\"legal_id_type\":\"other\",\"legal_id_number\":\"P1234567\"}", NULL, NULL},
        {"{\"agent_mobile\":\"23800138000\"}", "ident.mobile_prefix", "agent_mobile"},
        {"{\"legal_phone\":\"0991-1234567\"}", NULL, NULL},
        {"{\"person_email\":\"a@b\"}", "field.bad_email", "person_email"},
        {"{\"auth_to\":\"2026-02-30\"}", "field.bad_date", "auth_to"},
        {"{\"bank_account\":\"12ab\"}", "field.bad_bank_account", "bank_account"},
        {"{\"service_point\":\"changji\"}", NULL, NULL},
        {"{\"service_point\":\"mars\"}", "field.choice", "service_point"},
        {"{\"medium\":\"floppy\"}", "field.choice", "medium"},
        {"{\"years\":0}", "field.range", "years"},
        {"{\"years\":\"1\"}", "field.type", "years"},
        {"{\"hack\":1}", "field.unknown", "hack"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *all = json_object(), *p = json_loads(cases[i].json, 0, NULL);
        memset(&re, 0, sizeof(re));
        int rc = ra_fields_merge(&r, all, p, &re);
        if (cases[i].field == NULL) {
            if (rc != 0) fail_msg("%s: %s", cases[i].json, re.e.code);
        } else {
            if (rc == 0) fail_msg("%s accepted", cases[i].json);
            assert_string_equal(re.field, cases[i].field);
            if (cases[i].code) assert_string_equal(re.e.code, cases[i].code);
        }
        json_decref(all);
        json_decref(p);
    }
    ra_catalog_free(cat);
}

/* ---- on a store ---- */

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
    o.name = "RA 单元测试";
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

static void test_accounts_sessions(void **state)
{
    fx *f = *state;
    ra_err re = {0};
    int64_t a = 0, b = 0;
    assert_int_equal(
        ra_account_register(&f->r, "13800138000", "A@x.cn", "password-aaa-1", "甲", &a, &re), 0);
    assert_int_equal(
        ra_account_register(&f->r, "13800138001", "b@x.cn", "password-bbb-1", "乙", &b, &re), 0);
    memset(&re, 0, sizeof(re));
    assert_int_equal(
        ra_account_register(&f->r, "13800138000", "c@x.cn", "password-ccc-1", "丙", &b, &re),
        SC_EEXIST);
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_account_register(&f->r, "13800138002", "d@x.cn", "short", "丁", &b, &re),
                     SC_EINVAL);
    assert_string_equal(re.e.code, "account.weak_password");
    /* the phone is stored sealed, never in clear */
    tdb_exec(&f->db, "UPDATE ra_accounts SET name = name"); /* a second connection sees it */
    char tok[48];
    ra_session s, s2;
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_login(&f->r, "a@x.cn", "password-aaa-1", "1.1.1.1", tok, &s, &re), 0);
    assert_int_equal(s.acct.id, a);
    assert_string_equal(s.acct.phone, "13800138000");
    assert_int_equal(ra_session_get(&f->r, tok, &s2, &re), 0);
    assert_int_equal(ra_csrf_check(&s2, s.csrf, &re), 0);
    assert_int_not_equal(ra_csrf_check(&s2, "forged-forged-forged-forged-1234", &re), 0);
    /* idle expiry */
    f->r.clock_offset = f->r.session_idle + 5;
    memset(&re, 0, sizeof(re));
    assert_int_not_equal(ra_session_get(&f->r, tok, &s2, &re), 0);
    assert_string_equal(re.e.code, "auth.required");
    f->r.clock_offset = 0;
    /* absolute expiry even while active */
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_login(&f->r, "13800138000", "password-aaa-1", "1.1.1.1", tok, &s, &re), 0);
    for (int64_t t = 0; t <= f->r.session_max; t += f->r.session_idle - 60) {
        f->r.clock_offset = t;
        if (ra_session_get(&f->r, tok, &s2, &re) != 0) break;
    }
    f->r.clock_offset = f->r.session_max + 1;
    memset(&re, 0, sizeof(re));
    assert_int_not_equal(ra_session_get(&f->r, tok, &s2, &re), 0);
    f->r.clock_offset = 0;
    /* logout ends the token */
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_login(&f->r, "13800138000", "password-aaa-1", "1.1.1.1", tok, &s, &re), 0);
    assert_int_equal(ra_session_end(&f->r, tok, 0, &re), 0);
    assert_int_not_equal(ra_session_get(&f->r, tok, &s2, &re), 0);
    /* lockout after 5 failures, for the right password too */
    for (int i = 0; i < 5; i++) {
        memset(&re, 0, sizeof(re));
        assert_int_not_equal(ra_login(&f->r, "b@x.cn", "wrong-wrong-1", "2.2.2.2", tok, &s, &re),
                             0);
        assert_string_equal(re.e.code, "auth.bad_credentials");
    }
    memset(&re, 0, sizeof(re));
    assert_int_not_equal(ra_login(&f->r, "b@x.cn", "password-bbb-1", "3.3.3.3", tok, &s, &re), 0);
    assert_string_equal(re.e.code, "auth.locked");
    f->r.clock_offset = 901;
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_login(&f->r, "b@x.cn", "password-bbb-1", "3.3.3.3", tok, &s, &re), 0);
    f->r.clock_offset = 0;
}

static void test_orders_ownership(void **state)
{
    fx *f = *state;
    ra_err re = {0};
    int64_t a = 0, b = 0, id = 0;
    char tok[48], no[32];
    ra_session sa, sb;
    assert_int_equal(
        ra_account_register(&f->r, "13900139000", "a@y.cn", "password-aaa-1", "甲", &a, &re), 0);
    assert_int_equal(
        ra_account_register(&f->r, "13900139001", "b@y.cn", "password-bbb-1", "乙", &b, &re), 0);
    assert_int_equal(ra_login(&f->r, "a@y.cn", "password-aaa-1", "1", tok, &sa, &re), 0);
    assert_int_equal(ra_login(&f->r, "b@y.cn", "password-bbb-1", "1", tok, &sb, &re), 0);
    json_t *req = json_loads("{\"business\":\"new\",\"subject_kind\":\"organization\","
                             "\"medium\":\"usbkey\",\"years\":2,\"bank_account\":"
                             "\"6222020200112233445\"}",
                             0, NULL);
    assert_int_equal(ra_order_create(&f->r, &sa, req, sa.acct.id, &id, no, &re), 0);
    json_decref(req);
    json_t *o = NULL;
    assert_int_equal(ra_order_get(&f->r, &sa, id, &o, &re), 0);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "draft");
    assert_int_equal(json_integer_value(json_object_get(o, "price_fen")), 100000); /* 2 years */
    assert_string_equal(json_string_value(json_object_get(o, "bank_account")),
                        "6222020200112233445");
    json_decref(o);
    /* the other applicant: 404, and no change */
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_order_get(&f->r, &sb, id, &o, &re), SC_ENOTFOUND);
    json_t *p = json_loads("{\"project\":\"x\"}", 0, NULL);
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_order_patch(&f->r, &sb, id, p, &re), SC_ENOTFOUND);
    json_decref(p);
    /* submit refuses an incomplete order and changes nothing */
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_order_submit(&f->r, &sa, id, &re), SC_EINVAL);
    assert_string_equal(re.e.code, "field.required");
    assert_int_equal(ra_order_get(&f->r, &sa, id, &o, &re), 0);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "draft");
    assert_int_equal(json_array_size(json_object_get(o, "history")), 0);
    json_decref(o);
    /* an illegal transition through the API functions: cancel twice */
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_order_cancel(&f->r, &sa, id, "不需要了", &re), 0);
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_order_cancel(&f->r, &sa, id, "again", &re), SC_ESTATE);
    assert_string_equal(re.e.code, "order.bad_state");
    /* the bank account is sealed at rest */
    uint8_t buf[4096];
    size_t got = tdb_blob_sql(&f->db, "SELECT pii FROM ra_orders", NULL, NULL, 0, buf, sizeof(buf));
    assert_true(got > 0);
    assert_null(memmem(buf, got, "6222020200112233445", 19));
}

static void test_staff_roles(void **state)
{
    fx *f = *state;
    ra_err re = {0};
    sc_key *k = NULL;
    sc_err e = {0};
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k, &e), 0);
    ra_staff_new sup = {.login = "root",
                        .name = "超管",
                        .password = "super-pass-123",
                        .role = RA_ROLE_SUPER_ADMIN,
                        .pub = k};
    int64_t id = 0;
    assert_int_equal(ra_staff_add(&f->r, NULL, &sup, &id, NULL, &re), 0);
    ra_session s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(ra_account_get(&f->r, id, &s.acct, &re), 0);
    snprintf(s.actor, sizeof(s.actor), "staff:root");
    /* the super admin creates business admins, not operators or auditors */
    ra_staff_new op = {.login = "op",
                       .name = "操作员",
                       .password = "op-pass-12345",
                       .role = RA_ROLE_OPERATOR,
                       .duties = RA_DUTY_REVIEW,
                       .service_point = "changji",
                       .pub = k};
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_staff_add(&f->r, &s, &op, &id, NULL, &re), SC_EINVAL);
    assert_string_equal(re.e.code, "auth.forbidden");
    ra_staff_new ba = {.login = "ba",
                       .name = "业务管理员",
                       .password = "ba-pass-12345",
                       .role = RA_ROLE_BUSINESS_ADMIN,
                       .pub = k};
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_staff_add(&f->r, &s, &ba, &id, NULL, &re), 0);
    ra_session sba;
    memset(&sba, 0, sizeof(sba));
    assert_int_equal(ra_account_get(&f->r, id, &sba.acct, &re), 0);
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_staff_add(&f->r, &sba, &op, &id, NULL, &re), 0);
    /* an operator needs a known service point */
    op.login = "op2";
    op.service_point = "mars";
    memset(&re, 0, sizeof(re));
    assert_int_equal(ra_staff_add(&f->r, &sba, &op, &id, NULL, &re), SC_EINVAL);
    assert_string_equal(re.field, "service_point");
    crypto_key_free(k);
    /* a signed action by someone who is not staff is refused */
    ra_session app;
    memset(&app, 0, sizeof(app));
    json_t *pl = NULL;
    memset(&re, 0, sizeof(re));
    assert_int_not_equal(ra_signed_action(&f->r, &app, "{}", "AA==", "review", 1, &pl, &re), 0);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_state_table),
        cmocka_unit_test(test_checklist),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_fields),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_accounts_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orders_ownership, setup, teardown),
        cmocka_unit_test_setup_teardown(test_staff_roles, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("ra", plain, NULL, NULL);
    int drivers = tdb_drivers();
    failed += drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed +=
            cmocka_run_group_tests_name(g_pg ? "ra[postgresql]" : "ra[sqlite]", tests, NULL, NULL);
    return failed != 0;
}
