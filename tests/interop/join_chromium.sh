#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# join_chromium.sh  live `vpbot join` (videoroom 1234) with a headless
# Chromium publisher (janus.js; in-band FEC, DTX possible, ~32 kbit/s).
#
#   join_chromium.sh VPBOT
#
# vpbot joins first; chromium/chromium_publish.sh publishes speech for DUR
# s after webrtcup. Chromium's fake microphone loops the file from
# getUserMedia on, so the stream is compared with the file twice over.
# Checks: exit 0; one stream, owned by participant "chrome" in
# meeting.json; corr >= MIN_CORR; the stream lasts from its first sample
# to the publisher's last (send_end) within DUR_TOL s; its first sample
# comes after the bot heard of the publisher (participant_joined) and the
# subscription that follows (0.2-1.1 s seen) within HANG_S s, which only
# catches a hang. The bot is asked to leave once it saw the publisher
# leave (participant_left), not after a delay.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/join_lib.sh"
MIN_CORR=${MIN_CORR:-0.9}
DUR=10
DUR_TOL=${DUR_TOL:-0.4}
HANG_S=${HANG_S:-10}
jl_init chr "${1:-}" chromium
jl_signal speech 3 $DUR "$T/s.wav"
sox "$T/s.wav" "$T/s.wav" "$T/s2x.wav" || jl_fail "sox concatenation failed"
jl_janus_up

jl_bot_start bot 90 "janus+ws://127.0.0.1:8188/1234" --meeting m \
	--duration 40
jl_wait_event bot joined 15 || jl_fail "vpbot did not emit 'joined' in 15 s"
echo "== Chromium publishes ${DUR} s"
timeout $((DUR + 60)) "$HERE/chromium/chromium_publish.sh" "$NS" \
	"$T/s.wav" "$DUR" 1234 chrome >"$T/chr.json" 2>"$T/chr.err" ||
	{ cat "$T/chr.err"; jl_fail "Chromium publisher failed"; }
echo "publisher: $(cat "$T/chr.json")"
# the publisher has left: once the bot saw it go, ask it to leave (SIGINT =
# polite leave)
jl_wait_event bot participant_left 30 ||
	jl_fail "the bot did not see the publisher leave within 30 s"
kill -INT "$BOT_PID" 2>/dev/null
jl_bot_wait bot
[ "$BOT_RC" -eq 0 ] || jl_fail "vpbot exit $BOT_RC, expected 0 (SIGINT leave)"
echo "check: exit 0 after SIGINT - ok"

M=$T/out/m
S=$(jl_streams_of "$M" chrome)
echo "check: participant 'chrome' has one stream: '$S'"
[ "$(echo "$S" | grep -c .)" -eq 1 ] || jl_fail "no single stream for chrome"
timeout 60 $PY "$HERE/compare.py" --list --meeting-dir "$M" >"$T/list" ||
	{ cat "$T/list"; jl_fail "manifest/chunks inconsistent"; }
n=$(jl_json "$T/list" 'len(d["streams"])')
[ "$n" -eq 1 ] || { cat "$T/list"; jl_fail "expected 1 stream, found $n"; }
# the stream's first sample (wall clock) to the publisher's last
want=$(jq -r --slurpfile p "$T/chr.json" --arg s "$S" \
	'select(.stream == $s and .seq == 0) |
	 (($p[0].send_end_utc_ns - .start_utc_ns) / 1e9)' "$M/manifest.jsonl")
# the publisher's appearance (the bot's own event) to the stream's first
# sample: ordered, and not a hang
late=$(jq -r 'select(.event == "participant_joined" and .display == "chrome")
	| .ts' "$T/bot.events" | head -1 | $PY -c '
import json, sys, datetime
ts = sys.stdin.read().strip()
t = datetime.datetime.strptime(ts[:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
pj = t.replace(tzinfo=datetime.timezone.utc).timestamp()
m = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
first = min(r["start_utc_ns"] for r in m if r["stream"] == sys.argv[2]) / 1e9
print("%.3f" % (first - pj))' "$M/manifest.jsonl" "$S")
echo "check: corr >= $MIN_CORR, duration ${want} s (first sample to send end) +- $DUR_TOL s; first sample ${late} s after the bot saw the publisher (0 .. $HANG_S)"
awk -v x="$late" -v h="$HANG_S" 'BEGIN { exit !(x != "" && x >= 0 && x <= h) }' ||
	jl_fail "the stream's first sample is ${late} s after the publisher appeared"
jl_compare "$T/cmp" --source "$T/s2x.wav" --meeting-dir "$M" --stream "$S" \
	--min-corr "$MIN_CORR" --expect-duration-s "$want" \
	--duration-tol "$DUR_TOL" || jl_fail "Chromium stream"

echo "PASS: join_chromium"
exit 0
