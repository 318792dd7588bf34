#!/usr/bin/env bash
# The command line's bad input: each case is refused with a one-line error
# naming the problem and the sysexits(3) code of DESIGN §7, before any
# network activity, and nothing is recorded.
# usage: cli.sh VPBOT RTPGEN
set -uo pipefail
vpbot=$1 rtpgen=$2
data=$(cd "$(dirname "$0")/../data" && pwd)
tmp=$(mktemp -d /tmp/vp-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rc=0

expect() { # expect CODE TEXT -- ARGS...
	local want=$1 text=$2 got msg
	shift 3
	timeout 20 "$vpbot" "$@" >"$tmp/out.txt" 2>"$tmp/err.txt"
	got=$?
	msg=$(grep '^vpbot:' "$tmp/err.txt" | head -1)
	if [ "$got" != "$want" ] || ! grep -q -- "$text" <<<"$msg"; then
		echo "FAIL vpbot $*: exit $got ($msg), expected $want with '$text'"
		rc=1
	else
		echo "ok   exit $got: $msg"
	fi
}

# invite URLs (DESIGN §4): exit 64 before any network activity
expect 64 "unknown scheme" -- join "http://127.0.0.1/1" --out "$tmp/o"
expect 64 "room" -- join "janus+ws://127.0.0.1:8188/" --out "$tmp/o"
expect 64 "port" -- join "janus+ws://127.0.0.1:99999/1234" --out "$tmp/o"
expect 64 "plugin" -- join "janus+ws://127.0.0.1:8188/1234?plugin=nope" --out "$tmp/o"
expect 64 "rate" -- join "janus+ws://127.0.0.1:8188/1" --out "$tmp/o" --rate 44100
expect 64 "out" -- join "janus+ws://127.0.0.1:8188/1"
expect 64 "unknown command" -- fly
# a pin never shows up in an error
timeout 5 "$vpbot" join "janus+ws://127.0.0.1:99999/1234?pin=SECRETPIN" \
	--out "$tmp/o" 2>&1 | grep -q SECRETPIN && { echo "FAIL: pin leaked"; rc=1; }

# job files: exit 65 with the field named
printf '{"invite":"janus+ws://127.0.0.1:1/1","out":"%s","rate":"fast"}' "$tmp" >"$tmp/j1.json"
expect 65 "job: rate must be a number" -- run "$tmp/j1.json"
printf '{"out":"%s"}' "$tmp" >"$tmp/j2.json"
expect 65 "job: invite is required" -- run "$tmp/j2.json"
printf '{"invite":"janus+ws://127.0.0.1:1/1","out":"%s","max_duraton_s":5}' "$tmp" >"$tmp/j3.json"
expect 65 "unknown key 'max_duraton_s'" -- run "$tmp/j3.json"
printf '{"invite":' >"$tmp/j4.json"
expect 65 "not valid JSON" -- run "$tmp/j4.json"
expect 65 "No such file" -- run "$tmp/none.json"
# settings that are not valid: 65 with the field, nothing joined
printf '{"invite":"janus+ws://127.0.0.1:1/1","out":"%s/o","settings_file":"%s/bad_consent_mode.json","meeting":{"invitees":[],"private":false}}' \
	"$tmp" "$data/settings" >"$tmp/j5.json"
expect 65 "consent.mode" -- run "$tmp/j5.json"
# policy says no: 77, meeting.json says why, no audio, never joined
printf '{"invite":"janus+ws://127.0.0.1:1/1","out":"%s/o","meeting_id":"priv","settings_file":"%s/company.json","meeting":{"organizer":"alice@example.com","invitees":["erin@customer.test"],"private":true,"conference_url":"https://x"}}' \
	"$tmp" "$data/settings" >"$tmp/j6.json"
expect 77 "private_meeting" -- run "$tmp/j6.json"
jq -e '.policy.verdict == "deny" and .status.exit_code == 77' \
	"$tmp/o/priv/meeting.json" >/dev/null || { echo "FAIL: meeting.json of a denied meeting"; rc=1; }
[ ! -e "$tmp/o/priv/streams" ] || { echo "FAIL: a denied meeting has streams"; rc=1; }
# run without settings fails closed
printf '{"invite":"janus+ws://127.0.0.1:1/1","out":"%s/o","meeting_id":"nos"}' "$tmp" >"$tmp/j7.json"
expect 65 "no company settings" -- run "$tmp/j7.json"

# captures: 65 for unreadable, not a capture, empty, no Opus
expect 65 "No such file" -- replay "$tmp/none.pcap" --out "$tmp/o"
echo "not a capture" >"$tmp/junk.pcap"
expect 65 "not a pcap" -- replay "$tmp/junk.pcap" --out "$tmp/o"
"$rtpgen" "$tmp/g" --seconds 1 >/dev/null
head -c 24 "$tmp/g.pcap" >"$tmp/empty.pcap"
expect 65 "no packets" -- replay "$tmp/empty.pcap" --out "$tmp/o"
expect 65 "no Opus stream" -- replay "$tmp/g.pcap" --out "$tmp/o" --pt 0
exit $rc
