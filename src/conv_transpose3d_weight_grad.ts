import {engine, op, Tensor, TensorLike} from '@tensorflow/tfjs-core';
import {attrsOf, ConvTranspose3DOptions, convTranspose3dInfo, fmtShape, toTriple} from './geometry.js';
import {ConvTranspose3DWeightGrad} from './kernel_names.js';
import {checkOptions} from './args.js';
import {CONV_TRANSPOSE_OPTION_KEYS, toFloatTensor} from './op_util.js';

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
  options = checkOptions(name, options, CONV_TRANSPOSE_OPTION_KEYS);
  // Required, as the weight's spatial size cannot be told from input and dy alone.
  if (kernelSize == null) {
    throw new Error(`${name}: argument 'kernelSize' is required (an integer or a list of 3 ` +
        `integers: the weight's [kD, kH, kW]), but got ${String(kernelSize)}`);
  }
  const $x = toFloatTensor(input, 'input', name);
  const $dy = toFloatTensor(dy, 'dy', name);
  if ($x.rank !== 5 || $dy.rank !== 5) {
    throw new Error(`${name}: expected 5-D input and dy, but got input of size ` +
        `${fmtShape($x.shape)} and dy of size ${fmtShape($dy.shape)}`);
  }
  const xShape = $x.shape as number[], dyShape = $dy.shape as number[];
  const k = toTriple(name, 'kernelSize', kernelSize, 1);
  if (k.some(v => v < 1)) {
    throw new Error(`${name}: argument 'kernelSize' must be positive, but got kernelSize=` +
        `${fmtShape(k)}`);
  }
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1 || dyShape[1] % groups !== 0) {
    throw new Error(`${name}: dy's ${$dy.shape[1]} channels are not divisible by groups=` +
        `${groups}`);
  }
  const fromDy = options.outputPadding == null && options.outputSize == null;
  const opts = fromDy ? {...options, outputSize: $dy.shape} : options;
  let info;
  try {
    info = convTranspose3dInfo(name, xShape, [xShape[1], dyShape[1] / groups, ...k], null, opts);
  } catch (e) {
    const msg = (e as Error).message;
    if (!fromDy || !/requested an output size/.test(msg)) throw e;
    throw new Error(`${name}: dy of size ${fmtShape(dyShape)} cannot be the output of ` +
        `convTranspose3d for an input of size ${fmtShape(xShape)} and kernelSize ` +
        `${fmtShape(k)} with these options (${msg.slice(name.length + 2)})`);
  }
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
