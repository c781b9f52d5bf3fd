#!/usr/bin/env bash
# Peak resident memory of Score-CAM (and its relatives) on the default model, above the process once the model is
# loaded and has explained one photo with Grad-CAM (the idle working set): the kernel's peak mark is reset just
# before each method runs. Usage: scripts/measure-scorecam-memory.sh [methods=scorecam,ablationcam,scorecam-fast]
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${CAMSTUDIO_SHARED:-$(cd .. && pwd)/shared}"
[ -d "$shared/models" ] || shared="$(cd ../.. && pwd)/shared"
dotnet build CamStudio.Benchmarks/CamStudio.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly
dotnet CamStudio.Benchmarks/bin/Release/net10.0/CamStudio.Benchmarks.dll --anchors --threads 2 \
  --onnx "$shared/models/mobilenetv2-12-int8.onnx" --photo "$shared/images/dog.jpg" --methods "${1:-scorecam,ablationcam,scorecam-fast}" \
  | grep -E '^(RESULT|MEMORY|//)'
