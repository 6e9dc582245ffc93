# lib_serve.sh - start and stop `sealca serve` for the integration tests (sourced after lib.sh).
# serve_start HOME [extra args]: starts the server on a free loopback port; sets URL, SPID, KPID.
serve_start() {
    home=$1; shift
    rm -f serve.out
    $S serve --home "$home" --listen 127.0.0.1:0 --access-log access.log "$@" >serve.out 2>&1 &
    SPID=$!
    i=0
    while ! grep -q "serving http" serve.out 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 300 ] || { cat serve.out; die "server did not start"; }
        kill -0 $SPID 2>/dev/null || { cat serve.out; die "server exited"; }
        sleep 0.1
    done
    PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' serve.out | head -1)
    KPID=$(sed -n 's/.*key process pid \([0-9]*\).*/\1/p' serve.out | head -1)
    TLSPORT=$(sed -n 's/.*(tls port \([0-9]*\)).*/\1/p' serve.out | head -1)
    URL="http://127.0.0.1:$PORT"
}
serve_stop() {
    kill -TERM $SPID 2>/dev/null || true
    i=0
    while kill -0 $SPID 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 150 ] || { kill -9 $SPID; die "server did not stop within 15 s"; }
        sleep 0.1
    done
    wait $SPID 2>/dev/null || true
}
# ocsp_status CERT ISSUER: "good", "revoked" or "unknown" as seen by openssl ocsp against $URL
ocsp_status() {
    openssl ocsp -issuer "$2" -cert "$1" -url "$URL/ocsp" -noverify 2>/dev/null |
        sed -n "s|^$1: *||p" | head -1
}
# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds or SECONDS pass
wait_for() {
    limit=$(( $1 * 10 )); shift
    i=0
    until "$@"; do
        i=$((i + 1)); [ $i -lt $limit ] || return 1
        sleep 0.1
    done
}
