#!/bin/sh
# Runs every tests/integration/t_*.sh against the sealca binary given as $1, once per SM2
# engine, and prints "N passed, N failed".
set -u
bin=$(realpath "$1")
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
engines="${SEALCA_TEST_ENGINES:-openssl fast}"
root=$(cd "$(dirname "$0")/.." && pwd)
pass=0; fail=0; failed=""
for t in "$root"/tests/integration/t_*.sh; do
    for eng in $engines; do
        name="$(basename "$t" .sh)[$eng]"
        work=$(mktemp -d "${TMPDIR:-/tmp}/sealca-it-XXXXXX")
        log="$work/log"
        start=$(date +%s)
        if (cd "$work" && SEALCA="$bin" SEALCA_SM2_ENGINE=$eng ROOT="$root" FIXTURES="$root/../shared/fixtures" \
            sh -eu "$t") >"$log" 2>&1; then
            pass=$((pass + 1)); echo "ok   $name ($(($(date +%s) - start)) s)"
            rm -rf "$work"
        else
            fail=$((fail + 1)); failed="$failed $name"
            echo "FAIL $name - last lines of $log:"; tail -n 25 "$log" | sed 's/^/     /'
        fi
    done
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
