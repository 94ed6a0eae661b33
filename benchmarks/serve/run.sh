#!/usr/bin/env bash
# Load benchmark of `isc serve` on loopback: a store of 100 000 references, then closed-loop match
# requests (mini-DISC query images) at several concurrencies, against three servers in the same
# run on the same references: micro-batching on (--max-batch 16) and off (--max-batch 1), and a
# FAISS index (PEER_INDEX, default IDMap2,Flat) in place of the exact kernel. Also the ingest rates
# (descriptors in bulk, images one by one), the restart time with 100 000 references, the rebuild
# from the log into the FAISS index, and, from the servers' own histograms, where the batched
# servers' time went per level (stages.py).
#   benchmarks/serve/run.sh [QUERY_IMAGES_DIR] [OUT_DIR]
# QUERY_IMAGES_DIR defaults to the mini-DISC queries made by `isc reproduce --preset mini`.
# MODEL (default: the mini recipe's trained model, else its pretrained MobileNetV2 start), INDEX
# (default exact), PEER_INDEX, REFS (default 100000), REQUESTS (per concurrency, default 400) and
# CONCURRENCY (default "1 2 4 8 16") can be set in the environment.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
source "$here/server.sh"
cache=${XDG_CACHE_HOME:-$HOME/.cache}/isc/reproduce-mini
queries=${1:-$cache/mini-disc/query_images}
out=${2:-$here/../results}
refs=${REFS:-100000}
requests=${REQUESTS:-400}
concurrency=${CONCURRENCY:-1 2 4 8 16}
index=${INDEX:-exact}
peer_index=${PEER_INDEX:-IDMap2,Flat}
open_result "$out" serve-load
[[ -d "$queries" ]] || { echo "no query images at $queries: run ./isc reproduce --preset mini, or pass a folder" >&2; exit 2; }
[[ -z "${MODEL:-}" && -f "$cache/train/model.iscm" ]] && model=(--model "$cache/train/model.iscm")
loadgen() { java "$here/LoadGen.java" "$@"; }

serve() {  # serve NAME MAX_BATCH INDEX: starts isc serve on the shared store, waits until ready
  local port=$((18000 + RANDOM % 2000))
  "$root/isc" serve "${model[@]}" --device cpu --store "$work/store" --index "$3" --port "$port" --token-file "$work/token" \
    --max-batch "$2" --max-wait-ms 0 --snapshot-every 200000 > "$work/$1.log" 2>&1 &
  pid=$!
  url=http://127.0.0.1:$port
  wait_ready "$url" "$work/$1.log"
}

stop() {
  kill -TERM "$pid"; wait "$pid" || true; pid=
}

held() {  # held MODE: every acknowledged reference is back after a restart
  local n
  n=$(curl -sf -H "Authorization: Bearer $token" "$url/v1/info" | sed -E 's/.*"references":([0-9]+).*/\1/')
  [[ "$n" == "$((refs + 200))" ]] || { echo "$1: $n references, $((refs + 200)) were acknowledged" >&2; exit 1; }
  echo "{\"mode\":\"$1\",\"references\":$n,\"readyMs\":$ready_ms}" | tee -a "$result"
}
scrape() { curl -sf -H "Authorization: Bearer $token" "$url/metrics" > "$1"; }
levels() {  # levels LABEL: closed-loop match requests at each concurrency, with the stages of each
  for c in $concurrency; do
    scrape "$work/before.txt"
    loadgen match "$url" "$token" "$queries" "$c" "$requests" | sed "s/^{/{\"server\":\"$1\",/" | tee -a "$result"
    scrape "$work/after.txt"   # where the time went: stages of the detector, from its histograms
    python3 "$here/stages.py" "$work/before.txt" "$work/after.txt" server="$1" concurrency="$c" | tee -a "$result"
  done
}

serve batched 16 "$index"
dim=$(curl -sf -H "Authorization: Bearer $token" "$url/v1/info" | sed -E 's/.*"dimension":([0-9]+).*/\1/')
echo "{\"machine\":\"$(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\",\"date\":\"$day\",\"model\":\"${model[*]}\",\"index\":\"$index\",\"dimension\":$dim,\"references\":$refs}" | tee -a "$result"
loadgen ingest "$url" "$token" "$dim" "$refs" 1000 7 | tee -a "$result"
loadgen ingest-images "$url" "$token" "$queries" 200 | tee -a "$result"
levels "max-batch 16"
curl -sf -H "Authorization: Bearer $token" "$url/metrics" | grep -E '^isc_batch_size_(sum|count)' > "$work/batches.txt" || true
stop
serve unbatched 1 "$index"   # the restart also loads the snapshot written at shutdown
held restart
for c in $concurrency; do
  loadgen match "$url" "$token" "$queries" "$c" "$requests" | sed "s/^{/{\"server\":\"max-batch 1\",/" | tee -a "$result"
done
stop
serve peer 16 "$peer_index"   # another index than the snapshot's: rebuilt from the log
held "rebuild into $peer_index"
levels "max-batch 16, $peer_index"
stop
sed 's/^/batched server: /' "$work/batches.txt"
echo "results: $result"
