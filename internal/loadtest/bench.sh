#!/usr/bin/env bash
# Re-runs the camera-scale intake measurements of docs/PERFORMANCE.md on
# this machine: builds yiwang, starts `yiwang serve --demo` on a loopback
# port in a scratch data dir, registers an event source, and runs the load
# generator against it. Every run is bounded (at most 30 s); the server and
# its data dir are removed at the end.
#
#   internal/loadtest/bench.sh [seconds] [case-rate] [event-rate]
#
# seconds:    length of each run (default 10, at most 30)
# case-rate:  offered people's creates per second for (b) (default 8000,
#             above capacity: the figure is what gets through)
# event-rate: offered machine events per second (default 12000)
#
# YIWANG_GROUP_COMMIT=off compares without the batching writer.
# YIWANG_BENCH_PG=postgres://user@127.0.0.1:5432/db?sslmode=disable also
# runs (b) and the batched events against PostgreSQL, in a scratch schema
# that is dropped at the end.
set -euo pipefail
SECS=${1:-10}
CASE_RATE=${2:-8000}
EVENT_RATE=${3:-12000}
if [ "$SECS" -gt 30 ]; then echo "runs are capped at 30 s" >&2; exit 2; fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/yiwang-bench.XXXXXX)
PID=
SCHEMA=
cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
	if [ -n "$SCHEMA" ]; then psql -q "$YIWANG_BENCH_PG" -c "DROP SCHEMA $SCHEMA CASCADE" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$ROOT" && go build -o "$WORK/yiwang" ./cmd/yiwang)
Y="$WORK/yiwang"
free_port() {
	local p=$((20000 + RANDOM % 20000))
	while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((20000 + RANDOM % 20000)); done # taken: another
	echo "$p"
}
PORT=$(free_port)
MPORT=$(free_port)
URL="http://127.0.0.1:$PORT"

start() {
	"$Y" serve --demo --data "$WORK/data" ${DB:+--db "$DB"} --addr "127.0.0.1:$PORT" --metrics-addr "127.0.0.1:$MPORT" --public-rate -1 --log-level error 2>"$WORK/serve.log" &
	PID=$!
	for _ in $(seq 1 200); do
		if curl -sf "$URL/healthz" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	cat "$WORK/serve.log" >&2
	exit 1
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }
# The server's own counters since it started: the batching writer (how
# busy, its longest transaction, transactions over 250 ms) and the intake.
server_metrics() {
	echo "server metrics since start:"
	curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -E '^yiwang_(groupcommit_(batches|ops|busy_seconds)_total|groupcommit_batch_max_seconds|groupcommit_batch_seconds_bucket\{le="(0.25|1|\+Inf)"\}|intake_[a-z]+_total) ' | sed 's/^yiwang_/  /'
}

start
KEY=$("$Y" eventsource add --data "$WORK/data" --code loadtest --name 压测视频平台 | sed -n 's/^key: //p')
echo "== machine: $(nproc) cores; $(uptime)"
echo "== group commit: ${YIWANG_GROUP_COMMIT:-default (on for SQLite)}"
echo
echo "== (a) raw single-row INSERT loop vs (b) HTTP case creation, offered $CASE_RATE/s for ${SECS}s"
"$Y" loadtest --target "$URL" --rate "$CASE_RATE" --duration "${SECS}s" --mix cases=1 --workers 128 --baseline "${SECS}s"
echo
echo "== (b) again at a rate below capacity: latency at $((CASE_RATE / 2))/s"
"$Y" loadtest --target "$URL" --rate $((CASE_RATE / 2)) --duration "${SECS}s" --mix cases=1 --workers 128
echo
echo "== machine events, batches of 50 from 12,000 cameras, offered $EVENT_RATE events/s"
"$Y" loadtest --target "$URL" --rates "events=$((EVENT_RATE / 50))" --event-batch 50 --duration "${SECS}s" --event-key "$KEY" --workers 64
echo
echo "== machine events, one per request, offered $((EVENT_RATE / 4))/s"
"$Y" loadtest --target "$URL" --rates "events=$((EVENT_RATE / 4))" --duration "${SECS}s" --event-key "$KEY" --workers 128
echo
echo "== a person's creates (50/s) during an event flood of $EVENT_RATE events/s (batches of 50)"
"$Y" loadtest --target "$URL" --rates "events=$((EVENT_RATE / 50)),cases=50" --event-batch 50 --duration "${SECS}s" --event-key "$KEY" --workers 64
echo
echo "== a person's creates (50/s) during a flood of single-event requests at $((EVENT_RATE / 2))/s"
"$Y" loadtest --target "$URL" --rates "events=$((EVENT_RATE / 2)),cases=50" --duration "${SECS}s" --event-key "$KEY" --workers 128
echo
server_metrics
stop
echo
echo "== database after the runs"
ls -l "$WORK/data/yiwang.db"* | awk '{print $5, $9}'

if [ -n "${YIWANG_BENCH_PG:-}" ]; then
	SCHEMA="yiwang_bench_$$"
	psql -q "$YIWANG_BENCH_PG" -c "CREATE SCHEMA $SCHEMA"
	case "$YIWANG_BENCH_PG" in *\?*) DB="$YIWANG_BENCH_PG&search_path=$SCHEMA" ;; *) DB="$YIWANG_BENCH_PG?search_path=$SCHEMA" ;; esac
	rm -rf "$WORK/data"
	start
	KEY=$("$Y" eventsource add --data "$WORK/data" --db "$DB" --code loadtest --name 压测视频平台 | sed -n 's/^key: //p')
	echo
	echo "== PostgreSQL ($(psql -tA "$YIWANG_BENCH_PG" -c 'SHOW server_version')): warm-up, then (b) offered $((CASE_RATE / 2))/s"
	"$Y" loadtest --target "$URL" --rate 2000 --duration 3s --mix cases=1 --workers 64 >/dev/null
	"$Y" loadtest --target "$URL" --rate $((CASE_RATE / 2)) --duration "${SECS}s" --mix cases=1 --workers 64
	echo
	echo "== PostgreSQL: machine events, batches of 50 from 12,000 cameras, offered $EVENT_RATE events/s"
	"$Y" loadtest --target "$URL" --rates "events=$((EVENT_RATE / 50))" --event-batch 50 --duration "${SECS}s" --event-key "$KEY" --workers 64
	echo
	server_metrics
	stop
fi
