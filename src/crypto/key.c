/* key.c - key generation, encrypted PKCS#8 storage, SPKI and raw SM2 forms. */
#include "crypto/crypto_int.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound for key files we read: a PEM RSA-3072 PKCS#8 is ~3 KiB. */
#define KEY_FILE_MAX (64 * 1024)
/* scrypt cost for keys at rest: 16 MiB per lane (the most OpenSSL 3.0 decrypts by default), four
 * lanes, ~0.2 s - a stolen file is expensive to brute-force. */
#define KEY_SCRYPT_N (1UL << 14)
#define KEY_SCRYPT_R 8
#define KEY_SCRYPT_P 4

static int sm2_fromdata(const uint8_t *d, const uint8_t pt[65], int check, sc_key **out, sc_err *e);

static sc_alg alg_of(EVP_PKEY *pkey)
{
    if (EVP_PKEY_is_a(pkey, "SM2")) return SC_ALG_SM2;
    if (EVP_PKEY_is_a(pkey, "EC")) {
        char grp[64] = "";
        size_t gl = 0;
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, grp, sizeof(grp),
                                           &gl) != 1)
            return SC_ALG_NONE;
        if (strcmp(grp, "prime256v1") == 0 || strcmp(grp, "P-256") == 0) return SC_ALG_ECDSA_P256;
        if (strcmp(grp, "SM2") == 0) return SC_ALG_SM2;
        return SC_ALG_NONE;
    }
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        if (EVP_PKEY_get_bits(pkey) == 3072) return SC_ALG_RSA3072;
        return SC_ALG_NONE;
    }
    return SC_ALG_NONE;
}

static int has_private(EVP_PKEY *pkey)
{
    BIGNUM *bn = NULL;
    const char *name =
        EVP_PKEY_is_a(pkey, "RSA") ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
    int ok = EVP_PKEY_get_bn_param(pkey, name, &bn) == 1;
    BN_clear_free(bn);
    return ok;
}

sc_key *crypto_key_wrap(EVP_PKEY *pkey, sc_err *e)
{
    sc_alg alg = alg_of(pkey);
    if (alg == SC_ALG_NONE) {
        sc_fail(e, SC_EINVAL, "key.unsupported_alg",
                "unsupported key type (sealca uses SM2, ECDSA P-256 or RSA-3072)");
        EVP_PKEY_free(pkey);
        return NULL;
    }
    sc_key *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        EVP_PKEY_free(pkey);
        sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        return NULL;
    }
    k->alg = alg;
    k->pkey = pkey;
    k->priv = has_private(pkey);
    pthread_mutex_init(&k->lock, NULL);
    if (alg == SC_ALG_SM2) {
        size_t len = 0;
        if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, k->pt, 65, &len) == 1 &&
            len == 65 && k->pt[0] == 0x04)
            k->have_pt = 1;
        ERR_clear_error();
        if (!k->have_pt) {
            /* OpenSSL parsed something it cannot give back as a point (fuzzing found SPKIs with
             * unused bits set): not a key sealca can use */
            sc_fail(e, SC_EINVAL, "key.bad_point", "SM2 public key is not an uncompressed point");
            EVP_PKEY_free(pkey);
            pthread_mutex_destroy(&k->lock);
            free(k);
            return NULL;
        }
    }
    return k;
}

sc_key *crypto_key_sm2_bare(const uint8_t pt[65], void *fast_pub, sc_err *e)
{
    sc_key *k = calloc(1, sizeof(*k));
    if (k == NULL) {
        sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        return NULL;
    }
    k->alg = SC_ALG_SM2;
    memcpy(k->pt, pt, 65);
    k->have_pt = 1;
    k->fast_pub = fast_pub;
    pthread_mutex_init(&k->lock, NULL);
    return k;
}

EVP_PKEY *crypto_key_pkey(sc_key *k)
{
    pthread_mutex_lock(&k->lock);
    if (k->pkey == NULL && k->alg == SC_ALG_SM2 && k->have_pt) {
        OSSL_PARAM prm[3] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0),
                             OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, k->pt, 65),
                             OSSL_PARAM_construct_end()};
        EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
        EVP_PKEY *pk = NULL;
        if (fc != NULL && EVP_PKEY_fromdata_init(fc) == 1 &&
            EVP_PKEY_fromdata(fc, &pk, EVP_PKEY_PUBLIC_KEY, prm) == 1)
            k->pkey = pk;
        EVP_PKEY_CTX_free(fc);
        ERR_clear_error();
    }
    pthread_mutex_unlock(&k->lock);
    return k->pkey;
}

int crypto_alg_parse(const char *name, sc_alg *out)
{
    if (strcmp(name, "sm2") == 0)
        *out = SC_ALG_SM2;
    else if (strcmp(name, "ecdsa-p256") == 0)
        *out = SC_ALG_ECDSA_P256;
    else if (strcmp(name, "rsa3072") == 0)
        *out = SC_ALG_RSA3072;
    else
        return SC_EINVAL;
    return 0;
}

const char *crypto_alg_name(sc_alg alg)
{
    switch (alg) {
    case SC_ALG_SM2:
        return "sm2";
    case SC_ALG_ECDSA_P256:
        return "ecdsa-p256";
    case SC_ALG_RSA3072:
        return "rsa3072";
    default:
        return "none";
    }
}

int crypto_key_generate(sc_alg alg, sc_key **out, sc_err *e)
{
    EVP_PKEY *pkey = NULL;
    *out = NULL;
    switch (alg) {
    case SC_ALG_SM2:
        if (crypto_sm2_engine() == SC_SM2_ENGINE_FAST) {
            uint8_t d[32], pt[65];
            if (crypto_fast_keygen(d, pt) != 0)
                return sc_fail(e, SC_ECRYPTO, "key.keygen", "key generation failed");
            int rc = sm2_fromdata(d, pt, 0, out, e); /* made here: no need to re-check */
            sc_wipe(d, sizeof(d));
            return rc;
        }
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
        break;
    case SC_ALG_ECDSA_P256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case SC_ALG_RSA3072:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
        break;
    default:
        return sc_fail(e, SC_EINVAL, "key.unsupported_alg", "unsupported algorithm");
    }
    if (pkey == NULL) return sc_fail_ossl(e, SC_ECRYPTO, "key.keygen", "key generation failed");
    *out = crypto_key_wrap(pkey, e);
    return *out ? 0 : SC_ENOMEM;
}

int crypto_key_from_spki(const uint8_t *der, size_t len, sc_key **out, sc_err *e)
{
    *out = NULL;
    if (len == 0 || len > 4096)
        return sc_fail(e, SC_EINVAL, "key.bad_spki", "public key: bad length %zu", len);
    /* The two EC encodings sealca meets every time (a CSR per issuance, a certificate per
     * verification) are recognised byte for byte and imported from the point: OpenSSL 3.0's
     * generic decoder costs more than the signature check that follows. */
    static const uint8_t SPKI_SM2[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                         0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x81, 0x1c,
                                         0xcf, 0x55, 0x01, 0x82, 0x2d, 0x03, 0x42, 0x00};
    static const uint8_t SPKI_P256[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                          0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                          0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
    EVP_PKEY *pkey = NULL;
    const unsigned char *p = der;
    int is_sm2 = len == 91 && memcmp(der, SPKI_SM2, 26) == 0;
    if (is_sm2 && crypto_sm2_engine() == SC_SM2_ENGINE_FAST) {
        /* the fast engine validates the point itself; OpenSSL's object is made only if some
         * later operation needs it */
        void *fp = crypto_fast_pub_new(der + 26);
        if (fp == NULL)
            return sc_fail(e, SC_EINVAL, "key.bad_point", "public key fails validation");
        *out = crypto_key_sm2_bare(der + 26, fp, e);
        if (*out == NULL) {
            crypto_fast_free_pub(fp);
            return SC_ENOMEM;
        }
        goto keep;
    }
    if (is_sm2 || (len == 91 && memcmp(der, SPKI_P256, 26) == 0)) {
        /* fromdata decodes the point with EC_POINT_oct2point, which refuses points off the
         * curve; a 65-byte 04-prefixed point cannot be infinity */
        OSSL_PARAM prm[3] = {
            OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, is_sm2 ? "SM2" : "P-256",
                                             0),
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)(der + 26), 65),
            OSSL_PARAM_construct_end()};
        EVP_PKEY_CTX *fc = EVP_PKEY_CTX_new_from_name(NULL, is_sm2 ? "SM2" : "EC", NULL);
        if (der[26] != 0x04 || fc == NULL || EVP_PKEY_fromdata_init(fc) != 1 ||
            EVP_PKEY_fromdata(fc, &pkey, EVP_PKEY_PUBLIC_KEY, prm) != 1) {
            EVP_PKEY_CTX_free(fc);
            EVP_PKEY_free(pkey);
            return sc_fail_ossl(e, SC_EINVAL, "key.bad_point", "public key fails validation");
        }
        EVP_PKEY_CTX_free(fc);
        goto wrap;
    }
    pkey = d2i_PUBKEY(NULL, &p, (long)len);
    if (pkey == NULL || p != der + len) {
        EVP_PKEY_free(pkey);
        return sc_fail_ossl(e, SC_EINVAL, "key.bad_spki",
                            "public key: not a valid SubjectPublicKeyInfo");
    }
    EVP_PKEY_CTX *cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    /* the quick check (on the curve, not infinity) is complete for SM2 and P-256, whose
     * cofactor is 1; the full check multiplies by the order, which costs a signature */
    int ok = cctx != NULL && EVP_PKEY_public_check_quick(cctx) == 1;
    EVP_PKEY_CTX_free(cctx);
    if (!ok) {
        EVP_PKEY_free(pkey);
        return sc_fail_ossl(e, SC_EINVAL, "key.bad_point", "public key fails validation");
    }
wrap:
    *out = crypto_key_wrap(pkey, e);
    if (*out == NULL) return SC_EINVAL;
keep:
    /* keep the caller's bytes: they are the canonical encoding (checked by the parse above) */
    (*out)->spki = malloc(len);
    if ((*out)->spki != NULL) {
        memcpy((*out)->spki, der, len);
        (*out)->spkilen = len;
    }
    return 0;
}

void crypto_key_free(sc_key *k)
{
    if (k == NULL) return;
    crypto_fast_free(k);
    free(k->spki);
    pthread_mutex_destroy(&k->lock);
    EVP_PKEY_free(k->pkey); /* OpenSSL clears private BIGNUMs on free */
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
}

sc_alg crypto_key_alg(const sc_key *k)
{
    return k->alg;
}

int crypto_key_is_private(const sc_key *k)
{
    return k->priv;
}

static int spki_cached(const sc_key *ck, const uint8_t **p, size_t *n, sc_err *e)
{
    sc_key *k = (sc_key *)ck; /* the cache is logically const */
    pthread_mutex_lock(&k->lock);
    if (k->spki == NULL) {
        unsigned char *der = NULL;
        EVP_PKEY *pk = k->pkey;
        if (pk == NULL) { /* bare SM2 key: build OpenSSL's form outside our lock */
            pthread_mutex_unlock(&k->lock);
            pk = crypto_key_pkey(k);
            pthread_mutex_lock(&k->lock);
        }
        int len = pk != NULL ? i2d_PUBKEY(pk, &der) : -1;
        if (len > 0) {
            k->spki = malloc((size_t)len);
            if (k->spki != NULL) {
                memcpy(k->spki, der, (size_t)len);
                k->spkilen = (size_t)len;
            }
        }
        OPENSSL_free(der);
    }
    pthread_mutex_unlock(&k->lock);
    if (k->spki == NULL)
        return sc_fail_ossl(e, SC_ECRYPTO, "key.encode", "cannot encode public key");
    *p = k->spki;
    *n = k->spkilen;
    return 0;
}

int crypto_key_spki(const sc_key *k, sc_buf *out, sc_err *e)
{
    const uint8_t *p;
    size_t n;
    int rc = spki_cached(k, &p, &n, e);
    return rc ? rc : sc_buf_append(out, p, n);
}

int crypto_key_id(const sc_key *k, uint8_t out[32], size_t *outlen, sc_err *e)
{
    /* RFC 5280 §4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING value. SHA-1 here is an
     * identifier, not a security function, and 20-byte key identifiers are what USB-key
     * middleware and GM/T 0015 certificates carry. The SPKI is walked by hand: it is
     * SEQUENCE { AlgorithmIdentifier, BIT STRING }, both with short or long lengths. */
    const uint8_t *p;
    size_t n;
    int rc = spki_cached(k, &p, &n, e);
    if (rc != 0) return rc;
    size_t off = 0, len = 0;
    for (int level = 0; level < 3; level++) {
        if (off + 2 > n) goto bad;
        uint8_t tag = p[off++];
        size_t l = p[off++];
        if (l & 0x80) {
            size_t nb = l & 0x7f;
            if (nb == 0 || nb > 3 || off + nb > n) goto bad;
            l = 0;
            while (nb--)
                l = l << 8 | p[off++];
        }
        if (off + l > n) goto bad;
        if (level == 0 && tag == 0x30) {
            continue; /* into the SPKI */
        } else if (level == 1 && tag == 0x30) {
            off += l; /* skip the AlgorithmIdentifier */
        } else if (level == 2 && tag == 0x03 && l >= 1) {
            len = l;
            break;
        } else {
            goto bad;
        }
    }
    crypto_sha1(p + off + 1, len - 1, out);
    *outlen = 20;
    return 0;
bad:
    return sc_fail(e, SC_EINTERNAL, "key.encode", "malformed public key encoding");
}

int crypto_key_equal_public(const sc_key *a, const sc_key *b)
{
    if (a->alg != b->alg) return 0;
    if (a->alg == SC_ALG_SM2 && a->have_pt && b->have_pt) return sc_memeq_ct(a->pt, b->pt, 65) == 0;
    EVP_PKEY *pa = crypto_key_pkey((sc_key *)a), *pb = crypto_key_pkey((sc_key *)b);
    return pa != NULL && pb != NULL && EVP_PKEY_eq(pa, pb) == 1;
}

int crypto_key_sm2_point(const sc_key *k, uint8_t pt[65])
{
    if (k->alg != SC_ALG_SM2 || !k->have_pt) return SC_EINVAL;
    memcpy(pt, k->pt, 65);
    return 0;
}

int crypto_key_sm2_private(const sc_key *k, uint8_t d[32])
{
    BIGNUM *bn = NULL;
    if (k->alg != SC_ALG_SM2 || !k->priv) return SC_EINVAL;
    if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1) return SC_ECRYPTO;
    int ok = BN_bn2binpad(bn, d, 32) == 32;
    BN_clear_free(bn);
    return ok ? 0 : SC_ECRYPTO;
}

static int sm2_fromdata(const uint8_t *d, const uint8_t pt[65], int check, sc_key **out, sc_err *e)
{
    int rc = SC_ECRYPTO;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    BIGNUM *bn = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    if (bld == NULL) goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 65))
        goto out;
    if (d != NULL) {
        bn = BN_secure_new();
        if (bn == NULL || BN_bin2bn(d, 32, bn) == NULL ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn))
            goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    /* fromdata does not check the point: do it, and that d matches it */
    EVP_PKEY_CTX *cctx = check ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
    int ok = !check || (cctx != NULL &&
                        (d ? EVP_PKEY_pairwise_check(cctx) : EVP_PKEY_public_check(cctx)) == 1);
    EVP_PKEY_CTX_free(cctx);
    if (!ok) {
        rc = sc_fail_ossl(e, SC_EINVAL, "key.bad_point", "SM2 key fails validation");
        goto out;
    }
    *out = crypto_key_wrap(pkey, e);
    pkey = NULL;
    rc = *out ? 0 : SC_ENOMEM;
out:
    if (rc == SC_ECRYPTO) sc_fail_ossl(e, rc, "key.import", "cannot build SM2 key");
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    return rc;
}

int crypto_key_sm2_from_point(const uint8_t pt[65], sc_key **out, sc_err *e)
{
    *out = NULL;
    return sm2_fromdata(NULL, pt, 1, out, e);
}

int crypto_key_sm2_from_private(const uint8_t d[32], sc_key **out, sc_err *e)
{
    int rc = SC_ECRYPTO;
    uint8_t pt[65];
    *out = NULL;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
    EC_POINT *P = g ? EC_POINT_new(g) : NULL;
    BIGNUM *bn = BN_secure_new();
    if (g == NULL || P == NULL || bn == NULL || BN_bin2bn(d, 32, bn) == NULL) goto out;
    /* GM/T 0003.1 §6.1: d in [1, n-2] */
    BIGNUM *nm2 = BN_dup(EC_GROUP_get0_order(g));
    if (nm2 == NULL || !BN_sub_word(nm2, 2)) {
        BN_free(nm2);
        goto out;
    }
    int inrange = !BN_is_zero(bn) && BN_cmp(bn, nm2) <= 0;
    BN_free(nm2);
    if (!inrange) {
        rc = sc_fail(e, SC_EINVAL, "key.bad_scalar", "SM2 private key out of range");
        goto out;
    }
    if (!EC_POINT_mul(g, P, bn, NULL, NULL, NULL) ||
        EC_POINT_point2oct(g, P, POINT_CONVERSION_UNCOMPRESSED, pt, 65, NULL) != 65)
        goto out;
    rc = sm2_fromdata(d, pt, 1, out, e);
out:
    if (rc == SC_ECRYPTO) sc_fail_ossl(e, rc, "key.import", "cannot build SM2 key");
    BN_clear_free(bn);
    EC_POINT_free(P);
    EC_GROUP_free(g);
    return rc;
}

int crypto_key_export(const sc_key *k, const char *pass, size_t passlen, sc_buf *pem, sc_err *e)
{
    int rc = SC_ECRYPTO;
    if (!k->priv) return sc_fail(e, SC_EINVAL, "key.not_private", "not a private key");
    if (pass == NULL || passlen == 0)
        return sc_fail(e, SC_EINVAL, "key.empty_passphrase",
                       "refusing to write a private key without a passphrase");
    if (passlen > 1024)
        return sc_fail(e, SC_EINVAL, "key.passphrase_too_long",
                       "passphrase longer than 1024 bytes");
    const EVP_CIPHER *cipher = k->alg == SC_ALG_SM2 ? EVP_sm4_cbc() : EVP_aes_256_cbc();
    PKCS8_PRIV_KEY_INFO *p8inf = EVP_PKEY2PKCS8(k->pkey);
    X509_ALGOR *pbe =
        PKCS5_pbe2_set_scrypt(cipher, NULL, 0, NULL, KEY_SCRYPT_N, KEY_SCRYPT_R, KEY_SCRYPT_P);
    X509_SIG *p8 = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (p8inf == NULL || pbe == NULL || bio == NULL) goto out;
    p8 = PKCS8_set0_pbe(pass, (int)passlen, p8inf, pbe);
    if (p8 == NULL) goto out;
    pbe = NULL; /* owned by p8 now */
    if (PEM_write_bio_PKCS8(bio, p8) != 1) goto out;
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    rc = sc_buf_append(pem, data, (size_t)n);
out:
    if (rc == SC_ECRYPTO) sc_fail_ossl(e, rc, "key.encrypt", "cannot encrypt private key");
    X509_ALGOR_free(pbe);
    X509_SIG_free(p8);
    PKCS8_PRIV_KEY_INFO_free(p8inf); /* EVP_PKEY2PKCS8 gives a copy that we free */
    if (bio != NULL) {
        char *mem = NULL;
        long memlen = BIO_get_mem_data(bio, &mem);
        if (memlen > 0) OPENSSL_cleanse(mem, (size_t)memlen);
    }
    BIO_free(bio);
    return rc;
}

int crypto_key_save(const sc_key *k, const char *path, const char *pass, size_t passlen, sc_err *e)
{
    sc_buf pem = {0};
    int rc = crypto_key_export(k, pass, passlen, &pem, e);
    if (rc == 0) {
        rc = sc_file_write_atomic(path, pem.p, pem.len, 0600);
        if (rc != 0) sc_fail(e, rc, "key.write", "cannot write key file %s", path);
    }
    sc_buf_wipe(&pem);
    return rc;
}

int crypto_key_import(const uint8_t *pem, size_t len, const char *pass, size_t passlen,
                      sc_key **out, sc_err *e)
{
    *out = NULL;
    if (len > KEY_FILE_MAX)
        return sc_fail(e, SC_ETOOBIG, "key.too_big", "key file larger than %d bytes", KEY_FILE_MAX);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    int rc = SC_EINVAL;
    PKCS8_PRIV_KEY_INFO *p8inf = NULL;
    EVP_PKEY *pkey = NULL;
    /* Only "ENCRYPTED PRIVATE KEY": a plaintext key on disk is refused, not loaded. */
    X509_SIG *p8 = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL);
    if (p8 == NULL) {
        rc = sc_fail_ossl(e, SC_EINVAL, "key.not_encrypted_pkcs8",
                          "key file is not an encrypted PKCS#8 PEM (plaintext keys are refused)");
        goto out;
    }
    p8inf = PKCS8_decrypt(p8, pass, (int)passlen);
    if (p8inf == NULL) {
        rc = sc_fail_ossl(e, SC_EVERIFY, "key.bad_passphrase",
                          "cannot decrypt the private key: wrong passphrase or damaged file");
        goto out;
    }
    pkey = EVP_PKCS82PKEY(p8inf);
    if (pkey == NULL) {
        rc = sc_fail_ossl(e, SC_EINVAL, "key.bad_key", "decrypted key is not a valid private key");
        goto out;
    }
    *out = crypto_key_wrap(pkey, e);
    pkey = NULL;
    rc = *out ? 0 : SC_EINVAL;
out:
    EVP_PKEY_free(pkey);
    PKCS8_PRIV_KEY_INFO_free(p8inf);
    X509_SIG_free(p8);
    BIO_free(bio);
    return rc;
}

int crypto_key_load(const char *path, const char *pass, size_t passlen, sc_key **out, sc_err *e)
{
    uint8_t *data = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = sc_file_read(path, KEY_FILE_MAX, &data, &len);
    if (rc == SC_ETOOBIG)
        return sc_fail(e, rc, "key.too_big", "key file %s is larger than %d bytes", path,
                       KEY_FILE_MAX);
    if (rc != 0) return sc_fail(e, rc, "key.read", "cannot read key file %s", path);
    rc = crypto_key_import(data, len, pass, passlen, out, e);
    sc_wipe(data, len);
    free(data);
    return rc;
}

int crypto_key_remote(const sc_key *pub, crypto_remote_sign_fn fn, void *ctx, sc_key **out,
                      sc_err *e)
{
    const uint8_t *p;
    size_t n;
    *out = NULL;
    int rc = spki_cached(pub, &p, &n, e);
    if (rc == 0) rc = crypto_key_from_spki(p, n, out, e);
    if (rc == 0) {
        (*out)->remote = fn;
        (*out)->remote_ctx = ctx;
    }
    return rc;
}

int crypto_key_can_sign(const sc_key *k)
{
    return k->priv || k->remote != NULL;
}

int crypto_key_export_plain(const sc_key *k, sc_buf *pem, sc_err *e)
{
    if (!k->priv || k->pkey == NULL)
        return sc_fail(e, SC_EINVAL, "key.not_private", "not a private key");
    BIO *bio = BIO_new(BIO_s_secmem());
    int rc = SC_ECRYPTO;
    if (bio != NULL &&
        PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) == 1) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        rc = sc_buf_append(pem, data, (size_t)n);
        OPENSSL_cleanse(data, (size_t)n);
    }
    BIO_free(bio);
    if (rc == SC_ECRYPTO) sc_fail_ossl(e, rc, "key.export", "cannot export the key");
    return rc;
}
