#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""rr_aiortc.py: vpbot's RTCP receiver reports (src/bot/rtcp_rr.c, run by
rr_probe: pc_probe built with PROBE_RR) judged by a real aiortc sender.

aiortc sends Opus and drops 5 % of its RTP after numbering; rr_probe
answers with vp_pc, receives, and sends RR + SDES CNAME as SRTCP at the RFC
3550 interval. aiortc keeps a report only if its block names aiortc's own
SSRC, and computes a round-trip time only if LSR is the middle 32 bits of
its last SR and DLSR is set. Checks on the sender's remote-inbound-rtp
stats: present, packetsLost > 0 and <= what was dropped by then,
fractionLost and jitter present, 0 < roundTripTime < 0.5 s (loopback).

Usage: rr_aiortc.py PATH/TO/rr_probe   (as root: it makes its own netns)
"""
import asyncio
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "lib"))
from aiortc_probe import main_in_netns, offer_to_probe, probe_exit  # noqa: E402

NS = f"vpt-rr-{os.getpid()}"
SECONDS = 12
DROP = 0.05


def lossy(count):
    """Drop DROP of the RTP (never RTCP) aiortc sends, after numbering."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport
    from aiortc.rtp import is_rtcp
    orig = RTCDtlsTransport._send_rtp
    rng = random.Random(7)

    async def send(self, data):
        if not is_rtcp(data) and count["sent"] > 50 and rng.random() < DROP:
            count["dropped"] += 1
            return
        if not is_rtcp(data):
            count["sent"] += 1
        await orig(self, data)
    RTCDtlsTransport._send_rtp = send


async def run(probe):
    count = {"sent": 0, "dropped": 0}
    lossy(count)
    pc, tr, proc = await offer_to_probe("rr_aiortc", [probe, str(SECONDS)])
    if pc is None:
        return 1
    best, reports = None, 0
    wait = asyncio.ensure_future(proc.wait())
    for _ in range(int((SECONDS + 25) / 0.25)):
        if wait.done():
            break
        await asyncio.sleep(0.25)
        dropped = count["dropped"]  # before the stats: an upper bound
        for s in (await tr.sender.getStats()).values():
            if s.type == "remote-inbound-rtp":
                if best is None or s.timestamp != best[0].timestamp:
                    reports += 1
                best = (s, dropped)
    rc = await probe_exit(proc, wait)
    ssrc = tr.sender._ssrc
    await pc.close()
    ok = rc == 0
    print(f"rr_aiortc: probe_rc={rc} sent={count['sent']} "
          f"dropped={count['dropped']} reports_seen={reports}")

    def check(what, cond):
        nonlocal ok
        print(f"check: {what} - {'ok' if cond else 'FAIL'}")
        ok = ok and bool(cond)
    check(f"aiortc kept our reports about its SSRC {ssrc}", best is not None)
    if best is None:
        return 1
    s, dropped = best
    print(f"remote-inbound-rtp: packetsLost={s.packetsLost} "
          f"fractionLost={s.fractionLost} jitter={s.jitter} "
          f"roundTripTime={s.roundTripTime}")
    check(f"packetsLost {s.packetsLost} > 0 and <= {dropped} dropped",
          0 < s.packetsLost <= dropped)
    check("fractionLost 0..255, jitter >= 0",
          0 <= s.fractionLost <= 255 and s.jitter >= 0)
    check("roundTripTime from our LSR/DLSR: 0 < rtt < 0.5 s",
          s.roundTripTime is not None and 0 < s.roundTripTime < 0.5)
    check(">= 2 reports seen", reports >= 2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main_in_netns("rr_aiortc", __file__, NS, run, 100))
