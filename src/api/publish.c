/* publish.c - what relying parties fetch over plain HTTP: CA certificates, the chain, CRLs,
 * and the health endpoints. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"

void api_healthz(void *app, const http_req *req, http_resp *resp)
{
    resp->status = 200;
    resp->ctype = "text/plain; charset=utf-8";
    sc_buf_append(&resp->body, "ok\n", 3);
}

void api_readyz(void *vapp, const http_req *req, http_resp *resp)
{
    api_app *app = vapp;
    sc_err e = {0};
    pki_ca *ca = api_ca(app, &e);
    int64_t v = 0;
    const char *why = NULL;
    if (ca == NULL || store_counter(ca->db, "status", 0, &v, &e) != 0) why = "store unreachable";
    if (why == NULL && (app->kp == NULL || keyproc_ping(app->kp) != 0))
        why = "key process not running";
    if (why != NULL) {
        http_error(resp, 503, "ready.no", why);
        return;
    }
    resp->status = 200;
    resp->ctype = "text/plain; charset=utf-8";
    sc_buf_append(&resp->body, "ready\n", 6);
}

/* "<id><suffix>" at the end of path after prefix: copies id when it is a plain issuer id. */
static int path_id(const char *path, const char *prefix, const char *suffix, char *id, size_t idsz)
{
    size_t pl = strlen(prefix), sl = strlen(suffix), n = strlen(path);
    if (n <= pl + sl || strncmp(path, prefix, pl) != 0 || strcmp(path + n - sl, suffix) != 0)
        return -1;
    size_t il = n - pl - sl;
    if (il >= idsz) return -1;
    memcpy(id, path + pl, il);
    id[il] = 0;
    return strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == il ? 0 : -1;
}

static void http_date(int64_t t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void api_ca_cert(void *vapp, const http_req *req, http_resp *resp)
{
    api_app *app = vapp;
    sc_err e = {0};
    pki_ca *ca = api_ca(app, &e);
    if (ca == NULL) {
        http_error(resp, 503, "store.unavailable", "the store is not reachable");
        return;
    }
    char id[40];
    if (strcmp(req->path, "/ca/chain.pem") == 0) {
        pki_issuer *iss = ca_active_issuing(ca);
        if (iss == NULL || ca_chain_pem(ca, iss, &resp->body, &e) != 0) {
            http_error(resp, 500, "ca.chain", "no chain");
            return;
        }
        resp->status = 200;
        resp->ctype = "application/x-pem-file";
        http_set_header(resp, "Cache-Control", "public, max-age=3600");
        return;
    }
    if (path_id(req->path, "/ca/", ".crt", id, sizeof(id)) != 0) return; /* 404 */
    pki_issuer *iss = ca_issuer(ca, id);
    if (iss == NULL) return;
    sc_buf_append(&resp->body, iss->der, iss->derlen);
    resp->status = 200;
    resp->ctype = "application/pkix-cert";
    http_set_header(resp, "Cache-Control", "public, max-age=86400");
}

void api_crl(void *vapp, const http_req *req, http_resp *resp)
{
    api_app *app = vapp;
    sc_err e = {0};
    char id[40];
    int delta = 0;
    if (path_id(req->path, "/crl/", "-delta.crl", id, sizeof(id)) == 0)
        delta = 1;
    else if (path_id(req->path, "/crl/", ".crl", id, sizeof(id)) != 0)
        return;
    pki_ca *ca = api_ca(app, &e);
    if (ca == NULL) {
        http_error(resp, 503, "store.unavailable", "the store is not reachable");
        return;
    }
    if (ca_issuer(ca, id) == NULL) return;
    store_stmt *st;
    if (store_stmt_get(ca->db, ST_CRL_LATEST, &st, &e) != 0) {
        http_error(resp, 503, "store.unavailable", "the store is not reachable");
        return;
    }
    store_bind_text(st, 1, id);
    store_bind_int64(st, 2, delta);
    int rc = store_step(st, &e);
    if (rc == STORE_ROW) {
        int64_t number = store_col_int64(st, 0), tu = store_col_int64(st, 1),
                nu = store_col_int64(st, 2);
        size_t dl = 0;
        const uint8_t *d = store_col_blob(st, 3, &dl);
        sc_buf_append(&resp->body, d, dl);
        int64_t now = (int64_t)time(NULL), age = nu - now;
        char v[128];
        /* RFC 5019 §6: cache until the next update, never past it */
        snprintf(v, sizeof(v), "public, max-age=%lld, no-transform",
                 (long long)(age > 0 ? (age < 3600 ? age : 3600) : 0));
        http_set_header(resp, "Cache-Control", v);
        http_date(tu, v, sizeof(v));
        http_set_header(resp, "Last-Modified", v);
        http_date(nu, v, sizeof(v));
        http_set_header(resp, "Expires", v);
        snprintf(v, sizeof(v), "\"%s-%lld\"", id, (long long)number);
        http_set_header(resp, "ETag", v);
        const char *inm = http_header(req, "If-None-Match");
        resp->ctype = "application/pkix-crl";
        resp->status = (inm != NULL && strcmp(inm, v) == 0) ? 304 : 200;
        if (resp->status == 304) resp->body.len = 0;
    } else if (rc < 0) {
        http_error(resp, 503, "store.unavailable", "the store is not reachable");
    } else {
        http_error(resp, 404, "crl.none", "no CRL has been published for this issuer yet");
    }
    store_exec(st, NULL);
}

/* the newest CRL of an issuer: number, upto_seq and next_update */
static int latest(pki_ca *ca, const char *id, int delta, int64_t *upto, int64_t *nu, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_CRL_LATEST_META, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, id);
    store_bind_int64(st, 2, delta);
    rc = store_step(st, e);
    if (rc == STORE_ROW) {
        *upto = store_col_int64(st, 0);
        *nu = store_col_int64(st, 1);
        rc = 1;
    }
    store_exec(st, NULL);
    return rc;
}

int api_crl_refresh(api_app *app, int64_t now, sc_err *e)
{
    pki_ca *ca = api_ca(app, e);
    if (ca == NULL) return SC_EIO;
    int64_t status_now = 0;
    int rc = store_counter(ca->db, "status", 0, &status_now, e);
    if (rc != 0) return rc;
    for (size_t i = 0; i < ca->nissuers; i++) {
        pki_issuer *is = &ca->issuers[i];
        if (strcmp(is->role, "root") != 0 && strcmp(is->role, "issuing") != 0) continue;
        if (is->not_after < now) continue; /* an expired CA publishes nothing new */
        int64_t upto = 0, nu = 0;
        int have = latest(ca, is->id, 0, &upto, &nu, e);
        if (have < 0) return have;
        int64_t life = (int64_t)ca->crl_hours * 3600;
        int stale = have == 0 || nu - now < life / 2;
        sc_buf der = {0};
        crl_result res;
        if (stale) {
            rc = pki_crl_generate(ca, is, 0, &der, &res, e);
        } else if (upto < status_now) {
            /* something changed: a delta now, and the full CRL as well (both stay current) */
            int64_t dupto = 0, dnu = 0;
            int hd = latest(ca, is->id, 1, &dupto, &dnu, e);
            if (hd < 0) return hd;
            if (hd == 0 || dupto < status_now) {
                rc = pki_crl_generate(ca, is, 1, &der, &res, e);
                der.len = 0;
                if (rc == 0) rc = pki_crl_generate(ca, is, 0, &der, &res, e);
            }
        }
        sc_buf_free(&der);
        if (rc != 0) return rc;
    }
    return 0;
}
