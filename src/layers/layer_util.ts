/** What our layers' `call`s share. */
import type {Tensor} from '@tensorflow/tfjs-core';

/** The one input tensor of `call` (tfjs may pass it alone or as a one-element list). */
export function singleInput(torchName: string, inputs: Tensor|Tensor[]): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) {
      throw new Error(`${torchName}: expected exactly one input tensor, but got ${inputs.length}`);
    }
    return inputs[0];
  }
  return inputs;
}
