#!/usr/bin/env python3
"""Where the time of a load run went, from two scrapes of isc serve's /metrics taken before and
after it: per detector stage (decode, network, search) and for the match route, the count and
the p50/p90/p99 estimated from the histogram buckets (linear inside a bucket, as Prometheus's
histogram_quantile does). One JSON line per series.

    stages.py BEFORE.txt AFTER.txt [LABEL=VALUE ...]   (extra fields for every line)
"""
import json
import re
import sys

SERIES = re.compile(r'^(isc_stage_duration_seconds|isc_http_request_duration_seconds)_bucket\{(.*),le="([^"]+)"\} (\d+)$')


def buckets(path):
    out = {}
    for line in open(path):
        m = SERIES.match(line.strip())
        if m:
            le = float("inf") if m[3] == "+Inf" else float(m[3])
            out.setdefault((m[1], m[2]), {})[le] = int(m[4])
    return out


def quantile(q, cumulative):
    bounds = sorted(cumulative)
    total = cumulative[bounds[-1]]
    rank, lower, below = q * total, 0.0, 0
    for b in bounds:
        if cumulative[b] >= rank:
            if b == float("inf"):
                return lower
            inside = cumulative[b] - below
            return lower + (b - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = b, cumulative[b]
    return lower


def main(before_path, after_path, extra):
    before, after = buckets(before_path), buckets(after_path)
    for (name, labels), counts in sorted(after.items()):
        if name.startswith("isc_http") and 'route="match"' not in labels:
            continue
        diff = {le: n - before.get((name, labels), {}).get(le, 0) for le, n in counts.items()}
        total = diff[float("inf")]
        if total == 0:
            continue
        series = labels.split('"')[1] if name.startswith("isc_stage") else "match (server)"
        row = dict(extra, mode="stages", series=series, count=total)
        for q in (0.5, 0.9, 0.99):
            row[f"p{round(q * 100)}Ms"] = round(1000 * quantile(q, diff), 2)
        print(json.dumps(row))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2], dict(arg.split("=", 1) for arg in sys.argv[3:]))
