#!/usr/bin/python3
"""Writes the reference maps CamStudio's Score-CAM family is compared with (CamStudio.Tests/Cam/AnchorAgreementTests.cs).

    /usr/bin/python3 scripts/make-anchor-references.py CamStudio.Tests/Cam/Fixtures
    /usr/bin/python3 scripts/make-anchor-references.py --weights-only artifacts/test-models   (the model only; the tests read it there)

A small seeded CNN (conv 3→8, ReLU, conv 8→16 stride 2, ReLU, global average pooling, linear 16→10; torchvision-style
parameter names, saved as a PyTorch state dict), a smooth synthetic 3×32×32 input, and for class 3 each anchor's raw
map at the layer's resolution (16×16, ReLU applied, not normalised), as .npy float32:
  pytorch-grad-cam (../shared/anchors): Score-CAM, Ablation-CAM;  TorchCAM: Score-CAM, SS-CAM (35 samples, σ = 2), IS-CAM (10 steps).
SS-CAM's noise is the anchor's own random draw, so its reference is compared by correlation, not value by value.
"""
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("CAMSTUDIO_SHARED") or os.path.join(here, "..", "..", "shared")
if not os.path.isdir(os.path.join(shared, "anchors")):
    shared = os.path.join(here, "..", "..", "..", "shared")
sys.path[:0] = [os.path.join(shared, "anchors", p) for p in ("pytorch-grad-cam", "torch-cam", "ttach")]

CLASS = 3


def tiny():
    torch.manual_seed(11)
    model = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 8, 3, padding=1)), ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(8, 16, 3, stride=2, padding=1)), ("relu2", nn.ReLU()),
        ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(16, 10))])).eval()
    with torch.no_grad():
        # Larger head weights spread the masked copies' scores, so softmax weights (and the methods) differ visibly.
        model.fc.weight.mul_(40)
    return model


def synthetic_input():
    # Two soft blobs of different colours on a gentle gradient, in ImageNet-normalised units.
    y, x = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing="ij")
    blob1 = torch.exp(-((x + 0.4) ** 2 + (y + 0.3) ** 2) / 0.08)
    blob2 = torch.exp(-((x - 0.5) ** 2 + (y - 0.4) ** 2) / 0.05)
    channels = [1.5 * blob1 - 0.5 + 0.3 * x, 1.8 * blob2 - 0.4 + 0.2 * y, blob1 - blob2 + 0.1 * x * y]
    return torch.stack(channels).unsqueeze(0).float()


def pgc_map(kind, model, x):
    captured = []
    original = pgc_base.scale_cam_image

    def capture(cam, target_size=None):
        captured.append(np.array(cam, dtype=np.float32))
        return original(cam, target_size)

    pgc_base.scale_cam_image = capture
    try:
        cam = kind(model=model, target_layers=[model.relu2])
        cam(input_tensor=x, targets=[ClassifierOutputTarget(CLASS)])
        cam.activations_and_grads.release()
    finally:
        pgc_base.scale_cam_image = original
    return captured[0][0]


def torchcam_map(kind, model, x, **kw):
    with kind(model, "relu2", input_shape=(3, 32, 32), **kw) as extractor:
        with torch.no_grad():
            out = model(x)
        return extractor(CLASS, out, normalized=False)[0][0].numpy().astype(np.float32)


def main():
    # --weights-only DIR writes just the model (scripts/make-test-models.sh: model files are generated, never committed).
    weights_only = sys.argv[1] == "--weights-only"
    out = sys.argv[2] if weights_only else sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    model = tiny()
    if weights_only:
        torch.save(model.state_dict(), os.path.join(out, "anchor-tiny.pt"))
        return
    global pgc_base, AblationCAM, ScoreCAM, ClassifierOutputTarget, tc
    import pytorch_grad_cam.base_cam as pgc_base
    from pytorch_grad_cam import AblationCAM, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    import torchcam.methods as tc
    x = synthetic_input()
    np.save(os.path.join(out, "anchor-input.npy"), x[0].numpy())
    torch.manual_seed(0)
    maps = {
        "pgc-scorecam": pgc_map(ScoreCAM, model, x),
        "pgc-ablationcam": pgc_map(AblationCAM, model, x),
        "torchcam-scorecam": torchcam_map(tc.ScoreCAM, model, x),
        "torchcam-sscam": torchcam_map(tc.SSCAM, model, x),
        "torchcam-iscam": torchcam_map(tc.ISCAM, model, x),
    }
    for name, m in maps.items():
        assert m.shape == (16, 16), (name, m.shape)
        np.save(os.path.join(out, f"anchor-{name}.npy"), m)
        print(name, m.shape, float(m.min()), float(m.max()))


if __name__ == "__main__":
    main()
