# t_ra_flow.sh - the registration service end to end with curl: an organization's online new
# certificate from registration to completed (return and resubmit, signed review, HMAC payment
# webhook, issuance through the CA, shipping, receipt), suspend and resume, revoke within 24 h,
# a counter entry, the auditor console re-verifying the signed decisions.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
. "$ROOT/tests/integration/lib_ra.sh"
ra_setup
serve_start ca
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT
U="$URL/api/v1"

# catalog: English keys with Chinese labels, the guide's three service points, prices in fen
call GET /catalog
expect 200 catalog
[ "$(jq -r '.business_types[] | select(.key=="pin-unlock") | .zh' resp.json)" = 密码解锁 ] || die "catalog labels"
[ "$(jq '.service_points | length' resp.json)" = 3 ] || die "three service points"
[ "$(jq -r '.prices[] | select(.key=="org-new") | .fen' resp.json)" = 50000 ] || die "price in fen"
jq -e '.business_types[] | select(.key=="new") | .materials.organization | map(.kind) | index("business-licence")' resp.json >/dev/null || die "checklist"
call GET /openapi.json
expect 200 openapi
[ "$(jq -r .openapi resp.json)" = 3.0.3 ] && jq -e '.paths["/api/v1/orders/{id}/submit"].post' resp.json >/dev/null || die "openapi"

# registration and login (fixed shapes)
call POST /accounts '{"phone":"13800138000","email":"Org@Example.cn","password":"applicant-pass-1","name":"张三"}'
expect 201 register
jq -e '.id > 0' resp.json >/dev/null || die "account id"
call POST /accounts '{"phone":"13800138000","email":"other@example.cn","password":"applicant-pass-1","name":"张三"}'
expect_err 409 account.exists "" "duplicate phone"
call POST /accounts '{"phone":"1380013800","email":"x@example.cn","password":"applicant-pass-1","name":"x"}'
expect_err 400 ident.mobile_length phone "short phone"
jq -r .error.message resp.json | grep -q '手机号码' || die "Chinese field message"
login A org@example.cn applicant-pass-1
grep -q 'sealca' A || die "session cookie"
curl -s -D h.txt -o /dev/null -H 'Content-Type: application/json' -d '{"login":"13800138000","password":"applicant-pass-1"}' "$U/session"
grep -i '^set-cookie:' h.txt | grep -q 'HttpOnly; SameSite=Strict' || die "cookie flags"

# order: draft, field checks with field-specific Chinese messages
call POST /orders '{"business":"new","subject_kind":"organization","medium":"usbkey","years":1}' A
expect 201 "create order"
OID=$(jq -r .id resp.json)
call PATCH "/orders/$OID" '{"org_uscc":"91350100M000100Y44"}' A
expect_err 400 ident.uscc_checksum org_uscc "bad USCC"
jq -r .error.message resp.json | grep -q '统一社会信用代码' || die "USCC message"
call PATCH "/orders/$OID" '{"legal_id_number":"110105194913310020"}' A
expect 400 "bad birth date"
[ "$(jq -r .error.field resp.json)" = legal_id_number ] || die "ID field"
call PATCH "/orders/$OID" '{"agent_email":"not-an-email"}' A
expect_err 400 field.bad_email agent_email "bad email"
call PATCH "/orders/$OID" '{"business":"renew"}' A
expect_err 400 field.fixed business "business fixed"
call PATCH "/orders/$OID" "$(org_fields | jq -c '.auth_to = "2020-01-31" | .auth_from = "2020-01-01"')" A
expect 200 "patch with an expired authorization"
[ "$(jq -r .agent_id_number resp.json)" = 11010519491231002X ] || die "ID number upper-cased"
[ "$(jq -r .price_fen resp.json)" = 50000 ] || die "price computed"
call POST "/orders/$OID/submit" '' A
expect_err 400 order.auth_expired auth_to "expired authorization blocks submission"
call PATCH "/orders/$OID" "$(org_fields)" A
expect 200 "valid authorization"
call POST "/orders/$OID/submit" '' A
expect_err 400 material.missing business-licence "materials checklist"
for k in $ORG_KINDS; do upload A "$OID" "$k" "$PDF" application/pdf; expect 201 "upload $k"; done
call POST "/orders/$OID/submit" '' A
expect 200 submit
[ "$(jq -r .state resp.json)" = submitted ] || die "submitted"
call PATCH "/orders/$OID" '{"project":"x"}' A
expect_err 409 order.bad_state "" "no edits after submission"

# pre-filled PDFs of both forms, both agreements and the receipt
for f in certificate-application seal-application service-agreement ca-agreement receipt; do
    curl -s -D h.txt -o "$f.pdf" -b A "$U/orders/$OID/forms/$f.pdf"
    grep -qi '^content-type: application/pdf' h.txt && head -c 5 "$f.pdf" | grep -q '%PDF-' || die "form $f"
done
pdftotext certificate-application.pdf - | grep -q '新疆测试科技有限公司' || die "form pre-filled"
call GET "/orders/$OID/forms/nonsense.pdf" "" A
expect_err 404 not_found form "unknown form"

# staff: certificate login; the reviewer returns one material, the applicant fixes it
staff_login R rev1 staff-password-1 staff.pin
call GET "/staff/orders?state=submitted" "" R
expect 200 "review queue"
jq -e ".orders[] | select(.id == $OID)" resp.json >/dev/null || die "order in the queue"
call GET "/staff/orders/$OID" "" R
[ "$(jq -r .legal_id_number resp.json)" = "1101**********002X" ] || die "masked for staff"
call GET "/orders/$OID/materials/business-licence" "" R
expect 200 "reviewer reads material"
cmp resp.json "$PDF" || die "material round trip"
# the reviewer's manual seal-picture adjustment (threshold, crop) answers a PNG; applicants may not
$S seal-image render --shape round --name "新疆测试科技有限公司" --out specimen.png >/dev/null
ST=$(curl -s -o extracted.png -w '%{http_code}' -X PUT -b R -H "X-CSRF-Token: $(cat R.csrf)" \
    -H 'Content-Type: image/png' --data-binary @specimen.png "$U/staff/seal-images/extract?threshold=0.3&size_mm=42&crop=0,0,400,400")
[ "$ST" = 200 ] && head -c 8 extracted.png | grep -q PNG || die "seal-image extraction for the reviewer ($ST)"
ST=$(curl -s -o resp.json -w '%{http_code}' -X PUT -b A -H "X-CSRF-Token: $(cat A.csrf)" \
    -H 'Content-Type: image/png' --data-binary @specimen.png "$U/staff/seal-images/extract")
[ "$ST" = 403 ] || [ "$ST" = 401 ] || die "an applicant reached the seal-image tool ($ST)"
ST=$(curl -s -o resp.json -w '%{http_code}' -X PUT -b R -H 'Content-Type: image/png' \
    --data-binary @specimen.png "$U/staff/seal-images/extract")
[ "$ST" = 403 ] || die "seal-image tool without CSRF token ($ST)"
NOW=$(date +%s)
P=$(jq -nc --argjson o "$OID" --argjson at "$NOW" '{action:"review",order:$o,at:$at,decision:"return",reason:"营业执照公章不清晰",materials:{"business-licence":{ok:false,reason:"公章不清晰"}}}')
call POST "/orders/$OID/review" "$(signed rev1 staff.pin "$P" | jq -c '.signature = "MEUCIQ=="')" R
expect_err 400 staff.bad_signature signature "forged review signature"
call POST "/orders/$OID/review" "$(signed rev1 staff.pin "$(echo "$P" | jq -c '.order = 999')")" R
expect_err 400 staff.bad_signature payload "signature for another order"
call POST "/orders/$OID/review" "$(signed rev1 staff.pin "$P")" R
expect 200 "return"
[ "$(jq -r .state resp.json)" = returned ] || die "returned"
call GET "/orders/$OID" "" A
[ "$(jq -r '.materials[] | select(.kind=="business-licence") | .review_reason' resp.json)" = 公章不清晰 ] || die "applicant sees what to fix"
upload A "$OID" business-licence "$PNG" image/png
expect 201 "re-upload"
[ "$(jq -r .version resp.json)" = 2 ] || die "history kept (version 2)"
call GET "/orders/$OID/materials/business-licence?version=1" "" A
cmp resp.json "$PDF" || die "version 1 kept"
call POST "/orders/$OID/submit" '' A
expect 200 resubmit
P=$(jq -nc --argjson o "$OID" --argjson at "$(date +%s)" '{action:"review",order:$o,at:$at,decision:"approve",reason:"",materials:{"business-licence":{ok:true}}}')
call POST "/orders/$OID/review" "$(signed rev1 staff.pin "$P")" R
expect 200 approve
[ "$(jq -r .state resp.json)" = approved ] || die approved
call POST "/orders/$OID/review" "$(signed rev1 staff.pin "$P")" R
expect_err 409 order.bad_state "" "illegal transition refused"

# payment by the gateway webhook (HMAC-SHA256), refused when forged, idempotent when replayed
ONO=$(jq -r .order_no resp.json 2>/dev/null || true)
call GET "/orders/$OID" "" A
ONO=$(jq -r .order_no resp.json)
B=$(jq -nc --arg n "$ONO" '{order_no:$n,amount_fen:50000,transaction_id:"T-1",status:"paid"}')
ST=$(curl -s -o resp.json -w '%{http_code}' -H 'Content-Type: application/json' -H "X-Sealca-Timestamp: $(date +%s)" \
    -H "X-Sealca-Signature: hmac-sha256=$(printf '%064d' 0)" --data-binary "$B" "$U/payments/webhook")
expect_err 401 webhook.bad_signature "" "forged webhook"
webhook "$(echo "$B" | jq -c '.amount_fen = 100')"
expect_err 400 payment.amount "" "wrong amount"
webhook "$B"
expect 200 "webhook"
webhook "$B" sm3
expect 200 "replayed webhook (HMAC-SM3) is idempotent"
call GET "/orders/$OID" "" A
[ "$(jq -r .state resp.json)" = paid ] && [ "$(jq -r .payment.method resp.json)" = gateway ] || die "paid"

# fulfilment: CSR from the applicant's key, issuance by production, shipping, receipt
sm2_csr app "/CN=app"
call PUT "/orders/$OID/csr" "$(jq -nc --rawfile c app.csr '{csr:$c}')" A
expect 200 "CSR upload"
staff_login P prod1 staff-password-1 staff.pin
# issuance and the order's change are one transaction: a crash just before its commit leaves
# neither a certificate nor its audit record nor a changed order (ra-kmc)
serve_stop
export SEALCA_CRASH_AT=ra.issue.before_commit
serve_start ca
unset SEALCA_CRASH_AT
U="$URL/api/v1"
certs0=$(dbq "SELECT COUNT(*) FROM certs"); audit0=$(dbq "SELECT COUNT(*) FROM audit WHERE action = 'cert.issue'")
call POST "/orders/$OID/issue" '{}' P || true
i=0; while kill -0 $SPID 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || die "no crash"; sleep 0.1; done
kill -9 $KPID 2>/dev/null || true
[ "$(dbq "SELECT COUNT(*) FROM certs")" = "$certs0" ] || die "no certificate after the crash"
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action = 'cert.issue'")" = "$audit0" ] || die "no issuance record after the crash"
[ "$(dbq "SELECT state FROM ra_orders WHERE id = $OID")" = paid ] || die "order unchanged by the crash"
serve_start ca
U="$URL/api/v1"
call POST "/orders/$OID/issue" '{}' P
expect 200 issue
SERIAL=$(jq -r '.certificates[0]' resp.json)
jq -r .pem resp.json >issued.pem
openssl x509 -in issued.pem -noout -subject -nameopt utf8 | grep -q '新疆测试科技有限公司' || die "subject from the order"
[ "$(jq -r .state resp.json)" = fulfilling ] || die "fulfilling"
call POST "/orders/$OID/ship" '{"carrier":"EMS","tracking_no":"EM123456789CN"}' P
expect 200 ship
[ "$(jq -r .state resp.json)" = shipped ] && jq -e '.shipping.promise_by' resp.json >/dev/null || die "shipped with promise"
call POST "/orders/$OID/complete" '' A
expect 200 "receipt"
[ "$(jq -r .state resp.json)" = completed ] || die completed
[ "$(jq '.history | length' resp.json)" -ge 8 ] || die "every transition in the history"
call GET /certificates "" A
[ "$(jq -r '.certificates[0].serial' resp.json)" = "$SERIAL" ] || die "my certificates"

# suspend (immediate, holder online) and resume (after review)
call POST "/certificates/$SERIAL/suspend" '{"reason":"丢失"}' A
expect 200 suspend
[ "$(ocsp_status issued.pem ca/certs/sub-1.pem)" != good ] || die "hold visible in OCSP"
call POST /orders "$(jq -nc --arg s "$SERIAL" '{business:"resume",subject_kind:"organization",certificate:$s}' | jq -c ". + $(org_fields)")" A
expect 201 "resume order"
RID=$(jq -r .id resp.json)
for k in certificate-application agent-id-front agent-id-back; do upload A "$RID" "$k" "$JPG" image/jpeg; expect 201 "upload $k"; done
call POST "/orders/$RID/submit" '' A
expect 200 "submit resume"
P=$(jq -nc --argjson o "$RID" --argjson at "$(date +%s)" '{action:"review",order:$o,at:$at,decision:"approve"}')
call POST "/orders/$RID/review" "$(signed rev1 staff.pin "$P")" R
expect 200 "approve resume"
[ "$(jq -r .state resp.json)" = completed ] || die "resume completed"
wait_for 2 sh -c "[ \"\$(openssl ocsp -issuer ca/certs/sub-1.pem -cert issued.pem -url $URL/ocsp -noverify 2>/dev/null | sed -n 's|^issued.pem: *||p')\" = good ]" || die "resumed in OCSP"

# revoke: warning shown, effective on approval, tracked against 24 h
call POST /orders "$(jq -nc --arg s "$SERIAL" '{business:"revoke",subject_kind:"organization",certificate:$s}' | jq -c ". + $(org_fields)")" A
expect 201 "revoke order"
VID=$(jq -r .id resp.json)
call GET "/orders/$VID" "" A
jq -r .warning_zh resp.json | grep -q '解密' || die "revoke warning"
for k in certificate-application agent-id-front agent-id-back; do upload A "$VID" "$k" "$PDF" application/pdf; done
call POST "/orders/$VID/submit" '' A
expect 200 "submit revoke"
call GET /staff/revocations "" R
expect 200 dashboard
[ "$(jq -r ".requests[] | select(.id == $VID) | .overdue" resp.json)" = false ] || die "age vs 24 h"
P=$(jq -nc --argjson o "$VID" --argjson at "$(date +%s)" '{action:"review",order:$o,at:$at,decision:"approve"}')
call POST "/orders/$VID/review" "$(signed rev1 staff.pin "$P")" R
expect 200 "approve revoke"
wait_for 2 sh -c "[ \"\$(openssl ocsp -issuer ca/certs/sub-1.pem -cert issued.pem -url $URL/ocsp -noverify 2>/dev/null | sed -n 's|^issued.pem: *||p')\" = revoked ]" || die "revoked in OCSP"

# counter entry at a service point, signed by the entry operator
staff_login E entry1 staff-password-1 staff.pin
P=$(jq -nc --argjson at "$(date +%s)" --argjson f "$(org_fields)" '{action:"counter-entry",at:$at,applicant:{phone:"13600136000",name:"柜台客户"},order:({business:"new",subject_kind:"organization",medium:"usbkey"} + $f)}')
call POST /staff/counter/orders "$(signed entry1 staff.pin "$P")" E
expect 201 "counter entry"
CID=$(jq -r .id resp.json)
for k in $ORG_KINDS; do upload E "$CID" "$k" "$PDF" application/pdf; expect 201 "counter upload $k"; done
call POST "/orders/$CID/submit" '' E
expect 200 "counter submit"
call GET "/staff/service-points/changji/orders" "" E
jq -e ".orders[] | select(.id == $CID and .counter == true)" resp.json >/dev/null || die "service point view"
staff_login E2 entry2 staff-password-1 staff.pin
call GET "/staff/orders/$CID" "" E2
expect_err 403 auth.forbidden "" "other service point"
call POST "/orders/$CID/payment" '{"method":"counter","amount_fen":50000}' E
expect_err 409 order.bad_state "" "payment before approval"

# whole personal values only through an audited reveal
call GET "/staff/orders/$OID/reveal/legal_id_number" "" R
expect 200 reveal
[ "$(jq -r .value resp.json)" = 11010519491231002X ] || die "reveal value"

# auditor console: only auditors; signed decisions verify
call GET /staff/audit "" R
expect_err 403 auth.forbidden "" "reviewer is not an auditor"
staff_login AU aud1 staff-password-1 staff.pin
call GET "/staff/audit?limit=500" "" AU
expect 200 audit
[ "$(jq '[.events[] | select(.action=="ra.order.approve") | .signature_ok] | all' resp.json)" = true ] || die "signatures verify"
[ "$(jq '[.events[] | select(.action=="ra.counter.entry")] | length' resp.json)" = 1 ] || die "counter entry recorded"
jq -e '.events[] | select(.action=="ra.reveal" and .actor=="staff:rev1")' resp.json >/dev/null || die "reveal audited"
dbq "SELECT COUNT(*) FROM ra_orders WHERE pii IS NOT NULL" | grep -qv '^0$' || die "pii sealed"
! dbq "SELECT pii FROM ra_orders" | grep -q 11010519491231002X || die "ID number in clear"
$S audit verify --home ca >/dev/null || die "audit chain"
serve_stop
