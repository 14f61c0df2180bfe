#!/usr/bin/python3
"""Exports one nn.ConvTranspose3d per benchmark shape (JSON on stdin) to ONNX files in argv[1]."""
import json
import os
import sys

import torch

out_dir = sys.argv[1]
for s in json.load(sys.stdin):
    o = s["options"]
    g = o.get("groups", 1)
    m = torch.nn.ConvTranspose3d(s["input"][1], s["outChannels"], s["kernel"],
                                 stride=o.get("stride", 1), padding=o.get("padding", 0),
                                 output_padding=o.get("outputPadding", 0), groups=g,
                                 dilation=o.get("dilation", 1))
    torch.onnx.export(m, torch.randn(*s["input"]), os.path.join(out_dir, s["name"] + ".onnx"),
                      opset_version=13, input_names=["x"], output_names=["y"])
print(torch.__version__)
