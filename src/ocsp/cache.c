/* cache.c - pre-signed OCSP responses (RFC 5019 §6): a rwlocked hash table of immutable DER blobs.
 */
#include "ocsp/ocsp_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX_DEFAULT 1000000
#define CACHE_ISSUERS_MAX 255

/* One signed response. Immutable once published; freed only by whoever unpublished it. */
typedef struct blob {
    int64_t this_update, next_update;
    size_t len;
    uint8_t der[];
} blob;

typedef struct slot {
    blob *b;     /* NULL: free slot */
    uint8_t iss; /* index into ocsp_cache.iss */
    uint8_t serial[16];
} slot;

typedef struct cache_issuer {
    char id[32];
    uint8_t name_hash[20], key_hash[20]; /* SHA-1, as in RFC 5019 CertIDs */
} cache_issuer;

struct ocsp_cache {
    pthread_rwlock_t lock; /* slots, cap, count */
    pthread_mutex_t build; /* one build at a time: a status read and its publication are not
                            * overtaken by an older read (see publish) */
    cache_issuer iss[CACHE_ISSUERS_MAX];
    size_t niss;
    slot *slots; /* open addressing, linear probing; cap a power of two */
    size_t cap, count, max;
    int64_t margin;
    uint64_t seed; /* hash seed: probe sequences are not predictable from outside */
};

static uint64_t key_hash(const ocsp_cache *c, uint8_t iss, const uint8_t serial[16])
{
    uint64_t h = c->seed ^ 0xcbf29ce484222325ull; /* FNV-1a, seeded */
    h = (h ^ iss) * 0x100000001b3ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ serial[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

/* Slot of (iss, serial), or the free slot where it would go. Caller holds the lock. */
static slot *find(const ocsp_cache *c, uint8_t iss, const uint8_t serial[16])
{
    size_t mask = c->cap - 1, i = (size_t)key_hash(c, iss, serial) & mask;
    for (;;) {
        slot *s = &c->slots[i];
        if (s->b == NULL || (s->iss == iss && memcmp(s->serial, serial, 16) == 0)) return s;
        i = (i + 1) & mask;
    }
}

static int grow(ocsp_cache *c)
{
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    slot *old = c->slots, *n = calloc(ncap, sizeof(*n));
    size_t ocap = c->cap;
    if (n == NULL) return SC_ENOMEM;
    c->slots = n;
    c->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].b != NULL) *find(c, old[i].iss, old[i].serial) = old[i];
    free(old);
    return 0;
}

int ocsp_cache_new(pki_ca *ca, const ocsp_cache_conf *cf, ocsp_cache **out, sc_err *e)
{
    *out = NULL;
    ocsp_cache *c = calloc(1, sizeof(*c));
    if (c == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    c->max = cf && cf->max_entries ? cf->max_entries : CACHE_MAX_DEFAULT;
    int hours = ca->ocsp_hours > 0 ? ca->ocsp_hours : OCSP_DEFAULT_HOURS;
    /* refresh at half-life: a day's response is re-signed after 12 h, well before expiry */
    c->margin = cf && cf->margin > 0 ? cf->margin : (int64_t)hours * 3600 / 2;
    crypto_random(&c->seed, sizeof(c->seed));
    for (size_t i = 0; i < ca->nissuers && c->niss < CACHE_ISSUERS_MAX; i++) {
        pki_issuer *is = &ca->issuers[i];
        if ((strcmp(is->role, "root") != 0 && strcmp(is->role, "issuing") != 0) ||
            ocsp_signer_of(ca, is) == NULL)
            continue;
        cache_issuer *ci = &c->iss[c->niss++];
        uint8_t n[32], k[32];
        size_t hl;
        ocsp_issuer_hashes(is, OCSP_HASH_SHA1, n, k, &hl);
        memcpy(ci->name_hash, n, 20);
        memcpy(ci->key_hash, k, 20);
        snprintf(ci->id, sizeof(ci->id), "%s", is->id);
    }
    if (grow(c) != 0 || pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c->slots);
        free(c);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    pthread_mutex_init(&c->build, NULL);
    *out = c;
    return 0;
}

void ocsp_cache_free(ocsp_cache *c)
{
    if (c == NULL) return;
    for (size_t i = 0; i < c->cap; i++)
        free(c->slots[i].b);
    free(c->slots);
    pthread_rwlock_destroy(&c->lock);
    pthread_mutex_destroy(&c->build);
    free(c);
}

size_t ocsp_cache_size(ocsp_cache *c)
{
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->count;
    pthread_rwlock_unlock(&c->lock);
    return n;
}

/* A request the cache can answer: one SHA-1 CertID with NULL parameters, no nonce, a CA we
 * sign for, and a serial in sealca's format. *iss receives the issuer index. */
static int cacheable(const ocsp_cache *c, const ocsp_request *rq, uint8_t *iss)
{
    const ocsp_certid *id = &rq->ids[0];
    if (rq->n != 1 || rq->has_nonce || id->hash_alg != OCSP_HASH_SHA1 || !id->alg_null ||
        id->serial_len != 16 || id->serial[0] == 0 || (id->serial[0] & 0x80))
        return 0;
    for (size_t i = 0; i < c->niss; i++)
        if (memcmp(c->iss[i].name_hash, id->name_hash, 20) == 0 &&
            memcmp(c->iss[i].key_hash, id->key_hash, 20) == 0) {
            *iss = (uint8_t)i;
            return 1;
        }
    return 0;
}

/* Copy the fresh entry for (iss, serial) into resp. 0 hit, SC_ENOTFOUND, SC_ENOMEM. */
static int lookup(ocsp_cache *c, uint8_t iss, const uint8_t serial[16], int64_t now, sc_buf *resp)
{
    int rc = SC_ENOTFOUND;
    pthread_rwlock_rdlock(&c->lock);
    const blob *b = find(c, iss, serial)->b;
    if (b != NULL && now < b->next_update && now >= b->this_update - 300)
        rc = sc_buf_append(resp, b->der, b->len);
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

int ocsp_cache_get(ocsp_cache *c, const uint8_t *req, size_t len, int64_t now, sc_buf *resp)
{
    ocsp_request rq;
    uint8_t iss;
    if (ocsp_request_parse(req, len, &rq, NULL) != 0 || !cacheable(c, &rq, &iss))
        return SC_ENOTFOUND;
    return lookup(c, iss, rq.ids[0].serial, now, resp);
}

/* Publish b for (iss, serial), replacing any older blob. Takes ownership of b. */
static void publish(ocsp_cache *c, uint8_t iss, const uint8_t serial[16], blob *b)
{
    blob *old = NULL;
    pthread_rwlock_wrlock(&c->lock);
    slot *s = find(c, iss, serial);
    if (s->b == NULL && (c->count >= c->max || ((c->count + 1) * 2 > c->cap && grow(c) != 0))) {
        old = b; /* full: serve it this once, keep nothing */
    } else {
        if (s->b == NULL) {
            s = find(c, iss, serial); /* grow() may have moved the table */
            c->count++;
        }
        old = s->b;
        s->b = b;
        s->iss = iss;
        memcpy(s->serial, serial, 16);
    }
    pthread_rwlock_unlock(&c->lock);
    free(old);
}

/* Read the status and sign the single response of (iss, serial). Caller holds c->build.
 * SC_ENOTFOUND when the serial is not in the store as issued by that CA. */
static int build(ocsp_cache *c, pki_ca *ca, uint8_t iss, const uint8_t serial[16], int64_t now,
                 blob **out, sc_err *e)
{
    pki_issuer *is = ca_issuer(ca, c->iss[iss].id), *signer;
    ocsp_certid id;
    ocsp_answer a;
    sc_buf der = {0};
    if (is == NULL || (signer = ocsp_signer_of(ca, is)) == NULL ||
        ocsp_certid_make(is, serial, 16, &id) != 0)
        return sc_fail(e, SC_EINTERNAL, "ocsp.cache_issuer",
                       "issuer %s changed since the cache "
                       "was made",
                       c->iss[iss].id);
    int rc = ocsp_status_lookup(ca, is, &id, &a, e);
    if (rc != 0) return rc;
    if (a.status == OCSP_CERT_UNKNOWN) return SC_ENOTFOUND;
    if ((rc = ocsp_response_sign(ca, signer, &id, &a, 1, NULL, 0, now, &der, e)) != 0) {
        sc_buf_free(&der);
        return rc;
    }
    blob *b = malloc(sizeof(*b) + der.len);
    if (b == NULL) {
        sc_buf_free(&der);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    int hours = ca->ocsp_hours > 0 ? ca->ocsp_hours : OCSP_DEFAULT_HOURS;
    b->this_update = now;
    b->next_update = now + (int64_t)hours * 3600;
    b->len = der.len;
    memcpy(b->der, der.p, der.len);
    sc_buf_free(&der);
    *out = b;
    return 0;
}

/* Build and publish under the build mutex; resp (may be NULL) gets a copy. */
static int rebuild(ocsp_cache *c, pki_ca *ca, uint8_t iss, const uint8_t serial[16], int64_t now,
                   sc_buf *resp, sc_err *e)
{
    blob *b = NULL;
    int rc;
    pthread_mutex_lock(&c->build);
    /* serving a miss: another thread may have built it while this one waited */
    if (resp != NULL && (rc = lookup(c, iss, serial, now, resp)) != SC_ENOTFOUND) {
        pthread_mutex_unlock(&c->build);
        return rc;
    }
    rc = build(c, ca, iss, serial, now, &b, e);
    if (rc == 0 && resp != NULL) rc = sc_buf_append(resp, b->der, b->len);
    if (b != NULL) publish(c, iss, serial, b);
    pthread_mutex_unlock(&c->build);
    return rc;
}

int ocsp_respond_cached(ocsp_cache *c, pki_ca *ca, const uint8_t *req, size_t len, int64_t now,
                        sc_buf *resp, sc_err *e)
{
    ocsp_request rq;
    uint8_t iss;
    if (ocsp_request_parse(req, len, &rq, e) != 0)
        return ocsp_response_error(OCSP_MALFORMED_REQUEST, resp);
    if (cacheable(c, &rq, &iss)) {
        int rc = lookup(c, iss, rq.ids[0].serial, now, resp);
        if (rc != SC_ENOTFOUND) return rc;
        size_t mark = resp->len;
        sc_err e2 = {0};
        if (rebuild(c, ca, iss, rq.ids[0].serial, now, resp, &e2) == 0) return 0;
        resp->len = mark; /* not in the store, or a failure: the live path answers */
    }
    return ocsp_respond_request(ca, &rq, now, resp, e);
}

int ocsp_cache_refresh(ocsp_cache *c, pki_ca *ca, const char *serial, int64_t now, sc_err *e)
{
    char hex[33];
    uint8_t sn[16];
    int rc = serial_normalise(serial, hex, e);
    if (rc != 0) return rc;
    sc_hex_decode(hex, sn, sizeof(sn));
    cert_info ci;
    if ((rc = pki_cert_get(ca, hex, &ci, e)) != 0) return rc;
    size_t i;
    for (i = 0; i < c->niss; i++)
        if (strcmp(c->iss[i].id, ci.issuer) == 0) break;
    cert_info_free(&ci);
    if (i == c->niss)
        return sc_fail(e, SC_ENOTFOUND, "ocsp.not_served",
                       "the CA of %s has no OCSP signer in this cache", hex);
    rc = rebuild(c, ca, (uint8_t)i, sn, now, NULL, e);
    if (rc == SC_ENOTFOUND)
        sc_fail(e, rc, "ocsp.not_found", "certificate %s is not in the store", hex);
    return rc;
}

typedef struct due_key {
    uint8_t iss;
    uint8_t serial[16];
} due_key;

int ocsp_cache_refresh_due(ocsp_cache *c, pki_ca *ca, int64_t now, size_t *count, sc_err *e)
{
    size_t n = 0, done = 0;
    int rc = 0;
    if (count) *count = 0;
    pthread_rwlock_rdlock(&c->lock);
    due_key *keys = malloc((c->count ? c->count : 1) * sizeof(*keys));
    for (size_t i = 0; keys != NULL && i < c->cap; i++) {
        const slot *s = &c->slots[i];
        if (s->b != NULL && s->b->next_update - now <= c->margin) {
            keys[n].iss = s->iss;
            memcpy(keys[n].serial, s->serial, 16);
            n++;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    if (keys == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    /* signing happens outside the table lock: readers keep the old blob meanwhile */
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = rebuild(c, ca, keys[i].iss, keys[i].serial, now, NULL, e);
        if (rc == 0) done++;
    }
    free(keys);
    if (count) *count = done;
    return rc;
}
