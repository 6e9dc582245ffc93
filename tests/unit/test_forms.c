/* test_forms.c - the printable PDFs: every form for an organization and a person order, in Chinese
 * and English, checked with poppler-utils (pdftotext: the values are there, the right boxes ticked;
 * pdffonts: the CJK font is embedded). */
#include "testutil.h"

#include <ctype.h>
#include <unistd.h>

#include "ra/forms.h"
#include "ra/material.h"

static const forms_kv ORG[] = {
    {"order_no", "RA-20261127-0007"},
    {"project", "乌鲁木齐市公共资源交易平台"},
    {"business", "new"},
    {"subject_kind", "organization"},
    {"medium", "usbkey"},
    {"years", "2"},
    {"quantity", "1"},
    {"invoice_email", "finance@xjjs.example.cn"},
    {"org_name", "新疆天山建设工程有限公司"},
    {"org_uscc", "91650100MA77XXXX1K"},
    {"org_address", "新疆乌鲁木齐市天山区解放北路 88 号"},
    {"legal_name", "张建国"},
    {"legal_phone", "13899112233"},
    {"legal_id_type", "id-card"},
    {"legal_id_number", "650102197805061234"},
    {"bank_account_name", "新疆天山建设工程有限公司"},
    {"bank_name", "中国工商银行"},
    {"bank_branch", "乌鲁木齐解放北路支行"},
    {"bank_account", "3002020109200012345"},
    {"agent_name", "李晓梅"},
    {"agent_mobile", "13999887766"},
    {"agent_id_type", "id-card"},
    {"agent_id_number", "650103199002153321"},
    {"agent_email", "lixm@xjjs.example.cn"},
    {"handling", "mail"},
    {"return_address", "乌鲁木齐市天山区解放北路 88 号 5 楼"},
    {"return_phone", "0991-2345678"},
    {"auth_from", "2026-11-20"},
    {"auth_to", "2027-05-19"},
    {"declarations_accepted", "true"},
    {"price_confirmed", "true"},
    {"price_fen", "30000"},
    {"service_point", "sp-1"},
    {"service_point_name", "乌鲁木齐市政务服务中心驻点"},
    {"created_at", "2026-11-26T17:30:00Z"}, /* 01:30 on 27 Nov in Shanghai */
    {"ca_name", "天山数字认证"},
    {"service_company", "天山注册服务有限公司"},
    {"ship_by", "2026-12-02"},
    {"hotline", "0991-6668888"},
};

static const forms_kv PERSON[] = {
    {"order_no", "RA-20261127-0008"},
    {"project", "兵团公共资源交易平台"},
    {"business", "key-recovery"},
    {"recovery_kind", "judicial"},
    {"subject_kind", "cost-engineer"},
    {"medium", "mobile"},
    {"years", "1"},
    {"person_name", "王志强"},
    {"person_phone", "13677889900"},
    {"person_id_type", "id-card"},
    {"person_id_number", "65010419850312001X"},
    {"person_org", "新疆天山造价咨询有限公司"},
    {"person_email", "wzq@example.cn"},
    {"agent_name", "<script>alert(1)</script>"},
    {"handling", "onsite"},
    {"price_fen", "12050"},
    {"created_at", "1795708800"}, /* 2026-11-27 00:00 in Shanghai (26 Nov 16:00 UTC) */
};

#define NKV(a) (sizeof(a) / sizeof(a[0]))

/* Render, write to a temp file, return its path (static buffer). */
static const char *render(const char *form, const forms_kv *kv, size_t n, const char *lang)
{
    static char path[64];
    sc_buf pdf = {0};
    sc_err e = {0};
    if (forms_render(form, kv, n, lang, &pdf, &e) != 0)
        fail_msg("%s/%s: %s %s", form, lang, e.code, e.msg);
    /* what an applicant prints, stamps and uploads again passes the material check */
    const char *mime = NULL;
    assert_int_equal(material_sniff(pdf.p, pdf.len, &mime, &e), 0);
    assert_string_equal(mime, "application/pdf");
    snprintf(path, sizeof(path), "/tmp/sealca-form-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, pdf.p, pdf.len), (ssize_t)pdf.len);
    close(fd);
    sc_buf_free(&pdf);
    return path;
}

/* Output of a command, whitespace removed (pdftotext breaks lines inside table cells). */
static char *run(const char *cmd, int squeeze)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap);
    int c;
    while ((c = fgetc(p)) != EOF && n + 1 < cap)
        if (!squeeze || !isspace(c)) out[n++] = (char)c;
    out[n] = 0;
    assert_int_equal(pclose(p), 0);
    return out;
}

static char *text_of(const char *path)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 '%s' -", path);
    return run(cmd, 1);
}

static void has(const char *text, const char *want)
{
    /* compare without whitespace */
    char w[1024];
    size_t n = 0;
    for (const char *p = want; *p && n + 1 < sizeof(w); p++)
        if (!isspace((unsigned char)*p)) w[n++] = *p;
    w[n] = 0;
    if (strstr(text, w) == NULL) fail_msg("'%s' not in the PDF text", want);
}

static void hasnt(const char *text, const char *want)
{
    if (strstr(text, want) != NULL) fail_msg("'%s' unexpectedly in the PDF text", want);
}

/* Every font embedded, and a Noto CJK one among them. */
static void fonts_embedded(const char *path, const char *family)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "pdffonts '%s'", path);
    char *out = run(cmd, 0);
    int cjk = 0, lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (++lines <= 2) continue; /* header and ---- */
        char *tok[32] = {NULL};
        int nt = 0;
        /* split by spaces by hand (strtok is in use) */
        char *q = line;
        while (*q && nt < 32) {
            while (*q == ' ')
                *q++ = 0;
            if (!*q) break;
            tok[nt++] = q;
            while (*q && *q != ' ')
                q++;
        }
        assert_true(nt >= 7);
        if (strcmp(tok[nt - 5], "yes") != 0) fail_msg("font %s is not embedded", tok[0]);
        if (strstr(tok[0], family) != NULL) cjk = 1;
    }
    free(out);
    if (!cjk) fail_msg("no %s font in the PDF", family);
}

static void test_seal_application_org(void **state)
{
    (void)state;
    const char *p = render("seal-application", ORG, NKV(ORG), "zh-CN");
    fonts_embedded(p, "NotoSansCJK");
    char *t = text_of(p);
    has(t, "签章业务申请表");
    has(t, "申请日期：2026 年 11 月 27 日");
    has(t, "乌鲁木齐市公共资源交易平台 项目");
    has(t, "✓新办");
    has(t, "□补办");
    has(t, "✓企业用户");
    has(t, "□个人用户");
    has(t, "finance@xjjs.example.cn");
    has(t, "新疆天山建设工程有限公司");
    has(t, "91650100MA77XXXX1K");
    has(t, "张建国");
    has(t, "13899112233");
    has(t, "✓企业锁新办");
    has(t, "□个人锁新办");
    has(t, "□企业锁延期");
    has(t, "¥300.00 元");
    has(t, "✓本单位/本人确认已知悉以上业务价格");
    /* the authorization sentence with the agent and the validity filled in */
    has(t, "本单位授权（姓名：李晓梅、手机号码：13999887766、身份证号码：650103199002153321）为合法"
           "代理人");
    has(t, "自 2026 年 11 月 20 日 至 2027 年 5 月 19 日");
    has(t, "单位盖章（公章）");
    has(t, "签章采集表（盖在下方，请勿重叠压线）");
    has(t, "企业公章（55 × 55 mm）");
    has(t, "法人方章/造价师章（40 × 40 mm）");
    has(t, "法人签字（60 × 30 mm）");
    free(t);
    unlink(p);
}

static void test_certificate_application(void **state)
{
    (void)state;
    const char *p = render("certificate-application", ORG, NKV(ORG), "zh-CN");
    fonts_embedded(p, "NotoSansCJK");
    char *t = text_of(p);
    has(t, "证书业务申请单");
    has(t, "✓USBKEY 电子证书");
    has(t, "□移动端电子证书");
    has(t, "✓证书新办");
    has(t, "✓企业");
    has(t, "申请数量：1 张");
    has(t, "有效期：2 年");
    has(t, "新疆乌鲁木齐市天山区解放北路 88 号");
    has(t, "650102197805061234");
    has(t, "✓身份证");
    has(t, "中国工商银行");
    has(t, "乌鲁木齐解放北路支行");
    has(t, "3002020109200012345");
    has(t, "lixm@xjjs.example.cn");
    has(t, "✓邮寄");
    has(t, "□现场");
    has(t, "乌鲁木齐市天山区解放北路 88 号 5 楼 0991-2345678");
    has(t, "《天山数字认证证书服务协议》");
    has(t, "✓已阅读并同意以上声明");
    has(t, "申请单位（公章）");
    has(t, "证书业务操作员签名");
    free(t);
    unlink(p);

    /* a person's key recovery: the other boxes */
    p = render("certificate-application", PERSON, NKV(PERSON), "zh-CN");
    t = text_of(p);
    has(t, "✓移动端电子证书");
    has(t, "□证书新办");
    has(t, "✓其他业务：");
    has(t, "✓密钥恢复（");
    has(t, "□证书损坏");
    has(t, "✓司法取证）");
    has(t, "王志强");
    has(t, "65010419850312001X");
    has(t, "新疆天山造价咨询有限公司");
    has(t, "wzq@example.cn");
    has(t, "✓现场");
    /* text is text: markup in a value is printed, never interpreted */
    has(t, "<script>alert(1)</script>");
    free(t);
    unlink(p);
}

static void test_seal_application_person(void **state)
{
    (void)state;
    forms_kv kv[NKV(PERSON)];
    memcpy(kv, PERSON, sizeof(PERSON));
    kv[2].value = "renew";
    const char *p = render("seal-application", kv, NKV(kv), "zh-CN");
    char *t = text_of(p);
    has(t, "✓个人用户");
    has(t, "□企业用户");
    has(t, "✓个人锁延期");
    has(t, "□企业锁新办");
    has(t, "¥120.50 元");
    has(t, "□本单位/本人确认已知悉以上业务价格"); /* not confirmed in this order */
    has(t, "本人授权（姓名：<script>alert(1)</script>");
    has(t, "申请日期：2026 年 11 月 27 日");
    has(t, "本人签字");
    free(t);
    unlink(p);
}

static void test_agreements(void **state)
{
    (void)state;
    const char *p = render("service-agreement", ORG, NKV(ORG), "zh-CN");
    fonts_embedded(p, "NotoSerifCJK");
    char *t = text_of(p);
    has(t, "服 务 协 议");
    has(t, "天山注册服务有限公司（以下简称本公司）");
    has(t, "一、服务内容");
    has(t, "四、证书吊销条款");
    has(t, "在申请表上签名盖章即表明接受本协议的约束，本协议即时生效。");
    has(t, "申请机构（盖章）：新疆天山建设工程有限公司");
    has(t, "2026 年 11 月 27 日");
    free(t);
    unlink(p);
    p = render("ca-agreement", PERSON, NKV(PERSON), "zh-CN");
    fonts_embedded(p, "NotoSerifCJK");
    t = text_of(p);
    has(t, "CA证书服务协议");
    has(t, "甲方：王志强");
    has(t, "乙方：sealca 数字认证服务机构");
    has(t, "在24小时内吊销甲方的数字证书");
    has(t, "三、个人信息保护");
    has(t, "日期：2026 年 11 月 27 日");
    free(t);
    unlink(p);
}

static void test_receipt(void **state)
{
    (void)state;
    const char *p = render("receipt", ORG, NKV(ORG), "zh-CN");
    fonts_embedded(p, "NotoSansCJK");
    char *t = text_of(p);
    has(t, "订单回执");
    has(t, "RA-20261127-0007");
    has(t, "新办");
    has(t, "¥300.00 元");
    has(t, "乌鲁木齐市政务服务中心驻点");
    has(t, "2026 年 11 月 27 日");
    has(t, "1–3 个工作日内寄出");
    has(t, "预计最晚寄出日期：2026 年 12 月 2 日");
    has(t, "0991-6668888");
    free(t);
    unlink(p);
    p = render("receipt", ORG, NKV(ORG), "en");
    t = text_of(p);
    has(t, "Order receipt");
    has(t, "CNY 300.00");
    has(t, "new");
    has(t, "1-3 working days");
    has(t, "2026-11-27");
    has(t, "新疆天山建设工程有限公司");
    hasnt(t, "订单回执");
    free(t);
    unlink(p);
}

static void test_english_forms(void **state)
{
    (void)state;
    static const char *const forms[] = {"certificate-application", "seal-application",
                                        "service-agreement", "ca-agreement"};
    static const char *const titles[] = {"Certificate application form",
                                         "Electronic seal application form", "Service agreement",
                                         "CA certificate service agreement"};
    for (size_t i = 0; i < 4; i++) {
        const char *p = render(forms[i], ORG, NKV(ORG), "en");
        fonts_embedded(p, "CJK");
        char *t = text_of(p);
        has(t, titles[i]);
        has(t, "新疆天山建设工程有限公司");
        free(t);
        unlink(p);
    }
    const char *p = render("seal-application", ORG, NKV(ORG), "en");
    char *t = text_of(p);
    has(t, "✓organization new");
    has(t, "name: 李晓梅, mobile: 13999887766");
    has(t, "from 2026-11-20 to 2027-05-19");
    free(t);
    unlink(p);
}

static void test_refusals(void **state)
{
    (void)state;
    sc_buf pdf = {0};
    sc_err e = {0};
    assert_int_equal(forms_render("invoice", ORG, NKV(ORG), "zh-CN", &pdf, &e), SC_ENOTFOUND);
    assert_string_equal(e.code, "forms.unknown_form");
    memset(&e, 0, sizeof(e));
    assert_int_equal(forms_render("receipt", ORG, NKV(ORG), "fr", &pdf, &e), SC_EINVAL);
    assert_string_equal(e.code, "forms.bad_lang");
    forms_kv bad[2] = {{"org_name", "bad \xff utf-8"}, {"business", "new"}};
    memset(&e, 0, sizeof(e));
    assert_int_equal(forms_render("receipt", bad, 2, "zh-CN", &pdf, &e), SC_EINVAL);
    assert_string_equal(e.code, "forms.bad_value");
    bad[0].value = "tab\tand control \x01";
    memset(&e, 0, sizeof(e));
    assert_int_equal(forms_render("receipt", bad, 2, "zh-CN", &pdf, &e), SC_EINVAL);
    char *big = malloc(FORMS_MAX_VALUE + 2);
    memset(big, 'a', FORMS_MAX_VALUE + 1);
    big[FORMS_MAX_VALUE + 1] = 0;
    bad[0].value = big;
    memset(&e, 0, sizeof(e));
    assert_int_equal(forms_render("receipt", bad, 2, "zh-CN", &pdf, &e), SC_EINVAL);
    free(big);
    assert_int_equal(pdf.len, 0);
    /* an empty order renders blank forms to fill in by hand */
    assert_int_equal(forms_render("certificate-application", NULL, 0, "zh-CN", &pdf, &e), 0);
    assert_true(pdf.len > 1000);
    sc_buf_free(&pdf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_application_org),
        cmocka_unit_test(test_certificate_application),
        cmocka_unit_test(test_seal_application_person),
        cmocka_unit_test(test_agreements),
        cmocka_unit_test(test_receipt),
        cmocka_unit_test(test_english_forms),
        cmocka_unit_test(test_refusals),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    forms_cleanup();
    return failed;
}
