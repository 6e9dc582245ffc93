# t_crash.sh - kill -9 during issue and revoke leaves a consistent database.
. "$ROOT/tests/integration/lib.sh"
$S init --home ca --name "Crash CA"
sm2_csr a "/CN=a"
consistent() {
    if [ "${SEALCA_TEST_DB:-sqlite}" = sqlite ]; then
        [ "$(sqlite3 ca/ca.db 'PRAGMA integrity_check')" = ok ] || die "database damaged"
    fi
    # every certificate has its DER and exactly one issue record, and vice versa. One statement,
    # so one snapshot: on PostgreSQL the server may still finish a COMMIT that a killed client
    # had already sent, between two separate queries.
    counts=$(dbq "SELECT (SELECT COUNT(*) FROM certs WHERE length(der) > 100),
        (SELECT COUNT(*) FROM audit WHERE action = 'cert.issue'), (SELECT COUNT(*) FROM certs),
        (SELECT COUNT(*) FROM certs WHERE status <> 'good'),
        (SELECT COUNT(*) FROM audit WHERE action IN ('cert.revoke', 'cert.hold'))")
    IFS='|' read -r c a t r ra <<EOF
$counts
EOF
    [ "$c" = "$a" ] && [ "$c" = "$t" ] || die "certs ($t, $c with DER) and audit ($a) disagree"
    [ "$r" = "$ra" ] || die "revocations ($r) and audit ($ra) disagree"
    $S audit verify --home ca >/dev/null
}
for point in issue.after_insert issue.before_commit issue.after_commit; do
    if SEALCA_CRASH_AT=$point $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr a.csr --out x.pem 2>/dev/null; then
        die "crash point $point not reached"
    fi
    consistent
done
[ "$(dbq 'SELECT COUNT(*) FROM certs')" = 1 ] || die "only the post-commit crash keeps a certificate"
sn=$(dbq 'SELECT serial FROM certs LIMIT 1')
for point in revoke.after_update revoke.after_commit; do
    SEALCA_CRASH_AT=$point $S revoke --home ca --serial "$sn" --reason keyCompromise 2>/dev/null && die "crash point $point not reached"
    consistent
done
[ "$(dbq "SELECT status FROM certs WHERE serial = '$sn'")" = revoked ] || die "post-commit revoke lost"
# real SIGKILLs at random moments of a stream of issuances and revocations
i=0
while [ $i -lt 6 ]; do
    ( while :; do
        $S issue --home ca --profile person-sign --subject "CN=y" --id-number 11010519491231002X --csr a.csr --out y.pem 2>/dev/null || true
      done ) &
    loop=$!
    sleep "0.$(shuf -i 3-9 -n 1)"
    pkill -9 -P $loop sealca 2>/dev/null || true
    kill -9 $loop 2>/dev/null || true
    wait $loop 2>/dev/null || true
    pkill -9 -f "$S issue --home ca" 2>/dev/null || true
    sleep 0.2
    consistent
    i=$((i + 1))
done
