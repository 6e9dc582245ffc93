# t_ldap.sh - directory publication: certificates, CA certificates and CRLs reach a real slapd, an outage loses nothing.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
# A throwaway slapd (Debian's, schemas core + cosine + inetorgperson) on a free loopback port:
# config, database and pid file all live in this test's temp dir; /etc/ldap is only read from.
LDIR=$PWD/slapd
mkdir -p "$LDIR/db"
LPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LURL="ldap://127.0.0.1:$LPORT"
LBASE="dc=example,dc=cn"
LADMIN="cn=admin,$LBASE"
LPW="pw-Xyzzy-$$"
cat >"$LDIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $LDIR/slapd.pid
argsfile $LDIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 104857600
suffix "$LBASE"
rootdn "$LADMIN"
rootpw $LPW
directory $LDIR/db
CONF
SLAPD_PID=""
slapd_start() {
    /usr/sbin/slapd -f "$LDIR/slapd.conf" -h "$LURL/" -d 0 >>"$LDIR/log" 2>&1 &
    SLAPD_PID=$!
    wait_for 10 ldapsearch -x -H "$LURL" -s base -b "" "(objectClass=*)" namingContexts >/dev/null 2>&1 ||
        { cat "$LDIR/log"; die "slapd did not start on $LURL"; }
}
slapd_stop() {
    [ -n "$SLAPD_PID" ] || return 0
    kill "$SLAPD_PID" 2>/dev/null || true
    wait "$SLAPD_PID" 2>/dev/null || true
    SLAPD_PID=""
}
SPID=""
cleanup() {
    [ -z "$SPID" ] || kill -9 $SPID $KPID 2>/dev/null || true
    slapd_stop
}
trap cleanup EXIT
slaptest -Q -u -f "$LDIR/slapd.conf" || die "slapd configuration"
slapd_start

# ldq DN ATTR: the values of ATTR on entry DN, base64, one per line
ldq() {
    ldapsearch -x -LLL -o ldif-wrap=no -H "$LURL" -D "$LADMIN" -w "$LPW" -s base -b "$1" \
        "(objectClass=*)" "$2" 2>/dev/null | sed -n "s/^$2:: //p"
}
# has DN ATTR DERFILE: the entry holds exactly that DER among its values of ATTR
has() { ldq "$1" "$2" | grep -qxF "$(base64 -w0 "$3")"; }
der() { openssl x509 -in "$1" -outform DER -out "$2"; }

# bad settings are refused naming the key; the password file must be there
printf '%s\n' "$LPW" >ldap.pw
chmod 600 ldap.pw
expect_fail conf.bad_ldap $S init --home bad1 --ldap https://127.0.0.1:1 --ldap-base "$LBASE"
expect_fail conf.bad_ldap_base $S init --home bad2 --ldap "$LURL" --ldap-base "not a dn"
expect_fail conf.bad_ldap_password_file $S init --home bad3 --ldap "$LURL" --ldap-base "$LBASE" --ldap-bind-dn "$LADMIN"

# init: the root and issuing CA certificates are queued with the CA and published
$S init --home ca --name "目录测试CA" --ldap "$LURL" --ldap-base "$LBASE" --ldap-bind-dn "$LADMIN" --ldap-password-file ldap.pw
grep -q '^ldap_password_file = /' ca/sealca.conf || die "password file not stored absolute"
[ "$(dbq "SELECT COUNT(*) FROM outbox WHERE kind = 'cacert' AND done_at IS NULL")" = 2 ] || die "CA certificates not queued"
$S publish --home ca | tee pub.out
grep -q "published 2 " pub.out || die "CA certificates not published"
CA_O="o=目录测试CA,c=CN,$LBASE"
ROOT_DN="cn=Root CA,$CA_O"
SUB_DN="cn=Issuing CA G1,$CA_O"
der ca/certs/root-1.pem root.der; der ca/certs/sub-1.pem sub.der
has "$ROOT_DN" "cACertificate;binary" root.der || die "root CA certificate not in the directory"
has "$SUB_DN" "cACertificate;binary" sub.der || die "issuing CA certificate not in the directory"

# two issued certificates land on their subjects' entries (created with their parents)
sm2_csr a "/CN=a"; sm2_csr b "/CN=b"
$S issue --home ca --profile person-sign --subject "CN=张三,O=某公司,C=CN" --id-number 11010519491231002X --csr a.csr --out a.pem
$S issue --home ca --profile person-sign --subject "CN=李四,OU=工程部,O=某公司,C=CN" --id-number 11010519491231002X --csr b.csr --out b.pem
$S publish --home ca | grep -q "published 2 " || die "issued certificates not published"
der a.pem a.der; der b.pem b.der
has "cn=张三,o=某公司,c=CN,$LBASE" "userCertificate;binary" a.der || die "certificate a not in the directory"
has "cn=李四,ou=工程部,o=某公司,c=CN,$LBASE" "userCertificate;binary" b.der || die "certificate b not in the directory"
# a second certificate of the same subject is a second value, the first stays
$S issue --home ca --profile person-sign --subject "CN=张三,O=某公司,C=CN" --id-number 11010519491231002X --csr a.csr --out a2.pem
$S publish --home ca >/dev/null
der a2.pem a2.der
has "cn=张三,o=某公司,c=CN,$LBASE" "userCertificate;binary" a2.der || die "second certificate of a subject missing"
has "cn=张三,o=某公司,c=CN,$LBASE" "userCertificate;binary" a.der || die "first certificate of a subject gone"

# full and delta CRLs replace the values on the CA entry
$S revoke --home ca --serial "$(serial_of b.pem)" --reason keyCompromise
$S crl --home ca --out full.crl
$S crl --home ca --delta --out delta.crl
$S publish --home ca | grep -q "published 2 " || die "CRLs not published"
has "$SUB_DN" "certificateRevocationList;binary" full.crl || die "full CRL not in the directory"
has "$SUB_DN" "deltaRevocationList;binary" delta.crl || die "delta CRL not in the directory"
$S crl --home ca --out full2.crl
$S publish --home ca >/dev/null
has "$SUB_DN" "certificateRevocationList;binary" full2.crl || die "newer CRL did not replace the older"
[ "$(ldq "$SUB_DN" "certificateRevocationList;binary" | wc -l)" = 1 ] || die "more than one CRL value"

# directory outage: the commands still succeed, the rows wait with their error
slapd_stop
sm2_csr c "/CN=c"
$S issue --home ca --profile person-sign --subject "CN=王五,O=某公司,C=CN" --id-number 11010519491231002X --csr c.csr --out c.pem
$S crl --home ca --out full3.crl
if $S publish --home ca >pub.out 2>pub.err; then die "publish succeeded with the directory down"; fi
grep -q "2 failed; 2 pending" pub.out || { cat pub.out pub.err; die "failures not counted"; }
[ "$(dbq "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND last_error IS NOT NULL AND attempts = 1")" = 2 ] ||
    die "pending rows without last_error"
[ "$(dbq "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND next_attempt > created_at")" = 2 ] || die "no backoff"
slapd_start
$S publish --home ca --now | grep -q "published 2 .* 0 pending" || die "publish after the outage"
der c.pem c.der
has "cn=王五,o=某公司,c=CN,$LBASE" "userCertificate;binary" c.der || die "certificate issued during the outage lost"
has "$SUB_DN" "certificateRevocationList;binary" full3.crl || die "CRL made during the outage lost"

# sealca serve publishes by itself within a few seconds
serve_start ca
sm2_csr d "/CN=d"
$S issue --home ca --profile person-sign --subject "CN=赵六,O=某公司,C=CN" --id-number 11010519491231002X --csr d.csr --out d.pem
der d.pem d.der
wait_for 10 has "cn=赵六,o=某公司,c=CN,$LBASE" "userCertificate;binary" d.der || { cat serve.out; die "serve did not publish within 10 s"; }
serve_stop
SPID=""
[ "$(dbq "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL")" = 0 ] || die "rows left pending"

# the bind password never shows: not in output, logs or the outbox
! grep -rqF "$LPW" pub.out pub.err serve.out out.txt err.txt 2>/dev/null || die "password in output"
[ "$(dbq "SELECT COUNT(*) FROM outbox WHERE last_error LIKE '%$LPW%'")" = 0 ] || die "password in the outbox"
echo "t_ldap: ok"
