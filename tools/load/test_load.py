#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test_load.py VPBOT_LOAD CASE — vpbot-load end to end (needs root).

  plan     10 bots x 2 streams, 15 s hold: the report agrees with simconf's
           send log, nothing lost inside vpbot, no bot died by a signal,
           every figure present, the floor measured in the run and
           bot_cpu_vs_floor = bot / floor
  limits   plans the machine cannot start, or with numbers JSON has no
           room for, are refused with one clear line; a run that fails
           itself (no Janus) exits 70 with the report of what ran, which
           never shows the Janus admin secret
  sigint   SIGINT mid-run: clean stop, the report of what ran is written
  janus    1 room, 2 jpub publishers, 10 subscribers, 15 s hold against a
           real Janus in the test's own netns (janus_rig.py): the report
           agrees with the publishers' send logs and Janus's admin counts,
           nothing lost inside vpbot, every figure present
  janus-audiobridge  1 room, 1 publisher, 5 subscribers of its AudioBridge
           mix: every frame sent from the first one found is on disk
  janus-findmax  --find-max against a real Janus: 2, 4, 6 subscribers of
           one publisher (VideoRoom), every step's figures present and its
           verdict consistent with the criteria; then AudioBridge with a
           1 % CPU bound: step 1 fails, the reason named
  janus-sigint  SIGINT mid-hold against a real Janus: exit 130, the report
           of what ran agrees with Janus's counts, no process left
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FIGURES = ["bots", "bots_exit_0", "bots_failed", "bots_crashed_by_signal", "streams",
           "frames_sent", "frames_on_disk", "lost_before_vpbot", "lost_inside_vpbot",
           "lost_unexplained", "delivery_pct", "spawn_to_joined_ms",
           "joined_to_first_audio_ms", "latency_durable_ms", "first_frame_latency_ms",
           "timeline_error_ms_abs", "bot_cpu_pct", "bot_cpu_pct_per_stream", "bot_pss_kb",
           "bot_private_kb", "bot_rss_kb", "simconf", "machine_cpu_pct_hold"]
STREAM_FIGURES = ["frames_sent", "frames_on_disk", "lost_before_vpbot", "lost_inside_vpbot",
                  "socket_buffer_drops",
                  "lost_unexplained", "timeline_error_ms", "latency_durable_ms",
                  "packets_received"]


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def sent_in_log(path):
    """(meeting, participant) -> frames simconf logged as sent."""
    out = {}
    for line in open(path, encoding="utf-8"):
        e = json.loads(line)
        if e.get("event") == "audio" and e.get("sent"):
            k = (e["meeting"], e["participant"])
            out[k] = out.get(k, 0) + e["frames"]
    return out


FLOOR_PARTS = ("srtp_unprotect_us", "opus_decode_us", "wav_write_us")


def check_floor(rep, stdout, measured=1):
    """The floor measured in the run (tools/perf/floor_bench): every
    measurement's parts positive and adding up to its total, % per stream
    = total / 20 ms; the one used is the lowest total; bot_cpu_vs_floor =
    bot CPU per stream / the floor's, in the summary, every find-max step
    and the terminal's last line. @return the ratio"""
    fl = rep.get("floor") or {}
    ms = fl.get("measurements") or []
    if "error" in fl or len(ms) != measured or any("error" in m for m in ms):
        fail(f"floor: {fl.get('error')}, {len(ms)} measurements (want {measured}): {ms}")
    for m in ms:
        parts = [m.get(k) or 0 for k in FLOOR_PARTS]
        if min(parts) <= 0 or m["total_us"] < m["opus_decode_us"] or \
                abs(sum(parts) - m["total_us"]) > 0.002:
            fail(f"floor {m['when']}: parts {parts}, total {m['total_us']}")
        if abs(m["pct_per_stream"] - m["total_us"] / 200) > 1e-5 or \
                m["rate"] != rep["plan"]["rate"] or not m.get("measured_utc"):
            fail(f"floor {m['when']}: {m['pct_per_stream']} %/stream for "
                 f"{m['total_us']} µs at {m['rate']} Hz")
    low = min(ms, key=lambda m: m["total_us"])
    if any(fl.get(k) != low[k] for k in FLOOR_PARTS + ("total_us", "pct_per_stream", "when")):
        fail(f"the floor used is not the lowest measurement: {fl}")
    pct = fl["pct_per_stream"]
    s = rep["summary"]
    want = round(s["bot_cpu_pct_per_stream"] / pct, 3)
    if s["floor_pct_per_stream"] != pct or s["bot_cpu_vs_floor"] != want:
        fail(f"summary: floor {s['floor_pct_per_stream']}, ratio {s['bot_cpu_vs_floor']}, "
             f"bot {s['bot_cpu_pct_per_stream']} / floor {pct} = {want}")
    # a bot decodes every frame the floor does, and more: below the floor,
    # or tens of times above it, is a unit gone wrong
    if not 0.8 < want < 50:
        fail(f"bot CPU {s['bot_cpu_pct_per_stream']} %/stream = {want} x floor {pct}")
    for i, st in enumerate((rep.get("find_max") or {}).get("steps") or []):
        w = (round(st["bot_cpu_pct_per_stream"] / pct, 3)
             if st.get("bot_cpu_pct_per_stream") is not None else None)
        if st.get("bot_cpu_vs_floor") != w or w is None:
            fail(f"step {i + 1}: ratio {st.get('bot_cpu_vs_floor')}, want {w}")
    last = stdout.strip().splitlines()[-1]
    shown = (rep["find_max"]["last_good"] or {}).get("bot_cpu_vs_floor") \
        if rep.get("find_max") else want
    if shown is not None and f"= {shown:.2f}× floor" not in last:
        fail(f"the last line does not show the ratio {shown:.2f}: {last!r}")
    return want


def run_plan(tool, tmp, plan, extra=(), **kw):
    pf = os.path.join(tmp, "plan.json")
    with open(pf, "w") as f:
        json.dump(plan, f)
    return subprocess.run([tool, pf, "--out", os.path.join(tmp, "run"), "--quiet", *extra],
                          capture_output=True, text=True, **kw)


def case_plan(tool, tmp):
    r = run_plan(tool, tmp, {"rooms": 10, "publishers": 2, "ramp": 5, "hold": 15},
                 timeout=240)
    print(r.stdout.strip())
    if r.returncode != 0:
        fail(f"exit {r.returncode}: {r.stderr[-800:]}")
    d = os.path.join(tmp, "run")
    rep = json.load(open(os.path.join(d, "report.json")))
    s = rep["summary"]
    for k in FIGURES:
        if s.get(k) is None:
            fail(f"summary.{k} missing")
    for k in ("plan", "versions", "machine", "bots"):
        if not rep.get(k):
            fail(f"report.{k} missing")
    if not os.path.getsize(os.path.join(d, "report.html")) or \
            not os.path.exists(os.path.join(d, "join_cdf.png")) or \
            not os.path.exists(os.path.join(d, "cpu_floor.png")):
        fail("report.html or its plots missing")
    ratio = check_floor(rep, r.stdout)
    if "<tr><td>floor</td><td>" not in open(os.path.join(d, "report.html")).read():
        fail("report.html does not show the floor")
    if s["bots"] != 10:
        fail(f"{s['bots']} bots in the report")
    crashed = [(b["meeting"], b["rc"]) for b in rep["bots"]
               if not isinstance(b["rc"], int) or b["rc"] < 0]
    if crashed or s["bots_crashed_by_signal"]:
        fail(f"bots that died by a signal: {crashed}")
    failed = [(b["meeting"], b["rc"]) for b in rep["bots"] if b["rc"] != 0]
    if failed:  # counted (a busy machine may time a join out); the rest exact
        print(f"bots that did not exit 0: {failed}")
    logged = sent_in_log(os.path.join(d, "send.jsonl"))
    nstreams = 0
    for b in rep["bots"]:
        if b["rc"] != 0:
            continue
        if len(b["streams"]) != 2:
            fail(f"{b['meeting']}: {len(b['streams'])} streams")
        for st in b["streams"]:
            nstreams += 1
            for k in STREAM_FIGURES:
                if st.get(k) is None:
                    fail(f"{b['meeting']} {st['participant']}: {k} missing")
            n = st["frames_sent"] + st["frames_sent_tail_excluded"]
            if n != logged.get((b["meeting"], st["participant"])):
                fail(f"{b['meeting']} {st['participant']}: {n} frames sent in the report, "
                     f"{logged.get((b['meeting'], st['participant']))} in the send log")
            if n < 15 * 50:
                fail(f"{b['meeting']} {st['participant']}: only {n} frames sent")
            inside = st["lost_inside_vpbot"] - st["lost_at_meeting_end"]
            if inside or st["lost_unexplained"] or st["lost_before_vpbot"] or st["frames_extra"]:
                fail(f"{b['meeting']} {st['participant']}: lost inside {inside}, before "
                     f"{st['lost_before_vpbot']}, unexplained {st['lost_unexplained']}, "
                     f"extra {st['frames_extra']}")
            if st["frames_on_disk"] + st["frames_missing"] != st["frames_sent"]:
                fail("on disk + missing != sent")
            if st["lost_at_meeting_end"] > 2:
                fail(f"{st['lost_at_meeting_end']} frames lost at the meeting's end")
    if nstreams < 16:
        fail(f"only {nstreams} streams checked")
    print(f"plan: {nstreams} streams agree with the send log, delivery {s['delivery_pct']} %; "
          f"bot CPU {s['bot_cpu_pct_per_stream']} %/stream = {ratio}x the floor "
          f"{rep['floor']['total_us']} µs/frame")


def case_limits(tool, tmp):
    cases = [({"rooms": 500}, "refused: 500 bots asked, limits.max_bots is 200"),
             ({"rooms": 900, "limits": {"max_bots": 1000, "bot_mb": 1000}}, "MB available"),
             ({"rooms": 10, "hold": 3600, "limits": {"max_seconds": 60}},
              "limits.max_seconds is 60"),
             ({"rooms": 10, "colour": "red"}, "unknown field \"colour\""),
             ({"rooms": 10, "rate": 8000}, "rate must be one of"),
             ({"rooms": 10, "subscribers": 3}, "subscribers must be 1"),
             ({"target": "janus", "rooms": 1}, "janus.netns must name"),
             ({"target": "janus", "janus": {"netns": "x", "url": "janus+ws://10.0.0.1:8188"}},
              "janus.url must be"),
             ({"rooms": 10, "chunk_seconds": 10, "find_max": {"step_hold": 5}},
              "find_max.step_hold must be at least chunk_seconds (10)")]
    find_max_only = {cases[-1][1]}
    for plan, want in cases:
        r = run_plan(tool, tmp, plan, ["--find-max"] if want in find_max_only else [],
                     timeout=30)
        line = r.stderr.strip()
        if r.returncode not in (65, 69) or want not in line or "\n" in line:
            fail(f"plan {plan}: exit {r.returncode}, said {line!r}, wanted {want!r}")
        if os.path.exists(os.path.join(tmp, "run", "report.json")):
            fail(f"plan {plan}: a refused plan wrote a report")
        print(f"refused: {line}")
    # a find-max step in which no chunk was written does not pass on an
    # unknown latency
    from vpload import findmax
    fm = {"max_inside_loss": 0, "max_cpu_pct": None, "max_latency_p99_ms": 1000}
    st = {"inside_loss": 0, "bots_failed": 0, "machine_cpu_pct": 5, "latency_p99_ms": None}
    why = findmax._verdict(fm, st, 0)
    if why != ["no chunk written in the step: latency unknown"]:
        fail(f"a step with no chunk written: {why}")
    if findmax._verdict(fm, dict(st, latency_p99_ms=900.0), 0):
        fail("a step within every bound failed")
    # numbers JSON has no room for: refused like any other bad value
    for text, want in (('{"rooms": 1e400}', "rooms must be an integer"),
                       ('{"rooms": NaN}', "NaN is not a JSON number"),
                       ('{"hold": -Infinity}', "Infinity is not a JSON number")):
        with open(os.path.join(tmp, "plan.json"), "w") as f:
            f.write(text)
        r = subprocess.run([tool, os.path.join(tmp, "plan.json"), "--out",
                            os.path.join(tmp, "run"), "--quiet"],
                           capture_output=True, text=True, timeout=30)
        line = r.stderr.strip()
        if r.returncode != 65 or want not in line or "\n" in line:
            fail(f"plan {text}: exit {r.returncode}, said {line!r}, wanted {want!r}")
        print(f"refused: {line}")
    # a run that fails itself exits 70 with the report of what ran, and
    # the report never shows the Janus admin secret
    r = run_plan(tool, tmp, {"target": "janus", "rooms": 1,
                             "janus": {"netns": f"vpt-none-{os.getpid()}",
                                       "admin_secret": "hunter2-admin"}}, timeout=120)
    rj = os.path.join(tmp, "run", "report.json")
    if r.returncode != 70 or "does not exist" not in r.stderr or not os.path.exists(rj):
        fail(f"a run with no Janus: exit {r.returncode}, said {r.stderr.strip()[-300:]!r}")
    rep = json.load(open(rj))
    if rep.get("interrupted") != "error" or rep["plan"]["janus"]["admin_secret"] != "(set)":
        fail(f"a run with no Janus: interrupted {rep.get('interrupted')!r}, "
             f"secret shown as {rep['plan']['janus']['admin_secret']!r}")
    for name in os.listdir(os.path.join(tmp, "run")):
        path = os.path.join(tmp, "run", name)
        if os.path.isfile(path) and b"hunter2-admin" in open(path, "rb").read():
            fail(f"the admin secret is in {name}")
    shutil.rmtree(os.path.join(tmp, "run"))
    print("a run with no Janus: exit 70, the report of what ran, no secret in it")
    # --find-max against Janus: refused before anything starts (no Janus
    # needed to refuse it)
    r = run_plan(tool, tmp, {"target": "janus", "janus": {"netns": "none-such"},
                             "limits": {"max_bots": 900, "bot_mb": 1000}},
                 ["--find-max"], timeout=30)
    line = r.stderr.strip()
    if r.returncode != 69 or "MB available" not in line or "\n" in line or \
            os.path.exists(os.path.join(tmp, "run", "report.json")):
        fail(f"janus --find-max: exit {r.returncode}, said {line!r}")
    print(f"refused: {line}")


def case_sigint(tool, tmp):
    pf = os.path.join(tmp, "plan.json")
    with open(pf, "w") as f:
        json.dump({"rooms": 6, "publishers": 2, "ramp": 3, "hold": 120}, f)
    d = os.path.join(tmp, "run")
    p = subprocess.Popen([tool, pf, "--out", d, "--quiet"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for two bots' first audio
        ev = os.path.join(d, "events")
        n = 0
        if os.path.isdir(ev):
            for f in os.listdir(ev):
                n += "stream_started" in open(os.path.join(ev, f)).read()
        if n >= 2:
            break
        time.sleep(0.5)
    else:
        p.kill()
        fail("no bot received audio within 60 s")
    time.sleep(3)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("did not stop within 60 s of SIGINT")
    if p.returncode != 130:
        fail(f"exit {p.returncode} after SIGINT: {err[-500:]}")
    rep = json.load(open(os.path.join(d, "report.json")))
    if rep.get("interrupted") != "SIGINT":
        fail(f"interrupted = {rep.get('interrupted')}")
    s = rep["summary"]
    if s["frames_on_disk"] <= 0 or s["bots"] < 2:
        fail(f"the report of what ran is empty: {s['bots']} bots, {s['frames_on_disk']} frames")
    alive = [b for b in rep["bots"] if b["rc"] is None]
    if alive:
        fail(f"bots left running: {[b['meeting'] for b in alive]}")
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    if f"vpload-{p.pid}" in ns:
        fail("the run's netns is left behind")
    if s["lost_inside_vpbot"] or s["lost_unexplained"]:
        fail(f"lost inside {s['lost_inside_vpbot']}, unexplained {s['lost_unexplained']}")
    print(f"sigint: stopped cleanly; {s['bots']} bots, {s['frames_on_disk']} frames reported")


JANUS_FIGURES = ["janus_forwarded", "janus_forwarded_source", "delivery_pct_min",
                 "received_pct_min", "not_forwarded_by_janus",
                 "delivery_pct_per_subscriber_stream", "publishers"]


def pub_sent(path):
    """frames and packets a jpub send log says went on the wire"""
    frames, packets = 0, None
    for line in open(path, encoding="utf-8"):
        e = json.loads(line)
        if e.get("event") == "audio" and e.get("sent"):
            frames += e["frames"]
        elif e.get("event") == "stats":
            packets = e["packets"]
    return frames, packets


def check_janus_stream(b, st, pub, hold):
    where = f"{b['meeting']} {st['participant']}"
    for k in STREAM_FIGURES + ["janus_forwarded", "delivery_pct", "first_frame_latency_ms",
                               "received_pct", "not_forwarded_by_janus"]:
        if st.get(k) is None:
            fail(f"{where}: {k} missing")
    if st["janus_forwarded"] != st["frames_sent"] or st["frames_sent"] > pub["frames_sent"] or \
            st["not_forwarded_by_janus"] or st["received_pct"] != 100.0:
        fail(f"{where}: Janus forwarded {st['janus_forwarded']}, counted sent "
             f"{st['frames_sent']}, the publisher sent {pub['frames_sent']}")
    if st["frames_sent"] < 0.8 * hold * 50:
        fail(f"{where}: only {st['frames_sent']} frames forwarded in a {hold} s hold")
    if st["packets_received"] != st["janus_forwarded"]:
        fail(f"{where}: vpbot counted {st['packets_received']} packets, "
             f"Janus forwarded {st['janus_forwarded']}")
    # the decoder starts cold mid-stream: its first frame may be unnameable
    # (unnamed_after_gap, README), never more
    if st["lost_inside_vpbot"] or st["lost_unexplained"] or st["lost_before_vpbot"] or \
            st["frames_extra"] or st["unnamed_after_gap"] > 1 or \
            st["frames_on_disk"] + st["unnamed_after_gap"] != st["frames_sent"]:
        fail(f"{where}: {st['frames_on_disk']}/{st['frames_sent']} on disk; lost inside "
             f"{st['lost_inside_vpbot']}, before {st['lost_before_vpbot']}, unexplained "
             f"{st['lost_unexplained']}, extra {st['frames_extra']}, unnamed "
             f"{st['unnamed_after_gap']}")


def janus_run(tool, tmp, spec, timeout):
    """Run the plan SPEC against a Janus rig of its own; fail unless it
    exits 0. Returns the rig (gone by then) and the run."""
    import janus_rig
    rig = janus_rig.Rig(tmp)
    try:
        rig.up()
        r = run_plan(tool, tmp, rig.plan(spec), timeout=timeout)
    finally:
        rig.down()
    print(r.stdout.strip())
    if r.returncode != 0:
        fail(f"exit {r.returncode}: {r.stderr[-800:]}")
    return rig, r


def case_janus(tool, tmp):
    rig, r = janus_run(tool, tmp, {"target": "janus", "rooms": 1, "publishers": 2,
                                   "subscribers": 10, "ramp": 5, "hold": 15}, 240)
    if rig.ns.name in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                     text=True).stdout:
        fail("the rig's netns is left behind")
    d = os.path.join(tmp, "run")
    rep = json.load(open(os.path.join(d, "report.json")))
    s = rep["summary"]
    for k in [f for f in FIGURES if f != "simconf"] + JANUS_FIGURES:
        if s.get(k) is None:
            fail(f"summary.{k} missing")
    for k in ("cpu_pct", "rss_kb", "pss_kb", "pid"):
        if s["janus"].get(k) is None:
            fail(f"summary.janus.{k} missing")
    if not os.path.exists(os.path.join(d, "join_cdf.png")):
        fail("report.html plots missing")
    check_floor(rep, r.stdout)
    pubs = {p["id"]: p for p in rep["publishers"]}
    if len(pubs) != 2:
        fail(f"{len(pubs)} publishers in the report")
    for pid, p in pubs.items():
        frames, packets = pub_sent(os.path.join(d, "pubs", f"{pid}.jsonl"))
        if p["frames_sent"] != frames or packets != frames or p["janus_received"] != frames:
            fail(f"{pid}: report {p['frames_sent']}, send log {frames} frames / {packets} "
                 f"packets, Janus received {p['janus_received']}")
        if p["rc"] != "0" or p["cost"].get("cpu_pct") is None:
            fail(f"{pid}: exit {p['rc']}, cost {p['cost']}")
    if s["bots"] != 10 or s["bots_failed"]:
        fail(f"{s['bots']} subscribers, {s['bots_failed']} failed")
    n = 0
    for b in rep["bots"]:
        if len(b["streams"]) != 2:
            fail(f"{b['meeting']}: {len(b['streams'])} streams")
        for st in b["streams"]:
            check_janus_stream(b, st, pubs[st["participant"]], 15)
            n += 1
    if s["janus_forwarded"] != s["frames_sent"] or s["delivery_pct_min"] < 99.8:
        fail(f"forwarded {s['janus_forwarded']}, sent {s['frames_sent']}, "
             f"delivery min {s['delivery_pct_min']}")
    print(f"janus: {n} streams agree with the send logs and Janus's counts; "
          f"{s['frames_on_disk']} frames; Janus CPU {s['janus']['cpu_pct']:.1f} %")


def case_janus_audiobridge(tool, tmp):
    janus_run(tool, tmp, {"target": "janus", "rooms": 1, "publishers": 1, "subscribers": 5,
                          "ramp": 5, "hold": 12, "janus": {"plugin": "audiobridge"}}, 200)
    rep = json.load(open(os.path.join(tmp, "run", "report.json")))
    s = rep["summary"]
    if s["bots"] != 5 or s["bots_failed"] or s["janus"].get("cpu_pct") is None:
        fail(f"{s['bots']} subscribers, {s['bots_failed']} failed, janus {s['janus']}")
    if "AudioBridge" not in s["janus_forwarded_source"]:
        fail(f"janus_forwarded_source: {s['janus_forwarded_source']}")
    pub = rep["publishers"][0]
    for b in rep["bots"]:
        if len(b["streams"]) != 1:
            fail(f"{b['meeting']}: {len(b['streams'])} streams (want the one mix)")
        st = b["streams"][0]
        if st["frames_sent"] < 0.8 * 12 * 50 or st["frames_sent"] > pub["frames_sent"]:
            fail(f"{b['meeting']}: {st['frames_sent']} frames counted of {pub['frames_sent']}")
        if st["frames_on_disk"] + st["unnamed_after_gap"] != st["frames_sent"] or \
                st["lost_unexplained"] or st["unnamed_after_gap"] > 1 or \
                st["frames_extra"] or st["lost_inside_vpbot"]:
            fail(f"{b['meeting']}: {st['frames_on_disk']}/{st['frames_sent']} on disk, "
                 f"unexplained {st['lost_unexplained']}, extra {st['frames_extra']}")
    print(f"janus-audiobridge: 5 mixes, {s['frames_on_disk']} frames all on disk")


def case_janus_sigint(tool, tmp):
    import janus_rig
    rig = janus_rig.Rig(tmp)
    d = os.path.join(tmp, "run")
    try:
        rig.up()
        pf = os.path.join(tmp, "plan.json")
        with open(pf, "w") as f:
            json.dump(rig.plan({"target": "janus", "rooms": 2, "publishers": 1,
                                "subscribers": 2, "ramp": 4, "hold": 120}), f)
        p = subprocess.Popen([tool, pf, "--out", d, "--quiet"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # every bot has audio
            ev = os.path.join(d, "events")
            n = sum("stream_started" in open(os.path.join(ev, f)).read()
                    for f in os.listdir(ev)) if os.path.isdir(ev) else 0
            if n >= 4:
                break
            time.sleep(0.5)
        else:
            p.kill()
            fail("the subscribers got no audio within 60 s")
        time.sleep(3)
        p.send_signal(signal.SIGINT)
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            fail("did not stop within 60 s of SIGINT")
    finally:
        rig.down()
    if p.returncode != 130:
        fail(f"exit {p.returncode} after SIGINT: {err[-500:]}")
    rep = json.load(open(os.path.join(d, "report.json")))
    s = rep["summary"]
    if rep.get("interrupted") != "SIGINT" or s["bots"] != 4:
        fail(f"interrupted {rep.get('interrupted')}, {s['bots']} bots")
    left = [b["meeting"] for b in rep["bots"] if b["rc"] is None] + \
        [x["id"] for x in rep["publishers"] if x["rc"] == "running"]
    if left:
        fail(f"left running: {left}")
    if not s["frames_on_disk"] or s["janus_forwarded"] != s["frames_sent"] or \
            s["frames_on_disk"] + s["unnamed_after_gap"] != s["frames_sent"] or \
            s["unnamed_after_gap"] > s["streams"] or s["lost_inside_vpbot"]:
        fail(f"on disk {s['frames_on_disk']}, sent {s['frames_sent']}, forwarded "
             f"{s['janus_forwarded']}, lost inside {s['lost_inside_vpbot']}")
    print(f"janus-sigint: stopped cleanly; {s['frames_on_disk']} frames, all Janus forwarded")


STEP_FIGURES = ["bots_running", "streams", "machine_cpu_pct", "bot_cpu_pct_per_stream",
                "bot_pss_kb_p50", "inside_loss", "janus_cpu_pct", "janus_cpu_pct_per_stream",
                "janus_pss_kb", "janus_forwarded", "received_pct_min", "janus_discarded"]


def check_steps(fm, top):
    """Every step has its figures, passed iff its figures meet the
    criteria, the run stopped at the first failure, last_good is the step
    before it; returns the steps."""
    c, steps = fm["criteria"], fm["steps"]
    for i, st in enumerate(steps):
        for k in STEP_FIGURES:
            if st.get(k) is None:
                fail(f"step {i + 1}: {k} missing")
        if st["streams"] != c["start"] + i * c["step"] or st["bots_running"] != st["streams"]:
            fail(f"step {i + 1}: {st['bots_running']} bots, {st['streams']} streams")
        if st["janus_forwarded"] < 0.5 * c["step_hold"] * 50 * st["streams"]:
            fail(f"step {i + 1}: Janus forwarded only {st['janus_forwarded']} packets")
        bad = (st["inside_loss"] > c["max_inside_loss"] or
               (c["max_cpu_pct"] is not None and st["machine_cpu_pct"] >= c["max_cpu_pct"]) or
               st["latency_p99_ms"] is None or
               st["latency_p99_ms"] > c["max_latency_p99_ms"] or
               st["received_pct_min"] < c["min_received_pct"] or
               st["bots_failed"] > (steps[i - 1]["bots_failed"] if i else 0))
        if st["passed"] == bad or st["passed"] != (not st["failed_because"]):
            fail(f"step {i + 1}: passed {st['passed']} but {st}")
        if not st["passed"] and i != len(steps) - 1:
            fail(f"step {i + 1} failed and the run went on")
    good = [st for st in steps if st["passed"]]
    if (good[-1] if good else None) != fm["last_good"]:
        fail("last_good is not the last step that passed")
    last = steps[-1]
    want = ("; ".join(last["failed_because"]) if not last["passed"]
            else f"limits.max_bots ({top}) reached")
    if fm["stopped_because"] != want:
        fail(f"stopped because {fm['stopped_because']!r}, wanted {want!r}")
    return steps


def case_janus_findmax(tool, tmp):
    """VideoRoom: 2, 4, 6 subscribers of one publisher (max_bots stops
    it); then AudioBridge with a CPU bound no machine meets (1 %): the
    first step fails, with that reason"""
    import janus_rig
    rig = janus_rig.Rig(tmp)
    fm = {"start": 2, "step": 2, "step_hold": 5, "max_cpu_pct": None,
          "max_latency_p99_ms": 5000}
    plan = {"target": "janus", "rooms": 1, "publishers": 1, "ramp": 5,
            "limits": {"max_bots": 6, "max_seconds": 120}, "find_max": fm}
    for d in ("a", "b"):
        os.makedirs(os.path.join(tmp, d))
    try:
        rig.up()
        r1 = run_plan(tool, os.path.join(tmp, "a"), rig.plan(plan), ["--find-max"],
                      timeout=150)
        plan["find_max"] = dict(fm, max_cpu_pct=1)
        plan["janus"] = {"plugin": "audiobridge"}
        r2 = run_plan(tool, os.path.join(tmp, "b"), rig.plan(plan), ["--find-max"],
                      timeout=150)
    finally:
        rig.down()
    for r in (r1, r2):
        print(r.stdout.strip())
        if r.returncode != 0:
            fail(f"exit {r.returncode}: {r.stderr[-800:]}")
    rep = json.load(open(os.path.join(tmp, "a", "run", "report.json")))
    steps = check_steps(rep["find_max"], 6)
    check_floor(rep, r1.stdout, measured=2)  # before the bots and after the last step
    if len(steps) < 2 or rep["find_max"]["target"] != "janus":
        fail(f"{len(steps)} steps: {rep['find_max']['stopped_because']}")
    if not os.path.exists(os.path.join(tmp, "a", "run", "knee.png")):
        fail("no knee plot")
    s = rep["summary"]
    if s["bots"] != steps[-1]["bots"] or s["janus_forwarded"] != s["frames_sent"] or \
            s["lost_inside_vpbot"] or s["janus"].get("pss_kb") is None:
        fail(f"the run's report: {s['bots']} bots, forwarded {s['janus_forwarded']}, "
             f"sent {s['frames_sent']}, lost inside {s['lost_inside_vpbot']}")
    rep = json.load(open(os.path.join(tmp, "b", "run", "report.json")))
    steps = check_steps(rep["find_max"], 6)
    if len(steps) != 1 or rep["find_max"]["last_good"] is not None or \
            not rep["find_max"]["stopped_because"].startswith("machine CPU "):
        fail(f"1 % CPU bound: {len(steps)} steps, {rep['find_max']['stopped_because']}")
    print(f"janus-findmax: {len(steps)} step(s) then "
          f"{rep['find_max']['stopped_because']!r}, as the criteria say")


def case_janus_crowd(tool, tmp):
    """One bot in a VideoRoom of 40 publishers: one subscription offer of 40
    m-lines, all in one BUNDLE group; every stream agrees with its sender."""
    janus_run(tool, tmp, {"target": "janus", "rooms": 1, "publishers": 40,
                          "subscribers": 1, "ramp": 2, "hold": 12}, 200)
    rep = json.load(open(os.path.join(tmp, "run", "report.json")))
    pubs = {p["id"]: p for p in rep["publishers"]}
    s = rep["summary"]
    if len(pubs) != 40 or s["bots"] != 1 or s["bots_failed"]:
        fail(f"{len(pubs)} publishers, {s['bots']} bots, {s['bots_failed']} failed")
    b = rep["bots"][0]
    if len(b["streams"]) != 40:
        fail(f"{b['meeting']}: {len(b['streams'])} streams of 40")
    for st in b["streams"]:
        check_janus_stream(b, st, pubs[st["participant"]], 12)
    print(f"janus-crowd: 40 streams in one subscription, "
          f"{s['frames_on_disk']} frames all agree with the send logs")


CASES = {"janus-findmax": case_janus_findmax, "plan": case_plan, "limits": case_limits, "sigint": case_sigint,
         "janus": case_janus, "janus-sigint": case_janus_sigint,
         "janus-audiobridge": case_janus_audiobridge, "janus-crowd": case_janus_crowd}


def main():
    if os.geteuid() != 0:
        fail("needs root (network namespace)")
    tool, case = sys.argv[1], sys.argv[2]
    if os.environ.get("VPLOAD_KEEP"):  # debugging: keep the run folder
        tmp = tempfile.mkdtemp(prefix=f"vpload-test-{case}-{os.getpid()}-")
        print(f"keeping {tmp}")
        CASES[case](tool, tmp)
    else:
        with tempfile.TemporaryDirectory(prefix=f"vpload-test-{case}-{os.getpid()}-") as tmp:
            CASES[case](tool, tmp)
    print(f"{case}: ok")


if __name__ == "__main__":
    main()
