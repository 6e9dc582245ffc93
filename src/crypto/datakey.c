/* datakey.c - the data key file (scrypt + SM4-CTR/HMAC-SM3) and label-bound sealing under it. */
#include "crypto/datakey.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/crypto.h"

#define DK_MAGIC     "SEALCA-DATAKEY-1"
#define DK_MAGIC_LEN 16
#define DK_SALT      16
/* the cost of the PKCS#8 key files (key.c) */
#define DK_N        (1UL << 14)
#define DK_R        8
#define DK_P        4
#define DK_FILE_MAX 1024

static int kek_derive(const char *pass, size_t passlen, const uint8_t salt[DK_SALT],
                      uint8_t kek[32], sc_err *e)
{
    if (pass == NULL || passlen == 0)
        return sc_fail(e, SC_EINVAL, "ca.no_passphrase",
                       "the key passphrase is required for the data key");
    if (EVP_PBE_scrypt(pass, passlen, salt, DK_SALT, DK_N, DK_R, DK_P, 64u * 1024 * 1024, kek,
                       32) != 1)
        return sc_fail_ossl(e, SC_ECRYPTO, "datakey.kdf", "scrypt");
    return 0;
}

static int dk_decode(const uint8_t *f, size_t n, const char *pass, size_t passlen,
                     uint8_t key[DATAKEY_LEN], sc_err *e)
{
    if (n < DK_MAGIC_LEN + DK_SALT || memcmp(f, DK_MAGIC, DK_MAGIC_LEN) != 0)
        return sc_fail(e, SC_EINVAL, "datakey.damaged", "the data key file is damaged");
    uint8_t kek[32];
    int rc = kek_derive(pass, passlen, f + DK_MAGIC_LEN, kek, e);
    if (rc != 0) return rc;
    sc_buf k = {0};
    rc = crypto_aead_open(kek, (const uint8_t *)DK_MAGIC, DK_MAGIC_LEN, f + DK_MAGIC_LEN + DK_SALT,
                          n - DK_MAGIC_LEN - DK_SALT, &k, NULL);
    sc_wipe(kek, sizeof(kek));
    if (rc != 0 || k.len != DATAKEY_LEN) {
        sc_buf_wipe(&k);
        return sc_fail(e, SC_EVERIFY, "datakey.bad_passphrase",
                       "the data key does not open with this passphrase (or the file is damaged)");
    }
    memcpy(key, k.p, DATAKEY_LEN);
    sc_buf_wipe(&k);
    return 0;
}

static int dk_write(const char *path, const char *pass, size_t passlen,
                    const uint8_t given[DATAKEY_LEN], sc_err *e)
{
    uint8_t key[DATAKEY_LEN], salt[DK_SALT], kek[32];
    if (given)
        memcpy(key, given, DATAKEY_LEN);
    else
        crypto_random(key, sizeof(key));
    crypto_random(salt, sizeof(salt));
    int rc = kek_derive(pass, passlen, salt, kek, e);
    sc_buf f = {0};
    if (rc == 0) {
        sc_buf_append(&f, DK_MAGIC, DK_MAGIC_LEN);
        sc_buf_append(&f, salt, DK_SALT);
        rc =
            crypto_aead_seal(kek, (const uint8_t *)DK_MAGIC, DK_MAGIC_LEN, key, sizeof(key), &f, e);
    }
    sc_wipe(key, sizeof(key));
    sc_wipe(kek, sizeof(kek));
    if (rc == 0 && f.oom) rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    if (rc != 0) {
        sc_buf_free(&f);
        return rc;
    }
    /* write a temporary file, then link it into place: link fails if another process created
     * the key first, and then that key is the one everybody uses */
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        sc_buf_free(&f);
        return sc_fail(e, SC_EIO, "datakey.write", "cannot create %s: %s", path, strerror(errno));
    }
    int ok = fchmod(fd, 0600) == 0 && write(fd, f.p, f.len) == (ssize_t)f.len && fsync(fd) == 0;
    close(fd);
    sc_buf_free(&f);
    if (!ok) {
        unlink(tmp);
        return sc_fail(e, SC_EIO, "datakey.write", "cannot write %s: %s", path, strerror(errno));
    }
    int lr = link(tmp, path), lerr = errno;
    unlink(tmp);
    if (lr != 0 && lerr == EEXIST && given)
        return sc_fail(e, SC_EEXIST, "datakey.exists", "%s exists already", path);
    if (lr != 0 && lerr != EEXIST)
        return sc_fail(e, SC_EIO, "datakey.write", "cannot create %s: %s", path, strerror(lerr));
    return 0;
}

static int dk_create(const char *path, const char *pass, size_t passlen, sc_err *e)
{
    return dk_write(path, pass, passlen, NULL, e);
}

int crypto_datakey_write(const char *path, const char *pass, size_t passlen,
                         const uint8_t key[DATAKEY_LEN], sc_err *e)
{
    return dk_write(path, pass, passlen, key, e);
}

int crypto_lookup_mac(const uint8_t key[DATAKEY_LEN], const char *label, const uint8_t *in,
                      size_t n, uint8_t out[32])
{
    size_t ll = label ? strlen(label) : 0;
    if (ll > DATAKEY_LABEL_MAX || n > LOOKUP_INPUT_MAX) return -1;
    uint8_t m[DATAKEY_LABEL_MAX + LOOKUP_INPUT_MAX];
    if (ll) memcpy(m, label, ll);
    if (n) memcpy(m + ll, in, n);
    crypto_hmac_sm3(key, DATAKEY_LEN, m, ll + n, out);
    sc_wipe(m, ll + n);
    return 0;
}

int crypto_datakey_load(const char *path, const char *pass, size_t passlen, int create,
                        uint8_t key[DATAKEY_LEN], sc_err *e)
{
    uint8_t *f = NULL;
    size_t n = 0;
    struct stat st;
    int rc;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        if (!create)
            return sc_fail(e, SC_ENOTFOUND, "datakey.absent", "the home has no data key (%s)",
                           path);
        if ((rc = dk_create(path, pass, passlen, e)) != 0) return rc;
    }
    rc = sc_file_read(path, DK_FILE_MAX, &f, &n);
    if (rc != 0)
        return sc_fail(e, rc == SC_ETOOBIG ? SC_EINVAL : SC_EIO, "datakey.read",
                       "cannot read the data key %s", path);
    rc = dk_decode(f, n, pass, passlen, key, e);
    free(f);
    return rc;
}

int crypto_datakey_label_ok(const char *label)
{
    size_t n = label ? strlen(label) : 0;
    if (n == 0 || n > DATAKEY_LABEL_MAX) return -1;
    for (size_t i = 0; i < n; i++)
        if (label[i] < 0x21 || label[i] > 0x7e) return -1;
    return 0;
}

static int aad_of(const char *label, uint8_t aad[16 + DATAKEY_LABEL_MAX], size_t *len, sc_err *e)
{
    if (crypto_datakey_label_ok(label) != 0)
        return sc_fail(e, SC_EINVAL, "vault.bad_label",
                       "a vault label is 1-63 printable ASCII characters");
    memcpy(aad, "sealca-vault-v1", 16); /* with its NUL: no label can extend the prefix */
    size_t n = strlen(label);
    memcpy(aad + 16, label, n);
    *len = 16 + n;
    return 0;
}

int crypto_datakey_seal(const uint8_t key[DATAKEY_LEN], const char *label, const uint8_t *pt,
                        size_t n, sc_buf *ct, sc_err *e)
{
    uint8_t aad[16 + DATAKEY_LABEL_MAX];
    size_t al;
    int rc = aad_of(label, aad, &al, e);
    return rc != 0 ? rc : crypto_aead_seal(key, aad, al, pt, n, ct, e);
}

int crypto_datakey_open(const uint8_t key[DATAKEY_LEN], const char *label, const uint8_t *ct,
                        size_t n, sc_buf *pt, sc_err *e)
{
    uint8_t aad[16 + DATAKEY_LABEL_MAX];
    size_t al;
    int rc = aad_of(label, aad, &al, e);
    if (rc != 0) return rc;
    if (crypto_aead_open(key, aad, al, ct, n, pt, NULL) != 0)
        return sc_fail(e, SC_EVERIFY, "vault.bad_tag",
                       "the sealed data does not open: wrong key, wrong label or tampered");
    return 0;
}
