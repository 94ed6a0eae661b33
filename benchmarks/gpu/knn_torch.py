#!/usr/bin/env python3
"""PyTorch's side of the kNN comparison: torch.mm + torch.topk over reference chunks (the score
matrix of a chunk is materialised, as PyTorch must), merged chunk by chunk, on the sizes
isc_cuda_harness times (50k queries x 1M references x 256, fewer references on a smaller GPU).
fp32, TF32 (allow_tf32) and bf16 inputs; recall of the reduced ones against fp32.

    python3 benchmarks/gpu/knn_torch.py --json knn_torch.json
"""
import argparse
import sys

import torch

from common import median_launch_us, write


def knn(q, r, k, chunk):
    best_s = best_i = None
    for r0 in range(0, r.shape[0], chunk):
        s = q @ r[r0:r0 + chunk].T
        ts, ti = s.topk(min(k, s.shape[1]), dim=1)
        ti = ti + r0
        if best_s is None:
            best_s, best_i = ts, ti
        else:
            ms, pos = torch.cat([best_s, ts], dim=1).topk(k, dim=1)
            best_s, best_i = ms, torch.cat([best_i, ti], dim=1).gather(1, pos)
    return best_s, best_i


def recall(got, want):
    k = want.shape[1]
    hits = sum(len(set(g.tolist()) & set(w.tolist())) for g, w in zip(got.cpu(), want.cpu()))
    return hits / (want.shape[0] * k)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="write the records here")
    parser.add_argument("--batches", type=int, default=5)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    prop = torch.cuda.get_device_properties(0)
    nq, d = 50000, 256
    nr = min(1000000, prop.total_memory // 3 // (d * 4))
    gen = torch.Generator(device="cuda").manual_seed(5)
    q = torch.randn(nq, d, device="cuda", generator=gen)
    r = torch.randn(nr, d, device="cuda", generator=gen)
    # Chunks keep one score matrix near 8 GB.
    chunk = max(1024, (8 << 30) // (nq * 4))
    records = []
    for k in (10, 100, 1024):
        exact = None
        for name in ("fp32", "tf32", "bf16"):
            torch.backends.cuda.matmul.allow_tf32 = name == "tf32"
            qq, rr = (q.bfloat16(), r.bfloat16()) if name == "bf16" else (q, r)
            us = median_launch_us(lambda i: knn(qq, rr, k, chunk), args.batches, 1)
            _, ids = knn(qq, rr, k, chunk)
            rec = dict(kernel="torch_mm_topk", variant="ip-" + name, shape=f"{nq}x{nr}x{d} k{k}", p=0,
                       median_us=us, tflops=2.0 * nq * nr * d / (us * 1e6))
            if name == "fp32":
                exact = ids
            else:
                rec["recall"] = recall(ids, exact)
            records.append(rec)
            if args.json:  # after every case, so a run cut short keeps what it measured
                write(args.json, records, chunk=chunk)
            print(f"{rec['kernel']} {rec['variant']:8} {rec['shape']:26} {us / 1000:9.1f} ms "
                  f"{rec['tflops']:6.1f} TFLOP/s" + (f"  recall {rec['recall']:.5f}" if "recall" in rec else ""))
    torch.backends.cuda.matmul.allow_tf32 = False
    return 0


if __name__ == "__main__":
    sys.exit(main())
