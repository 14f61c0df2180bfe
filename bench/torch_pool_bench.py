#!/usr/bin/python3
"""Times PyTorch (one thread) on bench_pool.ts' cases (JSON on stdin); prints JSON ms per case."""
import json
import sys
import time

import torch
import torch.nn.functional as F
from torch_timing import median as _median

torch.set_num_threads(1)
cases = json.load(sys.stdin)


def median(fn, clock, reps=9, budget=4.0):
    return _median(fn, reps, budget, clock)


# Wall time, and CPU time (process_time: with one thread, the op's own CPU time), which a
# loaded machine inflates far less.
out = {'torch': torch.__version__, 'ms': {}, 'cpuMs': {}}
for c in cases:
    x = torch.randn(*c['input'])
    op = c['op']
    if op == 'maxPool3d':
        fn = lambda: F.max_pool3d(x, c['k'], stride=c.get('stride'), padding=c.get('padding', 0))
    elif op == 'avgPool3d':
        fn = lambda: F.avg_pool3d(x, c['k'])
    else:
        fn = lambda: F.interpolate(x, scale_factor=c['scale'], mode=c['mode'])
    with torch.no_grad():
        out['ms'][c['name']] = median(fn, time.perf_counter)
        out['cpuMs'][c['name']] = median(fn, time.process_time)
print(json.dumps(out))
