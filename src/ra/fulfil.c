/* fulfil.c - payment (operator marks, HMAC-verified gateway webhook), invoices, issuance through
 * the CA core, shipping and pick-up, certificate services (renew with proof of possession,
 * suspend, revoke, resume), the revocation dashboard, the auditor console, RA settings. */
#include <errno.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit/audit.h"
#include "common/conf.h"
#include "common/testhook.h"
#include "pki/ident.h"
#include "ra/ra.h"
#include "kmc/kmc.h"
#include "ra/notify.h"
#include "seal/seal.h"
#include "ra/ra_int.h"
#include "ra/vault.h"
#include "ra/workdays.h"
#include "crypto/datakey.h"

#define POP_LIFE 300 /* proof-of-possession challenge, seconds */

/* ---- settings ---- */

int ra_conf_load(const char *home, ra *r, ra_err *re)
{
    char p[4200];
    snprintf(p, sizeof(p), "%s/ra.conf", home);
    conf *c = NULL;
    int rc = conf_load(p, &c, &re->e);
    if (rc != 0) return rc;
    static const char *const known[] = {"lookup_key", "webhook_secret", "session_idle",
                                        "session_max", NULL};
    long idle = 1800, max = 43200;
    const char *lk = conf_get(c, "lookup_key"), *ws = conf_get(c, "webhook_secret");
    if ((rc = conf_check_keys(c, known, &re->e)) != 0 ||
        (rc = conf_get_int(c, "session_idle", 60, 86400, 1800, &idle, &re->e)) != 0 ||
        (rc = conf_get_int(c, "session_max", 300, 30 * 86400, 43200, &max, &re->e)) != 0)
        goto out;
    /* lookup_key is only read by ra_lookup_key_migrate: the key lives in keys/lookup.key */
    (void)lk;
    if (ws == NULL || strlen(ws) < 16 || strlen(ws) > sizeof(r->webhook_key)) {
        rc =
            ra_fail(re, SC_EINVAL, "conf.ra", NULL, "%s: webhook_secret (16-64 chars) required", p);
        goto out;
    }
    memcpy(r->webhook_key, ws, strlen(ws));
    r->webhook_keylen = strlen(ws);
    r->session_idle = idle;
    r->session_max = max;
    /* test builds only (common/testhook.h): expiry, 24 h, windows; always 0 in release builds */
    rc = sc_testhook_seconds("SEALCA_RA_CLOCK_OFFSET", &r->clock_offset, &re->e);
out:
    conf_free(c);
    return rc;
}

int ra_lookup_key_migrate(pki_ca *ca, const char *actor, int *moved, ra_err *re)
{
    char p[4200], kp[4200];
    struct stat sb;
    int rc;
    if (moved) *moved = 0;
    snprintf(p, sizeof(p), "%s/ra.conf", ca->home);
    snprintf(kp, sizeof(kp), "%s/%s", ca->home, LOOKUPKEY_FILE);
    if (stat(p, &sb) != 0) return 0; /* no registration service in this home */
    conf *c = NULL;
    if ((rc = conf_load(p, &c, &re->e)) != 0) return rc;
    const char *lk = conf_get(c, "lookup_key");
    uint8_t k[32];
    int have_conf = lk != NULL, have_file = stat(kp, &sb) == 0;
    if (have_conf && (strlen(lk) != 64 || sc_hex_decode(lk, k, 32) != 32)) {
        conf_free(c);
        return ra_fail(re, SC_EINVAL, "conf.ra", "lookup_key", "%s: lookup_key is not 64 hex", p);
    }
    conf_free(c);
    if (have_file && !have_conf) return 0; /* the usual case: nothing to do */
    if (ca->pass == NULL) {
        sc_wipe(k, sizeof(k));
        return ra_fail(re, SC_EINVAL, "ca.no_passphrase", NULL,
                       "the key passphrase is required to move the lookup key into the key store");
    }
    if (!have_conf) {
        crypto_random(k, sizeof(k)); /* a registration service without a lookup key yet */
    } else if (have_file) {
        /* a move interrupted after the key file was written: it must be the same key */
        uint8_t f[DATAKEY_LEN];
        rc = crypto_datakey_load(kp, ca->pass, ca->passlen, 0, f, &re->e);
        int same = rc == 0 && sc_memeq_ct(f, k, 32) == 0;
        sc_wipe(f, sizeof(f));
        if (rc != 0) {
            sc_wipe(k, sizeof(k));
            return rc;
        }
        if (!same) {
            sc_wipe(k, sizeof(k));
            return ra_fail(re, SC_ESTATE, "ra.lookup_key_conflict", "lookup_key",
                           "%s and ra.conf hold different lookup keys: remove the wrong one", kp);
        }
    }
    if (!have_file) {
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/keys", ca->home);
        mkdir(dir, 0700);
        rc = crypto_datakey_write(kp, ca->pass, ca->passlen, k, &re->e);
        if (rc != 0) {
            sc_wipe(k, sizeof(k));
            return rc;
        }
    }
    sc_wipe(k, sizeof(k));
    if ((rc = store_tx_begin(ca->db, &re->e)) != 0) return rc;
    if ((rc = audit_append(ca->db, actor ? actor : "cli",
                           have_conf ? "ra.lookup_key.move" : "ra.lookup_key.create",
                           LOOKUPKEY_FILE, "ok",
                           have_conf ? "the phone lookup key moved from ra.conf into the key store "
                                       "(same value)"
                                     : "a new phone lookup key in the key store",
                           &re->e)) != 0) {
        store_tx_rollback(ca->db);
        return rc;
    }
    if ((rc = store_tx_commit(ca->db, &re->e)) != 0) return rc;
    if (!have_conf) return 0;
    /* ra.conf without its lookup_key line (comments and every other setting kept) */
    uint8_t *text = NULL;
    size_t n = 0;
    if ((rc = sc_file_read(p, 1 << 20, &text, &n)) != 0)
        return ra_fail(re, SC_EIO, "ra.init", NULL, "cannot read %s", p);
    sc_buf out = {0};
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && text[j] != '\n')
            j++;
        size_t k0 = i;
        while (k0 < j && (text[k0] == ' ' || text[k0] == '\t'))
            k0++;
        int drop =
            j - k0 >= 10 && memcmp(text + k0, "lookup_key", 10) == 0 &&
            (j - k0 == 10 || text[k0 + 10] == ' ' || text[k0 + 10] == '\t' || text[k0 + 10] == '=');
        if (!drop) sc_buf_append(&out, text + i, j < n ? j - i + 1 : j - i);
        i = j < n ? j + 1 : j;
    }
    sc_wipe(text, n);
    free(text);
    rc = sc_file_write_atomic(p, out.p, out.len, 0600);
    sc_buf_wipe(&out);
    if (rc != 0) return ra_fail(re, SC_EIO, "ra.init", NULL, "cannot write %s", p);
    if (moved) *moved = 1;
    return 0;
}

int ra_home_init(pki_ca *ca, ra_err *re)
{
    char p[4200];
    int rc;
    snprintf(p, sizeof(p), "%s/ra.conf", ca->home);
    struct stat sb;
    if (stat(p, &sb) != 0) {
        uint8_t w[24];
        char hw[49], text[400];
        crypto_random(w, sizeof(w));
        sc_hex_encode(w, 24, hw, 0);
        /* the phone lookup key is not here: keys/lookup.key (ra_lookup_key_migrate) */
        int n = snprintf(text, sizeof(text),
                         "# registration service settings (sealca ra init)\n"
                         "webhook_secret = %s\n"
                         "session_idle = 1800\nsession_max = 43200\n",
                         hw);
        rc = sc_file_write_atomic(p, text, (size_t)n, 0600);
        sc_wipe(text, sizeof(text));
        sc_wipe(w, sizeof(w));
        sc_wipe(hw, sizeof(hw));
        if (rc != 0) return ra_fail(re, SC_EIO, "ra.init", NULL, "cannot write %s", p);
    }
    /* the lookup key into the key store (moved out of an older ra.conf, or made) */
    if (ca->pass != NULL && (rc = ra_lookup_key_migrate(ca, "cli", NULL, re)) != 0) return rc;
    snprintf(p, sizeof(p), "%s/ra-catalog.json", ca->home);
    if (stat(p, &sb) != 0 &&
        sc_file_write_atomic(p, ra_catalog_demo, strlen(ra_catalog_demo), 0644) != 0)
        return ra_fail(re, SC_EIO, "ra.init", NULL, "cannot write %s", p);
    pki_profile pr;
    sc_err e = {0};
    if (profile_get(ca->db, RA_STAFF_PROFILE, &pr, &e) != 0) {
        int v = 0;
        const char *def = "label = 业务人员证书\nlabel_en = RA staff certificate\n"
                          "role = end-entity\nkey_usage = digitalSignature, nonRepudiation\n"
                          "ext_key_usage = clientAuth\nsubject_required = CN, O\n"
                          "default_days = 730\nmax_days = 1096\n";
        if ((rc = profile_put(ca->db, RA_STAFF_PROFILE, def, "cli", &v, &re->e)) != 0) return rc;
    }
    return 0;
}

/* Personal data and materials at rest through ra-files' vault (SM4-CTR + HMAC-SM3 under the data
 * key, which sits in the key process while serving); the label is bound as associated data so a
 * sealed phone cannot be passed off as an ID number. */
int ra_seal_bytes(ra *r, const char *label, const uint8_t *p, size_t n, sc_buf *out, ra_err *re)
{
    if (r->v == NULL) return ra_fail(re, SC_EINTERNAL, "ra.no_vault", NULL, "no data key");
    return vault_seal(r->v, label, p, n, out, &re->e);
}

int ra_seal(ra *r, const char *label, const char *text, sc_buf *out, ra_err *re)
{
    return ra_seal_bytes(r, label, (const uint8_t *)text, strlen(text), out, re);
}

int ra_unseal(ra *r, const char *label, const uint8_t *ct, size_t n, sc_buf *out, ra_err *re)
{
    if (r->v == NULL) return ra_fail(re, SC_EINTERNAL, "ra.no_vault", NULL, "no data key");
    return vault_unseal(r->v, label, ct, n, out, &re->e);
}

/* ---- working days (weekends and the catalog's holidays excluded: ra/workdays.c) ---- */

static int64_t add_workdays(const ra *r, int64_t t, int days)
{
    size_t nh = 0;
    const int32_t *h = ra_catalog_holidays(r->cat, &nh);
    return workdays_add(t, days, h, nh);
}

/* ---- payment ---- */

static int pay_apply(ra *r, ra_order *o, const char *tx, const char *method, int64_t amount,
                     const char *actor, ra_err *re)
{
    if (amount != o->price_fen)
        return ra_fail(re, SC_EINVAL, "payment.amount", "amount_fen", "amount differs");
    int rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_PAYMENT_INSERT, &st, &re->e)) != 0) return rc;
    store_bind_text(st, 1, tx);
    store_bind_int64(st, 2, o->id);
    store_bind_int64(st, 3, amount);
    store_bind_text(st, 4, method);
    store_bind_text(st, 5, actor);
    store_bind_int64(st, 6, ra_now(r));
    if ((rc = store_exec(st, &re->e)) != 0) return rc;
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_PAY, &st, &re->e)) != 0) return rc;
    store_bind_text(st, 1, method);
    store_bind_text(st, 2, tx);
    store_bind_int64(st, 3, ra_now(r));
    store_bind_int64(st, 4, o->id);
    if ((rc = store_exec(st, &re->e)) != 0) return rc;
    char reason[160];
    snprintf(reason, sizeof(reason), "%s %lld fen ref %s", method, (long long)amount, tx);
    return ra_order_move(r, o, RA_EV_PAY, actor, reason, NULL, re);
}

int ra_payment_mark(ra *r, const ra_session *s, int64_t id, const char *method, int64_t amount,
                    const char *reference, ra_err *re)
{
    if (!(ra_has_duty(s, RA_DUTY_ENTRY) || ra_has_duty(s, RA_DUTY_QUERY) ||
          s->acct.role == RA_ROLE_BUSINESS_ADMIN))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "entry or query duty required");
    if (method == NULL || (strcmp(method, "bank-transfer") != 0 && strcmp(method, "counter") != 0))
        return ra_fail(re, SC_EINVAL, "field.choice", "method", "bank-transfer or counter");
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    char tx[160];
    snprintf(tx, sizeof(tx), "%s:%lld:%s", method, (long long)id,
             reference && *reference ? reference : "-");
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    if ((rc = pay_apply(r, &o, tx, method, amount, s->actor, re)) != 0) {
        store_tx_rollback(r->db);
        goto out;
    }
    rc = store_tx_commit(r->db, &re->e);
out:
    ra_order_free(&o);
    return rc;
}

int ra_invoice_set(ra *r, const ra_session *s, int64_t id, const char *state, const char *no,
                   ra_err *re)
{
    static const char *const states[] = {"requested", "issued", "sent", NULL};
    int ok = 0;
    for (size_t i = 0; states[i]; i++)
        ok |= state && strcmp(state, states[i]) == 0;
    if (!ok) return ra_fail(re, SC_EINVAL, "field.choice", "state", "requested, issued or sent");
    if (!ra_is_staff(s) && strcmp(state, "requested") != 0)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", "state", "applicants may only request");
    if (ra_is_staff(s) && !(ra_has_duty(s, RA_DUTY_ENTRY) || ra_has_duty(s, RA_DUTY_QUERY) ||
                            s->acct.role == RA_ROLE_BUSINESS_ADMIN))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "not allowed");
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_INVOICE, &st, &re->e)) != 0) goto fail;
    store_bind_text(st, 1, state);
    store_bind_text(st, 2, no);
    store_bind_int64(st, 3, id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    char obj[48], d[120];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
    snprintf(d, sizeof(d), "invoice=%s no=%.60s", state, no ? no : "");
    if ((rc = audit_append(r->db, s->actor, "ra.invoice", obj, "ok", d, &re->e)) != 0) goto fail;
    rc = store_tx_commit(r->db, &re->e);
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    ra_order_free(&o);
    return rc;
}

void ra_webhook_mac(const ra *r, int sm3, const char *timestamp, const uint8_t *body, size_t len,
                    char hex[65])
{
    sc_buf m = {0};
    sc_buf_append(&m, timestamp, strlen(timestamp));
    sc_buf_putc(&m, '.');
    sc_buf_append(&m, body, len);
    uint8_t mac[32];
    if (sm3) {
        crypto_hmac_sm3(r->webhook_key, r->webhook_keylen, m.p, m.len, mac);
    } else {
        unsigned int ml = 32;
        HMAC(EVP_sha256(), r->webhook_key, (int)r->webhook_keylen, m.p, m.len, mac, &ml);
    }
    sc_buf_free(&m);
    sc_hex_encode(mac, 32, hex, 0);
}

int ra_webhook(ra *r, const char *timestamp, const char *sig_header, const uint8_t *body,
               size_t len, ra_err *re)
{
    if (timestamp == NULL || sig_header == NULL || strlen(timestamp) > 12)
        return ra_fail(re, SC_EVERIFY, "webhook.bad_signature", "X-Sealca-Signature", "missing");
    char *end = NULL;
    long long ts = strtoll(timestamp, &end, 10);
    int64_t now = ra_now(r);
    int sm3;
    const char *hex;
    if (strncmp(sig_header, "hmac-sha256=", 12) == 0) {
        sm3 = 0;
        hex = sig_header + 12;
    } else if (strncmp(sig_header, "hmac-sm3=", 9) == 0) {
        sm3 = 1;
        hex = sig_header + 9;
    } else
        return ra_fail(re, SC_EVERIFY, "webhook.bad_signature", "X-Sealca-Signature", "scheme");
    char want[65];
    ra_webhook_mac(r, sm3, timestamp, body, len, want);
    /* constant-time compare; a stale timestamp is refused so a captured call cannot be replayed
     * later (within the window the transaction id makes a replay harmless) */
    if (end == NULL || *end != 0 || ts < now - 300 || ts > now + 300 || strlen(hex) != 64 ||
        sc_memeq_ct(hex, want, 64) != 0)
        return ra_fail(re, SC_EVERIFY, "webhook.bad_signature", "X-Sealca-Signature", "bad MAC");
    json_t *j = NULL;
    int rc = ra_json_parse(body, len, &j, re);
    if (rc != 0) return rc;
    static const char *const keys[] = {"order_no", "amount_fen", "transaction_id", "status", NULL};
    const char *no, *tx, *status;
    int64_t amount = 0;
    int have = 0;
    if ((rc = ra_json_keys(j, keys, re)) != 0 || (rc = ra_json_str(j, "order_no", 31, &no, re)) ||
        (rc = ra_json_str(j, "transaction_id", 100, &tx, re)) ||
        (rc = ra_json_str(j, "status", 16, &status, re)) ||
        (rc = ra_json_int(j, "amount_fen", 0, 100000000, &amount, &have, re)))
        goto out;
    if (no == NULL || tx == NULL || !have || status == NULL) {
        rc = ra_fail(re, SC_EINVAL, "field.required",
                     no ? (tx ? "amount_fen" : "transaction_id") : "order_no", "required");
        goto out;
    }
    if (strcmp(status, "paid") != 0) goto out; /* other notifications change nothing */
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_PAYMENT_GET, &st, &re->e)) != 0) goto out;
    char txid[128];
    snprintf(txid, sizeof(txid), "gateway:%s", tx);
    store_bind_text(st, 1, txid);
    if ((rc = store_step(st, &re->e)) < 0) goto out;
    if (rc == STORE_ROW) { /* the same notification again: already applied */
        rc = 0;
        goto out;
    }
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_BY_NO, &st, &re->e)) != 0) goto out;
    store_bind_text(st, 1, no);
    if ((rc = store_step(st, &re->e)) < 0) goto out;
    if (rc != STORE_ROW) {
        rc = ra_fail(re, SC_ENOTFOUND, "not_found", "order_no", "no such order");
        goto out;
    }
    int64_t id = store_col_int64(st, 0);
    ra_order o;
    if ((rc = ra_order_load(r, NULL, id, 1, &o, re)) != 0) goto out;
    if ((rc = store_tx_begin(r->db, &re->e)) == 0) {
        if ((rc = pay_apply(r, &o, txid, "gateway", amount, "gateway", re)) != 0)
            store_tx_rollback(r->db);
        else
            rc = store_tx_commit(r->db, &re->e);
    }
    ra_order_free(&o);
out:
    json_decref(j);
    return rc;
}

/* ---- issuance ---- */

const char *ra_profile_base(unsigned kind)
{
    switch (kind) {
    case RA_KIND_ORG:
        return "organization";
    case RA_KIND_LEGAL:
        return "legal-representative";
    case RA_KIND_COST:
        return "cost-engineer";
    case RA_KIND_EXPERT:
        return "expert";
    default:
        return "person";
    }
}

/* RFC 4514 value escaping for names typed by applicants */
static void dn_escape(const char *in, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; in && in[i] && j + 3 < n; i++) {
        char c = in[i];
        if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' ||
            c == '=' || (i == 0 && (c == '#' || c == ' ')))
            out[j++] = '\\';
        out[j++] = c;
    }
    out[j] = 0;
}

int ra_order_subject(ra *r, ra_order *o, char subject[700], char prev_ident[64],
                     const char **uscc_out, const char **idn_out, ra_err *re)
{
    char cn[300], org[300];
    const char *uscc = NULL, *idn = NULL;
    json_t *f = o->f;
    int rc;
    store_stmt *st;
    char prev_subject[700] = "";
    prev_ident[0] = 0;
    /* services on an existing certificate keep its subject and identity unless they change it */
    if (o->certificate[0] && o->b->effect != RA_FX_CHANGE) {
        if ((rc = store_stmt_get(r->db, ST_RA_CERT_META, &st, &re->e)) != 0) return rc;
        store_bind_text(st, 1, o->certificate);
        if ((rc = store_step(st, &re->e)) < 0) return rc;
        if (rc == STORE_ROW) {
            snprintf(prev_subject, sizeof(prev_subject), "%s", store_col_text(st, 0, NULL));
            size_t il = 0;
            const uint8_t *ie = store_col_blob(st, 1, &il);
            sc_buf pt = {0};
            if (ie && il && ra_unseal(r, "cert.ident", ie, il, &pt, re) == 0)
                snprintf(prev_ident, 64, "%.*s", (int)pt.len, (const char *)pt.p);
            sc_buf_wipe(&pt);
        }
    }
    if (prev_subject[0]) {
        snprintf(subject, 700, "%s", prev_subject);
        if (o->kind == RA_KIND_ORG)
            uscc = prev_ident;
        else
            idn = prev_ident;
    } else if (o->kind == RA_KIND_ORG) {
        dn_escape(json_string_value(json_object_get(f, "org_name")), org, sizeof(org));
        snprintf(subject, 700, "CN=%s,O=%s,C=CN", org, org);
        uscc = json_string_value(json_object_get(f, "org_uscc"));
    } else {
        dn_escape(json_string_value(json_object_get(f, "person_name")), cn, sizeof(cn));
        dn_escape(json_string_value(json_object_get(f, "person_org")), org, sizeof(org));
        if (org[0])
            snprintf(subject, 700, "CN=%s,O=%s,C=CN", cn, org);
        else
            snprintf(subject, 700, "CN=%s,C=CN", cn);
        idn = json_string_value(json_object_get(f, "person_id_number"));
    }
    *uscc_out = uscc;
    *idn_out = idn;
    return 0;
}

int ra_order_years(const ra_order *o)
{
    json_int_t years = json_integer_value(json_object_get(o->f, "years"));
    return years < 1 ? 1 : (int)years;
}

int ra_cert_record(ra *r, ra_order *o, const char *serial, const char *subject, const char *iv,
                   ra_err *re)
{
    sc_buf ident = {0};
    store_stmt *st;
    int rc;
    if ((rc = ra_seal(r, "cert.ident", iv ? iv : "", &ident, re)) != 0) return rc;
    if ((rc = store_stmt_get(r->db, ST_RA_CERT_INSERT, &st, &re->e)) == 0) {
        store_bind_text(st, 1, serial);
        store_bind_int64(st, 2, o->account_id);
        store_bind_int64(st, 3, o->id);
        store_bind_text(st, 4, subject);
        store_bind_blob(st, 5, ident.p, ident.len);
        rc = store_exec(st, &re->e);
    }
    sc_buf_free(&ident);
    return rc;
}

int ra_issue_for(ra *r, ra_order *o, sc_key *pub, const char *actor, cert_info *out, ra_err *re)
{
    char subject[700], prev_ident[64], profile[64];
    const char *uscc = NULL, *idn = NULL;
    int rc = ra_order_subject(r, o, subject, prev_ident, &uscc, &idn, re);
    if (rc != 0) return rc;
    snprintf(profile, sizeof(profile), "%s-sign", ra_profile_base(o->kind));
    int years = ra_order_years(o);
    issue_req ir = {.profile = profile,
                    .subject = subject,
                    .uscc = uscc,
                    .id_number = idn,
                    .pub = pub,
                    .days = (int)(years * 365),
                    .actor = actor};
    /* inside the caller's transaction: certificate, ownership and the caller's order change
     * commit together */
    if ((rc = pki_issue_in_tx(r->ca, &ir, out, &re->e)) != 0) {
        snprintf(re->field, sizeof(re->field), "csr");
        return rc;
    }
    return ra_cert_record(r, o, out->serial, subject, uscc ? uscc : (idn ? idn : ""), re);
}

/* Revoke a certificate the order replaced, inside the caller's transaction (already revoked:
 * nothing to do). */
int ra_retire_in_tx(ra *r, const char *serial, int reason, const char *actor, ra_err *re)
{
    sc_err e = {0};
    cert_info ci = {0};
    int rc = 0;
    if (pki_cert_get(r->ca, serial, &ci, &e) == 0 && strcmp(ci.status, "revoked") != 0)
        rc = pki_revoke_in_tx(r->ca, serial, reason, 0, actor, &re->e);
    cert_info_free(&ci);
    return rc;
}

static int retire_old(ra *r, ra_order *o, const char *actor, ra_err *re)
{
    if (!o->certificate[0]) return 0;
    int reason = o->b->effect == RA_FX_REPLACE ? REASON_KEY_COMPROMISE : REASON_SUPERSEDED;
    return ra_retire_in_tx(r, o->certificate, reason, actor, re);
}

/* One transaction: the certificate (pki_issue_in_tx, with its CA audit record and directory
 * outbox entry), its ownership row, the order's transition with its audit record, and the
 * revocation of the certificate it replaces. A crash anywhere leaves all or nothing. */
static int issue_and_move(ra *r, ra_order *o, sc_key *pub, const char *actor, json_t **out,
                          ra_err *re)
{
    cert_info ci = {0};
    int rc;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    if ((rc = ra_issue_for(r, o, pub, actor, &ci, re)) != 0) goto fail;
    char reason[80];
    snprintf(reason, sizeof(reason), "certificate %s", ci.serial);
    if ((rc = ra_order_move(r, o, RA_EV_FULFIL, actor, reason, NULL, re)) != 0 ||
        (rc = retire_old(r, o, actor, re)) != 0)
        goto fail;
    store_crashpoint("ra.issue.before_commit");
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    if (out) {
        sc_buf pem = {0};
        cert_pem(ci.der, ci.derlen, &pem);
        sc_buf_putc(&pem, 0);
        *out = json_pack("{s:[s], s:s, s:s}", "certificates", ci.serial, "state",
                         ra_state_name(o->state), "pem", (const char *)pem.p);
        sc_buf_free(&pem);
    }
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    cert_info_free(&ci);
    return rc;
}

/* The CSR uploaded to the order (PUT /orders/{id}/csr), NUL-terminated. */
int ra_order_csr_text(ra *r, ra_order *o, sc_buf *out, ra_err *re)
{
    store_stmt *st;
    int rc;
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_GET_CSR, &st, &re->e)) != 0) return rc;
    store_bind_int64(st, 1, o->id);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    size_t n = 0;
    const uint8_t *p = rc == STORE_ROW ? store_col_blob(st, 0, &n) : NULL;
    if (p == NULL || n == 0) {
        store_release(r->db);
        return ra_fail(re, SC_ESTATE, "order.no_csr", "csr", "no CSR uploaded");
    }
    sc_buf_append(out, p, n);
    sc_buf_putc(out, 0);
    store_release(r->db);
    return 0;
}

/* ---- renewal with seals (ra-renew) ----
 * GM/T 0031 §6.2.2: the signer's certificate must be byte-identical to the one in the seal, so
 * renewing or rekeying a signing certificate needs a new seal for each active seal bound to it.
 * The renew order shows those seals, the holder approves keeping the same image
 * (seal_keep_image), and completion makes the successors for the new certificate and retires the
 * old seals (src/seal seal_renew_for_cert: all or nothing, audited). */

#define RENEW_SEALS_MAX  16
#define RENEW_PIC_INLINE (512u * 1024) /* pictures shown inline in the order JSON */

static int is_renewal(const ra_order *o)
{
    return o->b->effect == RA_FX_RENEW && o->certificate[0];
}

static void seals_into(ra *r, const char *serial, json_t *arr, int with_der)
{
    seal_record *recs = calloc(RENEW_SEALS_MAX, sizeof(*recs));
    int n = 0;
    sc_err e = {0};
    if (recs == NULL || seal_active_for_cert(r->ca, serial, recs, RENEW_SEALS_MAX, &n, &e) != 0)
        n = 0;
    for (int i = 0; i < n; i++) {
        seal s;
        sc_buf b64 = {0};
        sc_err e2 = {0};
        int64_t w = 0, h = 0;
        if (seal_decode(recs[i].der, recs[i].derlen, &s, &e2) == 0) {
            w = s.pic_width;
            h = s.pic_height;
            if (s.picture.len <= RENEW_PIC_INLINE) ra_b64_encode(s.picture.p, s.picture.len, &b64);
        }
        sc_buf_putc(&b64, 0);
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "esid", recs[i].esid,
                      "name", recs[i].name, "kind", recs[i].kind, "type",
                      recs[i].type == SEAL_TYPE_PERSON ? "person" : "organization", "certificate",
                      recs[i].cert_serial, "valid_from", (json_int_t)recs[i].valid_from, "valid_to",
                      (json_int_t)recs[i].valid_to, "width_mm", (json_int_t)w, "height_mm",
                      (json_int_t)h, "picture_png", (const char *)b64.p));
        sc_buf_free(&b64);
        if (with_der) { /* the holder's new seal file (.esl) to sign with */
            ra_b64_encode(recs[i].der, recs[i].derlen, &b64);
            sc_buf_putc(&b64, 0);
            json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "seal",
                                json_string((const char *)b64.p));
            sc_buf_free(&b64);
        }
        seal_record_free(&recs[i]);
    }
    free(recs);
}

json_t *ra_renew_seals_json(ra *r, const ra_order *o, const char *which)
{
    if (!is_renewal(o)) return NULL;
    json_t *arr = json_array();
    if (strcmp(which, "old") == 0) {
        seals_into(r, o->certificate, arr, 0);
        return arr;
    }
    /* the seals of the certificate(s) this order issued */
    char serials[4][33];
    int n = 0, rc;
    store_stmt *st;
    sc_err e = {0};
    if (store_stmt_get(r->db, ST_RA_CERT_BY_ORDER, &st, &e) == 0) {
        store_bind_int64(st, 1, o->id);
        while ((rc = store_step(st, &e)) == STORE_ROW)
            if (n < 4) snprintf(serials[n++], 33, "%s", store_col_text(st, 0, NULL));
    }
    for (int i = 0; i < n; i++)
        seals_into(r, serials[i], arr, 1);
    return arr;
}

int ra_renew_seals_check(ra *r, const ra_order *o, int *count, ra_err *re)
{
    if (count) *count = 0;
    if (!is_renewal(o)) return 0;
    seal_record *recs = calloc(RENEW_SEALS_MAX, sizeof(*recs));
    if (recs == NULL) return ra_fail(re, SC_ENOMEM, "ra.oom", NULL, "out of memory");
    int n = 0;
    int rc = seal_active_for_cert(r->ca, o->certificate, recs, RENEW_SEALS_MAX, &n, &re->e);
    for (int i = 0; i < n; i++)
        seal_record_free(&recs[i]);
    free(recs);
    if (rc != 0) return rc;
    if (count) *count = n;
    if (n > 0 && !json_is_true(json_object_get(o->f, "seal_keep_image")))
        return ra_fail(re, SC_EINVAL, "order.seal_approval", "seal_keep_image",
                       "certificate %s has %d active seal(s): renewing it makes a new seal for the "
                       "new certificate; approve keeping the same seal image (seal_keep_image)",
                       o->certificate, n);
    return 0;
}

/* Issue the renewed certificate, make its seals, complete the order, supersede the old one. When
 * the seals cannot be made nothing of them changed: the new certificate is withdrawn again
 * (cessationOfOperation) and the order stays paid, so the holder can complete it again. */
static int renew_with_seals(ra *r, ra_order *o, sc_key *pub, const char *actor, json_t **out,
                            ra_err *re)
{
    cert_info ci = {0};
    seal_record *recs = calloc(RENEW_SEALS_MAX, sizeof(*recs));
    int n = 0, rc;
    if (recs == NULL) return ra_fail(re, SC_ENOMEM, "ra.oom", NULL, "out of memory");
    /* the certificate first (ra_issue_for runs in the caller's transaction: here its own), then
     * the seals (their own transaction), then the order with the old certificate's retirement */
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    if ((rc = ra_issue_for(r, o, pub, actor, &ci, re)) != 0) {
        store_tx_rollback(r->db);
        goto out;
    }
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    if ((rc = seal_renew_for_cert(r->ca, o->certificate, ci.der, ci.derlen, actor, recs,
                                  RENEW_SEALS_MAX, &n, &re->e)) != 0) {
        sc_err e2 = {0};
        pki_revoke(r->ca, ci.serial, REASON_CESSATION, 0, actor, &e2);
        snprintf(re->field, sizeof(re->field), "seal_keep_image");
        goto out;
    }
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    char reason[400];
    int l = snprintf(reason, sizeof(reason), "certificate %s; new seals", ci.serial);
    for (int i = 0; i < n && l > 0 && (size_t)l < sizeof(reason) - 70; i++)
        l += snprintf(reason + l, sizeof(reason) - (size_t)l, " %.64s", recs[i].esid);
    if ((rc = ra_order_move(r, o, RA_EV_FULFIL, actor, reason, NULL, re)) != 0 ||
        (rc = retire_old(r, o, actor, re)) != 0) {
        store_tx_rollback(r->db);
        goto out;
    }
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    if (out) {
        sc_buf pem = {0};
        cert_pem(ci.der, ci.derlen, &pem);
        sc_buf_putc(&pem, 0);
        json_t *es = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(es, json_string(recs[i].esid));
        *out = json_pack("{s:[s], s:s, s:s, s:o}", "certificates", ci.serial, "state",
                         ra_state_name(o->state), "pem", (const char *)pem.p, "seals", es);
        sc_buf_free(&pem);
    }
out:
    for (int i = 0; i < RENEW_SEALS_MAX; i++)
        seal_record_free(&recs[i]);
    free(recs);
    cert_info_free(&ci);
    return rc;
}

/* The renew and rekey completion: with the seals when the certificate has any. */
static int renew_complete(ra *r, ra_order *o, sc_key *pub, const char *actor, json_t **out,
                          ra_err *re)
{
    int nseals = 0;
    int rc = ra_renew_seals_check(r, o, &nseals, re);
    if (rc != 0) return rc;
    return nseals > 0 ? renew_with_seals(r, o, pub, actor, out, re)
                      : issue_and_move(r, o, pub, actor, out, re);
}

static int order_pub(ra *r, ra_order *o, const char *csr_pem, sc_key **pub, ra_err *re)
{
    sc_buf stored = {0};
    int rc;
    if (!o->b->needs_csr && o->certificate[0]) {
        /* renew without rekey: the current key is certified again */
        cert_info ci = {0};
        sc_err e = {0};
        if ((rc = pki_cert_get(r->ca, o->certificate, &ci, &e)) != 0)
            return ra_fail(re, SC_ENOTFOUND, "not_found", "certificate", "no certificate");
        rc = cert_pubkey(ci.der, ci.derlen, pub, &re->e);
        cert_info_free(&ci);
        return rc;
    }
    if (csr_pem == NULL) {
        if ((rc = ra_order_csr_text(r, o, &stored, re)) != 0) return rc;
        csr_pem = (const char *)stored.p;
    }
    csr c = {0};
    sc_err e = {0};
    rc = csr_parse((const uint8_t *)csr_pem, strlen(csr_pem), &c, &e);
    sc_buf_free(&stored);
    if (rc != 0) return ra_fail(re, SC_EINVAL, e.code[0] ? e.code : "csr.bad", "csr", "%s", e.msg);
    *pub = c.pub;
    c.pub = NULL;
    csr_free(&c);
    return 0;
}

static int kmc_or_seal(const ra_order *o, ra_err *re)
{
    if (strcmp(o->b->key, "pin-unlock") == 0)
        return ra_fail(re, SC_ESTATE, "order.bad_state", NULL,
                       "pin-unlock completes through POST /orders/{id}/unlock");
    return 0;
}

/* seal-change / seal-redo: a new seal from the approved seal image for the order's certificate,
 * the old one retired (replaced_by), through the seal service (src/seal). */
static int seal_complete(ra *r, const ra_session *s, ra_order *o, json_t **out, ra_err *re)
{
    const char *esid = json_string_value(json_object_get(o->f, "seal_esid"));
    if (esid == NULL || *esid == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "seal_esid", "the seal to replace");
    sc_buf png = {0};
    const char *mime = NULL;
    int rc = ra_material_get(r, s, o->id, "seal-image", 0, &png, &mime, re);
    if (rc != 0) return rc;
    if (strcmp(mime, "image/png") != 0) {
        sc_buf_free(&png);
        return ra_fail(re, SC_EINVAL, "material.type", "seal-image", "the seal image is PNG");
    }
    cert_info ci = {0};
    if ((rc = pki_cert_get(r->ca, o->certificate, &ci, &re->e)) != 0) {
        sc_buf_free(&png);
        return rc;
    }
    const char *name = json_string_value(
        json_object_get(o->f, o->kind == RA_KIND_ORG ? "org_name" : "person_name"));
    seal_make_req mr = {.layout = SEAL_LAYOUT_V4,
                        .name = name ? name : "",
                        .type = o->kind == RA_KIND_ORG ? SEAL_TYPE_ORGANIZATION : SEAL_TYPE_PERSON,
                        .holder_cert = ci.der,
                        .holder_len = ci.derlen,
                        .picture = png.p,
                        .piclen = png.len,
                        .actor = s->actor};
    seal_record rec;
    memset(&rec, 0, sizeof(rec));
    rc = seal_replace(r->ca, esid, o->b->key, &mr, &rec, &re->e);
    cert_info_free(&ci);
    sc_buf_free(&png);
    if (rc != 0) {
        snprintf(re->field, sizeof(re->field), "seal_esid");
        return rc;
    }
    if ((rc = store_tx_begin(r->db, &re->e)) == 0) {
        char reason[600];
        snprintf(reason, sizeof(reason), "seal %.500s replaces %.60s", rec.esid, esid);
        if ((rc = ra_order_move(r, o, RA_EV_FULFIL, s->actor, reason, NULL, re)) != 0)
            store_tx_rollback(r->db);
        else
            rc = store_tx_commit(r->db, &re->e);
    }
    if (rc == 0 && out != NULL) {
        sc_buf b64 = {0};
        ra_b64_encode(rec.der, rec.derlen, &b64);
        sc_buf_putc(&b64, 0);
        *out = json_pack("{s:s, s:s, s:s}", "esid", rec.esid, "state", ra_state_name(o->state),
                         "seal", (const char *)b64.p);
        sc_buf_free(&b64);
    }
    seal_record_free(&rec);
    return rc;
}

int ra_order_issue(ra *r, const ra_session *s, int64_t id, const char *csr_pem, json_t **out,
                   ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_PRODUCTION))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "production duty required");
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    sc_key *pub = NULL;
    if ((rc = kmc_or_seal(&o, re)) != 0) goto out;
    if (o.b->effect == RA_FX_SEAL && o.state == RA_PAID) {
        rc = seal_complete(r, s, &o, out, re);
        goto out;
    }
    if (o.state != RA_PAID || o.b->effect == RA_FX_REVOKE || o.b->effect == RA_FX_RESUME) {
        rc = ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "order is not ready for production");
        goto out;
    }
    /* key recovery, and dual issuance (signing + encryption pair) when the home has a KMC */
    int handled = 0;
    if ((rc = ra_kmc_issue(r, s, &o, csr_pem, out, &handled, re)) != 0 || handled) goto out;
    if ((rc = order_pub(r, &o, csr_pem, &pub, re)) != 0) goto out;
    rc = is_renewal(&o) ? renew_complete(r, &o, pub, s->actor, out, re)
                        : issue_and_move(r, &o, pub, s->actor, out, re);
out:
    crypto_key_free(pub);
    ra_order_free(&o);
    return rc;
}

int ra_order_ship(ra *r, const ra_session *s, int64_t id, const char *carrier, const char *tracking,
                  ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_PRODUCTION))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "production duty required");
    if (carrier == NULL || *carrier == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "carrier", "required");
    if (tracking == NULL || *tracking == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "tracking_no", "required");
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    int64_t now = ra_now(r);
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_SHIP, &st, &re->e)) != 0) goto fail;
    store_bind_text(st, 1, carrier);
    store_bind_text(st, 2, tracking);
    store_bind_int64(st, 3, now);
    store_bind_int64(st, 4, add_workdays(r, now, 3)); /* the guide's "1 to 3 working days" */
    store_bind_int64(st, 5, id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    char reason[200];
    snprintf(reason, sizeof(reason), "%.60s %.100s", carrier, tracking);
    if ((rc = ra_order_move(r, &o, RA_EV_SHIP, s->actor, reason, NULL, re)) != 0) goto fail;
    rc = store_tx_commit(r->db, &re->e);
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    ra_order_free(&o);
    return rc;
}

int ra_order_pickup(ra *r, const ra_session *s, int64_t id, const char *who, ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_ENTRY))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "entry duty required");
    if (who == NULL || *who == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "picked_up_by", "required");
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    if (strcmp(o.service_point, s->acct.service_point) != 0) {
        rc = ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "another service point's order");
        goto out;
    }
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    char reason[160];
    snprintf(reason, sizeof(reason), "picked up by %.120s", who);
    if ((rc = ra_order_move(r, &o, RA_EV_PICKUP, s->actor, reason, NULL, re)) != 0) {
        store_tx_rollback(r->db);
        goto out;
    }
    rc = store_tx_commit(r->db, &re->e);
out:
    ra_order_free(&o);
    return rc;
}

int ra_order_complete(ra *r, const ra_session *s, int64_t id, ra_err *re)
{
    if (ra_is_staff(s)) return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "applicant only");
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    sc_key *pub = NULL;
    if (o.state == RA_SHIPPED) {
        if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
        if ((rc = ra_order_move(r, &o, RA_EV_COMPLETE, s->actor, "received", NULL, re)) != 0) {
            store_tx_rollback(r->db);
            goto out;
        }
        rc = store_tx_commit(r->db, &re->e);
        goto out;
    }
    /* renew and change: the applicant completes online from their own key's CSR (the guide:
     * "延期业务用户需按照提示自行完成；变更业务…用户自行完成变更") */
    if (o.state != RA_PAID || (o.b->effect != RA_FX_CHANGE && o.b->effect != RA_FX_RENEW)) {
        rc = ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "nothing to complete");
        goto out;
    }
    if (is_renewal(&o) && (rc = ra_renew_seals_check(r, &o, NULL, re)) != 0) goto out;
    if ((rc = order_pub(r, &o, NULL, &pub, re)) != 0) goto out;
    rc = is_renewal(&o) ? renew_complete(r, &o, pub, s->actor, NULL, re)
                        : issue_and_move(r, &o, pub, s->actor, NULL, re);
out:
    crypto_key_free(pub);
    ra_order_free(&o);
    return rc;
}

/* Inside the caller's transaction: revoke or resume now, and complete the order. */
int ra_order_effect(ra *r, ra_order *o, const char *actor, ra_err *re)
{
    int rc;
    /* in the caller's (the review's) transaction: the decision, the certificate's new status
     * and the order's completion commit together */
    if (o->b->effect == RA_FX_REVOKE)
        rc = pki_revoke_in_tx(r->ca, o->certificate, REASON_CESSATION, 0, actor, &re->e);
    else
        rc = pki_resume_in_tx(r->ca, o->certificate, actor, &re->e);
    if (rc != 0) return rc;
    return ra_order_move(r, o, RA_EV_FULFIL, actor,
                         o->b->effect == RA_FX_REVOKE ? "revoked" : "resumed", NULL, re);
}

int ra_order_unlock(ra *r, const ra_session *s, int64_t id, const uint8_t *req, size_t reqlen,
                    const char *new_pin, sc_buf *answer, ra_err *re)
{
    if (ra_is_staff(s)) return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "applicant only");
    if (new_pin == NULL || strlen(new_pin) < 6 || strlen(new_pin) > 32)
        return ra_fail(re, SC_EINVAL, "field.range", "new_pin", "6-32 characters");
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    if (strcmp(o.b->key, "pin-unlock") != 0 || o.state != RA_PAID) {
        rc = ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "not an approved pin-unlock order");
        goto out;
    }
    if (r->kmc == NULL) {
        rc = ra_fail(re, SC_ESTATE, "order.not_implemented", NULL, "this home has no KMC");
        goto out;
    }
    /* the KMC checks the request (device serial, generation, replay) and answers it in the key
     * process; the order number goes on the KMC's audit record */
    if ((rc = kmc_unlock_answer(r->kmc, o.order_no, req, reqlen, new_pin, s->actor, answer,
                                &re->e)) != 0) {
        snprintf(re->field, sizeof(re->field), "request");
        goto out;
    }
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    if ((rc = ra_order_move(r, &o, RA_EV_FULFIL, s->actor, "PIN unlock answered", NULL, re)) != 0) {
        store_tx_rollback(r->db);
        goto out;
    }
    rc = store_tx_commit(r->db, &re->e);
out:
    ra_order_free(&o);
    return rc;
}

/* ---- certificates ---- */

void ra_pop_msg(const char *serial, const char *challenge, sc_buf *out)
{
    const char *p = "sealca-pop:";
    sc_buf_append(out, p, strlen(p));
    sc_buf_append(out, serial, strlen(serial));
    sc_buf_putc(out, ':');
    sc_buf_append(out, challenge, strlen(challenge));
}

static int owned(ra *r, const ra_session *s, const char *serial_in, char serial[33], ra_err *re)
{
    sc_err e = {0};
    if (serial_in == NULL || serial_normalise(serial_in, serial, &e) != 0)
        return ra_fail(re, SC_ENOTFOUND, "not_found", "serial", "no such certificate");
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_CERT_OWNER, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, serial);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc != STORE_ROW) return ra_fail(re, SC_ENOTFOUND, "not_found", "serial", "no such cert");
    if (!ra_is_staff(s) && store_col_int64(st, 0) != s->acct.id)
        return ra_fail(re, SC_ENOTFOUND, "not_found", "serial", "no such certificate");
    return 0;
}

int ra_cert_challenge(ra *r, const ra_session *s, const char *serial_in, char out[48],
                      int64_t *expires, ra_err *re)
{
    char serial[33];
    int rc = owned(r, s, serial_in, serial, re);
    if (rc != 0) return rc;
    return ra_challenge_new(r, "pop", serial, POP_LIFE, out, expires, re);
}

int ra_pop_check(ra *r, const char *serial, json_t *pop, ra_err *re)
{
    const char *ch = json_string_value(json_object_get(pop, "challenge"));
    const char *sig = json_string_value(json_object_get(pop, "signature"));
    if (!json_is_object(pop) || ch == NULL || sig == NULL)
        return ra_fail(re, SC_EINVAL, "field.required", "pop", "proof of possession required");
    int rc;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    rc = ra_challenge_take(r, "pop", serial, ch, re);
    if (rc == 0)
        rc = store_tx_commit(r->db, &re->e);
    else
        store_tx_rollback(r->db);
    if (rc != 0) return rc;
    cert_info ci = {0};
    sc_err e = {0};
    sc_key *pub = NULL;
    sc_buf msg = {0}, sb = {0};
    int ok = pki_cert_get(r->ca, serial, &ci, &e) == 0 && strcmp(ci.status, "good") == 0 &&
             cert_pubkey(ci.der, ci.derlen, &pub, &e) == 0;
    ra_pop_msg(serial, ch, &msg);
    ok = ok && ra_b64_decode(sig, &sb) == 0 &&
         crypto_verify(pub, crypto_key_alg(pub), msg.p, msg.len, sb.p, sb.len, &e) == 0;
    crypto_key_free(pub);
    cert_info_free(&ci);
    sc_buf_free(&msg);
    sc_buf_free(&sb);
    return ok ? 0 : ra_fail(re, SC_EVERIFY, "pop.bad_signature", "pop", "bad signature");
}

int ra_cert_list(ra *r, const ra_session *s, json_t **out, ra_err *re)
{
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_CERT_LIST, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, s->acct.id);
    json_t *arr = json_array();
    int64_t now = ra_now(r);
    while ((rc = store_step(st, &re->e)) == STORE_ROW) {
        const char *status = store_col_text(st, 4, NULL);
        int64_t na = store_col_int64(st, 3);
        int64_t left = (na - now) / 86400;
        json_t *acts = json_array();
        const char *prof = store_col_text(st, 5, NULL);
        size_t pl = prof ? strlen(prof) : 0;
        int enc = pl > 4 && strcmp(prof + pl - 4, "-enc") == 0;
        if (enc) {
            /* an encryption certificate follows its signing certificate: no actions of its own */
        } else if (strcmp(status, "good") == 0) {
            if (na - now <= 30 * 86400 && na > now)
                json_array_append_new(acts, json_string("renew"));
            json_array_append_new(acts, json_string("rekey"));
            json_array_append_new(acts, json_string("change"));
            json_array_append_new(acts, json_string("replace"));
            json_array_append_new(acts, json_string("revoke"));
            json_array_append_new(acts, json_string("suspend"));
        } else if (strcmp(status, "hold") == 0)
            json_array_append_new(acts, json_string("resume"));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:o}", "serial",
                           store_col_text(st, 0, NULL), "subject", store_col_text(st, 1, NULL),
                           "profile", store_col_text(st, 5, NULL), "not_before",
                           (json_int_t)store_col_int64(st, 2), "not_after", (json_int_t)na,
                           "status", status, "days_left", (json_int_t)left, "order_id",
                           (json_int_t)store_col_int64(st, 6), "actions", acts));
        json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "usage",
                            json_string(enc ? "encryption" : "signing"));
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = json_pack("{s:o}", "certificates", arr);
    return 0;
}

int ra_cert_suspend(ra *r, const ra_session *s, const char *serial_in, const char *reason,
                    ra_err *re)
{
    if (ra_is_staff(s) && s->acct.role != RA_ROLE_OPERATOR)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "operators only");
    char serial[33];
    int rc = owned(r, s, serial_in, serial, re);
    if (rc != 0) return rc;
    /* immediate: certificateHold, visible in OCSP at once */
    if ((rc = pki_revoke(r->ca, serial, REASON_CERTIFICATE_HOLD, 0, s->actor, &re->e)) != 0) {
        if (rc == SC_ESTATE) {
            sc_err_clear(&re->e);
            return ra_fail(re, SC_ESTATE, "cert.state", "serial", "not good");
        }
        return rc;
    }
    (void)reason;
    return 0;
}

int ra_cert_pem_for_order(ra *r, const ra_session *s, int64_t id, json_t **out, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 0, &o, re);
    if (rc != 0) return rc;
    ra_order_free(&o);
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_CERT_BY_ORDER, &st, &re->e)) != 0) return rc;
    store_bind_int64(st, 1, id);
    char serials[8][33];
    int n = 0;
    while (n < 8 && (rc = store_step(st, &re->e)) == STORE_ROW)
        snprintf(serials[n++], 33, "%s", store_col_text(st, 0, NULL));
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        cert_info ci = {0};
        sc_err e = {0};
        if (pki_cert_get(r->ca, serials[i], &ci, &e) != 0) continue;
        sc_buf pem = {0};
        cert_pem(ci.der, ci.derlen, &pem);
        sc_buf_putc(&pem, 0);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "serial", ci.serial, "status",
                                             ci.status, "pem", (const char *)pem.p));
        sc_buf_free(&pem);
        cert_info_free(&ci);
    }
    *out = json_pack("{s:o}", "certificates", arr);
    return 0;
}

/* ---- dashboards ---- */

int ra_revocations(ra *r, const ra_session *s, json_t **out, ra_err *re)
{
    if (s->acct.role != RA_ROLE_OPERATOR && s->acct.role != RA_ROLE_BUSINESS_ADMIN)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "operators only");
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_ORDER_REVOKES, &st, &re->e);
    if (rc != 0) return rc;
    int64_t now = ra_now(r);
    store_bind_int64(st, 1, now - 7 * 86400);
    json_t *arr = json_array();
    while ((rc = store_step(st, &re->e)) == STORE_ROW) {
        const char *state = store_col_text(st, 3, NULL);
        int64_t sub = store_col_int64(st, 4), upd = store_col_int64(st, 5);
        int done = strcmp(state, "completed") == 0;
        int64_t age = (done ? upd : now) - sub;
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s?, s:s, s:I, s:I, s:I, s:b, s:b}", "id",
                                             (json_int_t)store_col_int64(st, 0), "order_no",
                                             store_col_text(st, 1, NULL), "certificate",
                                             store_col_text(st, 2, NULL), "state", state,
                                             "submitted_at", (json_int_t)sub, "age_seconds",
                                             (json_int_t)age, "due_at", (json_int_t)(sub + 86400),
                                             "overdue", age > 86400, "done", done));
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = json_pack("{s:o, s:i}", "requests", arr, "promise_seconds", 86400);
    return 0;
}

int ra_audit_view(ra *r, const ra_session *s, int64_t after, int64_t limit, json_t **out,
                  ra_err *re)
{
    if (s->acct.role != RA_ROLE_AUDITOR)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "auditors only");
    if (limit < 1 || limit > 500) limit = 100;
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_AUDIT_PAGE, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, after);
    store_bind_int64(st, 2, limit);
    typedef struct row {
        int64_t id, at;
        char *actor, *action, *object, *result, *detail;
    } row;
    row *rows = calloc((size_t)limit, sizeof(row));
    int n = 0;
    while (n < limit && (rc = store_step(st, &re->e)) == STORE_ROW) {
        rows[n].id = store_col_int64(st, 0);
        rows[n].at = store_col_int64(st, 1);
        rows[n].actor = strdup(store_col_text(st, 2, NULL));
        rows[n].action = strdup(store_col_text(st, 3, NULL));
        rows[n].object = strdup(store_col_text(st, 4, NULL));
        rows[n].result = strdup(store_col_text(st, 5, NULL));
        rows[n].detail = strdup(store_col_text(st, 6, NULL));
        n++;
    }
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        /* signed staff actions carry payload + signature: verify them again here */
        json_t *sig = json_null();
        if (strstr(rows[i].detail, "\"signature\"") != NULL && rows[i].detail[0] == '{')
            sig = json_boolean(ra_signed_verify_detail(r, rows[i].detail));
        json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "seq",
                                             (json_int_t)rows[i].id, "at", (json_int_t)rows[i].at,
                                             "actor", rows[i].actor, "action", rows[i].action,
                                             "object", rows[i].object, "result", rows[i].result,
                                             "detail", rows[i].detail, "signature_ok", sig));
        free(rows[i].actor);
        free(rows[i].action);
        free(rows[i].object);
        free(rows[i].result);
        free(rows[i].detail);
    }
    free(rows);
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = json_pack("{s:o}", "events", arr);
    return 0;
}

/* ---- expiry reminders ---- */

int ra_remind_expiring(ra *r, int64_t now, int *queued, ra_err *re)
{
    static const int days[] = {1, 7, 30}; /* the agreement's month, a week, the last day */
    *queued = 0;
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_CERT_EXPIRING, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, now + 30 * 86400);
    typedef struct due {
        char serial[33], email[129], subject[200];
        int64_t not_after;
    } due;
    due *list = calloc(256, sizeof(due));
    if (list == NULL) return ra_fail(re, SC_ENOMEM, "ra.oom", NULL, "out of memory");
    size_t n = 0;
    while (n < 256 && (rc = store_step(st, &re->e)) == STORE_ROW) {
        const char *email = store_col_text(st, 2, NULL);
        if (email == NULL || *email == 0) continue; /* a counter account without e-mail */
        snprintf(list[n].serial, 33, "%s", store_col_text(st, 0, NULL));
        list[n].not_after = store_col_int64(st, 1);
        snprintf(list[n].email, sizeof(list[n].email), "%s", email);
        snprintf(list[n].subject, sizeof(list[n].subject), "%s", store_col_text(st, 3, NULL));
        n++;
    }
    store_release(r->db);
    if (rc < 0) {
        free(list);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t left = list[i].not_after - now;
        int d = 0;
        for (size_t k = 0; k < 3 && d == 0; k++)
            if (left <= (int64_t)days[k] * 86400) d = days[k];
        if (d == 0) continue;
        if ((rc = store_tx_begin(r->db, &re->e)) != 0) break;
        if ((rc = store_stmt_get(r->db, ST_RA_REMINDER_INSERT, &st, &re->e)) != 0) goto fail;
        store_bind_text(st, 1, list[i].serial);
        store_bind_int64(st, 2, d);
        store_bind_int64(st, 3, now);
        if ((rc = store_exec(st, &re->e)) != 0) goto fail;
        if (store_changes(r->db) == 1) {
            /* one message per threshold, queued with its record: the outbox retries until sent */
            char subj[200], body[1200], when[32];
            time_t x = (time_t)(list[i].not_after + 8 * 3600);
            struct tm tm;
            gmtime_r(&x, &tm);
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
            snprintf(subj, sizeof(subj),
                     "您的数字证书将在 %d 天内到期 / Certificate expires in %d day%s", d, d,
                     d == 1 ? "" : "s");
            snprintf(body, sizeof(body),
                     "您好：\n\n您的数字证书（序列号 %s，%.150s）将于 %s（北京时间）到期。"
                     "证书到期前一个月内可在线办理延期。\n\nYour certificate %s expires on %s "
                     "(Beijing time). You can renew it online from 30 days before expiry.\n",
                     list[i].serial, list[i].subject, when, list[i].serial, when);
            if ((rc = notify_enqueue(r->db, list[i].email, subj, body, 0, &re->e)) != 0) goto fail;
            char detail[64];
            snprintf(detail, sizeof(detail), "days=%d", d);
            if ((rc = audit_append(r->db, "ra.remind", "ra.remind.expiry", list[i].serial, "ok",
                                   detail, &re->e)) != 0)
                goto fail;
            (*queued)++;
        }
        if ((rc = store_tx_commit(r->db, &re->e)) != 0) break;
        continue;
    fail:
        store_tx_rollback(r->db);
        break;
    }
    free(list);
    return rc < 0 ? rc : 0;
}
