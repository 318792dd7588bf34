#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""live_recv.py MODE PORT_FILE OUT [CERT KEY]: a live-audio receiver for
live.sh (with CERT and KEY: wss).

MODE normal: a WebSocket server (python3-websockets) that decodes every
message of the wire format (README "Live audio out") and writes OUT/recv.json:
{"hello": [...], "ends": N, "segments": [{stream, participant, start_sample,
rate, channels, samples, dropped, pcm_file}]}, the PCM of segment i in
OUT/seg-i.raw. A malformed message is recorded under "errors".

MODE stall: completes the WebSocket handshake by hand, then never reads
again (its receive buffer is tiny), so the sender's socket fills up.
"""
import asyncio
import base64
import hashlib
import json
import os
import signal
import socket
import struct
import sys

mode, port_file, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)


def write_port(port):
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.rename(tmp, port_file)


def stall():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    write_port(s.getsockname()[1])
    conns = []
    while True:
        c, _ = s.accept()
        req = b""
        while b"\r\n\r\n" not in req:
            d = c.recv(1)
            if not d:
                break
            req += d
        key = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n")
               if l.lower().startswith(b"sec-websocket-key:")]
        acc = base64.b64encode(hashlib.sha1(
            key[0] + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
                  b"\r\n\r\n")
        conns.append(c)  # never read again
        with open(out + "/stall.json", "w") as f:
            json.dump({"accepted": len(conns)}, f)


state = {"hello": [], "ends": 0, "segments": [], "errors": []}


def save():
    tmp = out + "/recv.json.tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.rename(tmp, out + "/recv.json")


def binary(msg):
    if len(msg) < 4:
        raise ValueError("short message")
    hl = struct.unpack(">I", msg[:4])[0]
    hdr = json.loads(msg[4:4 + hl].decode())
    off = 4 + hl
    for s in hdr["segments"]:
        n = s["samples"] * s["channels"] * 2
        if off + n > len(msg):
            raise ValueError("segment past the end")
        i = len(state["segments"])
        with open("%s/seg-%d.raw" % (out, i), "wb") as f:
            f.write(msg[off:off + n])
        s["pcm_file"] = "seg-%d.raw" % i
        s["seq"] = hdr["seq"]
        state["segments"].append(s)
        off += n
    if off != len(msg):
        raise ValueError("%d bytes after the last segment" % (len(msg) - off))


async def handler(ws, path=None):
    try:
        async for msg in ws:
            try:
                if isinstance(msg, str):
                    o = json.loads(msg)
                    if o.get("type") == "hello":
                        state["hello"].append(o)
                    elif o.get("type") == "end":
                        state["ends"] += 1
                    else:
                        state["errors"].append("text %r" % msg[:80])
                else:
                    binary(msg)
            except Exception as e:  # recorded, the test fails on it
                state["errors"].append(repr(e))
            save()
    except Exception:
        pass
    save()


async def serve():
    import websockets
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM,
                                                  stop.set_result, None)
    tls = None
    if len(sys.argv) > 5:
        import ssl
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(sys.argv[4], sys.argv[5])
    async with websockets.serve(handler, "127.0.0.1", 0, ssl=tls,
                                max_size=16 << 20) as srv:
        write_port(srv.sockets[0].getsockname()[1])
        save()
        await stop


if mode == "stall":
    stall()
else:
    asyncio.run(serve())
