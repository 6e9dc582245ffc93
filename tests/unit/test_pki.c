/* test_pki.c - the CA core end to end: profiles, issuance checked by OpenSSL, refusals that record
 * nothing, revocation, full/delta CRLs, rollover, CSRs. */
#include "testdb.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "audit/audit.h"
#include "pki/pki.h"

/* after pki.h: x509v3.h defines KU_* macros that would shadow sealca's enum; the tests use
 * OpenSSL's X509v3_KU_* names for OpenSSL's bits */
#include <openssl/x509v3.h>
#undef KU_DIGITAL_SIGNATURE
#undef KU_NON_REPUDIATION
#undef KU_KEY_ENCIPHERMENT
#undef KU_DATA_ENCIPHERMENT
#undef KU_KEY_AGREEMENT
#undef KU_KEY_CERT_SIGN
#undef KU_CRL_SIGN

#define PASS        "unit-test passphrase"
#define USCC        "91350100M000100Y43"
#define IDNUM       "11010519491231002X"
#define ORG_SUBJECT "CN=福州测试科技有限公司,O=福州测试科技有限公司,C=CN"

/* One SM2 CA home per driver for the whole file (CA keys are scrypt-encrypted: opening is
 * slow); its database is a temp SQLite file or a fresh PostgreSQL schema (testdb.h). */
static int g_pg;  /* the driver main() is running the group on */
static tdb *g_db; /* the group's database, for raw SQL */

typedef struct fx {
    char *dir;
    char home[4200];
    pki_ca *ca;
    tdb db;
} fx;

static pki_ca *open_home(const char *home)
{
    pki_ca *ca = NULL;
    sc_err e = {0};
    if (ca_open(home, PASS, strlen(PASS), &ca, &e) != 0) fail_msg("ca_open: %s %s", e.code, e.msg);
    return ca;
}

static int make_home(const char *home, sc_alg alg, const char *database, sc_err *e)
{
    ca_init_opts o = {0};
    o.home = home;
    o.database = database;
    o.name = "sealca 测试 CA";
    o.alg = alg;
    o.base_url = "http://ca.example.test";
    o.pass = PASS;
    o.passlen = strlen(PASS);
    return ca_init(&o, e);
}

static int group_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    tdb_create(&f->db, g_pg, f->dir, "home/ca.db");
    g_db = &f->db;
    sc_err e = {0};
    /* SQLite keeps the default (sqlite:ca.db in the home), as `sealca init` does */
    if (make_home(f->home, SC_ALG_SM2, g_pg ? f->db.url : NULL, &e) != 0) {
        fprintf(stderr, "ca_init: %s %s\n", e.code, e.msg);
        return -1;
    }
    if (ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0) {
        fprintf(stderr, "ca_open: %s %s\n", e.code, e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fx *f = *state;
    ca_close(f->ca);
    tdb_drop(&f->db);
    g_db = NULL;
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static sc_key *new_key(sc_alg alg)
{
    sc_key *k = NULL;
    sc_err e = {0};
    assert_int_equal(crypto_key_generate(alg, &k, &e), 0);
    return k;
}

static int issue(pki_ca *ca, const char *profile, const char *subject, const char *uscc,
                 const char *id, int days, sc_key *pub, cert_info *out, sc_err *e)
{
    issue_req r = {0};
    r.profile = profile;
    r.subject = subject;
    r.uscc = uscc;
    r.id_number = id;
    r.pub = pub;
    r.days = days;
    r.actor = "unit-test";
    return pki_issue(ca, &r, out, e);
}

/* Issue with a fresh key of the CA's algorithm; fails the test on error. */
static void issue_ok(pki_ca *ca, const char *profile, const char *subject, const char *uscc,
                     const char *id, cert_info *out)
{
    sc_key *k = new_key(ca->alg);
    sc_err e = {0};
    if (issue(ca, profile, subject, uscc, id, 0, k, out, &e) != 0)
        fail_msg("pki_issue(%s): %s %s", profile, e.code, e.msg);
    crypto_key_free(k);
}

static void issue_person(pki_ca *ca, cert_info *out)
{
    issue_ok(ca, "person-sign", "CN=张三", NULL, IDNUM, out);
}

static int64_t cert_rows(pki_ca *ca)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(ca->db, ST_CERT_LIST, &st, &e), 0);
    for (int i = 1; i <= 4; i++)
        store_bind_null(st, i);
    store_bind_int64(st, 5, 1000000);
    store_bind_int64(st, 6, 0);
    int64_t n = 0;
    int rc;
    while ((rc = store_step(st, &e)) == STORE_ROW)
        n++;
    assert_int_equal(rc, STORE_DONE);
    store_exec(st, NULL);
    return n;
}

static int64_t audit_head(pki_ca *ca)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(ca->db, ST_AUDIT_HEAD, &st, &e), 0);
    int rc = store_step(st, &e);
    int64_t id = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_exec(st, NULL);
    return id;
}

static int64_t counter(pki_ca *ca, const char *name)
{
    store_stmt *st;
    sc_err e = {0};
    assert_int_equal(store_stmt_get(ca->db, ST_COUNTER_GET, &st, &e), 0);
    store_bind_text(st, 1, name);
    int rc = store_step(st, &e);
    int64_t v = rc == STORE_ROW ? store_col_int64(st, 0) : -1;
    store_exec(st, NULL);
    return v;
}

static void get(pki_ca *ca, const char *serial, cert_info *ci)
{
    sc_err e = {0};
    if (pki_cert_get(ca, serial, ci, &e) != 0) fail_msg("pki_cert_get: %s", e.msg);
}

static X509 *parse_cert(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    assert_ptr_equal(p, der + len);
    return x;
}

static void serial_hex(const ASN1_INTEGER *ai, char out[65])
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
    assert_non_null(bn);
    uint8_t b[32];
    int n = BN_num_bytes(bn);
    assert_true(n <= 16);
    assert_int_equal(BN_bn2binpad(bn, b, 16), 16);
    sc_hex_encode(b, 16, out, 0);
    BN_free(bn);
}

/* Raw SQL on the group CA's database through a second connection. */
static void sql_exec(pki_ca *ca, const char *sql)
{
    (void)ca;
    tdb_exec(g_db, sql);
}

/* ---- profiles ---- */

static int collect(void *arg, const pki_profile *p)
{
    char *names = arg;
    strcat(names, p->name);
    strcat(names, p->active ? "|" : "(retired)|");
    return 0;
}

static void test_profiles_listed(void **state)
{
    fx *f = *state;
    char names[2048] = "";
    sc_err e = {0};
    assert_int_equal(profile_list(f->ca->db, collect, names, &e), 0);
    /* in name order, latest version of each */
    assert_string_equal(names, "cost-engineer-enc|cost-engineer-sign|expert-enc|expert-sign|"
                               "issuing-ca|legal-representative-enc|legal-representative-sign|"
                               "ocsp|organization-enc|organization-sign|person-enc|person-sign|"
                               "root-ca|seal-maker|tls-server|tsa|");
    pki_profile p;
    assert_int_equal(profile_get(f->ca->db, "organization-sign", &p, &e), 0);
    assert_int_equal(p.role, PROF_END_ENTITY);
    assert_int_equal(p.identity, PROF_ID_USCC);
    assert_int_equal(p.key_usage, KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
    assert_true(p.builtin);
    assert_int_equal(p.version, 1);
    assert_string_equal(p.label, "单位签名证书");
    sc_err e2 = {0};
    assert_int_equal(profile_get(f->ca->db, "nope", &p, &e2), SC_ENOTFOUND);
    assert_string_equal(e2.code, "profile.not_found");
}

/* ---- issuance ---- */

static void check_ee_cert(fx *f, const cert_info *ci, int sign)
{
    X509 *x = parse_cert(ci->der, ci->derlen);
    pki_issuer *iss = ca_active_issuing(f->ca);
    assert_string_equal(ci->issuer, iss->id);
    /* keyUsage, critical */
    uint32_t ku = X509_get_key_usage(x);
    if (sign)
        assert_int_equal(ku, X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION);
    else
        assert_int_equal(ku, X509v3_KU_KEY_ENCIPHERMENT | X509v3_KU_DATA_ENCIPHERMENT |
                                 X509v3_KU_KEY_AGREEMENT);
    int idx = X509_get_ext_by_NID(x, NID_key_usage, -1);
    assert_true(idx >= 0);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, idx)), 1);
    /* end-entity: no basicConstraints at all, and OpenSSL agrees it is not a CA */
    assert_int_equal(X509_get_ext_by_NID(x, NID_basic_constraints, -1), -1);
    assert_int_equal(X509_check_ca(x), 0);
    /* serial: 16 bytes, positive, the one recorded */
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER);
    assert_int_equal(ASN1_STRING_length(sn), 16);
    char hex[65];
    serial_hex(sn, hex);
    assert_string_equal(hex, ci->serial);
    assert_int_equal(X509_get_version(x), 2);
    /* signed by the issuing CA, not by the root */
    sc_err e = {0};
    if (pki_verify_signed(ci->der, ci->derlen, iss->pub, &e) != 0)
        fail_msg("pki_verify_signed: %s", e.msg);
    pki_issuer *root = ca_issuer(f->ca, "root-1");
    sc_err e2 = {0};
    assert_int_equal(pki_verify_signed(ci->der, ci->derlen, root->pub, &e2), SC_EVERIFY);
    /* issuer name is the issuing CA's subject */
    X509 *ix = parse_cert(iss->der, iss->derlen);
    assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ix)), 0);
    /* OpenSSL itself verifies it, given the GM/T 0009 distinguishing ID */
    if (f->ca->alg == SC_ALG_SM2) {
        ASN1_OCTET_STRING *id = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(id, (const unsigned char *)SC_SM2_DEFAULT_ID, SC_SM2_DEFAULT_ID_LEN);
        X509_set0_distinguishing_id(x, id);
    }
    assert_int_equal(X509_verify(x, X509_get0_pubkey(ix)), 1);
    /* stored as returned */
    cert_info got;
    get(f->ca, ci->serial, &got);
    assert_int_equal(got.derlen, ci->derlen);
    assert_memory_equal(got.der, ci->der, ci->derlen);
    assert_string_equal(got.status, "good");
    assert_int_equal(got.reason, -1);
    cert_info_free(&got);
    X509_free(ix);
    X509_free(x);
}

/* The contents of a non-critical extension by OID, as a TLV inside the OCTET STRING. */
static int ext_value(X509 *x, const char *oid, const unsigned char **val, int *len)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    int idx = X509_get_ext_by_OBJ(x, o, -1);
    ASN1_OBJECT_free(o);
    if (idx < 0) return -1;
    ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(X509_get_ext(x, idx));
    *val = ASN1_STRING_get0_data(os);
    *len = ASN1_STRING_length(os);
    return 0;
}

static void test_issue_organization_sign(void **state)
{
    fx *f = *state;
    cert_info ci;
    issue_ok(f->ca, "organization-sign", ORG_SUBJECT, USCC, NULL, &ci);
    check_ee_cert(f, &ci, 1);
    assert_string_equal(ci.profile, "organization-sign");
    assert_int_equal(ci.profile_version, 1);
    X509 *x = parse_cert(ci.der, ci.derlen);
    char cn[256];
    assert_true(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0);
    assert_string_equal(cn, "福州测试科技有限公司");
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName, cn,
                                          sizeof(cn)) > 0);
    assert_string_equal(cn, "福州测试科技有限公司");
    /* GM/T 0015 USCC extension: a PrintableString with the code */
    const unsigned char *v;
    int vl;
    assert_int_equal(ext_value(x, "1.2.156.10260.4.4", &v, &vl), 0);
    assert_int_equal(vl, 2 + 18);
    assert_int_equal(v[0], V_ASN1_PRINTABLESTRING);
    assert_int_equal(v[1], 18);
    assert_memory_equal(v + 2, USCC, 18);
    /* no person identity in an organization certificate; EKU clientAuth */
    assert_int_equal(ext_value(x, "1.2.156.10260.4.1.1", &v, &vl), -1);
    assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
    X509_free(x);
    cert_info_free(&ci);
}

static void test_issue_person_sign(void **state)
{
    fx *f = *state;
    cert_info ci;
    issue_person(f->ca, &ci);
    check_ee_cert(f, &ci, 1);
    X509 *x = parse_cert(ci.der, ci.derlen);
    char cn[256];
    assert_true(
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof(cn)) > 0);
    assert_string_equal(cn, "张三");
    const unsigned char *v;
    int vl;
    assert_int_equal(ext_value(x, "1.2.156.10260.4.1.1", &v, &vl), 0);
    assert_int_equal(v[0], 0x80);
    assert_int_equal(v[1], 18);
    assert_memory_equal(v + 2, IDNUM, 18);
    assert_int_equal(ext_value(x, "1.2.156.10260.4.4", &v, &vl), -1);
    X509_free(x);
    cert_info_free(&ci);
}

static void test_issue_enc_profiles(void **state)
{
    fx *f = *state;
    cert_info ci;
    issue_ok(f->ca, "organization-enc", ORG_SUBJECT, USCC, NULL, &ci);
    check_ee_cert(f, &ci, 0);
    cert_info_free(&ci);
    issue_ok(f->ca, "person-enc", "CN=李四", NULL, IDNUM, &ci);
    check_ee_cert(f, &ci, 0);
    cert_info_free(&ci);
    /* the remaining person-identity pairs issue too */
    static const char *const more[] = {"cost-engineer-sign", "cost-engineer-enc", "expert-sign",
                                       "expert-enc"};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        issue_ok(f->ca, more[i], "CN=王五", NULL, IDNUM, &ci);
        check_ee_cert(f, &ci, strstr(more[i], "-sign") != NULL);
        cert_info_free(&ci);
    }
    issue_ok(f->ca, "legal-representative-sign", "CN=赵六,O=某某公司", NULL, IDNUM, &ci);
    check_ee_cert(f, &ci, 1);
    cert_info_free(&ci);
}

typedef struct bad_case {
    const char *what, *profile, *subject, *uscc, *id;
    int days;
    int wrong_alg;
    int status;
    const char *code;
} bad_case;

static void test_issue_refusals_record_nothing(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    /* a retired profile to refuse */
    pki_profile p;
    assert_int_equal(profile_get(f->ca->db, "person-sign", &p, &e), 0);
    assert_int_equal(profile_put(f->ca->db, "old-person", p.definition, "unit-test", NULL, &e), 0);
    assert_int_equal(profile_retire(f->ca->db, "old-person", "unit-test", &e), 0);

    static const bad_case cases[] = {
        {"unknown profile", "no-such-profile", "CN=张三", NULL, IDNUM, 0, 0, SC_ENOTFOUND,
         "profile.not_found"},
        {"retired profile", "old-person", "CN=张三", NULL, IDNUM, 0, 0, SC_ESTATE,
         "profile.retired"},
        {"CA profile", "issuing-ca", "CN=x,O=y,C=CN", NULL, NULL, 0, 0, SC_EINVAL,
         "profile.not_end_entity"},
        {"missing uscc", "organization-sign", ORG_SUBJECT, NULL, NULL, 0, 0, SC_EINVAL,
         "ident.uscc_missing"},
        {"bad uscc checksum", "organization-sign", ORG_SUBJECT, "91350100M000100Y44", NULL, 0, 0,
         SC_EINVAL, "ident.uscc_checksum"},
        {"uscc on a person profile", "person-sign", "CN=张三", USCC, IDNUM, 0, 0, SC_EINVAL,
         "ident.uscc_unexpected"},
        {"missing id", "person-sign", "CN=张三", NULL, NULL, 0, 0, SC_EINVAL, "ident.id_missing"},
        {"bad id checksum", "person-sign", "CN=张三", NULL, "110105194912310021", 0, 0, SC_EINVAL,
         "ident.id_checksum"},
        {"missing O", "organization-sign", "CN=福州测试科技有限公司,C=CN", USCC, NULL, 0, 0,
         SC_EINVAL, "subject.missing_attribute"},
        {"bad subject", "person-sign", "CN=", NULL, IDNUM, 0, 0, SC_EINVAL, "name.empty_value"},
        {"no subject", "person-sign", NULL, NULL, IDNUM, 0, 0, SC_EINVAL, "subject.missing"},
        {"days over max", "person-sign", "CN=张三", NULL, IDNUM, 1827, 0, SC_EINVAL,
         "issue.bad_days"},
        {"negative days", "person-sign", "CN=张三", NULL, IDNUM, -1, 0, SC_EINVAL,
         "issue.bad_days"},
        {"wrong key algorithm", "person-sign", "CN=张三", NULL, IDNUM, 0, 1, SC_EINVAL,
         "csr.wrong_alg"},
    };
    sc_key *good = new_key(f->ca->alg);
    sc_key *wrong = new_key(f->ca->alg == SC_ALG_SM2 ? SC_ALG_ECDSA_P256 : SC_ALG_SM2);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const bad_case *c = &cases[i];
        int64_t certs = cert_rows(f->ca), head = audit_head(f->ca);
        cert_info ci;
        sc_err ie = {0};
        int rc = issue(f->ca, c->profile, c->subject, c->uscc, c->id, c->days,
                       c->wrong_alg ? wrong : good, &ci, &ie);
        if (rc != c->status || strcmp(ie.code, c->code) != 0)
            fail_msg("%s: got %d %s (%s), expected %d %s", c->what, rc, ie.code, ie.msg, c->status,
                     c->code);
        assert_null(ci.der);
        assert_true(cert_rows(f->ca) == certs);
        assert_true(audit_head(f->ca) == head);
    }
    /* the CA's own key is refused too */
    int64_t certs = cert_rows(f->ca);
    cert_info ci;
    sc_err ke = {0};
    assert_int_equal(issue(f->ca, "person-sign", "CN=张三", NULL, IDNUM, 0,
                           ca_active_issuing(f->ca)->pub, &ci, &ke),
                     SC_EINVAL);
    assert_string_equal(ke.code, "csr.ca_key");
    assert_true(cert_rows(f->ca) == certs);
    /* and the same request with the right inputs goes through (the refusals were for cause) */
    assert_int_equal(issue(f->ca, "person-sign", "CN=张三", NULL, IDNUM, 1826, good, &ci, &e), 0);
    assert_true(cert_rows(f->ca) == certs + 1);
    cert_info_free(&ci);
    crypto_key_free(good);
    crypto_key_free(wrong);
}

/* ---- revocation ---- */

static void test_revoke_twice(void **state)
{
    fx *f = *state;
    cert_info ci, got;
    issue_person(f->ca, &ci);
    sc_err e = {0};
    int64_t inval = (int64_t)time(NULL) - 7200;
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_KEY_COMPROMISE, inval, "unit-test", &e),
                     0);
    get(f->ca, ci.serial, &got);
    assert_string_equal(got.status, "revoked");
    assert_int_equal(got.reason, REASON_KEY_COMPROMISE);
    assert_true(got.revoked_at > 0);
    assert_true(got.invalidity_at == inval);
    int64_t at = got.revoked_at;
    cert_info_free(&got);

    int64_t head = audit_head(f->ca), seq = counter(f->ca, "status");
    sc_err e2 = {0};
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_SUPERSEDED, 0, "unit-test", &e2),
                     SC_ESTATE);
    assert_string_equal(e2.code, "revoke.already_revoked");
    sc_err e3 = {0};
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_CERTIFICATE_HOLD, 0, "unit-test", &e3),
                     SC_ESTATE);
    assert_string_equal(e3.code, "revoke.already_revoked");
    get(f->ca, ci.serial, &got);
    assert_string_equal(got.status, "revoked");
    assert_int_equal(got.reason, REASON_KEY_COMPROMISE);
    assert_true(got.revoked_at == at);
    assert_true(got.invalidity_at == inval);
    assert_true(audit_head(f->ca) == head);
    assert_true(counter(f->ca, "status") == seq);
    cert_info_free(&got);

    /* bad inputs */
    static const int bad_reasons[] = {-1, 7, REASON_REMOVE_FROM_CRL, 10};
    for (size_t i = 0; i < 4; i++) {
        sc_err be = {0};
        assert_int_equal(pki_revoke(f->ca, ci.serial, bad_reasons[i], 0, "t", &be), SC_EINVAL);
        assert_string_equal(be.code, "revoke.bad_reason");
    }
    sc_err fe = {0};
    assert_int_equal(pki_revoke(f->ca, ci.serial, 1, (int64_t)time(NULL) + 3600, "t", &fe),
                     SC_EINVAL);
    assert_string_equal(fe.code, "revoke.bad_invalidity");
    sc_err ne = {0};
    assert_int_equal(pki_revoke(f->ca, "00000000000000000000000000000001", 1, 0, "t", &ne),
                     SC_ENOTFOUND);
    assert_string_equal(ne.code, "cert.not_found");
    sc_err se = {0};
    assert_int_equal(pki_revoke(f->ca, "xyz", 1, 0, "t", &se), SC_EINVAL);
    assert_string_equal(se.code, "serial.bad");
    assert_true(audit_head(f->ca) == head);
    /* serials are accepted with colons and upper case */
    char colon[64] = "";
    for (int i = 0; i < 16; i++) {
        char b[4] = {(char)(ci.serial[2 * i] & ~0x20 & 0x7f), ci.serial[2 * i + 1], ':', 0};
        if (ci.serial[2 * i] <= '9') b[0] = ci.serial[2 * i];
        strcat(colon, b);
    }
    colon[strlen(colon) - 1] = 0;
    get(f->ca, colon, &got);
    assert_string_equal(got.serial, ci.serial);
    cert_info_free(&got);
    cert_info_free(&ci);
}

static void test_hold_resume(void **state)
{
    fx *f = *state;
    cert_info ci, got;
    issue_person(f->ca, &ci);
    sc_err e = {0};
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_CERTIFICATE_HOLD, 0, "t", &e), 0);
    get(f->ca, ci.serial, &got);
    assert_string_equal(got.status, "hold");
    assert_int_equal(got.reason, REASON_CERTIFICATE_HOLD);
    cert_info_free(&got);
    sc_err e2 = {0};
    int64_t head = audit_head(f->ca);
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_CERTIFICATE_HOLD, 0, "t", &e2), SC_ESTATE);
    assert_string_equal(e2.code, "revoke.already_held");
    assert_true(audit_head(f->ca) == head);
    assert_int_equal(pki_resume(f->ca, ci.serial, "t", &e), 0);
    assert_true(audit_head(f->ca) == head + 1);
    get(f->ca, ci.serial, &got);
    assert_string_equal(got.status, "good");
    assert_int_equal(got.reason, -1);
    assert_true(got.revoked_at == 0);
    cert_info_free(&got);
    sc_err e3 = {0};
    assert_int_equal(pki_resume(f->ca, ci.serial, "t", &e3), SC_ESTATE);
    assert_string_equal(e3.code, "resume.not_held");
    /* held again after a resume, then revoked for good */
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_CERTIFICATE_HOLD, 0, "t", &e), 0);
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_CESSATION, 0, "t", &e), 0);
    get(f->ca, ci.serial, &got);
    assert_string_equal(got.status, "revoked");
    assert_int_equal(got.reason, REASON_CESSATION);
    cert_info_free(&got);
    cert_info_free(&ci);
}

static void test_resume_revoked(void **state)
{
    fx *f = *state;
    cert_info ci, got;
    issue_person(f->ca, &ci);
    sc_err e = {0};
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_AFFILIATION_CHANGED, 0, "t", &e), 0);
    int64_t head = audit_head(f->ca);
    sc_err e2 = {0};
    assert_int_equal(pki_resume(f->ca, ci.serial, "t", &e2), SC_ESTATE);
    assert_string_equal(e2.code, "resume.revoked");
    get(f->ca, ci.serial, &got);
    assert_string_equal(got.status, "revoked");
    assert_int_equal(got.reason, REASON_AFFILIATION_CHANGED);
    assert_true(audit_head(f->ca) == head);
    cert_info_free(&got);
    cert_info_free(&ci);
}

static void test_hold_then_revoke_keeps_time(void **state)
{
    fx *f = *state;
    cert_info ci, got;
    issue_person(f->ca, &ci);
    sc_err e = {0};
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_CERTIFICATE_HOLD, 0, "t", &e), 0);
    /* move the hold a day into the past, so "now" and "the original time" differ */
    int64_t held = (int64_t)time(NULL) - 86400;
    char sql[256];
    snprintf(sql, sizeof(sql), "UPDATE certs SET revoked_at = %lld WHERE serial = '%s'",
             (long long)held, ci.serial);
    sql_exec(f->ca, sql);
    assert_int_equal(pki_revoke(f->ca, ci.serial, REASON_KEY_COMPROMISE, 0, "t", &e), 0);
    get(f->ca, ci.serial, &got);
    assert_string_equal(got.status, "revoked");
    assert_int_equal(got.reason, REASON_KEY_COMPROMISE);
    assert_true(got.revoked_at == held);
    cert_info_free(&got);
    cert_info_free(&ci);
}

/* ---- CRLs ---- */

static X509_CRL *parse_crl(const sc_buf *der)
{
    const unsigned char *p = der->p;
    X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)der->len);
    assert_non_null(c);
    assert_ptr_equal(p, der->p + der->len);
    return c;
}

static int64_t crl_int_ext(X509_CRL *c, int nid)
{
    int crit = -1;
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(c, nid, &crit, NULL);
    if (n == NULL) return -1;
    int64_t v = -1;
    assert_int_equal(ASN1_INTEGER_get_int64(&v, n), 1);
    ASN1_INTEGER_free(n);
    return v;
}

/* The entry for serial: its reason code (-1: no reason extension), or -2 when not listed. */
static int crl_entry(X509_CRL *c, const char *serial, int64_t *at)
{
    STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(c);
    for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(revs, i);
        char hex[65];
        serial_hex(X509_REVOKED_get0_serialNumber(r), hex);
        if (strcmp(hex, serial) != 0) continue;
        if (at != NULL) {
            struct tm tm;
            assert_int_equal(ASN1_TIME_to_tm(X509_REVOKED_get0_revocationDate(r), &tm), 1);
            *at = (int64_t)timegm(&tm);
        }
        int crit = -1;
        ASN1_ENUMERATED *en = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
        if (en == NULL) return -1;
        int reason = (int)ASN1_ENUMERATED_get(en);
        ASN1_ENUMERATED_free(en);
        return reason;
    }
    return -2;
}

static X509_CRL *make_crl(fx *f, pki_issuer *iss, int delta, crl_result *res)
{
    sc_buf der = {0};
    sc_err e = {0};
    if (pki_crl_generate(f->ca, iss, delta, &der, res, &e) != 0)
        fail_msg("pki_crl_generate: %s %s", e.code, e.msg);
    sc_err ve = {0};
    if (pki_verify_signed(der.p, der.len, iss->pub, &ve) != 0)
        fail_msg("CRL signature: %s", ve.msg);
    X509_CRL *c = parse_crl(&der);
    /* the number in the CRL is the one reported; issuer is the CA */
    assert_true(crl_int_ext(c, NID_crl_number) == res->number);
    X509 *ix = parse_cert(iss->der, iss->derlen);
    assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(ix)), 0);
    if (f->ca->alg != SC_ALG_SM2) assert_int_equal(X509_CRL_verify(c, X509_get0_pubkey(ix)), 1);
    int n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(c));
    assert_true((int64_t)(n < 0 ? 0 : n) == res->entries);
    X509_free(ix);
    sc_buf_free(&der);
    return c;
}

static void test_delta_without_full(void **state)
{
    fx *f = *state;
    pki_issuer *root = ca_issuer(f->ca, "root-1");
    assert_non_null(root);
    int64_t head = audit_head(f->ca), num = counter(f->ca, "crl:root-1");
    sc_buf der = {0};
    crl_result res;
    sc_err e = {0};
    assert_int_equal(pki_crl_generate(f->ca, root, 1, &der, &res, &e), SC_ESTATE);
    assert_string_equal(e.code, "crl.no_base");
    assert_int_equal(der.len, 0);
    assert_true(audit_head(f->ca) == head);
    assert_true(counter(f->ca, "crl:root-1") == num);
    /* a non-CA issuer does not sign CRLs */
    sc_err e2 = {0};
    assert_int_equal(pki_crl_generate(f->ca, ca_issuer(f->ca, "ocsp-1"), 0, &der, &res, &e2),
                     SC_EINVAL);
    assert_string_equal(e2.code, "crl.not_ca");
    /* the root's full CRL (nothing revoked by the root: no entries) */
    X509_CRL *c = make_crl(f, root, 0, &res);
    assert_int_equal(res.entries, 0);
    assert_null(X509_CRL_get_REVOKED(c));
    X509_CRL_free(c);
}

static void test_crl_full_and_delta(void **state)
{
    fx *f = *state;
    pki_issuer *iss = ca_active_issuing(f->ca);
    cert_info a, b, c, u;
    issue_person(f->ca, &a);
    issue_person(f->ca, &b);
    issue_person(f->ca, &c);
    issue_person(f->ca, &u);
    sc_err e = {0};
    int64_t inval = (int64_t)time(NULL) - 3600;
    assert_int_equal(pki_revoke(f->ca, a.serial, REASON_KEY_COMPROMISE, inval, "t", &e), 0);
    assert_int_equal(pki_revoke(f->ca, u.serial, REASON_UNSPECIFIED, 0, "t", &e), 0);
    cert_info ai;
    get(f->ca, a.serial, &ai);

    crl_result f1, d1, f2, d2;
    X509_CRL *crl = make_crl(f, iss, 0, &f1);
    int64_t at = 0;
    assert_int_equal(crl_entry(crl, a.serial, &at), REASON_KEY_COMPROMISE);
    assert_true(at == ai.revoked_at);
    assert_int_equal(crl_entry(crl, u.serial, NULL), -1); /* unspecified: no reasonCode */
    assert_int_equal(crl_entry(crl, b.serial, NULL), -2);
    assert_int_equal(crl_entry(crl, c.serial, NULL), -2);
    /* invalidity date of a */
    STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
    int found_inv = 0;
    for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(revs, i);
        char hex[65];
        serial_hex(X509_REVOKED_get0_serialNumber(r), hex);
        ASN1_GENERALIZEDTIME *g = X509_REVOKED_get_ext_d2i(r, NID_invalidity_date, NULL, NULL);
        if (strcmp(hex, a.serial) == 0) {
            assert_non_null(g);
            struct tm tm;
            assert_int_equal(ASN1_TIME_to_tm(g, &tm), 1);
            assert_true((int64_t)timegm(&tm) == inval);
            found_inv = 1;
        }
        ASN1_GENERALIZEDTIME_free(g);
    }
    assert_true(found_inv);
    /* full CRL entries = everything revoked or on hold from this issuer */
    store_stmt *st;
    int64_t listed = 0;
    const char *states[] = {"revoked", "hold"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_stmt_get(f->ca->db, ST_CERT_COUNT, &st, &e), 0);
        store_bind_text(st, 1, iss->id);
        store_bind_text(st, 2, states[i]);
        assert_int_equal(store_step(st, &e), STORE_ROW);
        listed += store_col_int64(st, 0);
        store_exec(st, NULL);
    }
    assert_true(f1.entries == listed);
    assert_int_equal(crl_int_ext(crl, NID_delta_crl), -1); /* a full CRL is not a delta */
    X509_CRL_free(crl);

    /* hold b: the delta lists it as certificateHold, and only the changes since f1 */
    assert_int_equal(pki_revoke(f->ca, b.serial, REASON_CERTIFICATE_HOLD, 0, "t", &e), 0);
    crl = make_crl(f, iss, 1, &d1);
    assert_true(d1.number > f1.number);
    assert_true(crl_int_ext(crl, NID_delta_crl) == f1.number);
    int crit = 0;
    ASN1_INTEGER *di = X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL);
    assert_int_equal(crit, 1); /* RFC 5280 §5.2.4: critical */
    ASN1_INTEGER_free(di);
    assert_int_equal(crl_entry(crl, b.serial, NULL), REASON_CERTIFICATE_HOLD);
    assert_int_equal(crl_entry(crl, a.serial, NULL), -2);
    assert_int_equal(d1.entries, 1);
    X509_CRL_free(crl);

    /* the next full CRL has a larger number and lists the hold */
    crl = make_crl(f, iss, 0, &f2);
    assert_true(f2.number > d1.number);
    assert_int_equal(crl_entry(crl, b.serial, NULL), REASON_CERTIFICATE_HOLD);
    assert_int_equal(crl_entry(crl, a.serial, NULL), REASON_KEY_COMPROMISE);
    assert_true(f2.entries == listed + 1);
    X509_CRL_free(crl);

    /* resume b: the delta on f2 lists removeFromCRL */
    assert_int_equal(pki_resume(f->ca, b.serial, "t", &e), 0);
    crl = make_crl(f, iss, 1, &d2);
    assert_true(d2.number > f2.number);
    assert_true(crl_int_ext(crl, NID_delta_crl) == f2.number);
    assert_int_equal(crl_entry(crl, b.serial, NULL), REASON_REMOVE_FROM_CRL);
    assert_int_equal(d2.entries, 1);
    X509_CRL_free(crl);
    /* and a full CRL no longer lists b */
    crl_result f3;
    crl = make_crl(f, iss, 0, &f3);
    assert_int_equal(crl_entry(crl, b.serial, NULL), -2);
    assert_true(f3.number > d2.number);
    X509_CRL_free(crl);
    cert_info_free(&ai);
    cert_info_free(&a);
    cert_info_free(&b);
    cert_info_free(&c);
    cert_info_free(&u);
}

/* ---- profiles as data ---- */

static void test_profile_versions(void **state)
{
    fx *f = *state;
    cert_info old, neu, got;
    issue_ok(f->ca, "person-enc", "CN=张三", NULL, IDNUM, &old);
    pki_profile p;
    sc_err e = {0};
    assert_int_equal(profile_get(f->ca->db, "person-enc", &p, &e), 0);
    int v0 = p.version, v = 0;
    assert_int_equal(old.profile_version, v0);
    int64_t head = audit_head(f->ca);
    assert_int_equal(profile_put(f->ca->db, "person-enc", p.definition, "unit-test", &v, &e), 0);
    assert_int_equal(v, v0 + 1);
    assert_true(audit_head(f->ca) == head + 1);
    get(f->ca, old.serial, &got);
    assert_int_equal(got.profile_version, v0);
    cert_info_free(&got);
    issue_ok(f->ca, "person-enc", "CN=张三", NULL, IDNUM, &neu);
    assert_int_equal(neu.profile_version, v0 + 1);
    get(f->ca, neu.serial, &got);
    assert_int_equal(got.profile_version, v0 + 1);
    cert_info_free(&got);
    /* an invalid definition is refused and adds no version */
    sc_err be = {0};
    assert_int_equal(profile_put(f->ca->db, "person-enc", "role = end-entity\nkey_usage = bogus\n",
                                 "unit-test", &v, &be),
                     SC_EINVAL);
    assert_string_equal(be.code, "profile.bad_key_usage");
    assert_int_equal(profile_get(f->ca->db, "person-enc", &p, &e), 0);
    assert_int_equal(p.version, v0 + 1);
    /* retire: issuance stops, retiring twice is refused, unknown is not found */
    assert_int_equal(profile_put(f->ca->db, "short-lived", p.definition, "unit-test", &v, &e), 0);
    assert_int_equal(v, 1);
    assert_int_equal(profile_retire(f->ca->db, "short-lived", "unit-test", &e), 0);
    assert_int_equal(profile_get(f->ca->db, "short-lived", &p, &e), 0);
    assert_false(p.active);
    sc_err re = {0};
    assert_int_equal(profile_retire(f->ca->db, "short-lived", "unit-test", &re), SC_ESTATE);
    assert_string_equal(re.code, "profile.already_retired");
    sc_err ne = {0};
    assert_int_equal(profile_retire(f->ca->db, "never-was", "unit-test", &ne), SC_ENOTFOUND);
    sc_key *k = new_key(f->ca->alg);
    cert_info ci;
    sc_err ie = {0};
    assert_int_equal(issue(f->ca, "short-lived", "CN=张三", NULL, IDNUM, 0, k, &ci, &ie),
                     SC_ESTATE);
    assert_string_equal(ie.code, "profile.retired");
    crypto_key_free(k);
    /* a new version of a retired profile makes it active again */
    assert_int_equal(profile_put(f->ca->db, "short-lived", p.definition, "unit-test", &v, &e), 0);
    assert_int_equal(v, 2);
    issue_ok(f->ca, "short-lived", "CN=张三", NULL, IDNUM, &ci);
    assert_int_equal(ci.profile_version, 2);
    cert_info_free(&ci);
    cert_info_free(&old);
    cert_info_free(&neu);
}

/* ---- CSRs ---- */

static X509_REQ *openssl_csr(EVP_PKEY *pk, int with_distid)
{
    X509_REQ *req = X509_REQ_new();
    assert_int_equal(X509_REQ_set_version(req, 0), 1);
    X509_NAME *nm = X509_REQ_get_subject_name(req);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC, (const unsigned char *)"CN", -1, -1, 0),
        1);
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
                                                (const unsigned char *)"张三", -1, -1, 0),
                     1);
    assert_int_equal(X509_REQ_set_pubkey(req, pk), 1);
    if (with_distid) {
        EVP_MD_CTX *mc = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pc = NULL;
        assert_int_equal(EVP_DigestSignInit_ex(mc, &pc, "SM3", NULL, NULL, pk, NULL), 1);
        assert_int_equal(EVP_PKEY_CTX_set1_id(pc, SC_SM2_DEFAULT_ID, SC_SM2_DEFAULT_ID_LEN), 1);
        assert_true(X509_REQ_sign_ctx(req, mc) > 0);
        EVP_MD_CTX_free(mc);
    } else {
        assert_true(X509_REQ_sign(req, pk, EVP_sm3()) > 0);
    }
    return req;
}

static void test_csr(void **state)
{
    fx *f = *state;
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    assert_non_null(pk);
    X509_REQ *req = openssl_csr(pk, 1);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509_REQ(b, req), 1);
    char *pem = NULL;
    long pemlen = BIO_get_mem_data(b, &pem);
    csr c;
    sc_err e = {0};
    if (csr_parse((const uint8_t *)pem, (size_t)pemlen, &c, &e) != 0)
        fail_msg("csr_parse (PEM, distid): %s %s", e.code, e.msg);
    assert_non_null(c.pub);
    assert_non_null(strstr(c.subject, "CN=张三"));
    /* the key is the one OpenSSL put in */
    sc_buf spki = {0};
    assert_int_equal(crypto_key_spki(c.pub, &spki, &e), 0);
    unsigned char *ospki = NULL;
    int ol = i2d_PUBKEY(pk, &ospki);
    assert_int_equal((size_t)ol, spki.len);
    assert_memory_equal(ospki, spki.p, spki.len);
    OPENSSL_free(ospki);
    sc_buf_free(&spki);
    /* and it can be certified */
    cert_info ci;
    assert_int_equal(issue(f->ca, "person-sign", "CN=张三", NULL, IDNUM, 0, c.pub, &ci, &e), 0);
    cert_info_free(&ci);
    csr_free(&c);
    assert_null(c.pub);

    /* DER form of the same request */
    unsigned char *der = NULL;
    int dl = i2d_X509_REQ(req, &der);
    assert_true(dl > 0);
    assert_int_equal(csr_parse(der, (size_t)dl, &c, &e), 0);
    csr_free(&c);

    /* truncated DER */
    sc_err te = {0};
    assert_int_equal(csr_parse(der, (size_t)dl / 2, &c, &te), SC_EINVAL);
    assert_string_equal(te.code, "csr.malformed");
    assert_null(c.pub);
    /* one flipped bit in the signed part */
    der[dl / 2] ^= 0x01;
    sc_err fe = {0};
    assert_true(csr_parse(der, (size_t)dl, &c, &fe) != 0);
    assert_null(c.pub);
    der[dl / 2] ^= 0x01;
    OPENSSL_free(der);

    /* signed WITHOUT the GM/T 0009 ID (OpenSSL's default): refused */
    X509_REQ *plain = openssl_csr(pk, 0);
    der = NULL;
    dl = i2d_X509_REQ(plain, &der);
    assert_true(dl > 0);
    sc_err se = {0};
    assert_int_equal(csr_parse(der, (size_t)dl, &c, &se), SC_EVERIFY);
    assert_string_equal(se.code, "csr.bad_signature");
    assert_null(c.pub);
    OPENSSL_free(der);
    X509_REQ_free(plain);

    /* too big, garbage PEM, empty */
    size_t big = 70 * 1024;
    uint8_t *huge = malloc(big);
    memset(huge, 'A', big);
    memcpy(huge, pem, (size_t)pemlen);
    sc_err be = {0};
    assert_int_equal(csr_parse(huge, big, &c, &be), SC_ETOOBIG);
    assert_string_equal(be.code, "csr.too_big");
    free(huge);
    static const char garbage[] = "-----BEGIN CERTIFICATE REQUEST-----\n"
                                  "this is *not* base64 !!\n"
                                  "-----END CERTIFICATE REQUEST-----\n";
    sc_err ge = {0};
    assert_int_equal(csr_parse((const uint8_t *)garbage, strlen(garbage), &c, &ge), SC_EINVAL);
    assert_string_equal(ge.code, "csr.bad_pem");
    sc_err ge2 = {0};
    assert_int_equal(csr_parse((const uint8_t *)"hello world", 11, &c, &ge2), SC_EINVAL);
    assert_string_equal(ge2.code, "csr.bad_pem");
    sc_err ee = {0};
    assert_int_equal(csr_parse((const uint8_t *)"", 0, &c, &ee), SC_EINVAL);
    assert_string_equal(ee.code, "csr.empty");

    BIO_free(b);
    X509_REQ_free(req);
    EVP_PKEY_free(pk);
}

/* ---- concurrency ---- */

/* The audit checkpoint signer's public key, looked up among the CA's issuers. */
static int audit_key_of(void *arg, const char *signer, sc_key **out, sc_err *e)
{
    pki_ca *ca = arg;
    pki_issuer *is = ca_issuer(ca, signer);
    if (is == NULL) return sc_fail(e, SC_ENOTFOUND, "test.no_signer", "no issuer %s", signer);
    sc_buf spki = {0};
    int rc = crypto_key_spki(is->pub, &spki, e);
    if (rc == 0) rc = crypto_key_from_spki(spki.p, spki.len, out, e);
    sc_buf_free(&spki);
    return rc;
}

#define CRLS_PER_CHILD 5

/* What a child did in one round: the serial it issued and the CRL number it got. */
typedef struct round_out {
    int64_t crl;
    char serial[40];
} round_out;

/* Another node: its own process and store connection, issuing and publishing CRLs for sub-1. */
static void crl_child(const char *home, int fd)
{
    pki_ca *ca = NULL;
    sc_err e = {0};
    if (ca_open(home, PASS, strlen(PASS), &ca, &e) != 0) _exit(2);
    pki_issuer *iss = ca_issuer(ca, "sub-1");
    if (iss == NULL) _exit(3);
    sc_key *k = NULL;
    if (crypto_key_generate(SC_ALG_SM2, &k, &e) != 0) _exit(5);
    for (int i = 0; i < CRLS_PER_CHILD; i++) {
        round_out o;
        memset(&o, 0, sizeof(o));
        int rc = SC_ERETRY;
        for (int attempt = 0; attempt < 50 && rc == SC_ERETRY; attempt++) {
            cert_info ci;
            sc_err ie = {0};
            rc = issue(ca, "person-sign", "CN=张三", NULL, IDNUM, 0, k, &ci, &ie);
            if (rc == 0) {
                snprintf(o.serial, sizeof(o.serial), "%s", ci.serial);
                cert_info_free(&ci);
            }
        }
        if (rc != 0) _exit(6);
        rc = SC_ERETRY;
        for (int attempt = 0; attempt < 50 && rc == SC_ERETRY; attempt++) {
            sc_buf der = {0};
            crl_result res;
            sc_err ce = {0};
            rc = pki_crl_generate(ca, iss, 0, &der, &res, &ce);
            o.crl = res.number;
            sc_buf_free(&der);
        }
        if (rc != 0) _exit(4);
        if (write(fd, &o, sizeof(o)) != (ssize_t)sizeof(o)) _exit(7);
    }
    crypto_key_free(k);
    ca_close(ca);
    _exit(0);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Two processes (nodes) issue and generate CRLs for the same issuer at once: no serial twice,
 * CRL numbers strictly increasing per node, none repeated or skipped overall, each CRL carries
 * its row's number, and the audit chain both wrote to verifies. On PostgreSQL this is what the
 * counters row lock (READ COMMITTED) has to guarantee. */
static void test_crl_numbers_two_processes(void **state)
{
    fx *f = *state;
    char home[4200];
    snprintf(home, sizeof(home), "%s", f->home);
    int64_t before = counter(f->ca, "crl:sub-1"), certs_before = cert_rows(f->ca);
    /* no database connection is carried across fork */
    ca_close(f->ca);
    f->ca = NULL;
    pid_t pid[2];
    int fds[2][2];
    for (int c = 0; c < 2; c++) {
        assert_int_equal(pipe(fds[c]), 0);
        pid[c] = fork();
        assert_true(pid[c] >= 0);
        if (pid[c] == 0) {
            close(fds[c][0]);
            crl_child(home, fds[c][1]);
        }
        close(fds[c][1]);
    }
    int64_t nums[2 * CRLS_PER_CHILD] = {0};
    char serials[2 * CRLS_PER_CHILD][40];
    int n = 0;
    for (int c = 0; c < 2; c++) {
        round_out o;
        int64_t last = before;
        while (read(fds[c][0], &o, sizeof(o)) == (ssize_t)sizeof(o)) {
            assert_true(n < 2 * CRLS_PER_CHILD);
            assert_true(o.crl > last); /* each node sees its numbers grow */
            last = o.crl;
            nums[n] = o.crl;
            snprintf(serials[n], sizeof(serials[n]), "%s", o.serial);
            n++;
        }
        close(fds[c][0]);
        int st = 0;
        assert_int_equal(waitpid(pid[c], &st, 0), pid[c]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(n, 2 * CRLS_PER_CHILD);
    f->ca = open_home(home);
    qsort(nums, (size_t)n, sizeof(nums[0]), cmp_i64);
    for (int i = 0; i < n; i++) {
        assert_true(nums[i] == before + 1 + i); /* no repeat, no gap */
        uint8_t der[65536];
        long dl =
            tdb_blob_by_int(g_db, "SELECT der FROM crls WHERE issuer = 'sub-1' AND number = ?",
                            nums[i], der, sizeof(der));
        /* the store keeps only the newest CRLs of an issuer: older ones may be pruned */
        if (dl <= 0 && i < n - 2) continue;
        assert_true(dl > 0);
        sc_buf b = {0};
        sc_buf_append(&b, der, (size_t)dl);
        X509_CRL *c = parse_crl(&b);
        assert_true(crl_int_ext(c, NID_crl_number) == nums[i]);
        X509_CRL_free(c);
        sc_buf_free(&b);
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            assert_string_not_equal(serials[i], serials[j]);
    assert_true(cert_rows(f->ca) == certs_before + n);
    assert_true(counter(f->ca, "crl:sub-1") == before + n);
    audit_report rep;
    sc_err e = {0};
    if (audit_verify(f->ca->db, audit_key_of, f->ca, &rep, &e) != 0)
        fail_msg("audit_verify after two nodes: record %lld: %s", (long long)rep.first_bad,
                 rep.why);
}

/* ---- rollover (changes the active issuing CA: runs last) ---- */

static void test_rollover(void **state)
{
    fx *f = *state;
    cert_info before;
    issue_person(f->ca, &before);
    assert_string_equal(before.issuer, "sub-1");
    sc_err e = {0};
    if (ca_rollover(f->ca, "unit-test", &e) != 0) fail_msg("ca_rollover: %s %s", e.code, e.msg);
    /* pointers into ca->issuers are only valid after the rollover */
    pki_issuer *sub1 = ca_issuer(f->ca, "sub-1"), *sub2 = ca_issuer(f->ca, "sub-2");
    assert_non_null(sub1);
    assert_non_null(sub2);
    assert_ptr_equal(ca_active_issuing(f->ca), sub2);
    assert_false(sub1->active);
    assert_non_null(ca_issuer_for(f->ca, "ocsp", "sub-2"));
    pki_issuer *l12 = ca_issuer(f->ca, "sub-1-by-sub-2"), *l21 = ca_issuer(f->ca, "sub-2-by-sub-1");
    assert_non_null(l12);
    assert_non_null(l21);
    assert_string_equal(l12->role, "link");
    /* old key certified by the new one, and the new key by the old one */
    assert_int_equal(pki_verify_signed(l12->der, l12->derlen, sub2->pub, &e), 0);
    assert_true(crypto_key_equal_public(l12->pub, sub1->pub));
    assert_int_equal(pki_verify_signed(l21->der, l21->derlen, sub1->pub, &e), 0);
    assert_true(crypto_key_equal_public(l21->pub, sub2->pub));
    sc_err we = {0};
    assert_int_equal(pki_verify_signed(l12->der, l12->derlen, sub1->pub, &we), SC_EVERIFY);
    /* the link certificates carry the subject names of the keys they certify */
    assert_int_equal(l12->subject_der.len, sub1->subject_der.len);
    assert_memory_equal(l12->subject_der.p, sub1->subject_der.p, sub1->subject_der.len);
    assert_int_equal(l21->subject_der.len, sub2->subject_der.len);
    assert_memory_equal(l21->subject_der.p, sub2->subject_der.p, sub2->subject_der.len);
    /* the new CA is certified by the root */
    assert_int_equal(
        pki_verify_signed(sub2->der, sub2->derlen, ca_issuer(f->ca, "root-1")->pub, &e), 0);

    /* new certificates come from sub-2 */
    cert_info after;
    issue_person(f->ca, &after);
    assert_string_equal(after.issuer, "sub-2");
    assert_int_equal(pki_verify_signed(after.der, after.derlen, sub2->pub, &e), 0);
    sc_err e2 = {0};
    assert_int_equal(pki_verify_signed(after.der, after.derlen, sub1->pub, &e2), SC_EVERIFY);

    /* sub-1 still signs CRLs for what it issued */
    assert_int_equal(pki_revoke(f->ca, before.serial, REASON_SUPERSEDED, 0, "t", &e), 0);
    crl_result r1;
    X509_CRL *c = make_crl(f, sub1, 0, &r1); /* checks the signature with sub-1's key */
    assert_int_equal(crl_entry(c, before.serial, NULL), REASON_SUPERSEDED);
    X509_CRL_free(c);
    crl_result r2;
    c = make_crl(f, sub2, 0, &r2);
    assert_int_equal(crl_entry(c, before.serial, NULL), -2);
    X509_CRL_free(c);

    /* the state survives reopening the home */
    char home[4200];
    snprintf(home, sizeof(home), "%s", f->home);
    ca_close(f->ca);
    f->ca = open_home(home);
    assert_string_equal(ca_active_issuing(f->ca)->id, "sub-2");
    assert_non_null(ca_issuer(f->ca, "sub-1-by-sub-2"));
    assert_false(ca_issuer(f->ca, "sub-1")->active);
    cert_info again;
    issue_person(f->ca, &again);
    assert_string_equal(again.issuer, "sub-2");
    /* and the audit log, with the rollover's checkpoint signed by sub-2, verifies */
    cert_info_free(&again);
    cert_info_free(&before);
    cert_info_free(&after);
}

static int audit_key(void *arg, const char *signer, sc_key **out, sc_err *e)
{
    return audit_key_of(arg, signer, out, e);
}

static void test_audit_log_of_everything_verifies(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(ca_audit_checkpoint(f->ca, &e), 0);
    assert_int_equal(store_tx_commit(f->ca->db, &e), 0);
    audit_report rep;
    if (audit_verify(f->ca->db, audit_key, f->ca, &rep, &e) != 0)
        fail_msg("audit_verify: record %lld: %s", (long long)rep.first_bad, rep.why);
    assert_true(rep.records > 20);
    assert_true(rep.checkpoints >= 3);
    int64_t pending = -1;
    assert_int_equal(audit_pending(f->ca->db, &pending, &e), 0);
    assert_true(pending == 0);
}

/* ---- a second algorithm ---- */

static void test_ecdsa_ca(void **state)
{
    char *dir = tu_tmpdir();
    char home[4200];
    snprintf(home, sizeof(home), "%s/home", dir);
    tdb db;
    tdb_create(&db, g_pg, dir, "home/ca.db");
    sc_err e = {0};
    if (make_home(home, SC_ALG_ECDSA_P256, g_pg ? db.url : NULL, &e) != 0)
        fail_msg("ca_init: %s %s", e.code, e.msg);
    /* a second init on the same home is refused */
    sc_err ie = {0};
    assert_int_equal(make_home(home, SC_ALG_ECDSA_P256, g_pg ? db.url : NULL, &ie), SC_EEXIST);
    assert_string_equal(ie.code, "ca.home_exists");
    /* and so is a new home on a database that already holds a CA */
    if (g_pg) {
        char home2[4300];
        snprintf(home2, sizeof(home2), "%s/home2", dir);
        sc_err de = {0};
        assert_int_equal(make_home(home2, SC_ALG_ECDSA_P256, db.url, &de), SC_EEXIST);
        assert_string_equal(de.code, "ca.database_in_use");
    }
    fx g = {0};
    g.ca = open_home(home);
    snprintf(g.home, sizeof(g.home), "%s", home);
    assert_int_equal(g.ca->alg, SC_ALG_ECDSA_P256);
    cert_info ci;
    issue_ok(g.ca, "organization-sign", ORG_SUBJECT, USCC, NULL, &ci);
    check_ee_cert(&g, &ci, 1); /* includes X509_verify by OpenSSL with the CA's key */
    /* the whole chain verifies in OpenSSL: root trusted, issuing CA untrusted */
    X509 *leaf = parse_cert(ci.der, ci.derlen);
    pki_issuer *root = ca_issuer(g.ca, "root-1"), *sub = ca_active_issuing(g.ca);
    X509 *rx = parse_cert(root->der, root->derlen), *sx = parse_cert(sub->der, sub->derlen);
    X509_STORE *trust = X509_STORE_new();
    X509_STORE_add_cert(trust, rx);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    sk_X509_push(untrusted, sx);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_int_equal(X509_STORE_CTX_init(ctx, trust, leaf, untrusted), 1);
    int ok = X509_verify_cert(ctx);
    if (ok != 1)
        fail_msg("X509_verify_cert: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(trust);
    X509_free(rx);
    X509_free(sx);
    X509_free(leaf);
    /* revocation shows up in an OpenSSL-verified CRL */
    assert_int_equal(pki_revoke(g.ca, ci.serial, REASON_KEY_COMPROMISE, 0, "t", &e), 0);
    crl_result res;
    X509_CRL *c = make_crl(&g, sub, 0, &res); /* X509_CRL_verify inside for non-SM2 */
    assert_int_equal(crl_entry(c, ci.serial, NULL), REASON_KEY_COMPROMISE);
    X509_CRL_free(c);
    /* an SM2 key is the wrong algorithm here */
    sc_key *k = new_key(SC_ALG_SM2);
    cert_info bad;
    sc_err we = {0};
    assert_int_equal(issue(g.ca, "person-sign", "CN=张三", NULL, IDNUM, 0, k, &bad, &we),
                     SC_EINVAL);
    assert_string_equal(we.code, "csr.wrong_alg");
    crypto_key_free(k);
    cert_info_free(&ci);
    ca_close(g.ca);
    tdb_drop(&db);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_profiles_listed),
        cmocka_unit_test(test_issue_organization_sign),
        cmocka_unit_test(test_issue_person_sign),
        cmocka_unit_test(test_issue_enc_profiles),
        cmocka_unit_test(test_issue_refusals_record_nothing),
        cmocka_unit_test(test_revoke_twice),
        cmocka_unit_test(test_hold_resume),
        cmocka_unit_test(test_resume_revoked),
        cmocka_unit_test(test_hold_then_revoke_keeps_time),
        cmocka_unit_test(test_delta_without_full),
        cmocka_unit_test(test_crl_full_and_delta),
        cmocka_unit_test(test_profile_versions),
        cmocka_unit_test(test_csr),
        cmocka_unit_test(test_crl_numbers_two_processes),
        cmocka_unit_test(test_rollover),
        cmocka_unit_test(test_audit_log_of_everything_verifies),
        cmocka_unit_test(test_ecdsa_ca),
    };
    int drivers = tdb_drivers(), failed = drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed += cmocka_run_group_tests_name(g_pg ? "pki[postgresql]" : "pki[sqlite]", tests,
                                              group_setup, group_teardown);
    return failed != 0;
}
