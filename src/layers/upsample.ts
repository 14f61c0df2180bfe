/**
 * PyTorch's `nn.Upsample(size, scale_factor, mode, align_corners, recompute_scale_factor)` as a
 * `tf.layers.Layer` running our interpolate op; options and output shape from its geometry
 * function (src/interpolate.ts `interpolateInfo`).
 */
import {serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {layers as tfl, Shape} from '@tensorflow/tfjs-layers';
import type {Kwargs, LayerArgs} from './tfjs_types.js';

import {checkOptions, TFJS_LAYER_ARGS} from '../args.js';
import {interpolate, interpolateInfo, InterpolateOptions} from '../interpolate.js';
import {SERIALIZATION_PACKAGE} from './conv_transpose3d.js';
import {defaultLayerName} from './naming.js';
import {withoutLoaderKeys} from './pooling.js';
import {singleInput} from './layer_util.js';

export interface UpsampleLayerArgs extends LayerArgs, InterpolateOptions {}

const OWN_ARGS = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'];
const MODE_RANK: Record<string, number> = {linear: 3, bilinear: 4, trilinear: 5};

export class Upsample extends tfl.Layer {
  static className = 'PtUpsample';
  readonly options: InterpolateOptions;

  constructor(args: UpsampleLayerArgs) {
    const a = checkOptions('Upsample', withoutLoaderKeys(args), [...OWN_ARGS, ...TFJS_LAYER_ARGS], 'arguments');
    super({...a, name: a.name ?? defaultLayerName('upsample')});
    const {size, scaleFactor, mode, alignCorners, recomputeScaleFactor} = a;
    const options: InterpolateOptions = {};
    if (size != null) options.size = Array.isArray(size) ? [...size] : size;
    if (scaleFactor != null) {
      options.scaleFactor = Array.isArray(scaleFactor) ? [...scaleFactor] : scaleFactor;
    }
    if (mode != null) options.mode = mode;
    if (alignCorners != null) options.alignCorners = alignCorners;
    if (recomputeScaleFactor != null) options.recomputeScaleFactor = recomputeScaleFactor;
    this.options = options;
    // The input-independent rules now, on a stand-in input of the rank the options imply.
    const list = Array.isArray(size) ? size : Array.isArray(scaleFactor) ? scaleFactor : null;
    const rank = MODE_RANK[mode ?? ''] ?? (list ? list.length + 2 : 5);
    this.computeOutputShape(new Array(rank).fill(null));
  }

  /** The shared geometry; unknown sizes stay unknown unless `size` fixes them. */
  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const concrete = shape.map(s => s ?? 8);
    const info = interpolateInfo(concrete, this.options, 'Upsample');
    return info.userOutShape.map(
        (s, i) => shape[i] == null && (i < 2 || this.options.size == null) ? null : s);
  }

  override call(inputs: Tensor|Tensor[], _kwargs: Kwargs): Tensor {
    return tidy(() => {
      return interpolate(singleInput('Upsample', inputs), this.options);
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), ...(this.options as serialization.ConfigDict)};
  }
}
serialization.registerClass(Upsample, SERIALIZATION_PACKAGE);

/** `layers.upsample({size | scaleFactor, mode, alignCorners})`, as `nn.Upsample`. */
export const upsample = (args: UpsampleLayerArgs) => new Upsample(args);
