/* ra_account.c - handlers: catalog, OpenAPI, registration, applicant and staff login, logout,
 * agreement acceptance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ra_api.h"

void ra_h_catalog(ra_call *c)
{
    size_t n;
    const char *j = ra_catalog_json(c->r->cat, &n);
    c->resp->status = 200;
    c->resp->ctype = "application/json; charset=utf-8";
    sc_buf_append(&c->resp->body, j, n);
    http_set_header(c->resp, "Cache-Control", "public, max-age=60");
}

/* OpenAPI 3.0, generated from the route table so that it cannot drift from the code. */
void ra_h_openapi(ra_call *c)
{
    size_t n;
    const ra_route *rt = ra_routes(&n);
    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        char path[200] = "/api/v1/", params[64];
        snprintf(params, sizeof(params), "%s", rt[i].params);
        char *save = NULL, *pn = strtok_r(params, " ", &save);
        json_t *plist = json_array();
        for (const char *p = rt[i].pattern; *p; p++) {
            size_t l = strlen(path);
            if (*p == '*' && pn != NULL) {
                snprintf(path + l, sizeof(path) - l, "{%s}", pn);
                json_array_append_new(plist,
                                      json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", pn, "in",
                                                "path", "required", 1, "schema", "type",
                                                strcmp(pn, "id") == 0 ? "integer" : "string"));
                pn = strtok_r(NULL, " ", &save);
            } else if (l + 1 < sizeof(path)) {
                path[l] = *p;
                path[l + 1] = 0;
            }
        }
        json_t *item = json_object_get(paths, path);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, path, item);
        }
        char m[8];
        size_t k;
        for (k = 0; k < 7 && rt[i].method[k]; k++)
            m[k] = (char)(rt[i].method[k] | 0x20);
        m[k] = 0;
        json_t *op = json_pack("{s:s, s:o, s:{s:{s:s}, s:{s:s, s:{s:{s:{s:s}}}}}}", "summary",
                               rt[i].summary, "parameters", plist, "responses", "200",
                               "description", "OK", "default", "description",
                               "Error {\"error\":{\"code\",\"message\",\"field\"}}", "content",
                               "application/json", "schema", "$ref", "#/components/schemas/Error");
        if (rt[i].auth != RA_AUTH_NONE)
            json_object_set_new(op, "security",
                                rt[i].csrf ? json_pack("[{s:[], s:[]}]", "session", "csrf")
                                           : json_pack("[{s:[]}]", "session"));
        if (rt[i].auth == RA_AUTH_STAFF) json_object_set_new(op, "tags", json_pack("[s]", "staff"));
        json_object_set_new(item, m, op);
    }
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}, "
        "s:{s:{s:s, s:{s:{s:s, s:{s:{s:s}, s:{s:s}, s:{s:s}}}}}}}}",
        "openapi", "3.0.3", "info", "title", "sealca registration service", "version", "1",
        "description", "See docs/api.md", "paths", paths, "components", "securitySchemes",
        "session", "type", "apiKey", "in", "cookie", "name", "sealca (__Host-sealca over HTTPS)",
        "csrf", "type", "apiKey", "in", "header", "name", "X-CSRF-Token", "schemas", "Error",
        "type", "object", "properties", "error", "type", "object", "properties", "code", "type",
        "string", "message", "type", "string", "field", "type", "string");
    ra_reply(c, 200, doc);
}

void ra_h_register(ra_call *c)
{
    static const char *const keys[] = {"phone", "email", "password", "name", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *phone, *email, *pw, *name;
    int64_t id = 0;
    if (ra_json_str(c->body, "phone", 20, &phone, &re) != 0 ||
        ra_json_str(c->body, "email", 128, &email, &re) != 0 ||
        ra_json_str(c->body, "password", 256, &pw, &re) != 0 ||
        ra_json_str(c->body, "name", 120, &name, &re) != 0 ||
        ra_account_register(c->r, phone, email, pw, name, &id, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 201, json_pack("{s:I}", "id", (json_int_t)id));
}

static json_t *who(const ra_session *s)
{
    char duties[64];
    ra_duties_format(s->acct.duties, duties, sizeof(duties));
    if (s->acct.role == RA_ROLE_APPLICANT)
        return json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)s->acct.id, "name",
                         s->acct.name, "phone", s->acct.phone, "email", s->acct.email, "role",
                         "applicant");
    json_t *d = json_array();
    char *save = NULL;
    for (char *t = strtok_r(duties, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(d, json_string(t));
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s?, s:s}", "id", (json_int_t)s->acct.id, "login",
                     s->acct.login, "name", s->acct.name, "role", ra_role_name(s->acct.role),
                     "duties", d, "service_point",
                     s->acct.service_point[0] ? s->acct.service_point : NULL, "certificate",
                     s->acct.cert_serial);
}

void ra_h_login(ra_call *c)
{
    static const char *const keys[] = {"login", "password", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *login, *pw;
    char token[48];
    ra_session s;
    if (ra_json_str(c->body, "login", 128, &login, &re) != 0 ||
        ra_json_str(c->body, "password", 256, &pw, &re) != 0 ||
        ra_login(c->r, login, pw, c->req->remote, token, &s, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_set_cookie(c, token);
    ra_reply(c, 200, json_pack("{s:s, s:o}", "csrf", s.csrf, "account", who(&s)));
}

void ra_h_session(ra_call *c)
{
    ra_reply(c, 200,
             json_pack("{s:s, s:o}", "csrf", c->s.csrf, ra_is_staff(&c->s) ? "staff" : "account",
                       who(&c->s)));
}

void ra_h_logout(ra_call *c)
{
    ra_err re = {0};
    if (ra_session_end(c->r, c->token, 0, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_set_cookie(c, "");
    c->resp->status = 204;
}

void ra_h_logout_all(ra_call *c)
{
    ra_err re = {0};
    if (ra_session_end(c->r, c->token, 1, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_set_cookie(c, "");
    c->resp->status = 204;
}

void ra_h_agreement(ra_call *c)
{
    static const char *const keys[] = {"version", "order_id", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *v;
    int64_t order = 0;
    if (ra_json_str(c->body, "version", 32, &v, &re) != 0 ||
        ra_json_int(c->body, "order_id", 1, INT64_MAX, &order, NULL, &re) != 0 ||
        ra_agreement_accept(c->r, &c->s, c->seg[1], v, order, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 201,
             json_pack("{s:s, s:s, s:I}", "key", c->seg[1], "version", v, "accepted_at",
                       (json_int_t)ra_now(c->r)));
}

void ra_h_staff_challenge(ra_call *c)
{
    static const char *const keys[] = {"login", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *login;
    char ch[48];
    int64_t exp = 0;
    if (ra_json_str(c->body, "login", 63, &login, &re) != 0 ||
        ra_staff_challenge(c->r, login, ch, &exp, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, json_pack("{s:s, s:I}", "challenge", ch, "expires_at", (json_int_t)exp));
}

void ra_h_staff_login(ra_call *c)
{
    static const char *const keys[] = {"login",     "password",    "challenge",
                                       "signature", "certificate", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *login, *pw, *ch, *sig, *cert;
    char token[48];
    ra_session s;
    if (ra_json_str(c->body, "login", 63, &login, &re) != 0 ||
        ra_json_str(c->body, "password", 256, &pw, &re) != 0 ||
        ra_json_str(c->body, "challenge", 64, &ch, &re) != 0 ||
        ra_json_str(c->body, "signature", 512, &sig, &re) != 0 ||
        ra_json_str(c->body, "certificate", 16384, &cert, &re) != 0 ||
        ra_staff_login(c->r, login, pw, ch, sig, cert, c->req->remote, token, &s, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_set_cookie(c, token);
    ra_reply(c, 200, json_pack("{s:s, s:o}", "csrf", s.csrf, "staff", who(&s)));
}
