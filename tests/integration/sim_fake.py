#!/usr/bin/python3
"""A misbehaving `sim` server (protocols/sig/SIM.md) for bad-input tests.

sim_fake.py MODE --port-file FILE
Serves one connection on 127.0.0.1 (a free port, written to FILE), then
exits. MODE:
  garbage      answers the join with bytes that are not JSON
  oversized    answers with a 1 MiB message (over the client's 256 KiB cap)
  no_opus      joins the bot, then offers only PCMU audio
  no_meeting   error no_such_meeting (permanent)
  notype       a JSON object without "type"
  drop         joins, then closes the TCP connection without a close frame
"""
import argparse
import asyncio
import json
import sys

import websockets

NO_OPUS_SDP = "\r\n".join([
    "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0",
    "a=group:BUNDLE 0", "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
    "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "m=audio 9 UDP/TLS/RTP/SAVPF 0", "c=IN IP4 127.0.0.1", "a=mid:0",
    "a=sendonly", "a=rtcp-mux", "a=setup:actpass", "a=rtpmap:0 PCMU/8000",
    "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
    "a=end-of-candidates", ""])


async def serve(mode, done):
    async def handler(ws, path=None):
        join = json.loads(await ws.recv())
        assert join.get("type") == "join", join
        if mode == "garbage":
            await ws.send("\x00\x01 this is not json {{{")
        elif mode == "oversized":
            await ws.send(json.dumps({"type": "lobby", "pad": "x" * (1 << 20)}))
        elif mode == "notype":
            await ws.send(json.dumps({"hello": 1}))
        elif mode == "no_meeting":
            await ws.send(json.dumps({"type": "error", "code": "no_such_meeting",
                                      "reason": "no meeting " + join["meeting"],
                                      "permanent": True}))
        elif mode in ("no_opus", "drop"):
            await ws.send(json.dumps({"type": "joined", "meeting": join["meeting"],
                                      "self": "bot", "roster": [
                                          {"id": "p1", "display": "Pat",
                                           "identity": "pat@example.com",
                                           "consent": True}]}))
            if mode == "drop":
                await asyncio.sleep(1.0)
                ws.transport.abort()
            else:
                await ws.send(json.dumps({"type": "offer", "offer_id": "o1",
                                          "sdp": NO_OPUS_SDP, "streams": [
                                              {"mid": "0", "participant": "p1",
                                               "active": True}]}))
        try:
            await asyncio.wait_for(ws.wait_closed(), 10)
        except asyncio.TimeoutError:
            pass
        done.set_result(True)

    return handler


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    done = asyncio.get_running_loop().create_future()
    async with websockets.serve(await serve(a.mode, done), "127.0.0.1", 0,
                                subprotocols=["vpbot-sim"],
                                max_size=None) as srv:
        port = srv.sockets[0].getsockname()[1]
        with open(a.port_file, "w") as f:
            f.write(str(port))
        await asyncio.wait_for(done, 30)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
