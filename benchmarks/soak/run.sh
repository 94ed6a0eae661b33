#!/usr/bin/env bash
# Soak of `isc serve` with kill -9: a mixed write load (single adds, bulk adds of 20, removes, info)
# runs for DURATION seconds while the server is killed with SIGKILL every PERIOD seconds (at a random
# moment, so some kills land in a background snapshot: --snapshot-every is small) and restarted on the
# same store; each restart's time to ready is recorded. At the end every acknowledged reference must
# be there, and nothing but changes in flight at a kill may be there beside them.
#   benchmarks/soak/run.sh [OUT_DIR]
# DURATION (default 300), PERIOD (default 20), DIM (default 64) and SNAPSHOT_EVERY (default 500) can
# be set in the environment. Needs no images and no trained model: references are JSON descriptors.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
source "$here/../serve/server.sh"
out=${1:-$here/../results}
duration=${DURATION:-300}
period=${PERIOD:-20}
dim=${DIM:-64}
snapshot_every=${SNAPSHOT_EVERY:-500}
open_result "$out" soak
port=$((20000 + RANDOM % 2000))
url=http://127.0.0.1:$port
javac -d "$work/classes" "$here/Soak.java"
soak() { java -cp "$work/classes" Soak "$@"; }

serve() {  # starts isc serve on the store and waits until it is ready; sets ready_ms
  "$root/isc" serve --model mobilenetv2 --dim "$dim" --input-size 96 --device cpu --store "$work/store" \
    --port "$port" --token-file "$work/token" --snapshot-every "$snapshot_every" >> "$work/serve.log" 2>&1 &
  pid=$!
  wait_ready "$url" "$work/serve.log"
}

echo "{\"machine\":\"$(machine)\",\"date\":\"$day\",\"seconds\":$duration,\"killEverySeconds\":$period,\"dimension\":$dim,\"snapshotEvery\":$snapshot_every}" | tee -a "$result"
serve
soak load "$url" "$token" "$dim" "$duration" "$work/ledger" "$RANDOM" > "$work/load.json" &
loader=$!
kills=0
end=$(( $(date +%s) + duration ))
while (( $(date +%s) + period < end )); do
  sleep "$(awk -v p="$period" -v r="$RANDOM" 'BEGIN { printf "%.2f", p * (0.5 + r / 65536) }')"
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  kills=$((kills + 1))
  serve
  echo "{\"kill\":$kills,\"readyMs\":$ready_ms}" | tee -a "$result"
done
wait "$loader"; loader=
sed 's/^{/{"kills":'"$kills"',/' "$work/load.json" | tee -a "$result"
soak verify "$url" "$token" "$work/ledger" | tee -a "$result"
