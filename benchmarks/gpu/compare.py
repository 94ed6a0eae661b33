#!/usr/bin/env python3
"""Lines up isc_cuda_harness's timings with PyTorch's (the *_torch.py scripts) from the same GPU
and prints Markdown tables: time, throughput, and the speed-up of the native kernels over each
PyTorch peer; then the harness's correctness checks.

    python3 benchmarks/gpu/compare.py harness.json gem_torch.json knn_torch.json loss_torch.json
    python3 benchmarks/gpu/compare.py --ab old.json new.json     (two library versions, ab.sh)
"""
import json
import sys

# Native kernel -> PyTorch peers, matched on (variant, shape, p).
PEERS = {
    "gem_forward": ["torch_eager_forward", "torch_compile_forward"],
    "gem_backward_x": ["torch_eager_backward_x"],
    "knn_search": ["torch_mm_topk"],
    "loss_fwd_bwd": ["torch_loss_fwd_bwd"],
}


def key(r):
    return (r["variant"], r["shape"], float(r.get("p", 0)))


def main(paths):
    with open(paths[0]) as f:
        harness = json.load(f)
    peers = {}
    for path in paths[1:]:
        with open(path) as f:
            run = json.load(f)
        if run["device"] != harness["device"]:
            print(f"error: {path} is from {run['device']}, the harness ran on {harness['device']}", file=sys.stderr)
            return 1
        print(f"PyTorch {run['torch']} (CUDA {run['cuda']}): {path}")
        for r in run["records"]:
            peers[(r["kernel"],) + key(r)] = r
    print(f"GPU: {harness['device']} (sm {harness['compute_capability']}), driver {harness['driver_version']}, "
          f"library {harness['build']}; measured copy {harness['copy_gbps']:.0f} GB/s\n")
    for kernel, names in PEERS.items():
        rows = [r for r in harness["records"] if r["kernel"] == kernel and "median_us" in r]
        if not rows:
            continue
        throughput = "TFLOP/s" if "tflops" in rows[0] else "GB/s (% copy)"
        header = f"| {kernel} | variant | shape | p | isc µs | {throughput} |"
        for n in names:
            header += f" {n} µs | × |"
        print(header)
        print("|---" * (6 + 2 * len(names)) + "|")
        for r in rows:
            tp = f"{r['tflops']:.1f}" if "tflops" in r else f"{r['gbps']:.0f} ({100 * r['fraction_of_copy']:.1f} %)"
            line = f"| | {r['variant']} | {r['shape']} | {r['p']:g} | {r['median_us']:.2f} | {tp} |"
            for n in names:
                peer = peers.get((n,) + key(r))
                line += " – | – |" if peer is None else f" {peer['median_us']:.2f} | {peer['median_us'] / r['median_us']:.2f} |"
            print(line)
        print()
    checks = [r for r in harness["records"] if "error" in r]
    failed = [r for r in checks if r.get("ok") is False]
    print(f"Correctness checks against the CPU library: {len(checks) - len(failed)} passed, {len(failed)} failed")
    for r in failed:
        print(f"  FAILED {r['kernel']} {r['variant']} {r['shape']} p={r['p']}: error {r['error']} > {r['tolerance']}")
    return 1 if failed else 0


def ab(old_path, new_path):
    """Times of two harness runs record by record, and old/new (above 1: the new one is faster)."""
    with open(old_path) as f:
        old = {(r["kernel"],) + key(r): r for r in json.load(f)["records"] if "median_us" in r}
    with open(new_path) as f:
        new = json.load(f)
    print(f"GPU: {new['device']}, library {new['build']}\n")
    print("| kernel | variant | shape | p | old µs | new µs | old/new |")
    print("|---|---|---|---|---|---|---|")
    for r in new["records"]:
        before = old.get((r["kernel"],) + key(r))
        if "median_us" not in r or before is None:
            continue
        print(f"| {r['kernel']} | {r['variant']} | {r['shape']} | {r['p']:g} | {before['median_us']:.2f} | "
              f"{r['median_us']:.2f} | {before['median_us'] / r['median_us']:.2f} |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--ab":
        sys.exit(ab(sys.argv[2], sys.argv[3]))
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
