"""Turns bench/.work/results.jsonl into docs/benchmarks.md (medians and ratios, machine, date)."""
import datetime
import json
import math
import os
import platform
import subprocess
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = sys.argv[2]


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{model}, {os.cpu_count()} cores, {mem}; {platform.system()} {platform.release()}; node {node}"


def pick(side, bench, **kw):
    return [r for r in rows if r.get("side") == side and r["bench"] == bench and all(r.get(k) == v for k, v in kw.items())]


lines = []
lines.append("# Benchmarks")
lines.append("")
lines.append(f"Measured {datetime.date.today().isoformat()} on {machine()}.")
lines.append("Produced by `bench/run.sh` (one command); OneDoor and its peers run on the same inputs in the")
lines.append("same run. Figures are medians of 7 samples of ~0.3 s each unless stated; ratios are OneDoor ÷ peer.")
lines.append("")
lines.append("## JSON and XML codecs (vs FHIR.js)")
lines.append("")
lines.append("Inputs: the largest example Bundles of the R4 specification. FHIR.js has no typed JSON parser, so")
lines.append("its JSON parse+serialise column is `JSON.parse` + `JSON.stringify` (untyped, unchecked).")
lines.append("")
lines.append("| input | benchmark | OneDoor MB/s | FHIR.js MB/s | ratio |")
lines.append("|---|---|---:|---:|---:|")
for r in pick("onedoor", "json_roundtrip") + pick("onedoor", "json_to_xml") + pick("onedoor", "xml_to_json"):
    peer = pick("fhir.js", r["bench"], input=r["input"])
    p = peer[0]["mb_s"] if peer else float("nan")
    lines.append(f"| {r['input']} | {r['bench']} | {r['mb_s']:.1f} | {p:.2f} | {r['mb_s'] / p:.1f}× |")
lines.append("")
lines.append("Goals (issue 2): JSON→XML ≥ 20× FHIR.js, XML→JSON ≥ 6×.")
lines.append("")
one = pick("onedoor", "oneshot_convert")
peer = pick("fhir.js", "oneshot_convert")
if one and peer:
    lines.append("## One-shot `onedoor convert` (wall time, median of 21 runs, process start included)")
    lines.append("")
    lines.append("| input | bytes | `onedoor convert` ms | FHIR.js (node) ms | ratio |")
    lines.append("|---|---:|---:|---:|---:|")
    lines.append(f"| {one[0]['input']} | {one[0]['bytes']} | {one[0]['ms']:.1f} | {peer[0]['ms']:.1f} | {peer[0]['ms'] / one[0]['ms']:.1f}× faster |")
    lines.append("")
    lines.append("Goal: under 20 ms. The definitions load from the pre-parsed model cache (`~/.cache/onedoor`).")
    lines.append("")
fp = pick("onedoor", "fhirpath")
if fp:
    lines.append("## FHIRPath (vs fhirpath.js with its R4 model)")
    lines.append("")
    lines.append("Both sides compile each expression once; inputs are `patient-example.json` and a 100-entry Bundle.")
    lines.append("")
    lines.append("| input | expression | OneDoor evals/s | fhirpath.js evals/s | ratio |")
    lines.append("|---|---|---:|---:|---:|")
    ratios = []
    for r in fp:
        peer = pick("fhirpath.js", "fhirpath", expression=r["expression"], target=r["target"])
        if not peer:
            continue
        ratio = r["evals_s"] / peer[0]["evals_s"]
        ratios.append(ratio)
        expr = r["expression"].replace("|", "\\|")
        lines.append(f"| {r['target']} | `{expr}` | {r['evals_s']:,.0f} | {peer[0]['evals_s']:,.0f} | {ratio:.1f}× |")
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        lines.append("")
        lines.append(f"Geometric mean ratio: **{geo:.1f}×**; lowest: {min(ratios):.1f}×. Goal (issue 3): ≥ 10×, none below 2×.")
        lines.append("")
val = pick("onedoor", "validate")
if val:
    lines.append("## Validation (vs FHIR.js `validate()`)")
    lines.append("")
    lines.append("OneDoor checks the base R4 definitions and the profiles in `meta.profile` (cardinality, types, formats,")
    lines.append("fixed/pattern values, bindings, invariants, extensions, slicing, references), with the ICS profiles of")
    lines.append("`fhir-profiles/` loaded and compiled first. FHIR.js checks structure, types and cardinality only.")
    lines.append("")
    lines.append("| input | OneDoor validations/s | FHIR.js validations/s | ratio |")
    lines.append("|---|---:|---:|---:|")
    for r in val:
        peer = pick("fhir.js", "validate", input=r["input"])
        p = f"{peer[0]['validations_s']:,.0f}" if peer else "–"
        ratio = f"{r['validations_s'] / peer[0]['validations_s']:.1f}×" if peer else "–"
        lines.append(f"| {r['input']} | {r['validations_s']:,.0f} | {p} | {ratio} |")
    lines.append("")
load = pick("onedoor", "search_load")
if load:
    l = load[0]
    lines.append(f"## Search over {l['resources']:,} generated resources (SQLite)")
    lines.append("")
    lines.append(f"Loading took {l['seconds']:.1f} s: {l['write_us_per_resource']:.0f} µs per resource written in total, of which")
    lines.append(f"{l['index_us_per_resource']:.0f} µs computing its search-index rows (median per batch). One quarter Patients, the rest Observations.")
    lines.append("Latency is measured in-process through the store (SQL and record fetch; no HTTP), 60 runs per query.")
    lines.append("")
    lines.append("| query | matches | median ms | p99 ms |")
    lines.append("|---|---:|---:|---:|")
    for r in pick("onedoor", "search"):
        q = r["query"].replace("|", "\\|")
        lines.append(f"| `{q}` | {r['total']} | {r['median_ms']:.2f} | {r['p99_ms']:.2f} |")
    lines.append("")
open(out, "w").write("\n".join(lines) + "\n")
