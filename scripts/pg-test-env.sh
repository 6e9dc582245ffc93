#!/bin/sh
# pg-test-env.sh CMD...: runs CMD beside a throwaway PostgreSQL cluster, with SEALCA_TEST_PG_URL set.
#
# The cluster lives in a temp directory, is owned by the non-root `postgres` user when run as
# root, listens only on a unix socket in that directory (no TCP port), trusts local connections,
# and is stopped and removed when CMD ends, fails or is interrupted.
# - SEALCA_TEST_PG_URL already set: that server is used as is (nested make, or a developer's own).
# - SEALCA_TEST_NO_PG=1: CMD runs on SQLite only, with a loud note (developer opt-out).
# - otherwise, if PostgreSQL cannot be started, this fails: CI never silently loses the PG run.
set -u

if [ -n "${SEALCA_TEST_PG_URL:-}" ]; then
    exec "$@"
fi
if [ "${SEALCA_TEST_NO_PG:-}" = 1 ]; then
    echo "########################################################################" >&2
    echo "## SEALCA_TEST_NO_PG=1: PostgreSQL tests are NOT run. This run proves  ##" >&2
    echo "## nothing about the PostgreSQL store; CI must not set this variable.  ##" >&2
    echo "########################################################################" >&2
    exec "$@"
fi

fail() {
    echo "pg-test-env: $*" >&2
    echo "pg-test-env: PostgreSQL is required by the tests (scripts/deps.sh installs it);" >&2
    echo "pg-test-env: set SEALCA_TEST_NO_PG=1 to run on SQLite only." >&2
    exit 1
}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || fail "no PostgreSQL server found under /usr/lib/postgresql"

dir=$(mktemp -d "${TMPDIR:-/tmp}/sealca-pg-XXXXXX") || fail "mktemp failed"
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || fail "no postgres user to run the server as"
    chown postgres "$dir"
    chmod 700 "$dir"
    as_pg() { runuser -u postgres -- "$@"; }
    pguser=postgres
else
    as_pg() { "$@"; }
    pguser=$(id -un)
fi

stop() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$dir"
}
trap 'stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

as_pg "$bindir/initdb" -D "$dir/data" -U "$pguser" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; fail "initdb failed"; }
# unix socket only, in the temp dir; fsync off: the cluster is thrown away
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c max_connections=200" \
    start >/dev/null 2>&1 || { cat "$dir/server.log" >&2; fail "the server did not start"; }
as_pg "$bindir/createdb" -h "$dir" -U "$pguser" sealca_test ||
    { cat "$dir/server.log" >&2; fail "createdb failed"; }

export SEALCA_TEST_PG_URL="postgresql:///sealca_test?host=$dir&user=$pguser"
export SEALCA_TEST_PG_REQUIRED=1
echo "pg-test-env: PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') on $dir (unix socket)" >&2
"$@"
