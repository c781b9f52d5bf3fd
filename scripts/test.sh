#!/usr/bin/env bash
# Runs the whole CamStudio test suite: unit, integration and end-to-end (Debian's Chromium) tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-browser
results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
# The engine is also a library: the package tests read what this packs.
rm -rf artifacts/packages
dotnet pack CamStudio.Engine/CamStudio.Engine.csproj -c Release --no-build -nologo -v q -o artifacts/packages
# Tests keep their models folder and data away from the user's.
export CAMSTUDIO_MODELS="$results/models"
status=0
dotnet test CamStudio.Tests/CamStudio.Tests.csproj -c Release --no-build -nologo \
  --blame-hang-timeout 10m --blame-hang-dump-type none \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory "$results" || status=$?
trx="$results/results.trx"
if [ -f "$trx" ]; then
  passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
  echo "tests: ${passed:-0} passed, ${failed:-0} failed"
fi
exit $status
