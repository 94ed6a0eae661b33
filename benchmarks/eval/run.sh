#!/usr/bin/env bash
# Evaluation time of 500 000 predictions: isc (JMH EvaluateBenchmark) and the numpy transcription
# of the official metric (official_metric.py) on the same files, one session; prints both metrics
# so they can be compared too.
#   benchmarks/eval/run.sh [OUT_DIR]
# Needs the engine installed (mvn install at the root) and Debian's python3-numpy.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
out=${1:-$here/../results}
day=$(date +%F)
case_dir=$(mktemp -d)
trap 'rm -rf "$case_dir"' EXIT
mkdir -p "$out"
"$here/../run" EvaluateBenchmark -p dir="$case_dir" -rf json -rff "$out/jmh-evaluate-$day.json" \
  | tee "$out/jmh-evaluate-$day.log"
"$here/../../isc" evaluate --predictions "$case_dir/predictions.csv" --ground-truth "$case_dir/ground_truth.csv" \
  --json | tee "$out/isc-evaluate-metrics-$day.json"
/usr/bin/python3 "$here/official_metric.py" "$case_dir/predictions.csv" "$case_dir/ground_truth.csv" --repeat 5 \
  | tee "$out/numpy-evaluate-$day.json"
