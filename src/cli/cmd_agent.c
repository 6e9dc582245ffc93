/* cmd_agent.c - sealca agent: a local signing agent for a staff member's software token, the
 * stand-in for USB-key middleware. The staff web page posts the login challenge (or a staff
 * action payload) and the PIN; the agent decrypts the key with the PIN, signs, and forgets both. */
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "http/http.h"
#include "ra/pw.h"

#define AGENT_MAX_PIN_FAILURES 5

typedef struct agent {
    const char *keyf;
    char *cert_pem;
    const char *origin;
    pthread_mutex_t lock;
    int failures;
} agent;

static void cors(agent *a, const http_req *req, http_resp *resp)
{
    const char *o = http_header(req, "Origin");
    if (o != NULL && a->origin != NULL && strcmp(o, a->origin) == 0) {
        http_set_header(resp, "Access-Control-Allow-Origin", a->origin);
        http_set_header(resp, "Access-Control-Allow-Headers", "Content-Type");
        http_set_header(resp, "Access-Control-Allow-Methods", "GET, POST");
        http_set_header(resp, "Access-Control-Allow-Private-Network", "true");
        http_set_header(resp, "Vary", "Origin");
    }
}

static void reply(http_resp *resp, int status, json_t *j)
{
    char *t = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    resp->status = status;
    resp->ctype = "application/json";
    if (t) sc_buf_append(&resp->body, t, strlen(t));
    free(t);
}

static void agent_preflight(void *app, const http_req *req, http_resp *resp)
{
    cors(app, req, resp);
    resp->status = 204;
}

static void agent_info(void *app, const http_req *req, http_resp *resp)
{
    agent *a = app;
    cors(a, req, resp);
    reply(resp, 200, json_pack("{s:s}", "certificate", a->cert_pem));
}

static void agent_sign(void *app, const http_req *req, http_resp *resp)
{
    agent *a = app;
    cors(a, req, resp);
    const char *o = http_header(req, "Origin");
    if (o != NULL && (a->origin == NULL || strcmp(o, a->origin) != 0)) {
        /* a page from another origin must not use the token */
        http_error(resp, 403, "agent.origin", "origin not allowed");
        return;
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)req->body, req->bodylen, JSON_REJECT_DUPLICATES, &je);
    const char *data = json_string_value(json_object_get(j, "data"));
    const char *pin = json_string_value(json_object_get(j, "pin"));
    if (data == NULL || pin == NULL) {
        json_decref(j);
        http_error(resp, 400, "agent.bad_request", "data (base64) and pin required");
        return;
    }
    pthread_mutex_lock(&a->lock);
    if (a->failures >= AGENT_MAX_PIN_FAILURES) {
        pthread_mutex_unlock(&a->lock);
        json_decref(j);
        http_error(resp, 403, "agent.locked", "too many wrong PINs: restart the agent");
        return;
    }
    sc_key *k = NULL;
    sc_err e = {0};
    int rc = crypto_key_load(a->keyf, pin, strlen(pin), &k, &e);
    if (rc != 0)
        a->failures++;
    else
        a->failures = 0;
    pthread_mutex_unlock(&a->lock);
    if (rc != 0) {
        json_decref(j);
        http_error(resp, 403, "agent.bad_pin", "wrong PIN");
        return;
    }
    sc_buf msg = {0}, sig = {0}, b64 = {0};
    if (ra_b64_decode(data, &msg) != 0 || crypto_sign(k, msg.p, msg.len, &sig, &e) != 0) {
        crypto_key_free(k);
        json_decref(j);
        sc_buf_free(&msg);
        http_error(resp, 400, "agent.bad_request", "data must be base64");
        return;
    }
    crypto_key_free(k);
    json_decref(j);
    ra_b64_encode(sig.p, sig.len, &b64);
    sc_buf_putc(&b64, 0);
    reply(resp, 200,
          json_pack("{s:s, s:s}", "signature", (const char *)b64.p, "certificate", a->cert_pem));
    sc_buf_free(&msg);
    sc_buf_free(&sig);
    sc_buf_free(&b64);
}

int cmd_agent(int argc, char **argv)
{
    agent a = {0};
    const char *certf = NULL, *listen = "127.0.0.1:7443";
    static const struct option lo[] = {{"key", required_argument, NULL, 'k'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"listen", required_argument, NULL, 'l'},
                                       {"origin", required_argument, NULL, 'o'},
                                       {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'k':
            a.keyf = optarg;
            break;
        case 'c':
            certf = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'o':
            a.origin = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (a.keyf == NULL || certf == NULL)
        return cli_usage("agent --key FILE --cert FILE [--listen 127.0.0.1:7443] [--origin URL]");
    if (strncmp(listen, "127.0.0.1:", 10) != 0 && strncmp(listen, "[::1]:", 6) != 0)
        return cli_usage("agent: --listen must be a loopback address");
    uint8_t *cd = NULL;
    size_t cl = 0;
    sc_err e = {0};
    if (sc_file_read(certf, 64 * 1024, &cd, &cl) != 0) {
        sc_fail(&e, SC_EIO, "agent.cert", "cannot read %s", certf);
        return cli_fail(&e);
    }
    a.cert_pem = calloc(1, cl + 1);
    memcpy(a.cert_pem, cd, cl);
    free(cd);
    pthread_mutex_init(&a.lock, NULL);
    static const http_route routes[] = {
        {"GET", "/info", 0, 0, agent_info},
        {"POST", "/sign", 0, 64 * 1024, agent_sign},
        {"OPTIONS", "/sign", 0, 0, agent_preflight},
        {"OPTIONS", "/info", 0, 0, agent_preflight},
    };
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    http_opts ho = {.listen = listen,
                    .threads = 1,
                    .conn_limit = 16,
                    .idle_timeout = 10,
                    .mem_limit = 32 * 1024};
    http_server *srv = NULL;
    if (http_start(&ho, routes, sizeof(routes) / sizeof(routes[0]), &a, &srv, &e) != 0) {
        free(a.cert_pem);
        return cli_fail(&e);
    }
    fprintf(stderr, "sealca agent: signing for %s on http://%s (port %u)\n", certf, listen,
            http_port(srv));
    int sig = 0;
    sigwait(&set, &sig);
    http_stop(srv, 2000);
    free(a.cert_pem);
    pthread_mutex_destroy(&a.lock);
    return 0;
}
