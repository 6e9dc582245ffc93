/* tsa.c - the RFC 3161 time-stamping endpoint: POST /tsa (application/timestamp-query). */
#include "api/api.h"

#include <string.h>
#include <time.h>

#include "tsa/tsa.h"

void api_tsa_post(void *vapp, const http_req *req, http_resp *resp)
{
    api_app *app = vapp;
    const char *ct = http_header(req, "Content-Type");
    if (ct == NULL || strncmp(ct, "application/timestamp-query", 27) != 0) {
        http_error(resp, 415, "tsa.content_type",
                   "Content-Type must be application/timestamp-query");
        return;
    }
    sc_err e = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    pki_ca *ca = api_ca(app, &e);
    resp->body.len = 0;
    int rc =
        ca == NULL
            ? tsa_reject(TSA_FAIL_SYSTEM_FAILURE, "the TSA is not available now", &resp->body)
            : tsa_respond(ca, ca->tsa_policy, req->body, req->bodylen, now_ms, &resp->body, &e);
    if (rc != 0) {
        http_error(resp, 500, "tsa.internal", "cannot build a timestamp response");
        return;
    }
    /* RFC 3161 §3.4: the answer, granted or rejected, is a TimeStampResp with status 200 */
    resp->status = 200;
    resp->ctype = "application/timestamp-reply";
    http_set_header(resp, "Cache-Control", "no-store");
}
