# SPDX-License-Identifier: MIT
# netns.sh  loopback-only network namespace for the interop tests
# (docs/janus.md section 2). Source it from bash.
#
#   netns_up NAME     create NAME (lo up, veth va/vb up, va carries
#                     127.0.0.2/32, IPv6 off); idempotent
#   netns_down NAME   kill what still runs inside NAME, delete it;
#                     idempotent and quiet, safe to call from a trap
#
# Why a veth with 127.0.0.2: Janus and libnice skip interfaces flagged
# IFF_LOOPBACK and aioice drops the literal 127.0.0.1, so every peer needs a
# non-loopback interface that still routes nowhere. Every test passes its own
# NAME so tests can run one after another without colliding.

netns_up() {
	local ns=$1
	[ -n "$ns" ] || { echo "netns_up: no name" >&2; return 2; }
	if ! ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
		ip netns add "$ns" || return 1
	fi
	ip -n "$ns" link set lo up || return 1
	if ! ip -n "$ns" link show va >/dev/null 2>&1; then
		ip -n "$ns" link add va type veth peer name vb || return 1
	fi
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1
	if ! ip -n "$ns" -4 addr show dev va | grep -q '127\.0\.0\.2/'; then
		ip -n "$ns" addr add 127.0.0.2/32 dev va || return 1
	fi
	ip -n "$ns" link set va up || return 1
	ip -n "$ns" link set vb up || return 1
}

# Processes still inside the namespace are ours (the test started them);
# they get SIGTERM, then SIGKILL after 2 s.
netns_down() {
	local ns=$1 pids i
	[ -n "$ns" ] || return 0
	ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$ns" ||
		return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	if [ -n "$pids" ]; then
		kill -TERM $pids 2>/dev/null
		for i in $(seq 20); do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -z "$pids" ] && break
			sleep 0.1
		done
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	return 0
}

# Run a command inside the namespace: netns_exec NAME CMD ARGS...
netns_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
