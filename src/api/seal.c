/* seal.c - GET /api/v1/seals/{esID}: a seal's status for relying platforms (public, read-only). */
#include "api/api.h"

#include <string.h>

#include "seal/seal.h"

void api_seal_status(void *vapp, const http_req *req, http_resp *resp)
{
    api_app *app = vapp;
    const char *prefix = "/api/v1/seals/";
    const char *id = req->path + strlen(prefix);
    size_t n = strlen(id);
    if (n == 0 || n > 64 || strspn(id, "0123456789abcdefABCDEF-_.") != n) {
        http_error(resp, 400, "seal.bad_esid", "印章编码无效 / bad seal id");
        return;
    }
    sc_err e = {0};
    pki_ca *ca = api_ca(app, &e);
    if (ca == NULL) {
        http_error(resp, 503, "store.unavailable", "store unreachable");
        return;
    }
    int rc = seal_status_json(ca, id, &resp->body, &e);
    if (rc == SC_ENOTFOUND) {
        http_error(resp, 404, e.code, "印章不存在 / no such seal");
        return;
    }
    if (rc != 0) {
        http_error(resp, 500, e.code, "internal error");
        return;
    }
    resp->status = 200;
    resp->ctype = "application/json";
    http_set_header(resp, "Cache-Control", "no-cache");
}
