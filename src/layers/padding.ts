/**
 * `layers.pad({pad, mode, value})`: `F.pad` as a `tf.layers.Layer` (PyTorch has
 * `nn.ConstantPad3d`, `nn.ReflectionPad3d`, … one per mode; one layer with the op's options
 * covers them all). Serialisable; no weights.
 */
import {serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {layers as tfl, Shape} from '@tensorflow/tfjs-layers';
import type {LayerArgs} from './tfjs_types.js';

import {checkChoice, checkOptions, describeValue, TFJS_LAYER_ARGS} from '../args.js';
import {pad, padInfo, PadMode} from '../padding.js';
import {SERIALIZATION_PACKAGE} from './conv_transpose3d.js';
import {defaultLayerName} from './naming.js';

export interface PadLayerArgs extends LayerArgs {
  /** As `pad`'s: (before, after) of the last axis first; negative crops. */
  pad: number[];
  mode?: PadMode;
  value?: number;
}

export class Pad extends tfl.Layer {
  static className = 'PtPad';
  readonly pad: number[];
  readonly mode: PadMode;
  readonly value: number;

  constructor(args: PadLayerArgs) {
    if (args == null || typeof args !== 'object' || Array.isArray(args)) {
      throw new Error(`layers.pad: expected a config object {pad, mode, value}, but got ` +
          describeValue(args));
    }
    checkOptions('layers.pad', args, ['pad', 'mode', 'value', ...TFJS_LAYER_ARGS], 'arguments');
    super({...args, name: args.name ?? defaultLayerName('pad')});
    this.mode = checkChoice('layers.pad', 'mode', args.mode,
                            ['constant', 'reflect', 'replicate', 'circular'], 'constant');
    if (!Array.isArray(args.pad) || args.pad.length % 2 !== 0 ||
        args.pad.some(p => !Number.isSafeInteger(p))) {
      throw new Error(`layers.pad: argument 'pad' must be an array of integers of even length ` +
          `(before, after) of the last axis first, but got ${describeValue(args.pad)}`);
    }
    this.pad = [...args.pad];
    if (this.mode !== 'constant' && args.value != null && args.value !== 0) {
      throw new Error(`layers.pad: Padding mode "${this.mode}" doesn't take in value argument ` +
          `(got value ${describeValue(args.value)})`);
    }
    if (args.value != null && typeof args.value !== 'number') {
      throw new Error(`layers.pad: argument 'value' must be a number, but got ` +
          describeValue(args.value));
    }
    this.value = args.value ?? 0;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const standIn = 1 << 20;
    const info = padInfo('layers.pad', shape.map(s => s ?? standIn), this.pad, this.mode, false);
    return info.outShape.map((s, i) => shape[i] == null ? null : s);
  }

  override call(inputs: Tensor|Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return pad(x, this.pad, this.mode === 'constant' ? {value: this.value} : {mode: this.mode});
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), pad: [...this.pad], mode: this.mode, value: this.value};
  }
}
serialization.registerClass(Pad, SERIALIZATION_PACKAGE);

/** `layers.pad(config)`. */
export function padLayer(config: PadLayerArgs): Pad {
  return new Pad(config);
}
