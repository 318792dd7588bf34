# SPDX-License-Identifier: MIT
"""report.json (every figure, the plan, the versions) and report.html
(plots drawn with matplotlib, PNG next to it)."""
import html
import json
import os

import numpy as np


def _q(vals, q):
    vals = [v for v in vals if v is not None]
    return round(float(np.percentile(vals, q)), 3) if vals else None


def shown_plan(p):
    """The plan as report.json shows it: a Janus admin secret only as
    "(set)" (the report is made to be shared)."""
    out = dict(p)
    if isinstance(out.get("janus"), dict) and out["janus"].get("admin_secret") is not None:
        out["janus"] = dict(out["janus"], admin_secret="(set)")
    return out


def dist(vals):
    vals = [v for v in vals if v is not None]
    return {"n": len(vals), "p50": _q(vals, 50), "p90": _q(vals, 90),
            "p99": _q(vals, 99), "max": round(max(vals), 3) if vals else None}


def summary(bots, simconf, hold_s, publishers, machine_pct):
    streams = [s for b in bots for s in b.get("streams", [])]
    tot = {k: sum(s.get(k, 0) or 0 for s in streams) for k in (
        "frames_sent", "frames_on_disk", "frames_missing", "lost_before_vpbot",
        "lost_inside_vpbot", "lost_at_meeting_end", "socket_buffer_drops", "unnamed_after_gap",
        "lost_unexplained", "frames_extra")}
    crashed = [b for b in bots if isinstance(b.get("rc"), int) and b["rc"] < 0]
    failed = [b for b in bots if b.get("rc") not in (0, None)]
    cpu = [b["cost"]["cpu_pct"] for b in bots if b.get("cost", {}).get("cpu_pct") is not None]
    pss = [b["cost"]["pss_kb"] for b in bots if b.get("cost", {}).get("pss_kb") is not None]
    nstreams_hold = sum(len(b.get("streams", [])) for b in bots if b.get("cost", {}).get("cpu_pct") is not None)
    out = {
        "bots": len(bots), "bots_exit_0": sum(b.get("rc") == 0 for b in bots),
        "bots_failed": len(failed), "bots_crashed_by_signal": len(crashed),
        "exit_codes": {str(k): sum(1 for b in bots if b.get("rc") == k)
                       for k in sorted({b.get("rc") for b in bots if b.get("rc") is not None})},
        "streams": len(streams), **tot,
        "delivery_pct": round(100 * tot["frames_on_disk"] / tot["frames_sent"], 4) if tot["frames_sent"] else None,
        "spawn_to_joined_ms": dist([b.get("spawn_to_joined_ms") for b in bots]),
        "joined_to_first_audio_ms": dist([b.get("joined_to_first_audio_ms") for b in bots]),
        "latency_durable_ms": dist([v for s in streams for v in s.get("latency_durable_ms", [])]),
        "first_frame_latency_ms": dist([s.get("first_frame_latency_ms") for s in streams]),
        "timeline_error_ms_abs": dist([abs(s["timeline_error_ms"]["median"]) for s in streams
                                       if s.get("timeline_error_ms", {}).get("median") is not None]),
        "bot_cpu_pct": dist(cpu),
        "bot_cpu_pct_total": round(sum(cpu), 3),
        "bot_cpu_pct_per_stream": round(sum(cpu) / nstreams_hold, 4) if nstreams_hold else None,
        "bot_pss_kb": dist(pss),
        "bot_private_kb": dist([b["cost"].get("private_kb") for b in bots if b.get("cost")]),
        "bot_rss_kb": dist([b["cost"].get("rss_kb") for b in bots if b.get("cost")]),
        "bot_wakeups_per_s": dist([b["cost"].get("wakeups_per_s") for b in bots if b.get("cost")]),
        "simconf": simconf,
        "machine_cpu_pct_hold": machine_pct,
        "hold_s": hold_s,
    }
    return out


def write_json(path, rep):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(rep, f, indent=1, sort_keys=False)
    os.replace(tmp, path)


def _cdf(ax, vals, label):
    vals = sorted(v for v in vals if v is not None)
    if vals:
        ax.plot(vals, np.arange(1, len(vals) + 1) / len(vals), label=label)


def _floor_lines(ax, fl):
    """the floor and the goal (1.5 x floor) as horizontal lines"""
    if fl:
        ax.axhline(fl, color="gray", ls=":", label=f"floor {fl:.3f}")
        ax.axhline(1.5 * fl, color="red", ls="--", label="1.5 × floor (goal)")


def plots(rep, d):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    bots = rep["bots"]
    streams = [s for b in bots for s in b.get("streams", [])]
    made = []

    def save(fig, name, title):
        fig.tight_layout()
        fig.savefig(os.path.join(d, name), dpi=90)
        plt.close(fig)
        made.append((name, title))

    fig, ax = plt.subplots(figsize=(6, 3.5))
    _cdf(ax, [b.get("spawn_to_joined_ms") for b in bots], "spawn → joined")
    _cdf(ax, [b.get("joined_to_first_audio_ms") for b in bots], "joined → first audio")
    ax.set_xlabel("ms")
    ax.set_ylabel("fraction of bots")
    ax.legend()
    ax.grid(alpha=.3)
    save(fig, "join_cdf.png", "Join and first-audio latency (CDF)")

    fig, ax = plt.subplots(2, 1, figsize=(7, 5), sharex=True)
    x = np.arange(len(streams))
    ax[0].bar(x, [s.get("lost_before_vpbot", 0) for s in streams], label="before vpbot")
    ax[0].bar(x, [s.get("lost_inside_vpbot", 0) for s in streams],
              bottom=[s.get("lost_before_vpbot", 0) for s in streams], label="inside vpbot")
    ax[0].bar(x, [s.get("lost_unexplained", 0) for s in streams],
              bottom=[s.get("lost_before_vpbot", 0) + s.get("lost_inside_vpbot", 0) for s in streams],
              label="unexplained")
    ax[0].set_ylabel("frames lost")
    ax[0].legend(fontsize=7)
    p99 = [np.percentile(s["latency_durable_ms"], 99) if s.get("latency_durable_ms") else np.nan for s in streams]
    p50 = [np.percentile(s["latency_durable_ms"], 50) if s.get("latency_durable_ms") else np.nan for s in streams]
    ax[1].plot(x, p50, ".", label="p50")
    ax[1].plot(x, p99, ".", label="p99")
    ax[1].set_ylabel("send → durable, ms")
    ax[1].set_xlabel("stream (bot order)")
    ax[1].legend(fontsize=7)
    save(fig, "per_stream.png", "Loss and latency per subscriber stream")

    fl = (rep.get("floor") or {}).get("pct_per_stream")
    per_bot = sorted(b["cost"]["cpu_pct"] / len(b["streams"]) for b in bots
                     if b.get("streams") and b.get("cost", {}).get("cpu_pct") is not None)
    if per_bot:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(np.arange(1, len(per_bot) + 1), per_bot, ".", label="vpbot, per bot")
        if rep["summary"].get("bot_cpu_pct_per_stream") is not None:
            ax.axhline(rep["summary"]["bot_cpu_pct_per_stream"], color="C0", lw=1,
                       label="vpbot, all bots")
        _floor_lines(ax, fl)
        ax.set_ylim(bottom=0)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("bot (sorted)")
        ax.set_ylabel("% of a core per stream")
        ax.legend(fontsize=7)
        ax.grid(alpha=.3)
        save(fig, "cpu_floor.png", "CPU per stream against the floor measured in the same run")

    steps = rep.get("find_max", {}).get("steps") or []
    if steps:
        fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
        xs = [s["streams"] for s in steps]
        ax[0].plot(xs, [s.get("bot_cpu_pct_per_stream") for s in steps], "o-", label="vpbot")
        tgt = rep["find_max"].get("target", "simconf")
        ax[0].plot(xs, [s.get(f"{tgt}_cpu_pct_per_stream") for s in steps], "o-", label=tgt)
        _floor_lines(ax[0], fl)
        ax[0].set_ylim(bottom=0)
        ax[0].set_xlabel("streams")
        ax[0].set_ylabel("% of a core per stream")
        ax[0].legend()
        ax[1].plot(xs, [(s.get("bot_pss_kb_p50") or 0) / 1024 for s in steps], "o-",
                   label="PSS p50 per bot, MB")
        if tgt == "janus":
            ax[1].plot(xs, [(s.get("janus_pss_kb") or 0) / 1024 for s in steps], "o-",
                       label="Janus PSS, MB")
            ax[1].plot(xs, [s.get("janus_cpu_pct") for s in steps], "o-",
                       label="Janus CPU, % of a core")
        ax[1].plot(xs, [s.get("machine_cpu_pct") for s in steps], "o-", label="machine CPU %")
        last = rep["find_max"].get("last_good")
        if last:
            for a in ax:
                a.axvline(last["streams"], color="green", ls="--", label="last good")
        ax[1].set_xlabel("streams")
        ax[1].legend(fontsize=7)
        save(fig, "knee.png", "CPU and memory against streams (find-max steps; the knee)")
    return made


STEP_COLS = ("streams", "passed", "machine_cpu_pct", "bot_cpu_pct_per_stream",
             "bot_cpu_vs_floor", "bot_pss_kb_p50", "latency_p99_ms", "inside_loss", "received_pct_min",
             "janus_cpu_pct", "janus_pss_kb", "janus_discarded_pct", "failed_because")


def _steps_html(fm):
    """find-max: one row per step, the last good one marked"""
    if not fm or not fm.get("steps"):
        return ""
    cols = [c for c in STEP_COLS if any(c in s for s in fm["steps"])]
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = "".join("<tr>" + "".join(
        f"<td>{html.escape(json.dumps(round(s[c], 3) if isinstance(s.get(c), float) else s.get(c)))}</td>"
        for c in cols) + "</tr>" for s in fm["steps"])
    why = html.escape(str(fm.get("stopped_because")))
    return (f"<tr><td>find-max</td><td>stopped because {why}; last good: "
            f"{html.escape(str((fm.get('last_good') or {}).get('streams')))} streams"
            f"<table><tr>{head}</tr>{body}</table></td></tr>")


def _floor_html(fl):
    """the floor used for bot_cpu_vs_floor, its parts, and every measurement"""
    if not fl:
        return ""
    if "error" in fl:
        return f"<tr><td>floor</td><td>not measured: {html.escape(fl['error'])}</td></tr>"
    parts = ", ".join(f"{k[:-3].replace('_', ' ')} {fl[k]:.2f} µs" for k in (
        "srtp_unprotect_us", "opus_decode_us", "wav_write_us"))
    each = "; ".join(f"{html.escape(m['when'])}: " + (
        f"{m['total_us']:.2f} µs" if "error" not in m else html.escape(m["error"]))
        for m in fl["measurements"])
    return (f"<tr><td>floor</td><td>{fl['total_us']:.2f} µs per 20 ms frame = "
            f"{fl['pct_per_stream']:.4f} % of a core per stream at {fl['rate']} Hz "
            f"({parts}); measured {each}; used: {html.escape(fl['used'])}</td></tr>")


def write_html(path, rep):
    d = os.path.dirname(path)
    try:
        made = plots(rep, d)
    except ImportError as e:
        made = []
        rep.setdefault("warnings", []).append(f"no plots: {e}")
    s = rep["summary"]
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(json.dumps(v))}</td></tr>"
                   for k, v in s.items())
    rows += _floor_html(rep.get("floor"))
    rows += _steps_html(rep.get("find_max"))
    imgs = "".join(f"<h2>{html.escape(t)}</h2><img src='{n}'>" for n, t in made)
    state = "interrupted (" + rep["interrupted"] + ")" if rep.get("interrupted") else "complete"
    doc = (f"<!doctype html><meta charset=utf-8><title>vpbot-load report</title>"
           f"<style>body{{font-family:sans-serif;max-width:60em}}td{{padding:2px 8px;"
           f"border-bottom:1px solid #ddd;font-size:13px}}</style>"
           f"<h1>vpbot-load: {html.escape(rep['plan']['target'])}</h1>"
           f"<p>Run {state}; plan, versions and every figure per bot and stream "
           f"are in <a href='report.json'>report.json</a>.</p>"
           f"<table>{rows}</table>{imgs}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
