/* test_conf.c - unit tests for the sealca.conf parser, typed getters and writer (common/conf). */
#include "testutil.h"

#include <limits.h>

#include "common/conf.h"

static conf *parse_ok(const char *s)
{
    conf *c = NULL;
    sc_err e = {0};
    if (conf_parse(s, strlen(s), &c, &e) != 0) fail_msg("parse failed: %s %s", e.code, e.msg);
    assert_non_null(c);
    return c;
}

static void bad_n(const char *s, size_t n, int status, const char *code, const char *in_msg)
{
    conf *c = (conf *)0x1;
    sc_err e = {0};
    int rc = conf_parse(s, n, &c, &e);
    if (rc != status || strcmp(e.code, code) != 0)
        fail_msg("'%.60s': got %d %s (%s), want %s", s, rc, e.code, e.msg, code);
    assert_null(c);
    if (in_msg != NULL && strstr(e.msg, in_msg) == NULL)
        fail_msg("message '%s' lacks '%s'", e.msg, in_msg);
}

static void bad(const char *s, const char *code, const char *in_msg)
{
    bad_n(s, strlen(s), SC_EINVAL, code, in_msg);
}

/* format, re-parse, compare keys and values in order */
static void assert_roundtrip(const conf *c)
{
    sc_buf b = {0};
    assert_int_equal(conf_format(c, &b), 0);
    conf *d = NULL;
    sc_err e = {0};
    if (conf_parse((const char *)b.p, b.len, &d, &e) != 0)
        fail_msg("re-parse failed: %s %s\n%.*s", e.code, e.msg, (int)b.len, (const char *)b.p);
    assert_int_equal(conf_count(c), conf_count(d));
    for (size_t i = 0; i < conf_count(c); i++) {
        assert_string_equal(conf_key_at(c, i), conf_key_at(d, i));
        assert_string_equal(conf_get(c, conf_key_at(c, i)), conf_get(d, conf_key_at(d, i)));
    }
    conf_free(d);
    sc_buf_free(&b);
}

static void test_basic(void **st)
{
    (void)st;
    conf *c = parse_ok("\xEF\xBB\xBF# sealca home\n"
                       "\n"
                       "ca.name = 某某 CA   \n"
                       "  valid_days=365 # one year\n"
                       "\tpath = C:\\keys\\ca.key\r\n"
                       "motto = \"  spaces # and \\\"quotes\\\" \\\\ kept \"  # comment\n"
                       "empty =\n"
                       "empty_q = \"\"\n"
                       "hash_only = # nothing\n"
                       "tabbed = a\tb\n"
                       "last=no newline");
    assert_int_equal(conf_count(c), 9);
    assert_string_equal(conf_get(c, "ca.name"), "某某 CA");
    assert_string_equal(conf_get(c, "valid_days"), "365");
    assert_string_equal(conf_get(c, "path"), "C:\\keys\\ca.key");
    assert_string_equal(conf_get(c, "motto"), "  spaces # and \"quotes\" \\ kept ");
    assert_string_equal(conf_get(c, "empty"), "");
    assert_string_equal(conf_get(c, "empty_q"), "");
    assert_string_equal(conf_get(c, "hash_only"), "");
    assert_string_equal(conf_get(c, "tabbed"), "a\tb");
    assert_string_equal(conf_get(c, "last"), "no newline");
    assert_null(conf_get(c, "absent"));
    assert_null(conf_get(c, NULL));
    assert_string_equal(conf_key_at(c, 0), "ca.name");
    assert_null(conf_key_at(c, 9));
    assert_roundtrip(c);
    conf_free(c);
    conf_free(NULL);
    /* Empty and comment-only files are valid and empty. */
    c = parse_ok("");
    assert_int_equal(conf_count(c), 0);
    conf_free(c);
    c = parse_ok("# only\n\n   \n");
    assert_int_equal(conf_count(c), 0);
    conf_free(c);
}

static void test_errors(void **st)
{
    (void)st;
    bad("a = 1\nb = 2\na = 3\n", "conf.duplicate_key", "line 3: key 'a' is already set on line 1");
    bad("a = 1\nb\n", "conf.syntax", "line 2");
    bad("a = 1\n = 2\n", "conf.syntax", "line 2");
    bad("Key = 1\n", "conf.bad_key", "line 1");
    bad("1key = 1\n", "conf.bad_key", NULL);
    bad("my-key = 1\n", "conf.bad_key", NULL);
    bad("_a = 1\n", "conf.bad_key", NULL);
    bad("a = \"open\n", "conf.syntax", "closing");
    bad("a = \"x\" y\n", "conf.syntax", "after the closing quote");
    bad("a = \"x\\n\"\n", "conf.syntax", "escapes");
    bad("a = x#y\n", "conf.syntax", "'#'");
    bad("a = 1\nb = x\x01y\n", "conf.bad_char", "line 2");
    bad("a = \"x\x1b[2Jy\"\n", "conf.bad_char", NULL);
    bad_n("a = 1\nb = x\0y\n", 13, SC_EINVAL, "conf.nul", "line 2");
    bad("a = 1\n\nb = \xC0\xAF\n", "conf.bad_utf8", "line 3");
    bad("a = \xED\xA0\x80\n", "conf.bad_utf8", NULL);
    bad("# comment \xFF\n", "conf.bad_utf8", NULL); /* even in comments */
    bad("a = 1\rb = 2\n", "conf.bare_cr", "line 1");
    bad("a = 1\r", "conf.bare_cr", NULL);

    char key[80];
    memset(key, 'k', 65);
    strcpy(key + 65, "=1");
    bad(key, "conf.bad_key", "64");
    key[1] = '\0';
    memset(key, 'k', 64);
    strcpy(key + 64, "=1");
    conf *c = parse_ok(key); /* 64 is fine */
    conf_free(c);

    static char big[CONF_MAX_FILE + 10];
    memset(big, '#', sizeof(big));
    bad_n(big, CONF_MAX_FILE + 1, SC_ETOOBIG, "conf.too_big", NULL);
    c = NULL;
    sc_err e = {0};
    assert_int_equal(conf_parse(big, CONF_MAX_FILE, &c, &e), 0); /* exactly 64 KiB */
    conf_free(c);

    char *v = malloc(CONF_MAX_VALUE + 20);
    memcpy(v, "v = ", 4);
    memset(v + 4, 'x', CONF_MAX_VALUE);
    v[4 + CONF_MAX_VALUE] = '\0';
    c = parse_ok(v);
    assert_int_equal(strlen(conf_get(c, "v")), CONF_MAX_VALUE);
    conf_free(c);
    strcpy(v + 4 + CONF_MAX_VALUE, "x");
    bad(v, "conf.value_too_long", "line 1");
    v[4] = '"';
    strcpy(v + 4 + CONF_MAX_VALUE, "x\""); /* 4096 inside the quotes: fine */
    c = parse_ok(v);
    assert_int_equal(strlen(conf_get(c, "v")), CONF_MAX_VALUE);
    conf_free(c);
    strcpy(v + 4 + CONF_MAX_VALUE, "xx\"");
    bad(v, "conf.value_too_long", "line 1");
    free(v);

    char *many = malloc(20 * (CONF_MAX_ENTRIES + 2));
    many[0] = '\0';
    for (int i = 0; i < CONF_MAX_ENTRIES; i++)
        sprintf(many + strlen(many), "k%d = %d\n", i, i);
    c = parse_ok(many);
    assert_int_equal(conf_count(c), CONF_MAX_ENTRIES);
    conf_free(c);
    strcat(many, "one_more = 1\n");
    bad(many, "conf.too_many", "line 257");
    free(many);
}

static void test_getters(void **st)
{
    (void)st;
    conf *c = parse_ok("days = 365\nneg = -5\nplus = +7\nbig = 99999999999999999999\n"
                       "min = -9223372036854775808\nmax = 9223372036854775807\n"
                       "word = ten\nsp = \"1 2\"\nsign = -\n"
                       "t1 = true\nt2 = YES\nt3 = On\nt4 = 1\nf1 = False\nf2 = no\nf3 = OFF\n"
                       "f4 = 0\nmaybe = maybe\n");
    long v = 42;
    sc_err e = {0};
    assert_int_equal(conf_get_int(c, "days", 1, 3650, 7, &v, &e), 0);
    assert_int_equal(v, 365);
    assert_int_equal(conf_get_int(c, "absent", 1, 3650, 7, &v, &e), 0);
    assert_int_equal(v, 7);
    assert_int_equal(conf_get_int(c, "neg", -10, 10, 0, &v, &e), 0);
    assert_int_equal(v, -5);
    assert_int_equal(conf_get_int(c, "plus", -10, 10, 0, &v, &e), 0);
    assert_int_equal(v, 7);
    assert_int_equal(conf_get_int(c, "min", LONG_MIN, LONG_MAX, 0, &v, &e), 0);
    assert_true(v == LONG_MIN);
    assert_int_equal(conf_get_int(c, "max", LONG_MIN, LONG_MAX, 0, &v, &e), 0);
    assert_true(v == LONG_MAX);
    const struct {
        const char *key, *code;
    } badint[] = {{"days", "conf.out_of_range"}, {"big", "conf.out_of_range"},
                  {"word", "conf.bad_int"},      {"sp", "conf.bad_int"},
                  {"sign", "conf.bad_int"},      {"neg", "conf.out_of_range"}};
    for (size_t i = 0; i < sizeof(badint) / sizeof(badint[0]); i++) {
        sc_err be = {0};
        v = 42;
        assert_int_equal(conf_get_int(c, badint[i].key, 0, 100, 7, &v, &be), SC_EINVAL);
        assert_string_equal(be.code, badint[i].code);
        assert_non_null(strstr(be.msg, badint[i].key));
        assert_non_null(strstr(be.msg, "line "));
        assert_int_equal(v, 42);
    }
    int b = 5;
    const char *t[] = {"t1", "t2", "t3", "t4"}, *f[] = {"f1", "f2", "f3", "f4"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(conf_get_bool(c, t[i], 0, &b, &e), 0);
        assert_int_equal(b, 1);
        assert_int_equal(conf_get_bool(c, f[i], 1, &b, &e), 0);
        assert_int_equal(b, 0);
    }
    assert_int_equal(conf_get_bool(c, "absent", 1, &b, &e), 0);
    assert_int_equal(b, 1);
    b = 5;
    sc_err be = {0};
    assert_int_equal(conf_get_bool(c, "maybe", 1, &b, &be), SC_EINVAL);
    assert_string_equal(be.code, "conf.bad_bool");
    assert_non_null(strstr(be.msg, "maybe (line 18)"));
    assert_int_equal(b, 5);
    assert_int_equal(e.status, 0);
    conf_free(c);
}

static void test_check_keys(void **st)
{
    (void)st;
    conf *c = parse_ok("valid_days = 1\nsm2.engine = openssl\nvaild_days = 2\n");
    const char *const known[] = {"valid_days", "sm2.engine", NULL};
    sc_err e = {0};
    assert_int_equal(conf_check_keys(c, known, &e), SC_EINVAL);
    assert_string_equal(e.code, "conf.unknown_key");
    assert_non_null(strstr(e.msg, "'vaild_days' (line 3)"));
    const char *const all[] = {"valid_days", "sm2.engine", "vaild_days", NULL};
    sc_err e2 = {0};
    assert_int_equal(conf_check_keys(c, all, &e2), 0);
    conf_free(c);
}

static void test_set_format(void **st)
{
    (void)st;
    conf *c = parse_ok("a = 1\n");
    sc_err e = {0};
    assert_int_equal(conf_set(c, "a", "2", &e), 0);
    assert_int_equal(conf_set(c, "b.c_d", "  lead and trail  ", &e), 0);
    assert_int_equal(conf_set(c, "hash", "x#y", &e), 0);
    assert_int_equal(conf_set(c, "quote", "say \"hi\" \\o/", &e), 0);
    assert_int_equal(conf_set(c, "empty", "", &e), 0);
    assert_int_equal(conf_set(c, "back", "C:\\dir\\", &e), 0);
    assert_int_equal(conf_set(c, "zh", "中文 值", &e), 0);
    assert_int_equal(conf_set(c, "lead_q", "\"x", &e), 0);
    assert_int_equal(conf_set(c, "tab", "\tx", &e), 0);
    assert_int_equal(e.status, 0);
    assert_string_equal(conf_get(c, "a"), "2");
    assert_int_equal(conf_count(c), 9);
    sc_buf b = {0};
    assert_int_equal(conf_format(c, &b), 0);
    assert_int_equal(sc_buf_putc(&b, 0), 0);
    assert_string_equal((const char *)b.p, "a = 2\n"
                                           "b.c_d = \"  lead and trail  \"\n"
                                           "hash = \"x#y\"\n"
                                           "quote = \"say \\\"hi\\\" \\\\o/\"\n"
                                           "empty = \"\"\n"
                                           "back = C:\\dir\\\n"
                                           "zh = 中文 值\n"
                                           "lead_q = \"\\\"x\"\n"
                                           "tab = \"\tx\"\n");
    sc_buf_free(&b);
    assert_roundtrip(c);

    /* Refusals leave c unchanged. */
    const struct {
        const char *k, *v, *code;
    } badset[] = {
        {"Bad", "x", "conf.bad_key"},   {"", "x", "conf.bad_key"},
        {"a-b", "x", "conf.bad_key"},   {"a", "line\nbreak", "conf.bad_char"},
        {"a", "cr\r", "conf.bad_char"}, {"a", "\xC0\xAF", "conf.bad_utf8"},
        {NULL, "x", "conf.bad_key"},    {"a", NULL, "conf.bad_key"},
    };
    for (size_t i = 0; i < sizeof(badset) / sizeof(badset[0]); i++) {
        sc_err be = {0};
        assert_int_equal(conf_set(c, badset[i].k, badset[i].v, &be), SC_EINVAL);
        assert_string_equal(be.code, badset[i].code);
        assert_string_equal(conf_get(c, "a"), "2");
        assert_int_equal(conf_count(c), 9);
    }
    char *v = malloc(CONF_MAX_VALUE + 2);
    memset(v, 'x', CONF_MAX_VALUE + 1);
    v[CONF_MAX_VALUE + 1] = '\0';
    sc_err be = {0};
    assert_int_equal(conf_set(c, "a", v, &be), SC_EINVAL);
    assert_string_equal(be.code, "conf.value_too_long");
    v[CONF_MAX_VALUE] = '\0';
    assert_int_equal(conf_set(c, "a", v, &e), 0);
    assert_int_equal(strlen(conf_get(c, "a")), CONF_MAX_VALUE);
    conf_free(c);

    /* conf_set respects the entry limit, and conf_format refuses text too big to re-read. */
    c = parse_ok("");
    char k[16];
    for (int i = 0; i < CONF_MAX_ENTRIES; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(conf_set(c, k, v, &e), 0);
    }
    sc_err me = {0};
    assert_int_equal(conf_set(c, "more", "1", &me), SC_EINVAL);
    assert_string_equal(me.code, "conf.too_many");
    sc_buf b2 = {0};
    assert_int_equal(sc_buf_append(&b2, "keep", 4), 0);
    assert_int_equal(conf_format(c, &b2), SC_ETOOBIG);
    assert_int_equal(b2.len, 4);
    sc_buf_free(&b2);
    conf_free(c);
    free(v);
}

static void test_load(void **st)
{
    (void)st;
    char *dir = tu_tmpdir();
    assert_non_null(dir);
    char path[4200];
    snprintf(path, sizeof(path), "%s/sealca.conf", dir);
    conf *c = (conf *)0x1;
    sc_err e = {0};
    assert_int_equal(conf_load(path, &c, &e), SC_EIO);
    assert_string_equal(e.code, "conf.io");
    assert_null(c);
    const char *text = "valid_days = 30\n";
    assert_int_equal(sc_file_write_atomic(path, text, strlen(text), 0600), 0);
    sc_err e2 = {0};
    assert_int_equal(conf_load(path, &c, &e2), 0);
    assert_string_equal(conf_get(c, "valid_days"), "30");
    conf_free(c);
    char *big = malloc(CONF_MAX_FILE + 1);
    memset(big, '\n', CONF_MAX_FILE + 1);
    assert_int_equal(sc_file_write_atomic(path, big, CONF_MAX_FILE + 1, 0600), 0);
    free(big);
    sc_err e3 = {0};
    assert_int_equal(conf_load(path, &c, &e3), SC_ETOOBIG);
    assert_string_equal(e3.code, "conf.too_big");
    assert_null(c);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),      cmocka_unit_test(test_errors),
        cmocka_unit_test(test_getters),    cmocka_unit_test(test_check_keys),
        cmocka_unit_test(test_set_format), cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
