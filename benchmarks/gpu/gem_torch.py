#!/usr/bin/env python3
"""PyTorch's side of the GeM comparison: eager and torch.compile GeM on the shapes, dtypes and p
that isc_cuda_harness times, measured the same way (CUDA events around batches of launches,
median over batches, inputs rotated through more memory than the L2 cache holds), next to the
same device-to-device copy. Writes JSON records that compare.py lines up with the harness's.

    python3 benchmarks/gpu/gem_torch.py --json torch.json
"""
import argparse
import sys

import torch

from common import copy_gbps, median_launch_us, write

SHAPES = [(64, 512, 16, 16), (32, 2048, 7, 7), (128, 2048, 14, 14)]
PS = [1.0, 3.0, 2.5]
DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
EPS = 1e-6


def gem(x, p: float, eps: float):
    return x.clamp(min=eps).pow(p).mean(dim=(2, 3)).pow(1.0 / p)


def copies_for(nbytes, device):
    l2 = torch.cuda.get_device_properties(device).L2_cache_size
    return max(2, min(32, int(4 * l2 / nbytes) + 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="write the records here")
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--per-batch", type=int, default=20)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    device = torch.device("cuda")
    prop = torch.cuda.get_device_properties(device)
    print(f"device: {prop.name}, torch {torch.__version__}, CUDA {torch.version.cuda}")

    copy = copy_gbps()
    print(f"measured device-to-device copy: {copy:.0f} GB/s")

    use_compile = not args.no_compile and hasattr(torch, "compile")
    records = []
    for shape in SHAPES:
        rows = shape[0] * shape[1]
        for p in PS:
            for name, dtype in DTYPES.items():
                gen = torch.Generator(device=device).manual_seed(7)
                base = torch.rand(shape, device=device, dtype=torch.float32, generator=gen) * 3.5 - 0.5
                base = base.to(dtype)
                x_bytes = base.numel() * base.element_size()
                copies = copies_for(x_bytes, device)
                xs = [base.clone() for _ in range(copies)]
                fwd_bytes = x_bytes + rows * base.element_size()
                variants = [("torch_eager", gem)]
                if use_compile:
                    # A fresh compilation per case: past dynamo's recompile limit a shared one
                    # would silently fall back to eager.
                    torch._dynamo.reset()
                    variants.append(("torch_compile", torch.compile(gem, dynamic=False)))
                for label, fn in variants:
                    with torch.no_grad():
                        us = median_launch_us(lambda i: fn(xs[i % copies], p, EPS), args.batches, args.per_batch)
                    records.append(dict(kernel=f"{label}_forward", variant=name, shape="x".join(map(str, shape)), p=p,
                                        median_us=us, gbps=fwd_bytes / (us * 1e3),
                                        fraction_of_copy=fwd_bytes / (us * 1e3) / copy))
                # Backward only: dL/dx from a kept graph, as the harness's backward kernel computes.
                leaves = [x.clone().requires_grad_(True) for x in xs]
                graphs = [gem(leaf, p, EPS) for leaf in leaves]
                grad_y = torch.rand((shape[0], shape[1]), device=device, dtype=dtype, generator=gen) - 0.5
                bwd_bytes = 2 * x_bytes + 2 * rows * base.element_size()
                us = median_launch_us(
                    lambda i: torch.autograd.grad(graphs[i % copies], leaves[i % copies], grad_y, retain_graph=True),
                    args.batches, args.per_batch)
                records.append(dict(kernel="torch_eager_backward_x", variant=name, shape="x".join(map(str, shape)), p=p,
                                    median_us=us, gbps=bwd_bytes / (us * 1e3),
                                    fraction_of_copy=bwd_bytes / (us * 1e3) / copy))
                del xs, leaves, graphs
                for r in records[-len(variants) - 1:]:
                    print(f"{r['kernel']:24} {r['variant']:5} {r['shape']:14} p={r['p']:<4} {r['median_us']:9.2f} us "
                          f"{r['gbps']:7.0f} GB/s {100 * r['fraction_of_copy']:5.1f}% of copy")
                if args.json:  # after every case, so a run cut short keeps what it measured
                    write(args.json, records, copy_gbps=copy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
