/* unlock.c - online PIN unlock (密码解锁): the token's request, the service's answer, and the
 * token's check of that answer. A vendor extension of GM/T 0016 (see guomi-notes §6). */
#include <stdio.h>
#include <string.h>

#include "pki/der.h"
#include "token/token.h"

#define REQ_MAGIC "sealca-unlock-request-v1"
#define ANS_MAGIC "sealca-unlock-answer-v1"

/*
 * Keys: K = argon2id(admin PIN, adminSalt) is the key of the token's admin slot; the service
 * derives the admin PIN from the KMC master key and the serial, so it never stores one.
 *   kenc = HMAC-SM3(K, "sealca-unlock-enc" || challenge)[0..16]
 *   kmac = HMAC-SM3(K, "sealca-unlock-mac" || challenge)
 *   encPin = SM4-CBC(kenc, iv, new PIN)
 *   mac = HMAC-SM3(kmac, serial || 0 || challenge || generation(8, big-endian) || iv || encPin)
 * The token needs K itself to re-wrap its file key under the new PIN, so the answer also
 * carries K SM2-encrypted to the ephemeral key of this one request. A forged answer fails the
 * MAC or does not open the admin slot; a replayed one answers a challenge the token no longer
 * holds.
 */

static void derive(const uint8_t K[32], const char *label, const uint8_t ch[32], uint8_t out[32])
{
    uint8_t m[64];
    size_t n = strlen(label);
    memcpy(m, label, n);
    memcpy(m + n, ch, 32);
    crypto_hmac_sm3(K, 32, m, n + 32, out);
}

static void mac_of(const uint8_t kmac[32], const char *serial, const uint8_t ch[32], int64_t gen,
                   const uint8_t iv[16], const uint8_t *ct, size_t ctlen, uint8_t out[32])
{
    sc_buf m = {0};
    uint8_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (uint8_t)((uint64_t)gen >> (56 - 8 * i));
    sc_buf_append(&m, serial, strlen(serial) + 1);
    sc_buf_append(&m, ch, 32);
    sc_buf_append(&m, g, 8);
    sc_buf_append(&m, iv, 16);
    sc_buf_append(&m, ct, ctlen);
    crypto_hmac_sm3(kmac, 32, m.p, m.len, out);
    sc_buf_free(&m);
}

int token_unlock_request(token *t, sc_buf *req, sc_err *e)
{
    sc_key *eph = NULL;
    uint8_t pt[65];
    int rc = crypto_key_generate(SC_ALG_SM2, &eph, e);
    if (rc != 0) return rc;
    crypto_random(t->challenge, 32);
    crypto_key_sm2_private(eph, t->eph);
    crypto_key_sm2_point(eph, pt);
    crypto_key_free(eph);
    t->has_pending = 1;
    int was_open = t->open;
    t->open = 0; /* no PIN: only the header changes */
    rc = token_save(t, e);
    t->open = was_open;
    if (rc != 0) return rc;
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_UTF8STRING, REQ_MAGIC, strlen(REQ_MAGIC));
    der_prim(&w, DER_UTF8STRING, t->serial, strlen(t->serial));
    der_prim(&w, DER_OCTETSTRING, t->challenge, 32);
    der_int64(&w, t->generation);
    der_int64(&w, (int64_t)t->kdf_ops);
    der_int64(&w, (int64_t)t->kdf_mem);
    der_prim(&w, DER_OCTETSTRING, t->admin_salt, 16);
    der_prim(&w, DER_OCTETSTRING, pt, 65);
    der_end(&w);
    rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(req, w.b.p, w.b.len);
    der_free(&w);
    return rc ? sc_fail(e, SC_ENOMEM, "oom", "out of memory") : 0;
}

static int rd_int(der_r *r, int64_t *v)
{
    der_tlv t;
    if (der_expect(r, DER_INTEGER, &t) != 0 || t.len < 1 || t.len > 8 || (t.val[0] & 0x80))
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < t.len; i++)
        x = x << 8 | t.val[i];
    *v = (int64_t)x;
    return 0;
}

static int rd_fixed(der_r *r, uint8_t *out, size_t n)
{
    der_tlv t;
    if (der_expect(r, DER_OCTETSTRING, &t) != 0 || t.len != n) return -1;
    memcpy(out, t.val, n);
    return 0;
}

static int rd_str(der_r *r, const char *magic, char *out, size_t cap)
{
    der_tlv t;
    if (der_expect(r, DER_UTF8STRING, &t) != 0 || t.len >= cap || memchr(t.val, 0, t.len))
        return -1;
    memcpy(out, t.val, t.len);
    out[t.len] = 0;
    return magic != NULL && strcmp(out, magic) != 0 ? -1 : 0;
}

int token_unlock_req_parse(const uint8_t *p, size_t len, token_unlock_req *q, sc_err *e)
{
    memset(q, 0, sizeof(*q));
    der_r r = der_reader(p, len);
    der_tlv top;
    char m[40];
    int64_t ops, mem;
    if (len > 4096 || der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r)) goto bad;
    der_r in = der_inner(&top);
    if (rd_str(&in, REQ_MAGIC, m, sizeof(m)) != 0 ||
        rd_str(&in, NULL, q->serial, sizeof(q->serial)) != 0 || !q->serial[0] ||
        rd_fixed(&in, q->challenge, 32) != 0 || rd_int(&in, &q->generation) != 0 ||
        rd_int(&in, &ops) != 0 || rd_int(&in, &mem) != 0 || rd_fixed(&in, q->admin_salt, 16) != 0 ||
        rd_fixed(&in, q->eph_pub, 65) != 0 || !der_at_end(&in))
        goto bad;
    q->kdf_ops = (uint64_t)ops;
    q->kdf_mem = (uint64_t)mem;
    return 0;
bad:
    return sc_fail(e, SC_EINVAL, "unlock.bad_request", "not a sealca PIN unlock request");
}

int token_unlock_answer(const token_unlock_req *q, const char *admin_pin, const char *new_pin,
                        sc_buf *ans, sc_err *e)
{
    int rc = token_pin_check(new_pin, e);
    if (rc != 0) return rc;
    uint8_t K[32], kenc[32], kmac[32], iv[16], mac[32];
    sc_buf ct = {0}, wk = {0};
    sc_key *eph = NULL;
    der_w w = {0};
    if ((rc = token_kdf(admin_pin, q->admin_salt, q->kdf_ops, q->kdf_mem, K, e)) != 0) goto out;
    derive(K, "sealca-unlock-enc", q->challenge, kenc);
    derive(K, "sealca-unlock-mac", q->challenge, kmac);
    crypto_random(iv, 16);
    if ((rc = crypto_sm4_cbc(1, kenc, iv, (const uint8_t *)new_pin, strlen(new_pin), &ct, e)) !=
            0 ||
        (rc = crypto_key_sm2_from_point(q->eph_pub, &eph, e)) != 0 ||
        (rc = crypto_sm2_encrypt(eph, K, 32, &wk, e)) != 0)
        goto out;
    mac_of(kmac, q->serial, q->challenge, q->generation, iv, ct.p, ct.len, mac);
    der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_UTF8STRING, ANS_MAGIC, strlen(ANS_MAGIC));
    der_prim(&w, DER_UTF8STRING, q->serial, strlen(q->serial));
    der_prim(&w, DER_OCTETSTRING, q->challenge, 32);
    der_int64(&w, q->generation);
    der_prim(&w, DER_OCTETSTRING, wk.p, wk.len);
    der_prim(&w, DER_OCTETSTRING, iv, 16);
    der_prim(&w, DER_OCTETSTRING, ct.p, ct.len);
    der_prim(&w, DER_OCTETSTRING, mac, 32);
    der_end(&w);
    if ((rc = der_finish(&w)) == 0) rc = sc_buf_append(ans, w.b.p, w.b.len);
    if (rc != 0) rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
out:
    sc_wipe(K, sizeof(K));
    sc_wipe(kenc, sizeof(kenc));
    sc_wipe(kmac, sizeof(kmac));
    crypto_key_free(eph);
    sc_buf_free(&ct);
    sc_buf_free(&wk);
    der_free(&w);
    return rc;
}

int token_unlock(token *t, const uint8_t *ans, size_t len, sc_err *e)
{
    der_r r = der_reader(ans, len);
    der_tlv top, wk, ct;
    char m[40], serial[64];
    uint8_t ch[32], iv[16], mac[32], want[32], K[32], kenc[32], kmac[32];
    int64_t gen;
    int rc;
    sc_buf k = {0}, fmk = {0}, pin = {0};
    sc_key *eph = NULL;
    if (len > 4096 || der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r))
        return sc_fail(e, SC_EINVAL, "unlock.bad_answer", "not a sealca PIN unlock answer");
    der_r in = der_inner(&top);
    if (rd_str(&in, ANS_MAGIC, m, sizeof(m)) != 0 || rd_str(&in, NULL, serial, sizeof(serial)) ||
        rd_fixed(&in, ch, 32) != 0 || rd_int(&in, &gen) != 0 ||
        der_expect(&in, DER_OCTETSTRING, &wk) != 0 || rd_fixed(&in, iv, 16) != 0 ||
        der_expect(&in, DER_OCTETSTRING, &ct) != 0 || rd_fixed(&in, mac, 32) != 0 ||
        !der_at_end(&in))
        return sc_fail(e, SC_EINVAL, "unlock.bad_answer", "not a sealca PIN unlock answer");
    if (strcmp(serial, t->serial) != 0)
        return sc_fail(e, SC_EVERIFY, "unlock.wrong_device",
                       "解锁应答属于另一个设备 (the answer is for device %s)", serial);
    if (!t->has_pending || sc_memeq_ct(ch, t->challenge, 32) != 0)
        return sc_fail(e, SC_EVERIFY, "unlock.replayed",
                       "解锁应答与当前挑战不符（重放或过期） (the answer does not answer this "
                       "token's pending challenge: replayed or stale)");
    /* K, encrypted to this request's ephemeral key */
    if ((rc = crypto_key_sm2_from_private(t->eph, &eph, e)) != 0) goto out;
    if (crypto_sm2_decrypt(eph, wk.val, wk.len, &k, NULL) != 0 || k.len != 32) goto forged;
    memcpy(K, k.p, 32);
    derive(K, "sealca-unlock-enc", ch, kenc);
    derive(K, "sealca-unlock-mac", ch, kmac);
    mac_of(kmac, t->serial, ch, gen, iv, ct.val, ct.len, want);
    if (sc_memeq_ct(want, mac, 32) != 0) goto forged;
    /* the admin key must open the admin slot: only the holder of the device's admin PIN can
     * produce it */
    {
        uint8_t aad[128];
        size_t an = strlen(t->serial);
        memcpy(aad, t->serial, an);
        aad[an] = 0;
        memcpy(aad + an + 1, "admin", 5);
        if (crypto_aead_open(K, aad, an + 6, t->admin_slot.p, t->admin_slot.len, &fmk, NULL) != 0 ||
            fmk.len != 32)
            goto forged;
    }
    if (crypto_sm4_cbc(0, kenc, iv, ct.val, ct.len, &pin, NULL) != 0 || sc_buf_putc(&pin, 0) != 0)
        goto forged;
    if ((rc = token_pin_check((const char *)pin.p, e)) != 0) goto out;
    memcpy(t->fmk, fmk.p, 32);
    t->open = 0;
    {
        /* open the body under the file key, then set the PIN (re-wrapping the file key) */
        sc_buf plain = {0};
        uint8_t aad[128];
        size_t an = strlen(t->serial);
        memcpy(aad, t->serial, an);
        aad[an] = 0;
        memcpy(aad + an + 1, "body", 4);
        if (crypto_aead_open(t->fmk, aad, an + 5, t->body.p, t->body.len, &plain, NULL) != 0) {
            rc = sc_fail(e, SC_EVERIFY, "token.corrupt", "the token contents fail their check");
            goto out;
        }
        sc_buf_wipe(&plain);
    }
    t->has_pending = 0;
    memset(t->challenge, 0, 32);
    sc_wipe(t->eph, 32);
    /* token_change_pin with the file key already known: log in is skipped by opening here */
    {
        uint8_t kk[32];
        crypto_random(t->user_salt, 16);
        if ((rc = token_kdf((const char *)pin.p, t->user_salt, t->kdf_ops, t->kdf_mem, kk, e)) != 0)
            goto out;
        uint8_t aad[128];
        size_t an = strlen(t->serial);
        memcpy(aad, t->serial, an);
        aad[an] = 0;
        memcpy(aad + an + 1, "user", 4);
        t->user_slot.len = 0;
        rc = crypto_aead_seal(kk, aad, an + 5, t->fmk, 32, &t->user_slot, e);
        sc_wipe(kk, sizeof(kk));
        if (rc != 0) goto out;
    }
    t->user_tries = t->user_max;
    rc = token_save(t, e); /* header and slots; the body bytes are kept as they are */
    goto out;
forged:
    rc = sc_fail(e, SC_EVERIFY, "unlock.forged",
                 "解锁应答校验失败（伪造或被篡改） (the unlock answer does not verify: forged or "
                 "altered)");
out:
    sc_wipe(K, sizeof(K));
    sc_wipe(kenc, sizeof(kenc));
    sc_wipe(kmac, sizeof(kmac));
    sc_buf_wipe(&k);
    sc_buf_wipe(&fmk);
    sc_buf_wipe(&pin);
    crypto_key_free(eph);
    return rc;
}
