# t_ra_lookup.sh - the phone lookup key lives in the key store (keys/lookup.key, in the key
# process while serving), not in ra.conf. A home made when ra.conf held lookup_key is migrated by
# `sealca serve` and by `sealca ra init`: same value (an account registered before the move still
# logs in by phone), the line removed from ra.conf, audited; a conflicting key is refused.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
. "$ROOT/tests/integration/lib_ra.sh"
ra_setup
trap 'kill -9 $SPID 2>/dev/null || true' EXIT
[ -f ca/keys/lookup.key ] || die "ra init makes keys/lookup.key"
[ "$(stat -c %a ca/keys/lookup.key)" = 600 ] || die "lookup key file mode"
! grep -q lookup_key ca/ra.conf || die "no lookup key in a new ra.conf"
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action = 'ra.lookup_key.create'")" = 1 ] || die "creation audited"
serve_start ca
U="$URL/api/v1"
call POST /accounts '{"phone":"13800138000","email":"holder@example.cn","password":"applicant-pass-1","name":"持证人"}'
expect 201 register
login A 13800138000 applicant-pass-1
serve_stop

# old_home KEY: make the home look like one from before the move: the key in ra.conf, the
# account's stored phone hash made with it, no key file
old_home() {
    _idx=$(printf '%s' 13800138000 | openssl mac -digest SM3 -macopt "hexkey:$1" HMAC | tr 'A-F' 'a-f')
    dbq "UPDATE ra_accounts SET phone_idx = '$_idx' WHERE email = 'holder@example.cn'"
    rm -f ca/keys/lookup.key
    printf 'lookup_key = %s\n' "$1" >>ca/ra.conf
}
K1=$(openssl rand -hex 32)
old_home "$K1"
# serve moves it before the key process starts
serve_start ca
U="$URL/api/v1"
! grep -q lookup_key ca/ra.conf || die "serve removes lookup_key from ra.conf"
grep -q webhook_secret ca/ra.conf || die "other settings kept"
[ -f ca/keys/lookup.key ] || die "serve writes keys/lookup.key"
! grep -q "$K1" ca/keys/lookup.key || die "the key file is encrypted"
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action = 'ra.lookup_key.move' AND actor = 'serve'")" = 1 ] || die "move audited"
login A 13800138000 applicant-pass-1
login A holder@example.cn applicant-pass-1
call POST /session '{"login":"13800138000","password":"wrong-password-1"}' B
expect 401 "wrong password by phone"
serve_stop

# sealca ra init moves it too
K2=$(openssl rand -hex 32)
old_home "$K2"
$S ra init --home ca >/dev/null
! grep -q lookup_key ca/ra.conf || die "ra init removes lookup_key from ra.conf"
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action = 'ra.lookup_key.move' AND actor = 'cli'")" = 1 ] || die "ra init move audited"
serve_start ca
U="$URL/api/v1"
login A 13800138000 applicant-pass-1
serve_stop

# a lookup key in ra.conf that differs from the key file is refused; nothing changes
K3=$(openssl rand -hex 32)
printf 'lookup_key = %s\n' "$K3" >>ca/ra.conf
cp ca/keys/lookup.key before.key
expect_fail ra.lookup_key_conflict $S ra init --home ca
cmp -s before.key ca/keys/lookup.key || die "key file unchanged"
grep -q "$K3" ca/ra.conf || die "ra.conf unchanged"
