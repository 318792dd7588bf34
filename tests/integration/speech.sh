#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# speech.sh VPBOT SIMCONF — who spoke when (issue #12 item 3) against what
# simconf sent (scenarios/speech.json, consent enforced, 16 kHz): every
# stretch a participant spoke while the gate was open is one segment in
# speech.jsonl with boundaries within 100 ms, a silent participant (digital
# zero on the wire) gets none, each line names the stream's participant.
# The same folder then passes `vpbot verify` (its gaps are gate closures),
# `vpbot export` puts silence exactly where the gate was closed, and
# tools/meeting_report.py draws the gate lane from the bot's start,
# including the closed time before sample 0.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init speech "$1" "$2"
fail() { echo "speech: FAIL: $*"; exit 1; }

gl_consent_run "$GL_SCN/speech.json" sp --meeting sp || fail "vpbot exited $BOT_RC"
M=$TMP/out/sp
/usr/bin/python3 "$GL_HERE/speech_check.py" "$TMP" "$M" || fail "segments"

"$VPBOT" verify "$M" >"$TMP/verify.out" || { cat "$TMP/verify.out"; fail "verify"; }
sid=$(jq -r '.streams[] | select(.participant == "bob") | .id' "$M/meeting.json")
"$VPBOT" export "$M" --stream "$sid" --wav "$TMP/bob.wav" >/dev/null || fail "export bob"
"$VPBOT" export "$M" --wav "$TMP/mix.wav" >/dev/null || fail "export mix"
/usr/bin/python3 - "$M" "$sid" "$TMP/bob.wav" "$TMP/mix.wav" <<'PY' || fail "export"
import json, sys, wave
import numpy as np
m, sid, bob, mix = sys.argv[1:5]
meet = json.load(open(m + "/meeting.json"))
man = [json.loads(l) for l in open(m + "/manifest.jsonl")]
def pcm(p):
    with wave.open(p) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int32)
b = pcm(bob)
want = np.zeros(len(b), np.int32)
for c in man:
    if c["stream"] == sid:
        x = pcm(m + "/" + c["file"])
        want[c["start_sample"]:c["start_sample"] + len(x)] = x
if not np.array_equal(b, want):
    sys.exit("bob's export is not his chunks at their start_sample")
tl = meet["gate_timeline"]
closed = [(g["sample"], tl[i + 1]["sample"]) for i, g in enumerate(tl)
          if not g["open"] and i + 1 < len(tl) and g["sample"] > 0]
if not closed:
    sys.exit("the gate never closed after sample 0: the scenario did not run")
mine = sorted((c["start_sample"], c["start_sample"] + c["samples"])
              for c in man if c["stream"] == sid)
gaps = [(e0, s1) for (s0, e0), (s1, e1) in zip(mine, mine[1:]) if s1 > e0]
ok = 0
for ga, gb in gaps:
    for a, e in closed:
        if min(gb, e) - max(ga, a) >= 0.5 * (e - a):
            if np.any(b[ga:gb]) or not b[ga - 1] or not b[gb]:
                sys.exit("bob's export around the gap %d-%d is wrong" % (ga, gb))
            ok += 1
if not ok:
    sys.exit("no gap in bob's chunks where the gate was closed: %s %s" % (mine, closed))
mx = pcm(mix)
end = max(c["start_sample"] + c["samples"] for c in man)
if len(mx) != end:
    sys.exit("mix has %d samples, the meeting %d" % (len(mx), end))
allc = np.zeros(end, np.int64)
for c in man:
    x = pcm(m + "/" + c["file"])
    allc[c["start_sample"]:c["start_sample"] + len(x)] += x
if not np.array_equal(mx, np.clip(allc, -32768, 32767)):
    sys.exit("the mix is not the sum of the chunks")
print("export: bob silent during %d closed window(s); mix = sum of %d chunks"
      % (len(closed), len(man)))
PY
/usr/bin/python3 "$GL_ROOT/tools/meeting_report.py" "$M" --svg "$TMP/sp.svg" >"$TMP/report.out" ||
	fail "meeting_report.py"
grep -q 'closed: .*(from -[0-9.]* s to 0.00 s)' "$TMP/sp.svg" ||
	fail "the picture does not show the gate closed before sample 0"
grep -q 'class="speech"' "$TMP/sp.svg" || fail "the picture has no speech segments"
echo "PASS: speech segments, verify, export, report"
