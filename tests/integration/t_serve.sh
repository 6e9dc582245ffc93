# t_serve.sh - sealca serve: publication endpoints, OCSP with status changes, limits, key process.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
$S init --home ca --name "服务测试CA" --base-url http://127.0.0.1:8080
sm2_csr a "/CN=a"; sm2_csr b "/CN=b"
$S issue --home ca --profile person-sign --subject "CN=甲" --id-number 11010519491231002X --csr a.csr --out a.pem
$S issue --home ca --profile person-sign --subject "CN=乙" --id-number 11010519491231002X --csr b.csr --out b.pem
I=ca/certs/sub-1.pem
serve_start ca --tls-listen 127.0.0.1:0
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT

# HTTPS with the ECDSA P-256 certificate made at init (browsers speak neither SM2 nor TLCP)
[ -n "$TLSPORT" ] || die "no HTTPS listener"
[ "$(curl -fsS --cacert ca/tls/ca.pem https://localhost:$TLSPORT/healthz)" = ok ] || die "HTTPS with our TLS root"
openssl x509 -in ca/tls/server.pem -noout -text | grep -q "DNS:localhost, IP Address:127.0.0.1" || die "TLS SAN"
if curl -fsS https://localhost:$TLSPORT/healthz >/dev/null 2>&1; then die "HTTPS accepted without our root"; fi

# health and publication
[ "$(curl -fsS $URL/healthz)" = ok ] || die healthz
[ "$(curl -fsS $URL/readyz)" = ready ] || die readyz
curl -fsS -o sub.crt "$URL/ca/sub-1.crt"
openssl x509 -in $I -outform DER | cmp - sub.crt || die "CA certificate differs"
curl -fsS "$URL/ca/chain.pem" | grep -c BEGIN | grep -qx 2 || die "chain"
curl -fsS -D crl.h -o sub.crl "$URL/crl/sub-1.crl"
grep -qi "^content-type: application/pkix-crl" crl.h || die "CRL content type"
grep -qi "^etag: " crl.h && grep -qi "^last-modified: " crl.h && grep -qi "^cache-control: .*max-age=" crl.h || die "CRL cache headers"
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' crl.h | tr -d '\r')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/crl/sub-1.crl")" = 304 ] || die "conditional GET"
$S verify-crl --home ca --crl sub.crl
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/crl/nope.crl")" = 404 ] || die "unknown CRL"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/crl/../sealca.conf")" = 404 ] || die "path escape"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$URL/ocsp")" = 405 ] || die "method"

# OCSP: good, revoked within 1 s, hold and resume, nonce, GET, caching headers
[ "$(ocsp_status a.pem $I)" = good ] || die "a not good"
openssl ocsp -issuer $I -cert a.pem -url "$URL/ocsp" -noverify >nonce.txt 2>&1
! grep -qi "nonce" nonce.txt || { cat nonce.txt; die "nonce not echoed"; }
$S revoke --home ca --serial "$(serial_of a.pem)" --reason keyCompromise
wait_for 1 sh -c "[ \"\$(openssl ocsp -issuer $I -cert a.pem -url $URL/ocsp -noverify 2>/dev/null | sed -n 's|^a.pem: *||p')\" = revoked ]" ||
    die "revocation not visible in OCSP within 1 s"
openssl ocsp -issuer $I -cert a.pem -url "$URL/ocsp" -noverify 2>/dev/null | grep -q "Reason: keyCompromise" || die "reason"
$S revoke --home ca --serial "$(serial_of b.pem)" --reason certificateHold
wait_for 1 sh -c "openssl ocsp -issuer $I -cert b.pem -url $URL/ocsp -noverify 2>/dev/null | grep -q 'Reason: certificateHold'" || die "hold within 1 s"
$S resume --home ca --serial "$(serial_of b.pem)"
wait_for 1 sh -c "[ \"\$(openssl ocsp -issuer $I -cert b.pem -url $URL/ocsp -noverify 2>/dev/null | sed -n 's|^b.pem: *||p')\" = good ]" || die "resume within 1 s"
openssl ocsp -issuer $I -cert a.pem -no_nonce -reqout req.der >/dev/null 2>&1
b64=$(base64 -w0 req.der | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
curl -fsS -D get.h -o get.der "$URL/ocsp/$b64"
grep -qi "^cache-control: public, max-age" get.h || die "GET cache headers"
grep -qi "^content-type: application/ocsp-response" get.h || die "OCSP content type"
$S verify-ocsp --home ca --response get.der | grep -q revoked || die "GET response"
# the CRL catches up within 60 s
wait_for 30 sh -c "curl -fsS -o new.crl $URL/crl/sub-1.crl && openssl crl -inform DER -in new.crl -noout -text | grep -qi $(serial_of a.pem)" ||
    die "revocation not in the published CRL"
curl -fsS -o delta.crl "$URL/crl/sub-1-delta.crl"
openssl crl -inform DER -in delta.crl -noout -text | grep -q "Delta CRL Indicator" || die "delta CRL"

# bad input: malformed -> malformedRequest, oversized -> 413, wrong type -> 415, other CA -> unauthorized
head -c 300 /dev/urandom > junk.der
curl -fsS -H 'Content-Type: application/ocsp-request' --data-binary @junk.der -o bad.der "$URL/ocsp"
openssl ocsp -respin bad.der -resp_text -noverify 2>&1 | grep -q "malformedrequest\|malformedRequest" || die "malformed"
head -c 20000 /dev/zero > big.der
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/ocsp-request' --data-binary @big.der "$URL/ocsp")" = 413 ] || die "413"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: text/plain' --data-binary @req.der "$URL/ocsp")" = 415 ] || die "415"
$S init --home other --name "Other CA"
sm2_csr o "/CN=o"
$S issue --home other --profile person-sign --subject "CN=丙" --id-number 11010519491231002X --csr o.csr --out o.pem
openssl ocsp -issuer other/certs/sub-1.pem -cert o.pem -url "$URL/ocsp" -noverify 2>&1 | grep -qi "unauthorized" || die "unauthorized"

# slow clients do not starve others
python3 "$ROOT/tests/tools/halfopen.py" "$PORT" 200 4 >halfopen.out &
HP=$!
sleep 1
for i in 1 2 3 4 5; do curl -fsS -m 2 "$URL/healthz" >/dev/null || die "healthz starved by half-open connections"; done
[ "$(ocsp_status b.pem $I)" = good ] || die "OCSP starved"
wait $HP

# the HTTP process never holds a private key; the key process does (positive control)
d_ocsp=$(openssl pkey -in ca/keys/ocsp-1.key -passin env:SEALCA_PASSPHRASE -text -noout | sed -n '/priv:/,/pub:/p' | grep -v 'priv:\|pub:' | tr -d ' :\n')
d_sub=$(openssl pkey -in ca/keys/sub-1.key -passin env:SEALCA_PASSPHRASE -text -noout | sed -n '/priv:/,/pub:/p' | grep -v 'priv:\|pub:' | tr -d ' :\n')
[ ${#d_ocsp} -ge 60 ] || die "could not read the OCSP key for the memory check"
python3 "$ROOT/tests/tools/memscan.py" $SPID "$d_ocsp" "$d_sub" || die "private key bytes found in the HTTP process"
if python3 "$ROOT/tests/tools/memscan.py" $KPID "$d_ocsp"; then die "memory scan cannot see keys (positive control failed)"; fi

# access log: JSON lines, no secrets
python3 -c "
import json, sys
n = 0
for line in open('access.log'):
    r = json.loads(line); n += 1
    assert set(r) >= {'ts', 'remote', 'method', 'path', 'status', 'bytes', 'ms'}, r
print(n, 'log lines')
" || die "access log"
! grep -q "$SEALCA_PASSPHRASE" access.log serve.out || die "passphrase in logs"

# oversized request headers are refused (per-connection memory limit), the server stays up
big=$(head -c 40000 /dev/zero | tr '\0' 'a')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$URL/healthz" || true)
[ "$code" != 200 ] || die "40 KB header accepted"
[ "$(curl -fsS $URL/healthz)" = ok ] || die "server down after oversized headers"

# the key process dies: not ready, no signing, but cached answers and the CRL still served
kill -9 $KPID
wait_for 3 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $URL/readyz)\" = 503 ]" || die "readyz after key process death"
curl -fsS -o /dev/null "$URL/crl/sub-1.crl" || die "CRL while key process is down"
serve_stop

# graceful stop: a download in progress when SIGTERM arrives completes, byte for byte
$S bench populate --home ca --revoked 20000 >/dev/null
$S crl --home ca --out big.crl
serve_start ca
curl -fsS --limit-rate 200k -o slow.crl "$URL/crl/sub-1.crl" &
CURL=$!
sleep 1
kill -TERM $SPID
wait $CURL || die "download cut off by SIGTERM"
cmp slow.crl big.crl || die "the CRL downloaded during shutdown differs"
wait $SPID 2>/dev/null || true
! kill -0 $SPID 2>/dev/null || die "server still running after SIGTERM"
