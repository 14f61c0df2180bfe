/** `Linear`: PyTorch's `torch.nn.Linear` as a `tf.layers.Layer`, weight `[out, in]`. */
import {serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {layers as tfl, LayerVariable, Shape} from '@tensorflow/tfjs-layers';
import type {Initializer, LayerArgs} from './tfjs_types.js';

import {checkBool, checkInt, checkOptions, describeValue, TFJS_LAYER_ARGS} from
    '../args.js';
import {fmtShape} from '../geometry.js';
import {linear as linearOp} from '../linear.js';
import {SERIALIZATION_PACKAGE, TorchUniform} from './torch_uniform.js';
import {defaultLayerName} from './naming.js';

export interface LinearLayerArgs extends LayerArgs {
  inFeatures: number;
  outFeatures: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * PyTorch's `nn.Linear`: input `[…, inFeatures]` → `[…, outFeatures]`; weights `kernel`
 * `[outFeatures, inFeatures]` (PyTorch's `weight`, its layout) and `bias`; PyTorch's
 * initialisation U(−1/√inFeatures, 1/√inFeatures) for both.
 */
export class Linear extends tfl.Layer {
  static className = 'PtLinear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly useBias: boolean;
  kernel: LayerVariable|null = null;
  bias: LayerVariable|null = null;

  constructor(args: LinearLayerArgs) {
    if (args == null || typeof args !== 'object' || Array.isArray(args)) {
      throw new Error(`Linear: expected a config object {inFeatures, outFeatures, bias}, but ` +
          `got ${describeValue(args)}`);
    }
    checkOptions('Linear', args, ['inFeatures', 'outFeatures', 'bias', ...TFJS_LAYER_ARGS], 'arguments');
    super({...args, name: args.name ?? defaultLayerName('linear')});
    this.inFeatures = checkInt('Linear', 'inFeatures', args.inFeatures, 0);
    this.outFeatures = checkInt('Linear', 'outFeatures', args.outFeatures, 0);
    this.useBias = checkBool('Linear', 'bias', args.bias, true);
    this.inputSpec = [{minNDim: 1, axes: {[-1]: this.inFeatures}}];
  }

  override build(inputShape: Shape|Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (shape.length < 1 || shape[shape.length - 1] !== this.inFeatures) {
      throw new Error(`Linear: expected input [..., ${this.inFeatures}], but got input shape ` +
          `${fmtShape(shape.map(s => s ?? -1))} (-1 = unknown)`);
    }
    // kaiming_uniform_(a=√5) on [out, in] and the bias bound: U(−1/√in, 1/√in).
    const init = new TorchUniform({fanIn: Math.max(this.inFeatures, 1)}) as unknown as
        Initializer;
    this.kernel = this.addWeight('kernel', [this.outFeatures, this.inFeatures], 'float32', init,
                                 undefined, true);
    if (this.useBias) {
      this.bias = this.addWeight('bias', [this.outFeatures], 'float32', init, undefined, true);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [...shape.slice(0, -1), this.outFeatures];
  }

  override call(inputs: Tensor|Tensor[]): Tensor {
    return tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return linearOp(x, this.kernel!.read(), this.bias ? this.bias.read() : null);
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), inFeatures: this.inFeatures, outFeatures: this.outFeatures,
            bias: this.useBias};
  }
}
serialization.registerClass(Linear, SERIALIZATION_PACKAGE);

/** `layers.linear(config)`: PyTorch's `nn.Linear`. */
export function linear(config: LinearLayerArgs): Linear {
  return new Linear(config);
}
