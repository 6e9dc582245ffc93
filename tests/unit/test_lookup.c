/* test_lookup.c - the registration service's phone lookup key (ra-renew): HMAC-SM3(key, label ||
 * input) offline from keys/lookup.key and through the key process (KP_OP_LOOKUP_MAC), the same
 * value both ways and the same as the hashes stored before the key left ra.conf; the move of an
 * older ra.conf lookup_key into the key store (same value, line removed, conflict refused). Both
 * store drivers. */
#include "testutil.h"
#include "testdb.h"

#include <sys/stat.h>
#include <unistd.h>

#include "crypto/datakey.h"
#include "keyproc/keyproc.h"
#include "pki/pki.h"
#include "ra/ra.h"
#include "ra/vault.h"

#define PASS "lookup test passphrase"

typedef struct fx {
    char *dir;
    char home[4200], keyfile[4300], conf[4300];
    tdb db;
    pki_ca *ca;
} fx;

static int pg_mode;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->keyfile, sizeof(f->keyfile), "%s/%s", f->home, LOOKUPKEY_FILE);
    snprintf(f->conf, sizeof(f->conf), "%s/ra.conf", f->home);
    tdb_create(&f->db, pg_mode, f->dir, "ca.db");
    ca_init_opts o = {0};
    o.home = f->home;
    o.name = "lookup 测试 CA";
    o.alg = SC_ALG_SM2;
    o.pass = PASS;
    o.passlen = strlen(PASS);
    o.database = f->db.url;
    sc_err e = {0};
    if (ca_init(&o, &e) != 0 || ca_open(f->home, PASS, strlen(PASS), &f->ca, &e) != 0) {
        fprintf(stderr, "setup: %s %s\n", e.code, e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    ca_close(f->ca);
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

static const char phone[] = "13800138000";

static void expect_mac(const uint8_t key[32], const char *label, const uint8_t got[32])
{
    sc_buf m = {0};
    sc_buf_append(&m, label, strlen(label));
    sc_buf_append(&m, phone, strlen(phone));
    uint8_t want[32];
    crypto_hmac_sm3(key, 32, m.p, m.len, want);
    sc_buf_free(&m);
    assert_memory_equal(got, want, 32);
}

static void test_offline_and_keyproc(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    uint8_t k[32], mac[32], mac2[32];
    crypto_random(k, sizeof(k));
    /* no key yet: refused, not a made-up hash */
    vault *v = NULL;
    assert_int_equal(vault_open_home(f->home, PASS, &v, &e), 0);
    sc_err e1 = {0};
    assert_int_equal(vault_lookup_mac(v, "", (const uint8_t *)phone, 11, mac, &e1), SC_ESTATE);
    assert_string_equal(e1.code, "ra.no_lookup_key");
    vault_free(v);
    keyproc *kp = NULL;
    assert_int_equal(keyproc_start(f->ca, &kp, &e), 0);
    sc_err e2 = {0};
    assert_int_equal(keyproc_lookup_mac(kp, "", (const uint8_t *)phone, 11, mac, &e2), SC_ESTATE);
    assert_string_equal(e2.code, "ra.no_lookup_key");
    keyproc_stop(kp);

    /* a given key, written once (exclusive) with mode 0600 */
    mkdir(f->home, 0700);
    assert_int_equal(crypto_datakey_write(f->keyfile, PASS, strlen(PASS), k, &e), 0);
    struct stat st;
    assert_int_equal(stat(f->keyfile, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    sc_err e3 = {0};
    assert_int_equal(crypto_datakey_write(f->keyfile, PASS, strlen(PASS), k, &e3), SC_EEXIST);
    uint8_t back[32];
    assert_int_equal(crypto_datakey_load(f->keyfile, PASS, strlen(PASS), 0, back, &e), 0);
    assert_memory_equal(back, k, 32);

    /* offline: HMAC-SM3(key, label || input); the empty label is the historic phone hash */
    assert_int_equal(vault_open_home(f->home, PASS, &v, &e), 0);
    assert_int_equal(vault_lookup_mac(v, "", (const uint8_t *)phone, 11, mac, &e), 0);
    expect_mac(k, "", mac);
    assert_int_equal(vault_lookup_mac(v, "email:", (const uint8_t *)phone, 11, mac2, &e), 0);
    expect_mac(k, "email:", mac2);
    assert_memory_not_equal(mac, mac2, 32);
    vault_free(v);

    /* the key process answers the same, and the server side never loads the key */
    assert_int_equal(keyproc_start(f->ca, &kp, &e), 0);
    assert_int_equal(vault_from_keyproc(kp, &v, &e), 0);
    assert_int_equal(vault_lookup_mac(v, "", (const uint8_t *)phone, 11, mac2, &e), 0);
    assert_memory_equal(mac, mac2, 32);
    assert_int_equal(keyproc_lookup_mac(kp, "email:", (const uint8_t *)phone, 11, mac2, &e), 0);
    expect_mac(k, "email:", mac2);
    /* limits: refused before the request, the key process still answers afterwards */
    uint8_t big[LOOKUP_INPUT_MAX + 1];
    memset(big, '1', sizeof(big));
    sc_err e4 = {0};
    assert_int_equal(keyproc_lookup_mac(kp, "", big, sizeof(big), mac2, &e4), SC_EINVAL);
    assert_int_equal(keyproc_lookup_mac(kp, "", (const uint8_t *)phone, 11, mac2, &e), 0);
    assert_memory_equal(mac, mac2, 32);
    assert_int_equal(keyproc_ping(kp), 0);
    vault_free(v);
    keyproc_stop(kp);
}

static void write_conf(fx *f, const char *extra)
{
    char text[512];
    int n = snprintf(text, sizeof(text),
                     "# registration service settings\nwebhook_secret = 0123456789abcdef0123\n%s"
                     "session_idle = 1800\n",
                     extra);
    assert_int_equal(sc_file_write_atomic(f->conf, text, (size_t)n, 0600), 0);
}

static char *read_conf(fx *f)
{
    uint8_t *p = NULL;
    size_t n = 0;
    assert_int_equal(sc_file_read(f->conf, 1 << 16, &p, &n), 0);
    char *s = calloc(1, n + 1);
    memcpy(s, p, n);
    free(p);
    return s;
}

static void test_migrate(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    ra_err re = {0};
    int moved = -1;
    /* no registration service: nothing to do, nothing written */
    assert_int_equal(ra_lookup_key_migrate(f->ca, "unit", &moved, &re), 0);
    assert_int_equal(moved, 0);
    assert_int_not_equal(access(f->keyfile, F_OK), 0);
    /* an older ra.conf with the key: moved with its value, the line removed, the rest kept */
    uint8_t k[32], back[32];
    char hex[65], line[100];
    crypto_random(k, sizeof(k));
    sc_hex_encode(k, 32, hex, 0);
    snprintf(line, sizeof(line), "lookup_key = %s\n", hex);
    write_conf(f, line);
    assert_int_equal(ra_lookup_key_migrate(f->ca, "unit", &moved, &re), 0);
    assert_int_equal(moved, 1);
    assert_int_equal(crypto_datakey_load(f->keyfile, PASS, strlen(PASS), 0, back, &e), 0);
    assert_memory_equal(back, k, 32);
    char *c = read_conf(f);
    assert_null(strstr(c, "lookup_key"));
    assert_non_null(strstr(c, "webhook_secret = 0123456789abcdef0123\n"));
    assert_non_null(strstr(c, "session_idle = 1800\n"));
    assert_non_null(strstr(c, "# registration service settings\n"));
    free(c);
    /* settings still load without it */
    ra r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(ra_conf_load(f->home, &r, &re), 0);
    /* again: nothing to do */
    assert_int_equal(ra_lookup_key_migrate(f->ca, "unit", &moved, &re), 0);
    assert_int_equal(moved, 0);
    /* interrupted after the key file was written: the same key just leaves ra.conf */
    write_conf(f, line);
    assert_int_equal(ra_lookup_key_migrate(f->ca, "unit", &moved, &re), 0);
    assert_int_equal(moved, 1);
    c = read_conf(f);
    assert_null(strstr(c, "lookup_key"));
    free(c);
    /* a different key in ra.conf: refused, nothing changes */
    uint8_t k2[32];
    crypto_random(k2, sizeof(k2));
    sc_hex_encode(k2, 32, hex, 0);
    snprintf(line, sizeof(line), "lookup_key = %s\n", hex);
    write_conf(f, line);
    ra_err re2 = {0};
    assert_int_equal(ra_lookup_key_migrate(f->ca, "unit", &moved, &re2), SC_ESTATE);
    assert_string_equal(re2.e.code, "ra.lookup_key_conflict");
    c = read_conf(f);
    assert_non_null(strstr(c, hex));
    free(c);
    assert_int_equal(crypto_datakey_load(f->keyfile, PASS, strlen(PASS), 0, back, &e), 0);
    assert_memory_equal(back, k, 32);
    /* malformed: refused */
    write_conf(f, "lookup_key = 12ab\n");
    ra_err re3 = {0};
    assert_int_equal(ra_lookup_key_migrate(f->ca, "unit", &moved, &re3), SC_EINVAL);
}

static void test_fresh_home(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    ra_err re = {0};
    /* sealca ra init: ra.conf without a lookup key, keys/lookup.key made */
    assert_int_equal(ra_home_init(f->ca, &re), 0);
    char *c = read_conf(f);
    assert_null(strstr(c, "lookup_key"));
    free(c);
    uint8_t k[32];
    assert_int_equal(crypto_datakey_load(f->keyfile, PASS, strlen(PASS), 0, k, &e), 0);
    /* a second init keeps it */
    uint8_t k2[32];
    assert_int_equal(ra_home_init(f->ca, &re), 0);
    assert_int_equal(crypto_datakey_load(f->keyfile, PASS, strlen(PASS), 0, k2, &e), 0);
    assert_memory_equal(k, k2, 32);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_offline_and_keyproc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fresh_home, setup, teardown),
    };
    int rc = 0;
    int n = tdb_drivers();
    if (n < 0) return 1;
    for (int i = 0; i < n; i++) {
        pg_mode = i;
        fprintf(stderr, "lookup key on %s\n", tdb_names[i]);
        rc |= cmocka_run_group_tests_name("lookup key", t, NULL, NULL);
    }
    return rc;
}
