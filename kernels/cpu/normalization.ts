/**
 * The normalisation kernels (PtNormStats, PtNormAffine) on JS typed arrays, for the `cpu` backend
 * and, through an adapter, tfjs-backend-wasm. Both are memory-bound single passes over x, so plain
 * JS loops suffice; the innermost loop always runs over one contiguous (n, c) row of S elements.
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {fmtShape} from '../../src/geometry.js';
import {NormAffine, NormRowSums, NormStats, NormStatsAttrs} from '../../src/kernel_names.js';
import {normWasm, wasmNormAffine, wasmNormRowStats} from '../simd/norm_simd.js';
import {uninitFloat32} from '../simd/simd_core.js';
import {getCpuImplementation} from './dispatch.js';
import {BackendAdapter, readF32} from './kernels.js';

/**
 * The WebAssembly SIMD loops (kernels/simd/norm_simd.ts), when the cpu implementation is not
 * forced to JS and rows are long enough to repay a call per row; else null (the JS loops).
 */
function simdFor(s: number) {
  if (s < 8 || getCpuImplementation() !== 'wasm') return null;
  return normWasm();
}

/** x's shape read as [N, C, S]; the kernels' shape checks, shared by every backend. */
export function normView(kernel: string, shape: readonly number[]): [number, number, number] {
  if (shape.length < 2) {
    throw new Error(`${kernel}: expected x with at least 2 dimensions [N, C, …], but got ` +
        fmtShape(shape));
  }
  let s = 1;
  for (let i = 2; i < shape.length; i++) s *= shape[i];
  return [shape[0], shape[1], s];
}

/** Checks PtNormStats' attrs against x; returns the shape of each statistic. */
export function normStatsShape(xShape: readonly number[], attrs: NormStatsAttrs): number[] {
  const [n, c] = normView(NormStats, xShape);
  const g = attrs.groups;
  if (!(Number.isInteger(g) && g >= 1 && c % g === 0)) {
    throw new Error(`${NormStats}: groups must divide the ${c} channels, but got ${g}`);
  }
  return attrs.perSample ? [n, g] : [g];
}

/**
 * Checks one of PtNormAffine's per-channel inputs against x; true when it is per sample
 * (`[N, C]`), false when shared (`[C]`).
 */
export function normParamPerSample(
    xShape: readonly number[], what: string, shape: readonly number[]): boolean {
  const [n, c] = normView(NormAffine, xShape);
  if (shape.length === 2 && shape[0] === n && shape[1] === c) return true;
  if (shape.length === 1 && shape[0] === c) return false;
  throw new Error(`${NormAffine}: expected ${what} of size [${c}] or [${n}, ${c}] for x of ` +
      `size ${fmtShape(xShape)}, but got ${fmtShape(shape)}`);
}

/**
 * Mean and biased variance of each statistic (see NormStatsAttrs) in one pass: shifted sums
 * Σ(x − k), Σ(x − k)² in float64, k being the mean of the statistic's first (up to) 16 elements
 * rounded to float32, so that the cancellation in Σd² − (Σd)²/M stays far below float32
 * resolution even for data far from 0 (mean − k is a fraction of the spread; the SIMD loop's
 * float32 blocks, kernels/simd/assembly/norm.ts, need k near the mean and float32). Four
 * accumulators per row keep the loop from waiting on one add chain.
 */
export function computeNormStats(
    x: Float32Array, n: number, c: number, s: number, groups: number,
    perSample: boolean): {mean: Float32Array, variance: Float32Array} {
  const cg = c / groups;
  const count = perSample ? n * groups : groups;
  const sum = new Float64Array(count), sq = new Float64Array(count), ref = new Float64Array(count);
  for (let st = 0; st < count; st++) {
    const i = perSample ? Math.floor(st / groups) : 0, g = perSample ? st % groups : st;
    const from = (i * c + g * cg) * s, len = n > 0 ? Math.min(s, 16) : 0;
    let k = 0;
    for (let j = from; j < from + len; j++) k += x[j];
    ref[st] = len > 0 ? Math.fround(k / len) : 0;
  }
  let simd = simdFor(s);
  if (simd != null) {
    const rows = n * c, k = new Float64Array(rows);
    const rowSum = new Float64Array(rows), rowSq = new Float64Array(rows);
    const statOf = (row: number) =>
        (perSample ? Math.floor(row / c) * groups : 0) + Math.floor((row % c) / cg);
    for (let row = 0; row < rows; row++) k[row] = ref[statOf(row)];
    try {
      wasmNormRowStats(simd, x, s, k, rowSum, rowSq);
      for (let row = 0; row < rows; row++) {
        const st = statOf(row);
        sum[st] += rowSum[row];
        sq[st] += rowSq[row];
      }
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      simd = null;  // the wasm memory could not grow: the JS loops
    }
  }
  for (let i = 0; simd == null && i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const st = (perSample ? i * groups : 0) + Math.floor(ch / cg);
      const k = ref[st];
      const base = (i * c + ch) * s, end = base + s;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
      let j = base;
      for (; j + 3 < end; j += 4) {
        const d0 = x[j] - k, d1 = x[j + 1] - k, d2 = x[j + 2] - k, d3 = x[j + 3] - k;
        a0 += d0; a1 += d1; a2 += d2; a3 += d3;
        b0 += d0 * d0; b1 += d1 * d1; b2 += d2 * d2; b3 += d3 * d3;
      }
      for (; j < end; j++) {
        const d = x[j] - k;
        a0 += d;
        b0 += d * d;
      }
      sum[st] += (a0 + a1) + (a2 + a3);
      sq[st] += (b0 + b1) + (b2 + b3);
    }
  }
  const m = (perSample ? 1 : n) * cg * s;
  const mean = new Float32Array(count), variance = new Float32Array(count);
  for (let st = 0; st < count; st++) {
    const d = sum[st] / m;
    mean[st] = ref[st] + d;
    variance[st] = Math.max(0, sq[st] / m - d * d);
  }
  return {mean, variance};
}

/** A per-channel input of PtNormAffine as an array, and whether it is per sample. */
export interface NormParam {values: Float32Array, perSample: boolean}

/** y[j] = (x[j] − m)·a + b for j in [from, to). */
function affineRow(x: Float32Array, y: Float32Array, from: number, to: number, m: number,
                   a: number, b: number) {
  for (let j = from; j < to; j++) y[j] = (x[j] - m) * a + b;
}

/** y = (x − mean)·scale + shift per (n, c) row; a missing mean or shift is 0. */
export function computeNormAffine(
    x: Float32Array, n: number, c: number, s: number, mean: NormParam|null, scale: NormParam,
    shift: NormParam|null): Float32Array {
  // Every element is written: no zero-filling (in Node).
  const y = uninitFloat32(x.length) ?? new Float32Array(x.length);
  const simd = simdFor(s);
  if (simd != null) {
    const rows = n * c;
    const m = new Float64Array(rows), a = new Float64Array(rows), b = new Float64Array(rows);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < c; ch++) {
        m[i * c + ch] = paramAt(mean, c, i, ch);
        a[i * c + ch] = paramAt(scale, c, i, ch);
        b[i * c + ch] = paramAt(shift, c, i, ch);
      }
    }
    try {
      wasmNormAffine(simd, x, y, s, m, a, b);
      return y;
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;  // the wasm memory could not grow: JS loops
    }
  }
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      affineRow(x, y, base, base + s, paramAt(mean, c, i, ch), paramAt(scale, c, i, ch),
                paramAt(shift, c, i, ch));
    }
  }
  return y;
}

function paramAt(p: NormParam|null, c: number, i: number, ch: number): number {
  return p == null ? 0 : p.values[p.perSample ? i * c + ch : ch];
}

/** PtNormRowSums' shapes: dy and x alike; returns whether mean is per sample. */
export function normRowSumsPerSample(
    dyShape: readonly number[], xShape: readonly number[], meanShape: readonly number[]): boolean {
  normView(NormRowSums, xShape);
  if (fmtShape(dyShape) !== fmtShape(xShape)) {
    throw new Error(`${NormRowSums}: expected dy of x's size ${fmtShape(xShape)}, but got ` +
        fmtShape(dyShape));
  }
  return normParamPerSample(xShape, 'mean', meanShape);
}

/** Σ dy and Σ dy·(x − mean) per (n, c) row, in float64. */
export function computeNormRowSums(
    dy: Float32Array, x: Float32Array, n: number, c: number, s: number,
    mean: NormParam): {sumDy: Float32Array, sumDyCentred: Float32Array} {
  const sumDy = new Float32Array(n * c), sumDyCentred = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const m = paramAt(mean, c, i, ch);
      const base = (i * c + ch) * s, end = base + s;
      let a0 = 0, a1 = 0, b0 = 0, b1 = 0;
      let j = base;
      for (; j + 1 < end; j += 2) {
        const g0 = dy[j], g1 = dy[j + 1];
        a0 += g0;
        a1 += g1;
        b0 += g0 * (x[j] - m);
        b1 += g1 * (x[j + 1] - m);
      }
      if (j < end) {
        a0 += dy[j];
        b0 += dy[j] * (x[j] - m);
      }
      sumDy[i * c + ch] = a0 + a1;
      sumDyCentred[i * c + ch] = b0 + b1;
    }
  }
  return {sumDy, sumDyCentred};
}

const normRowSumsKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend}) => {
  const {dy, x, mean} = inputs as {dy: TensorInfo, x: TensorInfo, mean: TensorInfo};
  const perSample = normRowSumsPerSample(dy.shape, x.shape, mean.shape);
  const [n, c, s] = normView(NormRowSums, x.shape);
  const b = adapt(backend);
  const {sumDy, sumDyCentred} = computeNormRowSums(readF32(b, dy), readF32(b, x), n, c, s,
                                                   {perSample, values: readF32(b, mean)});
  return [b.makeTensorInfo([n, c], 'float32', sumDy),
          b.makeTensorInfo([n, c], 'float32', sumDyCentred)];
};

const normStatsKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as NormStatsAttrs;
  const outShape = normStatsShape(x.shape, a);
  const [n, c, s] = normView(NormStats, x.shape);
  const b = adapt(backend);
  const {mean, variance} = computeNormStats(readF32(b, x), n, c, s, a.groups, a.perSample);
  return [b.makeTensorInfo(outShape, 'float32', mean),
          b.makeTensorInfo(outShape, 'float32', variance)];
};

const normAffineKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend}) => {
  const {x, mean, scale, shift} = inputs as unknown as
      {x: TensorInfo, mean?: TensorInfo, scale: TensorInfo, shift?: TensorInfo};
  const [n, c, s] = normView(NormAffine, x.shape);
  const b = adapt(backend);
  const param = (what: string, t: TensorInfo|undefined): NormParam|null => t == null ? null :
      {perSample: normParamPerSample(x.shape, what, t.shape), values: readF32(b, t)};
  const y = computeNormAffine(readF32(b, x), n, c, s, param('mean', mean),
                              param('scale', scale)!, param('shift', shift));
  return b.makeTensorInfo([...x.shape], 'float32', y);
};

/** The normalisation kernels for a backend that stores typed arrays (cpu, wasm via adapter). */
export function normKernelConfigs(backendName: string, adapt: BackendAdapter): KernelConfig[] {
  return [
    {kernelName: NormStats, backendName, kernelFunc: normStatsKernel(adapt)},
    {kernelName: NormAffine, backendName, kernelFunc: normAffineKernel(adapt)},
    {kernelName: NormRowSums, backendName, kernelFunc: normRowSumsKernel(adapt)},
  ];
}
