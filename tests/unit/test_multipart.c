/* test_multipart.c - the RFC 7578 parser: what browsers and curl send, and broken structure. */
#include "testutil.h"

#include "ra/multipart.h"

#define CT "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"
#define B  "------WebKitFormBoundary7MA4YWxkTrZu0gW"

static int parse(const char *ct, const char *body, size_t len, mp_part *p, size_t max, size_t *n,
                 sc_err *e)
{
    memset(e, 0, sizeof(*e));
    return mp_parse(ct, (const uint8_t *)body, len, p, max, n, e);
}

#define PARSE_S(ct, s, p, max, n, e) parse(ct, s, sizeof(s) - 1, p, max, n, e)

static void test_browser_form(void **state)
{
    (void)state;
    /* a text field and a file whose bytes contain CRLF, "--" and the boundary without CRLF */
    static const char body[] = B "\r\n"
                                 "Content-Disposition: form-data; name=\"kind\"\r\n"
                                 "\r\n"
                                 "licence\r\n" B "\r\n"
                                 "Content-Disposition: form-data; name=\"file\"; "
                                 "filename=\"营业执照.png\"\r\n"
                                 "Content-Type: image/png\r\n"
                                 "\r\n"
                                 "\x89PNG\r\n\x1a\n\0\0--" B "x\r\n-\r\n" B "--\r\n";
    mp_part p[4];
    size_t n = 99;
    sc_err e;
    assert_int_equal(PARSE_S(CT, body, p, 4, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "kind");
    assert_string_equal(p[0].filename, "");
    assert_string_equal(p[0].ctype, "");
    assert_int_equal(p[0].len, 7);
    assert_memory_equal(p[0].data, "licence", 7);
    assert_string_equal(p[1].name, "file");
    assert_string_equal(p[1].filename, "营业执照.png");
    assert_string_equal(p[1].ctype, "image/png");
    static const char want[] = "\x89PNG\r\n\x1a\n\0\0--" B "x\r\n-";
    assert_int_equal(p[1].len, sizeof(want) - 1);
    assert_memory_equal(p[1].data, want, sizeof(want) - 1);
    assert_ptr_equal(mp_find(p, n, "file"), &p[1]);
    assert_null(mp_find(p, n, "nope"));
}

static void test_content_type_forms(void **state)
{
    (void)state;
    char b[80];
    sc_err e = {0};
    assert_int_equal(
        mp_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b'c\"", b, sizeof(b), &e), 0);
    assert_string_equal(b, "a b'c");
    assert_int_equal(mp_boundary("multipart/form-data;boundary=xyz", b, sizeof(b), &e), 0);
    assert_string_equal(b, "xyz");
    static const char *bad[] = {
        "application/json",
        "multipart/form-dataX; boundary=a",
        "multipart/mixed; boundary=a",
        "multipart/form-data",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"ends with space \"",
        "multipart/form-data; boundary=a<b",
        "multipart/form-data; boundary=\"unterminated",
        "multipart/form-data; boundary=a; boundary=b",
        "multipart/form-data; boundary="
        "12345678901234567890123456789012345678901234567890123456789012345678901",
        "multipart/form-data boundary=a",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&e, 0, sizeof(e));
        if (mp_boundary(bad[i], b, sizeof(b), &e) != SC_EINVAL) fail_msg("accepted %s", bad[i]);
        assert_true(strncmp(e.code, "multipart.", 10) == 0);
    }
    /* 70 characters is the limit, and is fine */
    assert_int_equal(
        mp_boundary("multipart/form-data; boundary="
                    "1234567890123456789012345678901234567890123456789012345678901234567890",
                    b, sizeof(b), &e),
        0);
    assert_int_equal(strlen(b), 70);
}

typedef struct bad_case {
    const char *body;
    int status;
    const char *code;
} bad_case;

static void test_broken_structure(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", SC_EINVAL, "multipart.no_start"},
        {"preamble\r\n--x\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.no_start"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nv", SC_EINVAL,
         "multipart.truncated"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\n", SC_EINVAL, "multipart.truncated"},
        {"--x\nContent-Disposition: form-data; name=a\n\nv\n--x--", SC_EINVAL,
         "multipart.bad_delimiter"},
        {"--x\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_header"},
        {"--x\r\n\r\nv\r\n--x--", SC_EINVAL, "multipart.no_disposition"},
        {"--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.no_disposition"},
        {"--x\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; "
         "name=b\r\n\r\nv\r\n--x--",
         SC_EINVAL, "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data; name=a;\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data; name=a; filename=\"\xff.pdf\"\r\n\r\nv\r\n--x--",
         SC_EINVAL, "multipart.bad_name"},
        {"--x\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_disposition"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\n folded\r\n\r\nv\r\n--x--", SC_EINVAL,
         "multipart.bad_header"},
        {"--x\r\n: novalue\r\n\r\nv\r\n--x--", SC_EINVAL, "multipart.bad_header"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: "
         "base64\r\n\r\ndg==\r\n--x--",
         SC_EINVAL, "multipart.bad_encoding"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--x--junk", SC_EINVAL,
         "multipart.trailing_data"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--x--\r\nepilogue", SC_EINVAL,
         "multipart.trailing_data"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--xy\r\n", SC_EINVAL,
         "multipart.bad_delimiter"},
        {"--x--", SC_EINVAL, "multipart.empty"},
        {"--x\r\nContent-Disposition: form-data; name=a\r\nContent-Type: a\r\nContent-Type: "
         "b\r\n\r\nv\r\n--x--",
         SC_EINVAL, "multipart.bad_header"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mp_part p[4];
        size_t n = 7;
        sc_err e;
        int rc = parse("multipart/form-data; boundary=x", cases[i].body, strlen(cases[i].body), p,
                       4, &n, &e);
        if (rc != cases[i].status || strcmp(e.code, cases[i].code) != 0)
            fail_msg("case %zu: got %d %s (%s), want %d %s", i, rc, e.code, e.msg, cases[i].status,
                     cases[i].code);
        assert_int_equal(n, 0);
    }
}

static void test_limits(void **state)
{
    (void)state;
    static const char three[] = "--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
                                "--x\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
                                "--x\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n--x--";
    mp_part p[3];
    size_t n;
    sc_err e;
    assert_int_equal(PARSE_S("multipart/form-data; boundary=x", three, p, 3, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(PARSE_S("multipart/form-data; boundary=x", three, p, 2, &n, &e), SC_ETOOBIG);
    assert_string_equal(e.code, "multipart.too_many_parts");
    assert_int_equal(n, 0);

    /* a header line just over the limit, and too many header lines */
    char body[8192];
    char pad[MP_MAX_HEADER_LINE + 8];
    memset(pad, 'a', sizeof(pad));
    pad[MP_MAX_HEADER_LINE - 4] = 0; /* "X: " + pad = MP_MAX_HEADER_LINE - 1 */
    snprintf(body, sizeof(body),
             "--x\r\nX: %s\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--x--", pad);
    assert_int_equal(parse("multipart/form-data; boundary=x", body, strlen(body), p, 3, &n, &e), 0);
    pad[MP_MAX_HEADER_LINE - 4] = 'a';
    pad[MP_MAX_HEADER_LINE] = 0;
    snprintf(body, sizeof(body),
             "--x\r\nX: %s\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--x--", pad);
    assert_int_equal(parse("multipart/form-data; boundary=x", body, strlen(body), p, 3, &n, &e),
                     SC_ETOOBIG);
    assert_string_equal(e.code, "multipart.header_too_long");
    strcpy(body, "--x\r\n");
    for (int i = 0; i < MP_MAX_HEADERS; i++)
        strcat(body, "X-Y: z\r\n");
    strcat(body, "Content-Disposition: form-data; name=a\r\n\r\nv\r\n--x--");
    assert_int_equal(parse("multipart/form-data; boundary=x", body, strlen(body), p, 3, &n, &e),
                     SC_ETOOBIG);
    assert_string_equal(e.code, "multipart.too_many_headers");
    /* a file name of 256 bytes is refused, 255 accepted */
    memset(pad, 'f', 256);
    pad[256] = 0;
    snprintf(body, sizeof(body),
             "--x\r\nContent-Disposition: form-data; name=a; filename=\"%s\"\r\n\r\nv\r\n--x--",
             pad);
    assert_int_equal(parse("multipart/form-data; boundary=x", body, strlen(body), p, 3, &n, &e),
                     SC_ETOOBIG);
    pad[255] = 0;
    snprintf(body, sizeof(body),
             "--x\r\nContent-Disposition: form-data; name=a; filename=\"%s\"\r\n\r\nv\r\n--x--",
             pad);
    assert_int_equal(parse("multipart/form-data; boundary=x", body, strlen(body), p, 3, &n, &e), 0);
    assert_int_equal(strlen(p[0].filename), 255);
}

static void test_edge_forms(void **state)
{
    (void)state;
    /* empty value, quoted-pair in a name, unknown headers/params ignored, close + CRLF */
    static const char body[] =
        "--x\r\nContent-Disposition: form-data; name=\"a\\\"b\"; filename*=UTF-8''x\r\n"
        "X-Whatever: 1\r\n\r\n\r\n--x\r\ncontent-disposition: FORM-DATA; NAME=c; "
        "filename=\"\"\r\n"
        "Content-Transfer-Encoding: binary\r\n\r\nzz\r\n--x--\r\n";
    mp_part p[4];
    size_t n;
    sc_err e;
    assert_int_equal(PARSE_S("multipart/form-data; boundary=x", body, p, 4, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "a\"b");
    assert_int_equal(p[0].len, 0);
    assert_string_equal(p[1].name, "c");
    assert_string_equal(p[1].filename, "");
    assert_int_equal(p[1].len, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_browser_form),     cmocka_unit_test(test_content_type_forms),
        cmocka_unit_test(test_broken_structure), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_edge_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
