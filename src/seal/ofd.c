/* ofd.c - verify the seal signatures of an OFD package (GB/T 33190 §18): the zip (libzip), the
 * Signatures.xml / Signature.xml (libxml2), each referenced file's digest, and the SignedValue. */
/* report texts are cut to their buffers on purpose: a long certificate name must not fail a
 * verification */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "seal/seal.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#define OFD_MAX_XML  (4u * 1024 * 1024)
#define OFD_MAX_REFS 4096
#define OFD_PATH_MAX 512

/* Read one entry (name without a leading '/') into out, at most max bytes. */
static int entry_read(zip_t *z, const char *name, size_t max, sc_buf *out, sc_err *e)
{
    while (*name == '/')
        name++;
    zip_int64_t i = zip_name_locate(z, name, 0);
    if (i < 0) return sc_fail(e, SC_ENOTFOUND, "ofd.missing", "the package has no %s", name);
    zip_stat_t st;
    if (zip_stat_index(z, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
        return sc_fail(e, SC_EINVAL, "ofd.corrupt", "cannot stat %s", name);
    if (st.size > max)
        return sc_fail(e, SC_ETOOBIG, "ofd.too_big", "%s is larger than %zu bytes", name, max);
    zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
    if (f == NULL)
        return sc_fail(e, SC_EINVAL, "ofd.corrupt", "cannot open %s: %s", name, zip_strerror(z));
    int rc = sc_buf_reserve(out, (size_t)st.size + 1);
    if (rc == 0) {
        zip_int64_t n = zip_fread(f, out->p, st.size);
        /* a further read must give 0: the entry is no longer than it said (and the CRC is
         * checked by libzip at the end of the entry) */
        uint8_t extra;
        zip_int64_t m = n == (zip_int64_t)st.size ? zip_fread(f, &extra, 1) : -1;
        if (n != (zip_int64_t)st.size || m != 0)
            rc = sc_fail(e, SC_EINVAL, "ofd.corrupt", "%s is damaged (%s)", name,
                         zip_file_strerror(f));
        else
            out->len = (size_t)n;
    } else {
        rc = sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    zip_fclose(f);
    return rc;
}

static xmlDocPtr xml_parse(const sc_buf *b, const char *name, sc_err *e)
{
    if (b->len > OFD_MAX_XML) {
        sc_fail(e, SC_ETOOBIG, "ofd.too_big", "%s is larger than %u bytes", name, OFD_MAX_XML);
        return NULL;
    }
    /* no network, no entity expansion, no DTD loading */
    xmlDocPtr d = xmlReadMemory((const char *)b->p, (int)b->len, name, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (d == NULL) sc_fail(e, SC_EINVAL, "ofd.bad_xml", "%s is not well-formed XML", name);
    return d;
}

static int is(const xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)local) == 0;
}

/* First descendant element with this local name (depth-first). */
static xmlNode *find(xmlNode *n, const char *local)
{
    for (; n != NULL; n = n->next) {
        if (is(n, local)) return n;
        xmlNode *c = find(n->children, local);
        if (c) return c;
    }
    return NULL;
}

static void text_of(xmlNode *n, char *out, size_t sz)
{
    xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
    snprintf(out, sz, "%s", t ? (const char *)t : "");
    xmlFree(t);
    /* trim */
    size_t l = strlen(out);
    while (l > 0 &&
           (out[l - 1] == ' ' || out[l - 1] == '\n' || out[l - 1] == '\r' || out[l - 1] == '\t'))
        out[--l] = 0;
    size_t s = strspn(out, " \t\r\n");
    if (s) memmove(out, out + s, strlen(out + s) + 1);
}

static void attr_of(xmlNode *n, const char *name, char *out, size_t sz)
{
    xmlChar *t = xmlGetProp(n, (const xmlChar *)name);
    snprintf(out, sz, "%s", t ? (const char *)t : "");
    xmlFree(t);
}

/* Resolve loc against the directory of base (an entry name); absolute locs start with '/'. */
static int resolve(const char *base, const char *loc, char *out, size_t sz)
{
    if (loc[0] == 0) return -1;
    int n;
    if (loc[0] == '/') {
        n = snprintf(out, sz, "%s", loc + 1);
    } else {
        const char *sl = strrchr(base, '/');
        n = snprintf(out, sz, "%.*s%s", sl ? (int)(sl - base + 1) : 0, base, loc);
    }
    if (n < 0 || (size_t)n >= sz || strstr(out, "..") != NULL) return -1;
    return 0;
}

static long b64dec(const char *in, uint8_t *out, size_t cap)
{
    size_t l = strlen(in);
    if (l == 0 || l % 4 != 0 || l / 4 * 3 > cap) return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)l);
    if (n < 0) return -1;
    if (in[l - 1] == '=') n--;
    if (in[l - 2] == '=') n--;
    return n;
}

/* The digest a CheckMethod names: SM3 (the default and what everyone writes) or SHA-256. */
static int check_digest(const char *method, const sc_buf *data, uint8_t out[32])
{
    if (method[0] == 0 || strcmp(method, "SM3") == 0 || strcmp(method, "sm3") == 0 ||
        strcmp(method, "1.2.156.10197.1.401") == 0) {
        crypto_sm3(data->p, data->len, out);
        return 0;
    }
    if (strcmp(method, "SHA256") == 0 || strcmp(method, "SHA-256") == 0 ||
        strcmp(method, "2.16.840.1.101.3.4.2.1") == 0) {
        crypto_sha256(data->p, data->len, out);
        return 0;
    }
    return -1;
}

/* One Signature.xml: its references, then its SignedValue. */
static int verify_one(seal_verifier *v, zip_t *z, const char *sigpath, seal_report *rep, sc_err *e)
{
    sc_buf xml = {0}, sv = {0};
    xmlDocPtr doc = NULL;
    char method[64], svloc[OFD_PATH_MAX], svpath[OFD_PATH_MAX], fref[OFD_PATH_MAX],
        fpath[OFD_PATH_MAX], cv[200];
    int rc = entry_read(z, sigpath, OFD_MAX_XML, &xml, e);
    if (rc == 0 && (doc = xml_parse(&xml, sigpath, e)) == NULL) rc = SC_EINVAL;
    if (rc != 0) goto out;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *refs = root ? find(root, "References") : NULL;
    xmlNode *svn = root ? find(root, "SignedValue") : NULL;
    if (root == NULL || !is(root, "Signature") || svn == NULL) {
        rc = sc_fail(e, SC_EINVAL, "ofd.bad_signature_xml",
                     "%s is not an OFD Signature (no SignedValue)", sigpath);
        goto out;
    }
    text_of(svn, svloc, sizeof(svloc));
    if (resolve(sigpath, svloc, svpath, sizeof(svpath)) != 0) {
        rc = sc_fail(e, SC_EINVAL, "ofd.bad_signature_xml", "bad SignedValue location '%s'", svloc);
        goto out;
    }
    /* the signature itself: dataHash = SM3(Signature.xml) */
    if ((rc = entry_read(z, svpath, SEAL_MAX, &sv, e)) != 0) goto out;
    uint8_t h[32];
    crypto_sm3(xml.p, xml.len, h);
    rc = seal_verify_hash(v, sv.p, sv.len, h, rep, e);
    if (rc != 0 && rc != SC_EVERIFY) goto out;
    rc = 0;
    /* propertyInfo names the Signature.xml it covers */
    char want[OFD_PATH_MAX + 2];
    snprintf(want, sizeof(want), "/%s", sigpath);
    if (rep->is_signature && rep->n > 0 && rep->checks[0].status == SEAL_CHECK_PASS) {
        int ok = strcmp(rep->property, want) == 0 || strcmp(rep->property, sigpath) == 0;
        seal_report_add(rep, "ofd.property", "签章原文位置", "signed file location",
                        ok ? SEAL_CHECK_PASS : SEAL_CHECK_FAIL, ok ? NULL : "ofd.property_mismatch",
                        ok ? "propertyInfo names %s" : "propertyInfo does not name %s", want);
    }
    /* every Reference's CheckValue */
    if (refs == NULL) {
        seal_report_add(rep, "ofd.references", "文件摘要", "referenced file digests",
                        SEAL_CHECK_FAIL, "ofd.no_references", "%s has no References", sigpath);
        goto out;
    }
    attr_of(refs, "CheckMethod", method, sizeof(method));
    int nref = 0, bad = 0;
    char badwhy[300] = "";
    for (xmlNode *r = refs->children; r != NULL; r = r->next) {
        if (!is(r, "Reference")) continue;
        if (++nref > OFD_MAX_REFS) {
            bad = 1;
            snprintf(badwhy, sizeof(badwhy), "more than %d references", OFD_MAX_REFS);
            break;
        }
        attr_of(r, "FileRef", fref, sizeof(fref));
        xmlNode *c = find(r->children, "CheckValue");
        text_of(c, cv, sizeof(cv));
        uint8_t want_d[64], got[32];
        long wl = b64dec(cv, want_d, sizeof(want_d));
        sc_buf data = {0};
        sc_err fe = {0};
        if (resolve(sigpath, fref, fpath, sizeof(fpath)) != 0) {
            snprintf(badwhy, sizeof(badwhy), "bad FileRef '%.200s'", fref);
        } else if (entry_read(z, fpath, OFD_MAX_ENTRY, &data, &fe) != 0) {
            snprintf(badwhy, sizeof(badwhy), "%.250s", fe.msg);
        } else if (check_digest(method, &data, got) != 0) {
            snprintf(badwhy, sizeof(badwhy), "unsupported CheckMethod '%s'", method);
        } else if (wl != 32 || memcmp(got, want_d, 32) != 0) {
            snprintf(badwhy, sizeof(badwhy),
                     "the digest of /%.200s does not match its CheckValue "
                     "(文件被篡改)",
                     fpath);
        } else {
            sc_buf_free(&data);
            continue;
        }
        sc_buf_free(&data);
        bad = 1;
        break;
    }
    if (bad)
        seal_report_add(rep, "ofd.references", "文件摘要", "referenced file digests",
                        SEAL_CHECK_FAIL, "ofd.digest_mismatch", "%s", badwhy);
    else if (nref == 0)
        seal_report_add(rep, "ofd.references", "文件摘要", "referenced file digests",
                        SEAL_CHECK_FAIL, "ofd.no_references", "%s protects no file", sigpath);
    else
        seal_report_add(rep, "ofd.references", "文件摘要", "referenced file digests",
                        SEAL_CHECK_PASS, NULL, "%d file digest(s) match (%s)", nref,
                        method[0] ? method : "SM3");
out:
    xmlFreeDoc(doc);
    sc_buf_free(&xml);
    sc_buf_free(&sv);
    return rc;
}

int seal_verify_ofd(seal_verifier *v, const char *path, seal_report *reps, int *n, sc_err *e)
{
    *n = 0;
    struct stat sb;
    if (stat(path, &sb) != 0) return sc_fail(e, SC_EIO, "io.read", "cannot read %s", path);
    if ((uint64_t)sb.st_size > OFD_MAX_FILE)
        return sc_fail(e, SC_ETOOBIG, "ofd.too_big", "%s is larger than %u bytes", path,
                       OFD_MAX_FILE);
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
    if (z == NULL) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        int rc = sc_fail(e, SC_EINVAL, "ofd.not_zip", "%s is not a valid OFD (zip) package: %s",
                         path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return rc;
    }
    sc_buf ofd = {0}, sx = {0};
    xmlDocPtr od = NULL, sd = NULL;
    char loc[OFD_PATH_MAX], sigs[OFD_PATH_MAX], sp[OFD_PATH_MAX];
    int rc = entry_read(z, "OFD.xml", OFD_MAX_XML, &ofd, e);
    if (rc == 0 && (od = xml_parse(&ofd, "OFD.xml", e)) == NULL) rc = SC_EINVAL;
    if (rc != 0) goto out;
    /* OFD.xml: DocBody/Signatures names the signature list (one per document) */
    xmlNode *sn = find(xmlDocGetRootElement(od), "Signatures");
    if (sn == NULL) {
        rc = sc_fail(e, SC_EINVAL, "ofd.unsigned", "%s has no signatures", path);
        goto out;
    }
    text_of(sn, loc, sizeof(loc));
    if (resolve("OFD.xml", loc, sigs, sizeof(sigs)) != 0 ||
        (rc = entry_read(z, sigs, OFD_MAX_XML, &sx, e)) != 0 ||
        (sd = xml_parse(&sx, sigs, e)) == NULL) {
        if (rc == 0) rc = sc_fail(e, SC_EINVAL, "ofd.bad_signatures", "bad Signatures location");
        goto out;
    }
    int any_fail = 0;
    for (xmlNode *s = xmlDocGetRootElement(sd)->children; s != NULL; s = s->next) {
        if (!is(s, "Signature")) continue;
        if (*n >= OFD_MAX_SIGS) {
            rc = sc_fail(e, SC_ETOOBIG, "ofd.too_many", "more than %d signatures", OFD_MAX_SIGS);
            goto out;
        }
        char bl[OFD_PATH_MAX];
        attr_of(s, "BaseLoc", bl, sizeof(bl));
        if (resolve(sigs, bl, sp, sizeof(sp)) != 0) {
            rc = sc_fail(e, SC_EINVAL, "ofd.bad_signatures", "bad Signature BaseLoc '%s'", bl);
            goto out;
        }
        seal_report *rep = &reps[*n];
        sc_err se = {0};
        int r1 = verify_one(v, z, sp, rep, &se);
        if (r1 != 0) {
            memset(rep, 0, sizeof(*rep));
            rep->policy = seal_verifier_get_policy(v);
            rep->is_signature = 1;
            seal_report_add(rep, "ofd.signature", "OFD 签名结构", "OFD signature entry",
                            SEAL_CHECK_FAIL, se.code, "%s", se.msg);
        }
        if (rep->failed || rep->skipped) any_fail = 1;
        (*n)++;
    }
    if (*n == 0) {
        rc = sc_fail(e, SC_EINVAL, "ofd.unsigned", "%s lists no signature", sigs);
        goto out;
    }
    rc = any_fail ? SC_EVERIFY : 0;
out:
    xmlFreeDoc(od);
    xmlFreeDoc(sd);
    sc_buf_free(&ofd);
    sc_buf_free(&sx);
    zip_discard(z);
    return rc;
}
