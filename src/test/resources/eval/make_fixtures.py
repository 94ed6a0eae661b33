#!/usr/bin/env python3
"""Writes gnd_tiny.pkl, a revisited-Oxford-style ground truth (the structure of revisitop's
gnd_roxford5k.pkl: a dict of imlist, qimlist and gnd, each gnd entry a dict of bbx, easy, hard
and junk lists), pickled by Python itself, for RevisitedEvaluationTest."""
import pickle

gnd = {
    "imlist": ["db%d" % i for i in range(6)],
    "qimlist": ["query0", "query1"],
    "gnd": [
        {"bbx": [1.0, 2.0, 30.5, 40.0], "easy": [0], "hard": [3], "junk": [5]},
        {"bbx": [0.0, 0.0, 10.0, 10.0], "easy": [], "hard": [], "junk": [1]},
    ],
}
with open("gnd_tiny.pkl", "wb") as f:
    pickle.dump(gnd, f, protocol=4)
