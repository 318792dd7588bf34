#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_corpus_timeline.py RTPGEN OUTDIR: seeds for fuzz_timeline, each the
op script (fuzz_timeline.c) of a real capture: rtpgen's packets placed in
capture order (SSRC, timestamp step, arrival step), an SR where the
capture has one, and an SSRC restart."""
import struct

from rtpgen_corpus import main, pcaplib

CASES = {
    "clean": [],
    "jitter_reorder": ["--jitter-ms", "40", "--reorder", "3", "--loss", "0.05"],
    "ssrc_restart": ["--ssrc-change-at", "0.5"],
    "sr_offset": ["--sr-offset-ms", "700"],
}


def script(pc, rate_sel):
    out = bytearray([rate_sel])
    ssrcs, prev = [], None
    for i, (t_ns, frame) in enumerate(pc.records):
        p = pcaplib.udp_payload(pc.linktype, frame)
        if not p or len(p) < 8:
            continue
        sr = p[1] == 200
        if sr:
            ssrc, ts = struct.unpack(">I", p[4:8])[0], struct.unpack(
                ">I", p[16:20])[0] if len(p) >= 20 else 0
        else:
            r = pcaplib.rtp(p)
            if r is None:
                continue
            ssrc, ts = r["ssrc"], r["ts"]
        if ssrc not in ssrcs:
            ssrcs.append(ssrc)
        if prev is None:
            dts, dt = 0, 0
        else:
            dts = (ts - prev[0] + 0x80000000) % 0x100000000 - 0x80000000
            dt = max(0, min(0xffff, (t_ns - prev[1]) // 100000))
        step = max(-(1 << 23), min((1 << 23) - 1, dts)) << 8
        out += bytes([3 if sr else 0, ssrcs.index(ssrc) % 3])
        out += struct.pack("<iH", step, dt) + bytes([96, 0])
        prev = (ts, t_ns)
    return bytes(out)


if __name__ == "__main__":
    main(CASES, lambda k, pc: script(pc, k % 3))
