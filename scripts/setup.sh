#!/usr/bin/env bash
# Installs what CamStudio needs on Debian 12, restores and builds the solution, and registers the
# default model (../shared/models/mobilenetv2-12-int8.onnx) in the models folder when it exists.
# Usage: scripts/setup.sh [--with-browser] [--with-services] [--with-anchors]
#   --with-browser   also installs Debian's Chromium for end-to-end tests
#   --with-services  also installs PostgreSQL and Redis (the clustered tests start throwaway servers from their binaries)
#   --with-anchors   also installs what pytorch-grad-cam, TorchCAM and ttach import (../shared/anchors/README.md), for
#                    the side-by-side benchmarks and reference scripts (the tests read committed reference maps)
set -euo pipefail
cd "$(dirname "$0")/.."

with_browser=0
with_services=0
with_anchors=0
for arg in "$@"; do
  case "$arg" in
    --with-browser) with_browser=1 ;;
    --with-services) with_services=1 ;;
    --with-anchors) with_anchors=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

need_apt=()
command -v curl >/dev/null || need_apt+=(curl)
command -v unzip >/dev/null || need_apt+=(unzip)
[ -e /usr/lib/x86_64-linux-gnu/libgomp.so.1 ] || need_apt+=(libgomp1)
# Debian's PyTorch writes the tiny test models (scripts/make-test-models.sh): model files are not committed.
dpkg -s python3-torch >/dev/null 2>&1 || need_apt+=(python3-torch)
dpkg -s python3-torchvision >/dev/null 2>&1 || need_apt+=(python3-torchvision)
if [ "$with_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  need_apt+=(chromium fonts-dejavu-core)
fi
if [ "$with_services" = 1 ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
  [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
fi
if [ "$with_anchors" = 1 ]; then
  for package in python3-opencv python3-scipy python3-sklearn python3-tqdm python3-matplotlib python3-pil python3-numpy; do
    dpkg -s "$package" >/dev/null 2>&1 || need_apt+=("$package")
  done
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is required (dotnet on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 1
fi

dotnet build CamStudio.sln -c Release -nologo -v q -clp:ErrorsOnly
