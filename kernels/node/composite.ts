/**
 * Our three kernels composed from tfjs' own kernels of one backend (Transpose, Reshape, PadV2,
 * Slice, Concat, Add, Conv3D, Conv3DBackpropInputV2, Conv3DBackpropFilterV2), looked up with
 * `getKernel(name, backendName)` and called directly. Registered for `tensorflow` (tfjs-node and
 * tfjs-node-gpu), where every one of those kernels is one TensorFlow C op (cuDNN for the
 * convolutions with tfjs-node-gpu), so the heavy lifting runs natively.
 *
 * Designed for TensorFlow's limits, which are the tfjs kernel contract's limits too: the
 * convolution kernels take NDHWC tensors and a `[kD, kH, kW, in, out]` filter, VALID/SAME
 * padding only, no groups, and no dilation (TensorFlow's CPU kernels refuse it; tfjs-node's
 * backprop kernels always pass 1). So:
 * - NCDHW ↔ NDHWC by Transpose; the weight `[small, big/g, k…]` → `[k…, big/g, small]`;
 * - dilation by zero-inserting the filter (and, for the weight gradient, computing the
 *   gradient of the dilated filter and keeping every d-th tap);
 * - numeric padding: conv3d pads its input with zeros; convTranspose3d computes the VALID
 *   ("full") result and crops `padding` from both ends, zero-padding the far end when
 *   outputPadding reaches past it;
 * - groups by slicing channels, one native call per group, and Concat.
 * With groups = 1 each kernel makes exactly one native convolution call (plus layout work).
 *
 * Every intermediate TensorInfo is disposed inside the kernel, also when a kernel throws.
 */
import {getKernel, KernelBackend, KernelConfig, KernelFunc, registerKernel, TensorInfo} from '@tensorflow/tfjs-core';
import {conv3dInfo, ConvTranspose3DAttrs, ConvTranspose3DInfo, infoFromAttrs, Triple} from '../../src/geometry.js';
import {Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad, ConvTranspose3DWeightGradAttrs} from '../../src/kernel_names.js';
import {weightGradInfo} from '../cpu/kernels.js';
import {KernelScope, scoped} from './kernel_scope.js';
import {padCompositeKernelConfigs} from './padding.js';
import {normCompositeKernelConfigs} from './normalization.js';

/** NCDHW → NDHWC, and back. */
const TO_NDHWC = [0, 2, 3, 4, 1];
const TO_NCDHW = [0, 4, 1, 2, 3];
/** Our weight `[small, big/g, kD, kH, kW]` ↔ TensorFlow's filter `[kD, kH, kW, big/g, small]`. */
const TO_DHWIO = [2, 3, 4, 1, 0];
const FROM_DHWIO = [4, 3, 0, 1, 2];


/** Effective (dilated) kernel extent per axis: d·(k − 1) + 1. */
function dilatedSize(info: ConvTranspose3DInfo): Triple {
  return info.kernelSize.map((k, i) => info.dilation[i] * (k - 1) + 1) as Triple;
}

/**
 * Zero-inserts `factor − 1` zeros between neighbours on the 3 spatial axes of a `[D, H, W, I, O]`
 * tensor (a filter → its dilated version), one axis at a time, viewing it as `[before, n, after]`:
 * each entry becomes a run (the entry, then zeros) on a new axis `[before, n, 1, after]` →
 * PadV2 → `[before, n·f, after]`, and Slice drops the trailing zeros of the last run. At most
 * 4-D, because TensorFlow's Pad refuses more than 6 dimensions that are not collapsible.
 */
function zeroInsert(s: KernelScope, t: TensorInfo, factor: Triple): TensorInfo {
  let out = t;
  for (let axis = 0; axis < 3; axis++) {
    const f = factor[axis];
    // One entry has no neighbour: nothing to insert (and a huge factor, e.g. a dilation of
    // 2³¹ − 1 along a kernel axis of 1, must not make the runs below).
    if (f === 1 || out.shape[axis] === 1) continue;
    const shape = out.shape;
    const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const n = shape[axis];
    const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const runs = s.pad(s.reshape(out, [before, n, 1, after]), [[0, 0], [0, 0], [0, f - 1], [0, 0]]);
    const flat = s.slice(s.reshape(runs, [before, n * f, after]), [0, 0, 0],
                         [before, f * (n - 1) + 1, after]);
    out = s.reshape(flat, shape.map((v, i) => i === axis ? f * (n - 1) + 1 : v));
  }
  return out;
}

/** The inverse of zeroInsert: keeps every factor-th entry, `size` of them per spatial axis. */
function subsample(s: KernelScope, t: TensorInfo, factor: Triple, size: Triple): TensorInfo {
  let out = t;
  for (let axis = 0; axis < 3; axis++) {
    const f = factor[axis];
    // One entry has no neighbour: nothing to insert (and a huge factor, e.g. a dilation of
    // 2³¹ − 1 along a kernel axis of 1, must not make the runs below).
    if (f === 1 || out.shape[axis] === 1) continue;
    const shape = out.shape;
    const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const n = size[axis];
    const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const padded = s.pad(s.reshape(out, [before, shape[axis], after]),
                         [[0, 0], [0, f * n - shape[axis]], [0, 0]]);
    const taps = s.slice(s.reshape(padded, [before, n, f, after]), [0, 0, 0, 0],
                         [before, n, 1, after]);
    out = s.reshape(taps, shape.map((v, i) => i === axis ? n : v));
  }
  return out;
}

function dilateFilter(s: KernelScope, f: TensorInfo, info: ConvTranspose3DInfo): TensorInfo {
  return zeroInsert(s, f, info.dilation);
}

/** Our weight as a (dilated) TensorFlow filter `[k…, big/g, small]`. */
function filterOf(s: KernelScope, weight: TensorInfo, info: ConvTranspose3DInfo): TensorInfo {
  return dilateFilter(s, s.transpose(weight, TO_DHWIO), info);
}

/** NDHWC result → NCDHW, with the bias added first (it broadcasts along the last axis). */
function finish(s: KernelScope, y: TensorInfo, bias: TensorInfo|undefined): TensorInfo {
  const withBias = bias == null ? y : s.run('Add', {a: y, b: bias}, {});
  return s.keep(s.transpose(withBias, TO_NCDHW));
}


/**
 * convTranspose3d = the input gradient of a VALID conv3d with the dilated filter: it yields the
 * "full" output `(in − 1)·s + d(k − 1) + 1`, of which PyTorch keeps `[p, p + out)`, where the
 * part past the full output (outputPadding > padding) is zeros.
 */
function convTranspose3dKernel(backendName: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
    const info = infoFromAttrs('convTranspose3d', x.shape, weight.shape,
                               attrs as unknown as ConvTranspose3DAttrs);
    return scoped('convTranspose3d', backendName, backend as KernelBackend, s => {
      // An empty batch: nothing to compute (and tfjs' cpu Slice cannot read empty data).
      if (info.batchSize === 0) return s.keep(s.zeros(info.outShape));
      const g = info.groups, cs = info.inChannelsPerGroup, cb = info.outChannelsPerGroup;
      const keff = dilatedSize(info);
      const full = info.inSize.map((n, i) => (n - 1) * info.stride[i] + keff[i]);
      const xs = s.transpose(x, TO_NDHWC);
      const f = filterOf(s, weight, info);
      const parts: TensorInfo[] = [];
      for (let j = 0; j < g; j++) {
        parts.push(s.run('Conv3DBackpropInputV2', {
          dy: s.sliceLast(xs, j * cs, cs),
          filter: s.sliceLast(f, j * cs, cs),
        }, {strides: info.stride, pad: 'valid', inputShape: [info.batchSize, ...full, cb]}));
      }
      const y = s.concatLast(parts);
      const p = info.padding, op = info.outputPadding;
      const extended = s.pad(y, [[0, 0], ...[0, 1, 2].map(
          i => [0, Math.max(0, op[i] - p[i])] as [number, number]), [0, 0]]);
      const cropped = s.slice(extended, [0, ...p, 0],
                              [info.batchSize, ...info.outSize, info.outChannels]);
      return finish(s, cropped, bias);
    });
  };
}

/** conv3d = a VALID conv3d of the zero-padded input with the dilated filter. */
function conv3dKernel(backendName: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
    const info = conv3dInfo('conv3d', x.shape, weight.shape, bias?.shape,
                            attrs as unknown as ConvTranspose3DAttrs);
    return scoped('conv3d', backendName, backend as KernelBackend, s => {
      if (info.batchSize === 0) return s.keep(s.zeros(info.inShape));
      const g = info.groups, cs = info.inChannelsPerGroup, cb = info.outChannelsPerGroup;
      const p = info.padding;
      const xb = s.pad(s.transpose(x, TO_NDHWC),
                       [[0, 0], [p[0], p[0]], [p[1], p[1]], [p[2], p[2]], [0, 0]]);
      const f = filterOf(s, weight, info);
      const parts: TensorInfo[] = [];
      for (let j = 0; j < g; j++) {
        parts.push(s.run('Conv3D', {
          x: s.sliceLast(xb, j * cb, cb),
          filter: s.sliceLast(f, j * cs, cs),
        }, {strides: info.stride, pad: 'valid', dataFormat: 'NDHWC', dilations: 1}));
      }
      return finish(s, s.concatLast(parts), bias);
    });
  };
}

/**
 * The weight gradient: dW[cs, cb, k] = Σ_n Σ_i x[n, cs, i] · dy[n, cb, i·s − p + k·d], where dy
 * is seen through the window `[−p, −p + (in − 1)·s + d(k − 1) + 1)` (zeros outside it). Two
 * native formulations, TensorFlow doing neither's dilation:
 * - "filter": the filter gradient of the conv3d dy → x with the dilated filter (stride s), then
 *   every d-th tap. It computes all d(k − 1) + 1 taps per axis: wasteful for a large dilation.
 * - "swapped": a conv3d over the window with batch and channels exchanged (dy as a batch of cb
 *   images with n channels, x as the filter), stride d and the filter dilated by s (zero-
 *   inserted). It computes only the k taps, but over an x stretched to (in − 1)·s + 1.
 * With dilation 1 the first is used; otherwise the one with fewer multiply-adds.
 */
function weightGradKernel(backendName: string, plan: WeightGradPlan): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
    const info = weightGradInfo(x.shape, dy.shape,
                                attrs as unknown as ConvTranspose3DWeightGradAttrs);
    const opName = 'convTranspose3d (weight gradient)';
    return scoped(opName, backendName, backend as KernelBackend, s => {
      if (info.batchSize === 0) return s.keep(s.zeros(info.weightShape));
      const keff = dilatedSize(info);
      const window = info.inSize.map((n, i) => (n - 1) * info.stride[i] + keff[i]) as Triple;
      // Pads (and crops) the spatial axes 1..3 of a big-side tensor to the window.
      const p = info.padding, op = info.outputPadding;
      const toWindow = (t: TensorInfo) => s.slice(
          s.pad(t, [[0, 0], ...[0, 1, 2].map(i => [p[i], Math.max(0, p[i] - op[i])] as
                                             [number, number]), [0, 0]]),
          [0, 0, 0, 0, 0], [t.shape[0], ...window, t.shape[4]]);
      const product = (v: number[]) => v.reduce((a, b) => a * b, 1);
      const filterMacs = product(info.inSize.map((n, i) => n * keff[i]));
      const swappedMacs = product(
          info.inSize.map((n, i) => ((n - 1) * info.stride[i] + 1) * info.kernelSize[i]));
      const swapped = plan === 'auto' ? swappedMacs < filterMacs : plan === 'swapped';
      return swapped ? weightGradSwapped(s, x, dy, info, toWindow) :
                                        weightGradFilter(s, x, dy, info, toWindow);
    });
  };
}

type WindowFn = (t: TensorInfo) => TensorInfo;

function weightGradFilter(s: KernelScope, x: TensorInfo, dy: TensorInfo,
                          info: ConvTranspose3DInfo, toWindow: WindowFn): TensorInfo {
  const g = info.groups, cs = info.inChannelsPerGroup, cb = info.outChannelsPerGroup;
  const xs = s.transpose(x, TO_NDHWC);
  const yb = toWindow(s.transpose(dy, TO_NDHWC));  // [N, window…, Cb]
  const parts: TensorInfo[] = [];
  for (let j = 0; j < g; j++) {
    parts.push(s.run('Conv3DBackpropFilterV2', {
      x: s.sliceLast(yb, j * cb, cb),
      dy: s.sliceLast(xs, j * cs, cs),
    }, {strides: info.stride, pad: 'valid', filterShape: [...dilatedSize(info), cb, cs]}));
  }
  const f = subsample(s, s.concatLast(parts), info.dilation, info.kernelSize);
  return s.keep(s.transpose(f, FROM_DHWIO));
}

function weightGradSwapped(s: KernelScope, x: TensorInfo, dy: TensorInfo,
                           info: ConvTranspose3DInfo, toWindow: WindowFn): TensorInfo {
  const g = info.groups, cs = info.inChannelsPerGroup, cb = info.outChannelsPerGroup;
  const images = toWindow(s.transpose(dy, [1, 2, 3, 4, 0]));  // [Cb, window…, N]
  const filter = zeroInsert(s, s.transpose(x, [2, 3, 4, 0, 1]), info.stride);  // [x…, N, Cs]
  const parts: TensorInfo[] = [];
  for (let j = 0; j < g; j++) {
    parts.push(s.run('Conv3D', {
      x: s.sliceAxis(images, 0, j * cb, cb),
      filter: s.sliceLast(filter, j * cs, cs),
    }, {strides: info.dilation, pad: 'valid', dataFormat: 'NDHWC', dilations: 1}));
  }
  return s.keep(s.transpose(s.concatLast(parts), [4, 0, 1, 2, 3]));  // [Cb/g, k…, Cs] → ours
}

/** Which weight-gradient formulation to use; tests force each. */
export type WeightGradPlan = 'auto'|'filter'|'swapped';

/** Kernel configs of the composite implementation for one backend. */
export function compositeKernelConfigs(
    backendName: string, weightGradPlan: WeightGradPlan = 'auto'): KernelConfig[] {
  return [
    {kernelName: ConvTranspose3D, backendName, kernelFunc: convTranspose3dKernel(backendName)},
    {kernelName: Conv3D, backendName, kernelFunc: conv3dKernel(backendName)},
    {kernelName: ConvTranspose3DWeightGrad, backendName,
     kernelFunc: weightGradKernel(backendName, weightGradPlan)},
    ...normCompositeKernelConfigs(backendName),
  ];
}

/**
 * Why `registerCompositeKernels('webgpu')` is refused: the composite kernels transpose, pad, slice
 * and add 5-D tensors, and tfjs-backend-webgpu 4.22's programs for those do not compile for rank
 * 5 (`cannot index type 'vec5'`); tfjs only warns on the console, so every call would return
 * wrong numbers without an exception. Our own webgpu kernels (kernels/webgpu/) need none of them.
 */
export const WEBGPU_REFUSAL = `registerCompositeKernels('webgpu'): refused, because the ` +
    `composite kernels are built from 5-D tfjs ops (Transpose, PadV2, Slice, Add) whose ` +
    `tfjs-backend-webgpu 4.22 shaders do not compile for rank 5 ("cannot index type 'vec5'"), ` +
    `which tfjs only reports as a console warning: the results would be silently wrong. Nothing ` +
    `is needed for webgpu: importing tfjs-convtranspose3d already registers its own webgpu ` +
    `kernels (kernels/webgpu/)`;

/**
 * Registers the composite kernels for `backendName`, for any backend that has tfjs' Transpose,
 * Reshape, PadV2, Slice, Concat, Add, Conv3D, Conv3DBackpropInputV2 and Conv3DBackpropFilterV2
 * kernels. Importing the package does this for `tensorflow` (tfjs-node, tfjs-node-gpu).
 * Kernels of ours that the backend already has are left as they are, so calling it twice (or
 * for a backend with native kernels of ours) is harmless; `unregisterKernel` first to replace one.
 * Refused for `webgpu` (WEBGPU_REFUSAL says why), before anything is registered.
 */
export function registerCompositeKernels(backendName: string): void {
  if (backendName === 'webgpu') throw new Error(WEBGPU_REFUSAL);
  for (const config of [...compositeKernelConfigs(backendName),
                        ...padCompositeKernelConfigs(backendName)]) {
    if (getKernel(config.kernelName, backendName) == null) registerKernel(config);
  }
}
