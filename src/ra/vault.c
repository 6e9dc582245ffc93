/* vault.c - sealing personal data and materials under the data key, here or in the key process. */
#include "ra/vault.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/datakey.h"

struct vault {
    keyproc *kp;                 /* serving: requests go there */
    uint8_t key[DATAKEY_LEN];    /* offline only */
    uint8_t lookup[DATAKEY_LEN]; /* offline only, when the home has keys/lookup.key */
    int have_lookup;
};

static int key_path(const char *home, char *out, size_t outsz, sc_err *e)
{
    int n = snprintf(out, outsz, "%s/%s", home, DATAKEY_FILE);
    if (n < 0 || (size_t)n >= outsz) return sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
    return 0;
}

int vault_open_home(const char *home, const char *passphrase, vault **out, sc_err *e)
{
    *out = NULL;
    char path[PATH_MAX];
    int rc = key_path(home, path, sizeof(path), e);
    if (rc != 0) return rc;
    vault *v = calloc(1, sizeof(*v));
    if (v == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    rc = crypto_datakey_load(path, passphrase, passphrase ? strlen(passphrase) : 0, 1, v->key, e);
    if (rc == 0) {
        int n = snprintf(path, sizeof(path), "%s/%s", home, LOOKUPKEY_FILE);
        if (n < 0 || (size_t)n >= sizeof(path))
            rc = sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
        else if ((rc = crypto_datakey_load(path, passphrase, passphrase ? strlen(passphrase) : 0, 0,
                                           v->lookup, e)) == SC_ENOTFOUND) {
            sc_err_clear(e);
            rc = 0;
        } else if (rc == 0)
            v->have_lookup = 1;
    }
    if (rc != 0) {
        vault_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

int vault_from_keyproc(keyproc *kp, vault **out, sc_err *e)
{
    *out = NULL;
    if (kp == NULL) return sc_fail(e, SC_EINVAL, "vault.no_keyproc", "no key process");
    vault *v = calloc(1, sizeof(*v));
    if (v == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    v->kp = kp;
    *out = v;
    return 0;
}

int vault_init_home(const char *home, const char *passphrase, sc_err *e)
{
    vault *v = NULL;
    int rc = vault_open_home(home, passphrase, &v, e);
    vault_free(v);
    return rc;
}

int vault_seal(vault *v, const char *label, const uint8_t *pt, size_t n, sc_buf *ct, sc_err *e)
{
    if (v->kp != NULL) return keyproc_data_seal(v->kp, label, pt, n, ct, e);
    return crypto_datakey_seal(v->key, label, pt, n, ct, e);
}

int vault_unseal(vault *v, const char *label, const uint8_t *ct, size_t n, sc_buf *pt, sc_err *e)
{
    if (v->kp != NULL) return keyproc_data_open(v->kp, label, ct, n, pt, e);
    return crypto_datakey_open(v->key, label, ct, n, pt, e);
}

int vault_lookup_mac(vault *v, const char *label, const uint8_t *in, size_t n, uint8_t out[32],
                     sc_err *e)
{
    if (v->kp != NULL) return keyproc_lookup_mac(v->kp, label, in, n, out, e);
    if (!v->have_lookup)
        return sc_fail(e, SC_ESTATE, "ra.no_lookup_key",
                       "the home has no lookup key (%s): run sealca ra init", LOOKUPKEY_FILE);
    if (crypto_lookup_mac(v->lookup, label, in, n, out) != 0)
        return sc_fail(e, SC_EINVAL, "lookup.too_large", "lookup label or input too large");
    return 0;
}

void vault_free(vault *v)
{
    if (v == NULL) return;
    sc_wipe(v->key, sizeof(v->key));
    sc_wipe(v->lookup, sizeof(v->lookup));
    free(v);
}
