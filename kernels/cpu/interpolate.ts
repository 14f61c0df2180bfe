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
    // Gather only distinct source rows; a row (or a whole H·W slab) whose source is the previous
    // one's is a copy of what was just written.
    const y = new Float32Array(planes * oD * oH * oW);
    const slab = oH * oW;
    for (let pl = 0, r = 0; pl < planes; pl++) {
      for (let od = 0; od < oD; od++, r += slab) {
        if (od > 0 && td.i0[od] === td.i0[od - 1]) {
          y.copyWithin(r, r - slab, r);
          continue;
        }
        for (let oh = 0; oh < oH; oh++) {
          const row = r + oh * oW;
          if (oh > 0 && th.i0[oh] === th.i0[oh - 1]) {
            y.copyWithin(row, row - oW, row);
            continue;
          }
          const src = ((pl * D + td.i0[od]) * H + th.i0[oh]) * W;
          for (let ow = 0; ow < oW; ow++) y[row + ow] = x[src + tw.i0[ow]];
        }
      }
    }
    return y;
  }
  return linearForward(x, planes, [D, H, W], [td, th, tw]);
}

/** One input depth slice x[base, base + H·W) interpolated along W then H into `t` (oH×oW). */
function linearSlice(x: Float32Array, base: number, H: number, W: number, tw: AxisTable,
                     th: AxisTable, idW: boolean, idH: boolean, rows: Float32Array,
                     t: Float32Array): Float32Array {
  const oW = tw.i0.length, oH = th.i0.length;
  const src = idW ? x.subarray(base, base + H * W) : rows;
  if (!idW) {
    const {i0, i1, w0, w1} = tw;
    for (let h = 0; h < H; h++) {
      const s = base + h * W, r = h * oW;
      for (let o = 0; o < oW; o++) rows[r + o] = w0[o] * x[s + i0[o]] + w1[o] * x[s + i1[o]];
    }
  }
  if (idH) {
    t.set(src);
    return t;
  }
  for (let o = 0; o < oH; o++) {
    const r0 = th.i0[o] * oW, r1 = th.i1[o] * oW, r = o * oW, u = th.w0[o], v = th.w1[o];
    for (let b = 0; b < oW; b++) t[r + b] = u * src[r0 + b] + v * src[r1 + b];
  }
  return t;
}

/**
 * The linear modes in one pass over the output: per plane, each input depth slice is
 * interpolated along W (2 taps) then H (2 taps) into an oH×oW slab, at most two of which are
 * kept (the source depths only grow with od); each output slab is then w0·slab(d0) +
 * w1·slab(d1). This is PyTorch's nesting (W innermost), without full-size intermediates. An
 * axis whose size does not change is a copy, as in PyTorch (no 0·x term, so an ∞ stays ∞).
 */
function linearForward(x: Float32Array, planes: number, [D, H, W]: number[],
                       [td, th, tw]: AxisTable[]): Float32Array {
  const oD = td.i0.length, oH = th.i0.length, oW = tw.i0.length, slab = oH * oW;
  const idW = identity(tw, W), idH = identity(th, H), idD = identity(td, D);
  const y = new Float32Array(planes * oD * slab);
  const rows = new Float32Array(H * oW);  // one depth slice interpolated along W
  const cache = [new Float32Array(slab), new Float32Array(slab)];
  const cached = [-1, -1];
  let last = 0;  // the slot returned last: a new slice goes to the other one
  const slabOf = (pl: number, d: number): Float32Array => {
    for (let c = 0; c < 2; c++) {
      if (cached[c] === pl * D + d) {
        last = c;
        return cache[c];
      }
    }
    last = 1 - last;
    cached[last] = pl * D + d;
    return linearSlice(x, (pl * D + d) * H * W, H, W, tw, th, idW, idH, rows, cache[last]);
  };
  for (let pl = 0; pl < planes; pl++) {
    for (let od = 0; od < oD; od++) {
      const r = (pl * oD + od) * slab;
      if (idD) {
        y.set(slabOf(pl, od), r);
        continue;
      }
      const a = slabOf(pl, td.i0[od]), b = slabOf(pl, td.i1[od]);
      const u = td.w0[od], v = td.w1[od];
      for (let i = 0; i < slab; i++) y[r + i] = u * a[i] + v * b[i];
    }
  }
  return y;
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
