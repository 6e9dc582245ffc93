# t_seal.sh - electronic seals: every fixture in shared/fixtures/seal verifies (or fails exactly the time rules its dates break), byte flips fail with a reason, make/sign/verify/change on a home, the revocation time rule, the status endpoint.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
FX="$FIXTURES/seal"
SPID="" KPID=""
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT

# check_is JSON ID STATUS [CODE]: the report in JSON has check ID with STATUS (and CODE)
check_is() {
    got=$(jq -r --arg id "$2" '[.. | objects | select(.id? == $id)][0] | "\(.status) \(.code // "")"' "$1")
    [ "$got" = "$3 ${4:-}" ] || { cat "$1"; die "$1: check $2 is '$got', expected '$3 ${4:-}'"; }
}

# the fixtures do not touch a store: checked in the SQLite run only
if [ "${SEALCA_TEST_DB:-sqlite}" != pg ]; then
# ---- the ofdrw test root (its PKCS#12 password is 123456, not 777777) and a CRL it signs ----
openssl pkcs12 -legacy -in "$FX/ofdrw-ROOT.p12" -passin pass:123456 -nokeys 2>/dev/null | openssl x509 >root.pem
openssl pkcs12 -legacy -in "$FX/ofdrw-ROOT.p12" -passin pass:123456 -nocerts -nodes 2>/dev/null | openssl pkey >rootkey.pem
mkdir -p rca && : >rca/index.txt && echo 01 >rca/crlnumber
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=rca/index.txt\ncrlnumber=rca/crlnumber\ndefault_md=sm3\ndefault_crl_days=30\n' >rca.cnf
openssl ca -config rca.cnf -gencrl -keyfile rootkey.pem -cert root.pem -sigopt "$DISTID" -out root.crl 2>/dev/null
V="--ca root.pem --crl root.crl"

# v1 (GM/T 0031) and v4 (GB/T 38540) seals: valid at a time inside their validity
for v in V1 V4; do
    $S seal verify "$FX/ofdrw-User$v.esl" $V --at 2021-06-01 >$v.txt || { cat $v.txt; die "$v seal"; }
    grep -q "验证通过 VALID" $v.txt || die "$v not VALID"
    $S seal verify "$FX/ofdrw-User$v.esl" $V --at 2021-06-01 --json >$v.json
    jq -e '.valid == true and .failed == 0' $v.json >/dev/null || die "$v json"
    # outside the seal's validity: refused with the reason
    if $S seal verify "$FX/ofdrw-User$v.esl" $V --at 2023-01-01 --json >late.json; then die "$v valid in 2023"; fi
    check_is late.json seal.validity fail seal.not_valid
    check_is late.json seal.maker_signature pass
done
grep -q "GM/T 0031" V1.txt && grep -q "GB/T 38540" V4.txt || die "standards not named"
# without a revocation source the maker certificate cannot pass
if $S seal verify "$FX/ofdrw-UserV1.esl" --ca root.pem --at 2021-06-01 --json >norev.json; then die "no CRL accepted"; fi
check_is norev.json seal.maker_cert fail cert.revocation_unknown
# without the root nothing is trusted
if $S seal verify "$FX/ofdrw-UserV4.esl" --at 2021-06-01 --json >noroot.json; then die "no root accepted"; fi
check_is noroot.json seal.maker_cert fail cert.untrusted

# v5 (header version 5, GB/T 38540 layout): every cryptographic check passes, but the maker's
# certificate (2020-04-21..2022-04-21) had expired before the seal's validity (2026-04-24..)
# begins, so no time exists when GM/T 0031 §6.1.2 accepts it
if $S seal verify "$FX/ofdrw-UserV5.esl" $V --at 2027-01-01 --json >v5.json; then die "v5 valid"; fi
check_is v5.json seal.structure pass
check_is v5.json seal.maker_signature pass
check_is v5.json seal.validity pass
check_is v5.json seal.maker_cert fail cert.expired
[ "$(jq .failed v5.json)" = 1 ] || die "v5: more than the maker certificate's time failed"

# the ofdrw-signed OFD: digests, dataHash, seal and document signatures all verify; it was signed
# on 2026-08-04 with a seal and certificates that expired in 2022, which the time rules refuse
if $S seal verify-ofd "$FX/ofdrw-SESV4SignDoc.ofd" $V --json >ofd.json; then die "ofdrw OFD valid"; fi
for c in sig.structure seal.maker_signature seal.cert_list sig.cert_bound sig.signature sig.data_hash ofd.property ofd.references; do
    check_is ofd.json $c pass
done
check_is ofd.json seal.validity fail seal.not_valid_at_signing
check_is ofd.json sig.signer_cert fail cert.expired
check_is ofd.json seal.maker_cert fail cert.expired
[ "$(jq '.[0].failed' ofd.json)" = 3 ] || die "ofdrw OFD: unexpected failures"

# the third-party e-invoice (GOMAIN seal, tax-bureau test CA whose root is not published): all
# checks pass; the chain is not checkable without that root, so it is verified with --no-chain
$S seal verify-ofd "$FX/ofdrw-v4signed-einvoice.ofd" --no-chain >inv.txt || { cat inv.txt; die "e-invoice"; }
grep -q "验证通过 VALID" inv.txt || die "e-invoice not VALID"
grep -q "13 file digest(s) match" inv.txt || die "e-invoice digests"
if $S seal verify-ofd "$FX/ofdrw-v4signed-einvoice.ofd" --json >inv.json; then die "untrusted chain accepted"; fi
check_is inv.json sig.signer_cert fail cert.untrusted

# ---- the verification policy: --policy integrity (docs/seals.md) ----
# every fixture passes structure, every signature, every hash/digest and the seal binding: valid
# under integrity; strict (the default) fails exactly its known time/chain findings, which
# integrity lists as warnings
known_strict() { # FILE -> the [id, code] pairs strict must fail, no more, no less
    case $1 in
    ofdrw-UserV1.esl | ofdrw-UserV4.esl) echo '[["seal.maker_cert","cert.expired"],["seal.validity","seal.not_valid"]]' ;;
    ofdrw-UserV5.esl) echo '[["seal.maker_cert","cert.expired"]]' ;;
    ofdrw-SESV4SignDoc.ofd) echo '[["seal.maker_cert","cert.expired"],["seal.validity","seal.not_valid_at_signing"],["sig.signer_cert","cert.expired"]]' ;;
    ofdrw-v4signed-einvoice.ofd) echo '[["seal.maker_cert","cert.untrusted"],["sig.signer_cert","cert.untrusted"]]' ;;
    *) die "no known result for fixture $1" ;;
    esac
}
nfix=0
for path in "$FX"/*.esl "$FX"/*.ofd; do
    f=$(basename "$path")
    case $f in *.ofd) cmd="verify-ofd" ;; *) cmd="verify" ;; esac
    $S seal $cmd "$path" $V --policy integrity --json >pi.json || { cat pi.json; die "$f: not valid under --policy integrity"; }
    jq -s -e 'flatten | all(.policy == "integrity" and .valid == true and .failed == 0)' pi.json >/dev/null || die "$f: integrity report"
    if $S seal $cmd "$path" $V --json >ps.json; then die "$f valid under strict"; fi
    jq -s -e 'flatten | all(.policy == "strict" and .valid == false)' ps.json >/dev/null || die "$f: strict report"
    fails=$(jq -s -c '[flatten[] | .checks[] | select(.status=="fail") | [.id, .code]]' ps.json)
    warns=$(jq -s -c '[flatten[] | .warnings[] | [.id, .code]]' pi.json)
    [ "$fails" = "$(known_strict "$f")" ] || die "$f: strict fails $fails"
    [ "$warns" = "$fails" ] || die "$f: integrity warnings $warns differ from strict failures $fails"
    $S seal $cmd "$path" $V --policy integrity >pi.txt
    grep -q "验证策略 policy: integrity" pi.txt && grep -q "警告 warning:" pi.txt && grep -q "VALID (policy integrity" pi.txt || { cat pi.txt; die "$f: integrity text"; }
    nfix=$((nfix + 1))
done
[ $nfix = 5 ] || die "expected 5 seal fixtures, verified $nfix"
# an unknown policy is a usage error (exit 2), not a silent default
set +e; $S seal verify "$FX/ofdrw-UserV4.esl" --policy lenient >/dev/null 2>&1; rc=$?; set -e
[ $rc = 2 ] || die "unknown policy: exit $rc"

# ---- flipping one byte anywhere fails, with a reason ----
flip() { # FILE OFFSET OUT
    cp "$1" "$3"
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (b ^ 1) & 255 )))" | dd of="$3" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# where the v4 seal's maker certificate (SES_SignInfo.cert OCTET STRING) lies
MC=$(openssl asn1parse -inform DER -in "$FX/ofdrw-UserV4.esl" | awk '/d=1 +hl=4 +l= *[0-9]+ prim: +OCTET STRING/ {print; exit}')
MC_FROM=$(echo "$MC" | cut -d: -f1)
MC_TO=$(echo "$MC" | sed 's/.*l= *\([0-9]*\).*/\1/')
MC_TO=$((MC_FROM + 4 + MC_TO))
nwarn=0
for v in V1 V4; do
    n=$(wc -c <"$FX/ofdrw-User$v.esl")
    for off in 0 3 12 40 120 700 15000 16390 16420 16500 16600 16700 16850 16900 16945 $((n - 1)); do
        flip "$FX/ofdrw-User$v.esl" $off f.esl
        if $S seal verify f.esl $V --at 2021-06-01 --json >f.json 2>f.err; then die "$v flipped at $off still valid"; fi
        # a report with a failed check and its code, or a refused input with an error code
        if [ -s f.json ]; then jq -e '.failed > 0 and ([.checks[] | select(.status=="fail") | .code] | length > 0)' f.json >/dev/null || die "$v@$off: no reason"
        else grep -q "error" f.err || die "$v@$off: no error"; fi
        # --policy integrity: the flip fails too, except in the bytes of a v4 seal's maker
        # certificate, which the maker's signature does not cover (GB/T 38540 signs only
        # SES_SealInfo): there only the certificate's own issuer signature protects it, a chain
        # finding that integrity reports as a warning, naming the altered certificate
        if $S seal verify f.esl $V --at 2021-06-01 --policy integrity --json >fi.json 2>f.err; then
            [ "$v" = V4 ] && [ "$off" -ge "$MC_FROM" ] && [ "$off" -lt "$MC_TO" ] || die "$v flipped at $off valid under integrity"
            jq -e '[.warnings[] | select(.id == "seal.maker_cert" and (.code == "cert.untrusted" or .code == "cert.expired"))] | length == 1' fi.json >/dev/null || { cat fi.json; die "$v@$off: no warning on the maker certificate"; }
            nwarn=$((nwarn + 1))
        elif [ -s fi.json ]; then
            jq -e '.policy == "integrity" and .failed > 0 and ([.checks[] | select(.status=="fail") | .code] | length > 0)' fi.json >/dev/null || die "$v@$off: integrity, no reason"
        else grep -q "error" f.err || die "$v@$off: integrity, no error"; fi
    done
done
# the maker certificate's bytes that are in the issuer Name: untrusted; elsewhere in it (its
# signature, its key): a failure even under integrity
[ "$nwarn" -ge 1 ] || die "the v4 maker-certificate flip was not exercised"
# the signed OFD: bytes inside the SignedValue, the Signature.xml, a referenced page and headers
n=$(wc -c <"$FX/ofdrw-v4signed-einvoice.ofd")
for off in 0 30 1000 6000 9000 13000 $((n - 30)) $((n - 1)); do
    flip "$FX/ofdrw-v4signed-einvoice.ofd" $off f.ofd
    if $S seal verify-ofd f.ofd --no-chain >f.txt 2>&1; then die "OFD flipped at $off still valid"; fi
    grep -q "FAIL\|error" f.txt || { cat f.txt; die "OFD@$off: no reason"; }
    if $S seal verify-ofd f.ofd --policy integrity >f.txt 2>&1; then die "OFD flipped at $off valid under integrity"; fi
    grep -q "FAIL\|error" f.txt || { cat f.txt; die "OFD@$off: integrity, no reason"; }
done
# the ofdrw-signed OFD under integrity (its only findings are time rules, warnings there)
n=$(wc -c <"$FX/ofdrw-SESV4SignDoc.ofd")
for off in 0 1499 5996 10493 14990 19487 23984 28481 32978 $((n - 30)) $((n - 1)); do
    flip "$FX/ofdrw-SESV4SignDoc.ofd" $off f.ofd
    if $S seal verify-ofd f.ofd $V --policy integrity --json >f.json 2>f.err; then die "ofdrw OFD flipped at $off valid under integrity"; fi
    if [ -s f.json ]; then jq -e 'any(.[]; .failed > 0)' f.json >/dev/null || die "ofdrw OFD@$off: no failed check"
    else grep -q "error" f.err || die "ofdrw OFD@$off: no error"; fi
done

# ---- bad input: a clear error, no crash ----
head -c 100 "$FX/ofdrw-UserV4.esl" >trunc.esl
bad_seal() { # CODE FILE: refused with the structure check failing with CODE
    if $S seal verify "$2" --no-chain --json >b.json; then die "$2 accepted"; fi
    check_is b.json seal.structure fail "$1"
}
bad_seal seal.malformed trunc.esl
printf 'not a seal' >junk.esl
bad_seal seal.malformed junk.esl
cp "$FX/ofdrw-UserV4.esl" trail.esl && printf 'x' >>trail.esl
bad_seal seal.trailing trail.esl
expect_fail ofd.not_zip $S seal verify-ofd junk.esl --no-chain
# larger than the 8 MiB limit: refused before parsing
head -c 9000000 /dev/zero >big.esl
expect_fail io.too_big $S seal verify big.esl --no-chain
grep -q "too large" err.txt || die "no size reason"
# a seal whose outer SEQUENCE claims more than the file holds, and a wrong outer tag
python3 -c "
import sys
d=bytearray(open(sys.argv[1],'rb').read()); d[2]=0x52; open('long.esl','wb').write(d)
d=bytearray(open(sys.argv[1],'rb').read()); d[0]=0x31; open('tag.esl','wb').write(d)" "$FX/ofdrw-UserV4.esl"
bad_seal seal.malformed long.esl
bad_seal seal.malformed tag.esl
# a zip that is not an OFD, and an OFD without signatures
printf 'hello' >h.txt && python3 -c "import zipfile; z=zipfile.ZipFile('nosig.ofd','w'); z.writestr('OFD.xml','<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\"/>'); z.close()"
expect_fail ofd.unsigned $S seal verify-ofd nosig.ofd --no-chain
python3 -c "import zipfile; z=zipfile.ZipFile('plain.zip','w'); z.writestr('a.txt','x'); z.close()"
expect_fail ofd.missing $S seal verify-ofd plain.zip --no-chain

fi

# ---- a home: make, sign, verify, one active seal, change, revocation time rule ----
$S init --home ca --name "印章测试 CA"
$S issue --home ca --profile organization-sign --subject "CN=甲公司,O=甲公司,C=CN" --uscc 91350100M000100Y43 --keygen --key-out a.key --out a.pem
$S issue --home ca --profile organization-sign --subject "CN=乙公司,O=乙公司,C=CN" --uscc 91350100M000100Y43 --keygen --key-out b.key --out b.pem
# a seal image: the picture of a fixture seal (any PNG will do)
python3 -c "
import sys
d=open(sys.argv[1],'rb').read(); i=d.index(b'\x89PNG'); j=d.index(b'IEND',i)+8
open('seal.png','wb').write(d[i:j])" "$FX/ofdrw-UserV4.esl"
$S seal make --home ca --image seal.png --name "甲公司" --type organization --cert a.pem --out a.esl >mk.txt
ESID=$(sed -n 's/^esID //p' mk.txt)
[ -n "$ESID" ] || die "no esID"
cat ca/certs/*.pem >chain.pem
$S seal verify a.esl --home ca >a.txt || { cat a.txt; die "new seal does not verify"; }
# one active seal per certificate and kind
before=$(db_state ca)
expect_fail seal.exists $S seal make --home ca --image seal.png --name "甲公司" --type organization --cert a.pem --out a2.esl
[ "$before" = "$(db_state ca)" ] || die "a refused seal changed the database"
$S seal make --home ca --image seal.png --name "甲公司合同专用章" --type organization --kind contract --cert a.pem --out a-contract.esl >/dev/null
expect_fail seal.bad_picture $S seal make --home ca --image a.pem --name x --type organization --kind finance --cert a.pem --out x.esl
# GM/T 0031 v1 seals are made too
$S seal make --home ca --image seal.png --name "甲公司财务章" --type organization --kind finance --version 1 --cert a.pem --out a-v1.esl >/dev/null
$S seal verify a-v1.esl --home ca | grep -q "GM/T 0031" || die "v1 seal"
# sign: the seal's certificate and key; another certificate is refused (GM/T 0031 §6.2.2)
printf '投标文件 bid document\n' >bid.txt
$S seal sign --seal a.esl --key a.key bid.txt --out bid.ses
$S seal verify bid.ses --data bid.txt --home ca >s.txt || { cat s.txt; die "signature does not verify"; }
expect_fail seal.cert_not_bound $S seal sign --seal a.esl --key b.key --cert b.pem bid.txt --out x.ses
expect_fail seal.cert_not_bound $S seal sign --seal a.esl --key b.key bid.txt --out x.ses
printf 'changed\n' >other.txt
if $S seal verify bid.ses --data other.txt --home ca --json >h.json; then die "other data accepted"; fi
check_is h.json sig.data_hash fail sig.hash_mismatch
# without the data the result is not "valid"
if $S seal verify bid.ses --home ca >nd.txt; then die "valid without data"; fi
grep -q "INCOMPLETE" nd.txt || die "no INCOMPLETE"
# the offline path: CA chain + CRL, no home
$S crl --home ca --out full.crl
$S crl --home ca --issuer root-1 --out arl.crl
$S seal verify bid.ses --data bid.txt --ca chain.pem --crl full.crl --crl arl.crl >off.txt || { cat off.txt; die "offline verification"; }
# revocation after the signing time leaves the signature valid; a signature made after it is not
sleep 2
$S revoke --home ca --serial "$(serial_of a.pem)" --reason keyCompromise
$S seal verify bid.ses --data bid.txt --home ca >r1.txt || { cat r1.txt; die "signature before revocation became invalid"; }
grep -q "still valid" r1.txt || die "no note on the later revocation"
sleep 1
$S seal sign --seal a.esl --key a.key bid.txt --out late.ses
if $S seal verify late.ses --data bid.txt --home ca --json >late2.json; then die "signature after revocation valid"; fi
check_is late2.json sig.signer_cert fail cert.revoked
$S crl --home ca --out full2.crl
if $S seal verify late.ses --data bid.txt --ca chain.pem --crl full2.crl --crl arl.crl --json >late3.json; then die "offline: revoked accepted"; fi
check_is late3.json sig.signer_cert fail cert.revoked
# seal-change on b: the old seal is retired, the new one is active
$S seal make --home ca --image seal.png --name "乙公司" --type organization --cert b.pem --out b.esl >mb.txt
OLD=$(sed -n 's/^esID //p' mb.txt)
$S seal make --home ca --image seal.png --name "乙公司（更名）" --type organization --cert b.pem --replace "$OLD" --business seal-change --out b2.esl >mb2.txt
NEW=$(sed -n 's/^esID //p' mb2.txt)
$S seal show --home ca "$OLD" >old.json
jq -e --arg n "$NEW" '.status == "retired" and .replacedBy == $n and .reason == "seal-change"' old.json >/dev/null || { cat old.json; die "old seal not retired"; }
expect_fail seal.not_active $S seal make --home ca --image seal.png --name x --type organization --cert b.pem --replace "$OLD" --business seal-redo --out b3.esl
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action IN ('seal.make','seal.replace')" ca)" = 5 ] || die "seal audit records"

# ---- GET /api/v1/seals/{esID} ----
serve_start ca
curl -s "$URL/api/v1/seals/$NEW" >st.json
jq -e '.state == "valid" and .status == "active" and .kind == "official"' st.json >/dev/null || { cat st.json; die "status endpoint"; }
curl -s "$URL/api/v1/seals/$ESID" | jq -e '.state == "certificate-revoked"' >/dev/null || die "revoked cert not shown"
curl -s "$URL/api/v1/seals/$OLD" | jq -e '.state == "retired"' >/dev/null || die "retired not shown"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/seals/ffff")" = 404 ] || die "unknown seal not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/seals/%27x")" = 400 ] || die "bad id not 400"
serve_stop

# ---- online: the relying platform has only the CA chain and fetches CRLs from the CRL DP ----
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# (its own SQLite database also in the PostgreSQL run, where $S would reuse the first database)
"$SEALCA" init --home ca2 --name "在线 CA" --base-url "http://127.0.0.1:$P"
$S issue --home ca2 --profile organization-sign --subject "CN=丙公司,O=丙公司,C=CN" --uscc 91350100M000100Y43 --keygen --key-out c.key --out c.pem
$S seal make --home ca2 --image seal.png --name "丙公司" --type organization --cert c.pem --out c.esl >/dev/null
$S seal sign --seal c.esl --key c.key bid.txt --out c.ses
cat ca2/certs/*.pem >chain2.pem
serve_start ca2 --listen "127.0.0.1:$P"
$S seal verify c.ses --data bid.txt --ca chain2.pem --online >on.txt || { cat on.txt; die "online verification"; }
serve_stop
# the CRL DP unreachable: not valid, and the reason says why
if $S seal verify c.ses --data bid.txt --ca chain2.pem --online --json >off2.json; then die "unreachable CRL accepted"; fi
check_is off2.json sig.signer_cert fail cert.revocation_unknown
# signing outside the seal's validity is refused
expect_fail seal.not_valid $S seal sign --seal c.esl --key c.key bid.txt --time 2020-01-01T00:00:00Z --out x.ses
echo "t_seal: ok"
