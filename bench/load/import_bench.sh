#!/usr/bin/env bash
# Import rate with de-duplication: writes the generated customer data set as a CSV (customer-csv),
# starts eddy on an empty data directory (write-ahead log fsync per group, the default), posts the
# CSV to /v1/import and polls its status until it is done; prints the records per second from the
# POST to the last outcome, and the import's summary. Loopback only; every wait is bounded.
#
#   bench/load/import_bench.sh [build-dir] [records]
set -euo pipefail
. "$(dirname "$0")/wait_for_eddy.sh"
build="${1:-build}"
records="${2:-1000000}"
data=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && { kill -9 "$pid"; wait "$pid"; } 2>/dev/null; rm -rf "$data"' EXIT

"$build/bench/load/customer-csv" "$records" > "$data/customers.csv"
echo "body: $(wc -l < "$data/customers.csv") lines, $(du -h "$data/customers.csv" | cut -f1)"

"$build/topologies/eddy" --http 127.0.0.1:0 --data-dir "$data/d" \
  --http-max-body-bytes $((1024 * 1024 * 1024)) 2>"$data/log" &
pid=$!
wait_for_eddy "$data/log" 30

start=$(date +%s.%N)
accepted=$(curl -s --max-time 600 "127.0.0.1:$port/v1/import?source=crm" \
  -H 'Content-Type: text/csv' --data-binary @"$data/customers.csv")
id=$(echo "$accepted" | grep -o '"import_id":"[^"]*"' | cut -d'"' -f4)
[ -n "$id" ] || { echo "import refused: $accepted" >&2; exit 1; }
status=""
for _ in $(seq 3600); do
  status=$(curl -s --max-time 10 "127.0.0.1:$port/v1/imports/$id")
  case "$status" in *'"state":"done"'* | *'"state":"failed"'*) break ;; esac
  sleep 0.5
done
end=$(date +%s.%N)
submitted=$(echo "$status" | grep -o '"submitted":[0-9]*' | cut -d: -f2)
echo "$status" | grep -o '"state":"[a-z]*"\|"lines":[0-9]*\|"submitted":[0-9]*\|"created":[0-9]*\|"merged":[0-9]*\|"rejected":[0-9]*\|"placeholders":[0-9]*' | tr '\n' ' '
echo
awk -v n="$submitted" -v s="$start" -v e="$end" \
  'BEGIN { printf "%d records in %.1f s: %.0f records/s\n", n, e - s, n / (e - s) }'
echo "checkpoint after: $(curl -s "127.0.0.1:$port/v1/admin/checkpoint" -X POST | grep -o '"bytes":[0-9]*\|"duration_ms":[0-9]*\|"worst_worker_pause_ms":[0-9.]*' | tr '\n' ' ')"
