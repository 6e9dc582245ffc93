/* datakey.h - the data key: a random SM4-AEAD key for personal data and materials at rest, stored
 * in the home encrypted under the key passphrase. */
#ifndef SEALCA_CRYPTO_DATAKEY_H
#define SEALCA_CRYPTO_DATAKEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define DATAKEY_LEN       32
#define DATAKEY_LABEL_MAX 63 /* bytes of a label (it travels in a key-process request) */
#define DATAKEY_FILE      "keys/data.key"

/*
 * Load the data key from path (the home's keys/data.key), decrypting it with the passphrase.
 * File: "SEALCA-DATAKEY-1" || salt(16) || crypto_aead_seal(kek, aad = the magic, key), with
 * kek = scrypt(passphrase, salt, N=2^14, r=8, p=4) — the cost of the PKCS#8 key files.
 * create: when the file is absent, generate a key and write it (mode 0600) with an exclusive
 * link so that two processes creating it at once end up with the same key. Errors:
 * SC_ENOTFOUND (absent and !create), SC_EVERIFY "datakey.bad_passphrase", SC_EIO, SC_EINVAL
 * (damaged file). key is wiped by the caller.
 */
int crypto_datakey_load(const char *path, const char *pass, size_t passlen, int create,
                        uint8_t key[DATAKEY_LEN], sc_err *e);

/*
 * Seal / open under the data key with the label bound as associated data
 * ("sealca-vault-v1" NUL label): a ciphertext moved to another label (another order, another
 * field) does not open. label: 1..DATAKEY_LABEL_MAX bytes, printable ASCII.
 * Open returns SC_EVERIFY "vault.bad_tag" on a wrong key, label or tampered bytes.
 */
int crypto_datakey_seal(const uint8_t key[DATAKEY_LEN], const char *label, const uint8_t *pt,
                        size_t n, sc_buf *ct, sc_err *e);
int crypto_datakey_open(const uint8_t key[DATAKEY_LEN], const char *label, const uint8_t *ct,
                        size_t n, sc_buf *pt, sc_err *e);
/* Write a given key to path in the file format above (exclusive: SC_EEXIST datakey.exists when
 * the file is there). Used to move the lookup key out of ra.conf with its value unchanged. */
int crypto_datakey_write(const char *path, const char *pass, size_t passlen,
                         const uint8_t key[DATAKEY_LEN], sc_err *e);

/*
 * The lookup key (ra-renew): HMAC-SM3 key of the registration service's lookup hashes (a phone
 * number is found by HMAC-SM3(lookup key, label || phone) without storing the number in clear).
 * Stored like the data key in LOOKUPKEY_FILE; while serving it lives only in the key process
 * (keyproc_lookup_mac). Phone lookups use the empty label: the hashes homes stored before the
 * key moved out of ra.conf were HMAC-SM3(key, phone), and they must keep matching. label:
 * 0..DATAKEY_LABEL_MAX bytes, input up to LOOKUP_INPUT_MAX bytes (-1 otherwise).
 */
#define LOOKUPKEY_FILE   "keys/lookup.key"
#define LOOKUP_INPUT_MAX 1024
int crypto_lookup_mac(const uint8_t key[DATAKEY_LEN], const char *label, const uint8_t *in,
                      size_t n, uint8_t out[32]);

/* 0 when label is acceptable. */
int crypto_datakey_label_ok(const char *label);

#endif
