/* account.c - applicant accounts and staff (GM/T 0037 三员分立), argon2id passwords, login rate
 * limiting and lockout, sessions as hashed random tokens, CSRF tokens, staff certificate login
 * and signed staff actions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "pki/ident.h"
#include "ra/ra.h"
#include "ra/ra_int.h"
#include "ra/vault.h"

#define FAIL_LIMIT     5   /* consecutive failures before a lockout */
#define LOCK_SECONDS   900 /* 15 minutes */
#define SOURCE_LIMIT   10  /* failed attempts per source per minute */
#define CHALLENGE_LIFE 120 /* staff login challenge, seconds */
#define SIGNED_SKEW    600 /* signed action 'at' vs server time */

static const char *const role_names[] = {"applicant",      "super-admin", "audit-admin",
                                         "business-admin", "operator",    "auditor"};

const char *ra_role_name(ra_role r)
{
    return (unsigned)r < sizeof(role_names) / sizeof(role_names[0]) ? role_names[r] : "?";
}

int ra_role_parse(const char *s, ra_role *out)
{
    for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
        if (s != NULL && strcmp(s, role_names[i]) == 0) {
            *out = (ra_role)i;
            return 0;
        }
    return SC_EINVAL;
}

static const char *const duty_names[] = {"entry", "review", "production", "query", "recovery"};
#define NDUTIES (sizeof(duty_names) / sizeof(duty_names[0]))

int ra_duties_parse(const char *s, unsigned *out)
{
    *out = 0;
    if (s == NULL || *s == 0) return 0;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        int ok = 0;
        for (size_t i = 0; i < NDUTIES; i++)
            if (strcmp(t, duty_names[i]) == 0) {
                *out |= 1u << i;
                ok = 1;
            }
        if (!ok) return SC_EINVAL;
    }
    return 0;
}

void ra_duties_format(unsigned d, char *out, size_t outsz)
{
    out[0] = 0;
    for (size_t i = 0; i < NDUTIES; i++)
        if (d & (1u << i)) {
            size_t l = strlen(out);
            snprintf(out + l, outsz - l, "%s%s", l ? "," : "", duty_names[i]);
        }
}

int ra_has_duty(const ra_session *s, unsigned duty)
{
    return s != NULL && s->acct.role == RA_ROLE_OPERATOR && (s->acct.duties & duty) != 0;
}

int ra_is_staff(const ra_session *s)
{
    return s != NULL && s->acct.role != RA_ROLE_APPLICANT;
}

int64_t ra_now(const ra *r)
{
    return (int64_t)time(NULL) + r->clock_offset;
}

int ra_phone_idx(const ra *r, const char *phone, char out[65], ra_err *re)
{
    uint8_t h[32];
    out[0] = 0;
    if (r->v == NULL) return ra_fail(re, SC_EINTERNAL, "ra.no_vault", NULL, "no lookup key");
    /* the empty label: the hashes stored before the key moved into the key store */
    int rc = vault_lookup_mac(r->v, "", (const uint8_t *)phone, strlen(phone), h, &re->e);
    if (rc != 0) return rc;
    sc_hex_encode(h, 32, out, 0);
    sc_wipe(h, sizeof(h));
    return 0;
}

static void token_hash(const char *token, char out[65])
{
    uint8_t h[32];
    crypto_sm3(token, strlen(token), h);
    sc_hex_encode(h, 32, out, 0);
}

/* random bytes, base64url without padding (43 chars for 32 bytes). */
static void random_token(char out[48], size_t bytes)
{
    uint8_t b[32];
    crypto_random(b, bytes);
    ra_b64url(b, bytes, out, 48);
    sc_wipe(b, sizeof(b));
}

int ra_email_check(const char *s, const char *field, ra_err *re)
{
    /* one '@', a non-empty local part of printable ASCII, a domain with a dot, no spaces */
    size_t n = s ? strlen(s) : 0;
    const char *at = s ? strchr(s, '@') : NULL;
    int ok = n >= 3 && n <= 128 && at != NULL && at != s && strchr(at + 1, '@') == NULL &&
             strchr(at + 1, '.') != NULL && at[1] != '.' && s[n - 1] != '.';
    for (size_t i = 0; ok && i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '<' ||
            s[i] == '>' || s[i] == '"' || s[i] == '\\' || s[i] == ',')
            ok = 0;
    return ok ? 0 : ra_fail(re, SC_EINVAL, "field.bad_email", field, "invalid email address");
}

int ra_mobile_check(const char *s, const char *field, ra_err *re)
{
    sc_err e = {0};
    if (ident_check_mobile(s, &e) != 0) return ra_fail(re, SC_EINVAL, e.code, field, "%s", e.msg);
    return 0;
}

static int name_check(const char *s, const char *field, size_t max, ra_err *re)
{
    if (s == NULL || *s == 0) return ra_fail(re, SC_EINVAL, "field.required", field, "required");
    if (strlen(s) > max) return ra_fail(re, SC_EINVAL, "field.too_long", field, "too long");
    return 0;
}

/* ---- reading accounts ---- */

static int acct_row(ra *r, store_stmt *st, int c0, ra_account *a, ra_err *re)
{
    memset(a, 0, sizeof(*a));
    a->id = store_col_int64(st, c0);
    const char *t;
    if ((t = store_col_text(st, c0 + 2, NULL)) != NULL)
        snprintf(a->login, sizeof(a->login), "%s", t);
    size_t pl = 0;
    const uint8_t *pe = store_col_blob(st, c0 + 3, &pl);
    if ((t = store_col_text(st, c0 + 4, NULL)) != NULL)
        snprintf(a->email, sizeof(a->email), "%s", t);
    if ((t = store_col_text(st, c0 + 5, NULL)) != NULL) snprintf(a->name, sizeof(a->name), "%s", t);
    ra_role_parse(store_col_text(st, c0 + 6, NULL), &a->role);
    ra_duties_parse(store_col_text(st, c0 + 7, NULL), &a->duties);
    if ((t = store_col_text(st, c0 + 8, NULL)) != NULL)
        snprintf(a->service_point, sizeof(a->service_point), "%s", t);
    if ((t = store_col_text(st, c0 + 9, NULL)) != NULL)
        snprintf(a->cert_serial, sizeof(a->cert_serial), "%s", t);
    a->disabled = (int)store_col_int64(st, c0 + 10);
    a->created_at = store_col_int64(st, c0 + 11);
    if (pe != NULL && pl > 0) {
        sc_buf pt = {0};
        if (ra_unseal(r, "account.phone", pe, pl, &pt, re) != 0) return re->e.status;
        snprintf(a->phone, sizeof(a->phone), "%.*s", (int)pt.len, (const char *)pt.p);
        sc_buf_wipe(&pt);
    }
    return 0;
}

int ra_account_get(ra *r, int64_t id, ra_account *out, ra_err *re)
{
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_ACCT_GET, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, id);
    rc = store_step(st, &re->e);
    if (rc < 0) return rc;
    if (rc != STORE_ROW) return ra_fail(re, SC_ENOTFOUND, "not_found", NULL, "no such account");
    return acct_row(r, st, 0, out, re);
}

/* ---- registration ---- */

static int password_check(const char *pw, const char *phone, ra_err *re)
{
    if (pw == NULL || *pw == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "password", "required");
    size_t n = strlen(pw);
    if (n < 10 || (phone != NULL && strcmp(pw, phone) == 0))
        return ra_fail(re, SC_EINVAL, "account.weak_password", "password", "password too weak");
    if (n > 256) return ra_fail(re, SC_EINVAL, "field.too_long", "password", "too long");
    return 0;
}

static int acct_insert(ra *r, const char *kind, const char *login, const char *phone,
                       const char *email, const char *name, const char *pwhash, const char *role,
                       const char *duties, const char *sp, const char *creator, int64_t *id,
                       ra_err *re)
{
    store_stmt *st;
    sc_buf pe = {0};
    char idx[65];
    int rc = 0;
    if (phone != NULL) {
        if ((rc = ra_phone_idx(r, phone, idx, re)) != 0) return rc;
        if ((rc = ra_seal(r, "account.phone", phone, &pe, re)) != 0) return rc;
    }
    if ((rc = store_stmt_get(r->db, ST_RA_ACCT_INSERT, &st, &re->e)) != 0) goto out;
    store_bind_text(st, 1, kind);
    store_bind_text(st, 2, login);
    store_bind_text(st, 3, phone ? idx : NULL);
    if (phone)
        store_bind_blob(st, 4, pe.p, pe.len);
    else
        store_bind_null(st, 4);
    store_bind_text(st, 5, email);
    store_bind_text(st, 6, name);
    store_bind_text(st, 7, pwhash);
    store_bind_text(st, 8, role);
    store_bind_text(st, 9, duties);
    store_bind_text(st, 10, sp);
    store_bind_text(st, 11, creator);
    store_bind_int64(st, 12, ra_now(r));
    rc = store_step(st, &re->e);
    if (rc == SC_EEXIST) {
        sc_err_clear(&re->e);
        rc = ra_fail(re, SC_EEXIST, "account.exists", login ? "login" : "phone",
                     "already registered");
        goto out;
    }
    if (rc < 0) goto out;
    if (rc != STORE_ROW) {
        rc = ra_fail(re, SC_EINTERNAL, "store.no_id", NULL, "insert returned no id");
        goto out;
    }
    *id = store_col_int64(st, 0);
    /* finish the INSERT … RETURNING: an unfinished write statement blocks COMMIT on SQLite */
    rc = store_step(st, &re->e) < 0 ? re->e.status : 0;
out:
    sc_buf_free(&pe);
    return rc;
}

int ra_account_register(ra *r, const char *phone, const char *email, const char *password,
                        const char *name, int64_t *id, ra_err *re)
{
    int rc;
    if (phone == NULL || *phone == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "phone", "required");
    if ((rc = ra_mobile_check(phone, "phone", re)) != 0) return rc;
    if (email == NULL || *email == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "email", "required");
    if ((rc = ra_email_check(email, "email", re)) != 0) return rc;
    if ((rc = name_check(name, "name", 120, re)) != 0) return rc;
    if ((rc = password_check(password, phone, re)) != 0) return rc;
    char h[RA_PWHASH_MAX];
    if (ra_pw_hash(password, h) != 0)
        return ra_fail(re, SC_ENOMEM, "account.hash", NULL, "password hashing failed");
    char lower[129];
    snprintf(lower, sizeof(lower), "%s", email);
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    /* a counter entry may already have made a password-less account for this phone: the
     * registration then claims it (same phone, and the email when one was recorded) */
    char idx[65];
    if ((rc = ra_phone_idx(r, phone, idx, re)) != 0) return rc;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ACCT_CLAIM, &st, &re->e)) != 0) goto fail;
    store_bind_text(st, 1, h);
    store_bind_text(st, 2, lower);
    store_bind_text(st, 3, name);
    store_bind_text(st, 4, idx);
    store_bind_text(st, 5, lower);
    rc = store_step(st, &re->e);
    if (rc == SC_EEXIST) {
        sc_err_clear(&re->e);
        rc = ra_fail(re, SC_EEXIST, "account.exists", "email", "already registered");
    }
    if (rc < 0) goto fail;
    if (rc == STORE_ROW) {
        *id = store_col_int64(st, 0);
        if ((rc = store_step(st, &re->e)) < 0) goto fail;
    } else if ((rc = acct_insert(r, "applicant", NULL, phone, lower, name, h, "applicant", "", NULL,
                                 "self", id, re)) != 0)
        goto fail;
    char obj[32];
    snprintf(obj, sizeof(obj), "account:%lld", (long long)*id);
    if ((rc = audit_append(r->db, obj, "ra.account.register", obj, "ok", "", &re->e)) != 0)
        goto fail;
    sc_wipe(h, sizeof(h));
    return store_tx_commit(r->db, &re->e);
fail:
    sc_wipe(h, sizeof(h));
    store_tx_rollback(r->db);
    return rc;
}

int ra_account_for_phone(ra *r, const char *phone, const char *email, const char *name,
                         const char *actor, int64_t *id, ra_err *re)
{
    int rc;
    if ((rc = ra_mobile_check(phone, "applicant.phone", re)) != 0) return rc;
    if (email != NULL && *email && (rc = ra_email_check(email, "applicant.email", re)) != 0)
        return rc;
    if ((rc = name_check(name, "applicant.name", 120, re)) != 0) return rc;
    char idx[65];
    if ((rc = ra_phone_idx(r, phone, idx, re)) != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ACCT_BY_PHONE, &st, &re->e)) != 0) return rc;
    store_bind_text(st, 1, idx);
    rc = store_step(st, &re->e);
    if (rc < 0) return rc;
    if (rc == STORE_ROW) {
        *id = store_col_int64(st, 0);
        return 0;
    }
    /* inside the caller's transaction */
    return acct_insert(r, "applicant", NULL, phone, email && *email ? email : NULL, name, NULL,
                       "applicant", "", NULL, actor, id, re);
}

/* ---- login ---- */

static int source_limited(ra *r, const char *source, ra_err *re)
{
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_ATTEMPT_COUNT, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, source);
    store_bind_int64(st, 2, ra_now(r) - 60);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc == STORE_ROW && store_col_int64(st, 0) >= SOURCE_LIMIT)
        return ra_fail(re, SC_ESTATE, "auth.rate_limited", NULL, "too many failed attempts");
    return 0;
}

/* Record a failure: per source (rate limit) and per account (lockout); own transaction. */
static void record_failure(ra *r, const char *source, int64_t acct, const char *actor)
{
    sc_err e = {0};
    if (store_tx_begin(r->db, &e) != 0) return;
    store_stmt *st;
    int64_t now = ra_now(r);
    if (store_stmt_get(r->db, ST_RA_ATTEMPT_INSERT, &st, &e) == 0) {
        store_bind_text(st, 1, source);
        store_bind_int64(st, 2, now);
        store_exec(st, &e);
    }
    if (store_stmt_get(r->db, ST_RA_ATTEMPT_PRUNE, &st, &e) == 0) {
        store_bind_int64(st, 1, now - 3600);
        store_exec(st, &e);
    }
    if (acct > 0 && store_stmt_get(r->db, ST_RA_ACCT_FAIL, &st, &e) == 0) {
        store_bind_int64(st, 1, FAIL_LIMIT);
        store_bind_int64(st, 2, now + LOCK_SECONDS);
        store_bind_int64(st, 3, FAIL_LIMIT);
        store_bind_int64(st, 4, acct);
        store_exec(st, &e);
    }
    audit_append(r->db, actor, "ra.login", actor, "refused", "", &e);
    if (e.status == 0)
        store_tx_commit(r->db, &e);
    else
        store_tx_rollback(r->db);
}

static int session_create(ra *r, ra_session *s, char token[48], ra_err *re)
{
    char th[65];
    random_token(token, 32);
    random_token(s->csrf, 24);
    token_hash(token, th);
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_SESSION_INSERT, &st, &re->e);
    if (rc != 0) return rc;
    int64_t now = ra_now(r);
    store_bind_text(st, 1, th);
    store_bind_int64(st, 2, s->acct.id);
    store_bind_text(st, 3, s->csrf);
    store_bind_int64(st, 4, now);
    store_bind_int64(st, 5, now);
    return store_exec(st, &re->e);
}

static void set_actor(ra_session *s)
{
    if (s->acct.role == RA_ROLE_APPLICANT)
        snprintf(s->actor, sizeof(s->actor), "account:%lld", (long long)s->acct.id);
    else
        snprintf(s->actor, sizeof(s->actor), "staff:%s", s->acct.login);
}

/* Look up a login, check lockout and password. On success fills a. */
static int check_password(ra *r, store_sql_id q, const char *key, const char *password,
                          const char *source, ra_account *a, ra_err *re)
{
    int rc;
    if ((rc = source_limited(r, source, re)) != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, q, &st, &re->e)) != 0) return rc;
    store_bind_text(st, 1, key);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    int64_t id = 0, locked = 0;
    char h[RA_PWHASH_MAX] = "";
    if (rc == STORE_ROW) {
        if ((rc = acct_row(r, st, 0, a, re)) != 0) return rc;
        id = a->id;
        const char *ph = store_col_text(st, 12, NULL);
        if (ph != NULL) snprintf(h, sizeof(h), "%s", ph);
        locked = store_col_int64(st, 13);
    }
    char actor[80];
    snprintf(actor, sizeof(actor), "login:%lld", (long long)id);
    if (id > 0 && locked > ra_now(r))
        return ra_fail(re, SC_ESTATE, "auth.locked", NULL, "account locked");
    int good = id > 0 && h[0] && !a->disabled && ra_pw_verify(h, password) == 0;
    if (!good) {
        /* same work for unknown logins as for known ones, so timing does not tell them apart */
        if (id == 0) {
            char dummy[RA_PWHASH_MAX];
            ra_pw_hash("sealca-dummy-password", dummy);
        }
        record_failure(r, source, id, actor);
        return ra_fail(re, SC_EVERIFY, "auth.bad_credentials", NULL, "wrong login or password");
    }
    return 0;
}

static int login_finish(ra *r, ra_session *out, char token[48], const char *detail, ra_err *re)
{
    int rc;
    set_actor(out);
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ACCT_OK, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, out->acct.id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    if ((rc = session_create(r, out, token, re)) != 0) goto fail;
    if ((rc = audit_append(r->db, out->actor, "ra.login", out->actor, "ok", detail, &re->e)) != 0)
        goto fail;
    return store_tx_commit(r->db, &re->e);
fail:
    store_tx_rollback(r->db);
    return rc;
}

int ra_login(ra *r, const char *login, const char *password, const char *source, char token[48],
             ra_session *out, ra_err *re)
{
    memset(out, 0, sizeof(*out));
    if (login == NULL || *login == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "login", "required");
    if (password == NULL || *password == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "password", "required");
    char key[129];
    store_sql_id q;
    if (strchr(login, '@') != NULL) {
        snprintf(key, sizeof(key), "%s", login);
        for (char *p = key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        q = ST_RA_ACCT_BY_EMAIL;
    } else {
        int prc = ra_phone_idx(r, login, key, re);
        if (prc != 0) return prc;
        q = ST_RA_ACCT_BY_PHONE_LOGIN;
    }
    int rc = check_password(r, q, key, password, source, &out->acct, re);
    if (rc != 0) return rc;
    return login_finish(r, out, token, "", re);
}

void ra_staff_login_msg(const char *login, const char *challenge, sc_buf *out)
{
    const char *p = "sealca-staff-login:";
    sc_buf_append(out, p, strlen(p));
    sc_buf_append(out, login, strlen(login));
    sc_buf_putc(out, ':');
    sc_buf_append(out, challenge, strlen(challenge));
}

static void challenge_id(const char *purpose, const char *subject, const char *ch, char out[65])
{
    crypto_sm3_ctx c;
    uint8_t h[32];
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, purpose, strlen(purpose) + 1);
    crypto_sm3_update(&c, subject, strlen(subject) + 1);
    crypto_sm3_update(&c, ch, strlen(ch));
    crypto_sm3_final(&c, h);
    sc_hex_encode(h, 32, out, 0);
}

int ra_challenge_new(ra *r, const char *purpose, const char *subject, int64_t life, char out[48],
                     int64_t *expires, ra_err *re)
{
    uint8_t b[32];
    crypto_random(b, sizeof(b));
    ra_b64std(b, sizeof(b), out, 48);
    char id[65];
    challenge_id(purpose, subject, out, id);
    int rc;
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    store_stmt *st;
    int64_t now = ra_now(r);
    if ((rc = store_stmt_get(r->db, ST_RA_CHALLENGE_PRUNE, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, now);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    if ((rc = store_stmt_get(r->db, ST_RA_CHALLENGE_INSERT, &st, &re->e)) != 0) goto fail;
    store_bind_text(st, 1, id);
    store_bind_int64(st, 2, now + life);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    *expires = now + life;
    return store_tx_commit(r->db, &re->e);
fail:
    store_tx_rollback(r->db);
    return rc;
}

/* Consume a challenge (one use): 0 when it existed and was fresh. Inside a transaction. */
int ra_challenge_take(ra *r, const char *purpose, const char *subject, const char *ch, ra_err *re)
{
    if (ch == NULL || strlen(ch) > 64)
        return ra_fail(re, SC_EINVAL, "pop.expired", "challenge", "bad challenge");
    char id[65];
    challenge_id(purpose, subject, ch, id);
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_CHALLENGE_TAKE, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, id);
    store_bind_int64(st, 2, ra_now(r));
    if ((rc = store_exec(st, &re->e)) != 0) return rc;
    if (store_changes(r->db) != 1)
        return ra_fail(re, SC_EVERIFY, "pop.expired", "challenge", "challenge expired or used");
    return 0;
}

int ra_staff_challenge(ra *r, const char *login, char out[48], int64_t *expires, ra_err *re)
{
    if (login == NULL || *login == 0 || strlen(login) > 63)
        return ra_fail(re, SC_EINVAL, "field.required", "login", "required");
    return ra_challenge_new(r, "staff-login", login, CHALLENGE_LIFE, out, expires, re);
}

/* The registered, currently valid certificate of a staff member and its key. */
static int staff_cert_key(ra *r, const char *serial, int need_good, sc_key **key, ra_err *re)
{
    cert_info ci = {0};
    sc_err e = {0};
    int rc = pki_cert_get(r->ca, serial, &ci, &e);
    if (rc != 0) return ra_fail(re, SC_EVERIFY, "auth.bad_certificate", "certificate", "unknown");
    int64_t now = ra_now(r);
    if (need_good &&
        (strcmp(ci.status, "good") != 0 || now < ci.not_before || now > ci.not_after)) {
        cert_info_free(&ci);
        return ra_fail(re, SC_EVERIFY, "auth.bad_certificate", "certificate",
                       "certificate revoked, on hold or expired");
    }
    rc = cert_pubkey(ci.der, ci.derlen, key, &e);
    cert_info_free(&ci);
    if (rc != 0) return ra_fail(re, SC_EVERIFY, "auth.bad_certificate", "certificate", "bad key");
    return 0;
}

int ra_staff_login(ra *r, const char *login, const char *password, const char *challenge,
                   const char *sig_b64, const char *cert_pem, const char *source, char token[48],
                   ra_session *out, ra_err *re)
{
    memset(out, 0, sizeof(*out));
    if (login == NULL || *login == 0 || strlen(login) > 63)
        return ra_fail(re, SC_EINVAL, "field.required", "login", "required");
    if (password == NULL || *password == 0)
        return ra_fail(re, SC_EINVAL, "field.required", "password", "required");
    if (challenge == NULL || sig_b64 == NULL)
        return ra_fail(re, SC_EINVAL, "field.required", challenge ? "signature" : "challenge",
                       "required");
    int rc = check_password(r, ST_RA_ACCT_BY_LOGIN, login, password, source, &out->acct, re);
    if (rc != 0) return rc;
    char actor[80];
    snprintf(actor, sizeof(actor), "staff:%s", login);
    if (out->acct.role == RA_ROLE_APPLICANT || out->acct.cert_serial[0] == 0) {
        record_failure(r, source, 0, actor);
        return ra_fail(re, SC_EVERIFY, "auth.bad_credentials", NULL, "not a staff member");
    }
    /* the challenge is used up whatever the outcome */
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    rc = ra_challenge_take(r, "staff-login", login, challenge, re);
    if (rc == 0)
        rc = store_tx_commit(r->db, &re->e);
    else
        store_tx_rollback(r->db);
    if (rc != 0) {
        record_failure(r, source, out->acct.id, actor);
        return rc;
    }
    sc_key *pub = NULL;
    if ((rc = staff_cert_key(r, out->acct.cert_serial, 1, &pub, re)) != 0) {
        record_failure(r, source, out->acct.id, actor);
        return rc;
    }
    if (cert_pem != NULL && *cert_pem) {
        /* the certificate the token presents must be the one registered for this person */
        sc_buf der = {0};
        sc_key *cpub = NULL;
        sc_err e = {0};
        int same = pem_decode((const uint8_t *)cert_pem, strlen(cert_pem), "CERTIFICATE", NULL,
                              &der) == 0 &&
                   cert_pubkey(der.p, der.len, &cpub, &e) == 0 &&
                   crypto_key_equal_public(pub, cpub);
        crypto_key_free(cpub);
        sc_buf_free(&der);
        if (!same) {
            crypto_key_free(pub);
            record_failure(r, source, out->acct.id, actor);
            return ra_fail(re, SC_EVERIFY, "auth.bad_certificate", "certificate",
                           "not the registered certificate");
        }
    }
    sc_buf msg = {0}, sig = {0};
    ra_staff_login_msg(login, challenge, &msg);
    sc_err e = {0};
    int ok = ra_b64_decode(sig_b64, &sig) == 0 &&
             crypto_verify(pub, crypto_key_alg(pub), msg.p, msg.len, sig.p, sig.len, &e) == 0;
    crypto_key_free(pub);
    sc_buf_free(&msg);
    sc_buf_free(&sig);
    if (!ok) {
        record_failure(r, source, out->acct.id, actor);
        return ra_fail(re, SC_EVERIFY, "auth.bad_certificate", "signature",
                       "signature does not verify");
    }
    char detail[80];
    snprintf(detail, sizeof(detail), "cert=%s", out->acct.cert_serial);
    return login_finish(r, out, token, detail, re);
}

int ra_session_get(ra *r, const char *token, ra_session *out, ra_err *re)
{
    memset(out, 0, sizeof(*out));
    if (token == NULL || strlen(token) != 43)
        return ra_fail(re, SC_EINVAL, "auth.required", NULL, "no session");
    char th[65];
    token_hash(token, th);
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_SESSION_GET, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, th);
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc != STORE_ROW) return ra_fail(re, SC_EINVAL, "auth.required", NULL, "no session");
    snprintf(out->csrf, sizeof(out->csrf), "%s", store_col_text(st, 0, NULL));
    int64_t created = store_col_int64(st, 1), seen = store_col_int64(st, 2), now = ra_now(r);
    if ((rc = acct_row(r, st, 3, &out->acct, re)) != 0) return rc;
    if (now - seen > r->session_idle || now - created > r->session_max || out->acct.disabled) {
        ra_session_end(r, token, 0, NULL);
        return ra_fail(re, SC_EINVAL, "auth.required", NULL, "session expired");
    }
    set_actor(out);
    if (now - seen >= 30) { /* at most one write per half minute per session */
        /* a write transaction of its own: writing while the SELECT above still pins its read
         * snapshot would fail at once on SQLite when another writer committed meanwhile */
        if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
        if ((rc = store_stmt_get(r->db, ST_RA_SESSION_TOUCH, &st, &re->e)) == 0) {
            store_bind_int64(st, 1, now);
            store_bind_text(st, 2, th);
            rc = store_exec(st, &re->e);
        }
        if (rc != 0) {
            store_tx_rollback(r->db);
            return rc;
        }
        return store_tx_commit(r->db, &re->e);
    }
    return 0;
}

int ra_session_end(ra *r, const char *token, int everywhere, ra_err *re)
{
    ra_err tmp = {0};
    if (re == NULL) re = &tmp;
    char th[65];
    token_hash(token ? token : "", th);
    ra_session s;
    int64_t acct = 0;
    if (everywhere) {
        int rc = ra_session_get(r, token, &s, re);
        if (rc != 0) return rc;
        acct = s.acct.id;
    }
    int rc = store_tx_begin(r->db, &re->e);
    if (rc != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, everywhere ? ST_RA_SESSION_END_ALL : ST_RA_SESSION_END, &st,
                             &re->e)) != 0)
        goto fail;
    if (everywhere)
        store_bind_int64(st, 1, acct);
    else
        store_bind_text(st, 1, th);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    if (everywhere &&
        (rc = audit_append(r->db, s.actor, "ra.logout_everywhere", s.actor, "ok", "", &re->e)) != 0)
        goto fail;
    return store_tx_commit(r->db, &re->e);
fail:
    store_tx_rollback(r->db);
    return rc;
}

int ra_csrf_check(const ra_session *s, const char *csrf, ra_err *re)
{
    size_t n = strlen(s->csrf);
    if (csrf == NULL || strlen(csrf) != n || n == 0 || sc_memeq_ct(csrf, s->csrf, n) != 0)
        return ra_fail(re, SC_EINVAL, "csrf.invalid", "X-CSRF-Token",
                       "missing or wrong CSRF token");
    return 0;
}

/* ---- staff administration (GM/T 0037 §8.3 separation of duties) ---- */

/* Which role may create which: super-admin -> business-admin, business-admin -> operator,
 * audit-admin -> auditor; the two top admins only together, by init-admins (creator NULL). */
static int may_create(const ra_session *creator, ra_role role)
{
    if (creator == NULL) return 1;
    switch (creator->acct.role) {
    case RA_ROLE_SUPER_ADMIN:
        return role == RA_ROLE_BUSINESS_ADMIN;
    case RA_ROLE_BUSINESS_ADMIN:
        return role == RA_ROLE_OPERATOR;
    case RA_ROLE_AUDIT_ADMIN:
        return role == RA_ROLE_AUDITOR;
    default:
        return 0;
    }
}

int ra_staff_add(ra *r, const ra_session *creator, const ra_staff_new *n, int64_t *id,
                 sc_buf *out_cert, ra_err *re)
{
    int rc;
    if (!may_create(creator, n->role) || n->role == RA_ROLE_APPLICANT)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", "role", "may not create this role");
    if (n->login == NULL || *n->login == 0 || strlen(n->login) > 63)
        return ra_fail(re, SC_EINVAL, "field.required", "login", "login required");
    for (const char *p = n->login; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return ra_fail(re, SC_EINVAL, "field.bad_char", "login", "login: letters, digits, -_.");
    if ((rc = name_check(n->name, "name", 120, re)) != 0) return rc;
    if ((rc = password_check(n->password, NULL, re)) != 0) return rc;
    if (n->role == RA_ROLE_OPERATOR) {
        if (n->duties == 0)
            return ra_fail(re, SC_EINVAL, "field.required", "duties", "operator duties required");
        if (n->service_point == NULL || !ra_catalog_has_point(r->cat, n->service_point))
            return ra_fail(re, SC_EINVAL, "field.choice", "service_point", "unknown service point");
    } else if (n->duties != 0)
        return ra_fail(re, SC_EINVAL, "field.choice", "duties", "only operators have duties");
    if (n->pub == NULL) return ra_fail(re, SC_EINVAL, "field.required", "csr", "key required");
    /* the staff certificate first (its own transaction in the CA core), then the account */
    char subj[400];
    snprintf(subj, sizeof(subj), "CN=%s,OU=%s,O=%s", n->login, ra_role_name(n->role), r->ca->name);
    issue_req ir = {.profile = RA_STAFF_PROFILE,
                    .subject = subj,
                    .pub = n->pub,
                    .actor = creator ? creator->actor : "cli"};
    cert_info ci = {0};
    if ((rc = pki_issue(r->ca, &ir, &ci, &re->e)) != 0) return rc;
    char h[RA_PWHASH_MAX], duties[64];
    ra_pw_hash(n->password, h);
    ra_duties_format(n->duties, duties, sizeof(duties));
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) goto out;
    if ((rc = acct_insert(r, "staff", n->login, NULL, NULL, n->name, h, ra_role_name(n->role),
                          duties, n->role == RA_ROLE_OPERATOR ? n->service_point : NULL,
                          creator ? creator->actor : "cli", id, re)) != 0)
        goto fail;
    store_stmt *st;
    if ((rc = store_stmt_get(r->db, ST_RA_ACCT_SET_CERT, &st, &re->e)) != 0) goto fail;
    store_bind_text(st, 1, ci.serial);
    store_bind_int64(st, 2, *id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    char detail[300], obj[80];
    snprintf(obj, sizeof(obj), "staff:%s", n->login);
    snprintf(detail, sizeof(detail), "role=%s duties=%s service_point=%s cert=%s",
             ra_role_name(n->role), duties, n->service_point ? n->service_point : "", ci.serial);
    if ((rc = audit_append(r->db, creator ? creator->actor : "cli", "ra.staff.add", obj, "ok",
                           detail, &re->e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) goto out;
    if (out_cert) sc_buf_append(out_cert, ci.der, ci.derlen);
    goto out;
fail:
    store_tx_rollback(r->db);
    /* the certificate was issued but no account holds it: revoke it so it cannot log in */
    sc_err e2 = {0};
    pki_revoke(r->ca, ci.serial, REASON_CESSATION, 0, "ra.staff.add-failed", &e2);
out:
    sc_wipe(h, sizeof(h));
    cert_info_free(&ci);
    return rc;
}

int ra_staff_disable(ra *r, const ra_session *actor, const char *login, ra_err *re)
{
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_ACCT_BY_LOGIN, &st, &re->e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, login ? login : "");
    if ((rc = store_step(st, &re->e)) < 0) return rc;
    if (rc != STORE_ROW) return ra_fail(re, SC_ENOTFOUND, "not_found", "login", "no such staff");
    ra_account a;
    if ((rc = acct_row(r, st, 0, &a, re)) != 0) return rc;
    if (a.role == RA_ROLE_APPLICANT || !may_create(actor, a.role))
        return ra_fail(re, SC_EINVAL, "auth.forbidden", "login", "may not disable this account");
    if ((rc = store_tx_begin(r->db, &re->e)) != 0) return rc;
    if ((rc = store_stmt_get(r->db, ST_RA_ACCT_DISABLE, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, a.id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    if ((rc = store_stmt_get(r->db, ST_RA_SESSION_END_ALL, &st, &re->e)) != 0) goto fail;
    store_bind_int64(st, 1, a.id);
    if ((rc = store_exec(st, &re->e)) != 0) goto fail;
    char obj[80];
    snprintf(obj, sizeof(obj), "staff:%s", a.login);
    if ((rc = audit_append(r->db, actor ? actor->actor : "cli", "ra.staff.disable", obj, "ok", "",
                           &re->e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(r->db, &re->e)) != 0) return rc;
    /* a disabled staff member's certificate can no longer sign anything */
    if (a.cert_serial[0]) {
        sc_err e2 = {0};
        pki_revoke(r->ca, a.cert_serial, REASON_PRIVILEGE_WITHDRAWN, 0,
                   actor ? actor->actor : "cli", &e2);
    }
    return 0;
fail:
    store_tx_rollback(r->db);
    return rc;
}

int ra_staff_list(ra *r, const ra_session *actor, int (*fn)(void *, const ra_account *), void *arg,
                  ra_err *re)
{
    store_stmt *st;
    int rc = store_stmt_get(r->db, ST_RA_STAFF_LIST, &st, &re->e);
    if (rc != 0) return rc;
    while ((rc = store_step(st, &re->e)) == STORE_ROW) {
        ra_account a;
        if ((rc = acct_row(r, st, 0, &a, re)) != 0) return rc;
        if (actor != NULL && !may_create(actor, a.role)) continue;
        if ((rc = fn(arg, &a)) != 0) return rc;
    }
    return rc < 0 ? rc : 0;
}

/* ---- signed staff actions ---- */

int ra_signed_action(ra *r, const ra_session *s, const char *payload, const char *sig_b64,
                     const char *action, int64_t object, json_t **pl, ra_err *re)
{
    *pl = NULL;
    if (!ra_is_staff(s) || s->acct.cert_serial[0] == 0)
        return ra_fail(re, SC_EINVAL, "auth.forbidden", NULL, "staff only");
    if (payload == NULL) return ra_fail(re, SC_EINVAL, "field.required", "payload", "required");
    if (sig_b64 == NULL) return ra_fail(re, SC_EINVAL, "field.required", "signature", "required");
    json_t *p = NULL;
    int rc = ra_json_parse((const uint8_t *)payload, strlen(payload), &p, re);
    if (rc != 0) {
        snprintf(re->field, sizeof(re->field), "payload");
        return rc;
    }
    json_t *a = json_object_get(p, "action"), *o = json_object_get(p, "order"),
           *at = json_object_get(p, "at");
    int64_t now = ra_now(r);
    if (!json_is_string(a) || strcmp(json_string_value(a), action) != 0 ||
        (object >= 0 && (!json_is_integer(o) || json_integer_value(o) != object)) ||
        !json_is_integer(at) || json_integer_value(at) < now - SIGNED_SKEW ||
        json_integer_value(at) > now + SIGNED_SKEW) {
        json_decref(p);
        return ra_fail(re, SC_EVERIFY, "staff.bad_signature", "payload",
                       "payload is for another action, object or time");
    }
    sc_key *pub = NULL;
    if ((rc = staff_cert_key(r, s->acct.cert_serial, 1, &pub, re)) != 0) {
        json_decref(p);
        return rc;
    }
    sc_buf sig = {0};
    sc_err e = {0};
    int ok = ra_b64_decode(sig_b64, &sig) == 0 &&
             crypto_verify(pub, crypto_key_alg(pub), (const uint8_t *)payload, strlen(payload),
                           sig.p, sig.len, &e) == 0;
    crypto_key_free(pub);
    sc_buf_free(&sig);
    if (!ok) {
        json_decref(p);
        return ra_fail(re, SC_EVERIFY, "staff.bad_signature", "signature",
                       "signature does not verify");
    }
    *pl = p;
    return 0;
}

int ra_signed_detail(const ra_session *s, const char *payload, const char *sig_b64, sc_buf *out)
{
    json_t *d = json_pack("{s:s, s:s, s:s}", "cert", s->acct.cert_serial, "payload", payload,
                          "signature", sig_b64);
    if (d == NULL) return SC_ENOMEM;
    char *t = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    if (t == NULL) return SC_ENOMEM;
    sc_buf_append(out, t, strlen(t));
    sc_buf_putc(out, 0);
    free(t);
    return out->oom ? SC_ENOMEM : 0;
}

int ra_signed_verify_detail(ra *r, const char *detail)
{
    json_error_t je;
    json_t *d = json_loads(detail, JSON_REJECT_DUPLICATES, &je);
    if (d == NULL) return 0;
    const char *cert = json_string_value(json_object_get(d, "cert"));
    const char *payload = json_string_value(json_object_get(d, "payload"));
    const char *sig = json_string_value(json_object_get(d, "signature"));
    int ok = 0;
    sc_key *pub = NULL;
    ra_err re = {0};
    /* a signature made while the certificate was good stays a valid record after revocation */
    if (cert && payload && sig && staff_cert_key(r, cert, 0, &pub, &re) == 0) {
        sc_buf sb = {0};
        sc_err e = {0};
        ok = ra_b64_decode(sig, &sb) == 0 &&
             crypto_verify(pub, crypto_key_alg(pub), (const uint8_t *)payload, strlen(payload),
                           sb.p, sb.len, &e) == 0;
        sc_buf_free(&sb);
    }
    crypto_key_free(pub);
    json_decref(d);
    return ok;
}
