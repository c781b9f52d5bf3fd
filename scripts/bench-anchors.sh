#!/usr/bin/env bash
# Side-by-side timing of CamStudio against pytorch-grad-cam and TorchCAM (../shared/anchors, Debian's python3-torch):
# the same seeded resnet18/resnet50 state dicts (saved once in artifacts/anchors), the same photo, the same torch
# thread count, each method run by every library back to back (interleaved), then CamStudio alone on the default
# MobileNetV2. Raw lines go to artifacts/bench/anchors-raw.txt, the table to artifacts/bench/anchors.md.
# Usage: scripts/bench-anchors.sh [--models resnet18,resnet50] [--threads 2] [--rounds 1] [--samples 35] [--steps 10]
#                                 [--photo ../shared/images/dog.jpg] [--methods gradcam,scorecam,ablationcam,iscam,sscam]
#                                 [--batch 1] [--repeats 5] [--no-default-model]
# --batch N explains the photo N times in one batch on every side (rows say model/bN); --repeats is how many calls
# Grad-CAM's time is the mean of (after one warm-up); --no-default-model skips the MobileNetV2 rows. Faster Score-CAM
# runs only when scorecam is among the methods.
# SS-CAM and IS-CAM cost samples × channels passes on every side; smaller --samples/--steps keep a run short and
# the ratio fair (both sides run the same counts).
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${CAMSTUDIO_SHARED:-$(cd .. && pwd)/shared}"
[ -d "$shared/anchors" ] || shared="$(cd ../.. && pwd)/shared"
models=resnet18,resnet50 threads=2 rounds=1 samples=35 steps=10 photo="$shared/images/dog.jpg"
methods=gradcam,scorecam,ablationcam,iscam,sscam batch=1 repeats=5 default_model=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models="$2"; shift 2;; --threads) threads="$2"; shift 2;; --rounds) rounds="$2"; shift 2;;
    --samples) samples="$2"; shift 2;; --steps) steps="$2"; shift 2;; --photo) photo="$2"; shift 2;;
    --methods) methods="$2"; shift 2;; --batch) batch="$2"; shift 2;; --repeats) repeats="$2"; shift 2;;
    --no-default-model) default_model=no; shift;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
/usr/bin/python3 -c "import cv2, scipy, sklearn, tqdm" 2>/dev/null \
  || { echo "bench-anchors: the anchors' Python packages are missing: run scripts/setup.sh --with-anchors" >&2; exit 1; }
out=artifacts/bench; weights=artifacts/anchors
mkdir -p "$out" "$weights"
[ -f "$weights/resnet50.pt" ] || /usr/bin/python3 scripts/bench_anchors.py save "$weights"
dotnet build CamStudio.Benchmarks/CamStudio.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly
ours=(dotnet CamStudio.Benchmarks/bin/Release/net10.0/CamStudio.Benchmarks.dll --anchors --threads "$threads" --photo "$photo"
      --options "samples=$samples,steps=$steps" --batch "$batch" --repeats "$repeats")
raw="$out/anchors-raw.txt"
echo "# $(date -u '+%F %T') threads=$threads batch=$batch samples=$samples steps=$steps photo=$(basename "$photo") load=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$raw"
anchor_methods() {  # our method id → the anchors' names
  case "$1" in
    gradcam) echo pgc:gradcam,torchcam:gradcam;; scorecam) echo pgc:scorecam,torchcam:scorecam;;
    ablationcam) echo pgc:ablationcam;; iscam) echo torchcam:iscam;; sscam) echo torchcam:sscam;;
  esac
}
for model in ${models//,/ }; do
  label=$model; [ "$batch" = 1 ] || label="$model/b$batch"
  for round in $(seq "$rounds"); do
    for method in ${methods//,/ }; do
      /usr/bin/python3 scripts/bench_anchors.py run --arch "$model" --weights "$weights/$model.pt" --photo "$photo" \
        --threads "$threads" --samples "$samples" --steps "$steps" --batch "$batch" --repeats "$repeats" \
        --methods "$(anchor_methods "$method")" 2>/dev/null | grep '^RESULT' | sed "s|^|$label |" | tee -a "$raw"
      "${ours[@]}" --arch "$model" --weights "$weights/$model.pt" --methods "$method" | grep '^RESULT' | sed "s|^|$label |" | tee -a "$raw"
    done
    if [[ ",$methods," == *,scorecam,* ]]; then
      "${ours[@]}" --arch "$model" --weights "$weights/$model.pt" --methods scorecam-fast | grep '^RESULT' | sed "s|^|$label |" | tee -a "$raw"
    fi
  done
done
[ "$default_model" = no ] || "${ours[@]}" --onnx "$shared/models/mobilenetv2-12-int8.onnx" --methods "gradcam,scorecam,scorecam-fast,ablationcam" \
  | grep '^RESULT' | sed "s/^/mobilenetv2-int8 /" | tee -a "$raw"
/usr/bin/python3 - "$raw" > "$out/anchors.md" <<'PY'
import collections, statistics, sys
lines = open(sys.argv[1]).read().split("\n")
start = max(i for i, l in enumerate(lines) if l.startswith("#"))
times = collections.defaultdict(list)
for line in lines[start + 1:]:
    parts = line.split()
    if len(parts) >= 5 and parts[1] == "RESULT":
        times[(parts[0], parts[3], parts[2])].append(float(parts[4]))
print(lines[start])
print()
print("| model | method | pytorch-grad-cam s | TorchCAM s | CamStudio s | faster anchor / CamStudio | CamStudio / TorchCAM |")
print("|---|---|---:|---:|---:|---:|---:|")
for model, method in dict.fromkeys((k[0], k[1]) for k in times):
    get = lambda lib: statistics.median(times[(model, method, lib)]) if times[(model, method, lib)] else None
    pgc, tc, us = get("pgc"), get("torchcam"), get("camstudio")
    anchors = [t for t in (pgc, tc) if t is not None]
    ratio = f"{min(anchors) / us:.2f}×" if anchors and us else "–"
    versus = f"{us / tc:.2f}×" if tc and us else "–"
    f = lambda t: f"{t:.3f}" if t is not None else "–"
    print(f"| {model} | {method} | {f(pgc)} | {f(tc)} | {f(us)} | {ratio} | {versus} |")
PY
cat "$out/anchors.md"
