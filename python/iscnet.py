"""The descriptor network of isc-engine in PyTorch, for weights written by `isc model export`.

    import torch
    from iscnet import ISCNet
    net = ISCNet('resnet50', head='fc-bn', dimension=256, gem_p=3.0)   # as `isc model export` prints
    net.load_state_dict(torch.load('model.pth'), strict=True)
    net.eval()
    descriptors = net(images)   # images: [N, 3, H, W], RGB in [0, 1] minus mean, divided by std

Backbone, GeM pooling (clamped at 1e-6), head (fc-bn: Linear without bias then BatchNorm1d;
linear: Linear with bias; none), L2 normalisation: the same computation as isc-engine's
DescriptorModel. ResNets are torchvision's; tf_efficientnetv2_s/m are timm's (needs timm).

Run as a script it checks an export: it describes a raw float32 input with the exported weights.
    python3 iscnet.py MODEL.pth --architecture resnet18 --head fc-bn --dimension 16 --gem-p 3 \
        --input x.f32 --shape 2,3,64,64 --output y.f32
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class _ResNetFeatures(nn.Module):
    """A torchvision ResNet up to layer4 (its fc and average pooling dropped), keeping its names."""

    def __init__(self, architecture):
        super().__init__()
        import torchvision
        net = getattr(torchvision.models, architecture)()
        for name in ('conv1', 'bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4'):
            setattr(self, name, getattr(net, name))
        self.channels = net.fc.in_features

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def _backbone(architecture):
    if architecture.startswith('resnet'):
        return _ResNetFeatures(architecture)
    if architecture.startswith('tf_efficientnetv2'):
        import timm
        net = timm.create_model(architecture, pretrained=False, num_classes=0, global_pool='')
        net.channels = net.num_features
        return net
    raise ValueError(f'{architecture}: no PyTorch module here (mobilenetv2 keeps Keras names and padding)')


class ISCNet(nn.Module):
    def __init__(self, architecture, head='fc-bn', dimension=256, gem_p=1.0, learnable_p=False):
        super().__init__()
        self.backbone = _backbone(architecture)
        channels = self.backbone.channels
        if head == 'fc-bn':
            self.fc = nn.Linear(channels, dimension, bias=False)
            self.bn = nn.BatchNorm1d(dimension)
        elif head == 'linear':
            self.fc = nn.Linear(channels, dimension, bias=True)
        elif head != 'none':
            raise ValueError(f'head must be fc-bn, linear or none, got {head}')
        self.head = head
        self.gem_p = gem_p
        if learnable_p:
            self.pooling = nn.Module()
            self.pooling.p = nn.Parameter(torch.full((1,), float(gem_p)))

    def forward(self, images):
        x = self.backbone(images)
        p = self.pooling.p if hasattr(self, 'pooling') else self.gem_p
        x = x.clamp(min=1e-6).pow(p).mean(dim=(2, 3)).pow(1.0 / p)
        if self.head != 'none':
            x = self.fc(x)
        if self.head == 'fc-bn':
            x = self.bn(x)
        return F.normalize(x, dim=1)


def main():
    parser = argparse.ArgumentParser(description='Describe a raw float32 input with exported weights.')
    parser.add_argument('weights')
    parser.add_argument('--architecture', required=True)
    parser.add_argument('--head', default='fc-bn')
    parser.add_argument('--dimension', type=int, default=256)
    parser.add_argument('--gem-p', type=float, default=1.0)
    parser.add_argument('--learnable-p', action='store_true')
    parser.add_argument('--input', required=True)
    parser.add_argument('--shape', required=True, help='N,3,H,W')
    parser.add_argument('--output', required=True)
    a = parser.parse_args()
    net = ISCNet(a.architecture, a.head, a.dimension, a.gem_p, a.learnable_p)
    net.load_state_dict(torch.load(a.weights), strict=True)
    net.eval()
    shape = [int(s) for s in a.shape.split(',')]
    with open(a.input, 'rb') as f:
        images = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)
    with torch.no_grad():
        out = net(images).contiguous()
    with open(a.output, 'wb') as f:
        f.write(out.numpy().tobytes())


if __name__ == '__main__':
    main()
