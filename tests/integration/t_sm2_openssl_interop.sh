# t_sm2_openssl_interop.sh - an SM2 CA's certificates and CRLs as OpenSSL (and our verifier) see them.
. "$ROOT/tests/integration/lib.sh"
$S init --home ca --name "新疆示例电子认证中心" --base-url http://127.0.0.1:8080
R=ca/certs/root-1.pem; I=ca/certs/sub-1.pem
sm2_verify_chain ca/certs/ocsp-1.pem $I $R
sm2_verify_chain ca/certs/sealmaker-1.pem $I $R
openssl x509 -in ca/certs/ocsp-1.pem -noout -text | grep -q "OCSP Signing" || die "OCSP EKU missing"
openssl x509 -in ca/certs/ocsp-1.pem -noout -text | grep -q "OCSP No Check" || die "ocsp-nocheck missing"

sm2_csr org "/CN=ignored"
$S issue --home ca --profile organization-sign --subject "CN=乌鲁木齐某某建设有限公司,O=乌鲁木齐某某建设有限公司,C=CN" \
    --uscc 91350100M000100Y43 --csr org.csr --out org.pem
sm2_verify_chain org.pem $I $R
openssl x509 -in org.pem -noout -subject -nameopt utf8 | grep -q "CN=乌鲁木齐某某建设有限公司" || die "Chinese subject not intact"
openssl x509 -in org.pem -noout -text > org.txt
grep -q "Digital Signature, Non Repudiation" org.txt || die "signing key usage"
! grep -q "Basic Constraints" org.txt || die "end-entity certificate must not carry basicConstraints"
grep -q "1.2.156.10260.4.4" org.txt || die "USCC extension missing"
grep -q "URI:http://127.0.0.1:8080/crl/sub-1.crl" org.txt || die "CRL DP"
grep -q "OCSP - URI:http://127.0.0.1:8080/ocsp" org.txt || die "AIA OCSP"
grep -q "CA Issuers - URI:http://127.0.0.1:8080/ca/sub-1.crt" org.txt || die "AIA caIssuers"
# the certificate's own public key is the CSR's
[ "$(openssl x509 -in org.pem -noout -pubkey)" = "$(openssl pkey -in org.key -pubout)" ] || die "key mismatch"

sm2_csr enc "/CN=x"
$S issue --home ca --profile organization-enc --subject "CN=乌鲁木齐某某建设有限公司,O=乌鲁木齐某某建设有限公司,C=CN" \
    --uscc 91350100M000100Y43 --csr enc.csr --out enc.pem
openssl x509 -in enc.pem -noout -text | grep -q "Key Encipherment, Data Encipherment, Key Agreement" || die "enc key usage"
sm2_verify_chain enc.pem $I $R

for p in person legal-representative cost-engineer expert; do
    subj="CN=张三"
    [ $p = legal-representative ] && subj="CN=张三,O=乌鲁木齐某某建设有限公司"
    $S issue --home ca --profile $p-sign --subject "$subj" --id-number 11010519491231002X \
        --keygen --key-out $p.key --out $p.pem
    sm2_verify_chain $p.pem $I $R
    openssl pkey -in $p.key -passin env:SEALCA_PASSPHRASE -noout || die "generated key not readable"
    $S verify-cert --cert $p.pem --chain ca/certs/chain.pem
done
$S chain --home ca > chain.pem
[ "$(grep -c BEGIN chain.pem)" = 2 ] || die "chain must hold issuing CA and root"

# revocation, hold, CRLs
$S revoke --home ca --serial "$(serial_of org.pem)" --reason keyCompromise --invalidity-date 2026-01-02
$S revoke --home ca --serial "$(serial_of person.pem)" --reason certificateHold
$S crl --home ca --out full.crl
openssl crl -inform DER -in full.crl -noout -text > crl.txt
grep -q "Key Compromise" crl.txt && grep -q "Certificate Hold" crl.txt || die "reasons missing from CRL"
grep -q "Invalidity Date" crl.txt || die "invalidity date missing"
grep -qi "$(serial_of org.pem)" crl.txt || die "revoked serial missing from CRL"
$S verify-crl --home ca --crl full.crl
$S resume --home ca --serial "$(serial_of person.pem)"
$S crl --home ca --out delta.crl --delta
openssl crl -inform DER -in delta.crl -noout -text > d.txt
grep -q "Delta CRL Indicator: critical" d.txt && grep -q "Remove From CRL" d.txt || die "delta CRL content"
$S verify-crl --home ca --crl delta.crl
# a damaged CRL is refused by our verifier
cp full.crl bad.crl
printf '\001' | dd of=bad.crl bs=1 seek=60 conv=notrunc 2>/dev/null
if $S verify-crl --home ca --crl bad.crl 2>/dev/null; then die "damaged CRL verified"; fi
# CRL numbers only grow
n1=$(openssl crl -inform DER -in full.crl -noout -crlnumber | cut -d= -f2)
n2=$(openssl crl -inform DER -in delta.crl -noout -crlnumber | cut -d= -f2)
[ $(($n2)) -gt $(($n1)) ] || die "CRL number did not grow"
$S audit verify --home ca

# real certificates from another producer (Tongsuo) verify through sealca's own code, and a
# modified one does not
T="$FIXTURES/certs/tongsuo"
$S verify-cert --cert "$T/server_sign.crt" --chain "$T/chain-ca.crt"
$S verify-cert --cert "$T/server_enc.crt" --chain "$T/chain-ca.crt"
openssl x509 -in "$T/server_sign.crt" -outform DER -out ts.der
size=$(stat -c %s ts.der)
printf '\001' | dd of=ts.der bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
if $S verify-cert --cert ts.der --chain "$T/chain-ca.crt" 2>/dev/null; then die "tampered Tongsuo certificate verified"; fi
