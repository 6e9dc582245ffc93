/* test_seal.c - seals: fixture decoding (v1, v4, v5), byte flips, bad input, the key process's
 * classification, and the registry (make through the key process, one active seal, replace) on
 * SQLite and PostgreSQL. */
#include "testdb.h"

#include <time.h>
#include <unistd.h>

#include "keyproc/keyproc.h"
#include "seal/image.h"
#include "seal/seal.h"

#define PASS "unit-test passphrase"
#define FX   "../shared/fixtures/seal/"

static uint8_t *load(const char *name, size_t *len)
{
    uint8_t *d = NULL;
    char p[256];
    snprintf(p, sizeof(p), FX "%s", name);
    assert_int_equal(sc_file_read(p, SEAL_MAX, &d, len), 0);
    return d;
}

static void test_fixtures(void **state)
{
    (void)state;
    static const struct {
        const char *f;
        int layout, version;
        const char *esid;
    } fx[] = {{"ofdrw-UserV1.esl", SEAL_LAYOUT_V1, 1, "40C8CDD24DEF43388B86E62CCE1D6832"},
              {"ofdrw-UserV4.esl", SEAL_LAYOUT_V4, 4, "51f044b76510434e9bc67a1185c2fba5"},
              {"ofdrw-UserV5.esl", SEAL_LAYOUT_V4, 5, "09aaf39291e049e4b3d716414590937e"}};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        uint8_t *d = load(fx[i].f, &len);
        seal s;
        sc_err e = {0};
        assert_int_equal(seal_decode(d, len, &s, &e), 0);
        assert_int_equal(s.layout, fx[i].layout);
        assert_int_equal(s.version, fx[i].version);
        assert_string_equal(s.esid, fx[i].esid);
        assert_int_equal(s.ncerts, 1);
        assert_string_equal(s.pic_type, "PNG");
        assert_int_equal(s.pic_width, 40);
        assert_false(seal_is_signature(d, len));
        /* the maker's signature verifies, and the key process accepts the maker's TBS */
        sc_buf tbs = {0};
        sc_key *k = NULL;
        assert_int_equal(seal_maker_tbs(&s, &tbs, &e), 0);
        assert_int_equal(seal_tbs_check(tbs.p, tbs.len, &e), 0);
        assert_int_equal(cert_pubkey(s.maker_cert.p, s.maker_cert.len, &k, &e), 0);
        assert_int_equal(
            seal_sm2_verify(k, tbs.p, tbs.len, s.signed_value.p, s.signed_value.len, &e), 0);
        crypto_key_free(k);
        /* whole seals, signatures and certificates are not seal TBS data */
        assert_int_not_equal(seal_tbs_check(d, len, NULL), 0);
        assert_int_not_equal(seal_tbs_check(s.maker_cert.p, s.maker_cert.len, NULL), 0);
        assert_int_not_equal(seal_tbs_check(tbs.p, tbs.len - 1, NULL), 0);
        /* the key process: the seal maker signs exactly this, a CA key never does */
        sc_slice subj = {NULL, 0};
        assert_int_equal(keyproc_check("sealmaker", SC_ALG_SM2, subj, tbs.p, tbs.len, NULL), 0);
        assert_int_not_equal(keyproc_check("issuing", SC_ALG_SM2, subj, tbs.p, tbs.len, NULL), 0);
        assert_int_not_equal(keyproc_check("ocsp", SC_ALG_SM2, subj, tbs.p, tbs.len, NULL), 0);
        signed_parts sp;
        assert_int_equal(der_split_signed(s.maker_cert.p, s.maker_cert.len, &sp), 0);
        assert_int_not_equal(
            keyproc_check("sealmaker", SC_ALG_SM2, subj, sp.tbs.p, sp.tbs.len, NULL), 0);
        assert_int_not_equal(keyproc_check("sealmaker", SC_ALG_SM2, subj, d, len, NULL), 0);
        sc_buf_free(&tbs);
        free(d);
    }
}

/* Flip one byte at many positions: never valid, always a failed check with a code. */
static void test_byte_flips(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = load("ofdrw-UserV4.esl", &len);
    seal_verifier *v = NULL;
    sc_err e = {0};
    assert_int_equal(seal_verifier_new(&v, &e), 0);
    seal_verifier_no_chain(v, 1);
    seal_verifier_at(v, 1622505600); /* 2021-06-01 */
    seal_report *rep = calloc(1, sizeof(*rep));
    assert_int_equal(seal_verify(v, d, len, NULL, 0, rep, &e), 0);
    seal s;
    assert_int_equal(seal_decode(d, len, &s, &e), 0);
    size_t mc0 = (size_t)(s.maker_cert.p - d), mc1 = mc0 + s.maker_cert.len;
    size_t step = tu_iters(1, 97) > 1 ? 1 : 97;
    for (size_t off = 0; off < len; off += step) {
        /* without a trust anchor here (--no-chain), a flip in the maker certificate outside its
         * key is caught by the path check: t_seal.sh flips those bytes with the ofdrw root */
        if (off >= mc0 && off < mc1) continue;
        d[off] ^= 0x01;
        int rc = seal_verify(v, d, len, NULL, 0, rep, &e);
        d[off] ^= 0x01;
        if (rc != SC_EVERIFY || rep->failed == 0) fail_msg("flip at %zu accepted", off);
        int coded = 0;
        for (int i = 0; i < rep->n; i++)
            if (rep->checks[i].status == SEAL_CHECK_FAIL && rep->checks[i].code[0]) coded = 1;
        if (!coded) fail_msg("flip at %zu: no failure code", off);
    }
    free(rep);
    seal_verifier_free(v);
    free(d);
}

static void test_bad_input(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d = load("ofdrw-UserV1.esl", &len);
    seal s;
    seal_sig g;
    for (size_t n = 0; n < len; n += (n < 300 ? 1 : 211)) {
        sc_err e = {0};
        assert_int_not_equal(seal_decode(d, n, &s, &e), 0);
        assert_true(e.code[0] != 0);
        assert_int_not_equal(seal_sig_decode(d, n, &g, &e), 0);
    }
    /* a seal is not a signature and vice versa */
    sc_err e = {0};
    assert_int_not_equal(seal_sig_decode(d, len, &g, &e), 0);
    /* a length claiming more than SEAL_MAX */
    sc_err e2 = {0};
    assert_int_equal(seal_decode(d, (size_t)SEAL_MAX + 1, &s, &e2), SC_ETOOBIG);
    free(d);
}

/* ---- the registry, on each store driver ---- */

typedef struct rfx {
    char *dir;
    char home[4200];
    tdb db;
    pki_ca *ca;
    cert_info holder;
    sc_key *holder_key;
} rfx;

static int pg_mode;

static int reg_setup(void **state)
{
    rfx *f = calloc(1, sizeof(*f));
    sc_err e = {0};
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    tdb_create(&f->db, pg_mode, f->dir, "ca.db");
    ca_init_opts o = {0};
    o.home = f->home;
    o.name = "印章单元测试 CA";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    o.database = f->db.url;
    if (ca_init(&o, &e) != 0 || ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0 ||
        crypto_key_generate(SC_ALG_SM2, &f->holder_key, &e) != 0) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    issue_req r = {0};
    r.profile = "organization-sign";
    r.subject = "CN=甲公司,O=甲公司,C=CN";
    r.uscc = "91350100M000100Y43";
    r.pub = f->holder_key;
    r.actor = "unit-test";
    if (pki_issue(f->ca, &r, &f->holder, &e) != 0) {
        fprintf(stderr, "issue: %s %s\n", e.code, e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int reg_teardown(void **state)
{
    rfx *f = *state;
    cert_info_free(&f->holder);
    crypto_key_free(f->holder_key);
    ca_close(f->ca);
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* a real (tiny) PNG: seal_make decodes the whole picture within the image limits */
static sc_buf png_buf;
static const uint8_t *test_png(size_t *n)
{
    if (png_buf.len == 0) {
        seal_img im = {0};
        sc_err e = {0};
        assert_int_equal(seal_img_new(&im, 16, 16, &e), 0);
        for (size_t i = 0; i < 16 * 16; i++) {
            im.rgba[4 * i] = 200;
            im.rgba[4 * i + 3] = (uint8_t)(i % 3 ? 255 : 0);
        }
        assert_int_equal(seal_img_png(&im, &png_buf, &e), 0);
        seal_img_free(&im);
    }
    *n = png_buf.len;
    return png_buf.p;
}

static void req_init(rfx *f, seal_make_req *r, const char *kind)
{
    memset(r, 0, sizeof(*r));
    r->name = "甲公司";
    r->type = SEAL_TYPE_ORGANIZATION;
    r->kind = kind;
    r->holder_cert = f->holder.der;
    r->holder_len = f->holder.derlen;
    r->picture = test_png(&r->piclen);
    r->actor = "unit-test";
}

static void verify_ok(rfx *f, const uint8_t *der, size_t len, const uint8_t *data, size_t dlen)
{
    seal_verifier *v = NULL;
    sc_err e = {0};
    seal_report *rep = calloc(1, sizeof(*rep));
    assert_int_equal(seal_verifier_new(&v, &e), 0);
    seal_verifier_use_ca(v, f->ca);
    int rc = seal_verify(v, der, len, data, dlen, rep, &e);
    if (rc != 0) {
        sc_buf t = {0};
        seal_report_text(rep, &t);
        fprintf(stderr, "%.*s", (int)t.len, (const char *)t.p);
        sc_buf_free(&t);
    }
    assert_int_equal(rc, 0);
    free(rep);
    seal_verifier_free(v);
}

static void test_registry(void **state)
{
    rfx *f = *state;
    sc_err e = {0};
    seal_make_req r;
    seal_record a = {0}, b = {0}, c = {0}, got = {0};
    req_init(f, &r, NULL);
    assert_int_equal(seal_make(f->ca, &r, &a, &e), 0);
    assert_string_equal(a.kind, "official");
    verify_ok(f, a.der, a.derlen, NULL, 0);
    /* one active seal per certificate and kind */
    sc_err e2 = {0};
    assert_int_equal(seal_make(f->ca, &r, NULL, &e2), SC_EEXIST);
    assert_string_equal(e2.code, "seal.exists");
    /* sign with the holder's key: verifies, with the data */
    const char *doc = "投标文件";
    uint8_t h[32];
    crypto_sm3(doc, strlen(doc), h);
    sc_buf sig = {0};
    assert_int_equal(seal_sign(a.der, a.derlen, f->holder_key, f->holder.der, f->holder.derlen, h,
                               "bid.txt", (int64_t)time(NULL), NULL, 0, &sig, &e),
                     0);
    verify_ok(f, sig.p, sig.len, (const uint8_t *)doc, strlen(doc));
    sc_buf_free(&sig);
    /* seal-redo: the old one retired, pointing at the new */
    assert_int_equal(seal_replace(f->ca, a.esid, "seal-redo", &r, &b, &e), 0);
    assert_int_equal(seal_get(f->ca, a.esid, &got, &e), 0);
    assert_string_equal(got.status, "retired");
    assert_string_equal(got.replaced_by, b.esid);
    assert_string_equal(got.reason, "seal-redo");
    seal_record_free(&got);
    sc_err e3 = {0};
    assert_int_equal(seal_replace(f->ca, a.esid, "seal-redo", &r, NULL, &e3), SC_ESTATE);
    /* status JSON */
    sc_buf js = {0};
    assert_int_equal(seal_status_json(f->ca, b.esid, &js, &e), 0);
    sc_buf_putc(&js, 0);
    assert_non_null(strstr((const char *)js.p, "\"state\": \"valid\""));
    sc_buf_free(&js);
    /* through the key process: the seal maker's key is not in this process */
    keyproc *kp = NULL;
    pki_ca *ca2 = NULL;
    assert_int_equal(keyproc_start(f->ca, &kp, &e), 0);
    assert_int_equal(ca_open(f->home, NULL, 0, &ca2, &e), 0);
    assert_int_equal(keyproc_attach(kp, ca2, &e), 0);
    req_init(f, &r, "contract");
    r.layout = SEAL_LAYOUT_V1;
    assert_int_equal(seal_make(ca2, &r, &c, &e), 0);
    verify_ok(f, c.der, c.derlen, NULL, 0);
    ca_close(ca2);
    keyproc_stop(kp);
    /* renewal: the new certificate gets the seal, the old seal is retired */
    sc_key *k2 = NULL;
    cert_info renewed;
    issue_req ir = {0};
    ir.profile = "organization-sign";
    ir.subject = "CN=甲公司,O=甲公司,C=CN";
    ir.uscc = "91350100M000100Y43";
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k2, &e), 0);
    ir.pub = k2;
    assert_int_equal(pki_issue(f->ca, &ir, &renewed, &e), 0);
    seal_record rn = {0};
    req_init(f, &r, NULL);
    r.holder_cert = renewed.der;
    r.holder_len = renewed.derlen;
    assert_int_equal(seal_replace(f->ca, b.esid, "renew", &r, &rn, &e), 0);
    assert_string_not_equal(rn.cert_serial, b.cert_serial);
    assert_int_equal(seal_get(f->ca, b.esid, &got, &e), 0);
    assert_string_equal(got.status, "retired");
    seal_record_free(&got);
    /* the old certificate can no longer sign with the new seal */
    sc_buf s2 = {0};
    sc_err e5 = {0};
    assert_int_equal(seal_sign(rn.der, rn.derlen, f->holder_key, f->holder.der, f->holder.derlen, h,
                               "bid.txt", (int64_t)time(NULL), NULL, 0, &s2, &e5),
                     SC_EVERIFY);
    assert_string_equal(e5.code, "seal.cert_not_bound");
    seal_record_free(&rn);
    cert_info_free(&renewed);
    crypto_key_free(k2);
    /* retire */
    assert_int_equal(seal_retire(f->ca, c.esid, "holder request", "unit-test", &e), 0);
    sc_err e4 = {0};
    assert_int_equal(seal_get(f->ca, "no-such-seal", &got, &e4), SC_ENOTFOUND);
    seal_record_free(&a);
    seal_record_free(&b);
    seal_record_free(&c);
}

/* --policy integrity: the fixtures verify (their time and chain findings are warnings), and a
 * byte flipped anywhere the signatures or the binding cover still fails, never a warning. */
static void test_policy_integrity(void **state)
{
    (void)state;
    static const char *files[] = {"ofdrw-UserV1.esl", "ofdrw-UserV4.esl", "ofdrw-UserV5.esl"};
    static const int warns[] = {2, 2, 1}; /* maker certificate (untrusted here), seal validity */
    seal_report *rep = calloc(1, sizeof(*rep));
    for (size_t fi = 0; fi < 3; fi++) {
        size_t len;
        uint8_t *d = load(files[fi], &len);
        seal_verifier *v = NULL;
        sc_err e = {0};
        assert_int_equal(seal_verifier_new(&v, &e), 0);
        /* strict (the default) at now: not valid */
        assert_int_equal(seal_verify(v, d, len, NULL, 0, rep, &e), SC_EVERIFY);
        assert_int_equal(rep->policy, SEAL_POLICY_STRICT);
        assert_int_equal(rep->warnings, 0);
        int strict_failed = rep->failed;
        seal_verifier_policy(v, SEAL_POLICY_INTEGRITY);
        assert_int_equal(seal_verify(v, d, len, NULL, 0, rep, &e), 0);
        assert_int_equal(rep->policy, SEAL_POLICY_INTEGRITY);
        assert_int_equal(rep->failed, 0);
        assert_int_equal(rep->warnings, warns[fi]);
        assert_int_equal(rep->warnings, strict_failed);
        sc_buf out = {0};
        seal_report_json(rep, &out);
        sc_buf_putc(&out, 0);
        assert_non_null(strstr((char *)out.p, "\"policy\": \"integrity\""));
        assert_non_null(strstr((char *)out.p, "\"status\": \"warn\""));
        sc_buf_free(&out);
        seal s;
        assert_int_equal(seal_decode(d, len, &s, &e), 0);
        /* v4 layout: the maker certificate is outside what the maker signed; without its
         * issuer a change there is a chain finding (t_seal.sh flips it with the root given) */
        size_t mc0 = (size_t)(s.maker_cert.p - d), mc1 = mc0 + s.maker_cert.len;
        if (s.layout == SEAL_LAYOUT_V1) mc0 = mc1 = 0;
        size_t step = tu_iters(1, 89) > 1 ? 1 : 89;
        for (size_t off = 0; off < len; off += step) {
            if (off >= mc0 && off < mc1) continue;
            d[off] ^= 0x01;
            int rc = seal_verify(v, d, len, NULL, 0, rep, &e);
            d[off] ^= 0x01;
            if (rc != SC_EVERIFY || rep->failed == 0)
                fail_msg("%s: flip at %zu passes under integrity", files[fi], off);
        }
        seal_verifier_free(v);
        free(d);
    }
    free(rep);
}

int main(void)
{
    const struct CMUnitTest codec[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_byte_flips),
        cmocka_unit_test(test_policy_integrity),
        cmocka_unit_test(test_bad_input),
    };
    const struct CMUnitTest reg[] = {
        cmocka_unit_test_setup_teardown(test_registry, reg_setup, reg_teardown),
    };
    int rc = cmocka_run_group_tests_name("seal codec", codec, NULL, NULL);
    int n = tdb_drivers();
    if (n < 0) return 1;
    for (int i = 0; i < n; i++) {
        pg_mode = i;
        fprintf(stderr, "seal registry on %s\n", tdb_names[i]);
        rc |= cmocka_run_group_tests_name("seal registry", reg, NULL, NULL);
    }
    return rc;
}
