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
 * Calls `row(outOffset, inOffset)` for every output row (all but the last padded axis fixed),
 * with inOffset −1 when the row lies in the constant border. The last axis's map is `maps[k−1]`.
 */
function forEachRow(info: PadInfo, maps: Int32Array[], row: (o: number, i: number) => void) {
  const k = info.axes.length;
  const J = info.axes.map(a => a.J), W = info.axes.map(a => a.W);
  const inRow = W[k - 1], outRow = J[k - 1];
  const inPlane = W.reduce((p, q) => p * q, 1);
  const outer = J.slice(0, k - 1);
  const nOuter = outer.reduce((p, q) => p * q, 1);
  if (outRow === 0) return;
  const idx = new Array(k - 1).fill(0);
  let o = 0;
  for (let b = 0; b < info.batch; b++) {
    for (let r = 0; r < nOuter; r++, o += outRow) {
      let src = 0, outside = false;
      for (let a = 0; a < k - 1; a++) {
        const i = maps[a][idx[a]];
        if (i < 0) outside = true;
        src = src * W[a] + i;
      }
      row(o, outside ? -1 : b * inPlane + src * inRow);
      for (let a = k - 2; a >= 0; a--) {  // odometer over the outer padded axes
        if (++idx[a] < outer[a]) break;
        idx[a] = 0;
      }
    }
  }
}

export function computePad(x: Values, info: PadInfo, value: number): Values {
  const out = x instanceof Int32Array ? new Int32Array(sizeOf(info.outShape)) :
                                        new Float32Array(sizeOf(info.outShape));
  const maps = sourceMaps(info);
  const last = maps[maps.length - 1], n = last.length;
  forEachRow(info, maps, (o, i) => {
    if (i < 0) {
      out.fill(value, o, o + n);
      return;
    }
    for (let j = 0; j < n; j++) {
      const s = last[j];
      out[o + j] = s < 0 ? value : x[i + s];
    }
  });
  return out;
}

/** dx[src(j)] += dy[j]: the adjoint of computePad (value-elements have no source). */
export function computePadGrad(dy: Float32Array, info: PadInfo): Float32Array {
  const dx = new Float32Array(sizeOf(info.inShape));
  const maps = sourceMaps(info);
  const last = maps[maps.length - 1], n = last.length;
  forEachRow(info, maps, (o, i) => {
    if (i < 0) return;
    for (let j = 0; j < n; j++) {
      const s = last[j];
      if (s >= 0) dx[i + s] += dy[o + j];
    }
  });
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
