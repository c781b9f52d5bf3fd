#!/usr/bin/env bash
# Measures the studio in Chromium (choose a photo → first overlay, method change, class change) and writes
# artifacts/e2e/studio-timings.json with the load average beside the times (CamStudio.Benchmarks/STUDIO-TIMINGS.md).
# Run it on a quiet machine; the test suite leaves this measurement out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-browser
dotnet build CamStudio.EndToEnd.Tests/CamStudio.EndToEnd.Tests.csproj -c Release -nologo -v q -clp:ErrorsOnly
export CAMSTUDIO_MODELS="$(pwd)/artifacts/timings/models"
mkdir -p "$CAMSTUDIO_MODELS"
dotnet test CamStudio.EndToEnd.Tests/CamStudio.EndToEnd.Tests.csproj -c Release --no-build -nologo \
  --filter "FullyQualifiedName~StudioTimingsEndToEndTests" --logger "console;verbosity=normal"
cat artifacts/e2e/studio-timings.json
