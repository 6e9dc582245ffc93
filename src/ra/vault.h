/* vault.h - personal data and materials encrypted at rest (SM4-CTR + HMAC-SM3 under the data
 * key). While sealca serves, the data key lives only in the key process; offline CLI commands
 * load it from the home with the passphrase. */
#ifndef SEALCA_RA_VAULT_H
#define SEALCA_RA_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "keyproc/keyproc.h"

typedef struct vault vault;

/*
 * Offline: the data key from home/keys/data.key, decrypted with the passphrase; created there
 * when the home has none yet (homes made before the vault existed). The key stays in this
 * process until vault_free wipes it.
 */
int vault_open_home(const char *home, const char *passphrase, vault **out, sc_err *e);
/* Serving: every seal/unseal is a request to the key process (kp outlives the vault). */
int vault_from_keyproc(keyproc *kp, vault **out, sc_err *e);
/* Create the data key of a new home (sealca init); a no-op when it exists. */
int vault_init_home(const char *home, const char *passphrase, sc_err *e);

/*
 * label names what the bytes are and whose they are ("order:42:legal_id_number",
 * "material:7"): 1-63 printable ASCII bytes, bound as associated data, so a ciphertext copied to
 * another row or field does not open. ct/pt are appended to. Unseal fails with SC_EVERIFY
 * "vault.bad_tag" (nothing appended) on a wrong label, key or tampered bytes.
 * Thread-safe for a keyproc vault; one thread at a time for a home vault is not required either
 * (the key is read-only).
 */
int vault_seal(vault *v, const char *label, const uint8_t *pt, size_t n, sc_buf *ct, sc_err *e);
int vault_unseal(vault *v, const char *label, const uint8_t *ct, size_t n, sc_buf *pt, sc_err *e);
/* The lookup hash HMAC-SM3(lookup key, label || in) (crypto/datakey.h crypto_lookup_mac): in the
 * key process while serving, with home/keys/lookup.key offline. SC_ESTATE ra.no_lookup_key when
 * the home has none yet (sealca ra init makes it). */
int vault_lookup_mac(vault *v, const char *label, const uint8_t *in, size_t n, uint8_t out[32],
                     sc_err *e);
void vault_free(vault *v);

#endif
