#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fleet.sh VPBOT VPBOT-SCHED SIMCONF — the fleet on Redis Streams (docs/fleet.md).
#
# A hub network namespace holds Debian's redis-server (AOF, fsync always)
# and simconf; three workers run in their own namespaces ("hosts"), joined
# to the hub by a bridge on 127.0.1.0/24 (route_localnet: simconf only
# speaks to 127/8). Jobs are added with `vpbot-sched submit`. Phases:
#   A capacity  13 meetings on 3 workers x 4: 12 run, the 13th is queued
#               and reported by `fleet --json`, then runs
#   B SIGKILL   a worker dies mid-meeting: its bots die with it, its jobs
#               are reclaimed after --reclaim-idle and the meetings go on
#   C Redis     restarted mid-meeting: nothing lost, nothing doubled;
#               plus a poison job (65) and a job that keeps failing (75)
#   D SIGTERM   a worker drains: takes nothing more, its bots finish
#   E scheduler two `vpbot-sched run` with "dispatch": redis, one calendar
#               of 6 meetings, Redis down while they dispatch: each meeting
#               dispatched once, every state "done" (results read back),
#               `status` shows the fleet
# fleet_check.py then checks simconf's send log (never two bots in a
# meeting at once), the results stream (each meeting done exactly once)
# and the meeting folders, and prints dispatch latency and reclaim time.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VPBOT=$(realpath "$1")
SCHED=$(realpath "$2")
SIMCONF=$(realpath "$3")
[ "$(id -u)" = 0 ] || { echo "fleet: needs root (network namespaces)"; exit 1; }
command -v redis-server >/dev/null || {
	echo "fleet: redis-server missing (tools/install-deps)"; exit 1; }

S=$$
HUB=fleet-hub-$S
TMP=$(mktemp -d "/tmp/fleet.XXXXXX")
REDIS=redis://127.0.1.1:6379
RPID= SCPID=
WPID=() SPID=()

fail() {
	echo "fleet: FAIL: $*"
	for w in 1 2 3; do echo "--- w$w"; tail -5 "$TMP/w$w.log" 2>/dev/null; done
	exit 1
}

cleanup() {
	local ns
	for ns in "$HUB" "fleet-w1-$S" "fleet-w2-$S" "fleet-w3-$S"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then echo "fleet: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# 127/8 routed across a bridge: only 127.0.0.1 stays on lo.
ns_local() {
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.route_localnet=1 \
		net.ipv4.conf.default.route_localnet=1 \
		net.ipv6.conf.all.disable_ipv6=1 || return 1
	ip -n "$1" link set lo up
	ip -n "$1" route del local 127.0.0.0/8 dev lo table local 2>/dev/null
	ip -n "$1" route replace local 127.0.0.1 dev lo table local
}

net_up() {
	local k ns
	ip netns add "$HUB" && ns_local "$HUB" || return 1
	ip -n "$HUB" link add br0 type bridge && ip -n "$HUB" link set br0 up
	ip -n "$HUB" addr add 127.0.1.1/24 dev br0
	for k in 1 2 3; do
		ns=fleet-w$k-$S
		ip netns add "$ns" && ns_local "$ns" || return 1
		ip -n "$HUB" link add h$k type veth peer name va netns "$ns"
		ip -n "$HUB" link set h$k master br0
		ip -n "$HUB" link set h$k up
		ip -n "$ns" addr add 127.0.1.1$k/24 dev va
		ip -n "$ns" link set va up
	done
}

redis_start() {
	ip netns exec "$HUB" redis-server --bind 127.0.1.1 --port 6379 \
		--protected-mode no --save '' --appendonly yes \
		--appendfsync always --dir "$TMP/redis" --daemonize no \
		--logfile "$TMP/redis.log" &
	RPID=$!
	for _ in $(seq 100); do
		ip netns exec "$HUB" redis-cli -h 127.0.1.1 ping 2>/dev/null |
			grep -q PONG && return 0
		sleep 0.05
	done
	return 1
}

worker_start() { # k [extra args]
	local k=$1
	shift
	ip netns exec "fleet-w$k-$S" "$SCHED" worker --redis "$REDIS" \
		--name "w$k" --capacity 4 --vpbot "$VPBOT" \
		--work-dir "$TMP/w$k" --reclaim-idle 6 --heartbeat-ms 1000 \
		"$@" 2>>"$TMP/w$k.log" &
	WPID[$k]=$!
}

hub() { ip netns exec "$HUB" "$@"; }

# Scenario: every meeting has two tone speakers and is ended by its host.
scenario() {
	python3 - "$@" >"$TMP/scenario.json" <<'EOF'
import json, sys
ms = []
for spec in sys.argv[1:]:
    mid, copies, end = spec.split(":")
    ms.append({"id": mid, "copies": int(copies), "end_at": int(end),
               "participants": [
                   {"id": "a", "consent": True,
                    "speak": [{"at": 1, "tone": {"freq": 440, "seconds": 3}}]},
                   {"id": "b", "consent": True, "join_at": 1,
                    "speak": [{"at": 5, "tone": {"freq": 660, "seconds": 3}}]}]})
print(json.dumps({"comment": "fleet.sh", "meetings": ms}))
EOF
}

job() { # meeting-id [extra json]
	printf '{"invite":"sim+ws://127.0.1.1:%s/%s","out":"%s/out","meeting_id":"%s","rate":16000,"meeting":{"organizer":"alice@example.com","invitees":["bob@customer.test"],"title":"fleet","private":false,"manual_invite":false,"conference_url":"sim+ws://127.0.1.1/%s"},"settings":{"company_domains":["example.com"],"record_internal":true,"record_external":true,"recorded_members":"all","consent":{"mode":"none"}}%s}' \
		"$PORT" "$1" "$TMP" "$1" "$1" "${2:-}" >"$TMP/jobs/$1.json"
}

submit() { # meeting-id [window]
	hub "$SCHED" submit --redis "$REDIS" "$TMP/jobs/$1.json" \
		--window "${2:-150}" >>"$TMP/submit.out" || fail "submit $1"
	echo "$1 $(date +%s%N)" >>"$TMP/submitted"
}

results() { hub "$SCHED" fleet --redis "$REDIS" --results >"$TMP/results.jsonl"; }

# wait_done PREFIX N TIMEOUT: N meetings PREFIX-* have outcome done
wait_done() {
	local i n
	for i in $(seq $(($3 * 2))); do
		results
		n=$(jq -r "select(.outcome == \"done\" and (.meeting | startswith(\"$1-\"))) | .meeting" \
			"$TMP/results.jsonl" | sort -u | wc -l)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.5
	done
	fail "only $n of $2 meetings $1-* done after $3 s"
}

# running MEETING: the worker whose heartbeat lists it
running_on() {
	hub "$SCHED" fleet --redis "$REDIS" --json |
		jq -r --arg m "$1" '.workers[] | select(any(.running[]; .meeting == $m)) | .name'
}

mkdir -p "$TMP/redis" "$TMP/jobs" "$TMP/out"
net_up || fail "network namespaces"
redis_start || fail "redis-server did not start"
scenario fa:13:10 fb:6:16 fc:6:10 fd:8:10 fe:6:8
hub timeout -k 5 400 "$SIMCONF" "$TMP/scenario.json" --bind 127.0.1.1 \
	--media-addr 127.0.1.1 --port 0 --port-file "$TMP/port" \
	--log "$TMP/send.jsonl" >"$TMP/simconf.out" 2>"$TMP/simconf.err" &
SCPID=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(cat "$TMP/port" 2>/dev/null)
[ -n "$PORT" ] || fail "simconf did not start: $(cat "$TMP/simconf.err")"
for k in 1 2 3; do worker_start $k --grace 120; done
T0=$(date +%s)

# --- A: capacity 3 x 4; the 13th meeting waits and is reported ---
for i in $(seq 13); do job fa-$i; done
for i in $(seq 13); do submit fa-$i; done
for _ in $(seq 60); do
	hub "$SCHED" fleet --redis "$REDIS" --json >"$TMP/fleetA.json"
	[ "$(jq '[.workers[].load] | add // 0' "$TMP/fleetA.json")" = 12 ] && break
	sleep 0.5
done
jq -e '([.workers[].load] | add) == 12 and (.queued | length) == 1 and
       ([.workers[] | select(.load > .capacity)] | length) == 0' \
	"$TMP/fleetA.json" >/dev/null ||
	fail "capacity: expected 12 running and 1 queued: $(cat "$TMP/fleetA.json")"
echo "A: 12 running, queued: $(jq -c '[.queued[].meeting]' "$TMP/fleetA.json")"
hub "$SCHED" fleet --redis "$REDIS" | sed 's/^/A: /'
wait_done fa 13 90

# --- B: SIGKILL a worker mid-meeting; its meetings go on elsewhere ---
for i in $(seq 6); do job fb-$i; submit fb-$i; done
sleep 6
victim=
for _ in $(seq 20); do
	victim=$(running_on fb-1)
	[ -n "$victim" ] && break
	sleep 0.5
done
[ -n "$victim" ] || fail "fb-1 is not running anywhere"
k=${victim#w}
echo "B: SIGKILL $victim ($(hub "$SCHED" fleet --redis "$REDIS" --json |
	jq -c --arg w "$victim" '[.workers[] | select(.name == $w) | .running[].meeting]'))"
echo "$victim $(date +%s%N)" >"$TMP/killed"
kill -KILL "${WPID[$k]}"
{ wait "${WPID[$k]}"; } 2>/dev/null # no "Killed" line
sleep 1
pgrep -f "$TMP/w$k/jobs/" >/dev/null && fail "bots of the killed worker still run"
wait_done fb 6 90
worker_start "$k" --grace 120 # the host comes back

# --- C: Redis restarted mid-meeting; a poison job; a job that keeps 75 ---
for i in $(seq 6); do job fc-$i; submit fc-$i; done
job fc-poison ',"rate":7'
submit fc-poison
# nothing listens on this port: vpbot exits 75, retried for 12 s only
sed "s/127.0.1.1:$PORT/127.0.1.1:9/" "$TMP/jobs/fc-1.json" |
	sed 's/"fc-1"/"fc-tempfail"/g' >"$TMP/jobs/fc-tempfail.json"
submit fc-tempfail 12
sleep 5
kill -TERM "$RPID"
wait "$RPID" 2>/dev/null
echo "C: redis stopped"
sleep 1
redis_start || fail "redis-server did not restart"
echo "C: redis restarted"
wait_done fc 6 90

# --- D: SIGTERM a worker: it drains ---
for i in $(seq 6); do job fd-$i; submit fd-$i; done
drainer=
for _ in $(seq 40); do
	drainer=$(hub "$SCHED" fleet --redis "$REDIS" --json |
		jq -r '[.workers[] | select(any(.running[]; .meeting | startswith("fd-")))][0].name // empty')
	[ -n "$drainer" ] && break
	sleep 0.25
done
[ -n "$drainer" ] || fail "no fd meeting running"
k=${drainer#w}
sleep 2
echo "D: SIGTERM $drainer"
echo "$drainer $(date +%s%N)" >"$TMP/drained"
kill -TERM "${WPID[$k]}"
# more work arrives while it drains: it must not take any
for i in 7 8; do job fd-$i; submit fd-$i; done
wait "${WPID[$k]}"
rc=$?
[ "$rc" = 0 ] || fail "draining worker exited $rc"
wait_done fd 8 90
worker_start "$k" --grace 120 # updated, back for E

# --- E: the scheduler dispatches through Redis; two of them, one calendar ---
T1=$(( $(date +%s) + 12 ))
python3 - "$T1" "$PORT" >"$TMP/cal.ics" <<'EOF2'
import sys, time
t1, port = int(sys.argv[1]), sys.argv[2]
st = lambda t: time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//vpbot//fleet//EN"]
for k in range(1, 7):
    out += ["BEGIN:VEVENT", f"UID:fe-{k}-{t1}@vpbot.test", "DTSTAMP:" + st(t1),
            "DTSTART:" + st(t1 + k % 3), "DTEND:" + st(t1 + 30),
            f"SUMMARY:fleet {k}", "ORGANIZER;CN=Alice:mailto:alice@example.com",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.com",
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@customer.test",
            f"LOCATION:sim+ws://127.0.1.1:{port}/fe-{k}", "END:VEVENT"]
print("\r\n".join(out + ["END:VCALENDAR"]))
EOF2
for n in 1 2; do
	cat >"$TMP/sched$n.json" <<JSON
{"calendars": [{"owner": "alice@example.com", "file": "$TMP/cal.ics"}],
 "settings": {"company_domains": ["example.com"], "record_internal": true,
              "record_external": true, "recorded_members": "all",
              "consent": {"mode": "none"}},
 "out": "$TMP/out", "state": "$TMP/sched$n.db", "lead_s": 3,
 "lookahead_h": 1, "grace_s": 20, "scan_interval_s": 2, "tick_s": 0.25,
 "max_concurrent": 50, "dispatch": "$REDIS"}
JSON
	hub timeout -k 5 120 "$SCHED" run "$TMP/sched$n.json" \
		2>"$TMP/sched$n.err" &
	SPID[$n]=$!
done
# Redis away while the schedulers dispatch (start - lead = T1-3 … T1-1):
# their dispatch fails, they retry with backoff, each meeting goes once
while [ "$(date +%s)" -lt $((T1 - 5)) ]; do sleep 0.2; done
kill -TERM "$RPID"
wait "$RPID" 2>/dev/null
echo "E: redis stopped while the schedulers dispatch"
sleep 4
redis_start || fail "redis-server did not restart (E)"
for _ in $(seq 240); do
	n=0
	for k in 1 2; do
		n=$((n + $(hub "$SCHED" status --state "$TMP/sched$k.db" --json |
			grep -c '"state":"done"')))
	done
	[ "$n" -ge 12 ] && break
	sleep 0.5
done
hub "$SCHED" status "$TMP/sched1.json" | sed 's/^/E: /'
hub "$SCHED" status "$TMP/sched1.json" --json >"$TMP/status-e.jsonl" ||
	fail "status with the fleet"
for k in 1 2; do kill -TERM "${SPID[$k]}"; wait "${SPID[$k]}"; done
for k in 1 2; do
	hub "$SCHED" status --state "$TMP/sched$k.db" --json >"$TMP/sched$k.status"
done
results
sleep 3 # fc-tempfail's window has closed; its last attempt is published
for _ in $(seq 60); do
	results
	jq -e 'select(.meeting == "fc-tempfail" and .outcome != "retry")' \
		"$TMP/results.jsonl" >/dev/null && break
	sleep 0.5
done
for k in 1 2 3; do kill -TERM "${WPID[$k]}" 2>/dev/null; done
for k in 1 2 3; do wait "${WPID[$k]}" 2>/dev/null; done
kill "$SCPID" 2>/dev/null
wait "$SCPID" 2>/dev/null
kill -TERM "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null
echo "fleet: $(($(date +%s) - T0)) s"
python3 "$HERE/fleet_check.py" "$TMP" || fail "checks"
