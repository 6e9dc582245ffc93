# lib_ra.sh - helpers for the registration service tests (sourced after lib.sh and lib_serve.sh).
# call METHOD PATH [JSON] [JAR]: an /api/v1 request with the cookie jar JAR (default jar) and its
# CSRF token (JAR.csrf); sets ST to the status and leaves the body in resp.json.
call() {
    _m=$1; _p=$2; _d=${3:-}; _j=${4:-jar}
    _c=$(cat "$_j.csrf" 2>/dev/null || true)
    if [ -n "$_d" ]; then
        ST=$(curl -s -o resp.json -w '%{http_code}' -X "$_m" -b "$_j" -c "$_j" \
            -H 'Content-Type: application/json' -H "X-CSRF-Token: $_c" --data-binary "$_d" "$U$_p")
    else
        ST=$(curl -s -o resp.json -w '%{http_code}' -X "$_m" -b "$_j" -c "$_j" \
            -H "X-CSRF-Token: $_c" "$U$_p")
    fi
}
# expect STATUS WHAT: the last call answered STATUS
expect() {
    [ "$ST" = "$1" ] || { cat resp.json; echo; die "expected HTTP $1, got $ST: $2"; }
}
# expect_err STATUS CODE [FIELD] WHAT
expect_err() {
    expect "$1" "$4"
    [ "$(jq -r .error.code resp.json)" = "$2" ] || { cat resp.json; die "expected error $2: $4"; }
    if [ -n "$3" ]; then
        [ "$(jq -r .error.field resp.json)" = "$3" ] || { cat resp.json; die "expected field $3: $4"; }
    fi
}
# login JAR LOGIN PASSWORD: applicant login, keeps the CSRF token in JAR.csrf
login() {
    rm -f "$1" "$1.csrf"
    call POST /session "$(jq -nc --arg l "$2" --arg p "$3" '{login:$l,password:$p}')" "$1"
    expect 200 "login $2"
    jq -r .csrf resp.json >"$1.csrf"
}
# staff_login JAR LOGIN PASSWORD PINFILE: challenge, signature by the staff token, session
staff_login() {
    rm -f "$1" "$1.csrf"
    call POST /staff/challenge "{\"login\":\"$2\"}" "$1"
    expect 200 "challenge for $2"
    _ch=$(jq -r .challenge resp.json)
    _sig=$($S user sign-challenge --key "tok/$2.key" --cert "tok/$2.pem" --login "$2" \
        --challenge "$_ch" --pin-file "$4")
    call POST /staff/session "$(jq -nc --arg l "$2" --arg p "$3" --arg c "$_ch" --arg s "$_sig" \
        --rawfile cert "tok/$2.pem" '{login:$l,password:$p,challenge:$c,signature:$s,certificate:$cert}')" "$1"
    expect 200 "staff login $2"
    jq -r .csrf resp.json >"$1.csrf"
}
# signed LOGIN PINFILE PAYLOAD: the {"payload","signature"} body of a signed staff action
signed() {
    printf '%s' "$3" >payload.txt
    _sig=$($S user sign --key "tok/$1.key" --pin-file "$2" --in payload.txt)
    jq -nc --arg p "$3" --arg s "$_sig" '{payload:$p,signature:$s}'
}
# webhook BODY [SCHEME]: a payment notification signed with the home's webhook secret
webhook() {
    _ts=$(( $(date +%s) + ${CLOCK:-0} ))
    _key=$(sed -n 's/^webhook_secret = //p' ca/ra.conf)
    if [ "${2:-sha256}" = sm3 ]; then
        _mac=$(printf '%s.%s' "$_ts" "$1" | openssl mac -digest SM3 -macopt "key:$_key" HMAC | tr 'A-F' 'a-f')
        _h="hmac-sm3=$_mac"
    else
        _mac=$(printf '%s.%s' "$_ts" "$1" | openssl dgst -sha256 -hmac "$_key" -r | cut -d' ' -f1)
        _h="hmac-sha256=$_mac"
    fi
    ST=$(curl -s -o resp.json -w '%{http_code}' -H 'Content-Type: application/json' \
        -H "X-Sealca-Timestamp: $_ts" -H "X-Sealca-Signature: $_h" --data-binary "$1" "$U/payments/webhook")
}
# ra_setup: CA home, RA settings, the two top administrators and the staff the tests use
ra_setup() {
    $S init --home ca --name "RA测试CA" --base-url http://127.0.0.1:8080 >/dev/null
    $S ra init --home ca >/dev/null
    mkdir -p tok
    printf 'super-password-1\naudit-password-1\n' >adm.pw
    printf 'pin-super\npin-audit\n' >adm.pin
    $S user init-admins --home ca --super root --audit audit --password-file adm.pw --pin-file adm.pin --out tok >/dev/null
    printf 'staff-password-1\n' >staff.pw
    printf 'pin-staff\n' >staff.pin
    printf 'wrong-pin\n' >wrong.pin
    for u in "entry1 entry changji" "entry2 entry urumqi-yimin" "rev1 review changji" "prod1 production changji"; do
        set -- $u
        $S user add --home ca --login "$1" --name "操作员$1" --role operator --duties "$2" \
            --service-point "$3" --password-file staff.pw --pin-file staff.pin --out tok >/dev/null
    done
    $S user add --home ca --login aud1 --name 审计员 --role auditor --password-file staff.pw \
        --pin-file staff.pin --out tok >/dev/null
    PDF="$ROOT/tests/fuzz/corpus/material/pdf_min"
    PNG="$ROOT/tests/fuzz/corpus/material/png_small"
    JPG="$ROOT/tests/fuzz/corpus/material/jpeg_small"
}
# upload JAR ORDER KIND FILE TYPE
upload() {
    _c=$(cat "$1.csrf")
    ST=$(curl -s -o resp.json -w '%{http_code}' -X PUT -b "$1" -H "X-CSRF-Token: $_c" \
        -H "Content-Type: $5" --data-binary "@$4" "$U/orders/$2/materials/$3")
}
# The organization fields of a complete order (valid USCC, ID numbers, mobiles, authorization).
org_fields() {
    _today=$(TZ=Asia/Shanghai date +%F)
    _next=$(TZ=Asia/Shanghai date -d '+1 year' +%F)
    jq -nc --arg f "$_today" --arg t "$_next" '{project:"新疆公共资源交易平台",
        org_name:"新疆测试科技有限公司", org_uscc:"91350100M000100Y43", org_address:"乌鲁木齐市测试路1号",
        legal_name:"王法人", legal_phone:"13900139000", legal_id_type:"id-card",
        legal_id_number:"11010519491231002X", agent_name:"李经办", agent_mobile:"13700137000",
        agent_id_type:"id-card", agent_id_number:"11010519491231002x", agent_email:"agent@example.cn",
        invoice_email:"invoice@example.cn", handling:"mail", return_address:"乌鲁木齐市回寄路2号",
        return_phone:"13700137000", auth_from:$f, auth_to:$t, declarations_accepted:true,
        price_confirmed:true, bank_account:"6222020200112233445"}'
}
ORG_KINDS="business-licence certificate-application seal-application service-agreement ca-agreement legal-id-front legal-id-back agent-id-front agent-id-back"
# org_cert JAR REVIEWER_JAR PRODUCER_JAR NAME: a complete online organization order, issued from
# the CSR of NAME.key and picked up; sets OID and SERIAL (NAME.pem is the certificate)
org_cert() {
    call POST /orders "$(org_fields | jq -c '. + {business:"new",subject_kind:"organization",medium:"usbkey",years:1,handling:"onsite",service_point:"changji"}')" "$1"
    expect 201 "order for $4"
    OID=$(jq -r .id resp.json)
    for _k in $ORG_KINDS; do upload "$1" "$OID" "$_k" "$PDF" application/pdf; expect 201 "upload $_k"; done
    call POST "/orders/$OID/submit" '' "$1"
    expect 200 "submit $4"
    _p=$(jq -nc --argjson o "$OID" --argjson at "$(( $(date +%s) + ${CLOCK:-0} ))" '{action:"review",order:$o,at:$at,decision:"approve"}')
    call POST "/orders/$OID/review" "$(signed rev1 staff.pin "$_p")" "$2"
    expect 200 "approve $4"
    call GET "/orders/$OID" "" "$1"
    webhook "$(jq -nc --arg n "$(jq -r .order_no resp.json)" --argjson a "$(jq .price_fen resp.json)" --arg t "T-$4" '{order_no:$n,amount_fen:$a,transaction_id:$t,status:"paid"}')"
    expect 200 "pay $4"
    sm2_csr "$4" "/CN=$4"
    call PUT "/orders/$OID/csr" "$(jq -nc --rawfile c "$4.csr" '{csr:$c}')" "$1"
    expect 200 "CSR $4"
    call POST "/orders/$OID/issue" '{}' "$3"
    expect 200 "issue $4"
    SERIAL=$(jq -r '.certificates[0]' resp.json)
    jq -r .pem resp.json >"$4.pem"
}
