#!/usr/bin/env bash
# Ingest latency with and without checkpoints running: loads eddy (ecommerce topology, wal.fsync
# always) with profiles, then sends /v1/track calls at a fixed rate twice, once quietly and once
# while a checkpoint is asked for every few seconds. Loopback only; every run is bounded.
#
#   bench/load/checkpoint_latency.sh [build-dir] [profiles-events] [rate] [seconds]
#
# Prints the eddy-load latency line of each run and the checkpoints eddy logged meanwhile.
set -euo pipefail
. "$(dirname "$0")/wait_for_eddy.sh"
build="${1:-build}"
preload="${2:-3000000}"
rate="${3:-5000}"
seconds="${4:-20}"
eddy="$build/topologies/eddy"
load="$build/bench/load/eddy-load"
data=$(mktemp -d)
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

"$eddy" --http 127.0.0.1:0 --data-dir "$data/d" --checkpoint-interval-ms 0 ${EDDY_ARGS:-} 2>"$data/log" &
pid=$!
wait_for_eddy "$data/log"

"$load" --target "127.0.0.1:$port" --mode bulk --batch-size 1000 --connections 2 \
  --customers 1000000 --customer-skew 0.5 --events "$preload" >/dev/null 2>&1
# The preload's log is written back before anything is timed.
sync
customers=$(curl -s "127.0.0.1:$port/metrics" | awk '/^eddy_worker_keys/ {s += $2} END {print s}')
echo "profiles: $customers"

track() {
  "$load" --target "127.0.0.1:$port" --mode track --connections 16 --rate "$rate" \
    --customers 1000000 --customer-skew 0.5 --duration "$seconds" 2>&1 | grep '^latency'
}

echo "no checkpoint:    $(track)"
(
  for _ in $(seq $((seconds / 4))); do
    sleep 2
    curl -s -X POST "127.0.0.1:$port/v1/admin/checkpoint" >/dev/null
    sleep 2
  done
) &
asker=$!
echo "checkpoints:      $(track)"
wait "$asker"
grep '"checkpoint written"' "$data/log" | sed 's/.*"bytes":\([0-9]*\).*"ms":\([0-9]*\),"worst_worker_pause_us":\([0-9]*\).*/checkpoint \1 bytes, \2 ms, worst pause \3 us/'
