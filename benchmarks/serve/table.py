#!/usr/bin/env python3
"""Markdown tables of a benchmarks/serve/run.sh result (serve-load-DATE.jsonl): match latency and
throughput per concurrency for the batched server and its unbatched peer side by side, then the
ingest and restart figures."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
head = rows[0]
print(f"Machine: {head['machine']}; model `{head['model']}` ({head['dimension']}-d); "
      f"{head['references']:,} references.\n")
match = {(r["server"], r["concurrency"]): r for r in rows if r.get("mode") == "match"}
print("| concurrency | batched req/s | batched p50 ms | batched p99 ms | unbatched req/s | unbatched p99 ms "
      "| throughput batched / unbatched |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for c in sorted({c for _, c in match}):
    b, u = match.get(("max-batch 16", c)), match.get(("max-batch 1", c))
    if b is None or u is None:
        continue
    print(f"| {c} | {b['perSecond']:.1f} | {b['p50Ms']:.1f} | {b['p99Ms']:.1f} | {u['perSecond']:.1f} "
          f"| {u['p99Ms']:.1f} | {b['perSecond'] / u['perSecond']:.2f}x |")
print()
for r in rows:
    if r.get("mode") == "ingest-descriptors":
        print(f"- Ingest, descriptors in bulk (batches of {r['batch']}, one log sync each): "
              f"{r['perSecond']:,.0f} references/s ({r['items']:,} in {r['seconds']:.1f} s, errors {r['errors']}).")
    elif r.get("mode") == "ingest-images":
        print(f"- Ingest, images one by one (decode + network + log sync per image): {r['perSecond']:.1f} images/s, "
              f"p50 {r['p50Ms']:.1f} ms, p99 {r['p99Ms']:.1f} ms.")
    elif r.get("mode") == "restart":
        print(f"- Restart with {r['references']:,} references (JVM start, model, snapshot load, log replay) "
              f"until /readyz answers: {r['readyMs'] / 1000:.1f} s.")
stages = [r for r in rows if r.get("mode") == "stages"]
if stages:
    print("\nWhere the batched server's time went (server histograms, before/after each level):\n")
    print("| concurrency | series | count | p50 ms | p90 ms | p99 ms |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in stages:
        print(f"| {r['concurrency']} | {r['series']} | {r['count']} | {r['p50Ms']:.1f} | {r['p90Ms']:.1f} "
              f"| {r['p99Ms']:.1f} |")
