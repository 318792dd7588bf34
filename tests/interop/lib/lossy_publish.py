#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""lossy_publish.py  publish.py with a share of its RTP packets dropped
after they were numbered, so that every receiver sees sequence gaps (the
loss a network would cause; the test netns has no netem or iptables).

  lossy_publish.py --drop P --drop-log FILE [--seed N] PUBLISH.PY-ARGS...

Drops each RTP packet (never RTCP) with probability P (deterministic per
seed) and writes {"rtp_sent": N, "rtp_dropped": N} to FILE at the end.
"""
import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import publish  # noqa: E402  (tests/interop/publish.py)
from aiortc.rtcdtlstransport import RTCDtlsTransport  # noqa: E402
from aiortc.rtp import is_rtcp  # noqa: E402


def main():
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--drop", type=float, required=True)
    ap.add_argument("--drop-log", required=True)
    ap.add_argument("--seed", type=int, default=7)
    a, rest = ap.parse_known_args()
    rng = random.Random(a.seed)
    count = {"rtp_sent": 0, "rtp_dropped": 0}
    orig = RTCDtlsTransport._send_rtp

    async def lossy(self, data):
        if not is_rtcp(data):
            if rng.random() < a.drop:
                count["rtp_dropped"] += 1
                return
            count["rtp_sent"] += 1
        await orig(self, data)

    RTCDtlsTransport._send_rtp = lossy
    sys.argv = [sys.argv[0]] + rest
    try:
        publish.main()
    finally:
        with open(a.drop_log, "w") as f:
            json.dump(count, f)


if __name__ == "__main__":
    main()
