# t_ra_kmc.sh - a pin-unlock (密码解锁) order from application to completion: the holder's managed
# token is locked, the order is reviewed and approved, the holder posts the token's unlock
# request and gets the KMC's answer, which unlocks the token; a replayed request is refused.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
. "$ROOT/tests/integration/lib_ra.sh"
ra_setup
$S kmc init --home ca --pool-min 2 --pool-target 4 >/dev/null
serve_start ca
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT
U="$URL/api/v1"
call POST /accounts '{"phone":"13800138000","email":"holder@example.cn","password":"applicant-pass-1","name":"持证人"}'
expect 201 register
login A holder@example.cn applicant-pass-1
staff_login R rev1 staff-password-1 staff.pin
staff_login P prod1 staff-password-1 staff.pin
org_cert A R P holder

# the holder's managed token, locked by wrong PINs
echo bid >bid.txt
$S token init --file M.tok --user-pin 333333 --managed --home ca --serial DEV-RA-1 >/dev/null
for i in 1 2 3 4 5 6; do $S token sign --file M.tok --pin 999999 --out x.sig bid.txt 2>/dev/null || true; done
$S token info --file M.tok | grep -q locked || die "token not locked"

call POST /orders "$(jq -nc --arg s "$SERIAL" '{business:"pin-unlock",subject_kind:"organization",certificate:$s}' | jq -c ". + $(org_fields)")" A
expect 201 "pin-unlock order"
UID_=$(jq -r .id resp.json)
$S token unlock-request --file M.tok --out ureq.der
REQ=$(base64 -w0 ureq.der)
call POST "/orders/$UID_/unlock" "$(jq -nc --arg r "$REQ" '{request:$r,new_pin:"444444"}')" A
expect_err 409 order.bad_state "" "unlock before approval"
for k in certificate-application agent-id-front agent-id-back; do upload A "$UID_" "$k" "$PDF" application/pdf; expect 201 "upload $k"; done
call POST "/orders/$UID_/submit" '' A
expect 200 "submit pin-unlock"
P=$(jq -nc --argjson o "$UID_" --argjson at "$(date +%s)" '{action:"review",order:$o,at:$at,decision:"approve"}')
call POST "/orders/$UID_/review" "$(signed rev1 staff.pin "$P")" R
expect 200 "approve pin-unlock"
[ "$(jq -r .state resp.json)" = paid ] || die "approved pin-unlock waits for the holder's request"
call POST "/orders/$UID_/unlock" "$(jq -nc --arg r "$REQ" '{request:$r,new_pin:"444444"}')" B 2>/dev/null || true
[ "$ST" = 401 ] || die "unlock without a session"
call POST "/orders/$UID_/unlock" "$(jq -nc --arg r "$REQ" '{request:$r,new_pin:"444444"}')" A
expect 200 "unlock answer"
jq -r .answer resp.json | base64 -d >uans.der
$S token unlock --file M.tok uans.der
$S token info --file M.tok | grep -q "user PIN tries left: 6 of 6" || die "token not unlocked"
call GET "/orders/$UID_" "" A
[ "$(jq -r .state resp.json)" = completed ] || die "pin-unlock completed"
dbq "SELECT COUNT(*) FROM audit WHERE action = 'kmc.pin_unlock'" | grep -qx 1 || die "unlock audited by the KMC"
call POST "/orders/$UID_/unlock" "$(jq -nc --arg r "$REQ" '{request:$r,new_pin:"555555"}')" A
expect_err 409 order.bad_state "" "second answer refused"
serve_stop
