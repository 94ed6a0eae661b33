#!/usr/bin/env python3
"""Checkpoints written by real PyTorch for ModelCheckpointTest (run by the test with Debian's
python3-torch and python3-torchvision; the files go to the folder given):

  resnet50.pth           torchvision ResNet-50 state dict (random weights and BN statistics)
  resnet50-io.pt         {'input': x, 'logits': resnet50(x)} in eval mode
  wrapped.pth.tar        {'epoch', 'args' (argparse.Namespace), 'state_dict' with DataParallel's
                         'module.' prefix} around a ResNet-18
  resnet18-io.pt         its input and logits
  descriptor.ts          a TorchScript descriptor model (ResNet-18, GeM p=3, Linear 96, L2)
  descriptor-io.pt       its input and output
  effnetv2_s.pth         EfficientNetV2-S with timm's parameter names (written from timm's
                         definition: stem, cn/er/ir blocks with SE, TF "same" padding, BN eps 1e-3)
  effnetv2_s-io.pt       input (odd size), last-stage features and classifier logits
  legacy.pth             a state dict in PyTorch's pre-1.6 format
"""
import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=gen) * 0.1)


class GeM(nn.Module):
    def __init__(self, p=3.0):
        super().__init__()
        self.p = p

    def forward(self, x):
        return x.clamp(min=1e-6).pow(self.p).mean(dim=(2, 3)).pow(1.0 / self.p)


class Descriptor(nn.Module):
    def __init__(self):
        super().__init__()
        backbone = torchvision.models.resnet18()
        self.body = nn.Sequential(*list(backbone.children())[:-2])
        self.pool = GeM(3.0)
        self.fc = nn.Linear(512, 96)

    def forward(self, x):
        return F.normalize(self.fc(self.pool(self.body(x))), dim=1)


# --- EfficientNetV2-S as timm defines it (names and semantics), for the Java port's test.
def same_pad(x, k, s):
    def pad(i):
        return max((math.ceil(i / s) - 1) * s + k - i, 0)
    ph, pw = pad(x.shape[-2]), pad(x.shape[-1])
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


class ConvSame(nn.Conv2d):
    def __init__(self, cin, cout, k, s=1, groups=1):
        super().__init__(cin, cout, k, s, padding=0 if s > 1 else (k - 1) // 2, groups=groups, bias=False)

    def forward(self, x):
        if self.stride[0] > 1:
            x = same_pad(x, self.kernel_size[0], self.stride[0])
        return super().forward(x)


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3)


class CN(nn.Module):
    def __init__(self, cin, cout, s):
        super().__init__()
        self.conv, self.bn1 = ConvSame(cin, cout, 3, s), bn(cout)
        self.skip = s == 1 and cin == cout

    def forward(self, x):
        y = F.silu(self.bn1(self.conv(x)))
        return y + x if self.skip else y


class ER(nn.Module):
    def __init__(self, cin, cout, s, e):
        super().__init__()
        mid = cin * e
        self.conv_exp, self.bn1 = ConvSame(cin, mid, 3, s), bn(mid)
        self.conv_pwl, self.bn2 = nn.Conv2d(mid, cout, 1, bias=False), bn(cout)
        self.skip = s == 1 and cin == cout

    def forward(self, x):
        y = self.bn2(self.conv_pwl(F.silu(self.bn1(self.conv_exp(x)))))
        return y + x if self.skip else y


class SE(nn.Module):
    def __init__(self, c, rd):
        super().__init__()
        self.conv_reduce, self.conv_expand = nn.Conv2d(c, rd, 1), nn.Conv2d(rd, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.conv_expand(F.silu(self.conv_reduce(x.mean((2, 3), keepdim=True)))))


class IR(nn.Module):
    def __init__(self, cin, cout, s, e):
        super().__init__()
        mid = cin * e
        self.conv_pw, self.bn1 = nn.Conv2d(cin, mid, 1, bias=False), bn(mid)
        self.conv_dw, self.bn2 = ConvSame(mid, mid, 3, s, groups=mid), bn(mid)
        self.se = SE(mid, round(cin * 0.25))
        self.conv_pwl, self.bn3 = nn.Conv2d(mid, cout, 1, bias=False), bn(cout)
        self.skip = s == 1 and cin == cout

    def forward(self, x):
        y = F.silu(self.bn2(self.conv_dw(F.silu(self.bn1(self.conv_pw(x))))))
        y = self.bn3(self.conv_pwl(self.se(y)))
        return y + x if self.skip else y


class EffNetV2S(nn.Module):
    STAGES = [("c", 2, 1, 1, 24), ("e", 4, 2, 4, 48), ("e", 4, 2, 4, 64), ("i", 6, 2, 4, 128), ("i", 9, 1, 6, 160),
              ("i", 15, 2, 6, 256)]

    def __init__(self):
        super().__init__()
        self.conv_stem, self.bn1 = ConvSame(3, 24, 3, 2), bn(24)
        stages, cin = [], 24
        for t, r, s, e, cout in self.STAGES:
            blocks = []
            for b in range(r):
                stride = s if b == 0 else 1
                blocks.append(CN(cin, cout, stride) if t == "c" else ER(cin, cout, stride, e) if t == "e"
                              else IR(cin, cout, stride, e))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.conv_head, self.bn2 = nn.Conv2d(cin, 1280, 1, bias=False), bn(1280)
        self.classifier = nn.Linear(1280, 1000)

    def features(self, x):
        return self.blocks(F.silu(self.bn1(self.conv_stem(x))))

    def forward(self, x):
        return self.classifier(F.silu(self.bn2(self.conv_head(self.features(x)))).mean((2, 3)))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    gen = torch.Generator().manual_seed(99)
    with torch.no_grad():
        r50 = torchvision.models.resnet50().eval()
        randomize_bn(r50, gen)
        x = torch.randn(2, 3, 131, 97, generator=gen)
        torch.save(r50.state_dict(), os.path.join(out, "resnet50.pth"))
        torch.save({"input": x, "logits": r50(x)}, os.path.join(out, "resnet50-io.pt"))

        r18 = torchvision.models.resnet18().eval()
        randomize_bn(r18, gen)
        wrapped = {"epoch": 7, "args": argparse.Namespace(lr=0.1, arch="resnet18"),
                   "state_dict": {"module." + k: v for k, v in r18.state_dict().items()}}
        torch.save(wrapped, os.path.join(out, "wrapped.pth.tar"))
        x18 = torch.randn(1, 3, 64, 64, generator=gen)
        torch.save({"input": x18, "logits": r18(x18)}, os.path.join(out, "resnet18-io.pt"))
        torch.save(r18.state_dict(), os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)

        d = Descriptor().eval()
        randomize_bn(d, gen)
        xd = torch.randn(3, 3, 96, 96, generator=gen)
        traced = torch.jit.trace(d, xd)
        traced.save(os.path.join(out, "descriptor.ts"))
        torch.save({"input": xd, "output": d(xd)}, os.path.join(out, "descriptor-io.pt"))

        e = EffNetV2S().eval()
        randomize_bn(e, gen)
        xe = torch.randn(2, 3, 75, 61, generator=gen)
        torch.save(e.state_dict(), os.path.join(out, "effnetv2_s.pth"))
        torch.save({"input": xe, "features": e.features(xe), "logits": e(xe)}, os.path.join(out, "effnetv2_s-io.pt"))


if __name__ == "__main__":
    main()
