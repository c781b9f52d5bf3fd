#!/usr/bin/python3
"""PyTorch side of CamStudio's transformer benchmark (CamStudio.Benchmarks --transformers): torchvision vit_b_16 and
swin_t with the random weights scripts/export-onnx-fixtures.py --full exports (same seed and perturbation), forward and
pytorch-grad-cam GradCAM at the last block's first norm (its README's advice, with its reshape transform), batch 1,
ms per image, minimum and median over rounds, one torch thread by default.
    PYTHONPATH=../shared/anchors/pytorch-grad-cam:../shared/anchors/ttach /usr/bin/python3 scripts/bench-transformers.py [rounds] [threads]
"""
import sys
import time

import torch
import torchvision
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget


def build(name):
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def vit_reshape(t):
    return t[:, 1:, :].reshape(t.size(0), 14, 14, t.size(2)).permute(0, 3, 1, 2)


def swin_reshape(t):
    return t.permute(0, 3, 1, 2)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    x = torch.linspace(-2, 2, 3 * 224 * 224).mul(5.3).sin().reshape(1, 3, 224, 224)
    for name, layer, reshape in [("vit_b_16", lambda m: m.encoder.layers[-1].ln_1, vit_reshape),
                                 ("swin_t", lambda m: m.features[-1][-1].norm1, swin_reshape)]:
        model = build(name)
        cam = GradCAM(model=model, target_layers=[layer(model)], reshape_transform=reshape)
        forward, grad = [], []
        for r in range(-2, rounds):
            t0 = time.perf_counter()
            with torch.no_grad():
                logits = model(x)
            t1 = time.perf_counter()
            cam(input_tensor=x, targets=[ClassifierOutputTarget(int(logits.argmax()))])
            t2 = time.perf_counter()
            if r >= 0:
                forward.append((t1 - t0) * 1000)
                grad.append((t2 - t1) * 1000)
        med = lambda v: sorted(v)[len(v) // 2]
        print(f"{name} PyTorch {torch.__version__}: forward min {min(forward):.1f} ms, median {med(forward):.1f} ms; "
              f"pytorch-grad-cam Grad-CAM min {min(grad):.1f} ms, median {med(grad):.1f} ms ({rounds} rounds, {torch.get_num_threads()} thread(s))")


if __name__ == "__main__":
    main()
