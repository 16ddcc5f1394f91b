#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each
# (FUZZTIME, default 5s). Used by `make fuzz` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${FUZZTIME:-5s}"
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
	pkg="./$(dirname "${file#./}")"
	for name in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
		echo "== fuzz $pkg $name for $t"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$pkg" >/tmp/yiwang-fuzz.log 2>&1 || { cat /tmp/yiwang-fuzz.log; exit 1; }
		tail -1 /tmp/yiwang-fuzz.log
	done
done
