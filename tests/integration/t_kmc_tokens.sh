# t_kmc_tokens.sh - the holder's flow of docs/tokens.md end to end with the CLI: token, GM/T 0092
# request, dual issuance, import, envelopes (OpenSSL does the key transport and opens the content),
# signatures OpenSSL verifies, wrong PINs and exit codes, online unlock, the guide's warning (old
# bid opened on a replacement key after a two-officer recovery), activation codes, bad input.
. "$ROOT/tests/integration/lib.sh"
export SEALCA_TOKEN_STATE="$PWD/anchors" SEALCA_TOKEN_KDF_MEM=8
mkdir -p anchors
ORG="CN=福州测试科技有限公司,O=福州测试科技有限公司,C=CN"

$S init --home ca --name "KMC 集成测试 CA" >/dev/null
$S kmc init --home ca --pool-min 2 --pool-target 4
$S kmc stats --home ca | grep -q "standby: 4" || die "standby pool not filled to 4"

# ---- the holder's flow ----
$S token init --file T.tok --user-pin 123456 --admin-pin 87654321 --serial SN-IT-1
$S token csr --file T.tok --pin 123456 --subject "$ORG" --out req.der
openssl req -inform DER -in req.der -noout -verify -vfyopt "$DISTID" 2>&1 | grep -q "verify OK" ||
    die "OpenSSL does not verify the token's GM/T 0092 request"
$S issue-dual --home ca --profile organization --uscc 91350100M000100Y43 --csr req.der --out resp.der
$S token import --file T.tok --pin 123456 resp.der
$S token certs --file T.tok --out-sign sign.pem --out-enc enc.pem
# certificates without the PIN too (as a USB key exports them)
$S token certs --file T.tok --out-sign sign2.pem
cmp sign.pem sign2.pem || die "public certificate copy differs"
openssl x509 -in sign.pem -noout -ext keyUsage | grep -q "Digital Signature" || die "sign KU"
openssl x509 -in enc.pem -noout -ext keyUsage | grep -q "Key Encipherment" || die "enc KU"
$S chain --home ca >chain.pem
$S verify-cert --cert enc.pem --chain chain.pem >/dev/null || die "enc cert does not verify"
$S verify-cert --cert sign.pem --chain chain.pem >/dev/null || die "sign cert does not verify"
dbq "SELECT state FROM kmc_keys WHERE enc_serial = lower('$(serial_of enc.pem)')" | grep -q inuse ||
    die "the escrowed key is not in the in-use pool"

# a second recipient
$S token init --file U.tok --user-pin 222222 --admin-pin 87654321
$S token csr --file U.tok --pin 222222 --subject "CN=第二投标人,O=第二投标人,C=CN" --out req2.der
$S issue-dual --home ca --profile organization --uscc 91350100M000100Y43 --csr req2.der --out resp2.der
$S token import --file U.tok --pin 222222 resp2.der
$S token certs --file U.tok --pin 222222 --out-enc enc2.pem

head -c 300000 /dev/urandom >bid.pdf
$S envelope encrypt --to enc.pem --to enc2.pem --out bid.env bid.pdf
$S envelope decrypt --file T.tok --pin 123456 --out bid.out bid.pdf.missing 2>/dev/null && die "decrypted a missing file"
$S envelope decrypt --file T.tok --pin 123456 --out bid.out bid.env
cmp bid.pdf bid.out || die "first recipient got different content"
$S token decrypt --file U.tok --pin 222222 --out bid.out2 bid.env
cmp bid.pdf bid.out2 || die "second recipient got different content"

# ---- interop: OpenSSL's pkeyutl does the key transport, openssl enc opens the content ----
printf 'judicial-pass-1\n' >pw
ENC=$(serial_of enc.pem)
ID=$($S kmc recover-request --home ca --kind judicial --enc-serial "$ENC" --requester alice --case "(2026)闽01刑初9号")
expect_fail kmc.recovery_not_approved $S kmc recover-release --home ca --id "$ID" --officer bob --password-file pw --out k.pem
expect_fail kmc.recovery_self_approval $S kmc recover-approve --home ca --id "$ID" --officer alice
$S kmc recover-approve --home ca --id "$ID" --officer bob
expect_fail kmc.recovery_same_officer $S kmc recover-approve --home ca --id "$ID" --officer bob
$S kmc recover-approve --home ca --id "$ID" --officer carol
$S kmc recover-release --home ca --id "$ID" --officer carol --password-file pw --out k.pem
expect_fail kmc.recovery_not_approved $S kmc recover-release --home ca --id "$ID" --officer carol --password-file pw --out k2.pem
openssl pkey -in k.pem -passin file:pw -out enc.key
openssl asn1parse -inform DER -in bid.env >asn.txt
grep -q ":1.2.156.10197.6.1.4.2.3" asn.txt || die "not a GM/T 0010 envelopedData"
grep -q ":1.2.156.10197.1.301.3" asn.txt || die "no SM2 key transport OID"
# the RecipientInfo for enc.pem: the OCTET STRING after the SM2 OID that follows its serial
line=$(grep -n ":$ENC\$" asn.txt | cut -d: -f1)
ekline=$(sed -n "$((line + 3))p" asn.txt)
echo "$ekline" | grep -q "OCTET STRING" || die "unexpected RecipientInfo layout: $ekline"
off=$(echo "$ekline" | sed 's/^ *\([0-9]*\):.*/\1/')
openssl asn1parse -inform DER -in bid.env -strparse "$off" -noout -out ek.der
openssl pkeyutl -decrypt -inkey enc.key -in ek.der -out ck.bin
[ "$(wc -c <ck.bin)" -eq 16 ] || die "content key is not 16 bytes"
iv=$(grep -A1 ":sm4-cbc" asn.txt | tail -1 | sed 's/.*DUMP\]://')
cline=$(grep "cont \[ 0 \]" asn.txt | tail -1)
coff=$(echo "$cline" | sed 's/^ *\([0-9]*\):.*/\1/')
chl=$(echo "$cline" | sed 's/.*hl= *\([0-9]*\).*/\1/')
cl=$(echo "$cline" | sed 's/.* l= *\([0-9]*\).*/\1/')
dd if=bid.env of=ct.bin bs=4096 iflag=skip_bytes,count_bytes skip=$((coff + chl)) count="$cl" 2>/dev/null
openssl enc -d -sm4-cbc -K "$(od -An -tx1 ck.bin | tr -d ' \n')" -iv "$iv" -in ct.bin -out bid.ossl
cmp bid.pdf bid.ossl || die "OpenSSL opened different content"

# ---- signatures OpenSSL verifies with the GM/T 0009 ID ----
$S token sign --file T.tok --pin 123456 --out bid.sig bid.pdf
openssl x509 -in sign.pem -noout -pubkey >signpub.pem
openssl dgst -sm3 -verify signpub.pem -sigopt "$DISTID" -signature bid.sig bid.pdf | grep -q "Verified OK" ||
    die "OpenSSL does not verify the token's signature"

# ---- wrong PINs: exit status 3 with the tries left, 4 when locked ----
set +e
$S token sign --file T.tok --pin 000000 --out x.sig bid.pdf 2>err.txt; rc=$?
set -e
[ "$rc" -eq 3 ] || die "wrong PIN exit status $rc, expected 3"
grep -q "5 tries left" err.txt || die "no tries-left message: $(cat err.txt)"
grep -q "还可尝试 5 次" err.txt || die "no Chinese tries-left message"
$S token info --file T.tok | grep -q "user PIN tries left: 5 of 6" || die "counter not on disk"
cp T.tok T.old
for i in 4 3 2 1; do
    set +e; $S token sign --file T.tok --pin 000000 --out x.sig bid.pdf 2>err.txt; rc=$?; set -e
    [ "$rc" -eq 3 ] && grep -q "$i tries left" err.txt || die "try $i: status $rc $(cat err.txt)"
done
set +e; $S token sign --file T.tok --pin 000000 --out x.sig bid.pdf 2>err.txt; rc=$?; set -e
[ "$rc" -eq 4 ] || die "sixth wrong PIN: status $rc, expected 4 (locked)"
set +e; $S token sign --file T.tok --pin 123456 --out x.sig bid.pdf 2>err.txt; rc=$?; set -e
[ "$rc" -eq 4 ] || die "a locked token accepted the right PIN"
# copying an old file back does not give the tries back
cp T.tok T.locked
cp T.old T.tok
expect_fail token.rolled_back $S token sign --file T.tok --pin 123456 --out x.sig bid.pdf
cp T.locked T.tok

# ---- online PIN unlock: only a managed token (admin PIN derived by the KMC) ----
$S token init --file M.tok --user-pin 333333 --managed --home ca --serial DEV-IT-9
for i in 1 2 3 4 5 6; do $S token info --file M.tok >/dev/null; $S token sign --file M.tok --pin 999999 --out x.sig bid.pdf 2>/dev/null || true; done
$S token info --file M.tok | grep -q "locked" || die "M.tok not locked"
$S token unlock-request --file M.tok --out ureq.der
expect_fail kmc.unlock_order $S kmc unlock-answer --home ca --request ureq.der --new-pin 444444 --order "" --out uans.der
$S kmc unlock-answer --home ca --request ureq.der --new-pin 444444 --order RA-2026-0042 --out uans.der
expect_fail kmc.unlock_replay $S kmc unlock-answer --home ca --request ureq.der --new-pin 555555 --order RA-2026-0043 --out uans2.der
# a forged answer: last byte of the MAC flipped
cp uans.der forged.der
last=$(($(wc -c <forged.der) - 1))
b=$(od -An -tu1 -j "$last" -N1 forged.der | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 1)))" | dd of=forged.der bs=1 seek="$last" conv=notrunc 2>/dev/null
expect_fail unlock.forged $S token unlock --file M.tok forged.der
$S token unlock --file M.tok uans.der
expect_fail unlock.replayed $S token unlock --file M.tok uans.der
$S token info --file M.tok | grep -q "user PIN tries left: 6 of 6" || die "counter not reset by the unlock"
dbq "SELECT COUNT(*) FROM audit WHERE action = 'kmc.pin_unlock'" | grep -qx 1 || die "unlock not audited once"

# ---- the guide's warning: the key breaks, the old bid still opens on the replacement key ----
rm -f T.tok
$S token init --file T2.tok --user-pin 123456 --admin-pin 87654321
$S token csr --file T2.tok --pin 123456 --subject "$ORG" --out req3.der
$S issue --home ca --profile organization-sign --uscc 91350100M000100Y43 --subject "$ORG" --csr req3.der --out newsign.pem
RID=$($S kmc recover-request --home ca --kind damaged --enc-serial "$ENC" --requester ra-clerk --case RA-2026-0099 --reason "USB key broken")
$S kmc recover-approve --home ca --id "$RID" --officer officer-1
$S kmc recover-approve --home ca --id "$RID" --officer officer-2
$S kmc recover-release --home ca --id "$RID" --officer officer-2 --sign-cert newsign.pem --out rec.der
$S token import --file T2.tok --pin 123456 rec.der
$S envelope decrypt --file T2.tok --pin 123456 --out bid.recovered bid.env
cmp bid.pdf bid.recovered || die "the old bid does not open on the replacement key"
# another holder's recovery response is refused by this token and changes nothing
cp T2.tok T2.before
expect_fail token.wrong_cert $S token import --file T2.tok --pin 123456 resp2.der
expect_fail csrresp.malformed $S token import --file T2.tok --pin 123456 bid.sig

# ---- mobile certificate: one-time, expiring activation code, text and QR PNG ----
$S kmc activation-create --home ca --file T2.tok --ttl 600 --qr code.png >act.txt
code=$(sed -n 's/.*activation code: \([0-9A-Z-]*\).*/\1/p' act.txt)
[ -n "$code" ] || die "no activation code printed"
head -c 8 code.png | od -An -c | grep -q "P   N   G" || die "QR code is not a PNG"
$S kmc activation-redeem --home ca --code "$code" --out phone.tok
cmp phone.tok T2.tok || die "the phone got another token"
expect_fail kmc.activation_used $S kmc activation-redeem --home ca --code "$code" --out phone2.tok
[ ! -e phone2.tok ] || die "a used code wrote a file"
$S envelope decrypt --file phone.tok --pin 123456 --out bid.phone bid.env
cmp bid.pdf bid.phone || die "the mobile certificate does not open the bid"

# ---- bad input: each a clear error, nothing written ----
head -c 100 T2.tok >trunc.tok
expect_fail token.malformed $S token info --file trunc.tok
expect_fail token.read $S token info --file nonexistent.tok
head -c 20000 bid.env >trunc.env
expect_fail envelope.malformed $S envelope decrypt --file T2.tok --pin 123456 --out never.out trunc.env
[ ! -e never.out ] || die "a truncated envelope produced output"
expect_fail envelope.bad_cert $S envelope encrypt --to bid.sig --out never.env bid.pdf
[ ! -e never.env ] || die "a refused encryption wrote a file"
expect_fail token.exists $S token init --file T2.tok --user-pin 123456 --admin-pin 87654321
expect_fail token.pin_length $S token init --file short.tok --user-pin 123 --admin-pin 87654321
expect_fail kmc.no_dual_profile $S issue-dual --home ca --profile nosuch --csr req3.der --out x.der
state0=$(db_state ca)
expect_fail csr.malformed $S issue-dual --home ca --profile organization --uscc 91350100M000100Y43 --csr bid.sig --out x.der
[ "$(db_state ca)" = "$state0" ] || die "a refused dual issuance changed the database"
[ ! -e x.der ] || die "a refused issuance wrote a response"
ls | grep -q '\.tmp' && die "temporary files left behind"

$S kmc stats --home ca
$S audit verify --home ca >/dev/null
echo "t_kmc_tokens: ok"
