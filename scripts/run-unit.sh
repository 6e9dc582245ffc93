#!/bin/sh
# Runs each cmocka unit-test binary given as argument, once per SM2 engine, and totals the result.
set -u
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
engines="${SEALCA_TEST_ENGINES:-openssl fast}"
pass=0; fail=0; failed=""
for t in "$@"; do
    for eng in $engines; do
        if SEALCA_SM2_ENGINE=$eng "$t"; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1)); failed="$failed $(basename "$t")[$eng]"
        fi
    done
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
