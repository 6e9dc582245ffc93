/* ra_kmc.c - the KMC side of orders over HTTP: the applicant's CSRResponse download, the
 * key-recovery officers' queue, their signed decisions and the judicial release. */
#include <string.h>

#include "api/ra_api.h"

void ra_h_order_kmc_response(ra_call *c)
{
    int64_t id = ra_seg_id(c, 1);
    if (id <= 0) {
        ra_reply_code(c, "not_found", NULL);
        return;
    }
    ra_err re = {0};
    json_t *out = NULL;
    if (ra_order_kmc_response(c->r, &c->s, id, &out, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, out);
}

void ra_h_staff_recoveries(ra_call *c)
{
    ra_err re = {0};
    json_t *out = NULL;
    if (ra_recovery_queue(c->r, &c->s, &out, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, out);
}

void ra_h_order_recovery(ra_call *c)
{
    int64_t id = ra_seg_id(c, 1);
    if (id <= 0) {
        ra_reply_code(c, "not_found", NULL);
        return;
    }
    static const char *const keys[] = {"payload", "signature", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *payload, *sig;
    json_t *out = NULL;
    if (ra_json_str(c->body, "payload", 60000, &payload, &re) != 0 ||
        ra_json_str(c->body, "signature", 512, &sig, &re) != 0 ||
        ra_recovery_decide(c->r, &c->s, id, payload, sig, &out, &re) != 0) {
        ra_reply_err(c, &re);
        return;
    }
    ra_reply(c, 200, out);
}

void ra_h_order_recovery_release(ra_call *c)
{
    int64_t id = ra_seg_id(c, 1);
    if (id <= 0) {
        ra_reply_code(c, "not_found", NULL);
        return;
    }
    static const char *const keys[] = {"password", NULL};
    if (ra_body(c, keys) != 0) return;
    ra_err re = {0};
    const char *pass;
    sc_buf pem = {0};
    if (ra_json_str(c->body, "password", 128, &pass, &re) != 0 ||
        ra_recovery_release_judicial(c->r, &c->s, id, pass, &pem, &re) != 0) {
        sc_buf_wipe(&pem);
        ra_reply_err(c, &re);
        return;
    }
    sc_buf_putc(&pem, 0);
    ra_reply(c, 200,
             json_pack("{s:s, s:s}", "pkcs8", (const char *)pem.p, "format",
                       "encrypted PKCS#8 PEM (the password given)"));
    sc_buf_wipe(&pem);
}
