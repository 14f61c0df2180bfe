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
import {AvgPool, AvgPoolGrad, MaxPool, MaxPoolGrad, PoolGradKernelAttrs} from '../../src/kernel_names.js';
import {fmtShape} from '../../src/geometry.js';
import {BackendAdapter, readF32} from './kernels.js';

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
 * y = max over each window (−∞ padding; NaN wins, as PyTorch's `val > max || isnan(val)`);
 * `argmax` (optional) gets the in-plane index of each window's first maximum, −1 for a window
 * with no tap inside the input.
 */
export function maxPoolForward(x: Float32Array, info: PoolInfo, argmax?: Int32Array):
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
export function avgPoolForward(x: Float32Array, info: PoolInfo): Float32Array {
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

/** dx: the adjoint of avgPoolForward, each window's dy / divisor added to its taps. */
export function avgPoolBackward(dy: Float32Array, info: PoolInfo): Float32Array {
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
    {kernelName: MaxPoolGrad, backendName, kernelFunc: maxPoolGradKernel(adapt)},
    {kernelName: AvgPoolGrad, backendName, kernelFunc: avgPoolGradKernel(adapt)},
  ];
}
