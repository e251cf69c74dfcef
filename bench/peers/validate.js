// FHIR.js (npm "fhir") validate() on the same inputs as onedoor_bench validate: validations per
// second, median of 7 samples. FHIR.js checks structure, types and cardinality against the base
// R4 definitions (no invariants, bindings, slicing or profiles).
const fs = require('fs');
const { Fhir } = require('fhir');
const fhir = new Fhir();
function samples(f) {
  const out = [];
  for (let s = 0; s < 7; s++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    do {
      f();
      n++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    } while (elapsed < 0.3);
    out.push(elapsed / n);
  }
  out.sort((a, b) => a - b);
  return out[3];
}
for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  let issues = 0;
  const t = samples(() => { issues = fhir.validate(resource).messages.length; });
  console.log(JSON.stringify({ bench: 'validate', input: file.split('/').pop(), issues, validations_s: 1 / t }));
}
