#!/usr/bin/env bash
# Extraction throughput, decode included: `isc extract` and the PyTorch peer (pytorch_peer.py,
# Debian's python3-torch) describe the same images with the same ResNet descriptor network and
# the same weights, on the CPU with the same number of threads, one after the other; then the
# two descriptor files are compared.
#   benchmarks/extract/run.sh IMAGES_DIR [OUT_DIR] [ARCH] [SIZE]
# Needs the engine built (./isc builds it on first use). Threads: all processors, for both.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
images=${1:?usage: run.sh IMAGES_DIR [OUT_DIR] [ARCH] [SIZE]}
out=${2:-$here/../results}
arch=${3:-resnet50}
size=${4:-224}
threads=$(nproc)
day=$(date +%F)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
/usr/bin/python3 "$here/pytorch_peer.py" --arch "$arch" --make-weights "$work/weights.pth"
"$here/../../isc" extract --model "$arch" --weights "$work/weights.pth" --images "$images" --out "$work/isc.h5" \
  --input-size "$size" --workers "$threads" --batch 32 --json | tee "$out/isc-extract-$arch-$day.json"
# PyTorch as users run it (NCHW), then with the channels-last layout isc uses.
/usr/bin/python3 "$here/pytorch_peer.py" --arch "$arch" --weights "$work/weights.pth" --images "$images" \
  --out "$work/torch.h5" --size "$size" --threads "$threads" --batch 32 | tee "$out/pytorch-extract-$arch-$day.json"
/usr/bin/python3 "$here/pytorch_peer.py" --arch "$arch" --weights "$work/weights.pth" --images "$images" \
  --out "$work/torch-nhwc.h5" --size "$size" --threads "$threads" --batch 32 --channels-last \
  | tee -a "$out/pytorch-extract-$arch-$day.json"
/usr/bin/python3 "$here/compare.py" "$work/isc.h5" "$work/torch.h5" | tee "$out/extract-agreement-$arch-$day.json"
