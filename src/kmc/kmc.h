/* kmc.h - the key management centre: escrowed encryption keys, key pools, dual certificates,
 * key recovery, online PIN unlock answers and mobile activation codes (GM/T 0038 §7.6.2). */
#ifndef SEALCA_KMC_H
#define SEALCA_KMC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "pki/pki.h"

/*
 * For the RA (one kmc handle per request thread; cheap to open):
 *   in `sealca serve`:  kmc_backend be; keyproc_kmc_backend(app->kp, &be, e);
 *                       kmc_open(api_ca(app, e), &be, &k, e); … kmc_close(k);
 *   new / reissue / replace with a new key pair:  kmc_issue_dual → result.response (CSRResponse)
 *   pin-unlock, after the order is approved:       kmc_unlock_answer
 *   key-recovery:  kmc_recovery_request, kmc_recovery_approve (two officers, neither the
 *                  requester), kmc_recovery_release_damaged | _judicial, kmc_recovery_reject
 *   mobile certificate:  kmc_activation_create / kmc_activation_redeem, kmc_qr_png
 *   after revocations:   kmc_sweep (keys of revoked / expired encryption certificates to history)
 * Every function audits its change in the same transaction and returns 0 or an SC_E* status
 * with a stable code in e (codes listed at each function; docs/tokens.md).
 */

/*
 * Where the KMC master key is used. The master key is an SM2 key stored like the CA keys
 * (HOME/kmc/master.key, encrypted PKCS#8 under the home's passphrase); sub-keys for escrow and
 * for the per-device admin keys are HMAC-SM3 derivations of its scalar. While `sealca serve`
 * runs it lives only in the key process (keyproc_kmc_backend); offline CLI commands load it
 * with the passphrase (kmc_backend_local). Every operation is narrow and typed: nothing here
 * returns a private key or the master key in the clear.
 *
 * An escrow blob is pub(65) || AEAD(escrow key, aad = pub, d): the private key of one escrowed
 * key pair, bound to its public key.
 */
typedef struct kmc_backend {
    void *ctx;
    /* a fresh SM2 key pair: its point and escrow blob */
    int (*generate)(void *ctx, uint8_t pub[65], sc_buf *blob, sc_err *e);
    /* the escrowed private key enveloped to recip (an SM2 point): DER SM2EnvelopedKey */
    int (*envelope)(void *ctx, const uint8_t *blob, size_t len, const uint8_t recip[65],
                    sc_buf *out, sc_err *e);
    /* the escrowed key as encrypted PKCS#8 PEM under pass (judicial release) */
    int (*export_p8)(void *ctx, const uint8_t *blob, size_t len, const char *pass, size_t passlen,
                     sc_buf *pem, sc_err *e);
    /* the answer to a token's unlock request (token/token.h) setting new_pin */
    int (*unlock)(void *ctx, const uint8_t *req, size_t reqlen, const char *new_pin, sc_buf *ans,
                  sc_err *e);
    /* the admin (SO) PIN of a managed device, for initialising a token at the counter; not
     * offered by the key process (the server never hands it out) */
    int (*device_pin)(void *ctx, const char *serial, char pin[33], sc_err *e);
    void (*close)(void *ctx);
} kmc_backend;

/* The master key file of a home: HOME/kmc/master.key. */
#define KMC_MASTER_FILE "kmc/master.key"
/* Create the master key file (refuses an existing one). */
int kmc_master_create(const char *home, const char *pass, size_t passlen, sc_err *e);
/* Load the master key with the passphrase into an in-process backend (offline CLI, tests).
 * Free with be->close(be->ctx). */
int kmc_backend_local(const char *home, const char *pass, size_t passlen, kmc_backend *be,
                      sc_err *e);
/* The master key's derived secrets; used by the key process and the local backend. */
typedef struct kmc_master {
    uint8_t escrow[32]; /* AEAD key of escrow blobs */
    uint8_t device[32]; /* HMAC key: device admin PIN = f(device, serial) */
} kmc_master;
int kmc_master_load(const char *path, const char *pass, size_t passlen, kmc_master *m, sc_err *e);
/* The operations a backend performs, given the master (key process side). */
int kmc_op_generate(const kmc_master *m, uint8_t pub[65], sc_buf *blob, sc_err *e);
int kmc_op_envelope(const kmc_master *m, const uint8_t *blob, size_t len, const uint8_t recip[65],
                    sc_buf *out, sc_err *e);
int kmc_op_export_p8(const kmc_master *m, const uint8_t *blob, size_t len, const char *pass,
                     size_t passlen, sc_buf *pem, sc_err *e);
int kmc_op_unlock(const kmc_master *m, const uint8_t *req, size_t reqlen, const char *new_pin,
                  sc_buf *ans, sc_err *e);
void kmc_op_device_pin(const kmc_master *m, const char *serial, char pin[33]);

/* ---- GM/T 0009 SM2EnvelopedKey and GM/T 0092 CSRResponse (kmc/envkey.c) ---- */

#define KMC_MSG_MAX (64 * 1024)
/* Envelope the SM2 private key k to the SM2 public key recip (SM4-ECB under a random key, the
 * key SM2-encrypted to recip): DER SM2EnvelopedKey. */
int envkey_seal(sc_key *k, sc_key *recip, sc_buf *out, sc_err *e);
/* Open an SM2EnvelopedKey with the recipient's private key; the result is checked against the
 * public key carried in the envelope. SC_EINVAL envkey.malformed, SC_EVERIFY envkey.not_for_me
 * (another recipient) or envkey.mismatch. */
int envkey_open(const uint8_t *der, size_t len, sc_key *recip, sc_key **out, sc_err *e);
/* The public key an envelope carries (no decryption). */
int envkey_public(const uint8_t *der, size_t len, uint8_t pub[65], sc_err *e);

/* CSRResponse ::= SEQUENCE { signCertificate CertificateSet, encryptedPrivateKey [0]
 * SM2EnvelopedKey OPTIONAL, encryptCertificate [1] CertificateSet OPTIONAL }, where
 * CertificateSet is SEQUENCE OF Certificate (GM/T 0092-2020 §6). Slices point into the input. */
typedef struct csr_response {
    sc_slice sign_cert; /* the first certificate of signCertificate */
    sc_slice env_key;   /* SM2EnvelopedKey TLV, len 0 when absent */
    sc_slice enc_cert;  /* len 0 when absent */
} csr_response;
int csrresp_encode(const uint8_t *sign, size_t signlen, const uint8_t *envk, size_t envklen,
                   const uint8_t *enc, size_t enclen, sc_buf *out, sc_err *e);
int csrresp_parse(const uint8_t *der, size_t len, csr_response *out, sc_err *e);

/* ---- the KMC (kmc/kmc.c) ---- */

typedef struct kmc {
    pki_ca *ca;     /* borrowed: store, issuers */
    kmc_backend be; /* borrowed */
    int pool_min, pool_target;
} kmc;

/* Open the KMC of a home whose `sealca kmc init` has run (SC_ESTATE kmc.not_initialised). */
int kmc_open(pki_ca *ca, const kmc_backend *be, kmc **out, sc_err *e);
void kmc_close(kmc *k);
/* First set-up: pool levels, registration of the home's active issuing CA, first refill. */
int kmc_setup(pki_ca *ca, const kmc_backend *be, int pool_min, int pool_target, const char *actor,
              sc_err *e);
/* Another CA served by this KMC, identified by its certificate (DER). id: "ca-N". */
int kmc_register_ca(kmc *k, const uint8_t *cert, size_t len, const char *actor, char id[32],
                    sc_err *e);
/* Refill the standby pool to pool_target when it is below pool_min (or force). */
int kmc_refill(kmc *k, int force, int *added, sc_err *e);

typedef struct kmc_stats {
    int64_t standby, inuse, history;
    int64_t cas, recoveries_pending, activations_open;
    int pool_min, pool_target;
} kmc_stats;
int kmc_get_stats(kmc *k, kmc_stats *out, sc_err *e);
/* Keys of revoked or expired encryption certificates move to the history pool. */
int kmc_sweep(kmc *k, const char *actor, int *moved, sc_err *e);

/*
 * The request a CA sends the KMC for one encryption key pair, signed by the CA's issuing key
 * (through the key process while serving) and checked against the registered CA certificates:
 *   SEQUENCE { UTF8String "sealca-kmc-request-v1", caKeyId OCTET STRING (20),
 *              requestId OCTET STRING (16), at GeneralizedTime, holder SubjectPublicKeyInfo }
 * followed by the CA's signature (sealca's own wrapper: SEQUENCE { tbs, sig OCTET STRING }).
 */
int kmc_request_build(pki_issuer *ca_issuer, sc_key *holder_sign_pub, sc_buf *out, sc_err *e);
/* The KMC side: check the request (kmc.unknown_ca, kmc.bad_ca_signature, kmc.stale_request,
 * kmc.bad_request), take a key from the standby pool into the in-use pool for it (refilling
 * when empty; kmc.request_replayed for a request served before), audited. sign_serial: the
 * holder's signing certificate. Gives the key's id, its public point, the CA id and the
 * holder's signing point (the envelope's recipient). */
typedef struct kmc_assignment {
    int64_t key_id;
    uint8_t pub[65];    /* the encryption key pair's public key */
    uint8_t holder[65]; /* the holder's signing key, from the request */
    char ca_id[32];
    char request_id[33];
    sc_buf escrow; /* the escrow blob (for the backend's envelope); freed by the caller */
} kmc_assignment;
int kmc_key_assign(kmc *k, const uint8_t *req, size_t len, const char *sign_serial,
                   const char *actor, kmc_assignment *out, sc_err *e);
/* Bind an assigned key to its encryption certificate (kmc.key_changed if not assigned). */
int kmc_key_bind(kmc *k, int64_t key_id, const char *enc_serial, const char *actor, sc_err *e);

/* ---- dual certificates ---- */
typedef struct kmc_dual_req {
    const char *profile;   /* organization | person | legal-representative | … (-sign/-enc) */
    const char *subject;   /* RFC 4514; NULL = the CSR's subject */
    const char *uscc;      /* as for pki_issue */
    const char *id_number; /* as for pki_issue */
    const uint8_t *csr;    /* the holder's GM/T 0092 (PKCS#10) request, PEM or DER */
    size_t csrlen;
    int days; /* 0 = profile default */
    const char *actor;
} kmc_dual_req;
typedef struct kmc_dual_result {
    sc_buf response; /* DER CSRResponse */
    char sign_serial[33], enc_serial[33];
    int64_t key_id;
} kmc_dual_result;
/* Signing certificate for the CSR's key, an escrowed key pair from the standby pool (moved to
 * the in-use pool and bound to both certificates), its encryption certificate, the private key
 * enveloped to the signing key: the GM/T 0092 CSRResponse. Audited; refills the pool. */
int kmc_issue_dual(kmc *k, const kmc_dual_req *r, kmc_dual_result *out, sc_err *e);
void kmc_dual_result_free(kmc_dual_result *r);

/* ---- online PIN unlock (the RA calls this for an approved pin-unlock order) ---- */
/* The answer to a token's unlock request: the device serial and the token's counter generation
 * are recorded, a request older than one already answered is refused (kmc.unlock_replay).
 * order: the RA's order reference (audit). */
int kmc_unlock_answer(kmc *k, const char *order, const uint8_t *req, size_t reqlen,
                      const char *new_pin, const char *actor, sc_buf *ans, sc_err *e);

/* ---- key recovery: damaged (onto a new key) / judicial (to an officer) ---- */
typedef enum kmc_recovery_kind {
    KMC_RECOVER_DAMAGED = 1,
    KMC_RECOVER_JUDICIAL = 2
} kmc_recovery_kind;
/* enc_serial: the encryption certificate whose key is recovered; case_ref: the court case
 * (judicial, required) or the RA order (damaged). */
int kmc_recovery_request(kmc *k, kmc_recovery_kind kind, const char *enc_serial,
                         const char *requester, const char *case_ref, const char *reason,
                         int64_t *id, sc_err *e);
/* Two different officers, neither the requester; the second approval makes it releasable. */
int kmc_recovery_approve(kmc *k, int64_t id, const char *officer, sc_err *e);
/* The same with the audit detail given by the caller (the RA: the officer's signed decision,
 * re-verified by the auditor console). */
int kmc_recovery_approve_signed(kmc *k, int64_t id, const char *officer, const char *detail,
                                sc_err *e);
int kmc_recovery_reject(kmc *k, int64_t id, const char *officer, const char *why, sc_err *e);
/* damaged: the escrowed key enveloped to the signing key of the holder's new certificate
 * (sign_cert, issued by this CA, good), as a CSRResponse {sign_cert, envelope, encryption
 * certificate} for `sealca token import`. Once. */
int kmc_recovery_release_damaged(kmc *k, int64_t id, const char *actor, const uint8_t *sign_cert,
                                 size_t len, sc_buf *response, sc_err *e);
/* judicial: the key as encrypted PKCS#8 PEM under pass (at least 8 bytes). Once. */
int kmc_recovery_release_judicial(kmc *k, int64_t id, const char *actor, const char *pass,
                                  size_t passlen, sc_buf *pem, sc_err *e);

/* ---- mobile certificates: one-time, expiring activation codes ---- */
#define KMC_ACTIVATION_MAX (256 * 1024)
/* Store payload (a token file) behind a fresh code of 20 characters (shown to the holder;
 * only its SM3 hash is stored) valid for ttl seconds. */
int kmc_activation_create(kmc *k, const uint8_t *payload, size_t len, int ttl, const char *actor,
                          char code[24], sc_err *e);
/* The payload, once: kmc.activation_unknown / _used / _expired otherwise. */
int kmc_activation_redeem(kmc *k, const char *code, const char *actor, sc_buf *out, sc_err *e);
/* A QR code (PNG, libqrencode + libpng) of text. */
int kmc_qr_png(const char *text, sc_buf *png, sc_err *e);

#endif
