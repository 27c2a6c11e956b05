#!/usr/bin/env bash
# Measures the HTTP edge with eddy-load against a real eddy on this machine, once with the
# ecommerce topology and once with the no-op topology, so that the cost of the edge and the cost of
# the operators can be told apart. Loopback only; every run is bounded by --duration.
#
#   bench/load/edge_bench.sh [build-dir] [seconds-per-run]
#
# Prints one line per run: topology, mode, the eddy-load summary's throughput and latency lines.
set -euo pipefail
. "$(dirname "$0")/wait_for_eddy.sh"
build="${1:-build}"
seconds="${2:-10}"
eddy="$build/topologies/eddy"
load="$build/bench/load/eddy-load"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

start_eddy() {
  rm -rf "$data/d"
  "$eddy" --topology "$1" --http 127.0.0.1:0 --data-dir "$data/d" 2>"$data/log" &
  pid=$!
  wait_for_eddy "$data/log"
}

stop_eddy() {
  kill -TERM "$pid"
  wait "$pid" || true
}

# run LABEL eddy-load-flags...: prints the figures of one run.
run() {
  local label="$1"
  shift
  local out events requests
  out=$("$load" --target "127.0.0.1:$port" --duration "$seconds" "$@" 2>&1 || true)
  events=$(echo "$out" | sed -n 's/.*answered 2xx (\([0-9.]*\)\/s).*/\1/p')
  requests=$(echo "$out" | sed -n 's/^requests .*(\([0-9.]*\)\/s).*/\1/p')
  echo "$topology | $label | ${events} ev/s | ${requests} req/s | $(echo "$out" | grep '^latency' | sed 's/latency *//; s/ *mean.*//') | $(echo "$out" | grep '^statuses' | sed 's/statuses *//')"
  echo "$out" >>"$data/all.txt"
  if [ "${events%.*}" != "0" ] && [ -n "${events}" ]; then last_rate=${events%.*}; else last_rate=${requests%.*}; fi
}

for topology in noop ecommerce; do
  start_eddy "$topology"
  run "bulk 1000/body, 2 conns" --mode bulk --batch-size 1000 --connections 2
  run "bulk at half rate" --mode bulk --batch-size 1000 --connections 2 --rate $((last_rate / 2))
  run "batch 500/body, 2 conns" --mode batch --batch-size 500 --connections 2
  run "batch at half rate" --mode batch --batch-size 500 --connections 2 --rate $((last_rate / 2))
  run "track, 64 conns" --mode track --connections 64
  run "track at half rate" --mode track --connections 64 --rate $((last_rate / 2))
  run "query, 8 conns" --mode query --connections 8
  run "query at half rate" --mode query --connections 8 --rate $((last_rate / 2))
  stop_eddy
done
