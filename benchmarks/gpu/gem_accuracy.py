#!/usr/bin/env python3
"""GeM forward of one libisc_cuda build against a float64 reference computed from the same
stored values, on input ranges wider than the harness's [-0.5, 3]:
    python3 benchmarks/gpu/gem_accuracy.py LIB_DIR LABEL OUT.json
Prints and writes max / median relative error of y per (dtype, distribution, p, shape)."""
import ctypes
import json
import sys

import torch

lib = ctypes.CDLL(f"{sys.argv[1]}/libisc_cuda.so")
label, out_path = sys.argv[2], sys.argv[3]


class Args(ctypes.Structure):
    _fields_ = [("x", ctypes.c_void_p), ("y", ctypes.c_void_p), ("rows", ctypes.c_int64), ("hw", ctypes.c_int64),
                ("dtype", ctypes.c_int32), ("p", ctypes.c_float), ("eps", ctypes.c_float), ("stream", ctypes.c_void_p)]


class Status(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int32), ("message", ctypes.c_char * 512)]


CODES = {torch.float32: 0, torch.float16: 1, torch.bfloat16: 2}
EPS = 1e-6


def run(x, p):
    rows, hw = x.shape
    y = torch.empty(rows, dtype=x.dtype, device=x.device)
    a = Args(x.data_ptr(), y.data_ptr(), rows, hw, CODES[x.dtype], p, EPS, None)
    s = Status()
    if lib.isc_cuda_gem_forward(ctypes.byref(a), ctypes.byref(s)) != 0:
        raise RuntimeError(s.message.decode())
    torch.cuda.synchronize()
    return y


def dist(name, rows, hw, gen):
    u = torch.rand(rows, hw, device="cuda", dtype=torch.float64, generator=gen)
    if name == "uniform[-0.5,3]":
        return u * 3.5 - 0.5
    if name == "loguniform[1e-3,1e4]":
        return torch.exp(torch.log(torch.tensor(1e-3)) + u * torch.log(torch.tensor(1e7)))
    if name == "relu(normal)*20":
        return torch.relu(torch.randn(rows, hw, device="cuda", dtype=torch.float64, generator=gen)) * 20
    if name == "constant 1e3 rows":
        return torch.full((rows, hw), 1e3, device="cuda", dtype=torch.float64) * (1 + 0.01 * u)
    raise ValueError(name)


records = []
gen = torch.Generator(device="cuda").manual_seed(11)
for dtype in (torch.float32, torch.float16, torch.bfloat16):
    for name in ("uniform[-0.5,3]", "loguniform[1e-3,1e4]", "relu(normal)*20", "constant 1e3 rows"):
        for rows, hw in ((8192, 196), (8192, 49), (2048, 256)):
            x = dist(name, rows, hw, gen).to(dtype)
            if dtype == torch.float16:
                x = x.clamp(max=6e4)
            for p in (1.0, 2.5, 3.0, 6.0):
                y = run(x, p).double()
                ref = x.double().clamp(min=EPS).pow(p).mean(dim=1).pow(1.0 / p)
                rel = ((y - ref).abs() / ref.abs()).cpu()
                r = dict(lib=label, dtype=str(dtype).replace("torch.", ""), dist=name, shape=f"{rows}x{hw}", p=p,
                         max_rel=rel.max().item(), median_rel=rel.median().item())
                records.append(r)
                print(f"{label} {r['dtype']:9} {name:22} {r['shape']:9} p={p:<4} max {r['max_rel']:.3e} "
                      f"median {r['median_rel']:.3e}")
with open(out_path, "w") as f:
    json.dump(records, f, indent=1)
