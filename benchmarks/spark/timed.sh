# Sourced by the Spark benchmarks. timed NAME COMMAND...: runs the command with --json, its output
# in $work/NAME.json and its log in $work/NAME.log, and appends {name, run, seconds (launch to exit),
# load, its --json} to $result; stops the benchmark, showing the log, if it fails.
timed() {
  local name=$1; shift
  local t0=$(date +%s%N)
  "$@" --json > "$work/$name.json" 2> "$work/$name.log" || { cat "$work/$name.log" >&2; exit 1; }
  local t1=$(date +%s%N)
  printf '{"name":"%s","run":%d,"seconds":%.2f,"load":"%s","command":%s}\n' "$name" "$run" \
    "$(echo "($t1-$t0)/1000000000" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(cat "$work/$name.json")" \
    | tee -a "$result"
}
