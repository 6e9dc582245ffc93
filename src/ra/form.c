/* form.c - the pre-filled PDFs of an order: the order's fields (whole, for its owner or staff who
 * may see it) handed to ra-files' forms_render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "ra/forms.h"
#include "ra/ra.h"
#include "ra/ra_int.h"

static const char *const forms[] = {"certificate-application.pdf",
                                    "seal-application.pdf",
                                    "service-agreement.pdf",
                                    "ca-agreement.pdf",
                                    "receipt.pdf",
                                    NULL};

int ra_order_form(ra *r, const ra_session *s, int64_t id, const char *form, const char *lang,
                  sc_buf *pdf, ra_err *re)
{
    int ok = 0;
    for (size_t i = 0; forms[i]; i++)
        ok |= form && strcmp(form, forms[i]) == 0;
    if (!ok) return ra_fail(re, SC_ENOTFOUND, "not_found", "form", "no such form");
    ra_order o;
    int rc = ra_order_load(r, s, id, 0, &o, re);
    if (rc != 0) return rc;
    /* every field as text; the strings live in vals until the form is drawn */
    forms_kv kv[FORMS_MAX_FIELDS];
    char *vals[FORMS_MAX_FIELDS];
    size_t n = 0;
    const char *k;
    json_t *v;
    RA_OBJ_EACH(o.f, k, v)
    {
        if (n + 8 >= FORMS_MAX_FIELDS) break;
        char buf[64];
        const char *t = NULL;
        if (json_is_string(v))
            t = json_string_value(v);
        else if (json_is_boolean(v))
            t = json_is_true(v) ? "true" : "false";
        else if (json_is_integer(v)) {
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
            t = buf;
        }
        if (t == NULL) continue;
        vals[n] = strdup(t);
        kv[n].key = k;
        kv[n].value = vals[n];
        n++;
    }
    char price[32], created[32];
    snprintf(price, sizeof(price), "%lld", (long long)o.price_fen);
    snprintf(created, sizeof(created), "%lld", (long long)o.created_at);
    const char *fixed[][2] = {{"business", o.b->key},
                              {"subject_kind", o.subject_kind},
                              {"price_fen", price},
                              {"order_no", o.order_no},
                              {"created_at", created},
                              {"ca_name", r->ca->name},
                              {"service_point", o.service_point}};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        vals[n] = strdup(fixed[i][1]);
        kv[n].key = fixed[i][0];
        kv[n].value = vals[n];
        n++;
    }
    char fname[48];
    snprintf(fname, sizeof(fname), "%.*s", (int)(strlen(form) - 4), form);
    const char *lg = lang != NULL && strncmp(lang, "en", 2) == 0 ? "en" : "zh-CN";
    rc = forms_render(fname, kv, n, lg, pdf, &re->e);
    for (size_t i = 0; i < n; i++)
        free(vals[i]);
    /* a printed form carries whole ID numbers and phones: a staff member's print is audited */
    if (rc == 0 && ra_is_staff(s) && (rc = store_tx_begin(r->db, &re->e)) == 0) {
        char obj[48];
        snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
        if ((rc = audit_append(r->db, s->actor, "ra.form", obj, "ok", fname, &re->e)) != 0)
            store_tx_rollback(r->db);
        else
            rc = store_tx_commit(r->db, &re->e);
    }
    ra_order_free(&o);
    return rc;
}
