#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# load100.sh VPBOT SIMCONF — robustness under load (issue 10 item 1): one
# simconf hosting 100 meetings of four speakers, 100 `vpbot join` processes
# started 80 ms apart in this test's own network namespace, on a machine
# that is saturated by them. Asks only what must hold however slow the
# machine is (load100_check.py): no bot killed by a signal (the
# SIGSEGV in ws.c's connect timer), none exits 70 or 75 (the fixed 5 s ICE
# and lws timeouts), every bot joined and recorded the roster's speakers.
# The 400 simultaneous speakers saturate simconf itself, so it answers
# WebSocket upgrades late: the old code's connect timer then poked a freed
# wsi (22 of 100 SIGSEGV here). The scenario clock starts when each bot's
# media is up (clock: media), so slowness delays meetings instead of
# failing them. N=100 by default (env N).
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init load100 "$1" "$2"
N=${N:-100}
JOIN_TIMEOUT=${JOIN_TIMEOUT:-60}

gl_simconf "$GL_SCN/load100.json" 170
t0=$(date +%s)
pids=()
for k in $(seq "$N"); do
	(
		rc=0
		ip netns exec "$NS" timeout -k 5 150 "$VPBOT" join \
			"sim+ws://127.0.0.1:$PORT/load-100-$k" \
			--out "$TMP/out" --join-timeout "$JOIN_TIMEOUT" \
			--events "$TMP/ev.$k.jsonl" --log-level warn \
			>"$TMP/bot.$k.out" 2>"$TMP/bot.$k.err" || rc=$?
		echo "$rc" >"$TMP/rc.$k"
	) &
	pids+=($!)
	sleep 0.08
done
for p in "${pids[@]}"; do wait "$p"; done
echo "load100: $N bots done in $(($(date +%s) - t0)) s"
[ "$N" -lt 100 ] && kill "$SC_PID" 2>/dev/null
gl_simconf_wait
/usr/bin/python3 "$GL_HERE/load100_check.py" "$TMP" "$N" || { for f in "$TMP"/bot.*.err; do
	grep -H vpbot: "$f"; done | head -10; exit 1; }
