#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fleet_check.py TMP — the checks of fleet.sh on what the run left:
results stream (results.jsonl), simconf's send log, worker JSON logs,
meeting folders. Prints dispatch latency and reclaim time."""
import glob
import json
import os
import re
import sys

T = sys.argv[1]
bad = []


def err(msg):
    bad.append(msg)
    print("FAIL:", msg)


def jl(path):
    out = []
    for line in open(path, errors="replace"):
        line = line.strip()
        if not line:
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            err(f"{os.path.basename(path)}: not a JSON line: {line[:80]}")
    return out


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


res = jl(f"{T}/results.jsonl")
send = jl(f"{T}/send.jsonl")
logs = {}
for f in sorted(glob.glob(f"{T}/w?.log")):
    logs[os.path.basename(f)[:2]] = jl(f)
submitted = {}
for line in open(f"{T}/submitted"):
    m, ns = line.split()
    submitted.setdefault(m, int(ns))
victim, kill_ns = open(f"{T}/killed").read().split()
drainer, drain_ns = open(f"{T}/drained").read().split()
kill_ns, drain_ns = int(kill_ns), int(drain_ns)
queued_a = [q["meeting"] for q in json.load(open(f"{T}/fleetA.json"))["queued"]]

meetings = ([f"fa-{i}" for i in range(1, 14)] + [f"fb-{i}" for i in range(1, 7)]
            + [f"fc-{i}" for i in range(1, 7)] + [f"fd-{i}" for i in range(1, 9)])

# 1. each meeting: exactly one final outcome, "done", exit 0 (a job handed
# back unstarted — "requeued" — is not an outcome of the meeting)
NOT_FINAL = ("requeued", "retry", "drained", "fenced")
for m in meetings:
    r = [x for x in res if x["meeting"] == m and x["outcome"] not in NOT_FINAL]
    if len(r) != 1 or r[0]["outcome"] != "done" or r[0]["exit_code"] != 0:
        err(f"{m}: results {[(x['worker'], x['outcome'], x['exit_code']) for x in r]}")
    mj = f"{T}/out/{m}/meeting.json"
    if not os.path.exists(mj):
        err(f"{m}: no meeting.json")
        continue
    st = json.load(open(mj)).get("status", {})
    if st.get("state") != "finished":
        err(f"{m}: meeting.json status {st}")
    man = f"{T}/out/{m}/manifest.jsonl"
    if not os.path.exists(man) or not open(man).read().strip():
        err(f"{m}: nothing recorded")

# 2. simconf: never two bots in a meeting at once
sessions = {}
for e in sorted(send, key=lambda e: e.get("utc_ns", 0)):
    m = e.get("meeting")
    if e["event"] == "refused_full":
        err(f"{m}: a second bot was refused (meeting_full)")
    if e["event"] == "bot_joined":
        s = sessions.setdefault(m, [])
        if s and s[-1][1] is None:
            err(f"{m}: bot joined while another bot was in the meeting")
        s.append([e["utc_ns"], None])
    if e["event"] == "session_end" and sessions.get(m):
        sessions[m][-1][1] = e["utc_ns"]
for m in meetings:
    if not sessions.get(m):
        err(f"{m}: no bot ever joined")

# 3. the killed worker's meetings went on elsewhere
spawned = {}
for w, lines in logs.items():
    for e in lines:
        if e.get("event") == "spawned":
            spawned.setdefault(e["meeting"], []).append((w, e))
killed = [m for m, sp in spawned.items() if m.startswith("fb-")
          and any(w == victim and submitted[m] < kill_ns for w, _ in sp)]
reclaim = []
for m in killed:
    after = [e for w, e in spawned[m] if w != victim]
    if not after:
        err(f"{m}: not continued after {victim} was killed")
        continue
    if len(sessions.get(m, [])) < 2:
        err(f"{m}: expected a second session after the kill")
    t = min(e["ts"] for e in after)
    # ts is RFC 3339 with µs; convert to ns
    import datetime
    dt = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    reclaim.append(dt.timestamp() - kill_ns / 1e9)
if not killed:
    err(f"{victim} had no fb meeting when killed")

# 4. poison: acked and reported once, never retried
rp = [x for x in res if x["meeting"] == "fc-poison"]
if len(rp) != 1 or rp[0]["outcome"] != "poison" or rp[0]["exit_code"] != 65:
    err(f"fc-poison: results {rp}")
tk = sum(1 for l in logs.values() for e in l
         if e.get("event") == "taken" and e.get("meeting") == "fc-poison")
if tk != 1:
    err(f"fc-poison taken {tk} times")

# 5. 75: retried within the window only
rt = [x for x in res if x["meeting"] == "fc-tempfail"]
outs = [x["outcome"] for x in rt]
if outs.count("retry") < 2 or not outs or outs[-1] not in ("expired", "failed"):
    err(f"fc-tempfail: outcomes {outs}")
na = submitted["fc-tempfail"] / 1e9 + 12
for w, e in spawned.get("fc-tempfail", []):
    import datetime
    dt = datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    if dt.timestamp() > na + 1:
        err("fc-tempfail: started after its meeting window")

# 6. drain: nothing taken after SIGTERM; exited cleanly (the same worker
# is started again afterwards and appends to the same log)
import datetime


def ts_s(e):
    return datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


dl = logs[drainer]
idx = next((i for i, e in enumerate(dl) if e.get("event") == "draining"
            and ts_s(e) >= drain_ns / 1e9 - 1), None)
end = next((i for i, e in enumerate(dl) if idx is not None and i > idx
            and e.get("event") == "stopped"), None)
if idx is None or end is None:
    err(f"{drainer}: no draining ... stopped in its log")
    seg = []
else:
    seg = dl[idx:end + 1]
late = [e["meeting"] for e in seg if e.get("event") == "taken"]
if late:
    err(f"{drainer} took {late} while draining")
fin = [e["meeting"] for e in seg if e.get("event") == "finished"
       and e["meeting"].startswith("fd-")]
if not fin:
    err(f"{drainer}: no bot finished while draining")
for m in fin:
    r = [x for x in res if x["meeting"] == m]
    if not r or r[0]["worker"] != drainer:
        err(f"{m}: should have finished on {drainer}")

# 7. capacity never exceeded
for w, lines in logs.items():
    for e in lines:
        if e.get("event") == "spawned" and e["load"] > 4:
            err(f"{w}: load {e['load']} > capacity 4")

# 8. phase E: two schedulers, one calendar: each meeting dispatched once,
# done in both states (results read back), the fleet in `status`
st = {}
for k in (1, 2):
    for line in open(f"{T}/sched{k}.status"):
        o = json.loads(line)
        st.setdefault(o["meeting_id"], []).append(o["state"])
if len(st) != 6:
    err(f"scheduler meetings: {sorted(st)}")
for mid, states in st.items():
    if states != ["done", "done"]:
        err(f"{mid}: scheduler states {states}")
    r = [x for x in res if x["meeting"] == mid]
    if len(r) != 1 or r[0]["outcome"] != "done":
        err(f"{mid}: results {[(x['worker'], x['outcome']) for x in r]}")
added = {}
for k in (1, 2):
    for line in open(f"{T}/sched{k}.err"):
        m = re.search(r"meeting (\S+): (added to|already in) the fleet", line)
        if m:
            added.setdefault(m.group(1), []).append(m.group(2))
for mid in st:
    if sorted(added.get(mid, [])) != ["added to", "already in"]:
        err(f"{mid}: dispatches {added.get(mid)}")
for k in range(1, 7):
    if len(sessions.get(f"fe-{k}", [])) != 1:
        err(f"fe-{k}: {len(sessions.get(f'fe-{k}', []))} sessions")
fl = [json.loads(l) for l in open(f"{T}/status-e.jsonl") if '"fleet"' in l]
if len(fl) != 1 or len(fl[0]["fleet"]["workers"]) != 3:
    err(f"status does not show the fleet's 3 workers: {fl}")

# figures
lat = [e["latency_us"] / 1000 for sp in spawned.values() for w, e in sp
       if e["attempt"] == 1 and e["meeting"] not in queued_a
       and e["meeting"] not in killed and not e["meeting"].startswith("fc-t")
       and e["meeting"] != "fd-7" and e["meeting"] != "fd-8"]
lat = [x for x in lat if x >= 0]
if lat:
    print(f"dispatch latency (submit -> bot spawned on a worker, {len(lat)} jobs "
          f"with room): p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms")
late = [e["latency_us"] / 1000 for mid in st for w, e in spawned.get(mid, [])]
if late:
    print(f"dispatch latency (scheduler decision -> bot spawned, {len(late)} "
          f"calendar meetings): p50 {pct(late, 50):.1f} ms, "
          f"max {max(late):.1f} ms")
if reclaim:
    print(f"reclaim after SIGKILL of {victim} ({len(reclaim)} meetings, "
          f"--reclaim-idle 6 s): {min(reclaim):.1f}-{max(reclaim):.1f} s")
print(f"killed: {sorted(killed)}; drained on {drainer}: {sorted(fin)}")
print("fleet_check:", "FAIL" if bad else "OK", f"({len(bad)} problems)")
sys.exit(1 if bad else 0)
