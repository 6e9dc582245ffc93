/* message.c - Chinese and English texts for RA error codes and field names, and HTTP statuses. */
#include <stdio.h>
#include <string.h>

#include "ra/ra.h"

typedef struct msg {
    const char *code, *zh, *en;
    int status;
} msg;

static const msg msgs[] = {
    {"request.too_large", "请求内容过大", "Request body too large", 413},
    {"request.bad_json", "请求格式错误（需要 UTF-8 编码的 JSON 对象）",
     "Malformed request (a UTF-8 JSON object is required)", 400},
    {"request.content_type", "不支持的内容类型", "Unsupported content type", 415},
    {"request.bad_id", "编号格式错误", "Malformed id", 404},
    {"field.unknown", "未知字段", "Unknown field", 400},
    {"field.type", "字段类型错误", "Wrong field type", 400},
    {"field.too_long", "内容过长", "Too long", 400},
    {"field.bad_char", "含有不允许的字符", "Contains characters that are not allowed", 400},
    {"field.range", "取值超出范围", "Value out of range", 400},
    {"field.required", "此项为必填项", "This field is required", 400},
    {"field.choice", "取值不在可选范围内", "Not one of the allowed values", 400},
    {"field.bad_date", "日期格式应为 YYYY-MM-DD", "Date must be YYYY-MM-DD", 400},
    {"field.bad_email", "电子邮箱格式不正确", "Invalid email address", 400},
    {"field.bad_bank_account", "银行账号应为 8 至 32 位数字", "Bank account must be 8-32 digits",
     400},
    {"field.fixed", "创建后不可修改", "Cannot be changed after creation", 400},
    {"ident.mobile_length", "手机号码应为 11 位数字", "Mobile number must be 11 digits", 400},
    {"ident.mobile_chars", "手机号码只能包含数字", "Mobile number must be digits only", 400},
    {"ident.mobile_prefix", "手机号码号段无效", "Invalid mobile number prefix", 400},
    {"ident.id_length", "身份证号码应为 18 位", "ID number must be 18 characters", 400},
    {"ident.id_chars", "身份证号码含有无效字符", "ID number contains invalid characters", 400},
    {"ident.id_checksum", "身份证号码校验位错误", "ID number check digit is wrong", 400},
    {"ident.id_region", "身份证号码地区码无效", "ID number region code is invalid", 400},
    {"ident.id_birthdate", "身份证号码出生日期无效", "ID number birth date is invalid", 400},
    {"ident.uscc_length", "统一社会信用代码应为 18 位", "USCC must be 18 characters", 400},
    {"ident.uscc_chars", "统一社会信用代码含有无效字符（应为大写）",
     "USCC contains invalid characters (upper case required)", 400},
    {"ident.uscc_checksum", "统一社会信用代码校验位错误", "USCC check character is wrong", 400},
    {"ident.uscc_authority", "统一社会信用代码登记管理部门代码无效",
     "USCC registration authority code is invalid", 400},
    {"ident.uscc_category", "统一社会信用代码机构类别代码无效", "USCC category code is invalid",
     400},
    {"ident.uscc_region", "统一社会信用代码行政区划码无效", "USCC region code is invalid", 400},
    {"account.exists", "该手机号或邮箱已注册", "Phone or email already registered", 409},
    {"account.weak_password", "密码至少 10 个字符，且不能与手机号相同",
     "Password needs at least 10 characters and must differ from the phone number", 400},
    {"auth.bad_credentials", "账号或密码错误", "Wrong login or password", 401},
    {"auth.rate_limited", "尝试次数过多，请稍后再试", "Too many attempts, try again later", 429},
    {"auth.locked", "账号已暂时锁定，请 15 分钟后再试",
     "Account temporarily locked, try again in 15 minutes", 423},
    {"auth.required", "请先登录", "Please log in", 401},
    {"auth.forbidden", "无权执行此操作", "Not allowed", 403},
    /* ra-kmc: key recovery and dual certificates through the KMC */
    {"kmc.recovery_self_approval", "申请人不能审批自己的密钥恢复申请",
     "The requester cannot approve their own key-recovery request", 409},
    {"kmc.recovery_same_officer", "需要两名不同的审批人批准，同一审批人不能重复审批",
     "Two different officers must approve; the same officer cannot approve twice", 409},
    {"kmc.recovery_state", "该密钥恢复申请已审批完毕或已关闭",
     "This key-recovery request is closed", 409},
    {"kmc.recovery_not_approved", "密钥恢复需两名审批人批准后才能办理",
     "Key recovery needs the approval of two officers first", 409},
    {"kmc.no_escrow", "密钥管理中心没有该证书的加密密钥",
     "The KMC holds no encryption key for this certificate", 409},
    {"kmc.none", "本系统未配置密钥管理中心", "This installation has no KMC", 409},
    {"auth.bad_certificate", "证书无效、未授权或已吊销",
     "Certificate invalid, not authorised or revoked", 401},
    {"csrf.invalid", "请求校验失败，请刷新页面后重试", "CSRF check failed; reload the page", 403},
    {"not_found", "对象不存在", "Not found", 404},
    {"order.seal_approval",
     "该证书绑定了有效的电子印章：延期或更新证书须为新证书制作新印章，请确认沿用原印章图片",
     "The certificate has active electronic seals: renewing it makes new seals for the new "
     "certificate; approve keeping the same seal image",
     400},
    {"order.bad_state", "订单当前状态不允许此操作", "Not allowed in the order's current state",
     409},
    {"order.auth_expired", "授权委托已过期", "The authorization has expired", 400},
    {"order.auth_not_yet_valid", "授权委托尚未生效", "The authorization is not yet valid", 400},
    {"order.auth_order", "授权起始日期不能晚于截止日期", "Authorization start is after its end",
     400},
    {"order.not_accepted", "请阅读并确认声明", "Please read and accept the declarations", 400},
    {"order.price_not_confirmed", "请确认已知悉价格标准", "Please confirm the price", 400},
    {"order.kind", "该业务不适用于此申请主体", "This business type does not apply to this subject",
     400},
    {"order.renew_window", "证书到期前 30 天内方可办理延期", "Renewal opens 30 days before expiry",
     409},
    {"order.no_csr", "缺少证书请求（CSR）", "No certificate request (CSR)", 409},
    {"order.not_implemented", "该业务的最后一步尚未接入",
     "The final step of this business is not connected yet", 501},
    {"material.missing", "缺少必需的材料", "A required material is missing", 400},
    {"material.kind", "该订单不需要此类材料", "This order does not take this material", 400},
    {"material.type", "仅支持 PDF、JPEG、PNG 文件", "Only PDF, JPEG and PNG files", 415},
    {"material.damaged", "文件已损坏或格式不完整", "The file is damaged or incomplete", 415},
    {"material.too_large", "文件过大（单个文件不超过 10 MB）", "File too large (10 MB each)", 413},
    {"material.order_quota", "本订单材料总量超过 50 MB", "Order materials exceed 50 MB", 413},
    {"payment.amount", "支付金额与订单价格不符", "Amount differs from the order price", 400},
    {"webhook.bad_signature", "签名校验失败", "Signature check failed", 401},
    {"staff.bad_signature", "操作员签名校验失败", "Operator signature check failed", 400},
    {"pop.bad_signature", "私钥持有证明校验失败", "Proof of possession failed", 400},
    {"pop.expired", "挑战已过期或已使用", "Challenge expired or used", 400},
    {"agreement.version", "协议版本不是当前版本", "Not the current agreement version", 400},
    {"cert.state", "证书当前状态不允许此操作", "Not allowed in the certificate's state", 409},
};

typedef struct label {
    const char *field, *zh;
} label;

static const label labels[] = {
    {"project", "项目名称"},
    {"invoice_email", "收发票电子邮箱"},
    {"org_name", "单位全称"},
    {"org_uscc", "统一社会信用代码"},
    {"org_address", "单位地址"},
    {"legal_name", "法定代表人姓名"},
    {"legal_phone", "法定代表人联系电话"},
    {"legal_id_type", "法定代表人证件类型"},
    {"legal_id_number", "法定代表人证件号码"},
    {"person_name", "姓名"},
    {"person_phone", "联系电话"},
    {"person_id_type", "证件类型"},
    {"person_id_number", "证件号码"},
    {"person_org", "所属单位名称"},
    {"person_email", "电子邮箱"},
    {"agent_name", "经办人姓名"},
    {"agent_mobile", "经办人手机号码"},
    {"agent_id_type", "经办人证件类型"},
    {"agent_id_number", "经办人证件号码"},
    {"agent_email", "经办人电子邮箱"},
    {"handling", "证书办理方式"},
    {"return_address", "回寄地址"},
    {"return_phone", "回寄电话"},
    {"auth_from", "授权起始日期"},
    {"auth_to", "授权截止日期"},
    {"bank_account", "银行账号"},
    {"bank_account_name", "开户名称"},
    {"bank_name", "开户银行"},
    {"rekey_reason", "更新原因"},
    {"seal_keep_image", "沿用原印章图片"},
    {"recovery_kind", "恢复类型"},
    {"case_ref", "司法机关案号"},
    {"phone", "手机号码"},
    {"email", "电子邮箱"},
    {"password", "密码"},
    {"name", "姓名"},
    {"years", "有效期（年）"},
    {"medium", "证书介质"},
    {"certificate", "证书"},
    {"reason", "原因"},
};

static const msg *find(const char *code)
{
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        if (strcmp(msgs[i].code, code) == 0) return &msgs[i];
    return NULL;
}

const char *ra_message(const ra_err *re, const char *lang, char *buf, size_t bufsz)
{
    const msg *m = find(re->e.code);
    int en = lang != NULL && strncmp(lang, "en", 2) == 0;
    const char *text = m ? (en ? m->en : m->zh) : (en ? re->e.msg : "请求无法处理");
    if (m == NULL && !en && strncmp(re->e.code, "csr.", 4) == 0) text = "证书请求（CSR）无效";
    const char *lab = NULL;
    if (!en && re->field[0])
        for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
            if (strcmp(labels[i].field, re->field) == 0) lab = labels[i].zh;
    if (lab != NULL)
        snprintf(buf, bufsz, "%s：%s", lab, text);
    else if (en && re->field[0])
        snprintf(buf, bufsz, "%s: %s", re->field, text);
    else
        snprintf(buf, bufsz, "%s", text);
    return buf;
}

int ra_http_status(const ra_err *re)
{
    const msg *m = find(re->e.code);
    if (m != NULL) return m->status;
    switch (re->e.status) {
    case SC_EINVAL:
    case SC_EVERIFY:
        return 400;
    case SC_ENOTFOUND:
        return 404;
    case SC_EEXIST:
    case SC_ESTATE:
        return 409;
    case SC_ETOOBIG:
        return 413;
    case SC_ERETRY:
        return 503;
    default:
        return 500;
    }
}
