"""Timing helpers shared by the PyTorch comparison scripts: the same method as isc_cuda_harness
(CUDA events around batches of launches, median over batches)."""
import json
import statistics

import torch


def median_launch_us(launch, batches, per_batch):
    """Median time of one launch in microseconds; launch(i) gets a running counter."""
    for i in range(per_batch):
        launch(i)
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    times, i = [], 0
    for _ in range(batches):
        start.record()
        for _ in range(per_batch):
            launch(i)
            i += 1
        stop.record()
        stop.synchronize()
        times.append(1000.0 * start.elapsed_time(stop) / per_batch)
    return statistics.median(times)


def copy_gbps():
    """Device-to-device copy of 1 GiB: bytes read + written per second / 1e9."""
    src = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    us = median_launch_us(lambda i: dst.copy_(src), 10, 2)
    return 2 * src.numel() / (us * 1e3)


def write(path, records, **extra):
    prop = torch.cuda.get_device_properties(0)
    with open(path, "w") as f:
        json.dump(dict(device=prop.name, torch=torch.__version__, cuda=torch.version.cuda, records=records, **extra),
                  f, indent=2)
