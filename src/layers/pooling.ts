/**
 * PyTorch's `nn.MaxPool{3,2,1}d` and `nn.AvgPool{3,2,1}d` as `tf.layers.Layer`s on
 * channels-first input, running our ops. The options and the output shape come from the ops'
 * geometry function (src/pooling.ts `poolInfo`), so a layer checks exactly what the op checks.
 */
import {serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {layers as tfl, Shape} from '@tensorflow/tfjs-layers';
import type {Kwargs, LayerArgs} from './tfjs_types.js';

import {checkIntTuple, checkOptions, TFJS_LAYER_ARGS} from '../args.js';
import type {SpatialDims, SpatialOption} from '../geometry.js';
import * as ops from '../pooling.js';
import type {AvgPoolOptions, MaxPoolOptions, PoolKind} from '../pooling.js';
import {SERIALIZATION_PACKAGE} from './conv_transpose3d.js';
import {defaultLayerName} from './naming.js';
import {singleInput} from './layer_util.js';

export interface MaxPoolLayerArgs extends LayerArgs, MaxPoolOptions {
  kernelSize: SpatialOption;
}
export interface AvgPoolLayerArgs extends LayerArgs, AvgPoolOptions {
  kernelSize: SpatialOption;
}

const OPS = {
  max: {1: ops.maxPool1d, 2: ops.maxPool2d, 3: ops.maxPool3d},
  avg: {1: ops.avgPool1d, 2: ops.avgPool2d, 3: ops.avgPool3d},
};
const OWN_ARGS = {
  max: ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'],
  avg: ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'],
};

/**
 * tfjs' deserializer (tf.loadLayersModel) adds `customObjects` and `fastWeightInit` to the
 * saved config it passes to the constructor; they are not the user's, so not refused.
 */
export function withoutLoaderKeys<T extends object>(args: T): T {
  if (args == null || typeof args !== 'object') return args;
  const {customObjects: _c, fastWeightInit: _f, ...rest} =
      args as T&{customObjects?: unknown, fastWeightInit?: unknown};
  return rest as T;
}

abstract class PoolNd extends tfl.Layer {
  private readonly torchName: string;
  readonly kernelSize: number[];
  /** The op's options, normalised (lists of nd). */
  readonly options: MaxPoolOptions&AvgPoolOptions;

  constructor(readonly kind: PoolKind, readonly spatialDims: SpatialDims,
              args: MaxPoolLayerArgs|AvgPoolLayerArgs) {
    const nd = spatialDims;
    const torchName = `${kind === 'max' ? 'MaxPool' : 'AvgPool'}${nd}d`;
    const own = kind === 'avg' && nd === 1 ? OWN_ARGS.avg.slice(0, -1) : OWN_ARGS[kind];
    const a = checkOptions(torchName, withoutLoaderKeys(args), [...own, ...TFJS_LAYER_ARGS],
                           'arguments');
    super({...a, name: a.name ?? defaultLayerName(`${kind}_pool${nd}d`)});
    this.torchName = torchName;
    if (a.kernelSize == null) throw new Error(`${torchName}: kernelSize is required`);
    this.kernelSize = checkIntTuple(torchName, 'kernelSize', a.kernelSize, nd);
    const opts = a as MaxPoolOptions&AvgPoolOptions;
    this.options = kind === 'max' ? {
      stride: checkIntTuple(torchName, 'stride', opts.stride, nd, this.kernelSize),
      padding: checkIntTuple(torchName, 'padding', opts.padding, nd, new Array(nd).fill(0)),
      dilation: checkIntTuple(torchName, 'dilation', opts.dilation, nd, new Array(nd).fill(1)),
      ceilMode: opts.ceilMode ?? false,
    } : {
      stride: checkIntTuple(torchName, 'stride', opts.stride, nd, this.kernelSize),
      padding: checkIntTuple(torchName, 'padding', opts.padding, nd, new Array(nd).fill(0)),
      ceilMode: opts.ceilMode ?? false,
      countIncludePad: opts.countIncludePad ?? true,
      ...(nd === 1 ? {} : {divisorOverride: opts.divisorOverride ?? null}),
    };
    // Every input-independent rule now, on an input just large enough for one window.
    this.computeOutputShape([1, 1, ...new Array(nd).fill(null)]);
  }

  /** The shared geometry; unknown sizes get a stand-in that fits a window and stay unknown. */
  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const nd = this.spatialDims, first = shape.length - nd;
    const dil = (this.options.dilation as number[] | undefined) ?? new Array(nd).fill(1);
    const concrete = shape.map((s, i) => s ?? (i < first ? 1 :
        Math.max(1, dil[i - first] * (this.kernelSize[i - first] - 1) + 1)));
    const info = ops.poolInfo(this.kind, nd, concrete, this.kernelSize, this.options, this.torchName);
    return info.userOutShape.map((s, i) => shape[i] == null ? null : s);
  }

  override call(inputs: Tensor|Tensor[], _kwargs: Kwargs): Tensor {
    return tidy(() => {
      const x = singleInput(this.torchName, inputs);
      return OPS[this.kind][this.spatialDims](x, this.kernelSize, this.options);
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), kernelSize: [...this.kernelSize],
            ...(this.options as serialization.ConfigDict)};
  }
}

// Saved models name the class without its package: ours are prefixed so they cannot clash.

/** `nn.MaxPool3d`: input `[N, C, D, H, W]`. */
export class MaxPool3d extends PoolNd {
  static className = 'PtMaxPool3d';
  constructor(args: MaxPoolLayerArgs) {
    super('max', 3, args);
  }
}
/** `nn.MaxPool2d`: input `[N, C, H, W]`. */
export class MaxPool2d extends PoolNd {
  static className = 'PtMaxPool2d';
  constructor(args: MaxPoolLayerArgs) {
    super('max', 2, args);
  }
}
/** `nn.MaxPool1d`: input `[N, C, L]`. */
export class MaxPool1d extends PoolNd {
  static className = 'PtMaxPool1d';
  constructor(args: MaxPoolLayerArgs) {
    super('max', 1, args);
  }
}
/** `nn.AvgPool3d`: input `[N, C, D, H, W]`. */
export class AvgPool3d extends PoolNd {
  static className = 'PtAvgPool3d';
  constructor(args: AvgPoolLayerArgs) {
    super('avg', 3, args);
  }
}
/** `nn.AvgPool2d`: input `[N, C, H, W]`. */
export class AvgPool2d extends PoolNd {
  static className = 'PtAvgPool2d';
  constructor(args: AvgPoolLayerArgs) {
    super('avg', 2, args);
  }
}
/** `nn.AvgPool1d`: input `[N, C, L]` (no divisorOverride, as PyTorch). */
export class AvgPool1d extends PoolNd {
  static className = 'PtAvgPool1d';
  constructor(args: AvgPoolLayerArgs) {
    super('avg', 1, args);
  }
}
for (const cls of [MaxPool3d, MaxPool2d, MaxPool1d, AvgPool3d, AvgPool2d, AvgPool1d]) {
  serialization.registerClass(cls, SERIALIZATION_PACKAGE);
}

export const maxPool3d = (args: MaxPoolLayerArgs) => new MaxPool3d(args);
export const maxPool2d = (args: MaxPoolLayerArgs) => new MaxPool2d(args);
export const maxPool1d = (args: MaxPoolLayerArgs) => new MaxPool1d(args);
export const avgPool3d = (args: AvgPoolLayerArgs) => new AvgPool3d(args);
export const avgPool2d = (args: AvgPoolLayerArgs) => new AvgPool2d(args);
export const avgPool1d = (args: AvgPoolLayerArgs) => new AvgPool1d(args);
