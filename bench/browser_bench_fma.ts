/**
 * `npm run bench:browser:fma`: the relaxed-SIMD build of the WebAssembly core against the plain
 * one (bench/fma.ts) in headless Chromium (relaxed SIMD is on there by default), forward on
 * S1–S7, one thread. Median ms. The page is cross-origin isolated (KARMA_ISOLATED=1 in the npm
 * script) so that performance.now() has microseconds, not 0.1 ms steps.
 */
import {benchFma, fmaTable} from './fma.js';

describe('browser bench: relaxed SIMD vs plain', () => {
  it('times S1–S7 on both builds of the core', async () => {
    const rows = await benchFma([], line => console.log(line));
    console.log(`\n${navigator.userAgent}. convTranspose3d forward, one thread, median ms ` +
                `(GFLOP/s), calls interleaved.\n${fmaTable(rows)}\n`);
    expect(rows.length).toBe(7);
  }, 900_000);
});
