#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""sub_aiortc.py  aiortc subscriber that records every publisher of a Janus
VideoRoom to WAV: the reference recorder tools/bench_live.sh measures vpbot
against.

Same flow as the bot (docs/janus.md sections 5.1 and 5.3): handle A joins
as a passive publisher and gets the publisher list and notifications;
handle B is one subscriber PeerConnection for all publishers ("join" with
every feed present, later feeds added with "subscribe"; Janus's "updated"
offers are answered with "start"). Every received track is pulled frame by
frame (aiortc decodes Opus) and written as 16-bit 48 kHz mono to
OUT/<mid>.wav, like a recording bot would.

  sub_aiortc.py --room N --out DIR --duration S [--url ws://127.0.0.1:8188]
                [--display NAME] [--plugin videoroom|audiobridge]

--plugin audiobridge joins muted and records the mix Janus sends (the
reference for tests/interop/join_audiobridge.sh's thresholds).

Prints one JSON line: {"streams":[{"mid","feed","display","samples","file"}],
"join_to_first_audio_ms": ...}. Exit 0 on success, 1 on failure.
"""

import argparse
import asyncio
import json
import os
import sys
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from publish import Janus  # noqa: E402  (same transaction matching)

try:
    import websockets
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError
except ImportError as e:
    sys.exit(f"sub_aiortc.py: {e}; run with /usr/bin/python3")

VR = "janus.plugin.videoroom"
AB = "janus.plugin.audiobridge"


def log(msg):
    print(f"sub_aiortc.py: {msg}", file=sys.stderr, flush=True)


class Recorder:
    def __init__(self, a):
        self.a = a
        self.pc = RTCPeerConnection()
        self.mids = {}       # mid -> {"feed", "display"}
        self.streams = []    # summaries
        self.tasks = []
        self.t_join = None
        self.t_first = None
        self.subscribed = set()
        self.joined_sub = False
        self.displays = {}
        self.pc.on("track", self.on_track)

    def on_track(self, track):
        if track.kind != "audio":
            return
        tr = next((t for t in self.pc.getTransceivers()
                   if t.receiver.track is track), None)
        mid = tr.mid if tr else str(len(self.tasks))
        self.tasks.append(asyncio.ensure_future(self.record(track, mid)))

    async def record(self, track, mid):
        info = self.mids.get(mid, {})
        path = os.path.join(self.a.out, f"{mid}.wav")
        st = {"mid": mid, "feed": info.get("feed"),
              "display": info.get("display"), "samples": 0, "file": path}
        self.streams.append(st)
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(48000)
            while True:
                try:
                    f = await track.recv()
                except MediaStreamError:
                    break
                if self.t_first is None:
                    self.t_first = time.monotonic()
                x = f.to_ndarray()  # packed s16: (1, samples * channels)
                ch = len(f.layout.channels)
                mono = x.reshape(-1, ch)[:, 0]
                w.writeframes(mono.tobytes())
                st["samples"] += mono.size

    def note_streams(self, data):
        for s in data.get("streams", []):
            if s.get("type") == "audio" and "mid" in s:
                self.mids[s["mid"]] = {"feed": s.get("feed_id"),
                                       "display": s.get("feed_display")}

    async def answer(self, j, hb, rep):
        self.note_streams(rep.get("plugindata", {}).get("data", {}))
        jsep = rep.get("jsep")
        if not jsep:
            return
        await self.pc.setRemoteDescription(RTCSessionDescription(**jsep))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        ans = {"type": "answer", "sdp": self.pc.localDescription.sdp,
               "trickle": False}
        await j.message(hb, {"request": "start"}, ans, timeout=15)

    async def add_feeds(self, j, hb, pubs):
        new = [p["id"] for p in pubs if p["id"] not in self.subscribed]
        if not new:
            return
        self.subscribed.update(new)
        streams = [{"feed": f} for f in new]
        if not self.joined_sub:
            self.joined_sub = True
            body = {"request": "join", "ptype": "subscriber",
                    "room": self.a.room, "streams": streams}
        else:
            body = {"request": "subscribe", "streams": streams}
        rep = await j.message(hb, body, timeout=15)
        await self.answer(j, hb, rep)

    async def run_audiobridge(self, j):
        """AudioBridge (docs/janus.md 5.2 a): join muted, Janus offers the
        mix, answer with configure; one stream, mid of the offer."""
        h = (await j.call({"janus": "attach", "plugin": AB}))["data"]["id"]
        rep = await j.message(h, {"request": "join", "room": self.a.room,
                                  "display": self.a.display, "muted": True,
                                  "generate_offer": True}, timeout=15)
        self.mids["0"] = {"feed": "mix", "display": "mix"}
        await self.pc.setRemoteDescription(
            RTCSessionDescription(**rep["jsep"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        ans = {"type": "answer", "sdp": self.pc.localDescription.sdp,
               "trickle": False}
        await j.message(h, {"request": "configure", "muted": True}, ans,
                        timeout=15)
        await asyncio.sleep(self.a.duration)
        return [h]

    async def run(self):
        a = self.a
        self.t_join = time.monotonic()
        if a.plugin == "audiobridge":
            async with websockets.connect(
                    a.url, subprotocols=["janus-protocol"],
                    open_timeout=10, max_size=None) as ws:
                j = Janus(ws)
                j.session = (await j.call({"janus": "create"}))["data"]["id"]
                ka = asyncio.ensure_future(j.keepalive())
                hs = await self.run_audiobridge(j)
                await self.finish(j, ka, hs)
            return self.summary()
        async with websockets.connect(a.url, subprotocols=["janus-protocol"],
                                      open_timeout=10,
                                      max_size=None) as ws:
            j = Janus(ws)
            j.session = (await j.call({"janus": "create"}))["data"]["id"]
            ka = asyncio.ensure_future(j.keepalive())
            ha = (await j.call({"janus": "attach", "plugin": VR}))["data"]["id"]
            hb = (await j.call({"janus": "attach", "plugin": VR}))["data"]["id"]
            rep = await j.message(ha, {"request": "join", "ptype": "publisher",
                                       "room": a.room, "display": a.display})
            pubs = rep["plugindata"]["data"].get("publishers", [])
            await self.add_feeds(j, hb, pubs)
            end = time.monotonic() + a.duration
            while time.monotonic() < end:
                try:
                    m = await asyncio.wait_for(j.unsolicited.get(),
                                               end - time.monotonic())
                except asyncio.TimeoutError:
                    break
                data = m.get("plugindata", {}).get("data", {})
                if m.get("sender") == ha and data.get("publishers"):
                    log(f"publishers {[p['id'] for p in data['publishers']]}")
                    await self.add_feeds(j, hb, data["publishers"])
                elif m.get("sender") == ha:
                    for k in ("unpublished", "leaving"):
                        if k in data:
                            log(f"{k} {data[k]}")
                            # a re-publish under the same id needs a
                            # new "subscribe"
                            self.subscribed.discard(data[k])
                elif m.get("sender") == hb and m.get("jsep"):
                    try:
                        await self.answer(j, hb, m)
                    except Exception as e:  # keep recording the rest
                        log(f"renegotiation failed: {e}")
            await self.finish(j, ka, (hb, ha))
        return self.summary()

    async def finish(self, j, ka, handles):
        await self.pc.close()
        for t in self.tasks:
            try:
                await asyncio.wait_for(t, 5)
            except Exception:
                pass
        for h in handles:
            try:
                await j.message(h, {"request": "leave"}, timeout=5)
                await j.call({"janus": "detach", "handle_id": h})
            except Exception:
                pass
        ka.cancel()
        await j.call({"janus": "destroy"})
        j.reader.cancel()

    def summary(self):
        first = None
        if self.t_first is not None:
            first = round((self.t_first - self.t_join) * 1000, 1)
        return {"streams": self.streams, "join_to_first_audio_ms": first}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="ws://127.0.0.1:8188")
    ap.add_argument("--room", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--display", default="aiortc-recorder")
    ap.add_argument("--plugin", choices=("videoroom", "audiobridge"),
                    default="videoroom")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    try:
        res = asyncio.run(asyncio.wait_for(Recorder(a).run(),
                                           a.duration + 60))
    except Exception as e:
        log(f"failed: {type(e).__name__}: {e}")
        sys.exit(1)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
