#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 120), starting from
# the shared example corpus where it exists. Findings are left in build-fuzz/findings/.
# Usage: scripts/fuzz.sh [SECONDS] [target...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-120}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_json_reader fuzz_xml_reader fuzz_fhirpath fuzz_hl7v2_reader fuzz_fml_parser fuzz_csv_reader)
command -v clang++ >/dev/null || { echo "fuzz.sh: needs clang (apt-get install clang)" >&2; exit 1; }
CXX=clang++ CC=clang cmake -S . -B build-fuzz -DONEDOOR_FUZZ=ON -DONEDOOR_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}"
mkdir -p build-fuzz/findings
for t in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$t"
  mkdir -p "$corpus"
  examples=../shared/conformance/examples/r4-spec
  if [[ -d $examples && -z $(ls -A "$corpus") ]]; then
    case $t in
      fuzz_json_reader) cp "$examples"/*.json "$corpus"/ ;;
      fuzz_xml_reader) cp "$examples"/*.xml "$corpus"/ ;;
      fuzz_hl7v2_reader) cp ../shared/conformance/hl7v2/microsoft-fhir-converter/messages/*.hl7 "$corpus"/ ;;
      fuzz_csv_reader) cp mappings/vcfse/tests/referrals-csv/*.csv "$corpus"/ ;;
      fuzz_fml_parser) find ../shared/conformance/mapping -name '*.map' -exec cp {} "$corpus"/ \; ;;
      fuzz_fhirpath) grep -o '<expression[^>]*>[^<]*' ../shared/conformance/fhirpath/r4/tests-fhir-r4.xml |
          sed 's/<expression[^>]*>//' | split -l 1 - "$corpus/expr-" || true ;;
    esac
  fi
  echo "== $t for ${seconds}s"
  "build-fuzz/tests/fuzz/$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="build-fuzz/findings/$t-" "$corpus" 2>&1 | tail -n 3
done
