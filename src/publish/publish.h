/* publish.h - directory publication (LDAP): draining the outbox that pki/ fills. */
#ifndef SEALCA_PUBLISH_H
#define SEALCA_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "pki/pki.h"

/*
 * The outbox (store table `outbox`, rows added by outbox_add in the transaction of the event)
 * holds every certificate, CA certificate and CRL still to be written to the directory of
 * the home's `ldap` setting. A row is retried with exponential backoff until the directory
 * accepts it and is never dropped; rows done are kept a week for inspection, then pruned.
 *
 * Directory layout (the schemas Debian's slapd loads by default: core, cosine,
 * inetorgperson, nis):
 *   cert    userCertificate;binary, value added (an equal value already there is success), on
 *           the subject's entry; a new entry is inetOrgPerson (sn = cn) when its RDN is a cn,
 *           else the structural class of its RDN type plus pkiUser
 *   cacert  cACertificate;binary, replaced, on the CA's entry
 *   crl     certificateRevocationList;binary, replaced, on the CA's entry
 *   delta   deltaRevocationList;binary, replaced, on the CA's entry
 * A new CA entry is applicationProcess + pkiCA + deltaCRL. Missing parents between ldap_base
 * and the entry (and ldap_base itself) are created: c country, o organization,
 * ou organizationalUnit, l/st locality, dc domain, cn organizationalRole. An existing entry
 * whose class lacks the attribute gets the auxiliary class (pkiUser, or pkiCA + deltaCRL).
 */

/* What one drain did. */
typedef struct ldappub_stats {
    size_t published;  /* rows the directory accepted */
    size_t superseded; /* CRL / CA rows skipped because a newer one replaces the same value */
    size_t failed;     /* rows rescheduled (last_error says why) */
    int64_t pending;   /* rows still not done after this drain */
} ldappub_stats;

/*
 * Publish up to max due rows (next_attempt <= now) in queue order, with one connection and a
 * simple bind (network and operation timeouts LDAPPUB_TIMEOUT seconds). Each row is claimed
 * with a compare-and-set first, so several drainers (serve nodes, cron) never publish the same
 * row at once. A failure schedules the row again after ldappub_backoff(attempts).
 * Returns 0 (failures of single rows are in *st and in the rows, not an error), or a negative
 * SC_E* for a store error. A home without `ldap` drains nothing. st may be NULL.
 * Secrets: the bind password is read from ldap_password_file (at most 1 KiB) for each drain,
 * wiped after the bind, and never appears in an error or a row.
 */
#define LDAPPUB_TIMEOUT     5
#define LDAPPUB_BACKOFF_MAX 300
int ldappub_drain(pki_ca *ca, size_t max, ldappub_stats *st, sc_err *e);

/* Make every pending row due now (after the directory is repaired), skipping the backoff. */
int ldappub_retry_now(pki_ca *ca, sc_err *e);

/* Seconds to wait before the next try after `attempts` failed ones: 5, 10, 20, … capped at
 * LDAPPUB_BACKOFF_MAX. */
int64_t ldappub_backoff(int64_t attempts);

#endif
