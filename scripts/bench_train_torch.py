#!/usr/bin/python3
"""PyTorch CPU side of scripts/bench_train.ts: times training steps of the same model, batch
and data as the tfjs side and prints one JSON object on stdout.

Usage: /usr/bin/python3 scripts/bench_train_torch.py <arch> <size> <batch> <steps> <threads>
  arch: simple_cnn | resnet18 | efficientnet_b0 (scripts/torch_param_counts.py build())
Each step: forward in train mode, cross-entropy, backward, AdamW(lr 1e-3, wd 1e-4) update.
"""
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_param_counts import build  # noqa: E402


def main() -> None:
    arch, size, batch, steps, threads = sys.argv[1], *map(int, sys.argv[2:6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = build(arch, 9, size)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn(batch, 3, size, size)
    y = torch.arange(batch) % 9

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    step()  # warm-up: allocator, oneDNN primitive caches
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({"arch": arch, "size": size, "batch": batch, "threads": threads,
                      "step_ms": times, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
