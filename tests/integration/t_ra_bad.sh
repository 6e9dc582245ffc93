# t_ra_bad.sh - the registration service refuses bad input and changes nothing: oversized bodies,
# wrong content types, broken multipart, invalid UTF-8, duplicate keys, forged CSRF, a session
# replayed after logout, other users' ids, rate limiting and lockout, and the GM/T 0037 staff
# login refusals (wrong PIN, another person's certificate, a revoked certificate).
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/lib_serve.sh"
. "$ROOT/tests/integration/lib_ra.sh"
ra_setup
serve_start ca
trap 'kill -9 $SPID $KPID 2>/dev/null || true' EXIT
U="$URL/api/v1"
ra_state() { dbq "SELECT COUNT(*) FROM ra_orders; SELECT COUNT(*) FROM ra_accounts; SELECT COUNT(*) FROM ra_materials; SELECT COALESCE(MAX(id),0) FROM ra_order_events; SELECT id, state, fields FROM ra_orders ORDER BY id"; }

call POST /accounts '{"phone":"13800138001","email":"a@example.cn","password":"applicant-pass-1","name":"甲"}'
expect 201 "register A"
call POST /accounts '{"phone":"13800138002","email":"b@example.cn","password":"applicant-pass-2","name":"乙"}'
expect 201 "register B"
login A 13800138001 applicant-pass-1
login B b@example.cn applicant-pass-2
call POST /orders '{"business":"new","subject_kind":"organization","medium":"usbkey","years":1}' A
expect 201 "order A"
OA=$(jq -r .id resp.json)
upload A "$OA" business-licence "$PDF" application/pdf
expect 201 "material A"
ra_state >before.txt

# someone else's objects: 404, nothing changes
call GET "/orders/$OA" "" B
expect_err 404 not_found "" "read another's order"
call PATCH "/orders/$OA" '{"project":"hijack"}' B
expect_err 404 not_found "" "change another's order"
call GET "/orders/$OA/materials/business-licence" "" B
expect_err 404 not_found "" "another's material"
call POST "/orders/$OA/submit" '' B
expect_err 404 not_found "" "submit another's order"
call PUT "/orders/$OA/csr" '{"csr":"x"}' B
expect 400 "bad CSR refused before ownership is looked at"
call GET "/orders/999999" "" B
expect_err 404 not_found "" "guessed id"
call GET "/orders/abc" "" B
expect_err 404 not_found "" "non-numeric id"
call GET "/orders/$OA/forms/certificate-application.pdf" "" B
expect_err 404 not_found "" "another's form"
call POST /certificates/00112233445566778899aabbccddeeff/suspend '{}' B
expect_err 404 not_found "" "another's certificate"
call GET /staff/orders "" B
expect_err 403 auth.forbidden "" "applicant on a staff route"

# CSRF, sessions
C=$(cat A.csrf)
ST=$(curl -s -o resp.json -w '%{http_code}' -X PATCH -b A -H 'Content-Type: application/json' -d '{"project":"x"}' "$U/orders/$OA")
expect_err 403 csrf.invalid X-CSRF-Token "missing CSRF"
ST=$(curl -s -o resp.json -w '%{http_code}' -X PATCH -b A -H "X-CSRF-Token: $(cat B.csrf)" -H 'Content-Type: application/json' -d '{"project":"x"}' "$U/orders/$OA")
expect_err 403 csrf.invalid X-CSRF-Token "another session's CSRF token"
ST=$(curl -s -o resp.json -w '%{http_code}' "$U/orders")
expect_err 401 auth.required "" "no session"

# bad bodies
head -c 70000 /dev/zero | tr '\0' 'a' >big.txt
ST=$(curl -s -o resp.json -w '%{http_code}' -X PATCH -b A -H "X-CSRF-Token: $C" -H 'Content-Type: application/json' --data-binary @big.txt "$U/orders/$OA")
expect 413 "oversized JSON body"
ST=$(curl -s -o resp.json -w '%{http_code}' -X PATCH -b A -H "X-CSRF-Token: $C" -H 'Content-Type: text/plain' -d '{"project":"x"}' "$U/orders/$OA")
expect_err 415 request.content_type Content-Type "wrong content type"
printf '{"project":"\377\376"}' >badutf8.json
ST=$(curl -s -o resp.json -w '%{http_code}' -X PATCH -b A -H "X-CSRF-Token: $C" -H 'Content-Type: application/json' --data-binary @badutf8.json "$U/orders/$OA")
expect_err 400 request.bad_json "" "invalid UTF-8"
call PATCH "/orders/$OA" '{"project":"a","project":"b"}' A
expect_err 400 request.bad_json "" "duplicate keys"
call PATCH "/orders/$OA" '{"projekt":"a"}' A
expect_err 400 field.unknown projekt "unknown field"
call PATCH "/orders/$OA" '{"years":9}' A
expect_err 400 field.range years "years 1..5"
call PATCH "/orders/$OA" '{"project":"a\u0000b"}' A
expect 400 "NUL in text"
call PATCH "/orders/$OA" '{"project":"line\u0007bell"}' A
expect_err 400 field.bad_char project "control character"
call PATCH "/orders/$OA" '[1,2]' A
expect_err 400 request.bad_json "" "not an object"
call POST /orders '{"business":"pin-unlock","subject_kind":"organization","certificate":"zz"}' A
expect_err 400 field.required certificate "bad serial"
call POST /orders '{"business":"suspend","subject_kind":"organization"}' A
expect_err 400 field.choice business "suspend is not an order"
call POST /orders '{"business":"fly","subject_kind":"organization"}' A
expect_err 400 field.choice business "unknown business"
# materials: type by content, not by header; broken multipart
printf 'GIF89a not a pdf' >fake.pdf
upload A "$OA" business-licence fake.pdf application/pdf
expect 415 "a GIF named PDF"
upload A "$OA" business-licence "$PDF" text/html
expect_err 415 request.content_type Content-Type "HTML upload"
upload A "$OA" no-such-kind "$PDF" application/pdf
expect_err 400 material.kind kind "unknown material kind"
ST=$(curl -s -o resp.json -w '%{http_code}' -X PUT -b A -H "X-CSRF-Token: $C" -H 'Content-Type: multipart/form-data; boundary=XYZ' --data-binary 'garbage' "$U/orders/$OA/materials/certificate-application")
expect 400 "broken multipart"
ra_state >after.txt
cmp before.txt after.txt || { diff before.txt after.txt; die "refused requests changed the store"; }
# multipart that is well formed is accepted
ST=$(curl -s -o resp.json -w '%{http_code}' -X PUT -b A -H "X-CSRF-Token: $C" -F "file=@$PNG;type=image/png" "$U/orders/$OA/materials/legal-id-front")
expect 201 "multipart upload"
[ "$(jq -r .mime resp.json)" = image/png ] || die "sniffed PNG"

# script in a text field is stored as text and comes back as a JSON string, never as markup
call PATCH "/orders/$OA" '{"project":"<script>alert(1)</script>"}' A
expect 200 "script text stored"
curl -s -D h.txt -o o.json -b A "$U/orders/$OA"
grep -qi '^content-type: application/json' h.txt && grep -qi '^x-content-type-options: nosniff' h.txt || die "JSON with nosniff"
[ "$(jq -r .project o.json)" = '<script>alert(1)</script>' ] || die "text kept as text"

# logout, then the old cookie is dead
cp A A.old
call DELETE /session '' A
expect 204 logout
ST=$(curl -s -o resp.json -w '%{http_code}' -b A.old "$U/orders")
expect_err 401 auth.required "" "session replayed after logout"
# logout everywhere ends every session of the account
login B1 b@example.cn applicant-pass-2
call DELETE /sessions '' B1
expect 204 "logout everywhere"
call GET /orders "" B
expect_err 401 auth.required "" "other session ended too"

# staff login (GM/T 0037): wrong PIN, someone else's certificate, wrong password, revoked
call POST /staff/challenge '{"login":"rev1"}' S
CH=$(jq -r .challenge resp.json)
if $S user sign-challenge --key tok/rev1.key --login rev1 --challenge "$CH" --pin-file wrong.pin >sig.txt 2>err.txt; then die "wrong PIN signed"; fi
SIG=$($S user sign-challenge --key tok/prod1.key --login rev1 --challenge "$CH" --pin-file staff.pin)
call POST /staff/session "$(jq -nc --arg c "$CH" --arg s "$SIG" '{login:"rev1",password:"staff-password-1",challenge:$c,signature:$s}')" S
expect_err 401 auth.bad_certificate signature "another person's certificate"
call POST /staff/session "$(jq -nc --arg c "$CH" --arg s "$SIG" '{login:"rev1",password:"staff-password-1",challenge:$c,signature:$s}')" S
expect_err 400 pop.expired challenge "challenge used once"
call POST /staff/challenge '{"login":"rev1"}' S
CH=$(jq -r .challenge resp.json)
SIG=$($S user sign-challenge --key tok/rev1.key --login rev1 --challenge "$CH" --pin-file staff.pin)
call POST /staff/session "$(jq -nc --arg c "$CH" --arg s "$SIG" --rawfile cert tok/prod1.pem '{login:"rev1",password:"staff-password-1",challenge:$c,signature:$s,certificate:$cert}')" S
expect_err 401 auth.bad_certificate certificate "certificate not registered for this person"
staff_login R rev1 staff-password-1 staff.pin
# a staff member whose certificate is revoked can no longer log in
$S revoke --home ca --serial "$(openssl x509 -in tok/prod1.pem -noout -serial | cut -d= -f2)" --reason keyCompromise
call POST /staff/challenge '{"login":"prod1"}' S
CH=$(jq -r .challenge resp.json)
SIG=$($S user sign-challenge --key tok/prod1.key --login prod1 --challenge "$CH" --pin-file staff.pin)
call POST /staff/session "$(jq -nc --arg c "$CH" --arg s "$SIG" '{login:"prod1",password:"staff-password-1",challenge:$c,signature:$s}')" S
expect_err 401 auth.bad_certificate certificate "revoked certificate"
# separation of duties: a reviewer cannot issue, an auditor cannot read orders
call POST "/orders/$OA/issue" '{}' R
expect_err 403 auth.forbidden "" "reviewer issuing"
staff_login AU aud1 staff-password-1 staff.pin
call GET "/staff/orders/$OA" "" AU
expect_err 403 auth.forbidden "" "auditor reading an order"
# user admin (三员分立): the audit admin creates auditors only, the super admin business admins
printf 'pin-audit\n' >audit.pin
staff_login AD audit audit-password-1 audit.pin
sm2_csr newaud "/CN=newaud"
call POST /staff/users "$(jq -nc --rawfile c newaud.csr '{login:"op9",name:"x",password:"staff-password-9",role:"operator",duties:["review"],service_point:"changji",csr:$c}')" AD
expect_err 403 auth.forbidden role "audit admin creating an operator"
call POST /staff/users "$(jq -nc --rawfile c newaud.csr '{login:"aud2",name:"审计员二",password:"staff-password-9",role:"auditor",csr:$c}')" AD
expect 201 "audit admin creates an auditor"
jq -r .certificate resp.json | openssl x509 -noout -subject | grep -q aud2 || die "staff certificate"
call GET /staff/users "" AD
[ "$(jq -r '[.users[].role] | unique | join(",")' resp.json)" = auditor ] || die "audit admin sees auditors only"
call POST /staff/users/aud2/disable '' AD
expect 204 "disable"
# login rate limiting and temporary lockout
for i in 1 2 3 4 5; do
    call POST /session '{"login":"13800138001","password":"wrong-password-x"}' X
    expect_err 401 auth.bad_credentials "" "wrong password $i"
done
call POST /session '{"login":"13800138001","password":"applicant-pass-1"}' X
expect_err 423 auth.locked "" "locked after 5 failures"
for i in 1 2 3 4 5; do call POST /session '{"login":"nobody@example.cn","password":"x-x-x-x-x-x"}' X; done
call POST /session '{"login":"b@example.cn","password":"applicant-pass-2"}' X
expect_err 429 auth.rate_limited "" "too many failures from one address"
grep -q . resp.json

serve_stop
