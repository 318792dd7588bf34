#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz_stun (tests/fuzz/corpus/stun): ICE binding requests as a
peer sends them (RFC 8445 §7.1.2, RFC 5389 §15.4/15.5), keyed with the
credentials fuzz_stun.c uses, and the things around them."""
import hashlib, hmac, os, struct, sys, zlib

LU, LP, RU = b"lufr", b"local-password-22chars", b"rufr"
COOKIE = 0x2112A442


def attr(t, v):
    pad = (4 - len(v) % 4) % 4
    return struct.pack("!HH", t, len(v)) + v + b"\0" * pad


def msg(mtype, attrs, key=None, fp=True, tid=b"\x01" * 12):
    body = b"".join(attrs)
    if key is not None:  # MESSAGE-INTEGRITY over the header with its length
        hdr = struct.pack("!HHI", mtype, len(body) + 24, COOKIE) + tid
        mac = hmac.new(key, hdr + body, hashlib.sha1).digest()
        body += attr(0x0008, mac)
    if fp:
        hdr = struct.pack("!HHI", mtype, len(body) + 8, COOKIE) + tid
        crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack("!I", crc))
    return struct.pack("!HHI", mtype, len(body), COOKIE) + tid + body


def check(user, key, extra=()):
    return msg(0x0001, [attr(0x0006, user), attr(0x0024, struct.pack("!I", 0x6EFFFFFF)),
                        attr(0x802A, b"\0" * 7 + b"\x2a"), *extra], key)


seeds = {
    "check": check(LU + b":" + RU, LP),
    "check_use_candidate": check(LU + b":" + RU, LP, [attr(0x0025, b"")]),
    "check_wrong_password": check(LU + b":" + RU, b"not-our-password-at-all"),
    "check_wrong_user": check(b"someone:" + RU, LP),
    "check_no_fingerprint": msg(0x0001, [attr(0x0006, LU + b":" + RU)], LP, fp=False),
    "check_unknown_required_attr": check(LU + b":" + RU, LP, [attr(0x0033, b"x")]),
    "indication": msg(0x0011, []),
    "response_unmatched": msg(0x0101, [attr(0x0020, b"\0\x01\x9c\x40" + b"\x5e\x12\xa4\x43")], LP),
    "error_487": msg(0x0111, [attr(0x0009, b"\0\0\x04\x57role")], LP),
    "truncated": check(LU + b":" + RU, LP)[:30],
    "rtp_like": bytes([0x80, 0x6F]) + b"\0" * 30,
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "stun")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    open(os.path.join(out, name), "wb").write(data)
print(f"{len(seeds)} seeds in {out}")
