#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus for fuzz_pipeline (record format: fuzz_pipeline.c):
a steady speaker, DTX, loss, the timestamp jumps and SSRC collision of
issue 10, a gate revoke in the middle of speech. Run from the repo root:
    python3 tests/fuzz/gen_corpus_pipeline.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OPUS = b"\xf8" + bytes(range(1, 40))  # CELT FB 20 ms, code 0


def rec(op, dt_ms, seq, ts, ssrc=0, pt=111, payload=OPUS):
    return struct.pack("<Bh", op, dt_ms * 16) + struct.pack(
        "!HIBBB", seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc, pt,
        len(payload)) + payload


def speaker(n, seq=100, ts=1000, ssrc=0, dt=20, jumps=None, skip=()):
    out = b""
    for i in range(n):
        jump = (jumps or {}).get(i, 0)
        ts += jump
        # a real pause (< 1 min) takes as long to arrive; a forged jump not
        step = dt + (jump // 48 if jump < 48000 * 60 else 0)
        if i not in skip:
            out += rec(0, step, seq + i, ts, ssrc)
        ts += 960
        if i % 5 == 4:
            out += rec(5, 0, 0, 0)  # poll
    return out


def main():
    d = os.path.join(HERE, "corpus", "pipeline")
    os.makedirs(d, exist_ok=True)
    seeds = {
        "steady": b"\0" + speaker(100),
        "steady-live": b"\1" + speaker(100),
        "dtx": b"\0" + speaker(50, jumps={25: 48000}),
        "loss": b"\0" + speaker(60, skip=(10, 11, 30)),
        "jump-1h": b"\0" + speaker(50, jumps={20: 48000 * 3600}),
        "jump-every10": b"\0" + speaker(
            80, jumps={i: 48000 * 3600 for i in range(10, 80, 10)}),
        "jump-2e31": b"\1" + speaker(50, jumps={20: 2**31 - 2000}),
        "collision": b"\0" + b"".join(
            rec(0, 10, 100 + i // 2 if i % 2 == 0 else 110 + i // 2,
                1000 + 960 * (i // 2) + (0 if i % 2 == 0 else 48000 * 3600))
            for i in range(80)),
        "revoke-live": b"\1" + speaker(40) + rec(6, 3, 0, 0) +
        speaker(20, seq=140, ts=1000 + 960 * 40) + rec(6, 0, 0, 0) +
        speaker(20, seq=160, ts=1000 + 960 * 60),
        "ssrc-change-sr": b"\0" + speaker(30) + rec(7, 0, 5, 7000, 1) +
        speaker(30, seq=9000, ts=555, ssrc=1),
        "backwards-arrival": b"\1" + speaker(30) + speaker(
            30, seq=130, ts=1000 + 960 * 30, dt=-7),
    }
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
