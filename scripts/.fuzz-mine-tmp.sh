#!/bin/sh
# Builds each tests/fuzz/fuzz_*.c as a libFuzzer binary and runs it for $1 seconds (default 20); non-zero exit if any target crashed.
#
# Target tests/fuzz/fuzz_X.c is linked with every library source under src/ (except the CLI's
# src/cli/main.c) and runs on a scratch copy of tests/fuzz/corpus/X/ (tests/fuzz/corpus-work/X,
# git-ignored), so the checked-in seeds only change when someone copies a finding back.
# Crash inputs land in build/fuzz/artifacts/X/. Generic on purpose: it knows no target by name.
set -u
cd "$(dirname "$0")/.." || exit 2
secs="${1:-20}"
CC="${FUZZ_CC:-clang}"
# the same pkg-config packages as the Makefile (one list, there)
PKGS=$(make -s --no-print-directory print-pkgs) || exit 2
PKG_CFLAGS=$(pkg-config --cflags $PKGS) || exit 2
PKG_LIBS=$(pkg-config --libs $PKGS) || exit 2
# -fno-sanitize-recover=undefined: a UBSan finding must stop the run like an ASan one,
# otherwise it is printed and the target reports success.
BASE="-g -O1 -std=c11 -D_GNU_SOURCE -Isrc $PKG_CFLAGS -fno-sanitize-recover=undefined"
LIBSAN="-fsanitize=fuzzer-no-link,address,undefined"
TGTSAN="-fsanitize=fuzzer,address,undefined"
out=build/fuzz
mkdir -p "$out/obj"

# Library objects: rebuilt when the source or any header under src/ is newer.
objs=""
for src in $(find src -name '*.c' ! -path 'src/cli/*' | sort); do
    obj="$out/obj/${src%.c}.o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src -name '*.h' -newer "$obj" | head -n 1)" ]; then
        mkdir -p "$(dirname "$obj")"
        echo "fuzz: cc $src"
        # shellcheck disable=SC2086
        $CC $BASE $LIBSAN -c "$src" -o "$obj" || exit 2
    fi
    objs="$objs $obj"
done

status=0
summary=""
for t in tests/fuzz/fuzz_token.c tests/fuzz/fuzz_envelope.c; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .c)
    short=${name#fuzz_}
    bin="$out/$name"
    echo "fuzz: link $bin"
    # shellcheck disable=SC2086
    if ! $CC $BASE $TGTSAN "$t" $objs $PKG_LIBS -o "$bin"; then
        status=1
        summary="$summary\n  $name: BUILD FAILED"
        continue
    fi
    work="tests/fuzz/corpus-work/$short"
    rm -rf "$work"
    mkdir -p "$work" "$out/artifacts/$short"
    if [ -d "tests/fuzz/corpus/$short" ]; then
        cp -R "tests/fuzz/corpus/$short/." "$work/"
    fi
    log="$out/$name.log"
    echo "fuzz: run $name for ${secs}s (log $log)"
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$out/artifacts/$short/" "$work" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -ne 0 ]; then
        status=1
        summary="$summary\n  $name: CRASHED (exit $rc, ${execs:-?} execs) - see $log and $out/artifacts/$short/"
        tail -n 40 "$log"
    else
        summary="$summary\n  $name: ok, ${execs:-?} execs in ${secs}s"
    fi
done
printf 'fuzz summary:%b\n' "$summary"
exit $status
