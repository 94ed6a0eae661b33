#!/usr/bin/env bash
# The same exact search single-process (isc match --k) and as a Spark job (isc spark search --k) in
# embedded sessions local[1] and local[2], each command timed from launch to exit (JVM, LibTorch
# and, for Spark, the session's start included), RUNS times in turn; checks that every CSV is the
# same bytes as isc match's. Random unit descriptors: FILES reference files of ROWS rows, QUERIES
# queries, DIM dimensions (RandomDescriptors.java, fixed seeds).
#   benchmarks/spark/search.sh [OUT_DIR]
# FILES (8), ROWS (25000), QUERIES (2000), DIM (256), K (100) and RUNS (3) can be set in the environment.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$here/../..
out=${1:-$here/../results}
files=${FILES:-8} rows=${ROWS:-25000} queries=${QUERIES:-2000} dim=${DIM:-256} k=${K:-100} runs=${RUNS:-3}
day=$(date +%F)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cp=$root/target/classes:$(cat "$root/target/classpath.txt")
java -cp "$cp" "$here/RandomDescriptors.java" "$work/refs" R "$files" "$rows" "$dim" 1 2>/dev/null
java -cp "$cp" "$here/RandomDescriptors.java" "$work/queries" Q 1 "$queries" "$dim" 2 2>/dev/null
references=$(ls "$work"/refs*.h5 | paste -sd, -)
result="$out/spark-search-$day.jsonl"
: > "$result"

source "$here/timed.sh"

for run in $(seq 1 "$runs"); do
  timed match "$root/isc" match --queries "$work/queries.h5" --references "$references" --k "$k" \
    --out "$work/match.csv"
  for master in 1 2; do
    timed "spark-local-$master" "$root/isc" spark search --master "local[$master]" \
      --queries "$work/queries.h5" --references "$references" --k "$k" --out "$work/spark.csv"
    cmp "$work/match.csv" "$work/spark.csv"
  done
done
echo "every CSV is the same bytes as isc match's" | tee -a "$out/spark-search-$day.log"
