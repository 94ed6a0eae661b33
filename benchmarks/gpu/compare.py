#!/usr/bin/env python3
"""Lines up isc_cuda_harness's timings with PyTorch's (gem_torch.py) from the same GPU and prints
a Markdown table: time, GB/s, fraction of the measured copy bandwidth, and the speed-up of the
native kernel over PyTorch eager and torch.compile.

    python3 benchmarks/gpu/compare.py harness.json torch.json
"""
import json
import sys


def main(harness_path, torch_path):
    with open(harness_path) as f:
        harness = json.load(f)
    with open(torch_path) as f:
        torch_run = json.load(f)
    if harness["device"] != torch_run["device"]:
        print(f"error: the two runs are from different devices ({harness['device']} vs {torch_run['device']})",
              file=sys.stderr)
        return 1
    peers = {(r["kernel"], r["variant"], r["shape"], float(r["p"])): r for r in torch_run["records"]}
    print(f"GPU: {harness['device']} (sm {harness['compute_capability']}), driver {harness['driver_version']}, "
          f"library {harness['build']}; PyTorch {torch_run['torch']} (CUDA {torch_run['cuda']})")
    print(f"Copy bandwidth (bytes read + written): harness {harness['copy_gbps']:.0f} GB/s, "
          f"PyTorch {torch_run['copy_gbps']:.0f} GB/s\n")
    print("| kernel | dtype | shape | p | isc µs | GB/s | % copy | eager µs | × eager | compile µs | × compile |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    pairs = {"gem_forward": ("torch_eager_forward", "torch_compile_forward"),
             "gem_backward_x": ("torch_eager_backward_x", None)}
    failed = [r for r in harness["records"] if r.get("ok") is False]
    for r in harness["records"]:
        if "median_us" not in r or r["kernel"] not in pairs:
            continue
        key = (r["variant"], r["shape"], float(r["p"]))
        eager_name, compile_name = pairs[r["kernel"]]
        eager = peers.get((eager_name,) + key)
        comp = peers.get((compile_name,) + key) if compile_name else None

        def cell(peer):
            if peer is None:
                return "–", "–"
            return f"{peer['median_us']:.2f}", f"{peer['median_us'] / r['median_us']:.2f}"

        e_us, e_x = cell(eager)
        c_us, c_x = cell(comp)
        print(f"| {r['kernel']} | {r['variant']} | {r['shape']} | {r['p']:g} | {r['median_us']:.2f} | "
              f"{r['gbps']:.0f} | {100 * r['fraction_of_copy']:.1f} | {e_us} | {e_x} | {c_us} | {c_x} |")
    print(f"\nCorrectness checks against the CPU library: "
          f"{sum(1 for r in harness['records'] if 'error' in r) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
