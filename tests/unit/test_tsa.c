/* test_tsa.c - the RFC 3161 TSA: request parsing and refusals, tokens and their verification
 * (every byte flipped), OpenSSL's parse of the answers, the key process's rule for tsa keys, the
 * token log and the issuers migration on data made before it (SQLite and PostgreSQL). */
#include "testdb.h"

#include <time.h>

#include "keyproc/keyproc.h"
#include "pki/der.h"
#include "pki/pki.h"
#include "store/migrations.h"
#include "tsa/tsa.h"

/* after pki.h: x509v3.h (through ts.h) defines KU_* macros that would shadow sealca's enum */
#include <openssl/ts.h>

#define PASS "unit-test passphrase"

typedef struct fx {
    int pg;
    char *dir;
    tdb db;
    pki_ca *ca;
} fx;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup_home(void **state, int pg)
{
    fx *f = calloc(1, sizeof(*f));
    sc_err e = {0};
    f->pg = pg;
    f->dir = tu_tmpdir();
    tdb_create(&f->db, pg, f->dir, "ca.db");
    char home[4200];
    snprintf(home, sizeof(home), "%s/home", f->dir);
    ca_init_opts o = {0};
    o.home = home;
    o.name = "sealca TSA 测试 CA";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    o.database = f->db.url;
    pki_issuer *t = NULL;
    if (ca_init(&o, &e) != 0 || ca_open(home, PASS, strlen(PASS), &f->ca, &e) != 0 ||
        ca_make_tsa(f->ca, 0, "unit-test", &t, &e) != 0) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_sqlite(void **state)
{
    return setup_home(state, 0);
}

static int setup_pg(void **state)
{
    return setup_home(state, 1);
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

/* a granted response's token for data (SM3 imprint), with a nonce and certReq */
static void stamp(fx *f, const char *data, sc_buf *resp, sc_slice *token)
{
    uint8_t h[32], nonce[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    crypto_sm3(data, strlen(data), h);
    sc_buf req = {0};
    sc_err e = {0};
    assert_int_equal(tsa_req_build(TSA_HASH_SM3, h, nonce, sizeof(nonce), 1, &req, &e), 0);
    assert_int_equal(tsa_respond(f->ca, NULL, req.p, req.len, now_ms(), resp, &e), 0);
    assert_string_equal(e.code, "");
    assert_int_equal(tsa_resp_token(resp->p, resp->len, token, &e), 0);
    sc_buf_free(&req);
}

/* ---- requests ---- */

static void test_request_parse(void **state)
{
    (void)state;
    uint8_t h[32];
    crypto_sm3("abc", 3, h);
    sc_buf b = {0};
    tsa_req r;
    int fb = -1;
    sc_err e = {0};
    const uint8_t nonce[3] = {0x01, 0x02, 0x03};
    assert_int_equal(tsa_req_build(TSA_HASH_SHA256, h, nonce, 3, 1, &b, &e), 0);
    assert_int_equal(tsa_req_parse(b.p, b.len, &r, &fb, &e), 0);
    assert_int_equal(r.hash, TSA_HASH_SHA256);
    assert_memory_equal(r.imprint, h, 32);
    assert_int_equal(r.cert_req, 1);
    assert_int_equal(r.nonce.len, 5); /* INTEGER TLV */
    /* OpenSSL parses what we build, and we parse what OpenSSL builds */
    const unsigned char *p = b.p;
    TS_REQ *tq = d2i_TS_REQ(NULL, &p, (long)b.len);
    assert_non_null(tq);
    assert_int_equal(TS_REQ_get_cert_req(tq), 1);
    ASN1_OBJECT *pol = OBJ_txt2obj("1.2.3.4", 1);
    TS_REQ_set_policy_id(tq, pol);
    ASN1_OBJECT_free(pol);
    unsigned char *o = NULL;
    int ol = i2d_TS_REQ(tq, &o);
    assert_true(ol > 0);
    assert_int_equal(tsa_req_parse(o, (size_t)ol, &r, &fb, &e), 0);
    assert_string_equal(r.policy, "1.2.3.4");
    OPENSSL_free(o);
    TS_REQ_free(tq);
    /* every truncation is refused with badDataFormat */
    for (size_t n = 0; n < b.len; n++) {
        fb = -1;
        assert_int_not_equal(tsa_req_parse(b.p, n, &r, &fb, &e), 0);
        assert_int_equal(fb, TSA_FAIL_BAD_DATA_FORMAT);
    }
    sc_buf_free(&b);
}

/* a hand-made request: alg OID, hash length, extra bytes after certReq */
static void req_with(const char *alg, size_t hlen, int version, const uint8_t *tail, size_t tl,
                     sc_buf *out)
{
    uint8_t h[64] = {0};
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, version);
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, alg);
    der_end(&w);
    der_prim(&w, DER_OCTETSTRING, h, hlen);
    der_end(&w);
    if (tl) der_raw(&w, tail, tl);
    der_end(&w);
    assert_int_equal(der_finish(&w), 0);
    out->len = 0;
    sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
}

static void test_request_refusals(void **state)
{
    (void)state;
    sc_buf b = {0};
    tsa_req r;
    int fb;
    sc_err e = {0};
    req_with("1.2.840.113549.2.5", 16, 1, NULL, 0, &b); /* MD5 */
    assert_int_not_equal(tsa_req_parse(b.p, b.len, &r, &fb, &e), 0);
    assert_int_equal(fb, TSA_FAIL_BAD_ALG);
    req_with("1.2.156.10197.1.401", 20, 1, NULL, 0, &b); /* SM3 with a 20-byte hash */
    assert_int_not_equal(tsa_req_parse(b.p, b.len, &r, &fb, &e), 0);
    assert_int_equal(fb, TSA_FAIL_BAD_DATA_FORMAT);
    req_with("1.2.156.10197.1.401", 32, 2, NULL, 0, &b);
    assert_int_not_equal(tsa_req_parse(b.p, b.len, &r, &fb, &e), 0);
    assert_int_equal(fb, TSA_FAIL_BAD_REQUEST);
    const uint8_t ext[] = {0xa0, 0x00};
    req_with("1.2.156.10197.1.401", 32, 1, ext, sizeof(ext), &b);
    assert_int_not_equal(tsa_req_parse(b.p, b.len, &r, &fb, &e), 0);
    assert_int_equal(fb, TSA_FAIL_UNACCEPTED_EXTENSION);
    const uint8_t neg[] = {0x02, 0x01, 0x80}; /* a negative nonce */
    req_with("1.2.156.10197.1.401", 32, 1, neg, sizeof(neg), &b);
    assert_int_not_equal(tsa_req_parse(b.p, b.len, &r, &fb, &e), 0);
    assert_int_equal(fb, TSA_FAIL_BAD_REQUEST);
    const uint8_t f[] = {0x01, 0x01, 0x00}; /* certReq FALSE written out: not DER */
    req_with("1.2.156.10197.1.401", 32, 1, f, sizeof(f), &b);
    assert_int_not_equal(tsa_req_parse(b.p, b.len, &r, &fb, &e), 0);
    assert_int_equal(fb, TSA_FAIL_BAD_DATA_FORMAT);
    uint8_t big[TSA_REQUEST_MAX + 1] = {0x30};
    assert_int_equal(tsa_req_parse(big, sizeof(big), &r, &fb, &e), SC_ETOOBIG);
    sc_buf_free(&b);
}

/* ---- tokens ---- */

static void test_token_roundtrip(void **state)
{
    fx *f = *state;
    sc_buf resp = {0};
    sc_slice tok;
    int64_t before = now_ms();
    stamp(f, "招标文件", &resp, &tok);
    tsa_token_info ti;
    sc_err e = {0};
    assert_int_equal(tsa_token_verify(tok.p, tok.len, NULL, 0, &ti, &e), 0);
    uint8_t h[32];
    crypto_sm3("招标文件", strlen("招标文件"), h);
    assert_memory_equal(ti.imprint, h, 32);
    assert_int_equal(ti.hash, TSA_HASH_SM3);
    assert_string_equal(ti.policy, TSA_DEFAULT_POLICY);
    assert_true(ti.gen_time_ms >= before - 1 && ti.gen_time_ms <= now_ms() + 1);
    assert_int_equal(ti.accuracy_ms, 1000);
    assert_int_equal(ti.nonce.len, 8);
    assert_int_equal(ti.nonce.p[0], 0x12);
    pki_issuer *iss = tsa_issuer(f->ca);
    assert_non_null(iss);
    assert_int_equal(ti.tsa_cert.len, iss->derlen);
    assert_memory_equal(ti.tsa_cert.p, iss->der, iss->derlen);
    /* the whole response verifies as well, and OpenSSL parses it */
    assert_int_equal(tsa_token_verify(resp.p, resp.len, NULL, 0, &ti, &e), 0);
    const unsigned char *p = resp.p;
    TS_RESP *tr = d2i_TS_RESP(NULL, &p, (long)resp.len);
    assert_non_null(tr);
    assert_int_equal(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(tr))), 0);
    TS_TST_INFO *tst = TS_RESP_get_tst_info(tr);
    assert_non_null(tst);
    assert_int_equal(TS_TST_INFO_get_version(tst), 1);
    TS_RESP_free(tr);
    /* logged: the serial finds the imprint and the time */
    tsa_log_row row;
    assert_int_equal(tsa_log_get(f->ca->db, ti.serial, &row, &e), 0);
    assert_memory_equal(row.imprint, h, 32);
    assert_int_equal(row.gen_time_ms, ti.gen_time_ms);
    assert_string_equal(row.issuer, iss->id);
    assert_string_equal(row.hash_alg, "sm3");
    assert_string_equal(row.nonce, "123456789abcdef0");
    assert_int_equal(tsa_log_get(f->ca->db, "00", &row, &e), SC_ENOTFOUND);
    /* two tokens, two serials */
    sc_buf r2 = {0};
    sc_slice t2;
    tsa_token_info t2i;
    stamp(f, "招标文件", &r2, &t2);
    assert_int_equal(tsa_token_verify(t2.p, t2.len, NULL, 0, &t2i, &e), 0);
    assert_string_not_equal(t2i.serial, ti.serial);
    sc_buf_free(&r2);
    sc_buf_free(&resp);
}

/* any single changed byte of a token makes it fail (or unparseable) */
static void test_token_every_byte(void **state)
{
    fx *f = *state;
    sc_buf resp = {0};
    sc_slice tok;
    stamp(f, "flip", &resp, &tok);
    uint8_t *c = malloc(tok.len);
    memcpy(c, tok.p, tok.len);
    int sigfail = 0, digest = 0, certm = 0;
    for (size_t i = 0; i < tok.len; i++) {
        c[i] ^= 0x01;
        tsa_token_info ti;
        sc_err e = {0};
        int rc = tsa_token_verify(c, tok.len, NULL, 0, &ti, &e);
        if (rc == 0) fail_msg("a token with byte %zu changed verifies", i);
        sigfail += strcmp(e.code, "tsa.bad_signature") == 0;
        digest += strcmp(e.code, "tsa.digest_mismatch") == 0;
        certm += strcmp(e.code, "tsa.cert_mismatch") == 0;
        c[i] ^= 0x01;
    }
    /* the precise reasons show up where they belong */
    assert_true(sigfail > 0 && digest > 0 && certm > 0);
    free(c);
    sc_buf_free(&resp);
}

static void test_respond_rejections(void **state)
{
    fx *f = *state;
    sc_buf resp = {0}, req = {0};
    sc_slice tok;
    sc_err e = {0};
    uint8_t h[32] = {1};
    /* a policy the TSA does not use */
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, 1);
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, "1.2.156.10197.1.401");
    der_end(&w);
    der_prim(&w, DER_OCTETSTRING, h, 32);
    der_end(&w);
    der_oid(&w, "1.2.3.4");
    der_end(&w);
    assert_int_equal(der_finish(&w), 0);
    assert_int_equal(tsa_respond(f->ca, NULL, w.b.p, w.b.len, now_ms(), &resp, &e), 0);
    assert_string_equal(e.code, "tsa.unaccepted_policy");
    sc_err_clear(&e);
    assert_int_equal(tsa_resp_token(resp.p, resp.len, &tok, &e), SC_EVERIFY);
    if (strstr(e.msg, "unacceptedPolicy") == NULL) fail_msg("%s", e.msg);
    /* the configured policy accepts it */
    assert_int_equal(tsa_respond(f->ca, "1.2.3.4", w.b.p, w.b.len, now_ms(), &resp, &e), 0);
    assert_int_equal(tsa_resp_token(resp.p, resp.len, &tok, &e), 0);
    tsa_token_info ti;
    pki_issuer *iss = tsa_issuer(f->ca);
    assert_int_equal(tsa_token_verify(tok.p, tok.len, iss->der, iss->derlen, &ti, &e), 0);
    assert_string_equal(ti.policy, "1.2.3.4");
    /* garbage: a rejection with badDataFormat, nothing logged */
    assert_int_equal(tsa_respond(f->ca, NULL, (const uint8_t *)"junk", 4, now_ms(), &resp, &e), 0);
    sc_err_clear(&e);
    assert_int_equal(tsa_resp_token(resp.p, resp.len, &tok, &e), SC_EVERIFY);
    assert_non_null(strstr(e.msg, "badDataFormat"));
    der_free(&w);
    sc_buf_free(&req);
    sc_buf_free(&resp);
}

static void test_no_cert_without_certreq(void **state)
{
    fx *f = *state;
    uint8_t h[32] = {2};
    sc_buf req = {0}, resp = {0};
    sc_slice tok;
    sc_err e = {0};
    tsa_token_info ti;
    assert_int_equal(tsa_req_build(TSA_HASH_SM3, h, NULL, 0, 0, &req, &e), 0);
    assert_int_equal(tsa_respond(f->ca, NULL, req.p, req.len, now_ms(), &resp, &e), 0);
    assert_int_equal(tsa_resp_token(resp.p, resp.len, &tok, &e), 0);
    assert_int_equal(tsa_token_verify(tok.p, tok.len, NULL, 0, &ti, &e), SC_EVERIFY);
    assert_string_equal(e.code, "tsa.no_cert");
    sc_err_clear(&e);
    pki_issuer *iss = tsa_issuer(f->ca);
    assert_int_equal(tsa_token_verify(tok.p, tok.len, iss->der, iss->derlen, &ti, &e), 0);
    assert_int_equal(ti.nonce.len, 0);
    /* another certificate (the OCSP signer's) is not the signer */
    pki_issuer *oc = ca_issuer(f->ca, "ocsp-1");
    sc_err_clear(&e);
    assert_int_equal(tsa_token_verify(tok.p, tok.len, oc->der, oc->derlen, &ti, &e), SC_EVERIFY);
    if (strcmp(e.code, "tsa.cert_mismatch") != 0) fail_msg("%s %s", e.code, e.msg);
    sc_buf_free(&req);
    sc_buf_free(&resp);
}

/* ---- the key process's rule ---- */

/* the signed attributes of a token, re-tagged as the SET OF that is signed */
static void signed_attrs(const sc_slice *tok, sc_buf *out)
{
    /* ContentInfo > [0] > SignedData > signerInfos > SignerInfo > [0] */
    der_r r = der_reader(tok->p, tok->len);
    der_tlv t, x;
    assert_int_equal(der_expect(&r, DER_SEQUENCE, &t), 0);
    der_r a = der_inner(&t);
    der_next(&a, &x);
    assert_int_equal(der_expect(&a, DER_CTX_CONS(0), &t), 0);
    a = der_inner(&t);
    assert_int_equal(der_expect(&a, DER_SEQUENCE, &t), 0);
    a = der_inner(&t);
    der_tlv last = {0};
    while (der_next(&a, &x) == 0)
        last = x;
    a = der_inner(&last);
    assert_int_equal(der_expect(&a, DER_SEQUENCE, &t), 0);
    a = der_inner(&t);
    while (der_next(&a, &x) == 0 && x.tag != DER_CTX_CONS(0))
        ;
    assert_int_equal(x.tag, DER_CTX_CONS(0));
    sc_buf_append(out, x.raw, x.rawlen);
    out->p[0] = DER_SET;
}

static void test_keyproc_rule(void **state)
{
    fx *f = *state;
    sc_buf resp = {0}, sa = {0};
    sc_slice tok;
    stamp(f, "keyproc", &resp, &tok);
    signed_attrs(&tok, &sa);
    pki_issuer *iss = tsa_issuer(f->ca);
    sc_err e = {0};
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(tsa_signed_attrs_check(sa.p, sa.len, now, &e), 0);
    assert_int_equal(keyproc_check("tsa", SC_ALG_SM2, iss->subject_der, sa.p, sa.len, &e), 0);
    /* a signingTime off the key process's clock is refused */
    assert_int_not_equal(tsa_signed_attrs_check(sa.p, sa.len, now + 3600, NULL), 0);
    assert_int_not_equal(tsa_signed_attrs_check(sa.p, sa.len, now - 3600, NULL), 0);
    /* other roles do not sign token attributes, a tsa key signs nothing else */
    assert_int_not_equal(keyproc_check("ocsp", SC_ALG_SM2, iss->subject_der, sa.p, sa.len, &e), 0);
    pki_issuer *sub = ca_issuer(f->ca, "sub-1");
    signed_parts sp;
    assert_int_equal(der_split_signed(iss->der, iss->derlen, &sp), 0);
    sc_err_clear(&e);
    assert_int_not_equal(
        keyproc_check("tsa", SC_ALG_SM2, sub->subject_der, sp.tbs.p, sp.tbs.len, &e), 0);
    assert_string_equal(e.code, "keyproc.refused");
    /* every byte change of the attributes either still names a TSTInfo with all four
     * attributes (the digest and certificate hash are not the key process's to know) or is
     * refused; a changed contentType value never passes */
    for (size_t i = 0; i < sa.len; i++) {
        sa.p[i] ^= 0x01;
        (void)tsa_signed_attrs_check(sa.p, sa.len, now, NULL);
        sa.p[i] ^= 0x01;
    }
    const uint8_t tst_oid[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                               0x0d, 0x01, 0x09, 0x10, 0x01, 0x04};
    uint8_t *at = memmem(sa.p, sa.len, tst_oid, sizeof(tst_oid));
    assert_non_null(at);
    at[sizeof(tst_oid) - 1] = 0x01; /* id-ct-receipt */
    assert_int_not_equal(tsa_signed_attrs_check(sa.p, sa.len, now, &e), 0);
    /* truncations are refused */
    for (size_t n = 0; n < sa.len; n++)
        assert_int_not_equal(tsa_signed_attrs_check(sa.p, n, now, NULL), 0);
    sc_buf_free(&sa);
    sc_buf_free(&resp);
}

/* ---- migration 8 on a database made before it ---- */

static void test_migration_keeps_data(void **state)
{
    fx *f = *state;
    char dir[4300];
    snprintf(dir, sizeof(dir), "%s", f->dir);
    tdb old;
    tdb_create(&old, f->pg, dir, "old.db");
    store *s = NULL;
    sc_err e = {0};
    assert_int_equal(store_open(old.url, &s, &e), 0);
    /* the version before the TSA's migration (whatever number merging gives it) */
    int mine = 0;
    for (int i = 1; i <= store_migration_count() && mine == 0; i++)
        if (strstr(store_migration_sql(i), "CREATE TABLE tsa_tokens") != NULL) mine = i;
    assert_true(mine > 1);
    assert_int_equal(store_migrate_to(s, mine - 1, &e), 0);
    int v = 0;
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, mine - 1);
    /* blob literals differ: x'..' (SQLite), '\x..'::bytea (PostgreSQL) */
    const char *b0 = f->pg ? "'\\x3000'::bytea" : "x'3000'";
    const char *b1 = f->pg ? "'\\x3001'::bytea" : "x'3001'";
    const char *b2 = f->pg ? "'\\x30'::bytea" : "x'30'";
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "INSERT INTO issuers (id, role, parent, alg, subject, serial, not_before, "
             "not_after, cert_der, key_file, status, created_at) VALUES "
             "('root-1', 'root', 'root-1', 'sm2', 'CN=R', 'aa', 1, 2, %s, "
             "'keys/root-1.key', 'active', 3), ('sub-1', 'issuing', 'root-1', 'sm2', "
             "'CN=S', 'bb', 1, 2, %s, 'keys/sub-1.key', 'retired', 4)",
             b0, b1);
    tdb_exec(&old, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO certs (serial, issuer, profile, profile_version, subject, "
             "not_before, not_after, status, change_seq, created_at, der) VALUES "
             "('c1', 'sub-1', 'person-sign', 1, 'CN=x', 1, 2, 'good', 0, 5, %s)",
             b2);
    tdb_exec(&old, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO crls (issuer, number, this_update, next_update, upto_seq, der) "
             "VALUES ('sub-1', 1, 1, 2, 0, %s)",
             b2);
    tdb_exec(&old, sql);
    /* a 'tsa' issuer is refused before the migration */
    store_stmt *st;
    assert_int_equal(store_stmt_get(s, ST_ISSUER_INSERT, &st, &e), 0);
    store_bind_text(st, 1, "tsa-1");
    store_bind_text(st, 2, "tsa");
    store_bind_text(st, 3, "sub-1");
    store_bind_text(st, 4, "sm2");
    store_bind_text(st, 5, "CN=T");
    store_bind_text(st, 6, "cc");
    store_bind_int64(st, 7, 1);
    store_bind_int64(st, 8, 2);
    store_bind_blob(st, 9, "\x30\x00", 2);
    store_bind_text(st, 10, "keys/tsa-1.key");
    store_bind_text(st, 11, "active");
    store_bind_int64(st, 12, 6);
    assert_int_not_equal(store_exec(st, &e), 0);
    store_close(s);
    /* upgrade: the rows are intact, 'tsa' is accepted, foreign keys still hold */
    assert_int_equal(store_open(old.url, &s, &e), 0);
    assert_int_equal(store_migrate(s, &e), 0);
    assert_int_equal(store_schema_version(s, &v, &e), 0);
    assert_int_equal(v, store_migration_count());
    uint8_t out[64];
    const uint8_t *none[1] = {NULL};
    size_t nl[1] = {0};
    size_t n = tdb_blob_sql(&old,
                            "SELECT CAST(COUNT(*) AS TEXT) || ':' || MAX(status) || ':' || "
                            "CAST(SUM(seq) AS TEXT) || ':' || MIN(key_file) FROM issuers",
                            none, nl, 0, out, sizeof(out));
    assert_int_equal(n, strlen("2:retired:3:keys/root-1.key"));
    assert_memory_equal(out, "2:retired:3:keys/root-1.key", n);
    n = tdb_blob_sql(&old, "SELECT cert_der FROM issuers WHERE id = 'sub-1'", none, nl, 0, out,
                     sizeof(out));
    assert_int_equal(n, 2);
    assert_memory_equal(out, "\x30\x01", 2);
    assert_int_equal(store_stmt_get(s, ST_ISSUER_INSERT, &st, &e), 0);
    store_bind_text(st, 1, "tsa-1");
    store_bind_text(st, 2, "tsa");
    store_bind_text(st, 3, "sub-1");
    store_bind_text(st, 4, "sm2");
    store_bind_text(st, 5, "CN=T");
    store_bind_text(st, 6, "cc");
    store_bind_int64(st, 7, 1);
    store_bind_int64(st, 8, 2);
    store_bind_blob(st, 9, "\x30\x00", 2);
    store_bind_text(st, 10, "keys/tsa-1.key");
    store_bind_text(st, 11, "active");
    store_bind_int64(st, 12, 6);
    assert_int_equal(store_exec(st, &e), 0);
    /* the CHECK still refuses other roles, and certs still need a known issuer */
    assert_int_equal(store_stmt_get(s, ST_ISSUER_INSERT, &st, &e), 0);
    store_bind_text(st, 1, "x-1");
    store_bind_text(st, 2, "bogus");
    store_bind_text(st, 3, "sub-1");
    store_bind_text(st, 4, "sm2");
    store_bind_text(st, 5, "CN=X");
    store_bind_text(st, 6, "dd");
    store_bind_int64(st, 7, 1);
    store_bind_int64(st, 8, 2);
    store_bind_blob(st, 9, "\x30\x00", 2);
    store_bind_text(st, 10, NULL);
    store_bind_text(st, 11, "active");
    store_bind_int64(st, 12, 6);
    assert_int_not_equal(store_exec(st, &e), 0);
    store_close(s);
    if (!f->pg) {
        /* SQLite's own view: no orphan rows, foreign keys still declared on certs */
        n = tdb_blob_sql(&old, "SELECT COUNT(*) || '' FROM pragma_foreign_key_check", none, nl, 0,
                         out, sizeof(out));
        assert_memory_equal(out, "0", 1);
        n = tdb_blob_sql(&old,
                         "SELECT COUNT(*) || '' FROM pragma_foreign_key_list('certs') WHERE "
                         "\"table\" = 'issuers'",
                         none, nl, 0, out, sizeof(out));
        assert_memory_equal(out, "1", 1);
    }
    /* an orphan certificate is refused by the upgraded schema */
    int refused = 0;
    {
        /* through raw SQL on a new connection (SQLite: foreign_keys is per connection) */
        if (f->pg) {
            PGconn *c = tdb_pg_connect(old.url);
            PGresult *r = PQexec(c, "INSERT INTO certs (serial, issuer, profile, "
                                    "profile_version, subject, not_before, not_after, status, "
                                    "change_seq, created_at, der) VALUES ('c2', 'nope', 'p', 1, "
                                    "'CN=y', 1, 2, 'good', 0, 5, '\\x30')");
            refused = PQresultStatus(r) != PGRES_COMMAND_OK;
            PQclear(r);
            PQfinish(c);
        } else {
            sqlite3 *db = NULL;
            assert_int_equal(sqlite3_open(old.file, &db), SQLITE_OK);
            sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
            refused = sqlite3_exec(db,
                                   "INSERT INTO certs (serial, issuer, profile, profile_version, "
                                   "subject, not_before, not_after, status, change_seq, "
                                   "created_at, der) VALUES ('c2', 'nope', 'p', 1, 'CN=y', 1, 2, "
                                   "'good', 0, 5, x'30')",
                                   NULL, NULL, NULL) != SQLITE_OK;
            sqlite3_close(db);
        }
    }
    assert_true(refused);
    tdb_drop(&old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_parse),      cmocka_unit_test(test_request_refusals),
        cmocka_unit_test(test_token_roundtrip),    cmocka_unit_test(test_token_every_byte),
        cmocka_unit_test(test_respond_rejections), cmocka_unit_test(test_no_cert_without_certreq),
        cmocka_unit_test(test_keyproc_rule),       cmocka_unit_test(test_migration_keeps_data),
    };
    int n = tdb_drivers();
    if (n < 0) return 1;
    int rc = cmocka_run_group_tests_name("tsa sqlite", tests, setup_sqlite, teardown);
    if (n == 2) rc |= cmocka_run_group_tests_name("tsa postgresql", tests, setup_pg, teardown);
    return rc;
}
