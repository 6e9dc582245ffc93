# t_ra_kmc.sh - the registration service through the KMC:
#  - a pin-unlock (密码解锁) order from application to completion: the holder's managed token is
#    locked, the order is reviewed and approved, the holder posts the token's unlock request and
#    gets the KMC's answer, which unlocks the token; a replayed request is refused;
#  - a new order issuing the dual pair: the CSRResponse downloaded from the order imports into a
#    software token (sealca token import), which decrypts a bid enveloped to its encryption cert;
#  - a damaged-key recovery order end to end: two different officers (neither the requester, the
#    applicant refused) approve over HTTP with signed decisions; the old encryption key is
#    restored onto the holder's new token, which opens the old bid;
#  - a judicial recovery released to an officer as password-protected PKCS#8;
#  - a reissue (重发): new signing certificate and encryption pair, old ones revoked.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
. "$ROOT/tests/integration/lib_ra.sh"
ra_setup
$S kmc init --home ca --pool-min 2 --pool-target 4 >/dev/null
# key-recovery officers (a reviewer who is also an officer, to show they cannot approve a request
# they made themselves)
for u in "rev2 review,recovery" "off1 recovery" "off2 recovery"; do
    set -- $u
    $S user add --home ca --login "$1" --name "审批人$1" --role operator --duties "$2" \
        --service-point changji --password-file staff.pw --pin-file staff.pin --out tok >/dev/null
done
serve_start ca
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT
U="$URL/api/v1"
call POST /accounts '{"phone":"13800138000","email":"holder@example.cn","password":"applicant-pass-1","name":"持证人"}'
expect 201 register
login A holder@example.cn applicant-pass-1
staff_login R rev1 staff-password-1 staff.pin
staff_login P prod1 staff-password-1 staff.pin
# ---- the catalog says which business types issue an encryption certificate ----
call GET /catalog
[ "$(jq -r '[.. | objects | select(.key? == "new" and has("issues_encryption_certificate"))][0].issues_encryption_certificate' resp.json)" = true ] ||
    die "catalog: new issues an encryption certificate"
[ "$(jq -r '[.. | objects | select(.key? == "renew" and has("issues_encryption_certificate"))][0].issues_encryption_certificate' resp.json)" = false ] ||
    die "catalog: renew does not"

staff_login R2 rev2 staff-password-1 staff.pin
staff_login O1 off1 staff-password-1 staff.pin
staff_login O2 off2 staff-password-1 staff.pin
# token_csr TOKEN PIN: a software token and its GM/T 0092 request as PEM (TOKEN.csr)
token_csr() {
    $S token init --file "$1" --user-pin "$2" --admin-pin 87654321 >/dev/null
    $S token csr --file "$1" --pin "$2" --subject "CN=holder,O=holder,C=CN" --out "$1.der" >/dev/null
    printf -- '-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n' \
        "$(base64 -w64 "$1.der")" >"$1.csr"
}
# service_order BUSINESS CERT EXTRA_JSON: a submitted service order of the holder (A) on CERT
# with the materials its row asks for; sets SID
service_order() {
    call POST /orders "$(org_fields | jq -c --arg b "$1" --arg c "$2" ". + {business:\$b,subject_kind:\"organization\",certificate:\$c} + $3")" A
    expect 201 "$1 order"
    SID=$(jq -r .id resp.json)
    call GET "/orders/$SID" "" A
    for k in $(jq -r '.checklist[].kind' resp.json); do
        upload A "$SID" "$k" "$PDF" application/pdf
        expect 201 "upload $k"
    done
    call POST "/orders/$SID/submit" '' A
    expect 200 "submit $1"
}
# review_ok JAR LOGIN ORDER: a signed approval
review_ok() {
    _p=$(jq -nc --argjson o "$3" --argjson at "$(date +%s)" '{action:"review",order:$o,at:$at,decision:"approve"}')
    call POST "/orders/$3/review" "$(signed "$2" staff.pin "$_p")" "$1"
}
# decide JAR LOGIN ORDER DECISION [REASON]: an officer's signed recovery decision
decide() {
    _p=$(jq -nc --argjson o "$3" --argjson at "$(date +%s)" --arg d "$4" --arg r "${5:-}" \
        '{action:"recovery",order:$o,at:$at,decision:$d} + (if $r == "" then {} else {reason:$r} end)')
    call POST "/orders/$3/recovery" "$(signed "$2" staff.pin "$_p")" "$1"
}

# ---- a new order: the dual pair through the KMC, imported into a software token ----
token_csr T1.tok 111111
call POST /orders "$(org_fields | jq -c '. + {business:"new",subject_kind:"organization",medium:"usbkey",years:1,handling:"onsite",service_point:"changji"}')" A
expect 201 "dual order"
NID=$(jq -r .id resp.json)
for k in $ORG_KINDS; do upload A "$NID" "$k" "$PDF" application/pdf; expect 201 "upload $k"; done
call POST "/orders/$NID/submit" '' A
expect 200 "submit dual order"
review_ok R rev1 "$NID"
expect 200 "approve dual order"
call GET "/orders/$NID" "" A
webhook "$(jq -nc --arg n "$(jq -r .order_no resp.json)" --argjson a "$(jq .price_fen resp.json)" '{order_no:$n,amount_fen:$a,transaction_id:"T-dual",status:"paid"}')"
expect 200 "pay dual order"
call GET "/orders/$NID/csr-response" "" A
expect_err 404 not_found "" "no CSRResponse before issuance"
call PUT "/orders/$NID/csr" "$(jq -nc --rawfile c T1.tok.csr '{csr:$c}')" A
expect 200 "token CSR"
# the server dies between the KMC's commit and the order's transaction: the order stays paid,
# and issuing again withdraws what the interrupted attempt issued before a fresh pair
serve_stop
export SEALCA_CRASH_AT=ra.dual.after_kmc
serve_start ca
unset SEALCA_CRASH_AT
U="$URL/api/v1"
call POST "/orders/$NID/issue" '{}' P || true
i=0; while kill -0 $SPID 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || die "no crash"; sleep 0.1; done
kill -9 $KPID 2>/dev/null || true
TAGQ="FROM certs c JOIN audit a ON a.object = c.serial AND a.action = 'cert.issue' WHERE a.actor = 'staff:prod1/order:$NID'"
[ "$(dbq "SELECT COUNT(*) $TAGQ AND c.status = 'good'")" = 2 ] || die "the interrupted attempt issued a pair"
[ "$(dbq "SELECT state FROM ra_orders WHERE id = $NID")" = paid ] || die "order unchanged by the crash"
[ "$(dbq "SELECT COUNT(*) FROM ra_certs WHERE order_id = $NID")" = 0 ] || die "nothing owned after the crash"
serve_start ca
U="$URL/api/v1"
call POST "/orders/$NID/issue" '{}' P
expect 200 "dual issuance"
[ "$(dbq "SELECT COUNT(*) $TAGQ AND c.status = 'revoked' AND c.reason = 5")" = 2 ] || die "the orphaned pair withdrawn"
[ "$(dbq "SELECT COUNT(*) $TAGQ AND c.status = 'good'")" = 2 ] || die "the new pair good"
[ "$(jq '.certificates | length' resp.json)" = 2 ] || die "signing and encryption certificate"
SIGN1=$(jq -r .sign_serial resp.json); ENC1=$(jq -r .enc_serial resp.json)
[ "$(dbq "SELECT profile FROM certs WHERE serial = '$ENC1'")" = organization-enc ] || die "encryption profile"
[ "$(dbq "SELECT COUNT(*) FROM ra_certs WHERE order_id = $NID")" = 2 ] || die "both certificates owned"
[ "$(dbq "SELECT COUNT(*) FROM ra_order_kmc WHERE order_id = $NID AND attempt_tag IS NULL")" = 1 ] || die "attempt closed"
call GET "/orders/$NID/csr-response" "" B 2>/dev/null || true
[ "$ST" = 401 ] || die "CSRResponse without a session"
call POST /accounts '{"phone":"13800138001","email":"other@example.cn","password":"applicant-pass-2","name":"他人"}'
expect 201 "another applicant"
login C other@example.cn applicant-pass-2
call GET "/orders/$NID/csr-response" "" C
expect_err 404 not_found "" "another applicant's CSRResponse"
call GET "/orders/$NID/csr-response" "" A
expect 200 "CSRResponse download"
jq -r .response resp.json | base64 -d >r1.der
$S token import --file T1.tok --pin 111111 r1.der >/dev/null
$S token certs --file T1.tok --pin 111111 --out-sign s1.pem --out-enc e1.pem
printf '投标文件：第一标段报价 1234567 元\n' >tender.txt
$S envelope encrypt --to e1.pem --out tender.env tender.txt
$S envelope decrypt --file T1.tok --pin 111111 --out tender.out tender.txt.missing 2>/dev/null && die "decrypted nothing"
$S envelope decrypt --file T1.tok --pin 111111 --out tender.out tender.env
cmp -s tender.txt tender.out || die "bid decrypts with the token"
call GET /certificates "" A
[ "$(jq -r --arg s "$ENC1" '.certificates[] | select(.serial == $s) | .usage' resp.json)" = encryption ] || die "listed as encryption"

# the pin-unlock order acts on the dual order's signing certificate
SERIAL=$SIGN1


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

# ---- damaged key: recovery onto a new token, two officers ----
rm -f T1.tok
token_csr T2.tok 222222
service_order key-recovery "$SIGN1" '{recovery_kind:"damaged"}'
DID=$SID
# the judicial request letter is asked for a judicial recovery only, not for a damaged key
call GET "/orders/$DID" "" A
jq -e '[.checklist[].kind] | index("judicial-document") == null' resp.json >/dev/null ||
    die "a damaged-key recovery asks for the judicial request letter"
review_ok R2 rev2 "$DID"
expect 200 "approve recovery order"
[ "$(jq -r .kmc.recovery.state resp.json)" = pending ] || { cat resp.json; die "recovery pending"; }
[ "$(jq -r .kmc.recovery.requester resp.json)" = staff:rev2 ] || die "the approving reviewer asked"
# the order offers the holder the new key's CSR and production the issuance (the portal and
# the console show their forms from these actions)
call GET "/orders/$DID" "" A
jq -e '.actions | index("csr") != null' resp.json >/dev/null || die "damaged recovery: no CSR action for the holder"
call GET "/orders/$DID" "" P
jq -e '.actions | index("issue") != null' resp.json >/dev/null || die "damaged recovery: no issue action for production"
call PUT "/orders/$DID/csr" "$(jq -nc --rawfile c T2.tok.csr '{csr:$c}')" A
expect 200 "new token CSR"
snap() { dbq "SELECT COALESCE(approver1,'-') || ' ' || COALESCE(approver2,'-') || ' ' || state FROM kmc_recoveries ORDER BY id DESC LIMIT 1"; }
call POST "/orders/$DID/recovery" "$(jq -nc --argjson o "$DID" '{payload:({action:"recovery",order:$o,decision:"approve"} | tostring),signature:"AA=="}')" A
expect_err 403 auth.forbidden "" "the applicant decides a recovery"
[ "$(snap)" = "- - pending" ] || die "the applicant changed nothing"
decide R2 rev2 "$DID" approve
expect_err 409 kmc.recovery_self_approval "" "requester approves"
[ "$(snap)" = "- - pending" ] || die "self-approval changed nothing"
decide P prod1 "$DID" approve
expect_err 403 auth.forbidden "" "not an officer"
call GET /staff/recoveries "" O1
expect 200 "officer queue"
[ "$(jq -r --argjson o "$DID" '.recoveries[] | select(.order_id == $o) | .can_decide' resp.json)" = true ] || die "in the queue"
decide O1 off1 "$DID" approve
expect 200 "first officer"
[ "$(jq -r '.approvals | length' resp.json)" = 1 ] || die "one approval"
decide O1 off1 "$DID" approve
expect_err 409 kmc.recovery_same_officer "" "same officer twice"
[ "$(snap)" = "staff:off1 - pending" ] || die "the second try changed nothing"
call POST "/orders/$DID/issue" '{}' P
expect_err 409 kmc.recovery_not_approved "" "release before two approvals"
[ "$(dbq "SELECT COUNT(*) FROM ra_certs WHERE order_id = $DID")" = 0 ] || die "nothing issued before approval"
decide O2 off2 "$DID" approve
expect 200 "second officer"
[ "$(jq -r .state resp.json)" = approved ] || die "approved by two"
decide O2 off2 "$DID" approve
expect_err 409 kmc.recovery_state "" "approve a closed request"
call POST "/orders/$DID/issue" '{}' P
expect 200 "recovery released"
SIGN2=$(jq -r .sign_serial resp.json)
[ "$(jq -r .enc_serial resp.json)" = "$ENC1" ] || die "the same encryption certificate"
[ "$(dbq "SELECT status FROM certs WHERE serial = '$SIGN1'")" = revoked ] || die "damaged certificate revoked"
call GET "/orders/$DID" "" A
[ "$(jq -r .state resp.json)" = completed ] || die "recovery order completed"
call GET "/orders/$DID/csr-response" "" A
expect 200 "recovered CSRResponse"
jq -r .response resp.json | base64 -d >r2.der
$S token import --file T2.tok --pin 222222 r2.der >/dev/null
$S envelope decrypt --file T2.tok --pin 222222 --out tender.rec tender.env
cmp -s tender.txt tender.rec || die "the old bid opens after recovery"
call POST "/orders/$DID/issue" '{}' P
expect_err 409 order.bad_state "" "released once"
# the auditor console verifies the officers' signed decisions
staff_login AU aud1 staff-password-1 staff.pin
call GET "/staff/audit?limit=500" "" AU
expect 200 "audit view"
[ "$(jq '[.events[] | select(.action == "kmc.recovery.approve" and .signature_ok == true)] | length' resp.json)" -ge 2 ] ||
    die "signed approvals verified by the auditor console"

# ---- judicial recovery: to an officer, password-protected ----
call POST /orders "$(org_fields | jq -c --arg c "$SIGN2" '. + {business:"key-recovery",subject_kind:"organization",certificate:$c,recovery_kind:"judicial"}')" A
expect 201 "judicial order"
JID=$(jq -r .id resp.json)
call GET "/orders/$JID" "" A
jq -e '[.checklist[].kind] | index("judicial-document") != null' resp.json >/dev/null ||
    die "a judicial recovery does not ask for the judicial request letter"
for k in $(jq -r '.checklist[].kind' resp.json); do upload A "$JID" "$k" "$PDF" application/pdf; expect 201 "upload $k"; done
call POST "/orders/$JID/submit" '' A
expect_err 400 field.required case_ref "judicial without a case reference"
call PATCH "/orders/$JID" '{"case_ref":"(2026)新01刑初123号"}' A
expect 200 "case reference"
call POST "/orders/$JID/submit" '' A
expect 200 "submit judicial"
review_ok R rev1 "$JID"
expect 200 "approve judicial"
decide O1 off1 "$JID" approve; expect 200 "judicial 1"
call POST "/orders/$JID/recovery/release" '{"password":"judicial-pass-1"}' O1
expect_err 409 kmc.recovery_not_approved "" "judicial before two approvals"
decide O2 off2 "$JID" approve; expect 200 "judicial 2"
call POST "/orders/$JID/recovery/release" '{"password":"judicial-pass-1"}' A
expect_err 403 auth.forbidden "" "the applicant asks for a judicial key"
call POST "/orders/$JID/recovery/release" '{"password":"judicial-pass-1"}' P
expect_err 403 auth.forbidden "" "only officers"
call POST "/orders/$JID/recovery/release" '{"password":"short"}' O1
expect_err 400 field.range password "short password"
call POST "/orders/$JID/recovery/release" '{"password":"judicial-pass-1"}' O1
expect 200 "judicial release"
jq -r .pkcs8 resp.json >j.pem
grep -q "BEGIN ENCRYPTED PRIVATE KEY" j.pem || die "encrypted PKCS#8"
openssl pkey -in j.pem -passin pass:judicial-pass-1 -pubout >j.pub
openssl x509 -in e1.pem -pubkey -noout >e1.pub
cmp -s j.pub e1.pub || die "the released key is the escrowed encryption key"
openssl pkey -in j.pem -passin pass:wrong-password -pubout >/dev/null 2>&1 && die "opened with a wrong password"
call POST "/orders/$JID/recovery/release" '{"password":"judicial-pass-1"}' O2
expect_err 409 order.bad_state "" "released once"
dbq "SELECT COUNT(*) FROM audit WHERE action = 'kmc.recovery.release' AND detail LIKE '%judicial%新01刑初123号%'" | grep -qx 1 ||
    die "judicial release audited with its case"

# ---- reissue (重发): new signing certificate, encryption pair re-delivered ----
token_csr T3.tok 333333
service_order reissue "$SIGN2" '{}'
RID=$SID
review_ok R rev1 "$RID"
expect 200 "approve reissue"
call PUT "/orders/$RID/csr" "$(jq -nc --rawfile c T3.tok.csr '{csr:$c}')" A
expect 200 "reissue CSR"
call POST "/orders/$RID/issue" '{}' P
expect 200 "reissue"
SIGN3=$(jq -r .sign_serial resp.json); ENC3=$(jq -r .enc_serial resp.json)
[ "$SIGN3" != "$SIGN2" ] && [ "$ENC3" != "$ENC1" ] || die "new pair"
[ "$(dbq "SELECT status || reason FROM certs WHERE serial = '$SIGN2'")" = revoked4 ] || die "old signing certificate superseded"
[ "$(dbq "SELECT status || reason FROM certs WHERE serial = '$ENC1'")" = revoked4 ] || die "old encryption certificate superseded"
[ "$(dbq "SELECT state FROM kmc_keys WHERE enc_serial = '$ENC1'")" = history ] || die "old encryption key in the history pool"
call GET "/orders/$RID/csr-response" "" A
jq -r .response resp.json | base64 -d >r3.der
$S token import --file T3.tok --pin 333333 r3.der >/dev/null
$S token certs --file T3.tok --pin 333333 --out-enc e3.pem
$S envelope encrypt --to e3.pem --out tender3.env tender.txt
$S envelope decrypt --file T3.tok --pin 333333 --out tender3.out tender3.env
cmp -s tender.txt tender3.out || die "reissued token decrypts"

# ---- a rejected recovery ends the order: rejected, with the officer's reason ----
service_order key-recovery "$SIGN3" '{recovery_kind:"damaged"}'
XID=$SID
review_ok R2 rev2 "$XID"
expect 200 "approve the recovery order to be rejected"
decide O1 off1 "$XID" reject
expect_err 400 field.required reason "a rejection without a reason"
[ "$(dbq "SELECT state FROM ra_orders WHERE id = $XID")" = paid ] || die "a refused rejection changed nothing"
decide O1 off1 "$XID" reject "申请材料与持有人不符"
expect 200 "officer rejects"
[ "$(jq -r .state resp.json)" = rejected ] || die "recovery request rejected"
call GET "/orders/$XID" "" A
[ "$(jq -r .state resp.json)" = rejected ] || { cat resp.json; die "the rejected recovery's order is rejected"; }
dbq "SELECT COUNT(*) FROM audit WHERE action = 'ra.order.decline' AND detail LIKE '%申请材料与持有人不符%'" | grep -qx 1 ||
    die "the order's rejection audited with the reason"
decide O2 off2 "$XID" approve
expect_err 409 kmc.recovery_state "" "approve a rejected request"
call POST "/orders/$XID/issue" '{}' P
expect_err 409 order.bad_state "" "issue after rejection"
serve_stop
