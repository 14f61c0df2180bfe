/**
 * Interpolation kernels on typed arrays (cpu; wasm and tensorflow through adapters), over the
 * per-axis index/weight tables of src/interpolate.ts `axisTable`.
 *
 * Nearest is one gather pass; an output row whose source row is the previous one's is a copy.
 * The linear modes are separable, and PyTorch 1.13's CPU kernel evaluates them nested, innermost
 * axis first (w0·(…) + w1·(…) per axis), so one pass per axis (W, then H, then D) computes the
 * same sums in the same order with 2 taps per output instead of 8; an axis whose size does not
 * change is skipped (PyTorch copies it). The gradient is the adjoint: the passes transposed, in
 * reverse order.
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {fmtShape} from '../../src/geometry.js';
import {AxisTable, axisTables, InterpolateAttrs} from '../../src/interpolate.js';
import {Interpolate, InterpolateGrad, InterpolateGradKernelAttrs} from '../../src/kernel_names.js';
import {BackendAdapter, readF32} from './kernels.js';

/** dst[a, o, b] = w0[o]·src[a, i0[o], b] + w1[o]·src[a, i1[o], b] over [outer, ·, inner]. */
function axisPass(src: Float32Array, outer: number, inLen: number, inner: number,
                  t: AxisTable): Float32Array {
  const outLen = t.i0.length;
  const dst = new Float32Array(outer * outLen * inner);
  const {i0, i1, w0, w1} = t;
  for (let a = 0; a < outer; a++) {
    const s = a * inLen * inner, d = a * outLen * inner;
    if (inner === 1) {
      for (let o = 0; o < outLen; o++) dst[d + o] = w0[o] * src[s + i0[o]] + w1[o] * src[s + i1[o]];
      continue;
    }
    for (let o = 0; o < outLen; o++) {
      const r0 = s + i0[o] * inner, r1 = s + i1[o] * inner, r = d + o * inner;
      const u = w0[o], v = w1[o];
      for (let b = 0; b < inner; b++) dst[r + b] = u * src[r0 + b] + v * src[r1 + b];
    }
  }
  return dst;
}

/** The adjoint of axisPass: dx[a, i0[o], b] += w0[o]·dy[a, o, b] (and i1, w1 unless nearest). */
function axisPassAdjoint(dy: Float32Array, outer: number, inLen: number, inner: number,
                         t: AxisTable, twoTaps: boolean): Float32Array {
  const outLen = t.i0.length;
  const dx = new Float32Array(outer * inLen * inner);
  const {i0, i1, w0, w1} = t;
  for (let a = 0; a < outer; a++) {
    const s = a * inLen * inner, d = a * outLen * inner;
    for (let o = 0; o < outLen; o++) {
      const r0 = s + i0[o] * inner, r1 = s + i1[o] * inner, r = d + o * inner;
      const u = w0[o], v = w1[o];
      for (let b = 0; b < inner; b++) dx[r0 + b] += u * dy[r + b];
      if (twoTaps) for (let b = 0; b < inner; b++) dx[r1 + b] += v * dy[r + b];
    }
  }
  return dx;
}

const identity = (t: AxisTable, inLen: number) =>
    t.i0.length === inLen && t.i0.every((v, o) => v === o && t.w1[o] === 0);

/** y = interpolate(x) on a 5-D shape `xShape`. */
export function interpolateForward(
    x: Float32Array, xShape: readonly number[], a: InterpolateAttrs): Float32Array {
  const [n, c, D, H, W] = xShape, [oD, oH, oW] = a.outSize;
  const [td, th, tw] = axisTables(xShape, a);
  const planes = n * c;
  if (a.mode !== 'linear') {
    const y = new Float32Array(planes * oD * oH * oW);
    for (let pl = 0, r = 0; pl < planes; pl++) {
      let prevSrc = -1;
      for (let od = 0; od < oD; od++) {
        for (let oh = 0; oh < oH; oh++, r += oW) {
          const src = ((pl * D + td.i0[od]) * H + th.i0[oh]) * W;
          if (src === prevSrc) {
            y.copyWithin(r, r - oW, r);
            continue;
          }
          prevSrc = src;
          for (let ow = 0; ow < oW; ow++) y[r + ow] = x[src + tw.i0[ow]];
        }
      }
    }
    return y;
  }
  let t = x;
  if (!identity(tw, W)) t = axisPass(t, planes * D * H, W, 1, tw);
  if (!identity(th, H)) t = axisPass(t, planes * D, H, oW, th);
  if (!identity(td, D)) t = axisPass(t, planes, D, oH * oW, td);
  return t === x ? x.slice() : t;
}

/** dx = the adjoint of interpolateForward applied to dy (x's 5-D shape `xShape`). */
export function interpolateBackward(
    dy: Float32Array, xShape: readonly number[], a: InterpolateAttrs): Float32Array {
  const [n, c, D, H, W] = xShape, [, oH, oW] = a.outSize;
  const [td, th, tw] = axisTables(xShape, a);
  const planes = n * c, two = a.mode === 'linear';
  let t = dy;
  t = axisPassAdjoint(t, planes, D, oH * oW, td, two);
  t = axisPassAdjoint(t, planes * D, H, oW, th, two);
  t = axisPassAdjoint(t, planes * D * H, W, 1, tw, two);
  return t;
}

function checkRank5(x: TensorInfo) {
  if (x.shape.length !== 5) {
    throw new Error(`interpolate kernel: expected a 5-D input, but got ${fmtShape(x.shape)}`);
  }
}

const interpolateKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  checkRank5(x);
  const b = adapt(backend);
  const a = attrs as unknown as InterpolateAttrs;
  return b.makeTensorInfo([x.shape[0], x.shape[1], ...a.outSize], 'float32',
                          interpolateForward(readF32(b, x), x.shape, a));
};

/** Checks dy against the forward's output shape. */
export function interpolateGradCheck(dyShape: number[], a: InterpolateGradKernelAttrs) {
  const expected = [a.inputShape[0], a.inputShape[1], ...a.outSize];
  if (dyShape.length !== 5 || expected.some((s, i) => s !== dyShape[i])) {
    throw new Error(`interpolate (gradient): expected dy of size ${fmtShape(expected)}, but ` +
        `got ${fmtShape(dyShape)}`);
  }
}

const interpolateGradKernel = (adapt: BackendAdapter): KernelFunc =>
    ({inputs, backend, attrs}) => {
      const {dy} = inputs as {dy: TensorInfo};
      const b = adapt(backend);
      const a = attrs as unknown as InterpolateGradKernelAttrs;
      interpolateGradCheck(dy.shape, a);
      return b.makeTensorInfo([...a.inputShape], 'float32',
                              interpolateBackward(readF32(b, dy), a.inputShape, a));
    };

/** Interpolation kernel configs for a backend that stores typed arrays (or an adapter). */
export function interpolateKernelConfigs(
    backendName: string, adapt: BackendAdapter = b => b as ReturnType<BackendAdapter>):
    KernelConfig[] {
  return [
    {kernelName: Interpolate, backendName, kernelFunc: interpolateKernel(adapt)},
    {kernelName: InterpolateGrad, backendName, kernelFunc: interpolateGradKernel(adapt)},
  ];
}
