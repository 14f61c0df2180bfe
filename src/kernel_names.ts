/**
 * Names, inputs and attrs of every kernel of ours (as tfjs' kernel_names.ts). The names carry a
 * prefix so that they never collide with tfjs' own `Conv3D` / `Conv3DBackpropInputV2` kernels,
 * whose semantics (NDHWC, no groups, SAME/VALID padding) differ.
 *
 * The three convolution kernels work on 5-D NCDHW tensors and receive normalised attrs from the
 * geometry module; they rebuild the full geometry record from their inputs' shapes with it.
 * BiasGrad (last) is a reduction that the cpu, wasm and webgpu backends register.
 */
import type {NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';
import type {ConvTranspose3DAttrs, Triple} from './geometry.js';

/** y = convTranspose3d(x, weight) + bias. x: small side, y: big side. */
export const ConvTranspose3D = 'PtConvTranspose3D';
export type ConvTranspose3DInputs = {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
export type ConvTranspose3DKernelAttrs = ConvTranspose3DAttrs&NamedAttrMap;

/**
 * y = conv3d(x, weight) + bias with PyTorch semantics; the adjoint of ConvTranspose3D (its input
 * gradient). x: big side, y: small side.
 */
export const Conv3D = 'PtConv3D';
export type Conv3DInputs = {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
export type Conv3DKernelAttrs = ConvTranspose3DAttrs&NamedAttrMap;

/**
 * dWeight[ci, co, k] = Σ_n Σ_i x[n, ci, i] · dy[n, g·Cog + co, i·s − p + k·d]: the weight
 * gradient of ConvTranspose3D given its input `x` (small side) and upstream gradient `dy` (big
 * side). With the roles swapped it is also Conv3D's weight gradient.
 */
export const ConvTranspose3DWeightGrad = 'PtConvTranspose3DWeightGrad';
export type ConvTranspose3DWeightGradInputs = {x: TensorInfo, dy: TensorInfo};
export type ConvTranspose3DWeightGradAttrs =
    ConvTranspose3DAttrs&{kernelSize: Triple}&NamedAttrMap;

/**
 * db[c] = Σ_{n, d, h, w} dy[n, c, d, h, w] for a 5-D dy: the bias gradient of ConvTranspose3D
 * and Conv3D. Registered for the cpu and wasm backends (one pass on the compute core) and webgpu
 * (a workgroup reduction per channel); the
 * gradients use tfjs' sum on backends without it.
 */
export const BiasGrad = 'PtBiasGrad';
export type BiasGradInputs = {dy: TensorInfo};

// ---- padding (F.pad) ----
/** Padding modes of `pad` (PyTorch's F.pad). */
export type PadMode = 'constant'|'reflect'|'replicate'|'circular';
/**
 * y = F.pad(x, pad, mode, value): `pad` in PyTorch's order (last axis first, pairs (before,
 * after), negative crops). Gather form: each output element reads one input element (or value).
 */
export const Pad = 'PtPad';
export type PadInputs = {x: TensorInfo};
export type PadAttrs = {pad: number[], mode: PadMode, value: number}&NamedAttrMap;
/**
 * dx = the adjoint of Pad: every dy element added to the input element it was read from (with
 * reflect, replicate and circular several outputs read one input). `inShape` is x's shape.
 */
export const PadGrad = 'PtPadGrad';
export type PadGradInputs = {dy: TensorInfo};
export type PadGradAttrs = {pad: number[], mode: PadMode, inShape: number[]}&NamedAttrMap;
// ---- Pooling and interpolation (issue 14). Every kernel takes 5-D NCDHW tensors (1-D and 2-D
// ops add unit spatial axes in front) and normalised attrs; kernels rebuild the geometry record
// from their inputs' shapes with poolInfoFromAttrs / axisTables.
import type {PoolAttrs} from './pooling.js';
import type {InterpolateAttrs} from './interpolate.js';

/** y = maxPool3d(x) or avgPool3d(x) with PyTorch's semantics. */
export const MaxPool = 'PtMaxPool';
export const AvgPool = 'PtAvgPool';
export type PoolInputs = {x: TensorInfo};
export type PoolKernelAttrs = PoolAttrs&NamedAttrMap;
/**
 * int32 indices of MaxPool's maxima (PyTorch's return_indices: each window's first maximum as a
 * flat index into its input plane D·H·W; −1 for a window with no tap inside the input).
 */
export const MaxPoolIndices = 'PtMaxPoolIndices';
/** dx of MaxPool: each window's dy goes to its first maximum (in window order). */
export const MaxPoolGrad = 'PtMaxPoolGrad';
export type MaxPoolGradInputs = {x: TensorInfo, dy: TensorInfo};
/** dx of AvgPool: the adjoint (each window's dy / divisor to its taps); attrs carry x's shape. */
export const AvgPoolGrad = 'PtAvgPoolGrad';
export type AvgPoolGradInputs = {dy: TensorInfo};
export type PoolGradKernelAttrs = PoolAttrs&{inputShape: number[]}&NamedAttrMap;

/** y = interpolate(x, {size, mode, alignCorners}) with the output size resolved. */
export const Interpolate = 'PtInterpolate';
export type InterpolateInputs = {x: TensorInfo};
export type InterpolateKernelAttrs = InterpolateAttrs&NamedAttrMap;
/** dx of Interpolate: the adjoint of its gather; attrs carry x's shape. */
export const InterpolateGrad = 'PtInterpolateGrad';
export type InterpolateGradInputs = {dy: TensorInfo};
export type InterpolateGradKernelAttrs = InterpolateAttrs&{inputShape: number[]}&NamedAttrMap;
// --- normalisation (batch, instance, group norm): two memory-bound kernels -------------------

/**
 * Attrs of PtNormStats. The input is read as `[N, C, S]` (S = the product of the spatial axes);
 * its channels form `groups` groups of C/groups consecutive channels. One statistic per group
 * (`perSample` false: over the whole batch, batch norm with groups = C) or per (sample, group)
 * (`perSample` true: instance norm with groups = C, group norm).
 */
export type NormStatsAttrs = {groups: number, perSample: boolean};

/**
 * [mean, var] = the mean and the biased variance (÷ M) of each statistic's M elements, shapes
 * `[groups]` (perSample false) or `[N, groups]` (perSample true): one pass over x.
 */
export const NormStats = 'PtNormStats';
export type NormStatsInputs = {x: TensorInfo};
export type NormStatsKernelAttrs = NormStatsAttrs&NamedAttrMap;

/**
 * y[n, c, s] = (x[n, c, s] − mean[c]) · scale[c] + shift[c], x read as `[N, C, S]`, y of x's
 * shape. Each of mean, scale and shift is `[C]` (shared by the batch) or `[N, C]` (per sample);
 * mean and shift are optional (0). Every norm is its statistics, eps, weight and bias folded into
 * one such per-channel map (one pass, mean subtracted first as PyTorch's kernels do, so data far
 * from 0 keeps its precision), and so are both kernels' gradients with respect to x.
 */
export const NormAffine = 'PtNormAffine';
export type NormAffineInputs = {x: TensorInfo, mean?: TensorInfo, scale: TensorInfo,
                                shift?: TensorInfo};

/**
 * [Σ_s dy, Σ_s dy·(x − mean)] over each (n, c) row of S elements, each `[N, C]`; dy and x read as
 * `[N, C, S]` (the same shape), mean `[C]` or `[N, C]`: one pass over both. The reductions of
 * PtNormAffine's gradient (dshift, dmean and dscale), without a full-size product in between.
 */
export const NormRowSums = 'PtNormRowSums';
export type NormRowSumsInputs = {dy: TensorInfo, x: TensorInfo, mean: TensorInfo};
