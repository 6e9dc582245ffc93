/* sm2_speed.c - one-core ops/s of the fast SM2 engine and of OpenSSL 3.0 EVP SM2 (distid set), measured in the same run. */
/*
 * Build: cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/sm2_speed.c src/crypto/sm2/\*.c -lcrypto
 * Usage: sm2_speed [seconds-per-op, default 2]. Prints "sm2 <op> <engine> <ops-per-second>".
 * Both engines use long-lived key objects; OpenSSL's sign/verify include its Z+e hashing of
 * a 32-byte message (EVP_DigestSign), the fast engine's get e precomputed (the caller's job),
 * so a fair comparison adds one SM3 of ~100 bytes (well under 1 us) to the fast figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "crypto/sm2/sm2fast.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double secs = 2.0;
static sm2fast_priv *fpriv;
static sm2fast_pub *fpub;
static EVP_PKEY *okey;
static uint8_t e[32], r[32], s[32], msg[32], ct[256], pt[65], dd[32], osig[80], oct[256], tmp[256];
static size_t osiglen, octlen;

typedef void (*op_fn)(void);

static void report(const char *op, const char *eng, op_fn fn)
{
    long n = 0;
    double t0 = now(), t;
    do {
        for (int i = 0; i < 16; i++)
            fn();
        n += 16;
        t = now();
    } while (t - t0 < secs);
    printf("sm2 %s %s %.0f\n", op, eng, (double)n / (t - t0));
    fflush(stdout);
}

static void die(const char *w)
{
    fprintf(stderr, "sm2_speed: %s failed\n", w);
    exit(1);
}

static void f_sign(void) { if (sm2fast_sign(fpriv, e, r, s) != 0) die("sign"); }
static void f_verify(void) { if (sm2fast_verify(fpub, e, r, s) != 1) die("verify"); }
static void f_keygen(void) { if (sm2fast_keygen(dd, pt) != 0) die("keygen"); }
static void f_encrypt(void) { if (sm2fast_encrypt(fpub, msg, 32, NULL, ct) != 0) die("encrypt"); }
static void f_decrypt(void) { if (sm2fast_decrypt(fpriv, ct, 97 + 32, tmp) != 0) die("decrypt"); }

static void o_sign(void)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    osiglen = sizeof(osig);
    if (EVP_DigestSignInit(m, &pc, EVP_sm3(), NULL, okey) != 1 ||
        EVP_PKEY_CTX_set1_id(pc, "1234567812345678", 16) != 1 ||
        EVP_DigestSign(m, osig, &osiglen, msg, 32) != 1)
        die("openssl sign");
    EVP_MD_CTX_free(m);
}

static void o_verify(void)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    if (EVP_DigestVerifyInit(m, &pc, EVP_sm3(), NULL, okey) != 1 ||
        EVP_PKEY_CTX_set1_id(pc, "1234567812345678", 16) != 1 ||
        EVP_DigestVerify(m, osig, osiglen, msg, 32) != 1)
        die("openssl verify");
    EVP_MD_CTX_free(m);
}

static void o_keygen(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    if (k == NULL)
        die("openssl keygen");
    EVP_PKEY_free(k);
}

static void o_encrypt(void)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(okey, NULL);
    octlen = sizeof(oct);
    if (EVP_PKEY_encrypt_init(c) != 1 || EVP_PKEY_encrypt(c, oct, &octlen, msg, 32) != 1)
        die("openssl encrypt");
    EVP_PKEY_CTX_free(c);
}

static void o_decrypt(void)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(okey, NULL);
    size_t l = sizeof(tmp);
    if (EVP_PKEY_decrypt_init(c) != 1 || EVP_PKEY_decrypt(c, tmp, &l, oct, octlen) != 1)
        die("openssl decrypt");
    EVP_PKEY_CTX_free(c);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        secs = atof(argv[1]);
    memset(msg, 0x42, sizeof(msg));
    memset(e, 0x17, sizeof(e));
    if (sm2fast_keygen(dd, pt) != 0 || (fpriv = sm2fast_priv_new(dd)) == NULL ||
        (fpub = sm2fast_pub_new(pt)) == NULL)
        die("setup");
    f_sign();
    f_encrypt();
    okey = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    if (okey == NULL)
        die("openssl setup");
    o_sign();
    o_encrypt();
    printf("# fast engine path: %s\n", sm2fast_impl());
    report("sign", "fast", f_sign);
    report("sign", "openssl", o_sign);
    report("verify", "fast", f_verify);
    report("verify", "openssl", o_verify);
    report("keygen", "fast", f_keygen);
    report("keygen", "openssl", o_keygen);
    report("encrypt", "fast", f_encrypt);
    report("encrypt", "openssl", o_encrypt);
    report("decrypt", "fast", f_decrypt);
    report("decrypt", "openssl", o_decrypt);
    sm2fast_priv_free(fpriv);
    sm2fast_pub_free(fpub);
    EVP_PKEY_free(okey);
    return 0;
}
