/**
 * What the convolution layers (`Conv{3,2,1}d` in conv.ts, `ConvTranspose{3,2,1}d` in
 * conv_transpose3d.ts) share as tfjs layers: the channels-first input check, PyTorch's weights
 * `kernel` and `bias` with their U(±1/√fanIn) initialisation, and the stand-in sizes that let the
 * shared geometry compute an output shape when some dimensions are unknown.
 */
import {layers as tfl, LayerVariable, Shape} from '@tensorflow/tfjs-layers';
import {fmtShape, SpatialDims} from '../geometry.js';
import {TorchUniform} from './torch_uniform.js';
import type {Initializer} from './tfjs_types.js';

/** A large size standing in for an unknown one, to run the geometry's checks on the others. */
const STAND_IN = 1 << 20;

export abstract class TorchConvLayer extends tfl.Layer {
  abstract readonly spatialDims: SpatialDims;
  protected abstract readonly torchName: string;
  abstract readonly inChannels: number;
  abstract readonly outChannels: number;
  abstract readonly useBias: boolean;
  kernel: LayerVariable|null = null;
  bias: LayerVariable|null = null;

  /** `inputShape` as one shape, checked to be `[N, inChannels, …spatial]`. */
  protected channelsFirstInput(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const nd = this.spatialDims;
    if (shape.length !== nd + 2 || shape[1] !== this.inChannels) {
      const axes = ['D', 'H', 'W'].slice(3 - nd).join(', ');
      throw new Error(`${this.torchName}: expected input [N, ${this.inChannels}, ${axes}] ` +
          `(channels first), but got input shape ${fmtShape(shape.map(s => s ?? -1))} ` +
          `(-1 = unknown)`);
    }
    return shape;
  }

  /**
   * Declares `kernel` (PyTorch's `weight`, in its layout) and `bias`: PyTorch's
   * `reset_parameters` (kaiming_uniform_(a=√5) and the bias bound both reduce to
   * U(−1/√fanIn, 1/√fanIn)), with the fan-in each layer computes from its weight layout.
   */
  protected addTorchWeights(weightShape: number[], fanIn: number): void {
    const init = new TorchUniform({fanIn}) as unknown as Initializer;
    this.kernel = this.addWeight('kernel', weightShape, 'float32', init, undefined, true);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.outChannels], 'float32', init, undefined, true);
    }
    this.built = true;
  }

  /**
   * The input shape with unknown dimensions replaced: batch 1, channels `inChannels`, spatial
   * sizes a large stand-in; `known` says whether every spatial size was real (the geometry's size
   * limits apply only then: stand-ins are not real sizes).
   */
  protected standInShape(shape: Shape): {concrete: number[], known: boolean} {
    const concrete = shape.map((s, i) => s ?? (i === 0 ? 1 : STAND_IN));
    if (concrete.length === this.spatialDims + 2 && shape[1] == null) {
      concrete[1] = this.inChannels;
    }
    return {concrete, known: shape.slice(2).every(s => s != null)};
  }

  /** `out` with the dimensions that are unknown in `shape` (but channels) unknown again. */
  protected keepUnknown(out: Shape, shape: Shape): Shape {
    shape.forEach((s, i) => {
      if (s == null && i !== 1) out[i] = null;
    });
    return out;
  }
}
