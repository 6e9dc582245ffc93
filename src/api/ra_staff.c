/* ra_staff.c - handlers of the staff console: queues, masked orders and audited reveals, signed
 * counter entry, service-point view, revocation dashboard, audit console, user admin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ra_api.h"

void ra_h_staff_orders(ra_call *c)
{
    ra_err re = {0};
    json_t *o = NULL;
    const char *lim = http_query(c->req, "limit");
    if (ra_order_list(c->r, &c->s, http_query(c->req, "state"), http_query(c->req, "service_point"),
                      lim ? atoll(lim) : 100, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

void ra_h_staff_order(ra_call *c)
{
    int64_t id = ra_seg_id(c, 2);
    ra_err re = {0};
    json_t *o = NULL;
    if (id <= 0) {
        ra_reply_code(c, "not_found", NULL);
        return;
    }
    if (ra_order_get(c->r, &c->s, id, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

void ra_h_staff_reveal(ra_call *c)
{
    int64_t id = ra_seg_id(c, 2);
    ra_err re = {0};
    char v[128];
    if (id <= 0) {
        ra_reply_code(c, "not_found", NULL);
        return;
    }
    if (ra_order_reveal(c->r, &c->s, id, c->seg[4], v, sizeof(v), &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, json_pack("{s:s, s:s}", "field", c->seg[4], "value", v));
    sc_wipe(v, sizeof(v));
}

void ra_h_staff_counter(ra_call *c)
{
    static const char *const keys[] = {"payload", "signature", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *payload, *sig;
    int64_t id = 0;
    char no[32];
    if (ra_json_str(c->body, "payload", 60000, &payload, &re) != 0 ||
        ra_json_str(c->body, "signature", 512, &sig, &re) != 0 ||
        ra_counter_entry(c->r, &c->s, payload, sig, &id, no, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 201,
             json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "order_no", no, "state", "draft"));
}

void ra_h_staff_point_orders(ra_call *c)
{
    ra_err re = {0};
    json_t *o = NULL;
    if (c->s.acct.role == RA_ROLE_OPERATOR && strcmp(c->s.acct.service_point, c->seg[2]) != 0) {
        ra_reply_code(c, "auth.forbidden", NULL);
        return;
    }
    if (ra_order_list(c->r, &c->s, http_query(c->req, "state"), c->seg[2], 200, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

void ra_h_staff_revocations(ra_call *c)
{
    ra_err re = {0};
    json_t *o = NULL;
    if (ra_revocations(c->r, &c->s, &o, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

void ra_h_staff_audit(ra_call *c)
{
    ra_err re = {0};
    json_t *o = NULL;
    const char *after = http_query(c->req, "after"), *lim = http_query(c->req, "limit");
    if (ra_audit_view(c->r, &c->s, after ? atoll(after) : 0, lim ? atoll(lim) : 100, &o, &re) !=
        0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, o);
}

static int add_user(void *arg, const ra_account *a)
{
    char d[64];
    ra_duties_format(a->duties, d, sizeof(d));
    json_array_append_new(
        arg, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:b}", "id", (json_int_t)a->id,
                       "login", a->login, "name", a->name, "role", ra_role_name(a->role), "duties",
                       d, "service_point", a->service_point[0] ? a->service_point : NULL,
                       "certificate", a->cert_serial, "disabled", a->disabled));
    return 0;
}

void ra_h_staff_users(ra_call *c)
{
    ra_err re = {0};
    json_t *arr = json_array();
    if (ra_staff_list(c->r, &c->s, add_user, arr, &re) != 0) {
        json_decref(arr);
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, json_pack("{s:o}", "users", arr));
}

void ra_h_staff_user_add(ra_call *c)
{
    static const char *const keys[] = {"login",  "name",          "password", "role",
                                       "duties", "service_point", "csr",      NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *login, *name, *pw, *role, *sp, *csrpem;
    if (ra_json_str(c->body, "login", 63, &login, &re) != 0 ||
        ra_json_str(c->body, "name", 120, &name, &re) != 0 ||
        ra_json_str(c->body, "password", 256, &pw, &re) != 0 ||
        ra_json_str(c->body, "role", 32, &role, &re) != 0 ||
        ra_json_str(c->body, "service_point", 32, &sp, &re) != 0 ||
        ra_json_str(c->body, "csr", 16384, &csrpem, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_staff_new n = {.login = login, .name = name, .password = pw, .service_point = sp};
    if (ra_role_parse(role, &n.role) != 0) {
        ra_reply_code(c, "field.choice", "role");
        return;
    }
    json_t *d = json_object_get(c->body, "duties");
    if (d != NULL && !json_is_array(d)) {
        ra_reply_code(c, "field.type", "duties");
        return;
    }
    size_t i;
    json_t *v;
    char dl[80] = "";
    RA_ARR_EACH(d, i, v)
    {
        const char *s = json_string_value(v);
        size_t l = strlen(dl);
        if (s == NULL || strlen(s) > 16 || l + strlen(s) + 2 > sizeof(dl)) {
            ra_reply_code(c, "field.choice", "duties");
            return;
        }
        snprintf(dl + l, sizeof(dl) - l, "%s%s", l ? "," : "", s);
    }
    if (ra_duties_parse(dl, &n.duties) != 0) {
        ra_reply_code(c, "field.choice", "duties");
        return;
    }
    csr cs = {0};
    sc_err e = {0};
    if (csrpem == NULL || csr_parse((const uint8_t *)csrpem, strlen(csrpem), &cs, &e) != 0) {
        ra_reply_code(c, csrpem ? "csr.bad" : "field.required", "csr");
        return;
    }
    n.pub = cs.pub;
    int64_t id = 0;
    sc_buf der = {0};
    int rc = ra_staff_add(c->r, &c->s, &n, &id, &der, &re);
    csr_free(&cs);
    if (rc != 0) {
        ra_reply_err(c, &re);
        return;
    }
    sc_buf pem = {0};
    cert_pem(der.p, der.len, &pem);
    sc_buf_putc(&pem, 0);
    ra_reply(c, 201,
             json_pack("{s:I, s:s}", "id", (json_int_t)id, "certificate", (const char *)pem.p));
    sc_buf_free(&pem);
    sc_buf_free(&der);
}

void ra_h_staff_user_disable(ra_call *c)
{
    static const char *const keys[] = {NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    if (ra_staff_disable(c->r, &c->s, c->seg[2], &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    c->resp->status = 204;
}

/* PUT staff/seal-images/extract: the reviewer's manual crop/threshold adjustment of a seal or
 * signature picture (api/sealimage.c does the work; docs/seals-images.md). Operators who enter,
 * review or produce, and business administrators. */
void ra_h_staff_seal_image(ra_call *c)
{
    if (!ra_has_duty(&c->s, RA_DUTY_ENTRY | RA_DUTY_REVIEW | RA_DUTY_PRODUCTION) &&
        c->s.acct.role != RA_ROLE_BUSINESS_ADMIN) {
        ra_reply_code(c, "auth.forbidden", NULL);
        return;
    }
    api_seal_image_extract(c->app, c->req, c->resp);
}
