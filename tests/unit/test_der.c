/* test_der.c - the strict DER writer and reader, checked byte for byte against OpenSSL. */
#include "testutil.h"

#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>

#include "common/err.h"
#include "pki/der.h"

/* The writer's bytes, after checking it finished cleanly. */
static const uint8_t *done(der_w *w, size_t *len)
{
    assert_int_equal(der_finish(w), 0);
    *len = w->b.len;
    return w->b.p;
}

static void expect_bytes(der_w *w, const char *hex)
{
    uint8_t want[256];
    size_t n = tu_unhex(hex, want, sizeof(want)), len;
    const uint8_t *p = done(w, &len);
    assert_int_equal(len, n);
    assert_memory_equal(p, want, n);
}

static void test_uint_minimal(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", "020100"},       /* empty input is zero */
        {"00", "020100"},     /* zero */
        {"000000", "020100"}, /* zero with leading zeros */
        {"01", "020101"},     {"7f", "02017f"},       {"80", "02020080"}, /* high bit: 0x00 pad */
        {"ff", "020200ff"},   {"0000ff", "020200ff"},                     /* strip, then pad */
        {"00007f", "02017f"}, {"0100", "02020100"},   {"00800000", "0204 00800000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t in[16];
        size_t n = tu_unhex(cases[i].in, in, sizeof(in));
        char want[64];
        size_t k = 0;
        for (const char *c = cases[i].out; *c; c++)
            if (*c != ' ') want[k++] = *c;
        want[k] = 0;
        der_w w = {0};
        der_uint(&w, in, n);
        expect_bytes(&w, want);
        der_free(&w);
    }
    /* a 16-byte serial with the high bit set: 17 content bytes, same as OpenSSL's bignum */
    uint8_t s[16];
    memset(s, 0xa5, 16);
    der_w w = {0};
    der_uint(&w, s, 16);
    size_t len;
    const uint8_t *p = done(&w, &len);
    BIGNUM *bn = BN_bin2bn(s, 16, NULL);
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
    unsigned char *o = NULL;
    int ol = i2d_ASN1_INTEGER(ai, &o);
    assert_int_equal((size_t)ol, len);
    assert_memory_equal(p, o, len);
    OPENSSL_free(o);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    der_free(&w);
}

static void test_int64_vs_openssl(void **state)
{
    static const int64_t vals[] = {
        0,      1,         127,       128,       255,       256,           -1,
        -128,   -129,      -256,      -257,      32767,     32768,         -32768,
        -32769, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        der_w w = {0};
        der_int64(&w, vals[i]);
        size_t len;
        const uint8_t *p = done(&w, &len);
        ASN1_INTEGER *ai = ASN1_INTEGER_new();
        assert_int_equal(ASN1_INTEGER_set_int64(ai, vals[i]), 1);
        unsigned char *o = NULL;
        int ol = i2d_ASN1_INTEGER(ai, &o);
        assert_true(ol > 0);
        if ((size_t)ol != len || memcmp(p, o, len) != 0)
            fail_msg("der_int64(%lld) differs from OpenSSL", (long long)vals[i]);
        /* and OpenSSL reads it back as the same value */
        const unsigned char *q = p;
        ASN1_INTEGER *back = d2i_ASN1_INTEGER(NULL, &q, (long)len);
        assert_non_null(back);
        int64_t v = 0;
        assert_int_equal(ASN1_INTEGER_get_int64(&v, back), 1);
        assert_true(v == vals[i]);
        ASN1_INTEGER_free(back);
        OPENSSL_free(o);
        ASN1_INTEGER_free(ai);
        der_free(&w);
    }
    der_w w = {0};
    der_int64(&w, 0);
    expect_bytes(&w, "020100");
    der_free(&w);
    der_int64(&w, 127);
    expect_bytes(&w, "02017f");
    der_free(&w);
    der_int64(&w, 128);
    expect_bytes(&w, "02020080");
    der_free(&w);
    der_int64(&w, -1);
    expect_bytes(&w, "0201ff");
    der_free(&w);
    der_int64(&w, -129);
    expect_bytes(&w, "0202ff7f");
    der_free(&w);
}

static void test_long_lengths(void **state)
{
    static const size_t sizes[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 70000};
    static const size_t hdr[] = {2, 2, 2, 3, 3, 4, 4, 5, 5};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        uint8_t *content = malloc(n + 1);
        for (size_t k = 0; k < n; k++)
            content[k] = (uint8_t)(k * 7 + 3);
        for (int mode = 0; mode < 2; mode++) {
            der_w w = {0};
            if (mode == 0) {
                der_prim(&w, DER_OCTETSTRING, content, n);
            } else {
                /* begin/end must shift the contents when the length needs long form */
                der_begin(&w, DER_SEQUENCE);
                der_raw(&w, content, n);
                der_end(&w);
            }
            size_t len;
            const uint8_t *p = done(&w, &len);
            assert_int_equal(len, hdr[i] + n);
            assert_memory_equal(p + hdr[i], content, n);
            der_r r = der_reader(p, len);
            der_tlv t;
            assert_int_equal(der_next(&r, &t), 0);
            assert_int_equal(t.tag, mode == 0 ? DER_OCTETSTRING : DER_SEQUENCE);
            assert_int_equal(t.len, n);
            assert_ptr_equal(t.val, p + hdr[i]);
            assert_ptr_equal(t.raw, p);
            assert_int_equal(t.rawlen, len);
            assert_true(der_at_end(&r));
            assert_int_equal(der_next(&r, &t), -1);
            /* OpenSSL reads the same header */
            const unsigned char *q = p;
            long ol = 0;
            int otag = 0, oclass = 0;
            int ret = ASN1_get_object(&q, &ol, &otag, &oclass, (long)len);
            assert_false(ret & 0x80);
            assert_int_equal(ret & V_ASN1_CONSTRUCTED, mode == 0 ? 0 : V_ASN1_CONSTRUCTED);
            assert_int_equal(otag, mode == 0 ? V_ASN1_OCTET_STRING : V_ASN1_SEQUENCE);
            assert_int_equal(oclass, V_ASN1_UNIVERSAL);
            assert_int_equal((size_t)ol, n);
            assert_ptr_equal(q, p + hdr[i]);
            der_free(&w);
        }
        free(content);
    }
}

static void test_nested(void **state)
{
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_int64(&w, 5);
    der_begin(&w, DER_CTX_CONS(0));
    der_begin(&w, DER_SET);
    der_null(&w);
    der_bool(&w, 1);
    der_end(&w);
    uint8_t big[200];
    memset(big, 0x11, sizeof(big));
    der_prim(&w, DER_OCTETSTRING, big, sizeof(big)); /* inner long form under short outer */
    der_end(&w);
    der_bool(&w, 0);
    der_end(&w);
    size_t len;
    const uint8_t *p = done(&w, &len);
    /* [0] holds SET(31 05 0500 0101ff) = 7 + OCTET(04 81 c8 ..) = 203 -> 210 bytes;
     * SEQUENCE: 30 81 db, INTEGER 3, [0] header 3 + 210, BOOLEAN 3 */
    assert_int_equal(len, 3 + 3 + 3 + 210 + 3);
    assert_int_equal(p[1], 0x81);
    assert_int_equal(p[2], 219);
    der_r r = der_reader(p, len), in, ctx, set;
    der_tlv seq, t;
    assert_int_equal(der_expect(&r, DER_SEQUENCE, &seq), 0);
    assert_true(der_at_end(&r));
    in = der_inner(&seq);
    assert_int_equal(der_expect(&in, DER_INTEGER, &t), 0);
    assert_int_equal(t.len, 1);
    assert_int_equal(t.val[0], 5);
    assert_int_equal(der_peek(&in), DER_CTX_CONS(0));
    assert_int_equal(der_expect(&in, DER_CTX_CONS(0), &t), 0);
    assert_int_equal(t.len, 210);
    ctx = der_inner(&t);
    assert_int_equal(der_expect(&ctx, DER_SET, &t), 0);
    set = der_inner(&t);
    assert_int_equal(der_expect(&set, DER_NULL, &t), 0);
    assert_int_equal(t.len, 0);
    assert_int_equal(der_expect(&set, DER_BOOLEAN, &t), 0);
    assert_int_equal(t.val[0], 0xff);
    assert_true(der_at_end(&set));
    /* der_expect with the wrong tag does not consume */
    assert_int_equal(der_expect(&ctx, DER_INTEGER, &t), -1);
    assert_int_equal(der_expect(&ctx, DER_OCTETSTRING, &t), 0);
    assert_int_equal(t.len, 200);
    assert_true(der_at_end(&ctx));
    assert_int_equal(der_expect(&in, DER_BOOLEAN, &t), 0);
    assert_int_equal(t.val[0], 0);
    assert_true(der_at_end(&in));
    assert_int_equal(der_peek(&in), -1);
    der_free(&w);

    /* unbalanced: an open value at finish, or an end without a begin, is an error */
    der_w u = {0};
    der_begin(&u, DER_SEQUENCE);
    assert_int_equal(der_status(&u), 0);
    assert_int_equal(der_finish(&u), SC_EINTERNAL);
    der_free(&u);
    der_end(&u);
    assert_int_equal(der_finish(&u), SC_EINTERNAL);
    der_free(&u);
    /* too deep */
    for (int i = 0; i <= DER_MAX_DEPTH; i++)
        der_begin(&u, DER_SEQUENCE);
    assert_int_equal(der_status(&u), SC_EINTERNAL);
    der_free(&u);
}

static const char *const oids[] = {
    "0.9.2342.19200300.100.1.1",
    "1.2.156.10197.1.301",
    "1.2.156.10197.1.501",
    "1.2.156.10260.4.4",
    "1.2.156.10260.4.1.1",
    "1.2.840.10045.2.1",
    "1.2.840.113549.1.1.11",
    "1.3.6.1.5.5.7.3.2",
    "1.3.6.1.5.5.7.48.1.5",
    "2.5.29.15",
    "2.5.4.3",
    "1.39.1",
    "0.0",
    "2.47.1",
    "2.48",
    "2.999.3",
    "2.25.314170397574101246769260177629083177580",
    "2.25.340282366920938463463374607431768211455",  /* 2^128 - 1 */
    "1.2.18446744073709551615.18446744073709551616", /* 2^64 - 1, 2^64 */
};

static void test_oid_vs_openssl(void **state)
{
    for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++) {
        der_w w = {0};
        assert_int_equal(der_oid(&w, oids[i]), 0);
        size_t len;
        const uint8_t *p = done(&w, &len);
        ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 1);
        if (o == NULL) fail_msg("OpenSSL cannot parse %s", oids[i]);
        unsigned char *enc = NULL;
        int el = i2d_ASN1_OBJECT(o, &enc);
        assert_true(el > 0);
        if ((size_t)el != len || memcmp(enc, p, len) != 0)
            fail_msg("der_oid(%s) differs from OpenSSL", oids[i]);
        /* text round trip, from our bytes */
        der_r r = der_reader(p, len);
        der_tlv t;
        assert_int_equal(der_expect(&r, DER_OID, &t), 0);
        char text[200];
        assert_int_equal(der_oid_text(t.val, t.len, text, sizeof(text)), 0);
        assert_string_equal(text, oids[i]);
        /* and OpenSSL's dotted form of the same bytes agrees */
        char otext[200];
        assert_true(OBJ_obj2txt(otext, sizeof(otext), o, 1) > 0);
        assert_string_equal(otext, oids[i]);
        /* too small an output buffer is refused, not truncated */
        assert_int_equal(der_oid_text(t.val, t.len, text, strlen(oids[i])), -1);
        OPENSSL_free(enc);
        ASN1_OBJECT_free(o);
        der_free(&w);
    }
}

static void test_oid_bad(void **state)
{
    static const char *const bad[] = {"",     "1",    "3.1",   "1.40",  "0.40", "1.2.",
                                      ".1.2", "1..2", "1.2.a", "1.02",  "2.05", "1.2.03",
                                      "01.2", "1.2 ", "-1.2",  "1.2.-3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        der_w w = {0};
        if (der_oid(&w, bad[i]) != -1) fail_msg("der_oid accepted \"%s\"", bad[i]);
        assert_int_equal(der_finish(&w), SC_EINTERNAL);
        der_free(&w);
    }
    /* reader side: empty, unterminated last subidentifier, non-minimal 0x80 padding */
    char text[64];
    static const uint8_t unterminated[] = {0x2a, 0x86};
    static const uint8_t padded[] = {0x2a, 0x80, 0x01};
    static const uint8_t padded_first[] = {0x80, 0x2a};
    assert_int_equal(der_oid_text(unterminated, 0, text, sizeof(text)), -1);
    assert_int_equal(der_oid_text(unterminated, sizeof(unterminated), text, sizeof(text)), -1);
    assert_int_equal(der_oid_text(padded, sizeof(padded), text, sizeof(text)), -1);
    assert_int_equal(der_oid_text(padded_first, sizeof(padded_first), text, sizeof(text)), -1);
}

static void test_bits_named_vs_openssl(void **state)
{
    /* keyUsage values sealca writes, and a few shapes at byte boundaries */
    static const uint32_t vals[] = {
        0,
        1u << 0,                           /* digitalSignature */
        (1u << 0) | (1u << 1),             /* sign profiles */
        (1u << 2) | (1u << 3) | (1u << 4), /* enc profiles */
        (1u << 0) | (1u << 5) | (1u << 6), /* CA */
        1u << 7,
        1u << 8, /* decipherOnly: second byte */
        (1u << 0) | (1u << 8),
        1u << 15,
        1u << 31,
    };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        der_w w = {0};
        der_bits_named(&w, vals[i]);
        size_t len;
        const uint8_t *p = done(&w, &len);
        ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
        for (int b = 0; b < 32; b++)
            if (vals[i] & (1u << b)) assert_int_equal(ASN1_BIT_STRING_set_bit(bs, b, 1), 1);
        unsigned char *o = NULL;
        int ol = i2d_ASN1_BIT_STRING(bs, &o);
        assert_true(ol > 0);
        if ((size_t)ol != len || memcmp(o, p, len) != 0)
            fail_msg("der_bits_named(0x%x) differs from OpenSSL", vals[i]);
        /* OpenSSL reads the same bits back */
        const unsigned char *q = p;
        ASN1_BIT_STRING *back = d2i_ASN1_BIT_STRING(NULL, &q, (long)len);
        assert_non_null(back);
        for (int b = 0; b < 32; b++)
            assert_int_equal(ASN1_BIT_STRING_get_bit(back, b), !!(vals[i] & (1u << b)));
        ASN1_BIT_STRING_free(back);
        OPENSSL_free(o);
        ASN1_BIT_STRING_free(bs);
        der_free(&w);
    }
    der_w w = {0};
    der_bits_named(&w, (1u << 0) | (1u << 1)); /* digitalSignature + nonRepudiation */
    expect_bytes(&w, "030206c0");
    der_free(&w);
    der_bits_named(&w, (1u << 2) | (1u << 3) | (1u << 4));
    expect_bytes(&w, "03020338");
    der_free(&w);
}

static int64_t ts(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

static void test_time_choice_and_roundtrip(void **state)
{
    static const struct {
        int64_t t;
        uint8_t tag;
        const char *text;
    } cases[] = {
        {0, DER_UTCTIME, "700101000000Z"},
        {1700000000, DER_UTCTIME, "231114221320Z"},
        {2524607999, DER_UTCTIME, "491231235959Z"},           /* last UTCTime second */
        {2524608000, DER_GENERALIZEDTIME, "20500101000000Z"}, /* 2050: GeneralizedTime */
        {4102444800, DER_GENERALIZEDTIME, "21000101000000Z"},
        {-631152000, DER_UTCTIME, "500101000000Z"},           /* 1950 */
        {-631152001, DER_GENERALIZEDTIME, "19491231235959Z"}, /* before 1950 */
        {951782400, DER_UTCTIME, "000229000000Z"},            /* leap day 2000 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        der_w w = {0};
        der_time(&w, cases[i].t);
        size_t len;
        const uint8_t *p = done(&w, &len);
        size_t tl = strlen(cases[i].text);
        assert_int_equal(len, 2 + tl);
        assert_int_equal(p[0], cases[i].tag);
        assert_int_equal(p[1], tl);
        assert_memory_equal(p + 2, cases[i].text, tl);
        int64_t back = 0;
        assert_int_equal(der_time_parse(p[0], p + 2, tl, &back), 0);
        assert_true(back == cases[i].t);
        /* OpenSSL picks the same encoding for the same instant */
        ASN1_TIME *at = ASN1_TIME_set(NULL, (time_t)cases[i].t);
        assert_non_null(at);
        unsigned char *o = NULL;
        int ol = i2d_ASN1_TIME(at, &o);
        assert_int_equal((size_t)ol, len);
        assert_memory_equal(o, p, len);
        OPENSSL_free(o);
        ASN1_TIME_free(at);
        der_free(&w);
        /* der_gentime always writes GeneralizedTime, which parses back too */
        der_gentime(&w, cases[i].t);
        p = done(&w, &len);
        assert_int_equal(p[0], DER_GENERALIZEDTIME);
        assert_int_equal(der_time_parse(p[0], p + 2, len - 2, &back), 0);
        assert_true(back == cases[i].t);
        der_free(&w);
    }
    /* a sweep across 1950..2100 round-trips through the writer's choice */
    for (int64_t t = -631152000; t < 4102444800; t += 86400LL * 397 + 3671) {
        der_w w = {0};
        der_time(&w, t);
        size_t len;
        const uint8_t *p = done(&w, &len);
        int64_t back = 0;
        assert_int_equal(der_time_parse(p[0], p + 2, len - 2, &back), 0);
        assert_true(back == t);
        assert_int_equal(p[0], t < 2524608000 ? DER_UTCTIME : DER_GENERALIZEDTIME);
        der_free(&w);
    }
    assert_true(ts(2049, 12, 31, 23, 59, 59) == 2524607999);
}

static void test_time_parse_invalid(void **state)
{
    static const struct {
        uint8_t tag;
        const char *text;
    } bad[] = {
        {DER_UTCTIME, "230230120000Z"},           /* 30 February */
        {DER_UTCTIME, "230229120000Z"},           /* 29 February in a common year */
        {DER_GENERALIZEDTIME, "21000229000000Z"}, /* 2100 is not a leap year */
        {DER_UTCTIME, "230431120000Z"},           /* 31 April */
        {DER_UTCTIME, "231301120000Z"},           /* month 13 */
        {DER_UTCTIME, "230001120000Z"},           /* month 0 */
        {DER_UTCTIME, "230100120000Z"},           /* day 0 */
        {DER_UTCTIME, "230101240000Z"},           /* hour 24 */
        {DER_UTCTIME, "230101236000Z"},           /* minute 60 */
        {DER_UTCTIME, "230101235960Z"},           /* second 60 */
        {DER_UTCTIME, "2301011200000"},           /* no Z */
        {DER_UTCTIME, "230101120000+0800"},       /* offset form */
        {DER_UTCTIME, "2301011200Z"},             /* no seconds */
        {DER_UTCTIME, "23010112000Z"},
        {DER_UTCTIME, "2301011200 0Z"},
        {DER_UTCTIME, "-30101120000Z"},
        {DER_GENERALIZEDTIME, "20230101120000"},
        {DER_GENERALIZEDTIME, "20230101120000.5Z"}, /* fractions are not DER for X.509 */
        {DER_GENERALIZEDTIME, "230101120000Z"},     /* UTCTime text under the other tag */
        {DER_UTCTIME, "20230101120000Z"},
        {DER_OCTETSTRING, "230101120000Z"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t out = 12345;
        if (der_time_parse(bad[i].tag, (const uint8_t *)bad[i].text, strlen(bad[i].text), &out) !=
            -1)
            fail_msg("der_time_parse accepted %s", bad[i].text);
        assert_true(out == 12345);
    }
    /* valid edge: 29 February of a leap year, and 2000 */
    int64_t t;
    assert_int_equal(der_time_parse(DER_UTCTIME, (const uint8_t *)"240229235959Z", 13, &t), 0);
    assert_true(t == ts(2024, 2, 29, 23, 59, 59));
    assert_int_equal(
        der_time_parse(DER_GENERALIZEDTIME, (const uint8_t *)"20000229000000Z", 15, &t), 0);
    assert_true(t == ts(2000, 2, 29, 0, 0, 0));
    /* UTCTime years 50..99 are 19xx, 00..49 are 20xx */
    assert_int_equal(der_time_parse(DER_UTCTIME, (const uint8_t *)"490101000000Z", 13, &t), 0);
    assert_true(t == ts(2049, 1, 1, 0, 0, 0));
    assert_int_equal(der_time_parse(DER_UTCTIME, (const uint8_t *)"500101000000Z", 13, &t), 0);
    assert_true(t == ts(1950, 1, 1, 0, 0, 0));
}

static int next_fails(const char *hex)
{
    uint8_t b[64];
    size_t n = tu_unhex(hex, b, sizeof(b));
    der_r r = der_reader(b, n);
    der_tlv t;
    const uint8_t *before = r.p;
    int rc = der_next(&r, &t);
    if (rc != 0) assert_ptr_equal(r.p, before); /* a refusal does not move the reader */
    return rc == -1;
}

static void test_next_strict(void **state)
{
    /* good baseline */
    assert_false(next_fails("0500"));
    assert_false(next_fails("040100"));
    assert_false(next_fails("30030201"
                            "05"));
    /* indefinite length */
    assert_true(next_fails("30800500"
                           "0000"));
    /* non-minimal long forms: 0x81 for < 128, a leading zero length byte */
    assert_true(next_fails("048100"));
    assert_true(next_fails("04820005"
                           "0000000000"));
    assert_true(next_fails("0482007f"));
    /* absurd number of length bytes */
    assert_true(next_fails("0485010000000000"));
    /* truncation: no length, long length cut, contents short */
    assert_true(next_fails("04"));
    assert_true(next_fails(""));
    assert_true(next_fails("0482"));
    assert_true(next_fails("048201"));
    assert_true(next_fails("040300"));
    assert_true(next_fails("0481ff00"));
    /* high-tag-number form */
    assert_true(next_fails("1f2001"
                           "00"));
    assert_true(next_fails("bf8101"
                           "0100"));

    /* a long length read correctly, with a second TLV after */
    uint8_t buf[300];
    buf[0] = 0x04;
    buf[1] = 0x81;
    buf[2] = 0x80;
    memset(buf + 3, 0x5a, 0x80);
    buf[3 + 0x80] = 0x05;
    buf[4 + 0x80] = 0x00;
    der_r r = der_reader(buf, 5 + 0x80);
    der_tlv t;
    assert_int_equal(der_next(&r, &t), 0);
    assert_int_equal(t.len, 0x80);
    assert_int_equal(t.rawlen, 3 + 0x80);
    assert_int_equal(der_next(&r, &t), 0);
    assert_int_equal(t.tag, DER_NULL);
    assert_true(der_at_end(&r));
    /* 0x81 0x7f is a non-minimal long form of 127, even with all 127 bytes present */
    buf[1] = 0x81;
    buf[2] = 0x7f;
    r = der_reader(buf, 3 + 0x7f);
    assert_int_equal(der_next(&r, &t), -1);
    buf[1] = 0x7f;
    r = der_reader(buf, 2 + 0x7f);
    assert_int_equal(der_next(&r, &t), 0);
    assert_int_equal(t.len, 0x7f);
    /* 0x82 0x00 0x80: a leading zero length byte */
    buf[1] = 0x82;
    buf[2] = 0x00;
    buf[3] = 0x80;
    r = der_reader(buf, 4 + 0x80);
    assert_int_equal(der_next(&r, &t), -1);
    buf[1] = 0x81;
    buf[2] = 0x80;
    buf[3] = 0x5a;
    /* one byte short in the middle of the stream */
    r = der_reader(buf, 2 + 0x80);
    assert_int_equal(der_next(&r, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uint_minimal),
        cmocka_unit_test(test_int64_vs_openssl),
        cmocka_unit_test(test_long_lengths),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_oid_vs_openssl),
        cmocka_unit_test(test_oid_bad),
        cmocka_unit_test(test_bits_named_vs_openssl),
        cmocka_unit_test(test_time_choice_and_roundtrip),
        cmocka_unit_test(test_time_parse_invalid),
        cmocka_unit_test(test_next_strict),
    };
    return cmocka_run_group_tests_name("der", tests, NULL, NULL);
}
