/* crl.c - full and delta CRLs (RFC 5280 §5), streamed from the store into strict DER. */
#include "pki/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "pki/der.h"

#define OID_AKI             "2.5.29.35"
#define OID_CRL_NUMBER      "2.5.29.20"
#define OID_DELTA_INDICATOR "2.5.29.27"
#define OID_FRESHEST        "2.5.29.46"

/* Pre-encoded entry-extension OIDs: a million entries should not each parse a dotted string. */
static const uint8_t OID_REASON_DER[] = {0x06, 0x03, 0x55, 0x1d, 0x15};     /* 2.5.29.21 */
static const uint8_t OID_INVALIDITY_DER[] = {0x06, 0x03, 0x55, 0x1d, 0x18}; /* 2.5.29.24 */

/* One revokedCertificates entry. */
static void entry(der_w *w, const uint8_t serial[16], int64_t at, int reason, int64_t invalidity)
{
    der_begin(w, DER_SEQUENCE);
    der_uint(w, serial, 16);
    der_time(w, at);
    /* RFC 5280 §5.3.1: reasonCode absent rather than unspecified */
    if (reason > 0 || invalidity) {
        der_begin(w, DER_SEQUENCE);
        if (reason > 0) {
            der_begin(w, DER_SEQUENCE);
            der_raw(w, OID_REASON_DER, sizeof(OID_REASON_DER));
            der_begin(w, DER_OCTETSTRING);
            uint8_t r = (uint8_t)reason;
            der_prim(w, DER_ENUMERATED, &r, 1);
            der_end(w);
            der_end(w);
        }
        if (invalidity) {
            der_begin(w, DER_SEQUENCE);
            der_raw(w, OID_INVALIDITY_DER, sizeof(OID_INVALIDITY_DER));
            der_begin(w, DER_OCTETSTRING);
            der_gentime(w, invalidity); /* RFC 5280 §5.3.2: always GeneralizedTime */
            der_end(w);
            der_end(w);
        }
        der_end(w);
    }
    der_end(w);
}

/* CRLs kept per issuer in the store (older ones are superseded; the audit log keeps their
 * record). Several are kept so that a delta's base is still there when the delta is served. */
#define CRL_KEEP 8

int pki_crl_generate(pki_ca *ca, pki_issuer *iss, int delta, sc_buf *out, crl_result *res,
                     sc_err *e)
{
    memset(res, 0, sizeof(*res));
    if (strcmp(iss->role, "root") != 0 && strcmp(iss->role, "issuing") != 0)
        return sc_fail(e, SC_EINVAL, "crl.not_ca",
                       "%s is not a CA (roles root or issuing sign CRLs)", iss->id);
    sc_key *key = NULL;
    int rc = ca_issuer_key(ca, iss, &key, e);
    if (rc != 0) return rc;
    sc_buf alg = {0}, sig = {0};
    der_w w = {0};
    if ((rc = crypto_sigalg_der(crypto_key_alg(key), &alg)) != 0)
        return sc_fail(e, rc, "crl.alg", "unsupported algorithm");
    if ((rc = store_tx_begin(ca->db, e)) != 0) goto out;
    char cname[64];
    snprintf(cname, sizeof(cname), "crl:%s", iss->id);
    int64_t number = 0, upto = 0, base = 0, base_upto = 0;
    if (delta) {
        store_stmt *st;
        if ((rc = store_stmt_get(ca->db, ST_CRL_LAST_FULL, &st, e)) != 0) goto fail;
        store_bind_text(st, 1, iss->id);
        rc = store_step(st, e);
        if (rc == STORE_ROW) {
            base = store_col_int64(st, 0);
            base_upto = store_col_int64(st, 1);
        }
        store_exec(st, NULL);
        if (rc < 0) goto fail;
        if (rc == STORE_DONE) {
            rc = sc_fail(e, SC_ESTATE, "crl.no_base",
                         "a delta CRL needs a full CRL to be based on: generate one first");
            goto fail;
        }
    }
    /* CRL numbers come from a counter row incremented in this write transaction, so two
     * processes can never get the same number and numbers only grow (full and delta CRLs
     * share one sequence, RFC 5280 §5.2.4). */
    if ((rc = store_counter(ca->db, cname, 1, &number, e)) != 0 ||
        (rc = store_counter(ca->db, "status", 0, &upto, e)) != 0)
        goto fail;
    int64_t now = (int64_t)time(NULL);
    int64_t next = now + (int64_t)ca->crl_hours * 3600;
    if (!delta) {
        /* size the buffer once (an entry is ~54 bytes) instead of doubling through copies */
        store_stmt *cs;
        if ((rc = store_stmt_get(ca->db, ST_CRL_COUNT_ENTRIES, &cs, e)) != 0) goto fail;
        store_bind_text(cs, 1, iss->id);
        store_bind_int64(cs, 2, now);
        if (store_step(cs, e) == STORE_ROW) {
            int64_t n = store_col_int64(cs, 0);
            if (n > 0 && n < 100000000) sc_buf_reserve(&w.b, (size_t)n * 56 + 4096);
        }
        store_exec(cs, NULL);
    }

    der_begin(&w, DER_SEQUENCE); /* CertificateList */
    der_begin(&w, DER_SEQUENCE); /* TBSCertList */
    der_int64(&w, 1);            /* v2 */
    der_raw(&w, alg.p, alg.len);
    der_raw(&w, iss->subject_der.p, iss->subject_der.len);
    der_time(&w, now);
    der_time(&w, next);
    size_t list_start = 0;
    der_begin(&w, DER_SEQUENCE); /* revokedCertificates */
    list_start = w.b.len;
    store_stmt *st;
    if ((rc = store_stmt_get(ca->db, delta ? ST_CRL_DELTA_ENTRIES : ST_CRL_FULL_ENTRIES, &st, e)) !=
        0)
        goto fail;
    store_bind_text(st, 1, iss->id);
    if (delta) {
        store_bind_int64(st, 2, base_upto);
        store_bind_int64(st, 3, now);
    } else {
        store_bind_int64(st, 2, now);
    }
    while ((rc = store_step(st, e)) == STORE_ROW) {
        uint8_t serial[16];
        if (sc_hex_decode(store_col_text(st, 0, NULL), serial, 16) != 16)
            continue; /* not a sealca serial: cannot happen through the API */
        const char *status = store_col_text(st, 1, NULL);
        if (strcmp(status, "good") == 0) {
            /* resumed since the base: RFC 5280 §5.3.1 removeFromCRL, delta CRLs only */
            entry(&w, serial, now, REASON_REMOVE_FROM_CRL, 0);
        } else {
            int reason = store_col_isnull(st, 2) ? 0 : (int)store_col_int64(st, 2);
            int64_t at = store_col_int64(st, 3);
            int64_t inv = store_col_isnull(st, 4) ? 0 : store_col_int64(st, 4);
            entry(&w, serial, at, reason, inv);
        }
        res->entries++;
    }
    store_exec(st, NULL);
    if (rc < 0) goto fail;
    if (w.b.len == list_start && w.err == 0) {
        /* RFC 5280: revokedCertificates is absent, not empty, when there are none */
        w.depth--;
        w.b.len -= 2;
    } else {
        der_end(&w);
    }
    der_begin(&w, DER_CTX_CONS(0));
    der_begin(&w, DER_SEQUENCE);
    der_begin(&w, DER_SEQUENCE); /* AKI */
    der_oid(&w, OID_AKI);
    der_begin(&w, DER_OCTETSTRING);
    der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_CTX(0), iss->ski, 20);
    der_end(&w);
    der_end(&w);
    der_end(&w);
    der_begin(&w, DER_SEQUENCE); /* CRL number */
    der_oid(&w, OID_CRL_NUMBER);
    der_begin(&w, DER_OCTETSTRING);
    der_int64(&w, number);
    der_end(&w);
    der_end(&w);
    if (delta) {
        der_begin(&w, DER_SEQUENCE); /* RFC 5280 §5.2.4: critical */
        der_oid(&w, OID_DELTA_INDICATOR);
        der_bool(&w, 1);
        der_begin(&w, DER_OCTETSTRING);
        der_int64(&w, base);
        der_end(&w);
        der_end(&w);
    } else if (ca->base_url[0]) {
        char u[600];
        snprintf(u, sizeof(u), "%s/crl/%s-delta.crl", ca->base_url, iss->id);
        der_begin(&w, DER_SEQUENCE); /* RFC 5280 §5.2.6: where the deltas are */
        der_oid(&w, OID_FRESHEST);
        der_begin(&w, DER_OCTETSTRING);
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_SEQUENCE);
        der_begin(&w, DER_CTX_CONS(0));
        der_begin(&w, DER_CTX_CONS(0));
        der_prim(&w, DER_CTX(6), u, strlen(u));
        der_end(&w);
        der_end(&w);
        der_end(&w);
        der_end(&w);
        der_end(&w);
        der_end(&w);
    }
    der_end(&w); /* extensions */
    der_end(&w); /* [0] */
    der_end(&w); /* TBSCertList */
    if ((rc = der_status(&w)) != 0) {
        sc_fail(e, rc, "crl.encode", "cannot encode the CRL");
        goto fail;
    }
    size_t tbs_off = w.stack[0];
    if ((rc = crypto_sign(key, w.b.p + tbs_off, w.b.len - tbs_off, &sig, e)) != 0) goto fail;
    der_raw(&w, alg.p, alg.len);
    der_bits(&w, sig.p, sig.len);
    der_end(&w);
    if ((rc = der_finish(&w)) != 0) {
        sc_fail(e, rc, "crl.encode", "cannot encode the CRL");
        goto fail;
    }
    if ((rc = store_stmt_get(ca->db, ST_CRL_INSERT, &st, e)) != 0) goto fail;
    store_bind_text(st, 1, iss->id);
    store_bind_int64(st, 2, number);
    if (delta)
        store_bind_int64(st, 3, base);
    else
        store_bind_null(st, 3);
    store_bind_int64(st, 4, now);
    store_bind_int64(st, 5, next);
    store_bind_int64(st, 6, upto);
    store_bind_blob(st, 7, w.b.p, w.b.len);
    if ((rc = store_exec(st, e)) != 0) goto fail;
    if (number > CRL_KEEP) {
        if ((rc = store_stmt_get(ca->db, ST_CRL_PRUNE, &st, e)) != 0) goto fail;
        store_bind_text(st, 1, iss->id);
        store_bind_int64(st, 2, number - CRL_KEEP);
        if ((rc = store_exec(st, e)) != 0) goto fail;
    }
    char obj[64], detail[128];
    snprintf(obj, sizeof(obj), "%s:%lld", iss->id, (long long)number);
    if ((rc = outbox_add(ca, delta ? "delta" : "crl", obj, iss->subject_der, w.b.p, w.b.len, e)) !=
        0)
        goto fail;
    snprintf(obj, sizeof(obj), "crl:%s:%lld", iss->id, (long long)number);
    snprintf(detail, sizeof(detail), "%s entries=%lld%s", delta ? "delta" : "full",
             (long long)res->entries, delta ? "" : "");
    if ((rc = audit_append(ca->db, "cli", delta ? "crl.delta" : "crl.full", obj, "ok", detail,
                           e)) != 0 ||
        (rc = audit_checkpoint(ca->db, key, iss->id, e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(ca->db, e)) != 0) goto out;
    res->number = number;
    res->this_update = now;
    res->next_update = next;
    /* hand the buffer over instead of copying: a million-entry CRL is tens of megabytes */
    if (out->p == NULL) {
        *out = w.b;
        memset(&w.b, 0, sizeof(w.b));
    } else if ((rc = sc_buf_append(out, w.b.p, w.b.len)) != 0) {
        sc_fail(e, rc, "oom", "out of memory");
    }
    goto out;
fail:
    store_tx_rollback(ca->db);
out:
    der_free(&w);
    sc_buf_free(&alg);
    sc_buf_free(&sig);
    return rc;
}
