#!/usr/bin/env bash
# Fuzzes every reader of untrusted bytes in turn with Jazzer, one fuzz test per Maven run (each in
# its own JVM, heap capped at 1 GiB), and prints the executions and findings of each.
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
# SECONDS_PER_TARGET defaults to 60; TARGET is Class#method (e.g. ImageFuzzTest#decode), all of
# them when none is given. Each input may take at most 1 s. Findings (crash-*, timeout-*, oom-*
# inputs) land beside the seeds in src/test/resources/org/iscengine/fuzz/<Class>Inputs/<method>/,
# where plain `mvn test` replays them; the corpus grown while fuzzing stays in .cifuzz-corpus/.
# The seeds listed in fuzz/known-failures are set aside while fuzzing.
# Logs: target/fuzz/<Class>-<method>.log. Exits 1 when a target has a finding.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"

seconds=${1:-60}
shift || true
if [[ ! "$seconds" =~ ^[0-9]+$ ]] || (( seconds < 1 )); then
  echo "usage: fuzz/run.sh [SECONDS_PER_TARGET] [Class#method...]" >&2
  exit 2
fi
targets=("$@")
if (( ${#targets[@]} == 0 )); then
  targets=(
    ImageFuzzTest#decode
    ServerFuzzTest#image
    ServerFuzzTest#referencesJson
    StoreFuzzTest#referenceLog
    StoreFuzzTest#snapshot
    SearchFuzzTest#exactIndexFile
    SearchFuzzTest#exactIndexPayload
    ModelFuzzTest#checkpointFile
    ModelFuzzTest#checkpointPickle
    DescriptorFuzzTest#hdf5
  )
fi

# Longest input the fuzzer makes, per target (seeds longer than this are cut when fuzzing).
max_len() {
  case "$1" in
    ServerFuzzTest#image) echo 65536 ;;
    DescriptorFuzzTest#hdf5) echo 16384 ;;
    *) echo 32768 ;;
  esac
}

mvn_flags=(-q -Disc.cuda=OFF)
[[ -n "${FUZZ_MAVEN_ONLINE:-}" ]] || mvn_flags=(-o "${mvn_flags[@]}")
echo "==> building the tests"
nice mvn "${mvn_flags[@]}" test-compile || exit 2

mkdir -p target/fuzz
inputs=src/test/resources/org/iscengine/fuzz

# The seeds of known defects (fuzz/known-failures) would stop every run at once: set them aside
# while fuzzing, and put them back whatever happens.
aside=target/fuzz/aside
# Both the sources and their copies on the test class path (which Jazzer reads first).
copies=target/test-classes/org/iscengine/fuzz
restore() {
  local from to
  for from in "$aside/src" "$aside/classes"; do
    [[ -d "$from" ]] || continue
    if [[ "$from" == "$aside/src" ]]; then to=$inputs; else to=$copies; fi
    (cd "$from" && find . -type f) | while read -r f; do
      mkdir -p "$(dirname "$to/$f")" && mv -f "$from/$f" "$to/$f"
    done
  done
  rm -rf "$aside"
}
restore
trap restore EXIT
trap 'exit 130' INT TERM
grep -vE '^\s*(#|$)' fuzz/known-failures | while read -r f; do
  if [[ -f "$inputs/$f" ]]; then
    mkdir -p "$(dirname "$aside/src/$f")" && mv "$inputs/$f" "$aside/src/$f"
  fi
  if [[ -f "$copies/$f" ]]; then
    mkdir -p "$(dirname "$aside/classes/$f")" && mv "$copies/$f" "$aside/classes/$f"
  fi
done
status=0
summary=()
for target in "${targets[@]}"; do
  class=${target%%#*}
  method=${target#*#}
  dir="$inputs/${class}Inputs/$method"
  log="target/fuzz/$class-$method.log"
  before=$(ls "$dir" 2>/dev/null | grep -E '^(crash|timeout|oom|leak|slow-unit)-' | sort)
  echo "==> $target for ${seconds}s"
  start=$(date +%s)
  # JUnit's own timeout would count the whole fuzzing run; libFuzzer's -timeout bounds each input.
  JAZZER_FUZZ=1 nice timeout --kill-after=30 $((seconds + 240)) mvn "${mvn_flags[@]}" surefire:test \
    -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
    -Disc.jvm.args="--enable-native-access=ALL-UNNAMED -Xmx1g" \
    -Djunit.jupiter.execution.timeout.mode=disabled \
    -Djazzer.internal.arg.0=fuzz \
    -Djazzer.internal.arg.1=-timeout=1 \
    -Djazzer.internal.arg.2=-max_len="$(max_len "$target")" \
    -Djazzer.internal.arg.3=-rss_limit_mb=4096 \
    -Djazzer.internal.arg.4=-max_total_time="$seconds" \
    -Djazzer.internal.arg.5=-print_final_stats=1 >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  runs=$(grep -aoE 'Done [0-9]+ runs' "$log" | tail -1 | grep -oE '[0-9]+')
  [[ -n "$runs" ]] || runs=$(grep -aoE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  [[ -n "$runs" ]] || runs=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
  after=$(ls "$dir" 2>/dev/null | grep -E '^(crash|timeout|oom|leak|slow-unit)-' | sort)
  new=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)
  if [[ -n "$new" ]] || (( rc != 0 )); then
    status=1
    finding=$(grep -aE '^== Java Exception:|^==[0-9]+== ERROR: libFuzzer|ALARM: working on the last Unit|out-of-memory|hs_err' "$log" | head -3 | tr '\n' ' ')
    summary+=("$(printf '%-36s %10s runs %5ss  FINDING (exit %s) %s %s' "$target" "${runs:-?}" "$took" "$rc" "$(echo $new)" "$finding")")
  else
    summary+=("$(printf '%-36s %10s runs %5ss  no finding' "$target" "${runs:-?}" "$took")")
  fi
  echo "${summary[-1]}"
done

echo
echo "==> summary (${seconds}s per target; logs in target/fuzz/)"
printf '%s\n' "${summary[@]}"
exit $status
