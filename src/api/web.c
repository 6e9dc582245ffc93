/* web.c - serves the browser UI (the applicant portal and the staff console) from web/: a
 * fixed set of file types, no path that can leave the web root, strict security headers. */
#include "api/api.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every file of the UI is small; anything larger is a mistake in the install, not a page. */
#define WEB_FILE_MAX  (2u << 20)
#define WEB_PATH_MAX  200 /* bytes of the path below the web root */
#define WEB_DEPTH_MAX 4   /* directories below the web root */

/* The policy allows nothing that sealca does not serve itself: no inline script, no style
 * attribute, no eval, no plugin, no framing, no form posting elsewhere, no outside fetch. The
 * two exceptions: blob: images (previews of a file before it is uploaded) and connections to
 * loopback, where the staff member's local signing agent listens (docs/api.md). */
static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' blob:; connect-src 'self' http://127.0.0.1:* "
                          "http://localhost:*; object-src 'none'; base-uri 'none'; "
                          "frame-ancestors 'none'; form-action 'self'";
_Static_assert(sizeof(csp) <= sizeof(((http_resp *)0)->hval[0]),
               "the CSP must fit an http_resp header value");

static const struct {
    const char *ext;
    const char *ctype;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

static pthread_once_t root_once = PTHREAD_ONCE_INIT;
static char root[PATH_MAX]; /* "" when no web root was found */

static int has_index(const char *dir)
{
    char p[PATH_MAX + 16];
    struct stat st;
    if (snprintf(p, sizeof(p), "%s/index.html", dir) >= (int)sizeof(p)) return 0;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void set_root(const char *dir)
{
    char *r = realpath(dir, NULL);
    if (r != NULL && strlen(r) < sizeof(root) && has_index(r))
        snprintf(root, sizeof(root), "%s", r);
    free(r);
}

/* SEALCA_WEB_ROOT wins; otherwise the first of these, relative to the running binary, that
 * holds an index.html: PREFIX/share/sealca/web (installed in PREFIX/bin), web/ beside the
 * binary, and the source tree's web/ for build/sealca and build/asan/sealca. */
static void find_root(void)
{
    const char *env = getenv("SEALCA_WEB_ROOT");
    if (env != NULL && env[0] != '\0') {
        set_root(env);
        if (root[0] == '\0')
            fprintf(stderr, "sealca: SEALCA_WEB_ROOT=%s has no index.html: web UI disabled\n", env);
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL) return;
    *slash = '\0';
    static const char *const rel[] = {"/../share/sealca/web", "/web", "/../web", "/../../web"};
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]) && root[0] == '\0'; i++) {
        char p[PATH_MAX + 32];
        snprintf(p, sizeof(p), "%s%s", exe, rel[i]);
        set_root(p);
    }
}

const char *api_web_root(void)
{
    pthread_once(&root_once, find_root);
    return root[0] ? root : NULL;
}

static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_';
}

/* A path below the web root is directories named [A-Za-z0-9_-]+ and a file NAME.EXT with one
 * dot: no "..", no hidden file, no empty component, no backslash, no encoded anything
 * (libmicrohttpd has already decoded %xx, so "%2e%2e" arrives here as ".." and is refused). */
static int path_ok(const char *rel)
{
    size_t len = strlen(rel);
    if (len == 0 || len > WEB_PATH_MAX) return 0;
    int depth = 0;
    for (;;) {
        const char *end = strchr(rel, '/');
        size_t n = end ? (size_t)(end - rel) : strlen(rel);
        if (n == 0) return 0;
        int dots = 0;
        for (size_t i = 0; i < n; i++) {
            if (rel[i] == '.')
                dots++;
            else if (!name_char(rel[i]))
                return 0;
        }
        if (end == NULL) /* the file: one dot, with a name before and an extension after */
            return dots == 1 && rel[0] != '.' && rel[n - 1] != '.';
        if (dots != 0 || ++depth > WEB_DEPTH_MAX) return 0;
        rel = end + 1;
    }
}

static const char *ctype_of(const char *rel)
{
    const char *dot = strrchr(rel, '.');
    if (dot == NULL) return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].ctype;
    return NULL;
}

static void not_found(http_resp *resp)
{
    http_error(resp, 404, "web.not_found", "no such page / 页面不存在");
}

/* The security headers every UI response carries (X-Content-Type-Options: nosniff is added
 * by the HTTP server to every response). */
static void security_headers(http_resp *resp)
{
    http_set_header(resp, "Content-Security-Policy", csp);
    http_set_header(resp, "Referrer-Policy", "no-referrer");
    http_set_header(resp, "X-Frame-Options", "DENY");
    http_set_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
}

static void serve_file(const http_req *req, http_resp *resp, const char *rel)
{
    const char *dir = api_web_root();
    const char *ctype = ctype_of(rel);
    if (dir == NULL || ctype == NULL || !path_ok(rel)) {
        not_found(resp);
        return;
    }
    char p[PATH_MAX + WEB_PATH_MAX + 2];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    /* O_NOFOLLOW: a symlink planted as the last component is not followed out of the root;
     * the components before it were checked to be plain names */
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        not_found(resp);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        not_found(resp);
        return;
    }
    if ((uint64_t)st.st_size > WEB_FILE_MAX) {
        close(fd);
        fprintf(stderr, "sealca: web file %s is larger than %u bytes: refused\n", rel,
                WEB_FILE_MAX);
        http_error(resp, 500, "web.too_big", "file too large to serve");
        return;
    }
    char etag[64];
    snprintf(etag, sizeof(etag), "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
    security_headers(resp);
    /* no build step means no content-hashed names: browsers revalidate every time and get a
     * 304 while the file is unchanged */
    http_set_header(resp, "Cache-Control", "no-cache");
    http_set_header(resp, "ETag", etag);
    const char *inm = http_header(req, "If-None-Match");
    if (inm != NULL && strcmp(inm, etag) == 0) {
        close(fd);
        resp->status = 304;
        return;
    }
    size_t len = (size_t)st.st_size;
    if (sc_buf_reserve(&resp->body, len + 1) != 0) {
        close(fd);
        http_error(resp, 500, "web.nomem", "out of memory");
        return;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, resp->body.p + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != len) {
        resp->body.len = 0;
        http_error(resp, 500, "web.io", "cannot read file");
        return;
    }
    resp->body.len = len;
    resp->status = 200;
    resp->ctype = ctype;
}

/* GET / : the applicant portal. */
void api_web_index(void *app, const http_req *req, http_resp *resp)
{
    serve_file(req, resp, "index.html");
}

/* GET /staff : the staff console. */
void api_web_staff(void *app, const http_req *req, http_resp *resp)
{
    serve_file(req, resp, "staff.html");
}

/* GET /web/<path> : every other file of the UI. */
void api_web_file(void *app, const http_req *req, http_resp *resp)
{
    serve_file(req, resp, req->path + strlen("/web/"));
}
