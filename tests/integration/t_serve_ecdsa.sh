# t_serve_ecdsa.sh - an ECDSA P-256 CA served over HTTP, where openssl ocsp checks the responses
# completely (-VAfile, -CAfile) and openssl verify checks the published CRL.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
$S init --home ca --algo ecdsa-p256 --name "Platform P-256 CA" --base-url http://127.0.0.1:8080
p256_csr a "/CN=a"
$S issue --home ca --profile organization-sign --subject "CN=甲公司,O=甲公司,C=CN" --uscc 91350100M000100Y43 --csr a.csr --out a.pem
cat ca/certs/sub-1.pem ca/certs/root-1.pem > chain.pem
serve_start ca
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT
full() { openssl ocsp -issuer ca/certs/sub-1.pem -cert a.pem -url "$URL/ocsp" -VAfile ca/certs/ocsp-1.pem -CAfile chain.pem 2>&1; }
full > o1.txt
grep -q "Response verify OK" o1.txt && grep -q "a.pem: good" o1.txt || { cat o1.txt; die "full OCSP verification"; }
$S revoke --home ca --serial "$(serial_of a.pem)" --reason affiliationChanged
wait_for 1 sh -c "openssl ocsp -issuer ca/certs/sub-1.pem -cert a.pem -url $URL/ocsp -VAfile ca/certs/ocsp-1.pem -CAfile chain.pem 2>&1 | grep -q 'Reason: affiliationChanged'" ||
    die "revocation within 1 s (fully verified)"
full | grep -q "Response verify OK" || die "verify after revocation"
# the published CRL, fetched from its distribution point, is checked by OpenSSL
wait_for 30 sh -c "curl -fsS -o sub.crl $URL/crl/sub-1.crl && openssl crl -inform DER -in sub.crl -noout -text | grep -qi $(serial_of a.pem)" || die "CRL publication"
curl -fsS -o root.crl "$URL/crl/root-1.crl"
openssl crl -inform DER -in sub.crl -out crls.pem
openssl crl -inform DER -in root.crl >> crls.pem
if openssl verify -crl_check_all -CRLfile crls.pem -CAfile chain.pem a.pem > v.txt 2>&1; then die "revoked certificate verified"; fi
grep -q "certificate revoked" v.txt || { cat v.txt; die "expected certificate revoked"; }
serve_stop
