/* profile.c - certificate profiles (GM/T 0015) as data: built-ins, parsing, versions. */
#include "pki/pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit/audit.h"
#include "common/conf.h"
#include "pki/der.h"

/* sealca's certificate policy: a UUID-derived OID (ITU-T X.667), so no registry is needed.
 * Operators with their own CPS OID set `policy` in the profile. */
#define SEALCA_POLICY "2.25.314170397574101246769260177629083177580"

typedef struct builtin {
    const char *name;
    const char *text;
} builtin;

#define SIGN_KU "key_usage = digitalSignature, nonRepudiation\n"
#define ENC_KU  "key_usage = keyEncipherment, dataEncipherment, keyAgreement\n"
#define EE_COMMON                                                                                  \
    "role = end-entity\ndefault_days = 365\nmax_days = 1826\npolicy = " SEALCA_POLICY "\n"

/* GM/T 0015 dual certificates: each subject kind has a signing and an encryption profile. */
static const builtin builtins[] = {
    {"organization-sign",
     "label = 单位签名证书\nlabel_en = Organization signing certificate\n" EE_COMMON SIGN_KU
     "ext_key_usage = clientAuth\nidentity = uscc\nsubject_required = CN, O\n"},
    {"organization-enc",
     "label = 单位加密证书\nlabel_en = Organization encryption certificate\n" EE_COMMON ENC_KU
     "identity = uscc\nsubject_required = CN, O\n"},
    {"person-sign",
     "label = 个人签名证书\nlabel_en = Person signing certificate\n" EE_COMMON SIGN_KU
     "ext_key_usage = clientAuth\nidentity = person\nsubject_required = CN\n"},
    {"person-enc",
     "label = 个人加密证书\nlabel_en = Person encryption certificate\n" EE_COMMON ENC_KU
     "identity = person\nsubject_required = CN\n"},
    {"legal-representative-sign",
     "label = 法人签名证书\nlabel_en = Legal representative signing certificate\n" EE_COMMON SIGN_KU
     "ext_key_usage = clientAuth\nidentity = person\nsubject_required = CN, O\n"},
    {"legal-representative-enc",
     "label = 法人加密证书\nlabel_en = Legal representative encryption certificate\n" EE_COMMON
         ENC_KU "identity = person\nsubject_required = CN, O\n"},
    {"cost-engineer-sign",
     "label = 造价师签名证书\nlabel_en = Cost engineer signing certificate\n" EE_COMMON SIGN_KU
     "ext_key_usage = clientAuth\nidentity = person\nsubject_required = CN\n"},
    {"cost-engineer-enc",
     "label = 造价师加密证书\nlabel_en = Cost engineer encryption certificate\n" EE_COMMON ENC_KU
     "identity = person\nsubject_required = CN\n"},
    {"expert-sign",
     "label = 评标专家签名证书\nlabel_en = Bid evaluation expert signing certificate\n" EE_COMMON
         SIGN_KU "ext_key_usage = clientAuth\nidentity = person\nsubject_required = CN\n"},
    {"expert-enc",
     "label = 评标专家加密证书\nlabel_en = Bid evaluation expert encryption certificate\n" EE_COMMON
         ENC_KU "identity = person\nsubject_required = CN\n"},
    {"root-ca", "label = 根CA证书\nlabel_en = Root CA certificate\nrole = root-ca\n"
                "key_usage = keyCertSign, cRLSign, digitalSignature\nsubject_required = CN, O, C\n"
                "default_days = 7305\nmax_days = 7305\n"},
    {"issuing-ca",
     "label = 签发CA证书\nlabel_en = Issuing CA certificate\nrole = issuing-ca\n"
     "key_usage = keyCertSign, cRLSign, digitalSignature\nsubject_required = CN, O, C\n"
     "default_days = 3653\nmax_days = 3653\npolicy = " SEALCA_POLICY "\n"},
    {"ocsp", "label = OCSP签名证书\nlabel_en = OCSP responder certificate\nrole = ocsp\n"
             "key_usage = digitalSignature, nonRepudiation\next_key_usage = OCSPSigning\n"
             "ocsp_nocheck = yes\nsubject_required = CN, O\ndefault_days = 730\nmax_days = 1096\n"
             "policy = " SEALCA_POLICY "\n"},
    {"tls-server",
     "label = HTTPS服务器证书\nlabel_en = HTTPS server certificate\nrole = end-entity\n"
     "key_usage = digitalSignature\next_key_usage = serverAuth\nsubject_required = CN\n"
     "default_days = 397\nmax_days = 397\n"},
    {"seal-maker", "label = 制章人证书\nlabel_en = Seal maker certificate\nrole = seal-maker\n"
                   "key_usage = digitalSignature, nonRepudiation\nsubject_required = CN, O\n"
                   "default_days = 1826\nmax_days = 3653\npolicy = " SEALCA_POLICY "\n"},
    /* RFC 3161 §2.3: the TSA certificate has exactly one extended key usage, timeStamping,
     * marked critical */
    {"tsa", "label = 时间戳服务器证书\nlabel_en = Time-stamping authority certificate\n"
            "role = end-entity\nkey_usage = digitalSignature, nonRepudiation\n"
            "ext_key_usage = timeStamping\next_key_usage_critical = yes\n"
            "subject_required = CN, O\ndefault_days = 1826\nmax_days = 3653\n"
            "policy = " SEALCA_POLICY "\n"},
};

static const struct {
    const char *name;
    uint32_t bit;
} ku_names[] = {
    {"digitalSignature", KU_DIGITAL_SIGNATURE},
    {"nonRepudiation", KU_NON_REPUDIATION},
    {"keyEncipherment", KU_KEY_ENCIPHERMENT},
    {"dataEncipherment", KU_DATA_ENCIPHERMENT},
    {"keyAgreement", KU_KEY_AGREEMENT},
    {"keyCertSign", KU_KEY_CERT_SIGN},
    {"cRLSign", KU_CRL_SIGN},
};

static const struct {
    const char *name;
    const char *oid;
} eku_names[] = {
    {"serverAuth", "1.3.6.1.5.5.7.3.1"},   {"clientAuth", "1.3.6.1.5.5.7.3.2"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},  {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"}, {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
};

static const char *const profile_keys[] = {
    "label",     "label_en",         "role",
    "key_usage", "ext_key_usage",    "ext_key_usage_critical",
    "identity",  "subject_required", "default_days",
    "max_days",  "policy",           "ocsp_nocheck",
    NULL};

/* Split a comma list; calls fn per trimmed item. */
static int each_item(const char *list, int (*fn)(void *, const char *), void *arg)
{
    char item[64];
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p) break;
        size_t n = 0;
        while (p[n] && p[n] != ',')
            n++;
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        if (m >= sizeof(item)) return -1;
        memcpy(item, p, m);
        item[m] = 0;
        if (fn(arg, item) != 0) return -1;
        p += n;
    }
    return 0;
}

static int add_ku(void *arg, const char *item)
{
    pki_profile *pr = arg;
    for (size_t i = 0; i < sizeof(ku_names) / sizeof(ku_names[0]); i++)
        if (strcmp(item, ku_names[i].name) == 0) {
            pr->key_usage |= ku_names[i].bit;
            return 0;
        }
    return -1;
}

static int add_eku(void *arg, const char *item)
{
    pki_profile *pr = arg;
    if (pr->neku >= PROF_MAX_EKU) return -1;
    for (size_t i = 0; i < sizeof(eku_names) / sizeof(eku_names[0]); i++)
        if (strcmp(item, eku_names[i].name) == 0) {
            snprintf(pr->eku[pr->neku++], sizeof(pr->eku[0]), "%s", eku_names[i].oid);
            return 0;
        }
    return -1;
}

static int add_required(void *arg, const char *item)
{
    pki_profile *pr = arg;
    for (int t = NAME_C; t <= NAME_SURNAME; t++)
        if (strcasecmp(item, name_type_label((name_type)t)) == 0) {
            pr->subject_required |= 1u << t;
            return 0;
        }
    return -1;
}

static int oid_ok(const char *s)
{
    der_w w = {0};
    int ok = *s && der_oid(&w, s) == 0;
    der_free(&w);
    return ok;
}

int profile_parse(const char *name, const char *text, size_t len, pki_profile *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    size_t nl = strlen(name);
    if (nl == 0 || nl >= sizeof(out->name) ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != nl)
        return sc_fail(e, SC_EINVAL, "profile.bad_name",
                       "profile name must be 1-47 characters of a-z, 0-9 and '-'");
    if (len >= sizeof(out->definition))
        return sc_fail(e, SC_ETOOBIG, "profile.too_big", "profile definition longer than %zu bytes",
                       sizeof(out->definition) - 1);
    conf *c = NULL;
    int rc = conf_parse(text, len, &c, e);
    if (rc != 0) return rc;
    if ((rc = conf_check_keys(c, profile_keys, e)) != 0) goto out;
    snprintf(out->name, sizeof(out->name), "%s", name);
    memcpy(out->definition, text, len);
    out->definition[len] = 0;
    const char *v;
    snprintf(out->label, sizeof(out->label), "%s", (v = conf_get(c, "label")) ? v : name);
    snprintf(out->label_en, sizeof(out->label_en), "%s", (v = conf_get(c, "label_en")) ? v : name);
    v = conf_get(c, "role");
    if (v == NULL || strcmp(v, "end-entity") == 0)
        out->role = PROF_END_ENTITY;
    else if (strcmp(v, "root-ca") == 0)
        out->role = PROF_ROOT_CA;
    else if (strcmp(v, "issuing-ca") == 0)
        out->role = PROF_ISSUING_CA;
    else if (strcmp(v, "ocsp") == 0)
        out->role = PROF_OCSP;
    else if (strcmp(v, "seal-maker") == 0)
        out->role = PROF_SEAL_MAKER;
    else {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_role",
                     "role must be end-entity, root-ca, issuing-ca, ocsp or seal-maker");
        goto out;
    }
    v = conf_get(c, "key_usage");
    if (v == NULL || each_item(v, add_ku, out) != 0 || out->key_usage == 0) {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_key_usage",
                     "key_usage must list digitalSignature, nonRepudiation, keyEncipherment, "
                     "dataEncipherment, keyAgreement, keyCertSign or cRLSign");
        goto out;
    }
    int is_ca = out->role == PROF_ROOT_CA || out->role == PROF_ISSUING_CA;
    if (!is_ca && (out->key_usage & (KU_KEY_CERT_SIGN | KU_CRL_SIGN))) {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_key_usage",
                     "keyCertSign/cRLSign are only for CA profiles");
        goto out;
    }
    if (is_ca && !(out->key_usage & KU_KEY_CERT_SIGN)) {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_key_usage", "a CA profile needs keyCertSign");
        goto out;
    }
    if ((v = conf_get(c, "ext_key_usage")) != NULL && each_item(v, add_eku, out) != 0) {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_ext_key_usage",
                     "ext_key_usage must list at most 4 of serverAuth, clientAuth, codeSigning, "
                     "emailProtection, timeStamping, OCSPSigning");
        goto out;
    }
    if ((rc = conf_get_bool(c, "ext_key_usage_critical", out->role == PROF_OCSP, &out->eku_critical,
                            e)) != 0)
        goto out;
    v = conf_get(c, "identity");
    if (v == NULL || strcmp(v, "none") == 0)
        out->identity = PROF_ID_NONE;
    else if (strcmp(v, "uscc") == 0)
        out->identity = PROF_ID_USCC;
    else if (strcmp(v, "person") == 0)
        out->identity = PROF_ID_PERSON;
    else {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_identity", "identity must be none, uscc or person");
        goto out;
    }
    v = conf_get(c, "subject_required");
    if (v == NULL || each_item(v, add_required, out) != 0 ||
        !(out->subject_required & (1u << NAME_CN))) {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_subject_required",
                     "subject_required must list attribute types (CN, O, OU, C, …) and include CN");
        goto out;
    }
    long dd, md;
    if ((rc = conf_get_int(c, "max_days", 1, 7305, 1826, &md, e)) != 0 ||
        (rc = conf_get_int(c, "default_days", 1, md, md < 365 ? md : 365, &dd, e)) != 0)
        goto out;
    out->default_days = (int)dd;
    out->max_days = (int)md;
    v = conf_get(c, "policy");
    if (v != NULL && *v && !oid_ok(v)) {
        rc = sc_fail(e, SC_EINVAL, "profile.bad_policy", "policy must be a dotted OID");
        goto out;
    }
    snprintf(out->policy, sizeof(out->policy), "%s", v ? v : "");
    if ((rc = conf_get_bool(c, "ocsp_nocheck", 0, &out->ocsp_nocheck, e)) != 0) goto out;
    out->active = 1;
out:
    conf_free(c);
    return rc;
}

static int row_to_profile(store_stmt *st, pki_profile *out, sc_err *e)
{
    size_t dl = 0;
    const char *name = store_col_text(st, 0, NULL);
    const char *def = store_col_text(st, 4, &dl);
    int rc = profile_parse(name, def, dl, out, e);
    if (rc != 0) return rc;
    out->version = (int)store_col_int64(st, 1);
    out->active = strcmp(store_col_text(st, 2, NULL), "active") == 0;
    out->builtin = (int)store_col_int64(st, 3);
    return 0;
}

int profile_get(store *s, const char *name, pki_profile *out, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_PROFILE_GET, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, name);
    rc = store_step(st, e);
    if (rc == STORE_ROW)
        rc = row_to_profile(st, out, e);
    else if (rc == STORE_DONE)
        rc = sc_fail(e, SC_ENOTFOUND, "profile.not_found",
                     "no profile named '%s' (sealca profiles lists them)", name);
    store_exec(st, NULL);
    return rc;
}

int profile_list(store *s, int (*fn)(void *arg, const pki_profile *p), void *arg, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_PROFILE_LIST, &st, e);
    if (rc != 0) return rc;
    pki_profile *p = malloc(sizeof(*p));
    if (p == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    while ((rc = store_step(st, e)) == STORE_ROW) {
        if ((rc = row_to_profile(st, p, e)) != 0 || (rc = fn(arg, p)) != 0) break;
    }
    store_exec(st, NULL);
    free(p);
    return rc < 0 ? rc : 0;
}

static int insert_version(store *s, const char *name, int version, int builtin_flag,
                          const char *text, sc_err *e)
{
    store_stmt *st;
    int rc = store_stmt_get(s, ST_PROFILE_INSERT, &st, e);
    if (rc != 0) return rc;
    store_bind_text(st, 1, name);
    store_bind_int64(st, 2, version);
    store_bind_text(st, 3, "active");
    store_bind_int64(st, 4, builtin_flag);
    store_bind_text(st, 5, text);
    store_bind_int64(st, 6, (int64_t)time(NULL));
    return store_exec(st, e);
}

int profile_install_builtins(store *s, sc_err *e)
{
    pki_profile *p = malloc(sizeof(*p));
    if (p == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    int rc = 0;
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]) && rc == 0; i++) {
        /* a built-in that does not parse is a bug: fail loudly */
        rc = profile_parse(builtins[i].name, builtins[i].text, strlen(builtins[i].text), p, e);
        if (rc == 0) rc = insert_version(s, builtins[i].name, 1, 1, builtins[i].text, e);
    }
    free(p);
    return rc;
}

int profile_install_builtin(store *s, const char *name, sc_err *e)
{
    pki_profile *p = malloc(sizeof(*p));
    if (p == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    int rc = profile_get(s, name, p, NULL);
    if (rc == SC_ENOTFOUND) {
        rc = sc_fail(e, SC_ENOTFOUND, "profile.not_found", "no built-in profile %s", name);
        for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
            if (strcmp(builtins[i].name, name) == 0 &&
                (rc = profile_parse(name, builtins[i].text, strlen(builtins[i].text), p, e)) == 0)
                rc = insert_version(s, name, 1, 1, builtins[i].text, e);
    }
    free(p);
    return rc;
}

int profile_put(store *s, const char *name, const char *text, const char *actor, int *version,
                sc_err *e)
{
    pki_profile *p = malloc(sizeof(*p)), *old = malloc(sizeof(*old));
    int rc;
    if (p == NULL || old == NULL) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto done;
    }
    if ((rc = profile_parse(name, text, strlen(text), p, e)) != 0) goto done;
    if ((rc = store_tx_begin(s, e)) != 0) goto done;
    int v = 1;
    sc_err ge = {0};
    rc = profile_get(s, name, old, &ge);
    if (rc == 0)
        v = old->version + 1;
    else if (rc != SC_ENOTFOUND) {
        sc_fail(e, ge.status, ge.code, "%s", ge.msg);
        goto fail;
    }
    char obj[80], detail[64];
    snprintf(obj, sizeof(obj), "profile:%s", name);
    snprintf(detail, sizeof(detail), "version=%d", v);
    if ((rc = insert_version(s, name, v, 0, text, e)) != 0 ||
        (rc = audit_append(s, actor, v == 1 ? "profile.add" : "profile.change", obj, "ok", detail,
                           e)) != 0)
        goto fail;
    if ((rc = store_tx_commit(s, e)) != 0) goto done;
    if (version) *version = v;
    goto done;
fail:
    store_tx_rollback(s);
done:
    free(p);
    free(old);
    return rc;
}

int profile_retire(store *s, const char *name, const char *actor, sc_err *e)
{
    pki_profile *p = malloc(sizeof(*p));
    if (p == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    int rc = store_tx_begin(s, e);
    if (rc != 0) {
        free(p);
        return rc;
    }
    if ((rc = profile_get(s, name, p, e)) != 0) goto fail;
    if (!p->active) {
        rc = sc_fail(e, SC_ESTATE, "profile.already_retired", "profile '%s' is already retired",
                     name);
        goto fail;
    }
    store_stmt *st;
    if ((rc = store_stmt_get(s, ST_PROFILE_SET_STATUS, &st, e)) != 0) goto fail;
    store_bind_text(st, 1, "retired");
    store_bind_text(st, 2, name);
    store_bind_int64(st, 3, p->version);
    char obj[80];
    snprintf(obj, sizeof(obj), "profile:%s", name);
    if ((rc = store_exec(st, e)) != 0 ||
        (rc = audit_append(s, actor, "profile.retire", obj, "ok", "", e)) != 0)
        goto fail;
    free(p);
    return store_tx_commit(s, e);
fail:
    store_tx_rollback(s);
    free(p);
    return rc;
}
