/* notify.h - e-mail notifications through an outbox table, delivered over SMTP (libcurl) with
 * retries, so that none is lost while the mail server is down. */
#ifndef SEALCA_RA_NOTIFY_H
#define SEALCA_RA_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "store/store.h"

/* Limits on what is queued (refused with SC_EINVAL / SC_ETOOBIG beyond them). */
#define NOTIFY_MAX_ADDR    254
#define NOTIFY_MAX_SUBJECT 400 /* bytes of UTF-8 */
#define NOTIFY_MAX_BODY    (64 * 1024)
/* Retry schedule: 60 s after the first failure, doubling, at most 6 h apart; never given up. */
#define NOTIFY_BACKOFF_FIRST 60
#define NOTIFY_BACKOFF_MAX   (6 * 3600)
/* A claimed message whose sender died is due again after this. */
#define NOTIFY_LEASE 300

/*
 * Queue a message inside the caller's write transaction (it commits or rolls back with the event
 * it reports). to: one plain ASCII address (local@domain, no display name); subject: one line of
 * UTF-8 (sent RFC 2047-encoded); body: UTF-8 text, LF line ends (sent base64). not_before: UTC
 * seconds; 0 = now. Nothing is sent here.
 */
int notify_enqueue(store *s, const char *to, const char *subject, const char *body,
                   int64_t not_before, sc_err *e);

typedef struct notify_smtp {
    const char *url;  /* smtp://host:port (or smtps:// for TLS from the start) */
    const char *from; /* envelope and From: address */
    const char *user; /* NULL / "" = no authentication */
    const char *password;
    int starttls;   /* 1: require STARTTLS on smtp:// (needed for auth off loopback) */
    long timeout_s; /* whole-transfer limit; 0 = 60 */
} notify_smtp;

/*
 * Deliver the messages due at now (at most 50 per call), one SMTP transaction each. A message is
 * first claimed (attempts + 1, leased NOTIFY_LEASE seconds) in its own transaction, then sent, then
 * marked sent (audited "notify.sent") — or scheduled again with backoff and last_error recorded.
 * *sent = messages accepted by the server. Returns 0 even when sending failed (the failures are
 * in the table); an error only for a bad configuration or a store failure.
 */
int notify_deliver(store *s, const notify_smtp *c, int64_t now, size_t *sent, sc_err *e);

/* Every pending message due now (the operator fixed the mail server). */
int notify_requeue(store *s, int64_t now, sc_err *e);

typedef struct notify_msg {
    int64_t id;
    char to[NOTIFY_MAX_ADDR + 1];
    char subject[NOTIFY_MAX_SUBJECT + 1];
    char state[8]; /* pending | sent */
    int64_t attempts;
    int64_t next_attempt;
    char last_error[200];
    int64_t created_at, sent_at; /* sent_at 0 while pending */
} notify_msg;

/* The newest `limit` messages, newest first. */
int notify_list(store *s, size_t limit, int (*fn)(void *arg, const notify_msg *m), void *arg,
                sc_err *e);

typedef struct notify_counts {
    int64_t pending, failing, sent;
    int64_t oldest_pending; /* created_at of the oldest pending message, 0 when none */
} notify_counts;
int notify_stats(store *s, notify_counts *out, sc_err *e);

/* The message as sent (RFC 5322 with MIME): exposed for tests. id/created_at make the
 * Message-ID, which stays the same across retries. */
int notify_format(const char *from, const char *to, const char *subject, const char *body,
                  int64_t id, int64_t created_at, sc_buf *out, sc_err *e);

/*
 * SMTP settings from the home's sealca.conf: smtp_url, smtp_from, smtp_user,
 * smtp_password_file (relative to the home or absolute), smtp_starttls. *configured = 0 when
 * smtp_url is absent (mail is queued but not sent). The strings live in cfg (free with
 * notify_conf_free).
 */
typedef struct notify_conf {
    notify_smtp smtp;
    char url[256], from[256], user[256], password[256];
} notify_conf;
int notify_conf_load(const char *home, notify_conf *cfg, int *configured, sc_err *e);
void notify_conf_free(notify_conf *cfg);

#endif
