#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# faults.sh  `vpbot join` against a simconf whose meetings misbehave
# (issue #3 bad-input items; docs/design.md section 7 exit codes).
#
#   faults.sh VPBOT SIMCONF
#
# One simconf (scenarios/faults.json) and one bot per meeting, all inside a
# private netns (docs/janus.md section 2). For each case: the exit code, the
# one-line error (`vpbot: ...` on stderr), meeting.json status.exit_code and
# status.reason, and what is (not) on disk:
#   liar     lying a=fingerprint  -> 69 "fingerprint mismatch", no chunk in
#                                    the manifest, no WAV, no stream_started
#   drop     TCP reset at 3 s     -> 75 within 10 s; every manifest chunk is
#                                    a WAV with exactly `samples` frames and
#                                    the bot kept what simconf sent (send log)
#   hang     server goes silent   -> 75 within HANG_MAX (90) s (WebSocket
#                                    ping timeout); the time is printed
#   garbage  non-JSON text        -> 75 "not a sim message"
#   denied   deny                 -> 69 with the host's reason
#   nosuch   unknown meeting      -> 69 no_such_meeting
#   secret   wrong token          -> 69 bad_token, and the token never
#                                    appears in the bot's output, events or
#                                    output folder
# Every case runs and is reported; the script fails if any check failed.
# KEEP=1 keeps the work folder.
set -u
VPBOT=$(realpath "${1:?usage: faults.sh VPBOT SIMCONF}")
SIMCONF=$(realpath "${2:?usage: faults.sh VPBOT SIMCONF}")
HERE=$(cd "$(dirname "$0")" && pwd)
SCN=$HERE/scenarios/faults.json
PY=/usr/bin/python3
HANG_MAX=${HANG_MAX:-90}
NS=vp-faults-$$
T=$(mktemp -d /tmp/vp-faults.XXXXXX)
SC_PID=
HANG_PID=
FAILS=0
TOKEN=wr0ngT0ken-$$-zq

cleanup() {
	[ -n "$HANG_PID" ] && kill -INT "$HANG_PID" 2>/dev/null
	[ -n "$SC_PID" ] && kill -TERM "$SC_PID" 2>/dev/null
	[ -n "$HANG_PID" ] && wait "$HANG_PID" 2>/dev/null
	[ -n "$SC_PID" ] && wait "$SC_PID" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}

if [ "$(id -u)" != 0 ]; then
	echo "faults: needs root for a network namespace"
	exit 1
fi
trap cleanup EXIT
trap 'exit 1' INT TERM

bad() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.2f", b-a}'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a<=b)}'; }

ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
ip -n "$NS" link add va type veth peer name vb
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$NS" addr add 127.0.0.2/32 dev va
ip -n "$NS" link set va up
ip -n "$NS" link set vb up

# The bot's libnice gathers 127.0.0.2 in the netns; simconf must use it too.
ip netns exec "$NS" timeout 300 "$SIMCONF" "$SCN" --port 0 \
	--port-file "$T/port" --log "$T/send.jsonl" --media-addr 127.0.0.2 \
	>"$T/simconf.out" 2>"$T/simconf.err" &
SC_PID=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || { cat "$T/simconf.err"; echo "FAIL: simconf did not start"; exit 1; }
PORT=$(cat "$T/port")
URL=sim+ws://127.0.0.1:$PORT

# bot_cmd TAG BUDGET PATH: the bot in the netns, --out $T/out-TAG,
# events in $T/TAG.events, stderr+stdout in $T/TAG.log
bot_cmd() {
	timeout -s INT -k 5 "$2" ip netns exec "$NS" "$VPBOT" join \
		"$URL/$3" --out "$T/out-$1" --events "$T/$1.events" \
		--log-level debug >"$T/$1.log" 2>&1
}

# run_bot TAG BUDGET PATH: foreground; sets RC, SECS, ERR (the vpbot: line)
run_bot() {
	local t0
	t0=$(now)
	bot_cmd "$@"
	RC=$?
	SECS=$(since "$t0")
	ERR=$(grep -m1 '^vpbot: ' "$T/$1.log")
	echo "== $1: exit $RC after $SECS s; says: $ERR"
}

# status TAG KEY: meeting.json status.KEY of the bot's only meeting
status() {
	$PY - "$T/out-$1" "$2" <<'EOF'
import glob, json, sys
m = glob.glob(sys.argv[1] + "/*/meeting.json")
print(json.load(open(m[0]))["status"].get(sys.argv[2]) if len(m) == 1
      else "no-meeting.json(%d)" % len(m))
EOF
}

# expect TAG CODE REASON: exit code, the one-line error is exactly
# "vpbot: REASON", meeting.json status.exit_code CODE and reason REASON
expect() {
	local tag=$1 code=$2 text=$3 n sc sr
	[ "$RC" -eq "$code" ] || bad "$tag: exit $RC, expected $code"
	n=$(grep -c '^vpbot: ' "$T/$tag.log")
	[ "$n" -eq 1 ] || bad "$tag: $n 'vpbot:' error lines, expected 1"
	[ "$ERR" = "vpbot: $text" ] ||
		bad "$tag: error '$ERR', expected 'vpbot: $text'"
	sc=$(status "$tag" exit_code)
	sr=$(status "$tag" reason)
	echo "   meeting.json status: exit_code=$sc reason=$sr"
	[ "$sc" = "$code" ] || bad "$tag: meeting.json exit_code $sc, expected $code"
	[ "$sr" = "$text" ] ||
		bad "$tag: meeting.json reason '$sr', expected '$text'"
}

# nothing_recorded TAG: no WAV, no manifest line, no stream_started
nothing_recorded() {
	local w m s
	w=$(find "$T/out-$1" -name '*.wav*' | wc -l)
	m=$(cat "$T"/out-"$1"/*/manifest.jsonl 2>/dev/null | grep -c .)
	s=$(grep -c '"stream_started"' "$T/$1.events")
	echo "   on disk: $w WAV files, $m manifest lines, $s stream_started"
	[ "$w" -eq 0 ] || bad "$1: WAV files written"
	[ "$m" -eq 0 ] || bad "$1: manifest has chunks"
	[ "$s" -eq 0 ] || bad "$1: events have stream_started"
}

# The hang case takes the longest (ping timeout): it runs alongside.
HANG_T0=$(now)
bot_cmd hang $((HANG_MAX + 5)) hang &
HANG_PID=$!

run_bot liar 30 liar
expect liar 69 "media failed: fingerprint mismatch"
nothing_recorded liar

run_bot drop 30 drop
expect drop 75 "connection lost"
le "$SECS" 10 || bad "drop: took $SECS s (fault at 3 s), expected <= 10"
$PY - "$T/out-drop" "$T/send.jsonl" <<'EOF' || bad "drop: chunks"
import glob, json, sys, wave
mdir = glob.glob(sys.argv[1] + "/*/")[0]
man = [json.loads(l) for l in open(mdir + "manifest.jsonl") if l.strip()]
if not man:
    sys.exit("   no chunk written before the drop")
tot = 0
for m in man:
    with wave.open(mdir + m["file"]) as w:
        n, r, c = w.getnframes(), w.getframerate(), w.getnchannels()
    if (n, r, c) != (m["samples"], m["rate"], m["channels"]):
        sys.exit("   %s: wav %s, manifest %s" %
                 (m["file"], (n, r, c), (m["samples"], m["rate"], m["channels"])))
    tot += n
left = glob.glob(mdir + "streams/*/*.tmp")
sent = sum(e["frames"] for e in map(json.loads, open(sys.argv[2]))
           if e.get("meeting") == "drop" and e["event"] == "audio" and e["sent"])
print("   %d chunk(s), %d samples = %.1f frames; simconf sent %d frames; "
      "%d .tmp" % (len(man), tot, tot / 960, sent, len(left)))
# the packet in flight when the TCP reset hit may be lost: one frame
if not (sent - 1) * 960 <= tot <= sent * 960:
    sys.exit("   recorded %d samples, simconf sent %d frames" % (tot, sent))
if left:
    sys.exit("   .tmp left behind: %s" % left)
EOF

run_bot garbage 30 garbage
expect garbage 75 "the server sent a message that is not a sim message"

run_bot denied 30 denied
expect denied 69 "the host said no"
nothing_recorded denied

run_bot nosuch 30 nosuch
expect nosuch 69 "no_such_meeting: no such meeting"
nothing_recorded nosuch

run_bot secret 30 "secret?token=$TOKEN&name=faults"
expect secret 69 "bad_token: wrong token"
nothing_recorded secret
n=$(grep -rl -- "$TOKEN" "$T/secret.log" "$T/secret.events" "$T/out-secret" |
	wc -l)
echo "   token found in $n of the bot's files"
[ "$n" -eq 0 ] || bad "secret: the token appears in $(grep -rl -- "$TOKEN" \
	"$T/secret.log" "$T/secret.events" "$T/out-secret")"

wait "$HANG_PID"
RC=$?
HANG_PID=
SECS=$(since "$HANG_T0")
ERR=$(grep -m1 '^vpbot: ' "$T/hang.log")
echo "== hang: exit $RC after $SECS s (fault at 3 s, limit $HANG_MAX s); says: $ERR"
if [ "$RC" -eq 124 ] || ! le "$SECS" "$HANG_MAX"; then
	bad "hang: vpbot did not exit by itself within $HANG_MAX s"
	echo "---- last 8 lines of the hang bot's log ----"
	tail -n 8 "$T/hang.log"
else
	expect hang 75 "connection lost"
fi

kill -TERM "$SC_PID" 2>/dev/null
wait "$SC_PID" 2>/dev/null
SC_PID=
if [ "$FAILS" -ne 0 ]; then
	echo "faults: $FAILS check(s) failed"
	exit 1
fi
echo "PASS: faults"
exit 0
