#!/usr/bin/python3
"""Times PyTorch on the shapes given as JSON on stdin; prints JSON ms per shape.

Threads: argv[1] (default 1), for torch.set_num_threads; the caller sets OPENBLAS_NUM_THREADS alike.
"""
import json
import sys

import torch
import torch.nn.functional as F
from torch_timing import median

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
shapes = json.load(sys.stdin)
out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "forward": {}, "backward": {}}
for s in shapes:
    o = s["options"]
    g = o.get("groups", 1)
    x = torch.randn(*s["input"])
    w = torch.randn(s["input"][1], s["outChannels"] // g, s["kernel"], s["kernel"], s["kernel"])
    b = torch.randn(s["outChannels"])
    kw = dict(stride=o.get("stride", 1), padding=o.get("padding", 0),
              output_padding=o.get("outputPadding", 0), groups=g, dilation=o.get("dilation", 1))


    with torch.no_grad():
        out["forward"][s["name"]] = median(lambda: F.conv_transpose3d(x, w, b, **kw))
    xg, wg, bg = x.clone().requires_grad_(), w.clone().requires_grad_(), b.clone().requires_grad_()

    def fwd_bwd():
        y = F.conv_transpose3d(xg, wg, bg, **kw)
        torch.autograd.grad(y.sum(), [xg, wg, bg])
    out["backward"][s["name"]] = median(fwd_bwd)
print(json.dumps(out))
