/* test_notify.c - the e-mail outbox: formatting (RFC 2047, base64, Chinese), refusals, and delivery
 * to a local SMTP sink that is down, then up: retried with backoff, delivered exactly once. */
#include "testdb.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ra/notify.h"
#include "store/store.h"

static int g_pg;

static const char SUBJECT[] = "【sealca】您的证书将于 7 天后到期，请及时办理延期业务（订单 "
                              "RA-20261126-0001）";
static const char BODY[] = "尊敬的用户：\n\n您的单位签名证书（序列号 0590F9C8）将于 2026-12-03 "
                           "到期。\n请登录 sealca 办理延期。\n\n-- \nsealca 注册服务\n";

/* Decode the RFC 2047 encoded-words of a Subject header value (folded lines included). */
static void decode_subject(const char *v, char *out, size_t outsz)
{
    size_t o = 0;
    const char *p = v;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        p += 10;
        const char *q = strstr(p, "?=");
        assert_non_null(q);
        assert_true(q - p + 12 <= 75); /* RFC 2047 §2: an encoded-word is at most 75 chars */
        unsigned char tmp[128];
        int n = EVP_DecodeBlock(tmp, (const unsigned char *)p, (int)(q - p));
        assert_true(n >= 0);
        int pad = (q - p >= 1 && q[-1] == '=') + (q - p >= 2 && q[-2] == '=');
        assert_true(o + (size_t)(n - pad) < outsz);
        memcpy(out + o, tmp, (size_t)(n - pad));
        o += (size_t)(n - pad);
        p = q + 2;
    }
    out[o] = 0;
}

/* The base64 body after the blank line, decoded. */
static void decode_body(const char *msg, char *out, size_t outsz)
{
    const char *b = strstr(msg, "\r\n\r\n");
    assert_non_null(b);
    b += 4;
    size_t o = 0;
    while (*b) {
        const char *eol = strstr(b, "\r\n");
        size_t l = eol ? (size_t)(eol - b) : strlen(b);
        assert_true(l <= 76);
        if (l > 0) {
            unsigned char tmp[80];
            int n = EVP_DecodeBlock(tmp, (const unsigned char *)b, (int)l);
            int pad = (b[l - 1] == '=') + (l >= 2 && b[l - 2] == '=');
            assert_true(o + (size_t)(n - pad) < outsz);
            memcpy(out + o, tmp, (size_t)(n - pad));
            o += (size_t)(n - pad);
        }
        b += l + (eol ? 2 : 0);
    }
    out[o] = 0;
}

static void crlf_of(const char *lf, char *out)
{
    for (; *lf; lf++) {
        if (*lf == '\n') *out++ = '\r';
        *out++ = *lf;
    }
    *out = 0;
}

/* The Subject header's value with its folded continuation lines. */
static void header_value(const char *msg, const char *name, char *out, size_t outsz)
{
    const char *h = strstr(msg, name);
    assert_non_null(h);
    h += strlen(name);
    size_t o = 0;
    for (;;) {
        const char *eol = strstr(h, "\r\n");
        assert_non_null(eol);
        assert_true(o + (size_t)(eol - h) < outsz);
        memcpy(out + o, h, (size_t)(eol - h));
        o += (size_t)(eol - h);
        if (eol[2] != ' ' && eol[2] != '\t') break;
        h = eol + 2;
    }
    out[o] = 0;
}

static void check_message(const char *msg)
{
    char v[2048], text[4096], want[4096];
    header_value(msg, "\r\nSubject: ", v, sizeof(v));
    decode_subject(v, text, sizeof(text));
    assert_string_equal(text, SUBJECT);
    decode_body(msg, text, sizeof(text));
    crlf_of(BODY, want);
    assert_string_equal(text, want);
    assert_non_null(strstr(msg, "Content-Type: text/plain; charset=UTF-8\r\n"));
    assert_non_null(strstr(msg, "Content-Transfer-Encoding: base64\r\n"));
    assert_non_null(strstr(msg, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(msg, " +0800\r\n")); /* Date in Asia/Shanghai */
    /* no line over RFC 5322's 78 characters, no bare LF, only ASCII */
    for (const char *p = msg; *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t l = eol ? (size_t)(eol - p) : strlen(p);
        assert_true(l <= 78);
        for (size_t i = 0; i < l; i++)
            assert_true(p[i] != '\n' && (unsigned char)p[i] < 0x80);
        p += l + (eol ? 2 : 0);
    }
}

static void test_format(void **state)
{
    (void)state;
    sc_buf m = {0};
    sc_err e = {0};
    assert_int_equal(
        notify_format("ra@sealca.test", "zhang@example.cn", SUBJECT, BODY, 42, 1700000000, &m, &e),
        0);
    sc_buf_putc(&m, 0);
    check_message((const char *)m.p);
    assert_non_null(
        strstr((const char *)m.p, "Message-ID: <sealca.notify.42.1700000000@sealca.test>"));
    assert_non_null(strstr((const char *)m.p, "\r\nTo: zhang@example.cn\r\n"));
    sc_buf_free(&m);
    /* an ASCII subject stays readable */
    assert_int_equal(notify_format("ra@sealca.test", "a@b.cn", "Order shipped", "x", 1, 1, &m, &e),
                     0);
    sc_buf_putc(&m, 0);
    assert_non_null(strstr((const char *)m.p, "\r\nSubject: Order shipped\r\n"));
    sc_buf_free(&m);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[4400];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(sc_file_write_atomic(p, text, strlen(text), 0600), 0);
}

static void test_conf(void **state)
{
    (void)state;
    char *d = tu_tmpdir();
    notify_conf c;
    int on = -1;
    sc_err e = {0};
    write_file(d, "sealca.conf", "name = x\n");
    assert_int_equal(notify_conf_load(d, &c, &on, &e), 0);
    assert_int_equal(on, 0);
    write_file(d, "sealca.conf",
               "smtp_url = smtps://mail.example.cn:465\nsmtp_from = ra@example.cn\n"
               "smtp_user = ra\nsmtp_password_file = smtp.pw\n");
    write_file(d, "smtp.pw", "s3cret\n");
    assert_int_equal(notify_conf_load(d, &c, &on, &e), 0);
    assert_int_equal(on, 1);
    assert_string_equal(c.smtp.url, "smtps://mail.example.cn:465");
    assert_string_equal(c.smtp.from, "ra@example.cn");
    assert_string_equal(c.smtp.user, "ra");
    assert_string_equal(c.smtp.password, "s3cret");
    notify_conf_free(&c);
    /* plain smtp:// with a password to a remote host is refused */
    write_file(d, "sealca.conf",
               "smtp_url = smtp://mail.example.cn:25\nsmtp_from = ra@example.cn\n"
               "smtp_user = ra\nsmtp_password_file = smtp.pw\n");
    assert_int_equal(notify_conf_load(d, &c, &on, &e), SC_EINVAL);
    assert_string_equal(e.code, "notify.insecure_auth");
    assert_int_equal(on, 0);
    write_file(d, "sealca.conf", "smtp_from = ra@example.cn\n");
    memset(&e, 0, sizeof(e));
    assert_int_equal(notify_conf_load(d, &c, &on, &e), SC_EINVAL);
    assert_string_equal(e.code, "conf.bad_smtp");
    tu_rmrf(d);
}

typedef struct fx {
    char *dir;
    tdb db;
    store *s;
    pid_t sink;
    char maildir[4200];
    int port;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->dir = tu_tmpdir();
    tdb_create(&f->db, g_pg, f->dir, "notify.db");
    sc_err e = {0};
    if (store_open(f->db.url, &f->s, &e) != 0 || store_migrate(f->s, &e) != 0) {
        fprintf(stderr, "store: %s %s\n", e.code, e.msg);
        return -1;
    }
    snprintf(f->maildir, sizeof(f->maildir), "%s/mail", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->sink > 0) {
        kill(f->sink, SIGTERM);
        waitpid(f->sink, NULL, 0);
    }
    store_close(f->s);
    tdb_drop(&f->db);
    tu_rmrf(f->dir);
    free(f);
    return 0;
}

/* A loopback port nobody listens on (bound, then released). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t l = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static void sink_start(fx *f)
{
    char portarg[16], portfile[4300];
    snprintf(portarg, sizeof(portarg), "%d", f->port);
    snprintf(portfile, sizeof(portfile), "%s/sink.port", f->dir);
    const char *root = getenv("SEALCA_ROOT");
    char script[4200];
    snprintf(script, sizeof(script), "%s/tests/tools/smtpsink.py", root ? root : ".");
    f->sink = fork();
    assert_true(f->sink >= 0);
    if (f->sink == 0) {
        execlp("python3", "python3", script, "--dir", f->maildir, "--port", portarg, "--port-file",
               portfile, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && access(portfile, F_OK) != 0; i++)
        usleep(50000);
    assert_int_equal(access(portfile, F_OK), 0);
}

static size_t mail_files(const char *dir, char *first, size_t cap)
{
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        if (n++ == 0 && first) snprintf(first, cap, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    return n;
}

static int grab(void *arg, const notify_msg *m)
{
    *(notify_msg *)arg = *m;
    return 0;
}

static notify_msg newest(fx *f)
{
    notify_msg m;
    memset(&m, 0, sizeof(m));
    sc_err e = {0};
    assert_int_equal(notify_list(f->s, 1, grab, &m, &e), 0);
    return m;
}

static void enqueue_tx(fx *f, const char *to, int64_t not_before, int commit)
{
    sc_err e = {0};
    assert_int_equal(store_tx_begin(f->s, &e), 0);
    if (notify_enqueue(f->s, to, SUBJECT, BODY, not_before, &e) != 0)
        fail_msg("enqueue: %s %s", e.code, e.msg);
    if (commit)
        assert_int_equal(store_tx_commit(f->s, &e), 0);
    else
        store_tx_rollback(f->s);
}

static void test_down_then_up(void **state)
{
    fx *f = *state;
    f->port = free_port();
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", f->port);
    notify_smtp c = {.url = url, .from = "ra@sealca.test", .timeout_s = 10};
    sc_err e = {0};
    /* a message in a rolled-back transaction never existed */
    enqueue_tx(f, "ghost@example.cn", 0, 0);
    notify_counts k;
    assert_int_equal(notify_stats(f->s, &k, &e), 0);
    assert_int_equal(k.pending, 0);
    enqueue_tx(f, "zhang@example.cn", 0, 1);
    int64_t now = (int64_t)time(NULL);
    size_t sent = 99;
    /* the server is down: the attempt is counted, the error kept, the next one 60 s later */
    assert_int_equal(notify_deliver(f->s, &c, now, &sent, &e), 0);
    assert_int_equal(sent, 0);
    notify_msg m = newest(f);
    assert_string_equal(m.state, "pending");
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.next_attempt, now + 60);
    assert_true(m.last_error[0] != 0);
    /* not due yet: nothing is tried */
    assert_int_equal(notify_deliver(f->s, &c, now + 30, &sent, &e), 0);
    assert_int_equal(newest(f).attempts, 1);
    /* second failure: twice the wait */
    assert_int_equal(notify_deliver(f->s, &c, now + 61, &sent, &e), 0);
    m = newest(f);
    assert_int_equal(m.attempts, 2);
    assert_int_equal(m.next_attempt, now + 61 + 120);
    assert_int_equal(notify_stats(f->s, &k, &e), 0);
    assert_int_equal(k.pending, 1);
    assert_int_equal(k.failing, 1);
    assert_int_equal(mail_files(f->maildir, NULL, 0), 0);

    /* the server comes up: delivered, once */
    sink_start(f);
    assert_int_equal(notify_deliver(f->s, &c, now + 200, &sent, &e), 0);
    assert_int_equal(sent, 1);
    m = newest(f);
    assert_string_equal(m.state, "sent");
    assert_int_equal(m.attempts, 3);
    assert_int_equal(m.sent_at, now + 200);
    assert_string_equal(m.last_error, "");
    assert_int_equal(notify_deliver(f->s, &c, now + 86400 * 30, &sent, &e), 0);
    assert_int_equal(sent, 0);
    kill(f->sink, SIGTERM);
    waitpid(f->sink, NULL, 0);
    f->sink = 0;
    char path[4400];
    assert_int_equal(mail_files(f->maildir, path, sizeof(path)), 1);
    uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(sc_file_read(path, 1 << 20, &d, &n), 0);
    char *txt = calloc(1, n + 1);
    memcpy(txt, d, n);
    assert_non_null(strstr(txt, "X-Envelope-To: <zhang@example.cn>"));
    assert_non_null(strstr(txt, "X-Envelope-From: <ra@sealca.test>"));
    check_message(txt);
    free(txt);
    free(d);
    assert_int_equal(notify_stats(f->s, &k, &e), 0);
    assert_int_equal(k.pending, 0);
    assert_int_equal(k.sent, 1);
}

static void test_schedule_and_refusals(void **state)
{
    fx *f = *state;
    sc_err e = {0};
    int64_t now = (int64_t)time(NULL);
    /* a reminder for later is not due now */
    enqueue_tx(f, "li@example.cn", now + 3600, 1);
    notify_smtp c = {.url = "smtp://127.0.0.1:1", .from = "ra@sealca.test", .timeout_s = 5};
    size_t sent = 0;
    assert_int_equal(notify_deliver(f->s, &c, now, &sent, &e), 0);
    notify_msg m = newest(f);
    assert_int_equal(m.attempts, 0);
    assert_int_equal(m.next_attempt, now + 3600);
    /* the operator's requeue makes it due */
    assert_int_equal(notify_requeue(f->s, now, &e), 0);
    assert_int_equal(newest(f).next_attempt, now);

    static const char *bad_to[] = {"a@b.cn\r\nBcc: x@y.cn",
                                   "no-at-sign",
                                   "<a@b.cn>",
                                   "张三@例子.cn",
                                   "a@b@c.cn",
                                   "a b@c.cn",
                                   "",
                                   "@b.cn"};
    assert_int_equal(store_tx_begin(f->s, &e), 0);
    for (size_t i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++) {
        memset(&e, 0, sizeof(e));
        assert_int_equal(notify_enqueue(f->s, bad_to[i], "s", "b", 0, &e), SC_EINVAL);
        assert_string_equal(e.code, "notify.bad_address");
    }
    memset(&e, 0, sizeof(e));
    assert_int_equal(notify_enqueue(f->s, "a@b.cn", "two\r\nBcc: x@y.cn", "b", 0, &e), SC_EINVAL);
    assert_string_equal(e.code, "notify.bad_subject");
    memset(&e, 0, sizeof(e));
    assert_int_equal(notify_enqueue(f->s, "a@b.cn", "", "b", 0, &e), SC_EINVAL);
    memset(&e, 0, sizeof(e));
    assert_int_equal(notify_enqueue(f->s, "a@b.cn", "s", "bad \xc3\x28 utf-8", 0, &e), SC_EINVAL);
    assert_string_equal(e.code, "notify.bad_body");
    char *big = malloc(NOTIFY_MAX_BODY + 2);
    memset(big, 'x', NOTIFY_MAX_BODY + 1);
    big[NOTIFY_MAX_BODY + 1] = 0;
    memset(&e, 0, sizeof(e));
    assert_int_equal(notify_enqueue(f->s, "a@b.cn", "s", big, 0, &e), SC_ETOOBIG);
    free(big);
    store_tx_commit(f->s, &e);
    notify_counts k;
    assert_int_equal(notify_stats(f->s, &k, &e), 0);
    assert_int_equal(k.pending, 1); /* only the reminder */

    /* a password never crosses the network in clear */
    notify_smtp a = {.url = "smtp://mail.example.cn:25",
                     .from = "ra@sealca.test",
                     .user = "ra",
                     .password = "pw"};
    memset(&e, 0, sizeof(e));
    assert_int_equal(notify_deliver(f->s, &a, now, &sent, &e), SC_EINVAL);
    assert_string_equal(e.code, "notify.insecure_auth");
    a.starttls = 1;
    a.url = "http://mail.example.cn";
    memset(&e, 0, sizeof(e));
    assert_int_equal(notify_deliver(f->s, &a, now, &sent, &e), SC_EINVAL);
    assert_string_equal(e.code, "notify.bad_smtp_url");
    assert_int_equal(newest(f).attempts, 0); /* nothing was tried */
}

int main(void)
{
    const struct CMUnitTest plain[] = {cmocka_unit_test(test_format), cmocka_unit_test(test_conf)};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_down_then_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schedule_and_refusals, setup, teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    int failed = cmocka_run_group_tests_name("notify", plain, NULL, NULL);
    int drivers = tdb_drivers();
    failed += drivers < 0;
    for (g_pg = 0; g_pg < drivers; g_pg++)
        failed += cmocka_run_group_tests_name(g_pg ? "outbox[postgresql]" : "outbox[sqlite]", tests,
                                              NULL, NULL);
    return failed != 0;
}
