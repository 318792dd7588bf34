#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sched_sim.sh VPBOT VPBOT_SCHED SIMCONF — the scheduler end to end: two
# members' calendars (ICS files) with 21 meetings over the next minute
# (external, internal, private, physical room, Zoom link, excluded title,
# excluded domain, never-record invitee, manual invite by the assistant's
# address, one meeting in both calendars, declined, cancelled, all-day,
# one moved before its start, one cancelled while its bot is in, one
# whose server drops the bot: exit 75, retried),
# simconf hosting the joinable ones, `vpbot-sched run` in a private netns.
# Checks (sched_plan.py check): each meeting's verdict and reason, its
# final state, exactly one bot where one belongs (two sessions for the
# dropped one) and none elsewhere (the send log), meeting.json for every
# meeting, audio for the recorded ones, no invite token on disk, the
# scheduler's exit 0 on SIGTERM.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init sched "$1" "$3"
SCHED=$(realpath "$2")
PLAN=$GL_HERE/sched_plan.py
# the first bots are due at T0 - lead_s (5 s): time enough to start
T0=$(( $(date +%s) + 10 ))

# the port is in the invites: start simconf on a placeholder scenario first
python3 "$PLAN" gen full "$TMP" 1 "$T0" || exit 1
gl_simconf "$TMP/scenario.json" 200
python3 "$PLAN" gen full "$TMP" "$PORT" "$T0" || exit 1
cat >"$TMP/cfg.json" <<JSON
{"calendars": [{"owner": "alice@example.com", "file": "alice.ics"},
               {"owner": "bob@example.com", "file": "bob.ics"}],
 "settings_file": "$GL_DATA/company.json",
 "assistant_address": "Notetaker@example.com",
 "out": "out", "state": "state.db", "vpbot": "$VPBOT",
 "lead_s": 5, "lookahead_h": 1, "max_concurrent": 6, "grace_s": 20,
 "scan_interval_s": 1, "tick_s": 0.25, "retry_base_s": 2}
JSON
"$SCHED" once "$TMP/cfg.json" --json >"$TMP/once.jsonl" ||
	{ echo "sched_sim: FAIL: once"; exit 1; }
ip netns exec "$NS" timeout -k 5 170 "$SCHED" run "$TMP/cfg.json" \
	>"$TMP/sched.out" 2>"$TMP/sched.err" &
SPID=$!
trap 'kill $SPID 2>/dev/null; gl_cleanup' EXIT

joined() { grep -c "\"meeting\": *\"$1\".*\"bot_joined\"\|\"event\": *\"bot_joined\".*\"meeting\": *\"$1\"" "$TMP/send.jsonl" 2>/dev/null; }
moved=0 cancelled=0 flags=()
for _ in $(seq 640); do
	now=$(date +%s)
	if [ $moved = 0 ] && [ "$now" -ge $((T0 + 3)) ]; then
		flags+=(--move moved)
		python3 "$PLAN" gen full "$TMP" "$PORT" "$T0" "${flags[@]}"
		moved=1
	fi
	if [ $cancelled = 0 ] && [ "$(joined cancelrun)" -ge 1 ]; then
		sleep 2
		flags+=(--cancel cancelrun)
		python3 "$PLAN" gen full "$TMP" "$PORT" "$T0" "${flags[@]}"
		cancelled=1
	fi
	# the last meeting ("moved") starts at T0 + 32: from then on, done
	# when nothing is left to run (the loop's 160 s only catch a hang)
	if [ $cancelled = 1 ] && [ "$now" -ge $((T0 + 32)) ]; then
		"$SCHED" status --state "$TMP/state.db" --json \
			>"$TMP/status.jsonl"
		grep -q '"state":"\(upcoming\|waiting\|running\|retry\)"' \
			"$TMP/status.jsonl" || break
	fi
	sleep 0.25
done
kill -TERM $SPID
wait $SPID
src=$?
"$SCHED" status --state "$TMP/state.db" --json >"$TMP/status.jsonl"
"$SCHED" status --state "$TMP/state.db"
grep -E ' [EW] ' "$TMP/sched.err" | head -20
rc=0
python3 "$PLAN" check "$TMP" || rc=1
# SIGTERM: stop scheduling, exit 0 (a sanitizer report would change it)
if [ $src = 0 ] && ! grep -q 'Sanitizer\|runtime error' "$TMP/sched.err"
then echo "ok   scheduler exited 0 on SIGTERM, no sanitizer report"
else echo "FAIL scheduler exit $src"; grep -m3 'Sanitizer\|runtime error' \
	"$TMP/sched.err"; rc=1; fi
[ $rc = 0 ] || KEEP=1
exit $rc
