# t_bad_input.sh - malformed or oversized input: a clear error, a non-zero exit, nothing written.
. "$ROOT/tests/integration/lib.sh"
$S init --home ca --name "Bad Input CA"
sm2_csr good "/CN=g"
$S issue --home ca --profile person-sign --subject "CN=李四" --id-number 11010519491231002X --csr good.csr --out good.pem
before=$(db_state ca)

# CSRs: garbage, truncated, oversized, not signed with the GM/T 0009 ID, wrong PEM label
# random bytes after a first byte that is not 0x30 (a leading 0x30 is read as DER: 1 run in 256
# failed here with csr.malformed), and garbage behind a SEQUENCE header claiming 2 GB for the DER
# branch
{ printf 'J'; head -c 2999 /dev/urandom; } > junk.bin
expect_fail csr.bad_pem $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr junk.bin --out x.pem
{ printf '\060\204\177\377\377\377'; head -c 2994 /dev/urandom; } > junk.der
expect_fail csr.malformed $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr junk.der --out x.pem
openssl req -in good.csr -outform DER -out good.der
head -c 120 good.der > trunc.der
expect_fail csr.malformed $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr trunc.der --out x.pem
head -c 70000 /dev/zero | tr '\0' 'A' > big.csr
expect_fail csr.too_big $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr big.csr --out x.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out nd.key 2>/dev/null
openssl req -new -key nd.key -subj "/CN=nd" -out nd.csr
expect_fail csr.bad_signature $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr nd.csr --out x.pem
sed 's/CERTIFICATE REQUEST/CERTIFICATE/' good.csr > label.csr
expect_fail csr.bad_pem $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr label.csr --out x.pem

# subjects and identities
expect_fail name.syntax $S issue --home ca --profile person-sign --subject "CN" --id-number 11010519491231002X --csr good.csr --out x.pem
expect_fail subject.missing_attribute $S issue --home ca --profile organization-sign --subject "CN=x" --uscc 91350100M000100Y43 --csr good.csr --out x.pem
long=$(head -c 300 /dev/zero | tr '\0' 'a')
if $S issue --home ca --profile person-sign --subject "CN=$long" --id-number 11010519491231002X --csr good.csr --out x.pem 2>err.txt; then die "overlong CN accepted"; fi
expect_fail ident.uscc_checksum $S issue --home ca --profile organization-sign --subject "CN=x,O=x" --uscc 91350100M000100Y44 --csr good.csr --out x.pem
expect_fail ident.id_checksum $S issue --home ca --profile person-sign --subject "CN=x" --id-number 110105194912310021 --csr good.csr --out x.pem
expect_fail ident.id_birthdate $S issue --home ca --profile person-sign --subject "CN=x" --id-number 110105194902300020 --csr good.csr --out x.pem
expect_fail ident.uscc_missing $S issue --home ca --profile organization-sign --subject "CN=x,O=x" --csr good.csr --out x.pem
expect_fail profile.not_found $S issue --home ca --profile nope --subject "CN=x" --csr good.csr --out x.pem
expect_fail issue.bad_days $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr good.csr --days 5000 --out x.pem
expect_fail profile.not_end_entity $S issue --home ca --profile root-ca --subject "CN=x,O=x,C=CN" --csr good.csr --out x.pem

# serials and revocation
expect_fail serial.bad $S revoke --home ca --serial zz --reason keyCompromise
expect_fail serial.bad $S revoke --home ca --serial 0102 --reason keyCompromise
expect_fail cert.not_found $S revoke --home ca --serial 00000000000000000000000000000001 --reason keyCompromise
if $S revoke --home ca --serial "$(serial_of good.pem)" --reason bogus 2>/dev/null; then die "bogus reason accepted"; fi
expect_fail resume.not_held $S resume --home ca --serial "$(serial_of good.pem)"
expect_fail crl.no_base $S crl --home ca --delta --out d.crl

# wrong passphrase: refused, nothing changed
if SEALCA_PASSPHRASE=wrong $S issue --home ca --profile person-sign --subject "CN=x" --id-number 11010519491231002X --csr good.csr --out x.pem 2>err.txt; then die "wrong passphrase accepted"; fi
grep -q key.bad_passphrase err.txt || die "wrong passphrase error"

[ ! -e x.pem ] && [ ! -e d.crl ] || die "a refused command wrote a file"
[ "$before" = "$(db_state ca)" ] || die "a refused command changed the database"

# revoking twice changes nothing the second time
$S revoke --home ca --serial "$(serial_of good.pem)" --reason superseded
after1=$(db_state ca)
expect_fail revoke.already_revoked $S revoke --home ca --serial "$(serial_of good.pem)" --reason keyCompromise
[ "$after1" = "$(db_state ca)" ] || die "second revoke changed the database"

# config: a broken or unknown key is refused with the line named
cp ca/sealca.conf conf.bak
printf 'bogus_key = 1\n' >> ca/sealca.conf
expect_fail conf.unknown_key $S list --home ca
cp conf.bak ca/sealca.conf
printf 'crl_hours = many\n' >> ca/sealca.conf
if $S list --home ca 2>err.txt >/dev/null; then die "bad config accepted"; fi
cp conf.bak ca/sealca.conf
head -c 70000 /dev/zero | tr '\0' '#' > ca/sealca.conf
if $S list --home ca 2>err.txt >/dev/null; then die "oversized config accepted"; fi
cp conf.bak ca/sealca.conf
$S list --home ca >/dev/null

# init refuses an existing home and a plaintext-key-free passphrase
expect_fail ca.home_exists $S init --home ca
if SEALCA_PASSPHRASE= $S init --home new 2>err.txt; then die "init without passphrase"; fi
[ ! -e new ] || die "refused init created a directory"
$S audit verify --home ca
