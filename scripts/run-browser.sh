#!/bin/sh
# Browser tests (tests/browser/run.js): installs playwright-core from npm into
# tests/browser/node_modules (npm ci, from the committed package-lock.json), makes a fresh home
# with staff accounts and their signing agents, starts `sealca serve` on a free loopback port,
# drives Debian's chromium through the portal and the staff console, prints "N passed, N failed"
# and removes everything it started. Usage: scripts/run-browser.sh [SEALCA_BINARY]
# The binary must be a test build (build/asan/sealca, the default): the renewal scenario's second
# server runs with the SEALCA_RA_CLOCK_OFFSET test hook, which build/sealca refuses.
# SEALCA_SHOTS=DIR saves the screenshots there (`make screenshots` passes docs/screenshots;
# by default they go to the scratch directory and are removed with it).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/build/asan/sealca}")
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$bin" ] || { echo "browser: no sealca binary at $bin"; echo "browser: 0 passed, 1 failed"; exit 1; }
[ -x "$chromium" ] || { echo "browser: no chromium at $chromium (scripts/deps.sh installs it)"; echo "browser: 0 passed, 1 failed"; exit 1; }

# playwright-core, exactly the locked version; no browser download (Debian's chromium is used)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f "$root/tests/browser/node_modules/playwright-core/package.json" ] ||
    [ "$root/tests/browser/package-lock.json" -nt "$root/tests/browser/node_modules/.package-lock.json" ]; then
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error) ||
        { echo "browser: npm ci failed"; echo "browser: 0 passed, 1 failed"; exit 1; }
fi

# Under an ASan/UBSan build (make test) a memory or undefined-behaviour error in the server or
# an agent fails the run; leaks are the unit and integration tests' business.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
work=$(mktemp -d "${TMPDIR:-/tmp}/sealca-browser-XXXXXX")
pids=""
stop_all() {
    for p in $pids; do kill -TERM "$p" 2>/dev/null; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$p" 2>/dev/null || true
    done
    pids=""
}
cleanup() {
    stop_all
    if [ "${keep:-0}" = 1 ]; then echo "browser: kept $work for inspection"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work" || exit 1
export SEALCA_PASSPHRASE="browser-test-passphrase"
fail_setup() { echo "browser: setup failed: $*"; [ -f "$work/setup.log" ] && tail -n 30 "$work/setup.log"; echo "browser: 0 passed, 1 failed"; keep=1; exit 1; }
# free_port: a loopback port nobody listens on right now
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

"$bin" init --home ca --name "浏览器测试CA" --base-url http://127.0.0.1:8080 >setup.log 2>&1 || fail_setup "init"
"$bin" ra init --home ca >>setup.log 2>&1 || fail_setup "ra init"
# a KMC, as `make run` has: new orders issue the dual pair, key recovery has escrowed keys
"$bin" kmc init --home ca --pool-min 2 --pool-target 4 >>setup.log 2>&1 || fail_setup "kmc init"
mkdir -p staff
# operators work at the first service point of the demo catalog
sp=$(node -e 'console.log(JSON.parse(require("fs").readFileSync("ca/ra-catalog.json","utf8")).service_points[0].id)') ||
    fail_setup "no service point in ca/ra-catalog.json"
printf '%s\n' 'Staff-Password-2026' >staff/password
printf '%s\n' '123456' >staff/pin
# the two peers are created together; their files have one line each (super, audit)
printf '%s\n%s\n' 'Staff-Password-2026' 'Staff-Password-2026' >staff/password2
printf '%s\n%s\n' '123456' '123456' >staff/pin2
"$bin" user init-admins --home ca --super admin --audit auditadmin --out staff \
    --password-file staff/password2 --pin-file staff/pin2 >>setup.log 2>&1 || fail_setup "user init-admins"
# add_staff LOGIN NAME ROLE [DUTIES]: an account with its certificate key in staff/LOGIN.key
add_staff() {
    "$bin" user add --home ca --login "$1" --name "$2" --role "$3" ${4:+--duties "$4"} \
        ${4:+--service-point "$sp"} --out staff --password-file staff/password \
        --pin-file staff/pin >>setup.log 2>&1 || fail_setup "user add $1"
}
add_staff busadmin 业务管理员 business-admin
add_staff rev1 审核员甲 operator review
add_staff entry1 录入员甲 operator entry,query
add_staff prod1 制证员甲 operator production
add_staff audit1 审计员甲 auditor
# the business administrator's key-recovery officers (密钥恢复审批人)
add_staff off1 恢复审批人甲 operator recovery
add_staff off2 恢复审批人乙 operator recovery

# HTTPS beside HTTP (the __Host- session cookie scenario): a self-signed certificate made here
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout tls.key -out tls.pem >>setup.log 2>&1 ||
    fail_setup "self-signed TLS certificate"
tport=$(free_port)
"$bin" serve --home ca --listen 127.0.0.1:0 --threads "${SEALCA_BROWSER_THREADS:-4}" \
    --tls-listen "127.0.0.1:$tport" --tls-cert tls.pem --tls-key tls.key \
    --access-log access.log >serve.out 2>&1 &
pids="$pids $!"
i=0
until grep -q "serving http" serve.out 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat serve.out; fail_setup "the server did not start"; }
    sleep 0.1
done
port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' serve.out | head -1)
url="http://127.0.0.1:$port"
https_url="https://127.0.0.1:$tport"
# The same home served a second time with the registration service's clock 340 days ahead
# (SEALCA_RA_CLOCK_OFFSET, the test hook): the first scenario's certificate is then within 30
# days of expiry, so the renewal scenario can renew it online.
later_offset=$((340 * 86400))
SEALCA_RA_CLOCK_OFFSET=$later_offset "$bin" serve --home ca --listen 127.0.0.1:0 --threads 2 \
    --access-log access-later.log >serve-later.out 2>&1 &
pids="$pids $!"
i=0
until grep -q "serving http" serve-later.out 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 300 ] || { cat serve-later.out; fail_setup "the second server did not start"; }
    sleep 0.1
done
lport=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' serve-later.out | head -1)
later_url="http://127.0.0.1:$lport"

# one signing agent per staff member, as each would run on their own computer
staff_json="{"
sep=""
for entry in review:rev1 entry:entry1 production:prod1 auditor:audit1 admin:busadmin recovery1:off1 recovery2:off2; do
    key=${entry%%:*}; login=${entry#*:}
    aport=$(free_port)
    "$bin" agent --key "staff/$login.key" --cert "staff/$login.pem" --listen "127.0.0.1:$aport" \
        --origin "$url" >"agent-$login.out" 2>&1 &
    pids="$pids $!"
    i=0
    until curl -sf "http://127.0.0.1:$aport/info" >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -lt 100 ] || { cat "agent-$login.out"; fail_setup "agent for $login did not start"; }
        sleep 0.1
    done
    staff_json="$staff_json$sep\"$key\":{\"login\":\"$login\",\"password\":\"Staff-Password-2026\",\"pin\":\"123456\",\"agent\":\"http://127.0.0.1:$aport\"}"
    sep=","
done
staff_json="$staff_json}"

SEALCA_URL="$url" SEALCA_STAFF="$staff_json" SEALCA_WORK="$work" \
    SEALCA_HTTPS_URL="$https_url" SEALCA_LATER_URL="$later_url" SEALCA_LATER_OFFSET="$later_offset" \
    SEALCA_BIN="$bin" SEALCA_HOME="$work/ca" \
    SEALCA_SHOTS="${SEALCA_SHOTS:-$work/shots}" CHROMIUM="$chromium" \
    node "$root/tests/browser/run.js" | tee run.out
rc=$?
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' run.out | tail -1)
if [ -z "$line" ]; then line="0 passed, 1 failed"; rc=1; fi
case "$line" in *" 0 failed") ;; *) rc=1; keep=1; tail -n 20 serve.out ;; esac
stop_all
if grep -l -E 'ERROR: AddressSanitizer|runtime error:' serve.out serve-later.out agent-*.out 2>/dev/null; then
    echo "browser: sanitizer report from the server or an agent:"
    grep -h -A 30 -E 'ERROR: AddressSanitizer|runtime error:' serve.out serve-later.out agent-*.out | head -60
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    line="$p passed, $((f + 1)) failed"; rc=1; keep=1
fi
echo "browser: $line"
exit $rc
