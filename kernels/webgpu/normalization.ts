/**
 * The normalisation kernels on `webgpu`: the WGSL of kernels/webgl/normalization.ts, on flat
 * (1-D) views of the tensors with the index arithmetic of kernels/cpu/normalization.ts. Sizes
 * are uniforms, so a new input size compiles nothing; what is baked in is which per-channel
 * inputs are per sample.
 *
 * Statistics are two-pass and chunked: partial sums per (statistic, chunk), then one invocation
 * per statistic adds its chunks; then the same for Σ (x − mean)². Chunk k of a statistic takes
 * its elements k, k + chunks, k + 2·chunks, …, so that neighbouring invocations read
 * neighbouring elements (coalesced loads), each summing at most CHUNK of them.
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {NormAffine, NormRowSums, NormStats, NormStatsAttrs} from '../../src/kernel_names.js';
import {normParamPerSample, normRowSumsPerSample, normStatsShape, normView} from '../cpu/normalization.js';
import {FlatProgram, intUniforms, ints, runFlat} from './ops_util.js';
import {checkFitsBinding} from './webgpu_util.js';

/** Elements per partial sum (at most). */
const CHUNK = 1024;

const STATS_UNIFORMS = intUniforms(['count', 1], ['blockLen', 1], ['groups', 1], ['chunks', 1]);

/**
 * The elements of statistic `st` are numbered j = 0 … M − 1; each lies in a contiguous block of
 * `blockLen` = (C/G)·S elements: block (st) itself when per sample (M = blockLen), else block
 * (n·G + st) for n = j / blockLen (batch norm: M = N·blockLen).
 */
const ELEMENT_OFFSET = (perSample: boolean) => perSample ? `
fn elementOffset(st : i32, j : i32) -> i32 { return st * uniforms.blockLen + j; }` : `
fn elementOffset(st : i32, j : i32) -> i32 {
  let n = j / uniforms.blockLen;
  return (n * uniforms.groups + st) * uniforms.blockLen + (j - n * uniforms.blockLen);
}`;

/**
 * partial[st·chunks + k] = Σ over chunk k of statistic st of x − x₀ (x₀: the statistic's first
 * element, so that float32 sums of data far from 0 keep their precision), or of (x − mean[st])².
 */
function partialSumProgram(size: number, perSample: boolean, centred: boolean): FlatProgram {
  return new FlatProgram(`ptNormPartial_${perSample}_${centred}`, size,
                         centred ? ['x', 'mu'] : ['x'], STATS_UNIFORMS, ELEMENT_OFFSET(perSample), `
    let st = index / uniforms.chunks;
    let k = index - st * uniforms.chunks;
    let m = ${centred ? 'mu[st]' : 'x[elementOffset(st, 0)]'};
    var acc = 0.0;
    for (var j = k; j < uniforms.count; j += uniforms.chunks) {
      let v = x[elementOffset(st, j)] - m;
      acc += ${centred ? 'v * v' : 'v'};
    }
    result[index] = acc;`);
}

/** out[st] = Σ_k partial[st·chunks + k] / count (+ x₀ for the mean). */
function finishProgram(size: number, perSample: boolean, mean: boolean): FlatProgram {
  return new FlatProgram(`ptNormFinish_${perSample}_${mean}`, size,
                         mean ? ['part', 'x'] : ['part'], STATS_UNIFORMS, ELEMENT_OFFSET(perSample), `
    var acc = 0.0;
    for (var k = 0; k < uniforms.chunks; k++) { acc += part[index * uniforms.chunks + k]; }
    result[index] = acc / f32(uniforms.count)${mean ? ' + x[elementOffset(index, 0)]' : ''};`);
}

/**
 * partial[row·chunks + k] = Σ over chunk k of row `row` (S contiguous elements) of dy, or of
 * dy·(x − mean) (mean indexed by the row, or by its channel).
 */
function rowPartialProgram(size: number, centred: boolean, meanPerSample: boolean): FlatProgram {
  return new FlatProgram(`ptNormRowPartial_${centred}_${meanPerSample}`, size,
                         centred ? ['dy', 'x', 'mu'] : ['dy'],
                         intUniforms(['count', 1], ['channels', 1], ['chunks', 1]), '', `
    let row = index / uniforms.chunks;
    let k = index - row * uniforms.chunks;
    let base = row * uniforms.count;
    ${centred ? `let m = mu[${meanPerSample ? 'row' : 'row % uniforms.channels'}];` : ''}
    var acc = 0.0;
    for (var j = k; j < uniforms.count; j += uniforms.chunks) {
      acc += dy[base + j]${centred ? ' * (x[base + j] - m)' : ''};
    }
    result[index] = acc;`);
}

/** y = (x − mean)·scale + shift per (n, c) row; each parameter indexed by c or by n·C + c. */
function affineProgram(size: number, params: Array<{name: string, perSample: boolean}>):
    FlatProgram {
  const buffers: Record<string, string> = {mean: 'mu', scale: 'sc', shift: 'sh'};
  const get = (name: string) => {
    const p = params.find(q => q.name === name);
    if (p == null) return name === 'scale' ? '1.0' : '0.0';
    return `${buffers[name]}[${p.perSample ? 'row' : 'c'}]`;
  };
  const key = params.map(p => `${p.name}${p.perSample ? 'N' : ''}`).join('_');
  return new FlatProgram(`ptNormAffine_${key}`, size, ['x', ...params.map(p => buffers[p.name])],
                         intUniforms(['channels', 1], ['rowLen', 1]), '', `
    let row = index / uniforms.rowLen;
    let c = row % uniforms.channels;
    result[index] = (x[index] - ${get('mean')}) * ${get('scale')} + ${get('shift')};`);
}

const normStatsKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as NormStatsAttrs;
  const outShape = normStatsShape(x.shape, a);
  const [n, c, s] = normView(NormStats, x.shape);
  const b = backend as WebGPUBackend;
  const numStats = outShape.reduce((p, q) => p * q, 1);
  const blockLen = (c / a.groups) * s;
  const count = a.perSample ? blockLen : n * blockLen;
  if (count === 0 || numStats === 0) {
    const nan = new Float32Array(numStats).fill(NaN);
    return [b.makeTensorInfo(outShape, 'float32', nan), b.makeTensorInfo(outShape, 'float32', nan)];
  }
  checkFitsBinding(b, 'normStats', 'input', x.shape);
  const chunks = Math.ceil(count / CHUNK);
  const uniforms = ints([count], [blockLen], [a.groups], [chunks]);
  const temps: TensorInfo[] = [];
  try {
    const sums = runFlat(b, partialSumProgram(numStats * chunks, a.perSample, false), [x],
                         'float32', uniforms, [numStats * chunks]);
    temps.push(sums);
    const mean = runFlat(b, finishProgram(numStats, a.perSample, true), [sums, x], 'float32',
                         uniforms, outShape);
    const squares = runFlat(b, partialSumProgram(numStats * chunks, a.perSample, true),
                            [x, mean], 'float32', uniforms, [numStats * chunks]);
    temps.push(squares);
    const variance = runFlat(b, finishProgram(numStats, a.perSample, false), [squares],
                             'float32', uniforms, outShape);
    return [mean, variance];
  } finally {
    for (const t of temps) b.disposeData(t.dataId);
  }
};

const normAffineKernel: KernelFunc = ({inputs, backend}) => {
  const {x, mean, scale, shift} = inputs as unknown as
      {x: TensorInfo, mean?: TensorInfo, scale: TensorInfo, shift?: TensorInfo};
  const [, c, s] = normView(NormAffine, x.shape);
  const b = backend as WebGPUBackend;
  const given = ([['mean', mean], ['scale', scale], ['shift', shift]] as const)
      .filter(([, t]) => t != null) as Array<[string, TensorInfo]>;
  const params =
      given.map(([name, t]) => ({name, perSample: normParamPerSample(x.shape, name, t.shape)}));
  checkFitsBinding(b, 'normAffine', 'input', x.shape);
  const size = x.shape.reduce((p, q) => p * q, 1);
  return runFlat(b, affineProgram(size, params), [x, ...given.map(([, t]) => t)], 'float32',
                 ints([c], [s]), [...x.shape]);
};

const normRowSumsKernel: KernelFunc = ({inputs, backend}) => {
  const {dy, x, mean} = inputs as {dy: TensorInfo, x: TensorInfo, mean: TensorInfo};
  const perSample = normRowSumsPerSample(dy.shape, x.shape, mean.shape);
  const [n, c, s] = normView(NormRowSums, x.shape);
  const b = backend as WebGPUBackend;
  const rows = n * c;
  if (rows === 0 || s === 0) {
    const zeros = new Float32Array(rows);
    return [b.makeTensorInfo([n, c], 'float32', zeros), b.makeTensorInfo([n, c], 'float32', zeros)];
  }
  checkFitsBinding(b, 'normRowSums', 'input', x.shape);
  const chunks = Math.ceil(s / CHUNK);
  const uniforms = ints([s], [c], [chunks]);
  // The finishing program adds each row's chunks (count 1: a sum, not a mean).
  const finish = ints([1], [0], [0], [chunks]);
  const temps: TensorInfo[] = [];
  try {
    return [false, true].map(centred => {
      const partial = runFlat(b, rowPartialProgram(rows * chunks, centred, perSample),
                              centred ? [dy, x, mean] : [dy], 'float32', uniforms,
                              [rows * chunks]);
      temps.push(partial);
      return runFlat(b, finishProgram(rows, true, false), [partial], 'float32', finish, [n, c]);
    });
  } finally {
    for (const t of temps) b.disposeData(t.dataId);
  }
};

export function normWebgpuKernelConfigs(): KernelConfig[] {
  return [
    {kernelName: NormRowSums, backendName: 'webgpu', kernelFunc: normRowSumsKernel},
    {kernelName: NormStats, backendName: 'webgpu', kernelFunc: normStatsKernel},
    {kernelName: NormAffine, backendName: 'webgpu', kernelFunc: normAffineKernel},
  ];
}
