// One-shot FHIR.js conversion of one XML file to JSON (the peer of `onedoor convert`).
const fs = require('fs');
const { Fhir } = require('fhir');
process.stdout.write(new Fhir().xmlToJson(fs.readFileSync(process.argv[2], 'utf8')));
