#!/usr/bin/env bash
# Restart time of `isc serve` with a store of REFS references, and where it goes. A store is filled
# with random unit descriptors (POST /v1/references, batches of 1 000) and the server stopped with
# SIGTERM (which writes the final snapshot); then the server is started RUNS times on that store,
# each until /readyz answers, and once more with the snapshots moved away (the whole log replayed).
# Each start reports the time from launch to ready and, from the server's own lines, the JVM's
# uptime at ready and when the command started (JVM start, class loading, LibTorch's libraries), the model load, the detector build (convolution check, weights to the device,
# reference store) and the reference store's open (snapshot load + log replay, records replayed).
#   benchmarks/serve/restart.sh [OUT_DIR]
# MODEL (default: run.sh's fallback, the pretrained MobileNetV2 at 160 px, 256-d), REFS (default
# 100000) and RUNS (default 3) can be set in the environment.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
source "$here/server.sh"
out=${1:-$here/../results}
refs=${REFS:-100000}
runs=${RUNS:-3}
open_result "$out" serve-restart

serve() {  # serve LOG: starts isc serve on the store, waits until ready; sets url, ready_ms
  local port=$((22000 + RANDOM % 2000))
  ISC_LOG_LEVEL=INFO "$root/isc" serve "${model[@]}" --device cpu --store "$work/store" --port "$port" --token-file "$work/token" \
    --snapshot-every 0 > "$1" 2>&1 &
  pid=$!
  url=http://127.0.0.1:$port
  wait_ready "$url" "$1"
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=; }
report() {  # report MODE LOG: one JSON line from the time to ready and the server's own lines
  local store jvm command modelms detector replayed
  store=$(sed -nE 's/.*opened in ([0-9]+) ms \(([0-9]+) log records replayed\).*/\1/p' "$2" | tail -1)
  replayed=$(sed -nE 's/.*opened in ([0-9]+) ms \(([0-9]+) log records replayed\).*/\2/p' "$2" | tail -1)
  read -r jvm command modelms detector < <(sed -nE 's/.*ready ([0-9]+) ms after the JVM started: this command from ([0-9]+) ms, model ([0-9]+) ms, detector and reference store ([0-9]+) ms.*/\1 \2 \3 \4/p' "$2" | tail -1)
  echo "{\"mode\":\"$1\",\"readyMs\":$ready_ms,\"jvmUptimeAtReadyMs\":$jvm,\"commandStartedMs\":$command,\"modelMs\":$modelms,\"detectorMs\":$detector,\"storeOpenMs\":$store,\"logRecordsReplayed\":$replayed,\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$result"
}

serve "$work/fill.log"
dim=$(curl -sf -H "Authorization: Bearer $token" "$url/v1/info" | sed -E 's/.*"dimension":([0-9]+).*/\1/')
echo "{\"machine\":\"$(machine)\",\"date\":\"$day\",\"model\":\"${model[*]}\",\"dimension\":$dim,\"references\":$refs}" | tee -a "$result"
report "first start, empty store" "$work/fill.log"
java "$here/LoadGen.java" ingest "$url" "$token" "$dim" "$refs" 1000 7 | tee -a "$result"
stop
for i in $(seq "$runs"); do
  serve "$work/restart-$i.log"
  report "restart $i" "$work/restart-$i.log"
  stop
done
mv "$work/store/snapshots" "$work/snapshots-aside"
serve "$work/no-snapshot.log"
report "restart, snapshots moved away" "$work/no-snapshot.log"
stop
echo "results: $result"
