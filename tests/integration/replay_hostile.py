#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""replay_hostile.py VPBOT: hostile captures through `vpbot replay` (issue
10 items 2, 3, 5). Each capture is made here as a pcap of Ethernet/IPv4/UDP
RTP; vpbot replays it; the checks are on what reached the disk:

- a forward timestamp jump with consecutive sequence numbers (+1 h once,
  every 10 packets, +2^31-2000) is no licence to fill: the output of a
  stream is at most the capture's duration + 1 s, the manifest's counters
  agree (dtx_samples <= samples, line by line and in meeting.json);
- a second sender reusing an SSRC on another UDP flow is a stream of its
  own, each bounded by the duration; on the same flow, still bounded, and
  start_utc never goes backwards within a stream;
- 300 junk SSRCs before a real speaker do not hide the speaker; 70
  Opus-looking streams of 6 packets do not push out a speaker of 150
  packets, and the stream cap is reported in meeting.json's status.warnings;
  nor do 4200 Opus-looking sources (more than the source table holds).

Prints one line per check (`ok` / `FAIL`), exits 1 if any failed."""
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from vcheck import check, failed

RATE = 48000


def udp_frame(sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    s = sum(struct.unpack("!10H", ip))
    s = (s & 0xFFFF) + (s >> 16)
    ip = ip[:10] + struct.pack("!H", ~s & 0xFFFF) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    return eth + ip + udp


def rtp(pt, seq, ts, ssrc, payload):
    return struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, ts & 0xFFFFFFFF,
                       ssrc) + payload


def opus20(rng):
    """A CELT fullband 20 ms mono packet (RFC 6716 TOC config 31, code 0):
    libopus decodes any body bytes."""
    return b"\xf8" + bytes(rng.getrandbits(8) for _ in range(40))


def write_pcap(path, pkts):
    """pkts: [(t_seconds, sport, dport, rtp_bytes)], any order."""
    t0 = 1700000000.0
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, sport, dport, data in sorted(pkts, key=lambda p: p[0]):
            fr = udp_frame(sport, dport, data)
            us = int(round((t0 + t) * 1e6))
            f.write(struct.pack("<IIII", us // 10**6, us % 10**6, len(fr),
                                len(fr)))
            f.write(fr)


def speaker(rng, ssrc, t0, secs, sport=5000, jump_at=(), jump=0, seq0=100,
            ts0=1000):
    """20 ms packets; at each packet index in jump_at the timestamp leaps
    forward by `jump` while the sequence number goes on by one."""
    out, ts = [], ts0
    for i in range(int(secs * 50)):
        if i in jump_at:
            ts += jump
        out.append((t0 + i * 0.02, sport, 6000,
                    rtp(111, seq0 + i, ts, ssrc, opus20(rng))))
        ts += 960
    return out


def watch(p, d):
    """Wait for vpbot; kill it once it has written far more than any check
    allows (a broken build fills the disk: 16 GB from 115 KB)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return p.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            n = bytes_on_disk(d)
            if n > 40 * 10**6 or time.monotonic() > deadline:
                p.kill()
                p.wait()
                return "killed: %d bytes written" % n


def replay(vpbot, tmp, name, pkts):
    cap = os.path.join(tmp, name + ".pcap")
    write_pcap(cap, pkts)
    out = os.path.join(tmp, "out")
    d = os.path.join(out, name)
    p = subprocess.Popen([vpbot, "replay", cap, "--out", out],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        rc = watch(p, d)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    mj = os.path.join(d, "meeting.json")
    meeting = json.load(open(mj)) if os.path.exists(mj) else {}
    man = os.path.join(d, "manifest.jsonl")
    lines = [json.loads(l) for l in open(man)] if os.path.exists(man) else []
    return rc, meeting, lines, d


def bytes_on_disk(d):
    n = 0
    for root, _, files in os.walk(os.path.join(d, "streams")):
        for f in files:
            try:
                n += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass  # renamed from .tmp meanwhile
    return n


def check_bounded(name, rc, meeting, lines, d, secs, nstreams):
    check(name + ": exit 0", rc == 0, "got %s" % rc)
    streams = meeting.get("streams", [])
    check(name + ": %d stream(s)" % nstreams, len(streams) == nstreams,
          "got %d" % len(streams))
    limit = int((secs + 1.0) * RATE)
    for s in streams:
        mine = [m for m in lines if m["stream"] == s["id"]]
        span = (max(m["start_sample"] + m["samples"] for m in mine) -
                min(m["start_sample"] for m in mine)) if mine else 0
        check("%s: %s spans <= %.0f s + 1 s" % (name, s["id"], secs),
              span <= limit, "%d samples" % span)
        check("%s: %s dtx_samples <= samples" % (name, s["id"]),
              s["dtx_samples"] <= s["samples"],
              "%d > %d" % (s["dtx_samples"], s["samples"]))
        bad = [m["file"] for m in mine if m["dtx_samples"] > m["samples"] or
               m["gap_samples"] > m["samples"]]
        check("%s: %s manifest lines consistent" % (name, s["id"]),
              not bad, " ".join(bad))
        utc = [m["start_utc_ns"] for m in sorted(
            mine, key=lambda m: m["start_sample"])]
        check("%s: %s start_utc never goes backwards" % (name, s["id"]),
              utc == sorted(utc))
    n = bytes_on_disk(d)
    check(name + ": bytes on disk bounded", n <= nstreams * limit * 2 + 10**5,
          "%d bytes" % n)


def main():
    vpbot = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="vp-hostile-%d-" % os.getpid())
    rng = random.Random(10)
    try:
        for name, at, jump in [
                ("jump1h", (100,), RATE * 3600),
                ("jumpevery10", tuple(range(10, 250, 10)), RATE * 3600),
                ("jump2e31", (100,), 2**31 - 2000)]:
            rc, mj, lines, d = replay(
                vpbot, tmp, name, speaker(rng, 0x1111, 0, 5, jump_at=at,
                                          jump=jump))
            check_bounded(name, rc, mj, lines, d, 5, 1)
            st = mj.get("streams", [{}])
            check(name + ": the restart is counted in meeting.json",
                  st and st[0].get("restarts", 0) >= len(at),
                  "restarts %s" % (st and st[0].get("restarts")))

        # item 3: p2 reuses p1's SSRC, other seq and ts, interleaved
        p1 = speaker(rng, 0x2222, 0, 6, sport=5000)
        p2 = speaker(rng, 0x2222, 0.01, 6, sport=5002, seq0=40000,
                     ts0=3000000000)
        rc, mj, lines, d = replay(vpbot, tmp, "collide2flows", p1 + p2)
        check_bounded("collide2flows", rc, mj, lines, d, 6, 2)
        p2 = speaker(rng, 0x2222, 0.01, 6, sport=5000, seq0=40000,
                     ts0=3000000000)
        rc, mj, lines, d = replay(vpbot, tmp, "collide1flow", p1 + p2)
        check_bounded("collide1flow", rc, mj, lines, d, 6, 1)
        # ... with sequence numbers close to p1's and timestamps 1 h on
        p2 = speaker(rng, 0x2222, 0.01, 6, sport=5000, seq0=110,
                     ts0=1000 + RATE * 3600)
        rc, mj, lines, d = replay(vpbot, tmp, "collidenear", p1 + p2)
        check_bounded("collidenear", rc, mj, lines, d, 6, 1)

        # item 5: 300 junk SSRCs, then a speaker
        junk = [(i * 0.001, 7000 + i % 50, 6000,
                 rtp(96, rng.getrandbits(16), rng.getrandbits(32),
                     0x50000000 + i, opus20(rng))) for i in range(300)]
        sp = speaker(rng, 0x3333, 0.5, 3, sport=5004)
        rc, mj, lines, d = replay(vpbot, tmp, "flood", junk + sp)
        st = mj.get("streams", [])
        check("flood: exit 0", rc == 0, "got %s" % rc)
        check("flood: the speaker is recorded",
              any(0x3333 in s.get("ssrcs", []) and
                  s["samples"] >= 2.5 * RATE for s in st),
              json.dumps([(s["id"], s.get("ssrcs"), s["samples"])
                          for s in st]))
        # 70 short Opus-looking streams, each on its own flow, then a
        # speaker: the stream cap keeps the speaker and says what it cut
        many = []
        for i in range(70):
            many += speaker(rng, 0x60000000 + i, i * 0.001, 0.12,
                            sport=8000 + i)
        sp = speaker(rng, 0x4444, 0.5, 3, sport=5006)
        rc, mj, lines, d = replay(vpbot, tmp, "streamcap", many + sp)
        st = mj.get("streams", [])
        warn = mj.get("status", {}).get("warnings", [])
        check("streamcap: exit 0", rc == 0, "got %s" % rc)
        check("streamcap: the speaker is recorded",
              any(0x4444 in s.get("ssrcs", []) for s in st))
        check("streamcap: the cap is reported in status.warnings",
              any("stream_cap" in w for w in warn), json.dumps(warn))
        check("streamcap: 64 streams", len(st) == 64, "got %d" % len(st))
        # more Opus-looking sources than the table holds, then a speaker
        many = []
        for i in range(4200):
            many += speaker(rng, 0x70000000 + i, i * 0.0001, 0.12,
                            sport=10000 + i)
        sp = speaker(rng, 0x4444, 1.0, 3, sport=5006)
        rc, mj, lines, d = replay(vpbot, tmp, "ssrccap", many + sp)
        st = mj.get("streams", [])
        warn = mj.get("status", {}).get("warnings", [])
        check("ssrccap: exit 0", rc == 0, "got %s" % rc)
        check("ssrccap: the speaker is recorded",
              any(0x4444 in s.get("ssrcs", []) for s in st))
        check("ssrccap: the cap is reported in status.warnings",
              any("ssrc_cap" in w for w in warn), json.dumps(warn))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
