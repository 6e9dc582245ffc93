/* audit.c - appending to, checkpointing and verifying the hash-chained audit log. */
#include "audit/audit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define AUDIT_FIELD_MAX 4096

static void put_u64(crypto_sm3_ctx *c, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
    crypto_sm3_update(c, b, 8);
}

static void put_str(crypto_sm3_ctx *c, const char *s, size_t n)
{
    put_u64(c, n);
    crypto_sm3_update(c, s, n);
}

static void record_hash(const uint8_t prev[32], int64_t id, int64_t at, const char *f[5],
                        const size_t fl[5], uint8_t out[32])
{
    crypto_sm3_ctx c;
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, "sealca-audit-v1", 15);
    crypto_sm3_update(&c, prev, 32);
    put_u64(&c, (uint64_t)id);
    put_u64(&c, (uint64_t)at);
    for (int i = 0; i < 5; i++)
        put_str(&c, f[i], fl[i]);
    crypto_sm3_final(&c, out);
}

/* What a checkpoint signature covers. */
static void checkpoint_msg(int64_t id, const uint8_t head[32], int64_t at, uint8_t msg[75])
{
    memcpy(msg, "sealca-audit-checkpoint-v1", 26);
    msg[26] = 0;
    for (int i = 0; i < 8; i++) {
        msg[27 + i] = (uint8_t)((uint64_t)id >> (56 - 8 * i));
        msg[35 + i] = (uint8_t)((uint64_t)at >> (56 - 8 * i));
    }
    memcpy(msg + 43, head, 32);
}

int audit_append(store *s, const char *actor, const char *action, const char *object,
                 const char *result, const char *detail, sc_err *e)
{
    const char *f[5] = {actor, action, object, result, detail ? detail : ""};
    size_t fl[5];
    for (int i = 0; i < 5; i++) {
        if (f[i] == NULL)
            return sc_fail(e, SC_EINTERNAL, "audit.null_field", "audit field %d missing", i);
        fl[i] = strlen(f[i]);
        if (fl[i] > AUDIT_FIELD_MAX)
            return sc_fail(e, SC_EINVAL, "audit.too_long", "audit field longer than %d bytes",
                           AUDIT_FIELD_MAX);
    }
    store_stmt *st;
    int rc;
    /* Take the 'audit' counter row first: on PostgreSQL its row lock orders concurrent
     * appenders, so two transactions can never chain onto the same head. */
    if ((rc = store_stmt_get(s, ST_COUNTER_NEXT, &st, e)) != 0) return rc;
    store_bind_text(st, 1, "audit");
    if ((rc = store_step(st, e)) != STORE_ROW)
        return rc < 0 ? rc : sc_fail(e, SC_EINTERNAL, "audit.counter", "audit counter missing");
    store_exec(st, NULL);

    uint8_t prev[32] = {0}, h[32];
    int64_t id = 1;
    if ((rc = store_stmt_get(s, ST_AUDIT_HEAD, &st, e)) != 0) return rc;
    rc = store_step(st, e);
    if (rc < 0) return rc;
    if (rc == STORE_ROW) {
        size_t hl = 0;
        const uint8_t *hp = store_col_blob(st, 1, &hl);
        if (hl != 32)
            return sc_fail(e, SC_EINTERNAL, "audit.bad_head", "audit head record is damaged");
        id = store_col_int64(st, 0) + 1;
        memcpy(prev, hp, 32);
    }
    store_exec(st, NULL);
    int64_t at = (int64_t)time(NULL);
    record_hash(prev, id, at, f, fl, h);
    if ((rc = store_stmt_get(s, ST_AUDIT_INSERT, &st, e)) != 0) return rc;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, at);
    for (int i = 0; i < 5; i++)
        store_bind_text(st, 3 + i, f[i]);
    store_bind_blob(st, 8, prev, 32);
    store_bind_blob(st, 9, h, 32);
    return store_exec(st, e);
}

int audit_pending(store *s, int64_t *n, sc_err *e)
{
    store_stmt *st;
    int rc;
    int64_t head = 0, cp = 0;
    if ((rc = store_stmt_get(s, ST_AUDIT_HEAD, &st, e)) != 0) return rc;
    if ((rc = store_step(st, e)) < 0) return rc;
    if (rc == STORE_ROW) head = store_col_int64(st, 0);
    store_exec(st, NULL);
    if ((rc = store_stmt_get(s, ST_AUDIT_CP_LAST, &st, e)) != 0) return rc;
    if ((rc = store_step(st, e)) < 0) return rc;
    if (rc == STORE_ROW && !store_col_isnull(st, 0)) cp = store_col_int64(st, 0);
    store_exec(st, NULL);
    *n = head - cp;
    return 0;
}

int audit_checkpoint(store *s, sc_key *key, const char *signer_id, sc_err *e)
{
    store_stmt *st;
    int rc;
    int64_t pending = 0;
    if ((rc = audit_pending(s, &pending, e)) != 0) return rc;
    if (pending <= 0) return 0;
    if ((rc = store_stmt_get(s, ST_AUDIT_HEAD, &st, e)) != 0) return rc;
    if ((rc = store_step(st, e)) != STORE_ROW) return rc < 0 ? rc : 0;
    int64_t id = store_col_int64(st, 0);
    size_t hl = 0;
    const uint8_t *hp = store_col_blob(st, 1, &hl);
    uint8_t head[32];
    if (hl != 32) return sc_fail(e, SC_EINTERNAL, "audit.bad_head", "audit head record is damaged");
    memcpy(head, hp, 32);
    store_exec(st, NULL);
    int64_t at = (int64_t)time(NULL);
    uint8_t msg[75];
    checkpoint_msg(id, head, at, msg);
    sc_buf sig = {0};
    if ((rc = crypto_sign(key, msg, sizeof(msg), &sig, e)) != 0) return rc;
    if ((rc = store_stmt_get(s, ST_AUDIT_CP_INSERT, &st, e)) == 0) {
        store_bind_int64(st, 1, id);
        store_bind_blob(st, 2, head, 32);
        store_bind_int64(st, 3, at);
        store_bind_text(st, 4, signer_id);
        store_bind_text(st, 5, crypto_alg_name(crypto_key_alg(key)));
        store_bind_blob(st, 6, sig.p, sig.len);
        rc = store_exec(st, e);
    }
    sc_buf_free(&sig);
    return rc;
}

typedef struct checkpoint {
    int64_t id, at;
    uint8_t head[32];
    char signer[64];
    sc_alg alg;
    uint8_t sig[600];
    size_t siglen;
} checkpoint;

static int bad(audit_report *rep, int64_t id, const char *why, sc_err *e)
{
    rep->first_bad = id;
    snprintf(rep->why, sizeof(rep->why), "%s", why);
    return sc_fail(e, SC_EVERIFY, "audit.broken", "audit record %" PRId64 ": %s", id, why);
}

int audit_verify(store *s, audit_key_fn keyfn, void *arg, audit_report *rep, sc_err *e)
{
    memset(rep, 0, sizeof(*rep));
    store_stmt *st;
    int rc;
    /* checkpoints first (few), then one pass over the records */
    checkpoint *cps = NULL;
    size_t ncp = 0, cap = 0;
    if ((rc = store_stmt_get(s, ST_AUDIT_CP_ALL, &st, e)) != 0) return rc;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (ncp == cap) {
            cap = cap ? cap * 2 : 16;
            checkpoint *n = realloc(cps, cap * sizeof(*cps));
            if (n == NULL) {
                free(cps);
                store_exec(st, NULL);
                return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
            }
            cps = n;
        }
        checkpoint *c = &cps[ncp];
        memset(c, 0, sizeof(*c));
        size_t hl = 0, sl = 0;
        c->id = store_col_int64(st, 0);
        const uint8_t *hp = store_col_blob(st, 1, &hl);
        c->at = store_col_int64(st, 2);
        snprintf(c->signer, sizeof(c->signer), "%s", store_col_text(st, 3, NULL));
        if (crypto_alg_parse(store_col_text(st, 4, NULL), &c->alg) != 0) c->alg = SC_ALG_NONE;
        const uint8_t *sp = store_col_blob(st, 5, &sl);
        if (hl == 32) memcpy(c->head, hp, 32);
        if (sl <= sizeof(c->sig)) {
            memcpy(c->sig, sp, sl);
            c->siglen = sl;
        }
        ncp++;
    }
    store_exec(st, NULL);
    if (rc < 0) {
        free(cps);
        return rc;
    }
    /* each checkpoint signature must verify under its signer's key */
    for (size_t i = 0; i < ncp; i++) {
        checkpoint *c = &cps[i];
        sc_key *k = NULL;
        sc_err ke = {0};
        uint8_t msg[75];
        checkpoint_msg(c->id, c->head, c->at, msg);
        if (keyfn(arg, c->signer, &k, &ke) != 0 || c->alg == SC_ALG_NONE ||
            crypto_verify(k, c->alg, msg, sizeof(msg), c->sig, c->siglen, &ke) != 0) {
            crypto_key_free(k);
            rc = bad(rep, c->id, "checkpoint signature does not verify", e);
            free(cps);
            return rc;
        }
        crypto_key_free(k);
        rep->checkpoints++;
    }

    uint8_t prev[32] = {0};
    int64_t expect = 1;
    size_t cpi = 0;
    if ((rc = store_stmt_get(s, ST_AUDIT_ALL, &st, e)) != 0) {
        free(cps);
        return rc;
    }
    while ((rc = store_step(st, e)) == STORE_ROW) {
        int64_t id = store_col_int64(st, 0), at = store_col_int64(st, 1);
        const char *f[5];
        size_t fl[5], pl = 0, hl = 0;
        for (int i = 0; i < 5; i++)
            f[i] = store_col_text(st, 2 + i, &fl[i]);
        const uint8_t *pp = store_col_blob(st, 7, &pl);
        const uint8_t *hp = store_col_blob(st, 8, &hl);
        rep->records++;
        const char *why = NULL;
        uint8_t h[32];
        if (id != expect)
            why = id > expect ? "records missing before this one (ids not consecutive)"
                              : "unexpected record id (inserted or reordered)";
        else if (pl != 32 || memcmp(pp, prev, 32) != 0)
            why = "does not chain to the previous record (deleted, inserted or reordered)";
        else {
            record_hash(prev, id, at, f, fl, h);
            if (hl != 32 || memcmp(h, hp, 32) != 0)
                why = "content does not match its hash (modified)";
        }
        if (why == NULL) {
            while (cpi < ncp && cps[cpi].id < id)
                cpi++; /* a checkpoint naming a record that is gone is caught below */
            if (cpi < ncp && cps[cpi].id == id) {
                if (memcmp(cps[cpi].head, h, 32) != 0)
                    why = "differs from the signed checkpoint (log rewritten)";
                cpi++;
            }
        }
        if (why != NULL) {
            store_exec(st, NULL);
            rc = bad(rep, id, why, e);
            free(cps);
            return rc;
        }
        memcpy(prev, h, 32);
        expect = id + 1;
    }
    store_exec(st, NULL);
    if (rc < 0) {
        free(cps);
        return rc;
    }
    for (size_t i = 0; i < ncp; i++) {
        if (cps[i].id >= expect) {
            rc = bad(
                rep, expect,
                "records after this point are missing (signed checkpoint names a later record)", e);
            free(cps);
            return rc;
        }
    }
    free(cps);
    return 0;
}
