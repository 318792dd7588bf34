#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sched_feeds.sh VPBOT_SCHED — calendars over HTTP and bad input, through
# `vpbot-sched once`: a local python http.server (loopback, port 0) serves
# a good feed (with an ETag), a 404, a feed that never answers (timeout),
# a huge feed (over feed_max_bytes) and a malformed file calendar. Checks:
# the good calendars' meetings are all planned, each failure is reported
# by its calendar label with its cause, the malformed line is named, the
# feed URL (a secret) is never printed.
set -uo pipefail
SCHED=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$(cd "$HERE/../data" && pwd)
TMP=$(mktemp -d "/tmp/schedfeeds.XXXXXX")
SRV=
trap '[ -n "$SRV" ] && kill $SRV 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$TMP"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

head -c $((3 << 20)) /dev/zero | tr '\0' 'x' >"$TMP/huge.ics"
cp "$DATA/ics/google.ics" "$TMP/good.ics"
cat >"$TMP/srv.py" <<'PY'
import http.server, os, sys, time
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if "slow" in self.path:
            time.sleep(30)
            return
        if "feed-good" in self.path:
            body = open("good.ics", "rb").read()
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304); self.end_headers(); return
            self.send_response(200); self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers(); self.wfile.write(body); return
        if "feed-huge" in self.path:
            body = open("huge.ics", "rb").read()
            self.send_response(200)
            self.end_headers(); self.wfile.write(body); return
        self.send_error(404)
    def log_message(self, fmt, *a):
        sys.stderr.write((fmt % a) + "\n")
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open("port.tmp", "w").write(str(s.server_address[1]))
os.rename("port.tmp", "port")
s.serve_forever()
PY
(cd "$TMP" && exec timeout 120 python3 srv.py 2>"$TMP/srv.log") &
SRV=$!
for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
P=$(cat "$TMP/port")
S="secret-$$-abc"
cat >"$TMP/cfg.json" <<JSON
{"calendars": [
  {"owner": "alice@example.com", "url": "http://127.0.0.1:$P/feed-good/$S"},
  {"owner": "bob@example.com", "url": "http://127.0.0.1:$P/feed-404/$S"},
  {"owner": "carol@example.com", "url": "http://127.0.0.1:$P/slow/$S"},
  {"owner": "dave@example.com", "url": "http://127.0.0.1:$P/feed-huge/$S"},
  {"owner": "erin@example.com", "file": "$DATA/ics/malformed.ics"},
  {"owner": "frank@example.com", "file": "$DATA/ics/outlook.ics"}],
 "settings_file": "$DATA/settings/company.json",
 "assistant_address": "notetaker@example.com",
 "feed_timeout_s": 2, "feed_max_bytes": 1048576, "lookahead_h": 2000}
JSON
export VPBOT_SCHED_TEST_HTTP=1
rc=0
"$SCHED" once "$TMP/cfg.json" --at 2027-02-20T00:00:00Z --json \
	>"$TMP/once.jsonl" 2>"$TMP/once.err" || rc=$?
cat "$TMP/once.err"
[ $rc = 0 ] && ok "exit 0 while some calendars fail" || bad "exit $rc"
n=$(jq -s 'map(select(.calendars | index("alice@example.com"))) | length' \
	"$TMP/once.jsonl")
[ "$n" -ge 10 ] && ok "feed meetings planned ($n)" || bad "feed meetings: $n"
n=$(jq -s 'map(select(.calendars | index("frank@example.com"))) | length' \
	"$TMP/once.jsonl")
[ "$n" -ge 5 ] && ok "file meetings planned ($n)" || bad "file meetings: $n"
# the policy table through the scheduler: start -> verdict, cause code
jq -r 'select(any(.calendars[]; . == "alice@example.com" or . == "frank@example.com"))
  | "\(.start_utc) \(.verdict) \(.policy.cause // "-" | split(":")[0])"' \
	"$TMP/once.jsonl" | sort >"$TMP/table"
cat >"$TMP/want" <<'T'
2027-02-22T15:00:00Z record -
2027-02-23T15:00:00Z deny private_meeting
2027-02-23T16:00:00Z metadata_only unsupported_platform
2027-02-23T17:00:00Z metadata_only no_conference_url
2027-02-23T18:00:00Z deny declined
2027-02-24T00:00:00Z deny all_day
2027-03-01T19:00:00Z record -
2027-03-11T08:00:00Z metadata_only unsupported_platform
2027-03-15T14:00:00Z deny cancelled
2027-03-16T13:00:00Z record -
2027-03-18T08:00:00Z metadata_only unsupported_platform
2027-03-22T14:00:00Z record -
2027-03-29T14:00:00Z record -
2027-04-01T07:00:00Z metadata_only unsupported_platform
2027-04-08T07:00:00Z metadata_only unsupported_platform
2027-04-15T07:00:00Z metadata_only unsupported_platform
T
if diff "$TMP/want" "$TMP/table" >"$TMP/diff"; then ok "policy table (16 rows)"
else bad "policy table:"; cat "$TMP/diff"; fi
jq 'select(.start_utc == "2027-03-16T13:00:00Z") | .manual_invite and
  any(.reasons[]; . == "overridden_private_meeting")' "$TMP/once.jsonl" |
	grep -qx true && ok "manual invite overrides private" ||
	bad "manual invite not applied"
grep -q 'pin=9876\|s3cret' "$TMP/once.jsonl" && bad "a secret in once --json" ||
	ok "no pin or token in once --json"
grep -q 'bob@example.com#2: feed answered HTTP 404' "$TMP/once.err" &&
	ok "404 reported" || bad "404 not reported"
grep -q 'carol@example.com#3: feed: Timeout' "$TMP/once.err" &&
	ok "timeout reported" || bad "timeout not reported"
grep -q 'dave@example.com#4: feed larger than the cap' "$TMP/once.err" &&
	ok "cap reported" || bad "cap not reported"
grep -q 'erin@example.com#5: .*line 8: .*THIS IS NOT A PROPERTY' \
	"$TMP/once.err" && ok "malformed line named" || bad "line not named"
grep -q "$S" "$TMP/once.err" "$TMP/once.jsonl" &&
	bad "the feed URL was printed" || ok "feed URL never printed"
# run: the second fetch of an unchanged feed is a 304 (ETag)
jq '.calendars |= .[0:1] | . + {"scan_interval_s": 1, "tick_s": 0.2,
    "state": "'"$TMP"'/st.db", "out": "'"$TMP"'/out"}' "$TMP/cfg.json" \
	>"$TMP/cfg4.json"
timeout -s TERM 4 "$SCHED" run "$TMP/cfg4.json" 2>"$TMP/run.err"
grep -q '" 304 ' "$TMP/srv.log" && ok "unchanged feed answered 304 (ETag)" ||
	bad "no If-None-Match / 304"
grep -q "$S" "$TMP/run.err" && bad "run printed the feed URL" ||
	ok "run never printed the feed URL"
n=$("$SCHED" status --state "$TMP/st.db" --json | wc -l)
[ "$n" -ge 6 ] && ok "run recorded $n meetings in its state" ||
	bad "state has $n meetings"
# every calendar failing: exit 74
jq '.calendars |= .[1:4]' "$TMP/cfg.json" >"$TMP/cfg2.json"
rc=0
"$SCHED" once "$TMP/cfg2.json" --at 2027-02-20T00:00:00Z >/dev/null \
	2>&1 || rc=$?
[ $rc = 74 ] && ok "all calendars failed: exit 74" || bad "exit $rc, not 74"
# http:// is refused without the test switch; unknown keys rejected
unset VPBOT_SCHED_TEST_HTTP
rc=0; "$SCHED" once "$TMP/cfg.json" >/dev/null 2>"$TMP/e" || rc=$?
[ $rc = 65 ] && grep -q 'url must be https' "$TMP/e" &&
	ok "http feed refused" || bad "http feed: exit $rc"
jq '. + {"lead_sec": 5}' "$TMP/cfg.json" >"$TMP/cfg3.json"
rc=0; "$SCHED" once "$TMP/cfg3.json" >/dev/null 2>"$TMP/e" || rc=$?
[ $rc = 65 ] && grep -q 'unknown key lead_sec' "$TMP/e" &&
	ok "unknown config key rejected" || bad "unknown key: exit $rc"
echo "sched_feeds: $fails failure(s)"
[ $fails = 0 ]
