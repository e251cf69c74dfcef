#!/usr/bin/env bash
# Builds OneDoor and runs it on the embedded default: SQLite in ./data, the sample configuration
# (config/onedoor.sample.json), listening on http://127.0.0.1:8080/fhir. Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
scripts/install-fhir-packages.sh
scripts/build.sh
# Development keys for the gateway and the sample partners (config/onedoor.sample.json). They are
# made here, on this machine, and never committed; existing keys are kept.
build/onedoor keygen --out data/keys gateway gp-riverside acute-general mh-spa crisis-team \
  council-adults vcfse-befriending ics-auditor
exec build/onedoor serve --config config/onedoor.sample.json
