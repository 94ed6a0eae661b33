#!/usr/bin/env python3
"""The ISC21 metric as the challenge's evaluation computes it (shared/ANCHORS.md, section 3),
written with numpy: the peer of IscEvaluation in benchmarks/RESULTS.md, and a cross-check of its
numbers. Reads the same CSV files; rows of queries absent from the ground truth are ignored.

  /usr/bin/python3 benchmarks/eval/official_metric.py PREDICTIONS.csv GROUND_TRUTH.csv [--repeat N]

Prints JSON: the metrics and the median time of an evaluation (CSV parsing included)."""
import argparse
import json
import time

import numpy as np


def read_ground_truth(path):
    queries, matches = set(), set()
    with open(path) as f:
        for i, line in enumerate(f):
            if i == 0 and line.startswith("query_id"):
                continue
            q, r = line.rstrip("\n").split(",")
            queries.add(q)
            if r:
                matches.add((q, r))
    return queries, matches


def evaluate(pred_path, gt_path):
    queries, matches = read_ground_truth(gt_path)
    q, r, s = [], [], []
    with open(pred_path) as f:
        next(f)
        for line in f:
            a, b, c = line.rstrip("\n").split(",")
            if a in queries:
                q.append(a)
                r.append(b)
                s.append(float(c))
    if len(set(zip(q, r))) != len(q):
        raise ValueError("Predictions contains duplicates.")
    scores = np.array(s)
    y_true = np.array([(a, b) in matches for a, b in zip(q, r)], dtype=bool)
    # Worst case among equal scores: false positives first.
    order = np.lexsort((y_true, -scores))
    y = y_true[order]
    ntp = np.cumsum(y)
    precision = ntp / np.arange(1, len(y) + 1)
    recall = ntp / len(matches)
    ap = float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))
    ok = precision >= 0.9
    recall_p90 = float(recall[ok].max()) if ok.any() else None
    # Ranks: a match's rank among its query's predictions = how many score at least as high, minus 1.
    by_query = {}
    for a, b, c in zip(q, r, s):
        by_query.setdefault(a, []).append((b, c))
    rank1 = rank10 = 0
    for a, b in matches:
        res = by_query.get(a, [])
        hit = [c for bb, c in res if bb == b]
        if hit:
            rank = sum(1 for _, c in res if c >= hit[0]) - 1
            rank1 += rank == 0
            rank10 += rank < 10
    n = len(matches)
    return {"microAveragePrecision": ap, "recallAtP90": recall_p90, "recallAtRank1": rank1 / n,
            "recallAtRank10": rank10 / n, "predictions": len(q)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("predictions")
    p.add_argument("ground_truth")
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    times = []
    for _ in range(a.repeat):
        start = time.perf_counter()
        metrics = evaluate(a.predictions, a.ground_truth)
        times.append(time.perf_counter() - start)
    print(json.dumps({"metrics": metrics, "seconds": sorted(times)[len(times) // 2], "repeat": a.repeat}))


if __name__ == "__main__":
    main()
