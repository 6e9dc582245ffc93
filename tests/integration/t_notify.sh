# t_notify.sh - the e-mail outbox end to end with the real binary: a queued message survives a
# mail-server outage (retried, error recorded) and is delivered exactly once when the server is
# back, to a local SMTP sink (tests/tools/smtpsink.py).
. "$ROOT/tests/integration/lib.sh"
$S init --home ca --name "Notify CA"
[ -f ca/keys/data.key ] || die "init did not create the data key"
# a loopback port with nothing listening yet
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat >>ca/sealca.conf <<CONF
smtp_url = smtp://127.0.0.1:$port
smtp_from = ra@sealca.test
holidays = 2026-10-01..2026-10-07
CONF
$S notify status --home ca | grep -q "0 pending" || die "outbox not empty at start"
expect_fail notify.bad_address $S notify test --home ca --to "x@y.cn
Bcc: z@w.cn"
$S notify test --home ca --to zhang@example.cn
$S notify status --home ca | grep -q "1 pending (0 failing), 0 sent" || die "test message not queued"
# the mail server is down: refused exit, still pending, the error kept
if $S notify send --home ca >out.txt 2>err.txt; then cat out.txt err.txt; die "send succeeded with the server down"; fi
$S notify status --home ca | grep -q "1 pending (1 failing), 0 sent" || die "failure not recorded"
[ "$(dbq "SELECT attempts FROM notify_outbox")" = 1 ] || die "attempt not counted"
$S notify list --home ca | grep -q "last error" || die "last error not shown"
# before the backoff elapses a plain send tries nothing
$S notify send --home ca >/dev/null 2>&1 || true
[ "$(dbq "SELECT attempts FROM notify_outbox")" = 1 ] || die "retried before the backoff"
# the server comes up; --now makes the message due at once
mkdir mail
python3 "$ROOT/tests/tools/smtpsink.py" --dir mail --port "$port" --port-file sink.port &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
i=0; while [ ! -f sink.port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -f sink.port ] || die "smtp sink did not start"
$S notify send --home ca --now | grep -q "sent 1 message" || die "not delivered"
$S notify send --home ca --now | grep -q "sent 0 message" || die "delivered twice"
kill $sink; wait $sink 2>/dev/null || true
trap - EXIT
[ "$(ls mail | wc -l)" = 1 ] || die "expected exactly one message in the sink"
msg=mail/$(ls mail)
grep -q "X-Envelope-To: <zhang@example.cn>" "$msg" || die "wrong recipient"
grep -q "^Subject: =?UTF-8?B?" "$msg" || die "subject not RFC 2047 encoded"
[ "$(dbq "SELECT state || ':' || attempts FROM notify_outbox")" = "sent:2" ] || die "state not sent"
# both events are in the audit log, which still verifies
[ "$(dbq "SELECT COUNT(*) FROM audit WHERE action IN ('notify.test', 'notify.sent')")" = 2 ] || die "not audited"
$S audit verify --home ca >/dev/null
echo "t_notify: ok"
