#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# webhook.sh VPBOT SIMCONF — status webhooks (issue #12 item 1) on simconf's
# two_tones meeting, in a private netns, against webhook_recv.py over HTTPS
# with a throwaway certificate (its CA given to the bot):
#  1. a receiver that fails twice, then accepts: every event of the events
#     file arrives exactly once accepted, in order (seq 1..N), each with a
#     valid HMAC-SHA256 signature, the last `left` with exit code 0;
#     meeting.json records the final event delivered; neither the secret
#     nor the URL's token appears in argv, logs, events or meeting.json.
#  2. the same meeting without a webhook, then with a receiver that never
#     answers: the same chunks, each durable at the same time after the
#     join (within 1 s), no io_overflow, and the exit waits only for the
#     --webhook-timeout bound; meeting.json says the final event was not
#     delivered.
set -uo pipefail
. "$(dirname "$0")/gate_lib.sh"
gl_init webhook "$1" "$2"
SCN=$GL_ROOT/tools/simconf/scenarios/two_tones.json
RECV=$GL_HERE/webhook_recv.py
SECRET="whsec-$$-$RANDOM-not-for-logs"
TOKEN="tok$$x$RANDOM"
fail() { echo "webhook: FAIL: $*"; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/key.pem" \
	-out "$TMP/cert.pem" 2>/dev/null || fail "openssl"
printf '%s\n' "$SECRET" >"$TMP/secret"

# recv MODE: start the receiver in the netns; sets RPORT
recv() {
	rm -f "$TMP/rport" "$TMP/recv.jsonl"
	ip netns exec "$NS" /usr/bin/python3 "$RECV" "$TMP/cert.pem" \
		"$TMP/key.pem" "$TMP/rport" "$TMP/recv.jsonl" "$1" \
		2>"$TMP/recv.err" &
	for _ in $(seq 100); do [ -s "$TMP/rport" ] && break; sleep 0.05; done
	RPORT=$(cat "$TMP/rport" 2>/dev/null)
	[ -n "$RPORT" ] || fail "receiver did not start: $(cat "$TMP/recv.err")"
}

# run NAME [join options]: one meeting; its folder is kept as $TMP/NAME
run() {
	local name=$1 t0
	shift
	gl_simconf "$SCN" 60
	t0=$(date +%s.%N)
	gl_bot m1 --meeting m1 --chunk-seconds 1 "$@"
	ELAPSED=$(echo "$(date +%s.%N) - $t0" | bc)
	gl_simconf_wait
	[ "$BOT_RC" = 0 ] || { tail -5 "$TMP/bot.err"; fail "$name: vpbot exited $BOT_RC"; }
	mv "$TMP/out/m1" "$TMP/$name"
	mv "$TMP/events.jsonl" "$TMP/$name.events"
	cp "$TMP/bot.err" "$TMP/$name.err"
}

# --- 1: fails twice, then accepts ---
recv flaky
# a URL with a query is given in a file (or stdin, or the environment)
printf 'https://127.0.0.1:%s/hook/%s?k=%s\n' "$RPORT" "$TOKEN" "$TOKEN" >"$TMP/url"
run flaky --webhook-file "$TMP/url" \
	--webhook-secret-file "$TMP/secret" --webhook-ca "$TMP/cert.pem"
/usr/bin/python3 - "$TMP" "$SECRET" <<'PY' || fail "flaky receiver"
import hashlib, hmac, json, sys, time
tmp, secret = sys.argv[1], sys.argv[2].encode()
reqs = [json.loads(l) for l in open(tmp + "/recv.jsonl")]
events = [json.loads(l) for l in open(tmp + "/flaky.events")]
def fail(m): sys.exit("webhook: " + m)
if [r["status"] for r in reqs[:2]] != [500, 500]:
    fail("the first two requests were not the refused ones")
ok = [r for r in reqs if r["status"] == 200]
for r in reqs:
    # Vpbot-Signature: t=T,v1=HEX over "T." + body (README "Webhooks")
    parts = dict(p.split("=", 1) for p in r["sig"].split(","))
    mac = hmac.new(secret, (parts["t"] + ".").encode() + r["body"].encode(),
                   hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, parts["v1"]):
        fail("bad signature on request %d" % r["n"])
    if abs(time.time() - int(parts["t"])) > 600:
        fail("signature timestamp far off")
    if r["ctype"] != "application/json":
        fail("content type " + str(r["ctype"]))
bodies = [json.loads(r["body"]) for r in ok]
seqs = [b["seq"] for b in bodies]
if seqs != list(range(1, len(events) + 1)):
    fail("accepted seqs %s, events file has %d" % (seqs, len(events)))
if [int(r["seq"]) for r in ok] != seqs:
    fail("Vpbot-Event-Seq headers differ from the bodies")
if bodies != events:
    fail("accepted bodies differ from the events file")
if len(reqs) != len(events) + 2:
    fail("%d requests for %d events + 2 refusals" % (len(reqs), len(events)))
if bodies[-1]["event"] != "left" or bodies[-1]["exit_code"] != 0:
    fail("last event " + json.dumps(bodies[-1]))
m = json.load(open(tmp + "/flaky/meeting.json"))
w = m.get("webhook") or fail("meeting.json has no webhook record")
if not (w["final"]["delivered"] and w["final"]["seq"] == len(events)
        and w["delivered"] == len(events) and w["failed"] == 0):
    fail("meeting.json webhook " + json.dumps(w))
print("flaky receiver: %d events, each accepted once, in order, signed;"
      " final delivered after %d attempt(s)" % (len(events), w["final"]["attempts"]))
PY
for f in "$TMP/flaky.err" "$TMP/bot.out" "$TMP/flaky.events" "$TMP/flaky/meeting.json"; do
	grep -q -- "$SECRET" "$f" && fail "the secret is in $f"
	grep -q -- "$TOKEN" "$f" && fail "the URL's token is in $f"
done
grep -q "event 1: attempt 1" "$TMP/flaky.err" || fail "the refusals were not logged"
kill %1 2>/dev/null; wait 2>/dev/null

# --- the same receiver without its CA: verified by default, so refused ---
recv flaky
run noca --webhook "https://127.0.0.1:$RPORT/hook" \
	--webhook-secret-file "$TMP/secret" --webhook-timeout 2
[ ! -s "$TMP/recv.jsonl" ] || fail "a POST got through an unverified certificate"
jq -e '.webhook.delivered == 0 and .webhook.final.delivered == false' \
	"$TMP/noca/meeting.json" >/dev/null || fail "noca: $(jq -c .webhook "$TMP/noca/meeting.json")"
grep -qi "certificate" "$TMP/noca.err" || fail "noca: the certificate error was not logged"
jq -r .webhook.last_error "$TMP/noca/meeting.json" | grep -qi certificate ||
	fail "noca: meeting.json does not say why"
echo "unknown CA: nothing delivered, $(jq -r .webhook.last_error "$TMP/noca/meeting.json")"
kill %1 2>/dev/null; wait 2>/dev/null
# a URL with a query (a token) is never an argument: every user sees argv
"$VPBOT" join sim+ws://127.0.0.1:1/m1 --out "$TMP/x" \
	--webhook "https://h/hook?k=$TOKEN" --webhook-secret-file "$TMP/secret" \
	>/dev/null 2>"$TMP/argv.err"
[ $? -eq 64 ] && grep -q -- "--webhook-file" "$TMP/argv.err" &&
	! grep -q -- "$TOKEN" "$TMP/argv.err" ||
	fail "a webhook URL with a query was taken from argv: $(cat "$TMP/argv.err")"
# ... nor one with a token in its path (Slack's shape)
"$VPBOT" join sim+ws://127.0.0.1:1/m1 --out "$TMP/x" \
	--webhook "https://h/services/T0/B0/x7Kq${TOKEN}9Zp2vW" \
	--webhook-secret-file "$TMP/secret" >/dev/null 2>"$TMP/argv2.err"
[ $? -eq 64 ] && grep -q -- "--webhook-file" "$TMP/argv2.err" ||
	fail "a webhook URL with a token in its path was taken from argv: $(cat "$TMP/argv2.err")"
# ... and is read from $VPBOT_WEBHOOK_URL and stdin (an http:// URL there
# is refused, as on argv: the value was read)
VPBOT_WEBHOOK_URL="http://h/hook?k=$TOKEN" "$VPBOT" join sim+ws://127.0.0.1:1/m1 \
	--out "$TMP/x" --webhook-secret-file "$TMP/secret" >/dev/null 2>"$TMP/env.err"
[ $? -eq 64 ] && grep -q "https://" "$TMP/env.err" ||
	fail "\$VPBOT_WEBHOOK_URL was not read: $(cat "$TMP/env.err")"
echo "http://h/hook?k=$TOKEN" | "$VPBOT" join sim+ws://127.0.0.1:1/m1 --out "$TMP/x" \
	--webhook-file - --webhook-secret-file "$TMP/secret" >/dev/null 2>"$TMP/stdin.err"
[ $? -eq 64 ] && grep -q "https://" "$TMP/stdin.err" ||
	fail "--webhook-file - did not read stdin: $(cat "$TMP/stdin.err")"
! grep -q -- "$TOKEN" "$TMP/env.err" "$TMP/stdin.err" || fail "a refusal echoed the token"
# the secret comes from a file or the environment, never argv
"$VPBOT" join sim+ws://127.0.0.1:1/m1 --out "$TMP/x" --webhook https://h/ \
	>/dev/null 2>"$TMP/nosecret.err"
[ $? -eq 64 ] && grep -q VPBOT_WEBHOOK_SECRET "$TMP/nosecret.err" ||
	fail "a webhook without a secret was not refused: $(cat "$TMP/nosecret.err")"
"$VPBOT" join sim+ws://127.0.0.1:1/m1 --out "$TMP/x" --webhook http://h/ \
	--webhook-secret-file "$TMP/secret" >/dev/null 2>"$TMP/http.err"
[ $? -eq 64 ] && grep -q "https://" "$TMP/http.err" ||
	fail "a plain http webhook was not refused: $(cat "$TMP/http.err")"

# --- 2: without a webhook, then with one that never answers ---
run base
recv hang
run hang --webhook "https://127.0.0.1:$RPORT/hook" \
	--webhook-secret-file "$TMP/secret" --webhook-ca "$TMP/cert.pem" \
	--webhook-timeout 3
HANG_S=$ELAPSED
/usr/bin/python3 - "$TMP" "$HANG_S" <<'PY' || fail "hanging receiver"
import json, os, sys
from datetime import datetime
tmp, hang_s = sys.argv[1], float(sys.argv[2])
def fail(m): sys.exit("webhook: " + m)
def lags(name):
    ev = [json.loads(l) for l in open(f"{tmp}/{name}.events")]
    j = next(e for e in ev if e["event"] == "joined")
    t0 = datetime.fromisoformat(j["ts"].replace("Z", "+00:00")).timestamp()
    out = {}
    for l in open(f"{tmp}/{name}/manifest.jsonl"):
        c = json.loads(l)
        out[(c["stream"], c["seq"])] = os.stat(f"{tmp}/{name}/{c['file']}").st_mtime - t0
    return out
base, hang = lags("base"), lags("hang")
if set(base) != set(hang):
    fail("chunks differ: %s vs %s" % (sorted(base), sorted(hang)))
worst = max(abs(base[k] - hang[k]) for k in base)
if worst > 1.0:
    fail("a chunk became durable %.2f s later with a dead receiver" % worst)
for n in ("base", "hang"):
    m = json.load(open(f"{tmp}/{n}/meeting.json"))
    if any(s["io_overflow"] for s in m["streams"]) or m["status"].get("io_overflow"):
        fail(n + ": io_overflow")
w = json.load(open(f"{tmp}/hang/meeting.json"))["webhook"]
if w["final"]["delivered"] or w["delivered"]:
    fail("a receiver that never answers acknowledged something: %s" % w)
if hang_s > 7 + 3 + 15:
    fail("vpbot took %.1f s: the 3 s bound was not kept" % hang_s)
print("dead receiver: %d chunks, durable within %.3f s of the run without"
      " a webhook; final not delivered (%s); run took %.1f s"
      % (len(base), worst, w["final"]["error"], hang_s))
PY
echo "PASS: webhook"
