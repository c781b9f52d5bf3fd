#!/usr/bin/env bash
# Measures the studio (not a test): time from upload to the first overlay on screen, in Debian's Chromium, for
# ../shared/images/both.png and for a 12-megapixel photo made at run time (both.png upscaled to 4000×3000, JPEG),
# median of 20 runs each (after one warm-up). Uses a Release build and a temp models folder.
# Measured 2026-11-26 on the shared 2-core box (other builds running): both.png median 307 ms (134–682),
# 12 MP JPEG (0.68 MB) median 452 ms (362–603).
# Usage: scripts/measure-studio.sh [runs=20]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
shared="${CAMSTUDIO_SHARED:-$(cd .. && pwd)/shared}"
# Inside artifacts/ (gitignored), not /tmp: a /tmp clean-up by another process would take the models folder away mid-run.
mkdir -p artifacts
work="$(mktemp -d "$(pwd)/artifacts/measure-studio.XXXXXX")"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
[ -x /usr/bin/chromium ] || { echo "Chromium is missing: run scripts/setup.sh --with-browser" >&2; exit 1; }

dotnet build CamStudio.Web -c Release -nologo -v q -clp:ErrorsOnly
dotnet build CamStudio.Cli -c Release -nologo -v q -clp:ErrorsOnly
export CAMSTUDIO_MODELS="$work/models"
CamStudio.Cli/bin/Release/net10.0/camstudio models add "$shared/models/mobilenetv2-12-int8.onnx" \
  --labels "$shared/models/imagenet_classes.txt" --name mobilenetv2 >/dev/null

port=5174
CAMSTUDIO_DATA="$work/data" ASPNETCORE_ENVIRONMENT=Production \
  dotnet CamStudio.Web/bin/Release/net10.0/CamStudio.Web.dll --urls "http://127.0.0.1:$port" \
  --contentRoot "$(pwd)/CamStudio.Web" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

echo "CPU: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet run scripts/measure/StudioMeasure.cs -- "http://127.0.0.1:$port" "$shared/images/both.png" "$runs"
