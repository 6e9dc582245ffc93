/* tsa.h - the RFC 3161 time-stamping authority: requests, SM2 tokens, verification, client. */
#ifndef SEALCA_TSA_H
#define SEALCA_TSA_H

#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "pki/pki.h"

/*
 * A TimeStampToken is a CMS SignedData (RFC 5652, PKCS#7 content type OIDs as RFC 3161
 * requires) over a TSTInfo, signed with SM2-with-SM3 (digestAlgorithm SM3, signatureAlgorithm
 * sm2-with-sm3 1.2.156.10197.1.501, the GM/T 0009 ID "1234567812345678") with the signed
 * attributes contentType, signingTime, messageDigest and ESS signingCertificateV2 (RFC 5035,
 * certHash SM3). Message imprints may be SM3 or SHA-256.
 */

#define TSA_REQUEST_MAX 4096        /* a TimeStampReq is ~60 bytes; extensions are refused */
#define TSA_TOKEN_MAX   (64 * 1024) /* a token or a response, certificates included */
#define TSA_NONCE_MAX   32          /* nonce INTEGER contents, bytes */
/* sealca's TSA policy when sealca.conf has no tsa_policy: a UUID-derived OID (X.667) */
#define TSA_DEFAULT_POLICY "2.25.314170397574101246769260177629083177580.3161"

/* PKIFailureInfo bits (RFC 3161 §2.4.2) */
enum {
    TSA_FAIL_BAD_ALG = 0,
    TSA_FAIL_BAD_REQUEST = 2,
    TSA_FAIL_BAD_DATA_FORMAT = 5,
    TSA_FAIL_TIME_NOT_AVAILABLE = 14,
    TSA_FAIL_UNACCEPTED_POLICY = 15,
    TSA_FAIL_UNACCEPTED_EXTENSION = 16,
    TSA_FAIL_SYSTEM_FAILURE = 25,
};

typedef enum tsa_hash { TSA_HASH_NONE = 0, TSA_HASH_SM3 = 1, TSA_HASH_SHA256 = 2 } tsa_hash;
const char *tsa_hash_name(tsa_hash h); /* "sm3" | "sha256" */
int tsa_hash_parse(const char *name, tsa_hash *out);
/* Hash data with h (32-byte output for both). */
void tsa_hash_data(tsa_hash h, const void *p, size_t n, uint8_t out[32]);

/* ---- requests ---- */

typedef struct tsa_req {
    tsa_hash hash;
    uint8_t imprint[32];
    sc_slice imprint_tlv; /* the MessageImprint TLV, echoed into TSTInfo */
    char policy[96];      /* reqPolicy, "" when absent */
    sc_slice nonce;       /* the nonce INTEGER TLV, empty when absent */
    int cert_req;
} tsa_req;

/* Parse a DER TimeStampReq (slices point into der). On failure *fail_bit is the PKIFailureInfo
 * bit to answer with (badDataFormat, badAlg, badRequest, unacceptedExtension) and e says why. */
int tsa_req_parse(const uint8_t *der, size_t len, tsa_req *out, int *fail_bit, sc_err *e);
/* Encode a TimeStampReq (nonce: big-endian unsigned bytes, may be NULL). */
int tsa_req_build(tsa_hash h, const uint8_t imprint[32], const uint8_t *nonce, size_t nlen,
                  int cert_req, sc_buf *out, sc_err *e);

/* ---- the authority ---- */

/* The TSA that answers: the newest active issuer of role tsa (NULL when the home has none). */
pki_issuer *tsa_issuer(pki_ca *ca);

/*
 * Answer a DER TimeStampReq: out receives a DER TimeStampResp, granted with a token signed by
 * the TSA's key (a remote key while serving: the key process checks what it signs, see
 * tsa_signed_attrs_check) and logged in tsa_tokens, or rejected with a PKIStatusInfo failInfo.
 * policy NULL = TSA_DEFAULT_POLICY. now_ms is the genTime (ms since the epoch, UTC). Returns 0
 * whenever out holds a response (granted or rejected); e then still says why a request was
 * rejected (e->code non-empty).
 */
int tsa_respond(pki_ca *ca, const char *policy, const uint8_t *req, size_t len, int64_t now_ms,
                sc_buf *out, sc_err *e);
/* A rejection TimeStampResp (status rejection, failInfo with this bit, text in statusString). */
int tsa_reject(int fail_bit, const char *text, sc_buf *out);

/* For the key process: 0 when msg is a DER SET of exactly the signed attributes a token
 * carries: contentType id-ct-TSTInfo, signingTime within 5 minutes of now, a 32-byte
 * messageDigest and signingCertificateV2. */
int tsa_signed_attrs_check(const uint8_t *msg, size_t len, int64_t now, sc_err *e);

/* A token's lookup row (tsa_tokens). */
typedef struct tsa_log_row {
    char serial[64];
    char issuer[32];
    char policy[96];
    char hash_alg[8];
    uint8_t imprint[32];
    int64_t gen_time_ms;
    char nonce[2 * TSA_NONCE_MAX + 1];
} tsa_log_row;
int tsa_log_get(store *s, const char *serial_hex, tsa_log_row *out, sc_err *e);

/* ---- tokens ---- */

typedef struct tsa_token_info {
    int version;
    char policy[96];
    tsa_hash hash;
    uint8_t imprint[32];
    char serial[64];     /* serialNumber, lowercase hex */
    int64_t gen_time_ms; /* genTime */
    int64_t accuracy_ms; /* -1 when absent */
    sc_slice nonce;      /* nonce INTEGER contents, empty when absent */
    sc_slice tsa_cert;   /* the signer's certificate (from the token or the one given) */
    sc_slice token;      /* the ContentInfo TLV */
} tsa_token_info;

/*
 * Check a TimeStampToken (or a granted TimeStampResp holding one): CMS structure, content type,
 * messageDigest = digest of the TSTInfo, ESS signingCertificate(V2) naming the signer's
 * certificate, the SM2 signature over the signed attributes, and that the certificate is a TSA
 * certificate (extendedKeyUsage timeStamping, critical, alone: RFC 3161 §2.3). The certificate
 * comes from the token or is cert (may be NULL). Chain and revocation of tsa_cert are the
 * caller's. SC_EVERIFY with a precise tsa.* code when a check fails, SC_EINVAL when malformed.
 */
int tsa_token_verify(const uint8_t *der, size_t len, const uint8_t *cert, size_t certlen,
                     tsa_token_info *out, sc_err *e);
/* The token inside a TimeStampResp: SC_EVERIFY tsa.rejected (with the status text and failInfo
 * names) when the response is not granted. */
int tsa_resp_token(const uint8_t *resp, size_t len, sc_slice *token, sc_err *e);

/* ---- client ---- */

/* POST a TimeStampReq to url (http or https, 15 s, TSA_TOKEN_MAX) and return the body. */
int tsa_fetch(const char *url, const uint8_t *req, size_t len, sc_buf *resp, sc_err *e);
/* Request a token over data's SM3 hash from url with a random nonce and certReq, check the
 * answer (imprint, nonce, token signature) and return the token (ContentInfo DER). */
int tsa_request(const char *url, const uint8_t *data, size_t n, sc_buf *token, sc_err *e);

/* ---- seals (GB/T 38540 SES_Signature.timeStamp) ---- */

/* GB/T 38540-2020: SES_Signature.timeStamp is a timestamp of the signature value, i.e. over the
 * BIT STRING contents of SES_Signature.signature; sealca writes the TimeStampToken (CMS
 * ContentInfo DER) as the BIT STRING, [0] EXPLICIT. GM/T 0031-2014 (v1) has no such field. */
/* Add timeStamp [0] EXPLICIT BIT STRING(token) to a DER SES_Signature (no checks). */
int tsa_seal_attach(const uint8_t *sig_der, size_t len, const uint8_t *token, size_t tlen,
                    sc_buf *out, sc_err *e);
/* Time-stamp a v4 SES_Signature in sig (replaced in place) with a token from url.
 * SC_EINVAL tsa.v1_no_timestamp for a v1 signature, tsa.has_timestamp when it has one. */
int tsa_seal_stamp(const char *url, sc_buf *sig, sc_err *e);

#endif
