/* ra_order.c - handlers: orders, materials, submission, CSR, completion, forms, production,
 * payment and certificates (applicant and staff). No business logic: that is src/ra. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/ra_api.h"
#include "ra/material.h"
#include "ra/multipart.h"
#include "ra/pw.h"

static void reply_order(ra_call *c, int status, int64_t id)
{
    ra_err re = {0};
    json_t *o = NULL;
    if (ra_order_get(c->r, &c->s, id, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, status, o);
}

/* The order id of orders/{id}/… (404 when not a number: ids are never guessed into errors). */
static int64_t order_id(ra_call *c, int seg)
{
    int64_t id = ra_seg_id(c, seg);
    if (id <= 0) ra_reply_code(c, "not_found", NULL);
    return id;
}

void ra_h_order_create(ra_call *c)
{
    if (ra_body(c, NULL) != 0) return;
    if (ra_is_staff(&c->s)) {
        ra_reply_code(c, "auth.forbidden", NULL); /* staff use the signed counter entry */
        return;
    }
    ra_err re = {0};
    int64_t id = 0;
    char no[32];
    if (ra_order_create(c->r, &c->s, c->body, c->s.acct.id, &id, no, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 201,
             json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "order_no", no, "state", "draft"));
}

void ra_h_order_list(ra_call *c)
{
    ra_err re = {0};
    json_t *o = NULL;
    if (ra_is_staff(&c->s)) {
        ra_reply_code(c, "auth.forbidden", NULL);
        return;
    }
    const char *lim = http_query(c->req, "limit");
    if (ra_order_list(c->r, &c->s, NULL, NULL, lim ? atoll(lim) : 50, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

void ra_h_order_get(ra_call *c)
{
    int64_t id = order_id(c, 1);
    if (id > 0) reply_order(c, 200, id);
}

void ra_h_order_patch(ra_call *c)
{
    int64_t id = order_id(c, 1);
    if (id <= 0 || ra_body(c, NULL) != 0) return;
    ra_err re = {0};
    if (ra_order_patch(c->r, &c->s, id, c->body, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_material_put(ra_call *c)
{
    int64_t id = order_id(c, 1);
    if (id <= 0) return;
    const char *ct = http_header(c->req, "Content-Type");
    const uint8_t *data = c->req->body;
    size_t len = c->req->bodylen;
    ra_err re = {0};
    if (ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0) {
        mp_part parts[4];
        size_t n = 0;
        if (mp_parse(ct, c->req->body, c->req->bodylen, parts, 4, &n, &re.e) != 0) {
            snprintf(re.field, sizeof(re.field), "file");
            ra_reply_err(c, &re);
            return;
        }
        const mp_part *f = mp_find(parts, n, "file");
        if (f == NULL) {
            ra_reply_code(c, "field.required", "file");
            return;
        }
        data = f->data;
        len = f->len;
    } else if (ct == NULL ||
               (strncasecmp(ct, "application/pdf", 15) != 0 &&
                strncasecmp(ct, "image/jpeg", 10) != 0 && strncasecmp(ct, "image/png", 9) != 0 &&
                strncasecmp(ct, "application/octet-stream", 24) != 0)) {
        ra_reply_code(c, "request.content_type", "Content-Type");
        return;
    }
    if (len > RA_MATERIAL_MAX) {
        ra_reply_code(c, "material.too_large", "file");
        return;
    }
    json_t *out = NULL;
    if (ra_material_put(c->r, &c->s, id, c->seg[3], data, len, &out, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 201, out);
}

void ra_h_material_get(ra_call *c)
{
    int64_t id = order_id(c, 1);
    if (id <= 0) return;
    const char *v = http_query(c->req, "version");
    const char *pv = http_query(c->req, "preview");
    sc_buf data = {0};
    const char *mime = NULL;
    ra_err re = {0};
    if (ra_material_get(c->r, &c->s, id, c->seg[3], v ? atoll(v) : 0, &data, &mime, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    c->resp->status = 200;
    if (pv != NULL) {
        /* the reviewer's preview: a PNG thumbnail (page 1 of a PDF) */
        if (material_preview(data.p, data.len, 800, &c->resp->body, &re.e) != 0) {
            sc_buf_wipe(&data);
            ra_reply_err(c, &re);
            return;
        }
        c->resp->ctype = "image/png";
    } else {
        sc_buf_append(&c->resp->body, data.p, data.len);
        c->resp->ctype = mime;
        http_set_header(c->resp, "Content-Disposition", "attachment");
    }
    http_set_header(c->resp, "Cache-Control", "private, no-store");
    http_set_header(c->resp, "Content-Security-Policy", "default-src 'none'; sandbox");
    sc_buf_wipe(&data);
}

void ra_h_order_submit(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    if (ra_order_submit(c->r, &c->s, id, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_cancel(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"reason", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *reason;
    if (ra_json_str(c->body, "reason", 500, &reason, &re) != 0 ||
        ra_order_cancel(c->r, &c->s, id, reason, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_csr(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"csr", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *pem;
    if (ra_json_str(c->body, "csr", 16384, &pem, &re) != 0 ||
        ra_order_csr(c->r, &c->s, id, pem, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_complete(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    if (ra_order_complete(c->r, &c->s, id, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_form(ra_call *c)
{
    int64_t id = order_id(c, 1);
    if (id <= 0) return;
    ra_err re = {0};
    sc_buf pdf = {0};
    const char *lang = http_query(c->req, "lang");
    if (ra_order_form(c->r, &c->s, id, c->seg[3], lang ? lang : c->lang, &pdf, &re) != 0) {
        sc_buf_free(&pdf);
        ra_reply_err(c, &re);
        return;
    }
    c->resp->status = 200;
    c->resp->ctype = "application/pdf";
    c->resp->body = pdf;
    http_set_header(c->resp, "Cache-Control", "private, no-store");
}

void ra_h_order_certs(ra_call *c)
{
    int64_t id = order_id(c, 1);
    if (id <= 0) return;
    ra_err re = {0};
    json_t *o = NULL;
    if (ra_cert_pem_for_order(c->r, &c->s, id, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

/* payload + signature (signed staff actions) */
static int signed_body(ra_call *c, const char **payload, const char **sig, ra_err *re)
{
    static const char *const keys[] = {"payload", "signature", NULL};
    if (ra_body(c, keys) != 0) return -1;
    if (ra_json_str(c->body, "payload", 60000, payload, re) != 0 ||
        ra_json_str(c->body, "signature", 512, sig, re) != 0) {
        ra_reply_err(c, re);
        return -1;
    }
    return 0;
}

void ra_h_order_review(ra_call *c)
{
    int64_t id = order_id(c, 1);
    const char *payload, *sig;
    ra_err re = {0};
    if (id <= 0 || signed_body(c, &payload, &sig, &re) != 0) return;
    if (ra_order_review(c->r, &c->s, id, payload, sig, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_payment(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"method", "amount_fen", "reference", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *method, *ref;
    int64_t amount = -1;
    if (ra_json_str(c->body, "method", 20, &method, &re) != 0 ||
        ra_json_str(c->body, "reference", 100, &ref, &re) != 0 ||
        ra_json_int(c->body, "amount_fen", 0, 100000000, &amount, NULL, &re) != 0 ||
        ra_payment_mark(c->r, &c->s, id, method, amount, ref, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_invoice(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"state", "invoice_no", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *st, *no;
    if (ra_json_str(c->body, "state", 16, &st, &re) != 0 ||
        ra_json_str(c->body, "invoice_no", 60, &no, &re) != 0 ||
        ra_invoice_set(c->r, &c->s, id, st, no, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_issue(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"csr", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *pem;
    json_t *out = NULL;
    if (ra_json_str(c->body, "csr", 16384, &pem, &re) != 0 ||
        ra_order_issue(c->r, &c->s, id, pem, &out, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, out);
}

void ra_h_order_ship(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"carrier", "tracking_no", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *carrier, *tn;
    if (ra_json_str(c->body, "carrier", 60, &carrier, &re) != 0 ||
        ra_json_str(c->body, "tracking_no", 60, &tn, &re) != 0 ||
        ra_order_ship(c->r, &c->s, id, carrier, tn, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_pickup(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"picked_up_by", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *who;
    if (ra_json_str(c->body, "picked_up_by", 100, &who, &re) != 0 ||
        ra_order_pickup(c->r, &c->s, id, who, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    reply_order(c, 200, id);
}

void ra_h_order_unlock(ra_call *c)
{
    int64_t id = order_id(c, 1);
    static const char *const keys[] = {"request", "new_pin", NULL};
    if (id <= 0 || ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *req, *pin;
    sc_buf der = {0}, ans = {0}, b64 = {0};
    if (ra_json_str(c->body, "request", 8192, &req, &re) != 0 ||
        ra_json_str(c->body, "new_pin", 32, &pin, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    if (req == NULL || ra_b64_decode(req, &der) != 0) {
        ra_reply_code(c, req ? "field.type" : "field.required", "request");
        return;
    }
    if (ra_order_unlock(c->r, &c->s, id, der.p, der.len, pin, &ans, &re) != 0) {
        sc_buf_free(&der);
        ra_reply_err(c, &re);
        return;
    }
    ra_b64_encode(ans.p, ans.len, &b64);
    sc_buf_putc(&b64, 0);
    ra_reply(c, 200, json_pack("{s:s, s:s}", "answer", (const char *)b64.p, "state", "completed"));
    sc_buf_free(&der);
    sc_buf_wipe(&ans);
    sc_buf_free(&b64);
}

void ra_h_cert_list(ra_call *c)
{
    ra_err re = {0};
    json_t *o = NULL;
    if (ra_is_staff(&c->s)) {
        ra_reply_code(c, "auth.forbidden", NULL);
        return;
    }
    if (ra_cert_list(c->r, &c->s, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

void ra_h_cert_challenge(ra_call *c)
{
    static const char *const keys[] = {NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    char ch[48];
    int64_t exp = 0;
    if (ra_cert_challenge(c->r, &c->s, c->seg[1], ch, &exp, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, json_pack("{s:s, s:I}", "challenge", ch, "expires_at", (json_int_t)exp));
}

void ra_h_cert_suspend(ra_call *c)
{
    static const char *const keys[] = {"reason", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *reason;
    /* certificates/{serial}/suspend or staff/certificates/{serial}/suspend */
    const char *serial = c->seg[c->nseg - 2];
    if (strcmp(c->seg[0], "staff") != 0 && ra_is_staff(&c->s)) {
        ra_reply_code(c, "auth.forbidden", NULL);
        return;
    }
    if (ra_json_str(c->body, "reason", 200, &reason, &re) != 0 ||
        ra_cert_suspend(c->r, &c->s, serial, reason, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, json_pack("{s:s, s:s}", "serial", serial, "status", "hold"));
}

void ra_h_webhook(ra_call *c)
{
    ra_err re = {0};
    const char *ct = http_header(c->req, "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
        ra_reply_code(c, "request.content_type", "Content-Type");
        return;
    }
    if (ra_webhook(c->r, http_header(c->req, "X-Sealca-Timestamp"),
                   http_header(c->req, "X-Sealca-Signature"), c->req->body, c->req->bodylen,
                   &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, json_pack("{s:b}", "ok", 1));
}
