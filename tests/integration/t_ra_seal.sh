# t_ra_seal.sh - a seal-change (签章变更) order from application to completion through the seal
# service: the holder's seal is replaced by one made from the approved seal image, the old seal
# is retired with replacedBy set, and the new seal is bound to the same certificate.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
. "$ROOT/tests/integration/lib_ra.sh"
ra_setup
serve_start ca
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT
U="$URL/api/v1"
call POST /accounts '{"phone":"13800138000","email":"holder@example.cn","password":"applicant-pass-1","name":"持证人"}'
expect 201 register
login A holder@example.cn applicant-pass-1
staff_login R rev1 staff-password-1 staff.pin
staff_login P prod1 staff-password-1 staff.pin
org_cert A R P holder
$S seal make --home ca --image "$PNG" --name "新疆测试科技有限公司" --type organization --cert holder.pem --out old.esl >mk.txt 2>/dev/null
OLD=$(sed -n 's/^esID //p' mk.txt)
[ -n "$OLD" ] || die "first seal"

call POST /orders "$(jq -nc --arg s "$SERIAL" --arg e "$OLD" '{business:"seal-change",subject_kind:"organization",medium:"usbkey",certificate:$s,seal_esid:$e}' | jq -c ". + $(org_fields)")" A
expect 201 "seal-change order"
SID=$(jq -r .id resp.json)
call GET "/orders/$SID" "" A
jq -e '.checklist | map(.kind) | index("seal-image")' resp.json >/dev/null || die "seal image on the checklist"
for k in $ORG_KINDS; do upload A "$SID" "$k" "$PDF" application/pdf; expect 201 "upload $k"; done
call POST "/orders/$SID/submit" '' A
expect_err 400 material.missing seal-image "seal image required"
upload A "$SID" seal-image "$PNG" image/png
expect 201 "seal image"
call POST "/orders/$SID/submit" '' A
expect 200 "submit seal-change"
P=$(jq -nc --argjson o "$SID" --argjson at "$(date +%s)" '{action:"review",order:$o,at:$at,decision:"approve"}')
call POST "/orders/$SID/review" "$(signed rev1 staff.pin "$P")" R
expect 200 "approve"
call GET "/orders/$SID" "" A
webhook "$(jq -nc --arg n "$(jq -r .order_no resp.json)" --argjson a "$(jq .price_fen resp.json)" '{order_no:$n,amount_fen:$a,transaction_id:"T-seal",status:"paid"}')"
expect 200 "pay"
call POST "/orders/$SID/issue" '{}' P
expect 200 "make the new seal"
NEW=$(jq -r .esid resp.json)
[ -n "$NEW" ] && [ "$NEW" != "$OLD" ] || die "a new seal"
[ "$(jq -r .state resp.json)" = completed ] || die "seal-change completed"
$S seal show --home ca "$OLD" | grep -qi retired || die "old seal retired"
curl -fsS "$URL/api/v1/seals/$NEW" | grep -q active || die "new seal served by the seal API"
serve_stop
