#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_corpus_jb.py RTPGEN OUTDIR: seeds for fuzz_jb, each the op script
(fuzz_jb.c) of a real capture: rtpgen's packets in their capture order
with its loss, reordering, duplicates, jitter, DTX and an SSRC restart,
plus polls where the capture pauses.
"""
import struct

from rtpgen_corpus import main, pcaplib

CASES = {
    "clean": [],
    "loss_reorder": ["--loss", "0.1", "--reorder", "3", "--dup", "0.02"],
    "jitter_dtx": ["--jitter-ms", "60", "--dtx-at", "0.4", "--dtx-len", "0.4"],
    "restart": ["--ssrc-change-at", "0.6", "--jitter-ms", "20"],
}


def script(pc, cfg):
    out = bytearray(cfg)
    prev = None
    for i, r in pcaplib.rtp_packets(pc):
        t_ns = pc.records[i][0]
        if prev is None:
            ds, dt, da = 0, 0, 0
        else:
            ds = (r["seq"] - prev[0] + 0x8000) % 0x10000 - 0x8000
            dt = ((r["ts"] - prev[1] + 0x80000000) % 0x100000000
                  - 0x80000000) // 120
            da = max(0, (t_ns - prev[2]) // 1000000)
        ds = max(-128, min(127, ds))
        dt = max(-32768, min(32767, dt))
        if da > 255:  # a pause: poll the clock forward first
            out += bytes([3, min(255, da // 10), 0, 0, 0, 0, 0, 0])
            da = 0
        out += struct.pack("<Bbh", 0, ds, dt) + bytes([da, 1, 0, 0])
        prev = (r["seq"], r["ts"], t_ns)
    return bytes(out)


def seed(k, pc):
    cfg = bytes([4 + (0x80 if k % 2 else 0), 19])  # 32, 200 ms
    return script(pc, cfg)


if __name__ == "__main__":
    main(CASES, seed)
