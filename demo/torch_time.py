#!/usr/bin/python3
"""PyTorch's eval forward time (one thread, median ms) of the demo's models, for `npm run demo`.

Loads the same state_dicts and inputs the demo uses; prints JSON {"torch": version, "unet": ms,
"generator": ms}. The architectures are those of test/fixtures/make_model_assets.py.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "fixtures"))
from make_model_assets import Generator, UNet3D, torch_ms  # noqa: E402

ASSETS = os.path.join(HERE, "assets")
unet = UNet3D()
unet.load_state_dict(torch.load(os.path.join(ASSETS, "unet.pt")))
gen = Generator()
gen.load_state_dict(torch.load(os.path.join(ASSETS, "generator_checkpoint.pt"))["model_state_dict"])
unet.eval()
gen.eval()
print(json.dumps({"torch": torch.__version__,
                  "unet": torch_ms(unet, torch.randn(1, 1, 15, 14, 13), reps=21),
                  "generator": torch_ms(gen, torch.randn(2, 16), reps=21)}))
