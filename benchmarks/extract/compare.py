#!/usr/bin/env python3
"""Agreement of two descriptor files of the same images: cosine similarity per image (matched by
id) and whether each image's nearest neighbour among the others is the same in both.

  /usr/bin/python3 compare.py A.h5 B.h5
"""
import json
import sys

import h5py
import numpy as np


def read(path):
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["image_names"][()]]
        return dict(zip(names, f["vectors"][()].astype(np.float64)))


a, b = read(sys.argv[1]), read(sys.argv[2])
ids = sorted(set(a) & set(b))
A = np.stack([a[i] for i in ids])
B = np.stack([b[i] for i in ids])
cos = np.sum(A * B, axis=1) / np.linalg.norm(A, axis=1) / np.linalg.norm(B, axis=1)
SA, SB = A @ A.T, B @ B.T
np.fill_diagonal(SA, -np.inf)
np.fill_diagonal(SB, -np.inf)
print(json.dumps({"images": len(ids), "onlyIn": [len(a) - len(ids), len(b) - len(ids)],
                  "cosineMin": float(cos.min()), "cosineMean": float(cos.mean()),
                  "sameNearestNeighbour": float(np.mean(SA.argmax(1) == SB.argmax(1)))}))
