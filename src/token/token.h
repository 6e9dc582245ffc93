/* token.h - the software USB key: a token file modelled on GM/T 0016 (SKF) - device serial, one
 * application with an admin (SO) PIN and a user PIN, containers with a signing key pair made
 * inside and an imported encryption key pair - and the online PIN unlock protocol. */
#ifndef SEALCA_TOKEN_H
#define SEALCA_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"

/*
 * File (DER):
 *   TokenFile ::= SEQUENCE { magic UTF8String "sealca-token-v1", header Header,
 *                            userSlot OCTET STRING, adminSlot OCTET STRING, body OCTET STRING }
 *   Header ::= SEQUENCE { serial UTF8String, label UTF8String, kdfOps INTEGER, kdfMem INTEGER,
 *                         userSalt OCTET STRING (16), adminSalt OCTET STRING (16),
 *                         userTries INTEGER, userMax INTEGER, adminTries INTEGER,
 *                         adminMax INTEGER, generation INTEGER,
 *                         pending [0] SEQUENCE { challenge OCTET STRING (32),
 *                                                ephemeral OCTET STRING (32) } OPTIONAL,
 *                         public [1] SEQUENCE { [1] signCert, [3] encCert } OPTIONAL }
 * A random file key FMK encrypts the body (AEAD: SM4-CTR + HMAC-SM3); the user slot holds FMK
 * under argon2id(user PIN, userSalt), the admin slot FMK under argon2id(admin PIN, adminSalt).
 * Body ::= SEQUENCE OF Container; Container ::= SEQUENCE { name UTF8String,
 *   signKey [0] OCTET STRING OPT, signCert [1] OCTET STRING OPT, encKey [2] OCTET STRING OPT,
 *   encCert [3] OCTET STRING OPT }
 * The certificates of the first container are also kept in the header (`public`), as a USB key
 * lets anyone export its certificates without the PIN; the authoritative copy is in the body.
 *
 * Retry counters: a wrong PIN decrements the counter and the file is rewritten (temp file,
 * fsync, rename) before the error is returned. Every write increments `generation`, which is
 * also recorded in an anchor file outside the token (SEALCA_TOKEN_STATE, default
 * ~/.sealca/tokens/SERIAL) and by the KMC at every online unlock: a token file older than its
 * anchor is refused (token.rolled_back), and an unlock request older than one already answered
 * is refused by the service. (A software token cannot stop someone who copies both the file and
 * the anchor and attacks the KDF offline: that is what the memory-hard KDF is for.)
 */
#define TOKEN_FILE_MAX    (256 * 1024)
#define TOKEN_USER_TRIES  6
#define TOKEN_ADMIN_TRIES 10
#define TOKEN_PIN_MIN     6
#define TOKEN_PIN_MAX     32
#define TOKEN_MAX_CONT    4
/* argon2id defaults: 64 MiB, 2 passes; SEALCA_TOKEN_KDF_MEM (MiB, 8..1024) overrides at init */
#define TOKEN_KDF_MEM_DEFAULT (64u << 20)
#define TOKEN_KDF_OPS_DEFAULT 2

/* GM/T 0016 error values reported with PIN errors (sc_err.code gives the name) */
#define SAR_PIN_INCORRECT 0x0A000024
#define SAR_PIN_LOCKED    0x0A000025

typedef struct token_container {
    char name[64];
    sc_key *sign; /* private, NULL until `token csr` */
    uint8_t *sign_cert;
    size_t sign_cert_len;
    sc_key *enc; /* private, NULL until imported */
    uint8_t *enc_cert;
    size_t enc_cert_len;
} token_container;

typedef struct token {
    char path[4096];
    char serial[64];
    char label[64];
    uint64_t kdf_ops, kdf_mem;
    uint8_t user_salt[16], admin_salt[16];
    int user_tries, user_max, admin_tries, admin_max;
    int64_t generation;
    int has_pending;
    uint8_t challenge[32], eph[32];
    sc_buf pub_sign, pub_enc;           /* the public copy of the first container's certificates */
    sc_buf user_slot, admin_slot, body; /* as in the file */
    /* after login */
    int open;
    uint8_t fmk[32];
    token_container cont[TOKEN_MAX_CONT];
    int ncont;
} token;

typedef struct token_init_opts {
    const char *serial; /* NULL = random "SC" + 14 hex digits */
    const char *label;  /* NULL = "sealca" */
    const char *user_pin;
    const char *admin_pin;
    uint64_t kdf_mem; /* 0 = default / SEALCA_TOKEN_KDF_MEM */
} token_init_opts;

/* Create a new token file (refuses an existing file). */
int token_init(const char *path, const token_init_opts *o, sc_err *e);
/* Read and parse a token file; nothing is decrypted. Checks the anchor. */
int token_load(const char *path, token **out, sc_err *e);
/* Parse the bytes of a token file (fuzz target entry; path left empty). */
int token_parse(const uint8_t *p, size_t len, token **out, sc_err *e);
void token_free(token *t);
/* Verify the user PIN and decrypt the containers. A wrong PIN: SC_EVERIFY token.pin_incorrect
 * "… N tries left" after the decremented counter is on disk; SC_ESTATE token.pin_locked. */
int token_login(token *t, const char *pin, sc_err *e);
/* Write the token (generation + 1, write-then-rename, anchor). */
int token_save(token *t, sc_err *e);
int token_change_pin(token *t, const char *old_pin, const char *new_pin, sc_err *e);
/* SKF_UnblockPIN: the admin PIN sets a new user PIN and resets its counter. */
int token_unblock(token *t, const char *admin_pin, const char *new_pin, sc_err *e);

/* The container of name, created when create is set (after login). */
token_container *token_container_get(token *t, const char *name, int create);
/* A GM/T 0092 (PKCS#10) request signed by the container's signing key, generated inside the
 * token on first use (saved). subject RFC 4514. */
int token_csr(token *t, const char *container, const char *subject, sc_buf *der, sc_err *e);
/* Import a CSRResponse: the signing certificate must certify the container's signing key; the
 * SM2EnvelopedKey is opened with it and must match the encryption certificate. Saved. */
int token_import(token *t, const char *container, const uint8_t *resp, size_t len, sc_err *e);

/* ---- online PIN unlock ---- */
/* A fresh request (challenge and an ephemeral SM2 key kept in the file; saved). DER:
 *   SEQUENCE { UTF8String "sealca-unlock-request-v1", serial UTF8String, challenge OCTET STRING,
 *              generation INTEGER, kdfOps INTEGER, kdfMem INTEGER, adminSalt OCTET STRING,
 *              ephemeral OCTET STRING (65) } */
int token_unlock_request(token *t, sc_buf *req, sc_err *e);
/* Apply the service's answer: it must answer the pending challenge, its MAC must verify under
 * the device admin key, the admin key must open the admin slot. Sets the new user PIN, resets
 * the counter, clears the challenge (so the answer cannot be replayed). Saved. */
int token_unlock(token *t, const uint8_t *ans, size_t len, sc_err *e);

typedef struct token_unlock_req {
    char serial[64];
    uint8_t challenge[32];
    int64_t generation;
    uint64_t kdf_ops, kdf_mem;
    uint8_t admin_salt[16];
    uint8_t eph_pub[65];
} token_unlock_req;
int token_unlock_req_parse(const uint8_t *p, size_t len, token_unlock_req *r, sc_err *e);
/* The service side: the answer given the device's admin PIN (derived by the KMC). */
int token_unlock_answer(const token_unlock_req *r, const char *admin_pin, const char *new_pin,
                        sc_buf *ans, sc_err *e);
/* argon2id(pin, salt) -> 32 bytes (limits checked). */
int token_kdf(const char *pin, const uint8_t salt[16], uint64_t ops, uint64_t mem, uint8_t out[32],
              sc_err *e);
/* PIN policy: 6..32 printable ASCII. */
int token_pin_check(const char *pin, sc_err *e);

#endif
