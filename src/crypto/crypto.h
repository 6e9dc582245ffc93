/* crypto.h - sealca's crypto layer: the only code that touches keys and signature algorithms. */
#ifndef SEALCA_CRYPTO_H
#define SEALCA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/sm2/sm3.h"

/*
 * Algorithms a CA can be made with. SM2 is the default; ECDSA P-256 and RSA-3072
 * exist for platforms that cannot use SM2 (and so OpenSSL can check everything).
 */
typedef enum sc_alg {
    SC_ALG_NONE = 0,
    SC_ALG_SM2 = 1,        /* SM2 with SM3, GM/T 0009 ID "1234567812345678" */
    SC_ALG_ECDSA_P256 = 2, /* ecdsa-with-SHA256 */
    SC_ALG_RSA3072 = 3     /* sha256WithRSAEncryption (PKCS#1 v1.5) */
} sc_alg;

/* GM/T 0009-2012 §10: the default signer ID, used on every SM2 sign and verify. */
#define SC_SM2_DEFAULT_ID     "1234567812345678"
#define SC_SM2_DEFAULT_ID_LEN 16

/* Which SM2 implementation signs and verifies (SEALCA_SM2_ENGINE=openssl|fast). */
typedef enum sc_sm2_engine { SC_SM2_ENGINE_OPENSSL = 0, SC_SM2_ENGINE_FAST = 1 } sc_sm2_engine;
sc_sm2_engine crypto_sm2_engine(void);
const char *crypto_sm2_engine_name(void);
/* Force an engine (tests, bench). Returns 0, or SC_EINVAL if unavailable. */
int crypto_sm2_engine_set(sc_sm2_engine eng);

int crypto_alg_parse(const char *name, sc_alg *out); /* "sm2" | "ecdsa-p256" | "rsa3072" */
const char *crypto_alg_name(sc_alg alg);

/* ---- keys ---------------------------------------------------------------- */

/*
 * An opaque key: a private key (with its public half) or a public key only.
 * Owned by the caller; crypto_key_free wipes private material.
 * A key keeps long-lived per-key state (SM2 Z value, fast-engine tables), so
 * reuse one key object for many signatures.
 */
typedef struct sc_key sc_key;

int crypto_key_generate(sc_alg alg, sc_key **out, sc_err *e);
/* Public key from DER SubjectPublicKeyInfo. Validates the point / modulus. */
int crypto_key_from_spki(const uint8_t *der, size_t len, sc_key **out, sc_err *e);
/* Private key from a PEM file, encrypted PKCS#8 only (plaintext keys are refused). */
int crypto_key_load(const char *path, const char *pass, size_t passlen, sc_key **out, sc_err *e);
/* Encrypted PKCS#8 PEM (PBES2, scrypt N=2^15 r=8 p=1, SM4-CBC for SM2 keys, AES-256-CBC otherwise);
 * written atomically with mode 0600. Refuses an empty passphrase. */
int crypto_key_save(const sc_key *k, const char *path, const char *pass, size_t passlen, sc_err *e);
/* Same, into memory (PEM text). */
int crypto_key_export(const sc_key *k, const char *pass, size_t passlen, sc_buf *pem, sc_err *e);
int crypto_key_import(const uint8_t *pem, size_t len, const char *pass, size_t passlen,
                      sc_key **out, sc_err *e);
/* Unencrypted PKCS#8 PEM in memory, for handing the HTTPS key to the TLS library only (never
 * written to disk by sealca). The caller wipes it (sc_buf_wipe). */
int crypto_key_export_plain(const sc_key *k, sc_buf *pem, sc_err *e);
void crypto_key_free(sc_key *k);
sc_alg crypto_key_alg(const sc_key *k);
int crypto_key_is_private(const sc_key *k);
/* DER SubjectPublicKeyInfo. */
int crypto_key_spki(const sc_key *k, sc_buf *out, sc_err *e);
/* SHA-1 over the subjectPublicKey BIT STRING contents: the RFC 5280 §4.2.1.2 method (1)
 * key identifier (20 bytes, what USB-key middleware expects). *outlen set to 20. */
int crypto_key_id(const sc_key *k, uint8_t out[32], size_t *outlen, sc_err *e);
/* Two keys have the same public half. */
int crypto_key_equal_public(const sc_key *a, const sc_key *b);
/* For SM2: the uncompressed point 04||X||Y. */
int crypto_key_sm2_point(const sc_key *k, uint8_t pt[65]);
/* Raw private scalar of an SM2 key (32 bytes, big-endian) - for the KMC envelope and token
 * only; the caller wipes it. */
int crypto_key_sm2_private(const sc_key *k, uint8_t d[32]);
int crypto_key_sm2_from_private(const uint8_t d[32], sc_key **out, sc_err *e);
int crypto_key_sm2_from_point(const uint8_t pt[65], sc_key **out, sc_err *e);

/*
 * A key whose signatures are made elsewhere (the key process): the public half of pub plus a
 * function that returns a signature over msg in the same encoding crypto_sign would produce.
 * crypto_sign on such a key calls fn; the private key never enters this process.
 */
typedef int (*crypto_remote_sign_fn)(void *ctx, const uint8_t *msg, size_t len, sc_buf *sig,
                                     sc_err *e);
int crypto_key_remote(const sc_key *pub, crypto_remote_sign_fn fn, void *ctx, sc_key **out,
                      sc_err *e);
/* The key can sign (a private key or a remote one). */
int crypto_key_can_sign(const sc_key *k);

/* ---- signatures ---------------------------------------------------------- */

/* DER AlgorithmIdentifier of the signature algorithm this key signs with
 * (sm2-with-sm3 written without parameters, as OpenSSL does). */
int crypto_sigalg_der(sc_alg alg, sc_buf *out);
/* Parse a signature AlgorithmIdentifier (accepts sm2-with-sm3 with and without NULL). */
int crypto_sigalg_parse(const uint8_t *der, size_t len, sc_alg *out, sc_err *e);

/*
 * Sign msg: SM2 hashes e = SM3(Z || msg) with the GM/T 0009 ID; ECDSA/RSA hash with SHA-256.
 * sig receives the DER SM2Signature / ECDSA-Sig-Value, or the RSA signature bytes.
 */
int crypto_sign(sc_key *k, const uint8_t *msg, size_t len, sc_buf *sig, sc_err *e);
/* 0 when valid; SC_EVERIFY when not (e filled); other negatives on bad input. alg must match key.
 */
int crypto_verify(sc_key *pub, sc_alg alg, const uint8_t *msg, size_t len, const uint8_t *sig,
                  size_t siglen, sc_err *e);

/* DER SM2Signature / ECDSA-Sig-Value <-> raw r||s (32+32 bytes, big-endian). The DER parser
 * is strict (minimal, positive, no trailing bytes): returns 0 or -1. */
int crypto_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t rs[64]);
int crypto_sig_raw_to_der(const uint8_t rs[64], sc_buf *out);

/* ---- SM2 specifics ------------------------------------------------------- */

/* Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) - GM/T 0003.2 §5.5 */
int crypto_sm2_z(const sc_key *k, const uint8_t *id, size_t idlen, uint8_t z[32], sc_err *e);
/* SM2 public-key encryption; out is DER SM2Cipher (GM/T 0009 §7.2: C1 x, y, C3, C2). */
int crypto_sm2_encrypt(sc_key *pub, const uint8_t *m, size_t mlen, sc_buf *out, sc_err *e);
int crypto_sm2_decrypt(sc_key *priv, const uint8_t *c, size_t clen, sc_buf *out, sc_err *e);

/* ---- hashes, MACs, symmetric ---------------------------------------------- */

/* SM3 is the engine's own implementation (src/crypto/sm2/sm3.c), used everywhere. */
typedef struct crypto_sm3_ctx {
    sm3_ctx c;
} crypto_sm3_ctx;
void crypto_sm3(const void *p, size_t n, uint8_t out[32]);
void crypto_sm3_init(crypto_sm3_ctx *c);
void crypto_sm3_update(crypto_sm3_ctx *c, const void *p, size_t n);
void crypto_sm3_final(crypto_sm3_ctx *c, uint8_t out[32]);
void crypto_sha256(const void *p, size_t n, uint8_t out[32]);
void crypto_sha1(const void *p, size_t n, uint8_t out[20]);
void crypto_hmac_sm3(const uint8_t *key, size_t klen, const void *p, size_t n, uint8_t out[32]);

/* SM4-CBC with PKCS#7 padding. iv 16 bytes. */
int crypto_sm4_cbc(int enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
                   size_t len, sc_buf *out, sc_err *e);
/* SM4-ECB without padding (len a multiple of 16): only for the GM/T 0009 SM2EnvelopedKey and
 * GM/T 0016 ENVELOPEDKEYBLOB formats, which prescribe it for one 32-byte private key.
 * 0, SC_EINVAL (length), SC_ECRYPTO. out may equal in. */
int crypto_sm4_ecb(int enc, const uint8_t key[16], const uint8_t *in, size_t len, uint8_t *out);
/* SM4-CTR (encrypt == decrypt). */
int crypto_sm4_ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, size_t len,
                   uint8_t *out);

/*
 * Authenticated encryption: SM4-CTR then HMAC-SM3 over (aad || iv || ct), encrypt-then-MAC.
 * key is 32 bytes: first 16 encrypt, last 16 MAC (split with separate HMAC-SM3 derivations).
 * Output format: version(1)=1 || iv(16) || ct || tag(32).
 */
int crypto_aead_seal(const uint8_t key[32], const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                     size_t len, sc_buf *out, sc_err *e);
/* Returns SC_EVERIFY (and writes nothing) when the tag does not match. */
int crypto_aead_open(const uint8_t key[32], const uint8_t *aad, size_t aadlen, const uint8_t *in,
                     size_t len, sc_buf *out, sc_err *e);

/* CSPRNG (OpenSSL's private DRBG, seeded from getrandom). Aborts on failure: running on without
 * randomness is never safe. */
void crypto_random(void *p, size_t n);

#endif
