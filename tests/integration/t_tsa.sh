# t_tsa.sh - the RFC 3161 TSA: certificate, POST /tsa with the openssl ts client, bad requests, the token log, time-stamped seal signatures and tampered tokens.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
FX="$FIXTURES/seal"
SPID="" KPID=""
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT
check_is() {
    got=$(jq -r --arg id "$2" '[.. | objects | select(.id? == $id)][0] | "\(.status) \(.code // "")"' "$1")
    [ "$got" = "$3 ${4:-}" ] || { cat "$1"; die "$1: check $2 is '$got', expected '$3 ${4:-}'"; }
}
# post FILE OUT [CONTENT-TYPE]: POST FILE to /tsa, body to OUT; prints the HTTP status
post() {
    curl -s -o "$2" -w '%{http_code}' -H "Content-Type: ${3:-application/timestamp-query}" \
        --data-binary @"$1" "$URL/tsa"
}

$S init --home ca --name "时间戳测试 CA"
# ---- the TSA certificate: SM2, signed by the issuing CA, EKU timeStamping critical ----
$S ca tsa --home ca >tsa.txt
grep -q "tsa-1" tsa.txt || die "no tsa-1"
openssl x509 -in ca/certs/tsa-1.pem -noout -text >tsacert.txt
grep -A1 "Extended Key Usage: critical" tsacert.txt | grep -q "Time Stamping" || { cat tsacert.txt; die "EKU not timeStamping critical"; }
grep -q "SM2" tsacert.txt || die "TSA key is not SM2"
sm2_verify_chain ca/certs/tsa-1.pem ca/certs/sub-1.pem ca/certs/root-1.pem
[ "$(dbq "SELECT role, parent, status FROM issuers WHERE id = 'tsa-1'")" = "tsa|sub-1|active" ] || die "issuer row"
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action = 'ca.tsa'")" = 1 ] || die "TSA creation not audited"
# a second one retires the first
$S ca tsa --home ca >/dev/null
[ "$(dbq "SELECT id || ':' || status FROM issuers WHERE role = 'tsa' ORDER BY id")" = "$(printf 'tsa-1:retired\ntsa-2:active')" ] || die "tsa-2 did not replace tsa-1"
cat ca/certs/root-1.pem ca/certs/sub-1.pem >chain.pem

serve_start ca
# ---- SM3 and SHA-256 requests from the openssl client ----
printf '招标文件 tender document\n' >doc.txt
openssl ts -query -data doc.txt -sm3 -cert -out q1.tsq 2>/dev/null
[ "$(post q1.tsq r1.tsr)" = 200 ] || die "POST /tsa"
openssl ts -reply -in r1.tsr -text >r1.txt 2>/dev/null
grep -q "Status: Granted" r1.txt || { cat r1.txt; die "not granted"; }
grep -q "Hash Algorithm: sm3" r1.txt || die "imprint algorithm not echoed"
grep -q "Policy OID: 2.25.314170397574101246769260177629083177580.3161" r1.txt || die "default policy"
grep -q "TSA: DirName:.*CN=TSA G2" r1.txt || die "tsa name"
grep -q "Accuracy: 0x01 seconds" r1.txt || die "accuracy"
qn=$(openssl ts -query -in q1.tsq -text 2>/dev/null | sed -n 's/^Nonce: //p')
rn=$(sed -n 's/^Nonce: //p' r1.txt)
[ -n "$qn" ] && [ "$qn" = "$rn" ] || die "nonce not echoed ($qn / $rn)"
qi=$(openssl ts -query -in q1.tsq -text 2>/dev/null | sed -n '/Message data:/,/Policy/p' | grep -- ' - ')
ri=$(sed -n '/Message data:/,/Serial/p' r1.txt | grep -- ' - ')
[ "$qi" = "$ri" ] || die "imprint not echoed"
# genTime in UTC with milliseconds (or whole seconds when they are .000)
grep -Eq "^Time stamp: [A-Z][a-z]{2} +[0-9]+ [0-9:]{8}(\.[0-9]+)? 20[0-9]{2} GMT" r1.txt || die "genTime"
# certReq: the TSA certificate is in the token; without it, it is not
openssl ts -reply -in r1.tsr -token_out -out t1.der 2>/dev/null
openssl pkcs7 -inform DER -in t1.der -print_certs 2>/dev/null | grep -q "CN *= *TSA G2" || die "certReq not honoured"
openssl ts -query -data doc.txt -sha256 -out q2.tsq 2>/dev/null
[ "$(post q2.tsq r2.tsr)" = 200 ] || die "POST sha256"
openssl ts -reply -in r2.tsr -text 2>/dev/null | grep -q "Hash Algorithm: sha256" || die "sha256 imprint"
openssl ts -reply -in r2.tsr -token_out -out t2.der 2>/dev/null
if openssl pkcs7 -inform DER -in t2.der -print_certs 2>/dev/null | grep -q "TSA G2"; then die "certificate without certReq"; fi
# unique serials, each logged with its imprint and time
s1=$(sed -n 's/^Serial number: 0x//p' r1.txt | tr 'A-F' 'a-f')
s2=$(openssl ts -reply -in r2.tsr -text 2>/dev/null | sed -n 's/^Serial number: 0x//p' | tr 'A-F' 'a-f')
[ -n "$s1" ] && [ "$s1" != "$s2" ] || die "serials not unique"
[ "$(dbq "SELECT issuer || '|' || hash_alg || '|' || policy FROM tsa_tokens WHERE serial = '$s1'")" = "tsa-2|sm3|2.25.314170397574101246769260177629083177580.3161" ] || die "token $s1 not logged"
[ "$(dbq "SELECT COUNT(*) FROM tsa_tokens")" = 2 ] || die "token count"
[ "$(dbq "SELECT COUNT(*) FROM tsa_tokens WHERE serial = '$s2' AND hash_alg = 'sha256'")" = 1 ] || die "sha256 token not logged"
# the CLI finds a token by serial, and checks a token against its data
$S tsa show --home ca "$s1" >show.txt
grep -q "^TSA *tsa-2" show.txt && grep -q "^imprint *sm3 " show.txt && grep -q "+08:00" show.txt || { cat show.txt; die "tsa show"; }
expect_fail tsa.not_found $S tsa show --home ca 00
$S tsa verify r1.tsr --data doc.txt | grep -q "imprint matches the data" || die "tsa verify"
expect_fail tsa.imprint_mismatch $S tsa verify r1.tsr --data q1.tsq

# ---- what OpenSSL 3.0 verifies ----
# openssl ts -verify cannot pass: OpenSSL 3.0 verifies SM2 signatures (certificates and the CMS
# signer) with an empty distinguishing ID, sealca signs with GM/T 0009's "1234567812345678"
if openssl ts -verify -in r1.tsr -queryfile q1.tsq -CAfile chain.pem >v.txt 2>&1; then die "openssl ts -verify passed: update docs"; fi
# with the chain taken care of (the TSA certificate as anchor), only the signature check fails
if openssl ts -verify -in r1.tsr -queryfile q1.tsq -CAfile ca/certs/tsa-2.pem -partial_chain >v2.txt 2>&1; then die "ts -verify passed"; fi
grep -q "TS_RESP_verify_signature:signature failure" v2.txt || { cat v2.txt; die "not the signature check"; }
# the signature over the signed attributes verifies in OpenSSL with the GM/T 0009 ID, not without
openssl asn1parse -inform DER -in t1.der >a.txt
line=$(grep "d=5 *hl=[0-9] *l= *[0-9]* cons: *cont \[ 0 \]" a.txt | tail -1)
off=${line%%:*}; off=$(echo $off); hl=$(echo "$line" | sed 's/.*hl=\([0-9]*\).*/\1/'); l=$(echo "$line" | sed 's/.*l= *\([0-9]*\) cons.*/\1/')
dd if=t1.der of=attrs.der bs=1 skip=$off count=$((hl + l)) 2>/dev/null
printf '\061' | dd of=attrs.der bs=1 count=1 conv=notrunc 2>/dev/null # [0] IMPLICIT -> SET OF
grep "d=5 .*OCTET STRING" a.txt | tail -1 | sed 's/.*\[HEX DUMP\]://' | xxd -r -p >sig.der
openssl x509 -in ca/certs/tsa-2.pem -pubkey -noout >tsapub.pem
openssl pkeyutl -verify -pubin -inkey tsapub.pem -rawin -digest sm3 -pkeyopt "$DISTID" -in attrs.der -sigfile sig.der | grep -q "Verified Successfully" || die "token signature does not verify in OpenSSL with the distid"
if openssl pkeyutl -verify -pubin -inkey tsapub.pem -rawin -digest sm3 -in attrs.der -sigfile sig.der >/dev/null 2>&1; then die "verified without the distid?"; fi
# messageDigest is SM3 of the TSTInfo
eoff=$(grep "d=5 .*OCTET STRING" a.txt | head -1); eoff=${eoff%%:*}; eoff=$(echo $eoff)
openssl asn1parse -inform DER -in t1.der -strparse $eoff -noout -out tst.der
md=$(grep -A2 "messageDigest" a.txt | sed -n 's/.*\[HEX DUMP\]://p' | tr 'A-F' 'a-f')
[ "$(openssl dgst -sm3 -r tst.der | cut -d' ' -f1)" = "$md" ] || die "messageDigest is not SM3(TSTInfo)"

# ---- bad requests: a TimeStampResp with the PKIFailureInfo, nothing logged ----
before=$(dbq "SELECT COUNT(*) FROM tsa_tokens")
printf 'not a request' >junk.tsq
[ "$(post junk.tsq j.tsr)" = 200 ] || die "junk status"
openssl ts -reply -in j.tsr -text 2>/dev/null | grep -q "Status: Rejected" || die "junk not rejected"
openssl ts -reply -in j.tsr -text 2>/dev/null | grep -q "the data submitted has the wrong format" || die "junk: failInfo badDataFormat"
openssl ts -query -data doc.txt -md5 -out md5.tsq 2>/dev/null
post md5.tsq m.tsr >/dev/null
openssl ts -reply -in m.tsr -text 2>/dev/null | grep -q "unrecognized or unsupported algorithm" || { openssl ts -reply -in m.tsr -text; die "md5: failInfo badAlg"; }
openssl ts -query -data doc.txt -sm3 -tspolicy 1.2.3.4 -out pol.tsq 2>/dev/null
post pol.tsq p.tsr >/dev/null
openssl ts -reply -in p.tsr -text 2>/dev/null | grep -q "the requested TSA policy is not supported" || { openssl ts -reply -in p.tsr -text; die "policy: failInfo unacceptedPolicy"; }
# a version-2 request: badRequest
python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[4]=2; open('v2.tsq','wb').write(d)" q1.tsq
post v2.tsq v2.tsr >/dev/null
openssl ts -reply -in v2.tsr -text 2>/dev/null | grep -q "transaction not permitted or supported" || { openssl ts -reply -in v2.tsr -text; die "v2: failInfo badRequest"; }
[ "$(post q1.tsq x.tsr text/plain)" = 415 ] || die "wrong content type accepted"
head -c 5000 /dev/zero >big.tsq
[ "$(post big.tsq x.tsr)" = 413 ] || die "oversized request accepted"
[ "$before" = "$(dbq "SELECT COUNT(*) FROM tsa_tokens")" ] || die "a rejected request was logged"

# ---- seals: seal sign --tsa embeds a token over the signature value; seal verify checks it ----
$S issue --home ca --profile organization-sign --subject "CN=甲公司,O=甲公司,C=CN" --uscc 91350100M000100Y43 --keygen --key-out a.key --out a.pem
python3 -c "
import sys
d=open(sys.argv[1],'rb').read(); i=d.index(b'\x89PNG'); j=d.index(b'IEND',i)+8
open('seal.png','wb').write(d[i:j])" "$FX/ofdrw-UserV4.esl"
$S seal make --home ca --image seal.png --name "甲公司" --type organization --cert a.pem --out a.esl >/dev/null
$S seal make --home ca --image seal.png --name "甲公司财务章" --type organization --kind finance --version 1 --cert a.pem --out a1.esl >/dev/null
printf '投标文件 bid document\n' >bid.txt
# the signer claims an earlier time (inside the seal's validity); the TSA's time is the evidence
# the report uses
sleep 3
claimed=$(date -u -d '-2 sec' +%Y-%m-%dT%H:%M:%SZ)
$S seal sign --seal a.esl --key a.key bid.txt --time "$claimed" --tsa "$URL/tsa" --out bid.ses
$S seal sign --seal a.esl --key a.key bid.txt --out plain.ses
[ "$(stat -c %s bid.ses)" -gt "$(stat -c %s plain.ses)" ] || die "no timestamp embedded"
$S seal verify bid.ses --data bid.txt --home ca --json >ok.json || { cat ok.json; die "time-stamped signature does not verify"; }
check_is ok.json sig.timestamp pass
check_is ok.json sig.tsa_cert pass
jq -r '[.. | objects | select(.id? == "sig.timestamp")][0].detail' ok.json | grep -q "serial" || die "no token detail"
# the signing time reported is the TSA's (logged with the token), not the claim
[ "$(jq -r .signingTime ok.json)" != "$claimed" ] || die "the report uses the signer's claim"
$S seal verify bid.ses --data bid.txt --home ca >ok.txt
grep -q "TSA time" ok.txt || die "text report lacks the TSA time"
tokser=$(jq -r '[.. | objects | select(.id? == "sig.timestamp")][0].detail' ok.json | sed 's/.*serial \([0-9a-f]*\).*/\1/')
gt=$(dbq "SELECT gen_time_ms / 1000 FROM tsa_tokens WHERE serial = '$tokser'")
[ -n "$gt" ] || die "seal token $tokser not in the log"
[ "$(jq -r .signingTime ok.json)" = "$(date -u -d "@$gt" +%Y-%m-%dT%H:%M:%SZ)" ] || die "signingTime is not the TSA time"
# offline: chain + CRLs, no home
$S crl --home ca --out full.crl
$S crl --home ca --issuer root-1 --out arl.crl
$S seal verify bid.ses --data bid.txt --ca chain.pem --crl full.crl --crl arl.crl --json >off.json || { cat off.json; die "offline"; }
check_is off.json sig.tsa_cert pass
# a v1 (GM/T 0031) signature has no timeStamp field
expect_fail tsa.v1_no_timestamp $S seal sign --seal a1.esl --key a.key bid.txt --tsa "$URL/tsa" --out x.ses
[ ! -e x.ses ] || die "v1 with --tsa wrote a file"
# an unreachable TSA fails the signing and writes nothing
expect_fail tsa.unreachable $S seal sign --seal a.esl --key a.key bid.txt --tsa "http://127.0.0.1:1/tsa" --out y.ses
[ ! -e y.ses ] || die "failed signing wrote a file"

# ---- tampered tokens fail with a precise reason ----
# tamper KIND IN OUT: flip the genTime's last digit (TSTInfo), a byte of the token's signature,
# or swap in the token of another signature
python3 - bid.ses plain.ses <<'EOF'
import re, sys
d = open(sys.argv[1], 'rb').read()
def tlv(b, i):
    t = b[i]; l = b[i+1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i+2:i+2+n], 'big'); h = 2 + n
    return t, h, l
# the timeStamp [0] is the last element of the SES_Signature
t, h, l = tlv(d, 0)
i = h; last = None
while i < h + l:
    tt, hh, ll = tlv(d, i); last = i; i += hh + ll
assert d[last] == 0xa0
m = re.search(rb'\x18[\x0f-\x13]20\d{12}', d[last:])
g = bytearray(d); p = last + m.start() + 15; g[p] = ord('0') + (g[p] - ord('0') + 1) % 10
open('t_time.ses', 'wb').write(g)
g = bytearray(d); g[len(d) - 10] ^= 1   # inside the token's SM2 signature value
open('t_sig.ses', 'wb').write(g)
# the token of another signature (a second one over other data)
EOF
if $S seal verify t_time.ses --data bid.txt --home ca --json >tt.json; then die "altered genTime accepted"; fi
check_is tt.json sig.timestamp fail tsa.digest_mismatch
if $S seal verify t_sig.ses --data bid.txt --home ca --json >ts.json; then die "altered token signature accepted"; fi
check_is ts.json sig.timestamp fail tsa.bad_signature
# a genuine token, but for another signature: the imprint does not match
printf 'other\n' >other.txt
$S seal sign --seal a.esl --key a.key other.txt --tsa "$URL/tsa" --out other.ses
python3 - bid.ses other.ses <<'EOF'
import sys
def tlv(b, i):
    t = b[i]; l = b[i+1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i+2:i+2+n], 'big'); h = 2 + n
    return t, h, l
def split(b):
    t, h, l = tlv(b, 0); i = h; parts = []
    while i < h + l:
        tt, hh, ll = tlv(b, i); parts.append(b[i:i+hh+ll]); i += hh + ll
    return parts
def seq(body):
    n = len(body)
    if n < 128: hdr = bytes([0x30, n])
    else:
        nb = n.to_bytes((n.bit_length() + 7) // 8, 'big'); hdr = bytes([0x30, 0x80 | len(nb)]) + nb
    return hdr + body
a = split(open(sys.argv[1], 'rb').read()); b = split(open(sys.argv[2], 'rb').read())
open('t_swap.ses', 'wb').write(seq(b''.join(a[:-1]) + b[-1]))
EOF
if $S seal verify t_swap.ses --data bid.txt --home ca --json >tw.json; then die "another signature's token accepted"; fi
check_is tw.json sig.timestamp fail tsa.imprint_mismatch
check_is tw.json sig.signature pass
serve_stop

# no TSA certificate at all: the endpoint rejects with systemFailure (a home without one)
$S init --home ca2 --name "无时间戳 CA" --database sqlite:ca.db
serve_start ca2
post q1.tsq n.tsr >/dev/null
openssl ts -reply -in n.tsr -text 2>/dev/null | grep -q "due to system failure" || die "no TSA: not rejected with systemFailure"
serve_stop
echo "t_tsa: ok"
