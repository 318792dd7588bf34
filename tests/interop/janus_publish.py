#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Minimal aiortc publisher for Janus VideoRoom (docs/janus.md §5.1):
create, attach videoroom, join as publisher, configure with an offer of a
440 Hz tone, then stay until killed (or --seconds). Self-contained on
purpose; run inside the test netns with Debian's python3."""
import argparse
import asyncio
import fractions
import json
import math
import random

import numpy
import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame


class Tone(MediaStreamTrack):
    kind = "audio"

    def __init__(self):
        super().__init__()
        self.pts = 0
        self.start = None

    async def recv(self):
        loop = asyncio.get_event_loop()
        if self.start is None:
            self.start = loop.time()
        wait = self.start + self.pts / 48000 - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (numpy.arange(960) + self.pts) / 48000
        pcm = (0.3 * 32767 * numpy.sin(2 * math.pi * 440 * t)).astype("int16")
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16",
                                        layout="mono")
        frame.sample_rate = 48000
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, 48000)
        self.pts += 960
        return frame


async def main(a):
    async with websockets.connect(a.url, subprotocols=["janus-protocol"]) as ws:
        async def call(msg):
            tx = "%08x" % random.getrandbits(32)
            msg["transaction"] = tx
            await ws.send(json.dumps(msg))
            while True:
                r = json.loads(await ws.recv())
                if r.get("transaction") == tx and r.get("janus") != "ack":
                    return r

        s = (await call({"janus": "create"}))["data"]["id"]
        h = (await call({"janus": "attach", "session_id": s,
                         "plugin": "janus.plugin.videoroom"}))["data"]["id"]
        base = {"janus": "message", "session_id": s, "handle_id": h}
        r = await call(dict(base, body={"request": "join", "ptype": "publisher",
                                        "room": a.room, "display": a.display}))
        print("publisher joined", r["plugindata"]["data"].get("id"), flush=True)
        pc = RTCPeerConnection()
        pc.addTrack(Tone())
        await pc.setLocalDescription(await pc.createOffer())
        r = await call(dict(base, body={"request": "configure", "audio": True},
                            jsep={"type": "offer", "sdp": pc.localDescription.sdp,
                                  "trickle": False}))
        await pc.setRemoteDescription(RTCSessionDescription(**r["jsep"]))
        print("publisher configured", flush=True)

        async def keepalive():
            while True:
                await asyncio.sleep(20)
                await ws.send(json.dumps({"janus": "keepalive", "session_id": s,
                                          "transaction": "ka"}))
        ka = asyncio.ensure_future(keepalive())
        try:
            if a.seconds:
                await asyncio.sleep(a.seconds)
            else:
                await asyncio.Future()
        finally:
            ka.cancel()
            await pc.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="ws://127.0.0.1:8188")
    p.add_argument("--room", type=int, default=1234)
    p.add_argument("--display", default="aiortc-publisher")
    p.add_argument("--seconds", type=float, default=0)
    try:
        asyncio.run(main(p.parse_args()))
    except KeyboardInterrupt:
        pass
