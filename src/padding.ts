/**
 * `pad(x, pad, {mode, value})`: PyTorch 1.13's `torch.nn.functional.pad`, with its rules and
 * messages, on our Pad / PadGrad kernels (gather form forward, its adjoint backward).
 *
 * The geometry (padInfo) is the one source of truth for the kernels of every backend: the padded
 * axes are the last `pad.length / 2`; all leading axes are one collapsed batch axis. Per padded
 * axis, output index j reads input index `padSource(axis, mode, j)` (−1: the constant value).
 */
import {engine, GradConfig, op, registerGradient, Tensor, TensorLike, tensor} from '@tensorflow/tfjs-core';
import {checkOptions, checkOutputSize, describeValue} from './args.js';
import {fmtShape} from './geometry.js';
import {Pad, PadAttrs, PadGrad, PadGradAttrs, PadMode} from './kernel_names.js';

export type {PadMode} from './kernel_names.js';

export interface PadOptions {
  /** 'constant' (default), 'reflect', 'replicate' or 'circular', as PyTorch. */
  mode?: PadMode;
  /** The fill value of 'constant' (default 0); the other modes refuse it, as PyTorch. */
  value?: number;
}

/** One padded axis: input size `W`, output size `J`, pads `pl`/`pr` (negative: crop). */
export interface PadAxis {
  W: number;
  J: number;
  pl: number;
  pr: number;
  /** Circular: the kept (cropped) input part is [s, s + C), placed at output [lead, lead + C). */
  s: number;
  C: number;
  lead: number;
}

export interface PadInfo {
  mode: PadMode;
  inShape: number[];
  outShape: number[];
  /** Product of the unpadded leading axes. */
  batch: number;
  /** The padded axes, in the tensor's order (first padded axis first). */
  axes: PadAxis[];
}

const MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/** Input index read by output index `j` of `a` (−1: outside, the constant value). */
export function padSource(a: PadAxis, mode: PadMode, j: number): number {
  if (mode === 'circular') {
    let k = j - a.lead;
    if (k < 0) k += a.C;
    else if (k >= a.C) k -= a.C;
    return a.s + k;
  }
  let i = j - a.pl;
  if (i >= 0 && i < a.W) return i;
  if (mode === 'constant') return -1;
  if (mode === 'replicate') return i < 0 ? 0 : a.W - 1;
  return i < 0 ? -i : 2 * (a.W - 1) - i;  // reflect (pl, pr < W, so one reflection suffices)
}

/**
 * Validates `pad` for an input of `shape` with PyTorch 1.13's rules and messages and returns the
 * geometry. Throws before any work is done; also when the output would exceed what a tfjs
 * tensor holds, unless `checkSize` is false.
 */
export function padInfo(
    fnName: string, shape: readonly number[], pad: unknown, mode: PadMode,
    checkSize = true): PadInfo {
  if (!Array.isArray(pad) || pad.some(p => typeof p !== 'number' || !Number.isSafeInteger(p))) {
    throw new Error(`${fnName}: argument 'pad' must be an array of integers, but got ` +
        describeValue(pad));
  }
  const rank = shape.length;
  if (pad.length % 2 !== 0) {
    throw new Error(`${fnName}: Padding length must be divisible by 2 (got pad ` +
        `${fmtShape(pad)})`);
  }
  const k = pad.length / 2;
  if (k > rank) {
    throw new Error(`${fnName}: Padding length too large (got pad ${fmtShape(pad)} of length ` +
        `${pad.length} for an input of shape ${fmtShape(shape)}; at most 2 per dimension)`);
  }
  if (mode !== 'constant') {
    // F.pad's non-constant modes in 1.13: (un)batched 1-D, 2-D and 3-D inputs only.
    if (k < 1 || k > 3 || (rank !== k + 1 && rank !== k + 2)) {
      throw new Error(`${fnName}: Only 2D, 3D, 4D, 5D padding with non-constant padding are ` +
          `supported for now (got mode '${mode}', pad of length ${pad.length} and an input of ` +
          `shape ${fmtShape(shape)}: a pad of length 2, 4 or 6 pads a 2-D/3-D, 3-D/4-D or ` +
          `4-D/5-D input)`);
    }
    if (mode === 'circular' && rank !== k + 2) {
      throw new Error(`${fnName}: Invalid padding size, expected ${2 * (rank - 2)} but got ` +
          `${pad.length} (circular padding needs a batched input [N, C, …spatial] with one ` +
          `pair per spatial dimension; input shape ${fmtShape(shape)})`);
    }
  }
  const axes: PadAxis[] = [];
  for (let a = 0; a < k; a++) {
    const dim = rank - k + a;
    const W = shape[dim];
    // pad lists the last axis first.
    const pl = pad[2 * (k - 1 - a)], pr = pad[2 * (k - 1 - a) + 1];
    const J = W + pl + pr;
    const s = Math.max(-pl, 0), lead = Math.max(pl, 0);
    const C = W - s - Math.max(-pr, 0);
    axes.push({W, J, pl, pr, s, C, lead});
  }
  // Checked from the last axis, as PyTorch's kernels do.
  for (let a = k - 1; a >= 0; a--) {
    const {W, J, pl, pr, C} = axes[a];
    const dim = rank - k + a;
    if (mode === 'reflect' && (pl >= W || pr >= W)) {
      throw new Error(`${fnName}: Argument #${4 + 2 * (k - 1 - a)}: Padding size should be ` +
          `less than the corresponding input dimension, but got: padding (${pl}, ${pr}) at ` +
          `dimension ${dim} of input ${fmtShape(shape)}`);
    }
    if (mode === 'replicate' && W === 0) {
      throw new Error(`${fnName}: Expected a tensor with possibly 0 batch size and other ` +
          `non-zero dimensions for input, but got: ${fmtShape(shape)} (replicate padding of ` +
          `an empty dimension ${dim})`);
    }
    if (mode === 'circular' && (pl > W || pr > W)) {
      throw new Error(`${fnName}: Padding value causes wrapping around more than once. (got ` +
          `padding (${pl}, ${pr}) at dimension ${dim} of size ${W})`);
    }
    if (mode === 'circular' && J > 0 && (pl > C || pr > C)) {
      // PyTorch 1.13 copies from uninitialised or overlapping memory here (garbage or an
      // "unsupported operation" error); we refuse it.
      throw new Error(`${fnName}: Padding value causes wrapping around more than once. (got ` +
          `padding (${pl}, ${pr}) at dimension ${dim}: after cropping, ${C} of its ${W} ` +
          `elements remain, fewer than a pad)`);
    }
    if (J < 0 || (J === 0 && (mode === 'reflect' || (mode === 'replicate' && k === 1)))) {
      const axis = k - a <= 3 ? ['W', 'H', 'D'][k - 1 - a] : `dimension ${dim}`;
      throw new Error(`${fnName}: input (${axis}: ${W}) is too small. Calculated output ` +
          `${axis}: ${J} (padding (${pl}, ${pr}) at dimension ${dim})`);
    }
    if (C < 0) {
      throw new Error(`${fnName}: the negative padding (${pl}, ${pr}) at dimension ${dim} crops ` +
          `${-Math.min(pl, 0) - Math.min(pr, 0)} elements from a dimension of size ${W}`);
    }
  }
  const outShape = [...shape.slice(0, rank - k), ...axes.map(a => a.J)];
  // Layers pass checkSize false: their symbolic shapes use large stand-ins for unknown sizes.
  if (checkSize) checkOutputSize(fnName, outShape);
  const batch = shape.slice(0, rank - k).reduce((p, q) => p * q, 1);
  return {mode, inShape: [...shape], outShape, batch, axes};
}

function toPaddable(x: Tensor|TensorLike, fnName: string): Tensor {
  if (x instanceof Tensor) {
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`${fnName}: argument 'input' must be a float32 or int32 tensor, but got ` +
          `a ${x.dtype} tensor`);
    }
    return x;
  }
  if (x == null || (typeof x !== 'object' && typeof x !== 'number')) {
    throw new Error(`${fnName}: argument 'input' must be a Tensor or a nested array of ` +
        `numbers, but got ${describeValue(x)}`);
  }
  return tensor(x as TensorLike, undefined, 'float32');
}

/**
 * PyTorch's `torch.nn.functional.pad(input, pad, mode, value)`.
 *
 * @param input any rank for 'constant'; for 'reflect' and 'replicate' `[N, C, …]` or `[C, …]`
 *   with 1–3 padded axes; for 'circular' `[N, C, …]` with one pair per spatial axis.
 * @param pad `[left, right]` of the last axis, then of the one before, …; negative crops.
 * @returns per padded axis `size + before + after`.
 */
function pad_<T extends Tensor>(input: T|TensorLike, pad: number[], options: PadOptions = {}): T {
  const opts = checkOptions('pad', options, ['mode', 'value']);
  const mode = opts.mode === undefined ? 'constant' : opts.mode;
  if (typeof mode !== 'string' || !(MODES as readonly string[]).includes(mode)) {
    throw new Error(`pad: Unrecognised padding mode ${describeValue(mode)}; mode must be one ` +
        `of ${MODES.map(m => `'${m}'`).join(', ')}`);
  }
  if (mode !== 'constant' && opts.value != null && opts.value !== 0) {
    throw new Error(`pad: Padding mode "${mode}" doesn't take in value argument (got value ` +
        `${describeValue(opts.value)})`);
  }
  // Any number, NaN and ±Infinity included, as PyTorch's fill value.
  if (opts.value != null && typeof opts.value !== 'number') {
    throw new Error(`pad: argument 'value' must be a number, but got ${describeValue(opts.value)}`);
  }
  const value = mode === 'constant' ? opts.value ?? 0 : 0;
  const x = toPaddable(input, 'pad');
  padInfo('pad', x.shape, pad, mode);
  const attrs: PadAttrs = {pad: [...pad], mode, value};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return engine().runKernel(Pad, {x} as any, attrs as any) as T;
}

/** The adjoint of `pad` (dy of the padded shape → dx of `inShape`); PadGrad's op. */
function padGrad_(dy: Tensor, pad: number[], mode: PadMode, inShape: number[]): Tensor {
  const info = padInfo('pad (gradient)', inShape, pad, mode);
  if (dy.shape.length !== info.outShape.length ||
      dy.shape.some((s, i) => s !== info.outShape[i])) {
    throw new Error(`pad (gradient): expected dy of shape ${fmtShape(info.outShape)}, but got ` +
        fmtShape(dy.shape));
  }
  const attrs: PadGradAttrs = {pad: [...pad], mode, inShape: [...inShape]};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return engine().runKernel(PadGrad, {dy} as any, attrs as any) as Tensor;
}

export const pad = op({pad_});
export const padGrad = op({padGrad_});

/** Pad's gradient is its adjoint, PadGrad; PadGrad's is Pad with zeros (both are linear). */
export const padGradConfig: GradConfig = {
  kernelName: Pad,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const a = attrs as unknown as PadAttrs;
    return {x: () => padGrad(dy as Tensor, a.pad, a.mode, saved[0].shape)};
  },
};
export const padGradGradConfig: GradConfig = {
  kernelName: PadGrad,
  gradFunc: (ddx, _saved, attrs) => {
    const a = attrs as unknown as PadGradAttrs;
    return {dy: () => pad(ddx as Tensor, a.pad, {mode: a.mode})};
  },
};
for (const config of [padGradConfig, padGradGradConfig]) registerGradient(config);
