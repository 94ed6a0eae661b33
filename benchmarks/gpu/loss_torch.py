#!/usr/bin/env python3
"""PyTorch's side of the memory-bank contrastive loss comparison: the same loss as the kernels
(CrossBatchMemory(ContrastiveLoss(0, 1)) semantics, written with masks rather than index lists,
which is the faster eager form), forward + backward with autograd, at batch 256, bank 20 000,
dimension 256; timed like isc_cuda_harness.

    python3 benchmarks/gpu/loss_torch.py --json loss_torch.json
"""
import argparse
import sys

import torch

from common import median_launch_us, write


def loss_fn(x, labels, bank, bank_labels, slots, pos_margin=0.0, neg_margin=1.0):
    unit = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    with torch.no_grad():
        bank[slots] = unit.detach()
        bank_labels[slots] = labels
    sq = (unit * unit).sum(1, keepdim=True) + (bank * bank).sum(1)[None, :] - 2 * unit @ bank.T
    positive = sq > 0
    dist = torch.where(positive, torch.where(positive, sq, torch.ones_like(sq)).sqrt(), torch.zeros_like(sq))
    same = labels[:, None] == bank_labels[None, :]
    own = torch.arange(bank.shape[0], device=x.device)[None, :] == slots[:, None]
    pos = torch.relu(dist - pos_margin) * (same & ~own)
    neg = torch.relu(neg_margin - dist) * ~same
    return pos.sum() / (pos > 0).sum().clamp_min(1) + neg.sum() / (neg > 0).sum().clamp_min(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="write the records here")
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--per-batch", type=int, default=5)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    batch, size, dim = 256, 20000, 256
    gen = torch.Generator(device="cuda").manual_seed(9)
    bank = torch.rand(size, dim, device="cuda", generator=gen) * 2 - 1
    bank_labels = torch.arange(size, device="cuda")
    x = (torch.rand(batch, dim, device="cuda", generator=gen) * 2 - 1).requires_grad_(True)
    labels = 100000 + torch.arange(batch, device="cuda") % 128
    slots = torch.arange(batch, device="cuda")

    def step(i):
        x.grad = None
        loss_fn(x, labels, bank, bank_labels, slots).backward()

    us = median_launch_us(step, args.batches, args.per_batch)
    rec = dict(kernel="torch_loss_fwd_bwd", variant="fp32", shape=f"{batch}x{size}x{dim}", p=0, median_us=us,
               tflops=4.0 * batch * size * dim / (us * 1e6))
    print(f"{rec['kernel']} {rec['shape']} {us:.1f} us {rec['tflops']:.2f} TFLOP/s")
    if args.json:
        write(args.json, [rec])
    return 0


if __name__ == "__main__":
    sys.exit(main())
