#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""janus_rig.py: a throw-away Janus for vpbot-load's janus target, in a
network namespace of its own (as the interop tests run it: lo + 127.0.0.2
on a veth; configs from tests/interop/janus/*.in, plus the admin API on
127.0.0.1:7088 so the report has Janus's forwarded counts).

  janus_rig.py VPBOT_LOAD PLAN.json OUTDIR [vpbot-load args...]
      start the rig, run the plan against it (janus.netns, admin_url and
      admin_secret filled in), stop everything; exit = vpbot-load's exit
      (SIGINT/SIGTERM are passed on: vpbot-load still writes its report)

Used as a module by test_load.py (case janus)."""
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "..", "..", "tests", "interop", "janus")
sys.path.insert(0, HERE)
from vpload import procs  # noqa: E402


class Rig:
    def __init__(self, work):
        self.work = work
        self.ns = procs.Netns(f"vpj-{os.getpid()}")
        self.secret = secrets.token_hex(8)
        self.janus = None

    def config(self):
        conf = os.path.join(self.work, "janus-conf")
        rec = os.path.join(self.work, "janus-rec")
        os.makedirs(conf, exist_ok=True)
        os.makedirs(rec, exist_ok=True)
        for t in sorted(os.listdir(TEMPLATES)):
            if not t.endswith(".jcfg.in"):
                continue
            with open(os.path.join(TEMPLATES, t)) as f:
                s = f.read().replace("@CONF_DIR@", conf).replace("@REC_DIR@", rec)
            if t == "janus.jcfg.in":
                s = re.sub(r"(\n\s*)session_timeout = 60",
                           rf'\1session_timeout = 60\1admin_secret = "{self.secret}"', s)
                s = s.replace("debug_level = 4", "debug_level = 3")
                # a few shared event loops, not one thread per handle:
                # hundreds of handles on two cores (janus.jcfg's own advice)
                s = re.sub(r"(\n\s*)session_timeout = 60",
                           r"\1session_timeout = 60\1event_loops = 2", s)
            if t == "janus.transport.http.jcfg.in":
                s = s.replace("admin_http = false",
                              'admin_http = true\n\tadmin_ip = "127.0.0.1"\n'
                              '\tadmin_port = 7088\n\tadmin_base_path = "/admin"')
            with open(os.path.join(conf, t[:-3]), "w") as f:
                f.write(s)
        return conf

    def up(self):
        conf = self.config()
        self.ns.create()
        log = os.path.join(self.work, "janus.log")
        self.janus = procs.Child("janus", ["janus", "-F", conf, "-o"], log, log, self.ns.name)
        for _ in range(100):
            if self.janus.poll() is not None:
                raise RuntimeError(f"janus exited at start-up: see {log}")
            r = subprocess.run(["ip", "netns", "exec", self.ns.name, "bash", "-c",
                                "exec 3<>/dev/tcp/127.0.0.1/8188"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("janus not listening on 127.0.0.1:8188 after 10 s")

    def plan(self, plan):
        p = dict(plan)
        p["janus"] = dict(p.get("janus", {}), netns=self.ns.name,
                          admin_url="http://127.0.0.1:7088/admin",
                          admin_secret=self.secret)
        return p

    def log_summary(self, top=8):
        """Janus's own warnings and errors, counted by kind (numbers
        masked): e.g. "Discarding too old outgoing packet" is Janus
        dropping what its loops could not send in time."""
        kinds = {}
        try:
            with open(os.path.join(self.work, "janus.log"), errors="replace") as f:
                for line in f:
                    if "[WARN]" not in line and "[ERR]" not in line:
                        continue
                    k = re.sub(r"^\[[^]]*\] ", "", line.strip())
                    k = re.sub(r"[0-9]+", "N", k)
                    kinds[k] = kinds.get(k, 0) + 1
        except OSError:
            return {}
        return dict(sorted(kinds.items(), key=lambda kv: -kv[1])[:top])

    def down(self):
        if self.janus:
            self.janus.signal(2)  # SIGINT: Janus stops in 1-2 s
            try:
                self.janus.p.wait(8)
            except subprocess.TimeoutExpired:
                self.janus.stop(grace=1)
        self.ns.destroy()


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 64
    tool, plan_path, out = sys.argv[1:4]
    work = os.path.abspath(out)
    os.makedirs(work, exist_ok=True)
    rig = Rig(work)
    try:
        rig.up()
        with open(plan_path) as f:
            plan = rig.plan(json.load(f))
        pf = os.path.join(work, "plan.json")
        with open(pf, "w") as f:
            json.dump(plan, f)
        child = subprocess.Popen([tool, pf, "--out", os.path.join(work, "run"),
                                  *sys.argv[4:]])

        def forward(signum, _frame):  # vpbot-load stops its run and reports
            child.send_signal(signum)
        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        return child.wait()
    finally:
        rig.down()
        logs = rig.log_summary()
        with open(os.path.join(work, "janus_log_summary.json"), "w") as f:
            json.dump(logs, f, indent=1)
        for k, n in logs.items():
            print(f"janus log: {n} × {k[:150]}", file=sys.stderr)


if __name__ == "__main__":
    socket.setdefaulttimeout(10)
    sys.exit(main())
