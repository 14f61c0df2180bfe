import {op, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {Conv3DOptions, SpatialDims} from './geometry.js';
import {runConvKernel} from './op_util.js';

/** A PyTorch-semantics convolution with `nd` spatial axes, run by the 3-D kernel. */
export function convNd(
    nd: SpatialDims, name: string, input: Tensor|TensorLike, weight: Tensor|TensorLike,
    bias: Tensor|TensorLike|null|undefined, options: Conv3DOptions): Tensor {
  return runConvKernel(false, nd, name, input, weight, bias, options);
}

/**
 * PyTorch's `torch.nn.functional.conv3d(input, weight, bias, stride, padding, dilation, groups)`
 * (numeric padding; NCDHW; groups; any stride with any dilation). It is the input gradient of
 * `convTranspose3d`, and `convTranspose3d` is its input gradient.
 *
 * @param input `[N, Cin, D, H, W]` or unbatched `[Cin, D, H, W]`.
 * @param weight `[Cout, Cin/groups, kD, kH, kW]`.
 * @param bias `[Cout]`, optional.
 * @returns per axis `out = floor((in + 2·padding − dilation·(k − 1) − 1) / stride) + 1`.
 */
function conv3d_<T extends Tensor>(
    input: T|TensorLike, weight: Tensor|TensorLike, bias?: Tensor|TensorLike|null,
    options: Conv3DOptions = {}): T {
  return convNd(3, 'conv3d', input, weight, bias, options) as T;
}

export const conv3d = op({conv3d_});
