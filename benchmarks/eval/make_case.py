#!/usr/bin/env python3
"""A synthetic ISC21 evaluation case: descriptor files (HDF5, the ISC21 layouts) and a ground
truth whose copy queries are noisy versions of their references, so every stage of
isc postprocess -> isc match -> isc evaluate has something to find.

  /usr/bin/python3 benchmarks/eval/make_case.py OUT_DIR [--queries 5000] [--references 20000]
      [--training 20000] [--dim 256] [--seed 0]

Writes queries.h5, references.h5, training.h5 (vectors + image_names) and ground_truth.csv.
Needs Debian's python3-h5py and python3-numpy."""
import argparse
import os

import h5py
import numpy as np


def unit(x):
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype("float32")


def write(path, ids, vectors):
    with h5py.File(path, "w") as f:
        f["vectors"] = vectors
        f["image_names"] = np.array(ids, dtype="S")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--queries", type=int, default=5000)
    p.add_argument("--references", type=int, default=20000)
    p.add_argument("--training", type=int, default=20000)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    # Anisotropic "descriptors": a shared random mixing makes some directions dominant, as real
    # descriptors have (and as PCA-whitening and NES undo).
    mix = rng.standard_normal((a.dim, a.dim)) * np.linspace(2.0, 0.2, a.dim)[:, None]
    refs = unit(rng.standard_normal((a.references, a.dim)) @ mix)
    train = unit(rng.standard_normal((a.training, a.dim)) @ mix)
    copies = a.queries // 2
    sources = rng.choice(a.references, copies, replace=False)
    noise = rng.uniform(1.0, 4.0, (copies, 1))
    copy_vecs = unit(refs[sources] + noise * unit(rng.standard_normal((copies, a.dim)) @ mix))
    distractors = unit(rng.standard_normal((a.queries - copies, a.dim)) @ mix)
    order = rng.permutation(a.queries)
    queries = np.concatenate([copy_vecs, distractors])[order]
    truth = np.concatenate([sources, -np.ones(a.queries - copies, dtype=int)])[order]
    write(os.path.join(a.out, "queries.h5"), ["Q%05d" % i for i in range(a.queries)], queries)
    write(os.path.join(a.out, "references.h5"), ["R%06d" % i for i in range(a.references)], refs)
    write(os.path.join(a.out, "training.h5"), ["T%06d" % i for i in range(a.training)], train)
    with open(os.path.join(a.out, "ground_truth.csv"), "w") as f:
        f.write("query_id,reference_id\n")
        for i, r in enumerate(truth):
            f.write("Q%05d,%s\n" % (i, "" if r < 0 else "R%06d" % r))


if __name__ == "__main__":
    main()
