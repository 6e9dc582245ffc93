/* keyproc.c - the key process: fork, load keys, drop privileges, sign what it recognises. */
#include "keyproc/keyproc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/datakey.h"
#include "kmc/kmc.h"
#include "pki/der.h"
#include "seal/seal.h"
#include "tsa/tsa.h"

#define KP_MAGIC   "SKP1"
#define KP_OP_SIGN 1
#define KP_OP_PING 2
/* data key (ra/vault.c): the issuer-id field carries the label */
#define KP_OP_DATA_SEAL 3
#define KP_OP_DATA_OPEN 4
/* KMC operations: the master key never leaves the key process (kmc/kmc.h) */
#define KP_OP_KMC_HAS    5
#define KP_OP_KMC_GEN    6
#define KP_OP_KMC_ENV    7
#define KP_OP_KMC_EXPORT 8
#define KP_OP_KMC_UNLOCK 9
/* lookup key (ra-renew): HMAC-SM3(lookup key, label || input); the issuer-id field carries the
 * label. The key never leaves the key process. */
#define KP_OP_LOOKUP_MAC 10
/* a million-entry CRL's TBSCertList is ~55 MB */
#define KP_MSG_MAX (256u * 1024 * 1024)

struct keyproc {
    int fd;
    pid_t pid;
    pthread_mutex_t lock; /* one request at a time on the socket */
    int dead;
};

/* ---- what each role may sign ---- */

static int same(const der_tlv *t, sc_slice s)
{
    return t->rawlen == s.len && memcmp(t->raw, s.p, s.len) == 0;
}

static int alg_matches(const der_tlv *t, sc_alg alg)
{
    sc_alg got;
    return crypto_sigalg_parse(t->raw, t->rawlen, &got, NULL) == 0 && got == alg;
}

int keyproc_check(const char *role, sc_alg alg, sc_slice subject, const uint8_t *msg, size_t len,
                  sc_err *e)
{
    int ca = strcmp(role, "root") == 0 || strcmp(role, "issuing") == 0;
    if (ca && len == 75 && memcmp(msg, "sealca-audit-checkpoint-v1", 26) == 0 && msg[26] == 0)
        return 0;
    /* a TSA key signs only a token's signed attributes (RFC 3161 / RFC 5652 §5.4), with a
     * signingTime on the key process's own clock */
    if (strcmp(role, "tsa") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return tsa_signed_attrs_check(msg, len, (int64_t)ts.tv_sec, e);
    }
    der_r r = der_reader(msg, len);
    der_tlv top, a, b, c, d;
    if (der_expect(&r, DER_SEQUENCE, &top) != 0 || !der_at_end(&r))
        return sc_fail(e, SC_EINVAL, "keyproc.refused", "not a DER structure sealca signs");
    der_r in = der_inner(&top);
    /* an issuing CA's request to the KMC for a holder's encryption key (kmc_request_build) */
    if (strcmp(role, "issuing") == 0 && der_peek(&in) == DER_UTF8STRING) {
        der_r m = in;
        if (der_next(&m, &a) == 0 && a.len == 21 && memcmp(a.val, "sealca-kmc-request-v1", 21) == 0)
            return 0;
    }
    if (ca) {
        if (der_peek(&in) == DER_CTX_CONS(0)) {
            /* TBSCertificate: [0] v3, serial, signature, issuer = this CA */
            der_r v;
            if (der_next(&in, &a) == 0 &&
                (v = der_inner(&a), der_expect(&v, DER_INTEGER, &b)) == 0 && b.len == 1 &&
                b.val[0] == 2 && der_expect(&in, DER_INTEGER, &c) == 0 &&
                der_expect(&in, DER_SEQUENCE, &d) == 0 && alg_matches(&d, alg) &&
                der_expect(&in, DER_SEQUENCE, &a) == 0 && same(&a, subject))
                return 0;
        } else if (der_expect(&in, DER_INTEGER, &a) == 0 && a.len == 1 && a.val[0] == 1 &&
                   der_expect(&in, DER_SEQUENCE, &d) == 0 && alg_matches(&d, alg) &&
                   der_expect(&in, DER_SEQUENCE, &b) == 0 && same(&b, subject)) {
            return 0; /* TBSCertList v2 issued by this CA */
        }
    } else if (strcmp(role, "ocsp") == 0) {
        /* ResponseData: [0] version (optional), responderID [1] byName | [2] byKey, producedAt */
        if (der_peek(&in) == DER_CTX_CONS(0)) der_next(&in, &a);
        int t = der_peek(&in);
        if ((t == DER_CTX_CONS(1) || t == DER_CTX_CONS(2)) && der_next(&in, &a) == 0 &&
            der_expect(&in, DER_GENERALIZEDTIME, &b) == 0 && der_expect(&in, DER_SEQUENCE, &c) == 0)
            return 0;
    } else if (strcmp(role, "sealmaker") == 0) {
        /* exactly a seal's to-be-signed data: GB/T 38540 DER(SES_SealInfo) or GM/T 0031
         * DER(SEQUENCE { SES_SealInfo, cert, alg }), checked by the seal decoder itself */
        if (seal_tbs_check(msg, len, NULL) == 0) return 0;
    }
    return sc_fail(e, SC_EINVAL, "keyproc.refused",
                   "the key process refuses to sign this for a %s key", role);
}

/* ---- I/O ---- */

static int read_all(int fd, void *p, size_t n)
{
    uint8_t *q = p;
    while (n > 0) {
        ssize_t r = read(fd, q, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        q += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t w = send(fd, q, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        q += w;
        n -= (size_t)w;
    }
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int reply(int fd, uint8_t status, const void *p, size_t n)
{
    uint8_t h[5];
    h[0] = status;
    put32(h + 1, (uint32_t)n);
    return write_all(fd, h, 5) == 0 && write_all(fd, p, n) == 0 ? 0 : -1;
}

/* ---- the child ---- */

static int sandbox(void)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return -1;
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core); /* no core file with keys in it */
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (f == NULL) return -1;
    /* reading and writing the socket, memory, time, randomness for nonces, leaving */
    static const int allow[] = {
        SCMP_SYS(read),     SCMP_SYS(write),       SCMP_SYS(sendto),         SCMP_SYS(recvfrom),
        SCMP_SYS(exit),     SCMP_SYS(exit_group),  SCMP_SYS(rt_sigreturn),   SCMP_SYS(brk),
        SCMP_SYS(mmap),     SCMP_SYS(munmap),      SCMP_SYS(mremap),         SCMP_SYS(madvise),
        SCMP_SYS(futex),    SCMP_SYS(getrandom),   SCMP_SYS(clock_gettime),  SCMP_SYS(gettimeofday),
        SCMP_SYS(getpid),   SCMP_SYS(gettid),      SCMP_SYS(rt_sigprocmask), SCMP_SYS(sched_yield),
        SCMP_SYS(mprotect), SCMP_SYS(sigaltstack),
    };
    for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
        if (seccomp_rule_add(f, SCMP_ACT_ALLOW, allow[i], 0) != 0) {
            seccomp_release(f);
            return -1;
        }
    int rc = seccomp_load(f);
    seccomp_release(f);
    return rc;
}

/* One KMC request (ops 3..7) with the master key m (NULL when the home has no KMC). */
static int kmc_serve(const kmc_master *m, uint8_t op, const uint8_t *buf, uint32_t len, sc_buf *out,
                     sc_err *e)
{
    if (m == NULL)
        return sc_fail(e, SC_ESTATE, "keyproc.no_kmc", "the key process holds no KMC master key");
    switch (op) {
    case KP_OP_KMC_HAS:
        return 0;
    case KP_OP_KMC_GEN: {
        uint8_t pub[65];
        return kmc_op_generate(m, pub, out, e);
    }
    case KP_OP_KMC_ENV:
        if (len < 65) break;
        return kmc_op_envelope(m, buf + 65, len - 65, buf, out, e);
    case KP_OP_KMC_EXPORT: {
        if (len < 4) break;
        uint32_t pl = get32(buf);
        if (pl > 1024 || pl > len - 4) break;
        char pass[1025];
        memcpy(pass, buf + 4, pl);
        pass[pl] = 0;
        int rc = kmc_op_export_p8(m, buf + 4 + pl, len - 4 - pl, pass, pl, out, e);
        sc_wipe(pass, sizeof(pass));
        return rc;
    }
    case KP_OP_KMC_UNLOCK: {
        if (len < 1 || buf[0] > 32 || buf[0] > len - 1) break;
        char pin[33];
        memcpy(pin, buf + 1, buf[0]);
        pin[buf[0]] = 0;
        int rc = kmc_op_unlock(m, buf + 1 + buf[0], len - 1 - buf[0], pin, out, e);
        sc_wipe(pin, sizeof(pin));
        return rc;
    }
    default:
        break;
    }
    return sc_fail(e, SC_EINVAL, "keyproc.bad_kmc_request", "malformed KMC request");
}

static void child_main(pki_ca *ca, int fd)
{
    /* the KMC master key, when this home has a KMC */
    kmc_master kmaster, *km = NULL;
    {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/%s", ca->home, KMC_MASTER_FILE);
        if (access(path, F_OK) == 0) {
            sc_err e = {0};
            if (kmc_master_load(path, ca->pass, ca->passlen, &kmaster, &e) != 0) {
                fprintf(stderr, "sealca keyproc: cannot load the KMC master key: %s\n", e.msg);
                _exit(3);
            }
            km = &kmaster;
        }
    }
    /* keys first, while files can still be opened */
    for (size_t i = 0; i < ca->nissuers; i++) {
        pki_issuer *is = &ca->issuers[i];
        if (!is->key_file[0]) continue;
        sc_key *k = NULL;
        sc_err e = {0};
        if (ca_issuer_key(ca, is, &k, &e) != 0) {
            fprintf(stderr, "sealca keyproc: cannot load key of %s: %s\n", is->id, e.msg);
            _exit(3);
        }
        /* long-lived engine contexts are built now, before the sandbox */
        uint8_t m[75] = "sealca-audit-checkpoint-v1";
        sc_buf s = {0};
        crypto_sign(k, m, sizeof(m), &s, NULL);
        sc_buf_free(&s);
    }
    /* the data key (created on first use in a home made before it existed); one round trip
     * warms OpenSSL's ciphers before the sandbox */
    uint8_t datakey[DATAKEY_LEN];
    {
        char path[PATH_MAX + 32];
        sc_err e = {0};
        sc_buf t = {0}, u = {0};
        snprintf(path, sizeof(path), "%s/%s", ca->home, DATAKEY_FILE);
        if (crypto_datakey_load(path, ca->pass, ca->passlen, 1, datakey, &e) != 0 ||
            crypto_datakey_seal(datakey, "warm-up", (const uint8_t *)"x", 1, &t, &e) != 0 ||
            crypto_datakey_open(datakey, "warm-up", t.p, t.len, &u, &e) != 0) {
            fprintf(stderr, "sealca keyproc: cannot load the data key: %s\n", e.msg);
            _exit(3);
        }
        sc_buf_free(&t);
        sc_buf_free(&u);
    }
    /* the lookup key of the registration service (absent in a home without one: refused) */
    uint8_t lookup[DATAKEY_LEN];
    int have_lookup = 0;
    {
        char path[PATH_MAX + 32];
        sc_err e = {0};
        snprintf(path, sizeof(path), "%s/%s", ca->home, LOOKUPKEY_FILE);
        int lrc = crypto_datakey_load(path, ca->pass, ca->passlen, 0, lookup, &e);
        if (lrc != 0 && lrc != SC_ENOTFOUND) {
            fprintf(stderr, "sealca keyproc: cannot load the lookup key: %s\n", e.msg);
            _exit(3);
        }
        have_lookup = lrc == 0;
        uint8_t w[32]; /* warm the MAC before the sandbox */
        if (have_lookup) crypto_lookup_mac(lookup, "warm-up", (const uint8_t *)"x", 1, w);
    }
    if (ca->pass != NULL) {
        sc_wipe(ca->pass, ca->passlen);
        free(ca->pass);
        ca->pass = NULL;
    }
    /* the database handle stays open but unused; every other descriptor goes */
    for (int i = 3; i < 1024; i++)
        if (i != fd) close(i);
    if (sandbox() != 0) {
        fprintf(stderr, "sealca keyproc: cannot install the sandbox\n");
        _exit(4);
    }
    uint8_t *buf = NULL;
    for (;;) {
        uint8_t h[10];
        if (read_all(fd, h, 6) != 0) break;
        if (memcmp(h, KP_MAGIC, 4) != 0) break; /* not our peer: stop rather than guess */
        uint8_t op = h[4], idlen = h[5];
        char id[64];
        if (idlen >= sizeof(id) || read_all(fd, id, idlen) != 0 || read_all(fd, h + 6, 4) != 0)
            break;
        id[idlen] = 0;
        uint32_t len = get32(h + 6);
        if (len > KP_MSG_MAX) break;
        free(buf);
        buf = malloc(len ? len : 1);
        if (buf == NULL || read_all(fd, buf, len) != 0) break;
        if (op == KP_OP_PING) {
            if (reply(fd, 0, "pong", 4) != 0) break;
            continue;
        }
        sc_err e = {0};
        if (op >= KP_OP_KMC_HAS && op <= KP_OP_KMC_UNLOCK) {
            sc_buf o = {0};
            int krc = kmc_serve(km, op, buf, len, &o, &e);
            if (krc != 0) {
                if (op != KP_OP_KMC_HAS)
                    fprintf(stderr, "sealca keyproc: refused a KMC request: %s\n", e.code);
                krc = reply(fd, 1, e.code, strlen(e.code));
            } else {
                krc = reply(fd, 0, o.p, o.len);
            }
            sc_buf_wipe(&o);
            if (krc != 0) break;
            continue;
        }
        pki_issuer *is = op == KP_OP_SIGN ? ca_issuer(ca, id) : NULL;
        sc_buf sig = {0};
        int rc;
        if (op == KP_OP_LOOKUP_MAC) {
            uint8_t mac[32];
            if (!have_lookup)
                rc = sc_fail(&e, SC_ENOTFOUND, "ra.no_lookup_key", "no lookup key");
            else if (crypto_lookup_mac(lookup, id, buf, len, mac) != 0)
                rc = sc_fail(&e, SC_EINVAL, "lookup.too_large", "lookup input too large");
            else
                rc = sc_buf_append(&sig, mac, sizeof(mac));
            sc_wipe(mac, sizeof(mac));
        } else if (op == KP_OP_DATA_SEAL)
            rc = crypto_datakey_seal(datakey, id, buf, len, &sig, &e);
        else if (op == KP_OP_DATA_OPEN)
            rc = crypto_datakey_open(datakey, id, buf, len, &sig, &e);
        else if (is == NULL || is->key == NULL)
            rc = sc_fail(&e, SC_ENOTFOUND, "keyproc.no_key", "the key process holds no key %s", id);
        else if ((rc = keyproc_check(is->role, is->alg, is->subject_der, buf, len, &e)) == 0)
            rc = crypto_sign(is->key, buf, len, &sig, &e);
        if (rc != 0) {
            fprintf(stderr, "sealca keyproc: refused a request for %s: %s\n", id, e.code);
            rc = reply(fd, 1, e.code, strlen(e.code));
        } else {
            rc = reply(fd, 0, sig.p, sig.len);
        }
        sc_buf_wipe(&sig);
        if (rc != 0) break;
    }
    sc_wipe(datakey, sizeof(datakey));
    sc_wipe(lookup, sizeof(lookup));
    free(buf);
    sc_wipe(&kmaster, sizeof(kmaster));
    _exit(0); /* no atexit handlers: nothing else runs with the keys in memory */
}

int keyproc_start(pki_ca *ca, keyproc **out, sc_err *e)
{
    *out = NULL;
    if (ca->pass == NULL)
        return sc_fail(e, SC_EINVAL, "ca.no_passphrase",
                       "the key passphrase is required (SEALCA_PASSPHRASE or --passphrase-file)");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return sc_fail(e, SC_EIO, "keyproc.socket", "socketpair: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return sc_fail(e, SC_EIO, "keyproc.fork", "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(sv[0]);
        /* the key process ignores the terminal's signals: the server stops it by closing
         * the socket */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        child_main(ca, sv[1]);
    }
    close(sv[1]);
    keyproc *kp = calloc(1, sizeof(*kp));
    if (kp == NULL) {
        close(sv[0]);
        return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    }
    kp->fd = sv[0];
    kp->pid = pid;
    pthread_mutex_init(&kp->lock, NULL);
    if (keyproc_ping(kp) != 0) {
        int st = 0;
        waitpid(pid, &st, 0);
        keyproc_stop(kp);
        return sc_fail(e, SC_EIO, "keyproc.start",
                       "the key process did not start (wrong passphrase or damaged key file: "
                       "see its message above)");
    }
    *out = kp;
    return 0;
}

static int request(keyproc *kp, uint8_t op, const char *id, const uint8_t *msg, size_t len,
                   sc_buf *out, uint8_t *status)
{
    size_t idlen = strlen(id);
    if (idlen > 63 || len > KP_MSG_MAX) return -1;
    uint8_t h[6 + 64 + 4];
    memcpy(h, KP_MAGIC, 4);
    h[4] = op;
    h[5] = (uint8_t)idlen;
    memcpy(h + 6, id, idlen);
    put32(h + 6 + idlen, (uint32_t)len);
    uint8_t rh[5];
    int rc = -1;
    pthread_mutex_lock(&kp->lock);
    if (!kp->dead && write_all(kp->fd, h, 10 + idlen) == 0 && write_all(kp->fd, msg, len) == 0 &&
        read_all(kp->fd, rh, 5) == 0) {
        uint32_t n = get32(rh + 1);
        size_t max = op == KP_OP_DATA_SEAL || op == KP_OP_DATA_OPEN ? KP_MSG_MAX + 64 : 65536;
        if (n <= max && sc_buf_reserve(out, n) == 0 &&
            read_all(kp->fd, out->p + out->len, n) == 0) {
            out->len += n;
            *status = rh[0];
            rc = 0;
        }
    }
    if (rc != 0) kp->dead = 1; /* a broken conversation is not resumed */
    pthread_mutex_unlock(&kp->lock);
    return rc;
}

int keyproc_sign(keyproc *kp, const char *issuer_id, const uint8_t *msg, size_t len, sc_buf *sig,
                 sc_err *e)
{
    sc_buf r = {0};
    uint8_t st = 0;
    if (request(kp, KP_OP_SIGN, issuer_id, msg, len, &r, &st) != 0) {
        sc_buf_free(&r);
        return sc_fail(e, SC_EIO, "keyproc.unavailable",
                       "the key process is not answering: signing stopped");
    }
    int rc = 0;
    if (st != 0) {
        char code[48];
        snprintf(code, sizeof(code), "%.*s", (int)(r.len < 47 ? r.len : 47), (char *)r.p);
        rc = sc_fail(e, SC_EINVAL, "keyproc.refused", "the key process refused: %s", code);
    } else {
        rc = sc_buf_append(sig, r.p, r.len);
    }
    sc_buf_free(&r);
    return rc;
}

static int data_op(keyproc *kp, uint8_t op, const char *label, const uint8_t *in, size_t n,
                   sc_buf *out, sc_err *e)
{
    if (crypto_datakey_label_ok(label) != 0)
        return sc_fail(e, SC_EINVAL, "vault.bad_label",
                       "a vault label is 1-63 printable ASCII characters");
    if (n > KP_MSG_MAX)
        return sc_fail(e, SC_ETOOBIG, "vault.too_large", "too much data to seal at once");
    sc_buf r = {0};
    uint8_t st = 0;
    if (request(kp, op, label, in, n, &r, &st) != 0) {
        sc_buf_free(&r);
        return sc_fail(e, SC_EIO, "keyproc.unavailable", "the key process is not answering");
    }
    int rc;
    if (st != 0) {
        char code[48];
        snprintf(code, sizeof(code), "%.*s", (int)(r.len < 47 ? r.len : 47), (char *)r.p);
        rc = strcmp(code, "vault.bad_tag") == 0
                 ? sc_fail(e, SC_EVERIFY, "vault.bad_tag",
                           "the sealed data does not open: wrong key, wrong label or tampered")
                 : sc_fail(e, SC_EINVAL, "keyproc.refused", "the key process refused: %s", code);
    } else {
        rc = sc_buf_append(out, r.p, r.len);
    }
    sc_buf_wipe(&r);
    return rc;
}

int keyproc_data_seal(keyproc *kp, const char *label, const uint8_t *pt, size_t n, sc_buf *ct,
                      sc_err *e)
{
    return data_op(kp, KP_OP_DATA_SEAL, label, pt, n, ct, e);
}

int keyproc_data_open(keyproc *kp, const char *label, const uint8_t *ct, size_t n, sc_buf *pt,
                      sc_err *e)
{
    return data_op(kp, KP_OP_DATA_OPEN, label, ct, n, pt, e);
}

int keyproc_lookup_mac(keyproc *kp, const char *label, const uint8_t *in, size_t n, uint8_t out[32],
                       sc_err *e)
{
    if (label == NULL || strlen(label) > DATAKEY_LABEL_MAX || n > LOOKUP_INPUT_MAX)
        return sc_fail(e, SC_EINVAL, "lookup.too_large", "lookup label or input too large");
    sc_buf r = {0};
    uint8_t st = 0;
    if (request(kp, KP_OP_LOOKUP_MAC, label, in, n, &r, &st) != 0) {
        sc_buf_free(&r);
        return sc_fail(e, SC_EIO, "keyproc.unavailable", "the key process is not answering");
    }
    int rc = 0;
    if (st != 0 || r.len != 32) {
        char code[48];
        snprintf(code, sizeof(code), "%.*s", (int)(r.len < 47 ? r.len : 47), (char *)r.p);
        rc = st != 0 && strcmp(code, "ra.no_lookup_key") == 0
                 ? sc_fail(e, SC_ESTATE, "ra.no_lookup_key",
                           "the home has no lookup key (%s): run sealca ra init", LOOKUPKEY_FILE)
                 : sc_fail(e, SC_EINVAL, "keyproc.refused", "the key process refused: %s", code);
    } else {
        memcpy(out, r.p, 32);
    }
    sc_buf_wipe(&r);
    return rc;
}

int keyproc_ping(keyproc *kp)
{
    sc_buf r = {0};
    uint8_t st = 1;
    int rc = request(kp, KP_OP_PING, "", (const uint8_t *)"", 0, &r, &st);
    int ok = rc == 0 && st == 0 && r.len == 4 && memcmp(r.p, "pong", 4) == 0;
    sc_buf_free(&r);
    return ok ? 0 : -1;
}

pid_t keyproc_pid(const keyproc *kp)
{
    return kp->pid;
}

void keyproc_stop(keyproc *kp)
{
    if (kp == NULL) return;
    close(kp->fd);
    int st = 0;
    waitpid(kp->pid, &st, 0);
    pthread_mutex_destroy(&kp->lock);
    free(kp);
}

typedef struct remote_ctx {
    keyproc *kp;
    char id[32];
} remote_ctx;

static int remote_sign(void *ctx, const uint8_t *msg, size_t len, sc_buf *sig, sc_err *e)
{
    remote_ctx *rc = ctx;
    return keyproc_sign(rc->kp, rc->id, msg, len, sig, e);
}

int keyproc_attach(keyproc *kp, pki_ca *ca, sc_err *e)
{
    for (size_t i = 0; i < ca->nissuers; i++) {
        pki_issuer *is = &ca->issuers[i];
        if (!is->key_file[0] || is->key != NULL) continue;
        remote_ctx *rc = calloc(1, sizeof(*rc));
        if (rc == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        rc->kp = kp;
        snprintf(rc->id, sizeof(rc->id), "%s", is->id);
        int r = crypto_key_remote(is->pub, remote_sign, rc, &is->key, e);
        if (r != 0) {
            free(rc);
            return r;
        }
        is->remote_ctx = rc; /* freed with the issuer */
    }
    return 0;
}

/* ---- the KMC backend that talks to the key process ---- */

static int kmc_call(keyproc *kp, uint8_t op, const uint8_t *msg, size_t len, sc_buf *out, sc_err *e)
{
    sc_buf r = {0};
    uint8_t st = 0;
    if (request(kp, op, "kmc", msg, len, &r, &st) != 0) {
        sc_buf_free(&r);
        return sc_fail(e, SC_EIO, "keyproc.unavailable", "the key process is not answering");
    }
    int rc = 0;
    if (st != 0) {
        char code[48];
        snprintf(code, sizeof(code), "%.*s", (int)(r.len < 47 ? r.len : 47), (char *)r.p);
        rc = sc_fail(e, SC_EINVAL, code[0] ? code : "keyproc.refused",
                     "the key process refused the KMC request (%s)", code);
    } else if (out != NULL) {
        rc = sc_buf_append(out, r.p, r.len);
    }
    sc_buf_wipe(&r);
    return rc;
}

static int kp_generate(void *ctx, uint8_t pub[65], sc_buf *blob, sc_err *e)
{
    size_t at = blob->len;
    int rc = kmc_call(ctx, KP_OP_KMC_GEN, (const uint8_t *)"", 0, blob, e);
    if (rc == 0 && blob->len - at < 65)
        rc = sc_fail(e, SC_EIO, "keyproc.short", "short answer from the key process");
    if (rc == 0) memcpy(pub, blob->p + at, 65);
    return rc;
}

static int kp_envelope(void *ctx, const uint8_t *blob, size_t len, const uint8_t recip[65],
                       sc_buf *out, sc_err *e)
{
    sc_buf m = {0};
    sc_buf_append(&m, recip, 65);
    sc_buf_append(&m, blob, len);
    int rc = m.oom ? SC_ENOMEM : kmc_call(ctx, KP_OP_KMC_ENV, m.p, m.len, out, e);
    sc_buf_free(&m);
    return rc;
}

static int kp_export(void *ctx, const uint8_t *blob, size_t len, const char *pass, size_t passlen,
                     sc_buf *pem, sc_err *e)
{
    if (passlen > 1024) return sc_fail(e, SC_EINVAL, "kmc.password", "password too long");
    sc_buf m = {0};
    uint8_t h[4];
    put32(h, (uint32_t)passlen);
    sc_buf_append(&m, h, 4);
    sc_buf_append(&m, pass, passlen);
    sc_buf_append(&m, blob, len);
    int rc = m.oom ? SC_ENOMEM : kmc_call(ctx, KP_OP_KMC_EXPORT, m.p, m.len, pem, e);
    sc_buf_wipe(&m);
    return rc;
}

static int kp_unlock(void *ctx, const uint8_t *req, size_t reqlen, const char *new_pin, sc_buf *ans,
                     sc_err *e)
{
    size_t pl = strlen(new_pin);
    if (pl > 32) return sc_fail(e, SC_EINVAL, "token.pin_length", "a PIN is at most 32 characters");
    sc_buf m = {0};
    sc_buf_putc(&m, (uint8_t)pl);
    sc_buf_append(&m, new_pin, pl);
    sc_buf_append(&m, req, reqlen);
    int rc = m.oom ? SC_ENOMEM : kmc_call(ctx, KP_OP_KMC_UNLOCK, m.p, m.len, ans, e);
    sc_buf_wipe(&m);
    return rc;
}

static int kp_device_pin(void *ctx, const char *serial, char pin[33], sc_err *e)
{
    return sc_fail(e, SC_ESTATE, "keyproc.refused",
                   "the key process does not hand out device admin PINs");
}

static void kp_close(void *ctx)
{
    (void)ctx; /* the key process belongs to its starter */
}

int keyproc_kmc_backend(keyproc *kp, kmc_backend *be, sc_err *e)
{
    memset(be, 0, sizeof(*be));
    int rc = kmc_call(kp, KP_OP_KMC_HAS, (const uint8_t *)"", 0, NULL, e);
    if (rc != 0) return rc;
    be->ctx = kp;
    be->generate = kp_generate;
    be->envelope = kp_envelope;
    be->export_p8 = kp_export;
    be->unlock = kp_unlock;
    be->device_pin = kp_device_pin;
    be->close = kp_close;
    return 0;
}
