/* outbox.c - queueing certificates and CRLs for directory publication, and their directory DNs. */
#include "pki/pki.h"

#include <ldap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* RFC 4514 syntax check and normalisation through libldap: attribute types in lower case
 * (they are case-insensitive; lower case is what directory tools print), values as given,
 * UTF-8 kept (LDAP_DN_PRETTY) rather than escaped byte by byte. */
static int dn_normalise(const char *in, char *out, size_t outsz)
{
    LDAPDN dn = NULL;
    if (ldap_str2dn(in, &dn, LDAP_DN_FORMAT_LDAPV3 | LDAP_DN_P_NOLEADTRAILSPACES) != LDAP_SUCCESS ||
        dn == NULL) {
        if (dn != NULL) ldap_dnfree(dn);
        return -1;
    }
    for (int i = 0; dn[i] != NULL; i++)
        for (int j = 0; dn[i][j] != NULL; j++) {
            struct berval *t = &dn[i][j]->la_attr;
            for (ber_len_t k = 0; k < t->bv_len; k++)
                if (t->bv_val[k] >= 'A' && t->bv_val[k] <= 'Z')
                    t->bv_val[k] = (char)(t->bv_val[k] - 'A' + 'a');
            /* a value given as #hex (BER) cannot name an entry sealca creates */
            if (dn[i][j]->la_flags & LDAP_AVA_BINARY) {
                ldap_dnfree(dn);
                return -1;
            }
        }
    char *s = NULL;
    int rc = ldap_dn2str(dn, &s, LDAP_DN_FORMAT_LDAPV3 | LDAP_DN_PRETTY);
    ldap_dnfree(dn);
    if (rc != LDAP_SUCCESS || s == NULL) return -1;
    size_t l = strlen(s);
    if (l == 0 || l >= outsz) {
        ldap_memfree(s);
        return -1;
    }
    memcpy(out, s, l + 1);
    ldap_memfree(s);
    return 0;
}

int outbox_dn(const uint8_t *name_der, size_t len, const char *base, char *out, size_t outsz,
              sc_err *e)
{
    char subj[OUTBOX_MAX_DN], full[2 * OUTBOX_MAX_DN + 2];
    if (outsz > 0) out[0] = 0;
    if (name_der_text(name_der, len, subj, sizeof(subj)) != 0 || subj[0] == 0)
        return sc_fail(e, SC_EINVAL, "outbox.bad_dn",
                       "the subject cannot name a directory entry (empty, damaged or too long)");
    int n =
        snprintf(full, sizeof(full), "%s%s%s", subj, base && *base ? "," : "", base ? base : "");
    if (n < 0 || (size_t)n >= sizeof(full) || dn_normalise(full, out, outsz) != 0) {
        if (outsz > 0) out[0] = 0;
        return sc_fail(e, SC_EINVAL, "outbox.bad_dn",
                       "the subject and ldap_base do not make a valid directory DN");
    }
    return 0;
}

int outbox_add(pki_ca *ca, const char *kind, const char *object, sc_slice subject,
               const uint8_t *der, size_t len, sc_err *e)
{
    if (ca->ldap[0] == 0) return 0;
    char dn[OUTBOX_MAX_DN];
    int rc = outbox_dn(subject.p, subject.len, ca->ldap_base, dn, sizeof(dn), e);
    if (rc != 0) return rc;
    store_stmt *st;
    if ((rc = store_stmt_get(ca->db, ST_OUTBOX_INSERT, &st, e)) != 0) return rc;
    int64_t now = (int64_t)time(NULL);
    store_bind_text(st, 1, kind);
    store_bind_text(st, 2, object);
    store_bind_text(st, 3, dn);
    store_bind_blob(st, 4, der, len);
    store_bind_int64(st, 5, now);
    store_bind_int64(st, 6, now);
    return store_exec(st, e);
}

/* A DN in sealca.conf: valid RFC 4514 and not too long. */
static int ldap_dn_ok(const char *v)
{
    char tmp[OUTBOX_MAX_DN];
    return strlen(v) < 512 && dn_normalise(v, tmp, sizeof(tmp)) == 0;
}

int ca_ldap_check(const char *url, const char *bind_dn, const char *password_file, const char *base,
                  sc_err *e)
{
    if (url == NULL || *url == 0) {
        if ((bind_dn && *bind_dn) || (password_file && *password_file) || (base && *base))
            return sc_fail(e, SC_EINVAL, "conf.bad_ldap",
                           "ldap_bind_dn, ldap_password_file and ldap_base need ldap (the "
                           "directory URL)");
        return 0;
    }
    /* ldap://host[:port][/]: plain LDAP only (a loopback or an internal directory host); no
     * DN, filter or extensions in the URL: the base is its own key */
    const char *h = url + 7;
    size_t hl = strcspn(h, "/");
    if (strncmp(url, "ldap://", 7) != 0 || strlen(url) > 200 || hl == 0 ||
        strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != hl ||
        (h[hl] == '/' && h[hl + 1] != 0))
        return sc_fail(e, SC_EINVAL, "conf.bad_ldap",
                       "ldap must be ldap://host[:port] (plain LDAP, no path)");
    LDAPURLDesc *lud = NULL;
    if (ldap_url_parse(url, &lud) != LDAP_URL_SUCCESS || lud == NULL || lud->lud_host == NULL ||
        lud->lud_host[0] == 0) {
        if (lud) ldap_free_urldesc(lud);
        return sc_fail(e, SC_EINVAL, "conf.bad_ldap", "ldap: not a valid ldap:// URL");
    }
    ldap_free_urldesc(lud);
    if (base == NULL || *base == 0 || !ldap_dn_ok(base))
        return sc_fail(e, SC_EINVAL, "conf.bad_ldap_base",
                       "ldap_base must be a DN such as dc=example,dc=cn (RFC 4514)");
    if (bind_dn && *bind_dn && !ldap_dn_ok(bind_dn))
        return sc_fail(e, SC_EINVAL, "conf.bad_ldap_bind_dn",
                       "ldap_bind_dn must be a DN such as cn=admin,dc=example,dc=cn");
    if ((bind_dn && *bind_dn) != (password_file && *password_file))
        return sc_fail(e, SC_EINVAL, "conf.bad_ldap_password_file",
                       "ldap_bind_dn and ldap_password_file go together (omit both to bind "
                       "anonymously)");
    if (password_file && (strlen(password_file) > PATH_MAX - 64 || strpbrk(password_file, "\r\n")))
        return sc_fail(e, SC_EINVAL, "conf.bad_ldap_password_file",
                       "ldap_password_file: path too long or not one line");
    return 0;
}
