/* kmcflow.c - the KMC side of registration orders: dual issuance (signing + encryption
 * certificate, delivered as a GM/T 0092 CSRResponse) for new / replace / reissue orders when the
 * home has a KMC; key recovery (damaged: the escrowed encryption key restored onto the holder's
 * new signing key; judicial: released to an officer as password-protected PKCS#8) behind the
 * approval of two different key-recovery officers; the officers' queue.
 *
 * Transactions. The KMC (src/kmc) commits its own steps; the RA's steps around them are made
 * crash-safe like this:
 *  - dual issuance: (1) one RA transaction records an attempt tag on the order (and revokes
 *    whatever an earlier, interrupted attempt issued: the certificates whose cert.issue audit
 *    actor is that attempt's tag and that no order owns); (2) kmc_issue_dual issues both
 *    certificates with the tag as their audit actor (it withdraws them itself on any error);
 *    (3) one RA transaction records ownership, the CSRResponse, the order's transition, the
 *    revocation of the replaced certificates and the audit records, and clears the tag.
 *  - damaged-key recovery: (1) the new signing certificate is issued and recorded on the order
 *    in one transaction (a retry reuses it); (2) the KMC releases the key onto it (once, audited
 *    by the KMC); (3) one RA transaction stores the CSRResponse, moves the order and revokes the
 *    damaged certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "kmc/kmc.h"
#include "ra/pw.h"
#include "ra/ra.h"
#include "ra/ra_int.h"

#define QUEUE_DAYS 30 /* closed recoveries stay in the officers' queue this long */

typedef struct rak_row {
    int present;
    char attempt[160];
    int64_t rec_id;
    char enc[33], sign[33];
    sc_buf resp;
} rak_row;

static void cpy(char *dst, size_t n, store_stmt *st, int c)
{
    const char *t = store_col_isnull(st, c) ? NULL : store_col_text(st, c, NULL);
    snprintf(dst, n, "%s", t ? t : "");
}

static int rak_get(ra *r, int64_t order, rak_row *k, ra_err *re)
{
    memset(k, 0, sizeof(*k));
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RAK_GET, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, order);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc == STORE_ROW) {
        k->present = 1;
        cpy(k->attempt, sizeof(k->attempt), st, 0);
        k->rec_id = store_col_isnull(st, 1) ? 0 : store_col_int64(st, 1);
        cpy(k->enc, sizeof(k->enc), st, 2);
        cpy(k->sign, sizeof(k->sign), st, 3);
        size_t n = 0;
        const uint8_t *p = store_col_isnull(st, 4) ? NULL : store_col_blob(st, 4, &n);
        if (p != NULL && n > 0) sc_buf_append(&k->resp, p, n);
    }
    store_release(r->db);
    return 0;
}

typedef struct rec_row {
    char kind[16], enc[33], requester[64], case_ref[128], a1[64], a2[64], state[16];
} rec_row;

static int rec_get(ra *r, int64_t id, rec_row *v, ra_err *re)
{
    memset(v, 0, sizeof(*v));
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_KMC_REC_GET, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc != STORE_ROW) {
        store_release(r->db);
        return ra_fail(re, SC_ENOTFOUND, "kmc.recovery_not_found", NULL, "no recovery request");
    }
    cpy(v->kind, sizeof(v->kind), st, 0);
    cpy(v->enc, sizeof(v->enc), st, 1);
    cpy(v->requester, sizeof(v->requester), st, 2);
    cpy(v->case_ref, sizeof(v->case_ref), st, 3);
    cpy(v->a1, sizeof(v->a1), st, 4);
    cpy(v->a2, sizeof(v->a2), st, 5);
    cpy(v->state, sizeof(v->state), st, 6);
    store_release(r->db);
    return 0;
}

static json_t *rec_json(const rec_row *v, int64_t id)
{
    json_t *ap = json_array();
    if (v->a1[0]) json_array_append_new(ap, json_string(v->a1));
    if (v->a2[0]) json_array_append_new(ap, json_string(v->a2));
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:i, s:s}", "id", (json_int_t)id, "kind",
                     v->kind, "enc_serial", v->enc, "requester", v->requester, "case_ref",
                     v->case_ref, "approvals", ap, "approvals_needed", 2, "state", v->state);
}

/* The encryption certificate the KMC bound to a signing certificate (latest first). */
static int enc_for_sign(ra *r, const char *sign, char enc[33], ra_err *re)
{
    enc[0] = 0;
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RAK_ENC_FOR_SIGN, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, sign);
    store_bind_text(st, 2, sign);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc == STORE_ROW) cpy(enc, 33, st, 0);
    store_release(r->db);
    return 0;
}

static const char *field(const ra_order *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o->f, k));
    return v ? v : "";
}

static int is_recovery(const ra_order *o)
{
    return strcmp(o->b->key, "key-recovery") == 0;
}

/* ---- dual issuance ---- */

/* Inside a transaction: revoke the certificates an interrupted attempt issued (tag = its audit
 * actor) that no order owns. */
static int revoke_orphans(ra *r, const char *tag, ra_err *re)
{
    char serials[8][33];
    int n = 0, rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RAK_ORPHANS, &st, &re->e)) != 0) return rc;
    store_bind_text(st, 1, tag);
    while (n < 8 && (rc = store_step(st, &re->e)) == STORE_ROW)
        cpy(serials[n++], 33, st, 0);
    store_release(r->db);
    if (rc < 0) return rc;
    for (int i = 0; i < n; i++)
        if ((rc = ra_retire_in_tx(r, serials[i], REASON_CESSATION, "ra.kmc.recover", re)) != 0)
            return rc;
    return 0;
}

static int csr_text(ra *r, ra_order *o, const char *csr_pem, sc_buf *out, ra_err *re)
{
    if (csr_pem != NULL) {
        sc_buf_append(out, csr_pem, strlen(csr_pem));
        sc_buf_putc(out, 0);
        return out->oom ? ra_fail(re, SC_ENOMEM, "order.oom", NULL, "out of memory") : 0;
    }
    return ra_order_csr_text(r, o, out, re);
}

static void pem_of(const uint8_t *der, size_t len, sc_buf *pem)
{
    cert_pem(der, len, pem);
    sc_buf_putc(pem, 0);
}

static json_t *result_json(ra *r, ra_order *o, const char *sign, const char *enc,
                           const sc_buf *resp)
{
    cert_info si = {0}, ei = {0};
    sc_err e = {0};
    sc_buf sp = {0}, ep = {0}, b64 = {0};
    if (pki_cert_get(r->ca, sign, &si, &e) == 0) pem_of(si.der, si.derlen, &sp);
    if (pki_cert_get(r->ca, enc, &ei, &e) == 0) pem_of(ei.der, ei.derlen, &ep);
    ra_b64_encode(resp->p, resp->len, &b64);
    sc_buf_putc(&b64, 0);
    json_t *j =
        json_pack("{s:[s,s], s:s, s:s?, s:s?, s:s, s:s, s:s}", "certificates", sign, enc, "state",
                  ra_state_name(o->state), "pem", (const char *)sp.p, "enc_pem", (const char *)ep.p,
                  "sign_serial", sign, "enc_serial", enc, "response", (const char *)b64.p);
    cert_info_free(&si);
    cert_info_free(&ei);
    sc_buf_free(&sp);
    sc_buf_free(&ep);
    sc_buf_free(&b64);
    return j;
}

static int dual_issue(ra *r, const ra_session *s, ra_order *o, const sc_buf *csrb, json_t **out,
                      ra_err *re)
{
    char tag[160], subject[700], ident[64], old_enc[33] = "", obj[48];
    const char *uscc = NULL, *idn = NULL;
    int rc;
    rak_row k;
    snprintf(tag, sizeof(tag), "%.80s/order:%lld", s->actor, (long long)o->id);
    snprintf(obj, sizeof(obj), "order:%lld", (long long)o->id);
    /* (1) the attempt on record; an interrupted earlier attempt's certificates withdrawn */
    if ((rc = rak_get(r, o->id, &k, re)) != 0) return rc;
    sc_buf_free(&k.resp);
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    store_stmt *st;
    if (k.attempt[0] && (rc = revoke_orphans(r, k.attempt, re)) != 0) goto fail;
    if ((rc = store_stmt_get(r->db, ST_RAK_ATTEMPT, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, o->id);
    store_bind_text(st, 2, tag);
    store_bind_int64(st, 3, ra_now(r));
    if ((rc = store_exec(st, &re->e)) != 0 ||
        (rc = audit_append(r->db, s->actor, "ra.order.kmc_attempt", obj, "ok", tag, &re->e)) != 0 ||
        (rc = ra_order_subject(r, o, subject, ident, &uscc, &idn, re)) != 0)
        goto fail;
    if (o->certificate[0] && (rc = enc_for_sign(r, o->certificate, old_enc, re)) != 0) goto fail;
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) return rc;

    /* (2) the KMC: signing certificate, escrowed key pair, encryption certificate, envelope */
    kmc_dual_req dr = {.profile = ra_profile_base(o->kind),
                       .subject = subject,
                       .uscc = uscc,
                       .id_number = idn,
                       .csr = csrb->p,
                       .csrlen = csrb->len - 1,
                       .days = ra_order_years(o) * 365,
                       .actor = tag};
    kmc_dual_result res;
    if ((rc = kmc_issue_dual(r->kmc, &dr, &res, &re->e)) != 0) {
        snprintf(re->field, sizeof(re->field), "csr");
        return rc;
    }
    store_crashpoint("ra.dual.after_kmc");

    /* (3) ownership, the answer, the order, the replaced certificates: one transaction */
    const char *iv = uscc ? uscc : (idn ? idn : "");
    int reason = o->b->effect == RA_FX_REPLACE ? REASON_KEY_COMPROMISE : REASON_SUPERSEDED;
    char why[120];
    snprintf(why, sizeof(why), "certificates %s + %s (KMC)", res.sign_serial, res.enc_serial);
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto withdraw;
    if ((rc = ra_cert_record(r, o, res.sign_serial, subject, iv, re)) != 0 ||
        (rc = ra_cert_record(r, o, res.enc_serial, subject, iv, re)) != 0 ||
        (rc = store_stmt_get(r->db, ST_RAK_DONE, &st, &re->e)) != 0)
        goto fail3;
    store_bind_text(st, 1, res.enc_serial);
    store_bind_text(st, 2, res.sign_serial);
    store_bind_blob(st, 3, res.response.p, res.response.len);
    store_bind_int64(st, 4, ra_now(r));
    store_bind_int64(st, 5, o->id);
    if ((rc = store_exec(st, &re->e)) != 0 ||
        (rc = ra_order_move(r, o, RA_EV_FULFIL, s->actor, why, NULL, re)) != 0)
        goto fail3;
    if (o->certificate[0] && (rc = ra_retire_in_tx(r, o->certificate, reason, s->actor, re)) != 0)
        goto fail3;
    if (old_enc[0] && (rc = ra_retire_in_tx(r, old_enc, reason, s->actor, re)) != 0) goto fail3;
    store_crashpoint("ra.dual.before_commit");
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto withdraw;
    if (out) *out = result_json(r, o, res.sign_serial, res.enc_serial, &res.response);
    kmc_dual_result_free(&res);
    /* the replaced (or withdrawn) encryption keys go to the history pool, from which a key
     * recovery can still restore them; best effort: `sealca kmc sweep` does the same later */
    int moved = 0;
    if (old_enc[0] || k.attempt[0]) kmc_sweep(r->kmc, s->actor, &moved, NULL);
    return 0;
fail3:
    store_tx_rollback(r->db);
withdraw:
    /* the pair never reached the order: withdrawn (kmc_sweep moves the key to history) */
    pki_revoke(r->ca, res.sign_serial, REASON_CESSATION, 0, "ra.kmc.withdraw", NULL);
    pki_revoke(r->ca, res.enc_serial, REASON_CESSATION, 0, "ra.kmc.withdraw", NULL);
    kmc_dual_result_free(&res);
    return rc;
fail:
    store_tx_rollback(r->db);
    return rc;
}

/* ---- damaged-key recovery: onto the holder's new signing key ---- */

static int damaged_release(ra *r, const ra_session *s, ra_order *o, const char *csr_pem,
                           json_t **out, ra_err *re)
{
    rak_row k;
    rec_row v;
    int rc = rak_get(r, o->id, &k, re);
    sc_buf csrb = {0}, resp = {0};
    cert_info si = {0};
    sc_key *pub = NULL;
    if (rc != 0) return rc;
    sc_buf_free(&k.resp);
    if (k.rec_id <= 0)
        return ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "no key recovery request");
    if ((rc = rec_get(r, k.rec_id, &v, re)) != 0) return rc;
    if (strcmp(v.state, "approved") != 0)
        return ra_fail(re, SC_ESTATE, "kmc.recovery_not_approved", NULL,
                       "recovery %lld is %s: two officers must approve it first",
                       (long long)k.rec_id, v.state);
    /* (1) the new signing certificate, once (a retry after a failed release reuses it) */
    sc_err e = {0};
    int have =
        k.sign[0] && pki_cert_get(r->ca, k.sign, &si, &e) == 0 && strcmp(si.status, "good") == 0;
    if (!have) {
        cert_info_free(&si);
        if ((rc = csr_text(r, o, csr_pem, &csrb, re)) != 0) goto out;
        csr c = {0};
        if (csr_parse(csrb.p, csrb.len - 1, &c, &e) != 0) {
            rc = ra_fail(re, SC_EINVAL, e.code[0] ? e.code : "csr.bad", "csr", "%s", e.msg);
            goto out;
        }
        pub = c.pub;
        c.pub = NULL;
        csr_free(&c);
        if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
        store_stmt *st;
        if ((rc = ra_issue_for(r, o, pub, s->actor, &si, re)) != 0 ||
            (rc = store_stmt_get(r->db, ST_RAK_SIGN, &st, &re->e)) != 0) {
            store_tx_rollback(r->db);
            goto out;
        }
        store_bind_text(st, 1, si.serial);
        store_bind_int64(st, 2, ra_now(r));
        store_bind_int64(st, 3, o->id);
        if ((rc = store_exec(st, &re->e)) != 0 || (rc = store_tx_commit(r->db, &re->e)) != 0) {
            store_tx_rollback(r->db);
            goto out;
        }
    }
    /* (2) the KMC envelopes the escrowed key to it (audited there, once) */
    if ((rc = kmc_recovery_release_damaged(r->kmc, k.rec_id, s->actor, si.der, si.derlen, &resp,
                                           &re->e)) != 0)
        goto out;
    store_crashpoint("ra.recovery.after_release");
    /* (3) the answer on the order, the order completed, the damaged certificate revoked */
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    store_stmt *st;
    char why[120];
    snprintf(why, sizeof(why), "encryption key %s recovered onto %s", v.enc, si.serial);
    if ((rc = store_stmt_get(r->db, ST_RAK_DONE, &st, &re->e)) != 0) goto fail;
    store_bind_text(st, 1, v.enc);
    store_bind_text(st, 2, si.serial);
    store_bind_blob(st, 3, resp.p, resp.len);
    store_bind_int64(st, 4, ra_now(r));
    store_bind_int64(st, 5, o->id);
    if ((rc = store_exec(st, &re->e)) != 0 ||
        (rc = ra_order_move(r, o, RA_EV_FULFIL, s->actor, why, NULL, re)) != 0 ||
        (o->certificate[0] && strcmp(o->certificate, si.serial) != 0 &&
         (rc = ra_retire_in_tx(r, o->certificate, REASON_SUPERSEDED, s->actor, re)) != 0))
        goto fail;
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    if (out) *out = result_json(r, o, si.serial, v.enc, &resp);
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    crypto_key_free(pub);
    cert_info_free(&si);
    sc_buf_free(&csrb);
    sc_buf_free(&resp);
    return rc;
}

int ra_kmc_issue(ra *r, const ra_session *s, ra_order *o, const char *csr_pem, json_t **out,
                 int *handled, ra_err *re)
{
    *handled = 0;
    if (is_recovery(o)) {
        *handled = 1;
        if (r->kmc == NULL) return ra_fail(re, SC_ESTATE, "kmc.none", NULL, "this home has no KMC");
        if (strcmp(field(o, "recovery_kind"), "damaged") == 0)
            return damaged_release(r, s, o, csr_pem, out, re);
        return ra_fail(re, SC_ESTATE, "order.bad_state", NULL,
                       "a judicial recovery is released to an officer: "
                       "POST /orders/{id}/recovery/release");
    }
    if (!o->b->dual || r->kmc == NULL) return 0;
    /* dual certificates are SM2 (GM/T 0092); another algorithm stays signing-only */
    pki_issuer *iss = ca_active_issuing(r->ca);
    if (iss == NULL || iss->alg != SC_ALG_SM2) return 0;
    sc_buf csrb = {0};
    int rc = csr_text(r, o, csr_pem, &csrb, re);
    if (rc != 0) return rc;
    csr c = {0};
    sc_err e = {0};
    if (csr_parse(csrb.p, csrb.len - 1, &c, &e) != 0) {
        sc_buf_free(&csrb);
        return ra_fail(re, SC_EINVAL, e.code[0] ? e.code : "csr.bad", "csr", "%s", e.msg);
    }
    int sm2 = crypto_key_alg(c.pub) == SC_ALG_SM2;
    csr_free(&c);
    if (sm2) {
        *handled = 1;
        rc = dual_issue(r, s, o, &csrb, out, re);
    }
    sc_buf_free(&csrb);
    return rc;
}

/* ---- key recovery: request, officers, release ---- */

int ra_recovery_open(ra *r, ra_order *o, const char *requester, int64_t *rec_id, char enc[33],
                     ra_err *re)
{
    *rec_id = 0;
    if (r->kmc == NULL) return ra_fail(re, SC_ESTATE, "kmc.none", NULL, "this home has no KMC");
    const char *kind = field(o, "recovery_kind");
    int judicial = strcmp(kind, "judicial") == 0;
    if (!judicial && strcmp(kind, "damaged") != 0)
        return ra_fail(re, SC_EINVAL, "field.required", "recovery_kind", "damaged or judicial");
    const char *cref = judicial ? field(o, "case_ref") : o->order_no;
    if (*cref == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "case_ref",
                       "judicial recovery needs the case reference");
    int rc = enc_for_sign(r, o->certificate, enc, re);
    if (rc != 0) return rc;
    if (enc[0] == 0)
        return ra_fail(re, SC_ESTATE, "kmc.no_escrow", "certificate",
                       "the KMC holds no encryption key for this certificate");
    char why[80];
    snprintf(why, sizeof(why), "RA order %s", o->order_no);
    if ((rc = kmc_recovery_request(r->kmc, judicial ? KMC_RECOVER_JUDICIAL : KMC_RECOVER_DAMAGED,
                                   enc, requester, cref, why, rec_id, &re->e)) != 0)
        snprintf(re->field, sizeof(re->field), judicial ? "case_ref" : "certificate");
    return rc;
}

int ra_recovery_link(ra *r, ra_order *o, int64_t rec_id, const char *enc, const char *actor,
                     ra_err *re)
{
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RAK_RECOVERY, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, o->id);
    store_bind_int64(st, 2, rec_id);
    store_bind_text(st, 3, enc);
    store_bind_int64(st, 4, ra_now(r));
    if ((rc = store_exec(st, &re->e)) != 0) return rc;
    char obj[48], d[120];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)o->id);
    snprintf(d, sizeof(d), "recovery=%lld kind=%s enc=%s", (long long)rec_id,
             field(o, "recovery_kind"), enc);
    return audit_append(r->db, actor, "ra.recovery.request", obj, "ok", d, &re->e);
}

void ra_recovery_abandon(ra *r, int64_t rec_id)
{
    if (r->kmc != NULL)
        kmc_recovery_reject(r->kmc, rec_id, "ra", "the order's approval was not recorded", NULL);
}

/* The recovery of an order an officer acts on (officers need no order duty: internal load). */
static int officer_order(ra *r, const ra_session *s, int64_t id, ra_order *o, rak_row *k,
                         ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_RECOVERY))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "key-recovery officers only");
    if (r->kmc == NULL) return ra_fail(re, SC_ESTATE, "kmc.none", NULL, "this home has no KMC");
    int rc = ra_order_load(r, NULL, id, 1, o, re);
    if (rc != 0) return rc;
    if (!is_recovery(o) || (rc = rak_get(r, id, k, re)) != 0 || k->rec_id <= 0) {
        ra_order_free(o);
        return rc ? rc
                  : ra_fail(re, SC_ESTATE, "order.bad_state", NULL,
                            "not an approved key-recovery order");
    }
    return 0;
}

int ra_recovery_decide(ra *r, const ra_session *s, int64_t id, const char *payload,
                       const char *sig_b64, json_t **out, ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_RECOVERY))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "key-recovery officers only");
    json_t *pl = NULL;
    int rc = ra_signed_action(r, s, payload, sig_b64, "recovery", id, &pl, re);
    if (rc != 0) return rc;
    const char *dec = json_string_value(json_object_get(pl, "decision"));
    const char *why = json_string_value(json_object_get(pl, "reason"));
    int approve = dec != NULL && strcmp(dec, "approve") == 0;
    ra_order o;
    rak_row k = {0};
    sc_buf detail = {0};
    memset(&o, 0, sizeof(o));
    if (!approve && (dec == NULL || strcmp(dec, "reject") != 0)) {
        rc = ra_fail(re, SC_EINVAL, "field.choice", "decision", "approve or reject");
        goto done;
    }
    if (!approve && (why == NULL || *why == 0)) {
        rc = ra_fail(re, SC_EINVAL, "field.required", "reason", "a reason is required");
        goto done;
    }
    if (why != NULL && strlen(why) > 400) {
        rc = ra_fail(re, SC_EINVAL, "field.too_long", "reason", "too long");
        goto done;
    }
    if ((rc = officer_order(r, s, id, &o, &k, re)) != 0) goto done;
    if ((rc = ra_signed_detail(s, payload, sig_b64, &detail)) != 0) {
        rc = ra_fail(re, rc, "order.oom", NULL, "out of memory");
        goto out;
    }
    /* the KMC enforces the rules (two different officers, neither the requester) and keeps the
     * signed decision in its audit record, in the same transaction as the approval */
    rec_row v;
    if (approve)
        rc =
            kmc_recovery_approve_signed(r->kmc, k.rec_id, s->actor, (const char *)detail.p, &re->e);
    else if ((rc = rec_get(r, k.rec_id, &v, re)) == 0 && strcmp(v.state, "rejected") != 0)
        rc = kmc_recovery_reject(r->kmc, k.rec_id, s->actor, (const char *)detail.p, &re->e);
    if (rc != 0) goto out;
    /* a rejected recovery ends the order (rejected, with the officer's reason). The KMC commits
     * its rejection first; if the order's move is lost (a crash in between), the officer's
     * repeated rejection finds the request already rejected and only moves the order. */
    if (!approve) {
        if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
        if ((rc = ra_order_move(r, &o, RA_EV_DECLINE, s->actor, why, NULL, re)) != 0) {
            store_tx_rollback(r->db);
            goto out;
        }
        if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    }
    if ((rc = rec_get(r, k.rec_id, &v, re)) == 0) *out = rec_json(&v, k.rec_id);
out:
    ra_order_free(&o);
done:
    sc_buf_free(&k.resp);
    sc_buf_free(&detail);
    json_decref(pl);
    return rc;
}

int ra_recovery_release_judicial(ra *r, const ra_session *s, int64_t id, const char *pass,
                                 sc_buf *pem, ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_RECOVERY))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "key-recovery officers only");
    if (pass == NULL || strlen(pass) < 8 || strlen(pass) > 128)
        return ra_fail(re, SC_EINVAL, "field.range", "password", "8-128 characters");
    ra_order o;
    rak_row k;
    int rc = officer_order(r, s, id, &o, &k, re);
    if (rc != 0) return rc;
    sc_buf_free(&k.resp);
    if (strcmp(field(&o, "recovery_kind"), "judicial") != 0 || o.state != RA_PAID) {
        rc = ra_fail(re, SC_ESTATE, "order.bad_state", NULL,
                     "not an approved judicial key-recovery order");
        goto out;
    }
    if ((rc = kmc_recovery_release_judicial(r->kmc, k.rec_id, s->actor, pass, strlen(pass), pem,
                                            &re->e)) != 0)
        goto out;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto wipe;
    char why[240];
    snprintf(why, sizeof(why), "judicial release to %.60s, case %.120s", s->actor,
             field(&o, "case_ref"));
    if ((rc = ra_order_move(r, &o, RA_EV_FULFIL, s->actor, why, NULL, re)) != 0) {
        store_tx_rollback(r->db);
        goto wipe;
    }
    if ((rc = store_tx_commit(r->db, &re->e)) == 0) goto out;
wipe:
    /* released by the KMC (audited there) but the order did not move: the key is still handed
     * over, it was released once and cannot be released again */
    rc = 0;
out:
    ra_order_free(&o);
    return rc;
}

int ra_recovery_queue(ra *r, const ra_session *s, json_t **out, ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_RECOVERY) && s->acct.role != RA_ROLE_BUSINESS_ADMIN)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "key-recovery officers only");
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RAK_QUEUE, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, ra_now(r) - QUEUE_DAYS * 86400);
    json_t *arr = json_array();
    while ((rc = store_step(st, &re->e)) == STORE_ROW) {
        rec_row v;
        memset(&v, 0, sizeof(v));
        char no[32], state[16];
        cpy(no, sizeof(no), st, 1);
        cpy(state, sizeof(state), st, 2);
        cpy(v.kind, sizeof(v.kind), st, 4);
        cpy(v.enc, sizeof(v.enc), st, 5);
        cpy(v.requester, sizeof(v.requester), st, 6);
        cpy(v.case_ref, sizeof(v.case_ref), st, 7);
        cpy(v.a1, sizeof(v.a1), st, 8);
        cpy(v.a2, sizeof(v.a2), st, 9);
        cpy(v.state, sizeof(v.state), st, 10);
        json_t *j = rec_json(&v, store_col_int64(st, 3));
        int mine = strcmp(v.requester, s->actor) == 0 || strcmp(v.a1, s->actor) == 0 ||
                   strcmp(v.a2, s->actor) == 0;
        json_object_set_new(j, "order_id", json_integer(store_col_int64(st, 0)));
        json_object_set_new(j, "order_no", json_string(no));
        json_object_set_new(j, "order_state", json_string(state));
        json_object_set_new(j, "created_at", json_integer(store_col_int64(st, 11)));
        json_object_set_new(j, "can_decide",
                            json_boolean(strcmp(v.state, "pending") == 0 && !mine &&
                                         ra_has_duty(s, RA_DUTY_RECOVERY)));
        json_array_append_new(arr, j);
    }
    store_release(r->db);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = json_pack("{s:o}", "recoveries", arr);
    return 0;
}

json_t *ra_order_kmc_json(ra *r, ra_order *o)
{
    rak_row k;
    ra_err re = {0};
    if (rak_get(r, o->id, &k, &re) != 0 || !k.present) return NULL;
    json_t *j = json_pack("{s:s?, s:s?, s:b}", "enc_serial", k.enc[0] ? k.enc : NULL, "sign_serial",
                          k.sign[0] ? k.sign : NULL, "has_response", k.resp.len > 0);
    sc_buf_free(&k.resp);
    rec_row v;
    if (k.rec_id > 0 && rec_get(r, k.rec_id, &v, &re) == 0)
        json_object_set_new(j, "recovery", rec_json(&v, k.rec_id));
    return j;
}

int ra_order_kmc_response(ra *r, const ra_session *s, int64_t id, json_t **out, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 0, &o, re);
    if (rc != 0) return rc;
    ra_order_free(&o);
    rak_row k;
    if ((rc = rak_get(r, id, &k, re)) != 0) return rc;
    if (k.resp.len == 0) {
        sc_buf_free(&k.resp);
        return ra_fail(re, SC_ENOTFOUND, "not_found", NULL, "no CSRResponse for this order");
    }
    sc_buf b64 = {0};
    ra_b64_encode(k.resp.p, k.resp.len, &b64);
    sc_buf_putc(&b64, 0);
    *out =
        json_pack("{s:s, s:s, s:s, s:s}", "response", (const char *)b64.p, "format",
                  "GM/T 0092 CSRResponse, DER, base64", "sign_serial", k.sign, "enc_serial", k.enc);
    sc_buf_free(&b64);
    sc_buf_free(&k.resp);
    return 0;
}
