#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sched_crash.sh VPBOT VPBOT_SCHED SIMCONF — kill -9 of the scheduler while
# its bots run, then TWO schedulers restarted on the same state and output
# folder, with max_concurrent 3 for 4 overlapping meetings. Checks: every
# meeting ends done with exactly one bot (simconf's send log: one
# bot_joined, no second bot refused), the bots of the killed scheduler
# were adopted, the fourth meeting waited for a slot and was reported.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init schedcrash "$1" "$3"
SCHED=$(realpath "$2")
PLAN=$GL_HERE/sched_plan.py
T0=$(( $(date +%s) + 8 ))

python3 "$PLAN" gen crash "$TMP" 1 "$T0" || exit 1
gl_simconf "$TMP/scenario.json" 200
python3 "$PLAN" gen crash "$TMP" "$PORT" "$T0" || exit 1
cat >"$TMP/cfg.json" <<JSON
{"calendars": [{"owner": "alice@example.com", "file": "alice.ics"}],
 "settings_file": "$GL_DATA/company.json",
 "out": "out", "state": "state.db", "vpbot": "$VPBOT",
 "lead_s": 3, "lookahead_h": 1, "max_concurrent": 3, "grace_s": 20,
 "scan_interval_s": 1, "tick_s": 0.25}
JSON
"$SCHED" once "$TMP/cfg.json" --json >"$TMP/once.jsonl" || exit 1
run_sched() {
	ip netns exec "$NS" timeout -k 5 150 "$SCHED" run "$TMP/cfg.json" \
		>>"$TMP/sched.$1.out" 2>>"$TMP/sched.$1.err" &
}
run_sched a
A=$!
B= C=
trap 'kill $A $B $C 2>/dev/null; gl_cleanup' EXIT
for _ in $(seq 240); do
	n=$(grep -c '"bot_joined"' "$TMP/send.jsonl" 2>/dev/null)
	[ "${n:-0}" -ge 2 ] && break
	sleep 0.25
done
[ "${n:-0}" -ge 2 ] || { echo "sched_crash: FAIL: no bot joined"; exit 1; }
# the scheduler is timeout's child: SIGKILL it, not timeout
pkill -KILL -P "$A"
wait "$A" 2>/dev/null
echo "killed scheduler A with $n bot(s) in"
# a second vpbot for a meeting whose bot runs: exit 73 at once, one line
job=$(ls "$TMP"/state.db.jobs/*.json | head -1)
t0=$(date +%s%N)
rc=0
"$VPBOT" run "$job" >"$TMP/second.out" 2>&1 || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ $rc = 73 ] && grep -q 'another vpbot is already in meeting' \
	"$TMP/second.out" && [ $ms -lt 3000 ]; then
	echo "ok   a second vpbot for a running meeting exits 73 (${ms} ms)"
else
	echo "FAIL second vpbot: exit $rc after ${ms} ms"; cat "$TMP/second.out"
	lockfail=1
fi
run_sched b
B=$!
run_sched c
C=$!
for _ in $(seq 480); do
	sleep 0.25
	"$SCHED" status --state "$TMP/state.db" --json >"$TMP/status.jsonl"
	[ "$(date +%s)" -ge $((T0 + 12)) ] || continue
	grep -q '"state":"\(upcoming\|waiting\|running\|retry\)"' \
		"$TMP/status.jsonl" || break
done
kill -TERM "$B" "$C"
wait "$B"
sb=$?
wait "$C"
sc=$?
"$SCHED" status --state "$TMP/state.db"
rc=${lockfail:-0}
python3 "$PLAN" check "$TMP" || rc=1
if grep -q 'adopted' "$TMP"/sched.[bc].err; then echo "ok   adopted"
else echo "FAIL adopted: no scheduler adopted the killed one's bots"; rc=1; fi
if grep -q 'waits: 3 bots running' "$TMP"/sched.*.err; then
	echo "ok   a meeting waited for a slot (max_concurrent)"
else echo "FAIL no meeting reported waiting"; rc=1; fi
if [ $sb = 0 ] && [ $sc = 0 ] &&
	! grep -q 'Sanitizer\|runtime error' "$TMP"/sched.[bc].err
then echo "ok   both schedulers exited 0 on SIGTERM"
else echo "FAIL scheduler exits $sb $sc"; rc=1; fi
[ $rc = 0 ] || KEEP=1
exit $rc
