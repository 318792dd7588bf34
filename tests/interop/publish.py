#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""publish.py  aiortc publisher of a known WAV into a Janus room.

Talks Janus's WebSocket API directly (subprotocol "janus-protocol"; flows in
docs/janus.md section 5), publishes the WAV as Opus, keeps the session alive
and leaves cleanly (unpublish/leave, detach, destroy).

  publish.py --url ws://127.0.0.1:8188 --plugin videoroom|audiobridge
             --room N --display NAME --wav FILE [--start-delay S]
             [--duration S] [--leave-and-return S] [--fec]

--start-delay S   sleep S seconds before connecting at all (a late joiner).
--duration S      seconds of media to send in total (default: the WAV's
                  length; a longer duration loops the WAV).
--leave-and-return S
                  after S seconds of media, stop publishing (videoroom:
                  "unpublish"; audiobridge: "leave"), wait 2 s, publish again
                  on a new PeerConnection. The WAV CONTINUES where it stopped
                  (no sample is sent twice), so the two segments together
                  are exactly --duration seconds of the source.
--fec             enable Opus in-band FEC in the encoder (10 % expected loss)
                  and announce useinbandfec=1 in the offer.

On success prints one JSON line to stdout:
  {"display":…, "send_start_utc_ns":…, "send_end_utc_ns":…,
   "segments":[[start_ns, end_ns, first_sample], …], "frames":N, …}
send_start is when the first 20 ms frame went to the encoder, send_end when
the last one ended. Exit 0 on success, 1 on any failure (message on stderr).
"""

import argparse
import asyncio
import ctypes
import ctypes.util
import fractions
import json
import random
import string
import sys
import time
import wave

import numpy as np

try:
    import websockets
    from av import AudioFrame
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
except ImportError as e:  # a missing dependency must fail loudly
    sys.exit(f"publish.py: {e}; run with /usr/bin/python3 and install "
             f"python3-aiortc python3-websockets")

RATE = 48000
FRAME = 960  # 20 ms
PLUGINS = {"videoroom": "janus.plugin.videoroom",
           "audiobridge": "janus.plugin.audiobridge"}


def log(msg):
    print(f"publish.py: {msg}", file=sys.stderr, flush=True)


def tid():
    return "".join(random.choices(string.ascii_letters, k=12))


class Janus:
    """One session over one WebSocket; replies are matched by transaction
    because the event of an async request often arrives before its ack."""

    def __init__(self, ws):
        self.ws = ws
        self.waiting = {}  # transaction -> (kinds, future)
        self.unsolicited = asyncio.Queue()
        self.session = None
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self):
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                t, kind = msg.get("transaction"), msg.get("janus")
                w = self.waiting.get(t)
                if w and kind in w[0] and not w[1].done():
                    w[1].set_result(msg)
                elif not t:
                    await self.unsolicited.put(msg)
        except websockets.ConnectionClosed:
            pass
        for _, fut in self.waiting.values():
            if not fut.done():
                fut.set_exception(ConnectionError("websocket closed"))

    async def call(self, msg, kinds=("success", "error"), timeout=10):
        t = tid()
        msg = dict(msg, transaction=t)
        if self.session is not None:
            msg.setdefault("session_id", self.session)
        fut = asyncio.get_running_loop().create_future()
        self.waiting[t] = (set(kinds) | {"error"}, fut)
        try:
            await self.ws.send(json.dumps(msg))
            rep = await asyncio.wait_for(fut, timeout)
        finally:
            del self.waiting[t]
        if rep.get("janus") == "error":
            raise RuntimeError(f"janus error on {msg['janus']}: "
                               f"{rep.get('error')}")
        data = rep.get("plugindata", {}).get("data", {})
        if "error_code" in data:
            raise RuntimeError(f"plugin error on {msg.get('body')}: "
                               f"{data.get('error')}")
        return rep

    async def message(self, handle, body, jsep=None, timeout=10):
        msg = {"janus": "message", "handle_id": handle, "body": body}
        if jsep:
            msg["jsep"] = jsep
        return await self.call(msg, ("event",), timeout)

    async def wait_for(self, pred, timeout):
        """Next unsolicited message matching pred (others are dropped)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching Janus event")
            msg = await asyncio.wait_for(self.unsolicited.get(), left)
            if pred(msg):
                return msg

    async def keepalive(self):
        # session_timeout is 60 s; janus.js uses 25 s
        while True:
            await asyncio.sleep(25)
            await self.call({"janus": "keepalive"}, ("ack",))


class WavSource:
    """The WAV as 20 ms frames on a shared cursor, so a second publish
    continues where the first stopped."""

    def __init__(self, path, duration):
        with wave.open(path, "rb") as w:
            if (w.getframerate(), w.getsampwidth()) != (RATE, 2):
                raise ValueError(f"{path}: need 48 kHz 16-bit PCM")
            ch = w.getnchannels()
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        x = x.reshape(-1, ch)[:, 0].copy() if ch > 1 else x.copy()
        if x.size == 0:
            raise ValueError(f"{path}: empty")
        total = int(round((duration or x.size / RATE) * RATE / FRAME))
        reps = -(-total * FRAME // x.size)
        self.pcm = np.tile(x, reps)[:total * FRAME]
        self.total = total   # frames to send over all segments
        self.cursor = 0      # next frame index

    def frame(self, i):
        return self.pcm[i * FRAME:(i + 1) * FRAME].tobytes()


class WavTrack(MediaStreamTrack):
    """Paces the source in real time and ends after `limit` frames."""

    kind = "audio"

    def __init__(self, src, limit):
        super().__init__()
        self.src, self.limit = src, limit
        self.sent = 0
        self.t0 = None
        self.start_ns = self.end_ns = None
        self.first_sample = src.cursor * FRAME
        self.done = asyncio.Event()

    async def recv(self):
        if self.t0 is None:
            self.t0 = time.monotonic()
            self.start_ns = time.time_ns()
        delay = self.t0 + self.sent * FRAME / RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if self.sent >= self.limit or self.src.cursor >= self.src.total:
            if self.end_ns is None:
                self.end_ns = time.time_ns()
                self.done.set()
            raise MediaStreamError
        f = AudioFrame(format="s16", layout="mono", samples=FRAME)
        f.planes[0].update(self.src.frame(self.src.cursor))
        f.pts = self.src.cursor * FRAME
        f.sample_rate = RATE
        f.time_base = fractions.Fraction(1, RATE)
        self.src.cursor += 1
        self.sent += 1
        return f


def enable_fec():
    """aiortc 1.4.0's cffi binding has no opus_encoder_ctl; call it through
    ctypes on the same libopus for each encoder aiortc creates."""
    from aiortc.codecs import opus as aopus
    name = ctypes.util.find_library("opus")
    if not name:
        sys.exit("publish.py: --fec needs libopus (libopus0)")
    lib = ctypes.CDLL(name)
    lib.opus_encoder_ctl.restype = ctypes.c_int
    base_init = aopus.OpusEncoder.__init__

    def init(self):
        base_init(self)
        ptr = ctypes.c_void_p(int(aopus.ffi.cast("uintptr_t", self.encoder)))
        # OPUS_SET_INBAND_FEC 4012, OPUS_SET_PACKET_LOSS_PERC 4014
        for req, val in ((4012, 1), (4014, 10)):
            if lib.opus_encoder_ctl(ptr, ctypes.c_int(req),
                                    ctypes.c_int(val)) != 0:
                raise RuntimeError("opus_encoder_ctl failed")

    aopus.OpusEncoder.__init__ = init


def add_fec_fmtp(sdp):
    """Announce useinbandfec=1 for the Opus payload type (RFC 7587 s. 6.1)."""
    out, pt = [], None
    for line in sdp.split("\r\n"):
        out.append(line)
        if line.lower().startswith("a=rtpmap:") and "opus/48000" in line:
            pt = line.split(":", 1)[1].split()[0]
            out.append(f"a=fmtp:{pt} useinbandfec=1")
    return "\r\n".join(out)


async def publish_once(j, handle, a, src, limit):
    """One PeerConnection carrying up to `limit` frames; returns the track
    once its media ended."""
    pc = RTCPeerConnection()
    track = WavTrack(src, limit)
    pc.addTransceiver(track, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    if a.fec:
        sdp = add_fec_fmtp(sdp)
    jsep = {"type": "offer", "sdp": sdp, "trickle": False}
    if a.plugin == "videoroom":
        body = {"request": "publish", "audio": True, "video": False,
                "audiocodec": "opus"}
    else:
        body = {"request": "configure", "muted": False}
    rep = await j.message(handle, body, jsep, timeout=15)
    if "jsep" not in rep:
        raise RuntimeError("no JSEP answer from Janus")
    await pc.setRemoteDescription(RTCSessionDescription(**rep["jsep"]))
    await j.wait_for(lambda m: m.get("janus") == "webrtcup" and
                     m.get("sender") == handle, 15)
    await asyncio.wait_for(track.done.wait(), limit * FRAME / RATE + 15)
    return pc, track


async def join(j, handle, a):
    if a.plugin == "videoroom":
        body = {"request": "join", "ptype": "publisher", "room": a.room,
                "display": a.display}
        if a.id:
            body["id"] = a.id   # Janus lets a client pick its publisher id
    else:
        body = {"request": "join", "room": a.room, "display": a.display,
                "muted": False}
    await j.message(handle, body)


async def leave(j, handle, a, unpublish_only=False):
    if a.plugin == "videoroom":
        await j.message(handle, {"request": "unpublish"})
        if not unpublish_only:
            await j.message(handle, {"request": "leave"})
    else:
        await j.message(handle, {"request": "leave"})


async def run(a):
    if a.start_delay > 0:
        await asyncio.sleep(a.start_delay)
    src = WavSource(a.wav, a.duration)
    if a.fec:
        enable_fec()
    async with websockets.connect(a.url, subprotocols=["janus-protocol"],
                                  open_timeout=10) as ws:
        j = Janus(ws)
        rep = await j.call({"janus": "create"})
        j.session = rep["data"]["id"]
        ka = asyncio.ensure_future(j.keepalive())
        rep = await j.call({"janus": "attach", "plugin": PLUGINS[a.plugin]})
        handle = rep["data"]["id"]
        await join(j, handle, a)
        segs = []
        first = src.total
        if a.leave_and_return:
            first = min(src.total, int(round(a.leave_and_return * RATE /
                                             FRAME)))
        pc, tr = await publish_once(j, handle, a, src, first)
        segs.append(tr)
        if src.cursor < src.total:
            await leave(j, handle, a, unpublish_only=True)
            await pc.close()
            await asyncio.sleep(2)
            if a.plugin == "audiobridge":
                await join(j, handle, a)
            pc2, tr = await publish_once(j, handle, a, src, src.total)
            segs.append(tr)
            await pc.close()
            pc = pc2
        await leave(j, handle, a)
        await pc.close()
        await j.call({"janus": "detach", "handle_id": handle})
        ka.cancel()
        await j.call({"janus": "destroy"})
        j.reader.cancel()
    return {"display": a.display, "plugin": a.plugin, "room": a.room,
            "send_start_utc_ns": segs[0].start_ns,
            "send_end_utc_ns": segs[-1].end_ns,
            "segments": [[t.start_ns, t.end_ns, t.first_sample]
                         for t in segs],
            "frames": sum(t.sent for t in segs), "rate": RATE,
            "fec": bool(a.fec)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default="ws://127.0.0.1:8188")
    ap.add_argument("--plugin", choices=sorted(PLUGINS), required=True)
    ap.add_argument("--room", type=int, required=True)
    ap.add_argument("--display", required=True)
    ap.add_argument("--id", type=int, help="VideoRoom publisher id to ask for")
    ap.add_argument("--wav", required=True)
    ap.add_argument("--start-delay", type=float, default=0.0)
    ap.add_argument("--duration", type=float)
    ap.add_argument("--leave-and-return", type=float)
    ap.add_argument("--fec", action="store_true")
    a = ap.parse_args()
    budget = a.start_delay + (a.duration or 600) + 60
    try:
        res = asyncio.run(asyncio.wait_for(run(a), budget))
    except Exception as e:  # one line, then exit 1
        log(f"failed: {type(e).__name__}: {e}")
        sys.exit(1)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
