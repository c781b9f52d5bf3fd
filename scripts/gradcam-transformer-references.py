#!/usr/bin/python3
"""Grad-CAM references from pytorch-grad-cam for the tiny ViT and Swin fixtures (CamStudio's agreement test).

Rebuilds the seeded, perturbed torchvision models of scripts/export-onnx-fixtures.py (so the weights equal the committed
.onnx fixtures), runs pytorch-grad-cam's GradCAM on the last block's first norm with the reshape transform its README
gives for each architecture, and writes the maps at the layer's own resolution (before pytorch-grad-cam's resize) as
JSON. Run with Debian's PyTorch and the read-only anchors:
    PYTHONPATH=../shared/anchors/pytorch-grad-cam:../shared/anchors/ttach \
        /usr/bin/python3 scripts/gradcam-transformer-references.py CamStudio.Tests/Onnx/Fixtures/gradcam-transformer-references.json
"""
import importlib.util
import json
import os
import sys

import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "export-onnx-fixtures.py"))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

TARGET = 3


def build(name):
    # The same seed and perturbation as export(): the ONNX fixture holds these weights.
    torch.manual_seed(0)
    model = fixtures.tiny_models()[name][0]().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def image():
    # TokenGridTests.Image(): a smooth, irregular 1×3×32×32 input without RNG.
    i = torch.arange(3 * 32 * 32, dtype=torch.float32).reshape(1, 3, 32, 32)
    return ((i * 0.0137).sin() + (i * 0.00071).cos() * 0.5) * 1.5


def vit_reshape(tensor, side=4):
    # N×(1+HW)×C → N×C×H×W, the class token dropped (pytorch-grad-cam's ViT recipe).
    result = tensor[:, 1:, :].reshape(tensor.size(0), side, side, tensor.size(2))
    return result.permute(0, 3, 1, 2)


def swin_reshape(tensor):
    # torchvision's Swin keeps N×H×W×C: channels to the front.
    return tensor.permute(0, 3, 1, 2)


def logits(model):
    with torch.no_grad():
        return [float(v) for v in model(image())[0]]


def grad_cam(model, layer, reshape, side):
    cam = GradCAM(model=model, target_layers=[layer], reshape_transform=reshape)
    # The map at the layer's resolution: pytorch-grad-cam min-max scales and resizes to this size (a no-op resize).
    cam.get_target_width_height = lambda input_tensor: (side, side)
    result = cam(input_tensor=image(), targets=[ClassifierOutputTarget(TARGET)])
    return [float(v) for v in result[0].reshape(-1)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "CamStudio.Tests/Onnx/Fixtures/gradcam-transformer-references.json"
    references = []
    vit = build("vit_tiny")
    references.append({"file": "vit_tiny_opset17.onnx", "layer": "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0",
                       "module": "encoder.layers[-1].ln_1", "class": TARGET, "side": 4, "logits": logits(vit),
                       "map": grad_cam(vit, vit.encoder.layers[-1].ln_1, vit_reshape, 4)})
    for name, file in [("swin_tiny", "swin_tiny_opset17.onnx"), ("swin_v2_tiny", "swin_v2_tiny_opset17.onnx")]:
        swin = build(name)
        references.append({"file": file, "layer": "/features/features.3/features.3.1/norm1/LayerNormalization_output_0",
                           "module": "features[-1][-1].norm1", "class": TARGET, "side": 4, "logits": logits(swin),
                           "map": grad_cam(swin, swin.features[-1][-1].norm1, swin_reshape, 4)})
        references.append({"file": file, "layer": "/features/features.1/features.1.1/norm1/LayerNormalization_output_0",
                           "module": "features[1][-1].norm1", "class": TARGET, "side": 8, "logits": logits(swin),
                           "map": grad_cam(swin, swin.features[1][-1].norm1, swin_reshape, 8)})
    with open(out, "w") as f:
        json.dump({"generator": "scripts/gradcam-transformer-references.py (pytorch-grad-cam 1.5.5, torch " + torch.__version__ + ")",
                   "references": references}, f, indent=1)
    print(f"{out}: {len(references)} maps")


if __name__ == "__main__":
    main()
