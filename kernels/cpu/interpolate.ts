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
import {getCpuImplementation} from './dispatch.js';
import {poolWasm, wasmInterpolate} from '../simd/pool_simd.js';
import {uninitFloat32} from '../simd/simd_core.js';

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
  const simd = getCpuImplementation() === 'wasm' ? poolWasm() : null;
  if (simd != null) {
    // The same passes on WebAssembly SIMD (kernels/simd/pool_simd.ts); every element written.
    const size = planes * oD * oH * oW;
    try {
      return wasmInterpolate(simd, a.mode === 'linear', x, planes, [D, H, W], [td, th, tw],
                             [identity(td, D), identity(th, H), identity(tw, W)],
                             repeatFactor(tw, W) === 2, uninitFloat32(size) ?? new Float32Array(size));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;  // the wasm memory could not grow: the JS passes
    }
  }
  if (a.mode !== 'linear') return nearestForward(x, planes, [D, H, W], [td, th, tw]);
  return linearForward(x, planes, [D, H, W], [td, th, tw]);
}

/**
 * The readable loop (the oracle of interpolateForward in test/interpolate_test.ts): each output
 * element on its own. Nearest reads its source element; linear evaluates PyTorch's nesting, W
 * innermost, rounding to float32 where the fast passes store (after W, after H, at the end);
 * an axis whose size does not change is taken as is.
 */
export function interpolateReference(
    x: Float32Array, xShape: readonly number[], a: InterpolateAttrs): Float32Array {
  const [n, c, D, H, W] = xShape, [oD, oH, oW] = a.outSize;
  const [td, th, tw] = axisTables(xShape, a);
  const idW = identity(tw, W), idH = identity(th, H), idD = identity(td, D);
  const f = Math.fround;
  const y = new Float32Array(n * c * oD * oH * oW);
  for (let pl = 0, o = 0; pl < n * c; pl++) {
    const at = (d: number, h: number, w: number) => x[((pl * D + d) * H + h) * W + w];
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        for (let ow = 0; ow < oW; ow++, o++) {
          if (a.mode !== 'linear') {
            y[o] = at(td.i0[od], th.i0[oh], tw.i0[ow]);
            continue;
          }
          const alongW = (d: number, h: number) => idW ? at(d, h, ow) :
              f(tw.w0[ow] * at(d, h, tw.i0[ow]) + tw.w1[ow] * at(d, h, tw.i1[ow]));
          const alongH = (d: number) => idH ? alongW(d, oh) :
              f(th.w0[oh] * alongW(d, th.i0[oh]) + th.w1[oh] * alongW(d, th.i1[oh]));
          y[o] = idD ? alongH(od) : td.w0[od] * alongH(td.i0[od]) + td.w1[od] * alongH(td.i1[od]);
        }
      }
    }
  }
  return y;
}

/** The repeat factor f when output index o of `t` reads input o / f (integer f > 1), else 0. */
function repeatFactor(t: AxisTable, inLen: number): number {
  const n = t.i0.length, f = n / inLen;
  if (!Number.isInteger(f) || f < 2) return 0;
  for (let o = 0; o < n; o++) if (t.i0[o] !== Math.floor(o / f)) return 0;
  return f;
}

/**
 * Nearest: gather only distinct source rows; a row (or a whole H·W slab) whose source is the
 * previous one's is a copy (`copyWithin`) of what was just written. Along W, an integer
 * up-sampling factor (×2: U-Net's) writes each source element f times with no index table.
 */
function nearestForward(x: Float32Array, planes: number, [D, H, W]: number[],
                        [td, th, tw]: AxisTable[]): Float32Array {
  const oD = td.i0.length, oH = th.i0.length, oW = tw.i0.length, slab = oH * oW;
  const y = new Float32Array(planes * oD * slab);
  const f = repeatFactor(tw, W), iw = tw.i0;
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
        if (f === 2) repeat2(x, src, W, y, row);
        else if (f > 2) repeatN(x, src, W, f, y, row);
        else gatherRow(x, src, iw, y, row);
      }
    }
  }
  return y;
}

function repeat2(x: Float32Array, src: number, n: number, y: Float32Array, to: number): void {
  for (let i = 0, o = to; i < n; i++, o += 2) {
    const v = x[src + i];
    y[o] = v;
    y[o + 1] = v;
  }
}

function repeatN(x: Float32Array, src: number, n: number, f: number, y: Float32Array,
                 to: number): void {
  for (let i = 0, o = to; i < n; i++) {
    const v = x[src + i];
    for (let k = 0; k < f; k++, o++) y[o] = v;
  }
}

function gatherRow(x: Float32Array, src: number, iw: Int32Array, y: Float32Array,
                   to: number): void {
  for (let o = 0, n = iw.length; o < n; o++) y[to + o] = x[src + iw[o]];
}

/** pair[o] = 1: output o + 1 reads the same two inputs as o (up-sampling), so both come from one read. */
function pairs(t: AxisTable): Uint8Array {
  const {i0, i1} = t, n = i0.length, pair = new Uint8Array(n);
  for (let o = 0; o + 1 < n; o++) pair[o] = +(i0[o + 1] === i0[o] && i1[o + 1] === i1[o]);
  return pair;
}

/** rows[h, o] = w0[o]·x[base + h·W + i0[o]] + w1[o]·x[… + i1[o]]: one depth slice along W. */
function passW(x: Float32Array, base: number, H: number, W: number, t: AxisTable,
               pair: Uint8Array, rows: Float32Array): void {
  const {i0, i1, w0, w1} = t, oW = i0.length;
  for (let h = 0, s = base, r = 0; h < H; h++, s += W, r += oW) {
    for (let o = 0; o < oW; o++) {
      const p = x[s + i0[o]], q = x[s + i1[o]];
      rows[r + o] = w0[o] * p + w1[o] * q;
      if (pair[o] === 1) {
        o++;
        rows[r + o] = w0[o] * p + w1[o] * q;
      }
    }
  }
}

/** dst[o, ·] = w0[o]·src[from + i0[o]·n, ·] + w1[o]·src[from + i1[o]·n, ·] (rows of n). */
function passRows(src: Float32Array, from: number, n: number, t: AxisTable, dst: Float32Array,
                  to: number): void {
  const {i0, i1, w0, w1} = t, m = i0.length;
  for (let o = 0, r = to; o < m; o++, r += n) {
    const r0 = from + i0[o] * n, r1 = from + i1[o] * n, u = w0[o], v = w1[o];
    if (o + 1 < m && i0[o + 1] === i0[o] && i1[o + 1] === i1[o]) {
      // Up-sampling: the next output row reads the same two rows; read them once for both.
      const u2 = w0[o + 1], v2 = w1[o + 1], r2 = r + n;
      for (let b = 0; b < n; b++) {
        const p = src[r0 + b], q = src[r1 + b];
        dst[r + b] = u * p + v * q;
        dst[r2 + b] = u2 * p + v2 * q;
      }
      o++;
      r += n;
      continue;
    }
    for (let b = 0; b < n; b++) dst[r + b] = u * src[r0 + b] + v * src[r1 + b];
  }
}

/**
 * The linear modes in one pass over the output: per plane, each input depth slice is
 * interpolated along W (2 taps) then H (2 taps) into an oH×oW slab, at most two of which are
 * kept (the source depths only grow with od); each output slab is then w0·slab(d0) +
 * w1·slab(d1). This is PyTorch's nesting (W innermost), without full-size intermediates. An
 * axis whose size does not change is a copy, as in PyTorch (no 0·x term, so an ∞ stays ∞).
 * The speed-up over one loop per output is the pairing in blend2 / passRows / passW: when
 * up-sampling, two consecutive outputs read the same two inputs, so each is read once for both.
 */
function linearForward(x: Float32Array, planes: number, [D, H, W]: number[],
                       [td, th, tw]: AxisTable[]): Float32Array {
  const oD = td.i0.length, oH = th.i0.length, oW = tw.i0.length, slab = oH * oW;
  const idW = identity(tw, W), idH = identity(th, H), idD = identity(td, D);
  const y = new Float32Array(planes * oD * slab);
  const rows = new Float32Array(idW ? 0 : H * oW);  // one depth slice interpolated along W
  const c0 = new Float32Array(slab), c1 = new Float32Array(slab);
  const g = {x, D, H, W, tw, th, idW, idH, rows, slab, pairW: pairs(tw)};
  for (let pl = 0; pl < planes; pl++) {
    if (idD) {
      for (let d = 0; d < D; d++) {
        slice(g, pl, d, c0);
        y.set(c0, (pl * D + d) * slab);
      }
      continue;
    }
    // c0 and c1 hold the slabs of input depths h0 and h1; the depths read only grow with od,
    // so a depth not held replaces the one not needed by this output (the older one).
    let h0 = -1, h1 = -1;
    for (let od = 0; od < oD; od++) {
      const d0 = td.i0[od], d1 = td.i1[od];
      if (d0 !== h0 && d0 !== h1) {
        // Replace the slot not holding d1, else the older depth.
        if (h1 === d1 || (h0 !== d1 && h0 < h1)) {
          h0 = d0;
          slice(g, pl, d0, c0);
        } else {
          h1 = d0;
          slice(g, pl, d0, c1);
        }
      }
      if (d1 !== h0 && d1 !== h1) {
        if (h0 === d0) {
          h1 = d1;
          slice(g, pl, d1, c1);
        } else {
          h0 = d1;
          slice(g, pl, d1, c0);
        }
      }
      const a = d0 === h0 ? c0 : c1, b = d1 === h0 ? c0 : c1;
      const r = (pl * oD + od) * slab;
      if (od + 1 < oD && td.i0[od + 1] === d0 && td.i1[od + 1] === d1) {
        // Up-sampling: the next output depth reads the same two slabs (×2: all but the ends).
        blend2(y, r, a, b, td.w0[od], td.w1[od], td.w0[od + 1], td.w1[od + 1]);
        od++;
      } else {
        blend(y, r, a, b, td.w0[od], td.w1[od]);
      }
    }
  }
  return y;
}

/** Two consecutive output slabs from the same a, b: each input element read once for both. */
function blend2(y: Float32Array, r: number, a: Float32Array, b: Float32Array, u: number,
                       v: number, u2: number, v2: number): void {
  for (let i = 0, n = a.length, r2 = r + n; i < n; i++) {
    const p = a[i], q = b[i];
    y[r + i] = u * p + v * q;
    y[r2 + i] = u2 * p + v2 * q;
  }
}

interface SliceGeometry {
  x: Float32Array; D: number; H: number; W: number; tw: AxisTable; th: AxisTable; idW: boolean;
  idH: boolean; rows: Float32Array; slab: number; pairW: Uint8Array;
}

/** Input depth d of plane pl interpolated along W (into g.rows) and then H, into `t`. */
function slice(g: SliceGeometry, pl: number, d: number, t: Float32Array): void {
  const base = (pl * g.D + d) * g.H * g.W;
  if (g.idW) {
    if (g.idH) t.set(g.x.subarray(base, base + g.slab));
    else passRows(g.x, base, g.W, g.th, t, 0);
    return;
  }
  passW(g.x, base, g.H, g.W, g.tw, g.pairW, g.rows);
  if (g.idH) t.set(g.rows);
  else passRows(g.rows, 0, g.tw.i0.length, g.th, t, 0);
}

/** y[r + i] = u·a[i] + v·b[i] over a slab. */
function blend(y: Float32Array, r: number, a: Float32Array, b: Float32Array, u: number,
               v: number): void {
  for (let i = 0, n = a.length; i < n; i++) y[r + i] = u * a[i] + v * b[i];
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
