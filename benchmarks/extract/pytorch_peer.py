#!/usr/bin/env python3
"""PyTorch counterpart of `isc extract`: the same descriptor network (ResNet + GeM + Linear
without bias + BatchNorm1d + L2, the descriptor-track winner's head) with the same weights,
decoding and resizing images on DataLoader workers, timed from the first image read to the last
descriptor (model construction excluded, as in isc's images/s).

  /usr/bin/python3 pytorch_peer.py --make-weights W.pth [--arch resnet50]
  /usr/bin/python3 pytorch_peer.py --weights W.pth --images DIR --out OUT.h5 [--threads 2]
"""
import argparse
import json
import os
import time

import h5py
import numpy as np
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


class DescriptorNet(torch.nn.Module):
    """Parameter names as isc's DescriptorModel: backbone.*, fc.weight, bn.*."""

    def __init__(self, arch, dim=256, p=1.0):
        super().__init__()
        self.backbone = getattr(torchvision.models, arch)()
        channels = self.backbone.fc.in_features
        del self.backbone.fc
        self.fc = torch.nn.Linear(channels, dim, bias=False)
        self.bn = torch.nn.BatchNorm1d(dim)
        self.p = p

    def forward(self, x):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(x))))
        x = b.layer4(b.layer3(b.layer2(b.layer1(x))))
        x = x.clamp(min=1e-6).pow(self.p).mean(dim=(2, 3)).pow(1.0 / self.p)
        return torch.nn.functional.normalize(self.bn(self.fc(x)), dim=1)


class Folder(torch.utils.data.Dataset):
    def __init__(self, root, size):
        self.files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                            if os.path.splitext(f)[1].lower() in EXTENSIONS)
        self.root = root
        self.transform = T.Compose([T.Resize((size, size)), T.ToTensor(),
                                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        with Image.open(self.files[i]) as img:
            return self.transform(img.convert("RGB"))

    def ids(self):
        return [os.path.splitext(os.path.relpath(f, self.root))[0] for f in self.files]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resnet50")
    ap.add_argument("--make-weights")
    ap.add_argument("--weights")
    ap.add_argument("--images")
    ap.add_argument("--out")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true", help="NHWC weights and inputs")
    args = ap.parse_args()
    torch.manual_seed(0)
    if args.make_weights:
        net = DescriptorNet(args.arch)
        # A trained-looking BatchNorm: non-trivial running statistics.
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d) or isinstance(m, torch.nn.BatchNorm1d):
                    m.running_mean.uniform_(-0.1, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
        torch.save(net.state_dict(), args.make_weights)
        return
    torch.set_num_threads(args.threads)
    net = DescriptorNet(args.arch)
    net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    net.eval()
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    net = net.to(memory_format=layout)
    data = Folder(args.images, args.size)
    loader = torch.utils.data.DataLoader(data, batch_size=args.batch, num_workers=args.threads)
    start = time.perf_counter()
    rows = []
    forward = 0.0
    with torch.inference_mode():
        for x in loader:
            t = time.perf_counter()
            rows.append(net(x.contiguous(memory_format=layout)).numpy())
            forward += time.perf_counter() - t
    total = time.perf_counter() - start
    vectors = np.concatenate(rows).astype(np.float32)
    with h5py.File(args.out, "w") as f:
        f.create_dataset("vectors", data=vectors)
        f.create_dataset("image_names", data=np.array(data.ids(), dtype=object),
                         dtype=h5py.string_dtype())
    print(json.dumps({"peer": "pytorch " + torch.__version__, "channelsLast": args.channels_last, "images": len(data), "seconds": total,
                      "imagesPerSecond": len(data) / total, "forwardShare": forward / total,
                      "threads": args.threads}))


if __name__ == "__main__":
    main()
