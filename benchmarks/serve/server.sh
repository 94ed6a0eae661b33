# Sourced by the benchmarks that run `isc serve` (serve/, abuse/, soak/): a scratch folder $work,
# removed on exit with the server ($pid) and a load generator ($loader) still running; the model
# options $model (MODEL, else the mini recipe's pretrained MobileNetV2 start at 160 px, 256-d); an
# API token $token, also in $work/token; and the helpers below.
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
day=$(date +%F)
work=$(mktemp -d)
pid=
loader=
cleanup() { [[ -n "$loader" ]] && kill "$loader" 2>/dev/null; [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
if [[ -n "${MODEL:-}" ]]; then model=(--model "$MODEL")
else model=(--model mobilenetv2 --pretrained nsfwjs-mobilenet_v2 --input-size 160 --dim 256 --gem-p 3); fi
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$token" > "$work/token"

# open_result DIR NAME [TAG]: sets $result, the emptied file DIR/NAME-DAY[-TAG].jsonl
open_result() { mkdir -p "$1"; result="$1/$2-$day${3:+-$3}.jsonl"; : > "$result"; }

# machine: processors, CPU model and its widest vector ISA, for the first line of a result
machine() {
  local isa
  isa=$(grep -qw avx512f /proc/cpuinfo && echo avx512 || { grep -qw avx2 /proc/cpuinfo && echo avx2 || echo "no avx2"; })
  echo "$(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $isa"
}

# wait_ready URL LOG: polls URL/readyz until the server answers and sets ready_ms, the time that
# took; if the server ($pid) exits first, shows the end of LOG and stops the benchmark.
wait_ready() {
  local t0
  t0=$(date +%s%N)
  until curl -sf "$1/readyz" > /dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -50 "$2" >&2; exit 1; }
    sleep 0.05
  done
  ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
