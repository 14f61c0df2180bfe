#!/usr/bin/python3
"""Times PyTorch (one thread, no grad) on the norms of bench_norm.ts; JSON {shape, groups,
reps?} on stdin, prints JSON ms per row."""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch_timing import median as _median

torch.set_num_threads(1)
spec = json.load(sys.stdin)
x = torch.randn(*spec["shape"])
c = spec["shape"][1]
w, b = torch.rand(c) + 0.5, torch.randn(c)
rm, rv = torch.zeros(c), torch.ones(c)


def median(fn, reps=spec.get("reps", 15), budget=3.0):
    return _median(fn, reps, budget)


g = spec["groups"]
out = {"torch": torch.__version__}
with torch.no_grad():
    out["batchNorm eval"] = median(lambda: F.batch_norm(x, rm, rv, w, b, training=False))
    out["batchNorm training"] = median(lambda: F.batch_norm(x, rm, rv, w, b, training=True))
    out["instanceNorm"] = median(lambda: F.instance_norm(x, weight=w, bias=b))
    out[f"groupNorm ({g} groups)"] = median(lambda: F.group_norm(x, g, w, b))
    y = torch.empty_like(x)
    out["copy"] = median(lambda: y.copy_(x))
print(json.dumps(out))
