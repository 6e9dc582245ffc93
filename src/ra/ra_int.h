/* ra_int.h - helpers shared by the files of src/ra (not part of the module's contract). */
#ifndef SEALCA_RA_INT_H
#define SEALCA_RA_INT_H

#include "ra/pw.h"
#include "ra/ra.h"

#define RA_STAFF_PROFILE "ra-staff"

int ra_email_check(const char *s, const char *field, ra_err *re);
int ra_mobile_check(const char *s, const char *field, ra_err *re);
int ra_challenge_new(ra *r, const char *purpose, const char *subject, int64_t life, char out[48],
                     int64_t *expires, ra_err *re);
int ra_challenge_take(ra *r, const char *purpose, const char *subject, const char *ch, ra_err *re);
/* The audit detail of a signed staff action (NUL-terminated JSON in out). */
int ra_signed_detail(const ra_session *s, const char *payload, const char *sig_b64, sc_buf *out);

extern const char ra_catalog_demo[];
const char *ra_material_label(const char *kind, int en);
const char *ra_catalog_agreement(const ra_catalog *c, const char *key);
/* Required order fields of a business type and subject kind (handling adds the return
 * address and phone for "mail"). */
size_t ra_required_fields(const ra_business *b, unsigned kind, const char *handling,
                          const char **out, size_t max);

/* An order as loaded from the store (order.c). */
typedef struct ra_order {
    int64_t id, account_id, entry_staff, price_fen;
    char order_no[32];
    const ra_business *b;
    unsigned kind;
    char subject_kind[32];
    ra_state state;
    char service_point[32];
    char certificate[33];
    json_t *f; /* every form field, personal ones unsealed */
    json_t *review;
    int has_csr;
    char pay_state[16], pay_method[24], invoice_state[16], invoice_no[64];
    char carrier[64], tracking_no[64];
    int64_t paid_at, shipped_at, promise_by, submitted_at, created_at, updated_at;
} ra_order;
void ra_order_free(ra_order *o);
/* Load an order the session may see (404 for other applicants' orders, 403 for staff without
 * a duty that covers it). write = 1 for changes. */
int ra_order_load(ra *r, const ra_session *s, int64_t id, int write, ra_order *o, ra_err *re);
/* Move an order by an event inside the caller's transaction: the table decides the target,
 * the row changes only if still in o->state, the event and the audit record are written. */
int ra_order_move(ra *r, ra_order *o, ra_event ev, const char *actor, const char *reason,
                  const char *audit_detail, ra_err *re);
/* Issue the order's certificate from a public key (fulfil.c); records ownership. */
int ra_issue_for(ra *r, ra_order *o, sc_key *pub, const char *actor, cert_info *out, ra_err *re);
/* Pieces of issuance shared with the KMC flow (fulfil.c): the subject and identity an order's
 * certificate carries (ident_buf holds a previous certificate's identity), its validity in
 * years, the ownership row, the uploaded CSR, a revocation inside the caller's transaction. */
const char *ra_profile_base(unsigned kind);
int ra_order_subject(ra *r, ra_order *o, char subject[700], char ident_buf[64], const char **uscc,
                     const char **idn, ra_err *re);
int ra_order_years(const ra_order *o);
int ra_cert_record(ra *r, ra_order *o, const char *serial, const char *subject, const char *ident,
                   ra_err *re);
int ra_order_csr_text(ra *r, ra_order *o, sc_buf *out, ra_err *re);
int ra_retire_in_tx(ra *r, const char *serial, int reason, const char *actor, ra_err *re);
/* kmcflow.c: production of an order through the KMC (dual issuance, reissue, damaged-key
 * recovery). *handled = 0 when the order is not one of these (signing-only issuance follows). */
int ra_kmc_issue(ra *r, const ra_session *s, ra_order *o, const char *csr_pem, json_t **out,
                 int *handled, ra_err *re);
/* order.c's review calls these for key-recovery orders: before the approval transaction the KMC
 * recovery request (requester: the reviewer), inside it the link from the order. */
int ra_recovery_open(ra *r, ra_order *o, const char *requester, int64_t *rec_id, char enc[33],
                     ra_err *re);
int ra_recovery_link(ra *r, ra_order *o, int64_t rec_id, const char *enc, const char *actor,
                     ra_err *re);
void ra_recovery_abandon(ra *r, int64_t rec_id);
/* The KMC facts of an order for its JSON (NULL when none). */
json_t *ra_order_kmc_json(ra *r, ra_order *o);
/* Apply the effect of an approved order that completes without production (revoke, resume). */
int ra_order_effect(ra *r, ra_order *o, const char *actor, ra_err *re);

/* Check the form fields of patch and merge them into all (every field re-checked after). */
int ra_fields_merge(ra *r, json_t *all, json_t *patch, ra_err *re);
int ra_seal_bytes(ra *r, const char *label, const uint8_t *p, size_t n, sc_buf *out, ra_err *re);
json_t *ra_order_json(ra *r, const ra_session *s, ra_order *o, ra_err *re);
int ra_pop_check(ra *r, const char *serial, json_t *pop, ra_err *re);
/* ra-renew: a renewal of a certificate with active seals (fulfil.c). The seals to renew (those of
 * the order's certificate, with their pictures) and, once issued, the seals of the new
 * certificate, for the order JSON; NULL when the order is not a renewal. */
json_t *ra_renew_seals_json(ra *r, const ra_order *o, const char *which);
/* The holder must approve keeping the same seal image (seal_keep_image) when the certificate has
 * active seals; *count (may be NULL) receives how many. */
int ra_renew_seals_check(ra *r, const ra_order *o, int *count, ra_err *re);

#endif
