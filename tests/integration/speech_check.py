#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""speech_check.py TMP MDIR [MEETING SOURCE]: speech.jsonl against
simconf's send log (meeting "sp", source "energy" by default).

Time bases as in gate_check.py: simconf's media samples (48 kHz) count from
its bot_joined, the bot's from timeline_origin_utc, both on the host's UTC.
What was spoken while the gate was open (send log clips intersected with the
gate_timeline's open windows) must be one segment each, boundaries within
100 ms; the silent participant (erin) must have a stream and no segment."""
import calendar
import json
import sys

tmp, mdir = sys.argv[1:3]
MEETING = sys.argv[3] if len(sys.argv) > 3 else "sp"
SOURCE = sys.argv[4] if len(sys.argv) > 4 else "energy"
SILENT, TOL_S, MIN_S = "erin", 0.100, 0.060


def jsonl(p):
    return [json.loads(l) for l in open(p) if l.strip()]


def utc_ns(s):
    head, frac = s.rstrip("Z").split(".")
    t = calendar.timegm(__import__("time").strptime(head, "%Y-%m-%dT%H:%M:%S"))
    return t * 10**9 + int(frac.ljust(9, "0"))


log = [e for e in jsonl(tmp + "/send.jsonl") if e.get("meeting") == MEETING]
meet = json.load(open(mdir + "/meeting.json"))
segs = jsonl(mdir + "/speech.jsonl")
rate = meet["rate"]
joined = next(e for e in log if e["event"] == "bot_joined")["utc_ns"]
origin = utc_ns(meet["timeline_origin_utc"])
lead = (origin - joined) / 1e9  # media seconds at bot sample 0
tl = meet["gate_timeline"]
opens = []
for i, g in enumerate(tl):
    if g["open"]:
        end = tl[i + 1]["sample"] / rate if i + 1 < len(tl) else 1e9
        opens.append((g["sample"] / rate, end))
bad = []
part_of = {s["id"]: s["participant"] for s in meet["streams"]}
for s in segs:
    if s["participant"] != part_of.get(s["stream"]):
        bad.append("line names %s for stream %s" % (s["participant"], s["stream"]))
    if s["source"] != SOURCE or s["rate"] != rate:
        bad.append("line %s" % s)
worst = 0.0
for pid in sorted({e["participant"] for e in log if e["event"] == "audio"}):
    got = sorted((s["start_sample"] / rate, s["end_sample"] / rate)
                 for s in segs if s["participant"] == pid)
    if pid == SILENT:
        if pid not in part_of.values():
            bad.append("the silent participant has no stream: nothing tested")
        if got:
            bad.append("%s is silent but has segments %s" % (pid, got))
        continue
    want = []
    for e in log:
        if e["event"] != "audio" or e["participant"] != pid:
            continue
        a, b = e["media_start"] / 48000 - lead, e["media_end"] / 48000 - lead
        for oa, ob in opens:
            lo, hi = max(a, oa), min(b, ob)
            if hi - lo >= MIN_S:
                want.append((lo, hi))
    want.sort()
    if len(got) != len(want):
        bad.append("%s: segments %s, spoken %s" % (pid, got, want))
        continue
    for (ga, gb), (wa, wb) in zip(got, want):
        worst = max(worst, abs(ga - wa), abs(gb - wb))
        if abs(ga - wa) > TOL_S or abs(gb - wb) > TOL_S:
            bad.append("%s: segment %.3f-%.3f s, spoken %.3f-%.3f s"
                       % (pid, ga, gb, wa, wb))
    print("%s: %d segment(s) %s" % (pid, len(got),
          ", ".join("%.3f-%.3f" % g for g in got)))
for b in bad:
    print("speech_check: FAIL:", b)
if not bad:
    print("speech_check: ok, %d segment(s), worst boundary error %.0f ms"
          % (len(segs), worst * 1000))
sys.exit(1 if bad else 0)
