# SPDX-License-Identifier: MIT
# gate_lib.sh  shared plumbing for the gate and load integration tests
# (gate_*.sh, load50.sh): a private network namespace, simconf hosting a
# scenario, vpbot joining it. Source it from bash after setting nothing;
# every test calls gl_init first.
#
#   gl_init NAME VPBOT SIMCONF   root check, temp folder, netns, trap
#   gl_simconf SCENARIO          start simconf (--exit-when-done), sets PORT
#   gl_bot MEETING [ARGS...]     run vpbot join (in the netns, bounded),
#                                sets BOT_RC; output in $TMP/out
#   gl_simconf_wait              wait for simconf to finish (bounded)
#   gl_check CASE [ARGS...]      run gate_check.py CASE $TMP ARGS
#
# Why a netns with 127.0.0.2 on a veth: libnice skips loopback interfaces,
# so simconf's media address must be the one the bot gathers
# (docs/janus.md §2, tests/interop/lib/netns.sh).

GL_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GL_ROOT=$(cd "$GL_HERE/../.." && pwd)
GL_DATA=$GL_ROOT/tests/data/settings
GL_SCN=$GL_HERE/scenarios
. "$GL_ROOT/tests/interop/lib/netns.sh"

SC_PID=
PORT=
BOT_RC=

gl_cleanup() {
	[ -n "$SC_PID" ] && kill "$SC_PID" 2>/dev/null
	netns_down "$NS"
	if [ "${KEEP:-0}" = 1 ]; then echo "$GL_NAME: kept $TMP"; else
		rm -rf "$TMP"; fi
}

gl_init() {
	GL_NAME=$1
	VPBOT=$(realpath "$2")
	SIMCONF=$(realpath "$3")
	if [ "$(id -u)" != 0 ]; then
		echo "$GL_NAME: needs root for a network namespace"
		exit 1
	fi
	NS=gateint-$GL_NAME-$$
	TMP=$(mktemp -d "/tmp/gateint-$GL_NAME.XXXXXX")
	trap gl_cleanup EXIT
	netns_up "$NS" || { echo "$GL_NAME: netns_up failed"; exit 1; }
}

# gl_simconf SCENARIO [TIMEOUT_S]
gl_simconf() {
	rm -f "$TMP/port"
	ip netns exec "$NS" timeout -k 5 "${2:-120}" "$SIMCONF" "$1" --port 0 \
		--port-file "$TMP/port" --log "$TMP/send.jsonl" \
		--dump-dir "$TMP/dump" --media-addr 127.0.0.2 \
		--exit-when-done >"$TMP/simconf.out" 2>"$TMP/simconf.err" &
	SC_PID=$!
	for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
	PORT=$(cat "$TMP/port" 2>/dev/null)
	if [ -z "$PORT" ]; then
		echo "$GL_NAME: FAIL: simconf did not start"
		cat "$TMP/simconf.err"
		exit 1
	fi
}

# gl_bot MEETING [vpbot join options...]; BOT_TIMEOUT overrides 60 s
gl_bot() {
	local m=$1
	shift
	BOT_RC=0
	ip netns exec "$NS" timeout -k 5 "${BOT_TIMEOUT:-60}" "$VPBOT" join \
		"sim+ws://127.0.0.1:$PORT/$m" --out "$TMP/out" \
		--events "$TMP/events.jsonl" --log-level info "$@" \
		>"$TMP/bot.out" 2>"$TMP/bot.err" || BOT_RC=$?
}

gl_simconf_wait() {
	local i
	for i in $(seq 100); do
		kill -0 "$SC_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$SC_PID" 2>/dev/null
	wait "$SC_PID" 2>/dev/null
	SC_PID=
}

# gl_consent_run SCENARIO ROOM [BOT OPTIONS...]: one meeting of a consent
# scenario as the speech and live tests record it (16 kHz, 1 s chunks,
# consent enforced by it_enforced.json); simconf is waited for. Fails
# (status 1, the bot's last log lines shown) when the bot did not exit 0.
gl_consent_run() {
	local scn=$1 room=$2
	shift 2
	gl_simconf "$scn" 60
	gl_bot "$room" --rate 16000 --chunk-seconds 1 \
		--settings "$GL_DATA/it_enforced.json" \
		--meeting-facts "$GL_DATA/it_facts.json" "$@"
	gl_simconf_wait
	[ "$BOT_RC" = 0 ] || { tail -5 "$TMP/bot.err"; return 1; }
}

gl_check() {
	local c=$1
	shift
	/usr/bin/python3 "$GL_HERE/gate_check.py" "$c" "$TMP" "$@"
}
