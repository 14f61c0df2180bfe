import {engine, op, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {attrsOf, ConvTranspose3DOptions, convTranspose3dInfo, fmtShape, toTriple} from './geometry.js';
import {ConvTranspose3DWeightGrad} from './kernel_names.js';
import {toFloatTensor} from './op_util.js';

/**
 * The weight gradient of `convTranspose3d(input, weight)` given the upstream gradient `dy`:
 * `dWeight[ci, co, k] = Σ_n Σ_i input[n, ci, i] · dy[n, g·Cog + co, i·stride − padding +
 * k·dilation]`, shape `[Cin, Cout/groups, ...kernelSize]`. It is also `conv3d`'s weight gradient
 * with the roles swapped (`input` := conv3d's upstream gradient, `dy` := conv3d's input).
 *
 * Options are the forward's. When neither `outputPadding` nor `outputSize` is given, the output
 * padding is derived from `dy`'s size.
 */
function convTranspose3dWeightGrad_(
    input: Tensor|TensorLike, dy: Tensor|TensorLike, kernelSize: number|number[],
    options: ConvTranspose3DOptions = {}): Tensor {
  const name = 'convTranspose3dWeightGrad';
  const $x = toFloatTensor(input, 'input', name);
  const $dy = toFloatTensor(dy, 'dy', name);
  if ($x.rank !== 5 || $dy.rank !== 5) {
    throw new Error(`${name}: expected 5-D input and dy, but got input of size ` +
        `${fmtShape($x.shape)} and dy of size ${fmtShape($dy.shape)}`);
  }
  const xShape = $x.shape as number[], dyShape = $dy.shape as number[];
  const k = toTriple(name, 'kernelSize', kernelSize, 1);
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || dyShape[1] % groups !== 0) {
    throw new Error(`${name}: dy's ${$dy.shape[1]} channels are not divisible by groups=` +
        `${groups}`);
  }
  const opts = options.outputPadding == null && options.outputSize == null ?
      {...options, outputSize: $dy.shape} :
      options;
  const info = convTranspose3dInfo(
      name, xShape, [xShape[1], dyShape[1] / groups, ...k], null, opts);
  if (info.outShape.some((s, i) => s !== dyShape[i])) {
    throw new Error(`${name}: expected dy of size ${fmtShape(info.outShape)}, but got dy of ` +
        `size ${fmtShape($dy.shape)}`);
  }
  return engine().runKernel(
      ConvTranspose3DWeightGrad, {x: $x, dy: $dy},
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      {...attrsOf(info), kernelSize: info.kernelSize} as any) as Tensor;
}

export const convTranspose3dWeightGrad = op({convTranspose3dWeightGrad_});
