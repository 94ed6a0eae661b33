#!/usr/bin/env python3
"""torchvision/PIL counterparts of AugmentBenchmark, timed on one core (images/s).

Each case applies the same operation with the same parameters as the Java benchmark of the same
name, to the same 256 x 256 input (the centre square of --image), producing a PIL image.
'lyakaap-v83-subset' is the part of lyakaap-v83 torchvision can express (no overlay onto another
image, shuffled pixels, text, emoji or edge enhance): it bounds what a torchvision pipeline of the
full recipe would cost from below.

  /usr/bin/python3 benchmarks/augment/torchvision_peer.py --image PHOTO [--seconds 5] [--json OUT]
"""
import argparse
import io
import json
import random
import time

import torch
import torchvision
import torchvision.transforms as T
from PIL import Image


BILINEAR = T.InterpolationMode.BILINEAR  # as the Java transforms (torchvision rotates NEAREST by default)


def jpeg(qualities):
    def apply(img):
        buffer = io.BytesIO()
        img.save(buffer, format="JPEG", quality=random.choice(qualities))
        buffer.seek(0)
        out = Image.open(buffer)
        out.load()
        return out
    return apply


def pixelize(lo, hi):
    def apply(img):
        ratio = random.uniform(lo, hi)
        w, h = img.size
        small = img.resize((max(1, int(w * ratio)), max(1, int(h * ratio))), Image.BILINEAR)
        return small.resize((w, h), Image.NEAREST)
    return apply


def maybe(p, t):
    return T.RandomApply([T.Lambda(t) if not isinstance(t, torch.nn.Module) else t], p=p)


def blur(lo, hi):
    # torchvision needs a fixed kernel: the one Blur uses for the largest sigma.
    return T.GaussianBlur(kernel_size=2 * int(3 * hi + 0.5) + 1, sigma=(lo, hi))


def cases(size):
    p = 0.25
    return {
        "moderate": T.Compose([T.RandomResizedCrop(size, scale=(0.7, 1.0)), T.RandomHorizontalFlip()]),
        "lyakaap-v83-subset": T.Compose([
            maybe(p, T.RandomRotation(30, interpolation=BILINEAR, expand=True)),
            T.RandomResizedCrop(size, scale=(0.15, 1.0)),
            T.ColorJitter(0.7, 0.7, 0.7, 0.2),
            maybe(p, pixelize(0.1, 1.0)),
            maybe(p, jpeg([10, 20, 30, 50])),
            T.RandomGrayscale(p),
            maybe(p, blur(0.5, 3.0)),
            T.RandomPerspective(0.5, p=p),
            T.RandomHorizontalFlip(0.5),
            T.RandomVerticalFlip(0.1),
            T.Resize((size, size)),
        ]),
        "crop": T.RandomResizedCrop(size, scale=(0.15, 1.0)),
        "rotate": T.RandomRotation(30, interpolation=BILINEAR, expand=True),
        "color-jitter": T.ColorJitter(0.7, 0.7, 0.7, 0.2),
        "grayscale": T.Grayscale(3),
        "blur": blur(0.5, 3.0),
        "perspective": T.RandomPerspective(0.5, p=1.0),
        "jpeg": jpeg([10, 20, 30, 50]),
        "pixelize": pixelize(0.1, 1.0),
        "flip": T.RandomHorizontalFlip(1.0),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json")
    args = parser.parse_args()
    torch.set_num_threads(1)
    random.seed(0)
    torch.manual_seed(0)
    source = Image.open(args.image).convert("RGB")
    side = min(source.size)
    left, top = (source.width - side) // 2, (source.height - side) // 2
    img = source.crop((left, top, left + side, top + side)).resize((args.size, args.size), Image.BOX)
    results = {}
    for name, transform in cases(args.size).items():
        for _ in range(20):
            transform(img)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            transform(img)
            n += 1
        results[name] = n / (time.perf_counter() - start)
        print(f"{name:20s} {results[name]:10.1f} images/s")
    report = {"torch": torch.__version__, "torchvision": torchvision.__version__,
              "pillow": Image.__version__, "size": args.size, "image": args.image, "imagesPerSecond": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
