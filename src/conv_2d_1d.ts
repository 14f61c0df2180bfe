/**
 * The 2-D and 1-D ops: the same geometry module and the same 3-D kernels, with unit spatial
 * axes (see geometry.ts `lift`; PyTorch's own conv_transpose1d is conv_transpose2d on an
 * unsqueezed input).
 * Gradients and every backend come for free through the 3-D kernels.
 */
import {op, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {convNd} from './conv3d.js';
import {convTransposeNd} from './conv_transpose3d.js';
import {Conv3DOptions, ConvTranspose3DOptions} from './geometry.js';

/**
 * `torch.nn.functional.conv_transpose2d` (+ `outputSize`): input `[N, Cin, H, W]` or `[Cin, H,
 * W]`, weight `[Cin, Cout/groups, kH, kW]`, spatial options a number or a pair.
 */
function convTranspose2d_<T extends Tensor>(
    input: T|TensorLike, weight: Tensor|TensorLike, bias?: Tensor|TensorLike|null,
    options: ConvTranspose3DOptions = {}): T {
  return convTransposeNd(2, 'convTranspose2d', input, weight, bias, options) as T;
}

/**
 * `torch.nn.functional.conv_transpose1d` (+ `outputSize`): input `[N, Cin, L]` or `[Cin, L]`,
 * weight `[Cin, Cout/groups, kL]`.
 */
function convTranspose1d_<T extends Tensor>(
    input: T|TensorLike, weight: Tensor|TensorLike, bias?: Tensor|TensorLike|null,
    options: ConvTranspose3DOptions = {}): T {
  return convTransposeNd(1, 'convTranspose1d', input, weight, bias, options) as T;
}

/** `torch.nn.functional.conv2d` (numeric padding): weight `[Cout, Cin/groups, kH, kW]`. */
function conv2d_<T extends Tensor>(
    input: T|TensorLike, weight: Tensor|TensorLike, bias?: Tensor|TensorLike|null,
    options: Conv3DOptions = {}): T {
  return convNd(2, 'conv2d', input, weight, bias, options) as T;
}

/** `torch.nn.functional.conv1d` (numeric padding): weight `[Cout, Cin/groups, kL]`. */
function conv1d_<T extends Tensor>(
    input: T|TensorLike, weight: Tensor|TensorLike, bias?: Tensor|TensorLike|null,
    options: Conv3DOptions = {}): T {
  return convNd(1, 'conv1d', input, weight, bias, options) as T;
}

export const convTranspose2d = op({convTranspose2d_});
export const convTranspose1d = op({convTranspose1d_});
export const conv2d = op({conv2d_});
export const conv1d = op({conv1d_});
