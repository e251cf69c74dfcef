#!/usr/bin/env bash
# One command for every OneDoor benchmark: builds a release binary, installs the JavaScript
# peers (FHIR.js, fhirpath.js) into bench/.peers, runs both sides on the same inputs in the same
# run, and writes docs/benchmarks.md (medians, ratios, machine, date).
# Usage: bench/run.sh [--search-size N] [--only http|hl7v2|messaging|identity]
#   --search-size: generated resources for the search benchmark (default 100000)
#   --only http|hl7v2|messaging|identity: rerun only that benchmark, keeping the other results of the last full run
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
search_size=100000
only=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --search-size) search_size=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "bench: unknown option $1" >&2; exit 2 ;;
  esac
done
examples=../shared/conformance/examples/r4-spec
[[ -d $examples ]] || { echo "bench: needs ../shared/conformance/examples" >&2; exit 1; }
command -v node >/dev/null || { echo "bench: needs node and npm" >&2; exit 1; }
scripts/install-deps.sh
scripts/install-fhir-packages.sh
command -v wrk >/dev/null || apt-get install -y --no-install-recommends wrk
# A release build of its own, so that benchmarking never reconfigures the test build.
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DONEDOOR_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)"

work=bench/.work
peers=bench/.peers
mkdir -p "$work" "$peers"
cp bench/peers/package.json "$peers/package.json"
(cd "$peers" && npm install --no-audit --no-fund --silent >/dev/null)
export NODE_PATH="$root/$peers/node_modules"

# Inputs: the largest example Bundles, and a 100-entry Bundle for FHIRPath.
codec_inputs=("$examples/diagnosticreport-examples-general" "$examples/patient-examples-cypress-template"
              "$examples/practitioner-examples-general")
python3 - "$examples/patient-examples-cypress-template.json" "$work/bundle-100.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b['entry'] = b['entry'][:100]
json.dump(b, open(sys.argv[2], 'w'))
PY

results=$work/results.jsonl
# Removes a benchmark's rows of an earlier run (those whose "bench" starts with $1).
drop_rows() {
  grep -v "\"bench\": *\"$1" "$results" > "$results.tmp" || true
  mv "$results.tmp" "$results"
}
http_bench() {
  echo "bench: HTTP (wrk) against OneDoor with and without security, and Medplum's router" >&2
  drop_rows http
  python3 bench/http_bench.py build-bench/onedoor "$work/http" >> "$results"
}
hl7v2_bench() {
  echo "bench: HL7 v2 parse (vs simple-hl7) and ADT mapped to FHIR" >&2
  drop_rows hl7v2
  local samples=../shared/conformance/hl7v2/microsoft-fhir-converter/messages
  local inputs=(mappings/acute/tests/adt-to-message/a01-admit.hl7 "$samples/ADT-A01-01.hl7" "$samples/ORU-R01-01.hl7")
  build-bench/bench/onedoor_bench hl7v2 mappings/acute/adt-to-message.map "${inputs[@]}" | sed 's/^{/{"side":"onedoor",/' >> "$results"
  node bench/peers/hl7v2_parse.js "${inputs[@]}" | sed 's/^{/{"side":"simple-hl7",/' >> "$results"
}
messaging_bench() {
  echo "bench: messaging (durable acknowledgements, delivery latency)" >&2
  drop_rows messaging
  build-bench/bench/onedoor_bench messaging config/policy.sample.json mappings/acute/adt-to-message.map \
    mappings/acute/tests/adt-to-message/a01-admit.hl7 10 | sed 's/^{/{"side":"onedoor",/' >> "$results"
}
identity_bench() {
  echo "bench: patient identity (\$match over $search_size patients, upserts)" >&2
  drop_rows identity
  build-bench/bench/onedoor_bench identity "$search_size" | sed 's/^{/{"side":"onedoor",/' >> "$results"
}
if [[ -n $only ]]; then
  [[ $only == http || $only == hl7v2 || $only == messaging || $only == identity ]] ||
    { echo "bench: --only takes http, hl7v2, messaging or identity" >&2; exit 2; }
  [[ -s $results ]] || { echo "bench: --only $only needs the results of a full run first" >&2; exit 1; }
  "${only}_bench"
  python3 bench/report.py "$results" docs/benchmarks.md
  echo "bench: wrote docs/benchmarks.md" >&2
  exit 0
fi
: > "$results"
echo "bench: codec" >&2
build-bench/bench/onedoor_bench codec "${codec_inputs[@]}" | sed 's/^{/{"side":"onedoor",/' >> "$results"
node bench/peers/codec.js "${codec_inputs[@]}" | sed 's/^{/{"side":"fhir.js",/' >> "$results"

echo "bench: one-shot convert" >&2
oneshot="$examples/practitioner-examples-general.xml"
build-bench/onedoor convert --to json "$oneshot" >/dev/null  # model cache warm, as after any first run
python3 - "$oneshot" >> "$results" <<'PY'
import json, os, statistics, subprocess, sys, time
def wall(cmd, n=21):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
f = sys.argv[1]
size = os.path.getsize(f)
print(json.dumps({"side": "onedoor", "bench": "oneshot_convert", "input": os.path.basename(f), "bytes": size,
                  "ms": wall(["build-bench/onedoor", "convert", "--to", "json", f])}))
print(json.dumps({"side": "fhir.js", "bench": "oneshot_convert", "input": os.path.basename(f), "bytes": size,
                  "ms": wall(["node", "bench/peers/convert_once.js", f])}))
PY

echo "bench: fhirpath" >&2
build-bench/bench/onedoor_bench fhirpath "$examples/patient-example.json" "$work/bundle-100.json" bench/fhirpath_expressions.tsv |
  sed 's/^{/{"side":"onedoor",/' >> "$results"
node bench/peers/fhirpath.js "$examples/patient-example.json" "$work/bundle-100.json" bench/fhirpath_expressions.tsv |
  sed 's/^{/{"side":"fhirpath.js",/' >> "$results"

echo "bench: validation" >&2
validate_inputs=("$examples/patient-example.json" "$work/bundle-100.json" fhir-profiles/examples/ServiceRequest-ics-referral.json)
build-bench/bench/onedoor_bench validate fhir-profiles "${validate_inputs[@]}" | sed 's/^{/{"side":"onedoor",/' >> "$results"
node bench/peers/validate.js "${validate_inputs[@]}" | sed 's/^{/{"side":"fhir.js",/' >> "$results"

echo "bench: search over $search_size resources" >&2
build-bench/bench/onedoor_bench search "$search_size" | sed 's/^{/{"side":"onedoor",/' >> "$results"

http_bench
hl7v2_bench
messaging_bench
identity_bench

python3 bench/report.py "$results" docs/benchmarks.md
echo "bench: wrote docs/benchmarks.md" >&2
