# t_two_nodes.sh - two `sealca serve` nodes on one store (PostgreSQL under SEALCA_TEST_DB=pg):
# a status change made anywhere is answered by both nodes' OCSP within 1 s; both publish CRLs
# with strictly increasing numbers.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
$S init --home ca --name "Two Nodes CA" --base-url http://127.0.0.1:8080
sm2_csr a "/CN=a"
$S issue --home ca --profile person-sign --subject "CN=甲" --id-number 11010519491231002X --csr a.csr --out a.pem
I=ca/certs/sub-1.pem
# node B uses a copy of the home directory (its own config and key files) on the same database
# when the database is PostgreSQL; with SQLite both nodes share the home
if [ "${SEALCA_TEST_DB:-sqlite}" = pg ]; then cp -a ca caB; HB=caB; else HB=ca; fi
serve_start ca
URL_A=$URL; SPID_A=$SPID; KPID_A=$KPID
mv serve.out serveA.out
serve_start $HB
URL_B=$URL; SPID_B=$SPID; KPID_B=$KPID
trap 'kill -9 $SPID_A $KPID_A $SPID_B $KPID_B 2>/dev/null || true' EXIT
st() { openssl ocsp -issuer $I -cert a.pem -url "$1/ocsp" -noverify 2>/dev/null | sed -n 's|^a.pem: *||p'; }
[ "$(st $URL_A)" = good ] && [ "$(st $URL_B)" = good ] || die "not good on both nodes"
$S revoke --home ca --serial "$(serial_of a.pem)" --reason certificateHold
wait_for 1 sh -c "openssl ocsp -issuer $I -cert a.pem -url $URL_B/ocsp -noverify 2>/dev/null | grep -q 'Reason: certificateHold'" ||
    die "node B did not answer the hold within 1 s"
wait_for 1 sh -c "openssl ocsp -issuer $I -cert a.pem -url $URL_A/ocsp -noverify 2>/dev/null | grep -q 'Reason: certificateHold'" ||
    die "node A did not answer the hold within 1 s"
$S resume --home $HB --serial "$(serial_of a.pem)"
wait_for 1 sh -c "[ \"\$(openssl ocsp -issuer $I -cert a.pem -url $URL_A/ocsp -noverify 2>/dev/null | sed -n 's|^a.pem: *||p')\" = good ]" ||
    die "node A did not answer the resume within 1 s"
# both nodes publish; CRL numbers come from one counter
curl -fsS -o a.crl "$URL_A/crl/sub-1.crl"; curl -fsS -o b.crl "$URL_B/crl/sub-1.crl"
dbq "SELECT number FROM crls WHERE issuer = 'sub-1' ORDER BY number" > nums.txt
sort -n -u nums.txt | cmp - nums.txt || die "CRL numbers repeat"
serve_stop
SPID=$SPID_A; serve_stop
$S audit verify --home ca
