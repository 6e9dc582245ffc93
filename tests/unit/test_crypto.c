/* test_crypto.c - the crypto layer against the official GM/T vectors and its own contracts. */
#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include "crypto/crypto.h"

static const char *D_HEX = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
static const char *PX_PY_HEX = "04"
                               "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
                               "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";

static sc_key *vector_key(void)
{
    uint8_t d[32];
    sc_key *k = NULL;
    sc_err e = {0};
    tu_unhex(D_HEX, d, 32);
    assert_int_equal(crypto_key_sm2_from_private(d, &k, &e), 0);
    return k;
}

static void test_sm3_vectors(void **state)
{
    uint8_t out[32], want[32], msg[64];
    crypto_sm3("abc", 3, out);
    tu_unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", want, 32);
    assert_memory_equal(out, want, 32);
    for (int i = 0; i < 64; i++)
        msg[i] = "abcd"[i % 4];
    crypto_sm3(msg, 64, out);
    tu_unhex("debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732", want, 32);
    assert_memory_equal(out, want, 32);
}

static void test_sm3_matches_openssl(void **state)
{
    /* streaming with odd chunkings equals OpenSSL's one-shot SM3 on random lengths */
    uint8_t buf[1000], a[32], b[32];
    for (int iter = 0; iter < 300; iter++) {
        size_t n = (size_t)iter * 3 % 1000;
        crypto_random(buf, n);
        crypto_sm3_ctx c;
        crypto_sm3_init(&c);
        size_t off = 0, step = (size_t)(iter % 70) + 1;
        while (off < n) {
            size_t t = n - off < step ? n - off : step;
            crypto_sm3_update(&c, buf + off, t);
            off += t;
        }
        crypto_sm3_final(&c, a);
        unsigned int len = 32;
        assert_int_equal(EVP_Digest(buf, n, b, &len, EVP_sm3(), NULL), 1);
        assert_memory_equal(a, b, 32);
    }
}

static void test_sm4_vectors(void **state)
{
    uint8_t key[16], blk[16], want[16];
    tu_unhex("0123456789abcdeffedcba9876543210", key, 16);
    memcpy(blk, key, 16);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_EncryptInit_ex(c, EVP_sm4_ecb(), NULL, key, NULL), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    int n = 0;
    assert_int_equal(EVP_EncryptUpdate(c, blk, &n, blk, 16), 1);
    tu_unhex("681edf34d206965e86b3e94f536e4246", want, 16);
    assert_memory_equal(blk, want, 16);
    for (int i = 1; i < 1000000; i++)
        EVP_EncryptUpdate(c, blk, &n, blk, 16);
    tu_unhex("595298c7c6fd271f0402f804c33d3f66", want, 16);
    assert_memory_equal(blk, want, 16);
    EVP_CIPHER_CTX_free(c);
}

static void test_sm4_cbc_roundtrip(void **state)
{
    uint8_t key[16], iv[16], msg[100];
    crypto_random(key, 16);
    crypto_random(iv, 16);
    crypto_random(msg, sizeof(msg));
    sc_buf ct = {0}, pt = {0};
    sc_err e = {0};
    assert_int_equal(crypto_sm4_cbc(1, key, iv, msg, sizeof(msg), &ct, &e), 0);
    assert_int_equal(ct.len, 112);
    assert_int_equal(crypto_sm4_cbc(0, key, iv, ct.p, ct.len, &pt, &e), 0);
    assert_int_equal(pt.len, sizeof(msg));
    assert_memory_equal(pt.p, msg, sizeof(msg));
    sc_buf_free(&pt);
    key[0] ^= 1; /* wrong key: padding check fails (overwhelmingly likely) or garbage differs */
    sc_err e2 = {0};
    int rc = crypto_sm4_cbc(0, key, iv, ct.p, ct.len, &pt, &e2);
    assert_true(rc != 0 || pt.len != sizeof(msg) || memcmp(pt.p, msg, sizeof(msg)) != 0);
    sc_buf_free(&pt);
    sc_buf_free(&ct);
}

static void test_aead(void **state)
{
    uint8_t key[32], msg[300];
    crypto_random(key, 32);
    crypto_random(msg, sizeof(msg));
    sc_buf sealed = {0}, out = {0};
    sc_err e = {0};
    assert_int_equal(
        crypto_aead_seal(key, (const uint8_t *)"aad", 3, msg, sizeof(msg), &sealed, &e), 0);
    assert_int_equal(sealed.len, 1 + 16 + sizeof(msg) + 32);
    assert_int_equal(
        crypto_aead_open(key, (const uint8_t *)"aad", 3, sealed.p, sealed.len, &out, &e), 0);
    assert_memory_equal(out.p, msg, sizeof(msg));
    sc_buf_free(&out);
    /* every single-bit flip anywhere is refused and writes nothing */
    for (size_t i = 0; i < sealed.len; i += 7) {
        sealed.p[i] ^= 0x10;
        sc_err e2 = {0};
        int rc = crypto_aead_open(key, (const uint8_t *)"aad", 3, sealed.p, sealed.len, &out, &e2);
        assert_true(rc != 0);
        assert_int_equal(out.len, 0);
        sealed.p[i] ^= 0x10;
    }
    sc_err e3 = {0};
    assert_int_equal(
        crypto_aead_open(key, (const uint8_t *)"aaD", 3, sealed.p, sealed.len, &out, &e3),
        SC_EVERIFY);
    assert_string_equal(e3.code, "aead.bad_tag");
    sc_buf_free(&sealed);
}

static void test_hmac_sm3_matches_openssl(void **state)
{
    uint8_t key[100], msg[200], a[32], b[32];
    for (int i = 0; i < 50; i++) {
        size_t kl = (size_t)i * 2 + 1, ml = (size_t)i * 4;
        crypto_random(key, kl);
        crypto_random(msg, ml);
        crypto_hmac_sm3(key, kl, msg, ml, a);
        size_t outlen = 32;
        assert_non_null(
            EVP_Q_mac(NULL, "HMAC", NULL, "SM3", NULL, key, kl, msg, ml, b, 32, &outlen));
        assert_memory_equal(a, b, 32);
    }
}

static void test_sm2_z_and_e(void **state)
{
    sc_key *k = vector_key();
    uint8_t pt[65], want_pt[65], z[32], want[32];
    assert_int_equal(crypto_key_sm2_point(k, pt), 0);
    tu_unhex(PX_PY_HEX, want_pt, 65);
    assert_memory_equal(pt, want_pt, 65);
    sc_err e = {0};
    assert_int_equal(crypto_sm2_z(k, (const uint8_t *)"1234567812345678", 16, z, &e), 0);
    tu_unhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3", want, 32);
    assert_memory_equal(z, want, 32);
    crypto_sm3_ctx c;
    crypto_sm3_init(&c);
    crypto_sm3_update(&c, z, 32);
    crypto_sm3_update(&c, "message digest", 14);
    crypto_sm3_final(&c, z);
    tu_unhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640", want, 32);
    assert_memory_equal(z, want, 32);
    crypto_key_free(k);
}

static void test_sm2_official_signature_verifies(void **state)
{
    /* GM/T 0003.5 Annex A: (r, s) made with k = 59276E27…; proves the GM/T 0009 ID is used */
    sc_key *k = vector_key();
    uint8_t rs[64];
    tu_unhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
             "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA",
             rs, 64);
    sc_buf der = {0};
    assert_int_equal(crypto_sig_raw_to_der(rs, &der), 0);
    sc_err e = {0};
    assert_int_equal(
        crypto_verify(k, SC_ALG_SM2, (const uint8_t *)"message digest", 14, der.p, der.len, &e), 0);
    sc_err e2 = {0};
    assert_int_equal(
        crypto_verify(k, SC_ALG_SM2, (const uint8_t *)"message digesT", 14, der.p, der.len, &e2),
        SC_EVERIFY);
    sc_buf_free(&der);
    crypto_key_free(k);
}

static void test_sm2_official_ciphertext_decrypts(void **state)
{
    sc_key *k = vector_key();
    uint8_t c[200];
    size_t n = tu_unhex(
        "307C022004EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73022100E858F9D8"
        "1E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0042059983C18F809E262923C53AEC2"
        "95D30383B54E39D609D160AFCB1908D0BD8766041321886CA989CA9C7D58087307CA93092D651EFA",
        c, sizeof(c));
    sc_buf out = {0};
    sc_err e = {0};
    assert_int_equal(crypto_sm2_decrypt(k, c, n, &out, &e), 0);
    assert_int_equal(out.len, 19);
    assert_memory_equal(out.p, "encryption standard", 19);
    sc_buf_free(&out);
    c[n - 1] ^= 1; /* C2 damaged -> C3 check fails */
    sc_err e2 = {0};
    assert_int_not_equal(crypto_sm2_decrypt(k, c, n, &out, &e2), 0);
    assert_int_equal(out.len, 0);
    sc_buf_free(&out);
    crypto_key_free(k);
}

static void roundtrip_alg(sc_alg alg)
{
    sc_key *k = NULL, *pub = NULL;
    sc_err e = {0};
    assert_int_equal(crypto_key_generate(alg, &k, &e), 0);
    assert_int_equal(crypto_key_alg(k), alg);
    assert_true(crypto_key_is_private(k));
    sc_buf spki = {0}, sig = {0};
    assert_int_equal(crypto_key_spki(k, &spki, &e), 0);
    assert_int_equal(crypto_key_from_spki(spki.p, spki.len, &pub, &e), 0);
    assert_false(crypto_key_is_private(pub));
    assert_true(crypto_key_equal_public(k, pub));
    const uint8_t msg[] = "sealca signs this";
    for (int i = 0; i < 20; i++) {
        sig.len = 0;
        assert_int_equal(crypto_sign(k, msg, sizeof(msg), &sig, &e), 0);
        assert_int_equal(crypto_verify(pub, alg, msg, sizeof(msg), sig.p, sig.len, &e), 0);
    }
    sig.p[sig.len / 2] ^= 1;
    sc_err e2 = {0};
    assert_int_equal(crypto_verify(pub, alg, msg, sizeof(msg), sig.p, sig.len, &e2), SC_EVERIFY);
    /* wrong algorithm claimed */
    sc_err e3 = {0};
    assert_int_equal(crypto_verify(pub, alg == SC_ALG_SM2 ? SC_ALG_ECDSA_P256 : SC_ALG_SM2, msg,
                                   sizeof(msg), sig.p, sig.len, &e3),
                     SC_EVERIFY);
    uint8_t id[32];
    size_t idlen = 0;
    assert_int_equal(crypto_key_id(k, id, &idlen, &e), 0);
    assert_int_equal(idlen, 20);
    sc_buf_free(&spki);
    sc_buf_free(&sig);
    crypto_key_free(pub);
    crypto_key_free(k);
}

static void test_sign_verify_sm2(void **state)
{
    roundtrip_alg(SC_ALG_SM2);
}
static void test_sign_verify_p256(void **state)
{
    roundtrip_alg(SC_ALG_ECDSA_P256);
}
static void test_sign_verify_rsa(void **state)
{
    roundtrip_alg(SC_ALG_RSA3072);
}

static void test_sm2_signature_verifies_in_openssl_with_distid(void **state)
{
    /* our SM2 signatures verify through OpenSSL's own digest-verify with the distid set */
    sc_key *k = NULL;
    sc_err e = {0};
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k, &e), 0);
    sc_buf spki = {0}, sig = {0};
    assert_int_equal(crypto_key_spki(k, &spki, &e), 0);
    const unsigned char *p = spki.p;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)spki.len);
    assert_non_null(pk);
    for (int i = 0; i < 50; i++) {
        uint8_t msg[64];
        crypto_random(msg, sizeof(msg));
        sig.len = 0;
        assert_int_equal(crypto_sign(k, msg, sizeof(msg), &sig, &e), 0);
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pc = NULL;
        assert_int_equal(EVP_DigestVerifyInit_ex(m, &pc, "SM3", NULL, NULL, pk, NULL), 1);
        assert_int_equal(EVP_PKEY_CTX_set1_id(pc, "1234567812345678", 16), 1);
        assert_int_equal(EVP_DigestVerify(m, sig.p, sig.len, msg, sizeof(msg)), 1);
        EVP_MD_CTX_free(m);
    }
    EVP_PKEY_free(pk);
    sc_buf_free(&spki);
    sc_buf_free(&sig);
    crypto_key_free(k);
}

static void test_sm2_encrypt_roundtrip(void **state)
{
    sc_key *k = NULL;
    sc_err e = {0};
    assert_int_equal(crypto_key_generate(SC_ALG_SM2, &k, &e), 0);
    for (size_t n = 1; n < 300; n += 37) {
        uint8_t msg[300];
        crypto_random(msg, n);
        sc_buf c = {0}, m = {0};
        assert_int_equal(crypto_sm2_encrypt(k, msg, n, &c, &e), 0);
        assert_int_equal(crypto_sm2_decrypt(k, c.p, c.len, &m, &e), 0);
        assert_int_equal(m.len, n);
        assert_memory_equal(m.p, msg, n);
        sc_buf_free(&c);
        sc_buf_free(&m);
    }
    sc_buf c = {0};
    sc_err e2 = {0};
    assert_int_equal(crypto_sm2_encrypt(k, (const uint8_t *)"", 0, &c, &e2), SC_EINVAL);
    crypto_key_free(k);
}

static void test_key_file_roundtrip(void **state)
{
    char *dir = tu_tmpdir();
    char path[4200];
    snprintf(path, sizeof(path), "%s/k.pem", dir);
    sc_alg algs[] = {SC_ALG_SM2, SC_ALG_ECDSA_P256};
    for (size_t i = 0; i < 2; i++) {
        sc_key *k = NULL, *k2 = NULL;
        sc_err e = {0};
        assert_int_equal(crypto_key_generate(algs[i], &k, &e), 0);
        assert_int_equal(crypto_key_save(k, path, "correct horse", 13, &e), 0);
        uint8_t *data = NULL;
        size_t len = 0;
        assert_int_equal(sc_file_read(path, 65536, &data, &len), 0);
        assert_non_null(strstr((char *)data, "BEGIN ENCRYPTED PRIVATE KEY"));
        free(data);
        assert_int_equal(crypto_key_load(path, "correct horse", 13, &k2, &e), 0);
        assert_true(crypto_key_equal_public(k, k2));
        assert_true(crypto_key_is_private(k2));
        crypto_key_free(k2);
        sc_err e2 = {0};
        assert_int_equal(crypto_key_load(path, "wrong horse", 11, &k2, &e2), SC_EVERIFY);
        assert_null(k2);
        assert_string_equal(e2.code, "key.bad_passphrase");
        sc_err e3 = {0};
        assert_int_equal(crypto_key_save(k, path, "", 0, &e3), SC_EINVAL);
        crypto_key_free(k);
    }
    /* a plaintext key is refused */
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    BIO *b = BIO_new_fp(f, BIO_NOCLOSE);
    PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
    BIO_free(b);
    fclose(f);
    EVP_PKEY_free(pk);
    sc_key *k3 = NULL;
    sc_err e4 = {0};
    assert_int_equal(crypto_key_load(path, "x", 1, &k3, &e4), SC_EINVAL);
    assert_string_equal(e4.code, "key.not_encrypted_pkcs8");
    tu_rmrf(dir);
}

static void test_sm2_private_range(void **state)
{
    uint8_t d[32] = {0};
    sc_key *k = NULL;
    sc_err e = {0};
    assert_int_equal(crypto_key_sm2_from_private(d, &k, &e), SC_EINVAL); /* 0 */
    sc_err e2 = {0};
    /* n - 1 is not allowed (1 + d must be invertible) */
    tu_unhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54122", d, 32);
    assert_int_equal(crypto_key_sm2_from_private(d, &k, &e2), SC_EINVAL);
    sc_err e3 = {0};
    tu_unhex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54121", d, 32);
    assert_int_equal(crypto_key_sm2_from_private(d, &k, &e3), 0); /* n - 2 */
    uint8_t d2[32];
    assert_int_equal(crypto_key_sm2_private(k, d2), 0);
    assert_memory_equal(d, d2, 32);
    crypto_key_free(k);
}

static void test_bad_spki_refused(void **state)
{
    uint8_t junk[91];
    sc_key *k = NULL;
    sc_err e = {0};
    crypto_random(junk, sizeof(junk));
    assert_int_equal(crypto_key_from_spki(junk, sizeof(junk), &k, &e), SC_EINVAL);
    /* a point not on the curve */
    uint8_t pt[65];
    tu_unhex(PX_PY_HEX, pt, 65);
    pt[64] ^= 1;
    sc_err e2 = {0};
    assert_int_not_equal(crypto_key_sm2_from_point(pt, &k, &e2), 0);
    assert_null(k);
}

static void test_sigalg(void **state)
{
    sc_alg a;
    sc_err e = {0};
    static const uint8_t with_null[] = {0x30, 0x0c, 0x06, 0x08, 0x2a, 0x81, 0x1c,
                                        0xcf, 0x55, 0x01, 0x83, 0x75, 0x05, 0x00};
    assert_int_equal(crypto_sigalg_parse(with_null, sizeof(with_null), &a, &e), 0);
    assert_int_equal(a, SC_ALG_SM2);
    sc_buf b = {0};
    for (sc_alg x = SC_ALG_SM2; x <= SC_ALG_RSA3072; x++) {
        b.len = 0;
        assert_int_equal(crypto_sigalg_der(x, &b), 0);
        assert_int_equal(crypto_sigalg_parse(b.p, b.len, &a, &e), 0);
        assert_int_equal(a, x);
    }
    b.p[b.len - 3] ^= 1;
    assert_int_equal(crypto_sigalg_parse(b.p, b.len, &a, &e), SC_EINVAL);
    sc_buf_free(&b);
}

static void test_sig_der_strict(void **state)
{
    uint8_t rs[64];
    for (int i = 0; i < 200; i++) {
        crypto_random(rs, 64);
        if (i % 3 == 0) memset(rs, 0, 3); /* short values */
        sc_buf d = {0};
        uint8_t back[64];
        assert_int_equal(crypto_sig_raw_to_der(rs, &d), 0);
        assert_int_equal(crypto_sig_der_to_raw(d.p, d.len, back), 0);
        assert_memory_equal(rs, back, 64);
        /* trailing byte, wrong outer length */
        uint8_t tmp[80];
        memcpy(tmp, d.p, d.len);
        tmp[d.len] = 0;
        assert_int_equal(crypto_sig_der_to_raw(tmp, d.len + 1, back), -1);
        sc_buf_free(&d);
    }
    /* non-minimal integer */
    static const uint8_t bad[] = {0x30, 0x08, 0x02, 0x02, 0x00, 0x01, 0x02, 0x02, 0x00, 0x01};
    assert_int_equal(crypto_sig_der_to_raw(bad, sizeof(bad), rs), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sm3_vectors),
        cmocka_unit_test(test_sm3_matches_openssl),
        cmocka_unit_test(test_sm4_vectors),
        cmocka_unit_test(test_sm4_cbc_roundtrip),
        cmocka_unit_test(test_aead),
        cmocka_unit_test(test_hmac_sm3_matches_openssl),
        cmocka_unit_test(test_sm2_z_and_e),
        cmocka_unit_test(test_sm2_official_signature_verifies),
        cmocka_unit_test(test_sm2_official_ciphertext_decrypts),
        cmocka_unit_test(test_sign_verify_sm2),
        cmocka_unit_test(test_sign_verify_p256),
        cmocka_unit_test(test_sign_verify_rsa),
        cmocka_unit_test(test_sm2_signature_verifies_in_openssl_with_distid),
        cmocka_unit_test(test_sm2_encrypt_roundtrip),
        cmocka_unit_test(test_key_file_roundtrip),
        cmocka_unit_test(test_sm2_private_range),
        cmocka_unit_test(test_bad_spki_refused),
        cmocka_unit_test(test_sigalg),
        cmocka_unit_test(test_sig_der_strict),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
