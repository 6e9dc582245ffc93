/* issue.c - CSRs, issuance, revocation and holds: the CA's state changes, each audited. */
#include "pki/pki.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit/audit.h"
#include "pki/der.h"
#include "pki/ident.h"

#define DAY      86400LL
#define BACKDATE 600

/* ---- CSR (PKCS#10, GM/T 0092 for SM2) ---- */

int csr_parse(const uint8_t *in, size_t len, csr *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (len == 0) return sc_fail(e, SC_EINVAL, "csr.empty", "the certificate request is empty");
    if (len > CSR_MAX)
        return sc_fail(e, SC_ETOOBIG, "csr.too_big", "certificate request larger than %d bytes",
                       CSR_MAX);
    sc_buf der = {0};
    int rc;
    if (in[0] == 0x30) {
        sc_buf_append(&der, in, len);
    } else if (pem_decode(in, len, "CERTIFICATE REQUEST", NULL, &der) != 0 &&
               (der.len = 0, pem_decode(in, len, "NEW CERTIFICATE REQUEST", NULL, &der) != 0)) {
        rc = sc_fail(e, SC_EINVAL, "csr.bad_pem",
                     "not a PEM 'CERTIFICATE REQUEST' or a DER PKCS#10 request");
        goto out;
    }
    /* CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
     */
    signed_parts sp;
    if (der.oom || der_split_signed(der.p, der.len, &sp) != 0) {
        rc = sc_fail(e, SC_EINVAL, "csr.malformed", "the certificate request is not valid DER");
        goto out;
    }
    der_r r = der_reader(sp.tbs.p, sp.tbs.len);
    der_tlv info, ver, subj, spki, attrs;
    if (der_expect(&r, DER_SEQUENCE, &info) != 0) {
        rc = sc_fail(e, SC_EINVAL, "csr.malformed", "the certificate request is not valid DER");
        goto out;
    }
    der_r ir = der_inner(&info);
    if (der_expect(&ir, DER_INTEGER, &ver) != 0 || ver.len != 1 || ver.val[0] != 0 ||
        der_expect(&ir, DER_SEQUENCE, &subj) != 0 || der_expect(&ir, DER_SEQUENCE, &spki) != 0 ||
        der_expect(&ir, DER_CTX_CONS(0), &attrs) != 0 || !der_at_end(&ir)) {
        rc = sc_fail(
            e, SC_EINVAL, "csr.malformed",
            "the certificate request info is malformed (version, subject, key, attributes)");
        goto out;
    }
    if ((rc = crypto_key_from_spki(spki.raw, spki.rawlen, &out->pub, e)) != 0) goto out;
    if (subj.len == 0) {
        out->subject[0] = 0;
    } else if (name_der_text(subj.raw, subj.rawlen, out->subject, sizeof(out->subject)) != 0) {
        rc = sc_fail(e, SC_EINVAL, "csr.bad_subject", "the request's subject name is malformed");
        goto out;
    }
    /* proof of possession: SM2 checks with the GM/T 0009 ID inside the crypto layer */
    sc_alg alg;
    if ((rc = crypto_sigalg_parse(sp.alg.p, sp.alg.len, &alg, e)) != 0) goto out;
    if ((rc = crypto_verify(out->pub, alg, sp.tbs.p, sp.tbs.len, sp.sig.p, sp.sig.len, e)) != 0) {
        sc_err_clear(e);
        rc = sc_fail(e, SC_EVERIFY, "csr.bad_signature",
                     "the request's signature does not verify: it was not signed by the key it "
                     "carries (for SM2 the signer must use the ID 1234567812345678)");
        goto out;
    }
out:
    sc_buf_free(&der);
    if (rc != 0) {
        crypto_key_free(out->pub);
        out->pub = NULL;
    }
    return rc;
}

void csr_free(csr *c)
{
    crypto_key_free(c->pub);
    c->pub = NULL;
}

/* ---- helpers ---- */

int serial_normalise(const char *in, char out[33], sc_err *e)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p == ':' || *p == ' ') continue;
        if (!isxdigit((unsigned char)*p) || n >= 40)
            return sc_fail(e, SC_EINVAL, "serial.bad", "a serial number is up to 40 hex digits");
        if (n < 32) out[n] = (char)tolower((unsigned char)*p);
        n++;
    }
    if (n != 32)
        return sc_fail(e, SC_EINVAL, "serial.bad",
                       "sealca serial numbers are 32 hex digits (16 bytes); got %zu", n);
    out[32] = 0;
    return 0;
}

static const char *const reasons[] = {
    [REASON_UNSPECIFIED] = "unspecified",
    [REASON_KEY_COMPROMISE] = "keyCompromise",
    [REASON_CA_COMPROMISE] = "cACompromise",
    [REASON_AFFILIATION_CHANGED] = "affiliationChanged",
    [REASON_SUPERSEDED] = "superseded",
    [REASON_CESSATION] = "cessationOfOperation",
    [REASON_CERTIFICATE_HOLD] = "certificateHold",
    [7] = NULL,
    [REASON_REMOVE_FROM_CRL] = "removeFromCRL",
    [REASON_PRIVILEGE_WITHDRAWN] = "privilegeWithdrawn",
};

int reason_parse(const char *s, int *out)
{
    for (int i = 0; i < (int)(sizeof(reasons) / sizeof(reasons[0])); i++)
        if (reasons[i] && i != REASON_REMOVE_FROM_CRL && strcasecmp(s, reasons[i]) == 0) {
            *out = i;
            return 0;
        }
    return SC_EINVAL;
}

const char *reason_name(int r)
{
    if (r < 0 || r >= (int)(sizeof(reasons) / sizeof(reasons[0])) || reasons[r] == NULL) return "?";
    return reasons[r];
}

static int row_to_info(store_stmt *st, cert_info *ci, sc_err *e)
{
    memset(ci, 0, sizeof(*ci));
    snprintf(ci->serial, sizeof(ci->serial), "%s", store_col_text(st, 0, NULL));
    snprintf(ci->issuer, sizeof(ci->issuer), "%s", store_col_text(st, 1, NULL));
    snprintf(ci->profile, sizeof(ci->profile), "%s", store_col_text(st, 2, NULL));
    ci->profile_version = (int)store_col_int64(st, 3);
    snprintf(ci->subject, sizeof(ci->subject), "%s", store_col_text(st, 4, NULL));
    ci->not_before = store_col_int64(st, 5);
    ci->not_after = store_col_int64(st, 6);
    snprintf(ci->status, sizeof(ci->status), "%s", store_col_text(st, 7, NULL));
    ci->reason = store_col_isnull(st, 8) ? -1 : (int)store_col_int64(st, 8);
    ci->revoked_at = store_col_isnull(st, 9) ? 0 : store_col_int64(st, 9);
    ci->invalidity_at = store_col_isnull(st, 10) ? 0 : store_col_int64(st, 10);
    ci->created_at = store_col_int64(st, 11);
    size_t dl = 0;
    const uint8_t *d = store_col_blob(st, 12, &dl);
    ci->der = malloc(dl ? dl : 1);
    if (ci->der == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    memcpy(ci->der, d, dl);
    ci->derlen = dl;
    return 0;
}

int pki_cert_get(pki_ca *ca, const char *serial, cert_info *out, sc_err *e)
{
    char sn[33];
    int rc = serial_normalise(serial, sn, e);
    if (rc != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(ca->db, ST_CERT_GET, &st, e)) != 0) return rc;
    store_bind_text(st, 1, sn);
    rc = store_step(st, e);
    if (rc == STORE_ROW)
        rc = row_to_info(st, out, e);
    else if (rc == STORE_DONE)
        rc = sc_fail(e, SC_ENOTFOUND, "cert.not_found", "no certificate with serial %s", sn);
    store_exec(st, NULL);
    return rc;
}

/* ---- issuance ---- */

static int check_subject(const pki_profile *pr, const sc_name *n, sc_err *e)
{
    uint32_t have = 0;
    for (size_t i = 0; i < n->n; i++)
        have |= 1u << n->attr[i].type;
    for (int t = NAME_C; t <= NAME_SURNAME; t++)
        if ((pr->subject_required & (1u << t)) && !(have & (1u << t)))
            return sc_fail(e, SC_EINVAL, "subject.missing_attribute",
                           "profile %s requires the subject attribute %s", pr->name,
                           name_type_label((name_type)t));
    return 0;
}

/* own_tx: pki_issue opens and commits its transaction; otherwise the caller's transaction is
 * used (nothing committed or rolled back here; a failure leaves the rollback to the caller). */
static int issue_impl(pki_ca *ca, const issue_req *r, cert_info *out, int own_tx, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    pki_profile *pr = malloc(sizeof(*pr));
    sc_name *nm = malloc(sizeof(*nm));
    sc_buf der = {0};
    int rc;
    if (pr == NULL || nm == NULL) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    /* everything is validated before anything is signed */
    if ((rc = profile_get(ca->db, r->profile, pr, e)) != 0) goto out;
    if (!pr->active) {
        rc = sc_fail(e, SC_ESTATE, "profile.retired", "profile %s is retired", pr->name);
        goto out;
    }
    if (pr->role != PROF_END_ENTITY) {
        rc = sc_fail(e, SC_EINVAL, "profile.not_end_entity",
                     "profile %s is for CA infrastructure (init/rollover make those)", pr->name);
        goto out;
    }
    if (r->subject == NULL || (rc = name_parse(r->subject, strlen(r->subject), nm, e)) != 0) {
        if (r->subject == NULL)
            rc = sc_fail(e, SC_EINVAL, "subject.missing", "--subject is required");
        goto out;
    }
    if ((rc = check_subject(pr, nm, e)) != 0) goto out;
    int uscc_warn = 0;
    if (pr->identity == PROF_ID_USCC) {
        int warn = 0;
        if (r->uscc == NULL) {
            rc = sc_fail(e, SC_EINVAL, "ident.uscc_missing",
                         "profile %s requires the organization's USCC (--uscc)", pr->name);
            goto out;
        }
        if ((rc = ident_check_uscc(r->uscc, &warn, e)) != 0) goto out;
        /* some genuine early codes fail the embedded GB 11714 check: accepted, but on record */
        uscc_warn = warn;
    } else if (r->uscc != NULL) {
        rc = sc_fail(e, SC_EINVAL, "ident.uscc_unexpected", "profile %s takes no --uscc", pr->name);
        goto out;
    }
    if (pr->identity == PROF_ID_PERSON) {
        if (r->id_number == NULL) {
            rc = sc_fail(e, SC_EINVAL, "ident.id_missing",
                         "profile %s requires the holder's resident ID number (--id-number)",
                         pr->name);
            goto out;
        }
        if ((rc = ident_check_resident_id(r->id_number, e)) != 0) goto out;
    } else if (r->id_number != NULL) {
        rc = sc_fail(e, SC_EINVAL, "ident.id_unexpected", "profile %s takes no --id-number",
                     pr->name);
        goto out;
    }
    pki_issuer *iss = ca_active_issuing(ca);
    if (iss == NULL) {
        rc = sc_fail(e, SC_ESTATE, "ca.no_issuing", "no active issuing CA");
        goto out;
    }
    if (r->pub == NULL || crypto_key_alg(r->pub) != iss->alg) {
        rc = sc_fail(e, SC_EINVAL, "csr.wrong_alg",
                     "the key is %s but this CA issues %s certificates",
                     r->pub ? crypto_alg_name(crypto_key_alg(r->pub)) : "missing",
                     crypto_alg_name(iss->alg));
        goto out;
    }
    if (crypto_key_equal_public(r->pub, iss->pub)) {
        rc = sc_fail(e, SC_EINVAL, "csr.ca_key", "the request carries the CA's own key");
        goto out;
    }
    int days = r->days ? r->days : pr->default_days;
    if (days < 1 || days > pr->max_days) {
        rc = sc_fail(e, SC_EINVAL, "issue.bad_days", "--days must be 1..%d for profile %s",
                     pr->max_days, pr->name);
        goto out;
    }
    sc_key *cakey = NULL;
    if ((rc = ca_issuer_key(ca, iss, &cakey, e)) != 0) goto out;

    cert_tbs t = {0};
    t.prof = pr;
    t.subject = nm;
    t.pub = r->pub;
    t.uscc = r->uscc;
    t.id_number = r->id_number;
    int64_t now = (int64_t)time(NULL);
    t.not_before = now - BACKDATE;
    t.not_after = now + days * DAY;
    if (t.not_after > iss->not_after)
        t.not_after = iss->not_after; /* never outlive the issuing CA */
    t.base_url = ca->base_url;
    t.path_len = -1;
    char subj_text[512];
    name_format(nm, subj_text, sizeof(subj_text));
    /* a serial collision (2^-127 per pair) is retried with fresh randomness */
    for (int attempt = 0; attempt < 3; attempt++) {
        uint8_t serial[16];
        crypto_random(serial, 16);
        serial[0] &= 0x7f;
        if (serial[0] == 0) serial[0] = 1;
        memcpy(t.serial, serial, 16);
        der.len = 0;
        if ((rc = cert_build(&t, iss, cakey, &der, e)) != 0) goto out;
        char sn[33];
        sc_hex_encode(serial, 16, sn, 0);
        if (own_tx && (rc = store_tx_begin(ca->db, e)) != 0) goto out;
        store_stmt *st;
        if ((rc = store_stmt_get(ca->db, ST_CERT_INSERT, &st, e)) != 0) goto fail;
        store_bind_text(st, 1, sn);
        store_bind_text(st, 2, iss->id);
        store_bind_text(st, 3, pr->name);
        store_bind_int64(st, 4, pr->version);
        store_bind_text(st, 5, subj_text);
        store_bind_int64(st, 6, t.not_before);
        store_bind_int64(st, 7, t.not_after);
        store_bind_int64(st, 8, now);
        store_bind_blob(st, 9, der.p, der.len);
        sc_err ie = {0};
        rc = store_exec(st, &ie);
        if (rc == SC_EEXIST && own_tx) {
            store_tx_rollback(ca->db);
            continue;
        }
        if (rc != 0) {
            sc_fail(e, ie.status, ie.code, "%s", ie.msg);
            goto fail;
        }
        store_crashpoint("issue.after_insert");
        /* directory publication is queued with the certificate, so it is never lost */
        sc_slice subj_der = {0};
        if (ca->ldap[0] && cert_fields(der.p, der.len, &subj_der, NULL, NULL, NULL) != 0) {
            rc = sc_fail(e, SC_EINTERNAL, "issue.encode", "cannot read back the certificate");
            goto fail;
        }
        if ((rc = outbox_add(ca, "cert", sn, subj_der, der.p, der.len, e)) != 0) goto fail;
        char detail[700];
        snprintf(detail, sizeof(detail), "profile=%s v%d subject=%s days=%d%s", pr->name,
                 pr->version, subj_text, days,
                 uscc_warn ? " warning=uscc_embedded_org_code_check_failed" : "");
        if ((rc = audit_append(ca->db, r->actor ? r->actor : "cli", "cert.issue", sn, "ok", detail,
                               e)) != 0)
            goto fail;
        store_crashpoint("issue.before_commit");
        int64_t pending = 0;
        if (audit_pending(ca->db, &pending, NULL) == 0 && pending >= 256 &&
            (rc = audit_checkpoint(ca->db, cakey, iss->id, e)) != 0)
            goto fail;
        if (own_tx && (rc = store_tx_commit(ca->db, e)) != 0) goto out;
        if (own_tx) store_crashpoint("issue.after_commit");
        snprintf(out->serial, sizeof(out->serial), "%s", sn);
        snprintf(out->issuer, sizeof(out->issuer), "%s", iss->id);
        snprintf(out->profile, sizeof(out->profile), "%s", pr->name);
        out->profile_version = pr->version;
        snprintf(out->subject, sizeof(out->subject), "%s", subj_text);
        out->not_before = t.not_before;
        out->not_after = t.not_after;
        snprintf(out->status, sizeof(out->status), "good");
        out->reason = -1;
        out->created_at = now;
        out->der = sc_buf_steal(&der, &out->derlen);
        goto out;
    }
    rc = sc_fail(e, SC_EINTERNAL, "issue.serial", "could not find a free serial number");
    goto out;
fail:
    if (own_tx) store_tx_rollback(ca->db);
out:
    sc_buf_free(&der);
    free(pr);
    free(nm);
    return rc;
}

int pki_issue(pki_ca *ca, const issue_req *r, cert_info *out, sc_err *e)
{
    return issue_impl(ca, r, out, 1, e);
}

int pki_issue_in_tx(pki_ca *ca, const issue_req *r, cert_info *out, sc_err *e)
{
    if (!store_in_tx(ca->db))
        return sc_fail(e, SC_EINTERNAL, "store.no_tx", "pki_issue_in_tx needs an open transaction");
    return issue_impl(ca, r, out, 0, e);
}

/* ---- revocation ---- */

static int set_status(pki_ca *ca, const char *sn, const char *from, const char *to, int reason,
                      int64_t at, int64_t invalidity, sc_err *e)
{
    int64_t seq = 0;
    int rc = store_counter(ca->db, "status", 1, &seq, e);
    if (rc != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(ca->db, ST_CERT_SET_STATUS, &st, e)) != 0) return rc;
    store_bind_text(st, 1, to);
    if (reason >= 0)
        store_bind_int64(st, 2, reason);
    else
        store_bind_null(st, 2);
    if (at)
        store_bind_int64(st, 3, at);
    else
        store_bind_null(st, 3);
    if (invalidity)
        store_bind_int64(st, 4, invalidity);
    else
        store_bind_null(st, 4);
    store_bind_int64(st, 5, seq);
    store_bind_text(st, 6, sn);
    store_bind_text(st, 7, from);
    if ((rc = store_exec(st, e)) != 0) return rc;
    if (store_changes(ca->db) != 1)
        return sc_fail(e, SC_ERETRY, "cert.changed", "certificate %s changed meanwhile; retry", sn);
    return 0;
}

static int revoke_impl(pki_ca *ca, const char *serial, int reason, int64_t invalidity,
                       const char *actor, int own_tx, sc_err *e)
{
    char sn[33];
    int rc = serial_normalise(serial, sn, e);
    if (rc != 0) return rc;
    if (reason < 0 || reason == 7 || reason == REASON_REMOVE_FROM_CRL || reason > 9)
        return sc_fail(e, SC_EINVAL, "revoke.bad_reason", "unsupported revocation reason");
    int64_t now = (int64_t)time(NULL);
    if (invalidity > now)
        return sc_fail(e, SC_EINVAL, "revoke.bad_invalidity",
                       "the invalidity date is in the future");
    if (own_tx && (rc = store_tx_begin(ca->db, e)) != 0) return rc;
    cert_info ci;
    if ((rc = pki_cert_get(ca, sn, &ci, e)) != 0) goto fail;
    const char *from = ci.status;
    if (strcmp(from, "revoked") == 0) {
        rc = sc_fail(e, SC_ESTATE, "revoke.already_revoked",
                     "certificate %s is already revoked (%s); nothing changed", sn,
                     reason_name(ci.reason));
        goto fail_ci;
    }
    if (strcmp(from, "hold") == 0 && reason == REASON_CERTIFICATE_HOLD) {
        rc = sc_fail(e, SC_ESTATE, "revoke.already_held",
                     "certificate %s is already on hold; nothing changed", sn);
        goto fail_ci;
    }
    const char *to = reason == REASON_CERTIFICATE_HOLD ? "hold" : "revoked";
    /* a hold made permanent keeps the original revocation time (RFC 5280 §5.3.1) */
    int64_t at = strcmp(from, "hold") == 0 && ci.revoked_at ? ci.revoked_at : now;
    if ((rc = set_status(ca, sn, from, to, reason, at, invalidity, e)) != 0) goto fail_ci;
    store_crashpoint("revoke.after_update");
    char detail[128];
    snprintf(detail, sizeof(detail), "reason=%s from=%s", reason_name(reason), from);
    if ((rc = audit_append(ca->db, actor ? actor : "cli",
                           reason == REASON_CERTIFICATE_HOLD ? "cert.hold" : "cert.revoke", sn,
                           "ok", detail, e)) != 0)
        goto fail_ci;
    cert_info_free(&ci);
    if (!own_tx) return 0;
    rc = store_tx_commit(ca->db, e);
    store_crashpoint("revoke.after_commit");
    return rc;
fail_ci:
    cert_info_free(&ci);
fail:
    if (own_tx) store_tx_rollback(ca->db);
    return rc;
}

int pki_revoke(pki_ca *ca, const char *serial, int reason, int64_t invalidity, const char *actor,
               sc_err *e)
{
    return revoke_impl(ca, serial, reason, invalidity, actor, 1, e);
}

int pki_revoke_in_tx(pki_ca *ca, const char *serial, int reason, int64_t invalidity,
                     const char *actor, sc_err *e)
{
    if (!store_in_tx(ca->db))
        return sc_fail(e, SC_EINTERNAL, "store.no_tx",
                       "pki_revoke_in_tx needs an open transaction");
    return revoke_impl(ca, serial, reason, invalidity, actor, 0, e);
}

static int resume_impl(pki_ca *ca, const char *serial, const char *actor, int own_tx, sc_err *e)
{
    char sn[33];
    int rc = serial_normalise(serial, sn, e);
    if (rc != 0) return rc;
    if (own_tx && (rc = store_tx_begin(ca->db, e)) != 0) return rc;
    cert_info ci;
    if ((rc = pki_cert_get(ca, sn, &ci, e)) != 0) goto fail;
    if (strcmp(ci.status, "hold") != 0) {
        rc = sc_fail(e, SC_ESTATE,
                     strcmp(ci.status, "revoked") == 0 ? "resume.revoked" : "resume.not_held",
                     strcmp(ci.status, "revoked") == 0
                         ? "certificate %s is revoked, not on hold: a revocation is permanent"
                         : "certificate %s is not on hold",
                     sn);
        cert_info_free(&ci);
        goto fail;
    }
    cert_info_free(&ci);
    if ((rc = set_status(ca, sn, "hold", "good", -1, 0, 0, e)) != 0 ||
        (rc = audit_append(ca->db, actor ? actor : "cli", "cert.resume", sn, "ok", "", e)) != 0)
        goto fail;
    return own_tx ? store_tx_commit(ca->db, e) : 0;
fail:
    if (own_tx) store_tx_rollback(ca->db);
    return rc;
}

int pki_resume(pki_ca *ca, const char *serial, const char *actor, sc_err *e)
{
    return resume_impl(ca, serial, actor, 1, e);
}

int pki_resume_in_tx(pki_ca *ca, const char *serial, const char *actor, sc_err *e)
{
    if (!store_in_tx(ca->db))
        return sc_fail(e, SC_EINTERNAL, "store.no_tx",
                       "pki_resume_in_tx needs an open transaction");
    return resume_impl(ca, serial, actor, 0, e);
}
