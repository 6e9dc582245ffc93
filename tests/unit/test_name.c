/* test_name.c - unit tests for the subject string parser and formatter (pki/name). */
#include "testutil.h"

#include "pki/name.h"

static int parse(const char *s, sc_name *n, sc_err *e)
{
    return name_parse(s, strlen(s), n, e);
}

static void expect_attr(const sc_name *n, size_t i, name_type t, const char *v)
{
    assert_true(i < n->n);
    assert_int_equal(n->attr[i].type, t);
    assert_int_equal(n->attr[i].len, strlen(v));
    assert_memory_equal(n->attr[i].value, v, strlen(v) + 1);
}

static void assert_names_equal(const sc_name *a, const sc_name *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->attr[i].type, b->attr[i].type);
        assert_int_equal(a->attr[i].len, b->attr[i].len);
        assert_memory_equal(a->attr[i].value, b->attr[i].value, a->attr[i].len + 1);
    }
}

/* format, re-parse, compare: the formatter's output must mean the same name. */
static void roundtrip(const sc_name *n, const char *want)
{
    char buf[NAME_MAX_INPUT + 1];
    assert_int_equal(name_format(n, buf, sizeof(buf)), 0);
    if (want != NULL) assert_string_equal(buf, want);
    sc_name back;
    sc_err e = {0};
    if (parse(buf, &back, &e) != 0) fail_msg("re-parse of '%s' failed: %s %s", buf, e.code, e.msg);
    assert_names_equal(n, &back);
}

static void test_chinese_roundtrip(void **st)
{
    (void)st;
    sc_name n, m;
    sc_err e = {0};
    assert_int_equal(parse("CN=张三,O=某某公司,C=CN", &n, &e), 0);
    assert_int_equal(n.n, 3);
    /* Encoding order: C first, CN last (RFC 4514 §2.1 lists the last RDN first). */
    expect_attr(&n, 0, NAME_C, "CN");
    expect_attr(&n, 1, NAME_O, "某某公司");
    expect_attr(&n, 2, NAME_CN, "张三");
    roundtrip(&n, "CN=张三,O=某某公司,C=CN");
    /* The OpenSSL form is already in encoding order and gives the same name. */
    assert_int_equal(parse("/C=CN/O=某某公司/CN=张三", &m, &e), 0);
    assert_names_equal(&n, &m);
    assert_int_equal(e.status, 0);
}

static void test_types(void **st)
{
    (void)st;
    sc_name n;
    sc_err e = {0};
    const char *s = "cn=a,commonName=b,E=x@y.cn,emailAddress=z@y.cn,gn=三,givenName=四,"
                    "sn=张,SURNAME=李,title=经理,serialNumber=SF1234,ST=北京,"
                    "stateOrProvinceName=河北,localityName=朝阳,OU=研发部,o=某某,C=CN";
    assert_int_equal(parse(s, &n, &e), 0);
    assert_int_equal(n.n, NAME_MAX_ATTRS);
    const name_type want[] = {NAME_C,       NAME_O,       NAME_OU,           NAME_L,
                              NAME_ST,      NAME_ST,      NAME_SERIALNUMBER, NAME_TITLE,
                              NAME_SURNAME, NAME_SURNAME, NAME_GIVENNAME,    NAME_GIVENNAME,
                              NAME_EMAIL,   NAME_EMAIL,   NAME_CN,           NAME_CN};
    assert_int_equal(sizeof(want) / sizeof(want[0]), n.n);
    for (size_t i = 0; i < n.n; i++)
        assert_int_equal(n.attr[i].type, want[i]);
    expect_attr(&n, 15, NAME_CN, "a");
    roundtrip(&n, NULL);
    /* Dotted OIDs work as types too. */
    assert_int_equal(parse("2.5.4.3=x,2.5.4.6=CN", &n, &e), 0);
    expect_attr(&n, 0, NAME_C, "CN");
    expect_attr(&n, 1, NAME_CN, "x");
    /* Labels and OIDs */
    assert_string_equal(name_type_label(NAME_CN), "CN");
    assert_string_equal(name_type_oid(NAME_CN), "2.5.4.3");
    assert_string_equal(name_type_oid(NAME_C), "2.5.4.6");
    assert_string_equal(name_type_oid(NAME_O), "2.5.4.10");
    assert_string_equal(name_type_oid(NAME_OU), "2.5.4.11");
    assert_string_equal(name_type_oid(NAME_ST), "2.5.4.8");
    assert_string_equal(name_type_oid(NAME_L), "2.5.4.7");
    assert_string_equal(name_type_oid(NAME_SERIALNUMBER), "2.5.4.5");
    assert_string_equal(name_type_oid(NAME_EMAIL), "1.2.840.113549.1.9.1");
    assert_string_equal(name_type_oid(NAME_TITLE), "2.5.4.12");
    assert_string_equal(name_type_oid(NAME_GIVENNAME), "2.5.4.42");
    assert_string_equal(name_type_oid(NAME_SURNAME), "2.5.4.4");
    assert_string_equal(name_type_label(NAME_SERIALNUMBER), "serialNumber");
    assert_string_equal(name_type_label(NAME_EMAIL), "emailAddress");
    assert_null(name_type_label((name_type)99));
    assert_null(name_type_oid((name_type)-1));
}

static void test_escapes(void **st)
{
    (void)st;
    sc_name n;
    sc_err e = {0};
    assert_int_equal(parse("CN=a\\,b\\+c\\\"d\\\\e\\=f\\<g\\>h\\;i\\#j=k/l", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, "a,b+c\"d\\e=f<g>h;i#j=k/l");
    roundtrip(&n, "CN=a\\,b\\+c\\\"d\\\\e=f\\<g\\>h\\;i#j=k/l");
    /* Hex pairs carry UTF-8 bytes (RFC 4514 §2.4 hexpair). */
    assert_int_equal(parse("CN=\\E5\\BC\\A0\\e4\\b8\\89", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, "张三");
    assert_int_equal(parse("CN=\\2C\\2b", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, ",+");
    roundtrip(&n, "CN=\\,\\+");
    /* Leading '#' must be escaped and is re-escaped on output. */
    assert_int_equal(parse("CN=\\#1", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, "#1");
    roundtrip(&n, "CN=\\#1");
    /* Spaces: trimmed unless escaped; inner spaces kept. */
    assert_int_equal(parse("  CN =  a b  ,  O = x ", &n, &e), 0);
    expect_attr(&n, 1, NAME_CN, "a b");
    expect_attr(&n, 0, NAME_O, "x");
    assert_int_equal(parse("CN=\\ a\\ ", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, " a ");
    roundtrip(&n, "CN=\\ a\\ ");
    assert_int_equal(parse("CN=a \\  ", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, "a  ");
    roundtrip(&n, "CN=a \\ ");
    assert_int_equal(parse("CN=\\  \\ ", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, "   ");
    roundtrip(&n, "CN=\\  \\ ");
}

static void test_slash_form(void **st)
{
    (void)st;
    sc_name n;
    sc_err e = {0};
    assert_int_equal(parse("/C=CN/ST=Beijing/O=Acme, Inc./OU=a;b<c>\"d\"/CN=x\\/y #1", &n, &e), 0);
    assert_int_equal(n.n, 5);
    expect_attr(&n, 0, NAME_C, "CN");
    expect_attr(&n, 1, NAME_ST, "Beijing");
    expect_attr(&n, 2, NAME_O, "Acme, Inc.");
    expect_attr(&n, 3, NAME_OU, "a;b<c>\"d\"");
    expect_attr(&n, 4, NAME_CN, "x/y #1");
    roundtrip(&n, "CN=x/y #1,OU=a\\;b\\<c\\>\\\"d\\\",O=Acme\\, Inc.,ST=Beijing,C=CN");
    assert_int_equal(parse("  /CN=a/O=b", &n, &e), 0); /* leading spaces before '/' */
    expect_attr(&n, 0, NAME_CN, "a");
    expect_attr(&n, 1, NAME_O, "b");
    assert_int_equal(parse("/CN=#1", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, "#1");
    assert_int_equal(parse("/CN=\\E5\\BC\\A0", &n, &e), 0);
    expect_attr(&n, 0, NAME_CN, "张");
}

static void bad(const char *s, size_t len, int status, const char *code, const char *in_msg)
{
    sc_name n;
    memset(&n, 0xA5, sizeof(n));
    sc_name before = n;
    sc_err e = {0};
    int rc = name_parse(s, len, &n, &e);
    if (rc != status || strcmp(e.code, code) != 0)
        fail_msg("'%.60s': got %d %s (%s), want %d %s", s ? s : "(null)", rc, e.code, e.msg, status,
                 code);
    assert_int_equal(e.status, status);
    assert_memory_equal(&n, &before, sizeof(n)); /* bad input changes nothing */
    if (in_msg != NULL && strstr(e.msg, in_msg) == NULL)
        fail_msg("message '%s' lacks '%s'", e.msg, in_msg);
}

static void bad_s(const char *s, const char *code, const char *in_msg)
{
    bad(s, strlen(s), SC_EINVAL, code, in_msg);
}

static void test_errors(void **st)
{
    (void)st;
    bad_s("CN", "name.syntax", "byte 3");
    bad_s("=x", "name.syntax", "byte 1");
    bad_s("CN=a,", "name.syntax", NULL);
    bad_s("CN=a, ", "name.syntax", NULL);
    bad_s("CN=a,,O=b", "name.syntax", "byte 6");
    bad_s("C N=x", "name.syntax", NULL);
    bad_s("CN=a;O=b", "name.syntax", "\\;");
    bad_s("CN=a\"b", "name.syntax", NULL);
    bad_s("CN=<x", "name.syntax", NULL);
    bad_s("CN=a>", "name.syntax", NULL);
    bad_s("CN=a\\q", "name.syntax", "escape");
    bad_s("CN=a\\4", "name.syntax", "escape");
    bad_s("CN=a\\", "name.syntax", NULL);
    bad_s("CN=#0403616263", "name.syntax", "#");
    bad_s("/CN=a/", "name.syntax", NULL);
    bad_s("/CN=a//O=b", "name.syntax", NULL);
    bad_s("/", "name.no_cn", NULL);

    bad_s("XX=a", "name.unknown_type", "'XX'");
    bad_s("CN=a,street=b", "name.unknown_type", "byte 6");
    bad_s("1.2.3=a", "name.unknown_type", NULL);

    bad_s("CN=a+O=b", "name.multivalued", "byte 5");
    bad_s("/CN=a+b", "name.multivalued", NULL);

    bad_s("CN=", "name.empty_value", "attribute 1 (CN)");
    bad_s("CN=   ", "name.empty_value", NULL);
    bad_s("CN=a,O=", "name.empty_value", "attribute 2 (O)");
    bad_s("/CN=", "name.empty_value", NULL);

    bad_s("CN=\xC0\xAF", "name.bad_utf8", "attribute 1 (CN)"); /* overlong '/' */
    bad_s("CN=\xE0\x80\xAF", "name.bad_utf8", NULL);           /* overlong */
    bad_s("CN=\xF0\x80\x80\xAF", "name.bad_utf8", NULL);       /* overlong */
    bad_s("CN=\xED\xA0\x80", "name.bad_utf8", NULL);           /* surrogate D800 */
    bad_s("CN=\xF4\x90\x80\x80", "name.bad_utf8", NULL);       /* U+110000 */
    bad_s("CN=\xE5\xBC", "name.bad_utf8", NULL);               /* truncated */
    bad_s("CN=\xBC", "name.bad_utf8", NULL);                   /* lone continuation */
    bad_s("CN=\xFF", "name.bad_utf8", NULL);
    bad_s("CN=\\C0\\AF", "name.bad_utf8", NULL); /* via hex escapes too */
    bad_s("CN=\xF4\x8F\xBF\xBF,O=\xFE", "name.bad_utf8", "attribute 2 (O)");

    bad_s("CN=a\x01z", "name.bad_char", NULL);
    bad_s("CN=a\tz", "name.bad_char", NULL);
    bad_s("CN=a\x7Fz", "name.bad_char", NULL);
    bad_s("CN=a\xC2\x85z", "name.bad_char", NULL); /* U+0085 NEL */
    bad_s("CN=a\\00z", "name.bad_char", NULL);
    bad("CN=a\0z", 6, SC_EINVAL, "name.bad_char", NULL);
    bad_s("CN=a,emailAddress=张@x.cn", "name.bad_char", "emailAddress");
    bad_s("CN=a,serialNumber=11010519491231002X@", "name.bad_char", "serialNumber");

    bad_s("CN=a,C=cn", "name.bad_country", "attribute 2 (C)");
    bad_s("CN=a,C=CHN", "name.bad_country", NULL);
    bad_s("CN=a,C=C1", "name.bad_country", NULL);
    bad_s("CN=a,C=中国", "name.bad_country", NULL);
    bad_s("CN=a,C=CN,O=x,C=US", "name.duplicate_country", NULL);

    bad_s("", "name.no_cn", NULL);
    bad_s("   ", "name.no_cn", NULL);
    bad_s("O=x,C=CN", "name.no_cn", NULL);
    bad(NULL, 0, SC_EINVAL, "name.no_cn", NULL);

    char big[NAME_MAX_INPUT + 2];
    memset(big, ' ', sizeof(big));
    memcpy(big, "CN=x", 4);
    bad(big, NAME_MAX_INPUT + 1, SC_ETOOBIG, "name.too_big", NULL);
    sc_name n;
    sc_err e = {0};
    assert_int_equal(name_parse(big, NAME_MAX_INPUT, &n, &e), 0); /* exactly at the limit */
    expect_attr(&n, 0, NAME_CN, "x");

    /* 17 attributes */
    char many[512] = "CN=a";
    for (int i = 0; i < 16; i++)
        strcat(many, ",OU=b");
    bad_s(many, "name.too_many", NULL);

    /* The refused serial number must not be echoed. */
    sc_err e2 = {0};
    const char *sn = "CN=a,serialNumber=11010519491231002X_";
    assert_int_equal(parse(sn, &n, &e2), SC_EINVAL);
    assert_null(strstr(e2.msg, "1101051949"));
}

static void repeat(char *out, const char *unit, int times)
{
    out[0] = '\0';
    for (int i = 0; i < times; i++)
        strcat(out, unit);
}

static void test_bounds(void **st)
{
    (void)st;
    sc_name n;
    sc_err e = {0};
    char s[2400], v[1100];
    /* ub-common-name is 64 characters, not bytes: 64 Chinese characters (192 bytes) fit. */
    repeat(v, "张", 64);
    snprintf(s, sizeof(s), "CN=%s", v);
    assert_int_equal(parse(s, &n, &e), 0);
    assert_int_equal(n.attr[0].len, 192);
    roundtrip(&n, s);
    repeat(v, "张", 65);
    snprintf(s, sizeof(s), "CN=%s", v);
    bad_s(s, "name.too_long", "attribute 1 (CN)");
    repeat(v, "a", 65);
    snprintf(s, sizeof(s), "CN=%s", v);
    bad_s(s, "name.too_long", NULL);
    repeat(v, "a", 65);
    snprintf(s, sizeof(s), "CN=x,O=%s", v);
    bad_s(s, "name.too_long", "(O)");
    snprintf(s, sizeof(s), "CN=x,OU=%s", v);
    bad_s(s, "name.too_long", "(OU)");
    snprintf(s, sizeof(s), "CN=x,title=%s", v);
    bad_s(s, "name.too_long", NULL);
    snprintf(s, sizeof(s), "CN=x,serialNumber=%s", v);
    bad_s(s, "name.too_long", NULL);
    /* ub-locality-name / ub-state-name are 128 characters; with Chinese text the
     * NAME_MAX_VALUE byte limit (85 characters) is reached first. */
    repeat(v, "a", 128);
    snprintf(s, sizeof(s), "CN=x,L=%s,ST=%s", v, v);
    assert_int_equal(parse(s, &n, &e), 0);
    repeat(v, "市", 85);
    snprintf(s, sizeof(s), "CN=x,L=%s", v);
    assert_int_equal(parse(s, &n, &e), 0);
    repeat(v, "市", 86);
    snprintf(s, sizeof(s), "CN=x,L=%s", v);
    bad_s(s, "name.too_long", "(L)");
    repeat(v, "a", 129);
    snprintf(s, sizeof(s), "CN=x,L=%s", v);
    bad_s(s, "name.too_long", "(L)");
    snprintf(s, sizeof(s), "CN=x,ST=%s", v);
    bad_s(s, "name.too_long", "(ST)");
    /* NAME_MAX_VALUE bytes: 85 Chinese characters = 255 bytes fit in GN, 86 do not. */
    repeat(v, "张", 85);
    snprintf(s, sizeof(s), "CN=x,GN=%s", v);
    assert_int_equal(parse(s, &n, &e), 0);
    repeat(v, "张", 86);
    snprintf(s, sizeof(s), "CN=x,SN=%s", v);
    bad_s(s, "name.too_long", "(SN)");
    repeat(v, "e", 255);
    snprintf(s, sizeof(s), "CN=x,emailAddress=%s", v);
    assert_int_equal(parse(s, &n, &e), 0);
    repeat(v, "e", 256);
    snprintf(s, sizeof(s), "CN=x,emailAddress=%s", v);
    bad_s(s, "name.too_long", NULL);
}

static void test_format_errors(void **st)
{
    (void)st;
    sc_name n;
    sc_err e = {0};
    assert_int_equal(parse("CN=张三,C=CN", &n, &e), 0);
    char out[64];
    memset(out, 'Q', sizeof(out));
    assert_int_equal(name_format(&n, out, 14), SC_ETOOBIG); /* needs 15 with the NUL */
    assert_string_equal(out, "");
    assert_int_equal(name_format(&n, out, 15), 0);
    assert_string_equal(out, "CN=张三,C=CN");
    assert_int_equal(name_format(&n, out, 0), SC_ETOOBIG);
    sc_name m = n;
    m.n = NAME_MAX_ATTRS + 1;
    assert_int_equal(name_format(&m, out, sizeof(out)), SC_EINVAL);
    m = n;
    m.attr[0].type = (name_type)42;
    assert_int_equal(name_format(&m, out, sizeof(out)), SC_EINVAL);
    m = n;
    m.attr[0].len = NAME_MAX_VALUE + 1;
    assert_int_equal(name_format(&m, out, sizeof(out)), SC_EINVAL);
    /* Control bytes in a hand-built name are hex-escaped, so the output stays one line. */
    m = n;
    m.n = 1;
    m.attr[0].type = NAME_CN;
    memcpy(m.attr[0].value, "a\nb", 4);
    m.attr[0].len = 3;
    assert_int_equal(name_format(&m, out, sizeof(out)), 0);
    assert_string_equal(out, "CN=a\\0Ab");
    m.n = 0;
    assert_int_equal(name_format(&m, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static uint64_t rng = 88172645463325252ULL;
static unsigned rnd(unsigned k)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % k);
}

/* Random names full of characters that need escaping survive format + parse unchanged. */
static void test_random_roundtrip(void **st)
{
    (void)st;
    static const char *pool[] = {"a", "Z", " ", ",", "+",  "\"", "\\", "<", ">",
                                 ";", "#", "=", "/", "张", "é",  "𠀀", "0", "."};
    static const name_type ts[] = {NAME_ST,    NAME_L,         NAME_O,      NAME_OU,
                                   NAME_TITLE, NAME_GIVENNAME, NAME_SURNAME};
    long iters = tu_iters(3000, 30);
    for (long it = 0; it < iters; it++) {
        sc_name n;
        memset(&n, 0, sizeof(n));
        size_t k = 1 + rnd(6);
        int has_c = rnd(2);
        if (has_c) {
            n.attr[n.n].type = NAME_C;
            memcpy(n.attr[n.n].value, "CN", 3);
            n.attr[n.n++].len = 2;
        }
        for (size_t i = 0; i < k; i++) {
            name_attr *a = &n.attr[n.n++];
            a->type = i + 1 == k ? NAME_CN : ts[rnd(sizeof(ts) / sizeof(ts[0]))];
            size_t parts = 1 + rnd(15);
            for (size_t p = 0; p < parts; p++) {
                const char *u = pool[rnd(sizeof(pool) / sizeof(pool[0]))];
                memcpy(a->value + a->len, u, strlen(u));
                a->len += strlen(u);
            }
            a->value[a->len] = '\0';
        }
        roundtrip(&n, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chinese_roundtrip),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_slash_form),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_random_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
