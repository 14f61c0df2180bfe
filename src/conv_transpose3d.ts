import {engine, op, reshape, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {attrsOf, ConvTranspose3DOptions, convTransposeInfo, SpatialDims, userShape} from './geometry.js';
import {ConvTranspose3D} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

/**
 * A transposed convolution with `nd` spatial axes, run by the 3-D kernel: 1-D and 2-D inputs get
 * unit leading spatial axes (a reshape, no copy), which the kernels handle at no extra cost.
 */
export function convTransposeNd(
    nd: SpatialDims, name: string, input: Tensor|TensorLike, weight: Tensor|TensorLike,
    bias: Tensor|TensorLike|null|undefined, options: ConvTranspose3DOptions): Tensor {
  const $x = toFloatTensor(input, 'input', name);
  const $w = toFloatTensor(weight, 'weight', name);
  const $b = bias == null ? null : toFloatTensor(bias, 'bias', name);
  const info = convTransposeInfo(nd, name, $x.shape, $w.shape, $b?.shape, options);
  const x5 = $x.rank === 5 ? $x : reshape($x, info.inShape);
  const w5 = nd === 3 ? $w : reshape($w, info.weightShape);
  const inputs = $b ? {x: x5, weight: w5, bias: $b} : {x: x5, weight: w5};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const y = engine().runKernel(ConvTranspose3D, inputs as any, attrsOf(info) as any) as Tensor;
  const shape = userShape(info.outShape, nd, $x.rank === nd + 2);
  return shape.length === 5 ? y : reshape(y, shape);
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
