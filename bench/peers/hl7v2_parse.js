// Peer for the HL7 v2 parse benchmark: simple-hl7's Parser on the same messages (segment ends
// made CR, as simple-hl7 expects). Prints JSON lines like onedoor_bench hl7v2.
'use strict';
const fs = require('fs');
const path = require('path');
const hl7 = require('simple-hl7');

const { secondsPerCall } = require('./timing');

const parser = new hl7.Parser();
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r?\n/g, '\r');
  const r = 1 / secondsPerCall(() => {
    const m = parser.parse(text);
    if (!m.header) throw new Error('no MSH');
  });
  console.log(JSON.stringify({ bench: 'hl7v2_parse', input: path.basename(file), messages_s: r }));
}
