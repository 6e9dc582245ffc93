/* order.c - orders: every field of the guide's two forms with their checks, the one state
 * machine table, submission, review, counter entry, materials and agreement acceptance. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "pki/ident.h"
#include "ra/material.h"
#include "ra/ra.h"
#include "ra/ra_int.h"

/* ---- the state machine: one table ---- */

#define S(x) (1u << (x))
static const struct {
    ra_event ev;
    unsigned from; /* states the event is legal in */
    ra_state to;
    const char *name;
} fsm[] = {
    {RA_EV_SUBMIT, S(RA_DRAFT) | S(RA_RETURNED), RA_SUBMITTED, "submit"},
    {RA_EV_APPROVE, S(RA_SUBMITTED), RA_APPROVED, "approve"},
    {RA_EV_RETURN, S(RA_SUBMITTED), RA_RETURNED, "return"},
    {RA_EV_REJECT, S(RA_SUBMITTED), RA_REJECTED, "reject"},
    {RA_EV_PAY, S(RA_APPROVED), RA_PAID, "pay"},
    {RA_EV_FULFIL, S(RA_PAID), RA_FULFILLING, "fulfil"},
    {RA_EV_SHIP, S(RA_FULFILLING), RA_SHIPPED, "ship"},
    {RA_EV_PICKUP, S(RA_FULFILLING), RA_COMPLETED, "pickup"},
    {RA_EV_COMPLETE, S(RA_SHIPPED), RA_COMPLETED, "complete"},
    {RA_EV_CANCEL, S(RA_DRAFT) | S(RA_RETURNED) | S(RA_SUBMITTED) | S(RA_APPROVED), RA_CANCELLED,
     "cancel"},
    {RA_EV_DECLINE, S(RA_APPROVED) | S(RA_PAID), RA_REJECTED, "decline"},
};

/* Business types skip the steps they do not need: no review means a submitted order is
 * approved at once, no payment means an approved order is ready for production, no shipping
 * means a fulfilled order is complete. */
int ra_transition(const ra_business *b, ra_state from, ra_event ev)
{
    for (size_t i = 0; i < sizeof(fsm) / sizeof(fsm[0]); i++) {
        if (fsm[i].ev != ev) continue;
        if (!(fsm[i].from & S(from))) return -1;
        ra_state to = fsm[i].to;
        if (to == RA_SUBMITTED && !b->needs_review) to = RA_APPROVED;
        if (to == RA_APPROVED && !b->needs_payment) to = RA_PAID;
        if (to == RA_FULFILLING && !b->needs_shipping) to = RA_COMPLETED;
        return (int)to;
    }
    return -1;
}

static const char *event_name(ra_event ev)
{
    for (size_t i = 0; i < sizeof(fsm) / sizeof(fsm[0]); i++)
        if (fsm[i].ev == ev) return fsm[i].name;
    return "?";
}

/* ---- fields ---- */

enum { T_STR, T_INT, T_BOOL, T_DATE };
enum { C_NONE, C_EMAIL, C_MOBILE, C_PHONE, C_USCC, C_ID, C_BANK, C_SP, C_ENUM };

typedef struct fdef {
    const char *name;
    int type, check, pii;
    size_t max;
    const char *choices; /* C_ENUM: "a|b|c"; C_ID: the id-type field */
} fdef;

static const fdef fields[] = {
    {"project", T_STR, C_NONE, 0, 200, NULL},
    {"medium", T_STR, C_ENUM, 0, 16, "usbkey|mobile"},
    {"years", T_INT, C_NONE, 0, 0, NULL},
    {"quantity", T_INT, C_NONE, 0, 0, NULL},
    {"invoice_email", T_STR, C_EMAIL, 0, 128, NULL},
    {"rekey_reason", T_STR, C_NONE, 0, 500, NULL},
    {"recovery_kind", T_STR, C_ENUM, 0, 16, "damaged|judicial"},
    {"case_ref", T_STR, C_NONE, 0, 120, NULL}, /* judicial key recovery: the court case */
    {"handling", T_STR, C_ENUM, 0, 16, "onsite|mail"},
    {"return_address", T_STR, C_NONE, 0, 300, NULL},
    {"return_phone", T_STR, C_PHONE, 1, 20, NULL},
    {"org_name", T_STR, C_NONE, 0, 200, NULL},
    {"org_uscc", T_STR, C_USCC, 0, 18, NULL},
    {"org_address", T_STR, C_NONE, 0, 300, NULL},
    {"legal_name", T_STR, C_NONE, 0, 100, NULL},
    {"legal_phone", T_STR, C_PHONE, 1, 20, NULL},
    {"legal_id_type", T_STR, C_ENUM, 0, 16, "id-card|other"},
    {"legal_id_type_other", T_STR, C_NONE, 0, 60, NULL},
    {"legal_id_number", T_STR, C_ID, 1, 40, "legal_id_type"},
    {"other_licence_name", T_STR, C_NONE, 0, 100, NULL},
    {"other_licence_number", T_STR, C_NONE, 0, 60, NULL},
    {"bank_account_name", T_STR, C_NONE, 0, 200, NULL},
    {"bank_name", T_STR, C_NONE, 0, 100, NULL},
    {"bank_branch", T_STR, C_NONE, 0, 100, NULL},
    {"bank_account", T_STR, C_BANK, 1, 32, NULL},
    {"person_name", T_STR, C_NONE, 0, 100, NULL},
    {"person_phone", T_STR, C_PHONE, 1, 20, NULL},
    {"person_id_type", T_STR, C_ENUM, 0, 16, "id-card|other"},
    {"person_id_type_other", T_STR, C_NONE, 0, 60, NULL},
    {"person_id_number", T_STR, C_ID, 1, 40, "person_id_type"},
    {"person_org", T_STR, C_NONE, 0, 200, NULL},
    {"person_email", T_STR, C_EMAIL, 0, 128, NULL},
    {"agent_name", T_STR, C_NONE, 0, 100, NULL},
    {"agent_mobile", T_STR, C_MOBILE, 1, 11, NULL},
    {"agent_id_type", T_STR, C_ENUM, 0, 16, "id-card|other"},
    {"agent_id_number", T_STR, C_ID, 1, 40, "agent_id_type"},
    {"agent_email", T_STR, C_EMAIL, 0, 128, NULL},
    {"auth_from", T_DATE, C_NONE, 0, 10, NULL},
    {"auth_to", T_DATE, C_NONE, 0, 10, NULL},
    {"declarations_accepted", T_BOOL, C_NONE, 0, 0, NULL},
    {"price_confirmed", T_BOOL, C_NONE, 0, 0, NULL},
    {"service_point", T_STR, C_SP, 0, 32, NULL},
    {"seal_esid", T_STR, C_NONE, 0, 128, NULL}, /* seal-change / seal-redo: the seal replaced */
    {"seal_keep_image", T_BOOL, C_NONE, 0, 0, NULL}, /* ra-renew: new seals, the same image */
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const fdef *field_get(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0) return &fields[i];
    return NULL;
}

static int enum_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == n && strncmp(p, v, n) == 0) return 1;
        p += l + (bar ? 1 : 0);
    }
    return 0;
}

/* YYYY-MM-DD -> days since 1970-01-01, or -1 */
static int64_t date_days(const char *s)
{
    int y, m, d;
    char tail;
    if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        s[4] != '-' || s[7] != '-')
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap)) return -1;
    /* days from civil (Howard Hinnant) */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* today's date number in Asia/Shanghai */
static int64_t today_days(const ra *r)
{
    return (ra_now(r) + 8 * 3600) / 86400;
}

static int check_value(ra *r, json_t *all, const fdef *f, json_t *v, ra_err *re)
{
    if (json_is_null(v)) return 0;
    switch (f->type) {
    case T_INT: {
        if (!json_is_integer(v))
            return ra_fail(re, SC_EINVAL, "field.type", f->name, "must be an integer");
        json_int_t x = json_integer_value(v);
        json_int_t hi = strcmp(f->name, "years") == 0 ? 5 : 100;
        if (x < 1 || x > hi)
            return ra_fail(re, SC_EINVAL, "field.range", f->name, "must be 1..%lld", (long long)hi);
        return 0;
    }
    case T_BOOL:
        if (!json_is_boolean(v))
            return ra_fail(re, SC_EINVAL, "field.type", f->name, "must be true or false");
        return 0;
    default:
        break;
    }
    if (!json_is_string(v)) return ra_fail(re, SC_EINVAL, "field.type", f->name, "must be text");
    json_t *tmp = json_pack("{s:O}", f->name, v);
    const char *s;
    int rc = ra_json_str(tmp, f->name, f->max, &s, re);
    json_decref(tmp);
    if (rc != 0) return rc;
    s = json_string_value(v);
    if (*s == 0) return 0; /* empty = not given; required fields are checked at submit */
    sc_err e = {0};
    switch (f->type == T_DATE ? -1 : f->check) {
    case -1:
        if (date_days(s) < 0) return ra_fail(re, SC_EINVAL, "field.bad_date", f->name, "bad date");
        return 0;
    case C_EMAIL:
        return ra_email_check(s, f->name, re);
    case C_MOBILE:
        return ra_mobile_check(s, f->name, re);
    case C_PHONE: {
        /* a mobile number, or a landline such as 0991-1234567 */
        if (s[0] == '1') return ra_mobile_check(s, f->name, re);
        size_t n = strlen(s), digits = 0;
        for (size_t i = 0; i < n; i++) {
            if (isdigit((unsigned char)s[i]))
                digits++;
            else if (s[i] != '-')
                return ra_fail(re, SC_EINVAL, "ident.mobile_chars", f->name, "digits only");
        }
        if (digits < 7 || digits > 12 || s[0] != '0')
            return ra_fail(re, SC_EINVAL, "ident.mobile_length", f->name, "bad phone number");
        return 0;
    }
    case C_USCC:
        if (ident_check_uscc(s, NULL, &e) != 0)
            return ra_fail(re, SC_EINVAL, e.code, f->name, "%s", e.msg);
        return 0;
    case C_ID: {
        const char *type = json_string_value(json_object_get(all, f->choices));
        if (type == NULL || strcmp(type, "id-card") == 0) {
            if (ident_check_resident_id(s, &e) != 0)
                return ra_fail(re, SC_EINVAL, e.code, f->name, "%s", e.msg);
        }
        return 0;
    }
    case C_BANK: {
        size_t n = strlen(s);
        for (size_t i = 0; i < n; i++)
            if (!isdigit((unsigned char)s[i])) n = 0;
        if (n < 8 || n > 32)
            return ra_fail(re, SC_EINVAL, "field.bad_bank_account", f->name, "8-32 digits");
        return 0;
    }
    case C_SP:
        if (!ra_catalog_has_point(r->cat, s))
            return ra_fail(re, SC_EINVAL, "field.choice", f->name, "unknown service point");
        return 0;
    case C_ENUM:
        if (!enum_ok(f->choices, s))
            return ra_fail(re, SC_EINVAL, "field.choice", f->name, "one of %s", f->choices);
        return 0;
    default:
        return 0;
    }
}

/* Merge the patch's form fields into all (checked key by key), then check every field again
 * (an ID number depends on its type field, which the patch may have changed). */
int ra_fields_merge(ra *r, json_t *all, json_t *patch, ra_err *re)
{
    const char *k;
    json_t *v;
    RA_OBJ_EACH(patch, k, v)
    {
        if (strcmp(k, "business") == 0 || strcmp(k, "subject_kind") == 0 ||
            strcmp(k, "certificate") == 0 || strcmp(k, "pop") == 0)
            continue; /* handled by the caller */
        const fdef *f = field_get(k);
        if (f == NULL) {
            char fld[48];
            snprintf(fld, sizeof(fld), "%.47s", k);
            for (char *p = fld; *p; p++)
                if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20) *p = '?';
            return ra_fail(re, SC_EINVAL, "field.unknown", fld, "unknown field");
        }
        /* upper-case ID numbers and USCC so that a typed 'x' is stored as 'X' */
        if ((f->check == C_ID || f->check == C_USCC) && json_is_string(v)) {
            char up[64];
            snprintf(up, sizeof(up), "%s", json_string_value(v));
            if (f->check == C_ID)
                for (char *p = up; *p; p++)
                    *p = (char)toupper((unsigned char)*p);
            json_object_set_new(all, k, json_string(up));
        } else {
            json_object_set(all, k, v);
        }
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        json_t *x = json_object_get(all, fields[i].name);
        int rc;
        if (x != NULL && (rc = check_value(r, all, &fields[i], x, re)) != 0) return rc;
    }
    return 0;
}

static const char *const org_fields[] = {
    "org_name",        "org_address", "legal_name", "legal_phone",  "legal_id_type",
    "legal_id_number", "org_uscc",    "agent_name", "agent_mobile", "agent_id_type",
    "agent_id_number", "agent_email", NULL};
static const char *const org_id_fields[] = {"org_name",     "org_uscc",        "agent_name",
                                            "agent_mobile", "agent_id_number", NULL};
static const char *const person_fields[] = {"person_name",
                                            "person_phone",
                                            "person_id_type",
                                            "person_id_number",
                                            "person_org",
                                            "person_email",
                                            NULL};
static const char *const person_id_fields[] = {"person_name", "person_phone", "person_id_number",
                                               NULL};

size_t ra_required_fields(const ra_business *b, unsigned kind, const char *handling,
                          const char **out, size_t max)
{
    size_t n = 0;
#define ADD(k)                                                                                     \
    do {                                                                                           \
        if (n < max) out[n++] = (k);                                                               \
    } while (0)
    int full = b->effect == RA_FX_ISSUE || b->effect == RA_FX_CHANGE ||
               b->effect == RA_FX_REPLACE || b->effect == RA_FX_SEAL;
    if (b->needs_cert) ADD("certificate");
    if (full) {
        ADD("project");
        ADD("medium");
        ADD("handling");
    }
    const char *const *set = kind == RA_KIND_ORG ? (full ? org_fields : org_id_fields)
                                                 : (full ? person_fields : person_id_fields);
    if (b->needs_review || full)
        for (size_t i = 0; set[i]; i++)
            ADD(set[i]);
    if (kind == RA_KIND_ORG && (b->needs_review || full)) {
        ADD("auth_from");
        ADD("auth_to");
    }
    if (b->needs_reason) ADD("rekey_reason");
    if (strcmp(b->key, "key-recovery") == 0) ADD("recovery_kind");
    if (b->effect == RA_FX_SEAL) ADD("seal_esid");
    if (b->needs_shipping && handling != NULL && strcmp(handling, "mail") == 0) {
        ADD("return_address");
        ADD("return_phone");
    }
#undef ADD
    return n;
}

static int is_pii(const char *k)
{
    const fdef *f = field_get(k);
    return f != NULL && f->pii;
}

static int64_t compute_price(ra *r, const ra_order *o)
{
    const char *key = o->kind == RA_KIND_ORG ? o->b->price_org : o->b->price_person;
    if (key == NULL) return 0;
    int64_t unit = ra_catalog_price(r->cat, key);
    if (unit < 0) return 0;
    json_int_t q = json_integer_value(json_object_get(o->f, "quantity"));
    json_int_t y = json_integer_value(json_object_get(o->f, "years"));
    if (q < 1) q = 1;
    if (y < 1) y = 1;
    /* new certificates and renewals are priced per year of validity; other services per key */
    int per_year = o->b->effect == RA_FX_ISSUE || o->b->effect == RA_FX_RENEW;
    return unit * q * (per_year ? y : 1);
}

/* ---- loading and saving ---- */

void ra_order_free(ra_order *o)
{
    json_decref(o->f);
    json_decref(o->review);
    o->f = o->review = NULL;
}

static void cpy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static int order_row(ra *r, store_stmt *st, ra_order *o, ra_err *re)
{
    memset(o, 0, sizeof(*o));
    o->id = store_col_int64(st, 0);
    cpy(o->order_no, sizeof(o->order_no), store_col_text(st, 1, NULL));
    o->account_id = store_col_int64(st, 2);
    o->b = ra_business_get(store_col_text(st, 3, NULL));
    cpy(o->subject_kind, sizeof(o->subject_kind), store_col_text(st, 4, NULL));
    o->kind = ra_kind_parse(o->subject_kind);
    ra_state_parse(store_col_text(st, 5, NULL), &o->state);
    cpy(o->service_point, sizeof(o->service_point), store_col_text(st, 6, NULL));
    o->entry_staff = store_col_isnull(st, 7) ? 0 : store_col_int64(st, 7);
    cpy(o->certificate, sizeof(o->certificate), store_col_text(st, 8, NULL));
    o->price_fen = store_col_int64(st, 11);
    o->has_csr = (int)store_col_int64(st, 13);
    cpy(o->pay_state, sizeof(o->pay_state), store_col_text(st, 14, NULL));
    cpy(o->pay_method, sizeof(o->pay_method), store_col_text(st, 15, NULL));
    o->paid_at = store_col_int64(st, 17);
    cpy(o->invoice_state, sizeof(o->invoice_state), store_col_text(st, 18, NULL));
    cpy(o->invoice_no, sizeof(o->invoice_no), store_col_text(st, 19, NULL));
    cpy(o->carrier, sizeof(o->carrier), store_col_text(st, 20, NULL));
    cpy(o->tracking_no, sizeof(o->tracking_no), store_col_text(st, 21, NULL));
    o->shipped_at = store_col_int64(st, 22);
    o->promise_by = store_col_int64(st, 23);
    o->submitted_at = store_col_int64(st, 24);
    o->created_at = store_col_int64(st, 25);
    o->updated_at = store_col_int64(st, 26);
    if (o->b == NULL) return ra_fail(re, SC_EINTERNAL, "order.corrupt", NULL, "unknown business");
    json_error_t je;
    size_t fl = 0;
    const char *ft = store_col_text(st, 9, &fl);
    o->f = json_loadb(ft ? ft : "{}", ft ? fl : 2, 0, &je);
    const char *rv = store_col_text(st, 12, NULL);
    if (rv != NULL) o->review = json_loads(rv, 0, &je);
    if (o->f == NULL) return ra_fail(re, SC_EINTERNAL, "order.corrupt", NULL, "bad fields");
    size_t pl = 0;
    const uint8_t *pe = store_col_blob(st, 10, &pl);
    if (pe != NULL && pl > 0) {
        sc_buf pt = {0};
        int rc = ra_unseal(r, "order.pii", pe, pl, &pt, re);
        if (rc != 0) return rc;
        json_t *p = json_loadb((const char *)pt.p, pt.len, 0, &je);
        sc_buf_wipe(&pt);
        if (p == NULL) return ra_fail(re, SC_EINTERNAL, "order.corrupt", NULL, "bad pii");
        json_object_update(o->f, p);
        json_decref(p);
    }
    return 0;
}

/* Which staff may read / change which orders: reviewers, producers and query operators see the
 * queue of every service point; entry operators their own point's orders; business admins all;
 * the admins of the other two kinds and auditors no orders at all. */
static int staff_may(const ra_session *s, const ra_order *o, int write)
{
    switch (s->acct.role) {
    case RA_ROLE_BUSINESS_ADMIN:
        return 1;
    case RA_ROLE_OPERATOR:
        if (s->acct.duties & (RA_DUTY_REVIEW | RA_DUTY_PRODUCTION | RA_DUTY_QUERY)) return 1;
        return (s->acct.duties & RA_DUTY_ENTRY) &&
               strcmp(s->acct.service_point, o->service_point) == 0;
    default:
        return 0;
    }
}

int ra_order_load(ra *r, const ra_session *s, int64_t id, int write, ra_order *o, ra_err *re)
{
    memset(o, 0, sizeof(*o));
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_ORDER_GET, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc != STORE_ROW) return ra_fail(re, SC_ENOTFOUND, "not_found", NULL, "no such order");
    if ((rc = order_row(r, st, o, re)) != 0) {
        ra_order_free(o);
        return rc;
    }
    if (s == NULL) return 0; /* internal (webhook) */
    int ok =
        s->acct.role == RA_ROLE_APPLICANT ? o->account_id == s->acct.id : staff_may(s, o, write);
    if (!ok) {
        int staff = ra_is_staff(s);
        ra_order_free(o);
        /* an applicant cannot tell someone else's order from a missing one */
        return staff ? ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "not your duty")
                     : ra_fail(re, SC_ENOTFOUND, "not_found", NULL, "no such order");
    }
    return 0;
}

static int order_save_fields(ra *r, ra_order *o, ra_err *re)
{
    json_t *plain = json_object(), *pii = json_object();
    const char *k;
    json_t *v;
    RA_OBJ_EACH(o->f, k, v) json_object_set(is_pii(k) ? pii : plain, k, v);
    char *pt = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS);
    char *pp = json_dumps(pii, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(plain);
    json_decref(pii);
    sc_buf sealed = {0};
    int rc = pt && pp ? ra_seal(r, "order.pii", pp, &sealed, re)
                      : ra_fail(re, SC_ENOMEM, "order.oom", NULL, "out of memory");
    if (pp) sc_wipe(pp, strlen(pp));
    free(pp);
    store_stmt *st;
    if (rc == 0 && (rc = store_stmt_get(r->db, ST_RA_ORDER_SAVE, &st, &re->e)) == 0) {
        o->price_fen = compute_price(r, o);
        store_bind_text(st, 1, pt);
        store_bind_blob(st, 2, sealed.p, sealed.len);
        store_bind_int64(st, 3, o->price_fen);
        store_bind_text(st, 4, json_string_value(json_object_get(o->f, "service_point")));
        store_bind_int64(st, 5, ra_now(r));
        store_bind_int64(st, 6, o->id);
        store_bind_text(st, 7, ra_state_name(o->state));
        if ((rc = store_exec(st, &re->e)) == 0 && store_changes(r->db) != 1)
            rc = ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "order changed meanwhile");
    }
    free(pt);
    sc_buf_free(&sealed);
    return rc;
}

int ra_order_move(ra *r, ra_order *o, ra_event ev, const char *actor, const char *reason,
                  const char *audit_detail, ra_err *re)
{
    int to = ra_transition(o->b, o->state, ev);
    if (to < 0)
        return ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "cannot %s an order in state %s",
                       event_name(ev), ra_state_name(o->state));
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_ORDER_STATE, &st, &re->e);
    if (rc != 0) return rc;
    int64_t now = ra_now(r);
    store_bind_text(st, 1, ra_state_name((ra_state)to));
    store_bind_int64(st, 2, now);
    store_bind_int64(st, 3, ev == RA_EV_SUBMIT ? now : o->submitted_at);
    store_bind_int64(st, 4, o->id);
    store_bind_text(st, 5, ra_state_name(o->state));
    if ((rc = store_exec(st, &re->e)) != 0) return rc;
    if (store_changes(r->db) != 1)
        return ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "order changed meanwhile");
    if ((rc = store_stmt_get(r->db, ST_RA_EVENT_INSERT, &st, &re->e)) != 0) return rc;
    store_bind_int64(st, 1, o->id);
    store_bind_int64(st, 2, now);
    store_bind_text(st, 3, actor);
    store_bind_text(st, 4, ra_state_name(o->state));
    store_bind_text(st, 5, ra_state_name((ra_state)to));
    store_bind_text(st, 6, reason ? reason : "");
    if ((rc = store_exec(st, &re->e)) != 0) return rc;
    char obj[48], action[48];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)o->id);
    snprintf(action, sizeof(action), "ra.order.%s", event_name(ev));
    sc_buf d = {0};
    if (audit_detail == NULL) {
        json_t *j = json_pack("{s:s, s:s, s:s}", "from", ra_state_name(o->state), "to",
                              ra_state_name((ra_state)to), "reason", reason ? reason : "");
        char *t = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        sc_buf_append(&d, t, strlen(t));
        sc_buf_putc(&d, 0);
        free(t);
        audit_detail = (const char *)d.p;
    }
    rc = audit_append(r->db, actor, action, obj, ra_state_name((ra_state)to), audit_detail, &re->e);
    sc_buf_free(&d);
    if (ev == RA_EV_SUBMIT) o->submitted_at = now;
    if (rc == 0) o->state = (ra_state)to;
    return rc;
}

/* ---- create, read, patch ---- */

static int next_order_no(ra *r, char out[32], ra_err *re)
{
    int64_t n;
    int rc = store_counter(r->db, "ra_order_no", 1, &n, &re->e);
    if (rc != 0) return rc;
    time_t t = (time_t)(ra_now(r) + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 32, "RA%04d%02d%02d-%06lld", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100, (long long)(n % 1000000000LL));
    return 0;
}

/* The certificate an order acts on must be one of the account's (ra_certs). */
static int own_cert(ra *r, int64_t account, const char *serial_in, char serial[33], ra_err *re)
{
    sc_err e = {0};
    if (serial_in == NULL || serial_normalise(serial_in, serial, &e) != 0)
        return ra_fail(re, SC_EINVAL, "field.required", "certificate", "certificate serial");
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_CERT_OWNER, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, serial);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc != STORE_ROW || store_col_int64(st, 0) != account)
        return ra_fail(re, SC_ENOTFOUND, "not_found", "certificate", "no such certificate");
    return 0;
}

int ra_order_create(ra *r, const ra_session *s, json_t *req, int64_t account_id, int64_t *id,
                    char order_no[32], ra_err *re)
{
    const char *bk, *kk;
    int rc;
    if ((rc = ra_json_str(req, "business", 32, &bk, re)) != 0 ||
        (rc = ra_json_str(req, "subject_kind", 32, &kk, re)) != 0)
        return rc;
    const ra_business *b = ra_business_get(bk);
    if (b == NULL)
        return ra_fail(re, SC_EINVAL, bk ? "field.choice" : "field.required", "business",
                       "unknown business type");
    unsigned kind = ra_kind_parse(kk);
    if (kind == 0)
        return ra_fail(re, SC_EINVAL, kk ? "field.choice" : "field.required", "subject_kind",
                       "unknown subject kind");
    if (!(b->kinds & kind))
        return ra_fail(re, SC_EINVAL, "order.kind", "subject_kind", "not for this subject kind");
    if (b->effect == RA_FX_SUSPEND)
        return ra_fail(re, SC_EINVAL, "field.choice", "business",
                       "suspend is immediate: POST /certificates/{serial}/suspend");
    ra_order o = {0};
    o.b = b;
    o.kind = kind;
    o.state = RA_DRAFT;
    o.f = json_object();
    json_object_set_new(o.f, "years", json_integer(1));
    json_object_set_new(o.f, "quantity", json_integer(1));
    if (b->needs_shipping) json_object_set_new(o.f, "handling", json_string("mail"));
    char serial[33] = "";
    if ((rc = ra_fields_merge(r, o.f, req, re)) != 0) goto out;
    if (b->needs_cert) {
        const char *cs;
        if ((rc = ra_json_str(req, "certificate", 64, &cs, re)) != 0 ||
            (rc = own_cert(r, account_id, cs, serial, re)) != 0)
            goto out;
        if (b->renew_window) {
            cert_info ci = {0};
            sc_err e = {0};
            if ((rc = pki_cert_get(r->ca, serial, &ci, &e)) != 0) {
                rc = ra_fail(re, SC_ENOTFOUND, "not_found", "certificate", "no certificate");
                goto out;
            }
            int64_t left = ci.not_after - ra_now(r);
            cert_info_free(&ci);
            if (left > 30 * 86400) {
                rc = ra_fail(re, SC_ESTATE, "order.renew_window", "certificate",
                             "renewal opens 30 days before expiry");
                goto out;
            }
        }
        if (b->needs_pop && (rc = ra_pop_check(r, serial, json_object_get(req, "pop"), re)) != 0)
            goto out;
    } else if (json_object_get(req, "certificate") != NULL) {
        rc = ra_fail(re, SC_EINVAL, "field.unknown", "certificate", "not for this business");
        goto out;
    }
    if (json_object_get(req, "pop") != NULL && !b->needs_pop) {
        rc = ra_fail(re, SC_EINVAL, "field.unknown", "pop", "not for this business");
        goto out;
    }
    o.price_fen = compute_price(r, &o);
    json_t *plain = json_object(), *pii = json_object();
    const char *k;
    json_t *v;
    RA_OBJ_EACH(o.f, k, v) json_object_set(is_pii(k) ? pii : plain, k, v);
    char *pt = json_dumps(plain, JSON_COMPACT | JSON_SORT_KEYS);
    char *pp = json_dumps(pii, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(plain);
    json_decref(pii);
    sc_buf sealed = {0};
    if ((rc = ra_seal(r, "order.pii", pp ? pp : "{}", &sealed, re)) != 0) goto out2;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out2;
    if ((rc = next_order_no(r, order_no, re)) != 0) goto fail;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_INSERT, &st, &re->e)) != 0) goto fail;
    int64_t now = ra_now(r);
    const char *sp = json_string_value(json_object_get(o.f, "service_point"));
    if (ra_is_staff(s)) sp = s->acct.service_point;
    store_bind_text(st, 1, order_no);
    store_bind_int64(st, 2, account_id);
    store_bind_text(st, 3, b->key);
    store_bind_text(st, 4, kk);
    store_bind_text(st, 5, sp);
    if (ra_is_staff(s))
        store_bind_int64(st, 6, s->acct.id);
    else
        store_bind_null(st, 6);
    store_bind_text(st, 7, serial[0] ? serial : NULL);
    store_bind_text(st, 8, pt);
    store_bind_blob(st, 9, sealed.p, sealed.len);
    store_bind_int64(st, 10, o.price_fen);
    store_bind_int64(st, 11, now);
    store_bind_int64(st, 12, now);
    if ((rc = store_step(st, &re->e)) < 0) goto fail;
    if (rc != STORE_ROW) {
        rc = ra_fail(re, SC_EINTERNAL, "store.no_id", NULL, "no id");
        goto fail;
    }
    *id = store_col_int64(st, 0);
    if ((rc = store_step(st, &re->e)) < 0) goto fail; /* finish the INSERT … RETURNING */
    char obj[48], detail[200];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)*id);
    snprintf(detail, sizeof(detail),
             "{\"business\":\"%s\",\"subject_kind\":\"%s\",\"order_no\":\"%s\"}", b->key, kk,
             order_no);
    if ((rc = audit_append(r->db, s->actor, "ra.order.create", obj, "draft", detail, &re->e)) != 0)
        goto fail;
    rc = store_tx_commit(r->db, &re->e);
    goto out2;
fail:
    store_tx_rollback(r->db);
out2:
    free(pt);
    if (pp) sc_wipe(pp, strlen(pp));
    free(pp);
    sc_buf_free(&sealed);
out:
    ra_order_free(&o);
    return rc;
}

static void mask_into(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    if (v == NULL || *v == 0) return;
    char m[64];
    ident_mask(v, m, sizeof(m));
    json_object_set_new(o, k, json_string(m));
}

static const char *actions_for(const ra_session *s, const ra_order *o, const char **out)
{
    size_t n = 0;
    int owner = !ra_is_staff(s);
    if (o->state == RA_DRAFT || o->state == RA_RETURNED) {
        if (owner || ra_has_duty(s, RA_DUTY_ENTRY)) {
            out[n++] = "patch";
            out[n++] = "materials";
            out[n++] = "submit";
        }
    }
    if (ra_transition(o->b, o->state, RA_EV_CANCEL) >= 0 && owner) out[n++] = "cancel";
    if (o->state == RA_SUBMITTED && ra_has_duty(s, RA_DUTY_REVIEW)) out[n++] = "review";
    if (o->state == RA_APPROVED && o->b->needs_payment && ra_is_staff(s)) out[n++] = "payment";
    /* a damaged-key recovery issues a new signing certificate for the holder's new key: the
     * holder sends its CSR and production issues, like an order that needs a CSR */
    const char *rk = json_string_value(json_object_get(o->f, "recovery_kind"));
    int damaged =
        strcmp(o->b->key, "key-recovery") == 0 && rk != NULL && strcmp(rk, "damaged") == 0;
    if (o->state == RA_PAID && (o->b->needs_csr || damaged)) {
        if (ra_has_duty(s, RA_DUTY_PRODUCTION) && o->b->effect != RA_FX_CHANGE &&
            o->b->effect != RA_FX_RENEW)
            out[n++] = "issue";
        if (owner && (o->b->effect == RA_FX_CHANGE || o->b->effect == RA_FX_RENEW)) {
            out[n++] = "csr";
            out[n++] = "complete";
        } else if (owner)
            out[n++] = "csr";
    }
    if (o->state == RA_FULFILLING && ra_has_duty(s, RA_DUTY_PRODUCTION)) out[n++] = "ship";
    if (o->state == RA_FULFILLING && ra_has_duty(s, RA_DUTY_ENTRY)) out[n++] = "pickup";
    if (o->state == RA_SHIPPED && owner) out[n++] = "complete";
    out[n] = NULL;
    return NULL;
}

static json_t *materials_json(ra *r, int64_t id, ra_err *re)
{
    json_t *arr = json_array();
    store_stmt *st;
    if (store_stmt_get(r->db, ST_RA_MATERIAL_LIST, &st, &re->e) != 0) return arr;
    store_bind_int64(st, 1, id);
    while (store_step(st, &re->e) == STORE_ROW)
        json_array_append_new(
            arr,
            json_pack("{s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:s}", "kind",
                      store_col_text(st, 0, NULL), "version", (json_int_t)store_col_int64(st, 1),
                      "mime", store_col_text(st, 2, NULL), "bytes",
                      (json_int_t)store_col_int64(st, 3), "sm3", store_col_text(st, 4, NULL),
                      "uploaded_at", (json_int_t)store_col_int64(st, 5), "review",
                      store_col_text(st, 6, NULL), "review_reason", store_col_text(st, 7, NULL)));
    return arr;
}

static json_t *history_json(ra *r, int64_t id, ra_err *re)
{
    json_t *arr = json_array();
    store_stmt *st;
    if (store_stmt_get(r->db, ST_RA_EVENT_LIST, &st, &re->e) != 0) return arr;
    store_bind_int64(st, 1, id);
    while (store_step(st, &re->e) == STORE_ROW)
        json_array_append_new(
            arr,
            json_pack("{s:I, s:s, s:s, s:s, s:s}", "at", (json_int_t)store_col_int64(st, 0),
                      "actor", store_col_text(st, 1, NULL), "from", store_col_text(st, 2, NULL),
                      "to", store_col_text(st, 3, NULL), "reason", store_col_text(st, 4, NULL)));
    return arr;
}

static json_t *certs_json(ra *r, int64_t id, ra_err *re)
{
    json_t *arr = json_array();
    store_stmt *st;
    if (store_stmt_get(r->db, ST_RA_CERT_BY_ORDER, &st, &re->e) != 0) return arr;
    store_bind_int64(st, 1, id);
    while (store_step(st, &re->e) == STORE_ROW)
        json_array_append_new(arr, json_string(store_col_text(st, 0, NULL)));
    return arr;
}

static void local_time(int64_t t, char *out, size_t n)
{
    time_t x = (time_t)(t + 8 * 3600);
    struct tm tm;
    gmtime_r(&x, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

/* The checklist of this order: the catalog's list for its business and subject kind, less what
 * the order's own answers make unnecessary (the judicial request letter is for a judicial key
 * recovery only, not for a damaged key). */
static size_t order_materials(const ra_order *o, const char **need, size_t max)
{
    size_t nn = ra_materials_needed(o->b, o->kind, need, max), k = 0;
    const char *rk = json_string_value(json_object_get(o->f, "recovery_kind"));
    for (size_t i = 0; i < nn; i++) {
        if (strcmp(need[i], "judicial-document") == 0 &&
            (rk == NULL || strcmp(rk, "judicial") != 0))
            continue;
        need[k++] = need[i];
    }
    return k;
}

json_t *ra_order_json(ra *r, const ra_session *s, ra_order *o, ra_err *re)
{
    json_t *j = json_deep_copy(o->f);
    if (ra_is_staff(s))
        for (size_t i = 0; i < NFIELDS; i++)
            if (fields[i].pii) mask_into(j, fields[i].name);
    json_object_set_new(j, "id", json_integer(o->id));
    json_object_set_new(j, "order_no", json_string(o->order_no));
    json_object_set_new(j, "account_id", json_integer(o->account_id));
    json_object_set_new(j, "business", json_string(o->b->key));
    json_object_set_new(j, "business_zh", json_string(o->b->zh));
    json_object_set_new(j, "subject_kind", json_string(o->subject_kind));
    json_object_set_new(j, "state", json_string(ra_state_name(o->state)));
    json_object_set_new(j, "state_zh", json_string(ra_state_zh(o->state)));
    json_object_set_new(j, "price_fen", json_integer(o->price_fen));
    if (o->service_point[0]) json_object_set_new(j, "service_point", json_string(o->service_point));
    if (o->certificate[0]) json_object_set_new(j, "certificate", json_string(o->certificate));
    json_object_set_new(j, "counter", json_boolean(o->entry_staff != 0));
    json_object_set_new(j, "created_at", json_integer(o->created_at));
    json_object_set_new(j, "updated_at", json_integer(o->updated_at));
    char lt[32];
    local_time(o->created_at, lt, sizeof(lt));
    json_object_set_new(j, "created_at_local", json_string(lt));
    if (o->submitted_at) json_object_set_new(j, "submitted_at", json_integer(o->submitted_at));
    const char *acts[16];
    actions_for(s, o, acts);
    json_t *a = json_array();
    for (size_t i = 0; acts[i]; i++)
        json_array_append_new(a, json_string(acts[i]));
    json_object_set_new(j, "actions", a);
    json_object_set_new(j, "materials", materials_json(r, o->id, re));
    /* the checklist: what is needed and whether it is there */
    const char *need[16];
    size_t nn = order_materials(o, need, 16);
    json_t *mats = json_object_get(j, "materials"), *cl = json_array();
    for (size_t i = 0; i < nn; i++) {
        int present = 0;
        size_t k;
        json_t *m;
        RA_ARR_EACH(mats, k, m)
        if (strcmp(json_string_value(json_object_get(m, "kind")), need[i]) == 0) present = 1;
        json_array_append_new(cl, json_pack("{s:s, s:s, s:s, s:b, s:b}", "kind", need[i], "zh",
                                            ra_material_label(need[i], 0), "en",
                                            ra_material_label(need[i], 1), "required", 1, "present",
                                            present));
    }
    json_object_set_new(j, "checklist", cl);
    json_object_set_new(j, "review", o->review ? json_incref(o->review) : json_null());
    json_object_set_new(
        j, "payment",
        json_pack("{s:s, s:s?, s:I, s:o?, s:s, s:s?}", "state", o->pay_state, "method",
                  o->pay_method[0] ? o->pay_method : NULL, "amount_fen", (json_int_t)o->price_fen,
                  "paid_at", o->paid_at ? json_integer(o->paid_at) : NULL, "invoice_state",
                  o->invoice_state, "invoice_no", o->invoice_no[0] ? o->invoice_no : NULL));
    if (o->carrier[0]) {
        char pb[16];
        time_t x = (time_t)(o->promise_by + 8 * 3600);
        struct tm tm;
        gmtime_r(&x, &tm);
        strftime(pb, sizeof(pb), "%Y-%m-%d", &tm);
        json_object_set_new(j, "shipping",
                            json_pack("{s:s, s:s, s:I, s:s, s:s}", "carrier", o->carrier,
                                      "tracking_no", o->tracking_no, "shipped_at",
                                      (json_int_t)o->shipped_at, "promise_by", pb, "promise_zh",
                                      "1至3个工作日"));
    }
    json_object_set_new(j, "has_csr", json_boolean(o->has_csr));
    json_t *kj = ra_order_kmc_json(r, o);
    if (kj != NULL) json_object_set_new(j, "kmc", kj);
    json_object_set_new(j, "certificates", certs_json(r, o->id, re));
    json_object_set_new(j, "history", history_json(r, o->id, re));
    json_t *sj = ra_renew_seals_json(r, o, "old");
    if (sj != NULL) json_object_set_new(j, "seals", sj);
    if ((sj = ra_renew_seals_json(r, o, "new")) != NULL) json_object_set_new(j, "new_seals", sj);
    if (o->b->effect == RA_FX_REVOKE)
        json_object_set_new(
            j, "warning_zh",
            json_string("若使用该证书操作过文件加密，请将文件解密后，再办理注销。"));
    return j;
}

int ra_order_get(ra *r, const ra_session *s, int64_t id, json_t **out, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 0, &o, re);
    if (rc != 0) return rc;
    *out = ra_order_json(r, s, &o, re);
    ra_order_free(&o);
    return 0;
}

int ra_order_list(ra *r, const ra_session *s, const char *state, const char *service_point,
                  int64_t limit, json_t **out, ra_err *re)
{
    store_stmt *st;
    int rc;
    int staff = ra_is_staff(s);
    if (staff && s->acct.role != RA_ROLE_BUSINESS_ADMIN && s->acct.role != RA_ROLE_OPERATOR)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "no order duties");
    ra_state sv;
    if (state != NULL && *state && ra_state_parse(state, &sv) != 0)
        return ra_fail(re, SC_EINVAL, "field.choice", "state", "unknown state");
    /* an entry-only operator sees their own service point */
    if (staff && s->acct.role == RA_ROLE_OPERATOR &&
        !(s->acct.duties & (RA_DUTY_REVIEW | RA_DUTY_PRODUCTION | RA_DUTY_QUERY)))
        service_point = s->acct.service_point;
    if ((rc = store_stmt_get(r->db, staff ? ST_RA_ORDER_LIST_STAFF : ST_RA_ORDER_LIST_ACCT, &st,
                             &re->e)) != 0)
        return rc;
    if (limit < 1 || limit > 500) limit = 100;
    if (staff) {
        const char *sp = service_point && *service_point ? service_point : NULL;
        const char *stt = state && *state ? state : NULL;
        store_bind_text(st, 1, stt);
        store_bind_text(st, 2, stt);
        store_bind_text(st, 3, sp);
        store_bind_text(st, 4, sp);
        store_bind_int64(st, 5, limit);
    } else {
        store_bind_int64(st, 1, s->acct.id);
        store_bind_int64(st, 2, limit);
    }
    json_t *arr = json_array();
    while ((rc = store_step(st, &re->e)) == STORE_ROW) {
        json_error_t je;
        const char *ft = store_col_text(st, 9, NULL);
        json_t *f = json_loads(ft ? ft : "{}", 0, &je);
        const char *disp = json_string_value(json_object_get(f, "org_name"));
        if (disp == NULL) disp = json_string_value(json_object_get(f, "person_name"));
        const char *uscc = json_string_value(json_object_get(f, "org_uscc"));
        char um[32] = "";
        if (uscc) ident_mask(uscc, um, sizeof(um));
        const ra_business *b = ra_business_get(store_col_text(st, 3, NULL));
        ra_state so = RA_DRAFT;
        ra_state_parse(store_col_text(st, 5, NULL), &so);
        json_array_append_new(
            arr,
            json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:I, s:s, s:s?, "
                      "s:I, s:b}",
                      "id", (json_int_t)store_col_int64(st, 0), "order_no",
                      store_col_text(st, 1, NULL), "business", store_col_text(st, 3, NULL),
                      "business_zh", b ? b->zh : "", "subject_kind", store_col_text(st, 4, NULL),
                      "state", ra_state_name(so), "state_zh", ra_state_zh(so), "service_point",
                      store_col_text(st, 6, NULL), "price_fen", (json_int_t)store_col_int64(st, 11),
                      "created_at", (json_int_t)store_col_int64(st, 25), "updated_at",
                      (json_int_t)store_col_int64(st, 26), "display_name", disp ? disp : "",
                      "org_uscc", uscc ? um : NULL, "account_id",
                      (json_int_t)store_col_int64(st, 2), "counter", !store_col_isnull(st, 7)));
        json_decref(f);
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = json_pack("{s:o}", "orders", arr);
    return 0;
}

static int may_edit(const ra_session *s, const ra_order *o, ra_err *re)
{
    if (ra_is_staff(s) && !(ra_has_duty(s, RA_DUTY_ENTRY) && o->entry_staff != 0 &&
                            strcmp(o->service_point, s->acct.service_point) == 0))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "only the counter entry operator");
    if (o->state != RA_DRAFT && o->state != RA_RETURNED)
        return ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "only drafts and returned orders");
    return 0;
}

int ra_order_patch(ra *r, const ra_session *s, int64_t id, json_t *req, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    if ((rc = may_edit(s, &o, re)) != 0) goto out;
    static const char *const fixed[] = {"business", "subject_kind", "certificate", "pop"};
    for (size_t i = 0; i < 4; i++)
        if (json_object_get(req, fixed[i]) != NULL) {
            rc = ra_fail(re, SC_EINVAL, "field.fixed", fixed[i], "fixed after creation");
            goto out;
        }
    if ((rc = ra_fields_merge(r, o.f, req, re)) != 0) goto out;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    if ((rc = order_save_fields(r, &o, re)) != 0) goto fail;
    /* the audit record names the fields changed, never their values (personal data) */
    sc_buf d = {0};
    const char *k;
    json_t *v;
    sc_buf_append(&d, "fields:", 7);
    RA_OBJ_EACH(req, k, v)
    {
        (void)v;
        sc_buf_putc(&d, ' ');
        sc_buf_append(&d, k, strlen(k));
    }
    sc_buf_putc(&d, 0);
    char obj[48];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
    rc = audit_append(r->db, s->actor, "ra.order.patch", obj, "ok", (const char *)d.p, &re->e);
    sc_buf_free(&d);
    if (rc != 0) goto fail;
    rc = store_tx_commit(r->db, &re->e);
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    ra_order_free(&o);
    return rc;
}

/* Everything submission needs: required fields, both checkboxes, the authorization window and
 * the materials checklist. */
static int submit_checks(ra *r, ra_order *o, ra_err *re)
{
    const char *req[48];
    size_t n = ra_required_fields(o->b, o->kind,
                                  json_string_value(json_object_get(o->f, "handling")), req, 48);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(req[i], "certificate") == 0) continue; /* checked at creation */
        json_t *v = json_object_get(o->f, req[i]);
        if (v == NULL || json_is_null(v) || (json_is_string(v) && *json_string_value(v) == 0))
            return ra_fail(re, SC_EINVAL, "field.required", req[i], "required");
    }
    /* a judicial key recovery names the court case (司法取证) */
    const char *rk = json_string_value(json_object_get(o->f, "recovery_kind"));
    const char *cref = json_string_value(json_object_get(o->f, "case_ref"));
    if (strcmp(o->b->key, "key-recovery") == 0 && rk != NULL && strcmp(rk, "judicial") == 0 &&
        (cref == NULL || *cref == 0))
        return ra_fail(re, SC_EINVAL, "field.required", "case_ref", "the court case reference");
    if (!json_is_true(json_object_get(o->f, "declarations_accepted")))
        return ra_fail(re, SC_EINVAL, "order.not_accepted", "declarations_accepted", "required");
    if (o->price_fen > 0 && !json_is_true(json_object_get(o->f, "price_confirmed")))
        return ra_fail(re, SC_EINVAL, "order.price_not_confirmed", "price_confirmed", "required");
    const char *af = json_string_value(json_object_get(o->f, "auth_from"));
    const char *at = json_string_value(json_object_get(o->f, "auth_to"));
    if ((af && *af) || (at && *at)) {
        int64_t from = date_days(af), to = date_days(at), today = today_days(r);
        if (from < 0) return ra_fail(re, SC_EINVAL, "field.required", "auth_from", "required");
        if (to < 0) return ra_fail(re, SC_EINVAL, "field.required", "auth_to", "required");
        if (from > to) return ra_fail(re, SC_EINVAL, "order.auth_order", "auth_from", "from > to");
        if (today < from)
            return ra_fail(re, SC_EINVAL, "order.auth_not_yet_valid", "auth_from", "not yet valid");
        if (today > to) return ra_fail(re, SC_EINVAL, "order.auth_expired", "auth_to", "expired");
    }
    int rc0 = ra_renew_seals_check(r, o, NULL, re);
    if (rc0 != 0) return rc0;
    const char *need[16];
    size_t nn = order_materials(o, need, 16);
    for (size_t i = 0; i < nn; i++) {
        store_stmt *st;
        int rc = store_stmt_get(r->db, ST_RA_MATERIAL_LATEST, &st, &re->e);
        if (rc != 0) return rc;
        store_bind_int64(st, 1, o->id);
        store_bind_text(st, 2, need[i]);
        if ((rc = store_step(st, &re->e)) < 0) return rc;
        if (rc != STORE_ROW) return ra_fail(re, SC_EINVAL, "material.missing", need[i], "missing");
    }
    return 0;
}

int ra_order_submit(ra *r, const ra_session *s, int64_t id, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    if ((rc = may_edit(s, &o, re)) != 0 || (rc = submit_checks(r, &o, re)) != 0) goto out;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    ra_state was = o.state;
    if ((rc = ra_order_move(r, &o, RA_EV_SUBMIT, s->actor, was == RA_RETURNED ? "resubmitted" : "",
                            NULL, re)) != 0)
        goto fail;
    /* a resubmission puts returned materials back in the queue */
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_MATERIAL_REQUEUE, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    rc = store_tx_commit(r->db, &re->e);
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    ra_order_free(&o);
    return rc;
}

int ra_order_cancel(ra *r, const ra_session *s, int64_t id, const char *reason, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    if (ra_is_staff(s) && !ra_has_duty(s, RA_DUTY_ENTRY) &&
        s->acct.role != RA_ROLE_BUSINESS_ADMIN) {
        rc = ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "not allowed");
        goto out;
    }
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    if ((rc = ra_order_move(r, &o, RA_EV_CANCEL, s->actor, reason, NULL, re)) != 0) {
        store_tx_rollback(r->db);
        goto out;
    }
    rc = store_tx_commit(r->db, &re->e);
out:
    ra_order_free(&o);
    return rc;
}

/* ---- review ---- */

int ra_order_review(ra *r, const ra_session *s, int64_t id, const char *payload,
                    const char *sig_b64, ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_REVIEW))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "review duty required");
    json_t *pl = NULL;
    int rc = ra_signed_action(r, s, payload, sig_b64, "review", id, &pl, re);
    if (rc != 0) return rc;
    ra_order o;
    memset(&o, 0, sizeof(o));
    sc_buf detail = {0};
    int64_t rec_id = 0;
    char rec_enc[33] = "";
    const char *dec = json_string_value(json_object_get(pl, "decision"));
    const char *reason = json_string_value(json_object_get(pl, "reason"));
    json_t *mats = json_object_get(pl, "materials");
    ra_event ev;
    if (dec != NULL && strcmp(dec, "approve") == 0)
        ev = RA_EV_APPROVE;
    else if (dec != NULL && strcmp(dec, "return") == 0)
        ev = RA_EV_RETURN;
    else if (dec != NULL && strcmp(dec, "reject") == 0)
        ev = RA_EV_REJECT;
    else {
        rc = ra_fail(re, SC_EINVAL, "field.choice", "decision", "approve, return or reject");
        goto out;
    }
    if (ev != RA_EV_APPROVE && (reason == NULL || *reason == 0)) {
        rc = ra_fail(re, SC_EINVAL, "field.required", "reason", "a reason is required");
        goto out;
    }
    if (reason != NULL && strlen(reason) > 1000) {
        rc = ra_fail(re, SC_EINVAL, "field.too_long", "reason", "too long");
        goto out;
    }
    if (mats != NULL && !json_is_object(mats)) {
        rc = ra_fail(re, SC_EINVAL, "field.type", "materials", "object expected");
        goto out;
    }
    if ((rc = ra_order_load(r, s, id, 1, &o, re)) != 0) goto out;
    if (ev == RA_EV_APPROVE) {
        /* approving with a material marked for return makes no sense */
        const char *k;
        json_t *v;
        RA_OBJ_EACH(mats, k, v) if ((void)k, !json_is_true(json_object_get(v, "ok")))
        {
            rc = ra_fail(re, SC_EINVAL, "field.choice", "decision",
                         "a returned material cannot be approved");
            goto out;
        }
    }
    if ((rc = ra_signed_detail(s, payload, sig_b64, &detail)) != 0) {
        rc = ra_fail(re, rc, "order.oom", NULL, "out of memory");
        goto out;
    }
    /* key recovery: the approving reviewer asks the KMC (the request's requester, so they cannot
     * be one of its two approving officers) */
    int key_recovery = ev == RA_EV_APPROVE && strcmp(o.b->key, "key-recovery") == 0;
    if (key_recovery && (rc = ra_recovery_open(r, &o, s->actor, &rec_id, rec_enc, re)) != 0)
        goto out;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    if ((rc = ra_order_move(r, &o, ev, s->actor, reason ? reason : "", (const char *)detail.p,
                            re)) != 0)
        goto fail;
    if (key_recovery && (rc = ra_recovery_link(r, &o, rec_id, rec_enc, s->actor, re)) != 0)
        goto fail;
    const char *k;
    json_t *v;
    RA_OBJ_EACH(mats, k, v)
    {
        store_stmt *st;
        const char *mr = json_string_value(json_object_get(v, "reason"));
        if ((rc = store_stmt_get(r->db, ST_RA_MATERIAL_REVIEW, &st, &re->e)) != 0) goto fail;
        store_bind_text(st, 1, json_is_true(json_object_get(v, "ok")) ? "ok" : "returned");
        store_bind_text(st, 2, mr ? mr : "");
        store_bind_int64(st, 3, id);
        store_bind_text(st, 4, k);
        store_bind_int64(st, 5, id);
        store_bind_text(st, 6, k);
        if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    }
    json_t *rv =
        json_pack("{s:s, s:s, s:I, s:s, s:O?}", "decision", dec, "reason", reason ? reason : "",
                  "at", (json_int_t)ra_now(r), "by", s->actor, "materials", mats);
    char *rt = json_dumps(rv, JSON_COMPACT);
    json_decref(rv);
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_REVIEW, &st, &re->e)) == 0) {
        store_bind_text(st, 1, rt);
        store_bind_int64(st, 2, id);
        rc = store_exec(st, &re->e);
    }
    free(rt);
    if (rc != 0) goto fail;
    /* revoke and resume take effect on approval (their table rows skip payment and shipping) */
    if (ev == RA_EV_APPROVE && (o.b->effect == RA_FX_REVOKE || o.b->effect == RA_FX_RESUME) &&
        (rc = ra_order_effect(r, &o, s->actor, re)) != 0)
        goto fail;
    rc = store_tx_commit(r->db, &re->e);
    if (rc != 0 && rec_id > 0) ra_recovery_abandon(r, rec_id);
    goto out;
fail:
    store_tx_rollback(r->db);
    if (rec_id > 0) ra_recovery_abandon(r, rec_id);
out:
    sc_buf_free(&detail);
    json_decref(pl);
    ra_order_free(&o);
    return rc;
}

static const char *const reveal_fields[] = {
    "legal_id_number", "person_id_number", "agent_id_number", "legal_phone", "person_phone",
    "agent_mobile",    "return_phone",     "bank_account",    NULL};

int ra_order_reveal(ra *r, const ra_session *s, int64_t id, const char *field, char *out,
                    size_t outsz, ra_err *re)
{
    int ok = 0;
    for (size_t i = 0; reveal_fields[i]; i++)
        ok |= field && strcmp(field, reveal_fields[i]) == 0;
    if (!ok) return ra_fail(re, SC_ENOTFOUND, "not_found", "field", "no such field");
    if (!ra_is_staff(s)) return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "staff only");
    ra_order o;
    int rc = ra_order_load(r, s, id, 0, &o, re);
    if (rc != 0) return rc;
    const char *v = json_string_value(json_object_get(o.f, field));
    snprintf(out, outsz, "%s", v ? v : "");
    ra_order_free(&o);
    /* every read of a whole value by staff is on the record */
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    char obj[48];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
    if ((rc = audit_append(r->db, s->actor, "ra.reveal", obj, "ok", field, &re->e)) != 0) {
        store_tx_rollback(r->db);
        return rc;
    }
    return store_tx_commit(r->db, &re->e);
}

int ra_order_csr(ra *r, const ra_session *s, int64_t id, const char *pem, ra_err *re)
{
    if (pem == NULL) return ra_fail(re, SC_EINVAL, "field.required", "csr", "required");
    csr c = {0};
    sc_err e = {0};
    if (csr_parse((const uint8_t *)pem, strlen(pem), &c, &e) != 0)
        return ra_fail(re, SC_EINVAL, e.code[0] ? e.code : "csr.bad", "csr", "%s", e.msg);
    csr_free(&c);
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    const char *rk = json_string_value(json_object_get(o.f, "recovery_kind"));
    int damaged = strcmp(o.b->key, "key-recovery") == 0 && rk != NULL && strcmp(rk, "damaged") == 0;
    if (!(o.b->needs_csr || damaged) ||
        (o.state != RA_PAID && o.state != RA_APPROVED && o.state != RA_SUBMITTED &&
         o.state != RA_DRAFT && o.state != RA_RETURNED)) {
        rc = ra_fail(re, SC_ESTATE, "order.bad_state", NULL, "no CSR needed now");
        goto out;
    }
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ORDER_SET_CSR, &st, &re->e)) != 0) goto fail;
    store_bind_blob(st, 1, pem, strlen(pem));
    store_bind_int64(st, 2, id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    char obj[48];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
    if ((rc = audit_append(r->db, s->actor, "ra.order.csr", obj, "ok", "", &re->e)) != 0) goto fail;
    rc = store_tx_commit(r->db, &re->e);
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    ra_order_free(&o);
    return rc;
}

int ra_counter_entry(ra *r, const ra_session *s, const char *payload, const char *sig_b64,
                     int64_t *id, char order_no[32], ra_err *re)
{
    if (!ra_has_duty(s, RA_DUTY_ENTRY))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "entry duty required");
    json_t *pl = NULL;
    int rc = ra_signed_action(r, s, payload, sig_b64, "counter-entry", -1, &pl, re);
    if (rc != 0) return rc;
    json_t *ap = json_object_get(pl, "applicant"), *ord = json_object_get(pl, "order");
    sc_buf detail = {0};
    if (!json_is_object(ap) || !json_is_object(ord)) {
        rc = ra_fail(re, SC_EINVAL, "field.required", ap ? "order" : "applicant", "required");
        goto out;
    }
    const char *phone, *email, *name;
    if ((rc = ra_json_str(ap, "phone", 11, &phone, re)) != 0 ||
        (rc = ra_json_str(ap, "email", 128, &email, re)) != 0 ||
        (rc = ra_json_str(ap, "name", 120, &name, re)) != 0)
        goto out;
    int64_t acct = 0;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    rc = ra_account_for_phone(r, phone ? phone : "", email, name, s->actor, &acct, re);
    if (rc == 0) {
        if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    } else {
        store_tx_rollback(r->db);
        goto out;
    }
    if ((rc = ra_order_create(r, s, ord, acct, id, order_no, re)) != 0) goto out;
    /* the signature over the whole entry goes on the record beside the order */
    if ((rc = ra_signed_detail(s, payload, sig_b64, &detail)) != 0) goto out;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    char obj[48];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)*id);
    if ((rc = audit_append(r->db, s->actor, "ra.counter.entry", obj, "ok", (const char *)detail.p,
                           &re->e)) != 0) {
        store_tx_rollback(r->db);
        goto out;
    }
    rc = store_tx_commit(r->db, &re->e);
out:
    sc_buf_free(&detail);
    json_decref(pl);
    return rc;
}

/* ---- materials ---- */

int ra_material_put(ra *r, const ra_session *s, int64_t id, const char *kind, const uint8_t *data,
                    size_t len, json_t **out, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 1, &o, re);
    if (rc != 0) return rc;
    sc_buf sealed = {0};
    const char *need[16];
    size_t nn = ra_materials_needed(o.b, o.kind, need, 16), i;
    for (i = 0; i < nn && strcmp(need[i], kind) != 0; i++)
        ;
    if ((rc = may_edit(s, &o, re)) != 0) goto out;
    if (i == nn) {
        rc = ra_fail(re, SC_EINVAL, "material.kind", "kind", "not on this order's checklist");
        goto out;
    }
    if (len > RA_MATERIAL_MAX) {
        rc = ra_fail(re, SC_ETOOBIG, "material.too_large", "file", "file too large");
        goto out;
    }
    /* the type comes from the bytes (structure walked), never from a name or header */
    const char *mime = NULL;
    sc_err me = {0};
    if (material_sniff(data, len, &mime, &me) != 0) {
        rc = me.status == SC_ETOOBIG
                 ? ra_fail(re, SC_ETOOBIG, "material.too_large", "file", "%s", me.msg)
                 : ra_fail(re, SC_EINVAL,
                           strcmp(me.code, "material.damaged") == 0 ? "material.damaged"
                                                                    : "material.type",
                           "file", "%s", me.msg);
        goto out;
    }
    uint8_t h[32];
    char hex[65];
    crypto_sm3(data, len, h);
    sc_hex_encode(h, 32, hex, 0);
    /* materials are sealed like personal data: they are ID cards and licences */
    if ((rc = ra_seal_bytes(r, "material", data, len, &sealed, re)) != 0) goto out;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_MATERIAL_TOTAL, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(st, &re->e)) < 0) goto fail;
    if (store_col_int64(st, 0) + (int64_t)len > RA_ORDER_MAT_MAX) {
        rc = ra_fail(re, SC_ETOOBIG, "material.order_quota", "file", "order quota exceeded");
        goto fail;
    }
    int64_t version = store_col_int64(st, 1) + 0;
    if ((rc = store_stmt_get(r->db, ST_RA_MATERIAL_NEXTVER, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, kind);
    if ((rc = store_step(st, &re->e)) < 0) goto fail;
    version = store_col_int64(st, 0) + 1;
    if ((rc = store_stmt_get(r->db, ST_RA_MATERIAL_INSERT, &st, &re->e)) != 0) goto fail;
    int64_t now = ra_now(r);
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, kind);
    store_bind_int64(st, 3, version);
    store_bind_text(st, 4, mime);
    store_bind_int64(st, 5, (int64_t)len);
    store_bind_text(st, 6, hex);
    store_bind_blob(st, 7, sealed.p, sealed.len);
    store_bind_text(st, 8, s->actor);
    store_bind_int64(st, 9, now);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    char obj[64], detail[160];
    snprintf(obj, sizeof(obj), "order:%lld", (long long)id);
    snprintf(detail, sizeof(detail), "kind=%s version=%lld bytes=%zu sm3=%s", kind,
             (long long)version, len, hex);
    if ((rc = audit_append(r->db, s->actor, "ra.material.put", obj, "ok", detail, &re->e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    *out = json_pack("{s:s, s:I, s:s, s:I, s:s}", "kind", kind, "version", (json_int_t)version,
                     "mime", mime, "bytes", (json_int_t)len, "sm3", hex);
    goto out;
fail:
    store_tx_rollback(r->db);
out:
    sc_buf_free(&sealed);
    ra_order_free(&o);
    return rc;
}

int ra_material_get(ra *r, const ra_session *s, int64_t id, const char *kind, int64_t version,
                    sc_buf *out, const char **mime, ra_err *re)
{
    ra_order o;
    int rc = ra_order_load(r, s, id, 0, &o, re);
    if (rc != 0) return rc;
    ra_order_free(&o);
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_MATERIAL_GET, &st, &re->e)) != 0) return rc;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, kind);
    store_bind_int64(st, 3, version);
    store_bind_int64(st, 4, version);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc != STORE_ROW) return ra_fail(re, SC_ENOTFOUND, "not_found", "kind", "no material");
    const char *m = store_col_text(st, 0, NULL);
    *mime = m && strcmp(m, "application/pdf") == 0 ? "application/pdf"
            : m && strcmp(m, "image/png") == 0     ? "image/png"
                                                   : "image/jpeg";
    size_t n = 0;
    const uint8_t *d = store_col_blob(st, 1, &n);
    return ra_unseal(r, "material", d, n, out, re);
}

/* ---- agreements ---- */

int ra_agreement_accept(ra *r, const ra_session *s, const char *key, const char *version,
                        int64_t order_id, ra_err *re)
{
    if (ra_is_staff(s)) return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "applicants only");
    const char *cur = key ? ra_catalog_agreement(r->cat, key) : NULL;
    if (cur == NULL) return ra_fail(re, SC_ENOTFOUND, "not_found", "key", "no such agreement");
    if (version == NULL || strcmp(version, cur) != 0)
        return ra_fail(re, SC_EINVAL, "agreement.version", "version", "not the current version");
    int rc;
    if (order_id > 0) {
        ra_order o;
        if ((rc = ra_order_load(r, s, order_id, 0, &o, re)) != 0) return rc;
        ra_order_free(&o);
    }
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ACCEPT_INSERT, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, s->acct.id);
    store_bind_text(st, 2, key);
    store_bind_text(st, 3, version);
    if (order_id > 0)
        store_bind_int64(st, 4, order_id);
    else
        store_bind_null(st, 4);
    store_bind_int64(st, 5, ra_now(r));
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    char d[160];
    snprintf(d, sizeof(d), "agreement=%s version=%s order=%lld", key, version, (long long)order_id);
    if ((rc = audit_append(r->db, s->actor, "ra.agreement.accept", s->actor, "ok", d, &re->e)) != 0)
        goto fail;
    return store_tx_commit(r->db, &re->e);
fail:
    store_tx_rollback(r->db);
    return rc;
}
