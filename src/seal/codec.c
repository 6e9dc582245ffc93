/* codec.c - SESeal and SES_Signature: strict DER writing, tolerant reading (guomi-notes §5). */
/* report texts are cut to their buffers on purpose: a long certificate name must not fail a
 * verification */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "seal/seal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pki/der.h"

/* ---- reading helpers ---- */

#define BAD(code, ...) sc_fail(e, SC_EINVAL, code, __VA_ARGS__)

static int small_int(const der_tlv *t, int64_t *out)
{
    if (t->tag != DER_INTEGER || t->len == 0 || t->len > 7 || (t->val[0] & 0x80)) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < t->len; i++)
        v = (v << 8) | t->val[i];
    *out = v;
    return 0;
}

/* A string value: IA5String as the standard says, or another string type some producers use. */
static int str_copy(const der_tlv *t, char *out, size_t outsz)
{
    if (t->tag != DER_IA5STRING && t->tag != DER_UTF8STRING && t->tag != DER_PRINTABLESTRING &&
        t->tag != 0x1e /* BMPString: refused below */)
        return -1;
    if (t->tag == 0x1e || t->len >= outsz || memchr(t->val, 0, t->len) != NULL) return -1;
    memcpy(out, t->val, t->len);
    out[t->len] = 0;
    return 0;
}

/* BIT STRING contents without the unused-bits byte (which must be 0). */
static int bits(const der_tlv *t, sc_slice *out)
{
    if (t->tag != DER_BITSTRING || t->len < 1 || t->val[0] != 0) return -1;
    out->p = t->val + 1;
    out->len = t->len - 1;
    return 0;
}

static int any_time(const der_tlv *t, int64_t *out)
{
    if (t->tag != DER_UTCTIME && t->tag != DER_GENERALIZEDTIME) return -1;
    return der_time_parse(t->tag, t->val, t->len, out);
}

/* v1 timeInfo: a BIT STRING holding the time as text ("YYYYMMDDHHMMSSZ", without Z, or
 * "YYMMDDHHMMSSZ") or as a DER UTCTime/GeneralizedTime - producers differ. */
static int time_in_bits(sc_slice b, int64_t *out)
{
    if (b.len >= 2 && (b.p[0] == DER_UTCTIME || b.p[0] == DER_GENERALIZEDTIME)) {
        der_r r = der_reader(b.p, b.len);
        der_tlv t;
        if (der_next(&r, &t) == 0 && der_at_end(&r)) return any_time(&t, out);
        return -1;
    }
    uint8_t z[16];
    if (b.len == 14) {
        memcpy(z, b.p, 14);
        z[14] = 'Z';
        return der_time_parse(DER_GENERALIZEDTIME, z, 15, out);
    }
    if (b.len == 15) return der_time_parse(DER_GENERALIZEDTIME, b.p, 15, out);
    if (b.len == 13) return der_time_parse(DER_UTCTIME, b.p, 13, out);
    return -1;
}

/* signatureAlgorithm: a bare OID (the standard) or an AlgorithmIdentifier (some producers). */
static int sigalg_ok(const der_tlv *t)
{
    if (t->tag == DER_OID) {
        char s[64];
        return der_oid_text(t->val, t->len, s, sizeof(s)) == 0 && strcmp(s, SEAL_OID_SM2SM3) == 0
                   ? 0
                   : -1;
    }
    sc_alg a;
    if (t->tag == DER_SEQUENCE && crypto_sigalg_parse(t->raw, t->rawlen, &a, NULL) == 0 &&
        a == SC_ALG_SM2)
        return 0;
    return -1;
}

static sc_slice raw_of(const der_tlv *t)
{
    sc_slice s = {t->raw, t->rawlen};
    return s;
}

static int parse_header(der_r *in, seal *s, sc_err *e)
{
    der_tlv h, id, ver, vid;
    int64_t v;
    if (der_expect(in, DER_SEQUENCE, &h) != 0)
        return BAD("seal.bad_header", "SES_Header is missing or not a SEQUENCE");
    der_r r = der_inner(&h);
    if (der_next(&r, &id) != 0 || str_copy(&id, s->vid, sizeof(s->vid)) != 0 ||
        strcmp(s->vid, "ES") != 0)
        return BAD("seal.bad_header", "SES_Header.ID is not \"ES\"");
    if (der_next(&r, &ver) != 0 || small_int(&ver, &v) != 0 || v < 1 || v > 255)
        return BAD("seal.bad_header", "SES_Header.version is not a small INTEGER");
    s->version = (int)v;
    if (der_next(&r, &vid) != 0 || str_copy(&vid, s->vid, sizeof(s->vid)) != 0 || !der_at_end(&r))
        return BAD("seal.bad_header", "SES_Header.Vid is missing or malformed");
    return 0;
}

static int parse_certlist(const der_tlv *cl, seal *s, sc_err *e)
{
    if (cl->tag != DER_SEQUENCE) return BAD("seal.bad_certlist", "certList is not a SEQUENCE");
    der_r r = der_inner(cl);
    s->ncerts = 0;
    while (!der_at_end(&r)) {
        der_tlv c;
        if (der_next(&r, &c) != 0) return BAD("seal.bad_certlist", "certList entry malformed");
        if (s->ncerts >= SEAL_MAX_CERTS)
            return BAD("seal.bad_certlist", "certList has more than %d entries", SEAL_MAX_CERTS);
        if (c.tag == DER_OCTETSTRING && s->certlist_type != 2) {
            s->certs[s->ncerts].p = c.val;
            s->certs[s->ncerts].len = c.len;
        } else if (c.tag == DER_SEQUENCE && s->certlist_type == 2) {
            /* CertDigestObj { type PrintableString, value OCTET STRING } */
            der_r d = der_inner(&c);
            der_tlv ty, va;
            if (der_next(&d, &ty) != 0 ||
                str_copy(&ty, s->digest_alg[s->ncerts], sizeof(s->digest_alg[0])) != 0 ||
                der_expect(&d, DER_OCTETSTRING, &va) != 0 || !der_at_end(&d))
                return BAD("seal.bad_certlist", "CertDigestObj malformed");
            s->certs[s->ncerts].p = va.val;
            s->certs[s->ncerts].len = va.len;
        } else {
            return BAD("seal.bad_certlist", "certList entry has the wrong type for certListType %d",
                       s->certlist_type);
        }
        if (s->certs[s->ncerts].len == 0)
            return BAD("seal.bad_certlist", "certList entry %d is empty", s->ncerts + 1);
        s->ncerts++;
    }
    if (s->ncerts == 0) return BAD("seal.bad_certlist", "certList is empty");
    return 0;
}

static int parse_property(der_r *in, seal *s, sc_err *e)
{
    der_tlv p, ty, nm, x, cl, t1, t2, t3;
    int64_t v;
    if (der_expect(in, DER_SEQUENCE, &p) != 0)
        return BAD("seal.bad_property", "SES_ESPropertyInfo is missing");
    der_r r = der_inner(&p);
    if (der_next(&r, &ty) != 0 || small_int(&ty, &v) != 0 || v > 100)
        return BAD("seal.bad_property", "the seal type is not a small INTEGER");
    s->type = (int)v;
    if (der_next(&r, &nm) != 0 || str_copy(&nm, s->name, sizeof(s->name)) != 0)
        return BAD("seal.bad_property", "the seal name is missing, too long or not a string");
    if (der_next(&r, &x) != 0) return BAD("seal.bad_property", "certList is missing");
    s->certlist_type = 1;
    if (x.tag == DER_INTEGER) {
        /* GB/T 38540: certListType, then the list */
        if (small_int(&x, &v) != 0 || (v != 1 && v != 2))
            return BAD("seal.bad_property", "certListType is neither 1 nor 2");
        s->certlist_type = (int)v;
        if (der_next(&r, &cl) != 0) return BAD("seal.bad_property", "certList is missing");
    } else {
        cl = x;
    }
    int rc = parse_certlist(&cl, s, e);
    if (rc != 0) return rc;
    if (der_next(&r, &t1) != 0 || any_time(&t1, &s->created) != 0 || der_next(&r, &t2) != 0 ||
        any_time(&t2, &s->valid_from) != 0 || der_next(&r, &t3) != 0 ||
        any_time(&t3, &s->valid_to) != 0)
        return BAD("seal.bad_property", "createDate / validStart / validEnd missing or malformed");
    if (!der_at_end(&r)) return BAD("seal.bad_property", "trailing data in SES_ESPropertyInfo");
    return 0;
}

static int parse_picture(der_r *in, seal *s, sc_err *e)
{
    der_tlv p, ty, d, w, h;
    if (der_expect(in, DER_SEQUENCE, &p) != 0)
        return BAD("seal.bad_picture", "SES_ESPictrueInfo is missing");
    der_r r = der_inner(&p);
    if (der_next(&r, &ty) != 0 || str_copy(&ty, s->pic_type, sizeof(s->pic_type)) != 0)
        return BAD("seal.bad_picture", "the picture type is missing or too long");
    if (der_expect(&r, DER_OCTETSTRING, &d) != 0 || d.len == 0)
        return BAD("seal.bad_picture", "the picture data is missing");
    if (d.len > SEAL_MAX_IMAGE)
        return sc_fail(e, SC_ETOOBIG, "seal.picture_too_big", "the picture is larger than %u bytes",
                       SEAL_MAX_IMAGE);
    s->picture.p = d.val;
    s->picture.len = d.len;
    if (der_next(&r, &w) != 0 || small_int(&w, &s->pic_width) != 0 || der_next(&r, &h) != 0 ||
        small_int(&h, &s->pic_height) != 0 || !der_at_end(&r))
        return BAD("seal.bad_picture", "the picture width / height are missing or malformed");
    if (s->pic_width > 1000 || s->pic_height > 1000)
        return BAD("seal.bad_picture", "the picture is larger than a metre");
    return 0;
}

static int parse_sealinfo(const der_tlv *si, seal *s, sc_err *e)
{
    der_r r = der_inner(si);
    der_tlv id;
    int rc;
    if ((rc = parse_header(&r, s, e)) != 0) return rc;
    if (der_next(&r, &id) != 0 || str_copy(&id, s->esid, sizeof(s->esid)) != 0 || id.len == 0)
        return BAD("seal.bad_esid", "esID is missing, empty or too long");
    if ((rc = parse_property(&r, s, e)) != 0 || (rc = parse_picture(&r, s, e)) != 0) return rc;
    if (!der_at_end(&r)) {
        der_tlv x;
        /* extDatas: untagged (GM/T 0031) or [0] (some GB/T 38540 producers) */
        if (der_next(&r, &x) != 0 || (x.tag != DER_SEQUENCE && x.tag != DER_CTX_CONS(0)))
            return BAD("seal.bad_ext", "unexpected data after the picture");
        s->ext = raw_of(&x);
    }
    if (!der_at_end(&r)) return BAD("seal.bad_ext", "trailing data in SES_SealInfo");
    s->sealinfo = raw_of(si);
    return 0;
}

int seal_decode(const uint8_t *der, size_t len, seal *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (len > SEAL_MAX)
        return sc_fail(e, SC_ETOOBIG, "seal.too_big", "the seal is larger than %u bytes", SEAL_MAX);
    der_r r = der_reader(der, len);
    der_tlv top, si, x, alg, sig;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0)
        return BAD("seal.malformed", "not a DER SEQUENCE (truncated or not a seal)");
    if (!der_at_end(&r)) return BAD("seal.trailing", "trailing bytes after the seal");
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_SEQUENCE, &si) != 0)
        return BAD("seal.malformed", "SES_SealInfo is missing");
    int rc = parse_sealinfo(&si, out, e);
    if (rc != 0) return rc;
    if (der_next(&in, &x) != 0)
        return BAD("seal.no_signinfo", "the seal maker's signature is missing");
    der_r sr;
    der_r *sp = &in;
    if (x.tag == DER_SEQUENCE) {
        /* GM/T 0031: SES_SignInfo { cert, signatureAlgorithm, signData } */
        out->layout = SEAL_LAYOUT_V1;
        sr = der_inner(&x);
        sp = &sr;
        der_tlv c;
        if (der_expect(sp, DER_OCTETSTRING, &c) != 0)
            return BAD("seal.no_signinfo", "SES_SignInfo.cert is missing");
        x = c;
    } else if (x.tag == DER_OCTETSTRING) {
        out->layout = SEAL_LAYOUT_V4;
    } else {
        return BAD("seal.no_signinfo", "neither SES_SignInfo nor the maker's certificate follows");
    }
    if (x.len == 0) return BAD("seal.no_signinfo", "the seal maker's certificate is empty");
    out->maker_cert.p = x.val;
    out->maker_cert.len = x.len;
    if (der_next(sp, &alg) != 0 || sigalg_ok(&alg) != 0)
        return BAD("seal.bad_alg", "the seal's signature algorithm is not sm2-with-sm3");
    out->sigalg = raw_of(&alg);
    if (der_next(sp, &sig) != 0 || bits(&sig, &out->signed_value) != 0 ||
        out->signed_value.len == 0)
        return BAD("seal.bad_signature_value", "the seal's signature value is missing");
    if (!der_at_end(sp) || !der_at_end(&in)) return BAD("seal.trailing", "trailing data in SESeal");
    if (out->layout == SEAL_LAYOUT_V1 && out->certlist_type != 1)
        return BAD("seal.inconsistent", "a GM/T 0031 seal with a GB/T 38540 certList");
    out->raw = raw_of(&top);
    return 0;
}

int seal_maker_tbs(const seal *s, sc_buf *out, sc_err *e)
{
    if (s->layout == SEAL_LAYOUT_V4) {
        if (sc_buf_append(out, s->sealinfo.p, s->sealinfo.len) != 0)
            return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        return 0;
    }
    der_w w = {0};
    der_begin(&w, DER_SEQUENCE);
    der_raw(&w, s->sealinfo.p, s->sealinfo.len);
    der_prim(&w, DER_OCTETSTRING, s->maker_cert.p, s->maker_cert.len);
    der_raw(&w, s->sigalg.p, s->sigalg.len);
    der_end(&w);
    int rc = der_finish(&w);
    if (rc == 0) rc = sc_buf_append(out, w.b.p, w.b.len);
    der_free(&w);
    return rc ? sc_fail(e, SC_ENOMEM, "oom", "out of memory") : 0;
}

int seal_is_signature(const uint8_t *der, size_t len)
{
    der_r r = der_reader(der, len);
    der_tlv top, first;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0) return 0;
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_SEQUENCE, &first) != 0) return 0;
    der_r f = der_inner(&first);
    return der_peek(&f) == DER_INTEGER; /* TBS_Sign starts with version; SES_SealInfo with header */
}

int seal_sig_decode(const uint8_t *der, size_t len, seal_sig *out, sc_err *e)
{
    memset(out, 0, sizeof(*out));
    if (len > SEAL_MAX)
        return sc_fail(e, SC_ETOOBIG, "sig.too_big", "the signature is larger than %u bytes",
                       SEAL_MAX);
    der_r r = der_reader(der, len);
    der_tlv top, tbs, ver, es, ti, dh, pi, x, alg, sig;
    int64_t v;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0)
        return BAD("sig.malformed", "not a DER SEQUENCE (truncated or not a signature)");
    if (!der_at_end(&r)) return BAD("sig.trailing", "trailing bytes after the signature");
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_SEQUENCE, &tbs) != 0)
        return BAD("sig.malformed", "TBS_Sign is missing");
    der_r t = der_inner(&tbs);
    if (der_next(&t, &ver) != 0 || small_int(&ver, &v) != 0 || v < 1 || v > 255)
        return BAD("sig.bad_version", "TBS_Sign.version is not a small INTEGER");
    out->version = (int)v;
    if (der_expect(&t, DER_SEQUENCE, &es) != 0)
        return BAD("sig.no_seal", "TBS_Sign.eseal is missing");
    int rc = seal_decode(es.raw, es.rawlen, &out->eseal, e);
    if (rc != 0) return rc;
    if (der_next(&t, &ti) != 0) return BAD("sig.bad_time", "timeInfo is missing");
    sc_slice tb;
    if (ti.tag == DER_BITSTRING) {
        if (bits(&ti, &tb) != 0 || time_in_bits(tb, &out->time) != 0)
            return BAD("sig.bad_time", "timeInfo is not a time");
    } else if (any_time(&ti, &out->time) != 0) {
        return BAD("sig.bad_time", "timeInfo is not a time");
    }
    if (der_next(&t, &dh) != 0) return BAD("sig.bad_hash", "dataHash is missing");
    if (dh.tag == DER_BITSTRING) {
        if (bits(&dh, &out->hash) != 0) return BAD("sig.bad_hash", "dataHash is malformed");
    } else if (dh.tag == DER_OCTETSTRING) {
        out->hash.p = dh.val;
        out->hash.len = dh.len;
    } else {
        return BAD("sig.bad_hash", "dataHash is not a BIT STRING");
    }
    if (out->hash.len == 0 || out->hash.len > 64)
        return BAD("sig.bad_hash", "dataHash has %zu bytes", out->hash.len);
    if (der_next(&t, &pi) != 0 || str_copy(&pi, out->property, sizeof(out->property)) != 0)
        return BAD("sig.bad_property", "propertyInfo is missing, too long or not a string");
    if (der_next(&in, &x) != 0) return BAD("sig.no_signature", "the signature value is missing");
    if (x.tag == DER_BITSTRING) {
        /* GM/T 0031: TBS_Sign carries cert and algorithm; the signature follows */
        out->layout = SEAL_LAYOUT_V1;
        der_tlv c;
        if (der_expect(&t, DER_OCTETSTRING, &c) != 0 || c.len == 0)
            return BAD("sig.no_cert", "TBS_Sign.cert is missing");
        out->signer_cert.p = c.val;
        out->signer_cert.len = c.len;
        if (der_next(&t, &alg) != 0 || sigalg_ok(&alg) != 0)
            return BAD("sig.bad_alg", "the signature algorithm is not sm2-with-sm3");
        out->sigalg = raw_of(&alg);
        if (!der_at_end(&t)) return BAD("sig.trailing", "trailing data in TBS_Sign");
        sig = x;
    } else if (x.tag == DER_OCTETSTRING) {
        out->layout = SEAL_LAYOUT_V4;
        if (!der_at_end(&t)) {
            der_tlv ext;
            if (der_next(&t, &ext) != 0 ||
                (ext.tag != DER_CTX_CONS(0) && ext.tag != DER_SEQUENCE) || !der_at_end(&t))
                return BAD("sig.bad_ext", "unexpected data after propertyInfo");
            out->ext = raw_of(&ext);
        }
        if (x.len == 0) return BAD("sig.no_cert", "the signer's certificate is empty");
        out->signer_cert.p = x.val;
        out->signer_cert.len = x.len;
        if (der_next(&in, &alg) != 0 || sigalg_ok(&alg) != 0)
            return BAD("sig.bad_alg", "the signature algorithm is not sm2-with-sm3");
        out->sigalg = raw_of(&alg);
        if (der_next(&in, &sig) != 0) return BAD("sig.no_signature", "the signature is missing");
    } else {
        return BAD("sig.malformed", "unexpected %02x after TBS_Sign", x.tag);
    }
    if (bits(&sig, &out->signature) != 0 || out->signature.len == 0)
        return BAD("sig.no_signature", "the signature value is not a BIT STRING");
    if (out->layout == SEAL_LAYOUT_V4 && !der_at_end(&in)) {
        der_tlv ts;
        /* timeStamp: [0] EXPLICIT BIT STRING, or an untagged BIT STRING */
        if (der_next(&in, &ts) != 0) return BAD("sig.bad_timestamp", "timeStamp is malformed");
        if (ts.tag == DER_CTX_CONS(0)) {
            der_r tr = der_inner(&ts);
            der_tlv b;
            if (der_next(&tr, &b) != 0 || !der_at_end(&tr) || bits(&b, &out->timestamp) != 0)
                return BAD("sig.bad_timestamp", "timeStamp [0] does not hold a BIT STRING");
        } else if (bits(&ts, &out->timestamp) != 0) {
            return BAD("sig.bad_timestamp", "timeStamp is not a BIT STRING");
        }
    }
    if (!der_at_end(&in)) return BAD("sig.trailing", "trailing data in SES_Signature");
    out->tbs = raw_of(&tbs);
    out->raw = raw_of(&top);
    return 0;
}

int seal_tbs_check(const uint8_t *msg, size_t len, sc_err *e)
{
    /* v4: the SES_SealInfo itself; v1: SEQUENCE { SES_SealInfo, cert OCTET STRING, alg } */
    seal s;
    memset(&s, 0, sizeof(s));
    der_r r = der_reader(msg, len);
    der_tlv top, si, c, a;
    if (len > SEAL_MAX || der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r))
        return BAD("keyproc.refused", "not a seal's to-be-signed data");
    /* v1 first: SEQUENCE { SES_SealInfo, OCTET STRING, alg } */
    der_r in = der_inner(&top);
    if (der_expect(&in, DER_SEQUENCE, &si) == 0 && parse_sealinfo(&si, &s, NULL) == 0 &&
        der_expect(&in, DER_OCTETSTRING, &c) == 0 && der_next(&in, &a) == 0 && sigalg_ok(&a) == 0 &&
        der_at_end(&in))
        return 0;
    memset(&s, 0, sizeof(s));
    if (parse_sealinfo(&top, &s, NULL) != 0)
        return BAD("keyproc.refused",
                   "neither GB/T 38540 SES_SealInfo nor GM/T 0031 seal TBS data");
    return 0;
}

/* ---- verifying an SM2 signature in either encoding ---- */

int seal_sm2_verify(sc_key *pub, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen,
                    sc_err *e)
{
    uint8_t rs[64];
    if (crypto_key_alg(pub) != SC_ALG_SM2)
        return sc_fail(e, SC_EVERIFY, "sig.not_sm2", "the certificate's key is not an SM2 key");
    if (crypto_sig_der_to_raw(sig, siglen, rs) == 0)
        return crypto_verify(pub, SC_ALG_SM2, msg, len, sig, siglen, e);
    if (siglen != 64)
        return sc_fail(e, SC_EVERIFY, "sig.bad_encoding",
                       "the signature is neither DER SM2Signature nor 64-byte r||s (%zu bytes)",
                       siglen);
    sc_buf d = {0};
    int rc = crypto_sig_raw_to_der(sig, &d);
    if (rc == 0)
        rc = crypto_verify(pub, SC_ALG_SM2, msg, len, d.p, d.len, e);
    else
        rc = sc_fail(e, SC_EVERIFY, "sig.bad_encoding", "r||s out of range");
    sc_buf_free(&d);
    return rc;
}

/* ---- writing ---- */

static void put_str(der_w *w, uint8_t tag, const char *s)
{
    der_prim(w, tag, s, strlen(s));
}

static int printable_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return 0;
    return 1;
}

int seal_encode(const seal_spec *sp, sc_key *maker_key, const uint8_t *maker_cert, size_t mclen,
                sc_buf *out, char *esid, sc_err *e)
{
    int layout = sp->layout ? sp->layout : SEAL_LAYOUT_V4;
    if (layout != SEAL_LAYOUT_V1 && layout != SEAL_LAYOUT_V4)
        return BAD("seal.bad_version", "seal version must be 1 (GM/T 0031) or 4 (GB/T 38540)");
    if (sp->name == NULL || sp->name[0] == 0 || strlen(sp->name) >= SEAL_MAX_STRING)
        return BAD("seal.bad_name", "the seal name is empty or too long");
    if (sp->type != SEAL_TYPE_ORGANIZATION && sp->type != SEAL_TYPE_PERSON)
        return BAD("seal.bad_type", "the seal type must be organization (1) or person (2)");
    if (sp->holder_cert == NULL || sp->holder_len == 0)
        return BAD("seal.no_cert", "the holder's signing certificate is required");
    if (sp->picture == NULL || sp->piclen == 0 || sp->piclen > SEAL_MAX_IMAGE)
        return BAD("seal.bad_picture", "the picture is missing or larger than %u bytes",
                   SEAL_MAX_IMAGE);
    if (sp->valid_to <= sp->valid_from)
        return BAD("seal.bad_validity", "the seal's validity ends before it starts");
    if (sp->pic_width <= 0 || sp->pic_width > 1000 || sp->pic_height <= 0 || sp->pic_height > 1000)
        return BAD("seal.bad_picture", "the picture size (mm) is out of range");
    const char *vid = sp->vid ? sp->vid : "sealca";
    char id[SEAL_MAX_STRING];
    if (sp->esid != NULL) {
        if (sp->esid[0] == 0 || strlen(sp->esid) >= 64 || !printable_ascii(sp->esid))
            return BAD("seal.bad_esid", "the seal id must be 1..63 printable ASCII characters");
        snprintf(id, sizeof(id), "%s", sp->esid);
    } else {
        uint8_t rnd[16];
        crypto_random(rnd, sizeof(rnd));
        sc_hex_encode(rnd, sizeof(rnd), id, 0);
    }
    if (!printable_ascii(vid) || strlen(vid) > 64)
        return BAD("seal.bad_vid", "the vendor id must be printable ASCII");

    der_w si = {0};
    der_begin(&si, DER_SEQUENCE); /* SES_SealInfo */
    der_begin(&si, DER_SEQUENCE); /* SES_Header */
    put_str(&si, DER_IA5STRING, "ES");
    der_int64(&si, layout == SEAL_LAYOUT_V4 ? 4 : 1);
    put_str(&si, DER_IA5STRING, vid);
    der_end(&si);
    put_str(&si, DER_IA5STRING, id);
    der_begin(&si, DER_SEQUENCE); /* SES_ESPropertyInfo */
    der_int64(&si, sp->type);
    put_str(&si, DER_UTF8STRING, sp->name);
    if (layout == SEAL_LAYOUT_V4) der_int64(&si, 1); /* certListType: certificates */
    der_begin(&si, DER_SEQUENCE);
    der_prim(&si, DER_OCTETSTRING, sp->holder_cert, sp->holder_len);
    der_end(&si);
    if (layout == SEAL_LAYOUT_V4) {
        der_gentime(&si, sp->created);
        der_gentime(&si, sp->valid_from);
        der_gentime(&si, sp->valid_to);
    } else {
        der_time(&si, sp->created);
        der_time(&si, sp->valid_from);
        der_time(&si, sp->valid_to);
    }
    der_end(&si);
    der_begin(&si, DER_SEQUENCE); /* SES_ESPictrueInfo */
    put_str(&si, DER_IA5STRING, sp->pic_type ? sp->pic_type : "PNG");
    der_prim(&si, DER_OCTETSTRING, sp->picture, sp->piclen);
    der_int64(&si, sp->pic_width);
    der_int64(&si, sp->pic_height);
    der_end(&si);
    der_end(&si);
    int rc = der_finish(&si);
    sc_buf tbs = {0}, sig = {0}, alg = {0};
    der_w w = {0};
    if (rc != 0) {
        rc = sc_fail(e, rc, "seal.encode", "cannot encode the seal");
        goto out;
    }
    /* the signature algorithm as a bare OID (GM/T 0031 / GB/T 38540) */
    der_w aw = {0};
    der_oid(&aw, SEAL_OID_SM2SM3);
    der_finish(&aw);
    sc_buf_append(&alg, aw.b.p, aw.b.len);
    der_free(&aw);
    if (layout == SEAL_LAYOUT_V4) {
        sc_buf_append(&tbs, si.b.p, si.b.len);
    } else {
        der_w tw = {0};
        der_begin(&tw, DER_SEQUENCE);
        der_raw(&tw, si.b.p, si.b.len);
        der_prim(&tw, DER_OCTETSTRING, maker_cert, mclen);
        der_raw(&tw, alg.p, alg.len);
        der_end(&tw);
        der_finish(&tw);
        sc_buf_append(&tbs, tw.b.p, tw.b.len);
        der_free(&tw);
    }
    if (tbs.oom || alg.oom) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    if ((rc = crypto_sign(maker_key, tbs.p, tbs.len, &sig, e)) != 0) goto out;
    der_begin(&w, DER_SEQUENCE);
    der_raw(&w, si.b.p, si.b.len);
    if (layout == SEAL_LAYOUT_V1) der_begin(&w, DER_SEQUENCE);
    der_prim(&w, DER_OCTETSTRING, maker_cert, mclen);
    der_raw(&w, alg.p, alg.len);
    der_bits(&w, sig.p, sig.len);
    if (layout == SEAL_LAYOUT_V1) der_end(&w);
    der_end(&w);
    if ((rc = der_finish(&w)) != 0 || (rc = sc_buf_append(out, w.b.p, w.b.len)) != 0) {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        goto out;
    }
    if (esid) memcpy(esid, id, strlen(id) + 1); /* < 64 bytes, checked above */
out:
    der_free(&si);
    der_free(&w);
    sc_buf_free(&tbs);
    sc_buf_free(&sig);
    sc_buf_free(&alg);
    return rc;
}

int seal_sign(const uint8_t *seal_der, size_t seal_len, sc_key *key, const uint8_t *cert,
              size_t certlen, const uint8_t hash[32], const char *property, int64_t when,
              const uint8_t *timestamp, size_t tslen, sc_buf *out, sc_err *e)
{
    seal s;
    int rc = seal_decode(seal_der, seal_len, &s, e);
    if (rc != 0) return rc;
    /* GM/T 0031 §6.2.2: the signer's certificate is the one the seal is bound to */
    int bound = 0;
    for (int i = 0; i < s.ncerts && !bound; i++) {
        if (s.certlist_type == 1)
            bound = s.certs[i].len == certlen && memcmp(s.certs[i].p, cert, certlen) == 0;
        else if (s.certs[i].len == 32) {
            uint8_t d[32];
            crypto_sm3(cert, certlen, d);
            bound = memcmp(d, s.certs[i].p, 32) == 0;
        }
    }
    if (!bound)
        return sc_fail(
            e, SC_EVERIFY, "seal.cert_not_bound",
            "签章证书不是印章绑定的证书 / the signing certificate is not the one the seal "
            "%s is bound to (a renewed or rekeyed certificate needs a new seal)",
            s.esid);
    if (when < s.valid_from || when > s.valid_to)
        return sc_fail(e, SC_ESTATE, "seal.not_valid",
                       "印章不在有效期内 / the seal %s is not valid at the signing time", s.esid);
    sc_key *pub = NULL;
    if ((rc = cert_pubkey(cert, certlen, &pub, e)) != 0) return rc;
    int match = crypto_key_equal_public(pub, key);
    crypto_key_free(pub);
    if (!match)
        return sc_fail(e, SC_EINVAL, "seal.key_mismatch",
                       "the signing key is not the key of the seal's certificate");
    if (property == NULL || strlen(property) >= SEAL_MAX_STRING || !printable_ascii(property))
        return BAD("sig.bad_property", "propertyInfo must be printable ASCII (IA5String)");
    int v4 = s.layout == SEAL_LAYOUT_V4;
    der_w tw = {0}, w = {0};
    sc_buf sig = {0};
    der_begin(&tw, DER_SEQUENCE); /* TBS_Sign */
    der_int64(&tw, v4 ? 4 : 1);
    der_raw(&tw, s.raw.p, s.raw.len);
    if (v4) {
        der_gentime(&tw, when);
    } else {
        der_w gw = {0};
        der_gentime(&gw, when);
        der_finish(&gw);
        der_bits(&tw, gw.b.p + 2, gw.b.len - 2); /* the text "YYYYMMDDHHMMSSZ" */
        der_free(&gw);
    }
    der_bits(&tw, hash, 32);
    put_str(&tw, DER_IA5STRING, property);
    if (!v4) {
        der_prim(&tw, DER_OCTETSTRING, cert, certlen);
        der_oid(&tw, SEAL_OID_SM2SM3);
    }
    der_end(&tw);
    if ((rc = der_finish(&tw)) != 0) {
        rc = sc_fail(e, rc, "sig.encode", "cannot encode TBS_Sign");
        goto out;
    }
    if ((rc = crypto_sign(key, tw.b.p, tw.b.len, &sig, e)) != 0) goto out;
    der_begin(&w, DER_SEQUENCE);
    der_raw(&w, tw.b.p, tw.b.len);
    if (v4) {
        der_prim(&w, DER_OCTETSTRING, cert, certlen);
        der_oid(&w, SEAL_OID_SM2SM3);
    }
    der_bits(&w, sig.p, sig.len);
    if (v4 && timestamp != NULL && tslen > 0) {
        der_begin(&w, DER_CTX_CONS(0));
        der_bits(&w, timestamp, tslen);
        der_end(&w);
    }
    der_end(&w);
    if ((rc = der_finish(&w)) != 0 || (rc = sc_buf_append(out, w.b.p, w.b.len)) != 0)
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
out:
    der_free(&tw);
    der_free(&w);
    sc_buf_free(&sig);
    return rc;
}
