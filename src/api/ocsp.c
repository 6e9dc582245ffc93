/* ocsp.c - the OCSP endpoints (RFC 6960 POST and GET, RFC 5019 caching) and keeping the
 * pre-signed responses current. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void answer(api_app *app, const uint8_t *req, size_t len, int get, http_resp *resp)
{
    sc_err e = {0};
    int64_t now = (int64_t)time(NULL);
    /* hot path: a pre-signed response, no signing and no store access */
    if (app->ocsp != NULL && ocsp_cache_get(app->ocsp, req, len, now, &resp->body) == 0) goto ok;
    resp->body.len = 0;
    pki_ca *ca = api_ca(app, &e);
    if (ca == NULL) {
        ocsp_response_error(3 /* tryLater */, &resp->body);
        goto ok;
    }
    if (app->ocsp != NULL)
        ocsp_respond_cached(app->ocsp, ca, req, len, now, &resp->body, &e);
    else
        ocsp_respond(ca, req, len, now, &resp->body, &e);
ok:
    resp->status = 200;
    resp->ctype = "application/ocsp-response";
    /* RFC 5019 §6.2: GET responses may be cached by HTTP caches, but not for long: a status
     * change reaches this responder within a second and should not wait for a proxy */
    http_set_header(resp, "Cache-Control",
                    get ? "public, max-age=60, no-transform" : "no-cache, no-store");
}

void api_ocsp_post(void *vapp, const http_req *req, http_resp *resp)
{
    const char *ct = http_header(req, "Content-Type");
    if (ct == NULL || strncmp(ct, "application/ocsp-request", 24) != 0) {
        http_error(resp, 415, "ocsp.content_type", "Content-Type must be application/ocsp-request");
        return;
    }
    answer(vapp, req->body, req->bodylen, 0, resp);
}

/* RFC 6960 App. A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest};
 * the URL-safe alphabet is accepted too. */
void api_ocsp_get(void *vapp, const http_req *req, http_resp *resp)
{
    const char *b = req->path + strlen("/ocsp/");
    size_t n = strlen(b);
    if (n == 0 || n > (OCSP_REQUEST_MAX * 4) / 3 + 4) {
        if (n > 0) {
            http_error(resp, 414, "ocsp.too_long", "request too long for GET: use POST");
            return;
        }
    }
    uint8_t *der = malloc(n / 4 * 3 + 4);
    if (der == NULL) {
        http_error(resp, 500, "oom", "out of memory");
        return;
    }
    size_t len = 0;
    uint32_t acc = 0;
    int bits = 0, bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        char c = b[i];
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+' || c == '-')
            v = 62;
        else if (c == '/' || c == '_')
            v = 63;
        else if (c == '=')
            continue;
        else {
            bad = 1;
            break;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            der[len++] = (uint8_t)(acc >> bits);
        }
    }
    /* a malformed encoding is a malformed request, answered as OCSP says, not as HTTP */
    answer(vapp, der, bad ? 0 : len, 1, resp);
    free(der);
}

int api_ocsp_sync(api_app *app, int64_t now, int due, sc_err *e)
{
    pki_ca *ca = api_ca(app, e);
    if (ca == NULL || app->ocsp == NULL) return ca == NULL ? SC_EIO : 0;
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_CERT_CHANGED_SINCE, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, app->seen_status);
    char(*serials)[33] = NULL;
    int64_t *seqs = NULL;
    size_t n = 0, cap = 0;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            void *a = realloc(serials, cap * sizeof(*serials)),
                 *b = realloc(seqs, cap * sizeof(*seqs));
            if (a != NULL) serials = a;
            if (b != NULL) seqs = b;
            if (a == NULL || b == NULL) {
                rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
                break;
            }
        }
        snprintf(serials[n], 33, "%s", store_col_text(st, 0, NULL));
        seqs[n++] = store_col_int64(st, 1);
    }
    store_exec(st, NULL);
    if (rc >= 0) {
        rc = 0;
        /* refresh after reading: each refresh reads the committed status again */
        for (size_t i = 0; i < n; i++) {
            sc_err re = {0};
            int r = ocsp_cache_refresh(app->ocsp, ca, serials[i], now, &re);
            if (r != 0 && r != SC_ENOTFOUND) {
                rc = sc_fail(e, r, re.code, "%s", re.msg);
                break;
            }
            app->seen_status = seqs[i];
        }
    }
    free(serials);
    free(seqs);
    if (rc == 0 && due) rc = ocsp_cache_refresh_due(app->ocsp, ca, now, NULL, e);
    return rc;
}
