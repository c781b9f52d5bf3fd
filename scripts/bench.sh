#!/usr/bin/env bash
# Runs the CamStudio benchmarks (BenchmarkDotNet, Release build, in process) and writes the reports
# (markdown, csv, html, log) under artifacts/bench/results.
# Usage: scripts/bench.sh [BenchmarkDotNet arguments]      (default: every benchmark)
#   scripts/bench.sh --filter '*ResNet18CamCost*'          one model
#   scripts/bench.sh --list flat                           what there is
#   scripts/bench.sh --paired [--threads 1] [--rounds 11]  interleaved rounds instead (robust ratios on a busy
#                                                          machine), written to artifacts/bench/paired-*.md
# CAMSTUDIO_BENCH_THREADS=1 scripts/bench.sh ...           measure with one torch thread
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(pwd)/artifacts/bench"
mkdir -p "$out"
dotnet build CamStudio.Benchmarks/CamStudio.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly
args=("$@")
[ "${#args[@]}" -eq 0 ] && args=(--filter '*')
exec dotnet CamStudio.Benchmarks/bin/Release/net10.0/CamStudio.Benchmarks.dll --artifacts "$out" "${args[@]}"
