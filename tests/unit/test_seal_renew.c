/* test_seal_renew.c - renewing the seals of a renewed signing certificate (ra-renew,
 * seal_renew_for_cert): every active seal of the old certificate gets a successor bound to the new
 * certificate with the same picture, size, name, kind and layout; the old ones are retired; all or
 * nothing; the new seal signs with the new certificate and the old seal refuses it (GM/T 0031
 * §6.2.2). SQLite and PostgreSQL. */
#include "testdb.h"

#include <time.h>
#include <unistd.h>

#include "keyproc/keyproc.h"
#include "seal/image.h"
#include "seal/seal.h"

#define PASS "unit-test passphrase"

typedef struct rfx {
    char *dir;
    char home[4200];
    tdb db;
    pki_ca *ca;
    cert_info holder;
    sc_key *holder_key;
} rfx;

static int pg_mode;

static int issue(rfx *f, sc_key *k, cert_info *out)
{
    sc_err e = {0};
    issue_req r = {0};
    r.profile = "organization-sign";
    r.subject = "CN=甲公司,O=甲公司,C=CN";
    r.uscc = "91350100M000100Y43";
    r.pub = k;
    r.actor = "unit-test";
    if (pki_issue(f->ca, &r, out, &e) != 0) {
        fprintf(stderr, "issue: %s %s\n", e.code, e.msg);
        return -1;
    }
    return 0;
}

static int reg_setup(void **state)
{
    rfx *f = calloc(1, sizeof(*f));
    sc_err e = {0};
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    tdb_create(&f->db, pg_mode, f->dir, "ca.db");
    ca_init_opts o = {0};
    o.home = f->home;
    o.name = "印章延期单元测试 CA";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    o.database = f->db.url;
    if (ca_init(&o, &e) != 0 || ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0 ||
        crypto_key_generate(SC_ALG_SM2, &f->holder_key, &e) != 0) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    if (issue(f, f->holder_key, &f->holder) != 0) return -1;
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

static void make_png(sc_buf *out, uint8_t red)
{
    seal_img im = {0};
    sc_err e = {0};
    assert_int_equal(seal_img_new(&im, 16, 16, &e), 0);
    for (size_t i = 0; i < 16 * 16; i++) {
        im.rgba[4 * i] = red;
        im.rgba[4 * i + 3] = (uint8_t)(i % 3 ? 255 : 0);
    }
    assert_int_equal(seal_img_png(&im, out, &e), 0);
    seal_img_free(&im);
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

static void test_renew(void **state)
{
    rfx *f = *state;
    sc_err e = {0};
    sc_buf png1 = {0}, png2 = {0};
    make_png(&png1, 200);
    make_png(&png2, 180);
    /* two seals on the old certificate: an official v4 seal, a contract v1 seal 30 x 20 mm */
    seal_make_req r = {0};
    r.name = "甲公司";
    r.type = SEAL_TYPE_ORGANIZATION;
    r.holder_cert = f->holder.der;
    r.holder_len = f->holder.derlen;
    r.picture = png1.p;
    r.piclen = png1.len;
    r.actor = "unit-test";
    seal_record a = {0}, b = {0};
    assert_int_equal(seal_make(f->ca, &r, &a, &e), 0);
    r.kind = "contract";
    r.layout = SEAL_LAYOUT_V1;
    r.picture = png2.p;
    r.piclen = png2.len;
    r.pic_width = 30;
    r.pic_height = 20;
    assert_int_equal(seal_make(f->ca, &r, &b, &e), 0);
    seal_record act[4];
    int n = 0;
    assert_int_equal(seal_active_for_cert(f->ca, f->holder.serial, act, 4, &n, &e), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++)
        seal_record_free(&act[i]);

    /* the renewed certificate */
    sc_key *k2 = NULL;
    cert_info renewed;
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k2, &e), 0);
    assert_int_equal(issue(f, k2, &renewed), 0);

    /* the same certificate again is not a renewal: refused, nothing changes */
    sc_err e1 = {0};
    assert_int_equal(seal_renew_for_cert(f->ca, f->holder.serial, f->holder.der, f->holder.derlen,
                                         "unit-test", NULL, 0, &n, &e1),
                     SC_EINVAL);
    assert_int_equal(seal_active_for_cert(f->ca, f->holder.serial, act, 4, &n, &e), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++)
        seal_record_free(&act[i]);

    /* through the key process: the seal maker's key is not in this process */
    keyproc *kp = NULL;
    pki_ca *ca2 = NULL;
    assert_int_equal(keyproc_start(f->ca, &kp, &e), 0);
    assert_int_equal(ca_open(f->home, NULL, 0, &ca2, &e), 0);
    assert_int_equal(keyproc_attach(kp, ca2, &e), 0);
    seal_record nw[4];
    memset(nw, 0, sizeof(nw));
    assert_int_equal(seal_renew_for_cert(ca2, f->holder.serial, renewed.der, renewed.derlen,
                                         "unit-test", nw, 4, &n, &e),
                     0);
    ca_close(ca2);
    keyproc_stop(kp);
    assert_int_equal(n, 2);
    const seal_record *olds[2] = {&a, &b};
    const sc_buf *pics[2] = {&png1, &png2};
    for (int i = 0; i < 2; i++) {
        /* seals made in the same second come back in any order: match them by kind */
        int o = strcmp(nw[i].kind, "contract") == 0;
        const seal_record *old = olds[o];
        const sc_buf *pic = pics[o];
        seal s;
        assert_int_equal(seal_decode(nw[i].der, nw[i].derlen, &s, &e), 0);
        assert_string_equal(nw[i].cert_serial, renewed.serial);
        assert_string_equal(nw[i].kind, old->kind);
        assert_string_equal(nw[i].name, "甲公司");
        assert_int_equal(nw[i].layout, old->layout);
        assert_int_equal(s.ncerts, 1);
        assert_memory_equal(s.certs[0].p, renewed.der, renewed.derlen);
        assert_int_equal(s.picture.len, pic->len);
        assert_memory_equal(s.picture.p, pic->p, pic->len);
        if (o == 1) {
            assert_int_equal(s.pic_width, 30);
            assert_int_equal(s.pic_height, 20);
        }
        verify_ok(f, nw[i].der, nw[i].derlen, NULL, 0);
        seal_record got = {0};
        assert_int_equal(seal_get(f->ca, old->esid, &got, &e), 0);
        assert_string_equal(got.status, "retired");
        assert_string_equal(got.reason, "renew");
        assert_string_equal(got.replaced_by, nw[i].esid);
        seal_record_free(&got);
    }
    assert_int_equal(seal_active_for_cert(f->ca, f->holder.serial, act, 4, &n, &e), 0);
    assert_int_equal(n, 0);
    assert_int_equal(seal_active_for_cert(f->ca, renewed.serial, act, 4, &n, &e), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++)
        seal_record_free(&act[i]);

    /* signing: new seal + new certificate verifies; the old seal refuses the new certificate */
    const char *doc = "投标文件";
    uint8_t h[32];
    crypto_sm3(doc, strlen(doc), h);
    sc_buf sig = {0};
    int off = strcmp(nw[0].kind, "official") == 0 ? 0 : 1;
    assert_int_equal(seal_sign(nw[off].der, nw[off].derlen, k2, renewed.der, renewed.derlen, h,
                               "bid.txt", (int64_t)time(NULL), NULL, 0, &sig, &e),
                     0);
    verify_ok(f, sig.p, sig.len, (const uint8_t *)doc, strlen(doc));
    sc_buf_free(&sig);
    sc_err e2 = {0};
    assert_int_equal(seal_sign(a.der, a.derlen, k2, renewed.der, renewed.derlen, h, "bid.txt",
                               (int64_t)time(NULL), NULL, 0, &sig, &e2),
                     SC_EVERIFY);
    assert_string_equal(e2.code, "seal.cert_not_bound");
    assert_int_equal(sig.len, 0);

    /* nothing left to renew: a second call renews nothing */
    assert_int_equal(seal_renew_for_cert(f->ca, f->holder.serial, renewed.der, renewed.derlen,
                                         "unit-test", NULL, 0, &n, &e),
                     0);
    assert_int_equal(n, 0);

    /* all or nothing: a revoked target certificate makes no seal and retires none */
    sc_key *k3 = NULL;
    cert_info third;
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k3, &e), 0);
    assert_int_equal(issue(f, k3, &third), 0);
    assert_int_equal(pki_revoke(f->ca, third.serial, REASON_SUPERSEDED, 0, "unit-test", &e), 0);
    sc_err e3 = {0};
    assert_int_not_equal(seal_renew_for_cert(f->ca, renewed.serial, third.der, third.derlen,
                                             "unit-test", NULL, 0, &n, &e3),
                         0);
    assert_int_equal(seal_active_for_cert(f->ca, renewed.serial, act, 4, &n, &e), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++)
        seal_record_free(&act[i]);
    cert_info_free(&third);
    crypto_key_free(k3);

    for (int i = 0; i < 2; i++)
        seal_record_free(&nw[i]);
    seal_record_free(&a);
    seal_record_free(&b);
    cert_info_free(&renewed);
    crypto_key_free(k2);
    sc_buf_free(&png1);
    sc_buf_free(&png2);
}

int main(void)
{
    const struct CMUnitTest reg[] = {
        cmocka_unit_test_setup_teardown(test_renew, reg_setup, reg_teardown),
    };
    int rc = 0;
    int n = tdb_drivers();
    if (n < 0) return 1;
    for (int i = 0; i < n; i++) {
        pg_mode = i;
        fprintf(stderr, "seal renewal on %s\n", tdb_names[i]);
        rc |= cmocka_run_group_tests_name("seal renewal", reg, NULL, NULL);
    }
    return rc;
}
