/* migrations.c - the schema, one entry per version; never edit a released entry, add one. */
#include "store/migrations.h"

#include <stddef.h>

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
    /* ra/notify (issue 4): the e-mail outbox. A message is written in the transaction of the
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
