#!/usr/bin/env bash
# GeM on a GPU machine (needs nvcc, CMake and PyTorch; no Java): builds the CUDA harness, checks
# every kernel against the CPU library and times it, times PyTorch eager and torch.compile on the
# same sizes in the same session, and writes everything to benchmarks/results/gem-<gpu>-<time>/.
#   benchmarks/gpu/run_gem.sh [--sanitize]    --sanitize: also a memcheck and racecheck pass
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
build=${BUILD_DIR:-$root/build/cuda}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DISC_WITH_CUDA=ON >/dev/null
cmake --build "$build" --target isc_cuda_harness -j "$(nproc)" >/dev/null
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1 | tr -c 'A-Za-z0-9\n' '-' | tr -s '-')
out="$root/benchmarks/results/gem-${gpu%-}-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
nvidia-smi > "$out/nvidia-smi.txt"
if [[ "${1:-}" == "--sanitize" ]]; then
  compute-sanitizer --tool memcheck "$build/bin/isc_cuda_harness" --check-only > "$out/memcheck.log" 2>&1
  compute-sanitizer --tool racecheck "$build/bin/isc_cuda_harness" --check-only > "$out/racecheck.log" 2>&1
  tail -n 3 "$out/memcheck.log" "$out/racecheck.log"
fi
"$build/bin/isc_cuda_harness" --json "$out/harness.json" | tee "$out/harness.log"
python3 "$root/benchmarks/gpu/gem_torch.py" --json "$out/torch.json" | tee "$out/torch.log"
python3 "$root/benchmarks/gpu/compare.py" "$out/harness.json" "$out/torch.json" | tee "$out/comparison.md"
echo "results in $out"
