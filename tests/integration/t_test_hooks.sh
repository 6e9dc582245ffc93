# t_test_hooks.sh - the test hooks (SEALCA_RA_CLOCK_OFFSET, SEALCA_CRASH_AT) work only in the test
# build: the release binary build/sealca refuses every command while one is set, naming it, and
# changes nothing; the test build ($SEALCA, build/asan/sealca) runs with them (t_ra_renew,
# t_crash, t_ra_flow show they take effect) and refuses a clock offset that is not seconds.
. "$ROOT/tests/integration/lib.sh"
REL="$ROOT/build/sealca"
[ -x "$REL" ] || die "no release binary at $REL (make build/sealca; make integration builds it)"
# refused VAR VALUE CMD...: the release binary stops with testhook.refused naming VAR
refused() {
    var=$1 val=$2; shift 2
    if env "$var=$val" "$REL" "$@" >out.txt 2>err.txt; then
        cat out.txt err.txt; die "release build ran '$*' with $var=$val set"
    else
        st=$?
    fi
    [ "$st" = 1 ] || { cat err.txt; die "release build: exit $st, not 1, for $var"; }
    grep -q '\[testhook.refused\]' err.txt || { cat err.txt; die "no testhook.refused for $var"; }
    grep -q "^sealca: error: $var 是测试钩子" err.txt || { cat err.txt; die "error does not name $var first in Chinese"; }
    grep -q "($var is a test hook" err.txt || { cat err.txt; die "no English text naming $var"; }
    [ ! -s out.txt ] || { cat out.txt; die "release build printed output for $var"; }
}

# a refused init creates nothing
for var in SEALCA_RA_CLOCK_OFFSET SEALCA_CRASH_AT; do
    refused "$var" 86400 init --home rel --name "Release CA"
    [ ! -e rel ] || die "refused init with $var created the home"
    refused "$var" "" init --home rel --name "Release CA" # set but empty is still refused
    [ ! -e rel ] || die "refused init with $var= created the home"
done

# the release binary works on the same home once the variables are gone
$S init --home ca --name "Hook CA" >/dev/null
$S ra init --home ca >/dev/null
before=$(db_state ca)
refused SEALCA_CRASH_AT issue.before_commit list --home ca
refused SEALCA_RA_CLOCK_OFFSET 31536000 ra remind --home ca
refused SEALCA_RA_CLOCK_OFFSET 31536000 serve --home ca --listen 127.0.0.1:0
[ "$(db_state ca)" = "$before" ] || die "a refused command changed the database"
if [ "${SEALCA_TEST_DB:-sqlite}" = sqlite ]; then
    "$REL" list --home ca >/dev/null || die "release build cannot list without hooks set"
    "$REL" ra remind --home ca >/dev/null || die "release build cannot ra remind without hooks set"
fi

# the test build honours the hooks: a crash point that is never reached and a valid clock offset
# do not stop it, a clock offset that is not whole seconds does
SEALCA_CRASH_AT=no.such.point $S list --home ca >/dev/null || die "test build refused SEALCA_CRASH_AT"
SEALCA_RA_CLOCK_OFFSET=-86400 $S ra remind --home ca >/dev/null ||
    die "test build refused SEALCA_RA_CLOCK_OFFSET"
before=$(db_state ca)
for bad in 1d 12x 99999999999 " "; do
    expect_fail testhook.bad_value env "SEALCA_RA_CLOCK_OFFSET=$bad" $S ra remind --home ca
    grep -q SEALCA_RA_CLOCK_OFFSET err.txt || die "bad_value does not name the variable"
done
[ "$(db_state ca)" = "$before" ] || die "a refused clock offset changed the database"

# configuration is not a hook: the release build honours SEALCA_TOKEN_KDF_MEM (bounded, and a bad
# value refused before any file is written rather than defaulted or stored unreadable)
export SEALCA_TOKEN_STATE="$PWD/anchors"
for bad in 4 1025 abc 8x -8 " 8"; do
    expect_fail token.bad_kdf_mem env "SEALCA_TOKEN_KDF_MEM=$bad" "$REL" token init --file bad.tok \
        --user-pin 123456 --admin-pin 87654321
    grep -q SEALCA_TOKEN_KDF_MEM err.txt || die "token.bad_kdf_mem does not name the variable"
    [ ! -e bad.tok ] || die "a refused SEALCA_TOKEN_KDF_MEM=$bad wrote a token"
done
SEALCA_TOKEN_KDF_MEM=8 "$REL" token init --file ok.tok --user-pin 123456 --admin-pin 87654321 >/dev/null
"$REL" token info --file ok.tok >/dev/null || die "the release build cannot read its own 8 MiB token"
echo "t_test_hooks: ok"
