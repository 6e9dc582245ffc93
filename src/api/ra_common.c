/* ra_common.c - the /api/v1 entry point: per-thread RA context, routing, sessions from the
 * cookie, CSRF on every state-changing request, JSON replies and errors in Chinese or English. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/ra_api.h"
#include "kmc/kmc.h"
#include "ra/notify.h"
#include "ra/vault.h"

typedef struct ra_shared {
    ra_catalog *cat;
    vault *v;       /* seals and opens through the key process */
    kmc_backend be; /* the KMC's operations in the key process */
    int have_kmc;
    ra tmpl; /* settings from ra.conf, copied into each thread's context */
} ra_shared;

static const ra_route routes[] = {
    {"GET", "catalog", "", RA_AUTH_NONE, 0, ra_h_catalog, "The catalog"},
    {"GET", "openapi.json", "", RA_AUTH_NONE, 0, ra_h_openapi, "This API as OpenAPI 3"},
    {"POST", "accounts", "", RA_AUTH_NONE, 0, ra_h_register, "Register an applicant"},
    {"POST", "session", "", RA_AUTH_NONE, 0, ra_h_login, "Log in (applicant)"},
    {"GET", "session", "", RA_AUTH_USER, 0, ra_h_session, "The current session"},
    {"DELETE", "session", "", RA_AUTH_USER, 1, ra_h_logout, "Log out"},
    {"DELETE", "sessions", "", RA_AUTH_USER, 1, ra_h_logout_all, "Log out everywhere"},
    {"POST", "agreements/*/accept", "key", RA_AUTH_USER, 1, ra_h_agreement, "Accept an agreement"},
    {"POST", "staff/challenge", "", RA_AUTH_NONE, 0, ra_h_staff_challenge, "Staff login challenge"},
    {"POST", "staff/session", "", RA_AUTH_NONE, 0, ra_h_staff_login,
     "Staff login: password + certificate signature"},
    {"POST", "orders", "", RA_AUTH_USER, 1, ra_h_order_create, "Create a draft order"},
    {"GET", "orders", "", RA_AUTH_USER, 0, ra_h_order_list, "The caller's orders"},
    {"GET", "orders/*", "id", RA_AUTH_USER, 0, ra_h_order_get, "An order"},
    {"PATCH", "orders/*", "id", RA_AUTH_USER, 1, ra_h_order_patch, "Change order fields"},
    {"PUT", "orders/*/materials/*", "id kind", RA_AUTH_USER, 1, ra_h_material_put,
     "Upload a material (raw body or multipart)"},
    {"GET", "orders/*/materials/*", "id kind", RA_AUTH_USER, 0, ra_h_material_get,
     "Download a material"},
    {"POST", "orders/*/submit", "id", RA_AUTH_USER, 1, ra_h_order_submit, "Submit or resubmit"},
    {"POST", "orders/*/cancel", "id", RA_AUTH_USER, 1, ra_h_order_cancel, "Cancel"},
    {"PUT", "orders/*/csr", "id", RA_AUTH_USER, 1, ra_h_order_csr, "Upload the CSR"},
    {"POST", "orders/*/complete", "id", RA_AUTH_USER, 1, ra_h_order_complete,
     "Confirm receipt / complete renew and change"},
    {"GET", "orders/*/forms/*", "id form", RA_AUTH_USER, 0, ra_h_order_form, "Pre-filled PDF"},
    {"GET", "orders/*/certificates", "id", RA_AUTH_USER, 0, ra_h_order_certs,
     "Certificates issued for an order"},
    {"POST", "orders/*/review", "id", RA_AUTH_STAFF, 1, ra_h_order_review,
     "Review decision (signed)"},
    {"POST", "orders/*/payment", "id", RA_AUTH_STAFF, 1, ra_h_order_payment, "Mark payment"},
    {"POST", "orders/*/invoice", "id", RA_AUTH_USER, 1, ra_h_order_invoice, "Invoice state"},
    {"POST", "orders/*/issue", "id", RA_AUTH_STAFF, 1, ra_h_order_issue, "Issue the certificate"},
    {"POST", "orders/*/ship", "id", RA_AUTH_STAFF, 1, ra_h_order_ship, "Ship"},
    {"POST", "orders/*/pickup", "id", RA_AUTH_STAFF, 1, ra_h_order_pickup, "Counter pick-up"},
    {"POST", "orders/*/unlock", "id", RA_AUTH_USER, 1, ra_h_order_unlock,
     "PIN unlock answer from the KMC"},
    {"GET", "certificates", "", RA_AUTH_USER, 0, ra_h_cert_list, "The caller's certificates"},
    {"POST", "certificates/*/challenge", "serial", RA_AUTH_USER, 1, ra_h_cert_challenge,
     "Proof-of-possession challenge"},
    {"POST", "certificates/*/suspend", "serial", RA_AUTH_USER, 1, ra_h_cert_suspend,
     "Suspend at once"},
    {"POST", "payments/webhook", "", RA_AUTH_NONE, 0, ra_h_webhook,
     "Payment gateway notification (HMAC)"},
    {"GET", "staff/orders", "", RA_AUTH_STAFF, 0, ra_h_staff_orders, "Review queue and lists"},
    {"GET", "staff/orders/*", "id", RA_AUTH_STAFF, 0, ra_h_staff_order, "An order, masked"},
    {"GET", "staff/orders/*/reveal/*", "id field", RA_AUTH_STAFF, 0, ra_h_staff_reveal,
     "A whole personal value (audited)"},
    {"POST", "staff/counter/orders", "", RA_AUTH_STAFF, 1, ra_h_staff_counter,
     "Counter entry (signed)"},
    {"GET", "staff/service-points/*/orders", "id", RA_AUTH_STAFF, 0, ra_h_staff_point_orders,
     "A service point's orders"},
    {"GET", "staff/revocations", "", RA_AUTH_STAFF, 0, ra_h_staff_revocations,
     "24-hour revocation dashboard"},
    {"POST", "staff/certificates/*/suspend", "serial", RA_AUTH_STAFF, 1, ra_h_cert_suspend,
     "Suspend by an operator"},
    {"GET", "staff/audit", "", RA_AUTH_STAFF, 0, ra_h_staff_audit, "Audit console (auditors)"},
    {"GET", "staff/users", "", RA_AUTH_STAFF, 0, ra_h_staff_users, "Staff you manage"},
    {"POST", "staff/users", "", RA_AUTH_STAFF, 1, ra_h_staff_user_add, "Create staff"},
    {"PUT", "staff/seal-images/extract", "", RA_AUTH_STAFF, 1, ra_h_staff_seal_image,
     "Seal or signature picture from a specimen scan (reviewer's manual adjustment)"},
    {"POST", "staff/users/*/disable", "login", RA_AUTH_STAFF, 1, ra_h_staff_user_disable,
     "Disable staff"},
    /* ra-kmc */
    {"GET", "orders/*/csr-response", "id", RA_AUTH_USER, 0, ra_h_order_kmc_response,
     "GM/T 0092 CSRResponse of a dual issuance or key recovery (for sealca token import)"},
    {"GET", "staff/recoveries", "", RA_AUTH_STAFF, 0, ra_h_staff_recoveries,
     "Key-recovery queue (officers)"},
    {"POST", "orders/*/recovery", "id", RA_AUTH_STAFF, 1, ra_h_order_recovery,
     "Key-recovery officer's decision (signed)"},
    {"POST", "orders/*/recovery/release", "id", RA_AUTH_STAFF, 1, ra_h_order_recovery_release,
     "Judicial key release to an officer (password-protected PKCS#8)"},
};

const ra_route *ra_routes(size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

void ra_reply(ra_call *c, int status, json_t *j)
{
    char *t = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    c->resp->status = t ? status : 500;
    c->resp->ctype = "application/json; charset=utf-8";
    c->resp->body.len = 0;
    if (t) {
        sc_buf_append(&c->resp->body, t, strlen(t));
        sc_buf_putc(&c->resp->body, '\n');
        free(t);
    }
    http_set_header(c->resp, "Cache-Control", "no-store");
}

void ra_reply_err(ra_call *c, const ra_err *re)
{
    char msg[600];
    ra_message(re, c->lang, msg, sizeof(msg));
    int status = ra_http_status(re);
    if (status >= 500)
        fprintf(stderr, "sealca: api %s %s: %s [%s]\n", c->req->method, c->req->path, re->e.msg,
                re->e.code);
    json_t *err =
        json_pack("{s:s, s:s}", "code", re->e.code[0] ? re->e.code : "internal", "message", msg);
    if (re->field[0]) json_object_set_new(err, "field", json_string(re->field));
    if (strcmp(re->e.code, "auth.locked") == 0) http_set_header(c->resp, "Retry-After", "900");
    if (strcmp(re->e.code, "auth.rate_limited") == 0) http_set_header(c->resp, "Retry-After", "60");
    ra_reply(c, status, json_pack("{s:o}", "error", err));
}

void ra_reply_code(ra_call *c, const char *code, const char *field)
{
    ra_err re = {0};
    ra_fail(&re, SC_EINVAL, code, field, "%s", code);
    ra_reply_err(c, &re);
}

int64_t ra_seg_id(const ra_call *c, int i)
{
    if (i >= c->nseg) return 0;
    const char *s = c->seg[i];
    if (*s == 0 || strlen(s) > 18) return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    return strtoll(s, NULL, 10);
}

int ra_body(ra_call *c, const char *const *allowed)
{
    ra_err re = {0};
    if (c->req->bodylen == 0) {
        c->body = json_object();
        return 0;
    }
    const char *ct = http_header(c->req, "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != 0 && ct[16] != ';' && ct[16] != ' ')) {
        ra_reply_code(c, "request.content_type", "Content-Type");
        return -1;
    }
    if (ra_json_parse(c->req->body, c->req->bodylen, &c->body, &re) != 0 ||
        (allowed != NULL && ra_json_keys(c->body, allowed, &re) != 0)) {
        ra_reply_err(c, &re);
        return -1;
    }
    return 0;
}

static const char *cookie_name(const ra_call *c)
{
    /* browsers accept the __Host- prefix only with Secure, which needs HTTPS */
    return c->req->tls ? "__Host-sealca" : "sealca";
}

void ra_set_cookie(ra_call *c, const char *token)
{
    char v[128];
    snprintf(v, sizeof(v), "%s=%s; Path=/;%s HttpOnly; SameSite=Strict%s", cookie_name(c), token,
             c->req->tls ? " Secure;" : "", *token ? "" : "; Max-Age=0");
    http_set_header(c->resp, "Set-Cookie", v);
}

static void read_cookie(ra_call *c)
{
    c->token[0] = 0;
    const char *h = http_header(c->req, "Cookie");
    if (h == NULL) return;
    const char *name = cookie_name(c);
    size_t nl = strlen(name);
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t l = strcspn(v, "; ");
            if (l < sizeof(c->token)) {
                memcpy(c->token, v, l);
                c->token[l] = 0;
            }
            return;
        }
        p = strchr(p, ';');
    }
}

static ra *thread_ra(api_app *app, ra_err *re)
{
    ra *r = pthread_getspecific(app->ra_key);
    if (r != NULL) return r;
    pthread_mutex_lock(&app->ra_lock);
    ra_shared *sh = app->ra_shared;
    if (sh == NULL) {
        sh = calloc(1, sizeof(*sh));
        if (sh != NULL && (ra_conf_load(app->home, &sh->tmpl, re) != 0 ||
                           ra_catalog_load(app->home, &sh->cat, re) != 0 ||
                           (app->kp != NULL && vault_from_keyproc(app->kp, &sh->v, &re->e) != 0))) {
            ra_catalog_free(sh->cat);
            free(sh);
            sh = NULL;
        }
        /* a home with a KMC (sealca kmc init) serves pin-unlock through it */
        sc_err ke = {0};
        if (sh != NULL && app->kp != NULL && keyproc_kmc_backend(app->kp, &sh->be, &ke) == 0)
            sh->have_kmc = 1;
        app->ra_shared = sh;
    }
    pthread_mutex_unlock(&app->ra_lock);
    if (sh == NULL) {
        ra_fail(re, SC_EIO, "ra.unavailable", NULL, "registration service not configured");
        return NULL;
    }
    pki_ca *ca = api_ca(app, &re->e);
    if (ca == NULL) return NULL;
    r = malloc(sizeof(*r));
    if (r == NULL) return NULL;
    *r = sh->tmpl;
    r->ca = ca;
    r->db = ca->db;
    r->cat = sh->cat;
    r->v = sh->v;
    r->kmc = NULL;
    sc_err ke = {0};
    if (sh->have_kmc && kmc_open(ca, &sh->be, &r->kmc, &ke) != 0) r->kmc = NULL;
    pthread_setspecific(app->ra_key, r);
    return r;
}

void api_ra_thread_free(void *p)
{
    ra *r = p;
    if (r == NULL) return;
    kmc_close(r->kmc);
    free(r);
}

void api_ra_free(api_app *app)
{
    ra_shared *sh = app->ra_shared;
    if (sh == NULL) return;
    ra_catalog_free(sh->cat);
    vault_free(sh->v);
    sc_wipe(&sh->tmpl, sizeof(sh->tmpl));
    free(sh);
    app->ra_shared = NULL;
}

static int split(ra_call *c, const char *rest)
{
    snprintf(c->segbuf, sizeof(c->segbuf), "%s", rest);
    if (strlen(rest) >= sizeof(c->segbuf)) return -1;
    c->nseg = 0;
    char *p = c->segbuf;
    while (*p) {
        if (c->nseg >= 8) return -1;
        c->seg[c->nseg++] = p;
        char *sl = strchr(p, '/');
        if (sl == NULL) break;
        *sl = 0;
        p = sl + 1;
        if (*p == 0) return -1; /* trailing slash */
    }
    return 0;
}

static int match(const ra_call *c, const char *pattern)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", pattern);
    int i = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save), i++) {
        if (i >= c->nseg) return 0;
        if (strcmp(t, "*") == 0) {
            if (c->seg[i][0] == 0) return 0;
        } else if (strcmp(t, c->seg[i]) != 0)
            return 0;
    }
    return i == c->nseg;
}

void api_ra(void *appv, const http_req *req, http_resp *resp)
{
    api_app *app = appv;
    ra_call c;
    memset(&c, 0, sizeof(c));
    c.app = app;
    c.req = req;
    c.resp = resp;
    const char *al = http_header(req, "Accept-Language");
    c.lang = al != NULL && strncasecmp(al, "en", 2) == 0 ? "en" : "zh";
    ra_err re = {0};
    if (split(&c, req->path + strlen("/api/v1/")) != 0) {
        ra_reply_code(&c, "not_found", NULL);
        return;
    }
    const ra_route *rt = NULL;
    int method_seen = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!match(&c, routes[i].pattern)) continue;
        const char *m = req->method;
        if (strcmp(m, "HEAD") == 0) m = "GET";
        if (strcmp(routes[i].method, m) == 0) {
            rt = &routes[i];
            break;
        }
        method_seen = 1;
    }
    if (rt == NULL) {
        if (method_seen) {
            resp->status = 405;
            http_error(resp, 405, "http.method", "method not allowed");
            return;
        }
        ra_reply_code(&c, "not_found", NULL);
        return;
    }
    /* a JSON endpoint refuses other bodies; material uploads and the webhook read their own */
    if (rt->fn != ra_h_material_put && rt->fn != ra_h_staff_seal_image &&
        req->bodylen > API_RA_JSON_MAX) {
        ra_reply_code(&c, "request.too_large", NULL);
        return;
    }
    if ((c.r = thread_ra(app, &re)) == NULL) {
        ra_reply_err(&c, &re);
        return;
    }
    store_release(c.r->db); /* see the newest committed state */
    read_cookie(&c);
    if (rt->auth != RA_AUTH_NONE) {
        if (ra_session_get(c.r, c.token, &c.s, &re) != 0) {
            ra_reply_err(&c, &re);
            return;
        }
        if (rt->auth == RA_AUTH_STAFF && !ra_is_staff(&c.s)) {
            ra_reply_code(&c, "auth.forbidden", NULL);
            return;
        }
        if (rt->csrf && ra_csrf_check(&c.s, http_header(req, "X-CSRF-Token"), &re) != 0) {
            ra_reply_err(&c, &re);
            return;
        }
    }
    rt->fn(&c);
    json_decref(c.body);
    store_release(c.r->db);
}

/* Called by sealca serve's maintenance thread: expiry reminders into the outbox, then delivery
 * of due mail when SMTP is configured (a mail-server outage only delays it). */
int api_ra_maint(api_app *app, int64_t now, sc_err *e)
{
    ra_err re = {0};
    ra *r = thread_ra(app, &re);
    if (r == NULL) {
        /* a home without the registration service: nothing to do */
        return 0;
    }
    int queued = 0;
    if (ra_remind_expiring(r, now, &queued, &re) != 0) {
        *e = re.e;
        return re.e.status;
    }
    notify_conf nc;
    int configured = 0;
    memset(&nc, 0, sizeof(nc));
    if (notify_conf_load(app->home, &nc, &configured, e) != 0) return e->status;
    int rc = 0;
    if (configured) {
        size_t sent = 0;
        rc = notify_deliver(r->db, &nc.smtp, now, &sent, e);
    }
    notify_conf_free(&nc);
    store_release(r->db);
    return rc;
}
