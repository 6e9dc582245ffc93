# t_audit_tamper.sh - sealca audit verify names the first bad record after each kind of tampering.
. "$ROOT/tests/integration/lib.sh"
$S init --home ca --name "Audit CA"
sm2_csr a "/CN=a"
for i in 1 2 3 4; do
    $S issue --home ca --profile person-sign --subject "CN=p$i" --id-number 11010519491231002X --csr a.csr --out p$i.pem
done
$S revoke --home ca --serial "$(serial_of p2.pem)" --reason certificateHold
$S audit checkpoint --home ca
$S audit verify --home ca
cp ca/ca.db clean.db
tamper() { # SQL, expected first bad id
    cp clean.db ca/ca.db; rm -f ca/ca.db-wal ca/ca.db-shm
    sqlite3 ca/ca.db "$1"
    if $S audit verify --home ca >out.txt 2>err.txt; then die "tampering not detected: $1"; fi
    grep -q "record $2" err.txt || { cat err.txt; die "expected record $2 for: $1"; }
}
tamper "UPDATE audit SET actor = 'mallory' WHERE id = 3" 3
tamper "DELETE FROM audit WHERE id = 3" 4
# insertion: shift the tail up and put a forged record chained to record 3
tamper "UPDATE audit SET id = id + 1000 WHERE id >= 4; UPDATE audit SET id = id - 999 WHERE id >= 1000; INSERT INTO audit VALUES (4, 0, 'cli', 'cert.issue', 'x', 'ok', '', (SELECT hash FROM audit WHERE id = 3), randomblob(32))" 4
# reordering: records 4 and 5 swap places
tamper "UPDATE audit SET id = -5 WHERE id = 5; UPDATE audit SET id = 5 WHERE id = 4; UPDATE audit SET id = 4 WHERE id = -5" 4
# a checkpoint signature that does not verify
tamper "UPDATE audit_checkpoints SET sig = randomblob(length(sig)) WHERE audit_id = 1" 1
# truncation of the tail (covered by the checkpoint signed above)
tamper "DELETE FROM audit WHERE id = (SELECT MAX(id) FROM audit)" "$(sqlite3 clean.db 'SELECT MAX(id) FROM audit')"
