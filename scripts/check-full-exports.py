#!/usr/bin/python3
"""Issue 13's "done when" check on full-size torchvision exports (random weights; hundreds of MB, so never a CI test).

For each architecture: export it to ONNX (opset 17 and an older opset torch 1.13 can export it at), add it with
`camstudio models add`, explain a shared photo with Grad-CAM at the automatic layer with `camstudio explain`, and for
every architecture compare the map with pytorch-grad-cam's GradCAM on the same weights at the same layer (with its
reshape transform for token grids), and the top-5 probabilities with PyTorch's own forward. Writes DIR/report.json
(incremental) and prints each row. Run from the repository (after a Release build of CamStudio.Cli):
    CAMSTUDIO_SHARED=../shared /usr/bin/python3 scripts/check-full-exports.py artifacts/full-exports [NAME...] [--opset=17]
"""
import importlib.util
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("CAMSTUDIO_SHARED") or os.path.join(ROOT, "..", "shared")
sys.path[:0] = [os.path.join(SHARED, "anchors", p) for p in ("pytorch-grad-cam", "ttach")]
from pytorch_grad_cam import GradCAM  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402

spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "export-onnx-fixtures.py"))
fixtures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixtures)

# The older opset each architecture exports at with torch 1.13 (Einsum/LayerNorm decompositions differ from opset 17's).
OLDER = {"vit_b_16": 12, "vit_b_32": 12, "swin_t": 14, "swin_v2_t": 14, "convnext_tiny": 13, "efficientnet_v2_s": 13,
         "maxvit_t": 14, "regnet_y_400mf": 11, "inception_v3": 11}
CLI = os.path.join(ROOT, "CamStudio.Cli", "bin", "Release", "net10.0", "camstudio.dll")


def camstudio(*args):
    started = time.time()
    done = subprocess.run(["dotnet", CLI, *args], capture_output=True, text=True)
    return done.returncode, (done.stdout + done.stderr).strip(), time.time() - started


def photo(size, folder):
    # The shared photo at the model's own size, so CamStudio's resize is the identity and both sides see one input.
    path = os.path.join(folder, f"cat_{size}.png")
    if not os.path.exists(path):
        Image.open(os.path.join(SHARED, "images", "cat.bmp")).convert("RGB").resize((size, size), Image.BILINEAR).save(path)
    return path


def input_tensor(path):
    x = torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    return ((x - mean) / std).unsqueeze(0)


def reshape_for(shape):
    # CamStudio's token-grid rule, as pytorch-grad-cam's reshape transforms: N×(T+HW)×C → drop T, N×H×W×C → permute.
    if len(shape) == 3:
        extra = next(e for e in range(6) if int((shape[1] - e) ** 0.5) ** 2 == shape[1] - e)
        side = int((shape[1] - extra) ** 0.5)
        return lambda t: t[:, extra:, :].reshape(t.size(0), side, side, t.size(2)).permute(0, 3, 1, 2)
    if len(shape) == 4 and shape[1] == shape[2] and shape[3] != shape[1]:
        return lambda t: t.permute(0, 3, 1, 2)
    return None


def pgc_map(model, module_path, x, target, side):
    layer = model.get_submodule(module_path)
    seen = {}
    def record(module, inputs, output):
        seen["shape"] = tuple(output.shape)  # returns None: a hook's return value would replace the output

    hook = layer.register_forward_hook(record)
    with torch.no_grad():
        seen["probabilities"] = torch.softmax(model(x), dim=1)[0]
    hook.remove()
    cam = GradCAM(model=model, target_layers=[layer], reshape_transform=reshape_for(seen["shape"]))
    cam.get_target_width_height = lambda input_tensor: (side, side)
    return cam(input_tensor=x, targets=[ClassifierOutputTarget(target)])[0], seen["probabilities"]


def build(name):
    torch.manual_seed(0)
    model = fixtures.full_models()[name][0]().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return model


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "artifacts/full-exports")
    only = sys.argv[2:]
    models_dir = os.path.join(out, "models")
    os.makedirs(models_dir, exist_ok=True)
    torch.onnx.register_custom_op_symbolic("aten::zero", fixtures.zero_symbolic, 9)
    # Incremental: rows already checked are kept (delete report.json to start over); --no-export skips missing files.
    report = os.path.join(out, "report.json")
    rows = json.load(open(report)) if os.path.exists(report) else []
    done = {r["model"] for r in rows if "export" not in r}
    rows = [r for r in rows if r["model"] in done]
    no_export = "--no-export" in only
    # --opset N checks only that opset (e.g. 17 first for every architecture when time is short).
    opsets = [int(o.split("=", 1)[1]) for o in only if o.startswith("--opset=")]
    only = [o for o in only if o != "--no-export" and not o.startswith("--opset=")]
    for name, (_, size) in fixtures.full_models().items():
        if only and name not in only:
            continue
        for opset in [o for o in (17, OLDER[name]) if not opsets or o in opsets]:
            stem = f"{name}_opset{opset}"
            path = os.path.join(out, stem + ".onnx")
            row = {"model": stem}
            if stem in done or no_export and not os.path.exists(path):
                continue
            try:
                if not os.path.exists(path):
                    fixtures.export(name, fixtures.full_models()[name][0], size, out, opset)
            except Exception as e:  # an exporter limit of torch 1.13, not CamStudio's
                row["export"] = f"torch.onnx cannot export: {str(e).splitlines()[0][:120]}"
                rows.append(row)
                continue
            code, text, seconds = camstudio("models", "add", path, "--name", stem, "--models-dir", models_dir, "--force")
            row["add"] = "ok" if code == 0 else text.splitlines()[-1][:300]
            row["add_s"] = seconds
            if code == 0:
                folder = os.path.join(out, "maps", stem)
                image = photo(size, out)
                code, text, seconds = camstudio("explain", image, "--model", stem, "--method", "gradcam", "--layer", "auto",
                                                "--out", folder, "--models-dir", models_dir)
                row["explain"] = "ok" if code == 0 else text.splitlines()[-1][:300]
                row["explain_s"] = seconds
                if code == 0:
                    predictions = json.load(open(os.path.join(folder, "predictions.json")))
                    row["predictions"] = predictions
                    row.update(compare(name, predictions, folder, image))
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "predictions"}), flush=True)
            with open(report, "w") as f:
                json.dump(rows, f, indent=1)


def module_path(tensor):
    # CamStudio's scope rule (OnnxLayerScopes.ModulePath): "/features/features.7/features.7.1/norm1/X_output_0" → "features.7.1.norm1".
    path = ""
    for part in [p for p in tensor.split("/") if p][:-1]:
        path = part if not path else part if part.startswith(path + ".") else path + "." + part
    return path


def compare(name, predictions, folder, image):
    entry = predictions["photos"][0]["files"][0]
    layer = entry["layer"]
    target = entry["classIndex"]
    ours = np.load(os.path.join(folder, os.path.basename(entry["rawNpy"])))
    side = ours.shape[-1]
    model = build(name)
    ref, probabilities = pgc_map(model, module_path(layer), input_tensor(image), target, side)
    # Our top-5 against PyTorch's forward on the same weights and input: the import's logits, not only its map.
    top5 = predictions["photos"][0]["top5"]
    probability_error = max(abs(t["probability"] - float(probabilities[t["classIndex"]])) for t in top5)
    a, b = ours.reshape(-1).astype(np.float64), ref.reshape(-1).astype(np.float64)
    r = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")
    return {"layer": module_path(layer), "class": target, "grid": list(ours.shape), "pearson": r,
            "torch_top1": int(probabilities.argmax()), "probability_error": probability_error}


if __name__ == "__main__":
    main()
