#!/usr/bin/python3
"""PyTorch (one thread) times for bench/bench_layers.ts: a Conv3d module and F.pad on the given
feature map, and a Linear (JSON on stdin: {"input": [...], "pad": [...], "linear": [N, in,
out]}); prints JSON median ms."""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_timing import median

torch.set_num_threads(1)
cfg = json.load(sys.stdin)




x = torch.randn(*cfg["input"])
c = cfg["input"][1]
conv = nn.Conv3d(c, c, 3, padding=1)
conv_r = nn.Conv3d(c, c, 3, padding=1, padding_mode="replicate")
out = {"torch": torch.__version__}
with torch.no_grad():
    out["conv3d"] = median(lambda: conv(x))
    out["conv3d_replicate"] = median(lambda: conv_r(x))
    lin, xl = nn.Linear(*cfg["linear"][1:]), torch.randn(*cfg["linear"][:2])
    out["linear"] = median(lambda: lin(xl))
    for mode in ["replicate", "reflect", "circular", "constant"]:
        out["pad_" + mode] = median(lambda: F.pad(x, tuple(cfg["pad"]), mode=mode))
xg = x.clone().requires_grad_()
dy = torch.randn(*F.pad(x, tuple(cfg["pad"]), mode="replicate").shape)
out["pad_replicate_grad"] = median(
    lambda: torch.autograd.grad(F.pad(xg, tuple(cfg["pad"]), mode="replicate"), xg, dy))
print(json.dumps(out))
