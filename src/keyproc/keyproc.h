/* keyproc.h - the key process: the only process that holds CA, OCSP and seal-maker private keys
 * while sealca serves. Model: OpenBSD acme-client's keyproc. */
#ifndef SEALCA_KEYPROC_H
#define SEALCA_KEYPROC_H

#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"
#include "kmc/kmc.h"
#include "pki/pki.h"

/*
 * keyproc_start forks a child that decrypts every issuer key of the home with the passphrase,
 * wipes the passphrase, closes every other descriptor, forbids new privileges and installs a
 * seccomp filter that allows little more than reading and writing its socket; then it answers
 * sign requests. The parent keeps only a socket: it never holds private key bytes.
 *
 * A request names an issuer and carries the bytes to sign. The key process signs only what it
 * recognises for that issuer's role (GM/T 0037-style separation of duties):
 *   root / issuing CA: a TBSCertificate or TBSCertList whose issuer is that CA and whose
 *                      signature algorithm is the CA's, or an audit checkpoint message;
 *   ocsp signer:       an OCSP ResponseData;
 *   seal maker:        a seal's to-be-signed data (GM/T 0031 SES_SealInfo structures);
 *   issuing CA also:   its request to the KMC for a holder's encryption key (kmc/kmc.h);
 *   tsa:               an RFC 3161 token's signed attributes, signingTime on its own clock
 *                      (tsa_signed_attrs_check in tsa/tsa.h).
 * Anything else is refused and logged to stderr (never the content).
 */
typedef struct keyproc keyproc;

int keyproc_start(pki_ca *ca, keyproc **out, sc_err *e);
/* Thread-safe. */
int keyproc_sign(keyproc *kp, const char *issuer_id, const uint8_t *msg, size_t len, sc_buf *sig,
                 sc_err *e);
/* 0 when the key process answers. */
int keyproc_ping(keyproc *kp);
pid_t keyproc_pid(const keyproc *kp);
void keyproc_stop(keyproc *kp);

/* Replace the private keys of ca's issuers by remote keys that sign through kp
 * (the handle must outlive ca). */
int keyproc_attach(keyproc *kp, pki_ca *ca, sc_err *e);

/* The data key (crypto/datakey.h, used by ra/vault.c): seal / open with the label bound as
 * associated data. The key process loads keys/data.key at start (creating it in a home made
 * before it existed); the server never holds it. Thread-safe. */
int keyproc_data_seal(keyproc *kp, const char *label, const uint8_t *pt, size_t n, sc_buf *ct,
                      sc_err *e);
int keyproc_data_open(keyproc *kp, const char *label, const uint8_t *ct, size_t n, sc_buf *pt,
                      sc_err *e);
/* The registration service's lookup hash HMAC-SM3(lookup key, label || in) (crypto/datakey.h):
 * the key process loads keys/lookup.key at start; the server never holds it. SC_ESTATE
 * ra.no_lookup_key when the home has none. Thread-safe. */
int keyproc_lookup_mac(keyproc *kp, const char *label, const uint8_t *in, size_t n, uint8_t out[32],
                       sc_err *e);
/* A KMC backend whose operations run in the key process (kmc/kmc.h): the KMC master key was
 * loaded there at start (HOME/kmc/master.key) and never enters this process. SC_ESTATE
 * keyproc.no_kmc when the home has no KMC. The handle must outlive the backend. */
int keyproc_kmc_backend(keyproc *kp, kmc_backend *be, sc_err *e);

/* The classification the key process applies (exposed for tests and the fuzz target):
 * returns 0 when role may sign msg for the issuer whose subject Name is subject. */
int keyproc_check(const char *role, sc_alg alg, sc_slice subject, const uint8_t *msg, size_t len,
                  sc_err *e);

#endif
