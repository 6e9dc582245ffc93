/* cmd_seal.c - sealca seal make | sign | verify | verify-ofd | show | retire (GM/T 0031 seals). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "seal/seal.h"
#include "token/token.h"
#include "tsa/tsa.h"

#define CERT_FILE_MAX (1024 * 1024)
#define SIGN_DATA_MAX (512u * 1024 * 1024)

/* "YYYY-MM-DD" (00:00 Asia/Shanghai), "YYYY-MM-DDTHH:MM:SSZ" (UTC) or "@unix". */
static int parse_when(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    char z = 0;
    if (s[0] == '@') {
        char *end;
        long long v = strtoll(s + 1, &end, 10);
        if (*end) return -1;
        *out = v;
        return 0;
    }
    struct tm tm = {0};
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) == 7 && z == 'Z') {
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = se;
    } else if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) == 3) {
        tm.tm_hour = -8; /* midnight in Asia/Shanghai */
    } else {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    *out = (int64_t)timegm(&tm);
    return 0;
}

static int seal_make_cmd(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *image = NULL, *name = NULL, *type = NULL, *kind = NULL, *certf = NULL, *out = NULL,
               *vf = NULL, *vt = NULL, *replace = NULL, *business = "seal-change";
    int version = 4, width = 40, height = 40;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"image", required_argument, NULL, 'i'},
                                       {"name", required_argument, NULL, 'n'},
                                       {"type", required_argument, NULL, 't'},
                                       {"kind", required_argument, NULL, 'k'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"valid-from", required_argument, NULL, 'f'},
                                       {"valid-to", required_argument, NULL, 'T'},
                                       {"out", required_argument, NULL, 'o'},
                                       {"version", required_argument, NULL, 'v'},
                                       {"width", required_argument, NULL, 'w'},
                                       {"height", required_argument, NULL, 'h'},
                                       {"replace", required_argument, NULL, 'r'},
                                       {"business", required_argument, NULL, 'b'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'i':
            image = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 't':
            type = optarg;
            break;
        case 'k':
            kind = optarg;
            break;
        case 'c':
            certf = optarg;
            break;
        case 'f':
            vf = optarg;
            break;
        case 'T':
            vt = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'v':
            version = atoi(optarg);
            break;
        case 'w':
            width = atoi(optarg);
            break;
        case 'h':
            height = atoi(optarg);
            break;
        case 'r':
            replace = optarg;
            break;
        case 'b':
            business = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc || !image || !name || !type || !certf || !out)
        return cli_usage("seal make needs --image F.png --name NAME --type organization|person "
                         "--cert HOLDER.pem --out SEAL.esl");
    seal_make_req r = {0};
    if (strcmp(type, "organization") == 0)
        r.type = SEAL_TYPE_ORGANIZATION;
    else if (strcmp(type, "person") == 0)
        r.type = SEAL_TYPE_PERSON;
    else
        return cli_usage("--type is organization or person");
    if (version != 1 && version != 4)
        return cli_usage("--version is 1 (GM/T 0031) or 4 (GB/T 38540)");
    if ((vf && parse_when(vf, &r.valid_from) != 0) || (vt && parse_when(vt, &r.valid_to) != 0))
        return cli_usage("--valid-from/--valid-to: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    r.layout = version;
    r.name = name;
    r.kind = kind;
    r.pic_width = width;
    r.pic_height = height;
    r.actor = "cli";
    sc_err e = {0};
    sc_buf cert = {0};
    uint8_t *pic = NULL;
    size_t piclen = 0;
    pki_ca *ca = NULL;
    seal_record rec = {0};
    int rc = cli_open(&c, 1, &ca);
    if (rc != 0) return rc;
    if (cli_read_cert(certf, CERT_FILE_MAX, &cert, &e) != 0 ||
        cli_read_file(image, SEAL_MAX_IMAGE, &pic, &piclen, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    r.holder_cert = cert.p;
    r.holder_len = cert.len;
    r.picture = pic;
    r.piclen = piclen;
    if ((replace ? seal_replace(ca, replace, business, &r, &rec, &e)
                 : seal_make(ca, &r, &rec, &e)) != 0 ||
        cli_write(out, rec.der, rec.derlen, 0644, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    char a[40], b[40];
    cli_time(rec.valid_from, a, sizeof(a));
    cli_time(rec.valid_to, b, sizeof(b));
    printf("esID %s\n", rec.esid);
    fprintf(stderr,
            "sealca: seal %s \"%s\" (%s, v%d) bound to certificate %s, valid %s .. %s%s%s\n",
            rec.esid, rec.name, rec.kind, rec.layout, rec.cert_serial, a, b,
            replace ? ", replaces " : "", replace ? replace : "");
out:
    seal_record_free(&rec);
    sc_buf_free(&cert);
    free(pic);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

/* seal sign --tsa URL: the v4 timeStamp over the signature value (tsa/tsa.h) */
static const char *sign_tsa_url;

/* The common end of both signing paths: SM3 of the file, the SES_Signature (propertyInfo names
 * the file unless --property did), the optional timestamp, then the file written. */
static int sign_write(const uint8_t *sd, size_t sdlen, sc_key *key, const sc_buf *cert,
                      const char *file, const char *prop, const uint8_t *data, size_t datalen,
                      int64_t when, const char *out, sc_buf *sig, sc_err *e)
{
    if (prop == NULL) {
        const char *sl = strrchr(file, '/');
        prop = sl ? sl + 1 : file;
    }
    uint8_t h[32];
    crypto_sm3(data, datalen, h);
    if (seal_sign(sd, sdlen, key, cert->p, cert->len, h, prop, when, NULL, 0, sig, e) != 0)
        return -1;
    if (sign_tsa_url != NULL && tsa_seal_stamp(sign_tsa_url, sig, e) != 0) return -1;
    return cli_write(out, sig->p, sig->len, 0644, e);
}

/* seal sign --token: the signing key stays in the software USB key (src/token); the PIN comes
 * from --pin, --pin-file or SEALCA_TOKEN_PIN. The certificate is the token's own signing
 * certificate unless --cert names one (it must still be the one bound in the seal). */
static int seal_sign_token(const char *sealf, const char *tokf, const char *pin,
                           const char *pinfile, const char *certf, const char *out,
                           const char *prop, const char *file, int64_t when)
{
    sc_err e = {0};
    char pinbuf[64] = {0};
    uint8_t *sd = NULL, *data = NULL;
    size_t sdlen = 0, datalen = 0;
    sc_buf cert = {0}, sig = {0};
    token *t = NULL;
    seal s;
    int rc = 0;
    if (pin == NULL && pinfile != NULL) {
        uint8_t *pb = NULL;
        size_t pl = 0;
        if (cli_read_file(pinfile, sizeof(pinbuf) - 1, &pb, &pl, &e) != 0) return cli_fail(&e);
        while (pl > 0 && (pb[pl - 1] == '\n' || pb[pl - 1] == '\r'))
            pl--;
        memcpy(pinbuf, pb, pl);
        sc_wipe(pb, pl);
        free(pb);
        pin = pinbuf;
    }
    if (pin == NULL) pin = getenv("SEALCA_TOKEN_PIN");
    if (pin == NULL)
        return cli_usage("seal sign --token needs the user PIN (--pin, --pin-file or "
                         "SEALCA_TOKEN_PIN)");
    if (cli_read_file(sealf, SEAL_MAX, &sd, &sdlen, &e) != 0 ||
        seal_decode(sd, sdlen, &s, &e) != 0 ||
        cli_read_file(file, SIGN_DATA_MAX, &data, &datalen, &e) != 0 ||
        token_load(tokf, &t, &e) != 0 || token_login(t, pin, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    token_container *c = token_container_get(t, "default", 0);
    if (c == NULL || c->sign == NULL || c->sign_cert_len == 0) {
        sc_fail(&e, SC_ESTATE, "token.no_sign_cert",
                "the token holds no signing key with a certificate (token import first)");
        rc = cli_fail(&e);
        goto out;
    }
    if (certf != NULL ? cli_read_cert(certf, CERT_FILE_MAX, &cert, &e) != 0
                      : sc_buf_append(&cert, c->sign_cert, c->sign_cert_len) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    if (sign_write(sd, sdlen, c->sign, &cert, file, prop, data, datalen, when, out, &sig, &e) !=
        0) {
        rc = cli_fail(&e);
        goto out;
    }
    fprintf(stderr, "sealca: signed %s with seal %s from token %s (%zu bytes)\n", file, s.esid,
            t->serial, sig.len);
out:
    sc_wipe(pinbuf, sizeof(pinbuf));
    free(sd);
    free(data);
    sc_buf_free(&cert);
    sc_buf_free(&sig);
    if (t) token_free(t);
    return rc;
}

static int seal_sign_cmd(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *sealf = NULL, *keyf = NULL, *certf = NULL, *out = NULL, *prop = NULL, *at = NULL;
    const char *tokf = NULL, *pin = NULL, *pinfile = NULL;
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"seal", required_argument, NULL, 's'},
                                       {"key", required_argument, NULL, 'k'},
                                       {"token", required_argument, NULL, 'K'},
                                       {"pin", required_argument, NULL, 'P'},
                                       {"pin-file", required_argument, NULL, 'F'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"out", required_argument, NULL, 'o'},
                                       {"property", required_argument, NULL, 'p'},
                                       {"time", required_argument, NULL, 't'},
                                       {"tsa", required_argument, NULL, 'A'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'A':
            sign_tsa_url = optarg;
            break;
        case 's':
            sealf = optarg;
            break;
        case 'k':
            keyf = optarg;
            break;
        case 'K':
            tokf = optarg;
            break;
        case 'P':
            pin = optarg;
            break;
        case 'F':
            pinfile = optarg;
            break;
        case 'c':
            certf = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            prop = optarg;
            break;
        case 't':
            at = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !sealf || !out || (keyf == NULL) == (tokf == NULL))
        return cli_usage("seal sign needs --seal SEAL.esl (--key KEY.pem | --token T.tok "
                         "[--pin PIN | --pin-file F]) FILE --out FILE.ses [--tsa URL/tsa]");
    const char *file = argv[optind];
    int64_t when = (int64_t)time(NULL);
    if (at && parse_when(at, &when) != 0) return cli_usage("--time YYYY-MM-DDTHH:MM:SSZ");
    if (tokf != NULL)
        return seal_sign_token(sealf, tokf, pin, pinfile, certf, out, prop, file, when);
    int rc = cli_passphrase(&c, 0);
    if (rc != 0) return rc;
    const char *kp = getenv("SEALCA_KEY_PASSPHRASE");
    size_t kplen = kp && *kp ? strlen(kp) : c.passlen;
    if (!(kp && *kp)) kp = c.pass;
    sc_err e = {0};
    uint8_t *sd = NULL, *data = NULL;
    size_t sdlen = 0, datalen = 0;
    sc_buf cert = {0}, sig = {0};
    sc_key *key = NULL;
    seal s;
    if (kp == NULL) {
        sc_fail(&e, SC_EINVAL, "key.no_passphrase",
                "the key passphrase is required (SEALCA_KEY_PASSPHRASE, SEALCA_PASSPHRASE or "
                "--passphrase-file)");
        rc = cli_fail(&e);
        goto out;
    }
    if (cli_read_file(sealf, SEAL_MAX, &sd, &sdlen, &e) != 0 ||
        seal_decode(sd, sdlen, &s, &e) != 0 || crypto_key_load(keyf, kp, kplen, &key, &e) != 0 ||
        cli_read_file(file, SIGN_DATA_MAX, &data, &datalen, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    if (certf != NULL) {
        if (cli_read_cert(certf, CERT_FILE_MAX, &cert, &e) != 0) {
            rc = cli_fail(&e);
            goto out;
        }
    } else {
        /* the seal's own certificate whose key is this key */
        for (int i = 0; i < s.ncerts && cert.len == 0 && s.certlist_type == 1; i++) {
            sc_key *pub = NULL;
            if (cert_pubkey(s.certs[i].p, s.certs[i].len, &pub, NULL) == 0 &&
                crypto_key_equal_public(pub, key))
                sc_buf_append(&cert, s.certs[i].p, s.certs[i].len);
            crypto_key_free(pub);
        }
        if (cert.len == 0) {
            sc_fail(&e, SC_EVERIFY, "seal.cert_not_bound",
                    "no certificate of the seal matches this key (give --cert to name it)");
            rc = cli_fail(&e);
            goto out;
        }
    }
    if (sign_write(sd, sdlen, key, &cert, file, prop, data, datalen, when, out, &sig, &e) != 0) {
        rc = cli_fail(&e);
        goto out;
    }
    fprintf(stderr, "sealca: signed %s with seal %s (%zu bytes)\n", file, s.esid, sig.len);
out:
    free(sd);
    free(data);
    sc_buf_free(&cert);
    sc_buf_free(&sig);
    crypto_key_free(key);
    cli_done(&c);
    return rc;
}

typedef struct vopts {
    const char *data;
    const char *ca[8];
    int nca;
    const char *crl[8];
    int ncrl;
    const char *at;
    const char *ocsp;
    int json, no_chain, online, policy;
} vopts;

/* Trust anchors (--ca), CRLs (--crl) and the OCSP responder (--ocsp) into v. */
static int verifier_sources(seal_verifier *v, const vopts *o, sc_err *e)
{
    for (int i = 0; i < o->nca; i++) {
        uint8_t *b = NULL;
        size_t bl = 0;
        if (cli_read_file(o->ca[i], CERT_FILE_MAX, &b, &bl, e) != 0) return -1;
        int r2 = seal_verifier_add_certs(v, b, bl, e);
        free(b);
        if (r2 != 0) return r2;
    }
    for (int i = 0; i < o->ncrl; i++) {
        uint8_t *b = NULL;
        size_t bl = 0;
        if (cli_read_file(o->crl[i], 64u * 1024 * 1024, &b, &bl, e) != 0) return -1;
        int r2 = seal_verifier_add_crl(v, b, bl, e);
        free(b);
        if (r2 != 0) return r2;
    }
    if (o->ocsp != NULL && seal_verifier_ocsp(v, o->ocsp, e) != 0) return -1;
    seal_verifier_policy(v, o->policy);
    return 0;
}

static int verify_common(int argc, char **argv, int ofd)
{
    cli_ctx c = {0};
    vopts o = {0};
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"data", required_argument, NULL, 'd'},
                                       {"ca", required_argument, NULL, 'a'},
                                       {"crl", required_argument, NULL, 'r'},
                                       {"at", required_argument, NULL, 't'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"no-chain", no_argument, NULL, 'n'},
                                       {"online", no_argument, NULL, 'O'},
                                       {"ocsp", required_argument, NULL, 'Q'},
                                       {"policy", required_argument, NULL, 'P'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'Q':
            o.ocsp = optarg;
            break;
        case 'P':
            if (strcmp(optarg, "strict") == 0)
                o.policy = SEAL_POLICY_STRICT;
            else if (strcmp(optarg, "integrity") == 0)
                o.policy = SEAL_POLICY_INTEGRITY;
            else
                return cli_usage("--policy is strict (default) or integrity");
            break;
        case 'd':
            o.data = optarg;
            break;
        case 'a':
            if (o.nca == 8) return cli_usage("at most 8 --ca files");
            o.ca[o.nca++] = optarg;
            break;
        case 'r':
            if (o.ncrl == 8) return cli_usage("at most 8 --crl files");
            o.crl[o.ncrl++] = optarg;
            break;
        case 't':
            o.at = optarg;
            break;
        case 'j':
            o.json = 1;
            break;
        case 'n':
            o.no_chain = 1;
            break;
        case 'O':
            o.online = 1;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1)
        return cli_usage(
            ofd ? "seal verify-ofd FILE.ofd [--ca CHAIN.pem] [--crl CRL] [--ocsp URL|aia] "
                  "[--online] [--home DIR] [--policy strict|integrity] [--no-chain] [--json]"
                : "seal verify FILE.esl|FILE.ses [--data FILE] [--ca CHAIN.pem] "
                  "[--crl CRL] [--ocsp URL|aia] [--online] [--home DIR] [--at TIME] "
                  "[--policy strict|integrity] [--no-chain] [--json]");
    const char *file = argv[optind];
    sc_err e = {0};
    seal_verifier *v = NULL;
    pki_ca *ca = NULL;
    uint8_t *der = NULL, *data = NULL;
    size_t len = 0, datalen = 0;
    sc_buf outb = {0};
    seal_report *reps = NULL;
    int rc = 0, nrep = 0;
    if (c.home == NULL) c.home = getenv("SEALCA_HOME");
    if (c.home != NULL && *c.home && (rc = cli_open(&c, 0, &ca)) != 0) return rc;
    if (seal_verifier_new(&v, &e) != 0) goto fail;
    if (ca) seal_verifier_use_ca(v, ca);
    seal_verifier_no_chain(v, o.no_chain);
    seal_verifier_online(v, o.online);
    if (o.at) {
        int64_t t;
        if (parse_when(o.at, &t) != 0) {
            rc = cli_usage("--at YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
            goto out;
        }
        seal_verifier_at(v, t);
    }
    if (verifier_sources(v, &o, &e) != 0) goto fail;
    reps = calloc(OFD_MAX_SIGS, sizeof(*reps));
    if (reps == NULL) {
        sc_fail(&e, SC_ENOMEM, "oom", "out of memory");
        goto fail;
    }
    int vr;
    if (ofd) {
        vr = seal_verify_ofd(v, file, reps, &nrep, &e);
        if (vr != 0 && vr != SC_EVERIFY) goto fail;
    } else {
        if (cli_read_file(file, SEAL_MAX, &der, &len, &e) != 0) goto fail;
        if (o.data && cli_read_file(o.data, SIGN_DATA_MAX, &data, &datalen, &e) != 0) goto fail;
        vr = seal_verify(v, der, len, o.data ? data : NULL, datalen, &reps[0], &e);
        if (vr != 0 && vr != SC_EVERIFY) goto fail;
        nrep = 1;
    }
    int all_ok = nrep > 0;
    for (int i = 0; i < nrep; i++)
        if (reps[i].failed || reps[i].skipped) all_ok = 0;
    if (o.json) {
        if (ofd) sc_buf_append(&outb, "[\n", 2);
        for (int i = 0; i < nrep; i++) {
            if (i) sc_buf_append(&outb, ",\n", 2);
            seal_report_json(&reps[i], &outb);
        }
        if (ofd) sc_buf_append(&outb, "]\n", 2);
    } else {
        for (int i = 0; i < nrep; i++) {
            if (ofd) {
                char h[64];
                int n = snprintf(h, sizeof(h), "— OFD 签名 / signature %d of %d —\n", i + 1, nrep);
                sc_buf_append(&outb, h, (size_t)n);
            }
            seal_report_text(&reps[i], &outb);
        }
    }
    fwrite(outb.p, 1, outb.len, stdout);
    rc = all_ok ? 0 : EXIT_REFUSED;
    goto out;
fail:
    rc = cli_fail(&e);
out:
    free(reps);
    free(der);
    free(data);
    sc_buf_free(&outb);
    seal_verifier_free(v);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

static int seal_show_cmd(int argc, char **argv)
{
    cli_ctx c = {0};
    if (cli_common_only(&c, argc, argv) != 0 || optind != argc - 1)
        return cli_usage("seal show ESID");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    sc_buf out = {0};
    if (seal_status_json(ca, argv[optind], &out, &e) != 0)
        rc = cli_fail(&e);
    else
        fwrite(out.p, 1, out.len, stdout);
    sc_buf_free(&out);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

static int seal_retire_cmd(int argc, char **argv)
{
    cli_ctx c = {0};
    if (cli_common_only(&c, argc, argv) != 0 || optind != argc - 2)
        return cli_usage("seal retire ESID REASON");
    pki_ca *ca = NULL;
    int rc = cli_open(&c, 0, &ca);
    if (rc != 0) return rc;
    sc_err e = {0};
    if (seal_retire(ca, argv[optind], argv[optind + 1], "cli", &e) != 0) rc = cli_fail(&e);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

/* process CPU time: comparable with `openssl speed` (which counts CPU time unless -elapsed) on
 * a machine shared with other work; wall time is printed beside it */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* sealca seal bench verify --home H --data F FILE.ses [--count N]: full verifications (seal,
 * maker and signer paths, revocation from the home's store cached by the verifier), or
 * sealca seal bench make --home H --seal-id ESID --image F --cert C [--count N]: seal-redo in a
 * loop (encode, sign with the seal-maker key, retire the old one, insert, audit). */
static int seal_bench_cmd(int argc, char **argv)
{
    cli_ctx c = {0};
    const char *data = NULL, *image = NULL, *certf = NULL, *esid = NULL;
    long count = 200;
    vopts vo = {0};
    static const struct option lo[] = {CLI_COMMON_LONGOPTS,
                                       {"data", required_argument, NULL, 'd'},
                                       {"image", required_argument, NULL, 'i'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"seal-id", required_argument, NULL, 's'},
                                       {"count", required_argument, NULL, 'n'},
                                       {"ca", required_argument, NULL, 'a'},
                                       {"crl", required_argument, NULL, 'r'},
                                       {"ocsp", required_argument, NULL, 'Q'},
                                       {NULL, 0, NULL, 0}};
    if (argc < 2) return cli_usage("seal bench verify|make …");
    const char *what = argv[1];
    argc--;
    argv++;
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (cli_common_opt(&c, opt, optarg)) continue;
        switch (opt) {
        case 'd':
            data = optarg;
            break;
        case 'i':
            image = optarg;
            break;
        case 'c':
            certf = optarg;
            break;
        case 's':
            esid = optarg;
            break;
        case 'n':
            count = atol(optarg);
            break;
        case 'a':
            if (vo.nca == 8) return cli_usage("at most 8 --ca files");
            vo.ca[vo.nca++] = optarg;
            break;
        case 'r':
            if (vo.ncrl == 8) return cli_usage("at most 8 --crl files");
            vo.crl[vo.ncrl++] = optarg;
            break;
        case 'Q':
            vo.ocsp = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (count < 1 || count > 10000000) return cli_usage("--count 1..10000000");
    int make = strcmp(what, "make") == 0;
    if (!make && (strcmp(what, "verify") != 0 || optind != argc - 1 || data == NULL))
        return cli_usage("seal bench verify (--home H | --ca CHAIN [--crl CRL] [--ocsp URL|aia]) "
                         "--data FILE FILE.ses [--count N]");
    if (make && (image == NULL || certf == NULL || esid == NULL))
        return cli_usage("seal bench make --home H --seal-id ESID --image F.png --cert C.pem");
    pki_ca *ca = NULL;
    int rc = 0;
    if ((make || c.home != NULL) && (rc = cli_open(&c, make, &ca)) != 0) return rc;
    sc_err e = {0};
    uint8_t *der = NULL, *d = NULL;
    size_t len = 0, dlen = 0;
    sc_buf cert = {0};
    seal_verifier *v = NULL;
    seal_report *rep = calloc(1, sizeof(*rep));
    char cur[SEAL_MAX_STRING];
    double t0 = 0, t1 = 0, c0 = 0, c1 = 0;
    if (rep == NULL) goto fail;
    if (!make) {
        if (cli_read_file(argv[optind], SEAL_MAX, &der, &len, &e) != 0 ||
            cli_read_file(data, SIGN_DATA_MAX, &d, &dlen, &e) != 0 ||
            seal_verifier_new(&v, &e) != 0 || verifier_sources(v, &vo, &e) != 0)
            goto fail;
        if (ca) seal_verifier_use_ca(v, ca);
        uint8_t h[32];
        crypto_sm3(d, dlen, h);
        t0 = now_s();
        c0 = cpu_s();
        for (long i = 0; i < count; i++)
            if (seal_verify_hash(v, der, len, h, rep, &e) != 0) {
                sc_fail(&e, SC_EVERIFY, "bench.invalid", "the signature does not verify");
                goto fail;
            }
        t1 = now_s();
        c1 = cpu_s();
        printf("seal verify: %ld full verifications in %.3f s (%.3f s CPU): %.0f verifications/s "
               "(CPU), %.0f/s wall (engine %s)\n",
               count, t1 - t0, c1 - c0, (double)count / (c1 - c0), (double)count / (t1 - t0),
               crypto_sm2_engine_name());
        long q = 0, hits = 0;
        seal_verifier_ocsp_stats(v, &q, &hits);
        if (vo.ocsp != NULL) printf("ocsp: %ld queries, %ld cache hits\n", q, hits);
    } else {
        if (cli_read_cert(certf, CERT_FILE_MAX, &cert, &e) != 0 ||
            cli_read_file(image, SEAL_MAX_IMAGE, &d, &dlen, &e) != 0)
            goto fail;
        seal_make_req r = {0};
        r.name = "bench";
        r.type = SEAL_TYPE_ORGANIZATION;
        r.holder_cert = cert.p;
        r.holder_len = cert.len;
        r.picture = d;
        r.piclen = dlen;
        r.actor = "bench";
        snprintf(cur, sizeof(cur), "%s", esid);
        t0 = now_s();
        c0 = cpu_s();
        for (long i = 0; i < count; i++) {
            seal_record rec = {0};
            if (seal_replace(ca, cur, "seal-redo", &r, &rec, &e) != 0) goto fail;
            snprintf(cur, sizeof(cur), "%s", rec.esid);
            seal_record_free(&rec);
        }
        t1 = now_s();
        c1 = cpu_s();
        printf("seal make: %ld seals in %.3f s (%.3f s CPU): %.0f seals/s (CPU), %.0f/s wall "
               "(engine %s, %s)\n",
               count, t1 - t0, c1 - c0, (double)count / (c1 - c0), (double)count / (t1 - t0),
               crypto_sm2_engine_name(), store_driver(ca->db));
        fprintf(stderr, "active seal now %s\n", cur);
    }
    goto out;
fail:
    rc = cli_fail(&e);
out:
    free(rep);
    free(der);
    free(d);
    sc_buf_free(&cert);
    seal_verifier_free(v);
    ca_close(ca);
    cli_done(&c);
    return rc;
}

int cmd_seal(int argc, char **argv)
{
    if (argc < 2) return cli_usage("seal make|sign|verify|verify-ofd|show|retire …");
    const char *sub = argv[1];
    if (strcmp(sub, "make") == 0) return seal_make_cmd(argc - 1, argv + 1);
    if (strcmp(sub, "sign") == 0) return seal_sign_cmd(argc - 1, argv + 1);
    if (strcmp(sub, "verify") == 0) return verify_common(argc - 1, argv + 1, 0);
    if (strcmp(sub, "verify-ofd") == 0) return verify_common(argc - 1, argv + 1, 1);
    if (strcmp(sub, "show") == 0) return seal_show_cmd(argc - 1, argv + 1);
    if (strcmp(sub, "retire") == 0) return seal_retire_cmd(argc - 1, argv + 1);
    if (strcmp(sub, "bench") == 0) return seal_bench_cmd(argc - 1, argv + 1);
    return cli_usage("unknown seal command '%s'", sub);
}
