#!/usr/bin/python3
"""Score-CAM references from pytorch-grad-cam on the tiny ViT fixture's token grid (CamStudio's Score-CAM-on-ViT test).

Rebuilds the seeded, perturbed torchvision ViT of scripts/export-onnx-fixtures.py (the weights of vit_tiny_opset17.onnx),
runs pytorch-grad-cam's ScoreCAM with its ViT reshape transform at the last block's ln_1 (where CamStudio's map is flat
for the top class) and at the first block's output, and writes the raw maps (4×4, before pytorch-grad-cam's min-max
scaling) for every class as JSON. Run with Debian's PyTorch and the read-only anchors:
    PYTHONPATH=../shared/anchors/pytorch-grad-cam:../shared/anchors/ttach \\
        /usr/bin/python3 scripts/scorecam-transformer-references.py CamStudio.Tests/Onnx/Fixtures/scorecam-transformer-references.json
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch
import pytorch_grad_cam.base_cam as pgc_base
from pytorch_grad_cam import ScoreCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("references", os.path.join(HERE, "gradcam-transformer-references.py"))
references = importlib.util.module_from_spec(spec)
spec.loader.exec_module(references)


def raw_score_cam(model, layer, target):
    captured = []
    original = pgc_base.scale_cam_image

    def capture(cam, target_size=None):
        captured.append(np.array(cam, dtype=np.float32))
        return original(cam, target_size)

    pgc_base.scale_cam_image = capture
    try:
        cam = ScoreCAM(model=model, target_layers=[layer], reshape_transform=references.vit_reshape)
        cam(input_tensor=references.image(), targets=[ClassifierOutputTarget(target)])
        cam.activations_and_grads.release()
    finally:
        pgc_base.scale_cam_image = original
    return [float(v) for v in captured[0][0].reshape(-1)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "CamStudio.Tests/Onnx/Fixtures/scorecam-transformer-references.json"
    torch.set_num_threads(1)
    vit = references.build("vit_tiny")
    maps = []
    for layer, module in [("/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0", vit.encoder.layers[-1].ln_1),
                          ("/encoder/layers/encoder_layer_0/Add_1_output_0", vit.encoder.layers[0])]:
        for target in range(10):
            maps.append({"layer": layer, "class": target, "map": raw_score_cam(vit, module, target)})
    with open(out, "w") as f:
        json.dump({"generator": "scripts/scorecam-transformer-references.py (pytorch-grad-cam 1.5.5, torch " + torch.__version__ + ")",
                   "file": "vit_tiny_opset17.onnx", "side": 4, "references": maps}, f, indent=1)
    print(f"{out}: {len(maps)} maps")


if __name__ == "__main__":
    main()
