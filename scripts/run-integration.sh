#!/bin/sh
# Runs every tests/integration/t_*.sh against the sealca binary given as $1, once per SM2
# engine, the tests in PG_TESTS also with the home's database on PostgreSQL (a fresh database
# per run on the server of SEALCA_TEST_PG_URL, dropped afterwards), and prints "N passed, N failed".
set -u
bin=$(realpath "$1")
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
engines="${SEALCA_TEST_ENGINES:-openssl fast}"
root=$(cd "$(dirname "$0")/.." && pwd)
PG_TESTS="t_sm2_openssl_interop t_bad_input t_crash t_two_nodes t_ldap t_kmc_tokens t_ra_flow t_ra_bad t_ra_renew t_ra_kmc t_seal t_ra_seal t_notify t_ra_lookup t_tsa"
pg_url="${SEALCA_TEST_PG_URL:-}"
if [ -z "$pg_url" ]; then
    if [ "${SEALCA_TEST_PG_REQUIRED:-}" = 1 ]; then
        echo "FAIL: PostgreSQL required but SEALCA_TEST_PG_URL is not set"; exit 1
    fi
    [ "${SEALCA_TEST_NO_PG:-}" = 1 ] ||
        echo "note: SEALCA_TEST_PG_URL not set: integration tests run on SQLite only (make test starts PostgreSQL)"
fi
# pg_admin SQL NAME: run SQL on the test server, NAME quoted as an identifier by psql (:"db")
pg_admin() {
    printf '%s\n' "$1" | psql "$pg_url" -X -q -v ON_ERROR_STOP=1 -v db="$2" >/dev/null
}
pass=0; fail=0; failed=""; seq=0
for t in "$root"/tests/integration/t_*.sh; do
    base=$(basename "$t" .sh)
    dbs=sqlite
    if [ -n "$pg_url" ] && echo " $PG_TESTS " | grep -q " $base "; then dbs="sqlite pg"; fi
    for db in $dbs; do
    for eng in $engines; do
        name="$base[$eng]"; [ "$db" = pg ] && name="$base[$eng,pg]"
        work=$(mktemp -d "${TMPDIR:-/tmp}/sealca-it-XXXXXX")
        log="$work/log"
        start=$(date +%s)
        dburl=""
        if [ "$db" = pg ]; then
            seq=$((seq + 1)); dbname="it_$$_$seq"
            dburl=$(printf '%s' "$pg_url" | sed "s|^\(postgres[a-z]*://[^/]*/\)[^?]*|\1$dbname|")
            if ! pg_admin 'CREATE DATABASE :"db"' "$dbname"; then
                fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name: cannot create database"; continue
            fi
        fi
        if (cd "$work" && SEALCA="$bin" SEALCA_SM2_ENGINE=$eng ROOT="$root" FIXTURES="$root/../shared/fixtures" \
            SEALCA_TEST_DB=$db SEALCA_TEST_DB_URL="$dburl" sh -eu "$t") >"$log" 2>&1; then
            pass=$((pass + 1)); echo "ok   $name ($(($(date +%s) - start)) s)"
            rm -rf "$work"
        else
            fail=$((fail + 1)); failed="$failed $name"
            echo "FAIL $name - last lines of $log:"; tail -n 25 "$log" | sed 's/^/     /'
        fi
        if [ "$db" = pg ]; then pg_admin 'DROP DATABASE :"db" WITH (FORCE)' "$dbname"; fi
    done
    done
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
