/* test_sm2fast.c - the fast SM2 engine against GM/T 0003.5 vectors, OpenSSL 3.0 (differential), bad
 * inputs, and C vs asm paths. */
/*
 * Work split (normal run, per code path; x20 under SEALCA_SOAK=1):
 *   k*G: 3,500 compared one by one with EC_POINT_mul (500 with long 0/1 runs) and
 *        36,000 in batches of 200 (see batch_check), plus the edge list
 *   k*P: 1,000 one by one and 10,000 in batches of 100 (new random P per batch), edge list
 *   sign/verify cross-checks with EVP SM2 (distid 1234567812345678): 1,500 each way
 *   encrypt/decrypt cross-checks (DER SM2Cipher <-> C1C3C2): 400 each way + boundary keys
 *   SM3 vs EVP_sm3: 2,000 random lengths and splits (once)
 *   field mul / sub / dedicated squaring (C and MULX/ADX) vs BN: 20,000 random + edge values (once)
 *   nonce batches (sm2_ec_mul_g_x_batch): ~1,500 scalars against k*G; nonce pool: no repeated
 *   k over refills, across fork() and across threads (once)
 * The per-path group runs on the portable C path and again on the MULX/ADX path when
 * the CPU has it (~54,000 random cases each), plus 1,000 C-vs-asm equality rounds: over
 * 100,000 random cases in all. OpenSSL's generic SM2 code (~2k ops/s, not instrumented)
 * is why the bulk of the point multiplications is checked in batches.
 */
#include "testutil.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/sm2/sm2_ec.h"
#include "crypto/sm2/sm2fast.h"
#include "crypto/sm2/sm3.h"

#define ID    "1234567812345678"
#define IDLEN 16

static EC_GROUP *grp;
static BN_CTX *bnctx;

static const char *N_HEX = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123";
static const char *P_HEX = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF";

static void rnd(void *p, size_t n)
{
    assert_int_equal(RAND_bytes(p, (int)n), 1);
}

static uint32_t rnd32(void)
{
    uint32_t v;
    rnd(&v, sizeof(v));
    return v;
}

/* 32-byte big-endian x + small (mod 2^256) */
static void add_small(uint8_t out[32], const uint8_t in[32], int delta)
{
    int carry = delta;
    for (int i = 31; i >= 0; i--) {
        int v = in[i] + carry;
        out[i] = (uint8_t)(v & 0xff);
        carry = v >> 8; /* arithmetic: -1 on borrow */
    }
}

/* OpenSSL's k*P (P NULL: G) as 04||X||Y; returns 1, or 0 at infinity. */
static int ossl_mul(const uint8_t k[32], const uint8_t *pt, uint8_t out[65])
{
    BIGNUM *bk = BN_bin2bn(k, 32, NULL);
    EC_POINT *r = EC_POINT_new(grp);
    int ok;
    if (pt == NULL) {
        ok = EC_POINT_mul(grp, r, bk, NULL, NULL, bnctx);
    } else {
        EC_POINT *p = EC_POINT_new(grp);
        assert_int_equal(EC_POINT_oct2point(grp, p, pt, 65, bnctx), 1);
        ok = EC_POINT_mul(grp, r, NULL, p, bk, bnctx);
        EC_POINT_free(p);
    }
    assert_int_equal(ok, 1);
    int res = 0;
    if (!EC_POINT_is_at_infinity(grp, r)) {
        assert_int_equal(EC_POINT_point2oct(grp, r, POINT_CONVERSION_UNCOMPRESSED, out, 65, bnctx),
                         65);
        res = 1;
    }
    EC_POINT_free(r);
    BN_free(bk);
    return res;
}

static void check_mul(const uint8_t k[32], const uint8_t *pt)
{
    uint8_t a[65], b[65];
    int ra = sm2fast_mul(k, pt, a);
    int rb = ossl_mul(k, pt, b);
    assert_int_equal(ra, rb);
    if (ra == 1) assert_memory_equal(a, b, 65);
}

/* a random valid public point (from an OpenSSL scalar multiple of G) */
static void rand_point(uint8_t pt[65])
{
    uint8_t k[32];
    do {
        rnd(k, 32);
    } while (!ossl_mul(k, NULL, pt));
}

/* a random private key in [1, n-2] and its public key computed by OpenSSL */
static void rand_keypair(uint8_t d[32], uint8_t pt[65])
{
    uint8_t n[32], nm1[32];
    tu_unhex(N_HEX, n, 32);
    add_small(nm1, n, -1);
    do {
        rnd(d, 32);
    } while (memcmp(d, nm1, 32) >= 0 ||
             memcmp(d, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32) ==
                 0);
    assert_int_equal(ossl_mul(d, NULL, pt), 1);
}

static EVP_PKEY *ossl_key(const uint8_t *d, const uint8_t pub[65])
{
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *bn = NULL;
    assert_non_null(b);
    assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 65), 1);
    if (d != NULL) {
        bn = BN_bin2bn(d, 32, NULL);
        assert_int_equal(OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, bn), 1);
    }
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    EVP_PKEY *k = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
    assert_int_equal(EVP_PKEY_fromdata(c, &k, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params),
                     1);
    EVP_PKEY_CTX_free(c);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    BN_clear_free(bn);
    return k;
}

static size_t ossl_sign(EVP_PKEY *k, const uint8_t *msg, size_t len, uint8_t sig[80])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    size_t siglen = 80;
    assert_int_equal(EVP_DigestSignInit(m, &pc, EVP_sm3(), NULL, k), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_id(pc, ID, IDLEN), 1);
    assert_int_equal(EVP_DigestSign(m, sig, &siglen, msg, len), 1);
    EVP_MD_CTX_free(m);
    return siglen;
}

static int ossl_verify(EVP_PKEY *k, const uint8_t *msg, size_t len, const uint8_t *sig,
                       size_t siglen)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    assert_int_equal(EVP_DigestVerifyInit(m, &pc, EVP_sm3(), NULL, k), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_id(pc, ID, IDLEN), 1);
    int rc = EVP_DigestVerify(m, sig, siglen, msg, len);
    EVP_MD_CTX_free(m);
    return rc == 1;
}

static size_t sig_to_der(const uint8_t r[32], const uint8_t s[32], uint8_t der[80])
{
    ECDSA_SIG *sig = ECDSA_SIG_new();
    assert_int_equal(ECDSA_SIG_set0(sig, BN_bin2bn(r, 32, NULL), BN_bin2bn(s, 32, NULL)), 1);
    uint8_t *p = der;
    int n = i2d_ECDSA_SIG(sig, &p);
    assert_true(n > 0 && n <= 80);
    ECDSA_SIG_free(sig);
    return (size_t)n;
}

static void sig_from_der(const uint8_t *der, size_t len, uint8_t r[32], uint8_t s[32])
{
    const uint8_t *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    assert_non_null(sig);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), r, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), s, 32), 32);
    ECDSA_SIG_free(sig);
}

/* e = SM3(Z || M) with the engine's own Z and SM3 */
static void compute_e(const uint8_t pt[65], const uint8_t *msg, size_t len, uint8_t e[32])
{
    uint8_t z[32];
    sm3_ctx c;
    sm2fast_z(pt, (const uint8_t *)ID, IDLEN, z);
    sm3_init(&c);
    sm3_update(&c, z, 32);
    sm3_update(&c, msg, len);
    sm3_final(&c, e);
}

/* ---- minimal DER for SM2Cipher (GM/T 0009 §7.2) ---- */

static size_t der_len(uint8_t *p, size_t len)
{
    if (len < 128) {
        p[0] = (uint8_t)len;
        return 1;
    }
    if (len < 256) {
        p[0] = 0x81;
        p[1] = (uint8_t)len;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)len;
    return 3;
}

static size_t der_read_len(const uint8_t *p, size_t *len)
{
    if (p[0] < 128) {
        *len = p[0];
        return 1;
    }
    if (p[0] == 0x81) {
        *len = p[1];
        return 2;
    }
    assert_int_equal(p[0], 0x82);
    *len = ((size_t)p[1] << 8) | p[2];
    return 3;
}

static size_t der_int(uint8_t *out, const uint8_t v[32])
{
    size_t i = 0;
    while (i < 31 && v[i] == 0)
        i++;
    size_t n = 32 - i, o = 0;
    out[o++] = 0x02;
    int pad = (v[i] & 0x80) != 0;
    out[o++] = (uint8_t)(n + (size_t)pad);
    if (pad) out[o++] = 0;
    memcpy(out + o, v + i, n);
    return o + n;
}

/* C1(65)||C3||C2 -> DER SM2Cipher */
static size_t raw_to_der(const uint8_t *raw, size_t rawlen, uint8_t *der)
{
    uint8_t body[4096];
    size_t b = 0, mlen = rawlen - 97;
    b += der_int(body + b, raw + 1);
    b += der_int(body + b, raw + 33);
    body[b++] = 0x04;
    body[b++] = 32;
    memcpy(body + b, raw + 65, 32);
    b += 32;
    body[b++] = 0x04;
    b += der_len(body + b, mlen);
    memcpy(body + b, raw + 97, mlen);
    b += mlen;
    size_t o = 0;
    der[o++] = 0x30;
    o += der_len(der + o, b);
    memcpy(der + o, body, b);
    return o + b;
}

static size_t der_to_raw(const uint8_t *der, size_t derlen, uint8_t *raw)
{
    size_t o = 0, len;
    assert_int_equal(der[o++], 0x30);
    o += der_read_len(der + o, &len);
    assert_int_equal(o + len, derlen);
    raw[0] = 0x04;
    for (int c = 0; c < 2; c++) {
        assert_int_equal(der[o++], 0x02);
        o += der_read_len(der + o, &len);
        assert_true(len >= 1 && len <= 33);
        const uint8_t *v = der + o;
        if (len == 33) {
            assert_int_equal(v[0], 0);
            v++;
            len--;
        }
        memset(raw + 1 + 32 * c, 0, 32);
        memcpy(raw + 1 + 32 * c + (32 - len), v, len);
        o += (v - (der + o)) + len;
    }
    assert_int_equal(der[o++], 0x04);
    o += der_read_len(der + o, &len);
    assert_int_equal(len, 32);
    memcpy(raw + 65, der + o, 32);
    o += 32;
    assert_int_equal(der[o++], 0x04);
    o += der_read_len(der + o, &len);
    memcpy(raw + 97, der + o, len);
    o += len;
    assert_int_equal(o, derlen);
    return 97 + len;
}

/* ---- tests ---- */

static void test_sm3_vectors(void **state)
{
    (void)state;
    uint8_t h[32], want[32];
    sm3_digest("abc", 3, h);
    tu_unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", want, 32);
    assert_memory_equal(h, want, 32);
    char m[65];
    for (int i = 0; i < 16; i++)
        memcpy(m + 4 * i, "abcd", 4);
    sm3_digest(m, 64, h);
    tu_unhex("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732", want, 32);
    assert_memory_equal(h, want, 32);
}

static void test_sm3_vs_openssl(void **state)
{
    (void)state;
    static uint8_t buf[1200];
    long iters = tu_iters(2000, 20);
    for (long i = 0; i < iters; i++) {
        size_t len = rnd32() % sizeof(buf);
        rnd(buf, len);
        uint8_t a[32], b[32];
        unsigned blen = 0;
        /* random split into up to three updates to exercise buffering */
        size_t c1 = len ? rnd32() % (len + 1) : 0,
               c2 = c1 + (len - c1 ? rnd32() % (len - c1 + 1) : 0);
        sm3_ctx c;
        sm3_init(&c);
        sm3_update(&c, buf, c1);
        sm3_update(&c, buf + c1, c2 - c1);
        sm3_update(&c, buf + c2, len - c2);
        sm3_final(&c, a);
        assert_int_equal(EVP_Digest(buf, len, b, &blen, EVP_sm3(), NULL), 1);
        assert_memory_equal(a, b, 32);
    }
}

/* GM/T 0003.5 Annex A via guomi-notes §8: Z, e, (r, s) with the given k; OpenSSL accepts it too. */
static void test_sign_vector(void **state)
{
    (void)state;
    uint8_t d[32], px[32], py[32], k[32], z[32], e[32], r[32], s[32], pt[65], got[65], zz[32],
        ee[32], rr[32], ss[32];
    tu_unhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8", d, 32);
    tu_unhex("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020", px, 32);
    tu_unhex("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13", py, 32);
    tu_unhex("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21", k, 32);
    tu_unhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3", z, 32);
    tu_unhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640", e, 32);
    tu_unhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3", r, 32);
    tu_unhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA", s, 32);
    pt[0] = 4;
    memcpy(pt + 1, px, 32);
    memcpy(pt + 33, py, 32);
    sm2fast_priv *priv = sm2fast_priv_new(d);
    assert_non_null(priv);
    sm2fast_priv_public(priv, got);
    assert_memory_equal(got, pt, 65);
    sm2fast_z(pt, (const uint8_t *)ID, IDLEN, zz);
    assert_memory_equal(zz, z, 32);
    compute_e(pt, (const uint8_t *)"message digest", 14, ee);
    assert_memory_equal(ee, e, 32);
    assert_int_equal(sm2fast_sign_with_k(priv, e, k, rr, ss), 0);
    assert_memory_equal(rr, r, 32);
    assert_memory_equal(ss, s, 32);
    sm2fast_pub *pub = sm2fast_pub_new(pt);
    assert_non_null(pub);
    assert_int_equal(sm2fast_verify(pub, e, r, s), 1);
    /* the randomised signer (pooled CSPRNG nonces) gives different, valid signatures */
    assert_int_equal(sm2fast_sign(priv, e, rr, ss), 0);
    assert_memory_not_equal(rr, r, 32);
    assert_int_equal(sm2fast_verify(pub, e, rr, ss), 1);
    EVP_PKEY *ok = ossl_key(NULL, pt);
    uint8_t der[80];
    size_t dl = sig_to_der(r, s, der);
    assert_true(ossl_verify(ok, (const uint8_t *)"message digest", 14, der, dl));
    EVP_PKEY_free(ok);
    sm2fast_pub_free(pub);
    sm2fast_priv_free(priv);
}

static void test_encrypt_vector(void **state)
{
    (void)state;
    uint8_t d[32], k[32], pt[65], der[200], raw[200], out[200], m[64];
    tu_unhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8", d, 32);
    tu_unhex("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21", k, 32);
    size_t dl = tu_unhex(
        "307C022004EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73022100E858F9D8"
        "1E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0042059983C18F809E262923C53AEC2"
        "95D30383B54E39D609D160AFCB1908D0BD8766041321886CA989CA9C7D58087307CA93092D651EFA",
        der, sizeof(der));
    size_t rl = der_to_raw(der, dl, raw);
    assert_int_equal(rl, 97 + 19);
    sm2fast_priv *priv = sm2fast_priv_new(d);
    sm2fast_priv_public(priv, pt);
    sm2fast_pub *pub = sm2fast_pub_new(pt);
    assert_int_equal(sm2fast_encrypt(pub, (const uint8_t *)"encryption standard", 19, k, out), 0);
    assert_memory_equal(out, raw, 65);           /* C1 */
    assert_memory_equal(out + 65, raw + 65, 32); /* C3 */
    assert_memory_equal(out + 97, raw + 97, 19); /* C2 */
    assert_int_equal(sm2fast_decrypt(priv, raw, rl, m), 0);
    assert_memory_equal(m, "encryption standard", 19);
    sm2fast_pub_free(pub);
    sm2fast_priv_free(priv);
}

/* scalar with long runs of zeros and ones */
static void runs_scalar(uint8_t k[32])
{
    int bit = 0, val = rnd32() & 1;
    memset(k, 0, 32);
    while (bit < 256) {
        int run = 1 + (int)(rnd32() % 64);
        for (int i = 0; i < run && bit < 256; i++, bit++)
            if (val) k[31 - bit / 8] |= (uint8_t)(1u << (bit % 8));
        val ^= 1;
    }
}

static void edge_scalars(uint8_t list[][32], int *count)
{
    uint8_t n[32], p[32];
    int c = 0;
    tu_unhex(N_HEX, n, 32);
    tu_unhex(P_HEX, p, 32);
    static const int small[] = {0, 1, 2, 3, 4, 5, 31, 32, 33, 63, 64, 65};
    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
        memset(list[c], 0, 32);
        list[c++][31] = (uint8_t)small[i];
    }
    static const int dn[] = {-33, -32, -17, -16, -6, -3, -2, -1, 0, 1, 2, 6, 16, 17};
    for (size_t i = 0; i < sizeof(dn) / sizeof(dn[0]); i++)
        add_small(list[c++], n, dn[i]);
    add_small(list[c++], p, 0);
    add_small(list[c++], p, -1);
    memset(list[c], 0xff, 32); /* 2^256 - 1 */
    c++;
    memset(list[c], 0xff, 32);
    list[c][31] = 0xfe;
    c++;
    memset(list[c], 0, 32); /* 2^255 */
    list[c++][0] = 0x80;
    memset(list[c], 0, 32); /* 2^252 */
    list[c++][0] = 0x10;
    memset(list[c], 0xff, 32); /* 2^255 - 1 */
    list[c++][0] = 0x7f;
    memset(list[c], 0, 32); /* n + 2^251 style: top bits only */
    list[c][0] = 0xff;
    list[c++][1] = 0xff;
    /* 30 * 2^252 - n and n minus it: with odd comb digits the top window's addition is a
     * doubling (S_36 = 15 * 2^252 mod n) */
    tu_unhex("E00000010000000000000000000000008DFC2094DE39FAD4AC440BF6C62ABEDD", list[c++], 32);
    tu_unhex("1FFFFFFDFFFFFFFFFFFFFFFFFFFFFFFEE407BED6438C0A56A777E81273AA8246", list[c++], 32);
    *count = c;
}

static void test_mul_edges(void **state)
{
    (void)state;
    uint8_t list[64][32], pts[4][65], tmp[65];
    int c;
    edge_scalars(list, &c);
    /* G given explicitly, -G, and two random points */
    uint8_t one[32] = {0}, nm1[32], n[32];
    one[31] = 1;
    tu_unhex(N_HEX, n, 32);
    add_small(nm1, n, -1);
    assert_int_equal(ossl_mul(one, NULL, pts[0]), 1);
    assert_int_equal(ossl_mul(nm1, NULL, pts[1]), 1);
    rand_point(pts[2]);
    rand_point(pts[3]);
    for (int i = 0; i < c; i++) {
        check_mul(list[i], NULL);
        for (int j = 0; j < 4; j++)
            check_mul(list[i], pts[j]);
    }
    /* infinity: 0*G, n*G, n*P */
    assert_int_equal(sm2fast_mul(list[0], NULL, tmp), 0);
    assert_int_equal(sm2fast_mul(n, pts[2], tmp), 0);
}

/*
 * Batched differential check, so the bulk of the random cases does not wait on
 * OpenSSL's ~2k muls/s: each of sealca's results k_i*P is added up with OpenSSL's
 * EC_POINT_add and the sum is compared with OpenSSL's EC_POINT_mul((sum k_i) mod n, P).
 * A single wrong result makes the sums differ (except with negligible probability).
 */
typedef struct batch {
    EC_POINT *acc;
    BIGNUM *ksum;
    BIGNUM *order;
    int n;
} batch;

static void batch_init(batch *b)
{
    b->acc = EC_POINT_new(grp);
    b->ksum = BN_new();
    b->order = BN_new();
    assert_int_equal(EC_GROUP_get_order(grp, b->order, bnctx), 1);
    assert_int_equal(EC_POINT_set_to_infinity(grp, b->acc), 1);
    BN_zero(b->ksum);
    b->n = 0;
}

static void batch_add(batch *b, const uint8_t k[32], const uint8_t *pt)
{
    uint8_t out[65];
    int rc = sm2fast_mul(k, pt, out);
    assert_true(rc == 0 || rc == 1);
    BIGNUM *bk = BN_bin2bn(k, 32, NULL);
    assert_int_equal(BN_mod_add(b->ksum, b->ksum, bk, b->order, bnctx), 1);
    BN_free(bk);
    if (rc == 1) {
        EC_POINT *q = EC_POINT_new(grp);
        assert_int_equal(EC_POINT_oct2point(grp, q, out, 65, bnctx), 1); /* also checks on-curve */
        assert_int_equal(EC_POINT_add(grp, b->acc, b->acc, q, bnctx), 1);
        EC_POINT_free(q);
    }
    b->n++;
}

static void batch_check(batch *b, const uint8_t *pt)
{
    EC_POINT *want = EC_POINT_new(grp);
    if (pt == NULL) {
        assert_int_equal(EC_POINT_mul(grp, want, b->ksum, NULL, NULL, bnctx), 1);
    } else {
        EC_POINT *p = EC_POINT_new(grp);
        assert_int_equal(EC_POINT_oct2point(grp, p, pt, 65, bnctx), 1);
        assert_int_equal(EC_POINT_mul(grp, want, NULL, p, b->ksum, bnctx), 1);
        EC_POINT_free(p);
    }
    assert_int_equal(EC_POINT_cmp(grp, want, b->acc, bnctx), 0);
    EC_POINT_free(want);
    assert_int_equal(EC_POINT_set_to_infinity(grp, b->acc), 1);
    BN_zero(b->ksum);
    b->n = 0;
}

static void batch_free(batch *b)
{
    EC_POINT_free(b->acc);
    BN_free(b->ksum);
    BN_free(b->order);
}

static void test_mul_g_random(void **state)
{
    (void)state;
    uint8_t k[32];
    batch b;
    /* one by one */
    for (long i = 0; i < tu_iters(3000, 20); i++) {
        rnd(k, 32);
        check_mul(k, NULL);
    }
    for (long i = 0; i < tu_iters(500, 20); i++) {
        runs_scalar(k);
        check_mul(k, NULL);
    }
    /* batched */
    batch_init(&b);
    for (long i = 0; i < tu_iters(36000, 20); i++) {
        if (i % 8 == 7)
            runs_scalar(k);
        else
            rnd(k, 32);
        batch_add(&b, k, NULL);
        if (b.n == 200) batch_check(&b, NULL);
    }
    batch_check(&b, NULL);
    batch_free(&b);
}

static void test_mul_p_random(void **state)
{
    (void)state;
    uint8_t k[32], pt[65];
    batch b;
    rand_point(pt);
    for (long i = 0; i < tu_iters(1000, 20); i++) {
        if (i % 64 == 0) rand_point(pt);
        if (i % 4 == 3)
            runs_scalar(k);
        else
            rnd(k, 32);
        check_mul(k, pt);
    }
    batch_init(&b);
    for (long i = 0; i < tu_iters(10000, 20); i++) {
        if (i % 8 == 7)
            runs_scalar(k);
        else
            rnd(k, 32);
        batch_add(&b, k, pt);
        if (b.n == 100) {
            batch_check(&b, pt);
            rand_point(pt);
        }
    }
    batch_check(&b, pt);
    batch_free(&b);
}

static void test_sign_cross(void **state)
{
    (void)state;
    long iters = tu_iters(1500, 20);
    uint8_t d[32], pt[65], msg[100], e[32], r[32], s[32], der[80], got[65];
    sm2fast_priv *priv = NULL;
    sm2fast_pub *pub = NULL;
    EVP_PKEY *ok = NULL;
    for (long i = 0; i < iters; i++) {
        if (i % 16 == 0) {
            sm2fast_priv_free(priv);
            sm2fast_pub_free(pub);
            EVP_PKEY_free(ok);
            rand_keypair(d, pt);
            priv = sm2fast_priv_new(d);
            assert_non_null(priv);
            sm2fast_priv_public(priv, got);
            assert_memory_equal(got, pt, 65);
            pub = sm2fast_pub_new(pt);
            assert_non_null(pub);
            ok = ossl_key(d, pt);
        }
        size_t len = rnd32() % sizeof(msg);
        rnd(msg, len);
        compute_e(pt, msg, len, e);
        /* sealca signs, OpenSSL verifies */
        assert_int_equal(sm2fast_sign(priv, e, r, s), 0);
        size_t dl = sig_to_der(r, s, der);
        assert_true(ossl_verify(ok, msg, len, der, dl));
        assert_int_equal(sm2fast_verify(pub, e, r, s), 1);
        /* a changed message must fail in both */
        msg[0] ^= 1;
        uint8_t e2[32];
        compute_e(pt, msg, len ? len : 1, e2);
        assert_int_equal(sm2fast_verify(pub, e2, r, s), 0);
        msg[0] ^= 1;
        /* OpenSSL signs, sealca verifies */
        dl = ossl_sign(ok, msg, len, der);
        sig_from_der(der, dl, r, s);
        assert_int_equal(sm2fast_verify(pub, e, r, s), 1);
        s[rnd32() % 32] ^= (uint8_t)(1u << (rnd32() % 8));
        assert_int_equal(sm2fast_verify(pub, e, r, s), 0);
    }
    sm2fast_priv_free(priv);
    sm2fast_pub_free(pub);
    EVP_PKEY_free(ok);
}

static void enc_cross_one(const uint8_t d[32], const uint8_t pt[65], size_t len)
{
    uint8_t msg[300], raw[400], der[500], back[300];
    size_t outlen = sizeof(der);
    sm2fast_priv *priv = sm2fast_priv_new(d);
    sm2fast_pub *pub = sm2fast_pub_new(pt);
    EVP_PKEY *ok = ossl_key(d, pt);
    assert_non_null(priv);
    assert_non_null(pub);
    rnd(msg, len);
    /* sealca encrypts, OpenSSL decrypts */
    assert_int_equal(sm2fast_encrypt(pub, msg, len, NULL, raw), 0);
    size_t dl = raw_to_der(raw, 97 + len, der);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(ok, NULL);
    assert_int_equal(EVP_PKEY_decrypt_init(c), 1);
    outlen = sizeof(back);
    assert_int_equal(EVP_PKEY_decrypt(c, back, &outlen, der, dl), 1);
    assert_int_equal(outlen, len);
    assert_memory_equal(back, msg, len);
    EVP_PKEY_CTX_free(c);
    assert_int_equal(sm2fast_decrypt(priv, raw, 97 + len, back), 0);
    assert_memory_equal(back, msg, len);
    /* OpenSSL encrypts, sealca decrypts */
    c = EVP_PKEY_CTX_new(ok, NULL);
    assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
    outlen = sizeof(der);
    assert_int_equal(EVP_PKEY_encrypt(c, der, &outlen, msg, len), 1);
    EVP_PKEY_CTX_free(c);
    size_t rl = der_to_raw(der, outlen, raw);
    assert_int_equal(rl, 97 + len);
    memset(back, 0, sizeof(back));
    assert_int_equal(sm2fast_decrypt(priv, raw, rl, back), 0);
    assert_memory_equal(back, msg, len);
    EVP_PKEY_free(ok);
    sm2fast_priv_free(priv);
    sm2fast_pub_free(pub);
}

static void test_encrypt_cross(void **state)
{
    (void)state;
    long iters = tu_iters(400, 20);
    uint8_t d[32], pt[65];
    for (long i = 0; i < iters; i++) {
        if (i % 8 == 0) rand_keypair(d, pt);
        size_t len = 1 + rnd32() % 200;
        enc_cross_one(d, pt, len);
    }
    /* boundary keys, including n-6, where the constant-time ladder meets the doubling case */
    uint8_t n[32];
    tu_unhex(N_HEX, n, 32);
    static const int dn[] = {-2, -3, -6, -7};
    for (size_t i = 0; i < sizeof(dn) / sizeof(dn[0]); i++) {
        add_small(d, n, dn[i]);
        assert_int_equal(ossl_mul(d, NULL, pt), 1);
        enc_cross_one(d, pt, 32);
    }
    memset(d, 0, 32);
    for (int v = 1; v <= 3; v++) {
        d[31] = (uint8_t)v;
        assert_int_equal(ossl_mul(d, NULL, pt), 1);
        enc_cross_one(d, pt, 33);
    }
}

static void test_keygen(void **state)
{
    (void)state;
    uint8_t d[32], pt[65], want[65], n[32];
    tu_unhex(N_HEX, n, 32);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(sm2fast_keygen(d, pt), 0);
        assert_true(memcmp(d, n, 32) < 0);
        assert_int_equal(ossl_mul(d, NULL, want), 1);
        assert_memory_equal(pt, want, 65);
        sm2fast_priv *priv = sm2fast_priv_new(d);
        assert_non_null(priv);
        sm2fast_priv_free(priv);
    }
}

/*
 * Verification splits u2 into four 64-bit pieces with tables of 2^(64j)P: check
 * sm2_ec_verify_x against OpenSSL's u1*G + u2*P for u2 with zero, all-ones and
 * single-bit pieces (wNAF carries out of a piece, pieces skipped) and random ones.
 */
static void test_verify_x_split(void **state)
{
    (void)state;
    static const char *shapes[] = {
        "0000000000000000000000000000000000000000000000000000000000000001",
        "0000000000000000000000000000000000000000000000010000000000000000",
        "0000000000000001000000000000000000000000000000000000000000000000",
        "8000000000000000000000000000000000000000000000000000000000000000",
        "00000000000000000000000000000000FFFFFFFFFFFFFFFF0000000000000000",
        "FFFFFFFFFFFFFFFF0000000000000000FFFFFFFFFFFFFFFF0000000000000000",
        "0000000000000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54122", /* n-1 */
        "7FFFFFFFFFFFFFFF7FFFFFFFFFFFFFFF7FFFFFFFFFFFFFFF7FFFFFFFFFFFFFFF",
        "AAAAAAAAAAAAAAAA5555555555555555AAAAAAAAAAAAAAAA5555555555555555",
    };
    const int nshapes = (int)(sizeof(shapes) / sizeof(shapes[0]));
    long iters = tu_iters(300, 10);
    BIGNUM *n = NULL, *bx = BN_new(), *b1 = NULL, *b2 = NULL;
    assert_true(BN_hex2bn(&n, N_HEX) > 0);
    for (long i = 0; i < iters; i++) {
        uint8_t pt[65], u1b[32], u2b[32], out[65], xb[32];
        rand_point(pt);
        sm2_aff pa;
        assert_int_equal(sm2_ec_aff_from_bytes(&pa, pt + 1), 0);
        sm2_pubtab *tab = malloc(sizeof(*tab));
        assert_non_null(tab);
        sm2_ec_pubtab_init(tab, &pa);
        rnd(u1b, 32);
        if (i < 2 * nshapes) {
            tu_unhex(shapes[i % nshapes], u2b, 32);
            if (i >= nshapes) /* with random low bits mixed into the zero pieces' neighbours */
                u2b[31] ^= (uint8_t)(rnd32() | 1);
        } else {
            rnd(u2b, 32);
            int z = (int)(rnd32() % 5); /* zero a random 64-bit piece 4 times in 5 */
            if (z < 4) memset(u2b + 8 * z, 0, 8);
        }
        b1 = BN_bin2bn(u1b, 32, b1);
        b2 = BN_bin2bn(u2b, 32, b2);
        BN_mod(b1, b1, n, bnctx);
        BN_mod(b2, b2, n, bnctx);
        assert_int_equal(BN_bn2binpad(b1, u1b, 32), 32);
        assert_int_equal(BN_bn2binpad(b2, u2b, 32), 32);
        EC_POINT *p = EC_POINT_new(grp), *r = EC_POINT_new(grp);
        assert_int_equal(EC_POINT_oct2point(grp, p, pt, 65, bnctx), 1);
        assert_int_equal(EC_POINT_mul(grp, r, b1, p, b2, bnctx), 1);
        uint64_t u1[4], u2[4], rme[4];
        sm2_sn_from_bytes(u1, u1b);
        sm2_sn_from_bytes(u2, u2b);
        if (EC_POINT_is_at_infinity(grp, r)) {
            memset(rme, 0, sizeof(rme));
            assert_int_equal(sm2_ec_verify_x(u1, u2, tab, rme), 0);
        } else {
            assert_int_equal(
                EC_POINT_point2oct(grp, r, POINT_CONVERSION_UNCOMPRESSED, out, 65, bnctx), 65);
            bx = BN_bin2bn(out + 1, 32, bx);
            BN_mod(bx, bx, n, bnctx);
            assert_int_equal(BN_bn2binpad(bx, xb, 32), 32);
            sm2_sn_from_bytes(rme, xb);
            assert_int_equal(sm2_ec_verify_x(u1, u2, tab, rme), 1);
            BN_add_word(bx, 1);
            BN_mod(bx, bx, n, bnctx);
            assert_int_equal(BN_bn2binpad(bx, xb, 32), 32);
            sm2_sn_from_bytes(rme, xb);
            assert_int_equal(sm2_ec_verify_x(u1, u2, tab, rme), 0);
        }
        EC_POINT_free(p);
        EC_POINT_free(r);
        free(tab);
    }
    BN_free(n);
    BN_free(bx);
    BN_free(b1);
    BN_free(b2);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    uint8_t n[32], p[32], d[32], pt[65], bad[65], e[32], r[32], s[32], x[32], m[100], ct[200];
    tu_unhex(N_HEX, n, 32);
    tu_unhex(P_HEX, p, 32);
    /* private keys outside [1, n-2] */
    memset(x, 0, 32);
    assert_null(sm2fast_priv_new(x));
    add_small(x, n, -1);
    assert_null(sm2fast_priv_new(x));
    assert_null(sm2fast_priv_new(n));
    add_small(x, n, 1);
    assert_null(sm2fast_priv_new(x));
    memset(x, 0xff, 32);
    assert_null(sm2fast_priv_new(x));
    add_small(x, n, -2);
    sm2fast_priv *edge = sm2fast_priv_new(x);
    assert_non_null(edge);
    sm2fast_priv_free(edge);

    rand_keypair(d, pt);
    sm2fast_priv *priv = sm2fast_priv_new(d);
    sm2fast_pub *pub = sm2fast_pub_new(pt);
    assert_non_null(priv);
    assert_non_null(pub);

    /* public points */
    memcpy(bad, pt, 65);
    bad[0] = 0x02;
    assert_null(sm2fast_pub_new(bad));
    bad[0] = 0x00;
    assert_null(sm2fast_pub_new(bad));
    memcpy(bad, pt, 65);
    bad[64] ^= 1; /* off the curve */
    assert_null(sm2fast_pub_new(bad));
    memset(bad, 0, 65);
    bad[0] = 4; /* (0,0): the usual "infinity" encoding */
    assert_null(sm2fast_pub_new(bad));
    memcpy(bad, pt, 65);
    memcpy(bad + 1, p, 32); /* x = p */
    assert_null(sm2fast_pub_new(bad));
    memcpy(bad, pt, 65);
    memcpy(bad + 33, p, 32); /* y = p */
    assert_null(sm2fast_pub_new(bad));
    /* x, y >= p that are congruent to a curve point: (x + p) does not fit, but y + p may */
    memcpy(bad, pt, 65);
    {
        uint8_t yp[32];
        int carry = 0;
        for (int i = 31; i >= 0; i--) {
            int v = pt[33 + i] + p[i] + carry;
            yp[i] = (uint8_t)v;
            carry = v >> 8;
        }
        if (!carry) {
            memcpy(bad + 33, yp, 32);
            assert_null(sm2fast_pub_new(bad));
        }
    }
    assert_null(sm2fast_pub_new(NULL));
    memcpy(bad, pt, 65);
    bad[64] ^= 1;
    assert_int_equal(sm2fast_mul(n, bad, m), -1);

    /* signatures with r or s = 0 or >= n */
    rnd(e, 32);
    assert_int_equal(sm2fast_sign(priv, e, r, s), 0);
    assert_int_equal(sm2fast_verify(pub, e, r, s), 1);
    uint8_t z[32] = {0}, big[32];
    memset(big, 0xff, 32);
    assert_int_equal(sm2fast_verify(pub, e, z, s), 0);
    assert_int_equal(sm2fast_verify(pub, e, r, z), 0);
    assert_int_equal(sm2fast_verify(pub, e, n, s), 0);
    assert_int_equal(sm2fast_verify(pub, e, r, n), 0);
    assert_int_equal(sm2fast_verify(pub, e, big, s), 0);
    assert_int_equal(sm2fast_verify(pub, e, r, big), 0);
    /* r + n (if < 2^256) is the same residue but must still be refused */
    {
        uint8_t rn[32];
        int carry = 0;
        for (int i = 31; i >= 0; i--) {
            int v = r[i] + n[i] + carry;
            rn[i] = (uint8_t)v;
            carry = v >> 8;
        }
        if (!carry) assert_int_equal(sm2fast_verify(pub, e, rn, s), 0);
    }
    /* nonce outside [1, n-1] */
    assert_int_equal(sm2fast_sign_with_k(priv, e, z, r, s), -1);
    assert_int_equal(sm2fast_sign_with_k(priv, e, n, r, s), -1);

    /* ciphertexts */
    const uint8_t msg[20] = "twenty byte message!";
    assert_int_equal(sm2fast_encrypt(pub, msg, 20, NULL, ct), 0);
    assert_int_equal(sm2fast_decrypt(priv, ct, 117, m), 0);
    assert_memory_equal(m, msg, 20);
    ct[70] ^= 0x40; /* C3 */
    memset(m, 0xaa, sizeof(m));
    assert_int_equal(sm2fast_decrypt(priv, ct, 117, m), -1);
    for (int i = 0; i < 20; i++)
        assert_int_equal(m[i], 0); /* no unauthenticated plaintext released */
    ct[70] ^= 0x40;
    ct[100] ^= 1; /* C2: caught by C3 */
    assert_int_equal(sm2fast_decrypt(priv, ct, 117, m), -1);
    ct[100] ^= 1;
    ct[64] ^= 1; /* C1 off the curve */
    assert_int_equal(sm2fast_decrypt(priv, ct, 117, m), -1);
    ct[64] ^= 1;
    ct[0] = 0x02;
    assert_int_equal(sm2fast_decrypt(priv, ct, 117, m), -1);
    ct[0] = 0x04;
    assert_int_equal(sm2fast_decrypt(priv, ct, 97, m), -1); /* no C2 */
    assert_int_equal(sm2fast_decrypt(priv, ct, 50, m), -1);
    assert_int_equal(sm2fast_decrypt(priv, ct, 0, m), -1);
    assert_int_equal(sm2fast_decrypt(priv, ct, 116, m), -1); /* truncated C2 */
    assert_int_equal(sm2fast_decrypt(priv, ct, 117, m), 0);
    assert_int_equal(sm2fast_encrypt(pub, msg, 0, NULL, ct), -1);
    /* a nonce of 0 or n is refused for encryption too */
    assert_int_equal(sm2fast_encrypt(pub, msg, 20, z, ct), -1);
    assert_int_equal(sm2fast_encrypt(pub, msg, 20, n, ct), -1);
    sm2fast_priv_free(priv);
    sm2fast_pub_free(pub);
}

/* The batched fixed-base multiplication that fills the nonce pool (affine tree with shared
 * inversions) against k*G one at a time (itself checked against OpenSSL above): random
 * scalars, scalars with long 0/1 runs and the edge list that lies in [1, n-1]. */
static void test_gbatch(void **state)
{
    (void)state;
    uint8_t list[64][32], n[32], out[65];
    uint64_t k[SM2_GBATCH_MAX][4], x[SM2_GBATCH_MAX][4], bad[SM2_GBATCH_MAX];
    int c, cnt = 0;
    void *scratch = malloc(sm2_ec_gbatch_scratch_size());
    assert_non_null(scratch);
    edge_scalars(list, &c);
    tu_unhex(N_HEX, n, 32);
    long rounds = tu_iters(80, 20);
    for (long r = 0; r < rounds; r++) {
        cnt = 1 + (int)(r % SM2_GBATCH_MAX); /* every batch size, then full batches */
        if (r >= SM2_GBATCH_MAX) cnt = SM2_GBATCH_MAX;
        uint8_t kb[SM2_GBATCH_MAX][32];
        for (int j = 0; j < cnt; j++) {
            do {
                int pick = (int)(rnd32() % 4);
                if (pick == 0 && c > 0)
                    memcpy(kb[j], list[rnd32() % (uint32_t)c], 32);
                else if (pick == 1)
                    runs_scalar(kb[j]);
                else
                    rnd(kb[j], 32);
                sm2_sn_from_bytes(k[j], kb[j]);
            } while (!(sm2_sn_lt_n_mask(k[j]) & 1) || (sm2_sn_is_zero_mask(k[j]) & 1));
        }
        sm2_ec_mul_g_x_batch(x, bad, (const uint64_t(*)[4])k, cnt, scratch);
        for (int j = 0; j < cnt; j++) {
            uint8_t xb[32];
            assert_int_equal(bad[j], 0);
            assert_int_equal(sm2fast_mul(kb[j], NULL, out), 1);
            sm2_sn_to_bytes(xb, x[j]);
            assert_memory_equal(xb, out + 1, 32);
        }
    }
    free(scratch);
}

/* With e fixed, r = e + x(kG) mod n: a repeated r means a repeated nonce. */
static void sign_rs(sm2fast_priv *priv, const uint8_t e[32], int count, uint8_t (*rs)[32])
{
    uint8_t s[32];
    for (int i = 0; i < count; i++)
        assert_int_equal(sm2fast_sign(priv, e, rs[i], s), 0);
}

static int any_common(uint8_t (*a)[32], int na, uint8_t (*b)[32], int nb)
{
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if ((a != b || i != j) && memcmp(a[i], b[j], 32) == 0) return 1;
    return 0;
}

/* The nonce pool: many signatures of one digest (several pool refills) never repeat k, and
 * every one verifies. */
static void test_nonce_unique(void **state)
{
    (void)state;
    enum { N = 200 };
    uint8_t d[32], pt[65], e[32], r[32], s[32];
    static uint8_t rs[N][32];
    rand_keypair(d, pt);
    sm2fast_priv *priv = sm2fast_priv_new(d);
    sm2fast_pub *pub = sm2fast_pub_new(pt);
    assert_non_null(priv);
    assert_non_null(pub);
    rnd(e, 32);
    sign_rs(priv, e, N, rs);
    assert_false(any_common(rs, N, rs, N));
    for (int i = 0; i < 40; i++) {
        assert_int_equal(sm2fast_sign(priv, e, r, s), 0);
        assert_int_equal(sm2fast_verify(pub, e, r, s), 1);
    }
    sm2fast_priv_free(priv);
    sm2fast_pub_free(pub);
}

/* fork(): the child inherits the parent's half-used pool; using it would sign two messages
 * with one k and give d away. The child's nonces must differ from the parent's. */
static void test_nonce_fork(void **state)
{
    (void)state;
    enum { N = 40 };
    uint8_t d[32], pt[65], e[32], s[32];
    uint8_t parent[N][32], child[N][32];
    rand_keypair(d, pt);
    sm2fast_priv *priv = sm2fast_priv_new(d);
    assert_non_null(priv);
    rnd(e, 32);
    assert_int_equal(sm2fast_sign(priv, e, parent[0], s), 0); /* fills this thread's pool */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        int ok = 1;
        for (int i = 0; i < N && ok; i++)
            ok = sm2fast_sign(priv, e, child[i], s) == 0;
        ok = ok && write(fds[1], child, sizeof(child)) == (ssize_t)sizeof(child);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    sign_rs(priv, e, N, parent);
    size_t got = 0;
    while (got < sizeof(child)) {
        ssize_t n = read(fds[0], (uint8_t *)child + got, sizeof(child) - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(fds[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_false(any_common(parent, N, child, N));
    assert_false(any_common(child, N, child, N));
    sm2fast_priv_free(priv);
}

typedef struct sign_thread_arg {
    sm2fast_priv *priv;
    const uint8_t *e;
    uint8_t rs[100][32];
    int ok;
} sign_thread_arg;

static void *sign_thread(void *p)
{
    sign_thread_arg *a = p;
    uint8_t s[32];
    a->ok = 1;
    for (int i = 0; i < 100 && a->ok; i++)
        a->ok = sm2fast_sign(a->priv, a->e, a->rs[i], s) == 0;
    return NULL;
}

/* Threads signing with one key context each use their own pool: no shared nonce. */
static void test_nonce_threads(void **state)
{
    (void)state;
    uint8_t d[32], pt[65], e[32];
    static sign_thread_arg a[3];
    pthread_t th[3];
    rand_keypair(d, pt);
    sm2fast_priv *priv = sm2fast_priv_new(d);
    assert_non_null(priv);
    rnd(e, 32);
    for (int i = 0; i < 3; i++) {
        a[i].priv = priv;
        a[i].e = e;
        assert_int_equal(pthread_create(&th[i], NULL, sign_thread, &a[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_true(a[i].ok);
    }
    for (int i = 0; i < 3; i++)
        for (int j = i; j < 3; j++)
            assert_false(any_common(a[i].rs, 100, a[j].rs, 100));
    sm2fast_priv_free(priv);
}

/* limbs (little-endian) <-> BIGNUM */
static BIGNUM *limbs_to_bn(const uint64_t a[4])
{
    uint8_t b[32];
    for (int i = 0; i < 32; i++)
        b[31 - i] = (uint8_t)(a[i / 8] >> (8 * (i % 8)));
    return BN_bin2bn(b, 32, NULL);
}

/*
 * Field multiplication, subtraction and the dedicated squarings (C and MULX/ADX path) against
 * OpenSSL's BN: a*b / 2^256 mod p, a - b mod p both ways round, and a^2 / 2^256 four ways (sqr and
 * mul on both paths) on edge values (0, 1, 2, p-1, p-2, 2^255, limbs of all ones or zeros, values
 * just below p) and random ones, also with long runs of 0 or 1 bits (the carry chains of the
 * doubling and the reduction).
 */
static void test_fp_sqr(void **state)
{
    (void)state;
    static const uint64_t P[4] = {0xffffffffffffffffULL, 0xffffffff00000000ULL,
                                  0xffffffffffffffffULL, 0xfffffffeffffffffULL};
    const uint64_t edges[][4] = {
        {0, 0, 0, 0},
        {1, 0, 0, 0},
        {2, 0, 0, 0},
        {P[0] - 1, P[1], P[2], P[3]},
        {P[0] - 2, P[1], P[2], P[3]},
        {P[0] - 0x12345, P[1], P[2], P[3]},
        {0, 0, 0, 0x8000000000000000ULL},
        {~0ULL, ~0ULL, ~0ULL, 0xfffffffe00000000ULL},
        {~0ULL, 0xfffffffeffffffffULL, ~0ULL, P[3]},
        {~0ULL, 0, ~0ULL, 0},
        {0, ~0ULL, 0, P[3]},
        {~0ULL, ~0ULL, ~0ULL, ~0ULL >> 1},
        {0x0000000000000001ULL, 0x00000000ffffffffULL, 0, 0x0000000100000000ULL}, /* 2^256 mod p */
        {0, 0, 0, 1},
        {~0ULL, 0, 0, 0},
    };
    const int nedge = (int)(sizeof(edges) / sizeof(edges[0]));
    int have_asm = sm2_ec_have_asm();
    BIGNUM *bp = NULL, *rinv = BN_new(), *r256 = BN_new(), *exp = BN_new();
    assert_true(BN_hex2bn(&bp, P_HEX) > 0);
    assert_int_equal(BN_set_bit(r256, 256), 1);
    assert_non_null(BN_mod_inverse(rinv, r256, bp, bnctx));
    long iters = tu_iters(20000, 20);
    for (long i = 0; i < iters + nedge; i++) {
        uint64_t a[4], b[4], r[4];
        if (i < nedge) {
            memcpy(a, edges[i], 32);
            memcpy(b, edges[(i * 7 + 3) % nedge], 32);
        } else {
            rnd(a, 32);
            rnd(b, 32);
            if (i % 3 == 1) /* long runs: whole limbs of 0 or 1 */
                for (int j = 0; j < 4; j++)
                    if ((a[j] >> 7) & 1) a[j] = (a[j] & 1) ? ~0ULL : 0;
            if (i % 5 == 2) /* just below p */
                for (int j = 0; j < 4; j++)
                    a[j] = j == 0 ? P[0] - (b[0] & 0xffff) - 1 : P[j];
        }
        if (sm2_ec_fp_op(1, 0, r, a, NULL) != 0) { /* a >= p: refused, and skipped */
            assert_int_equal(sm2_ec_fp_op(0, 0, r, a, a), -1);
            continue;
        }
        BIGNUM *ba = limbs_to_bn(a);
        /* expected a^2 / 2^256 mod p */
        assert_int_equal(BN_mod_mul(exp, ba, ba, bp, bnctx), 1);
        assert_int_equal(BN_mod_mul(exp, exp, rinv, bp, bnctx), 1);
        uint64_t want[4] = {0, 0, 0, 0};
        uint8_t eb[32];
        assert_int_equal(BN_bn2binpad(exp, eb, 32), 32);
        for (int j = 0; j < 32; j++)
            want[j / 8] |= (uint64_t)eb[31 - j] << (8 * (j % 8));
        for (int impl = 0; impl < 1 + have_asm; impl++) {
            assert_int_equal(sm2_ec_fp_op(1, impl, r, a, NULL), 0);
            assert_memory_equal(r, want, 32);
            assert_int_equal(sm2_ec_fp_op(0, impl, r, a, a), 0);
            assert_memory_equal(r, want, 32);
            /* in place (r aliases a) */
            uint64_t c[4];
            memcpy(c, a, 32);
            assert_int_equal(sm2_ec_fp_op(1, impl, c, c, NULL), 0);
            assert_memory_equal(c, want, 32);
        }
        if (sm2_ec_fp_op(0, 0, r, a, b) == 0) {
            BIGNUM *bb = limbs_to_bn(b);
            assert_int_equal(BN_mod_mul(exp, ba, bb, bp, bnctx), 1);
            assert_int_equal(BN_mod_mul(exp, exp, rinv, bp, bnctx), 1);
            assert_int_equal(BN_bn2binpad(exp, eb, 32), 32);
            memset(want, 0, sizeof(want));
            for (int j = 0; j < 32; j++)
                want[j / 8] |= (uint64_t)eb[31 - j] << (8 * (j % 8));
            assert_memory_equal(r, want, 32);
            if (have_asm) {
                assert_int_equal(sm2_ec_fp_op(0, 1, r, a, b), 0);
                assert_memory_equal(r, want, 32);
            }
            /* subtraction, both ways round (borrow and no borrow) */
            for (int w = 0; w < 2; w++) {
                assert_int_equal(BN_mod_sub(exp, w ? bb : ba, w ? ba : bb, bp, bnctx), 1);
                assert_int_equal(BN_bn2binpad(exp, eb, 32), 32);
                memset(want, 0, sizeof(want));
                for (int j = 0; j < 32; j++)
                    want[j / 8] |= (uint64_t)eb[31 - j] << (8 * (j % 8));
                for (int impl = 0; impl < 1 + have_asm; impl++) {
                    assert_int_equal(sm2_ec_fp_op(2, impl, r, w ? b : a, w ? a : b), 0);
                    assert_memory_equal(r, want, 32);
                }
            }
            BN_free(bb);
        }
        BN_free(ba);
    }
    /* inputs >= p are refused */
    uint64_t r[4];
    assert_int_equal(sm2_ec_fp_op(1, 0, r, P, NULL), -1);
    const uint64_t ones[4] = {~0ULL, ~0ULL, ~0ULL, ~0ULL};
    assert_int_equal(sm2_ec_fp_op(1, 0, r, ones, NULL), -1);
    BN_free(bp);
    BN_free(rinv);
    BN_free(r256);
    BN_free(exp);
}

/* The C and MULX/ADX paths must agree bit for bit (skipped when the CPU lacks BMI2/ADX). */
static void test_paths_agree(void **state)
{
    (void)state;
    if (!sm2_ec_have_asm()) {
        print_message("no BMI2/ADX on this CPU: only the C path exists\n");
        return;
    }
    long iters = tu_iters(1000, 20);
    uint8_t k[32], pt[65], a[65], b[65], d[32], e[32], ra[32], sa[32], rb[32], sb[32];
    for (long i = 0; i < iters; i++) {
        rnd(k, 32);
        rand_keypair(d, pt);
        rnd(e, 32);
        sm2_ec_force_c(1);
        uint8_t a2[65];
        int r1 = sm2fast_mul(k, NULL, a), r2 = sm2fast_mul(k, pt, a2);
        sm2fast_priv *pc = sm2fast_priv_new(d);
        sm2fast_pub *uc = sm2fast_pub_new(pt);
        int okc = sm2fast_sign_with_k(pc, e, k, ra, sa);
        int vc = okc == 0 ? sm2fast_verify(uc, e, ra, sa) : -1;
        sm2_ec_force_c(0);
        int s1 = sm2fast_mul(k, NULL, b);
        assert_int_equal(r1, s1);
        assert_memory_equal(a, b, 65);
        int s2 = sm2fast_mul(k, pt, b);
        assert_int_equal(r2, s2);
        assert_memory_equal(a2, b, 65);
        sm2fast_priv *pa = sm2fast_priv_new(d);
        sm2fast_pub *ua = sm2fast_pub_new(pt);
        int oka = sm2fast_sign_with_k(pa, e, k, rb, sb);
        assert_int_equal(okc, oka);
        if (oka == 0) {
            assert_memory_equal(ra, rb, 32);
            assert_memory_equal(sa, sb, 32);
            assert_int_equal(sm2fast_verify(ua, e, rb, sb), vc);
        }
        sm2fast_priv_free(pc);
        sm2fast_priv_free(pa);
        sm2fast_pub_free(uc);
        sm2fast_pub_free(ua);
    }
}

static int setup_c(void **state)
{
    (void)state;
    print_message("sm2fast path: %s\n", sm2_ec_force_c(1));
    return 0;
}

static int setup_auto(void **state)
{
    (void)state;
    print_message("sm2fast path: %s\n", sm2_ec_force_c(0));
    return 0;
}

int main(void)
{
    const char *eng = getenv("SEALCA_SM2_ENGINE");
    if (eng != NULL && strcmp(eng, "openssl") == 0) {
        printf("test_sm2fast: tests the fast engine itself; nothing to do with "
               "SEALCA_SM2_ENGINE=openssl\n");
        return 0;
    }
    grp = EC_GROUP_new_by_curve_name(NID_sm2);
    bnctx = BN_CTX_new();
    if (grp == NULL || bnctx == NULL) return 1;
    const struct CMUnitTest once[] = {
        cmocka_unit_test(test_sm3_vectors),   cmocka_unit_test(test_sm3_vs_openssl),
        cmocka_unit_test(test_fp_sqr),        cmocka_unit_test(test_paths_agree),
        cmocka_unit_test(test_nonce_unique),  cmocka_unit_test(test_nonce_fork),
        cmocka_unit_test(test_nonce_threads),
    };
    const struct CMUnitTest per_path[] = {
        cmocka_unit_test(test_sign_vector),   cmocka_unit_test(test_encrypt_vector),
        cmocka_unit_test(test_mul_edges),     cmocka_unit_test(test_mul_g_random),
        cmocka_unit_test(test_mul_p_random),  cmocka_unit_test(test_sign_cross),
        cmocka_unit_test(test_encrypt_cross), cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_bad_inputs),    cmocka_unit_test(test_verify_x_split),
        cmocka_unit_test(test_gbatch),
    };
    int fails = cmocka_run_group_tests_name("sm2fast_common", once, NULL, NULL);
    fails += cmocka_run_group_tests_name("sm2fast_c64", per_path, setup_c, setup_auto);
    if (sm2_ec_have_asm())
        fails += cmocka_run_group_tests_name("sm2fast_asm", per_path, setup_auto, NULL);
    EC_GROUP_free(grp);
    BN_CTX_free(bnctx);
    return fails ? 1 : 0;
}
