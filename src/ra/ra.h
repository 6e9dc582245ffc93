/* ra.h - the registration service: accounts, staff, sessions, catalog, orders and their one
 * state machine, review, payment, fulfilment through the CA core, certificate services. */
#ifndef SEALCA_RA_H
#define SEALCA_RA_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "pki/pki.h"
#include "store/store.h"

/*
 * Errors: every ra_* function fills an ra_err: the sc_err (stable code + English message) and,
 * when one request field is at fault, its name. The HTTP layer turns the code into the Chinese
 * or English message (ra_message) and the status (ra_http_status).
 */
typedef struct ra_err {
    sc_err e;
    char field[48];
} ra_err;
int ra_fail(ra_err *re, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Chinese (lang "zh") or English text for an error; never NULL. */
const char *ra_message(const ra_err *re, const char *lang, char *buf, size_t bufsz);
int ra_http_status(const ra_err *re);

/* ---- JSON request decoding (ra/json.c) ---- */
/* jansson's iteration as plain for loops (cppcheck does not know jansson's foreach macros) */
#define RA_OBJ_EACH(obj, key, val)                                                                 \
    for (void *ra_it_ = json_object_iter(obj);                                                     \
         ra_it_ &&                                                                                 \
         ((key) = json_object_iter_key(ra_it_), (val) = json_object_iter_value(ra_it_), 1);        \
         ra_it_ = json_object_iter_next((obj), ra_it_))
#define RA_ARR_EACH(arr, idx, val)                                                                 \
    for ((idx) = 0; (idx) < json_array_size(arr) && ((val) = json_array_get((arr), (idx)), 1);     \
         (idx)++)
#define RA_JSON_MAX (64 * 1024)
/* Parse a request body: UTF-8, no duplicate keys, an object at the top, at most RA_JSON_MAX
 * bytes and 16 levels deep. *out is owned by the caller (json_decref). */
int ra_json_parse(const uint8_t *body, size_t len, json_t **out, ra_err *re);
/* Only keys in allowed (NULL-terminated) may appear: field.unknown names the first other. */
int ra_json_keys(json_t *o, const char *const *allowed, ra_err *re);
/* A string member: absent -> *out = NULL (0), wrong type -> field.type, longer than max bytes
 * -> field.too_long, control characters -> field.bad_char. */
int ra_json_str(json_t *o, const char *key, size_t max, const char **out, ra_err *re);
int ra_json_int(json_t *o, const char *key, int64_t min, int64_t max, int64_t *out, int *present,
                ra_err *re);
int ra_json_bool(json_t *o, const char *key, int *out, int *present, ra_err *re);

/* ---- context ---- */
typedef struct vault vault;
typedef struct ra_catalog ra_catalog;
typedef struct kmc kmc;

typedef struct ra {
    pki_ca *ca; /* the thread's CA handle (its store is ra->db) */
    store *db;
    vault *v;              /* personal data and materials at rest */
    kmc *kmc;              /* the home's KMC (pin-unlock), NULL when it has none */
    const ra_catalog *cat; /* shared, read-only */
    uint8_t webhook_key[64];
    size_t webhook_keylen;
    int64_t session_idle, session_max; /* seconds */
    int64_t clock_offset;              /* test builds: SEALCA_RA_CLOCK_OFFSET seconds */
} ra;

/* The home's RA settings (ra.conf) into r (keys, session limits). */
int ra_conf_load(const char *home, ra *r, ra_err *re);
/* Create ra.conf (fresh lookup and webhook keys) and ra-catalog.json (demo data) in a home if
 * absent; install the staff certificate profile. */
int ra_home_init(pki_ca *ca, ra_err *re);
int64_t ra_now(const ra *r);

/* ---- catalog (ra/catalog.c) ---- */
int ra_catalog_load(const char *home, ra_catalog **out, ra_err *re);
void ra_catalog_free(ra_catalog *c);
/* The catalog as served by GET /api/v1/catalog (owned by c). */
const char *ra_catalog_json(const ra_catalog *c, size_t *len);

enum {
    RA_KIND_ORG = 1,
    RA_KIND_LEGAL = 2,
    RA_KIND_COST = 4,
    RA_KIND_EXPERT = 8,
    RA_KIND_OTHER = 16
};
#define RA_KIND_PERSONS (RA_KIND_LEGAL | RA_KIND_COST | RA_KIND_EXPERT | RA_KIND_OTHER)
#define RA_KIND_ALL     (RA_KIND_ORG | RA_KIND_PERSONS)

/* What completing an order does to certificates. */
typedef enum ra_effect {
    RA_FX_ISSUE,   /* new certificate */
    RA_FX_RENEW,   /* new certificate, old one superseded */
    RA_FX_CHANGE,  /* applicant completes: new certificate, old one superseded */
    RA_FX_REPLACE, /* old revoked (key lost), new key shipped */
    RA_FX_REVOKE,  /* revoked (cessation) */
    RA_FX_RESUME,  /* hold released */
    RA_FX_KMC,     /* pin-unlock, key-recovery: through the KMC */
    RA_FX_SEAL,    /* seal-change, seal-redo: through the seal service */
    RA_FX_SUSPEND, /* certificateHold at once (not an order) */
} ra_effect;

/* One row per business type: THE table that says what each one needs. */
typedef struct ra_business {
    const char *key, *zh, *en;
    unsigned kinds;                       /* subject kinds it applies to */
    int needs_cert;                       /* acts on an existing certificate of the applicant */
    int needs_pop;                        /* proof of possession of that certificate's key */
    int needs_reason;                     /* rekey_reason required */
    int needs_review;                     /* submitted -> approved by a reviewer */
    int needs_payment;                    /* approved -> paid */
    int needs_shipping;                   /* fulfilled by shipping a key (or pick-up) */
    int needs_csr;                        /* completion issues a certificate */
    int renew_window;                     /* only from 30 days before expiry */
    const char *price_org, *price_person; /* price keys, NULL = free */
    ra_effect effect;
    int dual; /* with a KMC in the home: signing + encryption certificate (CSRResponse) */
} ra_business;
const ra_business *ra_business_get(const char *key);
const ra_business *ra_business_at(size_t i); /* NULL past the end */
/* subject kind key -> RA_KIND_* (0 when unknown) */
unsigned ra_kind_parse(const char *key);
int64_t ra_catalog_price(const ra_catalog *c, const char *key); /* -1 when unknown */
int ra_catalog_has_point(const ra_catalog *c, const char *id);
/* Material kinds (NULL-terminated keys) an order of this business and kind must carry. */
size_t ra_materials_needed(const ra_business *b, unsigned kind, const char **out, size_t max);
const int32_t *ra_catalog_holidays(const ra_catalog *c, size_t *n);

/* ---- accounts, sessions, staff (ra/account.c) ---- */
typedef enum ra_role {
    RA_ROLE_APPLICANT = 0,
    RA_ROLE_SUPER_ADMIN,
    RA_ROLE_AUDIT_ADMIN,
    RA_ROLE_BUSINESS_ADMIN,
    RA_ROLE_OPERATOR,
    RA_ROLE_AUDITOR,
} ra_role;
/* RA_DUTY_RECOVERY: key-recovery officer (密钥恢复审批人), appointed by a business administrator */
enum {
    RA_DUTY_ENTRY = 1,
    RA_DUTY_REVIEW = 2,
    RA_DUTY_PRODUCTION = 4,
    RA_DUTY_QUERY = 8,
    RA_DUTY_RECOVERY = 16
};
const char *ra_role_name(ra_role r);
int ra_role_parse(const char *s, ra_role *out);
int ra_duties_parse(const char *s, unsigned *out); /* "entry,review" */
void ra_duties_format(unsigned d, char *out, size_t outsz);

typedef struct ra_account {
    int64_t id;
    ra_role role;
    unsigned duties;
    char login[64]; /* staff */
    char name[128];
    char email[128];
    char phone[24]; /* whole (unsealed) */
    char service_point[32];
    char cert_serial[33];
    int disabled;
    int64_t created_at;
} ra_account;

typedef struct ra_session {
    ra_account acct;
    char csrf[48];
    char actor[80]; /* "account:17" or "staff:op1" for the audit log */
} ra_session;

int ra_account_register(ra *r, const char *phone, const char *email, const char *password,
                        const char *name, int64_t *id, ra_err *re);
/* Log in an applicant. source = client address (rate limiting). token receives the cookie
 * value (44 chars + NUL), csrf the CSRF token. */
int ra_login(ra *r, const char *login, const char *password, const char *source, char token[48],
             ra_session *out, ra_err *re);
/* Staff: a one-use challenge for login, then password + signature by the staff certificate. */
int ra_staff_challenge(ra *r, const char *login, char out[48], int64_t *expires, ra_err *re);
int ra_staff_login(ra *r, const char *login, const char *password, const char *challenge,
                   const char *sig_b64, const char *cert_pem, const char *source, char token[48],
                   ra_session *out, ra_err *re);
/* The session of a cookie value; refreshes last_seen. auth.required when none/expired. */
int ra_session_get(ra *r, const char *token, ra_session *out, ra_err *re);
int ra_session_end(ra *r, const char *token, int everywhere, ra_err *re);
/* 0 when csrf matches the session's token (constant time), csrf.invalid otherwise. */
int ra_csrf_check(const ra_session *s, const char *csrf, ra_err *re);
int ra_account_get(ra *r, int64_t id, ra_account *out, ra_err *re);
/* The applicant with this phone; created (no password) when absent (counter entry). */
int ra_account_for_phone(ra *r, const char *phone, const char *email, const char *name,
                         const char *actor, int64_t *id, ra_err *re);

/* Staff administration. creator NULL = the CLI (init-admins). The certificate is issued by the
 * CA from pub; out_cert receives its DER. */
typedef struct ra_staff_new {
    const char *login, *name, *password;
    ra_role role;
    unsigned duties;
    const char *service_point;
    sc_key *pub;
} ra_staff_new;
int ra_staff_add(ra *r, const ra_session *creator, const ra_staff_new *n, int64_t *id,
                 sc_buf *out_cert, ra_err *re);
int ra_staff_disable(ra *r, const ra_session *actor, const char *login, ra_err *re);
/* Calls fn for each staff member the actor may manage (NULL actor = all). */
int ra_staff_list(ra *r, const ra_session *actor, int (*fn)(void *, const ra_account *), void *arg,
                  ra_err *re);
/* The login message a staff certificate signs: "sealca-staff-login:" login ":" challenge. */
void ra_staff_login_msg(const char *login, const char *challenge, sc_buf *out);
/* Verify a signed staff action: payload signed by the session's staff certificate, fresh, for
 * this action and object. On success *pl is the parsed payload (caller decrefs). */
int ra_signed_action(ra *r, const ra_session *s, const char *payload, const char *sig_b64,
                     const char *action, int64_t object, json_t **pl, ra_err *re);
/* Re-verify a stored signed action from an audit detail (auditor console): 1 ok, 0 bad. */
int ra_signed_verify_detail(ra *r, const char *detail);

int ra_has_duty(const ra_session *s, unsigned duty);
int ra_is_staff(const ra_session *s);

/* ---- orders (ra/order.c) ---- */
typedef enum ra_state {
    RA_DRAFT = 0,
    RA_SUBMITTED,
    RA_RETURNED,
    RA_APPROVED,
    RA_PAID,
    RA_FULFILLING,
    RA_SHIPPED,
    RA_COMPLETED,
    RA_REJECTED,
    RA_CANCELLED,
    RA_STATE_COUNT
} ra_state;
const char *ra_state_name(ra_state s);
const char *ra_state_zh(ra_state s);
int ra_state_parse(const char *s, ra_state *out);

/* Events that move an order; the table in order.c says from which states, to which state,
 * and which business types skip which steps. */
typedef enum ra_event {
    RA_EV_SUBMIT,
    RA_EV_APPROVE,
    RA_EV_RETURN,
    RA_EV_REJECT,
    RA_EV_PAY,
    RA_EV_FULFIL, /* certificate issued / action done, something to hand over */
    RA_EV_SHIP,
    RA_EV_PICKUP,
    RA_EV_COMPLETE,
    RA_EV_CANCEL,
    RA_EV_DECLINE, /* a key-recovery officer rejected the recovery: the order ends rejected */
} ra_event;
/* The state an event leads to from `from` for business b, or -1 when illegal. */
int ra_transition(const ra_business *b, ra_state from, ra_event ev);

int ra_order_create(ra *r, const ra_session *s, json_t *req, int64_t account_id, int64_t *id,
                    char order_no[32], ra_err *re);
/* Order JSON as the API shows it. staff: personal fields masked. */
int ra_order_get(ra *r, const ra_session *s, int64_t id, json_t **out, ra_err *re);
int ra_order_list(ra *r, const ra_session *s, const char *state, const char *service_point,
                  int64_t limit, json_t **out, ra_err *re);
int ra_order_patch(ra *r, const ra_session *s, int64_t id, json_t *req, ra_err *re);
int ra_order_submit(ra *r, const ra_session *s, int64_t id, ra_err *re);
int ra_order_cancel(ra *r, const ra_session *s, int64_t id, const char *reason, ra_err *re);
int ra_order_review(ra *r, const ra_session *s, int64_t id, const char *payload,
                    const char *sig_b64, ra_err *re);
int ra_order_reveal(ra *r, const ra_session *s, int64_t id, const char *field, char *out,
                    size_t outsz, ra_err *re);
int ra_order_csr(ra *r, const ra_session *s, int64_t id, const char *pem, ra_err *re);
/* Counter entry (signed): creates the applicant account if needed and a draft order. */
int ra_counter_entry(ra *r, const ra_session *s, const char *payload, const char *sig_b64,
                     int64_t *id, char order_no[32], ra_err *re);

/* materials */
#define RA_MATERIAL_MAX  (10 * 1024 * 1024)
#define RA_ORDER_MAT_MAX (50 * 1024 * 1024)
int ra_material_put(ra *r, const ra_session *s, int64_t id, const char *kind, const uint8_t *data,
                    size_t len, json_t **out, ra_err *re);
/* The latest (version 0) or a given version; *mime static. */
int ra_material_get(ra *r, const ra_session *s, int64_t id, const char *kind, int64_t version,
                    sc_buf *out, const char **mime, ra_err *re);

/* agreements */
int ra_agreement_accept(ra *r, const ra_session *s, const char *key, const char *version,
                        int64_t order_id, ra_err *re);

/* ---- payment, fulfilment, certificates (ra/fulfil.c) ---- */
int ra_payment_mark(ra *r, const ra_session *s, int64_t id, const char *method, int64_t amount,
                    const char *reference, ra_err *re);
int ra_invoice_set(ra *r, const ra_session *s, int64_t id, const char *state, const char *no,
                   ra_err *re);
/* Verify and apply a gateway notification. sig_header: "hmac-sha256=HEX" | "hmac-sm3=HEX". */
int ra_webhook(ra *r, const char *timestamp, const char *sig_header, const uint8_t *body,
               size_t len, ra_err *re);
/* The MAC the gateway must send (for tests and documentation). */
void ra_webhook_mac(const ra *r, int sm3, const char *timestamp, const uint8_t *body, size_t len,
                    char hex[65]);
/* Production: issue the order's certificate from csr_pem (or the uploaded CSR). */
int ra_order_issue(ra *r, const ra_session *s, int64_t id, const char *csr_pem, json_t **out,
                   ra_err *re);
int ra_order_ship(ra *r, const ra_session *s, int64_t id, const char *carrier, const char *tracking,
                  ra_err *re);
int ra_order_pickup(ra *r, const ra_session *s, int64_t id, const char *who, ra_err *re);
/* Applicant confirms receipt, or completes an approved change order (uploaded CSR). */
int ra_order_complete(ra *r, const ra_session *s, int64_t id, ra_err *re);

/* pin-unlock: answer the holder's token unlock request (DER) for an approved order through the
 * KMC; the order completes. answer receives the DER answer for `sealca token unlock`. */
int ra_order_unlock(ra *r, const ra_session *s, int64_t id, const uint8_t *req, size_t reqlen,
                    const char *new_pin, sc_buf *answer, ra_err *re);

/* ---- the KMC side of orders (ra/kmcflow.c) ---- */
/* The GM/T 0092 CSRResponse of an order (dual issuance, damaged-key recovery) as
 * {"response": base64 DER, "sign_serial", "enc_serial"}; the applicant's own orders and staff. */
int ra_order_kmc_response(ra *r, const ra_session *s, int64_t id, json_t **out, ra_err *re);
/* Key-recovery officers: the queue of recovery requests. */
int ra_recovery_queue(ra *r, const ra_session *s, json_t **out, ra_err *re);
/* An officer's signed decision {"action":"recovery","order":id,"at","decision":"approve"|
 * "reject","reason"} on the order's KMC recovery request: two different officers, neither the
 * requester (the reviewer who approved the order). */
int ra_recovery_decide(ra *r, const ra_session *s, int64_t id, const char *payload,
                       const char *sig_b64, json_t **out, ra_err *re);
/* Judicial recovery: the key as password-protected PKCS#8 PEM to an officer, once. */
int ra_recovery_release_judicial(ra *r, const ra_session *s, int64_t id, const char *pass,
                                 sc_buf *pem, ra_err *re);

int ra_cert_list(ra *r, const ra_session *s, json_t **out, ra_err *re);
int ra_cert_challenge(ra *r, const ra_session *s, const char *serial, char out[48],
                      int64_t *expires, ra_err *re);
/* The bytes a certificate key signs for proof of possession. */
void ra_pop_msg(const char *serial, const char *challenge, sc_buf *out);
int ra_cert_suspend(ra *r, const ra_session *s, const char *serial, const char *reason, ra_err *re);
/* form: certificate-application.pdf | seal-application.pdf | service-agreement.pdf |
 * ca-agreement.pdf | receipt.pdf; lang "zh"/"zh-CN" or "en". */
int ra_order_form(ra *r, const ra_session *s, int64_t id, const char *form, const char *lang,
                  sc_buf *pdf, ra_err *re);
int ra_cert_pem_for_order(ra *r, const ra_session *s, int64_t id, json_t **out, ra_err *re);

/* 24-hour revocation dashboard */
int ra_revocations(ra *r, const ra_session *s, json_t **out, ra_err *re);
/* Audit console (auditors): events after seq with signature checks. */
int ra_audit_view(ra *r, const ra_session *s, int64_t after, int64_t limit, json_t **out,
                  ra_err *re);
/* Expiry reminders at 30/7/1 days, queued in the notify outbox; *queued counts them. */
int ra_remind_expiring(ra *r, int64_t now, int *queued, ra_err *re);

/* Personal data at rest (vault), and the lookup hash of a phone number. */
int ra_seal(ra *r, const char *label, const char *text, sc_buf *out, ra_err *re);
int ra_unseal(ra *r, const char *label, const uint8_t *ct, size_t n, sc_buf *out, ra_err *re);
/* HMAC-SM3(lookup key, phone) in hex, the key in the key process while serving (vault). */
int ra_phone_idx(const ra *r, const char *phone, char out[65], ra_err *re);
/* Move the lookup key out of ra.conf (homes made before it lived in the key store): written to
 * keys/lookup.key encrypted under the passphrase with the same value (stored phone hashes keep
 * matching), then removed from ra.conf, audited; a home with ra.conf and no lookup key anywhere
 * gets a fresh one. Needs ca->pass when there is work; *moved (may be NULL) is 1 when a key was
 * moved. sealca ra init / user … and sealca serve (before the key process starts) call it. */
int ra_lookup_key_migrate(pki_ca *ca, const char *actor, int *moved, ra_err *re);

#endif
