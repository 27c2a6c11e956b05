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

# Prints "<ms> <worker CPU s> <exchange wait s>" of one run.
run() {
  "$bench" --benchmark_filter="BM_EcommerceTopology/workers:$workers/identity:$1/ids:200000" 2>/dev/null |
    awk '/^BM_/ {
      for (i = 1; i <= NF; ++i) {
        split($i, kv, "=")
        if (kv[1] == "worker_cpu_s") cpu = kv[2]
        if (kv[1] == "exchange_wait_s") wait = kv[2]
      }
      print $2, cpu, wait; exit
    }'
}

ratios=()
for i in $(seq "$pairs"); do
  read -r without cpu0 wait0 < <(run 0)
  read -r with cpu1 wait1 < <(run 1)
  ratio=$(awk -v a="$without" -v b="$with" 'BEGIN { printf "%.3f", a / b }')
  ratios+=("$ratio")
  echo "pair $i: without ${without} ms (worker CPU $cpu0 s, exchange waits $wait0 s)," \
    "with ${with} ms (worker CPU $cpu1 s, exchange waits $wait1 s), ratio $ratio"
done
printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
        printf "median ratio of %d pairs at %s workers: %.3f\n", NR, w, m }' w="$workers"
