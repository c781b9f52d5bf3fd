#!/usr/bin/env bash
# Sets CamStudio up (scripts/setup.sh) and starts the studio on http://localhost:5000 with the default model.
# Extra arguments go to the web app, e.g. scripts/start.sh --urls http://0.0.0.0:5000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
shared_model="../shared/models/mobilenetv2-12-int8.onnx"
if [ -f "$shared_model" ] && [ -x CamStudio.Cli/bin/Release/net10.0/camstudio ]; then
  CamStudio.Cli/bin/Release/net10.0/camstudio models add "$shared_model" --labels ../shared/models/imagenet_classes.txt --name mobilenetv2 --if-missing || true
fi
cd CamStudio.Web
exec dotnet bin/Release/net10.0/CamStudio.Web.dll --contentRoot . "$@"
