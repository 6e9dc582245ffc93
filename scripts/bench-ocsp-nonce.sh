#!/bin/bash
# bench-ocsp-nonce.sh [ROUNDS] - the whole-system effect of the SM2 engine on the OCSP responder:
# POST requests with a nonce (every answer signed live by the key process), wrk with 64
# keep-alive connections for 10 s, against `sealca serve` with SEALCA_SM2_ENGINE=fast and =openssl
# (inherited by the key process), the two alternated ROUNDS times (default 3). The same step as
# in scripts/bench.sh's OCSP section, alone, for engine work. Prints "<engine> <responses/s>"
# per run, then the medians and their ratio. Needs build/sealca, openssl, wrk.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S="$ROOT/build/sealca"
ROUNDS=${1:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/sealca-ocspnonce-XXXXXX")
SRV=
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
export SEALCA_PASSPHRASE=bench-passphrase
DISTID="distid:1234567812345678"
PORT=18481
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out ee.key 2>/dev/null
openssl req -new -key ee.key -subj "/CN=bench" -sigopt $DISTID -out ee.csr
$S init --home srv --base-url http://127.0.0.1:$PORT >/dev/null
$S issue --home srv --profile person-sign --subject "CN=bench" --id-number 11010519491231002X \
    --csr ee.csr --out srv-ee.pem 2>/dev/null
openssl ocsp -issuer srv/certs/sub-1.pem -cert srv-ee.pem -reqout req-nonce.der >/dev/null 2>&1
lua_body=$(od -An -v -tx1 req-nonce.der | tr -d ' \n' | sed 's/../\\x&/g')
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/ocsp-request"\nwrk.body = "%s"\n' \
    "$lua_body" >post.lua
for r in $(seq 1 "$ROUNDS"); do
    for eng in fast openssl; do
        SEALCA_SM2_ENGINE=$eng $S serve --home srv --listen 127.0.0.1:$PORT --threads 2 \
            --access-log none >srv.out 2>&1 &
        SRV=$!
        for i in $(seq 1 50); do grep -q serving srv.out && break; sleep 0.2; done
        v=$(wrk -t1 -c64 -d10s -s post.lua "http://127.0.0.1:$PORT/ocsp" 2>/dev/null |
            awk '/Requests\/sec/ {print $2}')
        echo "$eng $v" | tee -a rates.txt
        kill -TERM $SRV
        wait $SRV 2>/dev/null || true
        SRV=
    done
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
F=$(awk '$1=="fast" {print $2}' rates.txt | median)
O=$(awk '$1=="openssl" {print $2}' rates.txt | median)
echo "median: fast $F, openssl $O responses/s, ratio $(echo "scale=2; $F / $O" | bc -l)"
