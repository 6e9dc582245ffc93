/* sql.c - every SQL statement in one table, portable between SQLite and PostgreSQL. */
#include "store/sql.h"

#include <stddef.h>

#define CERT_COLS                                                                                  \
    "serial, issuer, profile, profile_version, subject, not_before, not_after, status, reason, "   \
    "revoked_at, invalidity_at, created_at, der"

#define RA_ACCT_COLS                                                                               \
    "id, kind, login, phone_enc, email, name, role, duties, service_point, cert_serial, "          \
    "disabled, "                                                                                   \
    "created_at"
#define RA_ORDER_COLS                                                                              \
    "id, order_no, account_id, business, subject_kind, state, service_point, entry_staff, "        \
    "certificate, fields, pii, price_fen, review, CASE WHEN csr IS NULL THEN 0 ELSE 1 END, "       \
    "pay_state, pay_method, pay_ref, COALESCE(paid_at, 0), invoice_state, invoice_no, carrier, "   \
    "tracking_no, COALESCE(shipped_at, 0), COALESCE(promise_by, 0), COALESCE(submitted_at, 0), "   \
    "created_at, updated_at"

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
    /* registration service (src/ra) */
    [ST_RA_ACCT_GET] = "SELECT " RA_ACCT_COLS " FROM ra_accounts WHERE id = ?",
    [ST_RA_ACCT_INSERT] =
        "INSERT INTO ra_accounts (kind, login, phone_idx, phone_enc, email, name, pwhash, role, "
        "duties, service_point, created_by, created_at, disabled, failures, locked_until) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0) RETURNING id",
    [ST_RA_ACCT_CLAIM] =
        "UPDATE ra_accounts SET pwhash = ?, email = ?, name = ? WHERE phone_idx = ? AND kind = "
        "'applicant' AND pwhash IS NULL AND (email IS NULL OR email = ?) RETURNING id",
    [ST_RA_ACCT_BY_PHONE] = "SELECT id FROM ra_accounts WHERE phone_idx = ?",
    [ST_RA_ACCT_BY_PHONE_LOGIN] =
        "SELECT " RA_ACCT_COLS
        ", pwhash, locked_until FROM ra_accounts WHERE phone_idx = ? AND kind = 'applicant'",
    [ST_RA_ACCT_BY_EMAIL] =
        "SELECT " RA_ACCT_COLS
        ", pwhash, locked_until FROM ra_accounts WHERE email = ? AND kind = 'applicant'",
    [ST_RA_ACCT_BY_LOGIN] =
        "SELECT " RA_ACCT_COLS
        ", pwhash, locked_until FROM ra_accounts WHERE login = ? AND kind = 'staff'",
    [ST_RA_ACCT_FAIL] = "UPDATE ra_accounts SET locked_until = CASE WHEN failures + 1 >= ? THEN ? "
                        "ELSE locked_until END, failures = CASE WHEN failures + 1 >= ? THEN 0 ELSE "
                        "failures + 1 END WHERE id = ?",
    [ST_RA_ACCT_OK] = "UPDATE ra_accounts SET failures = 0 WHERE id = ?",
    [ST_RA_ACCT_SET_CERT] = "UPDATE ra_accounts SET cert_serial = ? WHERE id = ?",
    [ST_RA_ACCT_DISABLE] = "UPDATE ra_accounts SET disabled = 1 WHERE id = ?",
    [ST_RA_STAFF_LIST] =
        "SELECT " RA_ACCT_COLS " FROM ra_accounts WHERE kind = 'staff' ORDER BY id",
    [ST_RA_ATTEMPT_COUNT] = "SELECT COUNT(*) FROM ra_attempts WHERE source = ? AND at > ?",
    [ST_RA_ATTEMPT_INSERT] = "INSERT INTO ra_attempts (source, at) VALUES (?, ?)",
    [ST_RA_ATTEMPT_PRUNE] = "DELETE FROM ra_attempts WHERE at < ?",
    [ST_RA_SESSION_INSERT] = "INSERT INTO ra_sessions (token_hash, account_id, csrf, created_at, "
                             "last_seen) VALUES (?, ?, ?, ?, ?)",
    [ST_RA_SESSION_GET] =
        "SELECT s.csrf, s.created_at, s.last_seen, a.id, a.kind, a.login, a.phone_enc, a.email, "
        "a.name, a.role, a.duties, a.service_point, a.cert_serial, a.disabled, a.created_at FROM "
        "ra_sessions s JOIN ra_accounts a ON a.id = s.account_id WHERE s.token_hash = ?",
    [ST_RA_SESSION_TOUCH] = "UPDATE ra_sessions SET last_seen = ? WHERE token_hash = ?",
    [ST_RA_SESSION_END] = "DELETE FROM ra_sessions WHERE token_hash = ?",
    [ST_RA_SESSION_END_ALL] = "DELETE FROM ra_sessions WHERE account_id = ?",
    [ST_RA_CHALLENGE_PRUNE] = "DELETE FROM ra_challenges WHERE expires_at < ?",
    [ST_RA_CHALLENGE_INSERT] = "INSERT INTO ra_challenges (id, expires_at) VALUES (?, ?)",
    [ST_RA_CHALLENGE_TAKE] = "DELETE FROM ra_challenges WHERE id = ? AND expires_at >= ?",
    [ST_RA_ORDER_GET] = "SELECT " RA_ORDER_COLS " FROM ra_orders WHERE id = ?",
    [ST_RA_ORDER_INSERT] =
        "INSERT INTO ra_orders (order_no, account_id, business, subject_kind, state, "
        "service_point, entry_staff, certificate, fields, pii, price_fen, pay_state, "
        "invoice_state, created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, "
        "'unpaid', 'none', ?, 0) RETURNING id",
    [ST_RA_ORDER_SAVE] = "UPDATE ra_orders SET fields = ?, pii = ?, price_fen = ?, service_point = "
                         "COALESCE(service_point, ?), updated_at = ? WHERE id = ? AND state = ?",
    [ST_RA_ORDER_STATE] = "UPDATE ra_orders SET state = ?, updated_at = ?, submitted_at = ? WHERE "
                          "id = ? AND state = ?",
    [ST_RA_ORDER_REVIEW] = "UPDATE ra_orders SET review = ? WHERE id = ?",
    [ST_RA_ORDER_PAY] = "UPDATE ra_orders SET pay_state = 'paid', pay_method = ?, pay_ref = ?, "
                        "paid_at = ? WHERE id = ?",
    [ST_RA_ORDER_INVOICE] = "UPDATE ra_orders SET invoice_state = ?, invoice_no = ? WHERE id = ?",
    [ST_RA_ORDER_SET_CSR] = "UPDATE ra_orders SET csr = ? WHERE id = ?",
    [ST_RA_ORDER_GET_CSR] = "SELECT csr FROM ra_orders WHERE id = ?",
    [ST_RA_ORDER_SHIP] = "UPDATE ra_orders SET carrier = ?, tracking_no = ?, shipped_at = ?, "
                         "promise_by = ? WHERE id = ?",
    [ST_RA_ORDER_LIST_ACCT] =
        "SELECT " RA_ORDER_COLS " FROM ra_orders WHERE account_id = ? ORDER BY id DESC LIMIT ?",
    [ST_RA_ORDER_LIST_STAFF] =
        "SELECT " RA_ORDER_COLS " FROM ra_orders WHERE (CAST(? AS TEXT) IS NULL OR state = ?) AND "
        "(CAST(? AS TEXT) IS NULL OR service_point = ?) ORDER BY id LIMIT ?",
    [ST_RA_ORDER_BY_NO] = "SELECT id FROM ra_orders WHERE order_no = ?",
    [ST_RA_ORDER_REVOKES] =
        "SELECT id, order_no, certificate, state, submitted_at, updated_at FROM ra_orders WHERE "
        "business = 'revoke' AND (state IN ('submitted', 'approved', 'paid') OR (state = "
        "'completed' AND updated_at >= ?)) ORDER BY submitted_at",
    [ST_RA_EVENT_INSERT] = "INSERT INTO ra_order_events (order_id, at, actor, from_state, "
                           "to_state, reason) VALUES (?, ?, ?, ?, ?, ?)",
    [ST_RA_EVENT_LIST] = "SELECT at, actor, from_state, to_state, reason FROM ra_order_events "
                         "WHERE order_id = ? ORDER BY id",
    [ST_RA_MATERIAL_LIST] =
        "SELECT kind, version, mime, bytes, sm3, uploaded_at, review, review_reason FROM "
        "ra_materials m WHERE order_id = ? AND version = (SELECT MAX(version) FROM ra_materials n "
        "WHERE n.order_id = m.order_id AND n.kind = m.kind) ORDER BY kind",
    [ST_RA_MATERIAL_LATEST] = "SELECT version FROM ra_materials WHERE order_id = ? AND kind = ? "
                              "ORDER BY version DESC LIMIT 1",
    [ST_RA_MATERIAL_TOTAL] =
        "SELECT COALESCE(SUM(bytes), 0), COUNT(*) FROM ra_materials WHERE order_id = ?",
    [ST_RA_MATERIAL_NEXTVER] =
        "SELECT COALESCE(MAX(version), 0) FROM ra_materials WHERE order_id = ? AND kind = ?",
    [ST_RA_MATERIAL_INSERT] =
        "INSERT INTO ra_materials (order_id, kind, version, mime, bytes, sm3, data, uploaded_by, "
        "uploaded_at, review, review_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', '')",
    [ST_RA_MATERIAL_GET] = "SELECT mime, data FROM ra_materials WHERE order_id = ? AND kind = ? "
                           "AND (? = 0 OR version = ?) ORDER BY version DESC LIMIT 1",
    [ST_RA_MATERIAL_REVIEW] =
        "UPDATE ra_materials SET review = ?, review_reason = ? WHERE order_id = ? AND kind = ? AND "
        "version = (SELECT MAX(version) FROM ra_materials WHERE order_id = ? AND kind = ?)",
    [ST_RA_MATERIAL_REQUEUE] =
        "UPDATE ra_materials SET review = 'pending' WHERE order_id = ? AND review = 'returned'",
    [ST_RA_PAYMENT_INSERT] = "INSERT INTO ra_payments (tx_id, order_id, amount_fen, method, actor, "
                             "at) VALUES (?, ?, ?, ?, ?, ?)",
    [ST_RA_PAYMENT_GET] = "SELECT order_id FROM ra_payments WHERE tx_id = ?",
    [ST_RA_ACCEPT_INSERT] = "INSERT INTO ra_acceptances (account_id, agreement, version, order_id, "
                            "at) VALUES (?, ?, ?, ?, ?)",
    [ST_RA_CERT_INSERT] = "INSERT INTO ra_certs (serial, account_id, order_id, subject, ident) "
                          "VALUES (?, ?, ?, ?, ?)",
    [ST_RA_CERT_OWNER] = "SELECT account_id FROM ra_certs WHERE serial = ?",
    [ST_RA_CERT_META] = "SELECT subject, ident FROM ra_certs WHERE serial = ?",
    [ST_RA_CERT_BY_ORDER] = "SELECT serial FROM ra_certs WHERE order_id = ? ORDER BY serial",
    [ST_RA_CERT_LIST] = "SELECT c.serial, c.subject, c.not_before, c.not_after, c.status, "
                        "c.profile, r.order_id FROM ra_certs r JOIN certs c ON c.serial = r.serial "
                        "WHERE r.account_id = ? ORDER BY c.not_after DESC",
    [ST_RA_CERT_EXPIRING] =
        "SELECT c.serial, c.not_after, a.email, c.subject FROM ra_certs r JOIN certs c ON c.serial "
        "= r.serial JOIN ra_accounts a ON a.id = r.account_id WHERE c.status = 'good' AND "
        "c.not_after > ? AND c.not_after <= ? ORDER BY c.not_after",
    [ST_RA_REMINDER_INSERT] = "INSERT INTO ra_reminders (serial, days, at) VALUES (?, ?, ?) ON "
                              "CONFLICT (serial, days) DO NOTHING",
    [ST_RA_AUDIT_PAGE] = "SELECT id, at, actor, action, object, result, detail FROM audit WHERE id "
                         "> ? ORDER BY id LIMIT ?",
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
    /* ---- KMC (kmc/kmc.c) ---- */
    [ST_KMC_CONFIG_PUT] = "INSERT INTO kmc_config (id, pool_min, pool_target, created_at) VALUES "
                          "(1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pool_min = "
                          "excluded.pool_min, pool_target = excluded.pool_target",
    [ST_KMC_CONFIG_GET] = "SELECT pool_min, pool_target FROM kmc_config WHERE id = 1",
    [ST_KMC_CA_INSERT] = "INSERT INTO kmc_cas (id, ski, subject, cert_der, created_at) VALUES "
                         "(?, ?, ?, ?, ?)",
    [ST_KMC_CA_BY_SKI] = "SELECT id, cert_der FROM kmc_cas WHERE ski = ?",
    [ST_KMC_CA_COUNT] = "SELECT COUNT(*) FROM kmc_cas",
    [ST_KMC_KEY_INSERT] = "INSERT INTO kmc_keys (state, pub, escrow, created_at) VALUES "
                          "('standby', ?, ?, ?)",
    [ST_KMC_KEY_COUNT] = "SELECT COUNT(*) FROM kmc_keys WHERE state = ?",
    /* compare-and-set on the state: of two issuers taking the same standby key, one gets 0 rows
     * and retries */
    [ST_KMC_KEY_CLAIM] = "UPDATE kmc_keys SET state = 'inuse', ca_id = ?, request_id = ?, "
                         "sign_serial = ?, used_at = ? WHERE id = (SELECT MIN(id) FROM kmc_keys "
                         "WHERE state = 'standby') AND state = 'standby' RETURNING id, pub, escrow",
    [ST_KMC_KEY_BIND] = "UPDATE kmc_keys SET enc_serial = ? WHERE id = ? AND state = 'inuse' AND "
                        "enc_serial IS NULL",
    [ST_KMC_KEY_UNCLAIM] = "UPDATE kmc_keys SET state = 'standby', ca_id = NULL, request_id = "
                           "NULL, sign_serial = NULL, used_at = NULL WHERE id = ? AND "
                           "enc_serial IS NULL",
    [ST_KMC_KEY_BY_ENC] =
        "SELECT id, state, pub, escrow, sign_serial FROM kmc_keys WHERE enc_serial = ?",
    [ST_KMC_KEY_SWEEP_LIST] = "SELECT k.id, k.enc_serial, c.status FROM kmc_keys k JOIN certs c "
                              "ON c.serial = k.enc_serial WHERE k.state = 'inuse' AND "
                              "(c.status = 'revoked' OR c.not_after < ?) ORDER BY k.id LIMIT 1000",
    [ST_KMC_KEY_RETIRE] = "UPDATE kmc_keys SET state = 'history', retired_at = ?, retire_reason "
                          "= ? WHERE id = ? AND state = 'inuse'",
    [ST_KMC_REC_INSERT] = "INSERT INTO kmc_recoveries (kind, enc_serial, requester, case_ref, "
                          "reason, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?) "
                          "RETURNING id",
    [ST_KMC_REC_GET] = "SELECT kind, enc_serial, requester, case_ref, approver1, approver2, state "
                       "FROM kmc_recoveries WHERE id = ?",
    [ST_KMC_REC_APPROVE1] = "UPDATE kmc_recoveries SET approver1 = ? WHERE id = ? AND state = "
                            "'pending' AND approver1 IS NULL",
    [ST_KMC_REC_APPROVE2] = "UPDATE kmc_recoveries SET approver2 = ?, state = 'approved' WHERE "
                            "id = ? AND state = 'pending' AND approver1 IS NOT NULL AND "
                            "approver2 IS NULL",
    [ST_KMC_REC_SET_STATE] =
        "UPDATE kmc_recoveries SET state = ?, closed_at = ? WHERE id = ? AND state = ?",
    [ST_KMC_REC_PENDING] = "SELECT COUNT(*) FROM kmc_recoveries WHERE state IN ('pending', "
                           "'approved')",
    [ST_KMC_DEV_GET] = "SELECT last_gen FROM kmc_devices WHERE serial = ?",
    [ST_KMC_DEV_PUT] = "INSERT INTO kmc_devices (serial, last_gen, unlocks, updated_at) VALUES "
                       "(?, ?, 1, ?) ON CONFLICT (serial) DO UPDATE SET last_gen = "
                       "excluded.last_gen, unlocks = kmc_devices.unlocks + 1, updated_at = "
                       "excluded.updated_at",
    [ST_KMC_ACT_INSERT] = "INSERT INTO kmc_activations (code_hash, payload, expires_at, "
                          "created_at, actor) VALUES (?, ?, ?, ?, ?)",
    [ST_KMC_ACT_GET] =
        "SELECT payload, expires_at, used_at FROM kmc_activations WHERE code_hash = ?",
    [ST_KMC_ACT_USE] = "UPDATE kmc_activations SET used_at = ? WHERE code_hash = ? AND used_at "
                       "IS NULL AND expires_at >= ?",
    [ST_KMC_KEY_ABANDONED] = "UPDATE kmc_keys SET state = 'standby', ca_id = NULL, request_id = "
                             "NULL, sign_serial = NULL, used_at = NULL WHERE state = 'inuse' AND "
                             "enc_serial IS NULL AND used_at < ?",
    [ST_KMC_ACT_OPEN] =
        "SELECT COUNT(*) FROM kmc_activations WHERE used_at IS NULL AND expires_at >= ?",
    /* seals (seal/registry.c) */
    [ST_SEAL_INSERT] =
        "INSERT INTO seals (esid, kind, type, layout, name, cert_serial, cert_hash, maker, "
        "valid_from, valid_to, status, created_at, der) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
    [ST_SEAL_GET] = "SELECT esid, kind, type, layout, name, cert_serial, cert_hash, maker, "
                    "valid_from, valid_to, status, replaced_by, reason, created_at, retired_at, "
                    "der FROM seals WHERE esid = ?",
    /* compare-and-set: only an active seal is retired */
    [ST_SEAL_RETIRE] = "UPDATE seals SET status = 'retired', replaced_by = ?, reason = ?, "
                       "retired_at = ? WHERE esid = ? AND status = 'active'",
    [ST_SEAL_ACTIVE_FOR] =
        "SELECT esid FROM seals WHERE cert_hash = ? AND kind = ? AND status = 'active'",
    /* ra-renew: the active seals bound to a certificate, oldest first */
    [ST_SEAL_ACTIVE_BY_SERIAL] = "SELECT esid FROM seals WHERE cert_serial = ? AND status = "
                                 "'active' ORDER BY created_at, esid",
    /* time-stamping authority (tsa/tsa.c): one row per token issued */
    [ST_TSA_TOKEN_INSERT] = "INSERT INTO tsa_tokens (serial, issuer, policy, hash_alg, imprint, "
                            "gen_time_ms, nonce) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [ST_TSA_TOKEN_GET] = "SELECT serial, issuer, policy, hash_alg, imprint, gen_time_ms, nonce "
                         "FROM tsa_tokens WHERE serial = ?",
    /* ra-kmc */
    [ST_RAK_GET] = "SELECT attempt_tag, recovery_id, enc_serial, sign_serial, response "
                   "FROM ra_order_kmc WHERE order_id = ?",
    [ST_RAK_ATTEMPT] =
        "INSERT INTO ra_order_kmc (order_id, attempt_tag, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (order_id) DO UPDATE SET attempt_tag = excluded.attempt_tag, "
        "updated_at = excluded.updated_at",
    [ST_RAK_DONE] = "UPDATE ra_order_kmc SET attempt_tag = NULL, enc_serial = ?, sign_serial = ?, "
                    "response = ?, "
                    "updated_at = ? WHERE order_id = ?",
    [ST_RAK_RECOVERY] =
        "INSERT INTO ra_order_kmc (order_id, recovery_id, enc_serial, updated_at) VALUES (?, ?, ?, "
        "?) ON CONFLICT (order_id) DO UPDATE SET recovery_id = excluded.recovery_id, enc_serial = "
        "excluded.enc_serial, sign_serial = NULL, response = NULL, updated_at = "
        "excluded.updated_at",
    [ST_RAK_SIGN] = "UPDATE ra_order_kmc SET sign_serial = ?, updated_at = ? WHERE order_id = ?",
    [ST_RAK_ORPHANS] = "SELECT a.object FROM audit a JOIN certs c ON c.serial = a.object "
                       "WHERE a.action = 'cert.issue' AND a.actor = ? AND c.status <> 'revoked' "
                       "AND NOT EXISTS (SELECT 1 FROM ra_certs r WHERE r.serial = a.object)",
    [ST_RAK_ENC_FOR_SIGN] = /* delivered by the RA (dual issuance, recovery) or bound by the KMC */
    "SELECT enc_serial FROM ra_order_kmc WHERE sign_serial = ? AND enc_serial IS NOT NULL "
    "AND response IS NOT NULL UNION ALL SELECT enc_serial FROM kmc_keys WHERE sign_serial = ? "
    "AND enc_serial IS NOT NULL",
    [ST_RAK_QUEUE] = "SELECT o.id, o.order_no, o.state, k.recovery_id, v.kind, v.enc_serial, "
                     "v.requester, v.case_ref, v.approver1, v.approver2, v.state, v.created_at "
                     "FROM ra_order_kmc k JOIN ra_orders o ON o.id = k.order_id "
                     "JOIN kmc_recoveries v ON v.id = k.recovery_id "
                     "WHERE v.state IN ('pending', 'approved') OR v.created_at >= ? "
                     "ORDER BY v.id DESC LIMIT 200",
};

const char *store_sql_text(store_sql_id id)
{
    if ((int)id < 0 || id >= ST__COUNT) return NULL;
    return sql_text[id];
}
