/**
 * Pooling kernels on typed arrays (cpu; wasm and tensorflow through adapters): JS loops over a
 * [planes = N·C, D, H, W] view. The forward is in gather form: per axis, a table gives each
 * output index its window start and the range of taps that land inside the input, so invalid
 * (padding) taps are never visited and the loops need no bounds tests. The gradients scatter
 * each window's upstream value to its argmax (max) or its taps (average): the adjoint of the
 * same loops, over the same tables.
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {PoolAttrs, PoolInfo, poolInfoFromAttrs} from '../../src/pooling.js';
import {AvgPool, AvgPoolGrad, MaxPool, MaxPoolGrad, MaxPoolIndices, PoolGradKernelAttrs} from '../../src/kernel_names.js';
import {fmtShape} from '../../src/geometry.js';
import {BackendAdapter, readF32} from './kernels.js';
import {getCpuImplementation} from './dispatch.js';
import {poolWasm, wasmPool2, wasmSeparableMax} from '../simd/pool_simd.js';
import {uninitFloat32} from '../simd/simd_core.js';

/** Per output index of one axis: first input index of the window, valid tap range [lo, hi). */
export interface PoolAxis {start: Int32Array; lo: Int32Array; hi: Int32Array; size: Int32Array}

/**
 * Taps k of output o read i = start + k·d with start = o·s − p; the valid ones, 0 ≤ i < in, are
 * k ∈ [⌈−start / d⌉, ⌊(in − 1 − start) / d⌋ + 1) ∩ [0, K). `size`: average pooling's window
 * extent with padding counted, min(start + K, in + p) − start (PyTorch clips ceil-mode windows
 * that run past the padded input).
 */
export function poolAxis(inSize: number, outSize: number, k: number, s: number, p: number,
                         d: number): PoolAxis {
  const a: PoolAxis = {start: new Int32Array(outSize), lo: new Int32Array(outSize),
                       hi: new Int32Array(outSize), size: new Int32Array(outSize)};
  for (let o = 0; o < outSize; o++) {
    const start = o * s - p;
    a.start[o] = start;
    a.lo[o] = start >= 0 ? 0 : Math.ceil(-start / d);
    a.hi[o] = Math.max(0, Math.min(k, Math.floor((inSize - 1 - start) / d) + 1));
    a.size[o] = Math.min(start + k, inSize + p) - start;
  }
  return a;
}

function axes(info: PoolInfo): PoolAxis[] {
  return [0, 1, 2].map(i => poolAxis(info.inSize[i], info.outSize[i], info.kernelSize[i],
                                     info.stride[i], info.padding[i], info.dilation[i]));
}

/**
 * The readable gather loops below (…Reference) are the oracle of the fast row-sweep versions
 * (maxPoolForward, avgPoolForward), which test/pooling_test.ts compares on random geometries.
 *
 * y = max over each window (−∞ padding; NaN wins, as PyTorch's `val > max || isnan(val)`);
 * `argmax` (optional) gets the in-plane index of each window's first maximum, −1 for a window
 * with no tap inside the input.
 */
export function maxPoolReference(x: Float32Array, info: PoolInfo, argmax?: Int32Array):
    Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const [ad, ah, aw] = axes(info);
  const [, dh, dw] = info.dilation, dd = info.dilation[0];
  const planes = info.batchSize * info.channels, inVol = D * H * W, outVol = oD * oH * oW;
  const y = new Float32Array(planes * outVol);
  let o = 0;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * inVol;
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        for (let ow = 0; ow < oW; ow++, o++) {
          let m = -Infinity, at = -1;
          for (let kd = ad.lo[od]; kd < ad.hi[od]; kd++) {
            const rowD = (ad.start[od] + kd * dd) * H;
            for (let kh = ah.lo[oh]; kh < ah.hi[oh]; kh++) {
              const row = (rowD + ah.start[oh] + kh * dh) * W + aw.start[ow];
              for (let kw = aw.lo[ow]; kw < aw.hi[ow]; kw++) {
                const i = row + kw * dw, v = x[base + i];
                if (v > m || v !== v) {
                  m = v;
                  at = i;
                }
              }
            }
          }
          y[o] = m;
          if (argmax) argmax[o] = at;
        }
      }
    }
  }
  return y;
}


/**
 * Per kernel tap kw along W: the outputs ow whose tap kw lands inside the row, a contiguous
 * range [owLo[kw], owHi[kw]), and the input offset of ow = 0 (start + kw·d, may be negative).
 */
function rowTaps(info: PoolInfo) {
  const W = info.inSize[2], oW = info.outSize[2], K = info.kernelSize[2];
  const s = info.stride[2], p = info.padding[2], d = info.dilation[2];
  const owLo = new Int32Array(K), owHi = new Int32Array(K), off = new Int32Array(K);
  for (let kw = 0; kw < K; kw++) {
    off[kw] = kw * d - p;  // input index of tap kw of output ow: ow·s + off
    // 0 ≤ ow·s + off < W  ⇔  ⌈−off / s⌉ ≤ ow ≤ ⌊(W − 1 − off) / s⌋
    owLo[kw] = Math.min(oW, Math.max(0, Math.ceil(-off[kw] / s)));
    owHi[kw] = Math.max(owLo[kw], Math.min(oW, Math.floor((W - 1 - off[kw]) / s) + 1));
  }
  return {owLo, owHi, off, s};
}


/**
 * Windows that tile the input (kernel = stride, no padding, no dilation, no partial window):
 * the common down-sampling layer. Every tap is inside, so each output is a plain loop over its
 * window's rows, W taps innermost and contiguous. Null when the geometry is not tiled.
 */
function tiledTaps(info: PoolInfo): Int32Array|null {
  for (let a = 0; a < 3; a++) {
    const k = info.kernelSize[a];
    if (info.stride[a] !== k || info.padding[a] !== 0 || info.dilation[a] !== 1 ||
        info.outSize[a] * k > info.inSize[a]) {
      return null;
    }
  }
  // Offsets of a window's taps from its first one, in window order (kd, kh, kw).
  const [, H, W] = info.inSize, [kd, kh, kw] = info.kernelSize;
  const taps = new Int32Array(kd * kh * kw);
  for (let i = 0, t = 0; i < kd; i++) {
    for (let j = 0; j < kh; j++) for (let k = 0; k < kw; k++) taps[t++] = (i * H + j) * W + k;
  }
  return taps;
}

// Two copies rather than one with a flag: V8 keeps each accumulator loop monomorphic.
function tiledMax(x: Float32Array, info: PoolInfo, taps: Int32Array): Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize, [kd, kh, kw] = info.kernelSize;
  const planes = info.batchSize * info.channels, inVol = D * H * W, nt = taps.length;
  // Even-width windows take their W taps two at a time (fewer loop trips, same order).
  const pair = kw % 2 === 0 ? 2 : 1;
  const y = new Float32Array(planes * oD * oH * oW);
  for (let pl = 0, o = 0; pl < planes; pl++) {
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        const origin = pl * inVol + (od * kd * H + oh * kh) * W;
        for (let ow = 0, b = origin; ow < oW; ow++, o++, b += kw) {
          let m = -Infinity;
          for (let t = 0; t < nt; t += pair) {
            const v = x[b + taps[t]];
            if (v > m || v !== v) m = v;  // NaN wins, as in PyTorch
            if (pair === 2) {
              const u = x[b + taps[t] + 1];
              if (u > m || u !== u) m = u;
            }
          }
          y[o] = m;
        }
      }
    }
  }
  return y;
}

function tiledAvg(x: Float32Array, info: PoolInfo, taps: Int32Array, divisor: number):
    Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize, [kd, kh, kw] = info.kernelSize;
  const planes = info.batchSize * info.channels, inVol = D * H * W, nt = taps.length;
  const y = new Float32Array(planes * oD * oH * oW);
  for (let pl = 0, o = 0; pl < planes; pl++) {
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        const origin = pl * inVol + (od * kd * H + oh * kh) * W;
        for (let ow = 0, b = origin; ow < oW; ow++, o++, b += kw) {
          let sum = 0.5 - 0.5;  // a double from the start
          for (let t = 0; t < nt; t++) sum += x[b + taps[t]];
          y[o] = sum / divisor;
        }
      }
    }
  }
  return y;
}

/**
 * The tiled windows of width 2 and at most 2 × 2 rows (k2 s2 in 3-D, 2-D and 1-D: U-Net's
 * down-sampling): each output row reads its window's 1, 2 or 4 input rows once, two taps a
 * row, unrolled with the running value in a local. Null when the geometry is not that case.
 */
function pairRows(info: PoolInfo): {n: number, offsets: number[]}|null {
  const [kd, kh, kw] = info.kernelSize, [, H, W] = info.inSize;
  if (kw !== 2 || kh > 2 || kd > 2 || !tiledTaps(info)) return null;
  const offsets: number[] = [];
  for (let i = 0; i < kd; i++) for (let j = 0; j < kh; j++) offsets.push((i * H + j) * W);
  return {n: offsets.length, offsets};
}

/** The start of the window rows of output row (pl, od, oh) in a tiled geometry. */
function windowOrigin(info: PoolInfo, pl: number, od: number, oh: number): number {
  const [D, H, W] = info.inSize, [kd, kh] = info.kernelSize;
  return pl * D * H * W + (od * kd * H + oh * kh) * W;
}

/**
 * pairMax / pairAvg on the WebAssembly SIMD loops (kernels/simd/pool_simd.ts: the same taps in
 * the same order, the same arithmetic), when the cpu implementation is not forced to JS; null
 * where they are unavailable (the JS loops run).
 */
function simdPair(x: Float32Array, info: PoolInfo, rows: {n: number, offsets: number[]},
                  kind: 'max'|'avg', divisor: number): Float32Array|null {
  const m = getCpuImplementation() === 'wasm' ? poolWasm() : null;
  if (m == null) return null;
  const [oD, oH, oW] = info.outSize, planes = info.batchSize * info.channels;
  const n = planes * oD * oH * oW;
  try {
    // Every element is written: no zero-filling (in Node).
    return wasmPool2(m, kind, x, {planes, inSize: info.inSize, outSize: info.outSize,
                                  kd: info.kernelSize[0], kh: info.kernelSize[1],
                                  offsets: rows.offsets},
                     divisor, uninitFloat32(n) ?? new Float32Array(n));
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;  // the wasm memory could not grow: the JS loops
    return null;
  }
}

function pairMax(x: Float32Array, info: PoolInfo, rows: {n: number, offsets: number[]}):
    Float32Array {
  const [oD, oH, oW] = info.outSize, planes = info.batchSize * info.channels;
  const y = new Float32Array(planes * oD * oH * oW);
  const [q1, q2, q3] = [rows.offsets[1] ?? 0, rows.offsets[2] ?? 0, rows.offsets[3] ?? 0];
  const n = rows.n;
  for (let pl = 0, o = 0; pl < planes; pl++) {
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++, o += oW) {
        const b0 = windowOrigin(info, pl, od, oh), b1 = b0 + q1, b2 = b0 + q2, b3 = b0 + q3;
        // Taps in window order; `v > m || v !== v` is the reference's rule (NaN wins; of
        // equal values the first stays, so −0 before +0 stays −0).
        if (n === 4) {
          for (let ow = 0, i = 0; ow < oW; ow++, i += 2) {
            let m = x[b0 + i], v = x[b0 + i + 1];
            if (v > m || v !== v) m = v;
            v = x[b1 + i];
            if (v > m || v !== v) m = v;
            v = x[b1 + i + 1];
            if (v > m || v !== v) m = v;
            v = x[b2 + i];
            if (v > m || v !== v) m = v;
            v = x[b2 + i + 1];
            if (v > m || v !== v) m = v;
            v = x[b3 + i];
            if (v > m || v !== v) m = v;
            v = x[b3 + i + 1];
            if (v > m || v !== v) m = v;
            y[o + ow] = m;
          }
        } else if (n === 2) {
          for (let ow = 0, i = 0; ow < oW; ow++, i += 2) {
            let m = x[b0 + i], v = x[b0 + i + 1];
            if (v > m || v !== v) m = v;
            v = x[b1 + i];
            if (v > m || v !== v) m = v;
            v = x[b1 + i + 1];
            if (v > m || v !== v) m = v;
            y[o + ow] = m;
          }
        } else {
          for (let ow = 0, i = 0; ow < oW; ow++, i += 2) {
            const m = x[b0 + i], v = x[b0 + i + 1];
            y[o + ow] = v > m || v !== v ? v : m;
          }
        }
      }
    }
  }
  return y;
}

/**
 * pairMax with each window's argmax (the in-plane index of its first maximum, −1 when no tap
 * beats −∞), for the gradient and maxPool's indices: the reference's loop over the window's
 * rows, two taps a row, with no tap table or bounds work.
 */
function pairArgmax(x: Float32Array, info: PoolInfo, rows: {n: number, offsets: number[]},
                    at: Int32Array): Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const planes = info.batchSize * info.channels, inVol = D * H * W;
  const y = new Float32Array(planes * oD * oH * oW);
  const offs = Int32Array.from(rows.offsets), n = rows.n;
  for (let pl = 0, o = 0; pl < planes; pl++) {
    const base = pl * inVol;
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++, o += oW) {
        const b0 = windowOrigin(info, pl, od, oh) - base;  // in-plane
        for (let ow = 0, i = b0; ow < oW; ow++, i += 2) {
          let m = -Infinity, a = -1;
          for (let k = 0; k < n; k++) {
            const j = i + offs[k];
            let v = x[base + j];
            if (v > m || v !== v) {
              m = v;
              a = j;
            }
            v = x[base + j + 1];
            if (v > m || v !== v) {
              m = v;
              a = j + 1;
            }
          }
          y[o + ow] = m;
          at[o + ow] = a;
        }
      }
    }
  }
  return y;
}

function pairAvg(x: Float32Array, info: PoolInfo, rows: {n: number, offsets: number[]},
                 divisor: number): Float32Array {
  const [oD, oH, oW] = info.outSize, planes = info.batchSize * info.channels;
  const y = new Float32Array(planes * oD * oH * oW);
  const [q1, q2, q3] = [rows.offsets[1] ?? 0, rows.offsets[2] ?? 0, rows.offsets[3] ?? 0];
  const n = rows.n;
  for (let pl = 0, o = 0; pl < planes; pl++) {
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++, o += oW) {
        const b0 = windowOrigin(info, pl, od, oh), b1 = b0 + q1, b2 = b0 + q2, b3 = b0 + q3;
        // Summed in float64 in window order, as the reference.
        if (n === 4) {
          for (let ow = 0, i = 0; ow < oW; ow++, i += 2) {
            y[o + ow] = (x[b0 + i] + x[b0 + i + 1] + x[b1 + i] + x[b1 + i + 1] + x[b2 + i] +
                         x[b2 + i + 1] + x[b3 + i] + x[b3 + i + 1]) / divisor;
          }
        } else if (n === 2) {
          for (let ow = 0, i = 0; ow < oW; ow++, i += 2) {
            y[o + ow] = (x[b0 + i] + x[b0 + i + 1] + x[b1 + i] + x[b1 + i + 1]) / divisor;
          }
        } else {
          for (let ow = 0, i = 0; ow < oW; ow++, i += 2) {
            y[o + ow] = (x[b0 + i] + x[b0 + i + 1]) / divisor;
          }
        }
      }
    }
  }
  return y;
}

/**
 * Overlapping windows (stride below the window, as k3 s1 p1): both poolings are separable, so
 * one pass per axis (W, then H, then D) over the axis tables costs K taps per output of that
 * pass instead of K³ in all. Max: each pass keeps, per output, the first of its taps in order
 * that is greater or NaN, so the whole is the reference's first maximum in (kd, kh, kw) order
 * (the ±0 ties included) and NaN wins. Average: float64 partial sums, the reference's divisors,
 * 0 for a window with no tap inside. Passes run over [outer, len, inner] views.
 */
function separable(info: PoolInfo): boolean {
  return [0, 1, 2].some(a => info.stride[a] < info.kernelSize[a] * info.dilation[a]);
}

function maxPass(src: Float32Array|Float64Array, outer: number, inLen: number, inner: number,
                 ax: PoolAxis, d: number, dst: Float32Array|Float64Array): void {
  const outLen = ax.start.length;
  for (let a = 0; a < outer; a++) {
    const s = a * inLen, t = a * outLen;
    for (let o = 0; o < outLen; o++) {
      const r = (t + o) * inner, lo = ax.lo[o], hi = ax.hi[o], st = ax.start[o];
      if (inner === 1) {
        let m = -Infinity;
        for (let k = lo; k < hi; k++) {
          const v = src[s + st + k * d];
          if (v > m || v !== v) m = v;
        }
        dst[r] = m;
        continue;
      }
      dst.fill(-Infinity, r, r + inner);
      for (let k = lo; k < hi; k++) {
        const q = (s + st + k * d) * inner;
        for (let b = 0; b < inner; b++) {
          const v = src[q + b];
          if (v > dst[r + b] || v !== v) dst[r + b] = v;
        }
      }
    }
  }
}

function sumPass(src: Float32Array|Float64Array, outer: number, inLen: number, inner: number,
                 ax: PoolAxis, dst: Float64Array): void {
  const outLen = ax.start.length;
  for (let a = 0; a < outer; a++) {
    const s = a * inLen, t = a * outLen;
    for (let o = 0; o < outLen; o++) {
      const r = (t + o) * inner, lo = ax.lo[o], hi = ax.hi[o], st = ax.start[o];
      if (inner === 1) {
        let m = 0.5 - 0.5;  // a double from the start
        for (let k = lo; k < hi; k++) m += src[s + st + k];
        dst[r] = m;
        continue;
      }
      dst.fill(0, r, r + inner);
      for (let k = lo; k < hi; k++) {
        const q = (s + st + k) * inner;
        for (let b = 0; b < inner; b++) dst[r + b] += src[q + b];
      }
    }
  }
}

function separableMax(x: Float32Array, info: PoolInfo): Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize, [ad, ah, aw] = axes(info);
  const [dd, dh, dw] = info.dilation, planes = info.batchSize * info.channels;
  const simd = getCpuImplementation() === 'wasm' ? poolWasm() : null;
  if (simd != null) {
    // The same three passes on WebAssembly SIMD (kernels/simd/pool_simd.ts).
    const n = planes * oD * oH * oW;
    try {
      return wasmSeparableMax(simd, x, planes, info.inSize, info.outSize, info.kernelSize,
                              info.stride, info.dilation, [ad, ah, aw],
                              uninitFloat32(n) ?? new Float32Array(n));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;  // the wasm memory could not grow: the JS passes
    }
  }
  const t1 = new Float32Array(planes * D * H * oW), t2 = new Float32Array(planes * D * oH * oW);
  const y = new Float32Array(planes * oD * oH * oW);
  maxPass(x, planes * D * H, W, 1, aw, dw, t1);
  maxPass(t1, planes * D, H, oW, ah, dh, t2);
  maxPass(t2, planes, D, oH * oW, ad, dd, y);
  return y;
}

function separableAvg(x: Float32Array, info: PoolInfo): Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const ax = axes(info), [ad, ah, aw] = ax, planes = info.batchSize * info.channels;
  const t1 = new Float64Array(planes * D * H * oW), t2 = new Float64Array(planes * D * oH * oW);
  const sum = new Float64Array(planes * oD * oH * oW);
  sumPass(x, planes * D * H, W, 1, aw, t1);
  sumPass(t1, planes * D, H, oW, ah, t2);
  sumPass(t2, planes, D, oH * oW, ad, sum);
  const div = avgDivisors(info, ax), outVol = oD * oH * oW;
  const y = new Float32Array(planes * outVol);
  for (let od = 0, j = 0; od < oD; od++) {
    for (let oh = 0; oh < oH; oh++) {
      const rowsOk = ad.lo[od] < ad.hi[od] && ah.lo[oh] < ah.hi[oh];
      for (let ow = 0; ow < oW; ow++, j++) {
        // An empty window (all padding) is 0, as in PyTorch.
        const ok = rowsOk && aw.lo[ow] < aw.hi[ow];
        for (let pl = 0, o = j; pl < planes; pl++, o += outVol) y[o] = ok ? sum[o] / div[j] : 0;
      }
    }
  }
  return y;
}

/**
 * maxPoolReference, fast: for each output row (plane, od, oh), sweep the valid input rows
 * (kd, kh) and taps kw in window order, each over the outputs ow it reaches, keeping the
 * running maximum per ow. Every ow still sees its taps in (kd, kh, kw) order, so the first
 * maximum (and NaN's rule) is the reference's; the inner loop runs over ow with no tests.
 */
export function maxPoolForward(x: Float32Array, info: PoolInfo, argmax?: Int32Array):
    Float32Array {
  const pairs = pairRows(info);
  if (pairs && !argmax) {
    const y = simdPair(x, info, pairs, 'max', 0);
    if (y) return y;
  }
  if (pairs) return argmax ? pairArgmax(x, info, pairs, argmax) : pairMax(x, info, pairs);
  const taps = argmax ? null : tiledTaps(info);
  if (taps) return tiledMax(x, info, taps);
  if (!argmax && separable(info)) return separableMax(x, info);
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const [ad, ah] = axes(info);
  const dd = info.dilation[0], dh = info.dilation[1];
  const {owLo, owHi, off, s} = rowTaps(info);
  const K = info.kernelSize[2];
  const planes = info.batchSize * info.channels, inVol = D * H * W, outVol = oD * oH * oW;
  const y = new Float32Array(planes * outVol);
  const at = argmax ?? new Int32Array(0);
  const track = argmax != null;
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * inVol;
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        const r = (pl * oD + od) * oH * oW + oh * oW;
        y.fill(-Infinity, r, r + oW);
        if (track) at.fill(-1, r, r + oW);
        for (let kd = ad.lo[od]; kd < ad.hi[od]; kd++) {
          const rowD = (ad.start[od] + kd * dd) * H;
          for (let kh = ah.lo[oh]; kh < ah.hi[oh]; kh++) {
            const row = (rowD + ah.start[oh] + kh * dh) * W;
            for (let kw = 0; kw < K; kw++) {
              const i0 = row + off[kw], b = base + i0;
              for (let ow = owLo[kw]; ow < owHi[kw]; ow++) {
                const v = x[b + ow * s];
                if (v > y[r + ow] || v !== v) {
                  y[r + ow] = v;
                  if (track) at[r + ow] = i0 + ow * s;
                }
              }
            }
          }
        }
      }
    }
  }
  return y;
}

/** avgPoolReference, fast: the same row sweep, summing (in float64) per output row. */
export function avgPoolForward(x: Float32Array, info: PoolInfo): Float32Array {
  const pairs = pairRows(info);
  if (pairs) {
    const [kd, kh] = info.kernelSize, divisor = info.divisorOverride || kd * kh * 2;
    return simdPair(x, info, pairs, 'avg', divisor) ?? pairAvg(x, info, pairs, divisor);
  }
  const taps = tiledTaps(info);
  if (taps) {
    const [kd, kh, kw] = info.kernelSize;
    return tiledAvg(x, info, taps, info.divisorOverride || kd * kh * kw);
  }
  if (separable(info)) return separableAvg(x, info);
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const ax = axes(info), [ad, ah, aw] = ax;
  const div = avgDivisors(info, ax);
  const {owLo, owHi, off, s} = rowTaps(info);
  const K = info.kernelSize[2];
  const planes = info.batchSize * info.channels, inVol = D * H * W, outVol = oD * oH * oW;
  const y = new Float32Array(planes * outVol);
  const acc = new Float64Array(oW);
  for (let pl = 0; pl < planes; pl++) {
    const base = pl * inVol;
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++) {
        acc.fill(0);
        for (let kd = ad.lo[od]; kd < ad.hi[od]; kd++) {
          const rowD = (ad.start[od] + kd) * H;
          for (let kh = ah.lo[oh]; kh < ah.hi[oh]; kh++) {
            const row = base + (rowD + ah.start[oh] + kh) * W;
            for (let kw = 0; kw < K; kw++) {
              const b = row + off[kw];
              for (let ow = owLo[kw]; ow < owHi[kw]; ow++) acc[ow] += x[b + ow * s];
            }
          }
        }
        const r = (pl * oD + od) * oH * oW + oh * oW, j = (od * oH + oh) * oW;
        const rowsOk = ad.lo[od] < ad.hi[od] && ah.lo[oh] < ah.hi[oh];
        for (let ow = 0; ow < oW; ow++) {
          // An empty window (all padding) is 0, as in PyTorch.
          y[r + ow] = rowsOk && aw.lo[ow] < aw.hi[ow] ? acc[ow] / div[j + ow] : 0;
        }
      }
    }
  }
  return y;
}

/** dx: each window's dy added at its first maximum (PyTorch's max_pool gradient). */
export function maxPoolBackward(x: Float32Array, dy: Float32Array, info: PoolInfo): Float32Array {
  const planes = info.batchSize * info.channels;
  const inVol = info.inSize[0] * info.inSize[1] * info.inSize[2];
  const outVol = info.outSize[0] * info.outSize[1] * info.outSize[2];
  const argmax = new Int32Array(planes * outVol);
  maxPoolForward(x, info, argmax);
  const dx = new Float32Array(planes * inVol);
  for (let pl = 0, o = 0; pl < planes; pl++) {
    for (let j = 0; j < outVol; j++, o++) {
      if (argmax[o] >= 0) dx[pl * inVol + argmax[o]] += dy[o];
    }
  }
  return dx;
}

/** The divisor of each output position of a plane (PyTorch's avg_pool divide_factor). */
function avgDivisors(info: PoolInfo, [ad, ah, aw]: PoolAxis[]): Float64Array {
  const [oD, oH, oW] = info.outSize;
  const div = new Float64Array(oD * oH * oW);
  for (let od = 0, o = 0; od < oD; od++) {
    for (let oh = 0; oh < oH; oh++) {
      for (let ow = 0; ow < oW; ow++, o++) {
        div[o] = info.divisorOverride !== 0 ? info.divisorOverride : info.countIncludePad ?
            ad.size[od] * ah.size[oh] * aw.size[ow] :
            (ad.hi[od] - ad.lo[od]) * (ah.hi[oh] - ah.lo[oh]) * (aw.hi[ow] - aw.lo[ow]);
      }
    }
  }
  return div;
}

/** y = Σ window / divisor (zero padding; avg_pool has no dilation, so the taps are a box). */
export function avgPoolReference(x: Float32Array, info: PoolInfo): Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const ax = axes(info), [ad, ah, aw] = ax;
  const div = avgDivisors(info, ax);
  const planes = info.batchSize * info.channels, inVol = D * H * W, outVol = oD * oH * oW;
  const y = new Float32Array(planes * outVol);
  for (let pl = 0, o = 0; pl < planes; pl++) {
    const base = pl * inVol;
    for (let od = 0, j = 0; od < oD; od++) {
      const d0 = ad.start[od] + ad.lo[od], d1 = ad.start[od] + ad.hi[od];
      for (let oh = 0; oh < oH; oh++) {
        const h0 = ah.start[oh] + ah.lo[oh], h1 = ah.start[oh] + ah.hi[oh];
        for (let ow = 0; ow < oW; ow++, o++, j++) {
          const w0 = aw.start[ow] + aw.lo[ow], w1 = aw.start[ow] + aw.hi[ow];
          let sum = 0;
          for (let id = d0; id < d1; id++) {
            for (let ih = h0; ih < h1; ih++) {
              const row = base + (id * H + ih) * W;
              for (let iw = w0; iw < w1; iw++) sum += x[row + iw];
            }
          }
          // An empty window (all padding) is 0, as in PyTorch.
          y[o] = d0 < d1 && h0 < h1 && w0 < w1 ? sum / div[j] : 0;
        }
      }
    }
  }
  return y;
}

/**
 * dx for tiled width-2 windows (pairRows): the windows do not overlap, so each input element
 * gets one window's dy / divisor (0 + g, as the reference's sum into zeros, so −0 becomes +0);
 * inputs past the last whole window keep 0.
 */
function pairAvgBackward(dy: Float32Array, info: PoolInfo, rows: {n: number, offsets: number[]},
                         divisor: number): Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const planes = info.batchSize * info.channels;
  const dx = new Float32Array(planes * D * H * W);
  const offs = rows.offsets, n = rows.n;
  for (let pl = 0, o = 0; pl < planes; pl++) {
    for (let od = 0; od < oD; od++) {
      for (let oh = 0; oh < oH; oh++, o += oW) {
        const b0 = windowOrigin(info, pl, od, oh);
        for (let k = 0; k < n; k++) {
          const b = b0 + offs[k];
          for (let ow = 0, i = b; ow < oW; ow++, i += 2) {
            const g = 0 + dy[o + ow] / divisor;
            dx[i] = g;
            dx[i + 1] = g;
          }
        }
      }
    }
  }
  return dx;
}

/** dx = avgPoolBackwardReference(dy), through pairAvgBackward where it applies. */
export function avgPoolBackward(dy: Float32Array, info: PoolInfo): Float32Array {
  const pairs = pairRows(info);
  if (pairs) {
    const [kd, kh] = info.kernelSize;
    return pairAvgBackward(dy, info, pairs, info.divisorOverride || kd * kh * 2);
  }
  return avgPoolBackwardReference(dy, info);
}

/** dx: the adjoint of avgPoolForward, each window's dy / divisor added to its taps. */
export function avgPoolBackwardReference(dy: Float32Array, info: PoolInfo): Float32Array {
  const [D, H, W] = info.inSize, [oD, oH, oW] = info.outSize;
  const ax = axes(info), [ad, ah, aw] = ax;
  const div = avgDivisors(info, ax);
  const planes = info.batchSize * info.channels, inVol = D * H * W;
  const dx = new Float32Array(planes * inVol);
  for (let pl = 0, o = 0; pl < planes; pl++) {
    const base = pl * inVol;
    for (let od = 0, j = 0; od < oD; od++) {
      const d0 = ad.start[od] + ad.lo[od], d1 = ad.start[od] + ad.hi[od];
      for (let oh = 0; oh < oH; oh++) {
        const h0 = ah.start[oh] + ah.lo[oh], h1 = ah.start[oh] + ah.hi[oh];
        for (let ow = 0; ow < oW; ow++, o++, j++) {
          const w0 = aw.start[ow] + aw.lo[ow], w1 = aw.start[ow] + aw.hi[ow];
          const g = dy[o] / div[j];
          for (let id = d0; id < d1; id++) {
            for (let ih = h0; ih < h1; ih++) {
              const row = base + (id * H + ih) * W;
              for (let iw = w0; iw < w1; iw++) dx[row + iw] += g;
            }
          }
        }
      }
    }
  }
  return dx;
}

/** Geometry of a gradient kernel, checked against dy's shape. */
export function poolGradInfo(opName: string, dyShape: number[], attrs: PoolGradKernelAttrs):
    PoolInfo {
  const info = poolInfoFromAttrs(attrs.inputShape, attrs as PoolAttrs);
  if (info.outShape.some((s, i) => s !== dyShape[i]) || dyShape.length !== 5) {
    throw new Error(`${opName} (gradient): expected dy of size ${fmtShape(info.outShape)}, but ` +
        `got ${fmtShape(dyShape)}`);
  }
  return info;
}

const maxPoolKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const b = adapt(backend);
  const info = poolInfoFromAttrs(x.shape, attrs as unknown as PoolAttrs);
  return b.makeTensorInfo(info.outShape, 'float32', maxPoolForward(readF32(b, x), info));
};

const maxPoolIndicesKernel = (adapt: BackendAdapter): KernelFunc =>
    ({inputs, backend, attrs}) => {
      const {x} = inputs as {x: TensorInfo};
      const b = adapt(backend);
      const info = poolInfoFromAttrs(x.shape, attrs as unknown as PoolAttrs);
      const at = new Int32Array(info.outShape.reduce((p, q) => p * q, 1));
      maxPoolForward(readF32(b, x), info, at);
      // An int32 tensor: the adapters pass dtype and values through to the backend.
      return (b.makeTensorInfo as unknown as
              (s: number[], d: 'int32', v: Int32Array) => TensorInfo)(info.outShape, 'int32', at);
    };

const avgPoolKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const b = adapt(backend);
  const info = poolInfoFromAttrs(x.shape, attrs as unknown as PoolAttrs);
  return b.makeTensorInfo(info.outShape, 'float32', avgPoolForward(readF32(b, x), info));
};

const maxPoolGradKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
  const b = adapt(backend);
  const info = poolGradInfo('maxPool', dy.shape,
                            {...attrs, inputShape: x.shape} as unknown as PoolGradKernelAttrs);
  return b.makeTensorInfo(x.shape, 'float32',
                          maxPoolBackward(readF32(b, x), readF32(b, dy), info));
};

const avgPoolGradKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const b = adapt(backend);
  const info = poolGradInfo('avgPool', dy.shape, attrs as unknown as PoolGradKernelAttrs);
  return b.makeTensorInfo(info.inShape, 'float32', avgPoolBackward(readF32(b, dy), info));
};

/** Pooling kernel configs for a backend that stores typed arrays (or an adapter to one). */
export function poolingKernelConfigs(
    backendName: string, adapt: BackendAdapter = b => b as ReturnType<BackendAdapter>):
    KernelConfig[] {
  return [
    {kernelName: MaxPool, backendName, kernelFunc: maxPoolKernel(adapt)},
    {kernelName: AvgPool, backendName, kernelFunc: avgPoolKernel(adapt)},
    {kernelName: MaxPoolIndices, backendName, kernelFunc: maxPoolIndicesKernel(adapt)},
    {kernelName: MaxPoolGrad, backendName, kernelFunc: maxPoolGradKernel(adapt)},
    {kernelName: AvgPoolGrad, backendName, kernelFunc: avgPoolGradKernel(adapt)},
  ];
}
