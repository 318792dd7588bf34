#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""live_check.py MDIR RECV_DIR: what the live receiver got (live_recv.py)
against what reached disk (manifest.jsonl + chunks), per stream.

Exact: every sample received is the sample on disk at that place on the
recording timeline, each received once; every sample on disk was received
except the zeros the chunk writer filled gaps with (gap_samples); nothing
was received where the gate was closed; no segment or counter says
anything was dropped; one hello and one end."""
import json
import sys
import wave

import numpy as np

mdir, rdir = sys.argv[1:3]
meet = json.load(open(mdir + "/meeting.json"))
man = [json.loads(l) for l in open(mdir + "/manifest.jsonl") if l.strip()]
recv = json.load(open(rdir + "/recv.json"))
rate = meet["rate"]
bad = []


def pcm(p):
    with wave.open(p) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


if recv["errors"]:
    bad.append("receiver errors: %s" % recv["errors"][:3])
if len(recv["hello"]) != 1 or recv["hello"][0].get("meeting") != meet["meeting"]:
    bad.append("hello: %s" % recv["hello"])
seqs = sorted({s["seq"] for s in recv["segments"]})
if seqs != list(range(1, len(seqs) + 1)):
    bad.append("message seq numbers are not 1..N: %s" % seqs[:10])
if recv["ends"] != 1:
    bad.append("%d end messages" % recv["ends"])
live = meet.get("live") or {}
if live.get("dropped_samples") != 0 or live.get("connects") != 1:
    bad.append("meeting.json live: %s" % live)
part_of = {s["id"]: s["participant"] for s in meet["streams"]}
end = max([c["start_sample"] + c["samples"] for c in man] +
          [s["start_sample"] + s["samples"] for s in recv["segments"]] + [0])
tl = meet["gate_timeline"]
closed = [(g["sample"], tl[i + 1]["sample"] if i + 1 < len(tl) else end)
          for i, g in enumerate(tl) if not g["open"] and g["sample"] > 0]
if not closed:
    bad.append("the gate never closed after sample 0: scenario did not run")
total = 0
for sid in sorted(part_of):
    disk = np.zeros(end, np.int16)
    dmask = np.zeros(end, bool)
    want = 0
    for c in man:
        if c["stream"] != sid:
            continue
        x = pcm(mdir + "/" + c["file"])
        disk[c["start_sample"]:c["start_sample"] + len(x)] = x
        dmask[c["start_sample"]:c["start_sample"] + len(x)] = True
        want += c["samples"] - c["gap_samples"]
    got = np.zeros(end, np.int16)
    rmask = np.zeros(end, np.int32)
    for s in recv["segments"]:
        if s["stream"] != sid:
            continue
        if s["rate"] != rate or s["channels"] != 1 or s["dropped"]:
            bad.append("segment %s" % s)
        if s["participant"] != part_of[sid]:
            bad.append("segment names %s for %s" % (s["participant"], sid))
        x = np.fromfile(rdir + "/" + s["pcm_file"], "<i2")
        a = s["start_sample"]
        got[a:a + len(x)] = x
        rmask[a:a + len(x)] += 1
    n = int((rmask > 0).sum())
    if rmask.max(initial=0) > 1:
        bad.append("%s: a sample was received twice" % sid)
    if np.any((rmask > 0) & ~dmask):
        bad.append("%s: received samples that are not on disk" % sid)
    if not np.array_equal(got[rmask > 0], disk[rmask > 0]):
        bad.append("%s: received samples differ from the disk" % sid)
    if np.any(disk[dmask & (rmask == 0)]):
        bad.append("%s: disk samples never received" % sid)
    if n != want:
        bad.append("%s: received %d samples, disk holds %d (less gap fill)"
                   % (sid, n, want))
    for a, b in closed:
        if np.any(rmask[a:b]):
            bad.append("%s: audio received while the gate was closed "
                       "(%d-%d)" % (sid, a, b))
    total += n
    print("%s (%s): %d samples received = disk" % (sid, part_of[sid], n))
if total < rate:
    bad.append("less than a second of audio received: nothing tested")
for b in bad:
    print("live_check: FAIL:", b)
if bad:
    sys.exit(1)
print("live_check: OK, %d segments in %d messages, %d closed window(s)"
      % (len(recv["segments"]),
         len({s["seq"] for s in recv["segments"]}), len(closed)))
