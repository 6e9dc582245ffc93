/* audit.h - the hash-chained, checkpoint-signed audit log of every state change. */
#ifndef SEALCA_AUDIT_H
#define SEALCA_AUDIT_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

/*
 * Each record is (id, time, actor, action, object, result, detail) plus the SM3 hash of the
 * previous record; its own hash is SM3(prev_hash || the length-prefixed fields). Ids are
 * consecutive from 1. A checkpoint is a CA signature over (id, hash) of a record, so that even
 * someone who rewrites the whole chain with fresh hashes is caught at the last checkpoint.
 *
 * audit_append must run inside the caller's write transaction, so that the operation and its
 * record commit together or not at all. Strings must not contain secrets or whole ID numbers.
 */
int audit_append(store *s, const char *actor, const char *action, const char *object,
                 const char *result, const char *detail, sc_err *e);

/* Sign the current head with key (the CA named signer_id). Inside a transaction. Does nothing
 * when the head is already checkpointed. */
int audit_checkpoint(store *s, sc_key *key, const char *signer_id, sc_err *e);
/* Records appended since the last checkpoint. */
int audit_pending(store *s, int64_t *n, sc_err *e);

/* Looks up the public key of a checkpoint signer (caller frees the key). */
typedef int (*audit_key_fn)(void *arg, const char *signer_id, sc_key **out, sc_err *e);

typedef struct audit_report {
    int64_t records;     /* records read */
    int64_t checkpoints; /* signatures checked */
    int64_t first_bad;   /* id of the first bad record, 0 when intact */
    char why[200];       /* what is wrong with it */
} audit_report;

/* 0 when intact; SC_EVERIFY with rep->first_bad and rep->why filled when not. */
int audit_verify(store *s, audit_key_fn keyfn, void *arg, audit_report *rep, sc_err *e);

#endif
