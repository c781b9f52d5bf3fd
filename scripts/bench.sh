#!/usr/bin/env bash
# Runs the CamStudio benchmarks (BenchmarkDotNet, Release build, in process) and writes the reports
# (markdown, csv, html, log) under artifacts/bench/results.
# Usage: scripts/bench.sh [BenchmarkDotNet arguments]      (default: every benchmark)
#   scripts/bench.sh --filter '*ResNet18CamCost*'          one model
#   scripts/bench.sh --list flat                           what there is
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(pwd)/artifacts/bench"
mkdir -p "$out"
dotnet build CamStudio.Benchmarks/CamStudio.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly
args=("$@")
[ "${#args[@]}" -eq 0 ] && args=(--filter '*')
exec dotnet CamStudio.Benchmarks/bin/Release/net10.0/CamStudio.Benchmarks.dll --artifacts "$out" "${args[@]}"
