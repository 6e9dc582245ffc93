# t_rollover_profiles.sh - CA rollover with link certificates; profiles added, changed, retired.
. "$ROOT/tests/integration/lib.sh"
$S init --home ca --name "Rollover CA" --base-url http://127.0.0.1:8080
sm2_csr a "/CN=a"
$S issue --home ca --profile person-sign --subject "CN=旧证书" --id-number 11010519491231002X --csr a.csr --out old.pem
$S ca rollover --home ca
[ -f ca/certs/sub-2.pem ] && [ -f ca/certs/sub-1-by-sub-2.pem ] && [ -f ca/certs/sub-2-by-sub-1.pem ] || die "rollover files"
R=ca/certs/root-1.pem
openssl verify -vfyopt "$DISTID" -CAfile $R ca/certs/sub-2.pem
# old-with-new: the old CA's key certified by the new CA; new-with-old: the reverse
openssl verify -vfyopt "$DISTID" -partial_chain -CAfile ca/certs/sub-2.pem ca/certs/sub-1-by-sub-2.pem
openssl verify -vfyopt "$DISTID" -partial_chain -CAfile ca/certs/sub-1.pem ca/certs/sub-2-by-sub-1.pem
[ "$(openssl x509 -in ca/certs/sub-1-by-sub-2.pem -noout -pubkey)" = "$(openssl x509 -in ca/certs/sub-1.pem -noout -pubkey)" ] || die "link key"
# an old certificate verifies through the new CA via the link
openssl verify -vfyopt "$DISTID" -partial_chain -CAfile ca/certs/sub-1-by-sub-2.pem old.pem
$S issue --home ca --profile person-sign --subject "CN=新证书" --id-number 11010519491231002X --csr a.csr --out new.pem
openssl x509 -in new.pem -noout -text | grep -q "crl/sub-2.crl" || die "new certificates come from sub-2"
sm2_verify_chain new.pem ca/certs/sub-2.pem $R
$S revoke --home ca --serial "$(serial_of old.pem)" --reason superseded
$S crl --home ca --issuer sub-1 --out old.crl
$S verify-crl --home ca --crl old.crl | grep -q "issuer sub-1" || die "old CA still signs its CRL"
openssl crl -inform DER -in old.crl -noout -text | grep -qi "$(serial_of old.pem)" || die "old CRL lists the revoked old certificate"
$S chain --home ca | openssl x509 -noout -subject | grep -q "G2" || die "chain starts at the new CA"

# profiles as data
$S profiles --home ca > profiles.txt
for p in organization person legal-representative cost-engineer expert; do
    grep -q "^$p-sign " profiles.txt && grep -q "^$p-enc " profiles.txt || die "profile $p missing"
done
cat > bidder.prof <<'P'
label = 投标人签名证书
label_en = Bidder signing certificate
key_usage = digitalSignature
subject_required = CN, O
identity = uscc
max_days = 730
default_days = 365
P
$S profile add bidder-sign --home ca --file bidder.prof
$S issue --home ca --profile bidder-sign --subject "CN=丙公司,O=丙公司" --uscc 91350100M000100Y43 --csr a.csr --out b1.pem
sed -i 's/key_usage = digitalSignature/key_usage = digitalSignature, nonRepudiation/' bidder.prof
$S profile set bidder-sign --home ca --file bidder.prof
$S profile show bidder-sign --home ca | grep -q "version 2" || die "profile version"
openssl x509 -in b1.pem -noout -text | grep -q "Non Repudiation" && die "issued certificate changed"
$S show --home ca --serial "$(serial_of b1.pem)" | grep -q "version 1" || die "issued under version 1"
$S profile retire bidder-sign --home ca
expect_fail profile.retired $S issue --home ca --profile bidder-sign --subject "CN=丙公司,O=丙公司" --uscc 91350100M000100Y43 --csr a.csr --out b2.pem
printf 'key_usage = keyCertSign\n' > bad.prof
expect_fail profile.bad_key_usage $S profile add evil --home ca --file bad.prof
$S audit verify --home ca
