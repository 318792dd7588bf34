#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# live.sh VPBOT SIMCONF — live audio out (issue #12 item 2) through
# simconf's consent scenario (scenarios/speech.json: the gate is closed at
# the start and again from 4 s to 5 s):
#  1. a WebSocket receiver (live_recv.py, python3-websockets, over wss
#     with a throwaway CA given by --live-ca) gets exactly
#     the samples that reach disk, per stream, none while the gate was
#     closed (live_check.py); the URL's token (given by --live-file) is in
#     no file, event or log line;
#  2. a receiver that completes the handshake and then stops reading (tiny
#     TCP buffers in the namespace; scenarios/live_stall.json, three
#     people talking for 14 s, more than the live queue holds): not one
#     io_overflow, every chunk sound (vpbot verify), the drops counted
#     while the meeting runs, the bot leaves on time;
#  3. no receiver at all: the same, with reconnects counted;
#  4. a wss receiver with a certificate the bot does not trust: never
#     connected, nothing sent.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init live "$1" "$2"
fail() { echo "live: FAIL: $*"; exit 1; }
TOKEN=tok-$$-Zq81
RECV_PID=

recv_start() { # MODE DIR [CERT KEY]
	rm -f "$TMP/rport"
	ip netns exec "$NS" timeout -k 5 120 /usr/bin/python3 \
		"$GL_HERE/live_recv.py" "$1" "$TMP/rport" "$2" "${@:3}" \
		>"$2.out" 2>&1 &
	RECV_PID=$!
	for _ in $(seq 100); do [ -s "$TMP/rport" ] && break; sleep 0.05; done
	RPORT=$(cat "$TMP/rport" 2>/dev/null)
	[ -n "$RPORT" ] || { cat "$2.out"; fail "receiver did not start"; }
}
recv_stop() {
	kill "$RECV_PID" 2>/dev/null
	wait "$RECV_PID" 2>/dev/null
	RECV_PID=
}
trap 'recv_stop; gl_cleanup' EXIT

# an io thread that never overflows and a folder vpbot verify accepts
sound() { # MDIR WHAT
	"$VPBOT" verify "$1" >"$TMP/verify.out" ||
		{ cat "$TMP/verify.out"; fail "$2: verify"; }
	jq -e '.status.io_overflow == 0 and ([.streams[].io_overflow] | add) == 0
	       and .status.exit_code == 0' "$1/meeting.json" >/dev/null ||
		fail "$2: io_overflow or exit code: $(jq -c '{status}' "$1/meeting.json")"
	jq -e '.rate as $r | [.streams[] | select(.participant == "alice") | .samples] | add > $r' \
		"$1/meeting.json" >/dev/null || fail "$2: alice was not recorded"
}

# 1. a receiver that reads everything, over wss with a throwaway CA
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=live-test-ca \
	-keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null || fail "openssl ca"
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$TMP/srv.key" \
	-out "$TMP/srv.csr" 2>/dev/null || fail "openssl csr"
printf 'subjectAltName=IP:127.0.0.1\n' >"$TMP/san.ext"
openssl x509 -req -in "$TMP/srv.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" \
	-CAcreateserial -days 1 -extfile "$TMP/san.ext" -out "$TMP/srv.pem" \
	2>/dev/null || fail "openssl sign"
recv_start normal "$TMP/recv" "$TMP/srv.pem" "$TMP/srv.key"
printf 'wss://127.0.0.1:%s/asr?token=%s\n' "$RPORT" "$TOKEN" >"$TMP/live.url"
chmod 600 "$TMP/live.url"
gl_consent_run "$GL_SCN/speech.json" sp --meeting sp --live-file "$TMP/live.url" \
	--live-ca "$TMP/ca.pem" || fail "vpbot exited $BOT_RC"
sleep 0.5
recv_stop
M=$TMP/out/sp
/usr/bin/python3 "$GL_HERE/live_check.py" "$M" "$TMP/recv" || fail "samples"
sound "$M" normal
if grep -rl -- "$TOKEN" "$M" "$TMP/events.jsonl" "$TMP/bot.err" "$TMP/bot.out"; then
	fail "the live URL's token was written"
fi
jq -e --arg o "wss://127.0.0.1:$RPORT" '.live.origin == $o' "$M/meeting.json" \
	>/dev/null || fail "meeting.json live.origin"
jq -se 'any(.[]; .event == "live" and .state == "connected")' "$TMP/events.jsonl" \
	>/dev/null ||
	fail "no live event"
mv "$TMP/events.jsonl" "$TMP/events-normal.jsonl"

# 2. a receiver that stops reading: the sender's socket fills up
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_wmem="4096 4096 8192" \
	net.ipv4.tcp_rmem="4096 4096 8192" || fail "sysctl"
recv_start stall "$TMP/stall"
gl_simconf "$GL_SCN/live_stall.json" 60
gl_bot ls --meeting stall --rate 48000 --chunk-seconds 1 \
	--live "ws://127.0.0.1:$RPORT/asr"
gl_simconf_wait
recv_stop
[ "$BOT_RC" = 0 ] || { tail -5 "$TMP/bot.err"; fail "stall: vpbot exited $BOT_RC"; }
M=$TMP/out/stall
[ -s "$TMP/stall/stall.json" ] || fail "stall: the bot never connected"
sound "$M" stall
jq -e '.live.dropped_samples > 0 and .live.connects >= 1 and
       .status.live_dropped_samples == .live.dropped_samples' "$M/meeting.json" \
	>/dev/null || fail "stall: no drop counted: $(jq -c .live "$M/meeting.json")"
# leaving -> exit: bounded by the 2 s drain, whatever the receiver does
t0=$(jq -r 'select(.event == "leaving" or .event == "meeting_ended") | .ts' \
	"$TMP/events.jsonl" | head -1)
t1=$(jq -r 'select(.event == "left") | .ts' "$TMP/events.jsonl" | tail -1)
dt=$(/usr/bin/python3 -c "import sys,datetime as d
f=lambda s: d.datetime.fromisoformat(s.replace('Z','+00:00'))
print((f(sys.argv[2])-f(sys.argv[1])).total_seconds())" "$t0" "$t1")
/usr/bin/python3 -c "import sys; sys.exit(float(sys.argv[1]) > 8)" "$dt" ||
	fail "stall: leaving took $dt s"
# the queue filled while the meeting ran (not only the rest at the end)
jq -se '[.[] | select(.event == "meeting_ended" or
	(.event == "live" and .dropped_samples > 0)) | .event] | .[0] == "live"' \
	"$TMP/events.jsonl" >/dev/null ||
	fail "stall: no live event counted drops during the meeting"
mv "$TMP/events.jsonl" "$TMP/events-stall.jsonl"
echo "stall: dropped $(jq .live.dropped_samples "$M/meeting.json") samples, left in $dt s"

# 3. nobody listening
gl_consent_run "$GL_SCN/speech.json" sp --meeting absent \
	--live "ws://127.0.0.1:$RPORT/asr" || fail "absent: vpbot exited $BOT_RC"
M=$TMP/out/absent
sound "$M" absent
jq -e '.live.connects == 0 and .live.reconnects >= 2 and .live.messages == 0
       and .live.dropped_samples > 0 and (.live.last_error | length > 0)' \
	"$M/meeting.json" >/dev/null ||
	fail "absent: $(jq -c .live "$M/meeting.json")"
# 4. wss to a receiver whose certificate the bot does not trust (no
#    --live-ca): never connected, nothing sent, the recording unaffected
recv_start normal "$TMP/untrusted" "$TMP/srv.pem" "$TMP/srv.key"
printf 'wss://127.0.0.1:%s/asr?token=%s\n' "$RPORT" "$TOKEN" >"$TMP/live.url"
gl_consent_run "$GL_SCN/speech.json" sp --meeting untrusted \
	--live-file "$TMP/live.url" --log-level debug
rc=$?
recv_stop
[ "$rc" = 0 ] || fail "untrusted: vpbot exited $BOT_RC"
M=$TMP/out/untrusted
sound "$M" untrusted
jq -e '.live.connects == 0 and .live.messages == 0 and .live.reconnects >= 1' \
	"$M/meeting.json" >/dev/null ||
	fail "untrusted: $(jq -c .live "$M/meeting.json")"
jq -e '.hello == [] and .segments == []' "$TMP/untrusted/recv.json" >/dev/null ||
	fail "untrusted: the receiver got something"
grep -q 'live.*certificate\|live.*verify\|live.*ssl\|live.*tls' -i "$TMP/bot.err" ||
	fail "untrusted: the log does not say why"
if grep -rl -- "$TOKEN" "$M" "$TMP/events.jsonl" "$TMP/bot.err" "$TMP/bot.out"; then
	fail "untrusted: the live URL's token was written"
fi
echo "PASS: live audio = disk, none while closed; stalled and absent receivers cost nothing on disk"
