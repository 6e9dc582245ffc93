/* server.c - the HTTP server: libmicrohttpd thread pool + epoll, per-route body limits, JSON
 * access log, graceful stop. Handlers see whole requests; this file owns everything HTTP. */
#include "http/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct http_server {
    struct MHD_Daemon *d;
    const http_route *routes;
    size_t nroutes;
    void *app;
    FILE *log;
    pthread_mutex_t log_lock;
    int in_flight; /* requests between first byte and completion */
    char *tls_cert, *tls_key;
};

typedef struct conn_state {
    const http_route *route;
    sc_buf body;
    int too_big;
    struct timespec t0;
    int status;
    size_t bytes;
    char method[8];
    char path[160];
    char remote[64];
} conn_state;

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

const char *http_header(const http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_set_header(http_resp *r, const char *name, const char *value)
{
    if (r->nh >= HTTP_MAX_HEADERS) return;
    r->hname[r->nh] = name;
    snprintf(r->hval[r->nh], sizeof(r->hval[0]), "%s", value);
    r->nh++;
}

/* JSON string escaping for messages we control plus anything echoed from input. */
static void json_str(sc_buf *b, const char *s)
{
    sc_buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            sc_buf_putc(b, '\\');
            sc_buf_putc(b, c);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            char u[8];
            snprintf(u, sizeof(u), "\\u%04x", c);
            sc_buf_append(b, u, 6);
        } else {
            sc_buf_putc(b, c);
        }
    }
    sc_buf_putc(b, '"');
}

void http_error(http_resp *r, int status, const char *code, const char *message)
{
    r->status = status;
    r->ctype = "application/json; charset=utf-8";
    r->body.len = 0;
    const char *a = "{\"error\":{\"code\":";
    sc_buf_append(&r->body, a, strlen(a));
    json_str(&r->body, code);
    sc_buf_append(&r->body, ",\"message\":", 11);
    json_str(&r->body, message);
    sc_buf_append(&r->body, "}}\n", 3);
}

static const http_route *route_find(http_server *s, const char *method, const char *url,
                                    int *method_mismatch)
{
    *method_mismatch = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        const http_route *r = &s->routes[i];
        int match =
            r->prefix ? strncmp(url, r->path, strlen(r->path)) == 0 : strcmp(url, r->path) == 0;
        if (!match) continue;
        if (strcmp(method, r->method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
            return r;
        *method_mismatch = 1;
    }
    return NULL;
}

static enum MHD_Result queue(struct MHD_Connection *c, conn_state *st, http_resp *resp)
{
    size_t len = 0;
    uint8_t *p = sc_buf_steal(&resp->body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, p ? p : (uint8_t *)"", p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        free(p);
        return MHD_NO;
    }
    if (resp->ctype) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->ctype);
    for (int i = 0; i < resp->nh; i++)
        MHD_add_response_header(r, resp->hname[i], resp->hval[i]);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    st->status = resp->status;
    st->bytes = len;
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, conn_state *st, int status,
                                   const char *code, const char *msg)
{
    http_resp resp = {0};
    http_error(&resp, status, code, msg);
    return queue(c, st, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    http_server *s = cls;
    conn_state *st = *con_cls;
    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st == NULL) return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &st->t0);
        snprintf(st->method, sizeof(st->method), "%s", method);
        /* the logged path is truncated and never carries a query string */
        snprintf(st->path, sizeof(st->path), "%s", url);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci != NULL && ci->client_addr != NULL) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, st->remote,
                          sizeof(st->remote));
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, st->remote,
                          sizeof(st->remote));
        }
        *con_cls = st;
        __atomic_add_fetch(&s->in_flight, 1, __ATOMIC_ACQ_REL);
        int mm = 0;
        st->route = route_find(s, method, url, &mm);
        if (st->route == NULL)
            return mm ? reply_error(c, st, 405, "http.method", "method not allowed")
                      : reply_error(c, st, 404, "http.not_found", "no such resource");
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > st->route->max_body)
            return reply_error(c, st, 413, "http.too_big", "request body too large");
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!st->too_big && st->body.len + *upload_size > st->route->max_body) {
            st->too_big = 1;
            sc_buf_free(&st->body);
        }
        if (!st->too_big && sc_buf_append(&st->body, upload_data, *upload_size) != 0)
            st->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (st->too_big) return reply_error(c, st, 413, "http.too_big", "request body too large");
    http_req req = {.method = method,
                    .path = url,
                    .remote = st->remote,
                    .body = st->body.p,
                    .bodylen = st->body.len,
                    .conn = c,
                    .tls = s->tls_cert != NULL};
    http_resp resp = {0};
    st->route->fn(s->app, &req, &resp);
    if (resp.status == 0) {
        sc_buf_free(&resp.body);
        return reply_error(c, st, 404, "http.not_found", "no such resource");
    }
    if (strcmp(method, "HEAD") == 0) resp.body.len = 0;
    return queue(c, st, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *s = cls;
    conn_state *st = *con_cls;
    if (st == NULL) return;
    if (s->log != NULL) {
        time_t now = time(NULL);
        struct tm tm;
        char ts[32];
        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        sc_buf line = {0};
        char num[160];
        sc_buf_append(&line, "{\"ts\":\"", 7);
        sc_buf_append(&line, ts, strlen(ts));
        sc_buf_append(&line, "\",\"remote\":", 11);
        json_str(&line, st->remote);
        sc_buf_append(&line, ",\"method\":", 10);
        json_str(&line, st->method);
        sc_buf_append(&line, ",\"path\":", 8);
        json_str(&line, st->path);
        snprintf(num, sizeof(num), ",\"status\":%d,\"bytes\":%zu,\"ms\":%.3f%s}\n", st->status,
                 st->bytes, ms_since(&st->t0),
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ",\"aborted\":true");
        sc_buf_append(&line, num, strlen(num));
        pthread_mutex_lock(&s->log_lock);
        fwrite(line.p, 1, line.len, s->log);
        fflush(s->log);
        pthread_mutex_unlock(&s->log_lock);
        sc_buf_free(&line);
    }
    sc_buf_free(&st->body);
    free(st);
    *con_cls = NULL;
    __atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_ACQ_REL);
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, int *v6)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (colon == NULL || (size_t)(colon - s) >= sizeof(host)) return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) return -1;
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[') {
        size_t l = strlen(host);
        if (l < 3 || host[l - 1] != ']') return -1;
        host[l - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *v6 = 0;
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

int http_start(const http_opts *o, const http_route *routes, size_t nroutes, void *app,
               http_server **out, sc_err *e)
{
    *out = NULL;
    struct sockaddr_storage ss;
    int v6 = 0;
    if (parse_listen(o->listen, &ss, &v6) != 0)
        return sc_fail(e, SC_EINVAL, "http.bad_listen",
                       "--listen must be ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
    http_server *s = calloc(1, sizeof(*s));
    if (s == NULL) return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
    s->routes = routes;
    s->nroutes = nroutes;
    s->app = app;
    s->log = o->access_log;
    pthread_mutex_init(&s->log_lock, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO |
                     (v6 ? MHD_USE_IPv6 : 0);
    if (o->tls_cert_pem != NULL && o->tls_key_pem != NULL) {
        s->tls_cert = strdup(o->tls_cert_pem);
        s->tls_key = strdup(o->tls_key_pem);
        if (s->tls_cert == NULL || s->tls_key == NULL) {
            free(s->tls_cert);
            free(s->tls_key);
            free(s);
            return sc_fail(e, SC_ENOMEM, "oom", "out of memory");
        }
        flags |= MHD_USE_TLS;
    } else if (o->tls_cert != NULL && o->tls_key != NULL) {
        uint8_t *c = NULL, *k = NULL;
        size_t cl = 0, kl = 0;
        if (sc_file_read(o->tls_cert, 1 << 20, &c, &cl) != 0 ||
            sc_file_read(o->tls_key, 1 << 20, &k, &kl) != 0) {
            free(c);
            free(k);
            free(s);
            return sc_fail(e, SC_EIO, "http.tls_files", "cannot read --tls-cert/--tls-key");
        }
        s->tls_cert = (char *)c;
        s->tls_key = (char *)k;
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem opts[16];
    int n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    opts[n++] =
        (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, o->threads ? o->threads : 2, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                        o->conn_limit ? o->conn_limit : 1000, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_limit, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                        o->idle_timeout ? o->idle_timeout : 15, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                        (intptr_t)(o->mem_limit ? o->mem_limit : 32 * 1024), NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    if (s->tls_cert) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                            MHD_OPTION_END);
    if (s->d == NULL) {
        free(s->tls_cert);
        free(s->tls_key);
        free(s);
        return sc_fail(e, SC_EIO, "http.start",
                       "cannot listen on %s (address in use, no permission, or bad TLS files)",
                       o->listen);
    }
    *out = s;
    return 0;
}

unsigned http_port(const http_server *s)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void http_stop(http_server *s, unsigned grace_ms)
{
    if (s == NULL) return;
    /* stop accepting, then give requests in progress time to finish before closing */
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    for (unsigned waited = 0; waited < grace_ms; waited += 10) {
        if (__atomic_load_n(&s->in_flight, __ATOMIC_ACQUIRE) == 0) break;
        usleep(10000);
    }
    MHD_stop_daemon(s->d);
    if (s->tls_key) sc_wipe(s->tls_key, strlen(s->tls_key));
    free(s->tls_cert);
    free(s->tls_key);
    pthread_mutex_destroy(&s->log_lock);
    free(s);
}
