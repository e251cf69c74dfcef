// fhirpath.js with its R4 model on the same expressions and inputs as onedoor_bench fhirpath.
const fs = require('fs');
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');
const [patientFile, bundleFile, exprFile] = process.argv.slice(2);
const inputs = { patient: JSON.parse(fs.readFileSync(patientFile, 'utf8')), bundle: JSON.parse(fs.readFileSync(bundleFile, 'utf8')) };
const { secondsPerCall: median } = require('./timing');
for (const line of fs.readFileSync(exprFile, 'utf8').split('\n')) {
  if (!line || line.startsWith('#')) continue;
  const [target, expression] = line.split('\t');
  const compiled = fhirpath.compile(expression, r4);
  const input = inputs[target];
  const t = median(() => compiled(input));
  console.log(JSON.stringify({ bench: 'fhirpath', target, expression, evals_s: 1 / t }));
}
