#!/usr/bin/env bash
# vpbot against a misbehaving sim server (sim_fake.py): each case must end
# with a clear one-line error and the right exit code, never a crash, and
# leave a meeting.json that says why.
# usage: bad_server.sh VPBOT
set -uo pipefail
vpbot=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/vp-bad.XXXXXX)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null' EXIT
rc=0

# mode | expected exit | the exact reason: the error line is "vpbot: REASON"
# and meeting.json status.reason is REASON
cases=(
	"garbage|75|the server sent a message that is not a sim message"
	"notype|75|the server sent a message that is not a sim message"
	"oversized|75|message too large"
	"no_meeting|69|no_such_meeting: no meeting m1"
	"no_opus|69|the offer has no Opus audio to record"
	"drop|75|connection lost"
)
for c in "${cases[@]}"; do
	IFS='|' read -r mode want text <<<"$c"
	rm -f "$tmp/port"
	/usr/bin/python3 "$here/sim_fake.py" "$mode" --port-file "$tmp/port" &
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	port=$(cat "$tmp/port" 2>/dev/null)
	timeout 30 "$vpbot" join "sim+ws://127.0.0.1:$port/m1?token=secret-T" \
		--out "$tmp/out" --meeting "$mode" --log-level warn \
		>"$tmp/$mode.out" 2>"$tmp/$mode.err"
	got=$?
	wait
	msg=$(grep '^vpbot:' "$tmp/$mode.err" | head -1)
	if [ "$got" != "$want" ]; then
		echo "FAIL $mode: exit $got, expected $want ($msg)"; rc=1; continue
	fi
	if [ "$msg" != "vpbot: $text" ]; then
		echo "FAIL $mode: error '$msg', expected 'vpbot: $text'"; rc=1; continue
	fi
	if grep -rq "secret-T" "$tmp/$mode.err" "$tmp/out/$mode"; then
		echo "FAIL $mode: the token leaked into the log or the output"; rc=1
		continue
	fi
	jq -e --arg r "$text" ".status.exit_code == $want and .status.reason == \$r" \
		"$tmp/out/$mode/meeting.json" >/dev/null || { echo "FAIL $mode: meeting.json status"; rc=1; continue; }
	echo "ok   $mode: exit $got: $msg"
done
exit $rc
