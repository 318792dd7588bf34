#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ref_replay.py  independent reference for `vpbot replay`: decodes the Opus
RTP streams of a pcap with libopus (ctypes) and writes a meeting folder in
the docs/design.md section 5 layout (one chunk per stream, manifest.jsonl).

  ref_replay.py CAPTURE --out DIR [--meeting ID] [--rate 48000] [--pt N]

Used to measure what the Janus -> Opus path itself allows (the thresholds
replay_capture.sh applies to vpbot) and to self-test compare.py before vpbot
replay exists. Packets are ordered by sequence number (RFC 3550 A.1 style
unwrapping), duplicates dropped; each missing packet is concealed by libopus
FEC from the next packet when present, else PLC, and counted. Every packet
is assumed to carry 20 ms (what aiortc and Chromium send). Stream sample 0
is the first packet's RTP timestamp of the earliest stream.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import sys
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcaplib  # noqa: E402


class Opus:
    def __init__(self, rate):
        name = ctypes.util.find_library("opus")
        if not name:
            sys.exit("ref_replay.py: libopus not found (libopus0)")
        self.lib = ctypes.CDLL(name)
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        err = ctypes.c_int()
        self.dec = self.lib.opus_decoder_create(rate, 1, ctypes.byref(err))
        if err.value != 0:
            sys.exit("ref_replay.py: opus_decoder_create failed")
        self.frame = rate // 50
        self.buf = (ctypes.c_int16 * (self.frame * 6))()

    def decode(self, data, fec=False):
        n = self.lib.opus_decode(ctypes.c_void_p(self.dec),
                                 data, len(data) if data else 0, self.buf,
                                 self.frame, 1 if fec else 0)
        if n < 0:
            n = self.lib.opus_decode(ctypes.c_void_p(self.dec), None, 0,
                                     self.buf, self.frame, 0)
        return np.frombuffer(bytes(self.buf), np.int16)[:max(n, 0)].copy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("capture")
    ap.add_argument("--out", required=True)
    ap.add_argument("--meeting", default="ref")
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--pt", type=int)
    a = ap.parse_args()
    pc = pcaplib.read(a.capture)
    streams = {}
    for _, r in pcaplib.rtp_packets(pc):
        if a.pt is None or r["pt"] == a.pt:
            streams.setdefault(r["ssrc"], []).append(r)
    if not streams:
        sys.exit("ref_replay.py: no RTP packets in the capture")
    mdir = os.path.join(a.out, a.meeting)
    os.makedirs(mdir, exist_ok=True)
    base_ts = None
    plan = []
    for ssrc, pk in streams.items():
        ext, last = {}, None
        for r in pk:  # unwrap the 16-bit sequence number
            s = r["seq"] if last is None else \
                last + ((r["seq"] - last + 32768) % 65536 - 32768)
            last = s
            ext.setdefault(s, r)
        seqs = sorted(ext)
        plan.append((ssrc, ext, seqs))
        t0 = ext[seqs[0]]["ts"]
        base_ts = t0 if base_ts is None else min(base_ts, t0)
    mf = open(os.path.join(mdir, "manifest.jsonl"), "w")
    for k, (ssrc, ext, seqs) in enumerate(sorted(plan)):
        dec, out, lost, fec, plc = Opus(a.rate), [], 0, 0, 0
        for s in range(seqs[0], seqs[-1] + 1):
            if s in ext:
                out.append(dec.decode(ext[s]["payload"]))
                continue
            lost += 1
            nxt = ext.get(s + 1)
            if nxt is not None:
                fec += 1
                out.append(dec.decode(nxt["payload"], fec=True))
            else:
                plc += 1
                out.append(dec.decode(None))
        pcm = np.concatenate(out)
        sid = f"s{k}"
        rel = f"streams/{sid}/000000.wav"
        os.makedirs(os.path.join(mdir, "streams", sid), exist_ok=True)
        with wave.open(os.path.join(mdir, rel), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(a.rate)
            w.writeframes(pcm.astype("<i2").tobytes())
        start = ((ext[seqs[0]]["ts"] - base_ts) % 2**32) * a.rate // 48000
        mf.write(json.dumps({"stream": sid, "file": rel, "seq": 0,
                             "start_sample": start, "samples": int(pcm.size),
                             "rate": a.rate, "channels": 1, "lost": lost,
                             "fec": fec, "plc": plc, "dtx": 0,
                             "ssrc": ssrc}) + "\n")
    mf.close()


if __name__ == "__main__":
    main()
