#!/bin/sh
# Installs the Debian packages sealca needs that are missing. Idempotent; fast when all is present.
# As root it installs them; otherwise it prints the apt-get command to run.
set -eu
PKGS="build-essential pkg-config libssl-dev openssl libsqlite3-dev sqlite3 libcmocka-dev \
libpq-dev postgresql postgresql-client libmicrohttpd-dev libseccomp-dev slapd ldap-utils libldap-dev \
clang libclang-rt-14-dev llvm clang-format cppcheck valgrind botan hyperfine time bc wrk curl \
libjansson-dev libsodium-dev libcairo2-dev libpango1.0-dev fonts-noto-cjk libpng-dev libjpeg-dev \
libqrencode-dev libzip-dev libxml2-dev libcurl4-openssl-dev chromium \
libpoppler-glib-dev poppler-utils libfontconfig-dev jq python3"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
# npm for the browser-test tooling (playwright-core): any npm will do (Debian's, or one bundled
# with an installed nodejs)
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "sealca: missing packages:$missing" >&2
    echo "run as root: apt-get update && $cmd" >&2
    exit 1
fi
echo "sealca: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || apt-get update
apt-get install -y -qq --no-install-recommends $missing >/dev/null
