/* test_vault.c - the data key file, label-bound sealing, and the same key through the key process.
 */
#include "testutil.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/datakey.h"
#include "keyproc/keyproc.h"
#include "pki/pki.h"
#include "ra/vault.h"

#define PASS "vault test passphrase"

typedef struct fx {
    char *dir;
    char home[4200];
    char keyfile[4300];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->keyfile, sizeof(f->keyfile), "%s/%s", f->home, DATAKEY_FILE);
    ca_init_opts o = {0};
    o.home = f->home;
    o.name = "sealca 测试 CA";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    sc_err e = {0};
    if (ca_init(&o, &e) != 0) {
        fprintf(stderr, "ca_init: %s %s\n", e.code, e.msg);
        tu_rmrf(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static void test_home_vault(void **state)
{
    fx *f = *state;
    struct stat st;
    assert_int_not_equal(stat(f->keyfile, &st), 0); /* an existing home without a data key */
    vault *v = NULL;
    sc_err e = {0};
    assert_int_equal(vault_open_home(f->home, PASS, &v, &e), 0);
    assert_int_equal(stat(f->keyfile, &st), 0); /* created on first use */
    assert_int_equal(st.st_mode & 0777, 0600);

    static const char id[] = "650102199001011234";
    sc_buf ct = {0}, pt = {0};
    assert_int_equal(vault_seal(v, "order:1:legal_id_number", (const uint8_t *)id, 18, &ct, &e), 0);
    assert_true(ct.len > 18);
    assert_null(memmem(ct.p, ct.len, id, 18));
    assert_int_equal(vault_unseal(v, "order:1:legal_id_number", ct.p, ct.len, &pt, &e), 0);
    assert_int_equal(pt.len, 18);
    assert_memory_equal(pt.p, id, 18);
    sc_buf_free(&pt);
    /* another label (row or field) does not open it; neither do tampered bytes */
    memset(&e, 0, sizeof(e));
    assert_int_equal(vault_unseal(v, "order:2:legal_id_number", ct.p, ct.len, &pt, &e), SC_EVERIFY);
    assert_string_equal(e.code, "vault.bad_tag");
    assert_int_equal(pt.len, 0);
    ct.p[ct.len / 2] ^= 1;
    memset(&e, 0, sizeof(e));
    assert_int_equal(vault_unseal(v, "order:1:legal_id_number", ct.p, ct.len, &pt, &e), SC_EVERIFY);
    ct.p[ct.len / 2] ^= 1;
    /* bad labels are refused */
    static const char *bad[] = {"", "with space", "中文",
                                "0123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&e, 0, sizeof(e));
        sc_buf x = {0};
        assert_int_equal(vault_seal(v, bad[i], (const uint8_t *)"a", 1, &x, &e), SC_EINVAL);
        assert_string_equal(e.code, "vault.bad_label");
        assert_int_equal(x.len, 0);
    }
    vault_free(v);

    /* the same key on the next opening; a wrong passphrase is told apart */
    assert_int_equal(vault_open_home(f->home, PASS, &v, &e), 0);
    assert_int_equal(vault_unseal(v, "order:1:legal_id_number", ct.p, ct.len, &pt, &e), 0);
    assert_memory_equal(pt.p, id, 18);
    vault_free(v);
    sc_buf_free(&pt);
    memset(&e, 0, sizeof(e));
    assert_int_equal(vault_open_home(f->home, "wrong", &v, &e), SC_EVERIFY);
    assert_string_equal(e.code, "datakey.bad_passphrase");
    assert_null(v);
    /* a damaged file */
    uint8_t junk[40] = "SEALCA-DATAKEY-2";
    char other[4400];
    snprintf(other, sizeof(other), "%s/keys/other.key", f->home);
    assert_int_equal(sc_file_write_atomic(other, junk, sizeof(junk), 0600), 0);
    uint8_t k[DATAKEY_LEN];
    memset(&e, 0, sizeof(e));
    assert_int_equal(crypto_datakey_load(other, PASS, strlen(PASS), 0, k, &e), SC_EINVAL);
    assert_string_equal(e.code, "datakey.damaged");
    unlink(other);
    memset(&e, 0, sizeof(e));
    assert_int_equal(crypto_datakey_load(other, PASS, strlen(PASS), 0, k, &e), SC_ENOTFOUND);
    sc_buf_free(&ct);
    unlink(f->keyfile);
}

/* Two processes creating the key at once end with one key. */
static void test_concurrent_creation(void **state)
{
    fx *f = *state;
    unlink(f->keyfile);
    char out[2][4400];
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        snprintf(out[i], sizeof(out[i]), "%s/ct%d", f->dir, i);
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            uint8_t k[DATAKEY_LEN];
            sc_buf ct = {0};
            if (crypto_datakey_load(f->keyfile, PASS, strlen(PASS), 1, k, NULL) != 0 ||
                crypto_datakey_seal(k, "race", (const uint8_t *)"same key", 8, &ct, NULL) != 0 ||
                sc_file_write_atomic(out[i], ct.p, ct.len, 0600) != 0)
                _exit(1);
            _exit(0);
        }
    }
    for (int i = 0; i < 2; i++) {
        int st = 0;
        assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    vault *v = NULL;
    sc_err e = {0};
    assert_int_equal(vault_open_home(f->home, PASS, &v, &e), 0);
    for (int i = 0; i < 2; i++) {
        uint8_t *d = NULL;
        size_t n = 0;
        assert_int_equal(sc_file_read(out[i], 4096, &d, &n), 0);
        sc_buf pt = {0};
        assert_int_equal(vault_unseal(v, "race", d, n, &pt, &e), 0);
        assert_memory_equal(pt.p, "same key", 8);
        sc_buf_free(&pt);
        free(d);
    }
    vault_free(v);
}

/* Serving: the key process holds the key (creating it in a home that lacks it); what it seals
 * opens offline and the other way round. */
static void test_keyproc_vault(void **state)
{
    fx *f = *state;
    unlink(f->keyfile);
    pki_ca *ca = NULL;
    sc_err e = {0};
    assert_int_equal(ca_open(f->home, PASS, strlen(PASS), &ca, &e), 0);
    keyproc *kp = NULL;
    if (keyproc_start(ca, &kp, &e) != 0) fail_msg("keyproc_start: %s %s", e.code, e.msg);
    ca_close(ca);
    struct stat st;
    assert_int_equal(stat(f->keyfile, &st), 0);
    vault *sv = NULL, *hv = NULL;
    assert_int_equal(vault_from_keyproc(kp, &sv, &e), 0);
    assert_int_equal(vault_open_home(f->home, PASS, &hv, &e), 0);

    /* a material-sized payload */
    size_t big = 3u * 1024 * 1024 + 17;
    uint8_t *d = malloc(big);
    for (size_t i = 0; i < big; i++)
        d[i] = (uint8_t)(i * 7 + (i >> 9));
    sc_buf ct = {0}, pt = {0};
    assert_int_equal(vault_seal(sv, "material:9", d, big, &ct, &e), 0);
    assert_int_equal(vault_unseal(hv, "material:9", ct.p, ct.len, &pt, &e), 0);
    assert_int_equal(pt.len, big);
    assert_memory_equal(pt.p, d, big);
    sc_buf_free(&pt);
    sc_buf_free(&ct);
    assert_int_equal(
        vault_seal(hv, "order:3:bank_account", (const uint8_t *)"6222020200112233", 16, &ct, &e),
        0);
    assert_int_equal(vault_unseal(sv, "order:3:bank_account", ct.p, ct.len, &pt, &e), 0);
    assert_memory_equal(pt.p, "6222020200112233", 16);
    sc_buf_free(&pt);
    /* refusals come back as errors and the key process keeps serving */
    memset(&e, 0, sizeof(e));
    assert_int_equal(vault_unseal(sv, "order:4:bank_account", ct.p, ct.len, &pt, &e), SC_EVERIFY);
    assert_string_equal(e.code, "vault.bad_tag");
    assert_int_equal(pt.len, 0);
    memset(&e, 0, sizeof(e));
    assert_int_equal(vault_seal(sv, "bad label", d, 4, &pt, &e), SC_EINVAL);
    assert_int_equal(keyproc_ping(kp), 0);
    assert_int_equal(vault_unseal(sv, "order:3:bank_account", ct.p, ct.len, &pt, &e), 0);
    sc_buf_free(&pt);
    sc_buf_free(&ct);
    free(d);
    vault_free(sv);
    vault_free(hv);
    keyproc_stop(kp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_vault),
        cmocka_unit_test(test_concurrent_creation),
        cmocka_unit_test(test_keyproc_vault),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
