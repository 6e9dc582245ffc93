#!/bin/bash
# bench-tsa.sh: RFC 3161 timestamps per second from sealca's POST /tsa beside `openssl ts -reply`
# in the same run; markdown on stdout (make bench appends it to docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
S="$ROOT/build/sealca"
W=$(mktemp -d "${TMPDIR:-/tmp}/sealca-bench-tsa-XXXXXX")
SRV=""
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; rm -rf "$W"' EXIT
export SEALCA_PASSPHRASE=bench-passphrase
QUICK=${SEALCA_BENCH_QUICK:-0}
SECS=$([ "$QUICK" = 1 ] && echo 3 || echo 10)
N=$([ "$QUICK" = 1 ] && echo 50 || echo 150)
PORT=${SEALCA_BENCH_TSA_PORT:-18483}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cd "$W"

$S init --home tsa >/dev/null
$S ca tsa --home tsa >/dev/null
printf 'bench document\n' >doc.txt
openssl ts -query -data doc.txt -sm3 -cert -out q.tsq 2>/dev/null
body=$(od -An -v -tx1 q.tsq | tr -d ' \n' | sed 's/../\\x&/g')
cat >post.lua <<L
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/timestamp-query"
wrk.body = "$body"
L
rate() { # engine: wrk against POST /tsa, 2 server threads, 64 connections
    SEALCA_SM2_ENGINE=$1 $S serve --home tsa --listen 127.0.0.1:$PORT --threads 2 --access-log none >srv.out 2>&1 &
    SRV=$!
    for i in $(seq 1 100); do grep -q serving srv.out && break; sleep 0.2; done
    curl -fsS -o /dev/null -H 'Content-Type: application/timestamp-query' --data-binary @q.tsq "http://127.0.0.1:$PORT/tsa"
    for i in 1 2 3; do
        wrk -t1 -c64 -d${SECS}s -s post.lua "http://127.0.0.1:$PORT/tsa" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
    done | median
    kill -TERM $SRV; wait $SRV 2>/dev/null || true
    SRV=""
}
FAST=$(rate fast)
OSSL=$(rate openssl)
# every answer granted and logged (the load was real tokens, not errors)
curl -fsS -o r.tsr -H 'Content-Type: application/timestamp-query' --data-binary @q.tsq "http://127.0.0.1:$PORT/tsa" 2>/dev/null || true
LOGGED=$(sqlite3 tsa/ca.db "SELECT COUNT(*) FROM tsa_tokens")

# peer: openssl ts -reply, one process per token (its only mode). OpenSSL 3.0 cannot sign a
# timestamp with SM2 ("PKCS7_SIGNER_INFO_set: signing not supported for this key type"), so the
# peer signs with ECDSA P-256 / SHA-256; an SM2 attempt is recorded as such.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key 2>/dev/null
openssl req -new -x509 -key p256.key -subj "/CN=OpenSSL TSA" -days 30 -addext "extendedKeyUsage=critical,timeStamping" -out p256.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out sm2.key 2>/dev/null
openssl req -new -x509 -key sm2.key -subj "/CN=OpenSSL TSA" -days 30 -sm3 -sigopt distid:1234567812345678 -addext "extendedKeyUsage=critical,timeStamping" -out sm2.pem 2>/dev/null
for k in p256 sm2; do
    cat >$k.cnf <<C
[ tsa ]
default_tsa = t
[ t ]
serial = ./$k.serial
signer_cert = ./$k.pem
signer_key = ./$k.key
signer_digest = $([ $k = sm2 ] && echo sm3 || echo sha256)
default_policy = 1.2.3.4.1
digests = sm3, sha256
accuracy = secs:1
ess_cert_id_alg = sha256
C
    echo 01 >$k.serial
done
SM2_PEER="signs"
openssl ts -reply -config sm2.cnf -queryfile q.tsq -out sm2.tsr >/dev/null 2>sm2.err || true
openssl ts -reply -in sm2.tsr -text 2>/dev/null | grep -q "Status: Granted" || SM2_PEER="cannot sign ($(grep -o 'signing not supported for this key type' sm2.err | head -1))"
peer() { # processes in parallel
    t0=$(date +%s%N)
    for p in $(seq 1 $1); do
        ( for i in $(seq 1 $((N / $1))); do openssl ts -reply -config p256.cnf -queryfile q.tsq -out o$p.tsr 2>/dev/null; done ) &
    done
    wait
    t1=$(date +%s%N)
    echo "$N $t0 $t1" | awk '{printf "%.0f\n", $1 / (($3 - $2) / 1e9)}'
}
P1=$(for i in 1 2 3; do peer 1; done | median)
P2=$(for i in 1 2 3; do peer 2; done | median)
openssl ts -reply -in o1.tsr -text 2>/dev/null | grep -q "Status: Granted" || P1="failed"

echo
echo "## Time-stamping authority (RFC 3161, POST /tsa)"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); sealca $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); $(openssl version)"
echo "- load: wrk -t1 -c64 -d${SECS}s POSTing one SM3 TimeStampReq (nonce, certReq) to \`sealca serve --threads 2\`; each answer is a fresh SM2-with-SM3 token signed in the key process and logged in tsa_tokens ($LOGGED rows after the run). Medians of 3."
echo "- peer: \`openssl ts -reply\` (one process per token, the way it runs), $N tokens, 1 and 2 processes. OpenSSL 3.0 with an SM2 key: $SM2_PEER; the peer figure is ECDSA P-256."
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| timestamps/s | value | vs openssl ts -reply (1 process) |"
echo "|---|---:|---:|"
echo "| sealca POST /tsa, fast SM2 engine | $FAST | $(awk -v a="$FAST" -v b="$P1" 'BEGIN {printf (b > 0 ? "%.1fx" : "n/a"), a / b}') |"
echo "| sealca POST /tsa, OpenSSL SM2 engine | $OSSL | $(awk -v a="$OSSL" -v b="$P1" 'BEGIN {printf (b > 0 ? "%.1fx" : "n/a"), a / b}') |"
echo "| openssl ts -reply, ECDSA P-256, 1 process | $P1 | 1.0x |"
echo "| openssl ts -reply, ECDSA P-256, 2 processes | $P2 | $(awk -v a="$P2" -v b="$P1" 'BEGIN {printf (b > 0 ? "%.1fx" : "n/a"), a / b}') |"
