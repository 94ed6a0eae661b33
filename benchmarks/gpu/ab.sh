#!/usr/bin/env bash
# Two versions of libisc_cuda side by side in one run, with one harness binary (the C ABI is the
# same): checks the new one, then times both on the same GPU and prints new/old per record.
#   benchmarks/gpu/ab.sh OLD_LIB_DIR NEW_LIB_DIR [harness options, e.g. --kernels loss]
# Each LIB_DIR holds libisc_cuda.so and libisc_cpu.so, for instance of an older commit:
#   git worktree add /tmp/old REV && cmake -S /tmp/old -B /tmp/old/build -DISC_WITH_CUDA=ON \
#     -DISC_WITH_FAISS=OFF && cmake --build /tmp/old/build --target isc_cuda   # -> build/lib
# Environment: HARNESS (default build/cuda/bin/isc_cuda_harness), RESULTS_DIR.
set -uo pipefail
if [[ $# -lt 2 ]]; then
  sed -n '2,8p' "$0" >&2
  exit 2
fi
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$(cd "$here/../.." && pwd)
old=$(readlink -f "$1") new=$(readlink -f "$2")
shift 2
harness=${HARNESS:-$root/build/cuda/bin/isc_cuda_harness}
out=${RESULTS_DIR:-"$root/benchmarks/results/gpu-ab-$(date -u +%Y%m%dT%H%M%SZ)"}
mkdir -p "$out"
LD_LIBRARY_PATH="$new" "$harness" --check-only "$@" > "$out/check-new.log" 2>&1 || {
  tail -n 20 "$out/check-new.log"
  echo "the new library fails its checks; nothing timed" >&2
  exit 1
}
for side in old new; do
  LD_LIBRARY_PATH="${!side}" "$harness" --bench-only "$@" --json "$out/$side.json" > "$out/$side.log" 2>&1 || exit 1
done
python3 "$here/compare.py" --ab "$out/old.json" "$out/new.json" | tee "$out/ab.md"
