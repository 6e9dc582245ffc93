/* api.h - HTTP handlers (one file per resource) and the application state they share. */
#ifndef SEALCA_API_H
#define SEALCA_API_H

#include <pthread.h>
#include <stdint.h>

#include "http/http.h"
#include "keyproc/keyproc.h"
#include "ocsp/ocsp.h"
#include "pki/pki.h"

typedef struct api_app {
    char home[4096];
    keyproc *kp;          /* signs for every issuer; NULL = read-only server */
    pthread_key_t ca_key; /* each worker thread has its own CA handle (own store connection) */
    int64_t started;
    volatile int stopping;
    ocsp_cache *ocsp;    /* pre-signed OCSP responses shared by all threads */
    int64_t seen_status; /* the 'status' counter value the caches reflect */
    /* registration service: catalog and settings loaded on the first /api/v1 request */
    pthread_mutex_t ra_lock;
    pthread_key_t ra_key; /* each worker thread's ra context */
    void *ra_shared;      /* api/ra_common.c */
} api_app;

int api_app_init(api_app *app, const char *home, keyproc *kp, sc_err *e);
void api_app_free(api_app *app);
/* The calling thread's CA handle, opened on first use; NULL when the store is unreachable. */
pki_ca *api_ca(api_app *app, sc_err *e);

/* registration service (api/ra_*.c): one prefix route per method under /api/v1/ */
void api_ra(void *app, const http_req *req, http_resp *resp);
void api_ra_free(api_app *app);
void api_ra_thread_free(void *r); /* the ra_key destructor */
/* Maintenance (sealca serve): expiry reminders and mail delivery. */
int api_ra_maint(api_app *app, int64_t now, sc_err *e);
#define API_RA_JSON_MAX     (64 * 1024)
#define API_RA_MATERIAL_MAX (11 * 1024 * 1024) /* a 10 MiB file plus multipart framing */

/* routes */
const http_route *api_routes(size_t *n);

/* handlers */
void api_healthz(void *app, const http_req *req, http_resp *resp);
void api_readyz(void *app, const http_req *req, http_resp *resp);
void api_ca_cert(void *app, const http_req *req, http_resp *resp);
void api_crl(void *app, const http_req *req, http_resp *resp);
void api_ocsp_post(void *app, const http_req *req, http_resp *resp);
void api_ocsp_get(void *app, const http_req *req, http_resp *resp);
void api_tsa_post(void *app, const http_req *req, http_resp *resp); /* api/tsa.c, RFC 3161 */
/* Staff UI only (behind staff authentication, not in the public table): POST the specimen
 * image (image/png or image/jpeg, at most SEAL_IMG_MAX_BYTES) with ?kind=seal|signature
 * &threshold=&crop=X,Y,W,H&size_mm=&dpi=&preview=1; answers the PNG. See src/api/sealimage.c. */
void api_seal_image_extract(void *app, const http_req *req, http_resp *resp);
void api_seal_status(void *app, const http_req *req, http_resp *resp); /* api/seal.c */

/* Called by the maintenance thread: bring the OCSP cache up to date with status changes made
 * anywhere (this node, the CLI, other nodes) since the last call, and re-sign entries due. */
int api_ocsp_sync(api_app *app, int64_t now, int due, sc_err *e);

/* Background CRL publication: regenerate an issuer's full and delta CRLs when a certificate's
 * status changed since the last one, or when half the CRL's lifetime has passed. */
int api_crl_refresh(api_app *app, int64_t now, sc_err *e);

/* The browser UI (web.c): GET / is the applicant portal, GET /staff the staff console, GET
 * /web/<file> the rest of web/. The web root is SEALCA_WEB_ROOT, else found beside the binary
 * (see web.c); NULL when there is none (the UI routes then answer 404). */
const char *api_web_root(void);
void api_web_index(void *app, const http_req *req, http_resp *resp);
void api_web_staff(void *app, const http_req *req, http_resp *resp);
void api_web_file(void *app, const http_req *req, http_resp *resp);

#endif
