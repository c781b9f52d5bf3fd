"""Cost of the reference metrics as multiples of one plain forward: TorchCAM's DeletionInsertionMetric (20 steps)
and ClassificationMetric, pytorch-grad-cam's ROADCombined (9 percentiles), on resnet18 with seeded random weights,
one 224x224 input, one torch thread. Run (from the repository root):
  PYTHONPATH=../shared/anchors/pytorch-grad-cam:../shared/anchors/torch-cam:../shared/anchors/ttach \
  /usr/bin/python3 CamStudio.Benchmarks/anchors/metric_anchors.py [rounds]
"""
import statistics
import sys
import time
from functools import partial

import numpy as np
import torch
import torchvision

torch.set_num_threads(1)
torch.manual_seed(1)
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
model = torchvision.models.resnet18().eval()
x = torch.randn(1, 3, 224, 224)

from torchcam.methods import GradCAM as TorchCamGradCAM
from torchcam.metrics import ClassificationMetric, DeletionInsertionMetric
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.metrics.road import ROADCombined
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget

extractor = TorchCamGradCAM(model, "layer4")
deletion_insertion = DeletionInsertionMetric(extractor, partial(torch.softmax, dim=-1), steps=20)
classification = ClassificationMetric(extractor, partial(torch.softmax, dim=-1))
with GradCAM(model=model, target_layers=[model.layer4]) as cam:
    grayscale = cam(input_tensor=x, targets=[ClassifierOutputSoftmaxTarget(0)])
road = ROADCombined(percentiles=[10, 20, 30, 40, 50, 60, 70, 80, 90])


def plain():
    with torch.no_grad():
        model(x)


def torchcam_deletion_insertion():
    deletion_insertion.update(x, class_idx=0)


def torchcam_drop():
    classification.update(x, class_idx=0)


def gradcam_road():
    road(x, grayscale, [ClassifierOutputSoftmaxTarget(0)], model)


operations = [("plain forward (no grad)", plain), ("TorchCAM DeletionInsertionMetric, 20 steps (incl. its Grad-CAM)", torchcam_deletion_insertion),
              ("TorchCAM ClassificationMetric (Average Drop/Increase, incl. its Grad-CAM)", torchcam_drop),
              ("pytorch-grad-cam ROADCombined, 9 percentiles", gradcam_road)]
times = {name: [] for name, _ in operations}
rng = np.random.default_rng(3)
for r in range(-1, rounds):
    for i in rng.permutation(len(operations)):
        name, op = operations[i]
        start = time.perf_counter()
        op()
        if r >= 0:
            times[name].append((time.perf_counter() - start) * 1000)
    print(f"// round {r + 1} done", flush=True)
forward = statistics.median(times[operations[0][0]])
print("| operation | median ms | x plain forward |")
print("|---|---:|---:|")
for name, _ in operations:
    m = statistics.median(times[name])
    print(f"| {name} | {m:.1f} | {m / forward:.1f}x |")
