# lib.sh - helpers for the integration tests (sourced; runs under sh -eu in a temp dir).
export SEALCA_PASSPHRASE="integration-test-passphrase"
S="$SEALCA"
# SEALCA_TEST_DB=pg (set by scripts/run-integration.sh): `init` puts the home's database on the
# fresh PostgreSQL database SEALCA_TEST_DB_URL; every other command finds it in sealca.conf.
if [ "${SEALCA_TEST_DB:-sqlite}" = pg ]; then
    cat >"$PWD/sealca-on-pg" <<EOF
#!/bin/sh
if [ "\${1:-}" = init ]; then shift; exec "$SEALCA" init --database "\$SEALCA_TEST_DB_URL" "\$@"; fi
exec "$SEALCA" "\$@"
EOF
    chmod +x "$PWD/sealca-on-pg"
    S="$PWD/sealca-on-pg"
fi
# dbq SQL [HOME]: run SQL on the database of HOME (default ca) with sqlite3 or psql; rows as a|b
dbq() {
    if [ "${SEALCA_TEST_DB:-sqlite}" = pg ]; then
        printf '%s\n' "$1" | psql "$SEALCA_TEST_DB_URL" -X -A -t -q -v ON_ERROR_STOP=1
    else
        sqlite3 "${2:-ca}/ca.db" "$1"
    fi
}
DISTID="distid:1234567812345678"

die() { echo "FAILED: $*" >&2; exit 1; }
# expect_fail CODE CMD...: the command must exit non-zero and print the error code.
expect_fail() {
    code=$1; shift
    if "$@" >out.txt 2>err.txt; then cat out.txt err.txt; die "expected failure ($code): $*"; fi
    grep -q "\[$code\]" err.txt || { cat err.txt; die "expected error code $code from: $*"; }
}
# sm2_csr NAME SUBJECT: an SM2 key NAME.key and a CSR NAME.csr signed with the GM/T 0009 ID
sm2_csr() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out "$1.key" 2>/dev/null
    openssl req -new -key "$1.key" -utf8 -subj "$2" -sigopt "$DISTID" -out "$1.csr"
}
p256_csr() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"
    openssl req -new -key "$1.key" -utf8 -subj "$2" -out "$1.csr"
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
# state of the database that a refused command must not change
db_state() {
    dbq "SELECT COUNT(*), COALESCE(MAX(id),0) FROM audit; SELECT serial, status, COALESCE(reason,-1) FROM certs ORDER BY serial; SELECT issuer, number FROM crls ORDER BY issuer, number;" "$1"
}
# verify a certificate issued by an SM2 CA link by link: OpenSSL 3.0 applies -vfyopt distid
# only to the certificate being verified, so each link is checked with its issuer as anchor.
sm2_verify_chain() { # cert issuing-ca root
    openssl verify -vfyopt "$DISTID" -CAfile "$3" "$2" >/dev/null || die "issuing CA does not verify under the root"
    openssl verify -vfyopt "$DISTID" -partial_chain -CAfile "$2" "$1" || die "$1 does not verify under $2"
}
