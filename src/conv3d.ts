import {engine, op, reshape, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {attrsOf, Conv3DOptions, conv3dInfo} from './geometry.js';
import {Conv3D} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

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
  const name = 'conv3d';
  const $x = toFloatTensor(input, 'input', name);
  const $w = toFloatTensor(weight, 'weight', name);
  const $b = bias == null ? null : toFloatTensor(bias, 'bias', name);
  const info = conv3dInfo(name, $x.shape, $w.shape, $b?.shape, options);
  const unbatched = $x.rank === 4;
  const x5 = unbatched ? reshape($x, info.outShape) : $x;
  const inputs = $b ? {x: x5, weight: $w, bias: $b} : {x: x5, weight: $w};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const y = engine().runKernel(Conv3D, inputs as any, attrsOf(info) as any) as Tensor;
  return (unbatched ? reshape(y, info.inShape.slice(1)) : y) as T;
}

export const conv3d = op({conv3d_});
