#!/usr/bin/env bash
# The GPU measurements, on a machine with nvcc, CMake and PyTorch (no Java needed): builds the
# CUDA harness, checks every kernel against the CPU library and times it, times the PyTorch peers
# (GeM eager and torch.compile, mm + topk, the eager loss) in the same session on the same GPU,
# and writes logs, JSON and a comparison table to benchmarks/results/gpu-<gpu>-<time>/.
#   benchmarks/gpu/run.sh [--sanitize]    --sanitize: first a memcheck and a racecheck pass
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$root/build/cuda}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DISC_WITH_CUDA=ON >/dev/null
cmake --build "$build" --target isc_cuda_harness -j "$(nproc)" >/dev/null
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1 | tr -c 'A-Za-z0-9\n' '-' | tr -s '-')
out="$root/benchmarks/results/gpu-${gpu%-}-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt"
if [[ "${1:-}" == "--sanitize" ]]; then
  for tool in memcheck racecheck; do
    compute-sanitizer --tool "$tool" "$build/bin/isc_cuda_harness" --check-only > "$out/$tool.log" 2>&1 || true
    tail -n 3 "$out/$tool.log"
  done
fi
"$build/bin/isc_cuda_harness" --json "$out/harness.json" | tee "$out/harness.log"
for script in gem knn loss; do
  python3 "$here/${script}_torch.py" --json "$out/${script}_torch.json" | tee "$out/${script}_torch.log"
done
python3 "$here/compare.py" "$out/harness.json" "$out"/{gem,knn,loss}_torch.json | tee "$out/comparison.md"
echo "results in $out"
