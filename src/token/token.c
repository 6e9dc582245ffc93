/* token.c - the software USB key: file format, PINs and retry counters, containers. */
#include "token/token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmc/kmc.h"
#include "pki/der.h"
#include "pki/name.h"
#include "pki/pki.h"

#define MAGIC "sealca-token-v1"

/* ---- KDF and PIN policy ---- */

int token_pin_check(const char *pin, sc_err *e)
{
    size_t n = pin ? strlen(pin) : 0;
    if (n < TOKEN_PIN_MIN || n > TOKEN_PIN_MAX)
        return sc_fail(
            e, SC_EINVAL, "token.pin_length",
            "PIN 长度须为 %d-%d 个字符 (a PIN is %d to %d characters; SAR_PIN_LEN_RANGE)",
            TOKEN_PIN_MIN, TOKEN_PIN_MAX, TOKEN_PIN_MIN, TOKEN_PIN_MAX);
    for (size_t i = 0; i < n; i++)
        if (pin[i] < 0x21 || pin[i] > 0x7e)
            return sc_fail(
                e, SC_EINVAL, "token.pin_invalid",
                "PIN 只能包含可见 ASCII 字符 (a PIN is printable ASCII; SAR_PIN_INVALID)");
    return 0;
}

static void slot_aad(const token *t, const char *what, uint8_t *aad, size_t *n)
{
    size_t a = strlen(t->serial), b = strlen(what);
    memcpy(aad, t->serial, a);
    aad[a] = 0;
    memcpy(aad + a + 1, what, b);
    *n = a + 1 + b;
}

static int slot_seal(const token *t, const char *what, const uint8_t kek[32], sc_buf *slot,
                     const uint8_t *pt, size_t len, sc_err *e)
{
    uint8_t aad[128];
    size_t n;
    slot_aad(t, what, aad, &n);
    slot->len = 0;
    return crypto_aead_seal(kek, aad, n, pt, len, slot, e);
}

static int slot_open(const token *t, const char *what, const uint8_t kek[32], const sc_buf *slot,
                     sc_buf *pt)
{
    uint8_t aad[128];
    size_t n;
    slot_aad(t, what, aad, &n);
    return crypto_aead_open(kek, aad, n, slot->p, slot->len, pt, NULL);
}

/* ---- the anchor: the generation last written, outside the token file ---- */

static int anchor_path(const token *t, char *out, size_t n)
{
    const char *dir = getenv("SEALCA_TOKEN_STATE");
    char base[4096];
    if (dir != NULL && *dir) {
        snprintf(base, sizeof(base), "%s", dir);
    } else {
        const char *home = getenv("HOME");
        if (home == NULL || !*home) return -1;
        snprintf(base, sizeof(base), "%s/.sealca", home);
        mkdir(base, 0700);
        snprintf(base, sizeof(base), "%s/.sealca/tokens", home);
    }
    mkdir(base, 0700);
    for (const char *p = t->serial; *p; p++)
        if (*p == '/' || *p == '.') return -1;
    int w = snprintf(out, n, "%s/%s", base, t->serial);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

static int anchor_read(const token *t, int64_t *gen)
{
    char path[4200];
    *gen = -1;
    if (anchor_path(t, path, sizeof(path)) != 0) return 0;
    uint8_t *d = NULL;
    size_t n = 0;
    if (sc_file_read(path, 64, &d, &n) != 0) return 0; /* no anchor yet */
    char s[65];
    memcpy(s, d, n);
    s[n] = 0;
    free(d);
    *gen = strtoll(s, NULL, 10);
    return 0;
}

static void anchor_write(const token *t)
{
    char path[4200], s[32];
    if (anchor_path(t, path, sizeof(path)) != 0) return;
    int n = snprintf(s, sizeof(s), "%lld\n", (long long)t->generation);
    sc_file_write_atomic(path, s, (size_t)n, 0600);
}

/* ---- encoding ---- */

static void put_opt(der_w *w, int tag, const uint8_t *p, size_t n)
{
    if (p != NULL && n > 0) der_prim(w, (uint8_t)DER_CTX(tag), p, n);
}

static int body_encode(const token *t, sc_buf *out, sc_err *e)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    for (int i = 0; i < t->ncont; i++) {
        const token_container *c = &t->cont[i];
        uint8_t d[32];
        der_begin(&w, DER_SEQUENCE);
        der_prim(&w, DER_UTF8STRING, c->name, strlen(c->name));
        if (c->sign != NULL && crypto_key_sm2_private(c->sign, d) == 0) put_opt(&w, 0, d, 32);
        put_opt(&w, 1, c->sign_cert, c->sign_cert_len);
        if (c->enc != NULL && crypto_key_sm2_private(c->enc, d) == 0) put_opt(&w, 2, d, 32);
        put_opt(&w, 3, c->enc_cert, c->enc_cert_len);
        sc_wipe(d, sizeof(d));
        der_end(&w);
    }
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    sc_wipe(w.b.p, w.b.len);
    der_free(&w);
    return rc ? sc_fail(e, SC_ENOMEM, "oom", "out of memory") : 0;
}

static int file_encode(const token *t, sc_buf *out, sc_err *e)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_UTF8STRING, MAGIC, strlen(MAGIC));
    der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_UTF8STRING, t->serial, strlen(t->serial));
    der_prim(&w, DER_UTF8STRING, t->label, strlen(t->label));
    der_int64(&w, (int64_t)t->kdf_ops);
    der_int64(&w, (int64_t)t->kdf_mem);
    der_prim(&w, DER_OCTETSTRING, t->user_salt, 16);
    der_prim(&w, DER_OCTETSTRING, t->admin_salt, 16);
    der_int64(&w, t->user_tries);
    der_int64(&w, t->user_max);
    der_int64(&w, t->admin_tries);
    der_int64(&w, t->admin_max);
    der_int64(&w, t->generation);
    if (t->has_pending) {
        der_begin(&w, DER_CTX_CONS(0));
        der_prim(&w, DER_OCTETSTRING, t->challenge, 32);
        der_prim(&w, DER_OCTETSTRING, t->eph, 32);
        der_end(&w);
    }
    if (t->pub_sign.len) {
        der_begin(&w, DER_CTX_CONS(1));
        put_opt(&w, 1, t->pub_sign.p, t->pub_sign.len);
        put_opt(&w, 3, t->pub_enc.p, t->pub_enc.len);
        der_end(&w);
    }
    der_end(&w);
    der_prim(&w, DER_OCTETSTRING, t->user_slot.p, t->user_slot.len);
    der_prim(&w, DER_OCTETSTRING, t->admin_slot.p, t->admin_slot.len);
    der_prim(&w, DER_OCTETSTRING, t->body.p, t->body.len);
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    return rc ? sc_fail(e, SC_ENOMEM, "oom", "out of memory") : 0;
}

static int get_int(der_r *r, int64_t lo, int64_t hi, int64_t *v)
{
    der_tlv t;
    if (der_expect(r, DER_INTEGER, &t) != 0 || t.len < 1 || t.len > 8 || (t.val[0] & 0x80))
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < t.len; i++)
        x = x << 8 | t.val[i];
    if ((int64_t)x < lo || (int64_t)x > hi) return -1;
    *v = (int64_t)x;
    return 0;
}

static int get_str(der_r *r, char *out, size_t cap)
{
    der_tlv t;
    if (der_expect(r, DER_UTF8STRING, &t) != 0 || t.len >= cap || memchr(t.val, 0, t.len))
        return -1;
    memcpy(out, t.val, t.len);
    out[t.len] = 0;
    return 0;
}

static int get_oct(der_r *r, uint8_t *out, size_t n)
{
    der_tlv t;
    if (der_expect(r, DER_OCTETSTRING, &t) != 0 || t.len != n) return -1;
    memcpy(out, t.val, n);
    return 0;
}

static int get_buf(der_r *r, sc_buf *b)
{
    der_tlv t;
    if (der_expect(r, DER_OCTETSTRING, &t) != 0 || t.len == 0) return -1;
    b->len = 0;
    return sc_buf_append(b, t.val, t.len);
}

int token_parse(const uint8_t *p, size_t len, token **out, sc_err *e)
{
    *out = NULL;
    if (len > TOKEN_FILE_MAX)
        return sc_fail(e, SC_ETOOBIG, "token.too_big", "token file larger than %d bytes",
                       TOKEN_FILE_MAX);
    token *t = calloc(1, sizeof(*t));
    if (t == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    der_r r = der_reader(p, len);
    der_tlv top, hdr, pend;
    char magic[32];
    int64_t v[7];
    if (der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r)) goto bad;
    der_r in = der_inner(&top);
    if (get_str(&in, magic, sizeof(magic)) != 0 || strcmp(magic, MAGIC) != 0 ||
        der_expect(&in, DER_SEQUENCE, &hdr) != 0)
        goto bad;
    der_r h = der_inner(&hdr);
    if (get_str(&h, t->serial, sizeof(t->serial)) != 0 || !t->serial[0] ||
        get_str(&h, t->label, sizeof(t->label)) != 0 || get_int(&h, 1, 10, &v[0]) != 0 ||
        get_int(&h, 8 << 20, 1024ll << 20, &v[1]) != 0 || get_oct(&h, t->user_salt, 16) != 0 ||
        get_oct(&h, t->admin_salt, 16) != 0 || get_int(&h, 0, 99, &v[2]) != 0 ||
        get_int(&h, 1, 99, &v[3]) != 0 || get_int(&h, 0, 99, &v[4]) != 0 ||
        get_int(&h, 1, 99, &v[5]) != 0 || get_int(&h, 0, INT64_MAX, &v[6]) != 0)
        goto bad;
    for (const char *s = t->serial; *s; s++)
        if (*s == '/' || *s == '.' || *s <= 0x20 || *s > 0x7e) goto bad;
    t->kdf_ops = (uint64_t)v[0];
    t->kdf_mem = (uint64_t)v[1];
    t->user_tries = (int)v[2];
    t->user_max = (int)v[3];
    t->admin_tries = (int)v[4];
    t->admin_max = (int)v[5];
    t->generation = v[6];
    if (t->user_tries > t->user_max || t->admin_tries > t->admin_max) goto bad;
    if (der_peek(&h) == DER_CTX_CONS(0)) {
        if (der_next(&h, &pend) != 0) goto bad;
        der_r pr = der_inner(&pend);
        if (get_oct(&pr, t->challenge, 32) != 0 || get_oct(&pr, t->eph, 32) != 0 ||
            !der_at_end(&pr))
            goto bad;
        t->has_pending = 1;
    }
    if (der_peek(&h) == DER_CTX_CONS(1)) {
        der_tlv pub, f;
        if (der_next(&h, &pub) != 0) goto bad;
        der_r pr = der_inner(&pub);
        if (der_expect(&pr, DER_CTX(1), &f) != 0 || f.len == 0 ||
            sc_buf_append(&t->pub_sign, f.val, f.len) != 0)
            goto bad;
        if (!der_at_end(&pr) &&
            (der_expect(&pr, DER_CTX(3), &f) != 0 || sc_buf_append(&t->pub_enc, f.val, f.len) != 0))
            goto bad;
        if (!der_at_end(&pr)) goto bad;
    }
    if (!der_at_end(&h) || get_buf(&in, &t->user_slot) != 0 || get_buf(&in, &t->admin_slot) != 0 ||
        get_buf(&in, &t->body) != 0 || !der_at_end(&in))
        goto bad;
    *out = t;
    return 0;
bad:
    token_free(t);
    return sc_fail(e, SC_EINVAL, "token.malformed",
                   "令牌文件已损坏或不是 sealca 令牌 (the token file is damaged or not a sealca "
                   "token)");
}

static void cont_clear(token_container *c)
{
    crypto_key_free(c->sign);
    crypto_key_free(c->enc);
    free(c->sign_cert);
    free(c->enc_cert);
    memset(c, 0, sizeof(*c));
}

void token_free(token *t)
{
    if (t == NULL) return;
    for (int i = 0; i < t->ncont; i++)
        cont_clear(&t->cont[i]);
    sc_buf_free(&t->user_slot);
    sc_buf_free(&t->admin_slot);
    sc_buf_free(&t->body);
    sc_buf_free(&t->pub_sign);
    sc_buf_free(&t->pub_enc);
    sc_wipe(t, sizeof(*t));
    free(t);
}

static int dup_bytes(const uint8_t *p, size_t n, uint8_t **out, size_t *outlen)
{
    *out = malloc(n ? n : 1);
    if (*out == NULL) return -1;
    memcpy(*out, p, n);
    *outlen = n;
    return 0;
}

static int body_parse(token *t, const uint8_t *p, size_t len, sc_err *e)
{
    der_r r = der_reader(p, len);
    der_tlv top, c, f;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r)) goto bad;
    der_r in = der_inner(&top);
    while (!der_at_end(&in)) {
        if (t->ncont >= TOKEN_MAX_CONT || der_expect(&in, DER_SEQUENCE, &c) != 0) goto bad;
        token_container *k = &t->cont[t->ncont++];
        der_r cr = der_inner(&c);
        if (get_str(&cr, k->name, sizeof(k->name)) != 0) goto bad;
        while (!der_at_end(&cr)) {
            if (der_next(&cr, &f) != 0) goto bad;
            int rc = 0;
            if (f.tag == DER_CTX(0) && f.len == 32 && k->sign == NULL)
                rc = crypto_key_sm2_from_private(f.val, &k->sign, NULL);
            else if (f.tag == DER_CTX(1) && k->sign_cert == NULL)
                rc = dup_bytes(f.val, f.len, &k->sign_cert, &k->sign_cert_len);
            else if (f.tag == DER_CTX(2) && f.len == 32 && k->enc == NULL)
                rc = crypto_key_sm2_from_private(f.val, &k->enc, NULL);
            else if (f.tag == DER_CTX(3) && k->enc_cert == NULL)
                rc = dup_bytes(f.val, f.len, &k->enc_cert, &k->enc_cert_len);
            else
                goto bad;
            if (rc != 0) goto bad;
        }
    }
    return 0;
bad:
    for (int i = 0; i < t->ncont; i++)
        cont_clear(&t->cont[i]);
    t->ncont = 0;
    return sc_fail(e, SC_EINVAL, "token.malformed", "the token's contents are damaged");
}

/* ---- file I/O ---- */

int token_save(token *t, sc_err *e)
{
    sc_buf f = {0};
    int rc;
    if (t->open) {
        sc_buf plain = {0};
        uint8_t aad[128];
        size_t n;
        slot_aad(t, "body", aad, &n);
        if ((rc = body_encode(t, &plain, e)) == 0) {
            t->body.len = 0;
            rc = crypto_aead_seal(t->fmk, aad, n, plain.p, plain.len, &t->body, e);
        }
        sc_buf_wipe(&plain);
        if (rc != 0) return rc;
    }
    t->generation++;
    if ((rc = file_encode(t, &f, e)) != 0) goto out;
    /* write-then-rename: the old file stays whole until the new one is on disk */
    if (sc_file_write_atomic(t->path, f.p, f.len, 0600) != 0) {
        t->generation--;
        rc = sc_fail(e, SC_EIO, "token.write", "cannot write the token file %s: %s", t->path,
                     strerror(errno));
        goto out;
    }
    anchor_write(t);
out:
    sc_buf_free(&f);
    return rc;
}

int token_load(const char *path, token **out, sc_err *e)
{
    *out = NULL;
    uint8_t *d = NULL;
    size_t n = 0;
    int rc = sc_file_read(path, TOKEN_FILE_MAX, &d, &n);
    if (rc == SC_ETOOBIG)
        return sc_fail(e, rc, "token.too_big", "token file larger than %d bytes", TOKEN_FILE_MAX);
    if (rc != 0)
        return sc_fail(e, SC_EIO, "token.read",
                       "找不到或无法读取令牌文件 %s (cannot read the token)", path);
    rc = token_parse(d, n, out, e);
    free(d);
    if (rc != 0) return rc;
    snprintf((*out)->path, sizeof((*out)->path), "%s", path);
    int64_t anchor;
    anchor_read(*out, &anchor);
    if (anchor > (*out)->generation) {
        token_free(*out);
        *out = NULL;
        return sc_fail(
            e, SC_ESTATE, "token.rolled_back",
            "令牌文件比记录的状态旧（被替换为旧副本）：拒绝使用 (the token file is older "
            "than its recorded state: an old copy was put back)");
    }
    return 0;
}

int token_init(const char *path, const token_init_opts *o, sc_err *e)
{
    int rc;
    if (access(path, F_OK) == 0)
        return sc_fail(e, SC_EEXIST, "token.exists", "%s exists: a token is never overwritten",
                       path);
    if ((rc = token_pin_check(o->user_pin, e)) != 0 || (rc = token_pin_check(o->admin_pin, e)) != 0)
        return rc;
    if (strcmp(o->user_pin, o->admin_pin) == 0)
        return sc_fail(e, SC_EINVAL, "token.pins_equal",
                       "用户 PIN 与管理员 PIN 不能相同 (the user and admin PINs must differ)");
    token *t = calloc(1, sizeof(*t));
    if (t == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    snprintf(t->path, sizeof(t->path), "%s", path);
    if (o->serial != NULL) {
        size_t sl = strlen(o->serial);
        int ok = sl >= 4 && sl < 40;
        for (size_t i = 0; i < sl; i++)
            if (!((o->serial[i] >= '0' && o->serial[i] <= '9') ||
                  (o->serial[i] >= 'A' && o->serial[i] <= 'Z') ||
                  (o->serial[i] >= 'a' && o->serial[i] <= 'z') || o->serial[i] == '-'))
                ok = 0;
        if (!ok) {
            token_free(t);
            return sc_fail(e, SC_EINVAL, "token.bad_serial",
                           "a device serial is 4-39 letters, digits or '-'");
        }
        snprintf(t->serial, sizeof(t->serial), "%s", o->serial);
    } else {
        uint8_t r[7];
        crypto_random(r, sizeof(r));
        char hx[15];
        sc_hex_encode(r, 7, hx, 1);
        snprintf(t->serial, sizeof(t->serial), "SC%s", hx);
    }
    snprintf(t->label, sizeof(t->label), "%s", o->label ? o->label : "sealca");
    t->kdf_ops = TOKEN_KDF_OPS_DEFAULT;
    t->kdf_mem = o->kdf_mem;
    /* configuration, not a test hook: whole MiB within the range token_load accepts, so that a
     * bad value is refused here rather than silently defaulted or written into a token that
     * could never be opened again */
    const char *env = getenv("SEALCA_TOKEN_KDF_MEM");
    if (t->kdf_mem == 0 && env != NULL && *env) {
        char *end = NULL;
        errno = 0;
        unsigned long long mib = strtoull(env, &end, 10);
        if (errno != 0 || end == env || *end != '\0' || env[0] < '0' || env[0] > '9' || mib < 8 ||
            mib > 1024) {
            token_free(t);
            return sc_fail(e, SC_EINVAL, "token.bad_kdf_mem",
                           "SEALCA_TOKEN_KDF_MEM 须为 8 至 1024 之间的整数 (MiB) "
                           "(SEALCA_TOKEN_KDF_MEM must be whole MiB, 8..1024)");
        }
        t->kdf_mem = (uint64_t)mib << 20;
    }
    if (t->kdf_mem == 0) t->kdf_mem = TOKEN_KDF_MEM_DEFAULT;
    t->user_max = t->user_tries = TOKEN_USER_TRIES;
    t->admin_max = t->admin_tries = TOKEN_ADMIN_TRIES;
    crypto_random(t->user_salt, 16);
    crypto_random(t->admin_salt, 16);
    crypto_random(t->fmk, 32);
    t->open = 1;
    uint8_t k[32];
    if ((rc = token_kdf(o->user_pin, t->user_salt, t->kdf_ops, t->kdf_mem, k, e)) != 0 ||
        (rc = slot_seal(t, "user", k, &t->user_slot, t->fmk, 32, e)) != 0 ||
        (rc = token_kdf(o->admin_pin, t->admin_salt, t->kdf_ops, t->kdf_mem, k, e)) != 0 ||
        (rc = slot_seal(t, "admin", k, &t->admin_slot, t->fmk, 32, e)) != 0)
        goto out;
    snprintf(t->cont[0].name, sizeof(t->cont[0].name), "default");
    t->ncont = 1;
    rc = token_save(t, e);
out:
    sc_wipe(k, sizeof(k));
    token_free(t);
    return rc;
}

static int open_body(token *t, sc_err *e)
{
    sc_buf plain = {0};
    uint8_t aad[128];
    size_t n;
    slot_aad(t, "body", aad, &n);
    int rc = crypto_aead_open(t->fmk, aad, n, t->body.p, t->body.len, &plain, NULL);
    if (rc != 0)
        rc =
            sc_fail(e, SC_EVERIFY, "token.corrupt",
                    "令牌内容校验失败（文件被篡改或损坏） (the token contents fail their integrity "
                    "check)");
    else
        rc = body_parse(t, plain.p, plain.len, e);
    sc_buf_wipe(&plain);
    if (rc == 0) t->open = 1;
    return rc;
}

/* Verify a PIN against a slot with its counter: the decrement is on disk before we answer. */
static int check_pin(token *t, const char *pin, int admin, uint8_t fmk[32], sc_err *e)
{
    int *tries = admin ? &t->admin_tries : &t->user_tries;
    int max = admin ? t->admin_max : t->user_max;
    const char *who = admin ? "管理员 PIN (admin PIN)" : "用户 PIN (user PIN)";
    if (*tries <= 0)
        return sc_fail(e, SC_ESTATE, "token.pin_locked",
                       "%s 已锁死，请申请密码解锁 (%s is locked; SAR_PIN_LOCKED 0x%08X: ask for a "
                       "PIN unlock)",
                       who, admin ? "the admin PIN" : "the user PIN", SAR_PIN_LOCKED);
    if (pin == NULL || strlen(pin) > TOKEN_PIN_MAX)
        return sc_fail(e, SC_EINVAL, "token.pin_length", "a PIN is %d to %d characters",
                       TOKEN_PIN_MIN, TOKEN_PIN_MAX);
    uint8_t k[32];
    sc_buf pt = {0};
    int rc = token_kdf(pin, admin ? t->admin_salt : t->user_salt, t->kdf_ops, t->kdf_mem, k, e);
    if (rc != 0) return rc;
    if (slot_open(t, admin ? "admin" : "user", k, admin ? &t->admin_slot : &t->user_slot, &pt) ==
            0 &&
        pt.len == 32) {
        memcpy(fmk, pt.p, 32);
        sc_buf_wipe(&pt);
        sc_wipe(k, sizeof(k));
        if (*tries != max) {
            *tries = max; /* a correct PIN resets its counter (on the next save) */
            return 1;
        }
        return 0;
    }
    sc_buf_wipe(&pt);
    sc_wipe(k, sizeof(k));
    (*tries)--;
    int was_open = t->open;
    t->open = 0; /* the header only: the body is written as it was */
    sc_err se = {0};
    rc = token_save(t, &se);
    t->open = was_open;
    if (rc != 0) return sc_fail(e, se.status, se.code, "%s", se.msg);
    if (*tries == 0)
        return sc_fail(e, SC_ESTATE, "token.pin_locked",
                       "%s 错误，已锁死，请申请密码解锁 (wrong PIN; it is now locked, "
                       "SAR_PIN_LOCKED: ask for a PIN unlock)",
                       who);
    return sc_fail(e, SC_EVERIFY, "token.pin_incorrect",
                   "%s 错误，还可尝试 %d 次 (wrong PIN, %d tries left; SAR_PIN_INCORRECT)", who,
                   *tries, *tries);
}

int token_login(token *t, const char *pin, sc_err *e)
{
    uint8_t fmk[32];
    int rc = check_pin(t, pin, 0, fmk, e);
    if (rc < 0) return rc;
    int reset = rc == 1;
    memcpy(t->fmk, fmk, 32);
    sc_wipe(fmk, sizeof(fmk));
    if ((rc = open_body(t, e)) != 0) return rc;
    return reset ? token_save(t, e) : 0;
}

static int set_user_pin(token *t, const char *new_pin, sc_err *e)
{
    uint8_t k[32];
    crypto_random(t->user_salt, 16);
    int rc = token_kdf(new_pin, t->user_salt, t->kdf_ops, t->kdf_mem, k, e);
    if (rc == 0) rc = slot_seal(t, "user", k, &t->user_slot, t->fmk, 32, e);
    sc_wipe(k, sizeof(k));
    t->user_tries = t->user_max;
    return rc;
}

int token_change_pin(token *t, const char *old_pin, const char *new_pin, sc_err *e)
{
    int rc = token_pin_check(new_pin, e);
    if (rc != 0) return rc;
    if (!t->open && (rc = token_login(t, old_pin, e)) != 0) return rc;
    if ((rc = set_user_pin(t, new_pin, e)) != 0) return rc;
    return token_save(t, e);
}

int token_unblock(token *t, const char *admin_pin, const char *new_pin, sc_err *e)
{
    int rc = token_pin_check(new_pin, e);
    if (rc != 0) return rc;
    uint8_t fmk[32];
    if ((rc = check_pin(t, admin_pin, 1, fmk, e)) < 0) return rc;
    memcpy(t->fmk, fmk, 32);
    sc_wipe(fmk, sizeof(fmk));
    if ((rc = open_body(t, e)) != 0 || (rc = set_user_pin(t, new_pin, e)) != 0) return rc;
    return token_save(t, e);
}

token_container *token_container_get(token *t, const char *name, int create)
{
    for (int i = 0; i < t->ncont; i++)
        if (strcmp(t->cont[i].name, name) == 0) return &t->cont[i];
    if (!create || t->ncont >= TOKEN_MAX_CONT || strlen(name) >= 64) return NULL;
    token_container *c = &t->cont[t->ncont++];
    snprintf(c->name, sizeof(c->name), "%s", name);
    return c;
}

/* ---- certificate request and import ---- */

int token_csr(token *t, const char *container, const char *subject, sc_buf *der, sc_err *e)
{
    if (!t->open) return sc_fail(e, SC_ESTATE, "token.not_open", "log in first");
    token_container *c = token_container_get(t, container, 1);
    if (c == NULL)
        return sc_fail(e, SC_EINVAL, "token.container", "no room for container %s", container);
    sc_name *nm = malloc(sizeof(*nm));
    sc_buf name = {0}, spki = {0}, sig = {0}, alg = {0};
    der_w w = {0}, o = {0};
    int rc, fresh = 0;
    if (nm == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    if ((rc = name_parse(subject, strlen(subject), nm, e)) != 0 ||
        (rc = name_encode(nm, &name, e)) != 0)
        goto out;
    if (c->sign == NULL) {
        /* the signing key pair is made inside the token and never leaves it */
        if ((rc = crypto_key_generate(SC_ALG_SM2, &c->sign, e)) != 0) goto out;
        fresh = 1;
    }
    if ((rc = crypto_key_spki(c->sign, &spki, e)) != 0) goto out;
    crypto_sigalg_der(SC_ALG_SM2, &alg);
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, 0);
    der_raw(&w, name.p, name.len);
    der_raw(&w, spki.p, spki.len);
    der_begin(&w, DER_CTX_CONS(0));
    der_end(&w);
    der_end(&w);
    if ((rc = der_finish(&w)) != 0) goto out;
    if ((rc = crypto_sign(c->sign, w.b.p, w.b.len, &sig, e)) != 0) goto out;
    der_begin(&o, DER_SEQUENCE);
    der_raw(&o, w.b.p, w.b.len);
    der_raw(&o, alg.p, alg.len);
    der_bits(&o, sig.p, sig.len);
    der_end(&o);
    if ((rc = der_finish(&o)) != 0 || (rc = sc_buf_append(der, o.b.p, o.b.len)) != 0) goto out;
    if (fresh) rc = token_save(t, e);
out:
    free(nm);
    sc_buf_free(&name);
    sc_buf_free(&spki);
    sc_buf_free(&sig);
    sc_buf_free(&alg);
    der_free(&w);
    der_free(&o);
    return rc;
}

int token_import(token *t, const char *container, const uint8_t *resp, size_t len, sc_err *e)
{
    if (!t->open) return sc_fail(e, SC_ESTATE, "token.not_open", "log in first");
    token_container *c = token_container_get(t, container, 0);
    if (c == NULL || c->sign == NULL)
        return sc_fail(e, SC_ESTATE, "token.no_sign_key",
                       "container %s has no signing key: make the request with this token first",
                       container);
    csr_response r;
    int rc = csrresp_parse(resp, len, &r, e);
    if (rc != 0) return rc;
    sc_key *spub = NULL, *epub = NULL, *ekey = NULL;
    if ((rc = cert_pubkey(r.sign_cert.p, r.sign_cert.len, &spub, e)) != 0) goto out;
    if (!crypto_key_equal_public(spub, c->sign)) {
        rc = sc_fail(e, SC_EVERIFY, "token.wrong_cert",
                     "签名证书不属于本令牌的签名密钥 (the signing certificate is for another key)");
        goto out;
    }
    if (r.env_key.len) {
        if ((rc = cert_pubkey(r.enc_cert.p, r.enc_cert.len, &epub, e)) != 0) goto out;
        if ((rc = envkey_open(r.env_key.p, r.env_key.len, c->sign, &ekey, e)) != 0) goto out;
        if (!crypto_key_equal_public(ekey, epub)) {
            rc = sc_fail(e, SC_EVERIFY, "token.enc_mismatch",
                         "加密证书与加密密钥不匹配 (the encryption certificate does not match the "
                         "enveloped key)");
            goto out;
        }
    }
    /* everything checked: only now does the token change */
    uint8_t *sc2 = NULL, *ec2 = NULL;
    size_t sl = 0, el = 0;
    if (dup_bytes(r.sign_cert.p, r.sign_cert.len, &sc2, &sl) != 0 ||
        (r.enc_cert.len && dup_bytes(r.enc_cert.p, r.enc_cert.len, &ec2, &el) != 0)) {
        free(sc2);
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    free(c->sign_cert);
    c->sign_cert = sc2;
    c->sign_cert_len = sl;
    if (ekey != NULL) {
        crypto_key_free(c->enc);
        c->enc = ekey;
        ekey = NULL;
        free(c->enc_cert);
        c->enc_cert = ec2;
        c->enc_cert_len = el;
    }
    if (c == &t->cont[0]) {
        t->pub_sign.len = 0;
        sc_buf_append(&t->pub_sign, c->sign_cert, c->sign_cert_len);
        t->pub_enc.len = 0;
        if (c->enc_cert) sc_buf_append(&t->pub_enc, c->enc_cert, c->enc_cert_len);
    }
    rc = token_save(t, e);
out:
    crypto_key_free(spub);
    crypto_key_free(epub);
    crypto_key_free(ekey);
    return rc;
}
