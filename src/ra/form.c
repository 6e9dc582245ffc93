/* form.c - the pre-filled PDFs of an order (forms_render of ra/forms.c, when present). */
#include <stdio.h>
#include <string.h>

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
    (void)lang;
    (void)pdf;
    ra_order_free(&o);
    return ra_fail(re, SC_ESTATE, "order.not_implemented", "form",
                   "PDF forms need ra/forms.c (branch ra-files), not merged yet");
}
