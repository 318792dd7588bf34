#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus for fuzz_rtp and fuzz_rtcp (valid and malformed
packets, mirroring tests/unit/test_rtp.c). Run from the repository root:
    python3 tests/fuzz/gen_corpus_rtp.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def rtp(pt=111, seq=1, ts=160, ssrc=7, marker=0, csrcs=(), ext=None,
        payload=b"\x78\x0b", pad=0, version=2):
    b0 = (version << 6) | ((1 if pad else 0) << 5) | \
        ((1 if ext is not None else 0) << 4) | len(csrcs)
    out = struct.pack("!BBHII", b0, (marker << 7) | pt, seq, ts, ssrc)
    out += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext is not None:
        profile, body = ext
        out += struct.pack("!HH", profile, len(body) // 4) + body
    out += payload
    if pad:
        out += b"\0" * (pad - 1) + bytes([pad])
    return out


def rtcp(pt, count, body, pad=0, version=2, length=None):
    if pad:
        body += b"\0" * (pad - 1) + bytes([pad])
    words = (4 + len(body)) // 4 - 1 if length is None else length
    return struct.pack("!BBH", (version << 6) | ((1 if pad else 0) << 5) |
                       count, pt, words) + body


RB = struct.pack("!IIIIII", 0x22222222, 0x40FFFFFE, 0x1000A, 42,
                 0x45678000, 0x10000)
SR_INFO = struct.pack("!IIIII", 0xE1234567, 0x80000000, 48000, 100, 16000)
SDES = struct.pack("!I", 0x11111111) + b"\x01\x05alice\x00"
BYE = struct.pack("!I", 0x11111111) + b"\x03bye"
APP = struct.pack("!I", 0x11111111) + b"ABCD"

RTP_SEEDS = {
    "minimal": rtp(),
    "opus-one-byte-csrc-pad": rtp(marker=1, seq=0xFFFF, csrcs=(10, 11),
                                  ext=(0xBEDE, b"\x10\x9e\x32\x12\x34\x56\0\0"),
                                  pad=4),
    "opus-two-byte": rtp(ext=(0x1005, b"\x01\x01\x7f\x00\x20\x00\x40\x04"
                              b"\xca\xfe\xba\xbe"), pad=2, csrcs=(10,)),
    "rfc8285-one-byte": rtp(ext=(0xBEDE, b"\x10\xa1\x21\xb1\xb2\x00\x00\x33"
                                 b"\xc1\xc2\xc3\xc4")),
    "bad-csrc-past-end": rtp(csrcs=(1, 2, 3), payload=b"")[:16],
    "bad-ext-past-end": rtp(ext=(0xBEDE, b"\x10\x9e\0\0"), payload=b"")[:-2],
    "bad-padding-zero": b"\xa0" + rtp(payload=b"\xaa\xbb\xcc\x00")[1:],
    "bad-version-1": rtp(version=1),
    "ext-id15-stop": rtp(ext=(0xBEDE, b"\xf0\x20\xaa\x00")),
}

RTCP_SEEDS = {
    "sr-sdes-bye-app": rtcp(200, 1, struct.pack("!I", 0x11111111) + SR_INFO
                            + RB) + rtcp(202, 1, SDES) + rtcp(203, 1, BYE)
    + rtcp(204, 0, APP),
    "rr-two-blocks": rtcp(201, 2, struct.pack("!I", 9) + RB + RB),
    "rr-padded": rtcp(201, 0, struct.pack("!I", 9), pad=4),
    "bad-length-too-long": rtcp(201, 0, struct.pack("!I", 1), length=7),
    "bad-rc-too-short": rtcp(201, 1, struct.pack("!I", 1)),
    "bad-version-1": rtcp(201, 0, struct.pack("!I", 1), version=1),
    "bad-sdes-no-null": rtcp(202, 1, struct.pack("!I", 1) + b"\x01\x02ab"),
    "bad-bye-reason": rtcp(203, 1, struct.pack("!I", 1) + b"\x07bye"),
    "bad-trailing": rtcp(201, 0, struct.pack("!I", 1)) + b"\x80\xc9",
}


def write(sub, seeds):
    d = os.path.join(HERE, "corpus", sub)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("rtp", RTP_SEEDS)
    write("rtcp", RTCP_SEEDS)
