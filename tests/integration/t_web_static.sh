# t_web_static.sh - the browser UI's static files: found beside the binary, right content types
# and security headers, 304 on an unchanged ETag, and no path that leaves web/ or shadows the API.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
$S init --home ca --name "界面测试CA" --base-url http://127.0.0.1:8080 >/dev/null
# no SEALCA_WEB_ROOT: the server finds the source tree's web/ from build/asan/sealca
unset SEALCA_WEB_ROOT
serve_start ca
trap serve_stop EXIT
# head PATH: status line and headers of GET PATH (path sent as is, no client normalisation)
get() { curl -s --path-as-is -D hdr.txt -o body.bin "$URL$1"; sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p' hdr.txt | tr -d '\r'; }
hdr() { grep -i "^$1:" hdr.txt | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'; }

[ "$(get /)" = 200 ] || die "GET / is not 200"
cmp body.bin "$ROOT/web/index.html" || die "GET / is not web/index.html"
[ "$(hdr Content-Type)" = "text/html; charset=utf-8" ] || die "index content type: $(hdr Content-Type)"
csp=$(hdr Content-Security-Policy)
echo "$csp" | grep -q "default-src 'self'" || die "no strict CSP: $csp"
echo "$csp" | grep -q "unsafe" && die "CSP allows unsafe-*: $csp"
echo "$csp" | grep -q "frame-ancestors 'none'" || die "CSP allows framing"
[ "$(hdr X-Content-Type-Options)" = nosniff ] || die "no nosniff"
[ "$(hdr Cache-Control)" = no-cache ] || die "Cache-Control: $(hdr Cache-Control)"
[ "$(hdr X-Frame-Options)" = DENY ] || die "no X-Frame-Options"
etag=$(hdr ETag)
[ -n "$etag" ] || die "no ETag"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/")
[ "$code" = 304 ] || die "unchanged file not answered 304 ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$URL/")
[ "$code" = 200 ] || die "changed ETag not answered 200 ($code)"

[ "$(get /staff)" = 200 ] || die "GET /staff"
cmp body.bin "$ROOT/web/staff.html" || die "/staff is not web/staff.html"
for f in $(cd "$ROOT/web" && find . -type f | sed 's|^\./||'); do
    [ "$(get "/web/$f")" = 200 ] || die "GET /web/$f"
    cmp body.bin "$ROOT/web/$f" || die "/web/$f differs from the file"
    ct=$(hdr Content-Type)
    case "$f" in
    *.js) [ "$ct" = "text/javascript; charset=utf-8" ] || die "$f served as $ct" ;;
    *.css) [ "$ct" = "text/css; charset=utf-8" ] || die "$f served as $ct" ;;
    *.html) [ "$ct" = "text/html; charset=utf-8" ] || die "$f served as $ct" ;;
    *.svg) [ "$ct" = "image/svg+xml" ] || die "$f served as $ct" ;;
    esac
done
# no inline script anywhere in the UI: the CSP would block it, so it must not exist
if grep -l '<script>' "$ROOT"/web/*.html; then die "inline <script> in web/"; fi
if grep -lE ' on[a-z]+=' "$ROOT"/web/*.html; then die "inline event handler in web/"; fi

# paths that try to leave web/ or reach what is not a UI file: all 404, none reveals a file
for p in /web/../ca/sealca.conf /web/%2e%2e/ca/sealca.conf /web/..%2fca/sealca.conf \
    /web/js/../../ca/sealca.conf /web//etc/passwd /web/.hidden.js /web/index.html%2f.. \
    '/web/a\..\index.html' /web/ /web/js/ /web/js /web/index /web/index.html.bak \
    /web/README /web/js/./api.js /web/x.sh "/web/$(printf 'a%.0s' $(seq 250)).js"; do
    code=$(get "$p")
    [ "$code" = 404 ] || die "$p answered $code"
    grep -q root: body.bin && die "$p leaked /etc/passwd"
    grep -q '^ *ca_' body.bin && die "$p leaked a config"
done
# a symlink planted in web/ is not followed (O_NOFOLLOW); a directory named *.js is not a file
mkdir -p web2/js.js && cp "$ROOT/web/index.html" "$ROOT/web/staff.html" web2/ && ln -s /etc/passwd web2/p.txt
serve_stop
SEALCA_WEB_ROOT="$PWD/web2" serve_start ca
[ "$(get /web/p.txt)" = 404 ] || die "symlink followed"
[ "$(get /web/js.js)" = 404 ] || die "directory served"
[ "$(get /web/index.html)" = 200 ] || die "SEALCA_WEB_ROOT not used"
# a file over the size limit is refused, not streamed
head -c 3000000 /dev/zero >web2/big.txt
[ "$(get /web/big.txt)" = 500 ] || die "oversized file served"
# only GET/HEAD; the UI routes never shadow the API, OCSP, CRL or CA paths
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$URL/web/index.html")
[ "$code" = 405 ] || die "POST to a UI file answered $code"
[ "$(curl -s -o /dev/null -w '%{http_code}' -I "$URL/web/index.html")" = 200 ] || die "HEAD"
[ "$(get /healthz)" = 200 ] || die "/healthz shadowed"
get /api/v1/nothing-here >/dev/null
grep -q 'http.not_found\|"error"' body.bin || die "/api path answered by the UI"
grep -qi '<html' body.bin && die "/api path answered with a page"
[ "$(get /ca/nothing)" != 200 ] || true
hdr Content-Type | grep -q json || die "/ca/ answered by the UI"
serve_stop
SEALCA_WEB_ROOT="$PWD/nowhere" serve_start ca
[ "$(get /)" = 404 ] || die "no web root must give 404"
grep -q "web UI disabled" serve.out || die "missing web root not reported"
echo "web static: ok"
