#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""pc_aiortc.py: vp_pc (through build/.../pc_probe) answers a real aiortc
offer (sendonly Opus audio) and must reach SECURE and decrypt >= 50 SRTP
packets, none failing SRTP authentication. aiortc is the independent
referee for ICE, DTLS and SRTP.

Usage: pc_aiortc.py PATH/TO/pc_probe   (as root: it makes its own netns)

aioice drops 127.0.0.1 and libnice skips `lo`, so both ends run inside a
network namespace with a veth carrying 127.0.0.2 (docs/janus.md §2).
"""
import asyncio
import os
import subprocess
import sys

# unique per run: parallel runs never share (or delete) each other's netns
NS = os.environ.get("VPT_IN_NS") or "vpt-transport-%d" % os.getpid()


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True)


def make_netns():
    sh("ip", "netns", "del", NS, check=False)
    sh("ip", "netns", "add", NS)
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    sh("ip", "-n", NS, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    sh("ip", "netns", "exec", NS, "sysctl", "-qw",
       "net.ipv6.conf.all.disable_ipv6=1")
    sh("ip", "-n", NS, "addr", "add", "127.0.0.2/32", "dev", "va")
    sh("ip", "-n", NS, "link", "set", "va", "up")
    sh("ip", "-n", NS, "link", "set", "vb", "up")


async def run(probe):
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack

    pc = RTCPeerConnection()
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp

    proc = await asyncio.create_subprocess_exec(
        probe, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    proc.stdin.write(offer.encode() + b"END\n")
    await proc.stdin.drain()
    answer = []
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 10)
        if not line or line.strip() == b"END":
            break
        answer.append(line.decode().rstrip("\r\n"))
    if not answer:
        print("pc_aiortc: probe gave no answer", file=sys.stderr)
        return 1
    await pc.setRemoteDescription(
        RTCSessionDescription(sdp="\r\n".join(answer) + "\r\n", type="answer"))
    try:
        rc = await asyncio.wait_for(proc.wait(), 30)
    except asyncio.TimeoutError:
        proc.kill()
        rc = 124
    print(f"pc_aiortc: ice={pc.iceConnectionState} "
          f"conn={pc.connectionState} probe_rc={rc}", file=sys.stderr)
    await pc.close()
    return rc


def main():
    probe = os.path.abspath(sys.argv[1])
    if not os.environ.get("VPT_IN_NS"):
        if os.geteuid() != 0:
            print("pc_aiortc: needs root for the netns", file=sys.stderr)
            return 1
        make_netns()
        try:
            env = dict(os.environ, VPT_IN_NS=NS)
            return subprocess.run(
                ["ip", "netns", "exec", NS, sys.executable, __file__, probe],
                env=env, timeout=90).returncode
        finally:
            sh("ip", "netns", "del", NS, check=False)
    return asyncio.run(run(probe))


if __name__ == "__main__":
    sys.exit(main())
