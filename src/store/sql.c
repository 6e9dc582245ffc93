/* sql.c - every SQL statement in one table, portable between SQLite and PostgreSQL. */
#include "store/sql.h"

#include <stddef.h>

#define CERT_COLS                                                                                  \
    "serial, issuer, profile, profile_version, subject, not_before, not_after, status, reason, "   \
    "revoked_at, invalidity_at, created_at, der"

static const char *const sql_text[ST__COUNT] = {
    [ST_SCHEMA_VERSION] = "SELECT MAX(version) FROM schema_migrations",
    [ST_SCHEMA_RECORD] = "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
    [ST_COUNTER_INIT] =
        "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
    /* the row lock taken here is what serialises CRL numbers and the audit chain on PostgreSQL */
    [ST_COUNTER_NEXT] = "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value",
    [ST_COUNTER_GET] = "SELECT value FROM counters WHERE name = ?",
    [ST_ISSUER_INSERT] =
        "INSERT INTO issuers (id, role, parent, alg, subject, serial, not_before, not_after, "
        "cert_der, key_file, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_ISSUER_LIST] = "SELECT id, role, parent, alg, subject, serial, not_before, not_after, "
                       "cert_der, key_file, status, created_at FROM issuers ORDER BY seq",
    [ST_ISSUER_SET_STATUS] = "UPDATE issuers SET status = ? WHERE id = ?",
    [ST_CERT_INSERT] =
        "INSERT INTO certs (serial, issuer, profile, profile_version, subject, not_before, "
        "not_after, status, change_seq, created_at, der) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'good', 0, ?, ?)",
    [ST_CERT_GET] = "SELECT " CERT_COLS " FROM certs WHERE serial = ?",
    /* filters: issuer (NULL = any), status (NULL = any), page by created order; the CASTs
     * give PostgreSQL the type of a parameter that is only tested for NULL */
    [ST_CERT_LIST] = "SELECT " CERT_COLS " FROM certs WHERE (CAST(? AS TEXT) IS NULL OR "
                     "issuer = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?) "
                     "ORDER BY created_at, serial LIMIT ? OFFSET ?",
    /* compare-and-set on the old status: a concurrent change makes this touch 0 rows */
    [ST_CERT_SET_STATUS] =
        "UPDATE certs SET status = ?, reason = ?, revoked_at = ?, invalidity_at = ?, "
        "change_seq = ? WHERE serial = ? AND status = ?",
    /* certificates whose status changed after a counter value (index certs_changes) */
    [ST_CERT_CHANGED_SINCE] = "SELECT serial, change_seq FROM certs WHERE change_seq > ? "
                              "ORDER BY change_seq LIMIT 10000",
    [ST_CERT_COUNT] = "SELECT COUNT(*) FROM certs WHERE issuer = ? AND status = ?",
    /* OCSP: the status columns only, not the certificate */
    [ST_CERT_STATUS] = "SELECT issuer, status, reason, revoked_at FROM certs WHERE serial = ?",
    [ST_CRL_FULL_ENTRIES] = "SELECT serial, status, reason, revoked_at, invalidity_at FROM certs "
                            "WHERE issuer = ? AND status IN ('revoked', 'hold') AND not_after >= ?",
    [ST_CRL_DELTA_ENTRIES] = "SELECT serial, status, reason, revoked_at, invalidity_at FROM certs "
                             "WHERE issuer = ? AND change_seq > ? AND not_after >= ?",
    [ST_CRL_INSERT] =
        "INSERT INTO crls (issuer, number, base_number, this_update, next_update, upto_seq, der) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    [ST_CRL_LAST_FULL] = "SELECT number, upto_seq FROM crls WHERE issuer = ? AND "
                         "base_number IS NULL ORDER BY number DESC LIMIT 1",
    [ST_CRL_LATEST] = "SELECT number, this_update, next_update, der FROM crls WHERE issuer = ? "
                      "AND (CASE WHEN base_number IS NULL THEN 0 ELSE 1 END) = ? "
                      "ORDER BY number DESC LIMIT 1",
    /* keep the newest CRLs of an issuer; older ones are superseded (each is in the audit log) */
    [ST_CRL_PRUNE] = "DELETE FROM crls WHERE issuer = ? AND number < ?",
    [ST_CRL_LATEST_META] = "SELECT upto_seq, next_update FROM crls WHERE issuer = ? AND "
                           "(CASE WHEN base_number IS NULL THEN 0 ELSE 1 END) = ? "
                           "ORDER BY number DESC LIMIT 1",
    [ST_CRL_COUNT_ENTRIES] = "SELECT COUNT(*) FROM certs WHERE issuer = ? AND status IN "
                             "('revoked', 'hold') AND not_after >= ?",
    [ST_PROFILE_INSERT] = "INSERT INTO profiles (name, version, status, builtin, definition, "
                          "created_at) VALUES (?, ?, ?, ?, ?, ?)",
    [ST_PROFILE_GET] = "SELECT name, version, status, builtin, definition FROM profiles "
                       "WHERE name = ? ORDER BY version DESC LIMIT 1",
    [ST_PROFILE_LIST] = "SELECT p.name, p.version, p.status, p.builtin, p.definition FROM "
                        "profiles p WHERE p.version = (SELECT MAX(q.version) FROM profiles q "
                        "WHERE q.name = p.name) ORDER BY p.name",
    [ST_PROFILE_SET_STATUS] = "UPDATE profiles SET status = ? WHERE name = ? AND version = ?",
    [ST_AUDIT_HEAD] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
    [ST_AUDIT_INSERT] = "INSERT INTO audit (id, at, actor, action, object, result, detail, "
                        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_AUDIT_ALL] = "SELECT id, at, actor, action, object, result, detail, prev_hash, hash "
                     "FROM audit ORDER BY id",
    [ST_AUDIT_CP_INSERT] = "INSERT INTO audit_checkpoints (audit_id, head_hash, at, signer, "
                           "alg, sig) VALUES (?, ?, ?, ?, ?, ?)",
    [ST_AUDIT_CP_ALL] = "SELECT audit_id, head_hash, at, signer, alg, sig FROM "
                        "audit_checkpoints ORDER BY audit_id",
    [ST_AUDIT_CP_LAST] = "SELECT MAX(audit_id) FROM audit_checkpoints",
    [ST_OUTBOX_INSERT] = "INSERT INTO outbox (kind, object, dn, payload, attempts, next_attempt, "
                         "created_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
    [ST_OUTBOX_DUE] = "SELECT id, kind, object, dn, payload, attempts, next_attempt FROM outbox "
                      "WHERE done_at IS NULL AND next_attempt <= ? ORDER BY id LIMIT ?",
    /* compare-and-set on next_attempt: of two drainers (two serve nodes, or serve and the CLI)
     * only one takes a row; a drainer that dies leaves it due again after the lease */
    [ST_OUTBOX_CLAIM] = "UPDATE outbox SET next_attempt = ? WHERE id = ? AND next_attempt = ? "
                        "AND done_at IS NULL",
    [ST_OUTBOX_DONE] = "UPDATE outbox SET done_at = ?, attempts = attempts + 1, last_error = ? "
                       "WHERE id = ?",
    [ST_OUTBOX_RETRY] = "UPDATE outbox SET attempts = ?, next_attempt = ?, last_error = ? "
                        "WHERE id = ?",
    /* a newer row replacing the same attribute of the same entry makes an older one moot */
    [ST_OUTBOX_NEWER] = "SELECT COUNT(*) FROM outbox WHERE kind = ? AND dn = ? AND id > ?",
    [ST_OUTBOX_PENDING] = "SELECT COUNT(*), COALESCE(SUM(CASE WHEN last_error IS NULL THEN 0 "
                          "ELSE 1 END), 0) FROM outbox WHERE done_at IS NULL",
    [ST_OUTBOX_PRUNE] = "DELETE FROM outbox WHERE done_at IS NOT NULL AND done_at < ?",
    /* the operator says the directory is back: every pending row is due now */
    [ST_OUTBOX_RESET] = "UPDATE outbox SET next_attempt = ? WHERE done_at IS NULL AND "
                        "next_attempt > ?",
    /* ra/notify.c */
    [ST_NOTIFY_INSERT] = "INSERT INTO notify_outbox (recipient, subject, body, state, attempts, "
                         "next_attempt, created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
    [ST_NOTIFY_DUE] = "SELECT id, recipient, subject, body, attempts, next_attempt, created_at "
                      "FROM notify_outbox WHERE state = 'pending' AND next_attempt <= ? "
                      "ORDER BY next_attempt, id LIMIT ?",
    /* compare-and-set on next_attempt: of two senders (two serve nodes) only one takes a row; a
     * sender that dies leaves it due again after the lease */
    [ST_NOTIFY_CLAIM] = "UPDATE notify_outbox SET next_attempt = ?, attempts = attempts + 1 "
                        "WHERE id = ? AND next_attempt = ? AND state = 'pending'",
    [ST_NOTIFY_SENT] = "UPDATE notify_outbox SET state = 'sent', sent_at = ?, last_error = NULL "
                       "WHERE id = ? AND state = 'pending'",
    [ST_NOTIFY_RETRY] = "UPDATE notify_outbox SET next_attempt = ?, last_error = ? WHERE id = ? "
                        "AND state = 'pending'",
    [ST_NOTIFY_LIST] = "SELECT id, recipient, subject, state, attempts, next_attempt, last_error, "
                       "created_at, sent_at FROM notify_outbox ORDER BY id DESC LIMIT ?",
    [ST_NOTIFY_COUNTS] = "SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0), "
                         "COALESCE(SUM(CASE WHEN state = 'pending' AND last_error IS NOT NULL "
                         "THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 "
                         "ELSE 0 END), 0), MIN(CASE WHEN state = 'pending' THEN created_at END) "
                         "FROM notify_outbox",
    /* the operator says the mail server is back: every pending message is due now */
    [ST_NOTIFY_REQUEUE] = "UPDATE notify_outbox SET next_attempt = ? WHERE state = 'pending' AND "
                          "next_attempt > ?",
};

const char *store_sql_text(store_sql_id id)
{
    if ((int)id < 0 || id >= ST__COUNT) return NULL;
    return sql_text[id];
}
