#!/usr/bin/env bash
# LibTorch's CPU threads, A/B in one session: ISC_TORCH_THREADS=1 (what LibTorch's own count gives
# on VMs whose CPUID topology leaves are empty) against the engine's default, the physical cores
# (ComputeThreads); OpenBLAS on one thread in both. Per setting, one after the other:
#   - training: the first STEPS steps of the mini recipe (median images/s of metrics.jsonl, the
#     first 5 steps left out), from the mini-DISC training images;
#   - extraction: `isc extract` of the 500 mini-DISC queries with the mini model (images/s);
#   - serving: benchmarks/serve/run.sh at one client (CONCURRENCY=1), the mini model.
# Needs `isc reproduce --preset mini` done (its folder under ISC_CACHE, default ~/.cache/isc).
#   benchmarks/threads/run.sh [STEPS] [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$here/../..
steps=${1:-30}
out=${2:-$here/../results}
cache=${ISC_CACHE:-$HOME/.cache/isc}/reproduce-mini
[[ -f "$cache/train/model.iscm" ]] || { echo "no mini model at $cache/train: run ./isc reproduce --preset mini" >&2; exit 2; }
mkdir -p "$out"
result="$out/threads-$(date +%F).jsonl"
: > "$result"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for setting in 1 default; do
  if [[ "$setting" == 1 ]]; then export ISC_TORCH_THREADS=1; else unset ISC_TORCH_THREADS; fi
  threads=$("$root/isc" info --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["libtorch"]["threads"])')
  echo "# LibTorch threads: $threads (ISC_TORCH_THREADS=${ISC_TORCH_THREADS:-unset})" >&2
  "$root/isc" train --recipe mini --images "$cache/mini-disc/training_images" --out "$work/train-$setting" \
    --stop-after "$steps" > "$work/train-$setting.log" 2>&1
  train=$(python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if "imagesPerSecond" in l]
print(round(statistics.median(r["imagesPerSecond"] for r in rows[5:]), 2))' "$work/train-$setting/metrics.jsonl")
  extract=$("$root/isc" extract --model "$cache/train/model.iscm" --images "$cache/mini-disc/query_images" \
    --out "$work/q-$setting.h5" --json 2>/dev/null | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["imagesPerSecond"], 1))')
  echo "{\"torchThreads\":$threads,\"trainImagesPerSecond\":$train,\"extractImagesPerSecond\":$extract}" | tee -a "$result"
  MODEL="$cache/train/model.iscm" CONCURRENCY=1 "$here/../serve/run.sh" "$cache/mini-disc/query_images" "$work/serve-$setting" \
    > "$work/serve-$setting.log" 2>&1
  grep -h '"server":"max-batch 16",' "$work/serve-$setting"/serve-load-*.jsonl | sed "s/^{/{\"torchThreads\":$threads,/" \
    | tee -a "$result"
done
