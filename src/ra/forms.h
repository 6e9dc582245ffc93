/* forms.h - pre-filled PDFs for printing, stamping and signing: the two application forms with the
 * seal specimen sheet, the two agreements, and the order receipt (cairo + pango, CJK font
 * embedded).
 */
#ifndef SEALCA_RA_FORMS_H
#define SEALCA_RA_FORMS_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

#define FORMS_MAX_FIELDS 160
#define FORMS_MAX_VALUE  2000 /* bytes of one value */

typedef struct forms_kv {
    const char *key;
    const char *value;
} forms_kv;

/*
 * Render form into pdf (appended). form: certificate-application | seal-application |
 * service-agreement | ca-agreement | receipt; lang "zh-CN" or "en". kv: the order fields of
 * ra-contract (values as text; absent or "" = blank on the form, as the applicant would leave it):
 * business, subject_kind, medium, years, quantity, price_fen, created_at (epoch seconds or ISO
 * 8601), auth_from/auth_to (YYYY-MM-DD), declarations_accepted/price_confirmed ("true"/"1"), …
 * Optional presentation keys: ca_name (乙方 of the CA agreement), service_company (本公司 of the
 * service agreement), service_point_name, hotline, ship_by (YYYY-MM-DD, receipt).
 * Dates are shown in Asia/Shanghai, money in yuan from integer fen.
 * Errors: SC_ENOTFOUND "forms.unknown_form", SC_EINVAL "forms.bad_lang" / "forms.bad_value"
 * (invalid UTF-8, control characters, over FORMS_MAX_VALUE) / "forms.too_many",
 * SC_EINTERNAL "forms.render".
 */
int forms_render(const char *form, const forms_kv *kv, size_t n, const char *lang, sc_buf *pdf,
                 sc_err *e);

/* Release the font caches of fontconfig, pango and cairo (process exit, so leak checkers see
 * nothing left behind). No form may be rendering, and none after. */
void forms_cleanup(void);

#endif
