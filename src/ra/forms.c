/* forms.c - the printable PDFs of an order, laid out like attachment 1 of the CA guide. */
#include "ra/forms.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/utf8.h"

/* A4 in points; 1 mm = 72 / 25.4 pt (the specimen boxes are drawn at their real size) */
#define PAGE_W     595.28
#define PAGE_H     841.89
#define MARGIN     42.0
#define CONTENT    (PAGE_W - 2 * MARGIN)
#define MM(x)      ((x)*72.0 / 25.4)
#define PAD        4.0
#define FONT       "Noto Sans CJK SC"
#define FONT_SERIF "Noto Serif CJK SC"
#define TICK       "\xe2\x9c\x93" /* U+2713 ✓: a checked box (a frame is drawn around it) */
#define BOX        "\xe2\x96\xa1" /* U+25A1 □ */

typedef struct fctx {
    cairo_t *cr;
    double y;
    int en;
    const forms_kv *kv;
    size_t n;
    const char *family;
} fctx;

#define L(zh, enl) (f->en ? (enl) : (zh))

/* ---- values ---- */

static const char *V(const fctx *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->kv[i].key && strcmp(f->kv[i].key, key) == 0)
            return f->kv[i].value ? f->kv[i].value : "";
    return "";
}

static int is(const fctx *f, const char *key, const char *v)
{
    return strcmp(V(f, key), v) == 0;
}

static int yes(const fctx *f, const char *key)
{
    const char *v = V(f, key);
    return strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0;
}

static int person(const fctx *f)
{
    const char *k = V(f, "subject_kind");
    return *k && strcmp(k, "organization") != 0;
}

/* A date from "YYYY-MM-DD…", epoch seconds, or ISO 8601 with Z / ±hh:mm, as the Shanghai date. */
static int date_of(const char *s, int *y, int *m, int *d)
{
    *y = *m = *d = 0;
    if (s == NULL || *s == 0) return -1;
    int64_t t;
    if (strspn(s, "0123456789") == strlen(s) && strlen(s) <= 12) {
        t = strtoll(s, NULL, 10);
    } else {
        int Y, M, D, hh = 0, mi = 0, ss = 0;
        char rest[16] = "";
        int k = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%15s", &Y, &M, &D, &hh, &mi, &ss, rest);
        if (k < 3 || M < 1 || M > 12 || D < 1 || D > 31) return -1;
        if (k < 6 || rest[0] == 0) { /* a bare date, or a time without zone: already local */
            *y = Y;
            *m = M;
            *d = D;
            return 0;
        }
        struct tm tm = {0};
        tm.tm_year = Y - 1900;
        tm.tm_mon = M - 1;
        tm.tm_mday = D;
        tm.tm_hour = hh;
        tm.tm_min = mi;
        tm.tm_sec = ss;
        t = (int64_t)timegm(&tm);
        const char *z = rest;
        while (*z == '.' || (*z >= '0' && *z <= '9')) /* fractional seconds */
            z++;
        int oh = 0, om = 0;
        if ((*z == '+' || *z == '-') && sscanf(z + 1, "%2d:%2d", &oh, &om) == 2)
            t -= (*z == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
        else if (*z != 'Z')
            return -1;
    }
    time_t sh = (time_t)(t + 8 * 3600);
    struct tm tm;
    if (gmtime_r(&sh, &tm) == NULL) return -1;
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
    return 0;
}

/* "2026 年 11 月 26 日" / "2026-11-26", or the blank to fill in by hand. */
static void date_text(const fctx *f, const char *s, char *out, size_t outsz)
{
    int y, m, d;
    if (date_of(s, &y, &m, &d) != 0)
        snprintf(out, outsz, "%s", f->en ? "____-__-__" : "      年    月    日");
    else if (f->en)
        snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
    else
        snprintf(out, outsz, "%d 年 %d 月 %d 日", y, m, d);
}

static void money(const fctx *f, char *out, size_t outsz)
{
    const char *v = V(f, "price_fen");
    if (*v == 0 || strspn(v, "0123456789") != strlen(v) || strlen(v) > 15) {
        snprintf(out, outsz, "%s", "");
        return;
    }
    long long fen = strtoll(v, NULL, 10);
    snprintf(out, outsz, "%s%lld.%02lld%s", f->en ? "CNY " : "¥", fen / 100, fen % 100,
             f->en ? "" : " 元");
}

typedef struct name_label {
    const char *key, *zh, *en;
} name_label;

static const name_label business_labels[] = {
    {"new", "新办", "new"},
    {"renew", "延期", "renewal"},
    {"rekey", "更新换密钥", "rekey"},
    {"renew-without-rekey", "更新不换密钥", "renewal without rekey"},
    {"reissue", "重发", "reissue"},
    {"change", "信息变更", "change of details"},
    {"replace", "补办", "replacement"},
    {"revoke", "注销", "revocation"},
    {"suspend", "挂失", "suspension"},
    {"resume", "解挂", "resumption"},
    {"pin-unlock", "密码解锁", "PIN unlock"},
    {"key-recovery", "密钥恢复", "key recovery"},
    {"seal-change", "签章变更", "seal change"},
    {"seal-redo", "签章重做", "seal remake"},
    {"organization", "单位", "organization"},
    {"legal-representative", "个人（法人锁）", "person (legal representative)"},
    {"cost-engineer", "个人（造价锁）", "person (cost engineer)"},
    {"expert", "个人（专家锁）", "person (bid-evaluation expert)"},
    {"other", "个人（其他）", "person (other)"},
    {"usbkey", "USBKEY 电子证书", "USB key certificate"},
    {"mobile", "移动端电子证书", "mobile certificate"},
    {"onsite", "现场", "on site"},
    {"mail", "邮寄", "by mail"},
    {NULL, NULL, NULL},
};

static const char *label_of(const fctx *f, const char *v)
{
    for (const name_label *l = business_labels; l->key; l++)
        if (strcmp(l->key, v) == 0) return f->en ? l->en : l->zh;
    return v;
}

/* ---- drawing ---- */

static PangoLayout *layout(fctx *f, const char *text, double width, double size, int bold,
                           PangoAlignment align)
{
    PangoLayout *l = pango_cairo_create_layout(f->cr);
    PangoFontDescription *fd = pango_font_description_from_string(f->family);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(l, align);
    pango_layout_set_text(l, text, -1);
    return l;
}

static double height_of(PangoLayout *l)
{
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return (double)h / PANGO_SCALE;
}

/* Show l at (x, y) and frame every ✓ so that it reads as a ticked box. */
static void show(fctx *f, PangoLayout *l, double x, double y)
{
    cairo_set_source_rgb(f->cr, 0, 0, 0);
    cairo_move_to(f->cr, x, y);
    pango_cairo_show_layout(f->cr, l);
    const char *t = pango_layout_get_text(l);
    for (const char *p = t; (p = strstr(p, TICK)) != NULL; p += 3) {
        PangoRectangle r;
        pango_layout_index_to_pos(l, (int)(p - t), &r);
        double rx = x + (double)r.x / PANGO_SCALE, ry = y + (double)r.y / PANGO_SCALE;
        double rw = (double)r.width / PANGO_SCALE, rh = (double)r.height / PANGO_SCALE;
        double s = rh * 0.62;
        cairo_set_line_width(f->cr, 0.7);
        double bx = rw > s ? rx + (rw - s) / 2 : rx; /* never left of the glyph's own cell */
        cairo_rectangle(f->cr, bx, ry + (rh - s) / 2 + rh * 0.04, s, s);
        cairo_stroke(f->cr);
    }
}

static void new_page(fctx *f)
{
    cairo_show_page(f->cr);
    f->y = MARGIN;
}

static void need(fctx *f, double h)
{
    if (f->y + h > PAGE_H - MARGIN) new_page(f);
}

/* A paragraph across the content width. */
static void para(fctx *f, const char *text, double size, int bold, PangoAlignment align, double gap)
{
    PangoLayout *l = layout(f, text, CONTENT, size, bold, align);
    double h = height_of(l);
    need(f, h);
    show(f, l, MARGIN, f->y);
    f->y += h + gap;
    g_object_unref(l);
}

typedef struct cell {
    const char *text;
    double w;  /* fraction of the content width */
    int label; /* shaded label cell */
} cell;

/* One table row; cells' widths add up to 1. min_h: a taller row for handwriting. */
static void row(fctx *f, const cell *c, size_t nc, double min_h)
{
    PangoLayout *ls[8];
    double h = min_h;
    for (size_t i = 0; i < nc && i < 8; i++) {
        ls[i] = layout(f, c[i].text ? c[i].text : "", c[i].w * CONTENT - 2 * PAD, 9.5, c[i].label,
                       PANGO_ALIGN_LEFT);
        double hi = height_of(ls[i]) + 2 * PAD;
        if (hi > h) h = hi;
    }
    need(f, h);
    double x = MARGIN;
    cairo_set_line_width(f->cr, 0.6);
    for (size_t i = 0; i < nc && i < 8; i++) {
        double w = c[i].w * CONTENT;
        if (c[i].label) {
            cairo_set_source_rgb(f->cr, 0.93, 0.93, 0.93);
            cairo_rectangle(f->cr, x, f->y, w, h);
            cairo_fill(f->cr);
        }
        cairo_set_source_rgb(f->cr, 0, 0, 0);
        cairo_rectangle(f->cr, x, f->y, w, h);
        cairo_stroke(f->cr);
        show(f, ls[i], x + PAD, f->y + PAD);
        g_object_unref(ls[i]);
        x += w;
    }
    f->y += h;
}

static void row2(fctx *f, const char *label, const char *value)
{
    cell c[2] = {{label, 0.28, 1}, {value, 0.72, 0}};
    row(f, c, 2, 0);
}

static void row4(fctx *f, const char *l1, const char *v1, const char *l2, const char *v2)
{
    cell c[4] = {{l1, 0.2, 1}, {v1, 0.3, 0}, {l2, 0.2, 1}, {v2, 0.3, 0}};
    row(f, c, 4, 0);
}

static void section(fctx *f, const char *title)
{
    cell c[1] = {{title, 1.0, 1}};
    row(f, c, 1, 0);
}

/* Checkbox text: "✓新办  □补办  …" */
typedef struct cbs {
    char s[1024];
} cbs;

static void cb(cbs *b, const char *label, int checked)
{
    size_t l = strlen(b->s);
    snprintf(b->s + l, sizeof(b->s) - l, "%s%s%s", l ? "   " : "", checked ? TICK : BOX, label);
}

static void title(fctx *f, const char *t, const char *sub)
{
    para(f, t, 18, 1, PANGO_ALIGN_CENTER, 4);
    if (sub) para(f, sub, 9.5, 0, PANGO_ALIGN_RIGHT, 6);
}

static void sign_lines(fctx *f, const char *left, const char *right)
{
    cell c[2] = {{left, 0.5, 0}, {right, 0.5, 0}};
    row(f, c, 2, 40);
}

/* ---- the forms ---- */

static void seal_specimens(fctx *f)
{
    para(f,
         L("签章采集表（盖在下方，请勿重叠压线）",
           "Seal specimen sheet (stamp / sign inside the boxes; do not overlap the lines)"),
         10, 1, PANGO_ALIGN_LEFT, 4);
    /* real sizes: official seals are round, 38-45 mm; personal square seals about 20 mm */
    struct {
        const char *zh, *en;
        double w, h;
    } box[3] = {{"企业公章", "Official seal", 55, 55},
                {"法人方章/造价师章", "Legal rep. / cost engineer seal", 40, 40},
                {"法人签字", "Legal representative's signature", 60, 30}};
    double label_h = 14, total = MM(55) + label_h + 14;
    need(f, total);
    double gap = (CONTENT - MM(55) - MM(40) - MM(60)) / 2, x = MARGIN;
    for (int i = 0; i < 3; i++) {
        char t[96];
        snprintf(t, sizeof(t), "%s（%.0f × %.0f mm）", f->en ? box[i].en : box[i].zh, box[i].w,
                 box[i].h);
        PangoLayout *l = layout(f, t, MM(box[i].w) + gap - 4, 8.5, 0, PANGO_ALIGN_LEFT);
        show(f, l, x, f->y);
        g_object_unref(l);
        cairo_set_line_width(f->cr, 0.8);
        cairo_set_source_rgb(f->cr, 0, 0, 0);
        cairo_rectangle(f->cr, x, f->y + label_h, MM(box[i].w), MM(box[i].h));
        cairo_stroke(f->cr);
        x += MM(box[i].w) + gap;
    }
    f->y += total;
}

static void authorization(fctx *f, const char *who_zh, const char *who_en, const char *stamp)
{
    char from[48], to[48], t[2400];
    date_text(f, V(f, "auth_from"), from, sizeof(from));
    date_text(f, V(f, "auth_to"), to, sizeof(to));
    const char *an = V(f, "agent_name"), *am = V(f, "agent_mobile"), *ai = V(f, "agent_id_number");
    if (f->en)
        snprintf(t, sizeof(t),
                 "%s hereby authorizes (name: %s, mobile: %s, ID number: %s) as lawful agent to "
                 "handle the CA certificate and electronic seal matters. All documents signed and "
                 "submitted in the process are true, correct and lawful; the applicant bears all "
                 "consequences of any falsehood. Authorization valid from %s to %s.\n%s",
                 who_en, *an ? an : "________", *am ? am : "____________",
                 *ai ? ai : "__________________", from, to, stamp);
    else
        snprintf(
            t, sizeof(t),
            "%s授权（姓名：%s、手机号码：%s、身份证号码：%s）为合法代理人，前去办理CA证书与电子"
            "签章相关事宜。办理过程中，所签署、提交的相关资料全部真实、无误、合法的，如有虚假导致"
            "的一切后果由%s自行承担。指定或者委托的有效期限：自 %s 至 %s\n%s",
            who_zh, *an ? an : "          ", *am ? am : "                 ",
            *ai ? ai : "                         ", who_zh, from, to, stamp);
    cell c[2] = {{L("授权委托", "Authorization"), 0.16, 1}, {t, 0.84, 0}};
    row(f, c, 2, 0);
}

static void form_seal(fctx *f)
{
    char d[64], buf[512];
    date_text(f, V(f, "created_at"), d, sizeof(d));
    snprintf(buf, sizeof(buf), "%s%s", L("申请日期：", "Date of application: "), d);
    title(f, L("签章业务申请表", "Electronic seal application form"), buf);
    const char *b = V(f, "business");
    int org = !person(f);
    snprintf(buf, sizeof(buf), "%s%s", V(f, "project"), L(" 项目", " project"));
    row2(f, L("项目名称", "Project"), buf);
    cbs x = {""};
    cb(&x, L("新办", "new"), strcmp(b, "new") == 0);
    cb(&x, L("补办", "replacement"), strcmp(b, "replace") == 0);
    cb(&x, L("变更", "change"), strcmp(b, "change") == 0);
    row2(f, L("办理业务", "Business"), x.s);
    cbs s = {""};
    cb(&s, L("企业用户", "organization"), *V(f, "subject_kind") && org);
    cb(&s, L("个人用户", "person"), person(f));
    row2(f, L("申请主体", "Applicant"), s.s);
    row2(f, L("收发票电子邮箱", "E-mail for the invoice"), V(f, "invoice_email"));
    section(f, L("企业信息（企业锁申请填写）", "Organization (for organization keys)"));
    row4(f, L("单位名称", "Name"), V(f, "org_name"), L("统一社会信用代码证号", "USCC"),
         V(f, "org_uscc"));
    row4(f, L("法定代表人姓名", "Legal representative"), V(f, "legal_name"),
         L("联系人手机号码", "Contact mobile"), V(f, "legal_phone"));
    section(f, L("个人信息（法人锁、造价锁、专家锁申请填写）",
                 "Person (for legal representative, cost engineer and expert keys)"));
    row4(f, L("造价/专家（其他）姓名", "Name"), V(f, "person_name"),
         L("造价师/评标专家（其他）身份证号码", "ID number"), V(f, "person_id_number"));
    row4(f, L("联系人手机号码", "Contact mobile"), V(f, "person_phone"), "", "");
    row4(f, L("经办人姓名", "Agent"), V(f, "agent_name"), L("经办人手机号码", "Agent's mobile"),
         V(f, "agent_mobile"));
    /* price standard: the line of this order ticked, its price beside it */
    int renew =
        strcmp(b, "renew") == 0 || strcmp(b, "rekey") == 0 || strcmp(b, "renew-without-rekey") == 0;
    cbs p = {""};
    cb(&p, L("企业锁新办", "organization new"), strcmp(b, "new") == 0 && org);
    cb(&p, L("个人锁新办", "person new"), strcmp(b, "new") == 0 && !org);
    cb(&p, L("补办", "replacement"), strcmp(b, "replace") == 0);
    cb(&p, L("变更", "change"), strcmp(b, "change") == 0);
    size_t l = strlen(p.s);
    snprintf(p.s + l, sizeof(p.s) - l, "\n");
    cbs p2 = {""};
    cb(&p2, L("企业锁延期", "organization renewal"), renew && org);
    cb(&p2, L("个人锁延期", "person renewal"), renew && !org);
    char m[64], pr[4096];
    money(f, m, sizeof(m));
    cbs p3 = {""};
    cb(&p3, L("本单位/本人确认已知悉以上业务价格", "We / I confirm knowing the prices above"),
       yes(f, "price_confirmed"));
    snprintf(pr, sizeof(pr), "%s%s%s%s\n%s", p.s, p2.s,
             *m ? L("    本单金额：", "    This order: ") : "", m, p3.s);
    row2(f, L("价格标准", "Price standard"), pr);
    if (org)
        authorization(f, "本单位", "The applicant organization",
                      L("单位盖章（公章）：", "Official seal of the organization:"));
    else
        authorization(f, "本人", "The applicant", L("本人签字：", "Signature:"));
    f->y += 8;
    seal_specimens(f);
}

static void form_cert(fctx *f)
{
    title(f, L("证书业务申请单", "Certificate application form"),
          L("以下内容 * 号必填", "Fields marked * are required"));
    const char *b = V(f, "business");
#define B(x) (strcmp(b, x) == 0)
    row2(f, L("* 证书用于何种项目/系统", "* Project / system the certificate is for"),
         V(f, "project"));
    cbs med = {""};
    cb(&med, L("USBKEY 电子证书", "USB key certificate"), is(f, "medium", "usbkey"));
    cb(&med, L("移动端电子证书", "mobile certificate"), is(f, "medium", "mobile"));
    row2(f, L("证书介质", "Medium"), med.s);
    char t[4096];
    cbs nw = {""};
    cb(&nw, L("证书新办", "new certificate"), B("new"));
    cb(&nw, L("企业", "organization"), B("new") && !person(f));
    cb(&nw, L("个人", "person"), B("new") && person(f));
    snprintf(t, sizeof(t), "%s   %s%s%s   %s%s%s", nw.s, L("申请数量：", "quantity: "),
             *V(f, "quantity") ? V(f, "quantity") : "    ", L(" 张", ""),
             L("有效期：", "validity: "), *V(f, "years") ? V(f, "years") : "    ",
             L(" 年", " year(s)"));
    row2(f, L("业务类型", "Business"), t);
    cbs up = {""};
    cb(&up, L("证书更新：", "certificate update:"),
       B("renew") || B("reissue") || B("change") || B("rekey") || B("renew-without-rekey"));
    cb(&up, L("延期", "renewal"), B("renew"));
    cb(&up, L("重发", "reissue"), B("reissue"));
    cb(&up, L("信息变更", "change of details"), B("change"));
    cb(&up, L("更新换密钥", "rekey"), B("rekey"));
    cb(&up, L("更新不换密钥", "renewal without rekey"), B("renew-without-rekey"));
    snprintf(
        t, sizeof(t), "%s\n%s%s", up.s,
        L("备注：证书更新，应更新换密钥。（特殊原因：如使用该证书操作过文件加密或已使用该证书投"
          "标且即将开标，允许证书更新不换密钥）",
          "Note: an update should change the key (exception: files encrypted with it, or a "
          "bid made with it about to open)."),
        *V(f, "rekey_reason") ? "" : "");
    if (*V(f, "rekey_reason")) {
        size_t l = strlen(t);
        snprintf(t + l, sizeof(t) - l, "\n%s%s", L("原因：", "Reason: "), V(f, "rekey_reason"));
    }
    row2(f, "", t);
    cbs rv = {""};
    cb(&rv, L("证书注销", "revocation"), B("revoke"));
    snprintf(t, sizeof(t), "%s\n%s", rv.s,
             L("提示：若使用该证书操作过文件加密，请将文件解密后，再办理注销。",
               "If files were encrypted to this certificate, decrypt them before revoking it."));
    row2(f, "", t);
    cbs o1 = {""};
    cb(&o1, L("其他业务：", "other:"),
       B("pin-unlock") || B("suspend") || B("resume") || B("key-recovery"));
    cb(&o1, L("密码解锁", "PIN unlock"), B("pin-unlock"));
    cb(&o1, L("挂失", "suspension"), B("suspend"));
    cb(&o1, L("解挂", "resumption"), B("resume"));
    cb(&o1, L("密钥恢复（", "key recovery ("), B("key-recovery"));
    cb(&o1, L("证书损坏", "damaged"), B("key-recovery") && is(f, "recovery_kind", "damaged"));
    cb(&o1, L("司法取证）", "judicial)"), B("key-recovery") && is(f, "recovery_kind", "judicial"));
    row2(f, "", o1.s);
    cbs o2 = {""};
    cb(&o2, L("其他业务：", "other:"), B("seal-change") || B("seal-redo") || B("replace"));
    cb(&o2, L("签章变更", "seal change"), B("seal-change"));
    cb(&o2, L("签章重做", "seal remake"), B("seal-redo"));
    cb(&o2, B("replace") ? L("其他：补办", "other: replacement") : L("其他：", "other:"),
       B("replace"));
    row2(f, "", o2.s);
#undef B
    section(f, L("业务信息 · 单位信息", "Organization"));
    row2(f, L("* 单位全称", "* Full name"), V(f, "org_name"));
    row2(f, L("* 单位地址", "* Address"), V(f, "org_address"));
    row4(f, L("* 法定代表人姓名", "* Legal representative"), V(f, "legal_name"),
         L("* 法定代表人联系电话", "* Phone"), V(f, "legal_phone"));
    cbs lt = {""};
    char other[400];
    snprintf(other, sizeof(other), "%s%s", L("其他：", "other: "), V(f, "legal_id_type_other"));
    cb(&lt, L("身份证", "ID card"), is(f, "legal_id_type", "id-card"));
    cb(&lt, other, is(f, "legal_id_type", "other"));
    row4(f, L("* 法定代表人证件类型", "* ID type"), lt.s, L("* 法定代表人证件号码", "* ID number"),
         V(f, "legal_id_number"));
    row2(f, L("* 统一社会信用代码", "* USCC"), V(f, "org_uscc"));
    row4(f, L("其他证件名称", "Other licence"), V(f, "other_licence_name"),
         L("其他证件号码", "Licence number"), V(f, "other_licence_number"));
    section(f, L("申请单位银行账户信息（使用银行汇款办理时填写）",
                 "Bank account (when paying by bank transfer)"));
    row4(f, L("银行开户名", "Account name"), V(f, "bank_account_name"), L("开户银行", "Bank"),
         V(f, "bank_name"));
    row4(f, L("开户银行支行名称", "Branch"), V(f, "bank_branch"),
         L("企业对公账号", "Account number"), V(f, "bank_account"));
    section(f, L("个人信息", "Person"));
    row4(f, L("* 姓名", "* Name"), V(f, "person_name"), L("* 联系电话", "* Phone"),
         V(f, "person_phone"));
    cbs pt = {""};
    snprintf(other, sizeof(other), "%s%s", L("其他：", "other: "), V(f, "person_id_type_other"));
    cb(&pt, L("身份证", "ID card"), is(f, "person_id_type", "id-card"));
    cb(&pt, other, is(f, "person_id_type", "other"));
    row4(f, L("* 证件类型", "* ID type"), pt.s, L("* 证件号码", "* ID number"),
         V(f, "person_id_number"));
    row2(f, L("* 所属单位名称", "* Organization"), V(f, "person_org"));
    row2(f, L("* 电子邮箱", "* E-mail"), V(f, "person_email"));
    section(f, L("经办人信息", "Agent"));
    row4(f, L("* 姓名", "* Name"), V(f, "agent_name"), L("* 手机号码", "* Mobile"),
         V(f, "agent_mobile"));
    cbs at = {""};
    cb(&at, L("身份证", "ID card"), is(f, "agent_id_type", "id-card"));
    cb(&at, L("其他：", "other:"), is(f, "agent_id_type", "other"));
    row4(f, L("* 证件类型", "* ID type"), at.s, L("* 证件号码", "* ID number"),
         V(f, "agent_id_number"));
    cbs hd = {""};
    cb(&hd, L("现场", "on site"), is(f, "handling", "onsite"));
    cb(&hd, L("邮寄", "by mail"), is(f, "handling", "mail"));
    row4(f, L("* 电子邮箱", "* E-mail"), V(f, "agent_email"), L("* 证书办理方式", "* Handling"),
         hd.s);
    snprintf(t, sizeof(t), "%s%s%s", V(f, "return_address"), *V(f, "return_phone") ? "  " : "",
             V(f, "return_phone"));
    row2(f, L("回寄地址电话", "Return address and phone"), t);
    const char *ca = *V(f, "ca_name") ? V(f, "ca_name") : L("本CA", "the CA");
    char decl[2400];
    cbs ok = {""};
    cb(&ok, L("已阅读并同意以上声明", "Declarations read and accepted"),
       yes(f, "declarations_accepted"));
    if (f->en)
        snprintf(decl, sizeof(decl),
                 "The applicant solemnly declares:\n1. The information provided to obtain the "
                 "certificate is true, accurate and complete, and the agent above is authorized "
                 "to handle it; the applicant bears all consequences of false, misleading or "
                 "incomplete information.\n2. The applicant has read and fully understands the "
                 "certificate service agreement of %s; stamping this form accepts it in full.\n"
                 "3. The applicant knows and will follow the certification practice statements "
                 "of %s.\n4. The applicant agrees that %s collects the information above to issue "
                 "the certificate and for related purposes.\n%s",
                 ca, ca, ca, ok.s);
    else
        snprintf(
            decl, sizeof(decl),
            "申请单位在此郑重声明：\n1、本单位为办理数字证书事宜而提供的资料完全真实、准确、完"
            "整，并授权上述经办人办理数字证书事宜。本单位愿意承担由于提供的资料虚假、误导、重大"
            "遗漏而导致的一切后果。\n2、本单位已认真阅读并完全理解《%s证书服务协议》中的各项规定"
            "。在此申请表上盖章即表明本单位确认并同意该服务协议的全部内容，接受该协议的约束。\n3"
            "、本单位已知晓并自愿遵守《%s电子认证业务规则》。\n4、本单位同意数字认证公司收集本单"
            "位所提交的上述信息，用于签发数字证书及相关用途。\n%s",
            ca, ca, ok.s);
    cell dc[1] = {{decl, 1.0, 0}};
    row(f, dc, 1, 0);
    char d[64], sl[256];
    date_text(f, V(f, "created_at"), d, sizeof(d));
    snprintf(sl, sizeof(sl), "%s\n\n%s%s", L("经办人/申请人签名：", "Agent / applicant signature:"),
             L("申请日期：", "Date: "), d);
    sign_lines(f, sl, L("申请单位（公章）：", "Applicant's official seal:"));
    row2(f, L("备  注", "Remarks"), "");
    sign_lines(
        f, L("证书业务操作员签名：\n或受理单位（盖章）：", "Operator signature\nor office seal:"),
        L("受理日期：", "Date received:"));
}

/* Section headings ("一、服务内容") in bold. */
static int heading(const char *p)
{
    static const char *const num[] = {"一、", "二、", "三、", "四、", "五、"};
    for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++)
        if (strncmp(p, num[i], strlen(num[i])) == 0) return 1;
    return 0;
}

static void agreement_text(fctx *f, const char *const *paras, size_t n)
{
    for (size_t i = 0; i < n; i++)
        para(f, paras[i], 9.5, heading(paras[i]), PANGO_ALIGN_LEFT, 3);
}

static void applicant_name(const fctx *f, char *out, size_t outsz)
{
    const char *n = person(f) ? V(f, "person_name") : V(f, "org_name");
    snprintf(out, outsz, "%s", *n ? n : "");
}

static void en_note(fctx *f)
{
    if (f->en)
        para(f,
             "English rendering for reference: the Chinese text below is the binding version of "
             "this agreement.",
             9, 1, PANGO_ALIGN_LEFT, 6);
}

static void form_service(fctx *f)
{
    const char *co = *V(f, "service_company") ? V(f, "service_company") : "本注册服务机构";
    title(f, L("服 务 协 议", "Service agreement"), NULL);
    en_note(f);
    char p0[600];
    snprintf(
        p0, sizeof(p0),
        "尊敬的用户：\n为了提高公共资源交易电子化的安全性和时效性，%s（以下简称本公司）向您提供相"
        "关服务，根据《中华人民共和国招标投标法》、《中华人民共和国电子招投标法》、《中华人民共和"
        "国电子签名法》，遵循自愿有偿、公平合理的原则，特制定本服务协议。",
        co);
    const char *const t[] = {
        p0,
        "一、服务内容",
        "用户向本公司申请办理的电子认证数字证书及电子签章用于标识机构在电子（网络）招投标过程中的机"
        "构身份，电子招投标系统可以根据该功能对其用途进行定义，并使用于授权和合法目的，不包括涉及违"
        "反"
        "国家法律、行业法规或危害国家安全的用途。",
        "本公司提供用户所申请业务内容的相关产品及技术服务，并收取产品及技术服务费用，具体以《申请表"
        "》"
        "中客户勾选及填写内容为准。",
        "二、责任和义务",
        "（一）用户在本公司各受理点办理数字证书及电子签章时，应遵照各办理点的办理流程；",
        "（二）用户在提供资料时，故意或过失提供不真实资料，签发证书错误，造成损失由用户承担；",
        "（三）用户应妥善保存登录密码，不得泄露或交付他人，如因故意、过失导致他人知道或盗用、冒用、"
        "伪造或者篡改造成一切损失由用户承担；",
        "（四）本公司根据相关法律规定向用户提供电子认证服务，本公司承诺，在现有的技术条件下签发的数"
        "字"
        "证书不会被伪造、篡改。",
        "（五）根据《电子签名法》针对数字证书的要求，电子签名制作数据用于电子签名时，属于电子签名人"
        "专"
        "有，即一个数字证书对应一个电子签章。原则上单位的公章和法人的手写签名或印章要分开办理。如果"
        "用"
        "户自愿将法人的手写签名或印章放到单位锁里，不单独办理法人的数字证书，因此造成的法律纠纷或一"
        "切"
        "损失由用户承担。",
        "三、有关免责",
        "（一）由于不可抗力原因而暂停或终止全部或部分证书服务，我公司不承担赔偿责任；",
        "（二）本公司在服务过程中，将执行安全操作流程，如果由于设备故障、网络中断等客观原因导致数字"
        "证"
        "书错误、延迟、中断或者无法签发，将为用户重新签发证书，但不承担赔偿责任。",
        "（三）因用户自愿将法人的手写签名或印章和单位公章放到单位锁里，仅办理单位数字证书，因此造成"
        "的"
        "法律纠纷和一切损失由用户承担，我公司不承担任何责任。",
        "四、证书吊销条款",
        "用户有下列情形的，本公司有权直接吊销已签发的数字证书，且用户无权提出任何异议及赔偿：",
        "（一）证书申请时提供不真实材料；",
        "（二）没有按照规定缴纳证书费用；",
        "（三）违反国家法律或其它规章制度不应签发数字证书的；",
        "（四）有盗用、冒用、伪造或者篡改他人证书的；",
        "（五）不履行安全电子业务应承担责任的。",
        "五、附则",
        "（一）本协议如有修订而涉及用户及注册机构权利、义务时，请关注本公司官方网站的相关通知。",
        "（二）用户签署本协议，视同用户自愿接受本公司提供的数字证书及相关电子招投标服务，知悉《申请"
        "表"
        "》中相关产品及服务费用，用户应当完全履行本协议条款。",
        "（三）本协议履行过程中发生争议时，应当友好协商解决，协商不成的，应当向本公司所在地有管辖权"
        "的"
        "人民法院提起诉讼。",
        "（四）客户确认已经认真阅读并完全理解本协议中的各项规定，在申请表上签名盖章即表明接受本协议"
        "的"
        "约束，本协议即时生效。",
    };
    agreement_text(f, t, sizeof(t) / sizeof(t[0]));
    char who[400], d[64], l[600], r[600];
    applicant_name(f, who, sizeof(who));
    date_text(f, V(f, "created_at"), d, sizeof(d));
    f->y += 6;
    snprintf(l, sizeof(l), "%s%s\n%s", L("申请人（签字）：", "Applicant (signature): "),
             person(f) ? who : "", d);
    snprintf(r, sizeof(r), "%s%s", L("申请机构（盖章）：", "Applicant organization (seal): "),
             person(f) ? "" : who);
    sign_lines(f, l, r);
}

static void form_ca(fctx *f)
{
    const char *ca = *V(f, "ca_name") ? V(f, "ca_name") : "sealca 数字认证服务机构";
    char head[300];
    snprintf(head, sizeof(head), "%s证书服务协议", *V(f, "ca_name") ? V(f, "ca_name") : "CA");
    title(f, f->en ? "CA certificate service agreement" : head, NULL);
    en_note(f);
    char who[400], pa[500], pb[400];
    applicant_name(f, who, sizeof(who));
    snprintf(pa, sizeof(pa), "甲方：%s", who);
    snprintf(pb, sizeof(pb), "乙方：%s", ca);
    const char *const t[] = {
        pa,
        pb,
        "为明确各方权利和义务，甲乙双方就数字证书的申请和使用等事宜达成以下协议：",
        "一、业务受理：",
        "1."
        "乙方为甲方所发放的数字证书可用于网上身份认证、信息加密、签名以及防篡改等功能场景，各应用系"
        "统"
        "可以根据该功能对其进行定义，但不包括涉及违反国家法律、法规或危害国家安全的用途。",
        "2.甲方在申请数字证书业务时应提供真实、完整和准确的信息及证明材料。",
        "3.乙方受理甲方的数字证书申请，为甲方进行签发、更新、注销、恢复、重发数字证书等服务。",
        "4.甲方在获得数字证书时应及时验证证书所匹配的信息，如无异议则视为接受证书。",
        "5.甲方可在乙方官网查阅相关业务声明及其他资料。",
        "二、使用：",
        "1."
        "甲方应确保数字证书应用环境的安全，若因网络、主机、操作系统或其他软硬件环境等存在安全漏洞，"
        "由"
        "此导致的安全事故及相关后果，乙方不承担责任。",
        "2."
        "甲方应当妥善保管数字证书、私钥及口令，不得转让、转借或转用。如因甲方管理不善导致数字证书被"
        "盗"
        "用、冒用、伪造或者篡改，甲方应当自行承担相关责任。证书存储介质如因甲方原因损坏或遗失等，甲"
        "方可"
        "付费重新申领。",
        "3."
        "乙方承诺，在现有的技术条件下，由乙方签发的数字证书能够有效防止被伪造、篡改。如经确认确属乙"
        "方"
        "责任，数字认证公司承担赔偿责任，且以乙方电子认证业务规则之规定为赔偿责任上限。",
        "4."
        "甲方新办数字证书后，乙方即开始提供服务，服务有效期内乙方不得无故结束对甲方的服务。甲方应在"
        "数"
        "字证书过期前1个月内申请延期，否则证书到期自动失效，由此产生的后果由甲方自行承担。",
        "5."
        "因技术需要，乙方有权要求甲方及时更新数字证书。甲方在收到更新通知后，应在规定的期限内更新证"
        "书"
        "。若甲方逾期没有更新证书，由此产生的相关后果由甲方自行承担。",
        "6."
        "如遇数字证书私钥泄露丢失，或甲方不希望继续使用数字证书的情况，甲方应当立即到乙方设立的注册"
        "机"
        "构申请吊销证书。吊销手续遵循各注册机构的规定。乙方在接到吊销申请后，在24小时内吊销甲方的数"
        "字证"
        "书。甲方应当承担在证书吊销之前所有因使用数字证书而造成的责任。",
        "7."
        "如果甲方主体资格灭失（如企业注销等），甲方应携带相关证明文件及原数字证书，向注册机构请求吊"
        "销"
        "数字证书。甲方应当承担其数字证书在吊销前所有使用数字证书而造成的相关后果。",
        "8."
        "对于下列情形之一，乙方有权主动吊销所签发的证书：1）、甲方申请证书时，提供不真实信息；2）、"
        "证"
        "书对应的私钥泄露或出现其他证书的安全性得不到保证的情况；3）、甲方不能履行或违反了相关法律"
        "、法规"
        "和本协议所规定的责任和义务；4）、法律、法规规定的其他情形。",
        "三、个人信息保护",
        "1."
        "甲方同意向乙方提交办理数字证书所必要的身份信息（个人用户包括但不限于姓名、身份证号、实名手"
        "机"
        "号、电子邮箱、联系地址、所在单位信息；企业用户包括但不限于企业名称、组织机构代码/"
        "统一社会信用代"
        "码、通信地址、法定代表人及经办人姓名、身份证号、实名手机号），且甲方授权乙方委托第三方合作"
        "机构处"
        "理前述信息用于核实用户身份。",
        "2."
        "乙方需妥善保存与认证相关的用户身份信息。根据法律法规、强制性的行政执法或司法要求必须提供用"
        "户"
        "身份信息的情况下，数字认证公司将依据要求对外共享、转让、公开披露相关信息。",
        "四、责任限制与免除：",
        "1."
        "乙方不对由于意外事件或其他不可抗力事件（如突然停电、自然灾害、硬件损坏）而导致暂停或终止全"
        "部"
        "或部分证书服务承担任何责任。",
        "2."
        "甲方故意或无意地提供了不完整、不可靠或已过期的信息申请了数字证书，由此引起的一切后果应由甲"
        "方"
        "全部承担，乙方不承担因此带来的责任。",
        "3."
        "乙方与注册机构合作，约定由注册机构承担身份验证义务的，对于由注册机构过错导致用户受有损失的"
        "，"
        "由注册机构承担全部赔偿责任，与乙方无关。甲方应当直接向注册机构主张赔偿责任。",
        "4."
        "甲方知悉数字证书或私钥已经或可能失密，但未及时告知有关各方、并终止使用证书或私钥，未向数字"
        "认"
        "证公司提供真实、完整和准确的信息，或者有其他过错，造成损失的，由甲方承担责任。",
        "五、其他",
        "1.本协议与乙方网站上公布的电子认证业务规则共同构成关于数字证书的完整协议。",
        "2."
        "本协议的有效期限为证书的有效期限。证书有效期限届满，甲方更新证书的，本协议有效期限顺延至证"
        "书"
        "更新期限届满日。",
        "3."
        "在本协议执行过程中发生争议，甲乙双方友好协商解决。协商不成的，可向乙方所在地人民法院提起诉"
        "讼"
        "。",
        "4.如本协议中的任何条款无论因何种原因完全或部分无效，本协议的其余条款仍应有效。",
        "5."
        "甲方确认已经认真阅读并完全理解本协议中的各项条款，甲方在申请表或本协议上签名、盖章，均表明"
        "接"
        "受本协议的约束，本协议即时生效。",
    };
    agreement_text(f, t, sizeof(t) / sizeof(t[0]));
    char d[64], l[600], r[300];
    date_text(f, V(f, "created_at"), d, sizeof(d));
    f->y += 6;
    snprintf(l, sizeof(l), "甲方盖章：\n法人/经办人/申请人签字：\n日期：%s", d);
    snprintf(r, sizeof(r), "乙方盖章：\n法人/经办人签字：\n日期：%s", d);
    sign_lines(f, l, r);
}

static void form_receipt(fctx *f)
{
    title(f, L("订单回执", "Order receipt"), NULL);
    const char *b = V(f, "business");
    char d[64], m[64], t[600];
    date_text(f, V(f, "created_at"), d, sizeof(d));
    money(f, m, sizeof(m));
    row2(f, L("订单号", "Order number"), V(f, "order_no"));
    row2(f, L("业务类型", "Business"), label_of(f, b));
    row2(f, L("申请主体", "Applicant type"), label_of(f, V(f, "subject_kind")));
    char who[400];
    applicant_name(f, who, sizeof(who));
    row2(f, L("申请人", "Applicant"), who);
    snprintf(t, sizeof(t), "%s%s%s%s%s%s", label_of(f, V(f, "medium")),
             *V(f, "years") ? L("，有效期 ", ", ") : "", V(f, "years"),
             *V(f, "years") ? L(" 年", " year(s)") : "",
             *V(f, "quantity") ? L("，数量 ", ", ×") : "", V(f, "quantity"));
    row2(f, L("证书", "Certificate"), t);
    row2(f, L("金额", "Price"), *m ? m : L("（以审核确认为准）", "(confirmed at review)"));
    const char *sp =
        *V(f, "service_point_name") ? V(f, "service_point_name") : V(f, "service_point");
    row2(f, L("服务网点", "Service point"), sp);
    row2(f, L("下单日期", "Order date"), d);
    snprintf(t, sizeof(t), "%s%s%s", label_of(f, V(f, "handling")),
             is(f, "handling", "mail") ? L("：", ": ") : "",
             is(f, "handling", "mail") ? V(f, "return_address") : "");
    row2(f, L("办理方式", "Handling"), t);
    f->y += 10;
    para(f, L("后续步骤", "What happens next"), 11, 1, PANGO_ALIGN_LEFT, 4);
    char s[1600];
    const char *last;
    if (strcmp(b, "renew") == 0 || strcmp(b, "rekey") == 0 || strcmp(b, "renew-without-rekey") == 0)
        last = L("3. 审核通过后，请按页面提示自行完成延期（需使用当前证书签名确认）。",
                 "3. After approval, complete the renewal yourself as the page guides you (your "
                 "current key signs a challenge).");
    else if (strcmp(b, "change") == 0)
        last = L("3. 审核通过后，请自行完成变更：签发新证书，原证书注销。",
                 "3. After approval, complete the change yourself: a new certificate is issued and "
                 "the old one is revoked.");
    else if (strcmp(b, "revoke") == 0)
        last = L("3. 审核通过后 24 小时内注销生效。若使用该证书加密过文件，请先解密。",
                 "3. The revocation takes effect within 24 hours of approval. Decrypt any files "
                 "encrypted to this certificate first.");
    else if (is(f, "handling", "mail"))
        last = L("3. 审核通过并确认付款后，制证并在 1–3 个工作日内寄出，您将收到快递单号。",
                 "3. After approval and payment the certificate is made and mailed within 1-3 "
                 "working days; you receive the tracking number by e-mail.");
    else
        last = L("3. 审核通过并确认付款后，制证完成时通知您到服务网点领取。",
                 "3. After approval and payment you are told when to collect it at the service "
                 "point.");
    snprintf(
        s, sizeof(s), "%s\n%s\n%s",
        L("1. 打印申请表与协议，盖章签字后上传（或携带原件到服务网点）。所有章和签字须为鲜章和手写"
          "签字，清晰、真实，不得压字压线。",
          "1. Print the forms and agreements, stamp and sign them, and upload them (or bring "
          "the originals to the service point). Stamps and signatures must be original, real, "
          "clear and not over text or lines."),
        L("2. 工作人员审核材料；如需补正，您将收到邮件通知，修改后重新提交。",
          "2. Staff review the materials; if something must be fixed you receive an e-mail "
          "and resubmit."),
        last);
    para(f, s, 9.5, 0, PANGO_ALIGN_LEFT, 4);
    if (*V(f, "ship_by")) {
        char sb[64];
        date_text(f, V(f, "ship_by"), sb, sizeof(sb));
        snprintf(s, sizeof(s), "%s%s", L("预计最晚寄出日期：", "Expected to ship by: "), sb);
        para(f, s, 9.5, 1, PANGO_ALIGN_LEFT, 4);
    }
    if (*V(f, "hotline")) {
        snprintf(s, sizeof(s), "%s%s", L("客服电话：", "Hotline: "), V(f, "hotline"));
        para(f, s, 9.5, 0, PANGO_ALIGN_LEFT, 4);
    }
}

/* ---- entry ---- */

static cairo_status_t sink(void *closure, const unsigned char *p, unsigned int n)
{
    return sc_buf_append(closure, p, n) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_NO_MEMORY;
}

static int value_ok(const char *v)
{
    size_t n = strlen(v);
    if (n > FORMS_MAX_VALUE) return 0;
    const uint8_t *p = (const uint8_t *)v;
    while (n > 0) {
        uint32_t cp;
        int k = sc_utf8_next(p, n, &cp);
        if (k < 0 || (sc_utf8_is_control(cp) && cp != '\n')) return 0;
        p += k;
        n -= (size_t)k;
    }
    return 1;
}

int forms_render(const char *form, const forms_kv *kv, size_t n, const char *lang, sc_buf *pdf,
                 sc_err *e)
{
    static const struct {
        const char *name, *zh, *en;
        void (*fn)(fctx *);
    } forms[] = {
        {"certificate-application", "证书业务申请单", "Certificate application", form_cert},
        {"seal-application", "签章业务申请表", "Electronic seal application", form_seal},
        {"service-agreement", "服务协议", "Service agreement", form_service},
        {"ca-agreement", "CA证书服务协议", "CA certificate service agreement", form_ca},
        {"receipt", "订单回执", "Order receipt", form_receipt},
    };
    size_t which = sizeof(forms) / sizeof(forms[0]);
    for (size_t i = 0; form && i < sizeof(forms) / sizeof(forms[0]); i++)
        if (strcmp(form, forms[i].name) == 0) which = i;
    if (which == sizeof(forms) / sizeof(forms[0]))
        return sc_fail(e, SC_ENOTFOUND, "forms.unknown_form", "no such form");
    int en;
    if (lang == NULL || strcmp(lang, "zh-CN") == 0 || strcmp(lang, "zh") == 0)
        en = 0;
    else if (strcmp(lang, "en") == 0)
        en = 1;
    else
        return sc_fail(e, SC_EINVAL, "forms.bad_lang", "language must be zh-CN or en");
    if (n > FORMS_MAX_FIELDS)
        return sc_fail(e, SC_EINVAL, "forms.too_many", "more than %d fields", FORMS_MAX_FIELDS);
    for (size_t i = 0; i < n; i++)
        if (kv[i].key == NULL || strlen(kv[i].key) > 64 ||
            (kv[i].value != NULL && !value_ok(kv[i].value)))
            return sc_fail(e, SC_EINVAL, "forms.bad_value",
                           "field %.64s is not valid text (UTF-8, no control characters, at most "
                           "%d bytes)",
                           kv[i].key ? kv[i].key : "?", FORMS_MAX_VALUE);
    sc_buf out = {0};
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(sink, &out, PAGE_W, PAGE_H);
    char t[160];
    snprintf(t, sizeof(t), "%s", en ? forms[which].en : forms[which].zh);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, t);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "sealca");
    fctx f = {cairo_create(s), MARGIN, en, kv, n, which == 2 || which == 3 ? FONT_SERIF : FONT};
    forms[which].fn(&f);
    cairo_show_page(f.cr);
    cairo_destroy(f.cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS || out.oom) {
        sc_buf_free(&out);
        return sc_fail(e, SC_EINTERNAL, "forms.render", "PDF rendering failed: %s",
                       cairo_status_to_string(st));
    }
    int rc = sc_buf_append(pdf, out.p, out.len);
    sc_buf_free(&out);
    return rc;
}

void forms_cleanup(void)
{
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    FcFini();
}

/* cairo 1.16 (Debian 12) leaks about 1.5 KB per PDF inside cairo_surface_finish, in its font
 * subsetting (gone in later cairo releases). LeakSanitizer's fast unwinder cannot walk through
 * libcairo (no frame pointers), so the allocation is only known by its module: leaks allocated
 * inside libcairo are ignored, so that the ASan runs of the tests and of the server stay strict
 * about sealca's own memory. Only read when built with -fsanitize=address. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcairo.so.2\n";
}
