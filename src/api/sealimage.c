/* sealimage.c - staff UI: extract a stamp or signature from an uploaded specimen image with
 * the reviewer's manual threshold / crop, answering the transparent PNG or the preview.
 * Not in the public route table: it is wired behind staff authentication. */
#include "api/api.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal/image.h"

/* A query-string argument, or NULL; a request built without a connection (a direct call)
 * has none. */
static const char *arg(const http_req *r, const char *name)
{
    return r->conn != NULL ? MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name)
                           : NULL;
}

static int num(const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    if (s == NULL || *s == 0) return -1;
    double v = strtod(s, &end);
    if (end == s || *end != 0 || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static int u32(const char *s, uint32_t *out)
{
    double v;
    if (num(s, 0, 1000000, &v) != 0 || v != (double)(uint32_t)v) return -1;
    *out = (uint32_t)v;
    return 0;
}

/* crop=X,Y,W,H, or x=&y=&w=&h= */
static int crop_args(const http_req *r, seal_extract_opts *o)
{
    const char *c = arg(r, "crop");
    if (c != NULL) {
        char tmp[64], *parts[4], *save = NULL;
        if (strlen(c) >= sizeof(tmp)) return -1;
        snprintf(tmp, sizeof(tmp), "%s", c);
        int n = 0;
        for (char *t = strtok_r(tmp, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
            if (n == 4) return -1;
            parts[n++] = t;
        }
        if (n != 4 || u32(parts[0], &o->cx) || u32(parts[1], &o->cy) || u32(parts[2], &o->cw) ||
            u32(parts[3], &o->ch))
            return -1;
        o->crop = 1;
        return 0;
    }
    const char *x = arg(r, "x"), *y = arg(r, "y"), *w = arg(r, "w"), *h = arg(r, "h");
    if (x == NULL && y == NULL && w == NULL && h == NULL) return 0;
    if (u32(x, &o->cx) || u32(y, &o->cy) || u32(w, &o->cw) || u32(h, &o->ch)) return -1;
    o->crop = 1;
    return 0;
}

static int status_for(int rc)
{
    switch (rc) {
    case SC_ETOOBIG:
        return 413;
    case SC_ENOTFOUND:
        return 422;
    case SC_ENOMEM:
        return 503;
    case SC_EINVAL:
        return 400;
    default:
        return 500;
    }
}

void api_seal_image_extract(void *vapp, const http_req *req, http_resp *resp)
{
    seal_extract_opts o = {0};
    const char *kind = arg(req, "kind"), *s;
    if (kind == NULL || strcmp(kind, "seal") == 0) {
        o.ink = SEAL_INK_RED;
    } else if (strcmp(kind, "signature") == 0) {
        o.ink = SEAL_INK_DARK;
    } else {
        http_error(resp, 400, "image.bad_kind",
                   "kind 应为 seal 或 signature (kind is seal or "
                   "signature)");
        return;
    }
    if ((s = arg(req, "threshold")) != NULL && num(s, 0.01, 0.99, &o.threshold) != 0) {
        http_error(resp, 400, "image.bad_threshold",
                   "阈值应在0.01到0.99之间 (threshold must lie between 0.01 and 0.99)");
        return;
    }
    if ((s = arg(req, "size_mm")) != NULL && num(s, 5, 200, &o.size_mm) != 0) {
        http_error(resp, 400, "image.bad_size",
                   "尺寸应在5到200毫米之间 (size_mm must lie between 5 and 200)");
        return;
    }
    if ((s = arg(req, "dpi")) != NULL && num(s, 72, 1200, &o.dpi) != 0) {
        http_error(resp, 400, "image.bad_dpi", "dpi 应在72到1200之间 (dpi 72..1200)");
        return;
    }
    if (crop_args(req, &o) != 0) {
        http_error(resp, 400, "image.bad_crop",
                   "裁剪参数应为 crop=X,Y,W,H 像素 (crop is X,Y,W,H in pixels)");
        return;
    }
    const char *pv = arg(req, "preview");
    int preview = pv != NULL && strcmp(pv, "1") == 0;
    o.all_ink = (s = arg(req, "all_ink")) != NULL && strcmp(s, "1") == 0;
    o.square = (s = arg(req, "square")) != NULL && strcmp(s, "1") == 0;
    o.keep_lines = (s = arg(req, "keep_lines")) != NULL && strcmp(s, "1") == 0;
    /* perspective correction: on unless deskew=off */
    o.deskew = SEAL_DESKEW_AUTO;
    if ((s = arg(req, "deskew")) != NULL) {
        if (strcmp(s, "off") == 0) {
            o.deskew = SEAL_DESKEW_OFF;
        } else if (strcmp(s, "auto") != 0) {
            http_error(resp, 400, "image.bad_deskew",
                       "deskew 应为 auto 或 off (deskew is auto or off)");
            return;
        }
    }

    /* the declared type must be an image type and agree with the content */
    const char *ct = req->conn != NULL ? http_header(req, "Content-Type") : NULL;
    seal_img_type t = seal_img_sniff(req->body, req->bodylen);
    if (ct != NULL) {
        size_t l = strcspn(ct, "; ");
        int png = l == 9 && strncasecmp(ct, "image/png", 9) == 0;
        int jpg = (l == 10 && strncasecmp(ct, "image/jpeg", 10) == 0) ||
                  (l == 9 && strncasecmp(ct, "image/jpg", 9) == 0);
        if (!png && !jpg) {
            http_error(resp, 415, "image.bad_type",
                       "只接受 image/png 或 image/jpeg (send image/png or image/jpeg)");
            return;
        }
        if ((png && t != SEAL_IMG_PNG) || (jpg && t != SEAL_IMG_JPEG)) {
            http_error(resp, 400, "image.type_mismatch",
                       "文件内容与声明的类型不符 (the body is not the declared image type)");
            return;
        }
    }

    sc_err e = {0};
    seal_img src = {0}, ext = {0}, prev = {0};
    seal_extract_info info;
    int rc = seal_img_load(req->body, req->bodylen, NULL, &src, &e);
    if (rc == 0) rc = seal_extract(&src, &o, &ext, &info, &e);
    if (rc == 0 && preview) rc = seal_extract_preview(&src, &info, &ext, &prev, &e);
    if (rc == 0) rc = seal_img_png(preview ? &prev : &ext, &resp->body, &e);
    if (rc != 0) {
        sc_buf_free(&resp->body);
        http_error(resp, status_for(rc), e.code, e.msg);
    } else {
        char v[128];
        resp->status = 200;
        resp->ctype = "image/png";
        /* specimen images are personal data: never cached along the way */
        http_set_header(resp, "Cache-Control", "no-store");
        snprintf(v, sizeof(v), "%u,%u,%u,%u", info.bx, info.by, info.bw, info.bh);
        http_set_header(resp, "X-Seal-Region", v);
        snprintf(v, sizeof(v), "%.3f", info.threshold);
        http_set_header(resp, "X-Seal-Threshold", v);
        snprintf(v, sizeof(v), "%.1f", info.size_mm);
        http_set_header(resp, "X-Seal-Size-Mm", v);
        snprintf(v, sizeof(v), "%ux%u", ext.w, ext.h);
        http_set_header(resp, "X-Seal-Pixels", v);
        if (ext.rendering) http_set_header(resp, "X-Seal-Rendering", "1");
        /* what the perspective correction did: box (the specimen frame rectified), round
         * (the outline made a circle), none */
        snprintf(v, sizeof(v), "%s%s%s", info.deskew & SEAL_DESKEWED_BOX ? "box" : "",
                 info.deskew == (SEAL_DESKEWED_BOX | SEAL_DESKEWED_ELLIPSE) ? "," : "",
                 info.deskew & SEAL_DESKEWED_ELLIPSE ? "round"
                 : info.deskew                       ? ""
                                                     : "none");
        http_set_header(resp, "X-Seal-Deskew", v);
        if (info.axis_ratio > 0) {
            snprintf(v, sizeof(v), "%.3f", info.axis_ratio);
            http_set_header(resp, "X-Seal-Axis-Ratio", v);
        }
        snprintf(v, sizeof(v), "%u", info.lines);
        http_set_header(resp, "X-Seal-Lines-Removed", v);
    }
    seal_img_free(&src);
    seal_img_free(&ext);
    seal_img_free(&prev);
}
