#!/bin/sh
# make run: a demo CA home under ./var (made once), a demo organization certificate, and what to try next.
set -eu
cd "$(dirname "$0")/.."
S=./build/sealca
HOME_DIR=var/demo-ca
PASSFILE=var/demo-passphrase
mkdir -p var
chmod 700 var
if [ ! -f "$HOME_DIR/sealca.conf" ]; then
    if [ -e "$HOME_DIR" ]; then
        echo "sealca: $HOME_DIR exists but is incomplete; remove it and run make run again" >&2
        exit 1
    fi
    # DEMO ONLY: a random passphrase kept beside the home. A real CA keeps it elsewhere.
    head -c 18 /dev/urandom | base64 > "$PASSFILE"
    chmod 600 "$PASSFILE"
    $S init --home "$HOME_DIR" --passphrase-file "$PASSFILE" --name "sealca 演示CA" \
        --base-url http://127.0.0.1:8080
    echo
    echo "  *** DEMO passphrase (shown once; also in $PASSFILE): $(cat "$PASSFILE") ***"
    echo
fi
# the registration service (catalog with the guide's service points) and the KMC, once
[ -f "$HOME_DIR/ra-catalog.json" ] || $S ra init --home "$HOME_DIR" --passphrase-file "$PASSFILE"
[ -f "$HOME_DIR/kmc/master.key" ] ||
    $S kmc init --home "$HOME_DIR" --passphrase-file "$PASSFILE" --pool-min 4 --pool-target 16
# DEMO ONLY: the two peer administrators (三员分立) with random passwords and PINs under
# var/demo-staff; each has a staff certificate key for `sealca agent` (see docs/portal.md)
if [ ! -d var/demo-staff ]; then
    mkdir -m 700 var/demo-staff
    pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+='); pin=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ' | cut -c1-6)
    printf '%s\n%s\n' "Demo-$pw" "Demo-$pw" >var/demo-staff/passwords
    printf '%s\n%s\n' "$pin" "$pin" >var/demo-staff/pins
    chmod 600 var/demo-staff/passwords var/demo-staff/pins
    $S user init-admins --home "$HOME_DIR" --passphrase-file "$PASSFILE" --super admin --audit auditadmin \
        --out var/demo-staff --password-file var/demo-staff/passwords --pin-file var/demo-staff/pins
fi
if [ ! -f var/demo-org.pem ]; then
    $S issue --home "$HOME_DIR" --passphrase-file "$PASSFILE" --profile organization-sign \
        --subject "CN=新疆示例建设有限公司,O=新疆示例建设有限公司,C=CN" --uscc 91350100M000100Y43 \
        --keygen --key-out var/demo-org.key --out var/demo-org.pem
fi
cat <<EOT

sealca demo CA is ready; starting the server (Ctrl-C stops it).
  home:            $HOME_DIR  (config sealca.conf, keys/ encrypted, ca.db)
  CA chain:        $HOME_DIR/certs/chain.pem
  demo org cert:   var/demo-org.pem  (key var/demo-org.key, encrypted with the demo passphrase)

Try next:
  export SEALCA_HOME=$HOME_DIR SEALCA_PASSPHRASE=\$(cat $PASSFILE)
  $S list
  $S show --serial \$(openssl x509 -in var/demo-org.pem -noout -serial | cut -d= -f2)
  openssl x509 -in var/demo-org.pem -noout -text -nameopt utf8
  $S revoke --serial <SERIAL> --reason certificateHold && $S crl --out var/demo.crl
  $S verify-crl --crl var/demo.crl && $S audit verify
  $S profiles
  curl http://127.0.0.1:8080/crl/sub-1.crl -o sub-1.crl     # the CRL, as relying parties fetch it
  openssl ocsp -issuer $HOME_DIR/certs/sub-1.pem -cert var/demo-org.pem -url http://127.0.0.1:8080/ocsp -noverify
Web: applicant portal http://127.0.0.1:8080/  staff console http://127.0.0.1:8080/staff
  (demo administrators admin / auditadmin: password and PIN in var/demo-staff/; the staff
  console signs its login challenge through a local agent: docs/portal.md)
See docs/quickstart.md (new users), docs/operator.md (operators), docs/relying-party.md (platforms).

EOT
exec $S serve --home "$HOME_DIR" --passphrase-file "$PASSFILE" --listen "${SEALCA_LISTEN:-127.0.0.1:8080}" \
    --access-log var/access.log
