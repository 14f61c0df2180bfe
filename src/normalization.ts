/**
 * Batch, instance and group normalisation as PyTorch's `torch.nn.functional.batch_norm`,
 * `instance_norm` and `group_norm`: channel axis 1, any input `[N, C, …]` (NCL, NCHW, NCDHW).
 *
 * Each norm is two kernels of ours (kernel_names.ts): PtNormStats (mean and biased variance per
 * statistic, one pass) and PtNormAffine (y = (x − mean)·scale + shift per (n, c), one pass),
 * with eps and the weight folded into scale = weight·rsqrt(var + eps) on the small per-channel
 * tensors (in plain JS on the cpu backend, see foldInJs). Eval mode is the affine kernel alone. Running statistics given as `tf.Variable`s are
 * updated in place, as PyTorch updates its buffers (unbiased variance for the update, biased for
 * normalising).
 *
 * The gradients (registered once by kernel name, below) are built from ops, PtNormAffine
 * included, so every full-size pass of the backward is one of our kernels or a plain
 * same-shape multiply and a row sum.
 */
import {add, broadcastTo, engine, getBackend, getKernel, GradConfig, mean as tfMean, mul, NamedTensorMap, ones, op, reshape, rsqrt, scalar, sum, Tensor, tensor, TensorLike, Variable, zeros} from '@tensorflow/tfjs-core';
import {checkBool, checkInt, checkNumber, checkOptions, describeValue} from './args.js';
import {fmtShape} from './geometry.js';
import {NormAffine, NormRowSums, NormStats, NormStatsAttrs} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

/** A float32 tensor for a norm's argument (dtype checked here, with the norm's own wording). */
function floatArg(x: Tensor|TensorLike, argName: string, opName: string): Tensor {
  if (x instanceof Tensor && x.dtype !== 'float32') {
    throw new Error(`${opName}: argument '${argName}' must be a float32 tensor, but got a ` +
        `${x.dtype} tensor (cast with tf.cast(x, 'float32'))`);
  }
  return toFloatTensor(x, argName, opName);
}

function optionalArg(x: Tensor|TensorLike|null|undefined, argName: string, opName: string):
    Tensor|null {
  return x == null ? null : floatArg(x, argName, opName);
}

/** The input as [N, C, S], refusing fewer than 2 dimensions. */
function inputView(opName: string, x: Tensor): [number, number, number] {
  if (x.rank < 2) {
    throw new Error(`${opName}: expected input with 2 or more dimensions [N, C, …] (channels ` +
        `first), but got input of size ${fmtShape(x.shape)}`);
  }
  const [n, c, ...spatial] = x.shape;
  return [n, c, spatial.reduce((a, b) => a * b, 1)];
}

/**
 * PyTorch's check_dims_match_num_input_features: `size` elements expected in `t`. Instance norm
 * (`repeat` = N) counts, as PyTorch does, the [C] tensor repeated over the batch; the message
 * says so.
 */
function checkNumel(opName: string, what: string, t: Tensor|null, size: number, repeat = 1) {
  if (t != null && t.size * repeat !== size) {
    const why = repeat === 1 ? '' : ` (PyTorch's count: ${what} of size ${fmtShape(t.shape)} ` +
        `repeated over the batch of ${repeat}, for ${size / repeat} channels)`;
    throw new Error(`${opName}: ${what} should contain ${size} elements not ` +
        `${t.size * repeat}${why}`);
  }
}

/**
 * The momentum of an op: a number (default 0.1). `null` is refused, as PyTorch's functional forms
 * refuse None (only the layers give it a meaning: the cumulative average).
 */
function checkMomentum(opName: string, momentum: unknown): number {
  if (momentum === null) {
    throw new Error(`${opName}: argument 'momentum' must be a finite number, but got null ` +
        `(PyTorch's ${opName === 'batchNorm' ? 'batch_norm' : 'instance_norm'} takes a float; ` +
        `the layers' momentum: null is the cumulative average over num_batches_tracked)`);
  }
  return checkNumber(opName, 'momentum', momentum, {dflt: 0.1});
}

/** A running statistic that training updates in place: a tf.Variable, or null. */
function checkRunning(opName: string, argName: string, t: Tensor|null, updates: boolean) {
  if (updates && t != null && !(t instanceof Variable)) {
    throw new Error(`${opName}: argument '${argName}' must be a tf.Variable (or null) when the ` +
        `running statistics are updated (training), because PyTorch updates it in place and ` +
        `a tfjs Tensor is immutable; but got ${describeValue(t)}`);
  }
}

function runStats(x: Tensor, attrs: NormStatsAttrs): [Tensor, Tensor] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return engine().runKernel(NormStats, {x}, attrs as any) as unknown as [Tensor, Tensor];
}

/**
 * (x − mean)·scale + shift; null for mean or shift means 0. The kernel takes them as optional,
 * but the ops always pass all four: tfjs saves a gradient's inputs by name and cannot save a
 * missing one.
 */
function runAffine(x: Tensor, mean: Tensor|null, scale: Tensor, shift: Tensor|null): Tensor {
  const inputs: NamedTensorMap = {x, mean: mean ?? zeros([x.shape[1] as number]), scale,
                                  shift: shift ?? zeros([x.shape[1] as number])};
  return engine().runKernel(NormAffine, inputs, {}) as Tensor;
}

/**
 * Whether the small per-channel tensors are folded in plain JS rather than by tfjs ops: on the
 * cpu backend, where reading C floats synchronously is a lookup and each op a dispatch that costs
 * more than the arithmetic (on a U-Net's small maps, more than the norm's own passes), and only
 * while no gradient is recorded, since tfjs cannot differentiate through the fold. The fold
 * rounds to float32 where the ops would, so both give the same bits.
 */
function foldInJs(): boolean {
  return jsFold && getBackend() === 'cpu' && !engine().isTapeOn();
}

let jsFold = true;

/**
 * Internal (tests, benchmarks): whether the cpu backend folds the per-channel tensors and updates
 * the running statistics in plain JS (the default) or with the tfjs ops every backend uses.
 */
export function setNormFoldInJs(on: boolean): void {
  jsFold = on;
}

/**
 * (x − mean)·weight·rsqrt(var + eps) + bias: `[C]` parameters; `[C]` or `[N, C]` statistics,
 * or `[N, G]` for group norm (each group's value repeated over its C/G channels). One
 * PtNormAffine kernel (and, off the cpu fast path, three small ops for the fold).
 */
function normalise(x: Tensor, mean: Tensor, variance: Tensor, eps: number, weight: Tensor|null,
                   bias: Tensor|null): Tensor {
  const n = x.shape[0] as number, c = x.shape[1] as number;
  const perSample = mean.rank === 2, g = perSample ? mean.shape[1] as number : c;
  if (!foldInJs()) {
    const $mean = perSample ? groupsToChannels(mean, n, g, c) : mean;
    const $var = perSample ? groupsToChannels(variance, n, g, c) : variance;
    const invstd = rsqrt(add($var, scalar(eps)));
    return runAffine(x, $mean, weight == null ? invstd : mul(invstd, weight), bias);
  }
  const mv = mean.dataSync(), vv = variance.dataSync(), wv = weight && weight.dataSync();
  const rows = perSample ? n * c : c, cg = c / g, e = Math.fround(eps);
  const m = new Float32Array(rows), a = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const ch = r % c, st = perSample ? Math.floor(r / c) * g + Math.floor(ch / cg) : ch;
    m[r] = mv[st];
    // As Add, Rsqrt and Multiply on float32 (cpu: 1/√ then rounding).
    const invstd = Math.fround(1 / Math.sqrt(Math.fround(vv[st] + e)));
    a[r] = wv == null ? invstd : invstd * wv[ch];
  }
  const shape = perSample ? [n, c] : [c];
  return runAffine(x, tensor(m, shape), tensor(a, shape), bias);
}

/** `t` as a `[c]` vector (itself when it is one: every op costs tfjs a dispatch). */
function vector(t: Tensor, c: number): Tensor {
  return t.rank === 1 ? t : reshape(t, [c]);
}

/**
 * running ← (1 − m)·running + m·factor·value, in place; `value` `[C]`, or `[N, C]` averaged over
 * the batch first (instance norm). On the cpu backend in plain JS (float32 roundings as the
 * ops'): the update is never differentiated.
 */
function updateRunning(running: Tensor|null, value: Tensor, momentum: number, factor = 1) {
  if (running == null) return;
  const v = running as Variable;
  if (jsFold && getBackend() === 'cpu') {
    const old = v.dataSync(), val = value.dataSync(), c = old.length, reps = val.length / c;
    const keep = Math.fround(1 - momentum), take = Math.fround(momentum * factor);
    const out = new Float32Array(c);
    for (let ch = 0; ch < c; ch++) {
      let avg = 0;
      for (let i = 0; i < reps; i++) avg += val[i * c + ch];
      avg = reps === 1 ? avg : Math.fround(avg / reps);
      out[ch] = Math.fround(old[ch] * keep) + Math.fround(avg * take);
    }
    v.assign(tensor(out, v.shape));
    return;
  }
  const $mean = value.rank === 2 ? tfMean(value, 0) : value;
  const $value = v.rank === $mean.rank ? $mean : reshape($mean, v.shape);
  v.assign(add(mul(v, scalar(1 - momentum)), mul($value, scalar(momentum * factor))));
}

/**
 * An empty batch: PyTorch returns a clone of the input (and leaves the running statistics as they
 * are); nothing for the kernels to do.
 */
function emptyResult(x: Tensor): Tensor {
  return zeros(x.shape);
}

export interface BatchNormOptions {
  /** `[C]` scale γ (PyTorch's `weight`), or null. */
  weight?: Tensor|TensorLike|null;
  /** `[C]` shift β, or null. */
  bias?: Tensor|TensorLike|null;
  /** Batch statistics (true) or the running ones (false, the default). */
  training?: boolean;
  /** Weight of the batch statistics in the running update, default 0.1 (not null). */
  momentum?: number;
  /** Added to the variance, default 1e-5. */
  eps?: number;
}

const BATCH_NORM_OPTIONS = ['weight', 'bias', 'training', 'momentum', 'eps'] as const;

/**
 * PyTorch's `F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
 * eps)`: per channel, `(x − mean)/√(var + eps)·weight + bias`, with the batch's statistics over
 * N and the spatial axes (training) or the running ones (eval).
 *
 * @param input `[N, C, …]`: `[N, C]`, NCL, NCHW or NCDHW.
 * @param runningMean `[C]`, or null (training only). Updated in place when training, which
 *     needs a `tf.Variable`: `running ← (1 − momentum)·running + momentum·batchMean`.
 * @param runningVar `[C]`, or null (training only); updated with the unbiased batch variance.
 */
function batchNorm_<T extends Tensor>(
    input: T|TensorLike, runningMean: Tensor|TensorLike|null,
    runningVar: Tensor|TensorLike|null, options: BatchNormOptions = {}): T {
  const name = 'batchNorm';
  const o = checkOptions(name, options, BATCH_NORM_OPTIONS);
  const training = checkBool(name, 'training', o.training, false);
  const momentum = checkMomentum(name, o.momentum);
  const eps = checkNumber(name, 'eps', o.eps, {dflt: 1e-5});
  const x = floatArg(input, 'input', name);
  const rm = optionalArg(runningMean, 'runningMean', name);
  const rv = optionalArg(runningVar, 'runningVar', name);
  const w = optionalArg(o.weight, 'weight', name), b = optionalArg(o.bias, 'bias', name);
  const [n, c, s] = inputView(name, x);
  // PyTorch's order: the batch size (F.batch_norm), then the buffers, weight and bias (ATen).
  if (training && n * s === 1) {
    throw new Error(`${name}: Expected more than 1 value per channel when training, got input ` +
        `size ${fmtShape(x.shape)}`);
  }
  checkNumel(name, 'runningMean', rm, c);
  if (rm == null && !training) {
    throw new Error(`${name}: runningMean must be defined in evaluation mode`);
  }
  checkNumel(name, 'runningVar', rv, c);
  if (rv == null && !training) {
    throw new Error(`${name}: runningVar must be defined in evaluation mode`);
  }
  checkNumel(name, 'weight', w, c);
  checkNumel(name, 'bias', b, c);
  checkRunning(name, 'runningMean', rm, training);
  checkRunning(name, 'runningVar', rv, training);
  if (x.size === 0) return emptyResult(x) as T;
  const $w = w && vector(w, c), $b = b && vector(b, c);
  let mean: Tensor, variance: Tensor;
  if (training) {
    [mean, variance] = runStats(x, {groups: c, perSample: false});
    const m = n * s;
    updateRunning(rm, mean, momentum);
    updateRunning(rv, variance, momentum, m / (m - 1));
  } else {
    mean = vector(rm!, c);
    variance = vector(rv!, c);
  }
  return normalise(x, mean, variance, eps, $w, $b) as T;
}

export const batchNorm = op({batchNorm_});

export interface InstanceNormOptions {
  /** `[C]` running mean: used when `useInputStats` is false, else updated in place if given. */
  runningMean?: Tensor|TensorLike|null;
  /** `[C]` running variance, likewise. */
  runningVar?: Tensor|TensorLike|null;
  weight?: Tensor|TensorLike|null;
  bias?: Tensor|TensorLike|null;
  /** Normalise with each sample's own statistics (default true), or the running ones. */
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

const INSTANCE_NORM_OPTIONS =
    ['runningMean', 'runningVar', 'weight', 'bias', 'useInputStats', 'momentum', 'eps'] as const;

/**
 * PyTorch's `F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
 * momentum, eps)`: per sample and channel, over the spatial axes. With `useInputStats` (the
 * default) and running statistics given (`tf.Variable`s), those are updated in place with the
 * batch average of the per-sample statistics (unbiased variance), as PyTorch does.
 */
function instanceNorm_<T extends Tensor>(input: T|TensorLike, options: InstanceNormOptions = {}):
    T {
  const name = 'instanceNorm';
  const o = checkOptions(name, options, INSTANCE_NORM_OPTIONS);
  const useInputStats = checkBool(name, 'useInputStats', o.useInputStats, true);
  const momentum = checkMomentum(name, o.momentum);
  const eps = checkNumber(name, 'eps', o.eps, {dflt: 1e-5});
  const x = floatArg(input, 'input', name);
  const rm = optionalArg(o.runningMean, 'runningMean', name);
  const rv = optionalArg(o.runningVar, 'runningVar', name);
  const w = optionalArg(o.weight, 'weight', name), b = optionalArg(o.bias, 'bias', name);
  const [n, c, s] = inputView(name, x);
  if (useInputStats && s === 1) {
    throw new Error(`${name}: Expected more than 1 spatial element when training, got input ` +
        `size ${fmtShape(x.shape)}`);
  }
  if (!useInputStats && (rm == null || rv == null)) {
    throw new Error(`${name}: Expected runningMean and runningVar to be defined when ` +
        `useInputStats is false`);
  }
  // PyTorch repeats the [C] tensors over the batch and checks the [N·C] results.
  checkNumel(name, 'runningMean', rm, n * c, n);
  checkNumel(name, 'runningVar', rv, n * c, n);
  checkNumel(name, 'weight', w, n * c, n);
  checkNumel(name, 'bias', b, n * c, n);
  checkRunning(name, 'runningMean', rm, useInputStats);
  checkRunning(name, 'runningVar', rv, useInputStats);
  if (x.size === 0) return emptyResult(x) as T;
  const $w = w && vector(w, c), $b = b && vector(b, c);
  let mean: Tensor, variance: Tensor;
  if (useInputStats) {
    [mean, variance] = runStats(x, {groups: c, perSample: true});  // [N, C]
    // The batch average of the instance statistics only when there are running ones to update.
    updateRunning(rm, mean, momentum);
    updateRunning(rv, variance, momentum, s / (s - 1));
  } else {
    mean = vector(rm!, c);
    variance = vector(rv!, c);
  }
  return normalise(x, mean, variance, eps, $w, $b) as T;
}

export const instanceNorm = op({instanceNorm_});

export interface GroupNormOptions {
  weight?: Tensor|TensorLike|null;
  bias?: Tensor|TensorLike|null;
  eps?: number;
}

const GROUP_NORM_OPTIONS = ['weight', 'bias', 'eps'] as const;

/** `[N, G]` per-group values as `[N, C]` per-channel ones (each repeated C/G times). */
function groupsToChannels(t: Tensor, n: number, g: number, c: number): Tensor {
  if (g === c) return t;
  return reshape(broadcastTo(reshape(t, [n, g, 1]), [n, g, c / g]), [n, c]);
}

/**
 * PyTorch's `F.group_norm(input, num_groups, weight, bias, eps)`: per sample, over each group
 * of C/numGroups consecutive channels and the spatial axes; then per-channel weight and bias.
 */
function groupNorm_<T extends Tensor>(
    input: T|TensorLike, numGroups: number, options: GroupNormOptions = {}): T {
  const name = 'groupNorm';
  const o = checkOptions(name, options, GROUP_NORM_OPTIONS);
  const eps = checkNumber(name, 'eps', o.eps, {dflt: 1e-5});
  const g = checkInt(name, 'numGroups', numGroups, 1);
  const x = floatArg(input, 'input', name);
  const w = optionalArg(o.weight, 'weight', name), b = optionalArg(o.bias, 'bias', name);
  const [n, c, s] = inputView(name, x);
  // F.group_norm's _verify_batch_size on [N·C // G, G, …spatial].
  if (Math.floor(n * c / g) * s === 1) {
    throw new Error(`${name}: Expected more than 1 value per channel when training, got input ` +
        `size ${fmtShape([Math.floor(n * c / g), g, ...x.shape.slice(2)])}`);
  }
  if (c % g !== 0) {
    throw new Error(`${name}: Expected number of channels in input to be divisible by ` +
        `numGroups, but got input of shape ${fmtShape(x.shape)} and numGroups=${g}`);
  }
  for (const [what, t] of [['weight', w], ['bias', b]] as const) {
    if (t != null && !(t.rank === 1 && t.size === c)) {
      throw new Error(`${name}: Expected ${what} to be a vector of size equal to the number of ` +
          `channels in input, but got ${what} of shape ${fmtShape(t.shape)} and input of ` +
          `shape ${fmtShape(x.shape)}`);
    }
  }
  if (x.size === 0) return emptyResult(x) as T;
  const [mean, variance] = runStats(x, {groups: g, perSample: true});  // [N, G]
  return normalise(x, mean, variance, eps, w, b) as T;
}

export const groupNorm = op({groupNorm_});

// --- gradients ---------------------------------------------------------------------------------

/** Σ over the spatial axes of [N, C, …] → [N, C]. */
function rowSums(t: Tensor): Tensor {
  const [n, c, ...spatial] = t.shape;
  return sum(reshape(t, [n, c, spatial.reduce((a, b) => a * b, 1)]), 2);
}

/** A `[N, C]` gradient for an input of `like`'s shape (`[C]`: summed over the batch). */
function asParam(rows: Tensor, like: Tensor): Tensor {
  return like.rank === 2 ? rows : sum(rows, 0);
}

/**
 * PtNormAffine, y = (x − mean)·scale + shift per row: dx = dy·scale (the kernel itself),
 * dscale = Σ dy·(x − mean) (centred before the product, so no cancellation for data far from 0),
 * dmean = −scale·Σ dy, dshift = Σ dy, each summed over the batch for a `[C]` input. The row sums
 * are one PtNormRowSums pass, made here once for the three (tfjs runs each input's gradient in
 * its own tidy, so they cannot be shared lazily).
 */
export const normAffineGradConfig: GradConfig = {
  kernelName: NormAffine,
  inputsToSave: ['x', 'mean', 'scale', 'shift'],
  gradFunc: (dy, saved) => {
    const $dy = dy as Tensor;
    const [x, mean, scale, shift] = saved;
    const [sumDy, sumDyCentred] = normRowSums($dy, x, mean);
    return {
      x: () => runAffine($dy, null, scale, null),
      mean: () => asParam(mul(mul(sumDy, scale), scalar(-1)), mean),
      scale: () => asParam(sumDyCentred, scale),
      shift: () => asParam(sumDy, shift),
    };
  },
};

/** [Σ dy, Σ dy·(x − mean)] per (n, c) row: PtNormRowSums where the backend has it, else ops. */
function normRowSums(dy: Tensor, x: Tensor, mean: Tensor): [Tensor, Tensor] {
  if (getKernel(NormRowSums, getBackend()) != null) {
    return engine().runKernel(NormRowSums, {dy, x, mean}) as unknown as [Tensor, Tensor];
  }
  return [rowSums(dy), rowSums(mul(dy, runAffine(x, mean, ones(mean.shape), null)))];
}

/**
 * PtNormRowSums (double backward): both sums are linear in dy, and the second in x − mean.
 * d/ddy = gA + (x − mean)·gB per row; d/dx = dy·gB; d/dmean = −gB·Σ dy.
 */
export const normRowSumsGradConfig: GradConfig = {
  kernelName: NormRowSums,
  inputsToSave: ['dy', 'x', 'mean'],
  gradFunc: (gs, saved) => {
    const [gA, gB] = gs as Tensor[];
    const [dy, x, mean] = saved;
    const [n, c, ...spatial] = x.shape;
    const perRow = (t: Tensor) => reshape(t, [n, c, ...spatial.map(() => 1)]);
    return {
      dy: () => runAffine(x, mean, gB, gA),
      x: () => mul(dy, perRow(gB)),
      mean: () => asParam(mul(mul(gB, rowSums(dy)), scalar(-1)), mean),
    };
  },
};

/**
 * PtNormStats: with M elements per statistic, ∂mean/∂x = 1/M and ∂var/∂x = 2(x − mean)/M, so
 * dx = (x − mean)·(2·dvar/M) + dmean/M per statistic: one PtNormAffine.
 */
export const normStatsGradConfig: GradConfig = {
  kernelName: NormStats,
  inputsToSave: ['x'],
  outputsToSave: [true, false],
  gradFunc: (dys, saved, attrs) => {
    const [dmean, dvar] = dys as Tensor[];
    const [x, mean] = saved;
    const {groups, perSample} = attrs as unknown as NormStatsAttrs;
    const [n, c, ...spatial] = x.shape;
    const m = (perSample ? 1 : n) * (c / groups) * spatial.reduce((p, q) => p * q, 1);
    const toChannels = (t: Tensor) => perSample ? groupsToChannels(t, n, groups, c) :
        groups === c ? t : reshape(broadcastTo(reshape(t, [groups, 1]), [groups, c / groups]), [c]);
    return {
      x: () => runAffine(x, toChannels(mean), toChannels(mul(dvar, scalar(2 / m))),
                         toChannels(mul(dmean, scalar(1 / m)))),
    };
  },
};

export const normGradConfigs = [normAffineGradConfig, normStatsGradConfig, normRowSumsGradConfig];
