#!/usr/bin/env bash
# Hostile HTTP clients against `isc serve` on loopback, all at once, while a well-behaved client sends
# match requests one at a time (Abuse.java: what is sent, and what each line of the result means).
# The server is set up as benchmarks/serve/run.sh sets it up: the same model, a store of REFS random
# unit descriptors added through POST /v1/references, the launcher's JVM options; no API token, so
# that the checks against web pages (Host, Origin, Content-Type) are the ones in the way.
#   benchmarks/abuse/run.sh [OUT_DIR]
# MODEL (default: run.sh's fallback, the pretrained MobileNetV2 at 160 px, 256-d), REFS (default
# 100000), BASELINE, ABUSE, AFTER (seconds of each phase: 20, 60, 10), PAUSE_MS (between two
# requests of one kind of abuse: 100) and BURST (concurrent requests every 10 s: 500; 0: none) can
# be set in the environment; SERVE_OPTS adds options to `isc serve` (such as shorter queues:
# --threads 4 --max-queued-requests 4 --max-queue 16); TAG names the result file (abuse-DATE-TAG.jsonl).
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
source "$here/../serve/server.sh"
out=${1:-$here/../results}
refs=${REFS:-100000}
open_result "$out" abuse "${TAG:-}"

port=$((24000 + RANDOM % 2000))
url=http://127.0.0.1:$port
"$root/isc" serve "${model[@]}" --device cpu --store "$work/store" --port "$port" ${SERVE_OPTS:-} \
  > "$work/serve.log" 2>&1 &
pid=$!
wait_ready "$url" "$work/serve.log"
dim=$(curl -sf "$url/v1/info" | sed -E 's/.*"dimension":([0-9]+).*/\1/')
echo "{\"machine\":\"$(machine)\",\"date\":\"$day\",\"model\":\"${model[*]}\",\"dimension\":$dim,\"references\":$refs,\"serveOptions\":\"${SERVE_OPTS:-}\",\"loadBefore\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" | tee -a "$result"
java "$root/benchmarks/serve/LoadGen.java" ingest "$url" none "$dim" "$refs" 1000 7 | tee -a "$result"
java -Xss512k "$here/Abuse.java" 127.0.0.1 "$port" "$pid" "${BASELINE:-20}" "${ABUSE:-60}" "${AFTER:-10}" \
  "${PAUSE_MS:-100}" "${BURST:-500}" | tee -a "$result"
echo "{\"loadAfter\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"serverAlive\":$(kill -0 "$pid" 2>/dev/null && echo true || echo false)}" | tee -a "$result"
grep -cE 'ERROR|Exception' "$work/serve.log" | sed 's/^/server log lines with ERROR or Exception: /'
echo "results: $result"
