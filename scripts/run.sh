#!/usr/bin/env bash
# Builds OneDoor and runs it on the embedded default: SQLite in ./data, the sample configuration
# (config/onedoor.sample.json), listening on http://127.0.0.1:8080/fhir. Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/install-fhir-packages.sh
scripts/build.sh
exec build/onedoor serve --config config/onedoor.sample.json
