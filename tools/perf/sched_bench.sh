#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/perf/sched_bench.sh [BUILD] — vpbot-sched cost (a benchmark, not a
# test): a generated 1,000-event calendar (700 single meetings over the
# next week, 300 weekly series with an EXDATE, in a VTIMEZONE; half
# external, a tenth private, some without a conference URL) run through
#   1. `vpbot-sched once --json`: parse + expand + decide + print, best of 3;
#      then a large feed (20,000 meetings, 40,000 EXDATEs) beside it
#   2. `vpbot-sched run`: the first scan (decisions into SQLite), then idle
#      CPU (between scans, ticks only) and RSS.
# Prints meetings per CPU-second, idle CPU %, RSS.
set -euo pipefail
B=${1:-build}
SCHED=$(realpath "$B/src/sched/vpbot-sched")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/schedbench.XXXXXX)
trap 'kill $RUN 2>/dev/null; rm -rf "$TMP"' EXIT
RUN=
python3 - "$TMP/cal.ics" <<'PY'
import sys, time, random
random.seed(7)
t0 = int(time.time()) // 3600 * 3600 + 3600
L = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN",
     "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:STANDARD",
     "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
     "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
     "BEGIN:DAYLIGHT", "DTSTART:19700329T020000", "TZOFFSETFROM:+0100",
     "TZOFFSETTO:+0200", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
     "END:DAYLIGHT", "END:VTIMEZONE"]
def stamp(t): return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
def local(t): return time.strftime("%Y%m%dT%H%M%S", time.gmtime(t + 3600))
for i in range(1000):
    s = t0 + random.randrange(0, 7 * 86400 // 1800) * 1800
    ext = i % 2 == 0
    L += ["BEGIN:VEVENT", "UID:bench-%d@example.com" % i,
          "DTSTAMP:" + stamp(t0)]
    if i < 300:
        L += ["DTSTART;TZID=Europe/Berlin:" + local(s - 35 * 86400),
              "DTEND;TZID=Europe/Berlin:" + local(s - 35 * 86400 + 1800),
              "RRULE:FREQ=WEEKLY;COUNT=20",
              "EXDATE;TZID=Europe/Berlin:" + local(s - 28 * 86400)]
    else:
        L += ["DTSTART:" + stamp(s), "DTEND:" + stamp(s + 1800)]
    L += ["ORGANIZER;CN=Alice:mailto:alice@example.com",
          "ATTENDEE;PARTSTAT=ACCEPTED;CN=Bob:mailto:bob@example.com",
          "ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Erin:mailto:%s" %
          ("erin@customer.test" if ext else "dave@example.com"),
          "SUMMARY:Meeting number %d" % i]
    if i % 10 == 3:
        L.append("CLASS:PRIVATE")
    if i % 7 != 0:
        L.append("DESCRIPTION:Join: sim+ws://127.0.0.1:9/m%d?token=t" % i)
    L.append("END:VEVENT")
L.append("END:VCALENDAR")
open(sys.argv[1], "w").write("\r\n".join(L) + "\r\n")
PY
cat >"$TMP/cfg.json" <<JSON
{"calendars": [{"owner": "alice@example.com", "file": "cal.ics"}],
 "settings_file": "$ROOT/tests/data/settings/company.json",
 "lookahead_h": 168, "vpbot": "/bin/false", "lead_s": 60}
JSON
best=
for _ in 1 2 3; do
	/usr/bin/time -f "%U %S" -o "$TMP/t" "$SCHED" once "$TMP/cfg.json" \
		--json >"$TMP/once.jsonl"
	c=$(awk '{print $1 + $2}' "$TMP/t")
	if [ -z "$best" ] || awk "BEGIN{exit !($c < $best)}"; then best=$c; fi
done
n=$(wc -l <"$TMP/once.jsonl")
echo "once: $n meetings from 1000 events in $best CPU-s: $(awk \
	"BEGIN{printf \"%.0f\", $n / ($best > 0 ? $best : 0.01)}") meetings/CPU-s"
# A large feed (1.5 MB): 20,000 single meetings and a per-second series
# whose even seconds are excluded by 40,000 EXDATEs. Its lookups (EXDATE,
# override, meeting id) were scans: 92 s for the EXDATEs alone. Same
# meetings/CPU-s as the ordinary calendar means no term grows as n².
python3 - "$TMP/big.ics" <<'PY'
import sys, time
t0 = int(time.time()) // 3600 * 3600 + 3600
def stamp(t): return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
L = ["BEGIN:VCALENDAR", "BEGIN:VEVENT", "UID:per-second@example.com",
     "DTSTART:" + stamp(t0), "RRULE:FREQ=SECONDLY",
     "ORGANIZER:mailto:alice@example.com"]
L += ["EXDATE:" + stamp(t0 + 2 * i) for i in range(40000)]
L.append("END:VEVENT")
for i in range(20000):
    L += ["BEGIN:VEVENT", "UID:big-%d@example.com" % i,
          "DTSTART:" + stamp(t0 + 30 * i), "DTEND:" + stamp(t0 + 30 * i + 900),
          "ORGANIZER:mailto:alice@example.com", "END:VEVENT"]
L.append("END:VCALENDAR")
open(sys.argv[1], "w").write("\r\n".join(L) + "\r\n")
PY
sed 's/"cal.ics"/"big.ics"/' "$TMP/cfg.json" >"$TMP/big.json"
bigbest=
for _ in 1 2 3; do
	/usr/bin/time -f "%U %S" -o "$TMP/t" "$SCHED" once "$TMP/big.json" \
		--json >"$TMP/big.jsonl" 2>/dev/null
	c=$(awk '{print $1 + $2}' "$TMP/t")
	if [ -z "$bigbest" ] || awk "BEGIN{exit !($c < $bigbest)}"; then
		bigbest=$c
	fi
done
bn=$(wc -l <"$TMP/big.jsonl")
awk -v n="$n" -v b="$best" -v bn="$bn" -v bb="$bigbest" 'BEGIN{
	r = n / (b > 0 ? b : 0.01); rb = bn / (bb > 0 ? bb : 0.01)
	printf "once, large feed: %d meetings in %s CPU-s: %.0f meetings/CPU-s" \
	       " (%.2f x the 1,000-event calendar'"'"'s rate)\n", bn, bb, rb, rb / r }'
"$SCHED" run "$TMP/cfg.json" 2>"$TMP/run.err" &
RUN=$!
cpu() { awk '{print $14 + $15}' "/proc/$RUN/stat"; }
hz=$(getconf CLK_TCK)
# the first scan ends when the CPU count stops growing
prev=-1
for _ in $(seq 120); do
	sleep 1
	c1=$(cpu)
	[ "$c1" = "$prev" ] && break
	prev=$c1
done
echo "run: first scan (decisions into SQLite, meeting.json for each" \
	"meeting no bot joins): $(awk "BEGIN{printf \"%.2f\", $c1 / $hz}")" \
	"CPU-s for $n meetings"
ls "$TMP/out" | wc -l | sed 's/^/run: meeting folders written: /'
sleep 30
c2=$(cpu)
rss=$(awk '/VmRSS/{print $2}' "/proc/$RUN/status")
echo "run: idle between scans: $(awk "BEGIN{printf \"%.3f\", \
	($c2 - $c1) / $hz / 30 * 100}") % of a core; RSS $((rss / 1024)) MiB"
# the rescan at 60 s: the same meetings, nothing new to write
sleep 35
c3=$(cpu)
echo "run: a rescan of the unchanged calendar: $(awk "BEGIN{printf \
	\"%.2f\", ($c3 - $c2) / $hz}") CPU-s ($(awk "BEGIN{printf \"%.0f\", \
	$n / (($c3 - $c2) / $hz + 0.001)}") meetings/CPU-s)"
