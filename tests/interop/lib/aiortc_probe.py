# SPDX-License-Identifier: MIT
"""aiortc_probe.py: what pc_aiortc.py and rr_aiortc.py share: an aiortc
peer that offers sendonly Opus to a probe binary (pc_probe, rr_probe)
answering on stdin/stdout, inside a network namespace of the run's own.

aioice drops 127.0.0.1 and libnice skips `lo`, so both ends run inside a
network namespace with a veth carrying 127.0.0.2 (docs/janus.md §2): the
script re-runs itself there (VPT_IN_NS names it) and deletes it after.
"""
import asyncio
import os
import subprocess
import sys


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


async def offer_to_probe(tag, argv):
    """A sendonly-audio aiortc peer offers to the probe started as ARGV,
    which prints its answer then "END". @return (pc, transceiver, proc),
    pc=None (the reason printed) when the probe gave no answer."""
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack

    pc = RTCPeerConnection()
    tr = pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    proc.stdin.write(pc.localDescription.sdp.encode() + b"END\n")
    await proc.stdin.drain()
    answer = []
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 10)
        if not line or line.strip() == b"END":
            break
        answer.append(line.decode().rstrip("\r\n"))
    if not answer:
        print(f"{tag}: probe gave no answer", file=sys.stderr)
        return None, tr, proc
    await pc.setRemoteDescription(
        RTCSessionDescription(sdp="\r\n".join(answer) + "\r\n", type="answer"))
    return pc, tr, proc


async def probe_exit(proc, wait, seconds=30):
    """The probe's exit code within SECONDS, else 124 (it is killed)."""
    try:
        return await asyncio.wait_for(wait, seconds)
    except asyncio.TimeoutError:
        proc.kill()
        return 124


def main_in_netns(tag, script, ns, run, timeout):
    """The scripts' main: SCRIPT PROBE. Outside the netns (as root): make
    NS, re-run SCRIPT in it within TIMEOUT seconds, delete it. Inside:
    asyncio.run(run(probe))."""
    probe = os.path.abspath(sys.argv[1])
    if not os.environ.get("VPT_IN_NS"):
        if os.geteuid() != 0:
            print(f"{tag}: needs root for the netns", file=sys.stderr)
            return 1
        make_netns(ns)
        try:
            env = dict(os.environ, VPT_IN_NS=ns)
            return subprocess.run(
                ["ip", "netns", "exec", ns, sys.executable, script, probe],
                env=env, timeout=timeout).returncode
        finally:
            sh("ip", "netns", "del", ns, check=False)
    return asyncio.run(run(probe))
