#!/usr/bin/env bash
# Measures batch jobs (not a test): photos/s for a 100-photo Grad-CAM job on the default model at batch sizes
# 1, 4 and 8; the delay from a photo's result being committed to its JobProgress reaching a SignalR client; and
# the server's RSS before and after 5 such jobs (and after 5 more, to tell warm-up from a leak). Uses a Release build, a temp data folder and a temp models folder.
# Usage: scripts/measure-jobs.sh [photos=100]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-100}"
shared="$(cd .. && pwd)/shared"
work="$(mktemp -d /tmp/camstudio-measure.XXXXXX)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

dotnet build CamStudio.Web -c Release -nologo -v q -clp:ErrorsOnly
dotnet build CamStudio.Cli -c Release -nologo -v q -clp:ErrorsOnly
export CAMSTUDIO_MODELS="$work/models"
CamStudio.Cli/bin/Release/net10.0/camstudio models add "$shared/models/mobilenetv2-12-int8.onnx" \
  --labels "$shared/models/imagenet_classes.txt" --name mobilenetv2 >/dev/null

port=5173
rss() { awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$1/status"; }
# CPU seconds (user + system) the server has used: photos per CPU-second does not depend on other load.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }
start_server() { # $1 = batch size
  rm -rf "$work/data"
  CAMSTUDIO_DATA="$work/data" CamStudio__Jobs__BatchSize="$1" ASPNETCORE_ENVIRONMENT=Production \
    dotnet CamStudio.Web/bin/Release/net10.0/CamStudio.Web.dll --urls "http://127.0.0.1:$port" \
    --contentRoot "$(pwd)/CamStudio.Web" >"$work/server-$1.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/api/jobs" >/dev/null && return; sleep 0.2; done
  echo "server did not start; see $work/server-$1.log" >&2; exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; }

measure="dotnet run scripts/measure/JobsMeasure.cs --"
for batch in 1 4 8; do
  echo "== batch size $batch"
  start_server "$batch"
  $measure "http://127.0.0.1:$port" "$shared/images" 4 >/dev/null # load the model: steady state from here on
  before=$(cpu "$server")
  $measure "http://127.0.0.1:$port" "$shared/images" "$count"
  echo "server CPU for the job: $(awk -v a="$before" -v b="$(cpu "$server")" -v n="$count" 'BEGIN {printf "%.1f s, %.0f ms per photo", b - a, 1000 * (b - a) / n}')"
  if [ "$batch" = 4 ]; then
    echo "RSS before 5 jobs: $(rss "$server")"
    $measure "http://127.0.0.1:$port" "$shared/images" "$count" 5 | tail -1
    echo "RSS after 5 jobs: $(rss "$server")"
    # Five more: growth that stops here is heap/arena warm-up, growth that goes on would be a leak.
    $measure "http://127.0.0.1:$port" "$shared/images" "$count" 5 | tail -1
    echo "RSS after 10 jobs: $(rss "$server")"
  fi
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  stop_server
done
