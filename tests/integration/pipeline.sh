#!/usr/bin/env bash
# The media pipeline, end to end through `vpbot replay`: rtpgen makes a known
# signal, Opus-encoded and impaired, as a pcap; vpbot replays it; the checker
# compares the output folder with what was injected (see check_pipeline.py).
# usage: pipeline.sh VPBOT RTPGEN
set -uo pipefail
vpbot=$1 rtpgen=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/vp-pipeline.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rc=0

# name | rtpgen options | replay options | rate | min correlation
cases=(
	"clean||--rate 48000|48000|0.99"
	"impaired|--loss 0.1 --reorder 3 --dup 0.01 --jitter-ms 60 --dtx-at 8 --dtx-len 2 --sr-offset-ms 1500|--rate 48000|48000|0.9"
	"asr16k|--loss 0.05 --jitter-ms 40 --dtx-at 4 --dtx-len 2|--rate 16000 --chunk-seconds 3|16000|0.9"
	"restart|--ssrc-change-at 9.3 --jitter-ms 20|--rate 48000|48000|0.98"
	"nofec|--loss 0.1 --no-fec --seed 7|--rate 24000|24000|0.95"
)
for c in "${cases[@]}"; do
	IFS='|' read -r name gen rep rate corr <<<"$c"
	echo "== $name: rtpgen $gen; replay $rep"
	# shellcheck disable=SC2086
	if ! "$rtpgen" "$tmp/$name" $gen; then
		echo "FAIL $name: rtpgen"; rc=1; continue
	fi
	# shellcheck disable=SC2086
	"$vpbot" replay "$tmp/$name.pcap" --out "$tmp/out" $rep
	st=$?
	if [ $st -ne 0 ]; then
		echo "FAIL $name: vpbot replay exited $st"; rc=1; continue
	fi
	if ! /usr/bin/python3 "$here/check_pipeline.py" "$tmp/out/$name" \
		"$tmp/$name" --rate "$rate" --min-corr "$corr"; then
		echo "FAIL $name"; rc=1
	fi
done
exit $rc
