/* kmc.c - the key management centre's records: pools, the CAs it serves, dual issuance, key
 * recovery with two approvals, PIN unlock answers and activation codes. Every change audited. */
#include "kmc/kmc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "pki/der.h"
#include "token/token.h"

#define REQ_MAGIC   "sealca-kmc-request-v1"
#define REQ_SKEW    300 /* seconds a CA's request may be old or early */
#define POOL_MAX    100000
#define GEN_BATCH   32 /* keys generated per refill transaction */
#define ACT_TTL_MAX (30 * 86400)

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static int count(store *s, store_sql_id id, const char *text, int64_t iv, int use_int, int64_t *n,
                 sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, id, &st, e);
    if (rc != 0) return rc;
    if (text) store_bind_text(st, 1, text);
    if (use_int) store_bind_int64(st, 1, iv);
    rc = store_step(st, e);
    *n = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_exec(st, NULL);
    return rc < 0 ? rc : 0;
}

int kmc_open(pki_ca *ca, const kmc_backend *be, kmc **out, sc_err *e)
{
    *out = NULL;
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_KMC_CONFIG_GET, &st, e);
    if (rc != 0) return rc;
    rc = store_step(st, e);
    if (rc != STORE_ROW) {
        store_exec(st, NULL);
        return rc < 0 ? rc
                      : sc_fail(e, SC_ESTATE, "kmc.not_initialised",
                                "the KMC of this home is not set up: run sealca kmc init");
    }
    kmc *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        store_exec(st, NULL);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    k->pool_min = (int)store_col_int64(st, 0);
    k->pool_target = (int)store_col_int64(st, 1);
    store_exec(st, NULL);
    k->ca = ca;
    k->be = *be;
    *out = k;
    return 0;
}

void kmc_close(kmc *k)
{
    free(k);
}

/* ---- CAs served ---- */

static int register_ca(pki_ca *ca, const uint8_t *cert, size_t len, const char *actor, char id[32],
                       sc_err *e)
{
    sc_key *pub = NULL;
    uint8_t ski[32];
    size_t skilen = 0;
    char subj[512] = "";
    sc_slice sd;
    int rc = cert_pubkey(cert, len, &pub, e);
    if (rc != 0) return rc;
    if (crypto_key_alg(pub) != SC_ALG_SM2) {
        crypto_key_free(pub);
        return sc_fail(e, SC_EINVAL, "kmc.ca_not_sm2",
                       "the KMC serves SM2 CAs only (dual certificates are an SM2 scheme)");
    }
    rc = crypto_key_id(pub, ski, &skilen, e);
    crypto_key_free(pub);
    if (rc != 0) return rc;
    if (cert_fields(cert, len, &sd, NULL, NULL, NULL) == 0)
        name_der_text(sd.p, sd.len, subj, sizeof(subj));
    int64_t n = 0;
    if ((rc = count(ca->db, ST_KMC_CA_COUNT, NULL, 0, 0, &n, e)) != 0) return rc;
    snprintf(id, 32, "ca-%lld", (long long)n + 1);
    store_stmt *st;
    if ((rc = store_stmt_get(ca->db, ST_KMC_CA_INSERT, &st, e)) != 0) return rc;
    store_bind_text(st, 1, id);
    store_bind_blob(st, 2, ski, skilen);
    store_bind_text(st, 3, subj);
    store_bind_blob(st, 4, cert, len);
    store_bind_int64(st, 5, now_s());
    sc_err ie = {0};
    if ((rc = store_exec(st, &ie)) != 0)
        return rc == SC_EEXIST ? sc_fail(e, rc, "kmc.ca_exists", "this CA is already registered")
                               : sc_fail(e, rc, ie.code, "%s", ie.msg);
    return audit_append(ca->db, actor, "kmc.ca.register", id, "ok", subj, e);
}

int kmc_register_ca(kmc *k, const uint8_t *cert, size_t len, const char *actor, char id[32],
                    sc_err *e)
{
    int rc = store_tx_begin(k->ca->db, e);
    if (rc != 0) return rc;
    if ((rc = register_ca(k->ca, cert, len, actor, id, e)) != 0) {
        store_tx_rollback(k->ca->db);
        return rc;
    }
    return store_tx_commit(k->ca->db, e);
}

int kmc_setup(pki_ca *ca, const kmc_backend *be, int pool_min, int pool_target, const char *actor,
              sc_err *e)
{
    if (pool_min < 1 || pool_target < pool_min || pool_target > POOL_MAX)
        return sc_fail(e, SC_EINVAL, "kmc.bad_pool",
                       "pool levels: 1 <= --pool-min <= --pool-target <= %d", POOL_MAX);
    pki_issuer *iss = ca_active_issuing(ca);
    if (iss == NULL) return sc_fail(e, SC_ESTATE, "ca.no_issuing", "no active issuing CA");
    int rc = store_tx_begin(ca->db, e);
    if (rc != 0) return rc;
    store_stmt *st;
    char detail[96];
    snprintf(detail, sizeof(detail), "pool_min=%d pool_target=%d", pool_min, pool_target);
    if ((rc = store_stmt_get(ca->db, ST_KMC_CONFIG_PUT, &st, e)) != 0) goto fail;
    store_bind_int64(st, 1, pool_min);
    store_bind_int64(st, 2, pool_target);
    store_bind_int64(st, 3, now_s());
    if ((rc = store_exec(st, e)) != 0 ||
        (rc = audit_append(ca->db, actor, "kmc.setup", "kmc", "ok", detail, e)) != 0)
        goto fail;
    char id[32];
    sc_err re = {0};
    rc = register_ca(ca, iss->der, iss->derlen, actor, id, &re);
    if (rc != 0 && rc != SC_EEXIST) {
        sc_fail(e, rc, re.code, "%s", re.msg);
        goto fail;
    }
    if ((rc = store_tx_commit(ca->db, e)) != 0) return rc;
    kmc *k = NULL;
    if ((rc = kmc_open(ca, be, &k, e)) != 0) return rc;
    int added = 0;
    rc = kmc_refill(k, 1, &added, e);
    kmc_close(k);
    return rc;
fail:
    store_tx_rollback(ca->db);
    return rc;
}

/* ---- pools ---- */

int kmc_refill(kmc *k, int force, int *added, sc_err *e)
{
    *added = 0;
    int64_t standby = 0;
    int rc = count(k->ca->db, ST_KMC_KEY_COUNT, "standby", 0, 0, &standby, e);
    if (rc != 0) return rc;
    if (!force && standby >= k->pool_min) return 0;
    if (k->be.generate == NULL)
        return sc_fail(e, SC_ESTATE, "kmc.no_master",
                       "refilling the key pool needs the KMC master key (the passphrase)");
    int need = k->pool_target - (int)standby;
    while (need > 0) {
        int batch = need < GEN_BATCH ? need : GEN_BATCH;
        /* generate outside the transaction: the key process may take a while */
        uint8_t pub[GEN_BATCH][65];
        sc_buf blob[GEN_BATCH];
        memset(blob, 0, sizeof(blob));
        for (int i = 0; i < batch && rc == 0; i++)
            rc = k->be.generate(k->be.ctx, pub[i], &blob[i], e);
        if (rc == 0 && (rc = store_tx_begin(k->ca->db, e)) == 0) {
            for (int i = 0; i < batch && rc == 0; i++) {
                store_stmt *st;
                if ((rc = store_stmt_get(k->ca->db, ST_KMC_KEY_INSERT, &st, e)) != 0) break;
                store_bind_blob(st, 1, pub[i], 65);
                store_bind_blob(st, 2, blob[i].p, blob[i].len);
                store_bind_int64(st, 3, now_s());
                rc = store_exec(st, e);
            }
            char detail[64];
            snprintf(detail, sizeof(detail), "added=%d standby_before=%lld", batch,
                     (long long)standby);
            if (rc == 0)
                rc = audit_append(k->ca->db, "kmc", "kmc.pool.refill", "standby", "ok", detail, e);
            if (rc == 0)
                rc = store_tx_commit(k->ca->db, e);
            else
                store_tx_rollback(k->ca->db);
        }
        for (int i = 0; i < batch; i++)
            sc_buf_free(&blob[i]);
        if (rc != 0) return rc;
        *added += batch;
        standby += batch;
        need -= batch;
    }
    return 0;
}

int kmc_get_stats(kmc *k, kmc_stats *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    store *s = k->ca->db;
    int rc;
    if ((rc = count(s, ST_KMC_KEY_COUNT, "standby", 0, 0, &out->standby, e)) != 0 ||
        (rc = count(s, ST_KMC_KEY_COUNT, "inuse", 0, 0, &out->inuse, e)) != 0 ||
        (rc = count(s, ST_KMC_KEY_COUNT, "history", 0, 0, &out->history, e)) != 0 ||
        (rc = count(s, ST_KMC_CA_COUNT, NULL, 0, 0, &out->cas, e)) != 0 ||
        (rc = count(s, ST_KMC_REC_PENDING, NULL, 0, 0, &out->recoveries_pending, e)) != 0 ||
        (rc = count(s, ST_KMC_ACT_OPEN, NULL, now_s(), 1, &out->activations_open, e)) != 0)
        return rc;
    out->pool_min = k->pool_min;
    out->pool_target = k->pool_target;
    return 0;
}

int kmc_sweep(kmc *k, const char *actor, int *moved, sc_err *e)
{
    *moved = 0;
    store *s = k->ca->db;
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    int64_t ids[1000];
    char why[1000][8];
    char serial[1000][33];
    int n = 0;
    store_stmt *st;
    if ((rc = store_stmt_get(s, ST_KMC_KEY_SWEEP_LIST, &st, e)) != 0) goto fail;
    store_bind_int64(st, 1, now_s());
    while ((rc = store_step(st, e)) == STORE_ROW && n < 1000) {
        ids[n] = store_col_int64(st, 0);
        snprintf(serial[n], 33, "%s", store_col_text(st, 1, NULL));
        snprintf(why[n], 8, "%s",
                 strcmp(store_col_text(st, 2, NULL), "revoked") == 0 ? "revoked" : "expired");
        n++;
    }
    store_exec(st, NULL);
    if (rc < 0) goto fail;
    for (int i = 0; i < n; i++) {
        if ((rc = store_stmt_get(s, ST_KMC_KEY_RETIRE, &st, e)) != 0) goto fail;
        store_bind_int64(st, 1, now_s());
        store_bind_text(st, 2, why[i]);
        store_bind_int64(st, 3, ids[i]);
        if ((rc = store_exec(st, e)) != 0) goto fail;
        char detail[64];
        snprintf(detail, sizeof(detail), "key=%lld reason=%s", (long long)ids[i], why[i]);
        if ((rc = audit_append(s, actor, "kmc.key.history", serial[i], "ok", detail, e)) != 0)
            goto fail;
    }
    /* keys assigned by an issuance that stopped before its encryption certificate (a crash):
     * no certificate names them and they were never delivered, so they go back to standby */
    if ((rc = store_stmt_get(s, ST_KMC_KEY_ABANDONED, &st, e)) != 0) goto fail;
    store_bind_int64(st, 1, now_s() - 3600);
    if ((rc = store_exec(st, e)) != 0) goto fail;
    int64_t back = store_changes(s);
    if (back > 0) {
        char detail[64];
        snprintf(detail, sizeof(detail), "returned=%lld", (long long)back);
        if ((rc = audit_append(s, actor, "kmc.key.unassign", "abandoned", "ok", detail, e)) != 0)
            goto fail;
    }
    if ((rc = store_tx_commit(s, e)) != 0) return rc;
    *moved = n;
    return 0;
fail:
    store_tx_rollback(s);
    return rc;
}

/* ---- a CA's request to the KMC, authenticated by the CA's certificate ---- */

int kmc_request_build(pki_issuer *iss, sc_key *holder, sc_buf *out, sc_err *e)
{
    sc_buf spki = {0}, sig = {0};
    der_w w = {0}, o = {0};
    uint8_t rid[16];
    crypto_random(rid, sizeof(rid));
    int rc = crypto_key_spki(holder, &spki, e);
    if (rc != 0) goto out;
    if (iss->key == NULL) {
        rc = sc_fail(e, SC_ESTATE, "kmc.ca_key", "the CA key is not loaded");
        goto out;
    }
    der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_UTF8STRING, REQ_MAGIC, strlen(REQ_MAGIC));
    der_prim(&w, DER_OCTETSTRING, iss->ski, 20);
    der_prim(&w, DER_OCTETSTRING, rid, 16);
    der_gentime(&w, now_s());
    der_raw(&w, spki.p, spki.len);
    der_end(&w);
    if ((rc = der_finish(&w)) != 0) goto out;
    if ((rc = crypto_sign(iss->key, w.b.p, w.b.len, &sig, e)) != 0) goto out;
    der_begin(&o, DER_SEQUENCE);
    der_raw(&o, w.b.p, w.b.len);
    der_prim(&o, DER_OCTETSTRING, sig.p, sig.len);
    der_end(&o);
    if ((rc = der_finish(&o)) == 0) rc = sc_buf_append(out, o.b.p, o.b.len);
out:
    sc_buf_free(&spki);
    sc_buf_free(&sig);
    der_free(&w);
    der_free(&o);
    return rc;
}

typedef struct kmc_req {
    char ca_id[32];
    char request_id[33];
    uint8_t holder_pt[65];
} kmc_req;

/* Check a CA's request: the signature of a registered CA, fresh, for an SM2 holder key. */
static int request_check(kmc *k, const uint8_t *p, size_t len, kmc_req *q, sc_err *e)
{
    der_r r = der_reader(p, len);
    der_tlv top, tbs, sig, magic, ski, rid, at, spki;
    int64_t t;
    if (len > 8192 || der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r)) goto bad;
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_SEQUENCE, &tbs) != 0 || der_expect(&in, DER_OCTETSTRING, &sig) != 0 ||
        !der_at_end(&in))
        goto bad;
    der_r b = der_inner(&tbs);
    if (der_expect(&b, DER_UTF8STRING, &magic) != 0 || magic.len != strlen(REQ_MAGIC) ||
        memcmp(magic.val, REQ_MAGIC, magic.len) != 0 ||
        der_expect(&b, DER_OCTETSTRING, &ski) != 0 || ski.len != 20 ||
        der_expect(&b, DER_OCTETSTRING, &rid) != 0 || rid.len != 16 ||
        der_expect(&b, DER_GENERALIZEDTIME, &at) != 0 ||
        der_time_parse(at.tag, at.val, at.len, &t) != 0 ||
        der_expect(&b, DER_SEQUENCE, &spki) != 0 || !der_at_end(&b))
        goto bad;
    store_stmt *st;
    int rc = store_stmt_get(k->ca->db, ST_KMC_CA_BY_SKI, &st, e);
    if (rc != 0) return rc;
    store_bind_blob(st, 1, ski.val, ski.len);
    rc = store_step(st, e);
    if (rc != STORE_ROW) {
        store_exec(st, NULL);
        return rc < 0 ? rc
                      : sc_fail(e, SC_EVERIFY, "kmc.unknown_ca",
                                "the request comes from a CA this KMC does not serve");
    }
    snprintf(q->ca_id, sizeof(q->ca_id), "%s", store_col_text(st, 0, NULL));
    size_t cl = 0;
    const uint8_t *cd = store_col_blob(st, 1, &cl);
    sc_key *capub = NULL, *holder = NULL;
    rc = cert_pubkey(cd, cl, &capub, e);
    store_exec(st, NULL);
    if (rc != 0) return rc;
    sc_err ve = {0};
    rc = crypto_verify(capub, crypto_key_alg(capub), tbs.raw, tbs.rawlen, sig.val, sig.len, &ve);
    crypto_key_free(capub);
    if (rc != 0)
        return sc_fail(e, SC_EVERIFY, "kmc.bad_ca_signature",
                       "the request's signature is not the registered CA's");
    int64_t now = now_s();
    if (t < now - REQ_SKEW || t > now + REQ_SKEW)
        return sc_fail(e, SC_EVERIFY, "kmc.stale_request", "the CA's request is too old or early");
    if ((rc = crypto_key_from_spki(spki.raw, spki.rawlen, &holder, e)) != 0) return rc;
    if (crypto_key_alg(holder) != SC_ALG_SM2) {
        crypto_key_free(holder);
        return sc_fail(e, SC_EINVAL, "kmc.holder_not_sm2", "the holder's signing key is not SM2");
    }
    crypto_key_sm2_point(holder, q->holder_pt);
    crypto_key_free(holder);
    sc_hex_encode(rid.val, 16, q->request_id, 0);
    return 0;
bad:
    return sc_fail(e, SC_EINVAL, "kmc.bad_request", "not a sealca KMC request");
}

/* ---- dual certificates ---- */

void kmc_dual_result_free(kmc_dual_result *r)
{
    sc_buf_free(&r->response);
}

static int claim_key(kmc *k, const kmc_req *q, const char *sign_serial, const char *actor,
                     int64_t *id, sc_buf *blob, sc_err *e)
{
    store *s = k->ca->db;
    for (int attempt = 0; attempt < 5; attempt++) {
        int rc = store_tx_begin(s, e);
        if (rc != 0) return rc;
        store_stmt *st;
        if ((rc = store_stmt_get(s, ST_KMC_KEY_CLAIM, &st, e)) != 0) goto fail;
        store_bind_text(st, 1, q->ca_id);
        store_bind_text(st, 2, q->request_id);
        store_bind_text(st, 3, sign_serial);
        store_bind_int64(st, 4, now_s());
        sc_err ie = {0};
        rc = store_step(st, &ie);
        if (rc == STORE_ROW) {
            *id = store_col_int64(st, 0);
            size_t bl = 0;
            const uint8_t *b = store_col_blob(st, 2, &bl);
            blob->len = 0;
            sc_buf_append(blob, b, bl);
        }
        store_exec(st, NULL);
        if (rc == SC_EEXIST) {
            store_tx_rollback(s);
            return sc_fail(e, SC_EEXIST, "kmc.request_replayed",
                           "this CA request was already served (replay refused)");
        }
        if (rc == STORE_DONE || rc == SC_ERETRY) {
            /* another issuer took that key, or the pool ran dry: refill and try again */
            store_tx_rollback(s);
            int added = 0;
            if ((rc = kmc_refill(k, 0, &added, e)) != 0) return rc;
            continue;
        }
        if (rc < 0) {
            sc_fail(e, ie.status, ie.code, "%s", ie.msg);
            goto fail;
        }
        char detail[128];
        snprintf(detail, sizeof(detail), "key=%lld ca=%s sign=%s", (long long)*id, q->ca_id,
                 sign_serial);
        if ((rc = audit_append(s, actor, "kmc.key.assign", q->request_id, "ok", detail, e)) != 0)
            goto fail;
        return store_tx_commit(s, e);
    fail:
        store_tx_rollback(s);
        return rc;
    }
    return sc_fail(e, SC_ERETRY, "kmc.pool_busy", "no standby key could be taken; retry");
}

int kmc_key_assign(kmc *k, const uint8_t *req, size_t len, const char *sign_serial,
                   const char *actor, kmc_assignment *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    kmc_req q;
    int rc = request_check(k, req, len, &q, e);
    if (rc != 0) return rc;
    if (sign_serial == NULL || strlen(sign_serial) > 32)
        return sc_fail(e, SC_EINVAL, "kmc.sign_serial", "the signing certificate serial is needed");
    if ((rc = claim_key(k, &q, sign_serial, actor ? actor : "cli", &out->key_id, &out->escrow,
                        e)) != 0)
        return rc;
    memcpy(out->pub, out->escrow.p, 65);
    memcpy(out->holder, q.holder_pt, 65);
    snprintf(out->ca_id, sizeof(out->ca_id), "%s", q.ca_id);
    snprintf(out->request_id, sizeof(out->request_id), "%s", q.request_id);
    return 0;
}

static int key_exec(kmc *k, store_sql_id id, const char *text, int64_t key, const char *actor,
                    const char *action, const char *object, const char *detail, sc_err *e)
{
    store *s = k->ca->db;
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(s, id, &st, e)) == 0) {
        int i = 1;
        if (text) store_bind_text(st, i++, text);
        store_bind_int64(st, i, key);
        rc = store_exec(st, e);
    }
    if (rc == 0 && store_changes(s) != 1)
        rc = sc_fail(e, SC_ESTATE, "kmc.key_changed", "the escrowed key changed meanwhile");
    if (rc == 0) rc = audit_append(s, actor, action, object, "ok", detail, e);
    if (rc == 0) return store_tx_commit(s, e);
    store_tx_rollback(s);
    return rc;
}

int kmc_key_bind(kmc *k, int64_t key_id, const char *enc_serial, const char *actor, sc_err *e)
{
    char detail[64];
    snprintf(detail, sizeof(detail), "key=%lld", (long long)key_id);
    return key_exec(k, ST_KMC_KEY_BIND, enc_serial, key_id, actor ? actor : "cli", "kmc.key.bind",
                    enc_serial, detail, e);
}

int kmc_issue_dual(kmc *k, const kmc_dual_req *r, kmc_dual_result *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    pki_ca *ca = k->ca;
    const char *actor = r->actor ? r->actor : "cli";
    char psign[64], penc[64];
    csr c = {0};
    cert_info si = {0}, ei = {0};
    sc_buf req = {0}, env = {0};
    sc_key *encpub = NULL;
    pki_profile *pr = malloc(sizeof(*pr));
    int rc, issued_sign = 0, issued_enc = 0;
    kmc_assignment as = {0};
    if (pr == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    if (r->profile == NULL || strlen(r->profile) > 40) {
        rc = sc_fail(e, SC_EINVAL, "kmc.profile", "--profile is required");
        goto out;
    }
    snprintf(psign, sizeof(psign), "%s-sign", r->profile);
    snprintf(penc, sizeof(penc), "%s-enc", r->profile);
    if ((rc = profile_get(ca->db, psign, pr, e)) != 0 ||
        (rc = profile_get(ca->db, penc, pr, e)) != 0) {
        sc_err_clear(e);
        rc = sc_fail(e, SC_EINVAL, "kmc.no_dual_profile",
                     "dual certificates need the profiles %s and %s", psign, penc);
        goto out;
    }
    if ((rc = csr_parse(r->csr, r->csrlen, &c, e)) != 0) goto out;
    if (crypto_key_alg(c.pub) != SC_ALG_SM2) {
        rc = sc_fail(e, SC_EINVAL, "kmc.holder_not_sm2",
                     "dual certificates need an SM2 signing key in the request");
        goto out;
    }
    pki_issuer *iss = ca_active_issuing(ca);
    sc_key *cakey = NULL;
    if (iss == NULL || (rc = ca_issuer_key(ca, iss, &cakey, e)) != 0) {
        if (iss == NULL) rc = sc_fail(e, SC_ESTATE, "ca.no_issuing", "no active issuing CA");
        goto out;
    }
    /* the KMC must be able to serve before anything is issued */
    int added = 0;
    if ((rc = kmc_refill(k, 0, &added, e)) != 0) goto out;
    issue_req ir = {0};
    ir.profile = psign;
    ir.subject = r->subject ? r->subject : c.subject;
    ir.uscc = r->uscc;
    ir.id_number = r->id_number;
    ir.pub = c.pub;
    ir.days = r->days;
    ir.actor = actor;
    if ((rc = pki_issue(ca, &ir, &si, e)) != 0) goto out;
    issued_sign = 1;
    /* the CA asks the KMC for the holder's encryption key, signed with its own key */
    if ((rc = kmc_request_build(iss, c.pub, &req, e)) != 0 ||
        (rc = kmc_key_assign(k, req.p, req.len, si.serial, actor, &as, e)) != 0)
        goto out;
    out->key_id = as.key_id;
    if ((rc = crypto_key_sm2_from_point(as.pub, &encpub, e)) != 0) goto unclaim;
    ir.profile = penc;
    ir.pub = encpub;
    if ((rc = pki_issue(ca, &ir, &ei, e)) != 0) goto unclaim;
    issued_enc = 1;
    if ((rc = kmc_key_bind(k, as.key_id, ei.serial, actor, e)) != 0) goto out;
    if ((rc = k->be.envelope(k->be.ctx, as.escrow.p, as.escrow.len, as.holder, &env, e)) != 0 ||
        (rc = csrresp_encode(si.der, si.derlen, env.p, env.len, ei.der, ei.derlen, &out->response,
                             e)) != 0)
        goto out;
    snprintf(out->sign_serial, sizeof(out->sign_serial), "%s", si.serial);
    snprintf(out->enc_serial, sizeof(out->enc_serial), "%s", ei.serial);
    issued_sign = issued_enc = 0;
    if (kmc_refill(k, 0, &added, NULL) != 0) {
        /* the issuance stands; the next one refills */
    }
    goto out;
unclaim:
    key_exec(k, ST_KMC_KEY_UNCLAIM, NULL, as.key_id, actor, "kmc.key.unassign", as.request_id,
             "encryption certificate not issued", NULL);
out:
    if (rc != 0 && issued_sign) {
        /* a signing certificate without its encryption pair is withdrawn, and an encryption
         * certificate whose key never reached the holder too (kmc_sweep then moves the key to
         * the history pool) */
        pki_revoke(ca, si.serial, REASON_CESSATION, 0, "kmc", NULL);
        if (issued_enc) pki_revoke(ca, ei.serial, REASON_CESSATION, 0, "kmc", NULL);
    }
    if (rc != 0) sc_buf_free(&out->response);
    csr_free(&c);
    cert_info_free(&si);
    cert_info_free(&ei);
    crypto_key_free(encpub);
    sc_buf_free(&req);
    sc_buf_free(&as.escrow);
    sc_buf_free(&env);
    free(pr);
    return rc;
}

/* ---- online PIN unlock ---- */

int kmc_unlock_answer(kmc *k, const char *order, const uint8_t *req, size_t reqlen,
                      const char *new_pin, const char *actor, sc_buf *ans, sc_err *e)
{
    token_unlock_req q;
    int rc = token_unlock_req_parse(req, reqlen, &q, e);
    if (rc != 0) return rc;
    if (order == NULL || !*order || strlen(order) > 64)
        return sc_fail(e, SC_EINVAL, "kmc.unlock_order",
                       "an online unlock answers an approved pin-unlock order: give its reference");
    store *s = k->ca->db;
    if ((rc = store_tx_begin(s, e)) != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(s, ST_KMC_DEV_GET, &st, e)) != 0) goto fail;
    store_bind_text(st, 1, q.serial);
    rc = store_step(st, e);
    int64_t last = rc == STORE_ROW ? store_col_int64(st, 0) : -1;
    store_exec(st, NULL);
    if (rc < 0) goto fail;
    if (q.generation <= last) {
        rc = sc_fail(e, SC_ESTATE, "kmc.unlock_replay",
                     "this unlock request is not newer than the last one answered for device %s "
                     "(replayed request or a token file put back)",
                     q.serial);
        goto fail;
    }
    if ((rc = store_stmt_get(s, ST_KMC_DEV_PUT, &st, e)) != 0) goto fail;
    store_bind_text(st, 1, q.serial);
    store_bind_int64(st, 2, q.generation);
    store_bind_int64(st, 3, now_s());
    if ((rc = store_exec(st, e)) != 0) goto fail;
    char detail[128];
    snprintf(detail, sizeof(detail), "order=%s generation=%lld", order, (long long)q.generation);
    if ((rc = audit_append(s, actor ? actor : "cli", "kmc.pin_unlock", q.serial, "ok", detail,
                           e)) != 0)
        goto fail;
    if ((rc = k->be.unlock(k->be.ctx, req, reqlen, new_pin, ans, e)) != 0) goto fail;
    return store_tx_commit(s, e);
fail:
    store_tx_rollback(s);
    return rc;
}

/* ---- key recovery ---- */

typedef struct recovery {
    char kind[16], enc_serial[33], requester[64], case_ref[128], a1[64], a2[64], state[16];
} recovery;

static int rec_get(store *s, int64_t id, recovery *r, sc_err *e)
{
    memset(r, 0, sizeof(*r));
    store_stmt *st;
    int rc = store_stmt_get(s, ST_KMC_REC_GET, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, id);
    rc = store_step(st, e);
    if (rc == STORE_ROW) {
        snprintf(r->kind, sizeof(r->kind), "%s", store_col_text(st, 0, NULL));
        snprintf(r->enc_serial, sizeof(r->enc_serial), "%s", store_col_text(st, 1, NULL));
        snprintf(r->requester, sizeof(r->requester), "%s", store_col_text(st, 2, NULL));
        snprintf(r->case_ref, sizeof(r->case_ref), "%s", store_col_text(st, 3, NULL));
        if (!store_col_isnull(st, 4))
            snprintf(r->a1, sizeof(r->a1), "%s", store_col_text(st, 4, NULL));
        if (!store_col_isnull(st, 5))
            snprintf(r->a2, sizeof(r->a2), "%s", store_col_text(st, 5, NULL));
        snprintf(r->state, sizeof(r->state), "%s", store_col_text(st, 6, NULL));
        rc = 0;
    } else if (rc == STORE_DONE) {
        rc = sc_fail(e, SC_ENOTFOUND, "kmc.recovery_not_found", "no key recovery request %lld",
                     (long long)id);
    }
    store_exec(st, NULL);
    return rc;
}

static int name_ok(const char *s, size_t max)
{
    if (s == NULL || !*s || strlen(s) > max) return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20) return 0;
    return 1;
}

int kmc_recovery_request(kmc *k, kmc_recovery_kind kind, const char *enc_serial,
                         const char *requester, const char *case_ref, const char *reason,
                         int64_t *id, sc_err *e)
{
    char sn[33];
    int rc = serial_normalise(enc_serial, sn, e);
    if (rc != 0) return rc;
    if (kind != KMC_RECOVER_DAMAGED && kind != KMC_RECOVER_JUDICIAL)
        return sc_fail(e, SC_EINVAL, "kmc.recovery_kind", "kind is damaged or judicial");
    if (!name_ok(requester, 60))
        return sc_fail(e, SC_EINVAL, "kmc.recovery_requester", "the requester must be named");
    if (!name_ok(case_ref, 120))
        return sc_fail(e, SC_EINVAL, "kmc.recovery_case",
                       kind == KMC_RECOVER_JUDICIAL
                           ? "judicial recovery needs the case reference (--case)"
                           : "damaged-key recovery needs the RA order reference (--case)");
    if (reason != NULL && strlen(reason) > 400)
        return sc_fail(e, SC_EINVAL, "kmc.recovery_reason", "reason longer than 400 bytes");
    store *s = k->ca->db;
    if ((rc = store_tx_begin(s, e)) != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(s, ST_KMC_KEY_BY_ENC, &st, e)) != 0) goto fail;
    store_bind_text(st, 1, sn);
    rc = store_step(st, e);
    store_exec(st, NULL);
    if (rc != STORE_ROW) {
        if (rc == STORE_DONE)
            rc = sc_fail(e, SC_ENOTFOUND, "kmc.no_escrow",
                         "the KMC holds no key for encryption certificate %s", sn);
        goto fail;
    }
    const char *kn = kind == KMC_RECOVER_DAMAGED ? "damaged" : "judicial";
    if ((rc = store_stmt_get(s, ST_KMC_REC_INSERT, &st, e)) != 0) goto fail;
    store_bind_text(st, 1, kn);
    store_bind_text(st, 2, sn);
    store_bind_text(st, 3, requester);
    store_bind_text(st, 4, case_ref);
    store_bind_text(st, 5, reason ? reason : "");
    store_bind_int64(st, 6, now_s());
    rc = store_step(st, e);
    if (rc == STORE_ROW) *id = store_col_int64(st, 0);
    store_exec(st, NULL);
    if (rc != STORE_ROW) {
        if (rc >= 0) rc = sc_fail(e, SC_EINTERNAL, "kmc.insert", "no id returned");
        goto fail;
    }
    char obj[32], detail[300];
    snprintf(obj, sizeof(obj), "recovery-%lld", (long long)*id);
    snprintf(detail, sizeof(detail), "kind=%s enc=%s case=%s", kn, sn, case_ref);
    if ((rc = audit_append(s, requester, "kmc.recovery.request", obj, "ok", detail, e)) != 0)
        goto fail;
    return store_tx_commit(s, e);
fail:
    store_tx_rollback(s);
    return rc;
}

int kmc_recovery_approve(kmc *k, int64_t id, const char *officer, sc_err *e)
{
    return kmc_recovery_approve_signed(k, id, officer, NULL, e);
}

int kmc_recovery_approve_signed(kmc *k, int64_t id, const char *officer, const char *detail,
                                sc_err *e)
{
    if (!name_ok(officer, 60))
        return sc_fail(e, SC_EINVAL, "kmc.recovery_officer", "the officer must be named");
    store *s = k->ca->db;
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    recovery r;
    if ((rc = rec_get(s, id, &r, e)) != 0) goto fail;
    if (strcmp(r.state, "pending") != 0) {
        rc = sc_fail(e, SC_ESTATE, "kmc.recovery_state", "recovery %lld is %s, not pending",
                     (long long)id, r.state);
        goto fail;
    }
    if (strcmp(officer, r.requester) == 0) {
        rc = sc_fail(e, SC_ESTATE, "kmc.recovery_self_approval",
                     "申请人不能审批自己的密钥恢复申请 (the requester cannot approve)");
        goto fail;
    }
    if (r.a1[0] && strcmp(officer, r.a1) == 0) {
        rc = sc_fail(e, SC_ESTATE, "kmc.recovery_same_officer",
                     "需要两名不同的审批人 (two different officers must approve)");
        goto fail;
    }
    store_stmt *st;
    if ((rc = store_stmt_get(s, r.a1[0] ? ST_KMC_REC_APPROVE2 : ST_KMC_REC_APPROVE1, &st, e)) != 0)
        goto fail;
    store_bind_text(st, 1, officer);
    store_bind_int64(st, 2, id);
    if ((rc = store_exec(st, e)) != 0) goto fail;
    if (store_changes(s) != 1) {
        rc = sc_fail(e, SC_ERETRY, "kmc.recovery_changed", "recovery %lld changed meanwhile",
                     (long long)id);
        goto fail;
    }
    char obj[32];
    snprintf(obj, sizeof(obj), "recovery-%lld", (long long)id);
    if ((rc = audit_append(s, officer, "kmc.recovery.approve", obj, "ok",
                           detail ? detail : (r.a1[0] ? "approval=2 (approved)" : "approval=1"),
                           e)) != 0)
        goto fail;
    return store_tx_commit(s, e);
fail:
    store_tx_rollback(s);
    return rc;
}

static int rec_close(store *s, int64_t id, const char *from, const char *to, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_KMC_REC_SET_STATE, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, to);
    store_bind_int64(st, 2, now_s());
    store_bind_int64(st, 3, id);
    store_bind_text(st, 4, from);
    if ((rc = store_exec(st, e)) != 0) return rc;
    if (store_changes(s) != 1)
        return sc_fail(e, SC_ERETRY, "kmc.recovery_changed", "recovery %lld changed meanwhile",
                       (long long)id);
    return 0;
}

int kmc_recovery_reject(kmc *k, int64_t id, const char *officer, const char *why, sc_err *e)
{
    if (!name_ok(officer, 60))
        return sc_fail(e, SC_EINVAL, "kmc.recovery_officer", "the officer must be named");
    store *s = k->ca->db;
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    recovery r;
    char obj[32];
    snprintf(obj, sizeof(obj), "recovery-%lld", (long long)id);
    if ((rc = rec_get(s, id, &r, e)) != 0) goto fail;
    if (strcmp(r.state, "pending") != 0 && strcmp(r.state, "approved") != 0) {
        rc = sc_fail(e, SC_ESTATE, "kmc.recovery_state", "recovery %lld is %s", (long long)id,
                     r.state);
        goto fail;
    }
    if ((rc = rec_close(s, id, r.state, "rejected", e)) != 0 ||
        (rc = audit_append(s, officer, "kmc.recovery.reject", obj, "ok", why ? why : "", e)) != 0)
        goto fail;
    return store_tx_commit(s, e);
fail:
    store_tx_rollback(s);
    return rc;
}

/* Common part of the releases: approved, then the escrow blob; the state becomes released in
 * the same transaction as the audit record, committed only after the backend succeeded. */
static int release(kmc *k, int64_t id, const char *actor, kmc_recovery_kind kind, recovery *r,
                   sc_buf *blob, sc_err *e)
{
    store *s = k->ca->db;
    int rc = rec_get(s, id, r, e);
    if (rc != 0) return rc;
    if (strcmp(r->kind, kind == KMC_RECOVER_DAMAGED ? "damaged" : "judicial") != 0)
        return sc_fail(e, SC_EINVAL, "kmc.recovery_kind", "recovery %lld is a %s recovery",
                       (long long)id, r->kind);
    if (strcmp(r->state, "approved") != 0)
        return sc_fail(
            e, SC_ESTATE, "kmc.recovery_not_approved",
            strcmp(r->state, "pending") == 0
                ? "密钥恢复需两名审批人批准后才能释放 (recovery %lld needs two approvals "
                  "first)"
                : "recovery %lld is closed (%s)",
            (long long)id, r->state);
    if (!name_ok(actor, 60))
        return sc_fail(e, SC_EINVAL, "kmc.recovery_officer", "the releasing officer must be named");
    store_stmt *st;
    if ((rc = store_stmt_get(s, ST_KMC_KEY_BY_ENC, &st, e)) != 0) return rc;
    store_bind_text(st, 1, r->enc_serial);
    rc = store_step(st, e);
    if (rc == STORE_ROW) {
        size_t bl = 0;
        const uint8_t *b = store_col_blob(st, 3, &bl);
        rc = sc_buf_append(blob, b, bl);
    } else if (rc == STORE_DONE) {
        rc = sc_fail(e, SC_ENOTFOUND, "kmc.no_escrow", "the escrowed key is gone");
    }
    store_exec(st, NULL);
    return rc;
}

static int release_commit(kmc *k, int64_t id, const char *actor, const recovery *r,
                          const char *extra, sc_err *e)
{
    store *s = k->ca->db;
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    char obj[32], detail[400];
    snprintf(obj, sizeof(obj), "recovery-%lld", (long long)id);
    snprintf(detail, sizeof(detail), "kind=%s enc=%s case=%s approvers=%s,%s %s", r->kind,
             r->enc_serial, r->case_ref, r->a1, r->a2, extra);
    if ((rc = rec_close(s, id, "approved", "released", e)) != 0 ||
        (rc = audit_append(s, actor, "kmc.recovery.release", obj, "ok", detail, e)) != 0) {
        store_tx_rollback(s);
        return rc;
    }
    return store_tx_commit(s, e);
}

int kmc_recovery_release_damaged(kmc *k, int64_t id, const char *actor, const uint8_t *sign_cert,
                                 size_t len, sc_buf *response, sc_err *e)
{
    recovery r;
    sc_buf blob = {0}, env = {0};
    sc_key *pub = NULL;
    cert_info si = {0}, ei = {0};
    uint8_t pt[65];
    char ssn[33], hx[65];
    int rc = release(k, id, actor, KMC_RECOVER_DAMAGED, &r, &blob, e);
    if (rc != 0) goto out;
    /* the new signing certificate must be one this CA issued and that is good */
    der_r dr = der_reader(sign_cert, len);
    der_tlv c, tbs, v, sn;
    if (len > KMC_MSG_MAX || der_expect(&dr, DER_SEQUENCE, &c) != 0 ||
        (dr = der_inner(&c), der_expect(&dr, DER_SEQUENCE, &tbs)) != 0 ||
        (dr = der_inner(&tbs), der_next(&dr, &v)) != 0 ||
        (v.tag == DER_CTX_CONS(0) && der_next(&dr, &v) != 0) || v.tag != DER_INTEGER ||
        v.len > 32) {
        rc = sc_fail(e, SC_EINVAL, "kmc.bad_sign_cert", "the new signing certificate is malformed");
        goto out;
    }
    sn = v;
    sc_hex_encode(sn.val, sn.len, hx, 0);
    if ((rc = serial_normalise(hx, ssn, e)) != 0 || (rc = pki_cert_get(k->ca, ssn, &si, e)) != 0)
        goto out;
    if (si.derlen != len || memcmp(si.der, sign_cert, len) != 0 || strcmp(si.status, "good") != 0 ||
        strstr(si.profile, "-sign") == NULL) {
        rc = sc_fail(e, SC_EINVAL, "kmc.bad_sign_cert",
                     "the new signing certificate must be a good signing certificate of this CA");
        goto out;
    }
    if ((rc = pki_cert_get(k->ca, r.enc_serial, &ei, e)) != 0 ||
        (rc = cert_pubkey(sign_cert, len, &pub, e)) != 0)
        goto out;
    {
        /* onto the same holder only: the new signing certificate names the subject of the
         * encryption certificate whose key is restored */
        sc_slice s1, s2;
        if (cert_fields(sign_cert, len, &s1, NULL, NULL, NULL) != 0 ||
            cert_fields(ei.der, ei.derlen, &s2, NULL, NULL, NULL) != 0 || s1.len != s2.len ||
            memcmp(s1.p, s2.p, s1.len) != 0) {
            rc = sc_fail(e, SC_EINVAL, "kmc.other_holder",
                         "the new signing certificate is for another subject than the encryption "
                         "certificate being recovered");
            goto out;
        }
    }
    if (crypto_key_alg(pub) != SC_ALG_SM2 || crypto_key_sm2_point(pub, pt) != 0) {
        rc = sc_fail(e, SC_EINVAL, "kmc.holder_not_sm2", "the new signing key is not SM2");
        goto out;
    }
    if ((rc = k->be.envelope(k->be.ctx, blob.p, blob.len, pt, &env, e)) != 0 ||
        (rc = csrresp_encode(sign_cert, len, env.p, env.len, ei.der, ei.derlen, response, e)) != 0)
        goto out;
    char extra[64];
    snprintf(extra, sizeof(extra), "onto=%s", ssn);
    if ((rc = release_commit(k, id, actor, &r, extra, e)) != 0) {
        sc_buf_free(response);
        goto out;
    }
out:
    sc_buf_wipe(&blob);
    sc_buf_free(&env);
    crypto_key_free(pub);
    cert_info_free(&si);
    cert_info_free(&ei);
    return rc;
}

int kmc_recovery_release_judicial(kmc *k, int64_t id, const char *actor, const char *pass,
                                  size_t passlen, sc_buf *pem, sc_err *e)
{
    recovery r;
    sc_buf blob = {0};
    int rc = release(k, id, actor, KMC_RECOVER_JUDICIAL, &r, &blob, e);
    if (rc == 0) rc = k->be.export_p8(k->be.ctx, blob.p, blob.len, pass, passlen, pem, e);
    if (rc == 0 && (rc = release_commit(k, id, actor, &r, "form=pkcs8-encrypted", e)) != 0)
        sc_buf_wipe(pem);
    sc_buf_wipe(&blob);
    return rc;
}

/* ---- activation codes ---- */

static const char code_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; /* 32: no 0/O, 1/I */

static int code_norm(const char *in, char out[24])
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '-' || *p == ' ') continue;
        char ch = (char)toupper((unsigned char)*p);
        if (strchr(code_alphabet, ch) == NULL || ch == 0 || n >= 20) return -1;
        out[n++] = ch;
    }
    out[n] = 0;
    return n == 20 ? 0 : -1;
}

int kmc_activation_create(kmc *k, const uint8_t *payload, size_t len, int ttl, const char *actor,
                          char code[24], sc_err *e)
{
    if (len == 0 || len > KMC_ACTIVATION_MAX)
        return sc_fail(e, SC_ETOOBIG, "kmc.activation_size", "payload must be 1..%d bytes",
                       KMC_ACTIVATION_MAX);
    if (ttl < 60 || ttl > ACT_TTL_MAX)
        return sc_fail(e, SC_EINVAL, "kmc.activation_ttl", "--ttl must be 60..%d seconds",
                       ACT_TTL_MAX);
    uint8_t r[20], h[32];
    crypto_random(r, sizeof(r));
    for (int i = 0; i < 20; i++)
        code[i] = code_alphabet[r[i] & 31]; /* 100 bits */
    code[20] = 0;
    crypto_sm3(code, 20, h);
    store *s = k->ca->db;
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    store_stmt *st;
    int64_t now = now_s();
    if ((rc = store_stmt_get(s, ST_KMC_ACT_INSERT, &st, e)) != 0) goto fail;
    store_bind_blob(st, 1, h, 32);
    store_bind_blob(st, 2, payload, len);
    store_bind_int64(st, 3, now + ttl);
    store_bind_int64(st, 4, now);
    store_bind_text(st, 5, actor ? actor : "cli");
    char hx[17], detail[64];
    sc_hex_encode(h, 8, hx, 0);
    snprintf(detail, sizeof(detail), "ttl=%d bytes=%zu", ttl, len);
    if ((rc = store_exec(st, e)) != 0 ||
        (rc = audit_append(s, actor ? actor : "cli", "kmc.activation.create", hx, "ok", detail,
                           e)) != 0)
        goto fail;
    return store_tx_commit(s, e);
fail:
    store_tx_rollback(s);
    return rc;
}

int kmc_activation_redeem(kmc *k, const char *code, const char *actor, sc_buf *out, sc_err *e)
{
    char c[24];
    if (code == NULL || strlen(code) > 64 || code_norm(code, c) != 0)
        return sc_fail(e, SC_EINVAL, "kmc.activation_unknown",
                       "激活码无效 (not a valid activation code)");
    uint8_t h[32];
    crypto_sm3(c, 20, h);
    store *s = k->ca->db;
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    store_stmt *st;
    int64_t now = now_s();
    char hx[17];
    sc_hex_encode(h, 8, hx, 0);
    if ((rc = store_stmt_get(s, ST_KMC_ACT_GET, &st, e)) != 0) goto fail;
    store_bind_blob(st, 1, h, 32);
    rc = store_step(st, e);
    if (rc == STORE_ROW) {
        int64_t exp = store_col_int64(st, 1);
        int used = !store_col_isnull(st, 2);
        if (used)
            rc = sc_fail(e, SC_ESTATE, "kmc.activation_used",
                         "激活码已使用过 (the activation code was already used)");
        else if (exp < now)
            rc = sc_fail(e, SC_ESTATE, "kmc.activation_expired",
                         "激活码已过期 (the activation code has expired)");
        else {
            size_t pl = 0;
            const uint8_t *p = store_col_blob(st, 0, &pl);
            rc = sc_buf_append(out, p, pl);
        }
    } else if (rc == STORE_DONE) {
        rc = sc_fail(e, SC_ENOTFOUND, "kmc.activation_unknown",
                     "激活码无效 (unknown activation code)");
    }
    store_exec(st, NULL);
    if (rc != 0) goto fail;
    if ((rc = store_stmt_get(s, ST_KMC_ACT_USE, &st, e)) != 0) goto fail;
    store_bind_int64(st, 1, now);
    store_bind_blob(st, 2, h, 32);
    store_bind_int64(st, 3, now);
    if ((rc = store_exec(st, e)) != 0) goto fail;
    if (store_changes(s) != 1) {
        rc = sc_fail(e, SC_ESTATE, "kmc.activation_used", "the activation code was just used");
        goto fail;
    }
    if ((rc = audit_append(s, actor ? actor : "cli", "kmc.activation.redeem", hx, "ok", "", e)) !=
        0)
        goto fail;
    return store_tx_commit(s, e);
fail:
    sc_buf_wipe(out);
    store_tx_rollback(s);
    return rc;
}
