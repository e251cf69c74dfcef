// FHIR.js (npm "fhir") validate() on the same inputs as onedoor_bench validate: validations per
// second, median of 7 samples. FHIR.js checks structure, types and cardinality against the base
// R4 definitions (no invariants, bindings, slicing or profiles).
const fs = require('fs');
const { Fhir } = require('fhir');
const fhir = new Fhir();
const { secondsPerCall: samples } = require('./timing');
for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(fs.readFileSync(file, 'utf8'));
  let issues = 0;
  const t = samples(() => { issues = fhir.validate(resource).messages.length; });
  console.log(JSON.stringify({ bench: 'validate', input: file.split('/').pop(), issues, validations_s: 1 / t }));
}
