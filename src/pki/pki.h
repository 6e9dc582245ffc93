/* pki.h - the certificate authority: profiles, issuers, issuance, revocation, CRLs. */
#ifndef SEALCA_PKI_H
#define SEALCA_PKI_H

#include <limits.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "pki/name.h"
#include "store/store.h"

/* keyUsage bits, RFC 5280 §4.2.1.3 numbering */
enum {
    KU_DIGITAL_SIGNATURE = 1u << 0,
    KU_NON_REPUDIATION = 1u << 1,
    KU_KEY_ENCIPHERMENT = 1u << 2,
    KU_DATA_ENCIPHERMENT = 1u << 3,
    KU_KEY_AGREEMENT = 1u << 4,
    KU_KEY_CERT_SIGN = 1u << 5,
    KU_CRL_SIGN = 1u << 6,
};

typedef enum prof_role {
    PROF_END_ENTITY = 0,
    PROF_ROOT_CA,
    PROF_ISSUING_CA,
    PROF_OCSP,
    PROF_SEAL_MAKER,
} prof_role;

typedef enum prof_identity {
    PROF_ID_NONE = 0, /* no identity extension */
    PROF_ID_USCC,     /* organization: Unified Social Credit Code, 1.2.156.10260.4.4 */
    PROF_ID_PERSON,   /* person: resident ID number, IdentityCode 1.2.156.10260.4.1.1 */
} prof_identity;

#define PROF_MAX_EKU 4

/*
 * A certificate profile (GM/T 0015) is data: a name, a version and a definition in the
 * `key = value` format of sealca.conf. Built-in profiles are installed at init; operators add
 * versions. A certificate records the profile version it was issued under, and a new version
 * never changes certificates already issued.
 */
typedef struct pki_profile {
    char name[48];
    int version;
    int builtin;
    int active;
    char label[96]; /* Chinese label, e.g. 单位签名证书 */
    char label_en[96];
    prof_role role;
    uint32_t key_usage;
    char eku[PROF_MAX_EKU][40]; /* dotted OIDs */
    int neku;
    int eku_critical;
    prof_identity identity;
    uint32_t subject_required; /* bit (1 << name_type) per required attribute */
    int default_days;
    int max_days;
    char policy[80];       /* certificatePolicies OID, "" for none */
    int ocsp_nocheck;      /* id-pkix-ocsp-nocheck */
    char definition[2048]; /* the source text */
} pki_profile;

/* Parse a definition. Errors name the key at fault. */
int profile_parse(const char *name, const char *text, size_t len, pki_profile *out, sc_err *e);
/* Latest version of a profile (active or retired). SC_ENOTFOUND if none. */
int profile_get(store *s, const char *name, pki_profile *out, sc_err *e);
/* Calls fn for the latest version of every profile, in name order. */
int profile_list(store *s, int (*fn)(void *arg, const pki_profile *p), void *arg, sc_err *e);
/* Add a profile or a new version of one (audited, in its own transaction). */
int profile_put(store *s, const char *name, const char *text, const char *actor, int *version,
                sc_err *e);
int profile_retire(store *s, const char *name, const char *actor, sc_err *e);
/* Install the built-in profiles (inside the caller's transaction). */
int profile_install_builtins(store *s, sc_err *e);
/* Install one built-in profile added after the home was made (inside the caller's transaction);
 * 0 when it is there already. */
int profile_install_builtin(store *s, const char *name, sc_err *e);

/* ---- issuers (CA, OCSP, seal-maker and link certificates of this home) ---- */

typedef struct pki_issuer {
    char id[32];   /* root-1, sub-1, ocsp-1, sealmaker-1, sub-1-by-sub-2 … */
    char role[16]; /* root | issuing | ocsp | sealmaker | link */
    char parent[32];
    sc_alg alg;
    char subject[512]; /* RFC 4514 text for display */
    char serial[33];
    int64_t not_before, not_after;
    uint8_t *der; /* the certificate */
    size_t derlen;
    sc_slice subject_der; /* the subject Name TLV inside der */
    uint8_t ski[20];      /* key identifier of the certified key */
    char key_file[64];    /* relative to the home, "" for link certificates */
    int active;
    sc_key *pub;      /* public key from the certificate */
    sc_key *key;      /* private key once loaded (ca_issuer_key), or a remote key */
    void *remote_ctx; /* context of a remote key, freed with the issuer */
} pki_issuer;

typedef struct pki_ca {
    char home[PATH_MAX];
    char name[256];
    char base_url[256];
    sc_alg alg;
    int crl_hours;  /* nextUpdate - thisUpdate for CRLs */
    int ocsp_hours; /* nextUpdate - thisUpdate for OCSP responses */
    store *db;
    pki_issuer *issuers;
    size_t nissuers;
    char *pass; /* key passphrase, wiped on close */
    size_t passlen;
    /* directory publication (sealca.conf ldap*): when ldap[0], issuance, CRLs and CA
     * certificates queue outbox rows in their own transaction; publish/ldap.c drains them */
    char ldap[256];                    /* ldap://host[:port] */
    char ldap_bind_dn[512];            /* "" = anonymous */
    char ldap_password_file[PATH_MAX]; /* absolute, or relative to the home */
    char ldap_base[512];               /* appended to every subject DN */
    char tsa_policy[96]; /* sealca.conf tsa_policy: the TSTInfo policy OID, "" = the default */
} pki_ca;

typedef struct ca_init_opts {
    const char *home;
    const char *name; /* organisation name of the CA, e.g. "sealca 演示 CA" */
    sc_alg alg;
    const char *base_url; /* http://host:port for CRL DP / AIA; NULL = none */
    const char
        *database; /* sqlite:PATH (relative to the home) or postgres[ql]://…; NULL = sqlite:ca.db */
    const char *pass;
    size_t passlen;
    const char *ldap; /* directory publication, NULL = none (see ca_ldap_check) */
    const char *ldap_bind_dn;
    const char *ldap_password_file;
    const char *ldap_base;
} ca_init_opts;

/* Create a new home: config, database, root (20 y), issuing CA (10 y), OCSP signer and
 * seal-maker certificates. Refuses an existing home. */
int ca_init(const ca_init_opts *o, sc_err *e);
/* Open a home. pass may be NULL for commands that do not sign. */
int ca_open(const char *home, const char *pass, size_t passlen, pki_ca **out, sc_err *e);
void ca_close(pki_ca *ca);
pki_issuer *ca_issuer(pki_ca *ca, const char *id);
/* The issuing CA new certificates come from (the newest active one). */
pki_issuer *ca_active_issuing(pki_ca *ca);
/* The issuer of role (ocsp/sealmaker) whose parent is parent_id, active. */
pki_issuer *ca_issuer_for(pki_ca *ca, const char *role, const char *parent_id);
/* Private key of an issuer, decrypted on first use (borrowed: freed by ca_close). */
int ca_issuer_key(pki_ca *ca, pki_issuer *iss, sc_key **out, sc_err *e);
/* Issuing CA, issuing CA's parents… up to the root, as PEM. */
int ca_chain_pem(pki_ca *ca, pki_issuer *from, sc_buf *out, sc_err *e);
/* New issuing CA key and certificate, link certificates both ways, new OCSP signer.
 * ca->issuers is reallocated: pki_issuer pointers taken before the call are invalid after it. */
int ca_rollover(pki_ca *ca, const char *actor, sc_err *e);
/* The HTTPS listener's certificate (browsers speak neither SM2 nor TLCP): an ECDSA P-256 server
 * certificate for the host of base_url, localhost and 127.0.0.1, in DIR/tls/. An ECDSA or RSA
 * CA issues it from its issuing CA; an SM2 CA gets a separate ECDSA P-256 TLS root for it.
 * The server key is stored encrypted under the passphrase. Called by ca_init. */
int ca_make_tls(pki_ca *ca, pki_issuer *issuing, const char *pass, size_t passlen, sc_err *e);
/* A time-stamping authority certificate (RFC 3161 §2.3: extendedKeyUsage timeStamping,
 * critical; profile "tsa") and SM2 key signed by the active issuing CA, id tsa-N, key in
 * keys/tsa-N.key like the OCSP signer's; the previous TSA of that CA is retired. Audited.
 * SM2 homes only (the tokens are SM2-with-SM3 CMS). *out (may be NULL) points into
 * ca->issuers, which is reallocated. */
int ca_make_tsa(pki_ca *ca, int days, const char *actor, pki_issuer **out, sc_err *e);
/* Sign an audit checkpoint with the active issuing CA key when records are pending. */
int ca_audit_checkpoint(pki_ca *ca, sc_err *e);

/* Check the directory settings (the sealca.conf keys ldap, ldap_bind_dn, ldap_password_file,
 * ldap_base); errors (SC_EINVAL conf.bad_ldap*) name the key. url NULL or "" = no publication,
 * and then the other three must be absent too. */
int ca_ldap_check(const char *url, const char *bind_dn, const char *password_file, const char *base,
                  sc_err *e);

/* ---- directory publication outbox (pki/outbox.c; drained by publish/ldap.c) ---- */

#define OUTBOX_MAX_DN 1024
/* The directory entry of a subject: its RFC 4514 text (most specific RDN first, attribute
 * types in lower case, UTF-8 kept) with base appended, e.g. "cn=张三,o=某公司,c=CN,dc=example,
 * dc=cn". SC_EINVAL outbox.bad_dn when the Name or base is not a valid DN. */
int outbox_dn(const uint8_t *name_der, size_t len, const char *base, char *out, size_t outsz,
              sc_err *e);
/* Queue der for publication on the entry of subject, inside the caller's transaction. kind:
 * cert | cacert | crl | delta; object: the serial or "issuer:number". Does nothing (0) when
 * the home has no `ldap`. */
int outbox_add(pki_ca *ca, const char *kind, const char *object, sc_slice subject,
               const uint8_t *der, size_t len, sc_err *e);

/* ---- certificates ---- */

typedef struct cert_tbs {
    const pki_profile *prof;
    const sc_name *subject; /* or: */
    sc_slice subject_der;   /* a pre-encoded subject Name (link certificates) */
    sc_key *pub;
    const char *uscc;      /* organisation identity, validated */
    const char *id_number; /* person identity, validated */
    int64_t not_before, not_after;
    uint8_t serial[16];
    const char *base_url;   /* for CRL DP and AIA; NULL or "" for none */
    int path_len;           /* issuing CA: pathLenConstraint, -1 = none */
    const char *san_dns[4]; /* subjectAltName dNSName values (TLS server certificates) */
    uint8_t san_ip[4][4];   /* and IPv4 addresses */
    int n_san_dns, n_san_ip;
} cert_tbs;

/* Encode and sign a certificate. issuer NULL means self-signed (root): the subject is the
 * issuer and signkey must be the key of pub. */
int cert_build(const cert_tbs *t, const pki_issuer *issuer, sc_key *signkey, sc_buf *der,
               sc_err *e);
/* Name -> DER (PrintableString for C, serialNumber; IA5String for email; UTF8String else). */
int name_encode(const sc_name *n, sc_buf *out, sc_err *e);
/* Split a signed object (Certificate, CertList, CertificationRequest) into its parts. */
typedef struct signed_parts {
    sc_slice tbs; /* the signed TLV */
    sc_slice alg; /* AlgorithmIdentifier TLV */
    sc_slice sig; /* BIT STRING contents without the unused-bits byte */
} signed_parts;
int der_split_signed(const uint8_t *der, size_t len, signed_parts *out);
/* Verify the signature on a signed object with a public key (SM2: GM/T 0009 ID). */
int pki_verify_signed(const uint8_t *der, size_t len, sc_key *pub, sc_err *e);
/* Public key of a certificate. */
int cert_pubkey(const uint8_t *der, size_t len, sc_key **out, sc_err *e);
/* Subject and issuer Name TLVs and validity of a certificate (pointers into der). 0 or -1. */
int cert_fields(const uint8_t *der, size_t len, sc_slice *subject, sc_slice *issuer,
                int64_t *not_before, int64_t *not_after);
/* RFC 4514 text of a DER Name (via OpenSSL, UTF-8). */
int name_der_text(const uint8_t *der, size_t len, char *out, size_t outsz);
/* The first PEM block with this label in in[0..len) -> DER appended to out; *consumed (if not
 * NULL) is set to the offset just past its END line. 0, or -1 when none or malformed. */
int pem_decode(const uint8_t *in, size_t len, const char *label, size_t *consumed, sc_buf *out);
/* Certificate DER -> PEM text. */
int cert_pem(const uint8_t *der, size_t len, sc_buf *out);

typedef struct cert_info {
    char serial[33];
    char issuer[32];
    char profile[48];
    int profile_version;
    char subject[512];
    int64_t not_before, not_after;
    char status[8]; /* good | revoked | hold */
    int reason;     /* -1 when not revoked */
    int64_t revoked_at, invalidity_at, created_at;
    uint8_t *der; /* owned; freed by cert_info_free */
    size_t derlen;
} cert_info;
void cert_info_free(cert_info *ci);

/* ---- CSRs ---- */
#define CSR_MAX (64 * 1024)
typedef struct csr {
    sc_key *pub;       /* owned */
    char subject[512]; /* as written in the CSR, for display */
} csr;
/* Parse PEM or DER, verify the proof-of-possession signature (SM2 with the GM/T 0009 ID). */
int csr_parse(const uint8_t *in, size_t len, csr *out, sc_err *e);
void csr_free(csr *c);

/* ---- issuance ---- */
typedef struct issue_req {
    const char *profile;
    const char *subject; /* RFC 4514 string */
    const char *uscc;
    const char *id_number;
    sc_key *pub; /* from a CSR or freshly generated */
    int days;    /* 0 = profile default */
    const char *actor;
} issue_req;
/* Validate, sign, record (certificate + audit, one transaction). out receives the DER and
 * serial. */
int pki_issue(pki_ca *ca, const issue_req *r, cert_info *out, sc_err *e);
/* The same inside the caller's open transaction (store_tx_begin): the certificate, its
 * publication and its audit record commit or roll back with the caller's own changes. On
 * failure the caller rolls back. A serial collision is not retried here (2^-127). */
int pki_issue_in_tx(pki_ca *ca, const issue_req *r, cert_info *out, sc_err *e);

/* ---- revocation (RFC 5280 §5.3.1 reason codes) ---- */
enum {
    REASON_UNSPECIFIED = 0,
    REASON_KEY_COMPROMISE = 1,
    REASON_CA_COMPROMISE = 2,
    REASON_AFFILIATION_CHANGED = 3,
    REASON_SUPERSEDED = 4,
    REASON_CESSATION = 5,
    REASON_CERTIFICATE_HOLD = 6,
    REASON_REMOVE_FROM_CRL = 8,
    REASON_PRIVILEGE_WITHDRAWN = 9,
};
int reason_parse(const char *s, int *out);
const char *reason_name(int r);

int pki_revoke(pki_ca *ca, const char *serial, int reason, int64_t invalidity, const char *actor,
               sc_err *e);
/* pki_revoke inside the caller's open transaction (nothing committed or rolled back here). */
int pki_revoke_in_tx(pki_ca *ca, const char *serial, int reason, int64_t invalidity,
                     const char *actor, sc_err *e);
int pki_resume(pki_ca *ca, const char *serial, const char *actor, sc_err *e);
int pki_resume_in_tx(pki_ca *ca, const char *serial, const char *actor, sc_err *e);
int pki_cert_get(pki_ca *ca, const char *serial, cert_info *out, sc_err *e);
/* Normalise a serial given by a user: hex, optional colons, case-insensitive -> 32 lowercase
 * hex chars. */
int serial_normalise(const char *in, char out[33], sc_err *e);

/* ---- CRLs ---- */
typedef struct crl_result {
    int64_t number;
    int64_t entries;
    int64_t this_update, next_update;
} crl_result;
/* Generate, sign and record a full (delta = 0) or delta CRL for the issuer. */
int pki_crl_generate(pki_ca *ca, pki_issuer *iss, int delta, sc_buf *der, crl_result *res,
                     sc_err *e);

#endif
