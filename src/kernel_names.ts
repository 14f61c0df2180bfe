/**
 * Names, inputs and attrs of every kernel of ours (as tfjs' kernel_names.ts). The names carry a
 * prefix so that they never collide with tfjs' own `Conv3D` / `Conv3DBackpropInputV2` kernels,
 * whose semantics (NDHWC, no groups, SAME/VALID padding) differ.
 *
 * The three convolution kernels work on 5-D NCDHW tensors and receive normalised attrs from the
 * geometry module; they rebuild the full geometry record from their inputs' shapes with it.
 * BiasGrad (last) is a reduction that only the cpu and wasm backends register.
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
 * and Conv3D. Registered for the cpu and wasm backends (one pass on the compute core); the
 * gradients use tfjs' sum on backends without it.
 */
export const BiasGrad = 'PtBiasGrad';
export type BiasGradInputs = {dy: TensorInfo};

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
