import {engine, op, reshape, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {attrsOf, ConvTranspose3DOptions, convTranspose3dInfo} from './geometry.js';
import {ConvTranspose3D} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

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
  const name = 'convTranspose3d';
  const $x = toFloatTensor(input, 'input', name);
  const $w = toFloatTensor(weight, 'weight', name);
  const $b = bias == null ? null : toFloatTensor(bias, 'bias', name);
  const info = convTranspose3dInfo(name, $x.shape, $w.shape, $b?.shape, options);
  const unbatched = $x.rank === 4;
  const x5 = unbatched ? reshape($x, info.inShape) : $x;
  const inputs = $b ? {x: x5, weight: $w, bias: $b} : {x: x5, weight: $w};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const y = engine().runKernel(ConvTranspose3D, inputs as any, attrsOf(info) as any) as Tensor;
  return (unbatched ? reshape(y, info.outShape.slice(1)) : y) as T;
}

export const convTranspose3d = op({convTranspose3d_});
