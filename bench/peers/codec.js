// FHIR.js (npm "fhir") on the same inputs as onedoor_bench codec: MB/s, median of 7 samples.
const fs = require('fs');
const { Fhir } = require('fhir');
const fhir = new Fhir();
const { secondsPerCall: samples } = require('./timing');
for (const stem of process.argv.slice(2)) {
  const json = fs.readFileSync(stem + '.json', 'utf8');
  const xml = fs.readFileSync(stem + '.xml', 'utf8');
  const jmb = Buffer.byteLength(json) / 1e6, xmb = Buffer.byteLength(xml) / 1e6;
  const name = stem.split('/').pop();
  const report = (bench, mb, t) => console.log(JSON.stringify({ bench, input: name, mb_s: mb / t }));
  report('json_roundtrip', jmb, samples(() => JSON.stringify(JSON.parse(json))));
  report('json_to_xml', jmb, samples(() => fhir.jsonToXml(json)));
  report('xml_to_json', xmb, samples(() => fhir.xmlToJson(xml)));
}
