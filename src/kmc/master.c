/* master.c - the KMC master key and the narrow operations done with it (in the key process while
 * serving, in the CLI process offline): escrow, enveloping, judicial export, unlock answers. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmc/kmc.h"
#include "token/token.h"

static void derive(const uint8_t d[32], const char *label, uint8_t out[32])
{
    crypto_hmac_sm3(d, 32, label, strlen(label), out);
}

static int master_path(const char *home, char *out, size_t n)
{
    int w = snprintf(out, n, "%s/%s", home, KMC_MASTER_FILE);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

int kmc_master_create(const char *home, const char *pass, size_t passlen, sc_err *e)
{
    char path[PATH_MAX], dir[PATH_MAX];
    if (master_path(home, path, sizeof(path)) != 0)
        return sc_fail(e, SC_EINVAL, "kmc.path", "home path too long");
    if (access(path, F_OK) == 0)
        return sc_fail(e, SC_EEXIST, "kmc.master_exists",
                       "%s exists: the KMC master key is "
                       "never replaced",
                       path);
    snprintf(dir, sizeof(dir), "%s/kmc", home);
    mkdir(dir, 0700);
    sc_key *k = NULL;
    int rc = crypto_key_generate(SC_ALG_SM2, &k, e);
    if (rc == 0) rc = crypto_key_save(k, path, pass, passlen, e);
    crypto_key_free(k);
    return rc;
}

int kmc_master_load(const char *path, const char *pass, size_t passlen, kmc_master *m, sc_err *e)
{
    sc_key *k = NULL;
    uint8_t d[32];
    int rc = crypto_key_load(path, pass, passlen, &k, e);
    if (rc != 0) return rc;
    if (crypto_key_alg(k) != SC_ALG_SM2 || crypto_key_sm2_private(k, d) != 0) {
        crypto_key_free(k);
        return sc_fail(e, SC_EINVAL, "kmc.bad_master", "the KMC master key is not an SM2 key");
    }
    derive(d, "sealca-kmc-escrow-v1", m->escrow);
    derive(d, "sealca-kmc-device-admin-v1", m->device);
    sc_wipe(d, sizeof(d));
    crypto_key_free(k);
    return 0;
}

int kmc_op_generate(const kmc_master *m, uint8_t pub[65], sc_buf *blob, sc_err *e)
{
    sc_key *k = NULL;
    uint8_t d[32];
    int rc = crypto_key_generate(SC_ALG_SM2, &k, e);
    if (rc != 0) return rc;
    crypto_key_sm2_point(k, pub);
    crypto_key_sm2_private(k, d);
    crypto_key_free(k);
    rc = sc_buf_append(blob, pub, 65);
    if (rc == 0) rc = crypto_aead_seal(m->escrow, pub, 65, d, 32, blob, e);
    sc_wipe(d, sizeof(d));
    return rc;
}

/* The escrowed private key of blob, checked against the public key the blob names. */
static int blob_open(const kmc_master *m, const uint8_t *blob, size_t len, sc_key **out, sc_err *e)
{
    *out = NULL;
    sc_buf d = {0};
    sc_key *k = NULL;
    uint8_t pt[65];
    int rc;
    if (len < 65 + 49 || len > 1024 ||
        crypto_aead_open(m->escrow, blob, 65, blob + 65, len - 65, &d, NULL) != 0 || d.len != 32) {
        rc = sc_fail(e, SC_EVERIFY, "kmc.escrow_corrupt",
                     "an escrowed key fails its integrity check (damaged, or not from this KMC)");
        goto out;
    }
    if ((rc = crypto_key_sm2_from_private(d.p, &k, e)) != 0) goto out;
    crypto_key_sm2_point(k, pt);
    if (memcmp(pt, blob, 65) != 0) {
        rc = sc_fail(e, SC_EVERIFY, "kmc.escrow_corrupt", "an escrowed key does not match");
        goto out;
    }
    *out = k;
    k = NULL;
out:
    sc_buf_wipe(&d);
    crypto_key_free(k);
    return rc;
}

int kmc_op_envelope(const kmc_master *m, const uint8_t *blob, size_t len, const uint8_t recip[65],
                    sc_buf *out, sc_err *e)
{
    sc_key *k = NULL, *r = NULL;
    int rc = blob_open(m, blob, len, &k, e);
    if (rc == 0) rc = crypto_key_sm2_from_point(recip, &r, e);
    if (rc == 0) rc = envkey_seal(k, r, out, e);
    crypto_key_free(k);
    crypto_key_free(r);
    return rc;
}

int kmc_op_export_p8(const kmc_master *m, const uint8_t *blob, size_t len, const char *pass,
                     size_t passlen, sc_buf *pem, sc_err *e)
{
    if (passlen < 8)
        return sc_fail(e, SC_EINVAL, "kmc.weak_password",
                       "the release password must be at least 8 characters");
    sc_key *k = NULL;
    int rc = blob_open(m, blob, len, &k, e);
    if (rc == 0) rc = crypto_key_export(k, pass, passlen, pem, e);
    crypto_key_free(k);
    return rc;
}

void kmc_op_device_pin(const kmc_master *m, const char *serial, char pin[33])
{
    uint8_t h[32];
    crypto_hmac_sm3(m->device, 32, serial, strlen(serial), h);
    sc_hex_encode(h, 16, pin, 1); /* 32 hex characters: within the token's PIN limits */
    sc_wipe(h, sizeof(h));
}

int kmc_op_unlock(const kmc_master *m, const uint8_t *req, size_t reqlen, const char *new_pin,
                  sc_buf *ans, sc_err *e)
{
    token_unlock_req q;
    int rc = token_unlock_req_parse(req, reqlen, &q, e);
    if (rc != 0) return rc;
    /* a request cannot make the key process spend more than 256 MiB */
    if (q.kdf_mem > (256u << 20))
        return sc_fail(e, SC_EINVAL, "unlock.bad_request", "the request's KDF cost is too high");
    char pin[33];
    kmc_op_device_pin(m, q.serial, pin);
    rc = token_unlock_answer(&q, pin, new_pin, ans, e);
    sc_wipe(pin, sizeof(pin));
    return rc;
}

/* ---- the in-process backend ---- */

static int l_generate(void *ctx, uint8_t pub[65], sc_buf *blob, sc_err *e)
{
    return kmc_op_generate(ctx, pub, blob, e);
}
static int l_envelope(void *ctx, const uint8_t *blob, size_t len, const uint8_t recip[65],
                      sc_buf *out, sc_err *e)
{
    return kmc_op_envelope(ctx, blob, len, recip, out, e);
}
static int l_export(void *ctx, const uint8_t *blob, size_t len, const char *pass, size_t passlen,
                    sc_buf *pem, sc_err *e)
{
    return kmc_op_export_p8(ctx, blob, len, pass, passlen, pem, e);
}
static int l_unlock(void *ctx, const uint8_t *req, size_t reqlen, const char *new_pin, sc_buf *ans,
                    sc_err *e)
{
    return kmc_op_unlock(ctx, req, reqlen, new_pin, ans, e);
}
static int l_device_pin(void *ctx, const char *serial, char pin[33], sc_err *e)
{
    kmc_op_device_pin(ctx, serial, pin);
    return 0;
}
static void l_close(void *ctx)
{
    if (ctx == NULL) return;
    sc_wipe(ctx, sizeof(kmc_master));
    free(ctx);
}

int kmc_backend_local(const char *home, const char *pass, size_t passlen, kmc_backend *be,
                      sc_err *e)
{
    memset(be, 0, sizeof(*be));
    char path[PATH_MAX];
    if (master_path(home, path, sizeof(path)) != 0)
        return sc_fail(e, SC_EINVAL, "kmc.path", "home path too long");
    if (access(path, F_OK) != 0)
        return sc_fail(e, SC_ESTATE, "kmc.not_initialised",
                       "this home has no KMC master key: run sealca kmc init");
    if (pass == NULL)
        return sc_fail(e, SC_EINVAL, "ca.no_passphrase",
                       "the KMC needs the key passphrase (SEALCA_PASSPHRASE or --passphrase-file)");
    kmc_master *m = calloc(1, sizeof(*m));
    if (m == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    int rc = kmc_master_load(path, pass, passlen, m, e);
    if (rc != 0) {
        free(m);
        return rc;
    }
    be->ctx = m;
    be->generate = l_generate;
    be->envelope = l_envelope;
    be->export_p8 = l_export;
    be->unlock = l_unlock;
    be->device_pin = l_device_pin;
    be->close = l_close;
    return 0;
}
