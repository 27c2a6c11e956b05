#!/usr/bin/env bash
# Recovery time, split into restoring the checkpoint and replaying the log after it: fills a data
# directory with eddy-load bulk traffic (wal.fsync none), kills eddy with SIGKILL, starts it again
# and prints its `recovered` line. Once with the whole log to replay (no checkpoint), once with a
# checkpoint taken halfway. Loopback only; every run is bounded.
#
#   bench/load/recovery_bench.sh [build-dir] [topology] [seconds-of-load]
set -euo pipefail
. "$(dirname "$0")/wait_for_eddy.sh"
build="${1:-build}"
topology="${2:-ecommerce}"
seconds="${3:-8}"
eddy="$build/topologies/eddy"
load="$build/bench/load/eddy-load"
data=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$data"' EXIT

start_eddy() {
  "$eddy" --topology "$topology" --http 127.0.0.1:0 --data-dir "$data/d" --wal-fsync none \
    --checkpoint-interval-ms 0 2>"$data/log" &
  pid=$!
  wait_for_eddy "$data/log" 60  # a recovery replays the log first
}

fill() {
  "$load" --target "127.0.0.1:$port" --mode bulk --batch-size 1000 --connections 2 \
    --duration "$1" >/dev/null 2>&1 || true
}

crash_and_recover() {
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  sync
  start_eddy
  grep '"msg":"recovered"' "$data/log" |
    sed 's/.*"checkpoint":\([0-9]*\).*"restore_ms":\([0-9]*\).*"events":\([0-9]*\).*"ms":\([0-9]*\)}.*/checkpoint \1: restore \2 ms, replay of \3 events, \4 ms in all/'
  echo "log: $(du -sh "$data/d/wal" | cut -f1), checkpoints: $(du -sh "$data/d/checkpoints" | cut -f1)"
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
}

rm -rf "$data/d"
start_eddy
fill "$seconds"
echo "$topology, whole log:"
crash_and_recover

rm -rf "$data/d"
start_eddy
fill $((seconds / 2))
curl -s -X POST "127.0.0.1:$port/v1/admin/checkpoint" >/dev/null
fill $((seconds / 2))
echo "$topology, checkpoint halfway:"
crash_and_recover
