/**
 * The GEMM micro-kernels' row tiles in both builds of the WebAssembly core, against the JS core
 * (kernels/cpu/compute.ts). gemmRows takes A as panels of 5 rows (5×8 tiles, relaxed-SIMD build
 * only) and of 4 (core.ts, tallPanels), for up to 32 rows (plain) or 64 (relaxed), the packed
 * gemm above that: channel counts around every split (5, 9, 10: tall panels only; 13, 20, 21,
 * 32, 33, 40, 64, 65), with K split into several blocks (the later ones add into C) and rows of
 * whole and of ragged 8-column tiles. The forward's rows are its output channels, conv3d's (the
 * implicit path: the direct one is off) its output channels too (the transposed conv's input
 * channels). The relaxed build runs where the engine validates it: in Node 20 that is
 * core_builds_node_test.ts' child with --experimental-wasm-relaxed-simd, which runs this file.
 */
import {convTranspose3dInfo} from '../src/geometry.js';
import {conv3dForward, convTranspose3dForward, convTranspose3dWeightGrad} from '../kernels/cpu/compute.js';
import {CORE_RELAXED_WASM_BASE64} from '../kernels/simd/core_relaxed_wasm.js';
import {CORE_WASM_BASE64} from '../kernels/simd/core_wasm.js';
import {base64Bytes, type CoreExports, setDirectConv3d, wasmConv3dForward, wasmConvTranspose3dForward, wasmConvTranspose3dWeightGrad} from '../kernels/simd/simd_core.js';
import {expectClose, seededFloats} from './util.js';

const rand = seededFloats;

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const relaxedValid = WebAssembly.validate(base64Bytes(CORE_RELAXED_WASM_BASE64));

/** Each build's own instance (not the one the cpu kernel chose). */
function instance(b64: string): CoreExports {
  return new WebAssembly.Instance(new WebAssembly.Module(base64Bytes(b64)), {env: {}}).exports as
      unknown as CoreExports;
}

const ROWS = [5, 9, 10, 13, 20, 21, 32, 33, 40, 64, 65];

/** [name, x shape, weight shape]: kernel 4, stride 2, padding 1 (8 taps per phase). */
function geometries(): Array<[string, number[], number[]]> {
  const g: Array<[string, number[], number[]]> = [];
  // Forward: rows = output channels; K = 110 · 8 taps, several K blocks for every row count.
  for (const m of ROWS) g.push([`forward, ${m} output channels`, [1, 110, 2, 3, 4], [110, m, 4, 4, 4]]);
  // conv3d: rows = the transposed conv's input channels; K = 12 · 64.
  for (const m of ROWS) g.push([`conv3d, ${m} output channels`, [1, m, 2, 3, 4], [m, 12, 4, 4, 4]]);
  return g;
}

for (const [build, b64] of [['plain', CORE_WASM_BASE64], ['relaxed', CORE_RELAXED_WASM_BASE64]] as const) {
  describe(`WebAssembly core row tiles, ${build} build`, () => {
    let core: CoreExports;
    beforeAll(() => {
      if (build === 'plain' || relaxedValid) core = instance(b64);
      setDirectConv3d(false);
    });
    afterAll(() => setDirectConv3d(true));

    for (const [name, xs, ws] of geometries()) {
      it(`${name}: the JS core's result (output widths 8 and 6)`, () => {
        if (!core) {
          pending('this engine has no relaxed SIMD (core_builds_node_test runs this file with it)');
          return;
        }
        for (const width of [4, 3]) {  // output W 8 (whole 8-column tiles) and 6 (ragged)
          const x = [...xs.slice(0, 4), width];
          const info = convTranspose3dInfo('core_tiles', x, ws, [ws[1]], {stride: 2, padding: 1});
          const xv = rand(numel(x), 1), wv = rand(numel(ws), 2), bv = rand(ws[1], 3);
          const forward = name.startsWith('forward');
          const big = forward ? null : rand(numel(info.outShape), 4);
          const got = forward ? wasmConvTranspose3dForward(core, xv, wv, bv, info)! :
              wasmConv3dForward(core, big!, wv, null, info)!;
          const want = forward ? convTranspose3dForward(xv, wv, bv, info) :
              conv3dForward(big!, wv, null, info);
          const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
          expectClose(got, want, 1e-5 * scale, 1e-4, `${name}, W ${width}`);
          if (forward) {
            // The weight gradient (packed gemm, 4×8 tiles) of the same geometry.
            const dy = rand(numel(info.outShape), 5);
            const dw = wasmConvTranspose3dWeightGrad(core, xv, dy, info)!;
            const dwWant = convTranspose3dWeightGrad(xv, dy, info);
            const s = dwWant.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
            expectClose(dw, dwWant, 1e-5 * s, 1e-4, `${name}, W ${width}, weight gradient`);
          }
        }
      });
    }
  });
}
