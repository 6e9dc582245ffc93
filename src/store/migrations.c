/* migrations.c - the schema, one entry per version; never edit a released entry, add one. */
#include "store/migrations.h"

#include <stddef.h>

/* An entry whose SQL differs per driver writes STORE_DIALECT_SQLITE "…" STORE_DIALECT_PG "…"
 * STORE_DIALECT_END (migrations.h): each part runs only on its driver (store.c cuts the other
 * out); text before and after runs on both. Keep such parts rare: the portable subset is the
 * rule. */

/* Times are INTEGER seconds since the epoch, UTC. Serials are lowercase hex. The DDL is the
 * common subset of SQLite and PostgreSQL (BIGINT, TEXT, BYTEA spelled as BLOB is mapped by the
 * PostgreSQL driver). */
static const char *const migrations[] = {
    /* 1: CA core */
    "CREATE TABLE counters ("
    "  name TEXT PRIMARY KEY,"
    "  value BIGINT NOT NULL);"
    "CREATE TABLE issuers ("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE," /* e.g. root-1, sub-1, ocsp-1: the publication name */
    "  role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp', 'sealmaker', 'link')),"
    "  parent TEXT," /* id of the issuer that signed this certificate */
    "  alg TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  serial TEXT NOT NULL UNIQUE,"
    "  not_before BIGINT NOT NULL,"
    "  not_after BIGINT NOT NULL,"
    "  cert_der BLOB NOT NULL,"
    "  key_file TEXT," /* relative to the home; NULL for link certificates */
    "  status TEXT NOT NULL CHECK (status IN ('active', 'retired')),"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE profiles ("
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'retired')),"
    "  builtin INTEGER NOT NULL,"
    "  definition TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  PRIMARY KEY (name, version));"
    "CREATE TABLE certs ("
    "  serial TEXT PRIMARY KEY," /* 16 random bytes: unique across all issuers */
    "  issuer TEXT NOT NULL REFERENCES issuers (id),"
    "  profile TEXT NOT NULL,"
    "  profile_version INTEGER NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  not_before BIGINT NOT NULL,"
    "  not_after BIGINT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('good', 'revoked', 'hold')),"
    "  reason INTEGER,"
    "  revoked_at BIGINT,"
    "  invalidity_at BIGINT,"
    "  change_seq BIGINT NOT NULL," /* 'status' counter value at the last status change */
    "  created_at BIGINT NOT NULL,"
    "  der BLOB NOT NULL);"
    "CREATE INDEX certs_revoked ON certs (issuer, status);"
    "CREATE INDEX certs_changes ON certs (issuer, change_seq);"
    "CREATE INDEX certs_created ON certs (created_at);"
    "CREATE TABLE crls ("
    "  issuer TEXT NOT NULL REFERENCES issuers (id),"
    "  number BIGINT NOT NULL,"
    "  base_number BIGINT," /* NULL: full CRL; else the delta's base CRL number */
    "  this_update BIGINT NOT NULL,"
    "  next_update BIGINT NOT NULL,"
    "  upto_seq BIGINT NOT NULL," /* status changes up to this counter value included */
    "  der BLOB NOT NULL,"
    "  PRIMARY KEY (issuer, number));"
    "CREATE TABLE audit ("
    "  id BIGINT PRIMARY KEY,"
    "  at BIGINT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object TEXT NOT NULL,"
    "  result TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  prev_hash BLOB NOT NULL,"
    "  hash BLOB NOT NULL);"
    "CREATE TABLE audit_checkpoints ("
    "  audit_id BIGINT PRIMARY KEY,"
    "  head_hash BLOB NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  signer TEXT NOT NULL," /* issuer id whose key signed */
    "  alg TEXT NOT NULL,"
    "  sig BLOB NOT NULL);"
    "INSERT INTO counters (name, value) VALUES ('status', 0);"
    "INSERT INTO counters (name, value) VALUES ('audit', 0);",
    /* 2: a covering index for CRL generation, so a million-entry CRL is one index range scan
     * without visiting the certificate rows (which carry the DER) */
    "CREATE INDEX certs_crl ON certs (issuer, status, not_after, serial, reason, revoked_at, "
    "invalidity_at);",
    /* 3: directory publication outbox. A row is written in the same transaction as the event it
     * publishes (issuance, CRL, CA certificate) when `ldap` is configured, and is drained by
     * publish/ldap.c until the directory accepts it: a directory outage loses nothing. */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('cert', 'cacert', 'crl', 'delta')),"
    "  object TEXT NOT NULL,"  /* serial, or issuer id ':' CRL number */
    "  dn TEXT NOT NULL,"      /* the directory entry, RFC 4514 */
    "  payload BLOB NOT NULL," /* the DER to publish */
    "  attempts BIGINT NOT NULL,"
    "  next_attempt BIGINT NOT NULL,"
    "  last_error TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  done_at BIGINT);" /* NULL while pending */
    "CREATE INDEX outbox_pending ON outbox (next_attempt) WHERE done_at IS NULL;"
    "CREATE INDEX outbox_dn ON outbox (kind, dn);",
    /* 4: ra/notify (issue 4): the e-mail outbox. A message is written in the transaction of the
     * event it reports and stays 'pending' (attempts, last_error, next_attempt visible) until the
     * mail server accepts it: an outage delays mail, never loses it. */
    "CREATE TABLE notify_outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  recipient TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'sent')),"
    "  attempts BIGINT NOT NULL,"
    "  next_attempt BIGINT NOT NULL,"
    "  last_error TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  sent_at BIGINT);"
    "CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt) WHERE state = 'pending';",
    /* 5: registration service (src/ra, branch ra-core): accounts and staff, sessions, one-use
     * challenges, login attempts, orders with their event history, materials, payments,
     * agreement acceptances, certificate ownership and expiry reminders. Personal data (phones,
     * ID numbers, bank accounts) is only ever stored sealed (BLOB) plus a keyed hash for lookup. */
    "CREATE TABLE ra_accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('applicant', 'staff')),"
    "  login TEXT UNIQUE,"     /* staff login name; NULL for applicants */
    "  phone_idx TEXT UNIQUE," /* SM3-HMAC of the mobile number (lookup without the number) */
    "  phone_enc BLOB,"        /* the number, sealed */
    "  email TEXT UNIQUE,"
    "  name TEXT NOT NULL,"
    "  pwhash TEXT," /* argon2id (libsodium string); NULL = cannot log in yet */
    "  role TEXT NOT NULL,"
    "  duties TEXT NOT NULL," /* comma-separated operator duties */
    "  service_point TEXT,"
    "  cert_serial TEXT," /* staff certificate */
    "  created_by TEXT NOT NULL,"
    "  disabled BIGINT NOT NULL,"
    "  failures BIGINT NOT NULL,"
    "  locked_until BIGINT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE ra_sessions ("
    "  token_hash TEXT PRIMARY KEY,"
    "  account_id BIGINT NOT NULL,"
    "  csrf TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  last_seen BIGINT NOT NULL);"
    "CREATE INDEX ra_sessions_account ON ra_sessions (account_id);"
    "CREATE TABLE ra_challenges ("
    "  id TEXT PRIMARY KEY," /* SM3 of purpose|subject|challenge */
    "  expires_at BIGINT NOT NULL);"
    "CREATE TABLE ra_attempts ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  at BIGINT NOT NULL);"
    "CREATE INDEX ra_attempts_source ON ra_attempts (source, at);"
    "CREATE TABLE ra_orders ("
    "  id INTEGER PRIMARY KEY,"
    "  order_no TEXT NOT NULL UNIQUE,"
    "  account_id BIGINT NOT NULL,"
    "  business TEXT NOT NULL,"
    "  subject_kind TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  service_point TEXT,"
    "  entry_staff BIGINT,"   /* counter entry operator, NULL for online orders */
    "  certificate TEXT,"     /* the existing certificate the business acts on */
    "  fields TEXT NOT NULL," /* JSON of the non-personal form fields */
    "  pii BLOB,"             /* sealed JSON of the personal fields */
    "  price_fen BIGINT NOT NULL,"
    "  review TEXT," /* JSON: last decision and per-material results */
    "  csr BLOB,"
    "  pay_state TEXT NOT NULL,"
    "  pay_method TEXT,"
    "  pay_ref TEXT,"
    "  paid_at BIGINT,"
    "  invoice_state TEXT NOT NULL,"
    "  invoice_no TEXT,"
    "  carrier TEXT,"
    "  tracking_no TEXT,"
    "  shipped_at BIGINT,"
    "  promise_by BIGINT,"
    "  submitted_at BIGINT,"
    "  created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE INDEX ra_orders_account ON ra_orders (account_id, id);"
    "CREATE INDEX ra_orders_state ON ra_orders (state, id);"
    "CREATE TABLE ra_order_events ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id BIGINT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  from_state TEXT NOT NULL,"
    "  to_state TEXT NOT NULL,"
    "  reason TEXT NOT NULL);"
    "CREATE INDEX ra_order_events_order ON ra_order_events (order_id, id);"
    "CREATE TABLE ra_materials ("
    "  id INTEGER PRIMARY KEY,"
    "  order_id BIGINT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  version BIGINT NOT NULL,"
    "  mime TEXT NOT NULL,"
    "  bytes BIGINT NOT NULL,"
    "  sm3 TEXT NOT NULL,"
    "  data BLOB NOT NULL," /* sealed */
    "  uploaded_by TEXT NOT NULL,"
    "  uploaded_at BIGINT NOT NULL,"
    "  review TEXT NOT NULL," /* pending | ok | returned */
    "  review_reason TEXT NOT NULL,"
    "  UNIQUE (order_id, kind, version));"
    "CREATE TABLE ra_payments ("
    "  tx_id TEXT PRIMARY KEY,"
    "  order_id BIGINT NOT NULL,"
    "  amount_fen BIGINT NOT NULL,"
    "  method TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  at BIGINT NOT NULL);"
    "CREATE TABLE ra_acceptances ("
    "  id INTEGER PRIMARY KEY,"
    "  account_id BIGINT NOT NULL,"
    "  agreement TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  order_id BIGINT,"
    "  at BIGINT NOT NULL);"
    "CREATE TABLE ra_certs ("
    "  serial TEXT PRIMARY KEY,"
    "  account_id BIGINT NOT NULL,"
    "  order_id BIGINT NOT NULL,"
    "  subject TEXT NOT NULL," /* as issued, reused by renewals */
    "  ident BLOB NOT NULL);"  /* USCC or ID number, sealed */
    "CREATE INDEX ra_certs_account ON ra_certs (account_id);"
    "CREATE TABLE ra_reminders ("
    "  serial TEXT NOT NULL,"
    "  days BIGINT NOT NULL,"
    "  at BIGINT NOT NULL,"
    "  PRIMARY KEY (serial, days));"
    "INSERT INTO counters (name, value) VALUES ('ra_order_no', 0);",
    /* 6: the key management centre (src/kmc): pool settings, the CAs it serves, escrowed
     * encryption keys in the standby / in-use / history pools (GM/T 0038 §7.6.2), key recovery
     * requests with their two approvals, devices answered by online PIN unlock, and one-time
     * activation codes for mobile certificates */
    "CREATE TABLE kmc_config ("
    "  id BIGINT PRIMARY KEY,"
    "  pool_min BIGINT NOT NULL,"
    "  pool_target BIGINT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE kmc_cas ("
    "  id TEXT PRIMARY KEY,"
    "  ski BLOB NOT NULL UNIQUE," /* key identifier of the CA certificate's key */
    "  subject TEXT NOT NULL,"
    "  cert_der BLOB NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE kmc_keys ("
    "  id INTEGER PRIMARY KEY,"
    "  state TEXT NOT NULL CHECK (state IN ('standby', 'inuse', 'history')),"
    "  pub BLOB NOT NULL,"    /* 04 || X || Y */
    "  escrow BLOB NOT NULL," /* pub || AEAD(master escrow key, d): see kmc.h */
    "  ca_id TEXT,"
    "  request_id TEXT UNIQUE,"
    "  sign_serial TEXT,"
    "  enc_serial TEXT UNIQUE,"
    "  created_at BIGINT NOT NULL,"
    "  used_at BIGINT,"
    "  retired_at BIGINT,"
    "  retire_reason TEXT);"
    "CREATE INDEX kmc_keys_state ON kmc_keys (state, id);"
    "CREATE TABLE kmc_recoveries ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('damaged', 'judicial')),"
    "  enc_serial TEXT NOT NULL,"
    "  requester TEXT NOT NULL,"
    "  case_ref TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  approver1 TEXT,"
    "  approver2 TEXT,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'released', 'rejected')),"
    "  created_at BIGINT NOT NULL,"
    "  closed_at BIGINT);"
    "CREATE TABLE kmc_devices ("
    "  serial TEXT PRIMARY KEY,"
    "  last_gen BIGINT NOT NULL," /* token generation of the last answered unlock request */
    "  unlocks BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE TABLE kmc_activations ("
    "  code_hash BLOB PRIMARY KEY," /* SM3 of the code: the code itself is never stored */
    "  payload BLOB NOT NULL,"
    "  expires_at BIGINT NOT NULL,"
    "  used_at BIGINT,"
    "  created_at BIGINT NOT NULL,"
    "  actor TEXT NOT NULL);",
    /* 7 (seal): the seal registry (src/seal/registry.c). One active seal per holder certificate
     * and kind, enforced by a partial unique index; retired seals stay for verification and
     * for GET /api/v1/seals/{esID}. */
    "CREATE TABLE seals ("
    "  esid TEXT PRIMARY KEY,"
    "  kind TEXT NOT NULL,"     /* official | legal-representative | cost-engineer | expert | … */
    "  type BIGINT NOT NULL,"   /* SES_ESPropertyInfo.type: 1 organization, 2 person */
    "  layout BIGINT NOT NULL," /* 1 GM/T 0031-2014, 4 GB/T 38540-2020 */
    "  name TEXT NOT NULL,"
    "  cert_serial TEXT NOT NULL," /* the holder's signing certificate */
    "  cert_hash TEXT NOT NULL,"   /* hex SM3 of that certificate */
    "  maker TEXT NOT NULL,"       /* seal-maker issuer id */
    "  valid_from BIGINT NOT NULL,"
    "  valid_to BIGINT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'retired')),"
    "  replaced_by TEXT,"
    "  reason TEXT,"
    "  created_at BIGINT NOT NULL,"
    "  retired_at BIGINT,"
    "  der BLOB NOT NULL);"
    "CREATE UNIQUE INDEX seals_one_active ON seals (cert_hash, kind) WHERE status = 'active';"
    "CREATE INDEX seals_cert ON seals (cert_serial);",
    /* 8 (tsa): the RFC 3161 time-stamping authority (src/tsa). Issuers get the role 'tsa'
     * (migration 1's CHECK did not allow it) and every token issued is logged by serial.
     * SQLite cannot alter a CHECK: the issuers table is rebuilt. PRAGMA foreign_keys cannot
     * change inside the migration's transaction, so the foreign keys of certs and crls are
     * deferred: dropping issuers counts their rows as orphans and re-inserting the same ids
     * into the new table settles the count again before COMMIT. PostgreSQL (which refuses to
     * drop a referenced table) swaps the constraint instead. tsa_tokens: serial is the TSTInfo
     * serialNumber (hex), issuer the TSA issuer id, imprint the messageImprint hash, gen_time_ms
     * the genTime in ms since the epoch (UTC), nonce hex or NULL. */
    STORE_DIALECT_SQLITE
    "PRAGMA defer_foreign_keys = ON;"
    "CREATE TABLE issuers_v7 AS SELECT * FROM issuers;"
    "DROP TABLE issuers;"
    "CREATE TABLE issuers ("
    "  seq INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp', 'sealmaker', 'link', 'tsa')),"
    "  parent TEXT,"
    "  alg TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  serial TEXT NOT NULL UNIQUE,"
    "  not_before BIGINT NOT NULL,"
    "  not_after BIGINT NOT NULL,"
    "  cert_der BLOB NOT NULL,"
    "  key_file TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('active', 'retired')),"
    "  created_at BIGINT NOT NULL);"
    "INSERT INTO issuers (seq, id, role, parent, alg, subject, serial, not_before, not_after,"
    "  cert_der, key_file, status, created_at) SELECT seq, id, role, parent, alg, subject,"
    "  serial, not_before, not_after, cert_der, key_file, status, created_at FROM issuers_v7;"
    "DROP TABLE issuers_v7;" STORE_DIALECT_PG
    "ALTER TABLE issuers DROP CONSTRAINT issuers_role_check;"
    "ALTER TABLE issuers ADD CONSTRAINT issuers_role_check"
    "  CHECK (role IN ('root', 'issuing', 'ocsp', 'sealmaker', 'link', 'tsa'));" STORE_DIALECT_END
    "CREATE TABLE tsa_tokens ("
    "  serial TEXT PRIMARY KEY,"
    "  issuer TEXT NOT NULL,"
    "  policy TEXT NOT NULL,"
    "  hash_alg TEXT NOT NULL,"
    "  imprint BLOB NOT NULL,"
    "  gen_time_ms BIGINT NOT NULL,"
    "  nonce TEXT);"
    "CREATE INDEX tsa_tokens_imprint ON tsa_tokens (imprint);",
    /* 9 (ra-kmc): the KMC side of registration orders (src/ra/kmcflow.c). attempt_tag marks a
     * dual issuance in progress (the audit actor of its certificates) so that a retry after a
     * crash revokes what the interrupted attempt issued; recovery_id links a key-recovery order
     * to its kmc_recoveries row; response is the GM/T 0092 CSRResponse the applicant downloads
     * (its encryption key is enveloped to the holder's signing key); sign_serial is the new
     * signing certificate of a damaged-key recovery. */
    "CREATE TABLE ra_order_kmc ("
    "  order_id BIGINT PRIMARY KEY,"
    "  attempt_tag TEXT,"
    "  recovery_id BIGINT,"
    "  enc_serial TEXT,"
    "  sign_serial TEXT,"
    "  response BLOB,"
    "  updated_at BIGINT NOT NULL);"
    "CREATE INDEX ra_order_kmc_recovery ON ra_order_kmc (recovery_id);",
};

int store_migration_count(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *store_migration_sql(int v)
{
    if (v < 1 || v > store_migration_count()) return NULL;
    return migrations[v - 1];
}
