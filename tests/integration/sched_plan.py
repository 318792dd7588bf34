#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""sched_plan.py: calendars, simconf scenario and checks for the scheduler
integration tests (sched_sim.sh, sched_crash.sh).

  sched_plan.py gen PLAN DIR PORT T0 [--move UID] [--cancel UID]
      write DIR/alice.ics, DIR/bob.ics (atomically), DIR/scenario.json
      and DIR/expect.json for plan PLAN ("full" or "crash") whose
      meetings start at T0 (unix seconds) + offset
  sched_plan.py check DIR
      compare DIR/once.jsonl (vpbot-sched once --json), DIR/status.jsonl
      (vpbot-sched status --json), DIR/send.jsonl (simconf's send log) and
      DIR/out/ID/meeting.json against DIR/expect.json

Every meeting is one calendar event; its invite names a simconf meeting
of the same name, so the send log says how many bots joined it."""
import json
import os
import sys
import time
from vcheck import check as ok, failed, jsonl

EXT = ["erin@customer.test"]
# "moved" is moved this much later before its start (sched_sim.sh moves it
# at T0 + 3, its bot would have come at T0 + 15)
MOVE_S = 12

# name: (offset s, length s, organizer, invitees, extra ICS lines, calendars,
#        expected verdict, expected reason code, final state, bots)
FULL = [
    ("ext1", 0, 20, "alice@example.com", EXT, [], "A", "record",
     "external_recorded", "done", 1),
    ("ext2", 3, 20, "alice@example.com", EXT, [], "A", "record",
     "external_recorded", "done", 1),
    ("ext3", 6, 20, "bob@example.com", EXT + ["alice@example.com"], [], "B",
     "record", "external_recorded", "done", 1),
    ("internal", 2, 20, "alice@example.com", ["bob@example.com"], [], "A",
     "deny", "internal_not_recorded", "not_joined", 0),
    ("private", 4, 20, "alice@example.com", EXT, ["CLASS:PRIVATE"], "A",
     "deny", "private_meeting", "not_joined", 0),
    ("room", 5, 20, "alice@example.com", EXT, ["LOCATION:Board room 3"],
     "A", "metadata_only", "no_conference_url", "metadata", 0),
    ("zoom", 7, 20, "alice@example.com", EXT,
     ["CONFERENCE;VALUE=URI:https://acme.zoom.us/j/123?pwd=x"], "A",
     "metadata_only", "unsupported_platform", "metadata", 0),
    ("hrreview", 8, 20, "alice@example.com", EXT,
     ["SUMMARY:HR review with Erin"], "A", "deny", "excluded_title_word",
     "not_joined", 0),
    ("lawfirm", 9, 20, "alice@example.com", ["lee@lawfirm.test"], [], "A",
     "deny", "excluded_domain", "not_joined", 0),
    ("neverrec", 10, 20, "alice@example.com",
     EXT + ["carol@example.com"], [], "A", "record", "never_record_invitee",
     "not_recorded", 1),
    ("manual", 11, 20, "alice@example.com",
     ["bob@example.com", "notetaker@example.com"], [], "A", "record",
     "manual_invite", "done", 1),
    ("both", 12, 20, "alice@example.com", EXT + ["bob@example.com"], [],
     "AB", "record", "external_recorded", "done", 1),
    ("declined", 13, 20, "erin@customer.test", ["alice@example.com"],
     ["DECLINED"], "A", "deny", "declined", "not_joined", 0),
    ("cancelled", 14, 20, "alice@example.com", EXT, ["STATUS:CANCELLED"],
     "A", "deny", "cancelled", "cancelled", 0),
    ("allday", 0, 0, "alice@example.com", EXT, ["ALLDAY"], "A", "deny",
     "all_day", "not_joined", 0),
    ("ext4", 15, 20, "alice@example.com", EXT, [], "B", "record",
     "external_recorded", "done", 1),
    ("ext5", 16, 20, "bob@example.com", EXT, [], "B", "record",
     "external_recorded", "done", 1),
    ("ext6", 18, 20, "alice@example.com", EXT, [], "A", "record",
     "external_recorded", "done", 1),
    # the server drops the bot (exit 75): retried, a second session
    ("dropped", 17, 30, "alice@example.com", EXT, [], "A", "record",
     "external_recorded", "done", 2),
    # moved MOVE_S later before its start: one bot, at the new time
    ("moved", 20, 20, "alice@example.com", EXT, [], "A", "record",
     "external_recorded", "done", 1),
    # cancelled while its bot is in: SIGTERM, the bot leaves, withdrawn
    ("cancelrun", 4, 45, "alice@example.com", EXT, [], "A", "record",
     "external_recorded", "cancelled", 1),
]

CRASH = [("crash%d" % i, 2 * i, 40, "alice@example.com", EXT, [], "A",
          "record", "external_recorded", "done", 1) for i in range(1, 5)]


def fold(line):
    """RFC 5545 §3.1: lines longer than 75 octets are folded."""
    out = []
    while len(line) > 75:
        out.append(line[:75])
        line = " " + line[75:]
    out.append(line)
    return "\r\n".join(out)


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def vevent(m, port, t0, owner, moved, cancelled):
    name, off, length, org, inv, extra = m[:6]
    if name in moved:
        off += MOVE_S
    start = t0 + off
    lines = ["BEGIN:VEVENT", "UID:%s-%d@vpbot.test" % (name, t0),
             "DTSTAMP:%s" % stamp(t0)]
    if "ALLDAY" in extra:
        day = time.strftime("%Y%m%d", time.gmtime(t0))
        lines += ["DTSTART;VALUE=DATE:" + day]
    else:
        lines += ["DTSTART:" + stamp(start),
                  "DTEND:" + stamp(start + length)]
    lines.append("ORGANIZER;CN=Organizer:mailto:" + org)
    for a in inv:
        ps = "ACCEPTED"
        if a == owner and "DECLINED" in extra:
            ps = "DECLINED"
        lines.append("ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
                     "PARTSTAT=%s;CN=%s:mailto:%s" % (ps, a.split("@")[0],
                                                      a))
    if not any(x.startswith(("LOCATION", "CONFERENCE")) for x in extra):
        lines.append("DESCRIPTION:Join the call: sim+ws://127.0.0.1:%d/%s"
                     "?token=tok-%s (the link is private)" %
                     (port, name, name))
    if not any(x.startswith("SUMMARY") for x in extra):
        lines.append("SUMMARY:Meeting %s" % name)
    lines += [x for x in extra if ":" in x]
    if name in cancelled:
        lines.append("STATUS:CANCELLED")
    lines.append("END:VEVENT")
    return [fold(x) for x in lines]


def write_atomic(path, text):
    with open(path + ".tmp", "w", newline="") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def scenario(plan):
    meetings = []
    for m in plan:
        if m[10] == 0:
            continue
        end_at = {"cancelrun": 40}.get(m[0], 11 if m[0].startswith("crash")
                                        else 10)
        parts = [{"id": "erin", "identity": "erin@customer.test",
                  "consent": True,
                  "speak": [{"at": 1, "tone": {"freq": 440, "seconds": 3}}]}]
        if m[0] == "neverrec":
            parts.append({"id": "carol", "identity": "carol@example.com",
                          "consent": True})
        mt = {"id": m[0], "end_at": end_at, "participants": parts}
        if m[0] == "dropped":
            mt["faults"] = {"signaling_drop_at": 3}
        meetings.append(mt)
    return {"comment": "sched_plan.py", "meetings": meetings}


def gen(args):
    plan = {"full": FULL, "crash": CRASH}[args[0]]
    d, port, t0 = args[1], int(args[2]), int(args[3])
    moved, cancelled = [], []
    rest = args[4:]
    while rest:
        (moved if rest[0] == "--move" else cancelled).append(rest[1])
        rest = rest[2:]
    for owner, key in (("alice@example.com", "A"), ("bob@example.com", "B")):
        ev = []
        for m in plan:
            if key in m[6]:
                ev += vevent(m, port, t0, owner, moved, cancelled)
        cal = ["BEGIN:VCALENDAR", "VERSION:2.0",
               "PRODID:-//vpbot//sched_plan//EN"] + ev + ["END:VCALENDAR"]
        write_atomic(os.path.join(d, owner.split("@")[0] + ".ics"),
                     "\r\n".join(cal) + "\r\n")
    json.dump(scenario(plan), open(os.path.join(d, "scenario.json"), "w"),
              indent=1)
    json.dump({m[0]: {"verdict": m[7], "reason": m[8], "state": m[9],
                      "bots": m[10], "moved": m[0] in moved}
               for m in plan},
              open(os.path.join(d, "expect.json"), "w"), indent=1)


def check(args):
    d = args[0]
    exp = json.load(open(os.path.join(d, "expect.json")))
    once = {o["uid"].split("-")[0]: o for o in jsonl(d + "/once.jsonl")}
    status = {s["meeting_id"]: s for s in jsonl(d + "/status.jsonl")}
    send = jsonl(d + "/send.jsonl")
    for name, e in sorted(exp.items()):
        o = once.get(name)
        if not ok(name + ": planned", o is not None):
            continue
        mid = o["meeting_id"]
        ok(name + ": verdict", o["verdict"] == e["verdict"],
           "%s %s" % (o["verdict"], o["reasons"]))
        ok(name + ": reason " + e["reason"], e["reason"] in o["reasons"],
           str(o["reasons"]))
        st = status.get(mid, {}).get("state")
        ok(name + ": final state " + e["state"], st == e["state"], str(st))
        joins = [x for x in send if x.get("meeting") == name and
                 x["event"] == "bot_joined"]
        ok(name + ": %d bot(s)" % e["bots"], len(joins) == e["bots"],
           "%d joined" % len(joins))
        full = [x for x in send if x.get("meeting") == name and
                x["event"].startswith("refused")]
        ok(name + ": no second bot tried", not full, str(full[:1]))
        mj = os.path.join(d, "out", mid, "meeting.json")
        doc = json.load(open(mj)) if os.path.exists(mj) else None
        if not ok(name + ": meeting.json", doc is not None, mj):
            continue
        ok(name + ": no secret on disk", "tok-" not in json.dumps(doc))
        if e["bots"] == 0:
            ok(name + ": meeting.json verdict",
               doc["policy"]["verdict"] == e["verdict"])
        if e["state"] == "done":
            man = os.path.join(d, "out", mid, "manifest.jsonl")
            ok(name + ": audio recorded", len(jsonl(man)) > 0)
        if e["moved"] and joins:
            start = int(time.mktime(time.strptime(
                o["start_utc"], "%Y-%m-%dT%H:%M:%SZ"))) - time.timezone + MOVE_S
            ok(name + ": joined at the new time",
               joins[0]["utc_ns"] / 1e9 >= start - 10,
               "%.1f s before the start" % (start - joins[0]["utc_ns"] / 1e9))
        if name == "dropped":
            ok(name + ": exit 75 retried once",
               status.get(mid, {}).get("attempts") == 2,
               str(status.get(mid)))
        if name == "cancelrun" and joins:
            left = [x for x in send if x.get("meeting") == name and
                    x["event"] in ("bot_left", "bot_gone")]
            ok(name + ": bot left when cancelled", bool(left) and
               (left[0]["media_ns"] or 0) < 35e9, str(left[:1]))
    print("sched_plan: %d check(s) failed" % len(failed) if failed
          else "sched_plan: all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2:])
    else:
        sys.exit(check(sys.argv[2:]))
