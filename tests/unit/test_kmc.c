/* test_kmc.c - the KMC, the software USB key and GM/T 0010 envelopes together: pools, dual
 * issuance imported into a token, CA authentication, key recovery rules, the guide's warning
 * (recover onto a new key, open an old bid), PIN unlock, activation codes, the key process as
 * KMC backend, and bad input that changes nothing. On SQLite and PostgreSQL. */
#include "testdb.h"

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit/audit.h"
#include "envelope/envelope.h"
#include "pki/der.h"
#include "keyproc/keyproc.h"
#include "kmc/kmc.h"
#include "token/token.h"

#define PASS        "unit-test passphrase"
#define USCC        "91350100M000100Y43"
#define ORG_SUBJECT "CN=福州测试科技有限公司,O=福州测试科技有限公司,C=CN"
#define UPIN        "123456"
#define APIN        "admin-pin-1"

static int g_pg;

typedef struct fx {
    char *dir;
    char home[4200];
    pki_ca *ca;
    kmc_backend be;
    kmc *k;
    tdb db;
    int ntok;
} fx;

static int make_home(const char *home, const char *database, sc_err *e)
{
    ca_init_opts o = {0};
    o.home = home;
    o.database = database;
    o.name = "sealca KMC 测试";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    return ca_init(&o, e);
}

static int group_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    char st[4300];
    snprintf(st, sizeof(st), "%s/anchors", f->dir);
    mkdir(st, 0700);
    setenv("SEALCA_TOKEN_STATE", st, 1);
    setenv("SEALCA_TOKEN_KDF_MEM", "8", 1); /* argon2id at its floor: the tests stay fast */
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    tdb_create(&f->db, g_pg, f->dir, "home/ca.db");
    sc_err e = {0};
    if (make_home(f->home, g_pg ? f->db.url : NULL, &e) != 0 ||
        ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0 ||
        kmc_master_create(f->home, PASS, strlen(PASS), &e) != 0 ||
        kmc_backend_local(f->home, PASS, strlen(PASS), &f->be, &e) != 0 ||
        kmc_setup(f->ca, &f->be, 2, 4, "admin", &e) != 0 ||
        kmc_open(f->ca, &f->be, &f->k, &e) != 0) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fx *f = *state;
    kmc_close(f->k);
    f->be.close(f->be.ctx);
    ca_close(f->ca);
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static void tok_path(fx *f, char *out, size_t n)
{
    snprintf(out, n, "%s/t%d.tok", f->dir, ++f->ntok);
}

/* A fresh token with a signing key and a request: returns the loaded, logged-in token. */
static token *new_token(fx *f, const char *admin_pin, sc_buf *req_out)
{
    char path[4300], serial[32];
    tok_path(f, path, sizeof(path));
    snprintf(serial, sizeof(serial), "UT-%d-%d", g_pg, f->ntok);
    token_init_opts o = {0};
    o.user_pin = UPIN;
    o.admin_pin = admin_pin;
    o.serial = serial;
    sc_err e = {0};
    if (token_init(path, &o, &e) != 0) fail_msg("token_init: %s %s", e.code, e.msg);
    token *t = NULL;
    assert_int_equal(token_load(path, &t, &e), 0);
    assert_int_equal(token_login(t, UPIN, &e), 0);
    if (req_out != NULL && token_csr(t, "default", ORG_SUBJECT, req_out, &e) != 0)
        fail_msg("token_csr: %s %s", e.code, e.msg);
    return t;
}

static void dual(fx *f, const sc_buf *cr_in, kmc_dual_result *res)
{
    kmc_dual_req r = {0};
    r.profile = "organization";
    r.uscc = USCC;
    r.csr = cr_in->p;
    r.csrlen = cr_in->len;
    r.actor = "ra";
    sc_err e = {0};
    if (kmc_issue_dual(f->k, &r, res, &e) != 0) fail_msg("issue_dual: %s %s", e.code, e.msg);
}

static kmc_stats stats(fx *f)
{
    kmc_stats s;
    sc_err e = {0};
    assert_int_equal(kmc_get_stats(f->k, &s, &e), 0);
    return s;
}

static int64_t audit_count(fx *f)
{
    int64_t n = 0;
    sc_err e = {0};
    assert_int_equal(store_counter(f->ca->db, "audit", 0, &n, &e), 0);
    return n;
}

/* A token with both certificates imported. */
static token *holder(fx *f, kmc_dual_result *res)
{
    sc_buf creq = {0};
    token *t = new_token(f, APIN, &creq);
    dual(f, &creq, res);
    sc_err e = {0};
    if (token_import(t, "default", res->response.p, res->response.len, &e) != 0)
        fail_msg("token_import: %s %s", e.code, e.msg);
    sc_buf_free(&creq);
    return t;
}

static sc_slice enc_cert_of(token *t)
{
    sc_slice s = {t->cont[0].enc_cert, t->cont[0].enc_cert_len};
    return s;
}

/* ---- tests ---- */

static void test_setup_pools(void **state)
{
    fx *f = *state;
    kmc_stats s = stats(f);
    assert_true(s.standby >= 2);
    assert_int_equal(s.pool_min, 2);
    assert_int_equal(s.pool_target, 4);
    assert_int_equal(s.cas, 1);
    /* a second setup of the same CA does not register it twice */
    sc_err e = {0};
    assert_int_equal(kmc_setup(f->ca, &f->be, 2, 4, "admin", &e), 0);
    assert_int_equal(stats(f).cas, 1);
    assert_int_equal(kmc_setup(f->ca, &f->be, 5, 4, "admin", &e), SC_EINVAL);
}

static void test_dual_issue_import_decrypt(void **state)
{
    fx *f = *state;
    kmc_stats before = stats(f);
    kmc_dual_result res = {0};
    token *t = holder(f, &res);
    kmc_stats after = stats(f);
    assert_int_equal(after.inuse, before.inuse + 1);
    /* the pool never drops below its minimum after an issuance */
    assert_true(after.standby >= 2);
    token_container *c = &t->cont[0];
    assert_non_null(c->enc);
    assert_non_null(c->sign_cert);
    /* the signing certificate certifies the token's own key, the encryption one the KMC key */
    sc_key *sp = NULL, *ep = NULL;
    sc_err e = {0};
    assert_int_equal(cert_pubkey(c->sign_cert, c->sign_cert_len, &sp, &e), 0);
    assert_int_equal(cert_pubkey(c->enc_cert, c->enc_cert_len, &ep, &e), 0);
    assert_true(crypto_key_equal_public(sp, c->sign));
    assert_true(crypto_key_equal_public(ep, c->enc));
    assert_false(crypto_key_equal_public(sp, ep));
    crypto_key_free(sp);
    crypto_key_free(ep);
    /* the response parses as GM/T 0092 and the envelope is addressed to the signing key */
    csr_response cr;
    assert_int_equal(csrresp_parse(res.response.p, res.response.len, &cr, &e), 0);
    uint8_t pub[65], ept[65];
    assert_int_equal(envkey_public(cr.env_key.p, cr.env_key.len, pub, &e), 0);
    crypto_key_sm2_point(c->enc, ept);
    assert_memory_equal(pub, ept, 65);
    /* a bid enveloped to three recipients opens with this token */
    kmc_dual_result r2 = {0}, r3 = {0};
    token *t2 = holder(f, &r2), *t3 = holder(f, &r3);
    sc_slice to[3] = {enc_cert_of(t2), enc_cert_of(t), enc_cert_of(t3)};
    const char *bid = "投标文件：报价 1,234,500 元（分：123450000）";
    sc_buf env = {0}, out = {0}, out3 = {0};
    assert_int_equal(envelope_encrypt(to, 3, (const uint8_t *)bid, strlen(bid), &env, &e), 0);
    assert_int_equal(
        envelope_decrypt(env.p, env.len, c->enc, c->enc_cert, c->enc_cert_len, &out, &e), 0);
    assert_int_equal(out.len, strlen(bid));
    assert_memory_equal(out.p, bid, out.len);
    assert_int_equal(envelope_decrypt(env.p, env.len, t3->cont[0].enc, NULL, 0, &out3, &e), 0);
    assert_memory_equal(out3.p, bid, out3.len);
    /* the signing key is not a recipient */
    sc_buf no = {0};
    sc_err ne = {0};
    assert_int_equal(envelope_decrypt(env.p, env.len, c->sign, NULL, 0, &no, &ne), SC_EVERIFY);
    assert_string_equal(ne.code, "envelope.not_recipient");
    assert_int_equal(no.len, 0);
    sc_buf_free(&env);
    sc_buf_free(&out);
    sc_buf_free(&out3);
    token_free(t);
    token_free(t2);
    token_free(t3);
    kmc_dual_result_free(&res);
    kmc_dual_result_free(&r2);
    kmc_dual_result_free(&r3);
}

static void test_ca_authentication(void **state)
{
    fx *f = *state;
    /* a second CA (another home) is unknown to this KMC until registered */
    char home2[4300];
    snprintf(home2, sizeof(home2), "%s/home2-%d", f->dir, g_pg);
    sc_err e = {0};
    tdb db2;
    tdb_create(&db2, g_pg, f->dir, "home2.db");
    assert_int_equal(make_home(home2, g_pg ? db2.url : NULL, &e), 0);
    pki_ca *ca2 = NULL;
    assert_int_equal(ca_open(home2, PASS, strlen(PASS), &ca2, &e), 0);
    pki_issuer *iss2 = ca_active_issuing(ca2);
    sc_key *k2 = NULL, *holder_key = NULL;
    assert_int_equal(ca_issuer_key(ca2, iss2, &k2, &e), 0);
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &holder_key, &e), 0);
    sc_buf req = {0};
    assert_int_equal(kmc_request_build(iss2, holder_key, &req, &e), 0);
    kmc_assignment as = {0};
    int64_t inuse = stats(f).inuse, audits = audit_count(f);
    sc_err ue = {0};
    assert_int_equal(kmc_key_assign(f->k, req.p, req.len, "01", "ca2", &as, &ue), SC_EVERIFY);
    assert_string_equal(ue.code, "kmc.unknown_ca");
    assert_int_equal(stats(f).inuse, inuse);
    assert_int_equal(audit_count(f), audits);
    /* registered by its certificate: now served */
    char id[32];
    assert_int_equal(kmc_register_ca(f->k, iss2->der, iss2->derlen, "admin", id, &e), 0);
    assert_string_equal(id, "ca-2");
    assert_int_equal(kmc_key_assign(f->k, req.p, req.len, "01", "ca2", &as, &e), 0);
    assert_string_equal(as.ca_id, "ca-2");
    assert_int_equal(stats(f).inuse, inuse + 1);
    uint8_t hp[65];
    crypto_key_sm2_point(holder_key, hp);
    assert_memory_equal(as.holder, hp, 65);
    /* the same request again is a replay */
    kmc_assignment as2 = {0};
    sc_err re = {0};
    assert_int_equal(kmc_key_assign(f->k, req.p, req.len, "01", "ca2", &as2, &re), SC_EEXIST);
    assert_string_equal(re.code, "kmc.request_replayed");
    /* a changed request fails the CA's signature */
    sc_buf bad = {0};
    assert_int_equal(kmc_request_build(iss2, holder_key, &bad, &e), 0);
    bad.p[bad.len - 40] ^= 1;
    sc_err be = {0};
    assert_int_equal(kmc_key_assign(f->k, bad.p, bad.len, "01", "ca2", &as2, &be), SC_EVERIFY);
    assert_string_equal(be.code, "kmc.bad_ca_signature");
    /* garbage */
    sc_err ge = {0};
    assert_int_equal(kmc_key_assign(f->k, (const uint8_t *)"\x30\x00", 2, "01", "x", &as2, &ge),
                     SC_EINVAL);
    assert_int_equal(stats(f).inuse, inuse + 1);
    sc_buf_free(&bad);
    sc_buf_free(&req);
    sc_buf_free(&as.escrow);
    crypto_key_free(holder_key);
    ca_close(ca2);
    tdb_drop(&db2);
}

static void test_recovery_rules_and_judicial(void **state)
{
    fx *f = *state;
    kmc_dual_result res = {0};
    token *t = holder(f, &res);
    sc_err e = {0};
    int64_t id = 0;
    sc_err x = {0};
    /* judicial needs a case reference */
    assert_int_equal(kmc_recovery_request(f->k, KMC_RECOVER_JUDICIAL, res.enc_serial, "alice", "",
                                          NULL, &id, &x),
                     SC_EINVAL);
    /* no escrow for a signing certificate */
    sc_err ne = {0};
    assert_int_equal(kmc_recovery_request(f->k, KMC_RECOVER_JUDICIAL, res.sign_serial, "alice",
                                          "(2026)闽01刑初1号", NULL, &id, &ne),
                     SC_ENOTFOUND);
    assert_int_equal(kmc_recovery_request(f->k, KMC_RECOVER_JUDICIAL, res.enc_serial, "alice",
                                          "(2026)闽01刑初1号", "court order", &id, &e),
                     0);
    sc_buf pem = {0};
    sc_err r1 = {0}, r2 = {0}, r3 = {0}, r4 = {0};
    /* not before two approvals */
    assert_int_equal(kmc_recovery_release_judicial(f->k, id, "bob", "password-1", 10, &pem, &r1),
                     SC_ESTATE);
    assert_string_equal(r1.code, "kmc.recovery_not_approved");
    assert_int_equal(kmc_recovery_approve(f->k, id, "alice", &r2), SC_ESTATE);
    assert_string_equal(r2.code, "kmc.recovery_self_approval");
    assert_int_equal(kmc_recovery_approve(f->k, id, "bob", &e), 0);
    assert_int_equal(kmc_recovery_approve(f->k, id, "bob", &r3), SC_ESTATE);
    assert_string_equal(r3.code, "kmc.recovery_same_officer");
    assert_int_equal(kmc_recovery_release_judicial(f->k, id, "bob", "password-1", 10, &pem, &r4),
                     SC_ESTATE);
    assert_int_equal(kmc_recovery_approve(f->k, id, "carol", &e), 0);
    /* a weak password is refused and the release can still happen */
    sc_err we = {0};
    assert_int_equal(kmc_recovery_release_judicial(f->k, id, "carol", "short", 5, &pem, &we),
                     SC_EINVAL);
    assert_int_equal(kmc_recovery_release_judicial(f->k, id, "carol", "password-1", 10, &pem, &e),
                     0);
    /* the released file is password-protected PKCS#8 holding the holder's encryption key */
    assert_non_null(strstr((char *)pem.p, "ENCRYPTED PRIVATE KEY"));
    sc_key *k = NULL;
    sc_err bad = {0};
    assert_int_not_equal(crypto_key_import(pem.p, pem.len, "wrong-password", 14, &k, &bad), 0);
    assert_int_equal(crypto_key_import(pem.p, pem.len, "password-1", 10, &k, &e), 0);
    assert_true(crypto_key_equal_public(k, t->cont[0].enc));
    crypto_key_free(k);
    /* once */
    sc_buf pem2 = {0};
    sc_err oe = {0};
    assert_int_equal(kmc_recovery_release_judicial(f->k, id, "carol", "password-1", 10, &pem2, &oe),
                     SC_ESTATE);
    assert_int_equal(pem2.len, 0);
    /* a rejected request cannot be approved or released */
    int64_t id2 = 0;
    assert_int_equal(kmc_recovery_request(f->k, KMC_RECOVER_JUDICIAL, res.enc_serial, "alice",
                                          "(2026)闽01刑初2号", NULL, &id2, &e),
                     0);
    assert_int_equal(kmc_recovery_reject(f->k, id2, "bob", "no court order attached", &e), 0);
    sc_err je = {0};
    assert_int_equal(kmc_recovery_approve(f->k, id2, "carol", &je), SC_ESTATE);
    sc_buf_free(&pem);
    token_free(t);
    kmc_dual_result_free(&res);
}

/* The guide: "decrypt your files before you cancel" - and when the key broke anyway, the KMC
 * restores the same encryption key onto the replacement key. */
static void test_guide_warning_recover_onto_new_token(void **state)
{
    fx *f = *state;
    kmc_dual_result res = {0};
    token *old = holder(f, &res);
    sc_slice to[1] = {enc_cert_of(old)};
    const char *bid = "bid opened after the key broke";
    sc_buf env = {0}, out = {0};
    sc_err e = {0};
    assert_int_equal(envelope_encrypt(to, 1, (const uint8_t *)bid, strlen(bid), &env, &e), 0);
    char enc_serial[33];
    snprintf(enc_serial, sizeof(enc_serial), "%s", res.enc_serial);
    /* the key is lost: the file is gone */
    assert_int_equal(unlink(old->path), 0);
    token_free(old);
    /* a replacement key: new signing key, new signing certificate */
    sc_buf creq = {0};
    token *nt = new_token(f, APIN, &creq);
    csr pc = {0};
    assert_int_equal(csr_parse(creq.p, creq.len, &pc, &e), 0);
    issue_req ir = {0};
    ir.profile = "organization-sign";
    ir.subject = ORG_SUBJECT;
    ir.uscc = USCC;
    ir.pub = pc.pub;
    ir.actor = "ra";
    cert_info si = {0};
    assert_int_equal(pki_issue(f->ca, &ir, &si, &e), 0);
    /* damaged-key recovery with two approvals */
    int64_t id = 0;
    assert_int_equal(kmc_recovery_request(f->k, KMC_RECOVER_DAMAGED, enc_serial, "ra-clerk",
                                          "RA-ORDER-77", "key broken", &id, &e),
                     0);
    assert_int_equal(kmc_recovery_approve(f->k, id, "officer-1", &e), 0);
    assert_int_equal(kmc_recovery_approve(f->k, id, "officer-2", &e), 0);
    sc_buf resp = {0};
    /* only a good signing certificate of this CA: not the encryption certificate */
    cert_info ei = {0};
    assert_int_equal(pki_cert_get(f->ca, enc_serial, &ei, &e), 0);
    sc_err be = {0};
    assert_int_equal(
        kmc_recovery_release_damaged(f->k, id, "officer-2", ei.der, ei.derlen, &resp, &be),
        SC_EINVAL);
    /* nor another holder's signing certificate */
    issue_req oir = ir;
    oir.subject = "CN=别的公司,O=别的公司,C=CN";
    cert_info oi = {0};
    assert_int_equal(pki_issue(f->ca, &oir, &oi, &e), 0);
    sc_err he = {0};
    assert_int_equal(
        kmc_recovery_release_damaged(f->k, id, "officer-2", oi.der, oi.derlen, &resp, &he),
        SC_EINVAL);
    assert_string_equal(he.code, "kmc.other_holder");
    cert_info_free(&oi);
    assert_int_equal(
        kmc_recovery_release_damaged(f->k, id, "officer-2", si.der, si.derlen, &resp, &e), 0);
    assert_int_equal(token_import(nt, "default", resp.p, resp.len, &e), 0);
    /* the old bid opens on the new key */
    assert_int_equal(envelope_decrypt(env.p, env.len, nt->cont[0].enc, nt->cont[0].enc_cert,
                                      nt->cont[0].enc_cert_len, &out, &e),
                     0);
    assert_int_equal(out.len, strlen(bid));
    assert_memory_equal(out.p, bid, out.len);
    /* and after reloading the token file with the PIN */
    token *re = NULL;
    assert_int_equal(token_load(nt->path, &re, &e), 0);
    assert_int_equal(token_login(re, UPIN, &e), 0);
    sc_buf out2 = {0};
    assert_int_equal(envelope_decrypt(env.p, env.len, re->cont[0].enc, NULL, 0, &out2, &e), 0);
    assert_memory_equal(out2.p, bid, out2.len);
    /* an enveloped key for another token is refused by this one and changes nothing */
    kmc_dual_result other = {0};
    sc_buf ocsr = {0};
    token *ot = new_token(f, APIN, &ocsr);
    dual(f, &ocsr, &other);
    int64_t gen = re->generation;
    sc_err we = {0};
    assert_int_equal(token_import(re, "default", other.response.p, other.response.len, &we),
                     SC_EVERIFY);
    assert_string_equal(we.code, "token.wrong_cert");
    assert_int_equal(re->generation, gen);
    /* the same with only the envelope swapped in */
    csr_response a, b;
    assert_int_equal(csrresp_parse(resp.p, resp.len, &a, &e), 0);
    assert_int_equal(csrresp_parse(other.response.p, other.response.len, &b, &e), 0);
    sc_buf mixed = {0};
    sc_buf envk = {0};
    /* re-tag the [0] envelope as a SEQUENCE for csrresp_encode */
    sc_buf_append(&envk, b.env_key.p, b.env_key.len);
    envk.p[0] = 0x30;
    assert_int_equal(csrresp_encode(a.sign_cert.p, a.sign_cert.len, envk.p, envk.len, b.enc_cert.p,
                                    b.enc_cert.len, &mixed, &e),
                     0);
    sc_err me = {0};
    assert_int_equal(token_import(re, "default", mixed.p, mixed.len, &me), SC_EVERIFY);
    assert_string_equal(me.code, "envkey.not_for_me");
    assert_int_equal(re->generation, gen);
    /* malformed and truncated responses */
    sc_err te = {0}, tr = {0};
    assert_int_equal(token_import(re, "default", resp.p, resp.len - 7, &te), SC_EINVAL);
    assert_int_equal(token_import(re, "default", (const uint8_t *)"garbage", 7, &tr), SC_EINVAL);
    assert_string_equal(tr.code, "csrresp.malformed");
    sc_buf_free(&mixed);
    sc_buf_free(&envk);
    sc_buf_free(&ocsr);
    token_free(ot);
    kmc_dual_result_free(&other);
    token_free(re);
    sc_buf_free(&out2);
    cert_info_free(&si);
    cert_info_free(&ei);
    csr_free(&pc);
    sc_buf_free(&creq);
    sc_buf_free(&resp);
    sc_buf_free(&env);
    sc_buf_free(&out);
    token_free(nt);
    kmc_dual_result_free(&res);
}

static void test_sweep_history(void **state)
{
    fx *f = *state;
    kmc_dual_result res = {0};
    sc_buf creq = {0};
    token *t = new_token(f, APIN, &creq);
    dual(f, &creq, &res);
    kmc_stats s0 = stats(f);
    sc_err e = {0};
    assert_int_equal(pki_revoke(f->ca, res.enc_serial, REASON_SUPERSEDED, 0, "ra", &e), 0);
    int moved = 0;
    assert_int_equal(kmc_sweep(f->k, "kmc", &moved, &e), 0);
    assert_int_equal(moved, 1);
    kmc_stats s1 = stats(f);
    assert_int_equal(s1.history, s0.history + 1);
    assert_int_equal(s1.inuse, s0.inuse - 1);
    /* a history key is still recoverable (old bids) */
    int64_t id = 0;
    assert_int_equal(kmc_recovery_request(f->k, KMC_RECOVER_JUDICIAL, res.enc_serial, "a",
                                          "(2026)case", NULL, &id, &e),
                     0);
    assert_int_equal(kmc_sweep(f->k, "kmc", &moved, &e), 0);
    assert_int_equal(moved, 0);
    /* an assignment abandoned by a crash (no encryption certificate, an hour old) goes back */
    sc_buf req = {0};
    sc_key *hk = NULL;
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &hk, &e), 0);
    pki_issuer *iss = ca_active_issuing(f->ca);
    sc_key *cak = NULL;
    assert_int_equal(ca_issuer_key(f->ca, iss, &cak, &e), 0);
    assert_int_equal(kmc_request_build(iss, hk, &req, &e), 0);
    kmc_assignment as = {0};
    assert_int_equal(kmc_key_assign(f->k, req.p, req.len, "77", "ra", &as, &e), 0);
    kmc_stats s2 = stats(f);
    assert_int_equal(kmc_sweep(f->k, "kmc", &moved, &e), 0);
    assert_int_equal(stats(f).inuse, s2.inuse); /* too recent: maybe still issuing */
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE kmc_keys SET used_at = 1 WHERE id = %lld",
             (long long)as.key_id);
    tdb_exec(&f->db, sql);
    assert_int_equal(kmc_sweep(f->k, "kmc", &moved, &e), 0);
    assert_int_equal(stats(f).inuse, s2.inuse - 1);
    assert_int_equal(stats(f).standby, s2.standby + 1);
    sc_buf_free(&as.escrow);
    sc_buf_free(&req);
    crypto_key_free(hk);
    sc_buf_free(&creq);
    token_free(t);
    kmc_dual_result_free(&res);
}

static void test_pin_counter_lock_unlock(void **state)
{
    fx *f = *state;
    /* a managed token: its admin PIN is the KMC's derivation from the serial */
    char path[4300], serial[32], apin[33];
    tok_path(f, path, sizeof(path));
    snprintf(serial, sizeof(serial), "MG-%d-%d", g_pg, f->ntok);
    sc_err e = {0};
    assert_int_equal(f->be.device_pin(f->be.ctx, serial, apin, &e), 0);
    token_init_opts o = {0};
    o.user_pin = UPIN;
    o.admin_pin = apin;
    o.serial = serial;
    assert_int_equal(token_init(path, &o, &e), 0);
    /* wrong PINs: the counter is on disk before the error, the message says how many remain */
    for (int i = 5; i >= 0; i--) {
        token *t = NULL;
        sc_err pe = {0};
        assert_int_equal(token_load(path, &t, &e), 0);
        int rc = token_login(t, "wrong-pin", &pe);
        token_free(t);
        if (i > 0) {
            assert_int_equal(rc, SC_EVERIFY);
            assert_string_equal(pe.code, "token.pin_incorrect");
            char want[32];
            snprintf(want, sizeof(want), "%d tries left", i);
            assert_non_null(strstr(pe.msg, want));
        } else {
            assert_int_equal(rc, SC_ESTATE);
            assert_string_equal(pe.code, "token.pin_locked");
        }
    }
    token *t = NULL;
    sc_err le = {0};
    assert_int_equal(token_load(path, &t, &e), 0);
    assert_int_equal(t->user_tries, 0);
    assert_int_equal(token_login(t, UPIN, &le), SC_ESTATE); /* even the right PIN */
    assert_string_equal(le.code, "token.pin_locked");
    /* online unlock */
    sc_buf req = {0}, ans = {0}, ans2 = {0};
    assert_int_equal(token_unlock_request(t, &req, &e), 0);
    /* the service answers only with an order reference */
    sc_err oe = {0};
    assert_int_equal(kmc_unlock_answer(f->k, "", req.p, req.len, "654321", "ra", &ans, &oe),
                     SC_EINVAL);
    assert_int_equal(kmc_unlock_answer(f->k, "RA-PIN-1", req.p, req.len, "654321", "ra", &ans, &e),
                     0);
    /* the same request again is refused by the service */
    sc_err se = {0};
    assert_int_equal(
        kmc_unlock_answer(f->k, "RA-PIN-1", req.p, req.len, "654321", "ra", &ans2, &se), SC_ESTATE);
    assert_string_equal(se.code, "kmc.unlock_replay");
    /* a forged answer (one byte of the MAC) is refused and changes nothing */
    sc_buf forged = {0};
    sc_buf_append(&forged, ans.p, ans.len);
    forged.p[forged.len - 1] ^= 0x55;
    sc_err fe = {0};
    int64_t gen = t->generation;
    assert_int_equal(token_unlock(t, forged.p, forged.len, &fe), SC_EVERIFY);
    assert_string_equal(fe.code, "unlock.forged");
    assert_int_equal(t->generation, gen);
    assert_int_equal(token_unlock(t, ans.p, ans.len, &e), 0);
    assert_int_equal(t->user_tries, t->user_max);
    /* replaying the answer fails: the challenge is consumed */
    sc_err re = {0};
    assert_int_equal(token_unlock(t, ans.p, ans.len, &re), SC_EVERIFY);
    assert_string_equal(re.code, "unlock.replayed");
    token_free(t);
    assert_int_equal(token_load(path, &t, &e), 0);
    sc_err oldpin = {0};
    assert_int_equal(token_login(t, UPIN, &oldpin), SC_EVERIFY);
    token_free(t);
    assert_int_equal(token_load(path, &t, &e), 0);
    assert_int_equal(token_login(t, "654321", &e), 0);
    assert_int_equal(t->user_tries, t->user_max); /* reset by the right PIN */
    token_free(t);
    /* a self-managed token (human admin PIN): the service's answer does not open it */
    sc_buf creq = {0};
    token *s = new_token(f, APIN, NULL);
    sc_buf req2 = {0}, ans3 = {0};
    assert_int_equal(token_unlock_request(s, &req2, &e), 0);
    assert_int_equal(
        kmc_unlock_answer(f->k, "RA-PIN-2", req2.p, req2.len, "654321", "ra", &ans3, &e), 0);
    sc_err xe = {0};
    assert_int_equal(token_unlock(s, ans3.p, ans3.len, &xe), SC_EVERIFY);
    assert_string_equal(xe.code, "unlock.forged");
    /* the local admin PIN unblocks it (SKF_UnblockPIN) */
    assert_int_equal(token_unblock(s, APIN, "777777", &e), 0);
    token_free(s);
    sc_buf_free(&creq);
    sc_buf_free(&req);
    sc_buf_free(&req2);
    sc_buf_free(&ans);
    sc_buf_free(&ans2);
    sc_buf_free(&ans3);
    sc_buf_free(&forged);
}

static void test_token_file_damage_and_rollback(void **state)
{
    fx *f = *state;
    token *t = new_token(f, APIN, NULL);
    char path[4300];
    snprintf(path, sizeof(path), "%s", t->path);
    token_free(t);
    uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(sc_file_read(path, TOKEN_FILE_MAX, &d, &n), 0);
    /* every truncation is refused as malformed */
    for (size_t cut = 0; cut < n; cut += 7) {
        token *x = NULL;
        sc_err e = {0};
        assert_int_not_equal(token_parse(d, cut, &x, &e), 0);
        assert_null(x);
    }
    /* a flipped byte in the body: the right PIN opens the slot, the body fails its check */
    uint8_t *c = malloc(n);
    memcpy(c, d, n);
    c[n - 5] ^= 1;
    char cpath[4400];
    snprintf(cpath, sizeof(cpath), "%s.corrupt", path);
    assert_int_equal(sc_file_write_atomic(cpath, c, n, 0600), 0);
    token *x = NULL;
    sc_err e = {0}, ce = {0};
    assert_int_equal(token_load(cpath, &x, &e), 0);
    assert_int_equal(token_login(x, UPIN, &ce), SC_EVERIFY);
    assert_string_equal(ce.code, "token.corrupt");
    token_free(x);
    /* an old copy put back after a wrong PIN is refused */
    assert_int_equal(token_load(path, &x, &e), 0);
    sc_err we = {0};
    assert_int_equal(token_login(x, "wrong-pin", &we), SC_EVERIFY);
    token_free(x);
    assert_int_equal(sc_file_write_atomic(path, d, n, 0600), 0);
    sc_err rb = {0};
    assert_int_equal(token_load(path, &x, &rb), SC_ESTATE);
    assert_string_equal(rb.code, "token.rolled_back");
    /* no temporary file left behind by the writes */
    char cmd[4600];
    snprintf(cmd, sizeof(cmd), "ls -a '%s' | grep -c tmp", f->dir);
    FILE *p = popen(cmd, "r");
    char out[16] = "";
    assert_non_null(fgets(out, sizeof(out), p));
    pclose(p);
    assert_int_equal(atoi(out), 0);
    free(c);
    free(d);
}

static void test_envelope_bad_input(void **state)
{
    fx *f = *state;
    kmc_dual_result res = {0};
    token *t = holder(f, &res);
    sc_slice to[1] = {enc_cert_of(t)};
    sc_err e = {0};
    sc_buf env = {0};
    uint8_t big[5000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    assert_int_equal(envelope_encrypt(to, 1, big, sizeof(big), &env, &e), 0);
    envelope_info *info = malloc(sizeof(*info));
    assert_int_equal(envelope_parse(env.p, env.len, info, &e), 0);
    assert_int_equal(info->nr, 1);
    /* the encrypted key altered: the SM2 check (C3) refuses it */
    size_t off = (size_t)(info->r[0].enc_key.p - env.p) + 40;
    sc_buf bad = {0}, out = {0};
    sc_buf_append(&bad, env.p, env.len);
    bad.p[off] ^= 1;
    sc_err ke = {0};
    assert_int_equal(envelope_decrypt(bad.p, bad.len, t->cont[0].enc, NULL, 0, &out, &ke),
                     SC_EVERIFY);
    assert_int_equal(out.len, 0);
    /* truncations and a wrong content type */
    for (size_t cut = 0; cut < env.len; cut += 97) {
        sc_err te = {0};
        assert_int_not_equal(envelope_decrypt(env.p, cut, t->cont[0].enc, NULL, 0, &out, &te), 0);
        assert_int_equal(out.len, 0);
    }
    bad.len = 0;
    sc_buf_append(&bad, env.p, env.len);
    bad.p[4 + 2 + 9] ^= 1; /* last byte of the contentType OID */
    sc_err oe = {0};
    assert_int_equal(envelope_parse(bad.p, bad.len, info, &oe), SC_EINVAL);
    assert_string_equal(oe.code, "envelope.unsupported");
    /* a signing-only certificate (ECDSA) as recipient */
    sc_err ce = {0};
    sc_slice junk[1] = {{(const uint8_t *)"\x30\x03\x02\x01\x01", 5}};
    assert_int_equal(envelope_encrypt(junk, 1, big, 10, &out, &ce), SC_EINVAL);
    free(info);
    sc_buf_free(&bad);
    sc_buf_free(&env);
    token_free(t);
    kmc_dual_result_free(&res);
}

static void test_activation_codes(void **state)
{
    fx *f = *state;
    token *t = new_token(f, APIN, NULL);
    uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(sc_file_read(t->path, TOKEN_FILE_MAX, &d, &n), 0);
    char code[24];
    sc_err e = {0};
    assert_int_equal(kmc_activation_create(f->k, d, n, 600, "ra", code, &e), 0);
    assert_int_equal(strlen(code), 20);
    assert_int_equal(stats(f).activations_open, 1);
    /* shown with dashes and in lower case: still the code */
    char shown[40];
    snprintf(shown, sizeof(shown), "%.5s-%.5s-%.5s-%.5s", code, code + 5, code + 10, code + 15);
    for (char *p = shown; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    sc_buf out = {0}, out2 = {0};
    assert_int_equal(kmc_activation_redeem(f->k, shown, "phone", &out, &e), 0);
    assert_int_equal(out.len, n);
    assert_memory_equal(out.p, d, n);
    /* once */
    sc_err ue = {0};
    assert_int_equal(kmc_activation_redeem(f->k, code, "phone", &out2, &ue), SC_ESTATE);
    assert_string_equal(ue.code, "kmc.activation_used");
    assert_int_equal(out2.len, 0);
    /* expired */
    char code2[24];
    assert_int_equal(kmc_activation_create(f->k, d, n, 60, "ra", code2, &e), 0);
    tdb_exec(&f->db, "UPDATE kmc_activations SET expires_at = 1 WHERE used_at IS NULL");
    sc_err xe = {0};
    assert_int_equal(kmc_activation_redeem(f->k, code2, "phone", &out2, &xe), SC_ESTATE);
    assert_string_equal(xe.code, "kmc.activation_expired");
    /* unknown and malformed codes */
    sc_err ne = {0}, me = {0};
    assert_int_equal(kmc_activation_redeem(f->k, "22222-22222-22222-22222", "p", &out2, &ne),
                     SC_ENOTFOUND);
    assert_int_equal(kmc_activation_redeem(f->k, "not a code", "p", &out2, &me), SC_EINVAL);
    /* the QR code is a PNG */
    sc_buf png = {0};
    assert_int_equal(kmc_qr_png("sealca-activate:ABCDE", &png, &e), 0);
    assert_true(png.len > 100);
    assert_memory_equal(png.p, "\x89PNG", 4);
    sc_buf_free(&png);
    sc_buf_free(&out);
    free(d);
    token_free(t);
}

/* While serving, the KMC master key lives only in the key process. */
static void test_keyproc_backend(void **state)
{
    fx *f = *state;
    pki_ca *ca = NULL;
    keyproc *kp = NULL;
    sc_err e = {0};
    assert_int_equal(ca_open(f->home, PASS, strlen(PASS), &ca, &e), 0);
    if (keyproc_start(ca, &kp, &e) != 0) fail_msg("keyproc_start: %s %s", e.code, e.msg);
    assert_int_equal(keyproc_attach(kp, ca, &e), 0);
    sc_wipe(ca->pass, ca->passlen); /* the server keeps no passphrase */
    free(ca->pass);
    ca->pass = NULL;
    kmc_backend be;
    assert_int_equal(keyproc_kmc_backend(kp, &be, &e), 0);
    kmc *k = NULL;
    assert_int_equal(kmc_open(ca, &be, &k, &e), 0);
    int added = 0;
    assert_int_equal(kmc_refill(k, 1, &added, &e), 0);
    /* dual issuance through the key process: CA signature and envelope made there */
    sc_buf creq = {0};
    token *t = new_token(f, APIN, &creq);
    kmc_dual_req r = {0};
    r.profile = "organization";
    r.uscc = USCC;
    r.csr = creq.p;
    r.csrlen = creq.len;
    r.actor = "serve";
    kmc_dual_result res = {0};
    if (kmc_issue_dual(k, &r, &res, &e) != 0) fail_msg("issue_dual: %s %s", e.code, e.msg);
    assert_int_equal(token_import(t, "default", res.response.p, res.response.len, &e), 0);
    /* the key process never hands out device admin PINs */
    char pin[33];
    sc_err de = {0};
    assert_int_not_equal(be.device_pin(be.ctx, "X1", pin, &de), 0);
    /* an unlock answer through the key process */
    token_free(t);
    t = NULL;
    sc_buf req = {0}, ans = {0};
    char apin[33];
    /* a managed token for this */
    char path[4300], serial[32];
    tok_path(f, path, sizeof(path));
    snprintf(serial, sizeof(serial), "KP-%d-%d", g_pg, f->ntok);
    assert_int_equal(f->be.device_pin(f->be.ctx, serial, apin, &e), 0);
    token_init_opts o = {0};
    o.user_pin = UPIN;
    o.admin_pin = apin;
    o.serial = serial;
    assert_int_equal(token_init(path, &o, &e), 0);
    token *m = NULL;
    assert_int_equal(token_load(path, &m, &e), 0);
    assert_int_equal(token_unlock_request(m, &req, &e), 0);
    assert_int_equal(kmc_unlock_answer(k, "RA-KP-1", req.p, req.len, "999999", "serve", &ans, &e),
                     0);
    assert_int_equal(token_unlock(m, ans.p, ans.len, &e), 0);
    token_free(m);
    /* judicial export through the key process */
    int64_t id = 0;
    assert_int_equal(kmc_recovery_request(k, KMC_RECOVER_JUDICIAL, res.enc_serial, "a", "case-kp",
                                          NULL, &id, &e),
                     0);
    assert_int_equal(kmc_recovery_approve(k, id, "b", &e), 0);
    assert_int_equal(kmc_recovery_approve(k, id, "c", &e), 0);
    sc_buf pem = {0};
    assert_int_equal(kmc_recovery_release_judicial(k, id, "c", "password-kp", 11, &pem, &e), 0);
    sc_key *key = NULL;
    assert_int_equal(crypto_key_import(pem.p, pem.len, "password-kp", 11, &key, &e), 0);
    crypto_key_free(key);
    sc_buf_free(&pem);
    sc_buf_free(&req);
    sc_buf_free(&ans);
    sc_buf_free(&creq);
    token_free(t);
    kmc_dual_result_free(&res);
    kmc_close(k);
    keyproc_stop(kp);
    ca_close(ca);
}

/* Other producers' encodings: CSRResponse with EXPLICIT [0]/[1] tagging and a SEQUENCE
 * signCertificate, and an SM2EnvelopedKey whose private key is right-aligned in 64 bytes (the
 * GM/T 0016 ENVELOPEDKEYBLOB layout). */
static void test_csrresp_variants(void **state)
{
    fx *f = *state;
    kmc_dual_result res = {0};
    token *t = holder(f, &res);
    sc_err e = {0};
    csr_response cr;
    assert_int_equal(csrresp_parse(res.response.p, res.response.len, &cr, &e), 0);
    /* an envelope made by hand: 64-byte field, SM4 key SM2-encrypted to the signing key */
    uint8_t d[64] = {0}, enc[64], sym[16], pt[65];
    crypto_random(sym, 16);
    assert_int_equal(crypto_key_sm2_private(t->cont[0].enc, d + 32), 0);
    assert_int_equal(crypto_sm4_ecb(1, sym, d, 64, enc), 0);
    crypto_key_sm2_point(t->cont[0].enc, pt);
    sc_buf c = {0};
    assert_int_equal(crypto_sm2_encrypt(t->cont[0].sign, sym, 16, &c, &e), 0);
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE);
    der_oid(&w, "1.2.156.10197.1.104.1");
    der_null(&w);
    der_end(&w);
    der_raw(&w, c.p, c.len);
    der_bits(&w, pt, 65);
    der_bits(&w, enc, 64);
    der_end(&w);
    assert_int_equal(der_finish(&w), 0);
    /* EXPLICIT everything */
    der_w r = {0};
    der_begin(&r, DER_SEQUENCE);
    der_begin(&r, DER_SEQUENCE);
    der_raw(&r, cr.sign_cert.p, cr.sign_cert.len);
    der_end(&r);
    der_begin(&r, DER_CTX_CONS(0));
    der_raw(&r, w.b.p, w.b.len);
    der_end(&r);
    der_begin(&r, DER_CTX_CONS(1));
    der_begin(&r, DER_SET);
    der_raw(&r, cr.enc_cert.p, cr.enc_cert.len);
    der_end(&r);
    der_end(&r);
    der_end(&r);
    assert_int_equal(der_finish(&r), 0);
    csr_response x;
    assert_int_equal(csrresp_parse(r.b.p, r.b.len, &x, &e), 0);
    assert_int_equal(x.enc_cert.len, cr.enc_cert.len);
    sc_key *k = NULL;
    assert_int_equal(envkey_open(x.env_key.p, x.env_key.len, t->cont[0].sign, &k, &e), 0);
    assert_true(crypto_key_equal_public(k, t->cont[0].enc));
    crypto_key_free(k);
    assert_int_equal(token_import(t, "default", r.b.p, r.b.len, &e), 0);
    /* a non-zero byte in the padding of the 64-byte field is refused */
    d[0] = 1;
    assert_int_equal(crypto_sm4_ecb(1, sym, d, 64, enc), 0);
    der_w w2 = {0};
    der_begin(&w2, DER_SEQUENCE);
    der_begin(&w2, DER_SEQUENCE);
    der_oid(&w2, "1.2.156.10197.1.104.1");
    der_end(&w2);
    der_raw(&w2, c.p, c.len);
    der_bits(&w2, pt, 65);
    der_bits(&w2, enc, 64);
    der_end(&w2);
    assert_int_equal(der_finish(&w2), 0);
    sc_err me = {0};
    assert_int_equal(envkey_open(w2.b.p, w2.b.len, t->cont[0].sign, &k, &me), SC_EVERIFY);
    assert_string_equal(me.code, "envkey.mismatch");
    /* an encryption key without its certificate */
    der_w r2 = {0};
    der_begin(&r2, DER_SEQUENCE);
    der_begin(&r2, DER_SET);
    der_raw(&r2, cr.sign_cert.p, cr.sign_cert.len);
    der_end(&r2);
    der_begin(&r2, DER_CTX_CONS(0));
    der_raw(&r2, w.b.p, w.b.len);
    der_end(&r2);
    der_end(&r2);
    assert_int_equal(der_finish(&r2), 0);
    sc_err ie = {0};
    assert_int_equal(csrresp_parse(r2.b.p, r2.b.len, &x, &ie), SC_EINVAL);
    assert_string_equal(ie.code, "csrresp.incomplete");
    der_free(&w);
    der_free(&w2);
    der_free(&r);
    der_free(&r2);
    sc_buf_free(&c);
    token_free(t);
    kmc_dual_result_free(&res);
}

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

/* Every KMC step above was audited in its transaction, and the chain verifies. */
static void test_audit_chain_verifies(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    assert_int_equal(store_tx_begin(f->ca->db, &e), 0);
    assert_int_equal(ca_audit_checkpoint(f->ca, &e), 0);
    assert_int_equal(store_tx_commit(f->ca->db, &e), 0);
    audit_report rep;
    if (audit_verify(f->ca->db, audit_key_of, f->ca, &rep, &e) != 0)
        fail_msg("audit_verify: record %lld: %s", (long long)rep.first_bad, rep.why);
    assert_true(rep.records > 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_pools),
        cmocka_unit_test(test_dual_issue_import_decrypt),
        cmocka_unit_test(test_ca_authentication),
        cmocka_unit_test(test_recovery_rules_and_judicial),
        cmocka_unit_test(test_guide_warning_recover_onto_new_token),
        cmocka_unit_test(test_sweep_history),
        cmocka_unit_test(test_pin_counter_lock_unlock),
        cmocka_unit_test(test_token_file_damage_and_rollback),
        cmocka_unit_test(test_envelope_bad_input),
        cmocka_unit_test(test_csrresp_variants),
        cmocka_unit_test(test_activation_codes),
        cmocka_unit_test(test_keyproc_backend),
        cmocka_unit_test(test_audit_chain_verifies),
    };
    int drivers = tdb_drivers(), failed = drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed += cmocka_run_group_tests_name(g_pg ? "kmc[postgresql]" : "kmc[sqlite]", tests,
                                              group_setup, group_teardown);
    return failed != 0;
}
