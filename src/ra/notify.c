/* notify.c - the e-mail outbox: queueing, MIME formatting (RFC 2047 / base64), SMTP delivery with
 * libcurl, backoff. */
#include "ra/notify.h"

#include <curl/curl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "common/conf.h"
#include "common/utf8.h"

#define NOTIFY_BATCH 50

/* ---- checks ---- */

/* One plain address: printable ASCII without spaces, <>, quotes, commas; one '@' with text on
 * both sides. No display names: what is queued is exactly the envelope recipient. */
static int addr_ok(const char *a)
{
    size_t n = a ? strlen(a) : 0;
    if (n < 3 || n > NOTIFY_MAX_ADDR) return 0;
    const char *at = strchr(a, '@');
    if (at == NULL || at == a || at[1] == 0 || strchr(at + 1, '@') != NULL) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c) != NULL) return 0;
    }
    return 1;
}

/* Valid UTF-8; controls refused except, when multiline, LF and TAB (CR is refused: LF only). */
static int text_ok(const char *s, int multiline)
{
    size_t n = strlen(s);
    const uint8_t *p = (const uint8_t *)s;
    while (n > 0) {
        uint32_t cp;
        int k = sc_utf8_next(p, n, &cp);
        if (k < 0) return 0;
        if (sc_utf8_is_control(cp) && !(multiline && (cp == '\n' || cp == '\t'))) return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

int notify_enqueue(store *s, const char *to, const char *subject, const char *body,
                   int64_t not_before, sc_err *e)
{
    if (!addr_ok(to))
        return sc_fail(e, SC_EINVAL, "notify.bad_address",
                       "the recipient is not a plain e-mail address");
    if (subject == NULL || subject[0] == 0 || strlen(subject) > NOTIFY_MAX_SUBJECT ||
        !text_ok(subject, 0))
        return sc_fail(e, SC_EINVAL, "notify.bad_subject",
                       "the subject must be one line of UTF-8 text, 1-%d bytes",
                       NOTIFY_MAX_SUBJECT);
    if (body == NULL || strlen(body) > NOTIFY_MAX_BODY)
        return sc_fail(e, SC_ETOOBIG, "notify.bad_body", "the message body is over %d bytes",
                       NOTIFY_MAX_BODY);
    if (!text_ok(body, 1))
        return sc_fail(e, SC_EINVAL, "notify.bad_body",
                       "the message body must be UTF-8 text (LF line ends)");
    int64_t now = (int64_t)time(NULL);
    store_stmt *st;
    int rc = store_stmt_get(s, ST_NOTIFY_INSERT, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, to);
    store_bind_text(st, 2, subject);
    store_bind_text(st, 3, body);
    store_bind_int64(st, 4, not_before > now ? not_before : now);
    store_bind_int64(st, 5, now);
    return store_exec(st, e);
}

/* ---- formatting ---- */

static void b64(sc_buf *out, const uint8_t *p, size_t n)
{
    uint8_t tmp[4 * 57 / 3 + 4];
    while (n > 0) {
        size_t k = n < 57 ? n : 57;
        int w = EVP_EncodeBlock(tmp, p, (int)k);
        sc_buf_append(out, tmp, (size_t)w);
        p += k;
        n -= k;
        if (n > 0) sc_buf_append(out, "\r\n", 2);
    }
}

/* Subject: pure printable ASCII as is; otherwise RFC 2047 "B" encoded-words of
 * at most 42 bytes of whole UTF-8 characters each (68 characters encoded, so "Subject: " and the
 * first word fit in 78), folded onto new lines. */
static void subject_header(sc_buf *out, const char *subj)
{
    size_t n = strlen(subj);
    int ascii = 1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)subj[i] >= 0x7f) ascii = 0;
    sc_buf_append(out, "Subject: ", 9);
    if (ascii && n <= 900 && strstr(subj, "=?") == NULL) {
        sc_buf_append(out, subj, n);
        sc_buf_append(out, "\r\n", 2);
        return;
    }
    const uint8_t *p = (const uint8_t *)subj;
    int first = 1;
    while (n > 0) {
        size_t k = 0;
        while (k < n) {
            uint32_t cp;
            int l = sc_utf8_next(p + k, n - k, &cp);
            if (l < 0) l = 1; /* checked at enqueue; defensive */
            if (k + (size_t)l > 42) break;
            k += (size_t)l;
        }
        if (!first) sc_buf_append(out, "\r\n ", 3);
        sc_buf_append(out, "=?UTF-8?B?", 10);
        uint8_t tmp[64];
        int w = EVP_EncodeBlock(tmp, p, (int)k);
        sc_buf_append(out, tmp, (size_t)w);
        sc_buf_append(out, "?=", 2);
        p += k;
        n -= k;
        first = 0;
    }
    sc_buf_append(out, "\r\n", 2);
}

int notify_format(const char *from, const char *to, const char *subject, const char *body,
                  int64_t id, int64_t created_at, sc_buf *out, sc_err *e)
{
    if (!addr_ok(from) || !addr_ok(to))
        return sc_fail(e, SC_EINVAL, "notify.bad_address",
                       "a sender or recipient address is "
                       "not a plain e-mail address");
    /* Date in Asia/Shanghai (UTC+8, no DST since 1991), C-locale names (RFC 5322 §3.3) */
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(time(NULL) + 8 * 3600);
    struct tm tm;
    gmtime_r(&t, &tm);
    char h[1024];
    int n =
        snprintf(h, sizeof(h),
                 "From: %s\r\nTo: %s\r\nDate: %s, %02d %s %04d %02d:%02d:%02d +0800\r\n"
                 "Message-ID: <sealca.notify.%lld.%lld%s>\r\nMIME-Version: 1.0\r\n",
                 from, to, wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (long long)id, (long long)created_at, strchr(from, '@'));
    if (n < 0 || (size_t)n >= sizeof(h)) return sc_fail(e, SC_EINVAL, "notify.format", "too long");
    sc_buf_append(out, h, (size_t)n);
    subject_header(out, subject);
    static const char ct[] = "Content-Type: text/plain; charset=UTF-8\r\n"
                             "Content-Transfer-Encoding: base64\r\n\r\n";
    sc_buf_append(out, ct, sizeof(ct) - 1);
    /* LF -> CRLF in the text (RFC 5322 lines), then base64 so no line is too long and no "."
     * line or 8-bit byte can trouble a relay */
    sc_buf crlf = {0};
    for (const char *p = body; *p; p++) {
        if (*p == '\n') sc_buf_putc(&crlf, '\r');
        sc_buf_putc(&crlf, (uint8_t)*p);
    }
    b64(out, crlf.p, crlf.len);
    sc_buf_free(&crlf);
    sc_buf_append(out, "\r\n", 2);
    if (out->oom) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    return 0;
}

/* ---- sending ---- */

typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    reader *r = arg;
    size_t want = size * nitems, k = r->left < want ? r->left : want;
    memcpy(buf, r->p, k);
    r->p += k;
    r->left -= k;
    return k;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int is_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    if (h == NULL) return 0;
    h += 3;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
           strncmp(h, "[::1]", 5) == 0;
}

static int conf_check(const notify_smtp *c, sc_err *e)
{
    if (c == NULL || c->url == NULL ||
        (strncmp(c->url, "smtp://", 7) != 0 && strncmp(c->url, "smtps://", 8) != 0) ||
        strlen(c->url) > 250 || strpbrk(c->url, " \r\n") != NULL)
        return sc_fail(e, SC_EINVAL, "notify.bad_smtp_url",
                       "smtp_url must be smtp://host:port or smtps://host:port");
    if (c->from == NULL || !addr_ok(c->from))
        return sc_fail(e, SC_EINVAL, "notify.bad_from", "smtp_from must be a plain address");
    int tls = strncmp(c->url, "smtps://", 8) == 0 || c->starttls;
    if (c->user && c->user[0] && !tls && !is_loopback(c->url))
        return sc_fail(e, SC_EINVAL, "notify.insecure_auth",
                       "SMTP authentication needs smtps:// or smtp_starttls = yes (the password "
                       "would cross the network in clear)");
    return 0;
}

/* One SMTP transaction. 0, or -1 with why[] filled. */
static int smtp_send(const notify_smtp *c, const char *to, const sc_buf *msg, char *why,
                     size_t whysz)
{
    pthread_once(&curl_once, curl_init);
    CURL *h = curl_easy_init();
    if (h == NULL) {
        snprintf(why, whysz, "libcurl init failed");
        return -1;
    }
    char from[NOTIFY_MAX_ADDR + 3], rcpt[NOTIFY_MAX_ADDR + 3];
    snprintf(from, sizeof(from), "<%s>", c->from);
    snprintf(rcpt, sizeof(rcpt), "<%s>", to);
    struct curl_slist *rl = curl_slist_append(NULL, rcpt);
    reader r = {msg->p, msg->len};
    char err[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rl);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s > 0 ? c->timeout_s : 60L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
    if (c->starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (c->user && c->user[0]) {
        curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
    }
    CURLcode cr = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rl);
    curl_easy_cleanup(h);
    if (cr == CURLE_OK) return 0;
    if (code > 0)
        snprintf(why, whysz, "%s (SMTP %ld)%s%.120s", curl_easy_strerror(cr), code,
                 err[0] ? ": " : "", err);
    else
        snprintf(why, whysz, "%s%s%.120s", curl_easy_strerror(cr), err[0] ? ": " : "", err);
    return -1;
}

static int64_t backoff(int64_t attempts)
{
    int64_t d = NOTIFY_BACKOFF_FIRST;
    for (int64_t i = 1; i < attempts && d < NOTIFY_BACKOFF_MAX; i++)
        d *= 2;
    return d < NOTIFY_BACKOFF_MAX ? d : NOTIFY_BACKOFF_MAX;
}

typedef struct due_msg {
    int64_t id, attempts, next_attempt, created_at;
    char *to, *subject, *body;
} due_msg;

static void due_free(due_msg *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].to);
        free(m[i].subject);
        free(m[i].body);
    }
}

static int load_due(store *s, int64_t now, due_msg *m, size_t *n, sc_err *e)
{
    store_stmt *st;
    *n = 0;
    int rc = store_stmt_get(s, ST_NOTIFY_DUE, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, NOTIFY_BATCH);
    while ((rc = store_step(st, e)) == STORE_ROW) {
        due_msg *x = &m[(*n)++];
        x->id = store_col_int64(st, 0);
        x->to = strdup(store_col_text(st, 1, NULL));
        x->subject = strdup(store_col_text(st, 2, NULL));
        x->body = strdup(store_col_text(st, 3, NULL));
        x->attempts = store_col_int64(st, 4);
        x->next_attempt = store_col_int64(st, 5);
        x->created_at = store_col_int64(st, 6);
        if (x->to == NULL || x->subject == NULL || x->body == NULL) {
            rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
            break;
        }
    }
    return rc < 0 ? rc : 0;
}

/* One statement in its own transaction; *changed = rows changed. */
static int tx_update(store *s, store_sql_id id, int64_t a, int64_t b, int64_t c, int64_t *changed,
                     sc_err *e)
{
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(s, id, &st, e)) == 0) {
        store_bind_int64(st, 1, a);
        store_bind_int64(st, 2, b);
        store_bind_int64(st, 3, c);
        rc = store_exec(st, e);
    }
    if (rc == 0) *changed = store_changes(s);
    if (rc == 0) rc = store_tx_commit(s, e);
    if (rc != 0) store_tx_rollback(s);
    return rc;
}

/* Mask the local part for the audit record: "zh***@example.cn". */
static void mask_addr(const char *a, char *out, size_t outsz)
{
    const char *at = strchr(a, '@');
    size_t keep = at && at - a > 2 ? 2 : 1;
    snprintf(out, outsz, "%.*s***%s", (int)keep, a, at ? at : "");
}

static int finish(store *s, const due_msg *m, int64_t now, int ok, const char *why, sc_err *e)
{
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    store_stmt *st;
    if (ok) {
        if ((rc = store_stmt_get(s, ST_NOTIFY_SENT, &st, e)) == 0) {
            store_bind_int64(st, 1, now);
            store_bind_int64(st, 2, m->id);
            rc = store_exec(st, e);
        }
        if (rc == 0 && store_changes(s) == 1) {
            char obj[40], det[NOTIFY_MAX_ADDR + 64], masked[NOTIFY_MAX_ADDR + 8];
            snprintf(obj, sizeof(obj), "notify:%lld", (long long)m->id);
            mask_addr(m->to, masked, sizeof(masked));
            snprintf(det, sizeof(det), "to=%s attempts=%lld", masked, (long long)(m->attempts + 1));
            rc = audit_append(s, "system", "notify.sent", obj, "ok", det, e);
        }
    } else if ((rc = store_stmt_get(s, ST_NOTIFY_RETRY, &st, e)) == 0) {
        store_bind_int64(st, 1, now + backoff(m->attempts + 1));
        store_bind_text(st, 2, why);
        store_bind_int64(st, 3, m->id);
        rc = store_exec(st, e);
    }
    if (rc == 0) rc = store_tx_commit(s, e);
    if (rc != 0) store_tx_rollback(s);
    return rc;
}

int notify_deliver(store *s, const notify_smtp *c, int64_t now, size_t *sent, sc_err *e)
{
    *sent = 0;
    int rc = conf_check(c, e);
    if (rc != 0) return rc;
    due_msg *m = calloc(NOTIFY_BATCH, sizeof(*m));
    if (m == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    size_t n = 0;
    rc = load_due(s, now, m, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        int64_t changed = 0;
        /* claim: attempts + 1 and a lease, committed before the network is touched */
        rc = tx_update(s, ST_NOTIFY_CLAIM, now + NOTIFY_LEASE, m[i].id, m[i].next_attempt, &changed,
                       e);
        if (rc != 0 || changed != 1) continue; /* another sender took it */
        sc_buf msg = {0};
        char why[200] = "";
        int ok = notify_format(c->from, m[i].to, m[i].subject, m[i].body, m[i].id, m[i].created_at,
                               &msg, NULL) == 0 &&
                 smtp_send(c, m[i].to, &msg, why, sizeof(why)) == 0;
        if (!ok && why[0] == 0) snprintf(why, sizeof(why), "cannot format the message");
        sc_buf_free(&msg);
        rc = finish(s, &m[i], now, ok, why, e);
        if (rc == 0 && ok) (*sent)++;
    }
    due_free(m, n);
    free(m);
    return rc;
}

int notify_requeue(store *s, int64_t now, sc_err *e)
{
    int rc = store_tx_begin(s, e);
    if (rc != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(s, ST_NOTIFY_REQUEUE, &st, e)) == 0) {
        store_bind_int64(st, 1, now);
        store_bind_int64(st, 2, now);
        rc = store_exec(st, e);
    }
    if (rc == 0) {
        char det[48];
        snprintf(det, sizeof(det), "rows=%lld", (long long)store_changes(s));
        rc = audit_append(s, "operator", "notify.requeue", "notify", "ok", det, e);
    }
    if (rc == 0) rc = store_tx_commit(s, e);
    if (rc != 0) store_tx_rollback(s);
    return rc;
}

int notify_list(store *s, size_t limit, int (*fn)(void *arg, const notify_msg *m), void *arg,
                sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_NOTIFY_LIST, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, (int64_t)(limit > 1000 ? 1000 : limit));
    while ((rc = store_step(st, e)) == STORE_ROW) {
        notify_msg m;
        memset(&m, 0, sizeof(m));
        m.id = store_col_int64(st, 0);
        snprintf(m.to, sizeof(m.to), "%s", store_col_text(st, 1, NULL));
        snprintf(m.subject, sizeof(m.subject), "%s", store_col_text(st, 2, NULL));
        snprintf(m.state, sizeof(m.state), "%s", store_col_text(st, 3, NULL));
        m.attempts = store_col_int64(st, 4);
        m.next_attempt = store_col_int64(st, 5);
        if (!store_col_isnull(st, 6))
            snprintf(m.last_error, sizeof(m.last_error), "%s", store_col_text(st, 6, NULL));
        m.created_at = store_col_int64(st, 7);
        m.sent_at = store_col_isnull(st, 8) ? 0 : store_col_int64(st, 8);
        if ((rc = fn(arg, &m)) != 0) return rc;
    }
    return rc < 0 ? rc : 0;
}

int notify_stats(store *s, notify_counts *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    store_stmt *st;
    int rc = store_stmt_get(s, ST_NOTIFY_COUNTS, &st, e);
    if (rc != 0) return rc;
    if ((rc = store_step(st, e)) == STORE_ROW) {
        out->pending = store_col_int64(st, 0);
        out->failing = store_col_int64(st, 1);
        out->sent = store_col_int64(st, 2);
        out->oldest_pending = store_col_isnull(st, 3) ? 0 : store_col_int64(st, 3);
        while ((rc = store_step(st, e)) == STORE_ROW) {
        }
    }
    return rc < 0 ? rc : 0;
}

/* ---- configuration ---- */

int notify_conf_load(const char *home, notify_conf *cfg, int *configured, sc_err *e)
{
    memset(cfg, 0, sizeof(*cfg));
    *configured = 0;
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/sealca.conf", home) >= (int)sizeof(path))
        return sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
    conf *c = NULL;
    int rc = conf_load(path, &c, e);
    if (rc != 0) return rc;
    const char *url = conf_get(c, "smtp_url"), *from = conf_get(c, "smtp_from"),
               *user = conf_get(c, "smtp_user"), *pwf = conf_get(c, "smtp_password_file");
    int starttls = 0;
    if (url == NULL) {
        if (from || user || pwf)
            rc = sc_fail(e, SC_EINVAL, "conf.bad_smtp",
                         "smtp_from, smtp_user and smtp_password_file need smtp_url");
        conf_free(c);
        return rc;
    }
    if ((rc = conf_get_bool(c, "smtp_starttls", 0, &starttls, e)) != 0) goto out;
    if (strlen(url) >= sizeof(cfg->url) || from == NULL || strlen(from) >= sizeof(cfg->from) ||
        (user && strlen(user) >= sizeof(cfg->user))) {
        rc = sc_fail(e, SC_EINVAL, "conf.bad_smtp",
                     "smtp_url needs smtp_from (a plain address); values too long");
        goto out;
    }
    if ((user != NULL) != (pwf != NULL)) {
        rc = sc_fail(e, SC_EINVAL, "conf.bad_smtp", "smtp_user and smtp_password_file go together");
        goto out;
    }
    snprintf(cfg->url, sizeof(cfg->url), "%s", url);
    snprintf(cfg->from, sizeof(cfg->from), "%s", from);
    if (user) {
        snprintf(cfg->user, sizeof(cfg->user), "%s", user);
        char pp[PATH_MAX];
        snprintf(pp, sizeof(pp), "%s%s%s", pwf[0] == '/' ? "" : home, pwf[0] == '/' ? "" : "/",
                 pwf);
        uint8_t *d = NULL;
        size_t n = 0;
        if (sc_file_read(pp, sizeof(cfg->password) - 1, &d, &n) != 0) {
            rc = sc_fail(e, SC_EIO, "conf.bad_smtp", "cannot read smtp_password_file %s", pwf);
            goto out;
        }
        while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r'))
            n--;
        memcpy(cfg->password, d, n);
        cfg->password[n] = 0;
        sc_wipe(d, n);
        free(d);
    }
    cfg->smtp.url = cfg->url;
    cfg->smtp.from = cfg->from;
    cfg->smtp.user = cfg->user[0] ? cfg->user : NULL;
    cfg->smtp.password = cfg->password;
    cfg->smtp.starttls = starttls;
    if ((rc = conf_check(&cfg->smtp, e)) == 0) *configured = 1;
out:
    conf_free(c);
    if (rc != 0) notify_conf_free(cfg);
    return rc;
}

void notify_conf_free(notify_conf *cfg)
{
    sc_wipe(cfg->password, sizeof(cfg->password));
    memset(cfg, 0, sizeof(*cfg));
}
