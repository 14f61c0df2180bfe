/** What our ops share: input conversion and running a (transposed) convolution kernel. */
import {engine, reshape, Tensor, tensor, TensorLike} from '@tensorflow/tfjs-core';
import {checkOptions, describeValue} from './args.js';
import {attrsOf, Conv3DOptions, convInfo, ConvTranspose3DOptions, convTransposeInfo, SpatialDims, userShape} from './geometry.js';
import {Conv3D, ConvTranspose3D} from './kernel_names.js';

/**
 * A float32 Tensor from a Tensor or nested array. Other dtypes are refused, as PyTorch refuses
 * integer and boolean tensors in convolutions ("not implemented for 'Long'"); cast explicitly
 * with tf.cast if that is what you mean. Call inside an op so a created tensor is disposed.
 */
export function toFloatTensor(x: Tensor|TensorLike, argName: string, opName: string): Tensor {
  if (x instanceof Tensor) {
    if (x.isDisposed) {
      throw new Error(`${opName}: argument '${argName}' is a disposed tensor (shape ` +
          `[${x.shape.join(', ')}]); it was freed by dispose() or tf.tidy before this call`);
    }
    if (x.dtype !== 'float32') {
      throw new Error(`${opName}: argument '${argName}' must be a float32 tensor, but got a ` +
          `${x.dtype} tensor (convolutions are not implemented for integer or boolean ` +
          `tensors; cast with tf.cast(x, 'float32'))`);
    }
    return x;
  }
  if (x == null || (typeof x !== 'object' && typeof x !== 'number')) {
    throw new Error(`${opName}: argument '${argName}' must be a Tensor or a nested array of ` +
        `numbers, but got ${x === null ? 'null' : typeof x}`);
  }
  if (Array.isArray(x)) checkRectangular(x, argName, opName);
  try {
    return tensor(x as TensorLike, undefined, 'float32');
  } catch (e) {
    throw new Error(`${opName}: argument '${argName}' could not be converted to a float32 ` +
        `tensor: ${(e as Error).message}`);
  }
}

/**
 * Refuses a ragged nested array (`[[1, 2], [3]]`), as PyTorch does ("expected sequence of length
 * 2 at dim 1 (got 1)"): tfjs infers the shape from the first element of each level and would
 * build a tensor with fewer values than its shape (the missing ones read as NaN or as whatever
 * memory held). Iterative, so deep nesting cannot overflow the stack.
 */
function checkRectangular(x: unknown[], argName: string, opName: string): void {
  const shape: number[] = [];
  for (let v: unknown = x; Array.isArray(v) || ArrayBuffer.isView(v);
       v = Array.isArray(v) ? v[0] : undefined) {
    shape.push((v as ArrayLike<unknown>).length);
    if (!Array.isArray(v) || v.length === 0) break;
  }
  const stack: Array<[unknown, number]> = [[x, 0]];
  while (stack.length > 0) {
    const [v, dim] = stack.pop()!;
    const isList = Array.isArray(v) || ArrayBuffer.isView(v);
    if (dim < shape.length) {
      const len = isList ? (v as ArrayLike<unknown>).length : -1;
      if (len !== shape[dim]) {
        throw new Error(`${opName}: argument '${argName}' is a ragged nested array: expected ` +
            `sequence of length ${shape[dim]} at dim ${dim} (got ${isList ? len :
            describeValue(v)})`);
      }
      if (Array.isArray(v)) for (const e of v) stack.push([e, dim + 1]);
    } else if (isList) {
      throw new Error(`${opName}: argument '${argName}' is a ragged nested array: expected a ` +
          `number at dim ${dim} (got a sequence of length ${(v as ArrayLike<unknown>).length})`);
    }
  }
}

/** The option keys of the convolution ops (PyTorch's keyword arguments, in camelCase). */
export const CONV_OPTION_KEYS = ['stride', 'padding', 'dilation', 'groups'] as const;
export const CONV_TRANSPOSE_OPTION_KEYS =
    ['stride', 'padding', 'outputPadding', 'groups', 'dilation', 'outputSize'] as const;

/**
 * Validates and runs a convolution (`transposed` false: conv{nd}d, the 3-D kernel's input is the
 * record's big side) or a transposed convolution (`transposed` true: its input is the small side)
 * with `nd` spatial axes on our 3-D kernels: 1-D and 2-D tensors get unit spatial axes (a
 * reshape, no copy; see geometry.ts `lift`), unbatched ones a unit batch.
 */
export function runConvKernel(
    transposed: boolean, nd: SpatialDims, name: string, input: Tensor|TensorLike,
    weight: Tensor|TensorLike, bias: Tensor|TensorLike|null|undefined,
    options: ConvTranspose3DOptions|Conv3DOptions): Tensor {
  // Before any conversion: `convTranspose3d(x, w, b, {strides: 2})` must not run with stride 1.
  options = checkOptions(
      name, options, transposed ? CONV_TRANSPOSE_OPTION_KEYS : CONV_OPTION_KEYS);
  const $x = toFloatTensor(input, 'input', name);
  const $w = toFloatTensor(weight, 'weight', name);
  const $b = bias == null ? null : toFloatTensor(bias, 'bias', name);
  const info = transposed ?
      convTransposeInfo(nd, name, $x.shape, $w.shape, $b?.shape, options) :
      convInfo(nd, name, $x.shape, $w.shape, $b?.shape, options as Conv3DOptions);
  const [inShape, outShape] =
      transposed ? [info.inShape, info.outShape] : [info.outShape, info.inShape];
  const x5 = $x.rank === 5 ? $x : reshape($x, inShape);
  const w5 = nd === 3 ? $w : reshape($w, info.weightShape);
  const inputs = $b ? {x: x5, weight: w5, bias: $b} : {x: x5, weight: w5};
  const y = engine().runKernel(
      transposed ? ConvTranspose3D : Conv3D,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      inputs as any, attrsOf(info) as any) as Tensor;
  const shape = userShape(outShape, nd, $x.rank === nd + 2);
  return shape.length === 5 ? y : reshape(y, shape);
}
