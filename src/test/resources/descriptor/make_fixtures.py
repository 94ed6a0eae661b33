#!/usr/bin/env python3
"""Writes the h5py-made fixtures of DescriptorFilesTest (Debian's python3-h5py):
  split-vlen-utf8.h5  float64 vectors, variable-length UTF-8 names (h5py.string_dtype())
  submission-h5py.h5  a submission as the ISC21 tools write it (numpy 'S' ids)
Values are i / 8 (exact in float32), so the test can check them exactly."""
import h5py
import numpy as np

with h5py.File("split-vlen-utf8.h5", "w") as f:
    f["vectors"] = np.arange(12, dtype="float64").reshape(4, 3) / 8
    f.create_dataset("image_names", data=["a.jpg", "bb.jpg", "ccc.jpg", "d"], dtype=h5py.string_dtype())
with h5py.File("submission-h5py.h5", "w") as f:
    f["query"] = np.arange(10, dtype="float32").reshape(2, 5) / 8
    f["reference"] = -np.arange(15, dtype="float32").reshape(3, 5) / 8
    f["query_ids"] = np.array(["Q00000", "Q00001"], dtype="S")
    f["reference_ids"] = np.array(["R000000", "R000001", "R000002"], dtype="S")
