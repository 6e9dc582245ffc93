#!/bin/bash
# bench-sm2.sh: only the SM2 part of `make bench` (scripts/bench.sh), for work on the engine
# without the hour of issuance/CRL/OCSP runs: `sealca bench sm2` for both engines beside
# `openssl speed sm2`, `openssl speed ecdsap256` and Botan, all in this one run, plus the
# callgrind instruction counts and the dudect report. Rewrites the section
# "## SM2 operations, one core" of docs/benchmarks.md in place (the rest is left alone).
# Medians of RUNS runs (default 5). Needs build/sealca (make build/sealca).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
S="$ROOT/build/sealca"
OUT="$ROOT/docs/benchmarks.md"
RUNS=${SEALCA_BENCH_RUNS:-5}
QUICK=${SEALCA_BENCH_QUICK:-0}
SECS=$([ "$QUICK" = 1 ] && echo 1 || echo 2)
W=$(mktemp -d "${TMPDIR:-/tmp}/sealca-bench-sm2-XXXXXX")
trap 'rm -rf "$W"' EXIT
[ -x "$S" ] || { echo "bench-sm2: build/sealca missing (make build/sealca)" >&2; exit 1; }
[ -f "$OUT" ] || { echo "bench-sm2: $OUT missing" >&2; exit 1; }
grep -q '^## SM2 operations, one core' "$OUT" || { echo "bench-sm2: no SM2 section in $OUT" >&2; exit 1; }

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cd "$W"

# every op of both engines, and each peer, once per round: the runs interleave so that a change
# of load on the shared machine hits all of them alike
for r in $(seq 1 "$RUNS"); do
    for eng in fast openssl; do
        $S bench sm2 --engine $eng --seconds "$SECS" | awk -v e=$eng '{print e, $2, $3}' >>rates.txt
    done
    openssl speed -seconds "$SECS" sm2 2>/dev/null | tail -1 | awk '{print "ossl-sm2", $(NF-1), $NF}' >>peers.txt
    openssl speed -seconds "$SECS" ecdsap256 2>/dev/null | tail -1 | awk '{print "ossl-p256", $(NF-1), $NF}' >>peers.txt
    if command -v botan >/dev/null; then
        botan speed --msec=$((SECS * 1000)) --ecc-groups=sm2p256v1 SM2 2>/dev/null |
            awk '{for (i = 1; i <= NF; i++) { if ($i == "sign/sec;") s = $(i-1); if ($i == "verify/sec;") v = $(i-1) }}
                 END {if (s != "") print "botan", s, v}' >>peers.txt || true
    fi
done
rate() { awk -v e="$1" -v o="$2" '$1==e && $2==o {print $3}' rates.txt | median; }
peer() { awk -v p="$1" -v f="$2" '$1==p {print $f}' peers.txt | median; }
TABLE=""
for op in sign verify keygen encrypt decrypt; do
    f=$(rate fast $op); o=$(rate openssl $op)
    TABLE="$TABLE| $op | $f | $o | $(echo "scale=1; $f / $o" | bc -l)× |
"
done
F_SIGN=$(rate fast sign); F_VERIFY=$(rate fast verify)
OS_S=$(peer ossl-sm2 2); OS_V=$(peer ossl-sm2 3)
OP_S=$(peer ossl-p256 2); OP_V=$(peer ossl-p256 3)
B_S=$(peer botan 2); B_V=$(peer botan 3)
ratio() { [ -n "$2" ] && echo "scale=1; $1 / $2" | bc -l || echo "n/a"; }

# instruction counts (callgrind): exact and immune to the noise of a shared machine
ICOUNT=""
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
    cc -std=c11 -D_GNU_SOURCE -O2 -g -I"$ROOT/src" "$ROOT/bench/sm2_icount.c" \
        $(find "$ROOT/src/crypto/sm2" -name '*.c' | sort) -lpthread -o sm2_icount
    icount() { # impl -> "sign verify" instructions per operation
        SEALCA_SM2_IMPL="$1" valgrind --tool=callgrind --callgrind-out-file=cg.out ./sm2_icount 640 >/dev/null 2>&1
        callgrind_annotate --inclusive=yes cg.out 2>/dev/null |
            awk '/sm2fast_sign \[/ {gsub(",","",$1); s=$1} /sm2fast_verify \[/ {gsub(",","",$1); v=$1}
                 END {printf "%.0f %.0f", s/640, v/640}'
    }
    ICOUNT="$(icount 'adx!') $(icount c)"
fi
DUDECT_ROWS=$("$ROOT/scripts/dudect.sh" "$([ "$QUICK" = 1 ] && echo 4000 || echo 20000)" 2>/dev/null |
    awk '/engine path/ {p=$0; sub(/.*engine path /, "", p)}
         /measurements/ {x=$0; sub(/: [0-9]+ measurements.*/, "", x)}
         /max \|t\|/ {t=$4; sub(/:$/, "", t); v=$0; sub(/.*: /, "", v); print "| " p " | " x " | " t " | " v " |"}' || true)

{
echo "## SM2 operations, one core (\`sealca bench sm2\`)"
echo
echo "Measured with \`scripts/bench-sm2.sh\` (the SM2 part of \`make bench\`), $RUNS interleaved"
echo "runs, medians, on $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores,"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), sealca $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'),"
echo "$(openssl version | cut -d' ' -f1-2), load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the same cores)."
echo "Rates are per CPU second of the measuring thread, like \`openssl speed\` (which counts user"
echo "CPU time), so that they compare on a shared machine."
echo
echo "| op | sealca fast engine ops/s | sealca via OpenSSL ops/s | ratio |"
echo "|---|---|---|---|"
printf '%s' "$TABLE"
echo
echo "\`sealca bench sm2\` goes through the crypto layer as the rest of sealca does: sign includes"
echo "e = SM3(Z || M) (Z cached per key) and the DER encoding, verify the DER decoding and e."
echo "The fast engine's signing draws (k, x(kG)) from a per-thread pool refilled 128 at a time"
echo "(docs/design.md, \`The SM2 engine\`): the figure is the long-run rate with the refills"
echo "included."
if [ -n "$ICOUNT" ]; then
    set -- $ICOUNT
    echo
    echo "Instructions per operation inside the engine (callgrind, \`bench/sm2_icount.c\`, 640 signatures"
    echo "so the per-thread nonce batches are included; e given): MULX/ADX path sign $1, verify $2;"
    echo "portable C path sign $3, verify $4."
fi
echo
if [ -n "${DUDECT_ROWS:-}" ]; then
    echo "Timing leak check (\`scripts/dudect.sh\`, Welch t-test of fixed vs random secret, largest |t|"
    echo "over the crop levels; |t| > 4.5 would suggest a leak):"
    echo
    echo "| code path | experiment | max abs t | verdict |"
    echo "|---|---|---|---|"
    echo "$DUDECT_ROWS"
    echo
fi
echo "Peers, same run (sign/s, verify/s, medians of $RUNS), and sealca's fast engine against each:"
echo
echo "| peer | sign/s | verify/s | fast engine / peer, sign | verify |"
echo "|---|---|---|---|---|"
echo "| openssl speed sm2 | $OS_S | $OS_V | $(ratio "$F_SIGN" "$OS_S")× | $(ratio "$F_VERIFY" "$OS_V")× |"
echo "| openssl speed ecdsap256 (tuned curve) | $OP_S | $OP_V | $(ratio "$F_SIGN" "$OP_S")× | $(ratio "$F_VERIFY" "$OP_V")× |"
echo "| botan speed SM2 | ${B_S:-n/a} | ${B_V:-n/a} | $(ratio "$F_SIGN" "$B_S")× | $(ratio "$F_VERIFY" "$B_V")× |"
echo
echo "GmSSL is not packaged in Debian and could not be installed here, so it is not measured; its"
echo "published figures are in ../shared/reference/guomi-notes.md §10, not repeated as ours."
echo
} >section.md
# splice: replace from the SM2 heading up to (not including) the next "## " heading
awk -v sec="section.md" '
    /^## SM2 operations, one core/ { while ((getline l < sec) > 0) print l; skip = 1; next }
    skip && /^## / { skip = 0 }
    !skip { print }' "$OUT" >new.md
mv new.md "$OUT"
cat section.md
