#!/bin/sh
# Constant-time audit: builds tests/ct/ctgrind_*.c with the SM2 engine (-O2 -g, no sanitizers,
# -DSEALCA_CTGRIND) and runs each under valgrind memcheck on every engine code path; exits non-zero
# on any secret-dependent branch or memory index valgrind reports, or on a functional failure.
set -eu
cd "$(dirname "$0")/.."
CC="${CC:-cc}"
out=build/ctgrind
mkdir -p "$out"
command -v valgrind >/dev/null || { echo "ctgrind: valgrind not installed (apt-get install valgrind)" >&2; exit 1; }
[ -f /usr/include/valgrind/memcheck.h ] || { echo "ctgrind: valgrind/memcheck.h missing" >&2; exit 1; }
# The SM2 engine is self-contained (no OpenSSL), so only its sources are needed.
engine_src=$(find src/crypto/sm2 -name '*.c' | sort)
status=0
for t in tests/ct/ctgrind_*.c; do
    name=$(basename "$t" .c)
    # shellcheck disable=SC2086
    $CC -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -DSEALCA_CTGRIND -Isrc \
        "$t" $engine_src -o "$out/$name"
    # each code path: the portable C one, and the MULX/ADX one when the host CPU has it
    # (valgrind's virtual CPUID hides ADX although it executes ADCX/ADOX, hence "adx!")
    impls=c
    if grep -q ' adx' /proc/cpuinfo 2>/dev/null && grep -q ' bmi2' /proc/cpuinfo 2>/dev/null; then
        impls="c adx!"
    fi
    for impl in $impls; do
        export SEALCA_SM2_IMPL="$impl"
        echo "ctgrind: $name (SEALCA_SM2_IMPL=$impl)"
        if ! valgrind -q --error-exitcode=1 --track-origins=yes --num-callers=30 "$out/$name"; then
            echo "ctgrind: $name FAILED on path $impl" >&2
            status=1
        fi
    done
done
[ "$status" -eq 0 ] && echo "ctgrind: no secret-dependent branches or indices found"
exit "$status"
