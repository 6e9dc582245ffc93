/* ra_api.h - what the registration service handlers (api/ra_*.c) share: the call context, the
 * JSON and error replies, sessions and CSRF, and the route table. */
#ifndef SEALCA_RA_API_H
#define SEALCA_RA_API_H

#include "api/api.h"
#include "ra/ra.h"

typedef struct ra_call {
    api_app *app;
    ra *r;
    const http_req *req;
    http_resp *resp;
    const char *lang; /* "zh" or "en" */
    ra_session s;
    char token[48]; /* the session cookie's value */
    const char *seg[8];
    int nseg;
    char segbuf[512];
    json_t *body; /* parsed JSON body (NULL when none) */
} ra_call;

/* Reply with j (stolen) and status. */
void ra_reply(ra_call *c, int status, json_t *j);
void ra_reply_err(ra_call *c, const ra_err *re);
void ra_reply_code(ra_call *c, const char *code, const char *field);
/* Path segment i as a positive id (0 when not a number). */
int64_t ra_seg_id(const ra_call *c, int i);
/* The body as a JSON object (an empty body is {}); 0 or an error reply was sent. */
int ra_body(ra_call *c, const char *const *allowed);
/* Set the session cookie (token "" clears it). */
void ra_set_cookie(ra_call *c, const char *token);

/* handlers */
void ra_h_catalog(ra_call *c);
void ra_h_openapi(ra_call *c);
void ra_h_register(ra_call *c);
void ra_h_login(ra_call *c);
void ra_h_session(ra_call *c);
void ra_h_logout(ra_call *c);
void ra_h_logout_all(ra_call *c);
void ra_h_agreement(ra_call *c);
void ra_h_staff_challenge(ra_call *c);
void ra_h_staff_login(ra_call *c);

void ra_h_order_create(ra_call *c);
void ra_h_order_list(ra_call *c);
void ra_h_order_get(ra_call *c);
void ra_h_order_patch(ra_call *c);
void ra_h_material_put(ra_call *c);
void ra_h_material_get(ra_call *c);
void ra_h_order_submit(ra_call *c);
void ra_h_order_cancel(ra_call *c);
void ra_h_order_csr(ra_call *c);
void ra_h_order_complete(ra_call *c);
void ra_h_order_form(ra_call *c);
void ra_h_order_certs(ra_call *c);
void ra_h_order_review(ra_call *c);
void ra_h_order_payment(ra_call *c);
void ra_h_order_invoice(ra_call *c);
void ra_h_order_issue(ra_call *c);
void ra_h_order_ship(ra_call *c);
void ra_h_order_pickup(ra_call *c);
void ra_h_order_unlock(ra_call *c);

void ra_h_cert_list(ra_call *c);
void ra_h_cert_challenge(ra_call *c);
void ra_h_cert_suspend(ra_call *c);
void ra_h_webhook(ra_call *c);

void ra_h_staff_orders(ra_call *c);
void ra_h_staff_order(ra_call *c);
void ra_h_staff_reveal(ra_call *c);
void ra_h_staff_counter(ra_call *c);
void ra_h_staff_point_orders(ra_call *c);
void ra_h_staff_revocations(ra_call *c);
void ra_h_staff_audit(ra_call *c);
void ra_h_staff_users(ra_call *c);
void ra_h_staff_user_add(ra_call *c);
void ra_h_staff_user_disable(ra_call *c);
void ra_h_staff_seal_image(ra_call *c);
/* ra_kmc.c */
void ra_h_order_kmc_response(ra_call *c);
void ra_h_staff_recoveries(ra_call *c);
void ra_h_order_recovery(ra_call *c);
void ra_h_order_recovery_release(ra_call *c);

enum { RA_AUTH_NONE = 0, RA_AUTH_USER = 1, RA_AUTH_STAFF = 2 };
typedef struct ra_route {
    const char *method;
    const char *pattern; /* segments after /api/v1/, '*' = a parameter */
    const char *params;  /* names of the parameters, for the OpenAPI document */
    int auth;
    int csrf; /* state-changing with a session: X-CSRF-Token required */
    void (*fn)(ra_call *c);
    const char *summary;
} ra_route;
const ra_route *ra_routes(size_t *n);

#endif
