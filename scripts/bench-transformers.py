#!/usr/bin/python3
"""PyTorch side of CamStudio's transformer benchmark (CamStudio.Benchmarks --transformers): torchvision vit_b_16 and
swin_t with the random weights scripts/export-onnx-fixtures.py --full exports (same seed and perturbation), forward and
pytorch-grad-cam GradCAM at the last block's first norm (its README's advice, with its reshape transform), batch 1,
ms per image.

Standalone (minimum and median over rounds):
    PYTHONPATH=../shared/anchors/pytorch-grad-cam:../shared/anchors/ttach /usr/bin/python3 scripts/bench-transformers.py [rounds] [threads]
As the benchmark's interleaved partner (CamStudio.Benchmarks --transformers --pytorch): --serve THREADS reads a model
name per line on stdin, runs one round of it (forward, then Grad-CAM) and answers "forward_ms gradcam_ms forward_cpu_ms gradcam_cpu_ms".
--profile NAME THREADS prints PyTorch's own per-op times for three forwards.
"""
import os
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


LAYERS = {"vit_b_16": (lambda m: m.encoder.layers[-1].ln_1, vit_reshape),
          "swin_t": (lambda m: m.features[-1][-1].norm1, swin_reshape)}


def prepare(name):
    model = build(name)
    layer, reshape = LAYERS[name]
    cam = GradCAM(model=model, target_layers=[layer(model)], reshape_transform=reshape)
    # The same input as CamStudio.Benchmarks' TransformerTiming.
    x = torch.linspace(-2, 2, 3 * 224 * 224).mul(5.3).sin().reshape(1, 3, 224, 224)
    return model, cam, x


def one_round(model, cam, x):
    # Wall-clock and this process's CPU time (on a loaded machine the CPU time is the steadier figure).
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        logits = model(x)
    t1, c1 = time.perf_counter(), time.process_time()
    cam(input_tensor=x, targets=[ClassifierOutputTarget(int(logits.argmax()))])
    t2, c2 = time.perf_counter(), time.process_time()
    return (t1 - t0) * 1000, (t2 - t1) * 1000, (c1 - c0) * 1000, (c2 - c1) * 1000


def blas():
    # Debian's torch has BLAS_INFO=generic: Linear/matmul go through whatever libblas.so.3 the system's alternatives point
    # at. Netlib's reference BLAS (libblas3) makes swin_t's forward ~9× slower in CPU time than OpenBLAS
    # (libopenblas0-pthread), so a ratio against it would flatter CamStudio; name the library beside every result.
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if ".so" in line}
    found = sorted(p for p in paths if os.path.basename(p).startswith("lib") and "blas" in os.path.basename(p))
    return ", ".join(found) or "unknown"


def serve(threads):
    torch.set_num_threads(threads)
    prepared = {}
    print(f"ready torch {torch.__version__} threads {torch.get_num_threads()} BLAS {blas()}", flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        # "vit_b_16_opset17" → "vit_b_16": the exported file's architecture.
        arch = next(a for a in LAYERS if name == a or name.startswith(a + "_opset"))
        if arch not in prepared:
            prepared[arch] = prepare(arch)
        print(" ".join(f"{v:.3f}" for v in one_round(*prepared[arch])), flush=True)


def profile(name, threads):
    # Where PyTorch's forward spends its time, by aten op (beside CamStudio.Benchmarks --profile's ONNX op table).
    torch.set_num_threads(threads)
    model, _, x = prepare(name)
    with torch.no_grad():
        model(x)
        with torch.autograd.profiler.profile() as prof:
            for _ in range(3):
                model(x)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
        return
    if len(sys.argv) > 3 and sys.argv[1] == "--profile":
        profile(sys.argv[2], int(sys.argv[3]))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    print(f"BLAS: {blas()}")
    for name in LAYERS:
        prepared = prepare(name)
        forward, grad = [], []
        for r in range(-2, rounds):
            f, g, _, _ = one_round(*prepared)
            if r >= 0:
                forward.append(f)
                grad.append(g)
        med = lambda v: sorted(v)[len(v) // 2]
        print(f"{name} PyTorch {torch.__version__}: forward min {min(forward):.1f} ms, median {med(forward):.1f} ms; "
              f"pytorch-grad-cam Grad-CAM min {min(grad):.1f} ms, median {med(grad):.1f} ms ({rounds} rounds, {torch.get_num_threads()} thread(s))")


if __name__ == "__main__":
    main()
