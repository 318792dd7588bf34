#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deploy_check.sh REPO VPBOT-SCHED — deploy/ passes deploy_check.py, and
# each of a few broken copies fails it (so the check can fail).
set -uo pipefail
ROOT=$(realpath "$1")
SCHED=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
python3 -c 'import yaml' || { echo "deploy: python3-yaml missing"; exit 1; }
python3 "$HERE/deploy_check.py" "$ROOT" "$SCHED" || exit 1
TMP=$(mktemp -d /tmp/deploy-check.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
broken() { # name sed-expr file
	rm -rf "$TMP/r" && mkdir -p "$TMP/r" && cp -r "$ROOT/deploy" "$TMP/r/"
	sed -i "$2" "$TMP/r/deploy/$3"
	cmp -s "$ROOT/deploy/$3" "$TMP/r/deploy/$3" && {
		echo "deploy: mutation $1 changed nothing"; exit 1; }
	if python3 "$HERE/deploy_check.py" "$TMP/r" >"$TMP/out" 2>&1; then
		echo "deploy: FAIL: broken copy ($1) passed"; exit 1
	fi
	echo "deploy: $1 refused: $(grep FAIL "$TMP/out" | head -1)"
}
broken typo 's/terminationGracePeriodSeconds: 14400/terminationGracePeriodSecond: 14400/' k8s/worker.yaml
broken short-grace 's/terminationGracePeriodSeconds: 14400/terminationGracePeriodSeconds: 600/' k8s/worker.yaml
broken secret-arg 's|- /usr/bin/vpbot$|- https://x/?token=abc|' k8s/worker.yaml
broken missing-secret 's/name: vpbot-redis$/name: vpbot-redis-x/' k8s/secrets.example.yaml
broken selector '/matchLabels:/{n;s/vpbot-worker/vpbot-wrker/}' k8s/worker.yaml
broken base 's/^FROM debian:12-slim AS redis/FROM redis:7 AS redis/' Containerfile
broken no-limit '/memory: 1Gi/d' k8s/worker.yaml
echo "deploy: OK"
