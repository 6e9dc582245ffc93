#!/bin/bash
# make bench: sealca beside its peers (OpenSSL's tools, Botan) measured in the same run;
# writes docs/benchmarks.md. Medians of 3 runs; ratios rather than single times. The SM2 section
# comes from scripts/bench-sm2.sh (also run alone for engine work), which rewrites it in place.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
S="$ROOT/build/sealca"
OUT="$ROOT/docs/benchmarks.md"
W=$(mktemp -d "${TMPDIR:-/tmp}/sealca-bench-XXXXXX")
trap 'rm -rf "$W"' EXIT
export SEALCA_PASSPHRASE=bench-passphrase
DISTID=distid:1234567812345678
QUICK=${SEALCA_BENCH_QUICK:-0}   # 1: small sizes, for checking the script itself
ISSUE_N=$([ "$QUICK" = 1 ] && echo 200 || echo 3000)
OSSL_ISSUE_N=$([ "$QUICK" = 1 ] && echo 100 || echo 600)
CRL_SIZES=$([ "$QUICK" = 1 ] && echo "10000" || echo "100000 1000000")

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cd "$W"

machine() {
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); sealca $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); $(openssl version)"
    echo "- load average at the end of the run (other work on the same 2 cores): $(cut -d' ' -f1-3 /proc/loadavg)"
}

# ---------------------------------------------------------------- issuance
$S init --home ca >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out ee.key 2>/dev/null
openssl req -new -key ee.key -subj "/CN=bench" -sigopt $DISTID -out ee.csr
issue_rate() { # threads engine
    for i in 1 2 3; do
        SEALCA_SM2_ENGINE=$2 $S bench issue --home ca --csr ee.csr --count $ISSUE_N --threads $1 |
            awk '{for (i=1;i<=NF;i++) if ($i=="certs/s") print $(i-1)}'
    done | median
}
S_OSSL1=$(issue_rate 1 openssl); S_OSSL2=$(issue_rate 2 openssl)
S_FAST1=$(issue_rate 1 fast); S_FAST2=$(issue_rate 2 fast)

# peer: openssl ca signing the same kind of SM2 certificates, all CSRs in one process (-infiles)
mkdir -p ossl/newcerts && cd ossl
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out ca.key 2>/dev/null
openssl req -new -x509 -key ca.key -subj "/C=CN/O=bench/CN=OpenSSL CA" -days 3650 -sigopt $DISTID -sm3 -out ca.pem
cat > ca.cnf <<'C'
[ ca ]
default_ca = d
[ d ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
certificate = ./ca.pem
private_key = ./ca.key
serial = ./serial
crlnumber = ./crlnumber
default_md = sm3
default_days = 365
default_crl_days = 1
policy = p
unique_subject = no
x509_extensions = ee
utf8 = yes
[ p ]
commonName = supplied
[ ee ]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
C
for i in $(seq 1 $OSSL_ISSUE_N); do cp ../ee.csr in$i.csr; done
ossl_issue() {
    rm -rf newcerts index.txt* serial*; mkdir newcerts; : > index.txt; echo 01 > serial
    local t0 t1
    t0=$(date +%s.%N)
    openssl ca -config ca.cnf -batch -notext -sigopt $DISTID -vfyopt $DISTID -out all.pem -infiles in*.csr 2>/dev/null
    t1=$(date +%s.%N)
    echo "$OSSL_ISSUE_N / ($t1 - $t0)" | bc -l
}
O_ISSUE=$(for i in 1 2 3; do ossl_issue; done | median)
cd ..

# ---------------------------------------------------------------- CRLs
crl_rows=""
for n in $CRL_SIZES; do
    rm -rf crlca; $S init --home crlca >/dev/null
    $S bench populate --home crlca --revoked "$n" >/dev/null
    secs=(); mems=()
    for i in 1 2 3; do
        /usr/bin/time -f "%e %M" -o t.txt $S crl --home crlca --out big.crl 2>/dev/null
        secs+=("$(cut -d' ' -f1 t.txt)"); mems+=("$(cut -d' ' -f2 t.txt)")
    done
    s_sec=$(printf '%s\n' "${secs[@]}" | median); s_mem=$(printf '%s\n' "${mems[@]}" | median)
    size=$(stat -c %s big.crl)
    $S verify-crl --home crlca --crl big.crl >/dev/null
    # peer: openssl ca -gencrl over an index of the same number of revoked certificates
    ( cd ossl
      rm -f index.txt*; echo 01 > crlnumber
      awk -v n="$n" 'BEGIN { srand(1); for (i = 0; i < n; i++) printf "R\t351231000000Z\t261101000000Z,keyCompromise\t%08X%08X%08X%08X\tunknown\t/CN=bench\n", int(rand()*2^31), i, int(rand()*2^31), int(rand()*2^31) }' > index.txt
      /usr/bin/time -f "%e %M" -o ../o.txt openssl ca -config ca.cnf -gencrl -sigopt $DISTID -out ossl.crl 2>/dev/null )
    o_sec=$(cut -d' ' -f1 o.txt); o_mem=$(cut -d' ' -f2 o.txt)
    crl_rows="$crl_rows| $n | $s_sec s | $((s_mem / 1024)) MB | $((size / 1024 / 1024)) MB | $o_sec s | $((o_mem / 1024)) MB | $(echo "scale=1; $o_sec / $s_sec" | bc -l)× |
"
done

# ---------------------------------------------------------------- PostgreSQL
# (make bench runs this script inside scripts/pg-test-env.sh, which starts a throwaway cluster)
PG_ROWS=""
if [ -n "${SEALCA_TEST_PG_URL:-}" ]; then
    pgdb="sealca_bench_$$"
    printf 'CREATE DATABASE :"db";\n' | psql "$SEALCA_TEST_PG_URL" -X -q -v ON_ERROR_STOP=1 -v db="$pgdb" >/dev/null
    PGURL=$(printf '%s' "$SEALCA_TEST_PG_URL" | sed "s|^\(postgres[a-z]*://[^/]*/\)[^?]*|\1$pgdb|")
    $S init --home pgca --database "$PGURL" --base-url http://127.0.0.1:18490 >/dev/null
    pg_issue() {
        for i in 1 2 3; do
            SEALCA_SM2_ENGINE=fast $S bench issue --home pgca --csr ee.csr --count $ISSUE_N --threads $1 |
                awk '{for (i=1;i<=NF;i++) if ($i=="certs/s") print $(i-1)}'
        done | median
    }
    PG_I1=$(pg_issue 1); PG_I2=$(pg_issue 2); PG_I4=$(pg_issue 4)
    # two nodes on the same PostgreSQL: revoke through the CLI, time until node B's OCSP changes
    $S issue --home pgca --profile person-sign --subject "CN=pg" --id-number 11010519491231002X --csr ee.csr --out pg-ee.pem 2>/dev/null
    cp -a pgca pgcaB
    $S serve --home pgca --listen 127.0.0.1:18490 --threads 2 --access-log none >pga.out 2>&1 &
    PA=$!
    $S serve --home pgcaB --listen 127.0.0.1:18491 --threads 2 --access-log none >pgb.out 2>&1 &
    PB=$!
    for i in $(seq 1 50); do grep -q serving pga.out && grep -q serving pgb.out && break; sleep 0.2; done
    openssl ocsp -issuer pgca/certs/sub-1.pem -cert pg-ee.pem -no_nonce -reqout pgreq.der >/dev/null 2>&1
    PB64=$(base64 -w0 pgreq.der | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
    PSN=$(openssl x509 -in pg-ee.pem -noout -serial | cut -d= -f2)
    good=$(curl -fsS "http://127.0.0.1:18491/ocsp/$PB64" | sha256sum)
    plat=""
    for i in $(seq 1 $([ "$QUICK" = 1 ] && echo 5 || echo 20)); do
        $S revoke --home pgca --serial "$PSN" --reason certificateHold >/dev/null 2>&1
        t0=$(date +%s%N)
        while [ "$(curl -fsS "http://127.0.0.1:18491/ocsp/$PB64" | sha256sum)" = "$good" ]; do :; done
        t1=$(date +%s%N)
        plat="$plat $(( (t1 - t0) / 1000000 ))"
        $S resume --home pgca --serial "$PSN" >/dev/null 2>&1
        sleep 0.5
        good=$(curl -fsS "http://127.0.0.1:18491/ocsp/$PB64" | sha256sum)
    done
    kill -TERM $PA $PB; wait $PA $PB 2>/dev/null || true
    PLAT_P50=$(printf '%s\n' $plat | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    PLAT_P99=$(printf '%s\n' $plat | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99+0.999); if (i<1) i=1; print a[i]}')
    printf 'DROP DATABASE :"db" WITH (FORCE);\n' | psql "$SEALCA_TEST_PG_URL" -X -q -v db="$pgdb" >/dev/null 2>&1 || true
    PG_ROWS="yes"
fi

# ---------------------------------------------------------------- OCSP over HTTP
OCSP_SECS=$([ "$QUICK" = 1 ] && echo 3 || echo 10)
rm -rf srv; $S init --home srv --base-url http://127.0.0.1:18480 >/dev/null
$S issue --home srv --profile person-sign --subject "CN=bench" --id-number 11010519491231002X --csr ee.csr --out srv-ee.pem 2>/dev/null
$S serve --home srv --listen 127.0.0.1:18480 --threads 2 --access-log none >srv.out 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null || true; rm -rf "$W"' EXIT
for i in $(seq 1 50); do grep -q serving srv.out && break; sleep 0.2; done
openssl ocsp -issuer srv/certs/sub-1.pem -cert srv-ee.pem -no_nonce -reqout req.der >/dev/null 2>&1
openssl ocsp -issuer srv/certs/sub-1.pem -cert srv-ee.pem -reqout req-nonce.der >/dev/null 2>&1
B64=$(base64 -w0 req.der | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
curl -fsS -o /dev/null "http://127.0.0.1:18480/ocsp/$B64"   # the first request fills the cache
wrk_rps() { # url [script]
    for i in 1 2 3; do
        wrk -t1 -c64 -d${OCSP_SECS}s ${2:+-s $2} "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
    done | median
}
OCSP_GET=$(wrk_rps "http://127.0.0.1:18480/ocsp/$B64")
# live signing: POST with a nonce (signed by the key process for every request)
lua_body=$(od -An -v -tx1 req-nonce.der | tr -d ' \n' | sed 's/../\\x&/g')
cat > post.lua <<L
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
wrk.body = "$lua_body"
L
OCSP_NONCE=$(wrk_rps "http://127.0.0.1:18480/ocsp" post.lua)
NB64=$(base64 -w0 req-nonce.der | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
OCSP_NONCE_1REQ_FAST=$(for i in 1 2 3; do python3 "$ROOT/tests/tools/ocspload.py" 18480 "/ocsp/$NB64" $OCSP_SECS 2; done | median)
# revocation-to-visible latency: hold, then poll the GET answer until it changes
good=$(curl -fsS "http://127.0.0.1:18480/ocsp/$B64" | sha256sum)
SN=$(openssl x509 -in srv-ee.pem -noout -serial | cut -d= -f2)
lat=""
for i in $(seq 1 $([ "$QUICK" = 1 ] && echo 5 || echo 20)); do
    $S revoke --home srv --serial "$SN" --reason certificateHold >/dev/null 2>&1
    t0=$(date +%s%N)
    while [ "$(curl -fsS "http://127.0.0.1:18480/ocsp/$B64" | sha256sum)" = "$good" ]; do :; done
    t1=$(date +%s%N)
    lat="$lat $(( (t1 - t0) / 1000000 ))"
    $S resume --home srv --serial "$SN" >/dev/null 2>&1
    sleep 0.5   # the resume is re-signed too; take its answer as the new baseline
    good=$(curl -fsS "http://127.0.0.1:18480/ocsp/$B64" | sha256sum)
done
LAT_P50=$(printf '%s\n' $lat | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
LAT_MAX=$(printf '%s\n' $lat | sort -n | tail -1)
LAT_P99=$(printf '%s\n' $lat | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.99+0.999); if (i<1) i=1; print a[i]}')
kill -TERM $SRV; wait $SRV 2>/dev/null || true
# before/after for the SM2 engine: the same nonce load against a responder whose key process
# signs with OpenSSL's SM2 (SEALCA_SM2_ENGINE is inherited by the key process)
SEALCA_SM2_ENGINE=openssl $S serve --home srv --listen 127.0.0.1:18480 --threads 2 --access-log none >srv.out 2>&1 &
SRV=$!
for i in $(seq 1 50); do grep -q serving srv.out && break; sleep 0.2; done
OCSP_NONCE_OSSL=$(wrk_rps "http://127.0.0.1:18480/ocsp" post.lua)
OCSP_NONCE_1REQ_OSSL=$(for i in 1 2 3; do python3 "$ROOT/tests/tools/ocspload.py" 18480 "/ocsp/$NB64" $OCSP_SECS 2; done | median)
kill -TERM $SRV; wait $SRV 2>/dev/null || true
# peer: openssl ocsp as a responder (HTTP/1.0, serial, signs every response) for the same CA
( cd ossl
  printf 'V\t351231000000Z\t\t01\tunknown\t/CN=bench\n' > index.txt
  openssl req -new -key ca.key -subj "/CN=OpenSSL OCSP" -sigopt $DISTID -out ocsp.csr
  openssl x509 -req -in ocsp.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 30 -sm3 -sigopt $DISTID -vfyopt $DISTID -out ocsp.pem 2>/dev/null
  openssl x509 -req -in ../ee.csr -CA ca.pem -CAkey ca.key -set_serial 1 -days 30 -sm3 -sigopt $DISTID -vfyopt $DISTID -out ee.pem 2>/dev/null )
openssl ocsp -port 18481 -index ossl/index.txt -CA ossl/ca.pem -rsigner ossl/ocsp.pem -rkey ossl/ca.key -rsigopt $DISTID -nmin 60 >/dev/null 2>&1 &
OSRV=$!
sleep 1
openssl ocsp -issuer ossl/ca.pem -cert ossl/ee.pem -no_nonce -reqout oreq.der >/dev/null 2>&1
OB64=$(base64 -w0 oreq.der | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')
# openssl ocsp answers HTTP/1.0 only and closes every connection: wrk cannot drive it, so a
# client that opens one connection per request does (tests/tools/ocspload.py)
OSSL_OCSP=$(for i in 1 2 3; do python3 "$ROOT/tests/tools/ocspload.py" 18481 "/$OB64" $OCSP_SECS 2; done | median)
kill $OSRV 2>/dev/null || true
# and sealca measured with the same client, to separate the client's cost from the servers'
SEALCA_OCSP_1REQ=""
$S serve --home srv --listen 127.0.0.1:18480 --threads 2 --access-log none >srv.out 2>&1 &
SRV=$!
for i in $(seq 1 50); do grep -q serving srv.out && break; sleep 0.2; done
SEALCA_OCSP_1REQ=$(for i in 1 2 3; do python3 "$ROOT/tests/tools/ocspload.py" 18480 "/ocsp/$B64" $OCSP_SECS 2; done | median)
kill -TERM $SRV; wait $SRV 2>/dev/null || true


# ---------------------------------------------------------------- seals
# full verification of one SES_Signature (maker signature, document signature, both certificate
# paths to the root, revocation from the home's store cached by the verifier, data hash) and
# seal-redo in a loop (make + retire + audit, signed by the seal-maker key); peer: openssl speed
# sm2 verify in the same run (one seal verification is 6 SM2 verifications: maker signature,
# document signature, 2 links for each certificate path)
SEAL_N=$([ "$QUICK" = 1 ] && echo 100 || echo 1000)
$S issue --home ca --profile organization-sign --subject "CN=seal bench,O=seal bench,C=CN" --uscc 91350100M000100Y43 --keygen --key-out sb.key --out sb.pem >/dev/null 2>&1
python3 -c "import struct,zlib
def ch(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff)
raw=b''.join(b'\0'+bytes([200,0,0,255])*64 for _ in range(64))
open('sb.png','wb').write(b'\x89PNG\r\n\x1a\n'+ch(b'IHDR',struct.pack('>IIBBBBB',64,64,8,6,0,0,0))+ch(b'IDAT',zlib.compress(raw))+ch(b'IEND',b''))"
SB_ID=$($S seal make --home ca --image sb.png --name "印章基准" --type organization --cert sb.pem --out sb.esl 2>/dev/null | sed -n 's/^esID //p')
head -c 100000 /dev/urandom >sb.dat
$S seal sign --seal sb.esl --key sb.key sb.dat --out sb.ses 2>/dev/null
seal_v() { for i in 1 2 3; do SEALCA_SM2_ENGINE=$1 $S seal bench verify --home ca --data sb.dat sb.ses --count $SEAL_N | awk '{for (i=1;i<=NF;i++) if ($i=="verifications/s") print $(i-1)}'; done | median; }
SEAL_V_FAST=$(seal_v fast); SEAL_V_OSSL=$(seal_v openssl)
# the relying platform's case: only the CA chain and the root's CRL, the end-entity and seal-maker
# status by OCSP from `sealca serve` (nonce, responder checked), answers cached per serial by the
# verifier, so a bid opening's many signatures of one signer cost one query per certificate
SBP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat ca/certs/*.pem >sbchain.pem
$S crl --home ca --issuer root-1 --out sbarl.crl >/dev/null 2>&1
$S serve --home ca --listen "127.0.0.1:$SBP" --threads 1 --access-log none >sbsrv.out 2>&1 &
SBSRV=$!
for i in $(seq 1 50); do grep -q serving sbsrv.out && break; sleep 0.2; done
seal_vo() { for i in 1 2 3; do SEALCA_SM2_ENGINE=$1 $S seal bench verify --ca sbchain.pem --crl sbarl.crl --ocsp "http://127.0.0.1:$SBP/ocsp" --data sb.dat sb.ses --count $SEAL_N >sbo.txt; sed -n 's/^ocsp: //p' sbo.txt >sbo.q; awk '{for (i=1;i<=NF;i++) if ($i=="verifications/s") print $(i-1)}' sbo.txt; done | median; }
SEAL_VO_FAST=$(seal_vo fast); SEAL_VO_OSSL=$(seal_vo openssl)
SEAL_VO_Q=$(cat sbo.q)
kill -TERM $SBSRV; wait $SBSRV 2>/dev/null || true
for i in 1 2 3; do SEALCA_SM2_ENGINE=fast $S seal bench make --home ca --seal-id "$SB_ID" --image sb.png --cert sb.pem --count $((SEAL_N / 10)) 2>sb.err >>sb.make; SB_ID=$(sed -n 's/^active seal now //p' sb.err); done
SEAL_M=$(awk '{for (i=1;i<=NF;i++) if ($i=="seals/s") print $(i-1)}' sb.make | median)
SEAL_MW=$(awk '{for (i=1;i<=NF;i++) if ($i=="wall") print $(i-1)}' sb.make | sed 's|/s||' | median)
# the peer verifies the same kind of signature: first check that OpenSSL accepts the seal
# signature's own document signature (SM2 with the GM/T 0009 ID over TBS_Sign) and its signer key
python3 - sb.ses <<'PYEOF'
import sys
d = open(sys.argv[1], 'rb').read()
def tlv(b, i):
    t, n = b[i], b[i + 1]; j = i + 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[j:j + k], 'big'); j += k
    return t, j, j + n
_, s0, _ = tlv(d, 0)
_, a0, a1 = tlv(d, s0)                      # TBS_Sign
t, c0, c1 = tlv(d, a1)                      # cert OCTET STRING
_, o0, o1 = tlv(d, c1)                      # signatureAlgorithm
_, g0, g1 = tlv(d, o1)                      # signature BIT STRING
open('sb.tbs', 'wb').write(d[s0:a1]); open('sb.crt', 'wb').write(d[c0:c1]); open('sb.sig', 'wb').write(d[g0 + 1:g1])
PYEOF
openssl x509 -inform DER -in sb.crt -pubkey -noout >sb.pub
openssl dgst -sm3 -sigopt "$DISTID" -verify sb.pub -signature sb.sig sb.tbs >/dev/null || { echo "bench: openssl does not verify the seal's document signature" >&2; exit 1; }
SEAL_OS_V=$(for i in 1 2 3; do openssl speed -seconds 2 sm2 2>/dev/null | tail -1 | awk '{print $NF}'; done | median)
SEAL_OS_EQ=$(awk -v v="$SEAL_OS_V" 'BEGIN {printf "%.0f", v / 6}')

{
echo "# Benchmarks"
echo
echo "Written by \`make bench\` (scripts/bench.sh). Every figure is the median of 3 runs, measured"
echo "in the same run as the peer beside it, on:"
echo
machine
echo
echo "## Issuance from CSR (SQLite, one transaction and one fsync per certificate)"
echo
echo "Each certificate: CSR parsed and its SM2 proof-of-possession verified, profile and USCC"
echo "checked, certificate built and SM2-signed, stored with its audit record (\`sealca bench issue\`,"
echo "$ISSUE_N certificates per run). Peer: \`openssl ca -batch -infiles\` with $OSSL_ISSUE_N SM2 CSRs in one process"
echo "(same distid, SM3), which keeps a text index instead of a database."
echo
echo "| | certificates/s |"
echo "|---|---|"
echo "| sealca, OpenSSL SM2 engine, 1 thread | $S_OSSL1 |"
echo "| sealca, OpenSSL SM2 engine, 2 threads | $S_OSSL2 |"
echo "| sealca, fast SM2 engine, 1 thread | $S_FAST1 |"
echo "| sealca, fast SM2 engine, 2 threads | $S_FAST2 |"
printf '| openssl ca -infiles (1 process) | %.0f |\n' "$O_ISSUE"
echo
echo "## CRL generation"
echo
echo "\`sealca crl\` over a store holding N revoked certificates (\`sealca bench populate\`); wall time"
echo "and peak RSS from /usr/bin/time. Peer: \`openssl ca -gencrl\` over an index.txt of N revoked entries."
echo
echo "| revoked | sealca time | sealca peak RSS | CRL size | openssl ca time | openssl peak RSS | speed-up |"
echo "|---|---|---|---|---|---|---|"
printf '%s' "$crl_rows"
echo
echo "## OCSP over HTTP (\`sealca serve\`, 2 worker threads, wrk on the same 2 cores)"
echo
echo "| | responses/s |"
echo "|---|---|"
echo "| sealca, GET, pre-signed (no nonce), keep-alive, 64 connections | $OCSP_GET |"
echo "| sealca, POST with nonce (signed live by the key process), fast SM2 engine | $OCSP_NONCE |"
echo "| sealca, POST with nonce, OpenSSL SM2 engine (SEALCA_SM2_ENGINE=openssl) | $OCSP_NONCE_OSSL |"
echo "| sealca, GET with nonce, one connection per request (ocspload.py), fast SM2 engine | $OCSP_NONCE_1REQ_FAST |"
echo "| sealca, GET with nonce, one connection per request (ocspload.py), OpenSSL SM2 engine | $OCSP_NONCE_1REQ_OSSL |"
echo "| openssl ocsp -port (HTTP/1.0, signs every response), one connection per request (ocspload.py) | $OSSL_OCSP |"
echo "| sealca GET with the same one-connection-per-request client (ocspload.py) | $SEALCA_OCSP_1REQ |"
echo
echo "Revocation (\`sealca revoke --reason certificateHold\` from another process) to a changed OCSP"
echo "answer at the responder, one node on SQLite: p50 ${LAT_P50} ms, p99 ${LAT_P99} ms (worst ${LAT_MAX} ms)."
if [ -n "$PG_ROWS" ]; then
echo
echo "## PostgreSQL (throwaway local cluster, fsync off: scripts/pg-test-env.sh)"
echo
echo "| | SQLite (above) | PostgreSQL |"
echo "|---|---|---|"
echo "| issuance, fast engine, 1 thread | $S_FAST1 | $PG_I1 |"
echo "| issuance, fast engine, 2 threads | $S_FAST2 | $PG_I2 |"
echo "| issuance, fast engine, 4 threads | - | $PG_I4 |"
echo
echo "Two \`sealca serve\` nodes on one PostgreSQL: revocation through the CLI to a changed OCSP"
echo "answer at node B: p50 ${PLAT_P50} ms, p99 ${PLAT_P99} ms."
fi
# placeholder: scripts/bench-sm2.sh, run below, replaces this section with its own figures
echo
echo "## SM2 operations, one core (\`sealca bench sm2\`)"
echo
echo "(scripts/bench-sm2.sh writes this section.)"
echo
echo "## Electronic seals (\`sealca seal bench\`, one SES_Signature, 100 kB document)"
echo
echo "| | per second (median of 3) |"
echo "|---|---|"
echo "| full seal-signature verifications, fast engine | $SEAL_V_FAST |"
echo "| full seal-signature verifications, OpenSSL engine | $SEAL_V_OSSL |"
echo "| full seal-signature verifications, revocation by OCSP from \`sealca serve\` with cached status ($SEAL_VO_Q per run of $SEAL_N), fast engine | $SEAL_VO_FAST |"
echo "| full seal-signature verifications, revocation by OCSP with cached status, OpenSSL engine | $SEAL_VO_OSSL |"
echo "| peer: \`openssl speed sm2\` verifications / 6 (the SM2 work of one seal verification) | $SEAL_OS_EQ ($SEAL_OS_V SM2 verify/s) |"
echo "| seals made (seal-redo: encode, seal-maker signature, retire + insert + audit), fast engine, SQLite | $SEAL_M (CPU); $SEAL_MW wall |"
echo
echo "A full verification checks the seal maker's and the signer's SM2 signatures, both certificate"
echo "paths to the root (two SM2 verifications each), revocation from the home's store (cached by the"
echo "verifier after the first lookup) and the data hash. Rates are per CPU second, like"
echo "\`openssl speed\` (which counts CPU time), so that they compare on a shared machine; seals made"
echo "is also given per wall-clock second because it waits for the database's fsync. The OCSP rows"
echo "verify as a relying platform does with only the CA chain and the root's CRL: the signer's and"
echo "the seal maker's status come from sealca's OCSP responder (request with nonce, response signature"
echo "and responder authority checked) and are cached per serial by the verifier, so the first"
echo "verification of a run queries and the rest use the cache (the figure in brackets counts them)."
echo "The OpenSSL peer is \`openssl speed sm2\` in the same run; before it, OpenSSL verifies the"
echo "signature's own SM2 document signature (\`openssl dgst -sm3 -sigopt distid:… -verify\`)."
} > "$OUT"
# the KMC's figures (dual issuance, envelopes), appended by their own script
"$ROOT/scripts/bench-kmc.sh" >>"$OUT"
# the TSA's figures (POST /tsa beside openssl ts -reply), appended by their own script
"$ROOT/scripts/bench-tsa.sh" >>"$OUT"
# the engine's change-by-change history is measured by hand and kept in its own file
printf '\nThe SM2 engine change by change (instruction counts and CPU-time rates per round, measured by\nhand): docs/benchmarks-sm2-rounds.md.\n' >>"$OUT"
# the SM2 engine's figures (both engines, openssl speed, Botan, callgrind counts, dudect): one
# script, which rewrites the SM2 section above in place; it also runs alone for engine work
"$ROOT/scripts/bench-sm2.sh" >/dev/null
cat "$OUT"
# the registration service (docs/benchmarks-ra.md)
"$ROOT/scripts/bench-ra.sh"
exit 0
