/** What our ops share: input conversion and running a (transposed) convolution kernel. */
import {engine, reshape, Tensor, tensor, TensorLike} from '@tensorflow/tfjs-core';
import {attrsOf, Conv3DOptions, convInfo, ConvTranspose3DOptions, convTransposeInfo, SpatialDims, userShape} from './geometry.js';
import {Conv3D, ConvTranspose3D} from './kernel_names.js';

/**
 * A float32 Tensor from a Tensor or nested array. Other dtypes are refused, as PyTorch refuses
 * integer and boolean tensors in convolutions ("not implemented for 'Long'"); cast explicitly
 * with tf.cast if that is what you mean. Call inside an op so a created tensor is disposed.
 */
export function toFloatTensor(x: Tensor|TensorLike, argName: string, opName: string): Tensor {
  if (x instanceof Tensor) {
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
  try {
    return tensor(x as TensorLike, undefined, 'float32');
  } catch (e) {
    throw new Error(`${opName}: argument '${argName}' could not be converted to a float32 ` +
        `tensor: ${(e as Error).message}`);
  }
}

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
