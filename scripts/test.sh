#!/usr/bin/env bash
# Builds OneDoor with warnings as errors and runs every test through ctest. The ctest summary is
# the last thing printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh --test
scripts/install-fhir-packages.sh
scripts/build.sh -DONEDOOR_WERROR=ON -DONEDOOR_TESTS=ON
cd build
exec ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
