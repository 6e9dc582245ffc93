/* ocsp.h - the OCSP responder core (RFC 6960, RFC 5019 profile): requests in, signed responses out.
 */
#ifndef SEALCA_OCSP_H
#define SEALCA_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "pki/pki.h"

/*
 * Who may call what:
 *  - ocsp_request_parse / ocsp_response_parse are pure functions of their input.
 *  - ocsp_respond* use a pki_ca (its store and lazily loaded keys), which is one-thread-only:
 *    a server gives each worker thread its own pki_ca (ca_open per thread).
 *  - an ocsp_cache is shared by all threads: ocsp_cache_get takes only a read lock and
 *    touches neither keys nor the store; refresh functions take the caller's pki_ca.
 */

#define OCSP_REQUEST_MAX   16384 /* bytes; larger requests are answered malformedRequest */
#define OCSP_MAX_IDS       16    /* CertIDs per request; more is malformedRequest */
#define OCSP_HASH_MAX      64 /* room for SHA-512 hashes (unsupported algorithms echo as unknown) */
#define OCSP_SERIAL_MAX    32 /* INTEGER content bytes (RFC 5280 allows 20; be lenient) */
#define OCSP_NONCE_MAX     32 /* RFC 8954 §2.1: Nonce ::= OCTET STRING (SIZE(1..32)) */
#define OCSP_DEFAULT_HOURS 24 /* nextUpdate - thisUpdate unless sealca.conf says ocsp_hours */

/* OCSPResponseStatus, RFC 6960 §4.2.1 */
enum {
    OCSP_SUCCESSFUL = 0,
    OCSP_MALFORMED_REQUEST = 1,
    OCSP_INTERNAL_ERROR = 2,
    OCSP_TRY_LATER = 3,
    OCSP_SIG_REQUIRED = 5,
    OCSP_UNAUTHORIZED = 6,
};

/* CertID hash algorithms we can match; anything else parses as OCSP_HASH_OTHER and is
 * answered `unknown` (we cannot tell which issuer it names). */
enum { OCSP_HASH_OTHER = 0, OCSP_HASH_SHA1 = 1, OCSP_HASH_SHA256 = 2, OCSP_HASH_SM3 = 3 };

/* CertStatus, RFC 6960 §4.2.1 */
enum { OCSP_CERT_GOOD = 0, OCSP_CERT_REVOKED = 1, OCSP_CERT_UNKNOWN = 2 };

typedef struct ocsp_certid {
    int hash_alg;        /* OCSP_HASH_* */
    uint8_t alg_oid[32]; /* the OID contents as sent, echoed in the response */
    size_t alg_oid_len;
    int alg_null; /* parameters were NULL (1) or absent (0): echoed as sent */
    uint8_t name_hash[OCSP_HASH_MAX], key_hash[OCSP_HASH_MAX];
    size_t hlen;                     /* both hashes have this length (20 SHA-1, 32 SHA-256/SM3) */
    uint8_t serial[OCSP_SERIAL_MAX]; /* INTEGER contents as sent (two's complement) */
    size_t serial_len;
} ocsp_certid;

typedef struct ocsp_request {
    ocsp_certid ids[OCSP_MAX_IDS];
    size_t n; /* 1..OCSP_MAX_IDS */
    int has_nonce;
    uint8_t nonce[OCSP_NONCE_MAX]; /* the nonce value (inner OCTET STRING if wrapped) */
    size_t nonce_len;
    uint8_t nonce_ext[OCSP_NONCE_MAX + 2]; /* the extnValue contents, echoed verbatim */
    size_t nonce_ext_len;
    int has_signature; /* optionalSignature present (accepted, not checked) */
} ocsp_request;

/*
 * Parse an OCSPRequest (RFC 6960 §4.1.1) strictly: DER lengths, at most OCSP_REQUEST_MAX
 * bytes, 1..OCSP_MAX_IDS CertIDs, hash algorithm parameters NULL or absent, both hashes of
 * the algorithm's length. Tolerated and ignored: version v1 written explicitly,
 * requestorName, singleRequestExtensions, non-critical unknown requestExtensions, and
 * optionalSignature (accepted and NOT checked, as most responders do: we answer anyone, so
 * a signature would authorise nothing). Refused: unknown critical extensions, a nonce that
 * is empty or longer than 32 bytes (RFC 8954 §2.1), trailing bytes.
 * The nonce may be the RFC 8954 OCTET STRING-wrapped form or raw bytes.
 * 0, or SC_EINVAL / SC_ETOOBIG with e naming the fault.
 */
int ocsp_request_parse(const uint8_t *der, size_t len, ocsp_request *out, sc_err *e);

/*
 * The full pipeline: parse, match each CertID to a CA of this home by name and key hash,
 * read its status from the store, and sign a BasicOCSPResponse with the delegated OCSP
 * signer (`ocsp-N`, parent `sub-N`) of that CA; the OCSPResponse DER is appended to resp.
 *
 * Always yields a response for any input: malformed -> unsigned malformedRequest(1); no
 * CertID names a CA that has an OCSP signer -> unauthorized(6); failures of ours (store,
 * key, encoding) -> internalError(2). Mixed issuers: the first CertID whose CA we serve
 * picks the signer (RFC 6960 signs a response with one key); CertIDs of any other issuer
 * are answered `unknown`, which RFC 6960 §2.2 defines for "an unrecognized issuer that is
 * not served by this responder". The root has no delegated signer, so CertIDs naming the
 * root (status of issuing CAs) are not served: its CRL carries that.
 *
 * Returns 0 when resp holds a response; e is then filled only when the response is not
 * `successful` (for the log). Negative only if even an error response cannot be allocated.
 * now is the producedAt / thisUpdate time; nextUpdate = now + ca->ocsp_hours.
 */
int ocsp_respond(pki_ca *ca, const uint8_t *req, size_t len, int64_t now, sc_buf *resp, sc_err *e);
/* Same, for a request already parsed with ocsp_request_parse. */
int ocsp_respond_request(pki_ca *ca, const ocsp_request *rq, int64_t now, sc_buf *resp, sc_err *e);
/* The unsigned error OCSPResponse for a status (5 bytes). 0 or SC_ENOMEM. */
int ocsp_response_error(int status, sc_buf *resp);

/* ---- pre-signed responses (RFC 5019 §6) ---- */

/*
 * A thread-safe cache of signed single-CertID, no-nonce responses keyed by (issuer, serial),
 * an open-addressing hash table under a rwlock whose entries point to immutable DER blobs:
 * a refresh builds a new blob and swaps the pointer under the write lock.
 *
 * Only SHA-1 CertIDs with NULL parameters (what RFC 5019 §2.1.1 clients send and OpenSSL
 * writes) are cached; any other CertID hash is signed live, so a SHA-256 or SM3 request never
 * sees a SHA-1 CertID. Unknown serials are never cached (a flood of random serials must not
 * grow memory); they are signed live. Issuers are fixed when the cache is made: after a CA
 * rollover, make a new cache.
 */
typedef struct ocsp_cache ocsp_cache;

typedef struct ocsp_cache_conf {
    size_t max_entries; /* 0 = 1,000,000 */
    int64_t margin;     /* re-sign when nextUpdate - now <= margin; 0 = half the validity */
} ocsp_cache_conf;

int ocsp_cache_new(pki_ca *ca, const ocsp_cache_conf *cf, ocsp_cache **out, sc_err *e);
void ocsp_cache_free(ocsp_cache *c);
/* Hot path: a copy of the cached response for this request appended to resp, if the request
 * is cacheable, the entry exists and now is before its nextUpdate. 0 on a hit,
 * SC_ENOTFOUND on a miss (the caller then uses ocsp_respond_cached or ocsp_respond),
 * SC_ENOMEM. No signing, no store access, no error messages. */
int ocsp_cache_get(ocsp_cache *c, const uint8_t *req, size_t len, int64_t now, sc_buf *resp);
/* Serve a request: a cache hit, else a cacheable miss is signed, published and served, else
 * it is signed live. Same contract as ocsp_respond. */
int ocsp_respond_cached(ocsp_cache *c, pki_ca *ca, const uint8_t *req, size_t len, int64_t now,
                        sc_buf *resp, sc_err *e);
/* Re-sign the entry of one certificate (call after its status changed, after the commit); the
 * entry is made if absent. serial as accepted by serial_normalise. SC_ENOTFOUND if the
 * certificate is not in the store or its CA has no OCSP signer. Builds (status read, signing,
 * publication) are serialised by a mutex, so a build that read the status before a change
 * can never publish after the refresh that follows the change. */
int ocsp_cache_refresh(ocsp_cache *c, pki_ca *ca, const char *serial, int64_t now, sc_err *e);
/* Re-sign every entry whose nextUpdate is within the margin of now; *count (may be NULL)
 * receives how many were re-signed. Stops at the first failure. */
int ocsp_cache_refresh_due(ocsp_cache *c, pki_ca *ca, int64_t now, size_t *count, sc_err *e);
/* Number of entries. */
size_t ocsp_cache_size(ocsp_cache *c);

/* ---- reading responses (sealca verify-ocsp, tests) ---- */

typedef struct ocsp_single {
    ocsp_certid id;
    int status; /* OCSP_CERT_* */
    int64_t revoked_at;
    int reason;                       /* -1 when absent */
    int64_t this_update, next_update; /* next_update 0 when absent */
} ocsp_single;

typedef struct ocsp_response {
    int status;   /* OCSPResponseStatus; the fields below only when successful */
    sc_slice tbs; /* tbsResponseData TLV (pointers into the parsed DER) */
    sc_slice sigalg;
    sc_slice sig;  /* BIT STRING contents without the unused-bits byte */
    sc_slice cert; /* first certificate of certs [0], len 0 if none */
    int by_key;    /* responderID byKey (1) or byName (0) */
    uint8_t key_hash[20];
    sc_slice name; /* byName */
    int64_t produced_at;
    ocsp_single singles[OCSP_MAX_IDS];
    size_t n;
    uint8_t nonce_ext[OCSP_NONCE_MAX + 2];
    size_t nonce_ext_len; /* 0: no nonce */
} ocsp_response;

/* Parse an OCSPResponse strictly (sealca's own output and that of other responders). */
int ocsp_response_parse(const uint8_t *der, size_t len, ocsp_response *out, sc_err *e);
/* Check a successful response against this home: the signer is one of the home's OCSP
 * signer certificates (embedded, or found by responderID), the responderID names its key,
 * the signature verifies (SM2 with the GM/T 0009 ID), and every good/revoked CertID names
 * the signer's CA. *signer (may be NULL) receives the signer. SC_EVERIFY when not. */
int ocsp_response_verify(pki_ca *ca, const ocsp_response *r, pki_issuer **signer, sc_err *e);

/* ---- the relying party's side (seal verification): ask a responder about one certificate ---- */

#define OCSP_RESPONSE_MAX (64u * 1024) /* bytes accepted from a responder */

/* What a client asked: the CertID (SHA-1, NULL parameters) and the nonce extension's value. */
typedef struct ocsp_query {
    ocsp_certid id;
    uint8_t nonce_ext[OCSP_NONCE_MAX + 2]; /* OCTET STRING TLV (RFC 8954 form) */
    size_t nonce_ext_len;
} ocsp_query;

/* Build an OCSPRequest (DER, appended to req) for the certificate cert issued by issuer, with a
 * fresh 16-byte random nonce. q receives what was asked, for ocsp_client_check. 0, SC_EINVAL
 * (a certificate unreadable) or SC_ENOMEM. */
int ocsp_client_request(const uint8_t *cert, size_t certlen, const uint8_t *issuer,
                        size_t issuerlen, ocsp_query *q, sc_buf *req, sc_err *e);

/*
 * Check a parsed response to q for a relying party that trusts issuer (RFC 6960 §3.2, §4.2.2.2):
 * status successful; the signer is the issuer itself, or a delegated responder whose
 * certificate (embedded in the response) the issuer signed, with extendedKeyUsage
 * id-kp-OCSPSigning, valid now; the responderID names that signer; the signature verifies; the
 * nonce is echoed; a SingleResponse names exactly q's CertID; thisUpdate is not in the future
 * and nextUpdate (when present) not in the past (300 s skew each). *out receives that single.
 * SC_EVERIFY with codes ocsp.error_status, ocsp.unknown_signer, ocsp.not_authorized,
 * ocsp.responder_id, ocsp.bad_signature, ocsp.nonce, ocsp.no_answer, ocsp.stale.
 */
int ocsp_client_check(const ocsp_response *r, const ocsp_query *q, const uint8_t *issuer,
                      size_t issuerlen, int64_t now, ocsp_single *out, sc_err *e);

const char *ocsp_status_name(int status);      /* "successful", "malformedRequest" … */
const char *ocsp_cert_status_name(int status); /* "good" | "revoked" | "unknown" */

#endif
