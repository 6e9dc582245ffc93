/* registry.c - the seals a home made: make (signed by the seal-maker key), one active seal per
 * holder certificate and kind, seal-change / seal-redo, retire, status for relying platforms. */
/* report texts are cut to their buffers on purpose: a long certificate name must not fail a
 * verification */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "seal/image.h"
#include "seal/seal.h"

#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"

void seal_record_free(seal_record *r)
{
    if (r == NULL) return;
    free(r->der);
    r->der = NULL;
    r->derlen = 0;
}

static const char *kind_default(int type)
{
    return type == SEAL_TYPE_PERSON ? "personal" : "official";
}

static int kind_ok(const char *k)
{
    static const char *const kinds[] = {
        "official",  "finance",  "contract", "legal-representative", "cost-engineer", "expert",
        "signature", "personal", "invoice"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(k, kinds[i]) == 0) return 1;
    return 0;
}

/* The holder certificate must be one this CA issued, good, for signing. */
static int holder_check(pki_ca *ca, const uint8_t *der, size_t len, char serial[33], int64_t *nb,
                        int64_t *na, sc_err *e)
{
    sc_slice sub, iss;
    if (len == 0 || cert_fields(der, len, &sub, &iss, nb, na) != 0)
        return sc_fail(e, SC_EINVAL, "seal.bad_cert", "the holder certificate is malformed");
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL)
        return sc_fail(e, SC_EINVAL, "seal.bad_cert", "the holder certificate is malformed");
    const ASN1_INTEGER *s = X509_get0_serialNumber(x);
    int n = ASN1_STRING_length(s);
    const unsigned char *d = ASN1_STRING_get0_data(s);
    uint32_t ku = X509_get_key_usage(x);
    int is_ca = X509_check_ca(x) >= 1;
    char hex[80] = "";
    if (n > 0 && n <= 32) sc_hex_encode(d, (size_t)n, hex, 0);
    X509_free(x);
    if (is_ca || !(ku & X509v3_KU_DIGITAL_SIGNATURE))
        return sc_fail(
            e, SC_EINVAL, "seal.not_signing_cert",
            "the holder certificate is not a signing certificate (keyUsage "
            "digitalSignature, not a CA): a seal binds the holder's signing certificate");
    cert_info ci;
    if (strlen(hex) != 32 || pki_cert_get(ca, hex, &ci, NULL) != 0)
        return sc_fail(e, SC_EINVAL, "seal.cert_not_ours",
                       "the holder certificate was not issued by this CA");
    int ok = ci.derlen == len && memcmp(ci.der, der, len) == 0;
    int good = strcmp(ci.status, "good") == 0;
    cert_info_free(&ci);
    if (!ok)
        return sc_fail(
            e, SC_EINVAL, "seal.cert_not_ours",
            "the holder certificate differs from the one this CA issued with its serial");
    if (!good)
        return sc_fail(e, SC_ESTATE, "seal.cert_revoked",
                       "the holder certificate %s is revoked or on hold: no seal for it", hex);
    memcpy(serial, hex, 33);
    return 0;
}

/* Encode and sign (outside any transaction: the signature may go to the key process). */
static int make_der(pki_ca *ca, const seal_make_req *r, seal_record *rec, sc_err *e)
{
    memset(rec, 0, sizeof(*rec));
    int64_t nb, na, now = (int64_t)time(NULL);
    int rc = holder_check(ca, r->holder_cert, r->holder_len, rec->cert_serial, &nb, &na, e);
    if (rc != 0) return rc;
    const char *kind = r->kind ? r->kind : kind_default(r->type);
    if (!kind_ok(kind))
        return sc_fail(e, SC_EINVAL, "seal.bad_kind",
                       "unknown seal kind '%s' (official, finance, contract, legal-representative, "
                       "cost-engineer, expert, signature, personal, invoice)",
                       kind);
    if (r->picture == NULL || r->piclen < 8 || memcmp(r->picture, "\x89PNG\r\n\x1a\n", 8) != 0)
        return sc_fail(e, SC_EINVAL, "seal.bad_picture", "the seal image must be a PNG file");
    /* the whole picture must decode within the image limits (not just start like a PNG), and a
     * sealca rendering from text is never a registered seal (docs/seals-images.md) */
    seal_img im = {0};
    if ((rc = seal_img_load(r->picture, r->piclen, NULL, &im, e)) != 0) return rc;
    int rendering = im.rendering;
    double dpi = im.dpi;
    uint32_t pw = im.w, ph = im.h;
    seal_img_free(&im);
    if (rendering)
        return sc_fail(
            e, SC_EINVAL, "seal.rendering",
            "印章图片是 sealca 根据文字生成的样章，不能作为登记的印章（请使用从签章采集表"
            "提取的图片） / the picture is a sealca rendering, not a registered seal");
    int64_t vf = r->valid_from ? r->valid_from : (nb > now ? nb : now);
    int64_t vt = r->valid_to ? r->valid_to : na;
    if (vf < nb || vt > na)
        return sc_fail(e, SC_EINVAL, "seal.validity_beyond_cert",
                       "the seal's validity must lie within its certificate's validity");
    if (vt <= vf || vt < now)
        return sc_fail(e, SC_EINVAL, "seal.bad_validity", "the seal's validity is empty or past");
    pki_issuer *iss = NULL;
    pki_issuer *issuing = ca_active_issuing(ca);
    if (issuing) iss = ca_issuer_for(ca, "sealmaker", issuing->id);
    for (size_t i = 0; iss == NULL && i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].role, "sealmaker") == 0 && ca->issuers[i].active)
            iss = &ca->issuers[i];
    if (iss == NULL)
        return sc_fail(e, SC_ENOTFOUND, "seal.no_maker", "this home has no active seal maker");
    if (iss->alg != SC_ALG_SM2)
        return sc_fail(e, SC_EINVAL, "seal.not_sm2",
                       "seals are SM2 (GM/T 0031): this CA's seal maker is %s",
                       crypto_alg_name(iss->alg));
    sc_key *key = NULL;
    if ((rc = ca_issuer_key(ca, iss, &key, e)) != 0) return rc;
    seal_spec sp = {0};
    sp.layout = r->layout ? r->layout : SEAL_LAYOUT_V4;
    sp.type = r->type;
    sp.name = r->name;
    sp.holder_cert = r->holder_cert;
    sp.holder_len = r->holder_len;
    sp.created = now;
    sp.valid_from = vf;
    sp.valid_to = vt;
    sp.pic_type = "PNG";
    sp.picture = r->picture;
    sp.piclen = r->piclen;
    /* physical size: as asked, else from the picture's own resolution, else 40 mm */
    sp.pic_width = r->pic_width ? r->pic_width : dpi > 0 ? (int)(pw * 25.4 / dpi + 0.5) : 40;
    sp.pic_height = r->pic_height ? r->pic_height : dpi > 0 ? (int)(ph * 25.4 / dpi + 0.5) : 40;
    sc_buf der = {0};
    char esid[64];
    if ((rc = seal_encode(&sp, key, iss->der, iss->derlen, &der, esid, e)) != 0) {
        sc_buf_free(&der);
        return rc;
    }
    uint8_t h[32];
    crypto_sm3(r->holder_cert, r->holder_len, h);
    sc_hex_encode(h, 32, rec->cert_hash, 0);
    snprintf(rec->esid, sizeof(rec->esid), "%s", esid);
    snprintf(rec->kind, sizeof(rec->kind), "%s", kind);
    snprintf(rec->name, sizeof(rec->name), "%s", r->name);
    snprintf(rec->maker, sizeof(rec->maker), "%s", iss->id);
    snprintf(rec->status, sizeof(rec->status), "active");
    rec->type = r->type;
    rec->layout = sp.layout;
    rec->valid_from = vf;
    rec->valid_to = vt;
    rec->created_at = now;
    rec->der = sc_buf_steal(&der, &rec->derlen);
    return 0;
}

static int insert(pki_ca *ca, const seal_record *rec, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_SEAL_INSERT, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, rec->esid);
    store_bind_text(st, 2, rec->kind);
    store_bind_int64(st, 3, rec->type);
    store_bind_int64(st, 4, rec->layout);
    store_bind_text(st, 5, rec->name);
    store_bind_text(st, 6, rec->cert_serial);
    store_bind_text(st, 7, rec->cert_hash);
    store_bind_text(st, 8, rec->maker);
    store_bind_int64(st, 9, rec->valid_from);
    store_bind_int64(st, 10, rec->valid_to);
    store_bind_int64(st, 11, rec->created_at);
    store_bind_blob(st, 12, rec->der, rec->derlen);
    rc = store_exec(st, e);
    if (rc == SC_EEXIST) {
        sc_err_clear(e);
        return sc_fail(e, SC_EEXIST, "seal.exists",
                       "该证书已有同类有效印章 / certificate %s already has an active %s seal: "
                       "change or redo that seal instead (seal-change / seal-redo)",
                       rec->cert_serial, rec->kind);
    }
    return rc;
}

static int retire_row(pki_ca *ca, const char *esid, const char *succ, const char *reason,
                      int64_t now, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_SEAL_RETIRE, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, succ);
    store_bind_text(st, 2, reason);
    store_bind_int64(st, 3, now);
    store_bind_text(st, 4, esid);
    if ((rc = store_exec(st, e)) != 0) return rc;
    if (store_changes(ca->db) != 1)
        return sc_fail(e, SC_ESTATE, "seal.not_active", "seal %s is not active (or unknown)", esid);
    return 0;
}

static int make_or_replace(pki_ca *ca, const char *old, const char *business,
                           const seal_make_req *r, seal_record *out, sc_err *e)
{
    seal_record rec, prev = {0};
    seal_make_req req = *r;
    int rc;
    if (old != NULL) {
        if (strcmp(business, "seal-change") != 0 && strcmp(business, "seal-redo") != 0 &&
            strcmp(business, "renew") != 0)
            return sc_fail(e, SC_EINVAL, "seal.bad_business",
                           "business must be seal-change, seal-redo or renew");
        if ((rc = seal_get(ca, old, &prev, e)) != 0) return rc;
        if (strcmp(prev.status, "active") != 0) {
            seal_record_free(&prev);
            return sc_fail(e, SC_ESTATE, "seal.not_active", "seal %s is already retired", old);
        }
        if (req.kind == NULL) req.kind = prev.kind;
        seal_record_free(&prev);
    }
    if ((rc = make_der(ca, &req, &rec, e)) != 0) return rc;
    int64_t now = rec.created_at;
    if ((rc = store_tx_begin(ca->db, e)) != 0) goto out;
    if (old != NULL && (rc = retire_row(ca, old, rec.esid, business, now, e)) != 0) goto fail;
    if ((rc = insert(ca, &rec, e)) != 0) goto fail;
    char detail[300];
    snprintf(detail, sizeof(detail), "kind=%s cert=%s maker=%s layout=%d%s%s%s%s", rec.kind,
             rec.cert_serial, rec.maker, rec.layout, old ? " business=" : "", old ? business : "",
             old ? " replaces=" : "", old ? old : "");
    if ((rc = audit_append(ca->db, r->actor ? r->actor : "cli", old ? "seal.replace" : "seal.make",
                           rec.esid, "ok", detail, e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(ca->db, e)) != 0) goto out;
    if (out != NULL) {
        *out = rec;
        rec.der = NULL;
    }
    goto out;
fail:
    store_tx_rollback(ca->db);
out:
    seal_record_free(&rec);
    return rc;
}

int seal_make(pki_ca *ca, const seal_make_req *r, seal_record *out, sc_err *e)
{
    return make_or_replace(ca, NULL, NULL, r, out, e);
}

int seal_replace(pki_ca *ca, const char *old_esid, const char *business, const seal_make_req *r,
                 seal_record *out, sc_err *e)
{
    return make_or_replace(ca, old_esid, business, r, out, e);
}

int seal_retire(pki_ca *ca, const char *esid, const char *reason, const char *actor, sc_err *e)
{
    if (reason == NULL || !*reason || strlen(reason) > 60)
        return sc_fail(e, SC_EINVAL, "seal.bad_reason", "a reason (up to 60 bytes) is required");
    int rc = store_tx_begin(ca->db, e);
    if (rc != 0) return rc;
    if ((rc = retire_row(ca, esid, NULL, reason, (int64_t)time(NULL), e)) != 0 ||
        (rc = audit_append(ca->db, actor ? actor : "cli", "seal.retire", esid, "ok", reason, e)) !=
            0) {
        store_tx_rollback(ca->db);
        return rc;
    }
    return store_tx_commit(ca->db, e);
}

static void col_text(store_stmt *st, int c, char *out, size_t n)
{
    const char *t = store_col_isnull(st, c) ? "" : store_col_text(st, c, NULL);
    snprintf(out, n, "%s", t ? t : "");
}

int seal_get(pki_ca *ca, const char *esid, seal_record *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (esid == NULL || strlen(esid) >= SEAL_MAX_STRING)
        return sc_fail(e, SC_EINVAL, "seal.bad_esid", "bad seal id");
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_SEAL_GET, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, esid);
    rc = store_step(st, e);
    if (rc < 0) return rc;
    if (rc != STORE_ROW)
        return sc_fail(e, SC_ENOTFOUND, "seal.unknown", "no seal with esID %s", esid);
    col_text(st, 0, out->esid, sizeof(out->esid));
    col_text(st, 1, out->kind, sizeof(out->kind));
    out->type = (int)store_col_int64(st, 2);
    out->layout = (int)store_col_int64(st, 3);
    col_text(st, 4, out->name, sizeof(out->name));
    col_text(st, 5, out->cert_serial, sizeof(out->cert_serial));
    col_text(st, 6, out->cert_hash, sizeof(out->cert_hash));
    col_text(st, 7, out->maker, sizeof(out->maker));
    out->valid_from = store_col_int64(st, 8);
    out->valid_to = store_col_int64(st, 9);
    col_text(st, 10, out->status, sizeof(out->status));
    col_text(st, 11, out->replaced_by, sizeof(out->replaced_by));
    col_text(st, 12, out->reason, sizeof(out->reason));
    out->created_at = store_col_int64(st, 13);
    out->retired_at = store_col_isnull(st, 14) ? 0 : store_col_int64(st, 14);
    size_t n = 0;
    const uint8_t *d = store_col_blob(st, 15, &n);
    out->der = malloc(n ? n : 1);
    if (out->der == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    if (n) memcpy(out->der, d, n);
    out->derlen = n;
    store_step(st, NULL); /* finish the statement */
    return 0;
}

int seal_active_for_cert(pki_ca *ca, const char *serial, seal_record *out, int max, int *n,
                         sc_err *e)
{
    *n = 0;
    if (serial == NULL || strlen(serial) > 64 || max <= 0)
        return sc_fail(e, SC_EINVAL, "seal.bad_serial", "bad certificate serial");
    char ids[16][SEAL_MAX_STRING];
    int k = 0;
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_SEAL_ACTIVE_BY_SERIAL, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, serial);
    while ((rc = store_step(st, e)) == STORE_ROW)
        if (k < max && k < 16) col_text(st, 0, ids[k++], sizeof(ids[0]));
    if (rc < 0) return rc;
    for (int i = 0; i < k; i++) {
        if ((rc = seal_get(ca, ids[i], &out[i], e)) != 0) {
            for (int j = 0; j < i; j++)
                seal_record_free(&out[j]);
            return rc;
        }
    }
    *n = k;
    return 0;
}

#define RENEW_MAX 16

int seal_renew_for_cert(pki_ca *ca, const char *old_serial, const uint8_t *new_cert, size_t newlen,
                        const char *actor, seal_record *out, int max, int *n, sc_err *e)
{
    seal_record *olds = calloc(RENEW_MAX, sizeof(*olds)), *news = calloc(RENEW_MAX, sizeof(*news));
    int nold = 0, rc;
    *n = 0;
    if (olds == NULL || news == NULL) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    if ((rc = seal_active_for_cert(ca, old_serial, olds, RENEW_MAX, &nold, e)) != 0) goto out;
    if (nold == 0) goto out;
    if (out != NULL && nold > max) {
        rc = sc_fail(e, SC_EINVAL, "seal.too_many", "certificate %s has %d active seals",
                     old_serial, nold);
        goto out;
    }
    /* sign every successor before writing anything (the key process may be asked) */
    for (int i = 0; i < nold; i++) {
        seal s;
        if ((rc = seal_decode(olds[i].der, olds[i].derlen, &s, e)) != 0) goto out;
        seal_make_req r = {0};
        r.layout = olds[i].layout;
        r.name = olds[i].name;
        r.type = olds[i].type;
        r.kind = olds[i].kind;
        r.holder_cert = new_cert;
        r.holder_len = newlen;
        r.picture = s.picture.p;
        r.piclen = s.picture.len;
        r.pic_width = (int)s.pic_width;
        r.pic_height = (int)s.pic_height;
        r.actor = actor;
        if ((rc = make_der(ca, &r, &news[i], e)) != 0) goto out;
        if (strcmp(news[i].cert_serial, olds[i].cert_serial) == 0) {
            rc = sc_fail(e, SC_EINVAL, "seal.same_cert",
                         "the renewed certificate is the certificate the seal is bound to");
            goto out;
        }
    }
    if ((rc = store_tx_begin(ca->db, e)) != 0) goto out;
    for (int i = 0; i < nold; i++) {
        char detail[400];
        snprintf(detail, sizeof(detail),
                 "kind=%s cert=%s maker=%s layout=%d business=renew replaces=%s old_cert=%s",
                 news[i].kind, news[i].cert_serial, news[i].maker, news[i].layout, olds[i].esid,
                 olds[i].cert_serial);
        if ((rc = retire_row(ca, olds[i].esid, news[i].esid, "renew", news[i].created_at, e)) !=
                0 ||
            (rc = insert(ca, &news[i], e)) != 0 ||
            (rc = audit_append(ca->db, actor ? actor : "cli", "seal.replace", news[i].esid, "ok",
                               detail, e)) != 0) {
            store_tx_rollback(ca->db);
            goto out;
        }
    }
    if ((rc = store_tx_commit(ca->db, e)) != 0) goto out;
    *n = nold;
    for (int i = 0; out != NULL && i < nold; i++) {
        out[i] = news[i];
        news[i].der = NULL;
    }
out:
    for (int i = 0; olds && i < RENEW_MAX; i++)
        seal_record_free(&olds[i]);
    for (int i = 0; news && i < RENEW_MAX; i++)
        seal_record_free(&news[i]);
    free(olds);
    free(news);
    return rc;
}

static json_t *iso(int64_t t)
{
    char b[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(b);
}

int seal_status_json(pki_ca *ca, const char *esid, sc_buf *out, sc_err *e)
{
    seal_record r;
    int rc = seal_get(ca, esid, &r, e);
    if (rc != 0) return rc;
    int64_t now = (int64_t)time(NULL);
    cert_info ci;
    char cstatus[16] = "unknown";
    int64_t crev = 0;
    if (pki_cert_get(ca, r.cert_serial, &ci, NULL) == 0) {
        snprintf(cstatus, sizeof(cstatus), "%s", ci.status);
        crev = ci.revoked_at;
        cert_info_free(&ci);
    }
    /* what a relying platform needs: may this seal sign now? */
    const char *state = strcmp(r.status, "active") != 0 ? "retired"
                        : strcmp(cstatus, "good") != 0  ? "certificate-revoked"
                        : now < r.valid_from            ? "not-yet-valid"
                        : now > r.valid_to              ? "expired"
                                                        : "valid";
    json_t *o = json_object();
    json_object_set_new(o, "esID", json_string(r.esid));
    json_object_set_new(o, "state", json_string(state));
    json_object_set_new(o, "status", json_string(r.status));
    json_object_set_new(o, "name", json_string(r.name));
    json_object_set_new(o, "type",
                        json_string(r.type == SEAL_TYPE_PERSON ? "person" : "organization"));
    json_object_set_new(o, "kind", json_string(r.kind));
    json_object_set_new(
        o, "standard",
        json_string(r.layout == SEAL_LAYOUT_V4 ? "GB/T 38540-2020" : "GM/T 0031-2014"));
    json_object_set_new(o, "validFrom", iso(r.valid_from));
    json_object_set_new(o, "validTo", iso(r.valid_to));
    json_object_set_new(o, "createdAt", iso(r.created_at));
    json_object_set_new(o, "certSerial", json_string(r.cert_serial));
    json_object_set_new(o, "certStatus", json_string(cstatus));
    if (crev) json_object_set_new(o, "certRevokedAt", iso(crev));
    json_object_set_new(o, "maker", json_string(r.maker));
    if (r.retired_at) {
        json_object_set_new(o, "retiredAt", iso(r.retired_at));
        json_object_set_new(o, "reason", json_string(r.reason));
    }
    if (r.replaced_by[0]) json_object_set_new(o, "replacedBy", json_string(r.replaced_by));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    seal_record_free(&r);
    if (s == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    sc_buf_append(out, s, strlen(s));
    sc_buf_putc(out, '\n');
    free(s);
    return 0;
}
