/* catalog.c - the business-type table, subject kinds, materials checklist, and the configurable
 * catalog file (prices in fen, service points, hotline, opening hours, agreements, holidays). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/ra.h"
#include "ra/ra_int.h"

#define P RA_KIND_PERSONS
#define A RA_KIND_ALL

/* THE business-type table: one row per business type of the guide (DESIGN.md glossary).
 * key, zh, en, kinds, cert, pop, reason, review, payment, shipping, csr, renew window,
 * price keys (organization, person), effect, dual (an encryption certificate too when the home
 * has a KMC) */
static const ra_business businesses[] = {
    {"new", "新办", "New certificate", A, 0, 0, 0, 1, 1, 1, 1, 0, "org-new", "person-new",
     RA_FX_ISSUE, 1},
    {"renew", "延期", "Renew", A, 1, 1, 0, 0, 1, 0, 1, 1, "org-renew", "person-renew", RA_FX_RENEW,
     0},
    {"rekey", "更新换密钥", "Renew with a new key", A, 1, 1, 0, 0, 1, 0, 1, 0, "org-renew",
     "person-renew", RA_FX_RENEW, 0},
    {"renew-without-rekey", "更新不换密钥", "Renew without a new key", A, 1, 1, 1, 1, 1, 0, 0, 1,
     "org-renew", "person-renew", RA_FX_RENEW, 0},
    {"reissue", "重发", "Reissue", A, 1, 0, 0, 1, 0, 0, 1, 0, NULL, NULL, RA_FX_KMC, 1},
    {"change", "信息变更", "Change of subject information", A, 1, 0, 0, 1, 1, 0, 1, 0, "change",
     "change", RA_FX_CHANGE, 0},
    {"replace", "补办", "Replace (lost or broken key)", A, 1, 0, 0, 1, 1, 1, 1, 0, "replace",
     "replace", RA_FX_REPLACE, 1},
    {"revoke", "注销", "Revoke", A, 1, 0, 0, 1, 0, 0, 0, 0, NULL, NULL, RA_FX_REVOKE, 0},
    {"suspend", "挂失", "Suspend (report loss)", A, 1, 0, 0, 0, 0, 0, 0, 0, NULL, NULL,
     RA_FX_SUSPEND, 0},
    {"resume", "解挂", "Resume", A, 1, 0, 0, 1, 0, 0, 0, 0, NULL, NULL, RA_FX_RESUME, 0},
    {"pin-unlock", "密码解锁", "PIN unlock", A, 1, 0, 0, 1, 0, 0, 0, 0, NULL, NULL, RA_FX_KMC, 0},
    {"key-recovery", "密钥恢复", "Key recovery", A, 1, 0, 0, 1, 0, 0, 0, 0, NULL, NULL, RA_FX_KMC,
     0},
    {"seal-change", "签章变更", "Seal change", A, 1, 0, 0, 1, 1, 0, 0, 0, "change", "change",
     RA_FX_SEAL, 0},
    {"seal-redo", "签章重做", "Seal redo", A, 1, 0, 0, 1, 1, 0, 0, 0, "change", "change",
     RA_FX_SEAL, 0},
};

const ra_business *ra_business_get(const char *key)
{
    for (size_t i = 0; key && i < sizeof(businesses) / sizeof(businesses[0]); i++)
        if (strcmp(businesses[i].key, key) == 0) return &businesses[i];
    return NULL;
}

const ra_business *ra_business_at(size_t i)
{
    return i < sizeof(businesses) / sizeof(businesses[0]) ? &businesses[i] : NULL;
}

static const struct {
    const char *key, *zh, *en;
    unsigned bit;
} kinds[] = {
    {"organization", "单位", "Organization", RA_KIND_ORG},
    {"legal-representative", "法人", "Legal representative", RA_KIND_LEGAL},
    {"cost-engineer", "造价师", "Cost engineer", RA_KIND_COST},
    {"expert", "评标专家", "Bid evaluation expert", RA_KIND_EXPERT},
    {"other", "其他个人", "Other person", RA_KIND_OTHER},
};

unsigned ra_kind_parse(const char *key)
{
    for (size_t i = 0; key && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].key, key) == 0) return kinds[i].bit;
    return 0;
}

/* Material kinds with the guide's wording; texts are in the catalog file too (configurable). */
static const struct {
    const char *kind, *zh, *en;
} material_kinds[] = {
    {"business-licence", "营业执照副本复印件（加盖公章）", "Business licence copy (stamped)"},
    {"certificate-application", "证书业务申请单（盖章/签字）",
     "Certificate application form (stamped/signed)"},
    {"seal-application", "签章业务申请表（盖章/签字，含签章采集表）",
     "Seal application form with specimen sheet (stamped/signed)"},
    {"service-agreement", "服务协议（盖章/签字）", "Service agreement (stamped/signed)"},
    {"ca-agreement", "国密CA证书服务协议（盖章/签字）",
     "CA certificate agreement (stamped/signed)"},
    {"legal-id-front", "法定代表人身份证正面（加盖公章）",
     "Legal representative ID card, front (stamped)"},
    {"legal-id-back", "法定代表人身份证反面（加盖公章）",
     "Legal representative ID card, back (stamped)"},
    {"agent-id-front", "经办人身份证正面（加盖公章）", "Agent ID card, front (stamped)"},
    {"agent-id-back", "经办人身份证反面（加盖公章）", "Agent ID card, back (stamped)"},
    {"person-id-front", "个人身份证复印件正面", "Person's ID card copy, front"},
    {"person-id-back", "个人身份证复印件反面", "Person's ID card copy, back"},
    {"judicial-document", "司法机关协助函", "Judicial request letter"},
    {"seal-image", "印章图像（PNG，扫描自签章采集表）",
     "Seal image (PNG, from the specimen sheet)"},
};

const char *ra_material_label(const char *kind, int en)
{
    for (size_t i = 0; i < sizeof(material_kinds) / sizeof(material_kinds[0]); i++)
        if (strcmp(material_kinds[i].kind, kind) == 0)
            return en ? material_kinds[i].en : material_kinds[i].zh;
    return NULL;
}

/* The guide's checklist: organizations bring the licence, both forms, both agreements and the
 * ID cards of the legal representative and the agent; persons their ID card, forms and
 * agreements. Services on an existing certificate need the application form and ID. */
size_t ra_materials_needed(const ra_business *b, unsigned kind, const char **out, size_t max)
{
    size_t n = 0;
#define ADD(k)                                                                                     \
    do {                                                                                           \
        if (n < max) out[n++] = (k);                                                               \
    } while (0)
    int org = kind == RA_KIND_ORG;
    switch (b->effect) {
    case RA_FX_ISSUE:
    case RA_FX_CHANGE:
    case RA_FX_REPLACE:
    case RA_FX_SEAL:
        if (org) ADD("business-licence");
        ADD("certificate-application");
        ADD("seal-application");
        ADD("service-agreement");
        ADD("ca-agreement");
        if (org) {
            ADD("legal-id-front");
            ADD("legal-id-back");
            ADD("agent-id-front");
            ADD("agent-id-back");
        } else {
            ADD("person-id-front");
            ADD("person-id-back");
        }
        if (b->effect == RA_FX_SEAL) ADD("seal-image");
        break;
    case RA_FX_RENEW:
        if (b->needs_review) ADD("certificate-application"); /* without rekey: the reason, signed */
        break;
    case RA_FX_REVOKE:
    case RA_FX_RESUME:
    case RA_FX_KMC:
        ADD("certificate-application");
        if (org) {
            ADD("agent-id-front");
            ADD("agent-id-back");
        } else {
            ADD("person-id-front");
            ADD("person-id-back");
        }
        if (strcmp(b->key, "key-recovery") == 0) ADD("judicial-document");
        break;
    case RA_FX_SUSPEND:
        break;
    }
#undef ADD
    return n;
}

/* ---- the configurable file ---- */

struct ra_catalog {
    json_t *conf; /* the file */
    char *json;   /* GET /api/v1/catalog, built once */
    size_t jsonlen;
    int32_t holidays[128];
    size_t nholidays;
};

/* Demo data: the guide's three service points, its hotline, opening hours and price list. */
const char ra_catalog_demo[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"hotline\": \"025-66085508\",\n"
    "  \"opening_hours\": {\"zh\": \"工作日 10:00-13:30、15:30-19:30（北京时间）\",\n"
    "                    \"en\": \"Working days 10:00-13:30 and 15:30-19:30 (Beijing time)\"},\n"
    "  \"prices\": [\n"
    "    {\"key\": \"org-new\", \"zh\": \"企业锁新办\", \"en\": \"Organization new\", \"fen\": "
    "50000},\n"
    "    {\"key\": \"person-new\", \"zh\": \"个人锁新办\", \"en\": \"Person new\", \"fen\": "
    "30000},\n"
    "    {\"key\": \"replace\", \"zh\": \"补办\", \"en\": \"Replace\", \"fen\": 20000},\n"
    "    {\"key\": \"change\", \"zh\": \"变更\", \"en\": \"Change\", \"fen\": 10000},\n"
    "    {\"key\": \"org-renew\", \"zh\": \"企业锁延期\", \"en\": \"Organization renew\", \"fen\": "
    "30000},\n"
    "    {\"key\": \"person-renew\", \"zh\": \"个人锁延期\", \"en\": \"Person renew\", \"fen\": "
    "20000}\n"
    "  ],\n"
    "  \"service_points\": [\n"
    "    {\"id\": \"changji\", \"region\": \"昌吉市\", \"name\": "
    "\"昌吉州政务服务和公共资源交易中心\",\n"
    "     \"contact\": \"梁玉英\", \"phone\": \"13369801578\",\n"
    "     \"address\": "
    "\"昌吉市宁边西路与世纪大道交叉口昌吉州政务服务和公共资源交易中心办公楼一楼\"},\n"
    "    {\"id\": \"urumqi-yimin\", \"region\": \"乌鲁木齐\", \"name\": \"自治区大厅6号窗口\",\n"
    "     \"contact\": \"迪丽扎尔\", \"phone\": \"17799736912\",\n"
    "     \"address\": \"新疆乌鲁木齐水磨沟区益民大厦5楼自治区大厅6号窗口\"},\n"
    "    {\"id\": \"urumqi-bingtuan\", \"region\": \"乌鲁木齐\", \"name\": "
    "\"兵团公共资源交易中心\",\n"
    "     \"contact\": \"文涛\", \"phone\": \"17690707921\",\n"
    "     \"address\": \"新疆乌市天山区新民路创天大厦2楼兵团公共资源交易中心\"}\n"
    "  ],\n"
    "  \"agreements\": [\n"
    "    {\"key\": \"service-agreement\", \"version\": \"2026-01\", \"zh\": \"服务协议\",\n"
    "     \"en\": \"Service agreement\",\n"
    "     \"text\": "
    "\"用户向本公司申请办理的电子认证数字证书及电子签章用于标识机构在电子（网络）招投标过程中的机构"
    "身份……\"},\n"
    "    {\"key\": \"ca-agreement\", \"version\": \"2026-01\", \"zh\": \"国密CA证书服务协议\",\n"
    "     \"en\": \"CA certificate service agreement\",\n"
    "     \"text\": "
    "\"甲方同意向乙方提交办理数字证书所必要的身份信息……证书有效期满前一个月内，甲方可申请证书延期。"
    "\"}\n"
    "  ],\n"
    "  \"material_rule\": {\"zh\": "
    "\"申请资料中所有的章和签字必须是鲜章和手写签字；盖章及签名须原件、真实、清晰，请勿压字压线。\""
    ",\n"
    "                    \"en\": \"Every stamp and signature must be original, real and clear, and "
    "must not cover text or lines.\"},\n"
    "  \"revoke_warning\": {\"zh\": \"若使用该证书操作过文件加密，请将文件解密后，再办理注销。\",\n"
    "                     \"en\": \"If files were encrypted to this certificate, decrypt them "
    "before revoking it.\"},\n"
    "  \"shipping_promise\": {\"zh\": \"审核无误后 1 至 3 个工作日内邮寄\", \"en\": \"Shipped "
    "within 1-3 working days after approval\", \"days\": 3},\n"
    "  \"holidays\": [20270101, 20270211, 20270212, 20270215, 20270216, 20270217, 20270405, "
    "20270501,\n"
    "               20270503, 20270504, 20270505, 20270609, 20270915, 20271001, 20271004, "
    "20271005,\n"
    "               20271006, 20271007]\n"
    "}\n";

static const char *const state_keys[RA_STATE_COUNT][3] = {
    {"draft", "草稿", "Draft"},         {"submitted", "待审核", "Submitted"},
    {"returned", "已退回", "Returned"}, {"approved", "审核通过", "Approved"},
    {"paid", "已付款", "Paid"},         {"fulfilling", "制证中", "In production"},
    {"shipped", "已寄出", "Shipped"},   {"completed", "已完成", "Completed"},
    {"rejected", "已拒绝", "Rejected"}, {"cancelled", "已取消", "Cancelled"},
};

const char *ra_state_name(ra_state s)
{
    return (unsigned)s < RA_STATE_COUNT ? state_keys[s][0] : "?";
}
const char *ra_state_zh(ra_state s)
{
    return (unsigned)s < RA_STATE_COUNT ? state_keys[s][1] : "?";
}
int ra_state_parse(const char *s, ra_state *out)
{
    for (int i = 0; s && i < RA_STATE_COUNT; i++)
        if (strcmp(s, state_keys[i][0]) == 0) {
            *out = (ra_state)i;
            return 0;
        }
    return SC_EINVAL;
}

static const char *const effect_names[] = {"issue",  "renew",   "change", "replace", "revoke",
                                           "resume", "suspend", "kmc",    "seal"};

static json_t *business_json(const ra_business *b)
{
    json_t *ks = json_array();
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (b->kinds & kinds[i].bit) json_array_append_new(ks, json_string(kinds[i].key));
    json_t *mats = json_object();
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *m[16];
        size_t n = ra_materials_needed(b, kinds[i].bit, m, 16);
        json_t *arr = json_array();
        for (size_t j = 0; j < n; j++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "kind", m[j], "zh",
                                                 ra_material_label(m[j], 0), "en",
                                                 ra_material_label(m[j], 1), "required", 1));
        json_object_set_new(mats, kinds[i].key, arr);
    }
    json_t *req = json_object();
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *f[48];
        size_t n = ra_required_fields(b, kinds[i].bit, "onsite", f, 48);
        json_t *arr = json_array();
        for (size_t j = 0; j < n; j++)
            json_array_append_new(arr, json_string(f[j]));
        json_object_set_new(req, kinds[i].key, arr);
    }
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:s?, s:s?, "
        "s:s, s:o, s:o, s:b}",
        "key", b->key, "zh", b->zh, "en", b->en, "subject_kinds", ks, "needs_certificate",
        b->needs_cert, "needs_proof_of_possession", b->needs_pop, "needs_reason", b->needs_reason,
        "needs_review", b->needs_review, "needs_payment", b->needs_payment, "needs_shipping",
        b->needs_shipping, "needs_csr", b->needs_csr, "renew_window", b->renew_window, "price_org",
        b->price_org, "price_person", b->price_person, "effect", effect_names[b->effect],
        "materials", mats, "required_fields", req, "issues_encryption_certificate", b->dual);
}

static int build_json(ra_catalog *c, ra_err *re)
{
    json_t *out = json_deep_copy(c->conf);
    if (out == NULL) return ra_fail(re, SC_ENOMEM, "catalog.oom", NULL, "out of memory");
    json_t *ks = json_array();
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        json_array_append_new(ks, json_pack("{s:s, s:s, s:s, s:b}", "key", kinds[i].key, "zh",
                                            kinds[i].zh, "en", kinds[i].en, "person",
                                            kinds[i].bit != RA_KIND_ORG));
    json_object_set_new(out, "subject_kinds", ks);
    json_object_set_new(out, "media",
                        json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "key", "usbkey", "zh",
                                  "USBKEY 电子证书", "en", "USB key", "key", "mobile", "zh",
                                  "移动端电子证书", "en", "Mobile certificate"));
    json_object_set_new(out, "years", json_pack("{s:i, s:i}", "min", 1, "max", 5));
    json_t *bs = json_array();
    for (size_t i = 0; i < sizeof(businesses) / sizeof(businesses[0]); i++)
        json_array_append_new(bs, business_json(&businesses[i]));
    json_object_set_new(out, "business_types", bs);
    json_t *st = json_array();
    for (int i = 0; i < RA_STATE_COUNT; i++)
        json_array_append_new(st, json_pack("{s:s, s:s, s:s}", "key", state_keys[i][0], "zh",
                                            state_keys[i][1], "en", state_keys[i][2]));
    json_object_set_new(out, "order_states", st);
    json_t *mk = json_array();
    for (size_t i = 0; i < sizeof(material_kinds) / sizeof(material_kinds[0]); i++)
        json_array_append_new(mk, json_pack("{s:s, s:s, s:s}", "kind", material_kinds[i].kind, "zh",
                                            material_kinds[i].zh, "en", material_kinds[i].en));
    json_object_set_new(out, "material_kinds", mk);
    json_object_set_new(out, "limits",
                        json_pack("{s:i, s:i, s:i}", "material_max_bytes", RA_MATERIAL_MAX,
                                  "order_max_bytes", RA_ORDER_MAT_MAX, "renew_days_before", 30));
    c->json = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII * 0);
    json_decref(out);
    if (c->json == NULL) return ra_fail(re, SC_ENOMEM, "catalog.oom", NULL, "out of memory");
    c->jsonlen = strlen(c->json);
    return 0;
}

static int check_conf(ra_catalog *c, ra_err *re)
{
    json_t *prices = json_object_get(c->conf, "prices");
    json_t *sps = json_object_get(c->conf, "service_points");
    json_t *ags = json_object_get(c->conf, "agreements");
    if (!json_is_array(prices) || !json_is_array(sps) || !json_is_array(ags))
        return ra_fail(re, SC_EINVAL, "catalog.bad", NULL,
                       "catalog needs prices, service_points and agreements arrays");
    size_t i;
    json_t *v;
    RA_ARR_EACH(prices, i, v)
    {
        json_t *f = json_object_get(v, "fen");
        if (!json_is_string(json_object_get(v, "key")) || !json_is_integer(f) ||
            json_integer_value(f) < 0 || json_integer_value(f) > 100000000)
            return ra_fail(re, SC_EINVAL, "catalog.bad", NULL,
                           "price %zu: key and fen (integer, 0..100000000) required", i);
    }
    RA_ARR_EACH(sps, i, v)
    if (!json_is_string(json_object_get(v, "id")))
        return ra_fail(re, SC_EINVAL, "catalog.bad", NULL, "service point %zu has no id", i);
    RA_ARR_EACH(ags, i, v)
    if (!json_is_string(json_object_get(v, "key")) ||
        !json_is_string(json_object_get(v, "version")))
        return ra_fail(re, SC_EINVAL, "catalog.bad", NULL, "agreement %zu needs key and version",
                       i);
    json_t *h = json_object_get(c->conf, "holidays");
    c->nholidays = 0;
    RA_ARR_EACH(h, i, v)
    {
        if (!json_is_integer(v) || c->nholidays >= sizeof(c->holidays) / sizeof(c->holidays[0]))
            return ra_fail(re, SC_EINVAL, "catalog.bad", NULL, "holidays: at most 128 YYYYMMDD");
        c->holidays[c->nholidays++] = (int32_t)json_integer_value(v);
    }
    return 0;
}

int ra_catalog_load(const char *home, ra_catalog **out, ra_err *re)
{
    *out = NULL;
    ra_catalog *c = calloc(1, sizeof(*c));
    if (c == NULL) return ra_fail(re, SC_ENOMEM, "catalog.oom", NULL, "out of memory");
    char path[4200];
    snprintf(path, sizeof(path), "%s/ra-catalog.json", home ? home : ".");
    uint8_t *d = NULL;
    size_t n = 0;
    int rc;
    if (home != NULL && sc_file_read(path, 1 << 20, &d, &n) == 0) {
        json_error_t je;
        c->conf = json_loadb((const char *)d, n, JSON_REJECT_DUPLICATES, &je);
        free(d);
        if (c->conf == NULL || !json_is_object(c->conf)) {
            rc = ra_fail(re, SC_EINVAL, "catalog.bad", NULL, "%s line %d: %s", path, je.line,
                         je.text);
            goto fail;
        }
    } else {
        c->conf = json_loads(ra_catalog_demo, JSON_REJECT_DUPLICATES, NULL);
    }
    if ((rc = check_conf(c, re)) != 0 || (rc = build_json(c, re)) != 0) goto fail;
    *out = c;
    return 0;
fail:
    ra_catalog_free(c);
    return rc;
}

void ra_catalog_free(ra_catalog *c)
{
    if (c == NULL) return;
    json_decref(c->conf);
    free(c->json);
    free(c);
}

const char *ra_catalog_json(const ra_catalog *c, size_t *len)
{
    *len = c->jsonlen;
    return c->json;
}

int64_t ra_catalog_price(const ra_catalog *c, const char *key)
{
    size_t i;
    json_t *v;
    if (key == NULL) return 0;
    RA_ARR_EACH(json_object_get(c->conf, "prices"), i, v)
    if (strcmp(json_string_value(json_object_get(v, "key")), key) == 0)
        return json_integer_value(json_object_get(v, "fen"));
    return -1;
}

int ra_catalog_has_point(const ra_catalog *c, const char *id)
{
    size_t i;
    json_t *v;
    if (id == NULL) return 0;
    RA_ARR_EACH(json_object_get(c->conf, "service_points"), i, v)
    if (strcmp(json_string_value(json_object_get(v, "id")), id) == 0) return 1;
    return 0;
}

const char *ra_catalog_agreement(const ra_catalog *c, const char *key)
{
    size_t i;
    json_t *v;
    RA_ARR_EACH(json_object_get(c->conf, "agreements"), i, v)
    if (strcmp(json_string_value(json_object_get(v, "key")), key) == 0)
        return json_string_value(json_object_get(v, "version"));
    return NULL;
}

const int32_t *ra_catalog_holidays(const ra_catalog *c, size_t *n)
{
    *n = c->nholidays;
    return c->holidays;
}
