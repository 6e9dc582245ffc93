/* http.h - sealca's HTTP server on libmicrohttpd: routes, limits, access log, graceful stop. */
#ifndef SEALCA_HTTP_H
#define SEALCA_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/err.h"

typedef struct http_req {
    const char *method;  /* "GET", "POST", … */
    const char *path;    /* decoded URL path, no query */
    const char *remote;  /* client address, text */
    const uint8_t *body; /* request body (NULL when none) */
    size_t bodylen;
    void *conn; /* the MHD connection, for header lookups */
    int tls;    /* the request came over HTTPS */
} http_req;

#define HTTP_MAX_HEADERS 8

typedef struct http_resp {
    int status;
    const char *ctype;
    sc_buf body; /* owned: handed to the server */
    const char *hname[HTTP_MAX_HEADERS];
    char hval[HTTP_MAX_HEADERS][512]; /* a Content-Security-Policy needs room */
    int nh;
} http_resp;

/* A request header value (case-insensitive), or NULL. */
const char *http_header(const http_req *r, const char *name);
/* A query-string argument (decoded), or NULL. */
const char *http_query(const http_req *r, const char *name);
/* Add a response header; the value is copied (truncated to 511 bytes). */
void http_set_header(http_resp *r, const char *name, const char *value);
/* A JSON error body {"error":{"code":…,"message":…}} with status. */
void http_error(http_resp *r, int status, const char *code, const char *message);

/* A handler fills resp (status 0 means 404). It must not block on the network. */
typedef void (*http_handler)(void *app, const http_req *req, http_resp *resp);

typedef struct http_route {
    const char *method; /* exact method */
    const char *path;   /* exact path, or a prefix when prefix = 1 */
    int prefix;
    size_t max_body; /* bytes; a larger body is answered 413 without reading it all */
    http_handler fn;
} http_route;

typedef struct http_opts {
    const char *listen;   /* "127.0.0.1:8080" or "[::1]:8080" */
    const char *tls_cert; /* PEM file; with tls_key makes the listener HTTPS */
    const char *tls_key;
    const char *tls_cert_pem; /* or the PEM texts themselves (NUL-terminated) */
    const char *tls_key_pem;
    unsigned threads;      /* worker threads (thread pool) */
    unsigned conn_limit;   /* total connections */
    unsigned per_ip_limit; /* connections per client address */
    unsigned idle_timeout; /* seconds a connection may sit idle */
    size_t mem_limit;      /* per-connection memory: bounds the request line + headers */
    FILE *access_log;      /* one JSON line per request; NULL = none */
} http_opts;

typedef struct http_server http_server;

int http_start(const http_opts *o, const http_route *routes, size_t nroutes, void *app,
               http_server **out, sc_err *e);
/* Stop accepting, let requests in progress finish (at most grace_ms), then stop. */
void http_stop(http_server *s, unsigned grace_ms);
unsigned http_port(const http_server *s);

#endif
