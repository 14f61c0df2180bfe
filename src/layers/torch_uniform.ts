/** PyTorch's initialisation of convolution and Linear weights, as a tfjs initialiser. */
import {DataType, randomUniform, serialization, Tensor} from '@tensorflow/tfjs-core';
import type {Shape} from '@tensorflow/tfjs-layers';

/** The package name our classes are registered under (keys "tfjs-convtranspose3d>…"). */
export const SERIALIZATION_PACKAGE = 'tfjs-convtranspose3d';

/**
 * PyTorch's `reset_parameters` of convolutions and Linear: U(−b, b) with b = 1/√fanIn, for
 * both weight and bias (kaiming_uniform_(a=√5) reduces to this bound); fanIn is the weight's
 * `size(1)·Πk`: (outChannels/groups)·Πk for transposed convolutions, (inChannels/groups)·Πk for
 * convolutions, inFeatures for Linear. tfjs' initialisers compute channels-last fans,
 * which would be wrong for this layout, hence our own.
 */
export class TorchUniform extends serialization.Serializable {
  static className = 'PtTorchUniform';
  constructor(readonly config: {fanIn: number, seed?: number}) {
    super();
    if (!(Number.isInteger(config.fanIn) && config.fanIn > 0)) {
      throw new Error(`TorchUniform: fanIn must be a positive integer, but got ${config.fanIn}`);
    }
  }
  apply(shape: Shape, dtype: DataType = 'float32'): Tensor {
    const b = 1 / Math.sqrt(this.config.fanIn);
    return randomUniform(shape as number[], -b, b, dtype, this.config.seed);
  }
  fromConfigUsesCustomObjects() {
    return false;
  }
  getConfig(): serialization.ConfigDict {
    const c: serialization.ConfigDict = {fanIn: this.config.fanIn};
    if (this.config.seed != null) c.seed = this.config.seed;
    return c;
  }
}
serialization.registerClass(TorchUniform, SERIALIZATION_PACKAGE);
