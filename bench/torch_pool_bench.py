#!/usr/bin/python3
"""Times PyTorch (one thread) on bench_pool.ts' cases (JSON on stdin); prints JSON ms per case."""
import json
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
cases = json.load(sys.stdin)


def median(fn, reps=9, budget=4.0):
    fn(); fn()
    ts = []
    t_start = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - t_start > budget and len(ts) >= 3:
            break
    ts.sort()
    return ts[len(ts) // 2]


out = {'torch': torch.__version__, 'ms': {}}
for c in cases:
    x = torch.randn(*c['input'])
    op = c['op']
    if op == 'maxPool3d':
        fn = lambda: F.max_pool3d(x, c['k'])
    elif op == 'avgPool3d':
        fn = lambda: F.avg_pool3d(x, c['k'])
    else:
        fn = lambda: F.interpolate(x, scale_factor=c['scale'], mode=c['mode'])
    with torch.no_grad():
        out['ms'][c['name']] = median(fn)
print(json.dumps(out))
