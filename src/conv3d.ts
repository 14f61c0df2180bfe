import {engine, op, reshape, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {attrsOf, Conv3DOptions, convInfo, SpatialDims, userShape} from './geometry.js';
import {Conv3D} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

/** A PyTorch-semantics convolution with `nd` spatial axes, run by the 3-D kernel. */
export function convNd(
    nd: SpatialDims, name: string, input: Tensor|TensorLike, weight: Tensor|TensorLike,
    bias: Tensor|TensorLike|null|undefined, options: Conv3DOptions): Tensor {
  const $x = toFloatTensor(input, 'input', name);
  const $w = toFloatTensor(weight, 'weight', name);
  const $b = bias == null ? null : toFloatTensor(bias, 'bias', name);
  const info = convInfo(nd, name, $x.shape, $w.shape, $b?.shape, options);
  const x5 = $x.rank === 5 ? $x : reshape($x, info.outShape);
  const w5 = nd === 3 ? $w : reshape($w, info.weightShape);
  const inputs = $b ? {x: x5, weight: w5, bias: $b} : {x: x5, weight: w5};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const y = engine().runKernel(Conv3D, inputs as any, attrsOf(info) as any) as Tensor;
  const shape = userShape(info.inShape, nd, $x.rank === nd + 2);
  return shape.length === 5 ? y : reshape(y, shape);
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
