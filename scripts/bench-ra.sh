#!/bin/bash
# bench-ra.sh (make bench): the registration service API - catalog reads and order creation
# (wrk, keep-alive), and the latency of order submission with 200 sessions submitting at once
# (tests/tools/ra_load.py), on SQLite and, inside scripts/pg-test-env.sh, PostgreSQL.
# Peers in the same run: the server's own /healthz (the HTTP floor) and Python's http.server
# serving the same catalog bytes as a static file. Writes docs/benchmarks-ra.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
S="$ROOT/build/sealca"
OUT="$ROOT/docs/benchmarks-ra.md"
W=$(mktemp -d "${TMPDIR:-/tmp}/sealca-bench-ra-XXXXXX")
SRV=""; PY=""
# Under set -e a failing command inside the EXIT trap ends the script with its status: a bare
# `kill` of nothing (both servers already stopped, SRV and PY empty) failed every run this way,
# skipping the rm and failing `make bench` at its end. Kill only what is still recorded.
trap 'for p in $SRV $PY; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT
export SEALCA_PASSPHRASE=bench-passphrase
QUICK=${SEALCA_BENCH_QUICK:-0}
SECS=$([ "$QUICK" = 1 ] && echo 3 || echo 10)
N=${SEALCA_BENCH_RA_SESSIONS:-200}
cd "$W"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wrk_rps() { # url [script]
    for i in 1 2 3; do
        wrk -t1 -c64 -d${SECS}s ${2:+-s $2} "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
    done | median
}
cp "$ROOT/tests/fuzz/corpus/material/png_small" png

# run_one NAME [--database URL]: sets CAT, CREATE, HEALTH, SUBMIT for one store
run_one() {
    local home=$1; shift
    rm -rf "$home"
    $S init --home "$home" "$@" >/dev/null
    $S ra init --home "$home" >/dev/null
    $S serve --home "$home" --listen 127.0.0.1:18500 --threads 2 --access-log none >srv.out 2>&1 &
    SRV=$!
    for i in $(seq 1 100); do grep -q serving srv.out && break; sleep 0.2; done
    local U=http://127.0.0.1:18500/api/v1
    curl -fsS -o "$home-catalog.json" "$U/catalog" # the exact bytes, for the static-file peer
    CAT=$(wrk_rps "$U/catalog")
    HEALTH=$(wrk_rps "http://127.0.0.1:18500/healthz")
    python3 "$ROOT/tests/tools/ra_load.py" prepare "http://127.0.0.1:18500" "$N" sessions.json png
    local cookie csrf
    cookie=$(jq -r '.sessions[0].cookie' sessions.json)
    csrf=$(jq -r '.sessions[0].csrf' sessions.json)
    cat >create.lua <<L
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "$cookie"
wrk.headers["X-CSRF-Token"] = "$csrf"
wrk.body = '{"business":"new","subject_kind":"organization","medium":"usbkey","years":1}'
L
    CREATE=$(wrk_rps "$U/orders" create.lua)
    SUBMIT=$(python3 "$ROOT/tests/tools/ra_load.py" submit sessions.json)
    kill -TERM $SRV; wait $SRV 2>/dev/null || true; SRV=""
}

run_one sq
SQ_CAT=$CAT; SQ_CREATE=$CREATE; SQ_HEALTH=$HEALTH; SQ_SUBMIT=$SUBMIT
# peer: the same catalog bytes as a static file from Python's http.server (saved by run_one
# while the server ran)
mkdir -p static && cp sq-catalog.json static/catalog.json
(cd static && exec python3 -m http.server 18501 --bind 127.0.0.1 >/dev/null 2>&1) &
PY=$!
sleep 1
PY_CAT=$(wrk_rps "http://127.0.0.1:18501/catalog.json")
kill $PY 2>/dev/null; wait $PY 2>/dev/null || true; PY=""
PG=""
if [ -n "${SEALCA_TEST_PG_URL:-}" ]; then
    pgdb="sealca_bench_ra_$$"
    printf 'CREATE DATABASE :"db";\n' | psql "$SEALCA_TEST_PG_URL" -X -q -v ON_ERROR_STOP=1 -v db="$pgdb" >/dev/null
    PGURL=$(printf '%s' "$SEALCA_TEST_PG_URL" | sed "s|^\(postgres[a-z]*://[^/]*/\)[^?]*|\1$pgdb|")
    run_one pg --database "$PGURL"
    PG_CAT=$CAT; PG_CREATE=$CREATE; PG_SUBMIT=$SUBMIT; PG=yes
    printf 'DROP DATABASE :"db" WITH (FORCE);\n' | psql "$SEALCA_TEST_PG_URL" -X -q -v db="$pgdb" >/dev/null 2>&1 || true
fi
{
echo "# Registration service benchmarks"
echo
echo "Written by \`make bench\` (scripts/bench-ra.sh). wrk figures are medians of 3 runs of ${SECS} s"
echo "(1 thread, 64 keep-alive connections) against \`sealca serve --threads 2\` on the same machine:"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); sealca $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| | SQLite | PostgreSQL |"
echo "|---|---|---|"
echo "| GET /api/v1/catalog, requests/s | $SQ_CAT | ${PG_CAT:--} |"
echo "| POST /api/v1/orders (draft, audited), orders/s | $SQ_CREATE | ${PG_CREATE:--} |"
echo "| order submission, $N sessions at once | $SQ_SUBMIT | ${PG_SUBMIT:--} |"
echo
echo "Peers in the same run: the server's own \`GET /healthz\` (no JSON, no store) $SQ_HEALTH requests/s;"
echo "the same catalog bytes as a static file from Python's \`http.server\` $PY_CAT requests/s."
echo "Order creation writes the order, its audit record (hash chain) and the order-number counter in"
echo "one transaction; a submission checks every field and the materials checklist, then writes the"
echo "transition, its history row and its audit record."
} >"$OUT"
cat "$OUT"
