#!/usr/bin/python3
"""Exports tiny, seeded torchvision transformer and modern-CNN configurations to ONNX for CamStudio's operator tests.

Run with Debian's PyTorch (apt-get install python3-torch python3-torchvision; no onnx module is needed); scripts/test.sh
does it through scripts/make-test-models.sh, since model files are generated, never committed:
    /usr/bin/python3 scripts/export-onnx-fixtures.py artifacts/test-models
Each file is a few hundred KB; the tests compare CamStudio's logits with ONNX Runtime's on them, so the weights only
need to be deterministic, not trained: seeded, the same PyTorch writes the same bytes, and the committed reference maps
(CamStudio.Tests/Onnx/Fixtures/*.json) stay valid. With --full DIR [NAME...] it instead exports the full-size architectures the issue names
(random weights, hundreds of MB in all) for a one-off operator-coverage check; those are never committed.
"""
import os
import sys
from functools import partial

import torch
import torchvision
from torchvision.models import VisionTransformer
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.maxvit import MaxVit
from torchvision.models.swin_transformer import PatchMergingV2, SwinTransformer, SwinTransformerBlockV2


def zero_symbolic(g, self):
    # torch 1.13 has no ONNX symbolic for aten::zero, which swin_v2's forward applies to a slice of its qkv bias.
    return g.op("ConstantOfShape", g.op("Shape", self), value_t=torch.tensor([0.0]))


def tiny_models():
    return {
        "vit_tiny": (lambda: VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                                               mlp_dim=64, num_classes=10), 32),
        "swin_tiny": (lambda: SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2],
                                              window_size=[4, 4], num_classes=10), 32),
        "swin_v2_tiny": (lambda: SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 2],
                                                 window_size=[4, 4], num_classes=10, block=SwinTransformerBlockV2,
                                                 downsample_layer=PatchMergingV2), 32),
        "convnext_tiny": (lambda: ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], num_classes=10), 32),
        "maxvit_tiny": (lambda: MaxVit(input_size=(32, 32), stem_channels=8, partition_size=2, block_channels=[16, 32],
                                       block_layers=[1, 1], head_dim=8, stochastic_depth_prob=0.0, num_classes=10), 32),
    }


def full_models():
    m = torchvision.models
    return {name: (partial(getattr(m, name), weights=None), size) for name, size in [
        ("vit_b_16", 224), ("vit_b_32", 224), ("swin_t", 224), ("swin_v2_t", 256), ("convnext_tiny", 224),
        ("efficientnet_v2_s", 384), ("maxvit_t", 224), ("regnet_y_400mf", 224), ("inception_v3", 299)]}


def export(name, build, size, folder, opset):
    torch.manual_seed(0)
    model = build().eval()
    with torch.no_grad():
        # Freshly initialised transformers have near-zero biases and scales; perturb every parameter so each op matters.
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    path = os.path.join(folder, f"{name}_opset{opset}.onnx")
    torch.onnx.export(model, torch.randn(1, 3, size, size), path, opset_version=opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    torch.onnx.register_custom_op_symbolic("aten::zero", zero_symbolic, 9)
    if len(sys.argv) >= 3 and sys.argv[1] == "--full":
        os.makedirs(sys.argv[2], exist_ok=True)
        only = sys.argv[3:]
        for name, (build, size) in full_models().items():
            if not only or name in only:
                export(name, build, size, sys.argv[2], 17)
        return
    folder = sys.argv[1] if len(sys.argv) > 1 else "artifacts/test-models"
    os.makedirs(folder, exist_ok=True)
    for name, (build, size) in tiny_models().items():
        export(name, build, size, folder, 17)
    # Older opsets take the decomposed LayerNorm (ReduceMean/Pow/Sqrt), attribute axes and 2-D-coerced Softmax.
    export("vit_tiny", tiny_models()["vit_tiny"][0], 32, folder, 12)
    export("swin_tiny", tiny_models()["swin_tiny"][0], 32, folder, 14)


if __name__ == "__main__":
    main()
