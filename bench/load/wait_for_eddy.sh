# Sourced by the bench/load scripts.
#
#   wait_for_eddy LOG [SECONDS]
#
# Waits until the eddy writing LOG (its stderr) is ready, that is, has recovered its state and
# takes input, and sets `port` to its HTTP port. Prints the log and exits 1 if that does not happen
# within SECONDS (10).
wait_for_eddy() {
  local log="$1" tries=$((${2:-10} * 10))
  port=""
  for _ in $(seq "$tries"); do
    port=$(grep '"eddy ready"' "$log" | grep -o '"http_port":[0-9]*' | cut -d: -f2 || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "eddy did not start" >&2
  cat "$log" >&2
  exit 1
}
