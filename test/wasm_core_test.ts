import * as tf from '@tensorflow/tfjs-core';
import {conv3d, convTranspose3d, convTranspose3dWeightGrad, getCpuImplementation, ready, setCpuImplementation} from '../src/index.js';
import type {ConvTranspose3DOptions} from '../src/index.js';
import {refConvTranspose3d} from './reference.js';
import {conv3dInfo, convTranspose3dInfo} from '../src/geometry.js';
import type {ConvTranspose3DInfo} from '../src/geometry.js';
import {conv3dForward} from '../kernels/cpu/compute.js';
import {computeConv3d} from '../kernels/cpu/dispatch.js';
import {conv3dDirectFits, setDirectConv3d, setImplicitPaths, wasmConv3dForward, wasmConvTranspose3dForward, wasmConvTranspose3dWeightGrad, wasmCore, writeParams} from '../kernels/simd/simd_core.js';
import {DEFAULT_MIN_FLOPS_PER_THREAD, loadThreads, setMinFlopsPerThreadForTests, setNumThreads, threadedCallsForTests} from '../kernels/simd/threads.js';
import {conv3dDirectCases} from './fixtures/fixtures.js';
import {expectClose, expectNoLeak, seededFloats} from './util.js';

describe('WebAssembly SIMD core: switching', () => {
  afterEach(() => setCpuImplementation('auto'));

  it('is ready in Node and used by default', async () => {
    expect(await ready()).toBe(true);
    expect(getCpuImplementation()).toBe('wasm');
  });

  it('can be forced off and on', () => {
    setCpuImplementation('js');
    expect(getCpuImplementation()).toBe('js');
    setCpuImplementation('wasm');
    expect(getCpuImplementation()).toBe('wasm');
  });

  it('refuses an unknown implementation, naming it', () => {
    expect(() => setCpuImplementation('gpu' as 'js'))
        .toThrowError(/expected 'js', 'wasm' or 'auto', but got gpu/);
  });
});

/**
 * Geometries chosen for the core's blocking edges, each checked through the wasm core (its
 * direct conv3d path where it applies, its implicit-GEMM paths and its cols paths) against the
 * pure-JS core (all three kernels) and the float64 reference (forward).
 */
const cases: Array<{name: string, x: number[], w: number[], opts: ConvTranspose3DOptions}> = [
  {name: 'K > KC: 300 input channels (first K slice overwrites, later ones add)',
   x: [1, 300, 2, 3, 5], w: [300, 5, 1, 2, 3], opts: {stride: [1, 2, 1]}},
  {name: 'N > NC: 600-element planes, dilation, output padding',
   x: [2, 3, 4, 24, 25], w: [3, 2, 2, 2, 2],
   opts: {stride: 2, padding: 1, outputPadding: 1, dilation: [1, 2, 1]}},
  {name: 'conv3d reduction over 324 taps',
   x: [1, 4, 3, 4, 5], w: [4, 12, 3, 3, 3], opts: {padding: 1}},
  {name: 'stride 3 (scalar runs), groups, padding that empties some taps',
   x: [1, 6, 3, 3, 3], w: [6, 1, 5, 5, 5], opts: {stride: 3, padding: 4, groups: 2}},
  {name: 'stride 2 along W with ragged SIMD tails',
   x: [1, 2, 3, 5, 13], w: [2, 3, 3, 3, 3],
   opts: {stride: 2, padding: [0, 1, 2], outputPadding: [1, 0, 1]}},
  {name: 'stride 1 along W with runs not a multiple of 4',
   x: [1, 3, 2, 3, 7], w: [3, 4, 3, 3, 3], opts: {padding: 1}},
  {name: 'col2vol rows: stride 2 along W with dilation 3, output padding, groups of 2 channels',
   x: [1, 4, 2, 3, 9], w: [4, 3, 2, 3, 3],
   opts: {stride: [1, 2, 2], dilation: [1, 1, 3], padding: [0, 1, 2], outputPadding: [0, 1, 2], groups: 2}},
  {name: 'col2vol rows: stride 4 along W, kernel 5, runs of 1–3 and ≥ 4 elements',
   x: [1, 3, 2, 2, 7], w: [3, 2, 1, 2, 5], opts: {stride: [1, 1, 4], padding: [0, 0, 3]}},
  {name: 'implicit GEMM: stride 3 (generic phase interleave), kernel < stride (phases without taps)',
   x: [1, 3, 3, 4, 5], w: [3, 5, 2, 1, 2], opts: {stride: 3, padding: [0, 0, 1], outputPadding: [2, 1, 0]}},
  {name: 'implicit GEMM: 20 output channels (packed B_ROWS GEMM), K > KC per phase',
   x: [1, 70, 2, 3, 6], w: [70, 20, 2, 2, 2], opts: {stride: 2, padding: [1, 0, 1]}},
  {name: 'implicit GEMM: rows wider than the C block (one row per call, N > NC)',
   x: [1, 2, 2, 3, 2100], w: [2, 3, 1, 2, 3], opts: {stride: [1, 1, 2], padding: [0, 1, 1]}},
  {name: 'implicit GEMM: whole 8-column tiles, several row blocks, packed GEMM (24 and 20 channels)',
   x: [1, 20, 1, 200, 8], w: [20, 24, 3, 3, 3], opts: {stride: [1, 1, 2], padding: 1, outputPadding: [0, 0, 1]}},
  {name: 'implicit GEMM: whole 8-column tiles, several row blocks, small channel counts',
   x: [1, 4, 2, 300, 16], w: [4, 6, 1, 3, 3], opts: {stride: 2, padding: [0, 1, 1], outputPadding: [1, 1, 1]}},
  {name: 'implicit GEMM: dilation and padding larger than the input (wide junk margins)',
   x: [2, 4, 2, 3, 3], w: [4, 6, 3, 3, 3], opts: {padding: [1, 3, 4], dilation: [2, 3, 3], outputPadding: [1, 2, 0]}},
  {name: 'implicit GEMM, one output channel per group (one-row forward), odd tap counts',
   x: [1, 4, 3, 4, 6], w: [4, 1, 3, 3, 3], opts: {stride: 2, padding: [1, 0, 1], outputPadding: [0, 1, 1]}},
  {name: 'implicit GEMM, one input channel per group (one-row conv3d and weight gradient), W = 8',
   x: [2, 2, 3, 4, 8], w: [2, 3, 3, 2, 3], opts: {stride: [1, 2, 1], padding: 1, groups: 2}},
  {name: 'implicit GEMM without margins (kernel = stride, no padding: grids need no zero fill)',
   x: [2, 3, 2, 4, 8], w: [3, 2, 2, 2, 2], opts: {stride: 2}},
  {name: 'stride 200000 along an axis of one element (phase tables larger than the scratch: cols path)',
   x: [1, 2, 1, 2, 3], w: [2, 3, 2, 2, 2], opts: {stride: [200000, 1, 2], padding: [0, 1, 0]}},
  {name: 'depthwise rows, big rows split one at a time (too many to split up front)',
   x: [1, 2, 5, 80, 60], w: [2, 1, 3, 3, 3], opts: {stride: 2, padding: 1, groups: 2}},
  {name: 'depthwise forward falls back to per-tap passes (padded input larger than the scratch)',
   x: [1, 1, 40, 60, 60], w: [1, 1, 3, 3, 3], opts: {stride: 2, padding: 1}},
  {name: 'depthwise rows, stride 2: two W phases interleaved, odd output width, bias',
   x: [2, 3, 3, 4, 9], w: [3, 1, 3, 3, 3], opts: {stride: 2, padding: 1, outputPadding: 1, groups: 3}},
  {name: 'depthwise rows, stride 1 with dilation and padding that empties taps',
   x: [1, 4, 3, 5, 6], w: [4, 1, 3, 2, 3], opts: {padding: [1, 0, 3], dilation: [2, 1, 2], groups: 4}},
  {name: 'depthwise rows, stride 3 (scalar interleave), anisotropic, kernel < stride',
   x: [1, 2, 4, 3, 5], w: [2, 1, 2, 4, 2], opts: {stride: [2, 3, 3], padding: [0, 2, 1], outputPadding: [1, 2, 0], groups: 2}},
  {name: 'depthwise rows, stride 2 with dilation 3 along W (all taps in one phase)',
   x: [1, 2, 2, 3, 11], w: [2, 1, 1, 2, 4], opts: {stride: 2, dilation: [1, 1, 3], padding: [0, 1, 2], groups: 2}},
];

const rand = seededFloats;

type Shape5 = [number, number, number, number, number];
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const triple = (v: number|number[]|undefined, d: number) =>
    v == null ? [d, d, d] : typeof v === 'number' ? [v, v, v] : v;

describe('WebAssembly SIMD core matches the JS core and the reference', () => {
  afterEach(() => {
    setCpuImplementation('auto');
    setImplicitPaths(true);
    setDirectConv3d(true);
  });

  for (const c of cases) {
    it(c.name, async () => {
      await expectNoLeak(async () => {
        const x = tf.tensor(rand(numel(c.x), 1), c.x as Shape5) as tf.Tensor5D;
        const w = tf.tensor(rand(numel(c.w), 2), c.w as Shape5) as tf.Tensor5D;
        const groups = c.opts.groups ?? 1;
        const b = tf.tensor(rand(c.w[1] * groups, 3), [c.w[1] * groups]) as tf.Tensor1D;
        const results: Record<string, Float32Array[]> = {};
        for (const impl of ['js', 'wasm', 'implicit', 'cols'] as const) {
          setCpuImplementation(impl === 'js' ? 'js' : 'wasm');
          setImplicitPaths(impl !== 'cols');
          setDirectConv3d(impl === 'wasm');
          const y = convTranspose3d(x, w, b, c.opts);
          const {outputPadding: _, ...convOpts} = c.opts;  // conv3d has none (PyTorch refuses it)
          const z = conv3d(y, w, null, convOpts);
          const dw = convTranspose3dWeightGrad(x, y, c.w.slice(2), c.opts);
          results[impl] = [await y.data(), await z.data(), await dw.data()] as Float32Array[];
          tf.dispose([y, z, dw]);
        }
        const ref = refConvTranspose3d({
          n: c.x[0], cin: c.x[1], cout: c.w[1] * groups, groups, size: c.x.slice(2),
          kernel: c.w.slice(2), stride: triple(c.opts.stride, 1), padding: triple(c.opts.padding, 0),
          outputPadding: triple(c.opts.outputPadding, 0), dilation: triple(c.opts.dilation, 1),
        }, await x.data(), await w.data(), await b.data());
        expectClose(results.wasm[0], ref, 1e-4, 1e-4, 'forward vs reference');
        ['forward', 'conv3d', 'weight grad'].forEach((what, i) => {
          const scale = results.js[i].reduce((m, v) => Math.max(m, Math.abs(v)), 1);
          expectClose(results.wasm[i], results.js[i], 1e-5 * scale, 1e-4, `${what} wasm vs js`);
          expectClose(results.implicit[i], results.js[i], 1e-5 * scale, 1e-4,
                      `${what} wasm implicit vs js`);
          expectClose(results.cols[i], results.js[i], 1e-5 * scale, 1e-4, `${what} wasm cols vs js`);
        });
        tf.dispose([x, w, b]);
      });
    });
  }
});

/** Whether conv3d of this geometry takes the wasm core's direct path (core.ts, conv3dDirect). */
function takesDirect(core: NonNullable<ReturnType<typeof wasmCore>>, info: ConvTranspose3DInfo) {
  return conv3dDirectFits(core, writeParams(core, info, 1)) >= 0;
}

/**
 * conv3d geometries at the direct path's edges: [input, weight, options]. Its tiles are 4
 * positions × 8 output channels (8 × 4 for blocks of ≤ 4 channels), over the flattened output
 * volume, with in-row variants (stride 1 and 2 along W) beside the general one.
 */
const directCases: Array<{name: string, x: number[], w: number[],
                          opts: {stride?: number|number[], padding?: number|number[],
                                 dilation?: number|number[], groups?: number}}> = [
  {name: 'one input channel, odd width 13 (tiles across rows)', x: [1, 1, 4, 5, 13],
   w: [8, 1, 3, 3, 3], opts: {padding: 1}},
  {name: '5 output channels (lanes 5–7 unused), width 1: every tile crosses rows',
   x: [1, 3, 4, 6, 1], w: [5, 3, 3, 3, 1], opts: {padding: [1, 1, 0]}},
  {name: '13 output channels (blocks of 8 and 5), dilation 2, padding 2', x: [1, 4, 5, 6, 7],
   w: [13, 4, 3, 3, 3], opts: {padding: 2, dilation: 2}},
  {name: '12 output channels (8, then a 4-lane block of 8-position tiles in rows of 16)',
   x: [1, 2, 3, 3, 16], w: [12, 2, 3, 3, 3], opts: {padding: 1}},
  {name: '4 output channels, stride 2 (a 4-lane block, general tiles)', x: [1, 6, 7, 6, 17],
   w: [4, 6, 3, 3, 3], opts: {stride: 2, padding: 1}},
  {name: 'stride 2 along W (stride-2 row tiles), 16 channels, batch 3, no bias',
   x: [3, 3, 5, 4, 19], w: [16, 3, 3, 2, 3], opts: {stride: [1, 2, 2], padding: [1, 0, 1]}},
  {name: 'groups 3 of 6 output channels, stride 3 along W', x: [1, 6, 4, 5, 11],
   w: [18, 2, 2, 3, 3], opts: {groups: 3, stride: [2, 1, 3], padding: [0, 1, 2]}},
  {name: 'pointwise, 3 output channels (the grid is the input itself), 35 positions',
   x: [2, 7, 5, 7, 1], w: [3, 7, 1, 1, 1], opts: {}},
  {name: 'pointwise with stride 2 (a grid after all: unread rows dropped)', x: [1, 5, 5, 6, 9],
   w: [6, 5, 1, 1, 1], opts: {stride: 2}},
  {name: 'padding wider than the kernel reaches (zero rows the taps never read)',
   x: [1, 2, 2, 3, 4], w: [9, 2, 2, 2, 2], opts: {padding: [3, 2, 4]}},
  {name: 'fewer than 4 positions (one partial tile), 24 channels', x: [1, 5, 3, 3, 5],
   w: [24, 5, 3, 3, 3], opts: {stride: [1, 1, 2]}},
];

describe('WebAssembly SIMD core: the direct conv3d path', () => {
  let core: NonNullable<ReturnType<typeof wasmCore>>;
  beforeAll(async () => {
    await ready();
    core = wasmCore()!;
  });
  afterEach(() => {
    setDirectConv3d(true);
    setNumThreads(1);
    setMinFlopsPerThreadForTests(DEFAULT_MIN_FLOPS_PER_THREAD);
  });

  for (const [i, c] of directCases.entries()) {
    it(`${c.name}: the JS core's result, on one thread and cut by positions on three`, async () => {
      const info = conv3dInfo('conv3d', c.x, c.w, [c.w[0]], c.opts);
      expect(takesDirect(core, info)).withContext('takes the direct path').toBe(true);
      const x = rand(numel(c.x), 10 + i), w = rand(numel(c.w), 20 + i);
      const bias = c.name.includes('no bias') ? null : rand(c.w[0], 30 + i);
      const expected = conv3dForward(x, w, bias, info);
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      expectClose(wasmConv3dForward(core, x, w, bias, info)!, expected, 1e-5 * scale, 1e-4,
                  'one thread');
      setNumThreads(3);
      setMinFlopsPerThreadForTests(0);
      // One thread where there are none (a browser page that is not cross-origin isolated).
      const threads = await loadThreads();
      const before = threadedCallsForTests();
      const y3 = computeConv3d(x, w, bias, info);
      expect(threadedCallsForTests() - before).withContext('cut between threads')
          .toBe(threads > 1 ? 1 : 0);
      expectClose(y3, expected, 1e-5 * scale, 1e-4, 'three threads');
    });
  }

  it('is what the direct-path PyTorch fixtures (conv3d_direct.json) run on', () => {
    for (const c of conv3dDirectCases) {
      const info = conv3dInfo('conv3d', c.input.shape, c.weight.shape, c.bias?.shape, c.options);
      expect(takesDirect(core, info)).withContext(c.name).toBe(true);
    }
  });

  it('leaves the shapes the implicit path does better to it', () => {
    const off: Array<[number[], number[], {padding?: number}]> = [
      [[1, 8, 6, 6, 6], [1, 8, 3, 3, 3], {}],  // one output channel
      [[1, 8, 6, 6, 6], [4, 8, 3, 3, 3], {}],  // ≤ 4 output channels, stride 1, 27 taps
      [[1, 64, 6, 6, 8], [16, 64, 3, 3, 3], {padding: 1}],  // K = 1728 > 1536, output W = 8
    ];
    for (const [x, w, opts] of off) {
      expect(takesDirect(core, conv3dInfo('conv3d', x, w, null, opts))).withContext(`${x} ${w}`)
          .toBe(false);
    }
    setDirectConv3d(false);
    expect(takesDirect(core, conv3dInfo('conv3d', [1, 1, 4, 5, 13], [8, 1, 3, 3, 3], null, {padding: 1})))
        .toBe(false);
  });
});

describe('WebAssembly SIMD core: inputs it must not trust', () => {
  let core: NonNullable<ReturnType<typeof wasmCore>>;
  // Browsers compile the core in ready(), after this module is evaluated.
  beforeAll(async () => {
    await ready();
    core = wasmCore()!;
  });
  const info = convTranspose3dInfo('test', [1, 1, 2, 2, 2], [1, 1, 1, 1, 1], null);

  it('refuses an input shorter than its shape, so no earlier data can reach a result', () => {
    const w = new Float32Array([1]);
    expect(() => wasmConvTranspose3dForward(core, new Float32Array(7), w, null, info))
        .toThrowError(/convTranspose3d: input has 7 values, but its shape needs 8/);
    expect(() => wasmConv3dForward(core, new Float32Array(9), w, null, info))
        .toThrowError(/conv3d: input has 9 values, but its shape needs 8/);
    expect(() => wasmConvTranspose3dWeightGrad(core, new Float32Array(8), new Float32Array(3), info))
        .toThrowError(/convTranspose3dWeightGrad: dy has 3 values, but its shape needs 8/);
  });

  it('hands non-finite weights back (null) for the JS core, computes the rest', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const w = new Float32Array([bad]);
      expect(wasmConvTranspose3dForward(core, x, w, null, info)).withContext(`${bad}`).toBeNull();
      expect(wasmConv3dForward(core, x, w, null, info)).withContext(`${bad}`).toBeNull();
      // The scalar tail (3 floats) and each half of the 8-float SIMD block.
      const info3 = convTranspose3dInfo('test', [1, 1, 1, 1, 3], [1, 3, 1, 1, 1], null);
      for (const at of [0, 5, 7, 10]) {
        const w3 = new Float32Array(11).fill(1).subarray(0, 3);
        const w11 = new Float32Array(11).fill(1);
        w11[at] = bad;
        const info11 = convTranspose3dInfo('test', [1, 1, 1, 1, 3], [1, 11, 1, 1, 1], null);
        expect(wasmConvTranspose3dForward(core, new Float32Array([1, 2, 3]), w11, null, info11))
            .withContext(`${bad} at ${at}`).toBeNull();
        expect(wasmConvTranspose3dForward(core, new Float32Array([1, 2, 3]), w3, null, info3))
            .not.toBeNull();
      }
      // A non-finite x only reaches the outputs it touches on every forward path: computed here.
      const xb = x.slice();
      xb[3] = bad;
      expect(Array.from(wasmConvTranspose3dForward(core, xb, new Float32Array([2]), null, info)!))
          .toEqual([2, 4, 6, 2 * bad, 10, 12, 14, 16]);
      // Depthwise weight gradient: x and dy are checked.
      expect(wasmConvTranspose3dWeightGrad(core, xb, x, info)).toBeNull();
      expect(wasmConvTranspose3dWeightGrad(core, x, xb, info)).toBeNull();
    }
    expect(Array.from(wasmConvTranspose3dForward(core, x, new Float32Array([2]), null, info)!))
        .toEqual([2, 4, 6, 8, 10, 12, 14, 16]);
  });
});
