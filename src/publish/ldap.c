/* ldap.c - the directory publisher: drains the outbox into an LDAP directory with libldap. */
#include "publish/publish.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PASSWORD_MAX 1024        /* bytes of ldap_password_file */
#define CLAIM_LEASE  120         /* a claimed row is due again after this if its drainer died */
#define DONE_KEEP    (7 * 86400) /* rows done are kept this long */
#define OBJECT_MAX   80

typedef struct row {
    int64_t id;
    char kind[8];
    char object[OBJECT_MAX];
    char dn[OUTBOX_MAX_DN];
    uint8_t *der; /* owned */
    size_t derlen;
    int64_t attempts, next_attempt;
} row;

int64_t ldappub_backoff(int64_t attempts)
{
    if (attempts < 1) attempts = 1;
    if (attempts > 16) return LDAPPUB_BACKOFF_MAX;
    int64_t d = (int64_t)5 << (attempts - 1);
    return d > LDAPPUB_BACKOFF_MAX ? LDAPPUB_BACKOFF_MAX : d;
}

static int kind_is_cert(const row *r)
{
    return strcmp(r->kind, "cert") == 0;
}

static const char *kind_attr(const row *r)
{
    if (strcmp(r->kind, "cert") == 0) return "userCertificate;binary";
    if (strcmp(r->kind, "cacert") == 0) return "cACertificate;binary";
    if (strcmp(r->kind, "crl") == 0) return "certificateRevocationList;binary";
    if (strcmp(r->kind, "delta") == 0) return "deltaRevocationList;binary";
    return NULL;
}

/* The structural class for an entry named by an RDN of type t (lower case), or NULL. */
static const char *structural_for(const char *t, int leaf_cert, int leaf_ca)
{
    if (strcmp(t, "cn") == 0 || strcmp(t, "commonname") == 0)
        return leaf_cert ? "inetOrgPerson" : leaf_ca ? "applicationProcess" : "organizationalRole";
    if (strcmp(t, "c") == 0 || strcmp(t, "countryname") == 0) return "country";
    if (strcmp(t, "o") == 0 || strcmp(t, "organizationname") == 0) return "organization";
    if (strcmp(t, "ou") == 0 || strcmp(t, "organizationalunitname") == 0)
        return "organizationalUnit";
    if (strcmp(t, "l") == 0 || strcmp(t, "st") == 0 || strcmp(t, "localityname") == 0 ||
        strcmp(t, "stateorprovincename") == 0)
        return "locality";
    if (strcmp(t, "dc") == 0 || strcmp(t, "domaincomponent") == 0) return "domain";
    return NULL;
}

/* Error text for a row: the libldap message and the server's diagnostic, never a secret. */
static void ldap_errtext(LDAP *ld, int rc, const char *what, char *out, size_t outsz)
{
    char *diag = NULL;
    if (ld != NULL) ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
    snprintf(out, outsz, "%s: %s (%d)%s%.160s", what, ldap_err2string(rc), rc,
             diag && *diag ? ": " : "", diag ? diag : "");
    if (diag) ldap_memfree(diag);
}

static int value_put(LDAP *ld, const row *r)
{
    struct berval bv = {(ber_len_t)r->derlen, (char *)r->der};
    struct berval *vals[2] = {&bv, NULL};
    LDAPMod m = {0};
    m.mod_op = (kind_is_cert(r) ? LDAP_MOD_ADD : LDAP_MOD_REPLACE) | LDAP_MOD_BVALUES;
    m.mod_type = (char *)kind_attr(r);
    m.mod_bvalues = vals;
    LDAPMod *mods[2] = {&m, NULL};
    int rc = ldap_modify_ext_s(ld, r->dn, mods, NULL, NULL);
    /* the same certificate published twice (a retry after a lost reply) is success */
    if (rc == LDAP_TYPE_OR_VALUE_EXISTS && kind_is_cert(r)) rc = LDAP_SUCCESS;
    return rc;
}

/* Give an existing entry the auxiliary classes that allow the attribute. */
static int aux_add(LDAP *ld, const row *r)
{
    const char *cert_aux[] = {"pkiUser", NULL}, *ca_aux[] = {"pkiCA", "deltaCRL", NULL};
    const char **aux = kind_is_cert(r) ? cert_aux : ca_aux;
    for (int i = 0; aux[i]; i++) {
        char *vals[2] = {(char *)aux[i], NULL};
        LDAPMod m = {.mod_op = LDAP_MOD_ADD, .mod_type = "objectClass", .mod_values = vals};
        LDAPMod *mods[2] = {&m, NULL};
        int rc = ldap_modify_ext_s(ld, r->dn, mods, NULL, NULL);
        if (rc != LDAP_SUCCESS && rc != LDAP_TYPE_OR_VALUE_EXISTS) return rc;
    }
    return LDAP_SUCCESS;
}

/* 1 when the entry exists, 0 when not, or -1 with *lrc set. */
static int entry_exists(LDAP *ld, LDAPDN dn, int *lrc)
{
    char *s = NULL;
    if ((*lrc = ldap_dn2str(dn, &s, LDAP_DN_FORMAT_LDAPV3)) != LDAP_SUCCESS) return -1;
    char *attrs[2] = {LDAP_NO_ATTRS, NULL};
    struct timeval tv = {LDAPPUB_TIMEOUT, 0};
    LDAPMessage *res = NULL;
    *lrc = ldap_search_ext_s(ld, s, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 1, NULL, NULL, &tv,
                             1, &res);
    ldap_msgfree(res);
    ldap_memfree(s);
    if (*lrc == LDAP_SUCCESS) return 1;
    if (*lrc == LDAP_NO_SUCH_OBJECT) return 0;
    return -1;
}

#define ENTRY_MAX_MODS 12
/* Add the entry dn (RDN dn[0]); r is the row when it is the entry being published, NULL for a
 * parent. */
static int entry_add(LDAP *ld, LDAPDN dn, const row *r, char *err, size_t errsz)
{
    LDAPRDN rdn = dn[0];
    char types[ENTRY_MAX_MODS][64];
    struct berval vals[ENTRY_MAX_MODS], *vp[ENTRY_MAX_MODS][2];
    char *ocv[5] = {NULL};
    LDAPMod mods[ENTRY_MAX_MODS + 3], *mp[ENTRY_MAX_MODS + 4];
    int nm = 0, ncn = -1;
    if (rdn == NULL || rdn[0] == NULL) {
        snprintf(err, errsz, "an empty RDN names no entry");
        return LDAP_OTHER;
    }
    for (int j = 0; rdn[j] != NULL; j++) {
        if (j >= ENTRY_MAX_MODS - 1 || rdn[j]->la_attr.bv_len >= sizeof(types[j])) {
            snprintf(err, errsz, "entry %.200s: RDN too complex", r ? r->dn : "(parent)");
            return LDAP_OTHER;
        }
        memcpy(types[j], rdn[j]->la_attr.bv_val, rdn[j]->la_attr.bv_len);
        types[j][rdn[j]->la_attr.bv_len] = 0;
        for (char *c = types[j]; *c; c++)
            if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
        vals[j] = rdn[j]->la_value;
        vp[j][0] = &vals[j];
        vp[j][1] = NULL;
        mods[nm] = (LDAPMod){
            .mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES, .mod_type = types[j], .mod_bvalues = vp[j]};
        nm++;
        if (strcmp(types[j], "cn") == 0 || strcmp(types[j], "commonname") == 0) ncn = j;
    }
    int leaf_cert = r != NULL && kind_is_cert(r), leaf_ca = r != NULL && !kind_is_cert(r);
    const char *st = structural_for(ncn >= 0 ? "cn" : types[0], leaf_cert, leaf_ca);
    if (st == NULL) {
        snprintf(err, errsz,
                 "no object class for an entry named by %.40s (use cn, o, ou, l, st, "
                 "c or dc)",
                 types[0]);
        return LDAP_OTHER;
    }
    int no = 0;
    ocv[no++] = (char *)st;
    if (leaf_ca) {
        ocv[no++] = "pkiCA";
        ocv[no++] = "deltaCRL";
    } else if (leaf_cert && strcmp(st, "inetOrgPerson") != 0) {
        ocv[no++] = "pkiUser";
    }
    mods[nm++] = (LDAPMod){.mod_op = LDAP_MOD_ADD, .mod_type = "objectClass", .mod_values = ocv};
    struct berval *snv[2] = {ncn >= 0 ? &vals[ncn] : NULL, NULL};
    if (leaf_cert && ncn >= 0) /* inetOrgPerson (person) requires sn: the cn stands in */
        mods[nm++] = (LDAPMod){
            .mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES, .mod_type = "sn", .mod_bvalues = snv};
    struct berval pv = {0};
    struct berval *pvp[2] = {&pv, NULL};
    if (r != NULL) {
        pv.bv_len = (ber_len_t)r->derlen;
        pv.bv_val = (char *)r->der;
        mods[nm++] = (LDAPMod){.mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES,
                               .mod_type = (char *)kind_attr(r),
                               .mod_bvalues = pvp};
    }
    for (int i = 0; i < nm; i++)
        mp[i] = &mods[i];
    mp[nm] = NULL;
    char *s = NULL;
    int rc = ldap_dn2str(dn, &s, LDAP_DN_FORMAT_LDAPV3);
    if (rc == LDAP_SUCCESS) rc = ldap_add_ext_s(ld, s, mp, NULL, NULL);
    if (rc != LDAP_SUCCESS && rc != LDAP_ALREADY_EXISTS)
        ldap_errtext(ld, rc, r ? "add entry" : "add parent entry", err, errsz);
    ldap_memfree(s);
    return rc;
}

/* Create the row's entry with its value, and the missing entries above it down from
 * ldap_base (itself included). */
static int entry_create(LDAP *ld, const row *r, const char *base, char *err, size_t errsz)
{
    LDAPDN dn = NULL, bdn = NULL;
    int rc = ldap_str2dn(r->dn, &dn, LDAP_DN_FORMAT_LDAPV3);
    if (rc == LDAP_SUCCESS) rc = ldap_str2dn(base, &bdn, LDAP_DN_FORMAT_LDAPV3);
    if (rc != LDAP_SUCCESS) {
        snprintf(err, errsz, "entry %.200s: not a valid DN", r->dn);
        goto out;
    }
    int n = 0, b = 0;
    while (dn[n])
        n++;
    while (bdn[b])
        b++;
    int top = n - b; /* index of the ldap_base entry */
    if (top < 1) {
        rc = LDAP_OTHER;
        snprintf(err, errsz, "entry %.200s is not below ldap_base", r->dn);
        goto out;
    }
    int first = top + 1; /* the nearest existing ancestor */
    for (int i = 1; i <= top; i++) {
        int x = entry_exists(ld, dn + i, &rc);
        if (x < 0) {
            ldap_errtext(ld, rc, "look up parent entry", err, errsz);
            goto out;
        }
        if (x == 1) {
            first = i;
            break;
        }
    }
    for (int i = first - 1; i >= 1; i--)
        if ((rc = entry_add(ld, dn + i, NULL, err, errsz)) != LDAP_SUCCESS &&
            rc != LDAP_ALREADY_EXISTS)
            goto out;
    rc = entry_add(ld, dn, r, err, errsz);
out:
    if (dn) ldap_dnfree(dn);
    if (bdn) ldap_dnfree(bdn);
    return rc;
}

/* Publish one row: LDAP_SUCCESS, or an LDAP result code with err filled. */
static int row_publish(LDAP *ld, const row *r, const char *base, char *err, size_t errsz)
{
    if (kind_attr(r) == NULL) {
        snprintf(err, errsz, "unknown outbox kind %.8s", r->kind);
        return LDAP_OTHER;
    }
    int rc = value_put(ld, r);
    if (rc == LDAP_NO_SUCH_OBJECT) {
        err[0] = 0;
        rc = entry_create(ld, r, base, err, errsz);
        if (rc == LDAP_ALREADY_EXISTS) /* created meanwhile by another publisher */
            rc = value_put(ld, r);
        else if (rc != LDAP_SUCCESS)
            return rc;
    } else if (rc == LDAP_OBJECT_CLASS_VIOLATION) {
        if ((rc = aux_add(ld, r)) == LDAP_SUCCESS) rc = value_put(ld, r);
    }
    if (rc != LDAP_SUCCESS) ldap_errtext(ld, rc, kind_attr(r), err, errsz);
    return rc;
}

/* Connect and bind; LDAP_SUCCESS with *out set, or an LDAP code with err filled. */
static int dir_connect(pki_ca *ca, LDAP **out, char *err, size_t errsz)
{
    *out = NULL;
    LDAP *ld = NULL;
    int rc = ldap_initialize(&ld, ca->ldap);
    if (rc != LDAP_SUCCESS) {
        ldap_errtext(NULL, rc, "connect", err, errsz);
        return rc;
    }
    int v3 = LDAP_VERSION3;
    struct timeval tv = {LDAPPUB_TIMEOUT, 0};
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    uint8_t *pw = NULL;
    size_t pwlen = 0;
    if (ca->ldap_password_file[0]) {
        char path[2 * PATH_MAX + 2];
        int pn = ca->ldap_password_file[0] == '/'
                     ? snprintf(path, sizeof(path), "%s", ca->ldap_password_file)
                     : snprintf(path, sizeof(path), "%s/%s", ca->home, ca->ldap_password_file);
        int frc = pn < 0 || (size_t)pn >= PATH_MAX ? SC_EINVAL
                                                   : sc_file_read(path, PASSWORD_MAX, &pw, &pwlen);
        if (frc != 0) {
            snprintf(err, errsz, "ldap_password_file %.200s: %s", ca->ldap_password_file,
                     frc == SC_ETOOBIG ? "larger than 1 KiB" : "cannot read it");
            ldap_unbind_ext_s(ld, NULL, NULL);
            return LDAP_OTHER;
        }
        while (pwlen > 0 && (pw[pwlen - 1] == '\n' || pw[pwlen - 1] == '\r'))
            pwlen--;
    }
    struct berval cred = {(ber_len_t)pwlen, (char *)pw};
    rc = ldap_sasl_bind_s(ld, ca->ldap_bind_dn[0] ? ca->ldap_bind_dn : NULL, LDAP_SASL_SIMPLE,
                          &cred, NULL, NULL, NULL);
    if (pw != NULL) {
        sc_wipe(pw, pwlen);
        free(pw);
    }
    if (rc != LDAP_SUCCESS) {
        ldap_errtext(ld, rc, "bind", err, errsz);
        ldap_unbind_ext_s(ld, NULL, NULL);
        return rc;
    }
    *out = ld;
    return LDAP_SUCCESS;
}

/* Load up to max due rows (copies: the statement is reset before any update). */
static int rows_due(store *db, int64_t now, size_t max, row **out, size_t *n, sc_err *e)
{
    *out = NULL;
    *n = 0;
    store_stmt *st;
    int rc = store_stmt_get(db, ST_OUTBOX_DUE, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, (int64_t)max);
    row *rows = calloc(max ? max : 1, sizeof(*rows));
    if (rows == NULL) {
        store_exec(st, NULL);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    size_t k = 0;
    while (k < max && (rc = store_step(st, e)) == STORE_ROW) {
        row *r = &rows[k];
        size_t dl = 0;
        const uint8_t *d = store_col_blob(st, 4, &dl);
        r->id = store_col_int64(st, 0);
        snprintf(r->kind, sizeof(r->kind), "%s", store_col_text(st, 1, NULL));
        snprintf(r->object, sizeof(r->object), "%s", store_col_text(st, 2, NULL));
        snprintf(r->dn, sizeof(r->dn), "%s", store_col_text(st, 3, NULL));
        r->attempts = store_col_int64(st, 5);
        r->next_attempt = store_col_int64(st, 6);
        if ((r->der = malloc(dl ? dl : 1)) == NULL) {
            rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
            break;
        }
        memcpy(r->der, d, dl);
        r->derlen = dl;
        k++;
    }
    store_exec(st, NULL);
    *out = rows;
    *n = k;
    return rc < 0 ? rc : 0;
}

static void rows_free(row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].der);
    free(rows);
}

/* Take the row unless another drainer did: 1 taken, 0 not, or a negative status. */
static int row_claim(store *db, row *r, int64_t now, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(db, ST_OUTBOX_CLAIM, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, now + CLAIM_LEASE);
    store_bind_int64(st, 2, r->id);
    store_bind_int64(st, 3, r->next_attempt);
    if ((rc = store_exec(st, e)) != 0) return rc;
    return store_changes(db) == 1;
}

/* 1 when a newer row replaces the same attribute of the same entry (CRLs, CA certificates). */
static int row_superseded(store *db, const row *r, sc_err *e)
{
    if (kind_is_cert(r)) return 0;
    store_stmt *st;
    int rc = store_stmt_get(db, ST_OUTBOX_NEWER, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, r->kind);
    store_bind_text(st, 2, r->dn);
    store_bind_int64(st, 3, r->id);
    int64_t c = 0;
    if ((rc = store_step(st, e)) == STORE_ROW) c = store_col_int64(st, 0);
    store_exec(st, NULL);
    if (rc < 0) return rc;
    return c > 0;
}

static int row_done(store *db, const row *r, int64_t now, const char *note, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(db, ST_OUTBOX_DONE, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, now);
    store_bind_text(st, 2, note);
    store_bind_int64(st, 3, r->id);
    return store_exec(st, e);
}

static int row_retry(store *db, const row *r, int64_t now, const char *why, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(db, ST_OUTBOX_RETRY, &st, e);
    if (rc != 0) return rc;
    store_bind_int64(st, 1, r->attempts + 1);
    store_bind_int64(st, 2, now + ldappub_backoff(r->attempts + 1));
    store_bind_text(st, 3, why);
    store_bind_int64(st, 4, r->id);
    return store_exec(st, e);
}

/* libldap codes after which the connection is gone: the rest of the batch is not tried. */
static int conn_lost(int rc)
{
    return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
           rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

static int pending_count(store *db, int64_t *out, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(db, ST_OUTBOX_PENDING, &st, e);
    if (rc != 0) return rc;
    if ((rc = store_step(st, e)) == STORE_ROW) *out = store_col_int64(st, 0);
    store_exec(st, NULL);
    return rc < 0 ? rc : 0;
}

int ldappub_drain(pki_ca *ca, size_t max, ldappub_stats *stp, sc_err *e)
{
    ldappub_stats dummy = {0};
    ldappub_stats *st = stp ? stp : &dummy;
    memset(st, 0, sizeof(*st));
    if (ca->ldap[0] == 0 || max == 0) return 0;
    int64_t now = (int64_t)time(NULL);
    row *rows = NULL;
    size_t n = 0;
    int rc = rows_due(ca->db, now, max, &rows, &n, e);
    LDAP *ld = NULL;
    char down[320] = ""; /* set: the directory cannot be reached, every row gets this */
    if (rc == 0 && n > 0 && dir_connect(ca, &ld, down, sizeof(down)) == LDAP_SUCCESS) down[0] = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        row *r = &rows[i];
        int c = row_claim(ca->db, r, now, e);
        if (c <= 0) {
            rc = c;
            continue;
        }
        char err[320] = "";
        int s = down[0] ? 0 : row_superseded(ca->db, r, e);
        if (s < 0) {
            rc = s;
            break;
        }
        if (s == 1) {
            rc = row_done(ca->db, r, now, "superseded by a newer row", e);
            st->superseded++;
            continue;
        }
        int lrc = down[0] ? LDAP_SERVER_DOWN : row_publish(ld, r, ca->ldap_base, err, sizeof(err));
        if (lrc == LDAP_SUCCESS) {
            rc = row_done(ca->db, r, (int64_t)time(NULL), NULL, e);
            st->published++;
        } else {
            if (down[0] == 0 && conn_lost(lrc)) snprintf(down, sizeof(down), "%s", err);
            rc = row_retry(ca->db, r, now, down[0] ? down : err, e);
            st->failed++;
        }
    }
    if (ld != NULL) ldap_unbind_ext_s(ld, NULL, NULL);
    rows_free(rows, n);
    if (rc == 0) {
        store_stmt *ps;
        if ((rc = store_stmt_get(ca->db, ST_OUTBOX_PRUNE, &ps, e)) == 0) {
            store_bind_int64(ps, 1, now - DONE_KEEP);
            rc = store_exec(ps, e);
        }
    }
    if (rc == 0) rc = pending_count(ca->db, &st->pending, e);
    return rc;
}

int ldappub_retry_now(pki_ca *ca, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_OUTBOX_RESET, &st, e);
    if (rc != 0) return rc;
    int64_t now = (int64_t)time(NULL);
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, now);
    return store_exec(st, e);
}
