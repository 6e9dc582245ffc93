/* envelope.h - GM/T 0010 SM2 envelopedData (digital envelopes for bid documents): SM4-CBC content,
 * the content key SM2-encrypted to each recipient's encryption certificate. */
#ifndef SEALCA_ENVELOPE_H
#define SEALCA_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "crypto/crypto.h"

/*
 * ContentInfo ::= SEQUENCE { contentType 1.2.156.10197.6.1.4.2.3 (envelopedData),
 *                            content [0] EXPLICIT EnvelopedData }
 * EnvelopedData ::= SEQUENCE { version INTEGER (0), recipientInfos SET OF RecipientInfo,
 *                              encryptedContentInfo EncryptedContentInfo }
 * RecipientInfo ::= SEQUENCE { version INTEGER (0), issuerAndSerialNumber SEQUENCE { Name,
 *                              INTEGER }, keyEncryptionAlgorithm { 1.2.156.10197.1.301.3 },
 *                              encryptedKey OCTET STRING }  -- DER SM2Cipher of the SM4 key
 * EncryptedContentInfo ::= SEQUENCE { contentType 1.2.156.10197.6.1.4.2.1 (data),
 *                              contentEncryptionAlgorithm { 1.2.156.10197.1.104.2 (SM4-CBC),
 *                              OCTET STRING iv }, encryptedContent [0] IMPLICIT OCTET STRING }
 * The structure is PKCS#7's (GM/T 0010 keeps it and changes the OIDs). Like PKCS#7
 * envelopedData it carries no integrity check over the content: a changed key or structure is
 * refused, but a changed content block may decrypt to garbage; sign the file as well when that
 * matters (signedAndEnvelopedData, .4.2.4).
 */
#define ENVELOPE_MAX_RECIPIENTS 64
#define ENVELOPE_MAX            (256u * 1024 * 1024) /* bytes of content */

/* Encrypt in[0..len) to the certificates (DER) certs[0..n). */
int envelope_encrypt(const sc_slice *certs, size_t n, const uint8_t *in, size_t len, sc_buf *out,
                     sc_err *e);

typedef struct envelope_recipient {
    sc_slice issuer; /* Name TLV */
    sc_slice serial; /* INTEGER contents */
    sc_slice enc_key;
} envelope_recipient;
typedef struct envelope_info {
    envelope_recipient r[ENVELOPE_MAX_RECIPIENTS];
    size_t nr;
    uint8_t iv[16];
    sc_slice content; /* encrypted */
} envelope_info;
/* Parse (slices into der). envelope.malformed / envelope.unsupported. */
int envelope_parse(const uint8_t *der, size_t len, envelope_info *out, sc_err *e);

/* Decrypt with the recipient's private key; cert (may be NULL) selects the RecipientInfo by
 * issuer and serial, otherwise each is tried. envelope.not_recipient when none opens. */
int envelope_decrypt(const uint8_t *der, size_t len, sc_key *key, const uint8_t *cert,
                     size_t certlen, sc_buf *out, sc_err *e);

#endif
