#!/usr/bin/env bash
# Augmentation throughput on one core, isc (JMH AugmentBenchmark) and torchvision/PIL
# (torchvision_peer.py) on the same input in one session, then the comparison table.
#   benchmarks/augment/run.sh IMAGE [OUT_DIR]
# Needs the engine installed (mvn install at the root) and Debian's python3-torchvision.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
image=${1:?usage: run.sh IMAGE [OUT_DIR]}
out=${2:-$here/../results}
day=$(date +%F)
mkdir -p "$out"
"$here/../run" AugmentBenchmark -p image="$image" -rf json -rff "$out/jmh-augment-cpu-$day.json" | tee "$out/jmh-augment-cpu-$day.log"
/usr/bin/python3 "$here/torchvision_peer.py" --image "$image" --json "$out/torchvision-augment-cpu-$day.json"
python3 "$here/compare.py" "$out/jmh-augment-cpu-$day.json" "$out/torchvision-augment-cpu-$day.json" \
  | tee "$out/augment-compare-$day.md"
