#!/bin/sh
# dudect-style timing report for the fast SM2 engine's sign path (bench/sm2_dudect.c): prints Welch t
# statistics for fixed-vs-random nonce and key, on each code path. A report, not a test: always exits 0
# unless the build fails. Usage: scripts/dudect.sh [measurements per experiment, default 200000]
set -eu
cd "$(dirname "$0")/.."
CC="${CC:-cc}"
mkdir -p build
$CC -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc bench/sm2_dudect.c \
    $(find src/crypto/sm2 -name '*.c' | sort) -lm -lpthread -o build/sm2_dudect
for impl in c auto; do
    if [ "$impl" = c ]; then export SEALCA_SM2_IMPL=c; else unset SEALCA_SM2_IMPL; fi
    taskset -c 1 build/sm2_dudect "${1:-200000}" 2>/dev/null || build/sm2_dudect "${1:-200000}"
done
