#!/usr/bin/env bash
# The command line's bad input: each case is refused with a one-line error
# naming the problem and the sysexits(3) code of docs/design.md §7, before any
# network activity, and nothing is recorded.
# usage: cli.sh VPBOT RTPGEN
set -uo pipefail
vpbot=$(realpath "$1") rtpgen=$(realpath "$2")
data=$(cd "$(dirname "$0")/../data" && pwd)
tmp=$(mktemp -d /tmp/vp-cli.$$.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rc=0
runas=() # a prefix for the command, e.g. another user

expect() { # expect CODE TEXT -- ARGS...
	local want=$1 text=$2 got msg
	shift 3
	timeout 20 "${runas[@]}" "$vpbot" "$@" >"$tmp/out.txt" 2>"$tmp/err.txt"
	got=$?
	msg=$(grep '^vpbot:' "$tmp/err.txt" | head -1)
	if [ "$got" != "$want" ] || ! grep -q -- "$text" <<<"$msg"; then
		echo "FAIL vpbot $*: exit $got ($msg), expected $want with '$text'"
		rc=1
	else
		echo "ok   exit $got: $msg"
	fi
}

# invite URLs (docs/design.md §4): exit 64 before any network activity
expect 64 "unknown scheme" -- join "http://127.0.0.1/1" --out "$tmp/o"
expect 64 "room" -- join "janus+ws://127.0.0.1:8188/" --out "$tmp/o"
expect 64 "port" -- join "janus+ws://127.0.0.1:99999/1234" --out "$tmp/o"
expect 64 "plugin" -- join "janus+ws://127.0.0.1:8188/1234?plugin=nope" --out "$tmp/o"
expect 64 "rate" -- join "janus+ws://127.0.0.1:8188/1" --out "$tmp/o" --rate 44100
expect 64 "out" -- join "janus+ws://127.0.0.1:8188/1"
expect 64 "unknown command" -- fly
# numbers: "nan" and "inf" are in no range (strtod reads both)
expect 64 "chunk-seconds" -- join "janus+ws://127.0.0.1:8188/1" --out "$tmp/o" --chunk-seconds nan
expect 64 "duration" -- join "janus+ws://127.0.0.1:8188/1" --out "$tmp/o" --duration NaN
expect 64 "lobby-timeout" -- join "janus+ws://127.0.0.1:8188/1" --out "$tmp/o" --lobby-timeout inf
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

# --- issue 10 ---
fail() { echo "FAIL: $*"; rc=1; }
# item 12a: only fd:N is a descriptor; "2024-ev.jsonl" is a file name
(cd "$tmp" && timeout 20 "$vpbot" join "sim+ws://127.0.0.1:1/m" --out o \
	--events 2024-ev.jsonl >/dev/null 2>"$tmp/err.txt")
got=$?
[ "$got" = 75 ] && grep -q '"event":"error"' "$tmp/2024-ev.jsonl" 2>/dev/null ||
	fail "--events 2024-ev.jsonl: exit $got, $(grep '^vpbot:' "$tmp/err.txt")"
expect 64 "cannot open --events" -- join "sim+ws://127.0.0.1:1/m" --out "$tmp/o" --events fd:
# item 8: unknown, repeated or bare query keys are errors naming the key
expect 64 "unknown query key 'tokn'" -- join "sim+ws://127.0.0.1:1/m?tokn=T" --out "$tmp/o"
expect 64 "duplicate query key 'pin'" -- join "janus+ws://127.0.0.1:1/1?pin=1&pin=2" --out "$tmp/o"
expect 64 "without '='" -- join "sim+ws://127.0.0.1:1/m?SECRETX" --out "$tmp/o"
grep -q SECRETX "$tmp/err.txt" && fail "a bare query part was echoed"
expect 64 "needs an INVITE" -- join --out "$tmp/o"
# issue 12 item 2: a live URL with a query (a token) never on argv
expect 64 "may hold a token" -- join "sim+ws://127.0.0.1:1/m" --out "$tmp/o" --live 'ws://127.0.0.1:9/a?token=LIVESECRET'
grep -q LIVESECRET "$tmp/err.txt" && fail "the live URL's token was echoed"
expect 64 "must start with ws:// or wss://" -- join "sim+ws://127.0.0.1:1/m" --out "$tmp/o" --live https://127.0.0.1/a
expect 64 "user info" -- join "sim+ws://127.0.0.1:1/m" --out "$tmp/o" --live 'ws://u:PW@127.0.0.1/a'
expect 64 "needs --live" -- join "sim+ws://127.0.0.1:1/m" --out "$tmp/o" --live-ca /etc/ssl/certs/ca-certificates.crt
printf 'ws://127.0.0.1:9/a?token=LIVESECRET\n' >"$tmp/live.url"
printf '{"invite":"sim+ws://127.0.0.1:1/m","out":"%s/o","live":{"url_file":"%s/live.url","url":"ws://h/x"}}' "$tmp" "$tmp" >"$tmp/jl.json"
expect 65 "job: live: give exactly one of" -- run "$tmp/jl.json"
printf '{"invite":"sim+ws://127.0.0.1:1/m","out":"%s/o","live":"http://h/x"}' "$tmp" >"$tmp/jl.json"
expect 65 "live URL: must start with" -- run "$tmp/jl.json"
expect 64 "not both" -- join "sim+ws://127.0.0.1:1/m" --invite-file - --out "$tmp/o"
# item 7: one rule for ids and names, written out, 64 (options) / 65 (jobs)
expect 64 "--meeting must be .*no '/', no '..'" -- join "sim+ws://127.0.0.1:1/m" --out "$tmp/o" --meeting ../up
expect 64 "--meeting must be" -- replay "$tmp/g.pcap" --out "$tmp/o" --meeting ../up
expect 64 "--name must be .*bidi" -- join "sim+ws://127.0.0.1:1/m" --out "$tmp/o" --name $'a\nb'
expect 64 "bad name: .*bidi" -- join "sim+ws://127.0.0.1:1/m?name=a%E2%80%AEb" --out "$tmp/o"
printf '{"invite":"sim+ws://127.0.0.1:1/m","out":"%s/o","meeting_id":"../up"}' "$tmp" >"$tmp/j8.json"
expect 65 "job: meeting_id must be .*no '/', no '..'" -- run "$tmp/j8.json"
[ -e "$tmp/up" ] && fail "a job's ../ meeting_id made $tmp/up"
for n in 'a\nb' 'a\u202eb' 'a\u2066b' 'a\u0085b'; do
	printf '{"invite":"sim+ws://127.0.0.1:1/m","out":"%s/o","name":"%s"}' "$tmp" "$n" >"$tmp/j9.json"
	expect 65 "job: name must be .*bidi" -- run "$tmp/j9.json"
done

# item 6: a link planted in the output is refused (73), never written through
"$rtpgen" "$tmp/g3" --seconds 3 >/dev/null
out=$tmp/links
echo victim >"$tmp/victim"
mkdir -p "$out"/m1 "$out"/m2 "$out"/m3 "$out"/m5 "$tmp/vdir" "$tmp/vdir4"
ln -s "$tmp/victim" "$out/m1/manifest.jsonl"
ln -s "$tmp/vdir" "$out/m2/streams"
ln -s "$tmp/victim" "$out/m3/meeting.json.tmp"
ln -s "$tmp/vdir4" "$out/m4"
ln "$tmp/victim" "$out/m5/manifest.jsonl"
for m in m1 m2 m3 m4; do
	expect 73 "refused: a symbolic link" -- replay "$tmp/g3.pcap" --out "$out" --meeting $m
done
expect 73 "refused: a hard link" -- replay "$tmp/g3.pcap" --out "$out" --meeting m5
[ "$(cat "$tmp/victim")" = victim ] || fail "the victim file was written through a link"
left=$(find "$tmp/vdir" "$tmp/vdir4" -mindepth 1)
[ -z "$left" ] || fail "a linked folder got files: $left"
jq -e '.status.state == "failed" and .status.exit_code == 73' "$out/m2/meeting.json" >/dev/null ||
	fail "m2: meeting.json does not say failed/73"

# item 7: disk full exits 74, permission denied or read-only 73; the final
# meeting.json says failed and why, no meeting.json.tmp is left. A private
# mount namespace holds a small tmpfs (and root's DAC bypass is beaten by
# a read-only mount, not by file modes).
if [ "$(id -u)" != 0 ]; then
	fail "disk-full and read-only cases need root (unshare -m)"
else
	"$rtpgen" "$tmp/g10" --seconds 10 >/dev/null
	mkdir -p "$tmp/full" "$tmp/ro"
	unshare -m --propagation private sh -c '
		mount -t tmpfs -o size=300k vp-full "$1/full" &&
		mount -t tmpfs -o size=1m,ro vp-ro "$1/ro" || exit 99
		"$2" replay "$1/g10.pcap" --out "$1/full" --meeting m >/dev/null 2>"$1/full.err"
		echo $? >"$1/full.rc"
		jq -c .status "$1/full/m/meeting.json" >"$1/full.status" 2>&1
		ls -A "$1/full/m" >"$1/full.ls"
		"$2" replay "$1/g10.pcap" --out "$1/ro/out" --meeting m >/dev/null 2>"$1/ro.err"
		echo $? >"$1/ro.rc"' sh "$tmp" "$vpbot"
	[ "$(cat "$tmp/full.rc")" = 74 ] || fail "disk full: exit $(cat "$tmp/full.rc"), want 74"
	grep -q '^vpbot: writing chunks failed: No space left' "$tmp/full.err" ||
		fail "disk full: message $(grep ^vpbot: "$tmp/full.err")"
	jq -e '.state == "failed" and .exit_code == 74 and (.reason | test("No space"))' \
		"$tmp/full.status" >/dev/null || fail "disk full: meeting.json status $(cat "$tmp/full.status")"
	grep -q 'meeting.json.tmp' "$tmp/full.ls" && fail "disk full: meeting.json.tmp left"
	[ "$(cat "$tmp/ro.rc")" = 73 ] || fail "read-only: exit $(cat "$tmp/ro.rc"), want 73"
	grep -q '^vpbot: cannot use .*Read-only file system' "$tmp/ro.err" ||
		fail "read-only: message $(grep ^vpbot: "$tmp/ro.err")"
	echo "ok   disk full 74, read-only 73"
fi
# permission denied (EACCES) for a user who may not write there
mkdir -p "$tmp/noperm"
chmod 755 "$tmp" "$tmp/noperm"
chmod 644 "$tmp/g3.pcap"
if [ "$(id -u)" = 0 ]; then
	runas=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
expect 73 "Permission denied" -- replay "$tmp/g3.pcap" --out "$tmp/noperm/o" --meeting m
runas=()
exit $rc
