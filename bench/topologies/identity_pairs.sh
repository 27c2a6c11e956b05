#!/usr/bin/env bash
# What the identity stage costs the ecommerce topology, measured so that this VM's drift (whole
# minutes up to 2x slower) does not decide it: runs without and with the stage back to back,
# N times, and prints each pair's ratio (events/s with / without) and the median ratio.
#
#   bench/topologies/identity_pairs.sh [build-dir] [workers] [pairs]
set -euo pipefail
build="${1:-build}"
workers="${2:-2}"
pairs="${3:-6}"
bench="$build/bench/topologies/topologies_bench"

run_ms() {
  "$bench" --benchmark_filter="BM_EcommerceTopology/workers:$workers/identity:$1" 2>/dev/null |
    awk '/^BM_/ { print $2; exit }'
}

ratios=()
for i in $(seq "$pairs"); do
  without=$(run_ms 0)
  with=$(run_ms 1)
  ratio=$(awk -v a="$without" -v b="$with" 'BEGIN { printf "%.3f", a / b }')
  ratios+=("$ratio")
  echo "pair $i: without ${without} ms, with ${with} ms, ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
        printf "median ratio of %d pairs at %s workers: %.3f\n", NR, w, m }' w="$workers"
