// The timing the JavaScript peers share, the same as onedoor_bench's: `f` run for ~0.3 s per
// sample, 7 samples; the median seconds per call.
'use strict';
function secondsPerCall(f) {
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
module.exports = { secondsPerCall };
