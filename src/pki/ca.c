/* ca.c - a CA home: creation (init), opening, issuers and their keys, chain, rollover. */
#include "pki/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/conf.h"

#define DAY 86400LL
/* Backdate notBefore so that relying parties with a slightly slow clock accept a new cert. */
#define BACKDATE 600

static const char *const config_keys[] = {
    "name", "algo", "base_url", "database", "crl_hours", "ocsp_hours", "ldap", "ldap_bind_dn",
    "ldap_password_file", "ldap_base",
    /* registration service (ra/notify.c, ra/workdays.c) */
    "smtp_url", "smtp_from", "smtp_user", "smtp_password_file", "smtp_starttls", "holidays",
    "workdays",
    /* time-stamping authority (tsa/tsa.c): the TSTInfo policy OID */
    "tsa_policy", NULL};

/* Copy checked directory settings into the CA handle (all fit: ca_ldap_check bounds them). */
static void ca_set_ldap(pki_ca *ca, const char *url, const char *bind_dn, const char *pwfile,
                        const char *base)
{
    snprintf(ca->ldap, sizeof(ca->ldap), "%s", url ? url : "");
    snprintf(ca->ldap_bind_dn, sizeof(ca->ldap_bind_dn), "%s", bind_dn ? bind_dn : "");
    snprintf(ca->ldap_password_file, sizeof(ca->ldap_password_file), "%s", pwfile ? pwfile : "");
    snprintf(ca->ldap_base, sizeof(ca->ldap_base), "%s", base ? base : "");
}

/* CA certificates go to the directory as cACertificate on the CA's own entry; OCSP signers,
 * seal makers and link certificates are not CA entries of their own. */
static int ca_outbox_cacert(pki_ca *ca, const pki_issuer *is, sc_err *e)
{
    if (strcmp(is->role, "root") != 0 && strcmp(is->role, "issuing") != 0) return 0;
    return outbox_add(ca, "cacert", is->id, is->subject_der, is->der, is->derlen, e);
}

static int path_join(char *out, size_t outsz, const char *home, const char *rel)
{
    size_t hl = strlen(home), rl = strlen(rel);
    if (hl + 1 + rl + 1 > outsz) return -1;
    memcpy(out, home, hl);
    out[hl] = '/';
    memcpy(out + hl + 1, rel, rl + 1);
    return 0;
}

/* A Name of C=CN, O=org, CN=cn (encoding order). */
static int make_name(sc_name *n, const char *org, const char *cn, sc_err *e)
{
    memset(n, 0, sizeof(*n));
    const char *vals[3] = {"CN", org, cn};
    name_type types[3] = {NAME_C, NAME_O, NAME_CN};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(vals[i]);
        if (l == 0 || l > NAME_MAX_VALUE)
            return sc_fail(e, SC_EINVAL, "ca.bad_name", "CA name is empty or too long");
        n->attr[i].type = types[i];
        memcpy(n->attr[i].value, vals[i], l + 1);
        n->attr[i].len = l;
    }
    n->n = 3;
    return 0;
}

static void random_serial(uint8_t s[16])
{
    /* RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random bytes with a non-zero, positive
     * first byte so every serial encodes in exactly 16 bytes. */
    crypto_random(s, 16);
    s[0] &= 0x7f;
    if (s[0] == 0) s[0] = 0x01;
}

static void issuer_free_fields(pki_issuer *is)
{
    free(is->remote_ctx);
    free(is->der);
    crypto_key_free(is->pub);
    crypto_key_free(is->key);
    memset(is, 0, sizeof(*is));
}

/* Fill the derived fields of an issuer from its certificate DER (takes ownership of der). */
static int issuer_from_der(pki_issuer *is, uint8_t *der, size_t len, sc_err *e)
{
    is->der = der;
    is->derlen = len;
    if (cert_fields(der, len, &is->subject_der, NULL, &is->not_before, &is->not_after) != 0)
        return sc_fail(e, SC_EINVAL, "ca.bad_cert", "issuer %s: damaged certificate", is->id);
    int rc = cert_pubkey(der, len, &is->pub, e);
    if (rc != 0) return rc;
    size_t l = 0;
    uint8_t ki[32];
    if ((rc = crypto_key_id(is->pub, ki, &l, e)) != 0) return rc;
    memcpy(is->ski, ki, 20);
    is->alg = crypto_key_alg(is->pub);
    if (name_der_text(is->subject_der.p, is->subject_der.len, is->subject, sizeof(is->subject)) !=
        0)
        snprintf(is->subject, sizeof(is->subject), "?");
    return 0;
}

static int issuer_insert(store *s, const pki_issuer *is, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_ISSUER_INSERT, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, is->id);
    store_bind_text(st, 2, is->role);
    store_bind_text(st, 3, is->parent[0] ? is->parent : NULL);
    store_bind_text(st, 4, crypto_alg_name(is->alg));
    store_bind_text(st, 5, is->subject);
    store_bind_text(st, 6, is->serial);
    store_bind_int64(st, 7, is->not_before);
    store_bind_int64(st, 8, is->not_after);
    store_bind_blob(st, 9, is->der, is->derlen);
    store_bind_text(st, 10, is->key_file[0] ? is->key_file : NULL);
    store_bind_text(st, 11, is->active ? "active" : "retired");
    store_bind_int64(st, 12, (int64_t)time(NULL));
    if ((rc = store_exec(st, e)) != 0) return rc;
    /* each signing CA numbers its CRLs from its own counter */
    if (strcmp(is->role, "root") == 0 || strcmp(is->role, "issuing") == 0) {
        char cname[64];
        snprintf(cname, sizeof(cname), "crl:%s", is->id);
        if ((rc = store_stmt_get(s, ST_COUNTER_INIT, &st, e)) != 0) return rc;
        store_bind_text(st, 1, cname);
        store_bind_int64(st, 2, 0);
        rc = store_exec(st, e);
    }
    return rc;
}

/*
 * Make one issuer certificate: a key (generated unless given), the certificate signed by
 * `parent` (NULL: self-signed) with `parent_key`, and the pki_issuer record.
 */
typedef struct mk {
    const char *id, *role, *profile, *cn;
    pki_issuer *parent;
    sc_key *parent_key;
    int days;
    int path_len;
    int with_key; /* generate and keep a private key */
} mk;

static int make_issuer(pki_ca *ca, store *s, const mk *m, const char *org, pki_issuer *out,
                       sc_err *e)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", m->id);
    snprintf(out->role, sizeof(out->role), "%s", m->role);
    if (m->parent)
        snprintf(out->parent, sizeof(out->parent), "%s", m->parent->id);
    else
        snprintf(out->parent, sizeof(out->parent), "%s", m->id);
    out->active = 1;
    pki_profile *pr = malloc(sizeof(*pr));
    sc_name *nm = malloc(sizeof(*nm));
    sc_key *k = NULL;
    sc_buf der = {0};
    int rc;
    if (pr == NULL || nm == NULL) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    if ((rc = profile_get(s, m->profile, pr, e)) != 0 || (rc = make_name(nm, org, m->cn, e)) != 0)
        goto out;
    if ((rc = crypto_key_generate(ca->alg, &k, e)) != 0) goto out;
    cert_tbs t = {0};
    t.prof = pr;
    t.subject = nm;
    t.pub = k;
    t.not_before = (int64_t)time(NULL) - BACKDATE;
    t.not_after = t.not_before + BACKDATE + m->days * DAY;
    if (m->parent && t.not_after > m->parent->not_after) t.not_after = m->parent->not_after;
    t.base_url = ca->base_url;
    t.path_len = m->path_len;
    random_serial(t.serial);
    sc_hex_encode(t.serial, 16, out->serial, 0);
    if ((rc = cert_build(&t, m->parent, m->parent ? m->parent_key : k, &der, e)) != 0) goto out;
    size_t dl = 0;
    uint8_t *d = sc_buf_steal(&der, &dl);
    if ((rc = issuer_from_der(out, d, dl, e)) != 0) goto out;
    snprintf(out->key_file, sizeof(out->key_file), "keys/%s.key", m->id);
    char path[PATH_MAX];
    if (path_join(path, sizeof(path), ca->home, out->key_file) != 0) {
        rc = sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
        goto out;
    }
    if ((rc = crypto_key_save(k, path, ca->pass, ca->passlen, e)) != 0) goto out;
    out->key = k;
    k = NULL;
out:
    crypto_key_free(k);
    sc_buf_free(&der);
    free(pr);
    free(nm);
    return rc;
}

static int write_pem_file(pki_ca *ca, const pki_issuer *is)
{
    char path[PATH_MAX], rel[96];
    snprintf(rel, sizeof(rel), "certs/%s.pem", is->id);
    if (path_join(path, sizeof(path), ca->home, rel) != 0) return SC_EINVAL;
    sc_buf pem = {0};
    int rc = cert_pem(is->der, is->derlen, &pem);
    if (rc == 0) rc = sc_file_write_atomic(path, pem.p, pem.len, 0644);
    sc_buf_free(&pem);
    return rc;
}

static int write_chain_file(pki_ca *ca, sc_err *e)
{
    pki_issuer *iss = ca_active_issuing(ca);
    if (iss == NULL) return 0;
    sc_buf pem = {0};
    char path[PATH_MAX];
    int rc = ca_chain_pem(ca, iss, &pem, e);
    if (rc == 0 && path_join(path, sizeof(path), ca->home, "certs/chain.pem") == 0)
        rc = sc_file_write_atomic(path, pem.p, pem.len, 0644);
    sc_buf_free(&pem);
    return rc;
}

/* The store URL for the home's `database` value: a relative sqlite: path is under the home. */
static int ca_database_url(const char *home, const char *v, char *out, size_t outsz, sc_err *e)
{
    if (strncmp(v, "sqlite:", 7) != 0 && strncmp(v, "postgres://", 11) != 0 &&
        strncmp(v, "postgresql://", 13) != 0)
        return sc_fail(e, SC_EINVAL, "ca.bad_database",
                       "database must be sqlite:PATH, postgres://… or postgresql://…");
    if (strlen(v) > 1000 || strpbrk(v, "\r\n") != NULL)
        return sc_fail(e, SC_EINVAL, "ca.bad_database", "database URL too long or not one line");
    int n;
    if (strncmp(v, "sqlite:", 7) == 0 && v[7] != '/')
        n = snprintf(out, outsz, "sqlite:%s/%s", home, v + 7);
    else
        n = snprintf(out, outsz, "%s", v);
    if (n < 0 || (size_t)n >= outsz)
        return sc_fail(e, SC_EINVAL, "ca.path", "database path too long");
    return 0;
}

/* A database that already holds a CA is never initialised over. */
static int ca_database_empty(store *s, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_ISSUER_LIST, &st, e);
    if (rc != 0) return rc;
    rc = store_step(st, e);
    store_exec(st, NULL);
    if (rc < 0) return rc;
    if (rc == STORE_ROW)
        return sc_fail(e, SC_EEXIST, "ca.database_in_use",
                       "the database already holds a CA: refusing to initialise over it");
    return 0;
}

static int dir_is_empty_or_absent(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) return errno == ENOENT;
    struct dirent *de;
    int empty = 1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

int ca_init(const ca_init_opts *o, sc_err *e)
{
    if (o->pass == NULL || o->passlen == 0)
        return sc_fail(e, SC_EINVAL, "ca.no_passphrase",
                       "a passphrase is required to encrypt the CA keys "
                       "(SEALCA_PASSPHRASE or --passphrase-file)");
    const char *name = o->name ? o->name : "sealca CA";
    if (strlen(name) == 0 || strlen(name) > 50)
        return sc_fail(e, SC_EINVAL, "ca.bad_name", "--name must be 1-50 bytes");
    if (o->base_url && *o->base_url &&
        (strncmp(o->base_url, "http://", 7) != 0 || strlen(o->base_url) > 200 ||
         strpbrk(o->base_url, " \"<>\\^`{|}") != NULL ||
         o->base_url[strlen(o->base_url) - 1] == '/'))
        return sc_fail(e, SC_EINVAL, "ca.bad_base_url",
                       "--base-url must be a plain http:// URL without a trailing slash (CRL and "
                       "OCSP are served over HTTP, as relying parties expect)");
    if (strlen(o->home) > PATH_MAX - 64)
        return sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
    if (!dir_is_empty_or_absent(o->home))
        return sc_fail(e, SC_EEXIST, "ca.home_exists",
                       "%s exists and is not empty: refusing to overwrite a CA home", o->home);
    int lrc = ca_ldap_check(o->ldap, o->ldap_bind_dn, o->ldap_password_file, o->ldap_base, e);
    if (lrc != 0) return lrc;
    /* a relative password file given at init is taken from the current directory: store it
     * absolute (sealca.conf reads a relative one under the home) */
    char pwabs[PATH_MAX] = "";
    if (o->ldap_password_file && *o->ldap_password_file) {
        if (access(o->ldap_password_file, R_OK) != 0)
            return sc_fail(e, SC_EINVAL, "conf.bad_ldap_password_file",
                           "ldap_password_file %s is not readable", o->ldap_password_file);
        if (realpath(o->ldap_password_file, pwabs) == NULL)
            return sc_fail(e, SC_EINVAL, "conf.bad_ldap_password_file", "ldap_password_file %s: %s",
                           o->ldap_password_file, strerror(errno));
    }
    const char *database = o->database && *o->database ? o->database : "sqlite:ca.db";
    char dburl[PATH_MAX];
    int drc = ca_database_url(o->home, database, dburl, sizeof(dburl), e);
    if (drc != 0) return drc;

    pki_ca *ca = calloc(1, sizeof(*ca));
    pki_issuer *is = calloc(4, sizeof(*is));
    conf *cfg = NULL;
    int rc = 0;
    if (ca == NULL || is == NULL) {
        free(ca);
        free(is);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    snprintf(ca->home, sizeof(ca->home), "%s", o->home);
    snprintf(ca->name, sizeof(ca->name), "%s", name);
    snprintf(ca->base_url, sizeof(ca->base_url), "%s", o->base_url ? o->base_url : "");
    ca->alg = o->alg;
    ca->pass = (char *)o->pass;
    ca->passlen = o->passlen;
    ca_set_ldap(ca, o->ldap, o->ldap_bind_dn, pwabs, o->ldap_base);
    char path[PATH_MAX];
    if ((mkdir(o->home, 0700) != 0 && errno != EEXIST) ||
        (path_join(path, sizeof(path), o->home, "keys") == 0 && mkdir(path, 0700) != 0) ||
        (path_join(path, sizeof(path), o->home, "certs") == 0 && mkdir(path, 0755) != 0)) {
        rc = sc_fail(e, SC_EIO, "ca.mkdir", "cannot create %s: %s", o->home, strerror(errno));
        goto out;
    }
    if ((rc = store_open(dburl, &ca->db, e)) != 0 || (rc = store_migrate(ca->db, e)) != 0 ||
        (rc = ca_database_empty(ca->db, e)) != 0)
        goto out;
    if ((rc = store_tx_begin(ca->db, e)) != 0) goto out;
    if ((rc = profile_install_builtins(ca->db, e)) != 0) goto fail;
    const mk plan[4] = {
        {"root-1", "root", "root-ca", "Root CA", NULL, NULL, 7305, -1, 1},
        {"sub-1", "issuing", "issuing-ca", "Issuing CA G1", NULL, NULL, 3653, 0, 1},
        {"ocsp-1", "ocsp", "ocsp", "OCSP Signer G1", NULL, NULL, 730, -1, 1},
        {"sealmaker-1", "sealmaker", "seal-maker", "Seal Maker G1", NULL, NULL, 1826, -1, 1},
    };
    for (int i = 0; i < 4; i++) {
        mk m = plan[i];
        if (i == 1) {
            m.parent = &is[0];
            m.parent_key = is[0].key;
        } else if (i > 1) {
            m.parent = &is[1];
            m.parent_key = is[1].key;
        }
        if ((rc = make_issuer(ca, ca->db, &m, name, &is[i], e)) != 0 ||
            (rc = issuer_insert(ca->db, &is[i], e)) != 0 ||
            (rc = ca_outbox_cacert(ca, &is[i], e)) != 0)
            goto fail;
    }
    char detail[400];
    snprintf(detail, sizeof(detail), "algo=%s name=%s base_url=%s", crypto_alg_name(o->alg), name,
             ca->base_url);
    if ((rc = audit_append(ca->db, "cli", "ca.init", "ca", "ok", detail, e)) != 0 ||
        (rc = audit_checkpoint(ca->db, is[1].key, "sub-1", e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(ca->db, e)) != 0) goto out;
    ca->issuers = is;
    ca->nissuers = 4;
    is = NULL;
    for (size_t i = 0; i < ca->nissuers; i++)
        write_pem_file(ca, &ca->issuers[i]);
    if ((rc = write_chain_file(ca, e)) != 0 ||
        (rc = ca_make_tls(ca, &ca->issuers[1], o->pass, o->passlen, e)) != 0)
        goto out;
    /* the config is written last: its presence marks a complete home */
    char crlh[16];
    snprintf(crlh, sizeof(crlh), "%d", 24);
    if ((rc = conf_parse("", 0, &cfg, e)) != 0 || (rc = conf_set(cfg, "name", name, e)) != 0 ||
        (rc = conf_set(cfg, "algo", crypto_alg_name(o->alg), e)) != 0 ||
        (rc = conf_set(cfg, "base_url", ca->base_url, e)) != 0 ||
        (rc = conf_set(cfg, "database", database, e)) != 0 ||
        (rc = conf_set(cfg, "crl_hours", crlh, e)) != 0 ||
        (rc = conf_set(cfg, "ocsp_hours", crlh, e)) != 0)
        goto out;
    if (ca->ldap[0] &&
        ((rc = conf_set(cfg, "ldap", ca->ldap, e)) != 0 ||
         (rc = conf_set(cfg, "ldap_base", ca->ldap_base, e)) != 0 ||
         (ca->ldap_bind_dn[0] && (rc = conf_set(cfg, "ldap_bind_dn", ca->ldap_bind_dn, e)) != 0) ||
         (ca->ldap_password_file[0] &&
          (rc = conf_set(cfg, "ldap_password_file", ca->ldap_password_file, e)) != 0)))
        goto out;
    sc_buf text = {0};
    const char *head = "# sealca CA home configuration (docs/operator.md explains each key)\n";
    sc_buf_append(&text, head, strlen(head));
    conf_format(cfg, &text);
    path_join(path, sizeof(path), o->home, "sealca.conf");
    rc = text.oom ? SC_ENOMEM : sc_file_write_atomic(path, text.p, text.len, 0600);
    sc_buf_free(&text);
    if (rc != 0) sc_fail(e, rc, "ca.write_config", "cannot write %s", path);
    goto out;
fail:
    store_tx_rollback(ca->db);
out:
    conf_free(cfg);
    if (is != NULL) {
        for (int i = 0; i < 4; i++)
            issuer_free_fields(&is[i]);
        free(is);
    }
    ca->pass = NULL; /* not ours */
    ca_close(ca);
    return rc;
}

static int load_issuers(pki_ca *ca, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(ca->db, ST_ISSUER_LIST, &st, e);
    if (rc != 0) return rc;
    size_t cap = 0;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if (ca->nissuers == cap) {
            cap = cap ? cap * 2 : 8;
            pki_issuer *n = realloc(ca->issuers, cap * sizeof(*n));
            if (n == NULL) {
                rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
                break;
            }
            ca->issuers = n;
        }
        pki_issuer *is = &ca->issuers[ca->nissuers];
        memset(is, 0, sizeof(*is));
        ca->nissuers++;
        snprintf(is->id, sizeof(is->id), "%s", store_col_text(st, 0, NULL));
        snprintf(is->role, sizeof(is->role), "%s", store_col_text(st, 1, NULL));
        snprintf(is->parent, sizeof(is->parent), "%s", store_col_text(st, 2, NULL));
        snprintf(is->serial, sizeof(is->serial), "%s", store_col_text(st, 5, NULL));
        size_t dl = 0;
        const uint8_t *d = store_col_blob(st, 8, &dl);
        snprintf(is->key_file, sizeof(is->key_file), "%s", store_col_text(st, 9, NULL));
        is->active = strcmp(store_col_text(st, 10, NULL), "active") == 0;
        uint8_t *copy = malloc(dl ? dl : 1);
        if (copy == NULL) {
            rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
            break;
        }
        memcpy(copy, d, dl);
        if ((rc = issuer_from_der(is, copy, dl, e)) != 0) break;
    }
    store_exec(st, NULL);
    return rc < 0 ? rc : 0;
}

int ca_open(const char *home, const char *pass, size_t passlen, pki_ca **out, sc_err *e)
{
    *out = NULL;
    if (strlen(home) > PATH_MAX - 64) return sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
    pki_ca *ca = calloc(1, sizeof(*ca));
    if (ca == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    snprintf(ca->home, sizeof(ca->home), "%s", home);
    conf *cfg = NULL;
    char path[PATH_MAX];
    path_join(path, sizeof(path), home, "sealca.conf");
    int rc = conf_load(path, &cfg, e);
    if (rc != 0) {
        if (access(path, F_OK) != 0) {
            sc_err_clear(e);
            rc = sc_fail(e, SC_ENOTFOUND, "ca.no_home",
                         "%s is not a sealca home (no sealca.conf); create one with sealca init",
                         home);
        }
        goto fail;
    }
    if ((rc = conf_check_keys(cfg, config_keys, e)) != 0) goto fail;
    const char *v;
    snprintf(ca->name, sizeof(ca->name), "%s", (v = conf_get(cfg, "name")) ? v : "sealca CA");
    snprintf(ca->base_url, sizeof(ca->base_url), "%s", (v = conf_get(cfg, "base_url")) ? v : "");
    if ((v = conf_get(cfg, "algo")) == NULL || crypto_alg_parse(v, &ca->alg) != 0) {
        rc = sc_fail(e, SC_EINVAL, "conf.bad_algo",
                     "sealca.conf: algo must be sm2, ecdsa-p256 or rsa3072");
        goto fail;
    }
    long ch;
    if ((rc = conf_get_int(cfg, "crl_hours", 1, 24 * 31, 24, &ch, e)) != 0) goto fail;
    ca->crl_hours = (int)ch;
    /* RFC 5019 §6: pre-produced responses are valid for a while; a day unless configured */
    if ((rc = conf_get_int(cfg, "ocsp_hours", 1, 24 * 7, 24, &ch, e)) != 0) goto fail;
    ca->ocsp_hours = (int)ch;
    if ((rc = ca_ldap_check(conf_get(cfg, "ldap"), conf_get(cfg, "ldap_bind_dn"),
                            conf_get(cfg, "ldap_password_file"), conf_get(cfg, "ldap_base"), e)) !=
        0)
        goto fail;
    ca_set_ldap(ca, conf_get(cfg, "ldap"), conf_get(cfg, "ldap_bind_dn"),
                conf_get(cfg, "ldap_password_file"), conf_get(cfg, "ldap_base"));
    if ((v = conf_get(cfg, "tsa_policy")) != NULL) {
        size_t i = 0, dots = 0;
        for (; i < sizeof(ca->tsa_policy) && v[i]; i++) {
            if (v[i] == '.' && i > 0 && v[i - 1] != '.')
                dots++;
            else if (v[i] < '0' || v[i] > '9')
                break;
        }
        if (v[i] != 0 || dots < 1 || v[i - 1] == '.' ||
            (v[0] != '0' && v[0] != '1' && v[0] != '2')) {
            rc = sc_fail(e, SC_EINVAL, "conf.bad_tsa_policy",
                         "sealca.conf: tsa_policy must be a dotted OID such as 1.2.156.xxx");
            goto fail;
        }
        snprintf(ca->tsa_policy, sizeof(ca->tsa_policy), "%s", v);
    }
    v = conf_get(cfg, "database");
    if (v == NULL) v = "sqlite:ca.db";
    char dburl[PATH_MAX];
    if ((rc = ca_database_url(home, v, dburl, sizeof(dburl), e)) != 0) goto fail;
    if ((rc = store_open(dburl, &ca->db, e)) != 0 || (rc = store_migrate(ca->db, e)) != 0 ||
        (rc = load_issuers(ca, e)) != 0)
        goto fail;
    if (pass != NULL) {
        ca->pass = malloc(passlen + 1);
        if (ca->pass == NULL) {
            rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
            goto fail;
        }
        memcpy(ca->pass, pass, passlen);
        ca->pass[passlen] = 0;
        ca->passlen = passlen;
    }
    conf_free(cfg);
    *out = ca;
    return 0;
fail:
    conf_free(cfg);
    ca_close(ca);
    return rc;
}

void ca_close(pki_ca *ca)
{
    if (ca == NULL) return;
    for (size_t i = 0; i < ca->nissuers; i++)
        issuer_free_fields(&ca->issuers[i]);
    free(ca->issuers);
    store_close(ca->db);
    if (ca->pass != NULL) {
        sc_wipe(ca->pass, ca->passlen);
        free(ca->pass);
    }
    free(ca);
}

pki_issuer *ca_issuer(pki_ca *ca, const char *id)
{
    for (size_t i = 0; i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].id, id) == 0) return &ca->issuers[i];
    return NULL;
}

pki_issuer *ca_active_issuing(pki_ca *ca)
{
    pki_issuer *best = NULL;
    for (size_t i = 0; i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].role, "issuing") == 0 && ca->issuers[i].active)
            best = &ca->issuers[i]; /* list is in creation order: the newest wins */
    return best;
}

pki_issuer *ca_issuer_for(pki_ca *ca, const char *role, const char *parent_id)
{
    pki_issuer *best = NULL;
    for (size_t i = 0; i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].role, role) == 0 &&
            strcmp(ca->issuers[i].parent, parent_id) == 0 && ca->issuers[i].active)
            best = &ca->issuers[i];
    return best;
}

int ca_issuer_key(pki_ca *ca, pki_issuer *iss, sc_key **out, sc_err *e)
{
    if (iss->key != NULL) {
        *out = iss->key;
        return 0;
    }
    if (!iss->key_file[0])
        return sc_fail(e, SC_ESTATE, "ca.no_key", "issuer %s has no private key", iss->id);
    if (ca->pass == NULL)
        return sc_fail(e, SC_EINVAL, "ca.no_passphrase",
                       "this command needs the CA key passphrase (SEALCA_PASSPHRASE or "
                       "--passphrase-file)");
    char path[PATH_MAX];
    if (path_join(path, sizeof(path), ca->home, iss->key_file) != 0)
        return sc_fail(e, SC_EINVAL, "ca.path", "key path too long");
    sc_key *k = NULL;
    int rc = crypto_key_load(path, ca->pass, ca->passlen, &k, e);
    if (rc != 0) return rc;
    if (!crypto_key_equal_public(k, iss->pub)) {
        crypto_key_free(k);
        return sc_fail(e, SC_EVERIFY, "ca.key_mismatch",
                       "key file %s does not match the certificate of %s", iss->key_file, iss->id);
    }
    iss->key = k;
    *out = k;
    return 0;
}

int ca_chain_pem(pki_ca *ca, pki_issuer *from, sc_buf *out, sc_err *e)
{
    pki_issuer *cur = from;
    for (int depth = 0; cur != NULL && depth < 8; depth++) {
        if (cert_pem(cur->der, cur->derlen, out) != 0)
            return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        if (strcmp(cur->parent, cur->id) == 0) return 0; /* root */
        cur = ca_issuer(ca, cur->parent);
    }
    return sc_fail(e, SC_EINTERNAL, "ca.chain", "broken issuer chain");
}

int ca_audit_checkpoint(pki_ca *ca, sc_err *e)
{
    pki_issuer *iss = ca_active_issuing(ca);
    sc_key *k = NULL;
    if (iss == NULL) return 0;
    int rc = ca_issuer_key(ca, iss, &k, e);
    if (rc == 0) rc = audit_checkpoint(ca->db, k, iss->id, e);
    return rc;
}

/* A link certificate: `subject`'s key and name, certified by `signer`. */
static int make_link(pki_ca *ca, const pki_profile *pr, pki_issuer *subject, pki_issuer *signer,
                     pki_issuer *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    char lid[80];
    snprintf(lid, sizeof(lid), "%s-by-%s", subject->id, signer->id);
    if (strlen(lid) >= sizeof(out->id))
        return sc_fail(e, SC_EINVAL, "ca.id_too_long", "issuer id too long");
    memcpy(out->id, lid, strlen(lid) + 1);
    snprintf(out->role, sizeof(out->role), "link");
    snprintf(out->parent, sizeof(out->parent), "%s", signer->id);
    out->active = 1;
    cert_tbs t = {0};
    t.prof = pr;
    t.subject_der = subject->subject_der;
    t.pub = subject->pub;
    t.not_before = (int64_t)time(NULL) - BACKDATE;
    t.not_after = subject->not_after < signer->not_after ? subject->not_after : signer->not_after;
    t.base_url = ca->base_url;
    t.path_len = 0;
    random_serial(t.serial);
    sc_hex_encode(t.serial, 16, out->serial, 0);
    sc_buf der = {0};
    int rc = cert_build(&t, signer, signer->key, &der, e);
    if (rc == 0) {
        size_t dl = 0;
        uint8_t *d = sc_buf_steal(&der, &dl);
        rc = issuer_from_der(out, d, dl, e);
    }
    sc_buf_free(&der);
    return rc;
}

int ca_rollover(pki_ca *ca, const char *actor, sc_err *e)
{
    pki_issuer *old = ca_active_issuing(ca);
    if (old == NULL)
        return sc_fail(e, SC_ESTATE, "ca.no_issuing", "no active issuing CA to roll over");
    pki_issuer *root = ca_issuer(ca, old->parent);
    sc_key *k = NULL;
    int rc;
    if (root == NULL)
        return sc_fail(e, SC_EINTERNAL, "ca.chain", "issuing CA %s has no parent", old->id);
    if ((rc = ca_issuer_key(ca, root, &k, e)) != 0 || (rc = ca_issuer_key(ca, old, &k, e)) != 0)
        return rc;
    int gen = 1;
    for (size_t i = 0; i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].role, "issuing") == 0) gen++;
    pki_issuer *n = calloc(4, sizeof(*n)); /* new CA, old-by-new, new-by-old, new OCSP */
    pki_profile *pr = malloc(sizeof(*pr));
    if (n == NULL || pr == NULL) {
        free(n);
        free(pr);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    char id[32], cn[64], oid[32], ocn[64];
    snprintf(id, sizeof(id), "sub-%d", gen);
    snprintf(cn, sizeof(cn), "Issuing CA G%d", gen);
    snprintf(oid, sizeof(oid), "ocsp-%d", gen);
    snprintf(ocn, sizeof(ocn), "OCSP Signer G%d", gen);
    if ((rc = store_tx_begin(ca->db, e)) != 0) goto out;
    mk m1 = {id, "issuing", "issuing-ca", cn, root, root->key, 3653, 0, 1};
    if ((rc = make_issuer(ca, ca->db, &m1, ca->name, &n[0], e)) != 0 ||
        (rc = profile_get(ca->db, "issuing-ca", pr, e)) != 0 ||
        (rc = make_link(ca, pr, old, &n[0], &n[1], e)) != 0 ||
        (rc = make_link(ca, pr, &n[0], old, &n[2], e)) != 0)
        goto fail;
    mk m2 = {oid, "ocsp", "ocsp", ocn, &n[0], n[0].key, 730, -1, 1};
    if ((rc = make_issuer(ca, ca->db, &m2, ca->name, &n[3], e)) != 0) goto fail;
    for (int i = 0; i < 4; i++) {
        if (i == 1 || i == 2) n[i].key_file[0] = 0;
        if ((rc = issuer_insert(ca->db, &n[i], e)) != 0 ||
            (rc = ca_outbox_cacert(ca, &n[i], e)) != 0)
            goto fail;
    }
    store_stmt *st;
    if ((rc = store_stmt_get(ca->db, ST_ISSUER_SET_STATUS, &st, e)) != 0) goto fail;
    /* the old CA stops issuing but keeps signing CRLs (and OCSP) for what it issued */
    store_bind_text(st, 1, "retired");
    store_bind_text(st, 2, old->id);
    if ((rc = store_exec(st, e)) != 0) goto fail;
    char detail[200];
    snprintf(detail, sizeof(detail), "old=%s new=%s links=%s,%s ocsp=%s", old->id, n[0].id, n[1].id,
             n[2].id, n[3].id);
    if ((rc = audit_append(ca->db, actor, "ca.rollover", n[0].id, "ok", detail, e)) != 0 ||
        (rc = audit_checkpoint(ca->db, n[0].key, n[0].id, e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(ca->db, e)) != 0) goto out;
    old->active = 0;
    pki_issuer *grown = realloc(ca->issuers, (ca->nissuers + 4) * sizeof(*grown));
    if (grown == NULL) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory (the rollover is committed)");
        goto out;
    }
    ca->issuers = grown;
    memcpy(&ca->issuers[ca->nissuers], n, 4 * sizeof(*n));
    ca->nissuers += 4;
    for (int i = 0; i < 4; i++)
        write_pem_file(ca, &n[i]);
    free(n);
    n = NULL;
    rc = write_chain_file(ca, e);
    goto out;
fail:
    store_tx_rollback(ca->db);
out:
    if (n != NULL) {
        for (int i = 0; i < 4; i++)
            issuer_free_fields(&n[i]);
        free(n);
    }
    free(pr);
    return rc;
}

int ca_make_tsa(pki_ca *ca, int days, const char *actor, pki_issuer **out, sc_err *e)
{
    if (ca->alg != SC_ALG_SM2)
        return sc_fail(e, SC_EINVAL, "tsa.not_sm2",
                       "时间戳服务仅支持 SM2 CA / the TSA signs SM2-with-SM3 tokens: this home "
                       "is %s",
                       crypto_alg_name(ca->alg));
    if (days < 0 || days > 3653)
        return sc_fail(e, SC_EINVAL, "tsa.bad_days", "--days must be 1..3653");
    pki_issuer *sub = ca_active_issuing(ca);
    if (sub == NULL)
        return sc_fail(e, SC_ESTATE, "ca.no_issuing", "no active issuing CA to sign the TSA");
    sc_key *k = NULL;
    int rc = ca_issuer_key(ca, sub, &k, e);
    if (rc != 0) return rc;
    int gen = 1;
    for (size_t i = 0; i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].role, "tsa") == 0) gen++;
    char id[32], cn[64];
    snprintf(id, sizeof(id), "tsa-%d", gen);
    snprintf(cn, sizeof(cn), "TSA G%d", gen);
    pki_issuer *old = NULL; /* the TSA in service, whichever issuing CA signed it */
    for (size_t i = 0; i < ca->nissuers; i++)
        if (strcmp(ca->issuers[i].role, "tsa") == 0 && ca->issuers[i].active) old = &ca->issuers[i];
    pki_issuer n;
    memset(&n, 0, sizeof(n));
    int have = 0;
    if ((rc = store_tx_begin(ca->db, e)) != 0) return rc;
    if ((rc = profile_install_builtin(ca->db, "tsa", e)) != 0) goto fail;
    mk m = {id, "tsa", "tsa", cn, sub, sub->key, days ? days : 1826, -1, 1};
    if ((rc = make_issuer(ca, ca->db, &m, ca->name, &n, e)) != 0) goto fail;
    have = 1;
    if ((rc = issuer_insert(ca->db, &n, e)) != 0 || (rc = ca_outbox_cacert(ca, &n, e)) != 0)
        goto fail;
    if (old != NULL) {
        store_stmt *st;
        if ((rc = store_stmt_get(ca->db, ST_ISSUER_SET_STATUS, &st, e)) != 0) goto fail;
        store_bind_text(st, 1, "retired");
        store_bind_text(st, 2, old->id);
        if ((rc = store_exec(st, e)) != 0) goto fail;
    }
    char detail[200];
    snprintf(detail, sizeof(detail), "serial=%s parent=%s eku=timeStamping(critical) retired=%s",
             n.serial, sub->id, old ? old->id : "-");
    if ((rc = audit_append(ca->db, actor, "ca.tsa", n.id, "ok", detail, e)) != 0) goto fail;
    if ((rc = store_tx_commit(ca->db, e)) != 0) goto out;
    if (old != NULL) old->active = 0;
    pki_issuer *grown = realloc(ca->issuers, (ca->nissuers + 1) * sizeof(*grown));
    if (grown == NULL) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory (the TSA certificate is committed)");
        goto out;
    }
    ca->issuers = grown;
    ca->issuers[ca->nissuers] = n;
    have = 0;
    if (out != NULL) *out = &ca->issuers[ca->nissuers];
    ca->nissuers++;
    write_pem_file(ca, &ca->issuers[ca->nissuers - 1]);
    goto out;
fail:
    store_tx_rollback(ca->db);
out:
    if (have) issuer_free_fields(&n);
    return rc;
}

/* Host part of an http://host[:port] URL; 0 on success. */
static int url_host(const char *url, char *host, size_t n)
{
    const char *p = strstr(url, "://");
    if (p == NULL) return -1;
    p += 3;
    size_t l = strcspn(p, ":/");
    if (l == 0 || l >= n || p[0] == '[') return -1;
    memcpy(host, p, l);
    host[l] = 0;
    return 0;
}

int ca_make_tls(pki_ca *ca, pki_issuer *issuing, const char *pass, size_t passlen, sc_err *e)
{
    char dir[PATH_MAX], path[PATH_MAX];
    if (path_join(dir, sizeof(dir), ca->home, "tls") != 0)
        return sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sc_fail(e, SC_EIO, "ca.mkdir", "cannot create %s: %s", dir, strerror(errno));
    pki_profile *root_pr = malloc(sizeof(*root_pr)), *srv_pr = malloc(sizeof(*srv_pr));
    sc_name *nm = malloc(sizeof(*nm));
    pki_issuer *tca = calloc(1, sizeof(*tca));
    sc_key *tkey = NULL, *skey = NULL;
    sc_buf der = {0}, pem = {0}, kpem = {0};
    int rc;
    if (root_pr == NULL || srv_pr == NULL || nm == NULL || tca == NULL) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    if ((rc = profile_get(ca->db, "root-ca", root_pr, e)) != 0 ||
        (rc = profile_get(ca->db, "tls-server", srv_pr, e)) != 0)
        goto out;
    int64_t now = (int64_t)time(NULL);
    pki_issuer *signer = issuing;
    sc_key *signkey = issuing->key;
    if (ca->alg == SC_ALG_SM2) {
        /* a small ECDSA P-256 root for TLS only; browsers and curl can be told to trust it */
        char cn[64];
        snprintf(cn, sizeof(cn), "HTTPS Root");
        if ((rc = make_name(nm, ca->name, cn, e)) != 0 ||
            (rc = crypto_key_generate(SC_ALG_ECDSA_P256, &tkey, e)) != 0)
            goto out;
        cert_tbs t = {0};
        t.prof = root_pr;
        t.subject = nm;
        t.pub = tkey;
        t.not_before = now - BACKDATE;
        t.not_after = now + 3653 * DAY;
        t.path_len = 0;
        random_serial(t.serial);
        if ((rc = cert_build(&t, NULL, tkey, &der, e)) != 0) goto out;
        snprintf(tca->id, sizeof(tca->id), "tls-root");
        size_t dl = 0;
        uint8_t *d = sc_buf_steal(&der, &dl);
        if ((rc = issuer_from_der(tca, d, dl, e)) != 0) goto out;
        cert_pem(tca->der, tca->derlen, &pem);
        path_join(path, sizeof(path), ca->home, "tls/ca.pem");
        if ((rc = sc_file_write_atomic(path, pem.p, pem.len, 0644)) != 0) goto out;
        pem.len = 0;
        path_join(path, sizeof(path), ca->home, "tls/ca.key");
        if ((rc = crypto_key_save(tkey, path, pass, passlen, e)) != 0) goto out;
        signer = tca;
        signkey = tkey;
    } else {
        /* an ECDSA or RSA CA's own chain is what browsers already accept once they trust it */
        cert_pem(ca_issuer(ca, issuing->parent)->der, ca_issuer(ca, issuing->parent)->derlen, &pem);
        path_join(path, sizeof(path), ca->home, "tls/ca.pem");
        if ((rc = sc_file_write_atomic(path, pem.p, pem.len, 0644)) != 0) goto out;
        pem.len = 0;
    }
    char host[128] = "localhost";
    if (ca->base_url[0]) url_host(ca->base_url, host, sizeof(host));
    if ((rc = make_name(nm, ca->name, host, e)) != 0 ||
        (rc = crypto_key_generate(SC_ALG_ECDSA_P256, &skey, e)) != 0)
        goto out;
    cert_tbs t = {0};
    t.prof = srv_pr;
    t.subject = nm;
    t.pub = skey;
    t.not_before = now - BACKDATE;
    t.not_after = now + 397 * DAY; /* the CA/Browser Forum limit */
    t.path_len = -1;
    t.san_dns[t.n_san_dns++] = "localhost";
    uint8_t ip[4];
    if (inet_pton(AF_INET, host, ip) == 1)
        memcpy(t.san_ip[t.n_san_ip++], ip, 4);
    else if (strcmp(host, "localhost") != 0)
        t.san_dns[t.n_san_dns++] = host;
    static const uint8_t lo[4] = {127, 0, 0, 1};
    if (t.n_san_ip == 0 || memcmp(t.san_ip[0], lo, 4) != 0) memcpy(t.san_ip[t.n_san_ip++], lo, 4);
    random_serial(t.serial);
    if ((rc = cert_build(&t, signer, signkey, &der, e)) != 0) goto out;
    /* server certificate, then its issuer(s), as TLS servers send them */
    cert_pem(der.p, der.len, &pem);
    cert_pem(signer->der, signer->derlen, &pem);
    path_join(path, sizeof(path), ca->home, "tls/server.pem");
    if ((rc = sc_file_write_atomic(path, pem.p, pem.len, 0644)) != 0) goto out;
    path_join(path, sizeof(path), ca->home, "tls/server.key");
    rc = crypto_key_save(skey, path, pass, passlen, e);
out:
    if (rc != 0) sc_fail(e, rc, "ca.tls", "cannot make the HTTPS certificate");
    crypto_key_free(tkey);
    crypto_key_free(skey);
    if (tca != NULL) {
        issuer_free_fields(tca);
        free(tca);
    }
    sc_buf_free(&der);
    sc_buf_free(&pem);
    sc_buf_free(&kpem);
    free(root_pr);
    free(srv_pr);
    free(nm);
    return rc;
}
