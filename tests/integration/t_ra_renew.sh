# t_ra_renew.sh - renewal from 30 days before expiry with proof of possession (the current key
# signs a server challenge), completed online by the applicant; the old certificate is
# superseded; expiry reminders at 30/7/1 days queued once each in the mail outbox; counter
# pick-up. The server's RA clock is moved with SEALCA_RA_CLOCK_OFFSET (test hook).
# Renewal with the seal (GM/T 0031 §6.2.2): the certificate has an active seal, the renew order
# shows it, the holder must approve keeping the same image, completion makes the new seal bound to
# the new certificate (same picture) and retires the old one; a document signed with the new
# certificate and the new seal verifies, the old seal with the new certificate is refused.
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
staff_login E entry1 staff-password-1 staff.pin
org_cert A R P holder
OLD=$SERIAL
$S seal make --home ca --image "$PNG" --name "新疆测试科技有限公司" --type organization --cert holder.pem --out old.esl >mk.txt 2>/dev/null
OLDSEAL=$(sed -n 's/^esID //p' mk.txt)
[ -n "$OLDSEAL" ] || die "the holder's seal"
# counter pick-up (handling onsite) by the entry operator of the service point
staff_login E2 entry2 staff-password-1 staff.pin
call POST "/orders/$OID/pickup" '{"picked_up_by":"李经办"}' E2
expect_err 403 auth.forbidden "" "pick-up at another service point"
call POST "/orders/$OID/pickup" '{"picked_up_by":"李经办"}' E
expect 200 "counter pick-up"
[ "$(jq -r .state resp.json)" = completed ] || die "picked up = completed"
call GET /certificates "" A
[ "$(jq -r '.certificates[0].actions | index("renew")' resp.json)" = null ] || die "renew offered too early"
call POST /certificates/$OLD/challenge '' A
CH=$(jq -r .challenge resp.json)
printf 'sealca-pop:%s:%s' "$OLD" "$CH" >pop.txt
SIG=$(openssl dgst -sm3 -sign holder.key -sigopt "$DISTID" pop.txt | base64 -w0)
call POST /orders "$(jq -nc --arg s "$OLD" --arg c "$CH" --arg g "$SIG" '{business:"renew",subject_kind:"organization",certificate:$s,pop:{challenge:$c,signature:$g}}')" A
expect_err 409 order.renew_window certificate "renewal before the window"
serve_stop

# 340 days later: inside the 30-day window
export SEALCA_RA_CLOCK_OFFSET=$((340 * 86400))
CLOCK=$SEALCA_RA_CLOCK_OFFSET
[ "$($S ra remind --home ca)" = "1 reminder queued" ] || die "30-day reminder"
[ "$($S ra remind --home ca)" = "0 reminders queued" ] || die "reminder queued twice"
dbq "SELECT recipient, subject FROM notify_outbox" | grep -q 'holder@example.cn|您的数字证书将在 30 天内到期' || die "reminder in the outbox"
serve_start ca
U="$URL/api/v1"
login A holder@example.cn applicant-pass-1
call GET /certificates "" A
[ "$(jq -r '.certificates[0].actions | index("renew") != null' resp.json)" = true ] || die "renew offered in the window"
call POST /certificates/$OLD/challenge '' A
CH=$(jq -r .challenge resp.json)
# a signature by another key is no proof of possession
sm2_csr other "/CN=other"
printf 'sealca-pop:%s:%s' "$OLD" "$CH" >pop.txt
BAD=$(openssl dgst -sm3 -sign other.key -sigopt "$DISTID" pop.txt | base64 -w0)
call POST /orders "$(jq -nc --arg s "$OLD" --arg c "$CH" --arg g "$BAD" '{business:"renew",subject_kind:"organization",certificate:$s,pop:{challenge:$c,signature:$g}}')" A
expect_err 400 pop.bad_signature pop "wrong key"
call POST /orders "$(jq -nc --arg s "$OLD" --arg c "$CH" --arg g "$BAD" '{business:"renew",subject_kind:"organization",certificate:$s,pop:{challenge:$c,signature:$g}}')" A
expect_err 400 pop.expired challenge "challenge used once"
call POST /certificates/$OLD/challenge '' A
CH=$(jq -r .challenge resp.json)
printf 'sealca-pop:%s:%s' "$OLD" "$CH" >pop.txt
SIG=$(openssl dgst -sm3 -sign holder.key -sigopt "$DISTID" pop.txt | base64 -w0)
call POST /orders "$(jq -nc --arg s "$OLD" --arg c "$CH" --arg g "$SIG" '{business:"renew",subject_kind:"organization",certificate:$s,pop:{challenge:$c,signature:$g},years:2,declarations_accepted:true,price_confirmed:true}')" A
expect 201 "renew order"
NID=$(jq -r .id resp.json)
call GET "/orders/$NID" "" A
[ "$(jq -r '.seals | length' resp.json)" = 1 ] || die "the renew order shows the certificate's seal"
[ "$(jq -r '.seals[0].esid' resp.json)" = "$OLDSEAL" ] || die "the seal to renew"
jq -r '.seals[0].picture_png' resp.json | base64 -d | cmp -s - "$PNG" || die "the seal image shown to the holder"
call POST "/orders/$NID/submit" '{}' A
expect_err 400 order.seal_approval seal_keep_image "renewal without approving the seal image"
call PATCH "/orders/$NID" '{"seal_keep_image":false}' A
expect 200 "patch"
call POST "/orders/$NID/submit" '{}' A
expect_err 400 order.seal_approval seal_keep_image "seal image declined"
call PATCH "/orders/$NID" '{"seal_keep_image":true}' A
expect 200 "approve the seal image"
call POST "/orders/$NID/submit" '{}' A
expect 200 "submit renew"
[ "$(jq -r .state resp.json)" = approved ] || die "renew needs no review"
[ "$(jq -r .price_fen resp.json)" = 60000 ] || die "organization renew price x 2 years"
webhook "$(jq -nc --arg n "$(jq -r .order_no resp.json)" '{order_no:$n,amount_fen:60000,transaction_id:"T-renew",status:"paid"}')"
expect 200 "pay renew"
sm2_csr renewed "/CN=renewed"
call PUT "/orders/$NID/csr" "$(jq -nc --rawfile c renewed.csr '{csr:$c}')" A
expect 200 "renew CSR"
call POST "/orders/$NID/complete" '' A
expect 200 "applicant completes the renewal"
[ "$(jq -r .state resp.json)" = completed ] || die "renew completed"
NEW=$(jq -r '.certificates[0]' resp.json)
[ "$NEW" != "$OLD" ] || die "a new certificate"
$S show --home ca --serial "$OLD" | grep -qi superseded || die "old certificate superseded"
NEWSEAL=$(jq -r '.new_seals[0].esid' resp.json)
[ -n "$NEWSEAL" ] && [ "$NEWSEAL" != null ] && [ "$NEWSEAL" != "$OLDSEAL" ] || die "a new seal"
[ "$(jq -r '.new_seals[0].certificate' resp.json)" = "$NEW" ] || die "the new seal is bound to the new certificate"
[ "$(jq -r '.seals | length' resp.json)" = 0 ] || die "no active seal left on the old certificate"
jq -r '.new_seals[0].picture_png' resp.json | base64 -d | cmp -s - "$PNG" || die "the same image"
jq -r '.new_seals[0].seal' resp.json | base64 -d >new.esl
$S seal show --home ca "$OLDSEAL" >old.json
[ "$(jq -r .status old.json)" = retired ] && [ "$(jq -r .reason old.json)" = renew ] || die "old seal retired by the renewal"
[ "$(jq -r .replacedBy old.json)" = "$NEWSEAL" ] || die "old seal replaced by the new"
$S seal show --home ca "$NEWSEAL" >new.json
[ "$(jq -r .name new.json)" = "新疆测试科技有限公司" ] && [ "$(jq -r .kind new.json)" = official ] || die "same name and kind"
[ "$(jq -r .certSerial new.json)" = "$NEW" ] || die "registry binds the new certificate"
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action = 'seal.replace' AND object = '$NEWSEAL' AND detail LIKE '%business=renew%'")" = 1 ] || die "seal renewal audited"
call GET "/orders/$NID/certificates" "" A
jq -r '.certificates[0].pem' resp.json | openssl x509 -noout -subject -nameopt utf8 | grep -q '新疆测试科技有限公司' || die "renewal keeps the subject"
jq -r '.certificates[0].pem' resp.json >renewed.pem
# a bid document signed with the new certificate and the new seal verifies (GM/T 0031 §6.2.3)
printf '投标文件 renewal test\n' >bid.txt
openssl pkcs8 -topk8 -v2 aes-256-cbc -in renewed.key -out renewed.p8 -passout "pass:$SEALCA_PASSPHRASE"
$S seal sign --seal new.esl --key renewed.p8 bid.txt --out bid.ses
$S seal verify bid.ses --data bid.txt --home ca >sv.txt || { cat sv.txt; die "new seal + new certificate"; }
# the old seal with the new certificate is refused (§6.2.2: not the certificate in the seal)
expect_fail seal.cert_not_bound $S seal sign --seal old.esl --key renewed.p8 --cert renewed.pem bid.txt --out x.ses
[ ! -e x.ses ] || die "nothing written"
expect_fail seal.cert_not_bound $S seal sign --seal old.esl --key renewed.p8 bid.txt --out x.ses
serve_stop
