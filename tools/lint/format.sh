#!/bin/sh
# tools/lint/format.sh [ROOT] [--fix] — the layout check of the style suite:
# every C file under src/ protocols/ media/ tools/ tests/ must be as
# clang-format 14 lays it out with the repository's .clang-format (the
# version is pinned: another clang-format lays some lines out differently).
#   tools/lint/format.sh            list the files that differ; exit 1 if any
#   tools/lint/format.sh . --fix    rewrite them in place
set -eu
root=${1:-.}
fix=${2:-}
cd "$root"
cf=$(command -v clang-format-14 || true)
[ -n "$cf" ] || { echo "format.sh: clang-format-14 is needed (tools/install-deps)" >&2; exit 1; }
files=$(find src protocols media tools tests -name '*.[ch]' | sort)
if [ "$fix" = --fix ]; then
	# shellcheck disable=SC2086
	$cf -i $files
	exit 0
fi
# One run over every file; clang-format names each line it would change.
# shellcheck disable=SC2086
bad=$($cf --dry-run $files 2>&1 | sed -n 's/^\([^:]*\.[ch]\):[0-9]*:[0-9]*: .*/\1/p' | sort -u)
for f in $bad; do
	echo "$f: not as clang-format lays it out (tools/lint/format.sh . --fix)"
done
n=$(printf '%s' "$bad" | grep -c . || true)
echo "format.sh: $n file(s) to reformat"
[ "$n" -eq 0 ]
