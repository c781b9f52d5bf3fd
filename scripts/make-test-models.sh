#!/usr/bin/env bash
# Writes the tiny seeded model files the engine tests load (they are generated, never committed):
# the torchvision ViT/Swin/ConvNeXt/MaxViT ONNX exports (scripts/export-onnx-fixtures.py) and the anchor CNN's
# state dict (scripts/make-anchor-references.py --weights-only). Needs Debian's python3-torch and python3-torchvision.
# Usage: scripts/make-test-models.sh [DIR]   (default artifacts/test-models; skipped when DIR is up to date for the scripts)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/test-models}"
# The exports are seeded, so the same scripts and the same PyTorch give the same bytes: their hash is the stamp.
stamp="$(cat scripts/export-onnx-fixtures.py scripts/make-anchor-references.py | sha256sum | cut -c1-64) $(dpkg-query -W -f='${Version}' python3-torch python3-torchvision 2>/dev/null || true)"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  exit 0
fi
rm -rf "$out"
mkdir -p "$out"
/usr/bin/python3 scripts/export-onnx-fixtures.py "$out" >/dev/null 2>"$out/.export.log" \
  || { cat "$out/.export.log" >&2; echo "make-test-models: scripts/export-onnx-fixtures.py failed" >&2; exit 1; }
/usr/bin/python3 scripts/make-anchor-references.py --weights-only "$out"
echo "$stamp" > "$out/.stamp"
echo "make-test-models: wrote $(ls "$out" | wc -l) files to $out"
