#!/bin/bash
# bench-sm2-ab.sh REV [ROUNDS] - the SM2 engine of REV (before) against the working tree (after),
# on a machine whose speed changes from minute to minute: both builds run alternately, ROUNDS
# times (default 15), and what is reported is the median of each side and the median of the
# per-round ratios after/before (adjacent runs see about the same load, so the ratio is steadier
# than either rate). Two levels are measured:
#   engine      bench/sm2_cpurate.c (e given, thread CPU time), built from each tree's engine sources
#   crypto      `sealca bench sm2 --engine fast --seconds 1` (e = SM3(Z || M), DER), each tree's
#               release binary
# Prints a markdown table on stdout. Needs git, cc; builds REV in a temporary worktree.
set -euo pipefail
REV=${1:?usage: bench-sm2-ab.sh REV [ROUNDS]}
ROUNDS=${2:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/sealca-sm2ab-XXXXXX")
cleanup() {
    git -C "$ROOT" worktree remove --force "$W/before" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
git -C "$ROOT" worktree add --detach "$W/before" "$REV" >/dev/null 2>&1
BREV=$(git -C "$W/before" rev-parse --short HEAD)
ARev=$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+changes')
engine() { # tree out
    cc -O2 -std=c11 -D_GNU_SOURCE -I"$1/src" "$ROOT/bench/sm2_cpurate.c" "$1"/src/crypto/sm2/*.c \
        -lpthread -o "$2"
}
engine "$W/before" "$W/eng.before"
engine "$ROOT" "$W/eng.after"
make -C "$W/before" -j2 build/sealca >/dev/null
make -C "$ROOT" -j2 build/sealca >/dev/null
cp "$W/before/build/sealca" "$W/layer.before"
cp "$ROOT/build/sealca" "$W/layer.after"

# one line per round and side: "<level> <side> <sign/s> <verify/s>"
for r in $(seq 1 "$ROUNDS"); do
    for side in before after; do
        # sm2_cpurate runs 3 rounds: their medians
        "$W/eng.$side" 16000 >"$W/eng.out"
        echo "engine $side $(awk '{print $4+0}' "$W/eng.out" | sort -g | sed -n 2p)" \
            "$(awk '{print $6+0}' "$W/eng.out" | sort -g | sed -n 2p)"
    done
    for side in before after; do
        "$W/layer.$side" bench sm2 --engine fast --seconds 1 |
            awk -v s=$side '$2=="sign" {g=$3} $2=="verify" {v=$3} END {print "crypto", s, g, v}'
    done
done >"$W/rates.txt"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v l="$1" -v s="$2" -v c="$3" '$1==l && $2==s {print $c}' "$W/rates.txt" | median; }
ratio() { # level column -> median of after/before over adjacent runs
    awk -v l="$1" -v c="$2" '$1==l && $2=="before" {b=$c} $1==l && $2=="after" {printf "%.4f\n", $c/b}' \
        "$W/rates.txt" | median
}
spread() { # level side column -> "min-max"
    awk -v l="$1" -v s="$2" -v c="$3" '$1==l && $2==s {print $c}' "$W/rates.txt" | sort -g |
        awk 'NR==1 {lo=$1} {hi=$1} END {printf "%d–%d", lo, hi}'
}
echo "| level | before ($BREV) sign/s | after ($ARev) sign/s | after/before, sign | before verify/s | after verify/s | after/before, verify |"
echo "|---|---|---|---|---|---|---|"
for l in engine crypto; do
    echo "| $l | $(col $l before 3) ($(spread $l before 3)) | $(col $l after 3) ($(spread $l after 3)) | $(ratio $l 3) | $(col $l before 4) | $(col $l after 4) | $(ratio $l 4) |"
done
echo
echo "$ROUNDS alternated rounds, medians (range in brackets); $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
