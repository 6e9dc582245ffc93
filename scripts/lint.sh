#!/bin/sh
# make lint: clang-format check (no changes made) and cppcheck over src/ and tests/.
set -u
cd "$(dirname "$0")/.."
status=0
files=$(find src tests -name '*.[ch]' | sort)
bad=""
for f in $files; do
    if ! clang-format --style=file "$f" | cmp -s - "$f"; then bad="$bad $f"; fi
done
if [ -n "$bad" ]; then
    echo "lint: clang-format would change:$bad"
    echo "lint: run 'make format'"
    status=1
fi
if ! cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
    --inline-suppr --suppress=missingIncludeSystem -Isrc src tests/unit 2>&1; then
    status=1
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status
