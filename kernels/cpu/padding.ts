/**
 * Pad and PadGrad on backends that keep typed arrays (cpu, wasm through an adapter): the gather
 * loop of the forward (each output element reads one input element, or the value) and the
 * scatter-add of its adjoint, one pass each, the innermost loop running along the last axis.
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {Pad, PadAttrs, PadGrad, PadGradAttrs} from '../../src/kernel_names.js';
import {PadInfo, padInfo, padSource} from '../../src/padding.js';
import type {BackendAdapter, TypedArrayBackend} from './kernels.js';

type Values = Float32Array|Int32Array;

/** Per padded axis, the input index read by each output index (−1: the constant). */
function sourceMaps(info: PadInfo): Int32Array[] {
  return info.axes.map(a => {
    const m = new Int32Array(a.J);
    for (let j = 0; j < a.J; j++) m[j] = padSource(a, info.mode, j);
    return m;
  });
}

/**
 * The input offset of every output row (all but the last padded axis fixed; output row r starts
 * at r · J_last), −1 when the row lies in the constant border. Rows are few (1/J_last of the
 * output), so the element loops below stay plain and monomorphic.
 */
function rowSources(info: PadInfo, maps: Int32Array[]): Int32Array {
  const k = info.axes.length;
  const J = info.axes.map(a => a.J), W = info.axes.map(a => a.W);
  const inRow = W[k - 1];
  const inPlane = W.reduce((p, q) => p * q, 1);
  const outer = J.slice(0, k - 1);
  const nOuter = outer.reduce((p, q) => p * q, 1);
  const rows = new Int32Array(info.batch * nOuter);
  const idx = new Array(k - 1).fill(0);
  let r = 0;
  for (let b = 0; b < info.batch; b++) {
    for (let q = 0; q < nOuter; q++, r++) {
      let src = 0, outside = false;
      for (let a = 0; a < k - 1; a++) {
        const i = maps[a][idx[a]];
        if (i < 0) outside = true;
        src = src * W[a] + i;
      }
      rows[r] = outside ? -1 : b * inPlane + src * inRow;
      for (let a = k - 2; a >= 0; a--) {  // odometer over the outer padded axes
        if (++idx[a] < outer[a]) break;
        idx[a] = 0;
      }
    }
  }
  return rows;
}

/**
 * The forward on the raw 32-bit patterns (float32 data viewed as Int32Array): a copy needs no
 * arithmetic, and one element type keeps the loops monomorphic. Per output row, the interior
 * (a contiguous run of the input row) is copied, the borders go through the map.
 */
export function computePad(x: Values, info: PadInfo, value: number): Values {
  const n = sizeOf(info.outShape);
  const bits = new Int32Array(n);
  const src = new Int32Array(x.buffer, x.byteOffset, x.length);
  const fill = x instanceof Int32Array ? value | 0 :
      new Int32Array(new Float32Array([value]).buffer)[0];
  const maps = sourceMaps(info);
  const last = maps[maps.length - 1], rowLen = last.length;
  const ax = info.axes[info.axes.length - 1];
  // Output indices [j0, j1) of a row read input indices [j0 + shift, j1 + shift).
  const j0 = Math.min(Math.max(ax.pl, 0), rowLen), j1 = Math.min(rowLen, j0 + ax.C);
  const shift = info.mode === 'circular' ? ax.s - ax.lead : -ax.pl;
  if (rowLen === 0) return x instanceof Int32Array ? bits : new Float32Array(bits.buffer);
  const rows = rowSources(info, maps);
  for (let r = 0, o = 0; r < rows.length; r++, o += rowLen) {
    const i = rows[r];
    if (i < 0) {
      bits.fill(fill, o, o + rowLen);
      continue;
    }
    for (let j = 0; j < j0; j++) {
      const s = last[j];
      bits[o + j] = s < 0 ? fill : src[i + s];
    }
    const from = i + shift;
    if (j1 - j0 >= 64) {
      bits.set(src.subarray(from + j0, from + j1), o + j0);
    } else {
      for (let j = j0; j < j1; j++) bits[o + j] = src[from + j];
    }
    for (let j = j1; j < rowLen; j++) {
      const s = last[j];
      bits[o + j] = s < 0 ? fill : src[i + s];
    }
  }
  return x instanceof Int32Array ? bits : new Float32Array(bits.buffer);
}

/** dx[src(j)] += dy[j]: the adjoint of computePad (value-elements have no source). */
export function computePadGrad(dy: Float32Array, info: PadInfo): Float32Array {
  const dx = new Float32Array(sizeOf(info.inShape));
  const maps = sourceMaps(info);
  const last = maps[maps.length - 1], n = last.length;
  if (n === 0) return dx;
  const ax = info.axes[info.axes.length - 1];
  // The interior [j0, j1) of each row adds into a contiguous run (see computePad).
  const j0 = Math.min(Math.max(ax.pl, 0), n), j1 = Math.min(n, j0 + ax.C);
  const shift = info.mode === 'circular' ? ax.s - ax.lead : -ax.pl;
  const rows = rowSources(info, maps);
  for (let r = 0, o = 0; r < rows.length; r++, o += n) {
    const i = rows[r];
    if (i < 0) continue;
    for (let j = 0; j < j0; j++) {
      const s = last[j];
      if (s >= 0) dx[i + s] += dy[o + j];
    }
    const to = i + shift;
    for (let j = j0; j < j1; j++) dx[to + j] += dy[o + j];
    for (let j = j1; j < n; j++) {
      const s = last[j];
      if (s >= 0) dx[i + s] += dy[o + j];
    }
  }
  return dx;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((p, q) => p * q, 1);
}

function read(b: TypedArrayBackend, t: TensorInfo): Values {
  const v = b.readSync(t.dataId);
  if (v instanceof Float32Array || v instanceof Int32Array) return v;
  return t.dtype === 'int32' ? Int32Array.from(v as ArrayLike<number>) :
                               Float32Array.from(v as ArrayLike<number>);
}

const padKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as PadAttrs;
  const b = adapt(backend);
  const info = padInfo('pad', x.shape, a.pad, a.mode);
  const y = computePad(read(b, x), info, a.value);
  // makeTensorInfo's type says float32; the backends store whatever typed array they get.
  return b.makeTensorInfo(info.outShape, x.dtype as 'float32', y as Float32Array);
};

const padGradKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const a = attrs as unknown as PadGradAttrs;
  const b = adapt(backend);
  const info = padInfo('pad (gradient)', a.inShape, a.pad, a.mode);
  const v = read(b, dy);
  const dx = computePadGrad(v instanceof Float32Array ? v : Float32Array.from(v), info);
  return b.makeTensorInfo(info.inShape, 'float32', dx);
};

export function padKernelConfigs(backendName: string, adapt: BackendAdapter): KernelConfig[] {
  return [
    {kernelName: Pad, backendName, kernelFunc: padKernel(adapt)},
    {kernelName: PadGrad, backendName, kernelFunc: padGradKernel(adapt)},
  ];
}
