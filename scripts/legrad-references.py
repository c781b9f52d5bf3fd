#!/usr/bin/python3
"""LeGrad references from TorchCAM for the tiny ViT fixture (CamStudio's LeGrad agreement test).

Rebuilds the seeded, perturbed torchvision ViT of scripts/export-onnx-fixtures.py (the weights of vit_tiny_opset*.onnx),
runs TorchCAM's LeGrad over all blocks and over the last block for a few classes, and writes the raw maps (4×4 patch
grid, normalized=False) as JSON. Run with Debian's PyTorch and the read-only anchors:
    PYTHONPATH=../shared/anchors/torch-cam /usr/bin/python3 scripts/legrad-references.py CamStudio.Tests/Onnx/Fixtures/legrad-references.json
"""
import importlib.util
import json
import os
import sys

import torch
from torch import nn
from torchcam.methods import LeGrad

HERE = os.path.dirname(os.path.abspath(__file__))


class _Handle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _kwargs_hooks(module):
    # The module's forward wrapped once so hooks see (and may replace) its keyword arguments.
    if not hasattr(module, "_kw_pre"):
        module._kw_pre, module._kw_post = [], []
        original = module.forward

        def forward(*args, **kwargs):
            # torchvision 0.14's EncoderBlock passes query/key/value by keyword; newer ones (which TorchCAM expects) by position.
            if not args and "query" in kwargs:
                args = (kwargs.pop("query"), kwargs.pop("key"), kwargs.pop("value"))
            for hook in list(module._kw_pre):
                result = hook(module, args, kwargs)
                if result is not None:
                    args, kwargs = result
            output = original(*args, **kwargs)
            for hook in list(module._kw_post):
                result = hook(module, args, kwargs, output)
                if result is not None:
                    output = result
            return output

        module.forward = forward
    return module._kw_pre, module._kw_post


def allow_hooks_with_kwargs():
    # Debian 12's torch 1.13 predates register_forward_(pre_)hook(..., with_kwargs=True) (torch 2.0), which TorchCAM's
    # LeGrad uses on nn.MultiheadAttention; this shim gives the same calling convention so TorchCAM's code runs unchanged.
    pre, post = nn.Module.register_forward_pre_hook, nn.Module.register_forward_hook

    def register_pre(self, hook, *, with_kwargs=False, **kw):
        if not with_kwargs:
            return pre(self, hook, **kw)
        hooks = _kwargs_hooks(self)[0]
        hooks.append(hook)
        return _Handle(hooks, hook)

    def register_post(self, hook, *, with_kwargs=False, **kw):
        if not with_kwargs:
            return post(self, hook, **kw)
        hooks = _kwargs_hooks(self)[1]
        hooks.append(hook)
        return _Handle(hooks, hook)

    nn.Module.register_forward_pre_hook, nn.Module.register_forward_hook = register_pre, register_post


def load_references():
    # gradcam-transformer-references.py imports pytorch-grad-cam at the top; only its model and image are needed here.
    spec_fx = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "export-onnx-fixtures.py"))
    fixtures = importlib.util.module_from_spec(spec_fx)
    spec_fx.loader.exec_module(fixtures)
    return fixtures


def build(fixtures):
    # The same seed and perturbation as export(): the ONNX fixture holds these weights.
    torch.manual_seed(0)
    model = fixtures.tiny_models()["vit_tiny"][0]().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def image():
    # TokenGridTests.Image(): a smooth, irregular 1×3×32×32 input without RNG.
    i = torch.arange(3 * 32 * 32, dtype=torch.float32).reshape(1, 3, 32, 32)
    return ((i * 0.0137).sin() + (i * 0.00071).cos() * 0.5) * 1.5


def legrad(model, blocks, target):
    layers = list(model.encoder.layers)[-blocks:]
    with LeGrad(model, layers) as extractor:
        scores = model(image())
        cam = extractor(target, scores, normalized=False)[0]
    return [float(v) for v in cam[0].reshape(-1)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "CamStudio.Tests/Onnx/Fixtures/legrad-references.json"
    if "with_kwargs" not in nn.Module.register_forward_hook.__code__.co_varnames:
        allow_hooks_with_kwargs()
    model = build(load_references())
    with torch.no_grad():
        logits = [float(v) for v in model(image())[0]]
    references = []
    for target in (3, 7):
        for blocks in (2, 1):
            references.append({"class": target, "blocks": blocks, "side": 4, "map": legrad(model, blocks, target)})
    with open(out, "w") as f:
        json.dump({"generator": "scripts/legrad-references.py (TorchCAM 0.5.0.dev0 LeGrad, torch " + torch.__version__ + ")",
                   "model": "vit_tiny (scripts/export-onnx-fixtures.py)", "logits": logits, "references": references}, f, indent=1)
    print(f"{out}: {len(references)} maps")


if __name__ == "__main__":
    main()
