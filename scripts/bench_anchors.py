#!/usr/bin/python3
"""Times the reference CAM libraries (pytorch-grad-cam, TorchCAM from ../shared/anchors) on one photo, for
scripts/bench-anchors.sh, which interleaves these runs with CamStudio's own on the same weights and threads.

    /usr/bin/python3 scripts/bench_anchors.py save DIR
        saves seeded random resnet18/resnet50 state dicts (DIR/resnet18.pt, DIR/resnet50.pt) once
    /usr/bin/python3 scripts/bench_anchors.py run --arch resnet18 --weights DIR/resnet18.pt --photo P [--threads 2]
        [--methods pgc:gradcam,torchcam:scorecam,...] [--samples 35] [--steps 10] [--batch 1] [--repeats 5]
        prints one line per method: RESULT <library> <method> <seconds per call> <class>
        (--batch N: the photo N times in one batch, each explained for its top class; Grad-CAM runs --repeats times
        after one warm-up call and the mean is printed)

Run with Debian's python3-torch (see ../shared/anchors/README.md). Start-up and model loading are excluded; each
method runs once after one warm-up forward (the slow ones take seconds, so one run is the measurement).
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image

SEED = 20261202
ALL_METHODS = ["pgc:gradcam", "torchcam:gradcam", "pgc:scorecam", "torchcam:scorecam", "pgc:ablationcam",
               "torchcam:sscam", "torchcam:iscam"]


def anchors_path():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("CAMSTUDIO_SHARED") or os.path.join(here, "..", "..", "shared")
    if not os.path.isdir(os.path.join(shared, "anchors")):
        shared = os.path.join(here, "..", "..", "..", "shared")
    return os.path.join(shared, "anchors")


def build(arch):
    return getattr(torchvision.models, arch)(weights=None)


def save(directory):
    os.makedirs(directory, exist_ok=True)
    for arch in ("resnet18", "resnet50"):
        torch.manual_seed(SEED)
        model = build(arch)
        path = os.path.join(directory, arch + ".pt")
        torch.save(model.state_dict(), path)
        print("saved", path)


def photo_tensor(path, size=224):
    # ImageNet normalisation of the photo squashed to size×size: the cost does not depend on the crop.
    image = Image.open(path).convert("RGB").resize((size, size), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    return ((x - mean) / std).unsqueeze(0)


def run(args):
    sys.path[:0] = [os.path.join(anchors_path(), p) for p in ("pytorch-grad-cam", "torch-cam", "ttach")]
    import tqdm
    from functools import partialmethod
    tqdm.tqdm.__init__ = partialmethod(tqdm.tqdm.__init__, disable=True)
    from pytorch_grad_cam import AblationCAM, GradCAM, ScoreCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    import torchcam.methods as tc

    torch.set_num_threads(args.threads)
    model = build(args.arch)
    model.load_state_dict(torch.load(args.weights))
    model.eval()
    x = photo_tensor(args.photo).repeat(args.batch, 1, 1, 1)
    with torch.no_grad():
        classes = [int(c) for c in model(x).argmax(1)]
    cls = classes[0]
    layer = model.layer4

    def pgc(kind):
        cam = kind(model=model, target_layers=[layer])
        cam(input_tensor=x, targets=[ClassifierOutputTarget(c) for c in classes])
        cam.activations_and_grads.release()

    def torchcam(kind, **kw):
        with kind(model, "layer4", **kw) as extractor:
            # Grad-CAM needs the autograd graph of this forward; the score methods run their own passes.
            with torch.set_grad_enabled(kind is tc.GradCAM):
                out = model(x)
            extractor(classes if len(classes) > 1 else cls, out)

    jobs = {
        "pgc:gradcam": lambda: pgc(GradCAM),
        "pgc:scorecam": lambda: pgc(ScoreCAM),
        "pgc:ablationcam": lambda: pgc(AblationCAM),
        "torchcam:gradcam": lambda: torchcam(tc.GradCAM),
        "torchcam:scorecam": lambda: torchcam(tc.ScoreCAM),
        "torchcam:sscam": lambda: torchcam(tc.SSCAM, num_samples=args.samples, std=2.0),
        "torchcam:iscam": lambda: torchcam(tc.ISCAM, num_samples=args.steps),
    }
    with torch.no_grad():
        model(x)
    for name in args.methods.split(","):
        repeats = args.repeats if name.endswith("gradcam") else 1
        if repeats > 1:
            jobs[name]()
        start = time.perf_counter()
        for _ in range(repeats):
            jobs[name]()
        seconds = (time.perf_counter() - start) / repeats
        library, method = name.split(":")
        print(f"RESULT {library} {method} {seconds:.4f} {cls}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("save")
    s.add_argument("directory")
    r = sub.add_parser("run")
    r.add_argument("--arch", required=True)
    r.add_argument("--weights", required=True)
    r.add_argument("--photo", required=True)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--methods", default=",".join(ALL_METHODS))
    r.add_argument("--samples", type=int, default=35)
    r.add_argument("--steps", type=int, default=10)
    r.add_argument("--batch", type=int, default=1)
    r.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.command == "save":
        save(args.directory)
    else:
        run(args)


if __name__ == "__main__":
    main()
