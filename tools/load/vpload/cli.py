# SPDX-License-Identifier: MIT
"""vpbot-load PLAN.json [--out DIR] [--find-max] [--quiet]"""
import argparse
import os
import platform
import subprocess
import sys
import time

from . import analyze, costs, findmax, floor as F, janus as J, janus_findmax, janus_report, plan as P, \
    report, run as R


def versions(bins):
    def out(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return None
    v = {"vpbot": out([bins["vpbot"], "--version"]), "python": platform.python_version(),
         "kernel": platform.release()}
    here = os.path.dirname(os.path.abspath(__file__))
    v["git"] = out(["git", "-C", here, "describe", "--always", "--dirty"])
    for pkg in ("libopus0", "libsrtp2-1", "libnice10", "libwebsockets17"):
        v[pkg] = out(["dpkg-query", "-W", "-f=${Version}", pkg])
    return v


def machine():
    with open("/proc/loadavg") as f:
        la = f.read().split()[:3]
    return {"cpus": os.cpu_count(), "loadavg_at_start": [float(x) for x in la],
            "note": "shared machine: other work may run beside the measured processes"}


def bot_entries(run, t0, t1, sends):
    out = []
    for c in run.bots:
        info = {"meeting": c.meeting, "spawn_utc_ns": c.spawn_utc_ns, "rc": c.poll(),
                "udp_drops": getattr(c, "udp_drops", 0),
                "end_utc_ns": (c.spawn_utc_ns + int((c.end_mono - c.spawn_mono) * 1e9)
                               if c.end_mono else None)}
        b = analyze.bot(run.dir, run.out, info, sends, run.plan["rate"])
        b["rc_text"] = c.describe_rc()
        cost = costs.memory(run.mem, c.pid, t0, t1) or {}
        cost["cpu_pct"] = costs.cpu_pct(run.samples, c.pid, t0, t1)
        b["cost"] = cost
        out.append(b)
    return out


def build_report(run, bins, interrupted, extra=None):
    p = run.plan
    t0 = run.marks.get("hold_start", run.marks.get("start", 0))
    t1 = run.marks.get("hold_end", run.marks.get("end", time.monotonic()))
    sends = analyze.send_log(os.path.join(run.dir, "send.jsonl"))
    bots = bot_entries(run, t0, t1, sends)
    sc = {}
    if run.simconf:
        sc = costs.memory(run.mem, run.simconf.pid, t0, t1) or {}
        sc["cpu_pct"] = costs.cpu_pct(run.samples, run.simconf.pid, t0, t1)
        nstreams = sum(1 for c in run.bots if c.rc is None or c.end_mono and
                       c.end_mono >= t1) * p["publishers"]
        sc["streams_sent_during_hold"] = nstreams
        sc["cpu_pct_per_stream"] = (round(sc["cpu_pct"] / nstreams, 5)
                                    if sc["cpu_pct"] is not None and nstreams else None)
        sc["rc"] = run.simconf.describe_rc()
    rep = {"tool": "vpbot-load", "plan": report.shown_plan(p), "versions": versions(bins),
           "machine": machine(), "interrupted": interrupted,
           "phases_s": {k: round(v - run.marks.get("start", v), 3) for k, v in run.marks.items()},
           "run_dir": run.dir}
    rep["summary"] = report.summary(bots, sc, round(t1 - t0, 3), p["publishers"],
                                    costs.machine_pct(run.samples, t0, t1))
    if extra:
        rep.update(extra)
    rep["bots"] = bots
    return rep


def exit_code(run):
    """130 interrupted, 70 the run itself failed (simconf, Janus or the
    publishers did not start: the report shows what ran), else 0: how
    the bots did is in the report's figures."""
    if run.stop_asked in ("SIGINT", "SIGTERM"):
        return 130
    return 70 if run.stop_asked == "error" else 0


def findmax_line(fm):
    g = fm["last_good"]
    good = (f"last good step: {g['bots_running']} bots, {g['streams']} streams, "
            f"bot CPU {F.text(g['bot_cpu_pct_per_stream'], g.get('bot_cpu_vs_floor'))}, PSS p50 "
            f"{(g['bot_pss_kb_p50'] or 0) / 1024:.1f} MB" if g else "no step passed")
    if g and "janus_cpu_pct" in g:
        good += (f", Janus CPU {g['janus_cpu_pct']} % PSS {(g['janus_pss_kb'] or 0) / 1024:.1f}"
                 f" MB, received min {g['received_pct_min']} %")
    return f"vpbot-load: find-max: {good}; stopped because {fm['stopped_because']}"


def main(argv=None, bins=None):
    ap = argparse.ArgumentParser(prog="vpbot-load")
    ap.add_argument("plan")
    ap.add_argument("--out", help="run folder (default: ./load-RUNID)")
    ap.add_argument("--find-max", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    ap.add_argument("--vpbot", default=(bins or {}).get("vpbot"))
    ap.add_argument("--simconf", default=(bins or {}).get("simconf"))
    ap.add_argument("--jpub", default=(bins or {}).get("jpub"))
    ap.add_argument("--floor-bench", default=(bins or {}).get("floor_bench"))
    ap.add_argument("--rtpgen", default=(bins or {}).get("rtpgen"))
    a = ap.parse_args(argv)
    try:
        plan = P.load(a.plan)
        if a.find_max:
            P.check_find_max(plan)
    except P.PlanError as e:
        print(f"vpbot-load: {a.plan}: {e}", file=sys.stderr)
        return 65
    bins = {"vpbot": a.vpbot, "simconf": a.simconf, "jpub": a.jpub,
            "floor_bench": a.floor_bench, "rtpgen": a.rtpgen}
    need = ("vpbot", "jpub") if plan["target"] == "janus" else ("vpbot", "simconf")
    for k in need:
        v = bins[k]
        if not v or not os.access(v, os.X_OK):
            print(f"vpbot-load: {k} not found ({v}); pass --{k}", file=sys.stderr)
            return 64
    run_dir = os.path.abspath(a.out or f"load-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    probe = run_dir if os.path.isdir(run_dir) else os.path.dirname(run_dir)
    try:
        if a.find_max:
            fm = plan["find_max"]
            bots = plan["limits"]["max_bots"]
            steps = max(1, (bots - fm["start"]) // fm["step"] + 1)
            secs = steps * (fm["start"] / plan["ramp"] + fm["step_hold"]) + 60
            P.check_machine(plan, min(bots, fm["start"] + (steps - 1) * fm["step"]),
                            min(secs, plan["limits"]["max_seconds"]), probe)
        else:
            secs = 2 * P.ramp_seconds(plan) + plan["hold"] + 20
            P.check_machine(plan, P.bots_of(plan), secs, probe)
    except P.PlanError as e:
        print(f"vpbot-load: refused: {e}", file=sys.stderr)
        return 69
    os.makedirs(run_dir, exist_ok=True)
    janus = plan["target"] == "janus"
    run = (J.JanusRun if janus else R.Run)(plan, bins, run_dir, progress=not a.quiet)
    run.install_signals()
    fl = F.Floor(bins, run_dir, plan["rate"], progress=not a.quiet)
    fl.measure("before the bots started")
    extra = None
    try:
        if a.find_max:
            extra = findmax.run(run, janus_findmax.JanusSteps(run) if janus else None)
        elif janus:
            J.fixed(run)
        else:
            R.fixed(run)
    except RuntimeError as e:
        print(f"\nvpbot-load: {e}", file=sys.stderr)
        run.stop_asked = run.stop_asked or "error"
    finally:
        run.mark("stopped")
        run.teardown()
    if a.find_max and not run.stop_asked:
        fl.measure("after the last step, the bots stopped")
    fl.cleanup()
    if janus:
        rep = janus_report.build(run, versions(bins), machine(), run.stop_asked)
        rep.update(extra or {})
    else:
        rep = build_report(run, bins, run.stop_asked, extra)
    F.attach(rep, fl)
    report.write_json(os.path.join(run_dir, "report.json"), rep)
    report.write_html(os.path.join(run_dir, "report.html"), rep)
    s = rep["summary"]
    if janus:
        j = s["janus"]
        print(f"vpbot-load: {s['bots']} subscribers ({s['bots_failed']} failed), "
              f"{s['streams']} streams, {s['frames_on_disk']}/{s['frames_sent']} frames on "
              f"disk (Janus forwarded {s['janus_forwarded']}), {s['lost_inside_vpbot']} lost "
              f"inside vpbot, delivery min {s['delivery_pct_min']} %; bot CPU "
              f"{F.text(s['bot_cpu_pct_per_stream'], s['bot_cpu_vs_floor'])}; Janus CPU "
              f"{j.get('cpu_pct') and round(j['cpu_pct'], 1)} %; {run_dir}/report.html"
              + (f" (interrupted: {run.stop_asked})" if run.stop_asked else ""))
        if extra:
            print(findmax_line(extra["find_max"]))
        return exit_code(run)
    print(f"vpbot-load: {s['bots']} bots ({s['bots_failed']} failed, "
          f"{s['bots_crashed_by_signal']} crashed), {s['streams']} streams, "
          f"{s['frames_on_disk']}/{s['frames_sent']} frames on disk, "
          f"{s['lost_inside_vpbot']} lost inside vpbot; bot CPU "
          f"{F.text(s['bot_cpu_pct_per_stream'], s['bot_cpu_vs_floor'])}, simconf "
          f"{s['simconf'].get('cpu_pct_per_stream')} %/stream; "
          f"{run_dir}/report.html" + (f" (interrupted: {run.stop_asked})" if run.stop_asked else ""))
    if extra:
        print(findmax_line(extra["find_max"]))
    return exit_code(run)
