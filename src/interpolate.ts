/**
 * `F.interpolate` with PyTorch 1.13's rules (modes nearest, nearest-exact, linear, bilinear,
 * trilinear) on [N, C, L], [N, C, H, W] and [N, C, D, H, W] tensors. `interpolateInfo` is the one
 * source of truth for the output size (ops, layers.upsample's computeOutputShape, kernels), and
 * `axisTable` for which input indices and weights each output index uses (every kernel and the
 * gradient use it, so the backends cannot disagree on an index).
 *
 * PyTorch computes the source indices in float32; so does `axisTable` (Math.fround at each step
 * where PyTorch rounds), because nearest's floor() flips on the last bit for scale factors such
 * as 1.7 or 0.6.
 */
import {engine, reshape, Tensor, TensorLike, tidy} from '@tensorflow/tfjs-core';
import {checkBool, checkChoice, checkOptions, checkOutputSize, describeValue} from './args.js';
import {fmtShape, Triple} from './geometry.js';
import {Interpolate} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

export type InterpolateMode = 'nearest'|'nearest-exact'|'linear'|'bilinear'|'trilinear';
const MODES: InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'trilinear'];
/** The rank each interpolating mode needs (nearest modes take any of 3, 4, 5). */
const MODE_RANK: Partial<Record<InterpolateMode, number>> = {linear: 3, bilinear: 4, trilinear: 5};

export interface InterpolateOptions {
  /** Output spatial size: one int for every axis, or one per axis. Exclusive with scaleFactor. */
  size?: number|number[];
  /** Multiplier of the spatial size (output = ⌊in · scale⌋); one number or one per axis. */
  scaleFactor?: number|number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /** Linear modes only (default false); refused with the nearest modes, as PyTorch does. */
  alignCorners?: boolean;
  /**
   * PyTorch's recompute_scale_factor: true computes the indices from the output size alone, as
   * with `size`; default (false) uses 1/scaleFactor directly, as PyTorch 1.13 does.
   */
  recomputeScaleFactor?: boolean;
}

/** What an interpolation kernel needs besides its input's shape (3-D, after lifting). */
export interface InterpolateAttrs {
  /** The linear modes are one separable kernel. */
  mode: 'nearest'|'nearest-exact'|'linear';
  alignCorners: boolean;
  outSize: Triple;
  /** The user's scale factor per axis, used as 1/scale; 0 where the sizes decide (size given). */
  scales: Triple;
}

const OPTIONS = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'] as const;
const AXIS_NAMES = ['D', 'H', 'W'];

function lift(v: readonly number[], fill: number): Triple {
  return [...new Array(3 - v.length).fill(fill), ...v] as Triple;
}

function perAxis(fnName: string, argName: string, what: string, value: unknown,
                 spatial: number[], isOk: (v: unknown) => boolean): number[] {
  if (!Array.isArray(value)) {
    if (!isOk(value)) {
      throw new Error(`${fnName}: argument '${argName}' must be ${what} or a list of ` +
          `${spatial.length}, but got ${describeValue(value)}`);
    }
    return new Array(spatial.length).fill(value);
  }
  if (value.length !== spatial.length) {
    const torchName = argName === 'size' ? 'output size' : 'scale_factor';
    throw new Error(`${fnName}: Input and ${argName === 'size' ? 'output' : torchName} must have ` +
        `the same number of spatial dimensions, but got input with spatial dimensions of ` +
        `${fmtShape(spatial)} and ${torchName} of ${describeValue(value)}. Please provide ` +
        `input tensor in (N, C, d1, d2, ...,dK) format and ${torchName} in ` +
        `(${argName === 'size' ? 'o' : 's'}1, ${argName === 'size' ? 'o' : 's'}2, ...,` +
        `${argName === 'size' ? 'o' : 's'}K) format.`);
  }
  value.forEach((v, i) => {
    if (!isOk(v)) {
      throw new Error(`${fnName}: argument '${argName}' must be a list of ${what}s, but found ` +
          `${describeValue(v)} at position ${i}`);
    }
  });
  return [...value];
}

/**
 * Validates `shape` and the options with PyTorch's rules and wording and resolves the output
 * size. `userOutShape`: the result's shape as the user sees it.
 */
export function interpolateInfo(
    shape: readonly number[], options: InterpolateOptions|null|undefined,
    fnName = 'interpolate'): InterpolateAttrs&{inShape: number[], outShape: number[],
                                              userOutShape: number[]} {
  const opts = checkOptions(fnName, options, OPTIONS);
  const mode = checkChoice(fnName, 'mode', opts.mode, MODES, 'nearest');
  if (shape.length < 3 || shape.length > 5) {
    throw new Error(`${fnName}: Input Error: Only 3D, 4D and 5D input Tensors supported (got ` +
        `${shape.length}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | ` +
        `area | nearest-exact (got ${mode}); input of size ${fmtShape(shape)}`);
  }
  const nearest = mode === 'nearest' || mode === 'nearest-exact';
  if (nearest && opts.alignCorners !== undefined) {
    throw new Error(`${fnName}: align_corners option can only be set with the interpolating ` +
        `modes: linear | bilinear | bicubic | trilinear (got mode '${mode}' and alignCorners ` +
        `${describeValue(opts.alignCorners)})`);
  }
  const alignCorners = checkBool(fnName, 'alignCorners', opts.alignCorners, false);
  const recompute = checkBool(fnName, 'recomputeScaleFactor', opts.recomputeScaleFactor, false);
  const [n, c, ...spatial] = shape;
  if (opts.size != null && opts.scaleFactor != null) {
    throw new Error(`${fnName}: only one of size or scale_factor should be defined (got size ` +
        `${describeValue(opts.size)} and scaleFactor ${describeValue(opts.scaleFactor)})`);
  }
  if (opts.size == null && opts.scaleFactor == null) {
    throw new Error(`${fnName}: either size or scale_factor should be defined`);
  }
  if (opts.size != null && opts.recomputeScaleFactor) {
    throw new Error(`${fnName}: recompute_scale_factor is not meaningful with an explicit size.`);
  }
  let out: number[], scales: number[];
  if (opts.size != null) {
    out = perAxis(fnName, 'size', 'an integer', opts.size, spatial,
                  v => typeof v === 'number' && Number.isSafeInteger(v));
    scales = spatial.map(() => 0);
  } else {
    const f = perAxis(fnName, 'scaleFactor', 'a finite number', opts.scaleFactor, spatial,
                      v => typeof v === 'number' && Number.isFinite(v));
    out = spatial.map((v, i) => Math.floor(v * f[i]));
    // PyTorch's compute_scales_value ignores scales ≤ 0 (they fail the size check anyway).
    scales = recompute ? spatial.map(() => 0) : f.map(v => v > 0 ? v : 0);
  }
  const rank = MODE_RANK[mode];
  if (rank !== undefined && rank !== shape.length) {
    throw new Error(`${fnName}: Got ${shape.length}D input, but ${mode} mode needs ${rank}D ` +
        `input`);
  }
  if (spatial.some(v => v <= 0) || out.some(v => v <= 0)) {
    const names = AXIS_NAMES.slice(3 - spatial.length);
    const list = (v: number[]) => v.map((x, i) => `${names[i]}: ${x}`).join(', ');
    throw new Error(`${fnName}: Input and output sizes should be greater than 0, but got input ` +
        `(${list(spatial)})${spatial.length === 1 ? ' and' : ''} output (${list(out)})`);
  }
  const outSize = lift(out, 1);
  const info = {
    mode: nearest ? mode as 'nearest'|'nearest-exact' : 'linear' as const, alignCorners,
    outSize, scales: lift(scales, 0), inShape: [n, c, ...lift(spatial, 1)],
    outShape: [n, c, ...outSize], userOutShape: [n, c, ...out],
  };
  checkOutputSize(fnName, info.outShape);
  return info;
}

export function interpolateAttrsOf(a: InterpolateAttrs): InterpolateAttrs {
  return {mode: a.mode, alignCorners: a.alignCorners, outSize: a.outSize, scales: a.scales};
}

/**
 * Per output index o of one axis: the two input indices i0[o], i1[o] and their weights
 * w0[o] + w1[o] = 1 (nearest: i1 = i0, w1 = 0). PyTorch's UpSample.h in float32:
 * nearest: min(⌊o · scale⌋, in − 1) (with its shortcuts for out = in and out = 2·in);
 * nearest-exact: min(⌊(o + ½) · scale⌋, in − 1); linear: src = scale·o (alignCorners) or
 * max(scale·(o + ½) − ½, 0), i0 = ⌊src⌋, i1 = min(i0 + 1, in − 1), w1 = src − i0. `scale` is
 * 1/scaleFactor when one was given, else in/out ((in − 1)/(out − 1) with alignCorners).
 */
export interface AxisTable {i0: Int32Array; i1: Int32Array; w0: Float32Array; w1: Float32Array}

export function axisTable(
    mode: InterpolateAttrs['mode'], alignCorners: boolean, inSize: number, outSize: number,
    scaleFactor: number): AxisTable {
  const f = Math.fround;
  const t: AxisTable = {i0: new Int32Array(outSize), i1: new Int32Array(outSize),
                        w0: new Float32Array(outSize), w1: new Float32Array(outSize)};
  const scale = scaleFactor > 0 ? f(1 / scaleFactor) : f(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let i0: number, i1: number, w1 = 0;
    if (mode === 'nearest') {
      i0 = outSize === inSize ? o : outSize === 2 * inSize ? o >> 1 :
          Math.min(Math.floor(f(o * scale)), inSize - 1);
      i1 = i0;
    } else if (mode === 'nearest-exact') {
      i0 = i1 = Math.min(Math.floor(f((o + 0.5) * scale)), inSize - 1);
    } else if (outSize === inSize) {
      i0 = i1 = o;
    } else {
      const ratio = alignCorners ? (outSize > 1 ? f((inSize - 1) / (outSize - 1)) : 0) : scale;
      let src = alignCorners ? f(ratio * o) : f(ratio * (o + 0.5) - 0.5);
      if (src < 0) src = 0;
      i0 = Math.trunc(src);
      i1 = i0 < inSize - 1 ? i0 + 1 : i0;
      w1 = Math.min(Math.max(f(src - i0), 0), 1);
    }
    t.i0[o] = i0;
    t.i1[o] = i1;
    t.w1[o] = w1;
    t.w0[o] = f(1 - w1);
  }
  return t;
}

/** The three axes' tables of a kernel's 5-D input shape and attrs. */
export function axisTables(xShape: readonly number[], a: InterpolateAttrs): AxisTable[] {
  return [0, 1, 2].map(i => axisTable(a.mode, a.alignCorners, xShape[2 + i], a.outSize[i],
                                      a.scales[i]));
}

/**
 * `F.interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)`:
 * input [N, C, L] (nearest, linear), [N, C, H, W] (nearest, bilinear) or [N, C, D, H, W]
 * (nearest, trilinear); PyTorch does not take unbatched input here, nor do we.
 */
export function interpolate(x: Tensor|TensorLike, options: InterpolateOptions): Tensor {
  return tidy(() => {
    const $x = toFloatTensor(x, 'input', 'interpolate');
    const info = interpolateInfo($x.shape, options);
    const x5 = $x.rank === 5 ? $x : reshape($x, info.inShape);
    const y = engine().runKernel(Interpolate, {x: x5},
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        interpolateAttrsOf(info) as any) as Tensor;
    return info.userOutShape.length === 5 ? y : reshape(y, info.userOutShape);
  });
}
