#!/usr/bin/python3
"""Reference maps from the anchors' own code (pytorch-grad-cam, TorchCAM) for CamStudio's agreement test.

Run with Debian's Python and PyTorch (see ../shared/anchors/README.md), from the repository root:

    PYTHONPATH=../shared/anchors/pytorch-grad-cam:../shared/anchors/torch-cam:../shared/anchors/ttach \
        /usr/bin/python3 scripts/anchor-references.py            # writes CamStudio.Tests/References/
    ... scripts/anchor-references.py --bench                      # prints each method's cost / a plain forward
    ... scripts/anchor-references.py --features                   # only the request features' references (below)
    ... scripts/anchor-references.py --paired --rounds 5          # cost / a plain forward, interleaved rounds (medians)

The model is torchvision's resnet18 (1000 classes) with weights from a counter-based generator, not torch's RNG, so
the C# test (CamStudio.Tests/Support/SeededResNet18.cs) builds bit-identical weights without a 45 MB file: element i
of tensor `name` is u = 2·(splitmix64(fnv1a64(name) + (i + 1)·φ) >> 11)·2⁻⁵³ − 1, scaled per kind of tensor below.
Photos are centre-cropped to a square and sampled nearest-neighbour to 224×224 (integer arithmetic), then ImageNet-
normalised, so both sides feed the same tensor. Maps are written raw at the layer's resolution (what the library
computes before resizing to the photo), float16, one file per method: photos × h × w (Score-CAM and Ablation-CAM,
512 forwards each, on the first photo only). FullGrad's map is at the input's resolution and is stored 4×4
mean-pooled (56×56).

The request features (--features, manifest key "features"; written beside the methods' without recomputing them):
aug_smooth and eigen_smooth of Grad-CAM and Grad-CAM++ (pytorch-grad-cam with ttach), layer3+layer4 fused by mean
(pytorch-grad-cam's aggregation, at 14×14) and by max (TorchCAM's fuse_cams), guided backpropagation and Guided
Grad-CAM (pytorch-grad-cam's GuidedBackpropReLUModel and its README's deprocess_image(cam × gradient)), 4×4
mean-pooled to 3×56×56, and Deep Feature Factorization (pytorch-grad-cam's dff, K = 5, one photo at a time).
eigen_smooth is stored as the signed first-component projection (captured from pytorch-grad-cam's own
get_2d_projection call, before its ReLU): SVD leaves that sign arbitrary and pytorch-grad-cam keeps LAPACK's, so the
test compares ours with the ReLU of either sign. DFF concepts come in NMF's arbitrary order and scale.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("CAMSTUDIO_SHARED", os.path.join(REPO, "..", "shared"))
OUT = os.path.join(REPO, "CamStudio.Tests", "References")
PHOTOS = ["cat.bmp", "dragonfly.bmp", "grace_hopper.bmp"]
SIZE = 224
LAYER = "layer4"
SMOOTH_SEED = 20190801          # SmoothGradCamPlusPlus.NoiseSeed
SLOW = ("scorecam", "ablationcam")
DFF_CONCEPTS = 5
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
MASK64 = (1 << 64) - 1


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def uniform(name, count):
    """count numbers in [-1, 1) from splitmix64, seeded by the tensor's name."""
    with np.errstate(over="ignore"):
        z = np.uint64(fnv1a64(name)) + np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (2.0 ** -53) * 2.0 - 1.0


def seeded_value(name, shape):
    """The value of state-dict tensor `name` (kaiming-like convs, BN with non-trivial statistics)."""
    count = int(np.prod(shape)) if len(shape) else 1
    u = uniform(name, count)
    if name.endswith("num_batches_tracked"):
        return np.zeros(shape, dtype=np.int64)
    if name.endswith("running_mean"):
        v = 0.1 * u
    elif name.endswith("running_var"):
        v = 1.0 + 0.4 * u
    elif name.startswith("fc.") and name.endswith("weight"):
        v = u * np.sqrt(3.0) / np.sqrt(shape[1])
    elif name.endswith("bias"):
        v = 0.1 * u
    elif len(shape) == 4:                                  # conv: kaiming normal's std, fan_out, as torchvision
        v = u * np.sqrt(3.0) * np.sqrt(2.0 / (shape[0] * shape[2] * shape[3]))
    else:                                                  # batch-norm weight
        v = 1.0 + 0.2 * u
    return v.astype(np.float32).reshape(shape)


def seeded_resnet18():
    model = torchvision.models.resnet18(weights=None, num_classes=1000)
    state = {name: torch.from_numpy(seeded_value(name, tuple(t.shape))) for name, t in model.state_dict().items()}
    model.load_state_dict(state)
    return model.eval()


def photo_tensor(path):
    image = np.asarray(Image.open(path).convert("RGB"))
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    index = [(2 * i + 1) * side // (2 * SIZE) for i in range(SIZE)]
    rows = [top + i for i in index]
    cols = [left + i for i in index]
    crop = image[np.ix_(rows, cols)].astype(np.float32) / np.float32(255)
    normalised = (crop - MEAN) / STD
    return torch.from_numpy(normalised.transpose(2, 0, 1).copy())


class LayerResolution:
    """pytorch-grad-cam resizes every map to the input; asked for the layer's own size it leaves them there."""

    def __init__(self, cam, size):
        self.cam = cam
        cam.get_target_width_height = lambda _input: size

    def __call__(self, batch, classes):
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
        return self.cam(input_tensor=batch, targets=[ClassifierOutputTarget(c) for c in classes])


def grad_cam_methods(model):
    import pytorch_grad_cam as g
    layer = [model.layer4]
    simple = {
        "gradcam": g.GradCAM, "gradcam++": g.GradCAMPlusPlus, "xgradcam": g.XGradCAM, "hirescam": g.HiResCAM,
        "layercam": g.LayerCAM, "eigencam": g.EigenCAM, "scorecam": g.ScoreCAM, "ablationcam": g.AblationCAM,
        "gradcam-elementwise": g.GradCAMElementWise, "eigengradcam": g.EigenGradCAM, "shapleycam": g.ShapleyCAM,
        "kpcacam": g.KPCA_CAM, "fem": g.FEM,
    }
    methods = {name: (lambda cls: lambda: LayerResolution(cls(model=model, target_layers=layer), (7, 7)))(cls)
               for name, cls in simple.items()}

    def fullgrad():
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
        cam = g.FullGrad(model=model, target_layers=[])
        return lambda batch, classes: cam(input_tensor=batch, targets=[ClassifierOutputTarget(c) for c in classes])
    methods["fullgrad"] = fullgrad
    return methods


def torch_cam_methods(model):
    import torchcam.methods as t

    def extractor(make):
        def run(batch, classes):
            with make() as cam:
                maps = []
                for photo, c in zip(batch, classes):     # one photo per call: TorchCAM's extractors hook one input
                    scores = model(photo.unsqueeze(0))
                    maps.append(cam(c, scores, normalized=False)[0][0].detach())
                return torch.stack(maps).numpy()
        return run

    def smooth():
        cam = t.SmoothGradCAMpp(model, LAYER, num_samples=4, std=0.3)
        cam._distrib = SharedNoise(4, 0.3)
        return cam

    return {
        "cam": lambda: extractor(lambda: t.CAM(model, LAYER, fc_layer="fc")),
        "smoothgradcam++": lambda: extractor(smooth),
        "finercam": lambda: extractor(lambda: t.FinerCAM(model, LAYER, gamma=0.6, num_references=3)),
    }


class SharedNoise:
    """TorchCAM's noise distribution replaced by CamStudio's draw: one seeded samples×3×H×W tensor, the same for every photo."""

    def __init__(self, samples, sigma):
        self.samples, self.sigma, self.next = samples, sigma, 0

    def sample(self, size):
        noise = smooth_noise(self.samples, size[-2], size[-1], self.sigma)
        drawn = noise[self.next % self.samples].reshape(size)
        self.next += 1
        return drawn


def smooth_noise(samples, height, width, sigma):
    generator = torch.Generator().manual_seed(SMOOTH_SEED)
    return torch.randn((samples, 3, height, width), generator=generator) * sigma


def all_methods(model):
    return {**grad_cam_methods(model), **torch_cam_methods(model)}


def write_references(model, batch, classes):
    os.makedirs(OUT, exist_ok=True)
    manifest = {
        "model": "torchvision resnet18, 1000 classes, seeded weights (scripts/anchor-references.py)",
        "layer": LAYER, "photos": PHOTOS, "classes": classes,
        "preprocessing": "centre square crop, nearest-neighbour sampling to 224x224, ImageNet mean/std",
        "smoothNoiseFirstValues": smooth_noise(4, SIZE, SIZE, 1.0).flatten()[:8].tolist(),
        "logitsFirstValues": model(batch[:1]).detach().flatten()[:8].tolist(),
        "methods": {},
    }
    methods = all_methods(model)
    # The perturbation methods run one forward per channel (512 at layer4): on the first photo only, and last.
    order = [m for m in methods if m not in SLOW] + [m for m in methods if m in SLOW]
    for name in order:
        count = 1 if name in SLOW else len(PHOTOS)
        maps = np.asarray(methods[name]()(batch[:count], classes[:count]), dtype=np.float32)
        if name == "fullgrad":
            maps = maps.reshape(count, SIZE // 4, 4, SIZE // 4, 4).mean(axis=(2, 4))
        library = "pytorch-grad-cam" if name not in ("cam", "smoothgradcam++", "finercam") else "TorchCAM"
        file = f"{name}.f16"
        maps.astype("<f2").tofile(os.path.join(OUT, file))
        manifest["methods"][name] = {"file": file, "library": library, "shape": list(maps.shape)}
        print(f"{name:22s} {library:16s} {maps.shape}", flush=True)
        with open(os.path.join(OUT, "references.json"), "w") as stream:   # after every method: slow ones may be cut short
            json.dump(manifest, stream, indent=1)
            stream.write("\n")


def feature_references(model, batch, classes):
    """name -> (maps, library, note) for the request features (see the module's docstring)."""
    import pytorch_grad_cam as g
    import pytorch_grad_cam.base_cam as base_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from pytorch_grad_cam.utils.image import deprocess_image
    from pytorch_grad_cam.feature_factorization.deep_feature_factorization import dff
    import torchcam.methods as t
    targets = [ClassifierOutputTarget(c) for c in classes]
    out = {}

    def at(cam, size):
        cam.get_target_width_height = lambda _input: size
        return cam

    for name, cls in (("gradcam", g.GradCAM), ("gradcam++", g.GradCAMPlusPlus)):
        cam = at(cls(model=model, target_layers=[model.layer4]), (7, 7))
        out[f"aug-{name}"] = (cam(input_tensor=batch, targets=targets, aug_smooth=True), "pytorch-grad-cam + ttach", "aug_smooth")
        captured = []
        original = base_cam.get_2d_projection
        base_cam.get_2d_projection = lambda x: captured.append(original(x)) or captured[-1]
        try:
            cam(input_tensor=batch, targets=targets, eigen_smooth=True)
        finally:
            base_cam.get_2d_projection = original
        out[f"eigen-{name}"] = (captured[0], "pytorch-grad-cam", "eigen_smooth, signed projection before the ReLU")

    fused = at(g.GradCAM(model=model, target_layers=[model.layer3, model.layer4]), (14, 14))
    out["fuse-mean-gradcam"] = (fused(input_tensor=batch, targets=targets), "pytorch-grad-cam", "layer3+layer4, mean")
    maps = []
    with t.GradCAM(model, ["layer3", "layer4"]) as cam:
        for photo, c in zip(batch, classes):
            cams = cam(c, model(photo.unsqueeze(0)))
            maps.append(t.GradCAM.fuse_cams(cams)[0].detach().numpy())
    out["fuse-max-gradcam"] = (np.stack(maps), "TorchCAM", "layer3+layer4, fuse_cams (max)")

    # Guided backpropagation swaps the model's ReLUs: on a model of its own, one photo per call as the library does.
    guided_model = g.GuidedBackpropReLUModel(model=seeded_resnet18(), device="cpu")
    plain = g.GradCAM(model=model, target_layers=[model.layer4])
    gradients, products = [], []
    for photo, c in zip(batch, classes):
        gb = guided_model(photo.unsqueeze(0).clone(), target_category=c)                      # H × W × 3
        mask = plain(input_tensor=photo.unsqueeze(0), targets=[ClassifierOutputTarget(c)])[0]  # H × W, at the input's size
        product = deprocess_image(np.stack([mask] * 3, axis=-1) * gb).astype(np.float32)
        gradients.append(gb.transpose(2, 0, 1))
        products.append(product.transpose(2, 0, 1))
    pool = lambda a: a.reshape(len(classes), 3, SIZE // 4, 4, SIZE // 4, 4).mean(axis=(3, 5))
    out["guided"] = (pool(np.stack(gradients)), "pytorch-grad-cam", "guided backprop, 4x4 mean-pooled")
    out["guided-gradcam"] = (pool(np.stack(products)), "pytorch-grad-cam", "deprocess_image(gradcam x guided), 0-255, 4x4 mean-pooled")

    activations = []
    handle = model.layer4.register_forward_hook(lambda _m, _i, o: activations.append(o.detach().numpy()))
    with torch.no_grad():
        model(batch)
    handle.remove()
    concepts, tops, shapes = [], [], []
    for photo in activations[0]:
        profiles, maps = dff(photo[None].copy(), n_components=DFF_CONCEPTS)          # C × K (offset added back), 1 × K × h × w
        with torch.no_grad():
            scores = model.fc(torch.from_numpy(np.float32(profiles).T)).softmax(1)
        tops.append(scores.argmax(1).tolist())
        concepts.append(maps[0])
        shapes.append(np.float32(profiles).T)
    out["dff"] = (np.stack(concepts), "pytorch-grad-cam", f"dff K={DFF_CONCEPTS}, raw NMF maps; topClasses: each concept's best class by fc")
    out["dff-profiles"] = (np.stack(shapes), "pytorch-grad-cam", "dff concept profiles (W + offset), photos x K x C")
    return out, tops


def write_feature_references(model, batch, classes):
    path = os.path.join(OUT, "references.json")
    with open(path) as stream:
        manifest = json.load(stream)
    manifest["features"] = {}
    refs, tops = feature_references(model, batch, classes)
    for name, (maps, library, note) in refs.items():
        maps = np.asarray(maps, dtype=np.float32)
        file = f"feature-{name}.f16"
        maps.astype("<f2").tofile(os.path.join(OUT, file))
        entry = {"file": file, "library": library, "shape": list(maps.shape), "note": note}
        if name == "dff":
            entry["topClasses"] = tops
        manifest["features"][name] = entry
        print(f"{name:22s} {library:26s} {maps.shape}", flush=True)
    with open(path, "w") as stream:
        json.dump(manifest, stream, indent=1)
        stream.write("\n")


def bench(model, batch, classes, repeats):
    one, cls = batch[:1], classes[:1]
    def timed(run):
        run()                                          # warm-up
        started = time.perf_counter()
        for _ in range(repeats):
            run()
        return (time.perf_counter() - started) / repeats
    with torch.no_grad():
        forward = timed(lambda: model(one))
    print(f"plain forward: {forward * 1000:.1f} ms")
    for name, make in all_methods(model).items():
        if name in ("scorecam", "ablationcam") and repeats > 1:
            continue
        cam = make()
        seconds = timed(lambda: cam(one, cls))
        print(f"{name:22s} {seconds * 1000:9.1f} ms  {seconds / forward:7.1f}x forward", flush=True)


def paired_bench(model, batch, classes, rounds):
    """Each round runs a plain forward and every operation once, shuffled; a ratio is taken within its round (load
    that comes and goes hits both sides alike); prints the median ratio per operation over the rounds."""
    import random
    import pytorch_grad_cam as g
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    from pytorch_grad_cam.feature_factorization.deep_feature_factorization import DeepFeatureFactorization
    one, target = batch[:1], [ClassifierOutputTarget(classes[0])]
    methods = grad_cam_methods(model)
    gradcam = g.GradCAM(model=model, target_layers=[model.layer4])
    fused = g.GradCAM(model=model, target_layers=[model.layer3, model.layer4])
    guided_model = g.GuidedBackpropReLUModel(model=seeded_resnet18(), device="cpu")
    dff = DeepFeatureFactorization(model=model, target_layer=model.layer4, computation_on_concepts=model.fc)

    def plain():
        with torch.no_grad():
            model(one)
    operations = {"plain forward": plain}
    for name in ("gradcam", "gradcam-elementwise", "eigengradcam", "shapleycam", "fullgrad", "kpcacam", "fem"):
        cam = methods[name]()
        operations[name] = (lambda cam: lambda: cam(one, classes[:1]))(cam)
    smooth = torch_cam_methods(model)
    for name in ("smoothgradcam++", "finercam"):
        run = smooth[name]()
        operations[name + " (TorchCAM)"] = (lambda run: lambda: run(one, classes[:1]))(run)
    operations["gradcam + aug_smooth"] = lambda: gradcam(input_tensor=one, targets=target, aug_smooth=True)
    operations["gradcam + eigen_smooth"] = lambda: gradcam(input_tensor=one, targets=target, eigen_smooth=True)
    operations["gradcam layer3+layer4 (mean)"] = lambda: fused(input_tensor=one, targets=target)
    operations["guided backprop"] = lambda: guided_model(one.clone(), target_category=classes[0])
    operations["dff K=5"] = lambda: dff(one, 5)
    times = {name: [] for name in operations}
    order = list(operations)
    shuffle = random.Random(17)
    for r in range(-1, rounds):
        shuffle.shuffle(order)
        for name in order:
            started = time.perf_counter()
            operations[name]()
            if r >= 0:
                times[name].append(time.perf_counter() - started)
    base = times["plain forward"]
    print(f"load average: {os.getloadavg()}; torch threads: {torch.get_num_threads()}; {rounds} rounds")
    for name, values in times.items():
        ratios = sorted(t / p for t, p in zip(values, base))
        print(f"RATIO {name:32s} {np.median(ratios):8.2f}  median ms {np.median(values) * 1000:9.1f}  range {ratios[0]:.2f}-{ratios[-1]:.2f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", action="store_true", help="time each method against a plain forward instead")
    parser.add_argument("--features", action="store_true", help="write only the request features' references")
    parser.add_argument("--paired", action="store_true", help="interleaved rounds of the new methods and features against a plain forward")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = seeded_resnet18()
    batch = torch.stack([photo_tensor(os.path.join(SHARED, "images", p)) for p in PHOTOS])
    with torch.no_grad():
        classes = model(batch).argmax(1).tolist()
    if args.bench:
        bench(model, batch, classes, args.repeats)
    elif args.paired:
        paired_bench(model, batch, classes, args.rounds)
    elif args.features:
        write_feature_references(model, batch, classes)
    else:
        write_references(model, batch, classes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
