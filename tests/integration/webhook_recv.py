#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A throwaway HTTPS webhook receiver for webhook.sh.

webhook_recv.py CERT KEY PORT_FILE LOG MODE
  MODE flaky: the first two POSTs get 500, every later one 200
  MODE hang:  every connection is accepted and never answered
Each POST is logged to LOG as one JSON line: n, status (what we answered),
the signature and seq headers, and the body as text.
"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

cert, key, port_file, log, mode = sys.argv[1:6]
lock = threading.Lock()
count = [0]


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            count[0] += 1
            n = count[0]
        if mode == "hang":
            time.sleep(3600)
            return
        status = 500 if n <= 2 else 200
        with lock, open(log, "a") as f:
            f.write(json.dumps({
                "n": n, "status": status,
                "sig": self.headers.get("Vpbot-Signature"),
                "seq": self.headers.get("Vpbot-Event-Seq"),
                "ctype": self.headers.get("Content-Type"),
                "body": body.decode()}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
