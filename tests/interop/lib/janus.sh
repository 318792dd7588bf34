# SPDX-License-Identifier: MIT
# janus.sh  start and stop a throw-away Janus inside a test netns.
# Source it from bash after netns.sh.
#
#   janus_up NS CONFDIR RECDIR   write the five config files from
#                                tests/interop/janus/*.in into CONFDIR, start
#                                `janus -F CONFDIR -o` inside NS, wait (<= 10 s)
#                                for 127.0.0.1:8188; sets JANUS_PID, JANUS_LOG
#   janus_down                   SIGINT, wait <= 5 s, then SIGKILL
#   janus_log_dump [N]           print the last N (200) lines of the log
#
# One Janus per shell at a time (JANUS_PID/JANUS_NS are globals).

JANUS_TEMPLATES=${JANUS_TEMPLATES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../janus" && pwd)}
JANUS_PID=
JANUS_NS=
JANUS_LOG=

janus_up() {
	local ns=$1 conf=$2 rec=$3 t f i
	if [ -z "$ns" ] || [ -z "$conf" ] || [ -z "$rec" ]; then
		echo "janus_up: usage: janus_up NS CONFDIR RECDIR" >&2
		return 2
	fi
	command -v janus >/dev/null || {
		echo "janus_up: janus not installed (apt-get install janus)" >&2
		return 1
	}
	mkdir -p "$conf" "$rec" || return 1
	conf=$(cd "$conf" && pwd)
	rec=$(cd "$rec" && pwd)
	for t in "$JANUS_TEMPLATES"/*.jcfg.in; do
		f=$conf/$(basename "${t%.in}")
		sed -e "s|@CONF_DIR@|$conf|g" -e "s|@REC_DIR@|$rec|g" "$t" >"$f" ||
			return 1
	done
	JANUS_LOG=$conf/janus.log
	JANUS_NS=$ns
	# `ip netns exec` execs janus, so $! is Janus's own pid.
	ip netns exec "$ns" janus -F "$conf" -o >"$JANUS_LOG" 2>&1 &
	JANUS_PID=$!
	echo "$JANUS_PID" >"$conf/janus.pid"
	for i in $(seq 100); do
		if ! kill -0 "$JANUS_PID" 2>/dev/null; then
			echo "janus_up: janus exited during start-up" >&2
			janus_log_dump 50 >&2
			JANUS_PID=
			return 1
		fi
		if ip netns exec "$ns" bash -c \
			'exec 3<>/dev/tcp/127.0.0.1/8188' 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "janus_up: 127.0.0.1:8188 not listening after 10 s" >&2
	janus_log_dump 50 >&2
	janus_down
	return 1
}

janus_down() {
	local i
	[ -n "$JANUS_PID" ] || return 0
	if kill -0 "$JANUS_PID" 2>/dev/null; then
		kill -INT "$JANUS_PID" 2>/dev/null
		for i in $(seq 50); do
			kill -0 "$JANUS_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$JANUS_PID" 2>/dev/null; then
			echo "janus_down: no exit 5 s after SIGINT, SIGKILL" >&2
			kill -KILL "$JANUS_PID" 2>/dev/null
		fi
	fi
	wait "$JANUS_PID" 2>/dev/null
	JANUS_PID=
	return 0
}

janus_log_dump() {
	local n=${1:-200}
	[ -n "$JANUS_LOG" ] && [ -f "$JANUS_LOG" ] || return 0
	echo "---- last $n lines of $JANUS_LOG ----"
	tail -n "$n" "$JANUS_LOG"
	echo "---- end of janus log ----"
}
