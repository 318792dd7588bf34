#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# join_two_publishers.sh  live `vpbot join` into videoroom 1234 with two
# aiortc publishers (issue #3).
#
#   join_two_publishers.sh VPBOT
#
# vpbot joins first (--duration 22). Publisher A (speech, participant 0)
# sends 16 s from t=0; B (tones) joins 5 s later and sends 6 s, so it
# leaves 5 s before A ends. Checks: exit 0; two streams; meeting.json names
# both participants by display and says which stream is whose; A's stream
# matches A's source (>= MIN_CORR) and not B's, and vice versa; on the
# meeting timeline B's source starts where the publishers' send times say
# (B.send_start - A.send_start, +- OFFSET_TOL s). Exit 0 pass, 1 fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/join_lib.sh"
MIN_CORR=${MIN_CORR:-0.95}
OFFSET_TOL=${OFFSET_TOL:-0.15}
# a subscription starts up to LATE_MAX s after the publisher (as in
# join_chromium.sh): each stream must cover its source but for that
LATE_MAX=${LATE_MAX:-2}
jl_init two "${1:-}"

DUR_A=16 DELAY_B=5 DUR_B=6
jl_signal speech 0 $DUR_A "$T/a.wav"
jl_signal tones 1 $DUR_B "$T/b.wav"
jl_janus_up

echo "== vpbot joins room 1234 first"
jl_bot_start bot 60 "janus+ws://127.0.0.1:8188/1234?name=vpbot" \
	--meeting m --duration 22
jl_wait_event bot joined 15 || jl_fail "vpbot did not emit 'joined' in 15 s"
echo "vpbot joined after $(jl_since "$BOT_T0") s"

echo "== A: speech ${DUR_A} s now; B: tones ${DUR_B} s after ${DELAY_B} s"
jl_pub_start A --plugin videoroom --room 1234 --display alice \
	--wav "$T/a.wav" --duration $DUR_A
jl_pub_start B --plugin videoroom --room 1234 --display bob \
	--wav "$T/b.wav" --duration $DUR_B --start-delay $DELAY_B
jl_pub_wait A
jl_pub_wait B
jl_bot_wait bot
[ "$BOT_RC" -eq 0 ] || jl_fail "vpbot exit $BOT_RC, expected 0"
echo "check: exit 0 - ok"

M=$T/out/m
[ -f "$M/meeting.json" ] || jl_fail "no meeting.json"
timeout 60 $PY "$HERE/compare.py" --list --meeting-dir "$M" >"$T/list" ||
	{ cat "$T/list"; jl_fail "manifest/chunks inconsistent"; }
n=$(jl_json "$T/list" 'len(d["streams"])')
echo "check: two streams in the manifest: $n"
[ "$n" -eq 2 ] || { cat "$T/list"; jl_fail "expected 2 streams, found $n"; }

SA=$(jl_streams_of "$M" alice)
SB=$(jl_streams_of "$M" bob)
echo "check: meeting.json: alice -> stream '$SA', bob -> stream '$SB'"
[ "$(echo "$SA" | grep -c .)" -eq 1 ] ||
	jl_fail "alice must be one participant with one stream"
[ "$(echo "$SB" | grep -c .)" -eq 1 ] ||
	jl_fail "bob must be one participant with one stream"
[ "$SA" != "$SB" ] || jl_fail "alice and bob share stream $SA"
# the stream objects must point back at their participants
$PY - "$M/meeting.json" "$SA" "$SB" <<'EOF' || jl_fail "streams[] vs participants[] disagree"
import json, sys
d = json.load(open(sys.argv[1]))
parts = {p["id"]: p for p in d["participants"]}
for sid in sys.argv[2:]:
    st = [s for s in d["streams"] if s["id"] == sid]
    assert len(st) == 1, f"stream {sid} not in streams[]"
    p = parts.get(st[0]["participant"])
    assert p and p["stream"] == sid, f"stream {sid}: participant mismatch"
    assert p["joined_utc"] and p["left_utc"] and not p["present"], \
        f"{p['display']}: joined/left/present wrong: {p}"
print("check: streams[].participant <-> participants[].stream consistent, "
      "both left - ok")
EOF

echo "check: A's stream matches A (>= $MIN_CORR), not B"
jl_compare "$T/aa" --source "$T/a.wav" --meeting-dir "$M" --stream "$SA" \
	--min-corr "$MIN_CORR" --min-coverage-s $((DUR_A - LATE_MAX)) || jl_fail "A's stream vs A's source"
jl_compare "$T/ab" --source "$T/b.wav" --meeting-dir "$M" --stream "$SA" \
	--must-not-match || jl_fail "A's stream matches B's source"
echo "check: B's stream matches B (>= $MIN_CORR), not A"
jl_compare "$T/bb" --source "$T/b.wav" --meeting-dir "$M" --stream "$SB" \
	--min-corr "$MIN_CORR" --min-coverage-s $((DUR_B - LATE_MAX)) || jl_fail "B's stream vs B's source"
jl_compare "$T/ba" --source "$T/a.wav" --meeting-dir "$M" --stream "$SB" \
	--must-not-match || jl_fail "B's stream matches A's source"

sa=$(jl_json "$T/aa" 'd["source_start_s"]')
sb=$(jl_json "$T/bb" 'd["source_start_s"]')
ta=$(jl_json "$T/A.json" 'd["send_start_utc_ns"]')
tb=$(jl_json "$T/B.json" 'd["send_start_utc_ns"]')
read -r got want ok < <(awk -v sa="$sa" -v sb="$sb" -v ta="$ta" -v tb="$tb" \
	-v tol="$OFFSET_TOL" 'BEGIN{g=sb-sa; w=(tb-ta)/1e9; d=g-w;
	if (d<0) d=-d; printf "%.3f %.3f %d\n", g, w, d<=tol}')
echo "check: B's source starts $got s after A's on the timeline;" \
	"send times say $want s (+- $OFFSET_TOL)"
[ "$ok" -eq 1 ] || jl_fail "timeline offset $got s vs send offset $want s"

echo "PASS: join_two_publishers"
exit 0
