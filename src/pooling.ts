/**
 * Max and average pooling with PyTorch's semantics (`F.max_pool{1,2,3}d`, `F.avg_pool{1,2,3}d`)
 * on channels-first tensors, batched or not. One geometry function, `poolInfo`, turns the user's
 * options into a normalised record and throws every validation error; the ops, the layers'
 * computeOutputShape, the kernels (through poolInfoFromAttrs) and the gradients all use it.
 *
 * 1-D and 2-D pooling run on the 3-D kernels with unit spatial axes in front (kernel 1, stride 1,
 * no padding), a reshape and no copy.
 */
import {engine, reshape, Tensor, TensorLike, tidy} from '@tensorflow/tfjs-core';
import {checkBool, checkInt, checkIntTuple, checkOptions, checkOutputSize, describeValue} from './args.js';
import {fmtShape, SpatialDims, SpatialOption, Triple} from './geometry.js';
import {AvgPool, MaxPool, MaxPoolIndices} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

export type PoolKind = 'max'|'avg';

export interface MaxPoolOptions {
  /** Default: kernelSize. */
  stride?: SpatialOption;
  /** Implicit −∞ padding on both sides, at most half the kernel size. Default 0. */
  padding?: SpatialOption;
  /** Spacing between the taps of a window. Default 1. */
  dilation?: SpatialOption;
  /** Output sizes rounded up (a last, partial window), as PyTorch's ceil_mode. Default false. */
  ceilMode?: boolean;
  /**
   * Also return the int32 indices of the maxima (PyTorch's return_indices, which are int64):
   * the op returns [output, indices]. Each index is flat over the input's spatial axes.
   */
  returnIndices?: boolean;
}

export interface AvgPoolOptions {
  stride?: SpatialOption;
  /** Implicit zero padding on both sides, at most half the kernel size. Default 0. */
  padding?: SpatialOption;
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (PyTorch's default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead of the window's size. */
  divisorOverride?: number|null;
}

/** What a pooling kernel needs besides its input's shape (all 3-D, after lifting). */
export interface PoolAttrs {
  kernelSize: Triple;
  stride: Triple;
  padding: Triple;
  dilation: Triple;
  ceilMode: boolean;
  countIncludePad: boolean;
  /** 0: none (PyTorch refuses 0 as an override, so it cannot be meant). */
  divisorOverride: number;
}

export interface PoolInfo extends PoolAttrs {
  batchSize: number;
  channels: number;
  inSize: Triple;
  outSize: Triple;
  /** 5-D shapes the kernels see. */
  inShape: number[];
  outShape: number[];
}

const MAX_OPTIONS = ['stride', 'padding', 'dilation', 'ceilMode', 'returnIndices'] as const;
const AVG_OPTIONS = ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'] as const;
// F.avg_pool1d has no divisor_override.
const AVG1D_OPTIONS = ['stride', 'padding', 'ceilMode', 'countIncludePad'] as const;

/** Public op name for messages: maxPool3d, avgPool1d, … */
export function poolOpName(kind: PoolKind, nd: SpatialDims): string {
  return `${kind}Pool${nd}d`;
}

/**
 * PyTorch's pooling_output_shape: ⌊(in + 2p − d(k − 1) − 1 (+ s − 1 with ceil)) / s⌋ + 1, and with
 * ceilMode the last window must start inside the input or its left padding.
 */
export function poolOutputSize(
    inSize: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  let out = Math.floor((inSize + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= inSize + p) out--;
  return out;
}

/** nd-lists lifted to 3-D with unit axes in front. */
function lift(v: readonly number[], fill: number): Triple {
  return [...new Array(3 - v.length).fill(fill), ...v] as Triple;
}

const AXIS_NAMES = ['D', 'H', 'W'];

/**
 * The one source of truth for pooling geometry: validates `shape` (nd + 1 or nd + 2 axes),
 * `kernelSize` and the options with PyTorch's rules and wording, and returns the 3-D record.
 * `userOutShape` is the result's shape as the user sees it (unbatched stays unbatched).
 */
export function poolInfo(
    kind: PoolKind, nd: SpatialDims, shape: readonly number[], kernelSize: unknown,
    options: MaxPoolOptions|AvgPoolOptions|null|undefined,
    fnName = poolOpName(kind, nd)): PoolInfo&{userOutShape: number[]} {
  const opts = checkOptions(fnName, options,
      kind === 'max' ? MAX_OPTIONS : nd === 1 ? AVG1D_OPTIONS : AVG_OPTIONS) as
      MaxPoolOptions&AvgPoolOptions;
  if (shape.length !== nd + 1 && shape.length !== nd + 2) {
    throw new Error(`${fnName}: non-empty ${nd + 1}D or ${nd + 2}D (batch mode) tensor ` +
        `expected for input, but got input of size ${fmtShape(shape)}`);
  }
  const k = checkIntTuple(fnName, 'kernelSize', kernelSize, nd);
  const s = checkIntTuple(fnName, 'stride', opts.stride, nd, k);
  const p = checkIntTuple(fnName, 'padding', opts.padding, nd, new Array(nd).fill(0));
  const d = checkIntTuple(fnName, 'dilation', opts.dilation, nd, new Array(nd).fill(1));
  const ceilMode = checkBool(fnName, 'ceilMode', opts.ceilMode, false);
  checkBool(fnName, 'returnIndices', opts.returnIndices, false);
  const countIncludePad = checkBool(fnName, 'countIncludePad', opts.countIncludePad, true);
  const divisorOverride = opts.divisorOverride == null ? 0 :
      checkInt(fnName, 'divisorOverride', opts.divisorOverride, -(2 ** 31));
  const names = AXIS_NAMES.slice(3 - nd);
  const list = (prefix: string, v: number[]) => v.map((x, i) => `${prefix}${names[i]}: ${x}`).join(' ');
  if (k.some(v => v <= 0)) {
    throw new Error(`${fnName}: kernel size should be greater than zero, but got ${list('k', k)}`);
  }
  if (s.some(v => v <= 0)) {
    throw new Error(`${fnName}: stride should be greater than zero, but got ${list('d', s)}`);
  }
  if (d.some(v => v <= 0)) {
    throw new Error(`${fnName}: dilation should be greater than zero, but got ` +
        list('dilation', d));
  }
  const negative = p.find(v => v < 0);
  if (negative !== undefined) {
    throw new Error(`${fnName}: pad must be non-negative, but got pad: ${negative}`);
  }
  if (divisorOverride === 0 && opts.divisorOverride != null) {
    throw new Error(`${fnName}: divisor must be not zero, but got divisorOverride=0`);
  }
  const batched = shape.length === nd + 2;
  const [n, c, ...spatial] = batched ? shape : [1, ...shape];
  const zero = spatial.findIndex(v => v === 0);
  if (c === 0 || zero >= 0) {
    throw new Error(`${fnName}: Expected input's non-batch dimensions to have positive length, ` +
        `but input has a shape of ${fmtShape(shape)} and non-batch dimension ` +
        `${c === 0 ? (batched ? 1 : 0) : zero + (batched ? 2 : 1)} has length zero!`);
  }
  if (kind === 'avg' && nd === 3 && spatial.some((v, i) => v < k[i])) {
    // avg_pool3d alone checks the unpadded input against the kernel (pool3d_shape_check).
    throw new Error(`${fnName}: input image (T: ${spatial[0]} H: ${spatial[1]} W: ` +
        `${spatial[2]}) smaller than kernel size (kT: ${k[0]} kH: ${k[1]} kW: ${k[2]})`);
  }
  const tooMuch = p.findIndex((v, i) => v > Math.floor(k[i] / 2));
  if (tooMuch >= 0) {
    throw new Error(`${fnName}: pad should be at most half of kernel size, but got ` +
        `pad=${p[tooMuch]} and kernelSize=${k[tooMuch]}`);
  }
  const out = spatial.map((v, i) => poolOutputSize(v, k[i], s[i], p[i], d[i], ceilMode));
  if (out.some(v => v < 1)) {
    throw new Error(`${fnName}: Given input size: (${[c, ...spatial].join('x')}). Calculated ` +
        `output size: (${[c, ...out].join('x')}). Output size is too small`);
  }
  const inSize = lift(spatial, 1), outSize = lift(out, 1);
  const info = {
    kernelSize: lift(k, 1), stride: lift(s, 1), padding: lift(p, 0), dilation: lift(d, 1),
    ceilMode, countIncludePad, divisorOverride, batchSize: n, channels: c, inSize, outSize,
    inShape: [n, c, ...inSize], outShape: [n, c, ...outSize],
    userOutShape: batched ? [n, c, ...out] : [c, ...out],
  };
  checkOutputSize(fnName, info.outShape);
  return info;
}

/** The attrs a kernel receives (plain arrays: tfjs attrs must be serialisable). */
export function poolAttrsOf(info: PoolAttrs): PoolAttrs {
  const {kernelSize, stride, padding, dilation, ceilMode, countIncludePad, divisorOverride} = info;
  return {kernelSize, stride, padding, dilation, ceilMode, countIncludePad, divisorOverride};
}

/** The record again from a kernel's 5-D input shape and attrs (the same output-size rule). */
export function poolInfoFromAttrs(xShape: readonly number[], a: PoolAttrs): PoolInfo {
  if (xShape.length !== 5) {
    throw new Error(`pooling kernel: expected a 5-D input, but got ${fmtShape(xShape)}`);
  }
  const [n, c, ...spatial] = xShape;
  const outSize = spatial.map((v, i) => poolOutputSize(
      v, a.kernelSize[i], a.stride[i], a.padding[i], a.dilation[i], a.ceilMode)) as Triple;
  return {...poolAttrsOf(a), batchSize: n, channels: c, inSize: spatial as Triple, outSize,
          inShape: [...xShape], outShape: [n, c, ...outSize]};
}

function runPool(
    kind: PoolKind, nd: SpatialDims, x: Tensor|TensorLike, kernelSize: SpatialOption,
    options: MaxPoolOptions|AvgPoolOptions|undefined): Tensor|[Tensor, Tensor] {
  const fnName = poolOpName(kind, nd);
  if (kernelSize === undefined) {
    throw new Error(`${fnName}: missing required argument 'kernelSize' (got ` +
        `${describeValue(kernelSize)})`);
  }
  return tidy(() => {
    const $x = toFloatTensor(x, 'input', fnName);
    const info = poolInfo(kind, nd, $x.shape, kernelSize, options, fnName);
    const x5 = $x.rank === 5 ? $x : reshape($x, info.inShape);
    const toUser = (t: Tensor) =>
        info.userOutShape.length === 5 ? t : reshape(t, info.userOutShape);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const attrs = poolAttrsOf(info) as any;
    const y = toUser(engine().runKernel(kind === 'max' ? MaxPool : AvgPool, {x: x5}, attrs) as Tensor);
    if (!(options as MaxPoolOptions | undefined)?.returnIndices) return y;
    return [y, toUser(engine().runKernel(MaxPoolIndices, {x: x5}, attrs) as Tensor)];
  });
}

type MaxPoolFn = {
  (x: Tensor|TensorLike, kernelSize: SpatialOption,
   options: MaxPoolOptions&{returnIndices: true}): [Tensor, Tensor];
  (x: Tensor|TensorLike, kernelSize: SpatialOption, options?: MaxPoolOptions): Tensor;
};
const maxPoolNd = (nd: SpatialDims): MaxPoolFn =>
    ((x: Tensor|TensorLike, kernelSize: SpatialOption, options?: MaxPoolOptions) =>
         runPool('max', nd, x, kernelSize, options)) as MaxPoolFn;

/**
 * `F.max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)`:
 * input [N, C, D, H, W] or [C, D, H, W]. NaN wins, as in PyTorch; the gradient goes to the first
 * maximum of a window. With `returnIndices: true`, returns [output, int32 indices].
 */
export const maxPool3d: MaxPoolFn = maxPoolNd(3);
/** `F.max_pool2d`: input [N, C, H, W] or [C, H, W]. */
export const maxPool2d: MaxPoolFn = maxPoolNd(2);
/** `F.max_pool1d`: input [N, C, L] or [C, L]. */
export const maxPool1d: MaxPoolFn = maxPoolNd(1);
/** `F.avg_pool3d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)`. */
export function avgPool3d(x: Tensor|TensorLike, kernelSize: SpatialOption,
                          options?: AvgPoolOptions): Tensor {
  return runPool('avg', 3, x, kernelSize, options) as Tensor;
}
/** `F.avg_pool2d`: input [N, C, H, W] or [C, H, W]. */
export function avgPool2d(x: Tensor|TensorLike, kernelSize: SpatialOption,
                          options?: AvgPoolOptions): Tensor {
  return runPool('avg', 2, x, kernelSize, options) as Tensor;
}
/** `F.avg_pool1d`: input [N, C, L] or [C, L]. */
export function avgPool1d(x: Tensor|TensorLike, kernelSize: SpatialOption,
                          options?: AvgPoolOptions): Tensor {
  return runPool('avg', 1, x, kernelSize, options) as Tensor;
}
