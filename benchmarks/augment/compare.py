#!/usr/bin/env python3
"""Lines up AugmentBenchmark (JMH JSON) with torchvision_peer.py (JSON) from the same machine and
prints a Markdown table: images/s on one core and the ratio isc / torchvision.

    python3 benchmarks/augment/compare.py jmh-augment.json augment-torchvision.json
"""
import json
import sys

# AugmentBenchmark recipe -> torchvision case (None: no torchvision counterpart).
PEERS = {
    "moderate": "moderate",
    "lyakaap-v83-subset": "lyakaap-v83-subset",
    "crop": "crop",
    "rotate": "rotate",
    "color-jitter": "color-jitter",
    "grayscale": "grayscale",
    "blur": "blur",
    "perspective": "perspective",
    "jpeg": "jpeg",
    "pixelize": "pixelize",
    "flip": "flip",
}


def main(jmh_path, peer_path):
    with open(jmh_path) as f:
        jmh = json.load(f)
    with open(peer_path) as f:
        peer = json.load(f)
    ours = {r["params"]["recipe"]: r["primaryMetric"] for r in jmh}
    theirs = peer["imagesPerSecond"]
    print(f"torchvision {peer['torchvision']}, torch {peer['torch']}, Pillow {peer['pillow']}; input {peer['image']}\n")
    print("| recipe | isc images/s (±99.9%) | torchvision images/s | isc / torchvision |")
    print("|---|---:|---:|---:|")
    for recipe, metric in ours.items():
        case = PEERS.get(recipe)
        score = f"{metric['score']:.0f} ± {metric['scoreError']:.0f}"
        if case and case in theirs:
            print(f"| {recipe} | {score} | {theirs[case]:.0f} | {metric['score'] / theirs[case]:.2f} |")
        else:
            print(f"| {recipe} | {score} | — | — |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
