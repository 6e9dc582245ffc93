# t_seal_ocsp.sh - seal verification with revocation by OCSP from a running `sealca serve`: good,
# revoked after the signing time (still valid), revoked before it (invalid), the per-serial cache,
# responder down (a failure, not a pass), and forged, replayed, unsigned and oversized answers.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
FX="$FIXTURES/seal"
SPID="" KPID="" XPID=""
trap 'kill -9 $SPID $KPID $XPID 2>/dev/null || true' EXIT

check_is() { # JSON ID STATUS [CODE]
    got=$(jq -r --arg id "$2" '[.. | objects | select(.id? == $id)][0] | "\(.status) \(.code // "")"' "$1")
    [ "$got" = "$3 ${4:-}" ] || { cat "$1"; die "$1: check $2 is '$got', expected '$3 ${4:-}'"; }
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

P=$(free_port)
$S init --home ca --name "OCSP 印章 CA" --base-url "http://127.0.0.1:$P" >/dev/null
for who in a b c; do
    $S issue --home ca --profile organization-sign --subject "CN=$who 公司,O=$who 公司,C=CN" --uscc 91350100M000100Y43 --keygen --key-out $who.key --out $who.pem >/dev/null
done
python3 -c "
import sys
d=open(sys.argv[1],'rb').read(); i=d.index(b'\x89PNG'); j=d.index(b'IEND',i)+8
open('seal.png','wb').write(d[i:j])" "$FX/ofdrw-UserV4.esl"
printf '投标文件 bid document\n' >bid.txt
for who in a b; do
    $S seal make --home ca --image seal.png --name "$who 公司" --type organization --cert $who.pem --out $who.esl >/dev/null 2>&1
    $S seal sign --seal $who.esl --key $who.key bid.txt --out $who.ses 2>/dev/null
done
$S seal make --home ca --image seal.png --name "c 公司" --type organization --cert c.pem --out c.esl >/dev/null 2>&1
# b is revoked after its signature; c is revoked before it signs
sleep 2
$S revoke --home ca --serial "$(serial_of b.pem)" --reason keyCompromise
$S revoke --home ca --serial "$(serial_of c.pem)" --reason keyCompromise
sleep 1
$S seal sign --seal c.esl --key c.key bid.txt --out c.ses 2>/dev/null
# the relying platform: the CA chain and the root's CRL (the root has no OCSP responder: the
# issuing CA's status comes from the ARL); end-entity and seal-maker status only from OCSP
cat ca/certs/*.pem >chain.pem
$S crl --home ca --issuer root-1 --out arl.crl 2>/dev/null
V="--ca chain.pem --crl arl.crl"
# without any source for the end-entity certificates: not valid
if $S seal verify a.ses --data bid.txt $V --json >none.json; then die "no revocation source accepted"; fi
check_is none.json sig.signer_cert fail cert.revocation_unknown

serve_start ca --listen "127.0.0.1:$P"
# good: from the AIA responder and from an explicit URL
$S seal verify a.ses --data bid.txt $V --ocsp aia >good.txt || { cat good.txt; die "good signature by OCSP"; }
grep -q "验证通过 VALID" good.txt || die "not VALID"
$S seal verify a.ses --data bid.txt $V --ocsp "$URL/ocsp" --json >good.json || { cat good.json; die "good by --ocsp URL"; }
check_is good.json sig.signer_cert pass
check_is good.json seal.maker_cert pass
jq -e '.policy == "strict" and .valid == true' good.json >/dev/null || die "policy not in JSON"
# the requests reached the responder (POST /ocsp), not a CRL
grep -q '"POST","path":"/ocsp"' access.log || die "no OCSP request seen"
if grep -q '/crl/sub-1.crl' access.log; then die "a CRL was fetched instead of asking OCSP"; fi
# revoked after the signing time: the signature stays valid (GM/T 0031 time rule)
$S seal verify b.ses --data bid.txt $V --ocsp aia --json >after.json || { cat after.json; die "revoked-after became invalid"; }
check_is after.json sig.signer_cert pass
jq -r '.checks[] | select(.id=="sig.signer_cert") | .detail' after.json | grep -q "after .*still valid" || die "no note on the later revocation"
# revoked before the signing time: invalid, with the revocation time
if $S seal verify c.ses --data bid.txt $V --ocsp aia --json >before.json; then die "revoked-before accepted"; fi
check_is before.json sig.signer_cert fail cert.revoked
# --online asks the AIA responder too (and fetches the CRL only where OCSP cannot answer)
$S seal verify a.ses --data bid.txt --ca chain.pem --online >on.txt || { cat on.txt; die "--online with OCSP"; }
# the cache: many signatures of the same signer cost one query per certificate
$S seal bench verify $V --ocsp aia --data bid.txt a.ses --count 20 >bench.txt || { cat bench.txt; die "bench verify"; }
grep -q "^ocsp: 2 queries, 38 cache hits" bench.txt || { cat bench.txt; die "OCSP answers not cached"; }
# a bad responder URL is refused up front
expect_fail ocsp.bad_url $S seal verify a.ses --data bid.txt $V --ocsp "ftp://x/"

# ---- a man in the middle: forged, replayed, unsigned and oversized answers ----
Q=$(free_port)
cat >proxy.py <<'EOF'
import http.server, re, sys, urllib.request
port, up = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        mode = open('mode.txt').read().strip()
        if mode == 'unsigned':
            out = bytes([0x30, 3, 0x0a, 1, 6])  # OCSPResponse { unauthorized }
        elif mode == 'replay':
            out = open('saved.der', 'rb').read()
        elif mode == 'big':
            out = b'\x30' * 70000
        else:
            rq = urllib.request.Request(up, data=body, headers={'Content-Type': 'application/ocsp-request'})
            out = urllib.request.urlopen(rq).read()
            if mode == 'save':
                open('saved.der', 'wb').write(out)
            if mode == 'forge':  # change producedAt's last seconds digit: the signature breaks
                m = re.search(rb'\x18\x0f\d{14}Z', out)
                i = m.start() + 2 + 13
                out = out[:i] + bytes([48 + (out[i] - 48 + 1) % 10]) + out[i + 1:]
        self.send_response(200)
        self.send_header('Content-Type', 'application/ocsp-response')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
EOF
echo pass >mode.txt
python3 proxy.py "$Q" "$URL/ocsp" &
XPID=$!
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$Q/" || die "proxy did not start"
M="http://127.0.0.1:$Q/ocsp"
$S seal verify a.ses --data bid.txt $V --ocsp "$M" >px.txt || { cat px.txt; die "through the honest proxy"; }
mitm() { # MODE CODE: the answer is refused with CODE, the signature is not valid
    echo "$1" >mode.txt
    if $S seal verify c.ses --data bid.txt $V --ocsp "$M" --json >m.json; then die "$1 answer accepted"; fi
    check_is m.json sig.signer_cert fail cert.revocation_unknown
    jq -r '.checks[] | select(.id=="sig.signer_cert") | .detail' m.json | grep -q "$2" || { cat m.json; die "$1: reason is not $2"; }
}
mitm forge ocsp.bad_signature
mitm unsigned ocsp.error_status
mitm big "exceeds 65536 bytes"
# a genuine answer for a.pem replayed for another request (its nonce does not match)
echo save >mode.txt
$S seal verify a.ses --data bid.txt $V --ocsp "$M" >/dev/null || die "save"
echo replay >mode.txt
if $S seal verify a.ses --data bid.txt $V --ocsp "$M" --json >m.json; then die "replayed answer accepted"; fi
jq -r '.checks[] | select(.id=="sig.signer_cert") | .detail' m.json | grep -q "ocsp.nonce" || { cat m.json; die "replay: no nonce reason"; }
# the replayed genuine "good" for a.pem must not make c.pem's signature valid either
if $S seal verify c.ses --data bid.txt $V --ocsp "$M" --json >m.json; then die "answer for another certificate accepted"; fi
kill $XPID 2>/dev/null || true
wait $XPID 2>/dev/null || true
XPID=""

# ---- responder down: a clear failure, never a pass ----
serve_stop
if $S seal verify a.ses --data bid.txt $V --ocsp aia --json >down.json; then die "responder down accepted"; fi
check_is down.json sig.signer_cert fail cert.revocation_unknown
jq -r '.checks[] | select(.id=="sig.signer_cert") | .detail' down.json | grep -q "unreachable" || { cat down.json; die "down: no reason"; }
# under --policy integrity the unknown status is a warning, listed as such
$S seal verify a.ses --data bid.txt $V --ocsp aia --policy integrity --json >downi.json || { cat downi.json; die "integrity: down responder is only a warning"; }
jq -e '.policy == "integrity" and .valid == true and ([.warnings[].code] | index("cert.revocation_unknown") != null)' downi.json >/dev/null || { cat downi.json; die "integrity warnings"; }
echo "t_seal_ocsp: ok"
