/* ocsp_int.h - what the OCSP files share: CertID coding, issuer matching, response building. */
#ifndef SEALCA_OCSP_INT_H
#define SEALCA_OCSP_INT_H

#include "ocsp/ocsp.h"
#include "pki/der.h"

#define OID_OCSP_BASIC "1.3.6.1.5.5.7.48.1.1"
#define OID_OCSP_NONCE "1.3.6.1.5.5.7.48.1.2"

/* Parse a CertID SEQUENCE's contents. 0 or -1 (malformed). */
int ocsp_certid_read(const der_tlv *t, ocsp_certid *out);
/* Write a CertID exactly as it was sent. */
void ocsp_certid_write(der_w *w, const ocsp_certid *id);
/* The SHA-1 CertID (NULL parameters) of serial under iss. -1 if iss's key cannot be read. */
int ocsp_certid_make(const pki_issuer *iss, const uint8_t *serial, size_t serial_len,
                     ocsp_certid *out);
/* Hash of iss's subject name and of its subjectPublicKey bits under alg. -1 if alg unknown. */
int ocsp_issuer_hashes(const pki_issuer *iss, int alg, uint8_t name[32], uint8_t key[32],
                       size_t *hlen);
/* The CA (root or issuing) of this home a CertID names, or NULL. */
pki_issuer *ocsp_issuer_match(pki_ca *ca, const ocsp_certid *id);
/* Its active delegated OCSP signer, or NULL if it has none (the root). */
pki_issuer *ocsp_signer_of(pki_ca *ca, const pki_issuer *iss);

/* One answer before signing. */
typedef struct ocsp_answer {
    int status; /* OCSP_CERT_* */
    int64_t revoked_at;
    int reason; /* -1: no revocationReason */
} ocsp_answer;

/* Status of a CertID's serial as issued by iss, from the store. 0, or a store error. */
int ocsp_status_lookup(pki_ca *ca, const pki_issuer *iss, const ocsp_certid *id, ocsp_answer *out,
                       sc_err *e);
/* Build and sign a successful OCSPResponse (appended to resp) for n CertIDs and answers.
 * nonce_ext may be NULL. */
int ocsp_response_sign(pki_ca *ca, pki_issuer *signer, const ocsp_certid *ids,
                       const ocsp_answer *ans, size_t n, const uint8_t *nonce_ext,
                       size_t nonce_ext_len, int64_t now, sc_buf *resp, sc_err *e);

#endif
