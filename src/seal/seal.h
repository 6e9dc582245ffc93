/* seal.h - electronic seals: GM/T 0031-2014 ("v1") and GB/T 38540-2020 ("v4") seals and seal
 * signatures: encode, decode, make, sign, verify, and the seal registry of a CA home. */
#ifndef SEALCA_SEAL_H
#define SEALCA_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "pki/pki.h"

#define SEAL_MAX        (8u * 1024 * 1024) /* a seal or a seal signature (DER) */
#define SEAL_MAX_CERTS  8                  /* entries of a certList */
#define SEAL_MAX_IMAGE  (4u * 1024 * 1024) /* the picture inside a seal */
#define SEAL_MAX_STRING 512                /* name, esID, property, vid */
#define SEAL_OID_SM2SM3 "1.2.156.10197.1.501"

/* The layout family: GM/T 0031-2014 (header version 1…3) or GB/T 38540-2020 (version 4, and the
 * version 5 some producers write with the same layout). */
enum { SEAL_LAYOUT_V1 = 1, SEAL_LAYOUT_V4 = 4 };
/* SES_ESPropertyInfo.type (GM/T 0031 §5.2.3); GB/T 38540 writes 3 for a "unit" seal too */
enum { SEAL_TYPE_ORGANIZATION = 1, SEAL_TYPE_PERSON = 2 };

/*
 * A decoded SESeal. Every sc_slice points into the bytes given to seal_decode: keep them alive
 * (and unchanged) as long as the struct is used. Nothing is allocated.
 */
typedef struct seal {
    int layout;  /* SEAL_LAYOUT_V1 | SEAL_LAYOUT_V4 */
    int version; /* SES_Header.version as written */
    char vid[SEAL_MAX_STRING];
    char esid[SEAL_MAX_STRING];
    int type;
    char name[SEAL_MAX_STRING]; /* UTF-8 */
    int certlist_type;          /* 1 certificates, 2 digests (v4 only; v1 is always 1) */
    sc_slice certs[SEAL_MAX_CERTS];
    char digest_alg[SEAL_MAX_CERTS][32]; /* certListType 2: CertDigestObj.type */
    int ncerts;
    int64_t created, valid_from, valid_to;
    char pic_type[16];
    sc_slice picture;
    int64_t pic_width, pic_height; /* mm */
    sc_slice ext;                  /* extDatas TLV, empty when absent */
    sc_slice sealinfo;             /* the SES_SealInfo TLV */
    sc_slice maker_cert;           /* the seal maker's certificate (DER) */
    sc_slice sigalg;               /* signature algorithm TLV (OID, or AlgorithmIdentifier) */
    sc_slice signed_value;         /* BIT STRING contents, unused-bits byte removed */
    sc_slice raw;                  /* the whole SESeal TLV */
} seal;

/* A decoded SES_Signature; slices point into the decoded bytes, like seal. */
typedef struct seal_sig {
    int layout;
    int version;   /* TBS_Sign.version */
    seal eseal;    /* the seal inside TBS_Sign */
    int64_t time;  /* signing time (timeInfo) */
    sc_slice hash; /* dataHash contents */
    char property[SEAL_MAX_STRING];
    sc_slice signer_cert;
    sc_slice sigalg;
    sc_slice signature; /* BIT STRING contents */
    sc_slice timestamp; /* v4 timeStamp contents, empty when absent */
    sc_slice ext;       /* v4 extDatas, empty when absent */
    sc_slice tbs;       /* the TBS_Sign TLV: what the signer signed */
    sc_slice raw;
} seal_sig;

/* ---- codec (seal/codec.c) ---- */

/* Decode a SESeal (v1 or v4 layout, tolerant of what real producers write: sm2-with-sm3 as a bare
 * OID or an AlgorithmIdentifier with or without NULL, [0]-tagged or untagged extDatas, raw r||s or
 * DER signature values). SC_EINVAL seal.* naming what is wrong; SC_ETOOBIG above SEAL_MAX. Trailing
 * bytes after the SESeal are refused. */
int seal_decode(const uint8_t *der, size_t len, seal *out, sc_err *e);
int seal_sig_decode(const uint8_t *der, size_t len, seal_sig *out, sc_err *e);
/* 1 when the DER looks like an SES_Signature (TBS_Sign first), 0 when like a SESeal. */
int seal_is_signature(const uint8_t *der, size_t len);
/* The bytes the seal maker signed: v1 DER(SEQUENCE{SES_SealInfo, cert, alg}), v4 DER(SES_SealInfo).
 */
int seal_maker_tbs(const seal *s, sc_buf *out, sc_err *e);
/* 0 when msg is to-be-signed data of a seal (either layout), for the key process. */
int seal_tbs_check(const uint8_t *msg, size_t len, sc_err *e);

/* What a new seal says. Strings are copied into the encoding; nothing is kept. */
typedef struct seal_spec {
    int layout;       /* SEAL_LAYOUT_V4 (default when 0) or SEAL_LAYOUT_V1 */
    const char *vid;  /* vendor id; NULL = "sealca" */
    const char *esid; /* NULL = a fresh random id */
    int type;         /* SEAL_TYPE_* */
    const char *name;
    const uint8_t *holder_cert; /* DER of the holder's signing certificate */
    size_t holder_len;
    int64_t created, valid_from, valid_to;
    const char *pic_type; /* "PNG" */
    const uint8_t *picture;
    size_t piclen;
    int pic_width, pic_height; /* mm */
} seal_spec;
/* Encode and sign a seal with the maker's key (a private or remote key) and certificate: strict
 * DER, the signature as DER SM2Signature. out receives the SESeal; esid (>= 64 bytes) the id. */
int seal_encode(const seal_spec *sp, sc_key *maker_key, const uint8_t *maker_cert, size_t mclen,
                sc_buf *out, char *esid, sc_err *e);

/* Sign data with the seal (GM/T 0031 §6.2.2): the signer's certificate must be byte-identical to
 * one in the seal's certList (SC_EVERIFY seal.cert_not_bound otherwise) and its key must be the
 * private half. hash = SM3(data) is given by the caller; property names the data. timestamp (may
 * be NULL) is written as the v4 [0] timeStamp. */
int seal_sign(const uint8_t *seal_der, size_t seal_len, sc_key *key, const uint8_t *cert,
              size_t certlen, const uint8_t hash[32], const char *property, int64_t when,
              const uint8_t *timestamp, size_t tslen, sc_buf *out, sc_err *e);

/* Verify an SM2 signature that may be DER SM2Signature or raw 64-byte r||s. */
int seal_sm2_verify(sc_key *pub, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen,
                    sc_err *e);

/* ---- verification (seal/verify.c): GM/T 0031 §6.1.2 and §6.2.3 ---- */

/* SKIP: a check that could not be made (e.g. no data given): the result is not "valid".
 * INFO: not checked on request (--no-chain) or informational; does not change the result. */
typedef enum {
    SEAL_CHECK_PASS = 0,
    SEAL_CHECK_FAIL = 1,
    SEAL_CHECK_SKIP = 2,
    SEAL_CHECK_INFO = 3
} seal_check_status;

#define SEAL_MAX_CHECKS 32
typedef struct seal_check {
    char id[40];    /* stable id, e.g. "seal.maker_signature" */
    const char *zh; /* what is checked, Chinese */
    const char *en; /* and English */
    int status;     /* seal_check_status */
    char code[48];  /* failure code, "" when passed */
    char detail[400];
} seal_check;

typedef struct seal_report {
    seal_check checks[SEAL_MAX_CHECKS];
    int n;
    int failed, skipped; /* FAIL and SKIP counts: valid only when both are 0 */
    int is_signature;
    char esid[SEAL_MAX_STRING];
    char name[SEAL_MAX_STRING];
    char property[SEAL_MAX_STRING];
    int64_t sign_time;
    int layout, version;
} seal_report;

/* The relying party's trust and revocation sources. All optional; a verifier without trust
 * anchors and without no_chain fails the chain checks. Not thread-safe (the revocation cache). */
typedef struct seal_verifier seal_verifier;
int seal_verifier_new(seal_verifier **out, sc_err *e);
void seal_verifier_free(seal_verifier *v);
/* Trust anchors and intermediates from PEM (several certificates) or one DER certificate. */
int seal_verifier_add_certs(seal_verifier *v, const uint8_t *data, size_t len, sc_err *e);
/* A CRL (DER or PEM); its signature is checked against the known certificates when used. */
int seal_verifier_add_crl(seal_verifier *v, const uint8_t *data, size_t len, sc_err *e);
/* Revocation status from a sealca home's store (certificates this CA issued), and its CA
 * certificates as trust anchors. ca is borrowed. */
void seal_verifier_use_ca(seal_verifier *v, pki_ca *ca);
/* Fetch a CRL from each certificate's http(s) cRLDistributionPoint when no other source covers
 * it (libcurl, 15 s, 64 MiB; sealca publishes its CRLs at /crl/ID.crl). */
void seal_verifier_online(seal_verifier *v, int on);
/* Skip chain and revocation checks (reported as skipped, not as passed). */
void seal_verifier_no_chain(seal_verifier *v, int on);
/* Evaluate a lone seal at this time (default: now). Signatures use their signing time. */
void seal_verifier_at(seal_verifier *v, int64_t t);

/* Verify a SESeal or an SES_Signature (detected). data (may be NULL) is the signed file: then its
 * SM3 must equal dataHash; without it the data check is skipped. Returns 0 when every check passed
 * and none was skipped except those skipped on request, SC_EVERIFY when one failed (report says
 * which), other negatives only when the report could not be made. */
int seal_verify(seal_verifier *v, const uint8_t *der, size_t len, const uint8_t *data,
                size_t datalen, seal_report *rep, sc_err *e);
/* Like seal_verify for a signature whose dataHash the caller computed (OFD). */
int seal_verify_hash(seal_verifier *v, const uint8_t *der, size_t len, const uint8_t hash[32],
                     seal_report *rep, sc_err *e);
/* Add a check result to a report (used by the OFD verifier for its own checks). */
void seal_report_add(seal_report *r, const char *id, const char *zh, const char *en, int status,
                     const char *code, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Report as text (Chinese first, times in Asia/Shanghai) or JSON. */
void seal_report_text(const seal_report *r, sc_buf *out);
void seal_report_json(const seal_report *r, sc_buf *out);

/* ---- OFD (seal/ofd.c) ---- */
#define OFD_MAX_FILE  (256u * 1024 * 1024)
#define OFD_MAX_ENTRY (64u * 1024 * 1024)
#define OFD_MAX_SIGS  32
/* Verify every signature of an OFD package: each Signature.xml's References (file digests,
 * SM3 or as named by CheckMethod), the SignedValue (dataHash = SM3(Signature.xml)) and the seal.
 * reps receives up to OFD_MAX_SIGS reports, *n how many. 0 when all pass, SC_EVERIFY when one
 * fails, SC_EINVAL when the package is not an OFD with signatures. */
int seal_verify_ofd(seal_verifier *v, const char *path, seal_report *reps, int *n, sc_err *e);

/* ---- registry (seal/registry.c): the seals this home made ---- */

typedef struct seal_make_req {
    int layout;
    const char *name;
    int type;         /* SEAL_TYPE_ORGANIZATION | SEAL_TYPE_PERSON */
    const char *kind; /* official | legal-representative | cost-engineer | expert | signature …;
                         NULL = "official" for organisations, "personal" for persons */
    const uint8_t *holder_cert;
    size_t holder_len;
    const uint8_t *picture; /* PNG */
    size_t piclen;
    int pic_width, pic_height;    /* mm; 0 = 40 */
    int64_t valid_from, valid_to; /* 0 = the holder certificate's validity */
    const char *actor;
} seal_make_req;

typedef struct seal_record {
    char esid[SEAL_MAX_STRING];
    char kind[32];
    int type, layout;
    char name[SEAL_MAX_STRING];
    char cert_serial[65];
    char cert_hash[65]; /* hex SM3 of the holder certificate */
    char maker[32];
    int64_t valid_from, valid_to, created_at, retired_at;
    char status[16]; /* active | retired */
    char replaced_by[SEAL_MAX_STRING];
    char reason[64];
    uint8_t *der; /* owned, freed by seal_record_free */
    size_t derlen;
} seal_record;
void seal_record_free(seal_record *r);

/* Make a seal with the home's seal-maker key (through the key process when serving), record it
 * and audit it in one transaction. One active seal per holder certificate and kind:
 * SC_EEXIST seal.exists otherwise. out (may be NULL) receives the record with the DER. */
int seal_make(pki_ca *ca, const seal_make_req *r, seal_record *out, sc_err *e);
/* seal-change / seal-redo (签章变更 / 签章重做): make the new seal and retire old_esid
 * (replaced_by = the new id) in one transaction. business is "seal-change" or "seal-redo". The old
 * seal must be active. For a renewal the new request carries the new certificate. */
int seal_replace(pki_ca *ca, const char *old_esid, const char *business, const seal_make_req *r,
                 seal_record *out, sc_err *e);
/* Retire a seal without a successor (the holder gave it up, the certificate was revoked). */
int seal_retire(pki_ca *ca, const char *esid, const char *reason, const char *actor, sc_err *e);
/* The active seals bound to the certificate with this serial (hex), oldest first, up to max:
 * renewing or rekeying that certificate needs a new seal for each (GM/T 0031 §6.2.2). *n is how
 * many were filled; free each with seal_record_free. */
int seal_active_for_cert(pki_ca *ca, const char *serial, seal_record *out, int max, int *n,
                         sc_err *e);
/* Renewal / rekey of a signing certificate (ra-renew): every active seal bound to the certificate
 * old_serial gets a successor bound to new_cert with the same picture, physical size, name, type,
 * kind and layout, and is retired (reason "renew", replaced_by the successor). All successors are
 * made (signed) first and then written with their audit records in ONE transaction: either every
 * seal is renewed or nothing changes. out (max entries, may be NULL) receives the new records;
 * *n how many seals were renewed (0 when the certificate had none). */
int seal_renew_for_cert(pki_ca *ca, const char *old_serial, const uint8_t *new_cert, size_t newlen,
                        const char *actor, seal_record *out, int max, int *n, sc_err *e);
/* Look a seal up (SC_ENOTFOUND seal.unknown). */
int seal_get(pki_ca *ca, const char *esid, seal_record *out, sc_err *e);
/* The seal's status as JSON for GET /api/v1/seals/{esID} (the bound certificate's status when
 * this CA issued it). */
int seal_status_json(pki_ca *ca, const char *esid, sc_buf *out, sc_err *e);

#endif
