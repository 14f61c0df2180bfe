/** Input conversion shared by our ops (tfjs-core does not export its own convertToTensor). */
import {Tensor, tensor, TensorLike} from '@tensorflow/tfjs-core';

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
