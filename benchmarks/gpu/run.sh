#!/usr/bin/env bash
# The GPU measurements, on a machine with nvcc, CMake and PyTorch (no Java needed): builds the
# CUDA harness, checks every kernel against the CPU library, times it, times the PyTorch peers
# (GeM eager and torch.compile, mm + topk, the eager loss) in the same session on the same GPU,
# and writes logs, JSON and a comparison table to benchmarks/results/gpu-<gpu>-<time>/.
#   benchmarks/gpu/run.sh [--sanitize]
#     --sanitize: also compute-sanitizer memcheck (small shapes, every kernel) and racecheck
#                 (small shapes, the kernels that share memory between threads: kNN and loss)
# Environment: HARNESS=an isc_cuda_harness built elsewhere (skips the build; its libisc_cpu and
# libisc_cuda found through LD_LIBRARY_PATH), RESULTS_DIR=where to write, KNN_K=k of the timed
# searches (default 10,100,1024), STEP_TIMEOUT=seconds each step may take (default 900).
set -uo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(cd "$here/../.." && pwd)
harness=${HARNESS:-}
if [[ -z "$harness" ]]; then
  build=${BUILD_DIR:-$root/build/cuda}
  # FAISS is not needed by the harness: a machine with only the CUDA toolkit builds it.
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DISC_WITH_CUDA=ON -DISC_WITH_FAISS=OFF >/dev/null || exit 2
  cmake --build "$build" --target isc_cuda_harness -j "$(nproc)" >/dev/null || exit 2
  harness="$build/bin/isc_cuda_harness"
fi
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1 | tr -c 'A-Za-z0-9\n' '-' | tr -s '-')
out=${RESULTS_DIR:-"$root/benchmarks/results/gpu-${gpu%-}-$(date -u +%Y%m%dT%H%M%SZ)"}
mkdir -p "$out"
{ nvidia-smi; nvcc --version 2>/dev/null; } > "$out/nvidia-smi.txt"
limit=${STEP_TIMEOUT:-900}
status=0
# step NAME COMMAND...: runs with a time limit, output to NAME.log, progress to the terminal.
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  timeout "$limit" "$@" > "$out/$name.log" 2>&1 || rc=$?
  echo "$name: exit $rc after $((SECONDS - start)) s"
  return "$rc"
}
step check "$harness" --check-only || status=1
grep -E "FAILED|check\(s\) failed" "$out/check.log" | tail -n 20
step bench "$harness" --bench-only --knn-k "${KNN_K:-10,100,1024}" --json "$out/harness.json" || status=1
for script in gem knn loss; do
  step "${script}_torch" python3 "$here/${script}_torch.py" --json "$out/${script}_torch.json" || status=1
done
if [[ -f "$out/harness.json" ]]; then
  python3 "$here/compare.py" "$out/harness.json" "$out"/{gem,knn,loss}_torch.json | tee "$out/comparison.md"
fi
if [[ "${1:-}" == "--sanitize" ]]; then
  step memcheck compute-sanitizer --tool memcheck "$harness" --check-only --small
  step racecheck compute-sanitizer --tool racecheck "$harness" --check-only --small --kernels knn,loss
  grep -h "SUMMARY" "$out/memcheck.log" "$out/racecheck.log"
fi
echo "results in $out"
exit "$status"
