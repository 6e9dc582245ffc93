# t_ocsp_cli.sh - the offline OCSP responder against the openssl CLI: statuses, reasons, hold/resume, errors, full verification on ECDSA.
. "$ROOT/tests/integration/lib.sh"

# ask NAME ISSUER CERT [openssl options]: a request (no nonce) answered by sealca into NAME.resp
ask() {
    name=$1 iss=$2 cert=$3; shift 3
    openssl ocsp "$@" -issuer "$iss" -cert "$cert" -reqout "$name.req" -no_nonce
    $S ocsp --home ca --request "$name.req" --out "$name.resp"
}
# status_is NAME CERT ISSUER TEXT [digest]: openssl reads NAME.resp and prints TEXT
status_is() {
    openssl ocsp ${5:-} -respin "$1.resp" -issuer "$3" -cert "$2" -noverify -resp_text >"$1.txt" 2>&1 ||
        { cat "$1.txt"; die "openssl cannot read $1.resp"; }
    grep -q "$4" "$1.txt" || { cat "$1.txt"; die "$1: expected '$4'"; }
}

$S init --home ca --name "OCSP 测试 CA" --base-url http://127.0.0.1:8080
SUB=ca/certs/sub-1.pem
sm2_csr a "/CN=a"
sm2_csr b "/CN=b"
$S issue --home ca --profile organization-sign --subject "CN=甲公司,O=甲公司,C=CN" --uscc 91350100M000100Y43 --csr a.csr --out a.pem
$S issue --home ca --profile organization-sign --subject "CN=乙公司,O=乙公司,C=CN" --uscc 91350100M000100Y43 --csr b.csr --out b.pem

# good, then checked by sealca's own verifier (OpenSSL 3.0 cannot check SM2 with the GM/T 0009 ID)
ask good $SUB a.pem
status_is good a.pem $SUB "Cert Status: good"
grep -q "Responder Id: " good.txt || die "no byKey responder id"
grep -q "OCSP Signer G1" good.txt || die "the signer certificate is not embedded"
$S verify-ocsp --home ca --response good.resp >v.txt
grep -q "signature OK: signed by ocsp-1 (sm2)" v.txt || { cat v.txt; die "verify-ocsp"; }
grep -q "$(serial_of a.pem | tr 'A-F' 'a-f'): good" v.txt || { cat v.txt; die "verify-ocsp status"; }

# SHA-256 and SM3 CertIDs are answered with the same hash
ask sha256 $SUB a.pem -sha256
status_is sha256 a.pem $SUB "Hash Algorithm: sha256" -sha256
grep -q "Cert Status: good" sha256.txt || die "sha256 CertID not good"
ask sm3 $SUB a.pem -sm3
status_is sm3 a.pem $SUB "Hash Algorithm: sm3" -sm3
$S verify-ocsp --home ca --response sm3.resp | grep -q ": good" || die "sm3 CertID not good"

# two certificates in one request
openssl ocsp -issuer $SUB -cert a.pem -cert b.pem -reqout two.req -no_nonce
$S ocsp --home ca --request two.req --out two.resp
[ "$($S verify-ocsp --home ca --response two.resp | grep -c ': good')" = 2 ] || die "two CertIDs"

# revoked with its reason
$S revoke --home ca --serial "$(serial_of a.pem)" --reason keyCompromise
ask rev $SUB a.pem
status_is rev a.pem $SUB "Cert Status: revoked"
grep -q "Revocation Reason: keyCompromise" rev.txt || { cat rev.txt; die "reason"; }
$S verify-ocsp --home ca --response rev.resp | grep -q "revoked at .*, reason keyCompromise" || die "verify-ocsp reason"

# hold (挂失) shows as revoked certificateHold, resume (解挂) makes it good again
$S revoke --home ca --serial "$(serial_of b.pem)" --reason certificateHold
ask hold $SUB b.pem
status_is hold b.pem $SUB "Revocation Reason: certificateHold"
$S resume --home ca --serial "$(serial_of b.pem)"
ask resumed $SUB b.pem
status_is resumed b.pem $SUB "Cert Status: good"

# a CertID naming an issuer we do not sign for (the root): unauthorized, still a response
openssl ocsp -issuer ca/certs/root-1.pem -cert a.pem -reqout root.req -no_nonce
if $S ocsp --home ca --request root.req --out root.resp 2>err.txt; then die "root CertID answered"; fi
openssl ocsp -respin root.resp -resp_text -noverify 2>&1 | grep -q "unauthorized" || die "not unauthorized"
# garbage: malformedRequest
printf 'not an OCSP request' > junk.req
if $S ocsp --home ca --request junk.req --out junk.resp 2>err.txt; then die "junk answered"; fi
openssl ocsp -respin junk.resp -resp_text -noverify 2>&1 | grep -q "malformedrequest" || die "not malformed"
expect_fail ocsp.unsigned $S verify-ocsp --home ca --response junk.resp
# a tampered response fails sealca's verifier
cp good.resp bad.resp
printf '\001' | dd of=bad.resp bs=1 seek=60 conv=notrunc 2>/dev/null
if $S verify-ocsp --home ca --response bad.resp >/dev/null 2>&1; then die "tampered response verified"; fi

# ECDSA home: OpenSSL verifies everything, nonce included
$S init --home ec --algo ecdsa-p256 --name "OCSP EC CA"
p256_csr c "/CN=c"
$S issue --home ec --profile organization-sign --subject "CN=丙公司,O=丙公司,C=CN" --uscc 91350100M000100Y43 --csr c.csr --out c.pem
cat ec/certs/sub-1.pem ec/certs/root-1.pem > chain.pem
openssl ocsp -issuer ec/certs/sub-1.pem -cert c.pem -reqout ec.req -no_nonce
$S ocsp --home ec --request ec.req --out ec.resp
openssl ocsp -respin ec.resp -issuer ec/certs/sub-1.pem -cert c.pem -no_nonce \
    -VAfile ec/certs/ocsp-1.pem -CAfile chain.pem >ec.txt 2>&1 || { cat ec.txt; die "ECDSA response does not verify"; }
grep -q "Response verify OK" ec.txt && grep -q "c.pem: good" ec.txt || { cat ec.txt; die "ECDSA status"; }
# with a nonce: OpenSSL checks it is echoed
openssl ocsp -issuer ec/certs/sub-1.pem -cert c.pem -reqout ecn.req
$S ocsp --home ec --request ecn.req --out ecn.resp
openssl ocsp -reqin ecn.req -respin ecn.resp -VAfile ec/certs/ocsp-1.pem -CAfile chain.pem >ecn.txt 2>&1 ||
    { cat ecn.txt; die "nonce response does not verify"; }
grep -q "Response verify OK" ecn.txt || { cat ecn.txt; die "nonce"; }
# the delegated signer alone, as the trust anchor path would be built by a relying party
openssl ocsp -respin ec.resp -issuer ec/certs/sub-1.pem -cert c.pem -no_nonce -CAfile chain.pem >ec2.txt 2>&1 ||
    { cat ec2.txt; die "ECDSA response does not verify through the embedded signer"; }
$S audit verify --home ca
