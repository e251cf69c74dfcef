#!/usr/bin/env bash
# Builds OneDoor with warnings as errors and runs every test through ctest. The ctest summary is
# the last thing printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh --test
scripts/install-fhir-packages.sh
scripts/build.sh -DONEDOOR_WERROR=ON -DONEDOOR_TESTS=ON
# A real PostgreSQL server on 127.0.0.1 for the tests that need one (integration_postgres); as
# root only (it runs Debian's cluster), otherwise those tests say they are skipped.
if [[ -z ${ONEDOOR_TEST_POSTGRES_URL:-} && $(id -u) -eq 0 ]]; then
  ONEDOOR_TEST_POSTGRES_URL=$(scripts/start-postgres.sh)
  export ONEDOOR_TEST_POSTGRES_URL
fi
cd build
exec ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"
