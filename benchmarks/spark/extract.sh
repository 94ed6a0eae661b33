#!/usr/bin/env bash
# The same extraction single-process (isc extract) and as a Spark job (isc spark extract) in
# embedded sessions local[1] and local[2], each command timed from launch to exit (JVM, LibTorch
# and, for Spark, the session's start included), RUNS times in turn; checks that the shards of
# every Spark run, read in order, hold the same ids as isc extract's file and the same descriptors
# within 1e-6 (SameDescriptors.java). The images: the first IMAGES of IMAGES_DIR in path order (by
# default the mini-DISC references that `isc reproduce --preset mini` leaves in the cache). The
# model: MODEL, else the pretrained MobileNetV2 at 160 px, 256-d (isc model convert; nsfwjs's
# weights, random ones if they cannot be had: the same work per image).
#   benchmarks/spark/extract.sh [IMAGES_DIR] [OUT_DIR]
# IMAGES (500), RUNS (3), BATCH (32), WORKERS (isc extract's decoding threads, default: all
# processors), TASK_WORKERS (each Spark task's, 1), PARTITIONS (default: isc spark extract's own),
# MODEL and ISC_CACHE (~/.cache/isc) can be set in the environment; ISC_TORCH_THREADS is passed on.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
root=$here/../..
cache=${ISC_CACHE:-$HOME/.cache/isc}
images_dir=${1:-$cache/reproduce-mini/mini-disc/reference_images}
[[ -d "$images_dir" ]] || { echo "usage: extract.sh [IMAGES_DIR] [OUT_DIR] (no folder $images_dir)" >&2; exit 2; }
out=${2:-$here/../results}
images=${IMAGES:-500} runs=${RUNS:-3} batch=${BATCH:-32} workers=${WORKERS:-$(nproc)} task_workers=${TASK_WORKERS:-1}
partitions=(${PARTITIONS:+--partitions "$PARTITIONS"})
for f in target/classpath.txt target/classpath-spark.txt target/classes/org/iscengine/cli/IscCli.class; do
  [[ -f "$root/$f" ]] || { echo "extract.sh: $f missing: build first (mvn -DskipTests package)" >&2; exit 2; }
done
day=$(date +%F)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cp=$root/target/classes:$(cat "$root/target/classpath.txt")
result="$out/spark-extract-$day.jsonl"
: > "$result"

# The image list: absolute paths, so ids are the file names without extension (R000000...).
find "$(readlink -f "$images_dir")" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \
  -o -iname '*.bmp' -o -iname '*.tif' -o -iname '*.tiff' \) | LC_ALL=C sort | awk -v n="$images" 'NR <= n' > "$work/images.txt"
listed=$(wc -l < "$work/images.txt")
(( listed > 0 )) || { echo "extract.sh: no images in $images_dir" >&2; exit 2; }

if [[ -n "${MODEL:-}" ]]; then
  model=$MODEL model_source="$MODEL"
else
  model=$work/model.iscm
  arch=(--model mobilenetv2 --input-size 160 --dim 256 --gem-p 3)
  if "$root/isc" model convert "${arch[@]}" --pretrained nsfwjs-mobilenet_v2 --out "$model" > "$work/model.log" 2>&1; then
    model_source="mobilenetv2 160 px 256-d, nsfwjs-mobilenet_v2 weights"
  else
    echo "extract.sh: pretrained weights unavailable ($(tail -n 1 "$work/model.log")); random weights instead" >&2
    "$root/isc" model convert "${arch[@]}" --random --out "$model" > "$work/model.log" 2>&1 \
      || { cat "$work/model.log" >&2; exit 1; }
    model_source="mobilenetv2 160 px 256-d, random weights"
  fi
fi
printf '{"name":"setup","images_dir":"%s","images":%d,"model":"%s","batch":%d,"workers":%d,"task_workers":%d,"partitions":"%s","nproc":%d,"isc_torch_threads":"%s"}\n' \
  "$images_dir" "$listed" "$model_source" "$batch" "$workers" "$task_workers" "${PARTITIONS:-default}" "$(nproc)" \
  "${ISC_TORCH_THREADS:-}" | tee -a "$result"

source "$here/timed.sh"

for run in $(seq 1 "$runs"); do
  # Fresh outputs each run: isc extract resumes from OUT.parts/, isc spark extract reuses its shards.
  rm -rf "$work/extract.h5" "$work/extract.h5.parts" "$work"/spark-local-* "$work"/*.failures.txt
  timed extract "$root/isc" extract --model "$model" --images "$work/images.txt" --out "$work/extract.h5" \
    --batch "$batch" --workers "$workers"
  for master in 1 2; do
    timed "spark-local-$master" "$root/isc" spark extract --master "local[$master]" --model "$model" \
      --images "$work/images.txt" --out "$work/spark-local-$master" --batch "$batch" --workers "$task_workers" \
      "${partitions[@]}"
  done
  (cd "$work" && java -cp "$cp" "$here/SameDescriptors.java" 1e-6 extract.h5 spark-local-1 spark-local-2 \
    2> compare.log > compare.jsonl) || { cat "$work/compare.jsonl" "$work/compare.log" >&2; exit 1; }
  sed "s/^{/{\"name\":\"compare\",\"run\":$run,/" "$work/compare.jsonl" | tee -a "$result"
done
echo "every Spark run's shards hold isc extract's ids and descriptors within 1e-6" | tee -a "$out/spark-extract-$day.log"
