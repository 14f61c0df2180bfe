import {op, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {ConvTranspose3DOptions, SpatialDims} from './geometry.js';
import {runConvKernel} from './op_util.js';

/** A transposed convolution with `nd` spatial axes, run by the 3-D kernel (see runConvKernel). */
export function convTransposeNd(
    nd: SpatialDims, name: string, input: Tensor|TensorLike, weight: Tensor|TensorLike,
    bias: Tensor|TensorLike|null|undefined, options: ConvTranspose3DOptions): Tensor {
  return runConvKernel(true, nd, name, input, weight, bias, options);
}

/**
 * PyTorch's `torch.nn.functional.conv_transpose3d(input, weight, bias, stride, padding,
 * output_padding, groups, dilation)`, plus `outputSize` as in `ConvTranspose3d.forward`.
 *
 * @param input `[N, Cin, D, H, W]`, or unbatched `[Cin, D, H, W]` (the result is then unbatched).
 * @param weight `[Cin, Cout/groups, kD, kH, kW]`, PyTorch's layout, used verbatim.
 * @param bias `[Cout]`, optional.
 * @returns `[N, Cout, Dout, Hout, Wout]` with, per axis,
 *   `out = (in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1`.
 */
function convTranspose3d_<T extends Tensor>(
    input: T|TensorLike, weight: Tensor|TensorLike, bias?: Tensor|TensorLike|null,
    options: ConvTranspose3DOptions = {}): T {
  return convTransposeNd(3, 'convTranspose3d', input, weight, bias, options) as T;
}

export const convTranspose3d = op({convTranspose3d_});
