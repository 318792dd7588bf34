#!/usr/bin/env python3
"""`vpbot replay` of fixed captures gives a fixed output: the manifest
(every chunk's placement, size and counters) and meeting.json's `streams`
are compared with digests recorded in replay_golden.json. A refactoring of
the recording path must keep them (issue 11: byte-identical replays).

The captures are made here from a seeded generator (replay_hostile.py's
helpers: random CELT payloads), so they do not depend on an encoder; the
digests leave out what depends on the decoder's floating point (the PCM
itself) and on the wall clock. usage: replay_golden.py VPBOT [--update]
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import replay_hostile as h  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "replay_golden.json")


def captures():
    rng = random.Random(11)
    p1 = h.speaker(rng, 0x2222, 0, 6, sport=5000)
    p2 = h.speaker(rng, 0x2222, 0.01, 6, sport=5002, seq0=40000,
                   ts0=3000000000)
    p3 = h.speaker(rng, 0x4444, 1.0, 4, sport=5004, jump_at=(50,),
                   jump=48000 * 3600)
    # a restart (new SSRC on the same flow) and a reordered, lossy stretch
    p4 = h.speaker(rng, 0x5555, 0.5, 3, sport=5006)
    p4 += h.speaker(rng, 0x5556, 3.6, 2, sport=5006, seq0=9000, ts0=77)
    lossy = [p for i, p in enumerate(p4) if i % 7 != 3]
    lossy[10], lossy[11] = lossy[11], lossy[10]
    junk = [(i * 0.001, 7000 + i % 50, 6000,
             h.rtp(96, rng.getrandbits(16), rng.getrandbits(32),
                   0x50000000 + i, h.opus20(rng))) for i in range(300)]
    return {"mix": p1 + p2 + p3 + junk, "restart": lossy}


RUNS = [("mix", "mix48", ["--chunk-seconds", "2"]),
        ("mix", "mix16", ["--rate", "16000", "--chunk-seconds", "1.5"]),
        ("restart", "restart24", ["--rate", "24000", "--channels", "2"])]


def digest(d):
    man = open(os.path.join(d, "manifest.jsonl"), "rb").read()
    streams = json.load(open(os.path.join(d, "meeting.json")))["streams"]
    return {"manifest": hashlib.sha256(man).hexdigest(),
            "manifest_lines": man.count(b"\n"),
            "streams": hashlib.sha256(json.dumps(
                streams, sort_keys=True).encode()).hexdigest()}


def main():
    vpbot, update = sys.argv[1], "--update" in sys.argv[2:]
    tmp = tempfile.mkdtemp(prefix="vp-golden-%d-" % os.getpid())
    got, bad = {}, 0
    try:
        caps = captures()
        for name, pkts in caps.items():
            h.write_pcap(os.path.join(tmp, name + ".pcap"), pkts)
        for cap, meeting, opts in RUNS:
            r = subprocess.run([vpbot, "replay",
                                os.path.join(tmp, cap + ".pcap"), "--out",
                                os.path.join(tmp, "out"), "--meeting",
                                meeting] + opts,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=120)
            if r.returncode != 0:
                print("FAIL %s: exit %d: %s" % (meeting, r.returncode,
                                               r.stderr.decode()[-300:]))
                bad = 1
                continue
            got[meeting] = digest(os.path.join(tmp, "out", meeting))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if update:
        with open(GOLDEN, "w") as f:
            json.dump(got, f, indent=2, sort_keys=True)
            f.write("\n")
        print("wrote", GOLDEN)
        return bad
    want = json.load(open(GOLDEN))
    for k in sorted(want):
        if got.get(k) != want[k]:
            print("FAIL %s: %s, recorded %s" % (k, got.get(k), want[k]))
            bad = 1
        else:
            print("ok %s: %d manifest lines as recorded" %
                  (k, want[k]["manifest_lines"]))
    if not want:
        print("FAIL: no recorded digests")
        bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
