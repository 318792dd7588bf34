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
import subprocess
import sys

NS = f"vpt-rr-{os.getpid()}"
SECONDS = 12
DROP = 0.05


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True)


def make_netns(ns):
    sh("ip", "netns", "del", ns, check=False)
    sh("ip", "netns", "add", ns)
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", ns, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    sh("ip", "netns", "exec", ns, "sysctl", "-qw",
       "net.ipv6.conf.all.disable_ipv6=1")
    sh("ip", "-n", ns, "addr", "add", "127.0.0.2/32", "dev", "va")
    sh("ip", "-n", ns, "link", "set", "va", "up")
    sh("ip", "-n", ns, "link", "set", "vb", "up")


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
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack

    count = {"sent": 0, "dropped": 0}
    lossy(count)
    pc = RTCPeerConnection()
    tr = pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    proc = await asyncio.create_subprocess_exec(
        probe, str(SECONDS), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    proc.stdin.write(pc.localDescription.sdp.encode() + b"END\n")
    await proc.stdin.drain()
    answer = []
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 10)
        if not line or line.strip() == b"END":
            break
        answer.append(line.decode().rstrip("\r\n"))
    if not answer:
        print("rr_aiortc: probe gave no answer", file=sys.stderr)
        return 1
    await pc.setRemoteDescription(
        RTCSessionDescription(sdp="\r\n".join(answer) + "\r\n", type="answer"))
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
    try:
        rc = await asyncio.wait_for(wait, 30)
    except asyncio.TimeoutError:
        proc.kill()
        rc = 124
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


def main():
    probe = os.path.abspath(sys.argv[1])
    if not os.environ.get("VPT_IN_NS"):
        if os.geteuid() != 0:
            print("rr_aiortc: needs root for the netns", file=sys.stderr)
            return 1
        make_netns(NS)
        try:
            env = dict(os.environ, VPT_IN_NS=NS)
            return subprocess.run(
                ["ip", "netns", "exec", NS, sys.executable, __file__, probe],
                env=env, timeout=100).returncode
        finally:
            sh("ip", "netns", "del", NS, check=False)
    return asyncio.run(run(probe))


if __name__ == "__main__":
    sys.exit(main())
