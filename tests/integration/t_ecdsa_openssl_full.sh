# t_ecdsa_openssl_full.sh - an ECDSA P-256 CA, where OpenSSL checks everything: chain, CRL signature, revocation.
. "$ROOT/tests/integration/lib.sh"
$S init --home ca --algo ecdsa-p256 --name "Example Platform CA" --base-url http://127.0.0.1:8080
cat ca/certs/sub-1.pem ca/certs/root-1.pem > chain.pem
p256_csr a "/CN=a"
p256_csr b "/CN=b"
$S issue --home ca --profile organization-sign --subject "CN=甲公司,O=甲公司,C=CN" --uscc 91350100M000100Y43 --csr a.csr --out a.pem
$S issue --home ca --profile organization-sign --subject "CN=乙公司,O=乙公司,C=CN" --uscc 91350100M000100Y43 --csr b.csr --out b.pem
openssl verify -CAfile chain.pem a.pem b.pem
$S revoke --home ca --serial "$(serial_of b.pem)" --reason superseded
$S crl --home ca --out sub.crl
$S crl --home ca --issuer root-1 --out root.crl
openssl crl -inform DER -in sub.crl -out sub.crl.pem
openssl crl -inform DER -in root.crl -out root.crl.pem
cat sub.crl.pem root.crl.pem > crls.pem
openssl verify -crl_check_all -CRLfile crls.pem -CAfile chain.pem a.pem
if openssl verify -crl_check_all -CRLfile crls.pem -CAfile chain.pem b.pem >out.txt 2>&1; then die "revoked certificate verified"; fi
grep -q "certificate revoked" out.txt || { cat out.txt; die "expected 'certificate revoked'"; }
# a wrong-algorithm CSR is refused with a clear message
sm2_csr s "/CN=s"
expect_fail csr.wrong_alg $S issue --home ca --profile organization-sign --subject "CN=x,O=x" --uscc 91350100M000100Y43 --csr s.csr --out s.pem
[ ! -e s.pem ] || die "refused issuance wrote a file"
$S audit verify --home ca
