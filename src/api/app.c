/* app.c - per-thread CA handles for the HTTP workers, and the route table. */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsa/tsa.h"

static void ca_destroy(void *p)
{
    ca_close(p);
}

int api_app_init(api_app *app, const char *home, keyproc *kp, sc_err *e)
{
    memset(app, 0, sizeof(*app));
    if (strlen(home) >= sizeof(app->home))
        return sc_fail(e, SC_EINVAL, "ca.path", "home path too long");
    snprintf(app->home, sizeof(app->home), "%s", home);
    app->kp = kp;
    app->started = (int64_t)time(NULL);
    if (pthread_key_create(&app->ca_key, ca_destroy) != 0)
        return sc_fail(e, SC_EINTERNAL, "api.tls", "pthread_key_create failed");
    pthread_mutex_init(&app->ra_lock, NULL);
    if (pthread_key_create(&app->ra_key, api_ra_thread_free) != 0)
        return sc_fail(e, SC_EINTERNAL, "api.tls", "pthread_key_create failed");
    return 0;
}

void api_app_free(api_app *app)
{
    pki_ca *ca = pthread_getspecific(app->ca_key);
    if (ca != NULL) {
        ca_close(ca);
        pthread_setspecific(app->ca_key, NULL);
    }
    pthread_key_delete(app->ca_key);
    api_ra_free(app);
    api_ra_thread_free(pthread_getspecific(app->ra_key));
    pthread_setspecific(app->ra_key, NULL);
    pthread_key_delete(app->ra_key);
    pthread_mutex_destroy(&app->ra_lock);
}

pki_ca *api_ca(api_app *app, sc_err *e)
{
    pki_ca *ca = pthread_getspecific(app->ca_key);
    if (ca != NULL) return ca;
    /* no passphrase here: the server process never decrypts a key */
    if (ca_open(app->home, NULL, 0, &ca, e) != 0) return NULL;
    if (app->kp != NULL && keyproc_attach(app->kp, ca, e) != 0) {
        ca_close(ca);
        return NULL;
    }
    pthread_setspecific(app->ca_key, ca);
    return ca;
}

static const http_route routes[] = {
    {"GET", "/healthz", 0, 0, api_healthz},
    {"GET", "/readyz", 0, 0, api_readyz},
    {"GET", "/ca/", 1, 0, api_ca_cert},
    {"GET", "/crl/", 1, 0, api_crl},
    {"POST", "/ocsp", 0, OCSP_REQUEST_MAX, api_ocsp_post},
    {"GET", "/ocsp/", 1, 0, api_ocsp_get},
    {"POST", "/tsa", 0, TSA_REQUEST_MAX, api_tsa_post},
    {"GET", "/api/v1/seals/", 1, 0, api_seal_status},
    {"GET", "/api/v1/", 1, 0, api_ra},
    {"POST", "/api/v1/", 1, API_RA_JSON_MAX, api_ra},
    {"PATCH", "/api/v1/", 1, API_RA_JSON_MAX, api_ra},
    {"DELETE", "/api/v1/", 1, API_RA_JSON_MAX, api_ra},
    {"PUT", "/api/v1/", 1, API_RA_MATERIAL_MAX, api_ra},
    /* the browser UI: exact "/" and "/staff" and the "/web/" prefix only, so that nothing
     * under /api, /ocsp, /crl or /ca can ever be answered by a file */
    {"GET", "/", 0, 0, api_web_index},
    {"GET", "/staff", 0, 0, api_web_staff},
    {"GET", "/web/", 1, 0, api_web_file},
};

const http_route *api_routes(size_t *n)
{
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}
