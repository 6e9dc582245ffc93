#!/bin/sh
# Builds every tests/fuzz/fuzz_*.c as a libFuzzer binary (clang, ASan+UBSan) against all library sources
# and runs each for $1 seconds (default 20) on its seed corpus tests/fuzz/corpus/<name-without-fuzz_>/.
set -eu
cd "$(dirname "$0")/.."
secs="${1:-20}"
CC="${FUZZ_CC:-clang}"
out=build/fuzz
mkdir -p "$out/obj"
FLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Isrc"
LIBS=$(pkg-config --libs libcrypto sqlite3 2>/dev/null || echo "-lcrypto")
objs=""
for src in $(find src -name '*.c' ! -path 'src/cli/main.c' | sort); do
    obj="$out/obj/$(echo "$src" | tr '/' '_' | sed 's/\.c$/.o/')"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
        $CC $FLAGS -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$obj"
    fi
    objs="$objs $obj"
done
status=0
for t in tests/fuzz/fuzz_*.c; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .c)
    short=${name#fuzz_}
    # shellcheck disable=SC2086
    $CC $FLAGS -fsanitize=fuzzer,address,undefined "$t" $objs $LIBS -o "$out/$name"
    seeds="tests/fuzz/corpus/$short"
    work="$out/corpus/$short" # new inputs land here; the committed seeds stay small
    mkdir -p "$seeds" "$work"
    echo "fuzz: $name for ${secs}s"
    if ! "$out/$name" -max_total_time="$secs" -print_final_stats=1 "$work" "$seeds" \
        >"$out/$name.log" 2>&1; then
        echo "fuzz: $name FAILED (see $out/$name.log)" >&2
        tail -30 "$out/$name.log" >&2
        status=1
    else
        grep -E '^(stat::number_of_executed_units|Done)' "$out/$name.log" || tail -2 "$out/$name.log"
    fi
done
exit "$status"
