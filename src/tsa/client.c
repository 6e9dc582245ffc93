/* client.c - asking a time-stamping authority for a token over HTTP (RFC 3161 §3.4). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "pki/der.h"
#include "seal/seal.h"
#include "tsa/tsa.h"

typedef struct body {
    sc_buf *b;
    int too_big;
} body;

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    body *bd = arg;
    size_t len = sz * n;
    if (bd->b->len + len > TSA_TOKEN_MAX) {
        bd->too_big = 1;
        return 0;
    }
    return sc_buf_append(bd->b, p, len) == 0 ? len : 0;
}

int tsa_fetch(const char *url, const uint8_t *req, size_t len, sc_buf *resp, sc_err *e)
{
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return sc_fail(e, SC_EINVAL, "tsa.bad_url", "--tsa must be an http:// or https:// URL");
    CURL *c = curl_easy_init();
    if (c == NULL) return sc_fail(e, SC_ENOMEM, "oom", "curl_easy_init failed");
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/timestamp-query");
    body bd = {resp, 0};
    long code = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)req);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bd);
    CURLcode cr = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    char ctype[80] = "";
    char *ct = NULL;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
        snprintf(ctype, sizeof(ctype), "%s", ct);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (bd.too_big)
        return sc_fail(e, SC_ETOOBIG, "tsa.too_big", "the TSA's answer exceeds %d bytes",
                       TSA_TOKEN_MAX);
    if (cr != CURLE_OK)
        return sc_fail(e, SC_EIO, "tsa.unreachable", "时间戳服务不可达 / %s: %s", url,
                       curl_easy_strerror(cr));
    if (code != 200 || strncmp(ctype, "application/timestamp-reply", 27) != 0)
        return sc_fail(e, SC_EIO, "tsa.http", "%s answered HTTP %ld (%s), not a timestamp reply",
                       url, code, ctype[0] ? ctype : "no content type");
    return 0;
}

int tsa_request(const char *url, const uint8_t *data, size_t n, sc_buf *token, sc_err *e)
{
    uint8_t imprint[32], nonce[8];
    crypto_sm3(data, n, imprint);
    crypto_random(nonce, sizeof(nonce));
    nonce[0] = (nonce[0] & 0x7f) | 0x01;
    sc_buf req = {0}, resp = {0};
    int rc = tsa_req_build(TSA_HASH_SM3, imprint, nonce, sizeof(nonce), 1, &req, e);
    if (rc == 0) rc = tsa_fetch(url, req.p, req.len, &resp, e);
    sc_slice tk = {0};
    tsa_token_info ti = {0};
    if (rc == 0) rc = tsa_resp_token(resp.p, resp.len, &tk, e);
    if (rc == 0) rc = tsa_token_verify(tk.p, tk.len, NULL, 0, &ti, e);
    if (rc == 0 && (ti.hash != TSA_HASH_SM3 || memcmp(ti.imprint, imprint, 32) != 0))
        rc = sc_fail(e, SC_EVERIFY, "tsa.imprint_mismatch",
                     "the TSA time-stamped other data than what was asked");
    if (rc == 0 && (ti.nonce.len != sizeof(nonce) || memcmp(ti.nonce.p, nonce, sizeof(nonce)) != 0))
        rc = sc_fail(e, SC_EVERIFY, "tsa.nonce_mismatch",
                     "the TSA's answer does not echo our nonce (a replayed answer?)");
    if (rc == 0) rc = sc_buf_append(token, tk.p, tk.len);
    sc_buf_free(&req);
    sc_buf_free(&resp);
    return rc;
}

int tsa_seal_stamp(const char *url, sc_buf *sig, sc_err *e)
{
    seal_sig g;
    int rc = seal_sig_decode(sig->p, sig->len, &g, e);
    if (rc != 0) return rc;
    if (g.layout != SEAL_LAYOUT_V4)
        return sc_fail(e, SC_EINVAL, "tsa.v1_no_timestamp",
                       "GM/T 0031-2014 (v1) 的签章没有时间戳字段 / a v1 SES_Signature has no "
                       "timeStamp field: time-stamping needs a GB/T 38540 (v4) seal");
    if (g.timestamp.len > 0)
        return sc_fail(e, SC_EINVAL, "tsa.has_timestamp", "the signature is time-stamped already");
    sc_buf tok = {0}, out = {0};
    rc = tsa_request(url, g.signature.p, g.signature.len, &tok, e);
    if (rc == 0) rc = tsa_seal_attach(sig->p, sig->len, tok.p, tok.len, &out, e);
    if (rc == 0 && out.len > SEAL_MAX)
        rc = sc_fail(e, SC_ETOOBIG, "seal.too_big", "the time-stamped signature exceeds %d bytes",
                     (int)SEAL_MAX);
    if (rc == 0) {
        sc_buf t = *sig;
        *sig = out;
        out = t;
    }
    sc_buf_free(&tok);
    sc_buf_free(&out);
    return rc;
}
