#!/bin/bash
# bench-kmc.sh - the KMC part of make bench (run by scripts/bench.sh, inside pg-test-env.sh):
# dual-certificate issuances per second on SQLite and PostgreSQL beside single issuances on the
# same store, and GM/T 0010 envelope encrypt/decrypt beside openssl enc -sm4-cbc and openssl
# speed in the same run. Prints a markdown section on stdout. Medians of 3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S="$ROOT/build/sealca"
W=$(mktemp -d "${TMPDIR:-/tmp}/sealca-bench-kmc-XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
export SEALCA_PASSPHRASE=bench-passphrase SEALCA_TOKEN_STATE="$W/anchors" SEALCA_TOKEN_KDF_MEM=8
export SEALCA_SM2_ENGINE=fast
mkdir -p anchors
QUICK=${SEALCA_BENCH_QUICK:-0}
DUAL_N=$([ "$QUICK" = 1 ] && echo 30 || echo 300)
MB=$([ "$QUICK" = 1 ] && echo 8 || echo 64)
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { awk -v k="$1" '{for (i=1;i<=NF;i++) if ($i==k) print $(i-1)}'; }

$S token init --file T.tok --user-pin 123456 --admin-pin 87654321 >/dev/null
$S token csr --file T.tok --pin 123456 --subject "CN=bench,O=bench,C=CN" --out req.der >/dev/null
openssl req -inform DER -in req.der -out req.pem

dual_rates() { # home -> "dual/s single/s dual/s-with-OpenSSL's-SM2"
    local h=$1
    $S kmc init --home "$h" --pool-min 16 --pool-target 64 >/dev/null
    local d s o
    # the issue's before/after: the same dual issuance with OpenSSL's SM2 engine (before) and
    # sealca's (after), rounds alternated so that a change of load hits both alike
    : >dual.f; : >dual.o
    for i in 1 2 3; do
        $S kmc bench-dual --home "$h" --csr req.der --count $DUAL_N | field dual/s >>dual.f
        SEALCA_SM2_ENGINE=openssl $S kmc bench-dual --home "$h" --csr req.der --count $DUAL_N | field dual/s >>dual.o
    done
    d=$(median <dual.f); o=$(median <dual.o)
    s=$(for i in 1 2 3; do $S bench issue --home "$h" --csr req.pem --count $DUAL_N --threads 1 | field certs/s; done | median)
    echo "$d $s $o"
}
$S init --home ca >/dev/null
read -r D_SQ S_SQ O_SQ < <(dual_rates ca)
D_PG=- S_PG=- O_PG=-
if [ -n "${SEALCA_TEST_PG_URL:-}" ]; then
    pgdb="sealca_bench_kmc_$$"
    printf 'CREATE DATABASE :"db";\n' | psql "$SEALCA_TEST_PG_URL" -X -q -v ON_ERROR_STOP=1 -v db="$pgdb" >/dev/null
    PGURL=$(printf '%s' "$SEALCA_TEST_PG_URL" | sed "s|^\(postgres[a-z]*://[^/]*/\)[^?]*|\1$pgdb|")
    $S init --home pgca --database "$PGURL" >/dev/null
    read -r D_PG S_PG O_PG < <(dual_rates pgca)
    printf 'DROP DATABASE :"db" WITH (FORCE);\n' | psql "$SEALCA_TEST_PG_URL" -X -q -v db="$pgdb" >/dev/null 2>&1 || true
fi

# envelopes: one recipient, MB MiB in memory; peers on the same machine in the same run
$S issue-dual --home ca --profile organization --uscc 91350100M000100Y43 --csr req.der --out resp.der >/dev/null
$S token import --file T.tok --pin 123456 resp.der >/dev/null
$S token certs --file T.tok --out-enc enc.pem
ENV=$(for i in 1 2 3; do $S envelope bench --to enc.pem --file T.tok --pin 123456 --size-mb $MB; done)
E_ENC=$(echo "$ENV" | awk '{print $5}' | median)
E_DEC=$(echo "$ENV" | awk '{print $8}' | median)
head -c $((MB << 20)) /dev/urandom >plain.bin
KEY=0123456789abcdeffedcba9876543210; IV=00112233445566778899aabbccddeeff
ossl_enc() { # enc|dec -> MB/s of openssl enc (file in, file out: includes I/O and start-up)
    local t0 t1 flag=""
    [ "$1" = dec ] && flag=-d
    local in=plain.bin; [ "$1" = dec ] && in=cipher.bin
    t0=$(date +%s.%N)
    openssl enc $flag -sm4-cbc -K $KEY -iv $IV -in $in -out out.bin
    t1=$(date +%s.%N)
    printf '%.1f\n' "$(echo "$((MB << 20)) / 1000000 / ($t1 - $t0)" | bc -l)"
}
openssl enc -sm4-cbc -K $KEY -iv $IV -in plain.bin -out cipher.bin
O_ENC=$(for i in 1 2 3; do ossl_enc enc; done | median)
O_DEC=$(for i in 1 2 3; do ossl_enc dec; done | median)
O_SPEED=$(openssl speed -evp sm4-cbc -seconds 2 2>/dev/null | awk '/^SM4-CBC/ {v=$NF; sub(/k$/,"",v); printf "%.1f", v*1000/1e6}')

r() { printf '%.2f' "$(echo "$1 / $2" | bc -l 2>/dev/null)" 2>/dev/null || echo -; }
echo
echo "## Dual certificates and envelopes (scripts/bench-kmc.sh)"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) when measured"
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), sealca $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), one thread, fast SM2 engine unless a column says otherwise; $(openssl version)"
echo
echo "Dual issuance = signing certificate + KMC key pair (generation and escrow, amortised through"
echo "the standby-pool refills) + encryption certificate + SM2EnvelopedKey + CSRResponse; a single"
echo "issuance on the same store is the reference. Each dual issuance commits 4 transactions"
echo "(two certificates, key assignment, key binding) against one for a single issuance."
echo
echo "| store | dual issuances/s | single issuances/s (same run) | dual / single | dual issuances/s, OpenSSL's SM2 engine (before) | fast / OpenSSL engine |"
echo "|---|---|---|---|---|---|"
echo "| SQLite | $D_SQ | $S_SQ | $(r "$D_SQ" "$S_SQ") | $O_SQ | $(r "$D_SQ" "$O_SQ") |"
echo "| PostgreSQL | $D_PG | $S_PG | $( [ "$D_PG" = - ] && echo - || r "$D_PG" "$S_PG") | $O_PG | $( [ "$D_PG" = - ] && echo - || r "$D_PG" "$O_PG") |"
echo
echo "GM/T 0010 envelope, one recipient, $MB MiB (sealca in memory; openssl enc file to file):"
echo
echo "| | encrypt MB/s | decrypt MB/s |"
echo "|---|---|---|"
echo "| sealca envelope (SM4-CBC + SM2 key transport) | $E_ENC | $E_DEC |"
echo "| openssl enc -sm4-cbc | $O_ENC | $O_DEC |"
echo "| openssl speed -evp sm4-cbc (16 KiB blocks) | $O_SPEED | - |"
echo
echo "sealca / openssl enc: encrypt $(r "$E_ENC" "$O_ENC"), decrypt $(r "$E_DEC" "$O_DEC")."
