/**
 * PyTorch's normalisation modules as `tf.layers.Layer`s: `nn.BatchNorm{1,2,3}d`,
 * `nn.InstanceNorm{1,2,3}d` and `nn.GroupNorm`, channels first, on our ops
 * (src/normalization.ts). Weights are declared in PyTorch's order with PyTorch's names
 * (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`), so a state_dict maps
 * one to one and `setWeights` takes PyTorch's tensors as they are. Training (`fit`, or a call
 * with `training: true`) uses the batch statistics and updates the running ones in place as
 * PyTorch does; `predict` uses the running statistics.
 */
import {add, expandDims, scalar, serialization, squeeze, Tensor, tidy} from '@tensorflow/tfjs-core';
import {initializers, layers as tfl, LayerVariable, Shape} from '@tensorflow/tfjs-layers';
import type {Kwargs, LayerArgs} from './tfjs_types.js';

import {checkBool, checkInt, checkNumber, checkOptions, describeValue, TFJS_LAYER_ARGS} from '../args.js';
import * as F from '../normalization.js';
import {SERIALIZATION_PACKAGE} from './conv_transpose3d.js';
import {defaultLayerName} from './naming.js';
import {singleInput} from './layer_util.js';

/** `nn.BatchNorm{n}d` / `nn.InstanceNorm{n}d` arguments, camelCase. */
export interface BatchNormLayerArgs extends LayerArgs {
  numFeatures: number;
  /** Default 1e-5. */
  eps?: number;
  /** Default 0.1; null (batch norm only) = cumulative moving average. */
  momentum?: number|null;
  /** Learn `weight` and `bias` (batch norm default true, instance norm false). */
  affine?: boolean;
  /** Keep running statistics (batch norm default true, instance norm false). */
  trackRunningStats?: boolean;
}
export type InstanceNormLayerArgs = BatchNormLayerArgs;

const NORM_ARGS = ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats'] as const;

type Kind = 'batch'|'instance';

/**
 * tfjs' deserialisation adds `customObjects` to a layer's saved config; our constructors refuse
 * unknown keys, so fromConfig drops it.
 */
function withoutCustomObjects(config: serialization.ConfigDict): serialization.ConfigDict {
  const rest = {...config};
  delete rest.customObjects;
  return rest;
}

/** The training flag tfjs-layers passes to `call` (true inside `fit`). */
function isTraining(kwargs: Kwargs|undefined): boolean {
  return kwargs != null && kwargs['training'] === true;
}


/**
 * Batch and instance norm with `nd` spatial axes. PyTorch's `_NormBase` holds both (the same
 * arguments, parameters and buffers); they differ in the input ranks allowed, the defaults and
 * the forward.
 */
abstract class NormBaseNd extends tfl.Layer {
  readonly torchName: string;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number|null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: LayerVariable|null = null;
  bias: LayerVariable|null = null;
  runningMean: LayerVariable|null = null;
  runningVar: LayerVariable|null = null;
  numBatchesTracked: LayerVariable|null = null;
  /**
   * num_batches_tracked as last written by this layer, keyed by the variable's data (a new one
   * on every write or load), so that `momentum: null` reads the count from the GPU only after a
   * load: each synchronous read stalls a GPU backend, and on webgpu in headless Chromium
   * (SwiftShader) tfjs' synchronous read of GPU data returns zeros.
   */
  private tracked: {dataId: object, count: number}|null = null;

  constructor(readonly kind: Kind, readonly spatialDims: 1|2|3, args: BatchNormLayerArgs) {
    const torchName = `${kind === 'batch' ? 'BatchNorm' : 'InstanceNorm'}${spatialDims}d`;
    const o = checkOptions(torchName, args, [...NORM_ARGS, ...TFJS_LAYER_ARGS], 'arguments');
    super({...o, name: o.name ?? defaultLayerName(`${kind}_norm${spatialDims}d`)});
    this.torchName = torchName;
    this.numFeatures = checkInt(torchName, 'numFeatures', o.numFeatures, 1);
    this.eps = checkNumber(torchName, 'eps', o.eps, {dflt: 1e-5});
    if (o.momentum === null && kind === 'instance') {
      throw new Error(`${torchName}: argument 'momentum' must be a number (PyTorch's ` +
          `instance_norm() takes a float, not None), but got null`);
    }
    this.momentum = o.momentum === null ?
        null : checkNumber(torchName, 'momentum', o.momentum, {dflt: 0.1});
    this.affine = checkBool(torchName, 'affine', o.affine, kind === 'batch');
    this.trackRunningStats =
        checkBool(torchName, 'trackRunningStats', o.trackRunningStats, kind === 'batch');
  }

  static override fromConfig<T extends serialization.Serializable>(
      cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict): T {
    return new cls(withoutCustomObjects(config));
  }

  /** PyTorch's `_check_input_dim`, with its message. */
  protected checkRank(rank: number) {
    const nd = this.spatialDims;
    const ok = this.kind === 'batch' ? (nd === 1 ? rank === 2 || rank === 3 : rank === nd + 2) :
                                       rank === nd + 1 || rank === nd + 2;
    if (!ok) {
      const allowed = this.kind === 'batch' ? (nd === 1 ? '2D or 3D' : `${nd + 2}D`) :
                                              `${nd + 1}D or ${nd + 2}D`;
      throw new Error(`${this.torchName}: expected ${allowed} input (got ${rank}D input)`);
    }
  }

  override build(inputShape: Shape|Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    this.checkRank(shape.length);
    const c = this.numFeatures;
    // PyTorch's order: parameters, then buffers.
    if (this.affine) {
      this.weight = this.addWeight('weight', [c], 'float32', initializers.ones(), undefined, true);
      this.bias = this.addWeight('bias', [c], 'float32', initializers.zeros(), undefined, true);
    }
    if (this.trackRunningStats) {
      this.runningMean = this.addWeight('running_mean', [c], 'float32', initializers.zeros(),
                                        undefined, false);
      this.runningVar = this.addWeight('running_var', [c], 'float32', initializers.ones(),
                                       undefined, false);
      this.numBatchesTracked = this.addWeight('num_batches_tracked', [], 'int32',
                                              initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    this.checkRank(shape.length);
    return shape;
  }

  override call(inputs: Tensor|Tensor[], kwargs: Kwargs): Tensor {
    const x = singleInput(this.torchName, inputs);
    this.checkRank(x.rank);
    const training = isTraining(kwargs);
    return tidy(() => this.kind === 'batch' ? this.batchForward(x, training) :
                                              this.instanceForward(x, training));
  }

  /** PyTorch's `_BatchNorm.forward`. */
  private batchForward(x: Tensor, training: boolean): Tensor {
    let factor = this.momentum ?? 0;
    if (training && this.trackRunningStats) {
      const nbt = this.numBatchesTracked!;
      const old = nbt.read();
      const count = this.momentum == null ? (this.tracked?.dataId === old.dataId ?
          this.tracked.count : old.dataSync()[0]) + 1 : 0;
      nbt.write(add(old, scalar(1, 'int32')));
      if (this.momentum == null) {
        this.tracked = {dataId: nbt.read().dataId, count};
        factor = 1 / count;
      }
    }
    const bnTraining = training || !this.trackRunningStats;
    const useRunning = !training || this.trackRunningStats;
    return F.batchNorm(x, useRunning ? this.runningMean?.read() ?? null : null,
                     useRunning ? this.runningVar?.read() ?? null : null, {
                       weight: this.weight?.read() ?? null,
                       bias: this.bias?.read() ?? null,
                       training: bnTraining,
                       momentum: factor,
                       eps: this.eps,
                     });
  }

  /** PyTorch's `_InstanceNorm.forward`, unbatched inputs included. */
  private instanceForward(x: Tensor, training: boolean): Tensor {
    const unbatched = x.rank === this.spatialDims + 1;
    const y = F.instanceNorm(unbatched ? expandDims(x, 0) : x, {
      runningMean: this.runningMean?.read() ?? null,
      runningVar: this.runningVar?.read() ?? null,
      weight: this.weight?.read() ?? null,
      bias: this.bias?.read() ?? null,
      useInputStats: training || !this.trackRunningStats,
      momentum: this.momentum!,
      eps: this.eps,
    });
    return unbatched ? squeeze(y, [0]) : y;
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.affine,
      trackRunningStats: this.trackRunningStats,
    };
  }
}

/** `nn.BatchNorm3d`: input `[N, C, D, H, W]`. */
export class BatchNorm3d extends NormBaseNd {
  static className = 'PtBatchNorm3d';
  constructor(args: BatchNormLayerArgs) {
    super('batch', 3, args);
  }
}
/** `nn.BatchNorm2d`: input `[N, C, H, W]`. */
export class BatchNorm2d extends NormBaseNd {
  static className = 'PtBatchNorm2d';
  constructor(args: BatchNormLayerArgs) {
    super('batch', 2, args);
  }
}
/** `nn.BatchNorm1d`: input `[N, C]` or `[N, C, L]`. */
export class BatchNorm1d extends NormBaseNd {
  static className = 'PtBatchNorm1d';
  constructor(args: BatchNormLayerArgs) {
    super('batch', 1, args);
  }
}
/** `nn.InstanceNorm3d`: input `[N, C, D, H, W]` (or unbatched `[C, D, H, W]`). */
export class InstanceNorm3d extends NormBaseNd {
  static className = 'PtInstanceNorm3d';
  constructor(args: InstanceNormLayerArgs) {
    super('instance', 3, args);
  }
}
/** `nn.InstanceNorm2d`: input `[N, C, H, W]` (or unbatched `[C, H, W]`). */
export class InstanceNorm2d extends NormBaseNd {
  static className = 'PtInstanceNorm2d';
  constructor(args: InstanceNormLayerArgs) {
    super('instance', 2, args);
  }
}
/** `nn.InstanceNorm1d`: input `[N, C, L]` (or unbatched `[C, L]`). */
export class InstanceNorm1d extends NormBaseNd {
  static className = 'PtInstanceNorm1d';
  constructor(args: InstanceNormLayerArgs) {
    super('instance', 1, args);
  }
}

/** `nn.GroupNorm` arguments, camelCase. */
export interface GroupNormLayerArgs extends LayerArgs {
  numGroups: number;
  numChannels: number;
  /** Default 1e-5. */
  eps?: number;
  /** Learn per-channel `weight` and `bias` (default true). */
  affine?: boolean;
}

const GROUP_NORM_ARGS = ['numGroups', 'numChannels', 'eps', 'affine'] as const;

/** `nn.GroupNorm`: input `[N, C, …]`; statistics per sample over groups of C/numGroups channels. */
export class GroupNorm extends tfl.Layer {
  static className = 'PtGroupNorm';
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: LayerVariable|null = null;
  bias: LayerVariable|null = null;

  constructor(args: GroupNormLayerArgs) {
    const name = 'GroupNorm';
    const o = checkOptions(name, args, [...GROUP_NORM_ARGS, ...TFJS_LAYER_ARGS], 'arguments');
    super({...o, name: o.name ?? defaultLayerName('group_norm')});
    this.numGroups = checkInt(name, 'numGroups', o.numGroups, 1);
    this.numChannels = checkInt(name, 'numChannels', o.numChannels, 1);
    if (this.numChannels % this.numGroups !== 0) {
      throw new Error(`${name}: num_channels must be divisible by num_groups (got numChannels=` +
          `${this.numChannels}, numGroups=${this.numGroups})`);
    }
    this.eps = checkNumber(name, 'eps', o.eps, {dflt: 1e-5});
    this.affine = checkBool(name, 'affine', o.affine, true);
  }

  static override fromConfig<T extends serialization.Serializable>(
      cls: serialization.SerializableConstructor<T>, config: serialization.ConfigDict): T {
    return new cls(withoutCustomObjects(config));
  }

  override build(inputShape: Shape|Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (shape.length < 2) {
      throw new Error(`GroupNorm: expected input [N, C, …] with 2 or more dimensions, but got ` +
          `${describeValue(shape)}`);
    }
    if (this.affine) {
      const c = this.numChannels;
      this.weight = this.addWeight('weight', [c], 'float32', initializers.ones(), undefined, true);
      this.bias = this.addWeight('bias', [c], 'float32', initializers.zeros(), undefined, true);
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  }

  override call(inputs: Tensor|Tensor[]): Tensor {
    const x = singleInput('GroupNorm', inputs);
    return tidy(() => F.groupNorm(x, this.numGroups, {
      weight: this.weight?.read() ?? null,
      bias: this.bias?.read() ?? null,
      eps: this.eps,
    }));
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numGroups: this.numGroups,
      numChannels: this.numChannels,
      eps: this.eps,
      affine: this.affine,
    };
  }
}

for (const cls of [BatchNorm3d, BatchNorm2d, BatchNorm1d, InstanceNorm3d, InstanceNorm2d,
                   InstanceNorm1d, GroupNorm]) {
  serialization.registerClass(cls, SERIALIZATION_PACKAGE);
}

/** `layers.batchNorm3d(config)`. */
export const batchNorm3d = (config: BatchNormLayerArgs) => new BatchNorm3d(config);
/** `layers.batchNorm2d(config)`. */
export const batchNorm2d = (config: BatchNormLayerArgs) => new BatchNorm2d(config);
/** `layers.batchNorm1d(config)`. */
export const batchNorm1d = (config: BatchNormLayerArgs) => new BatchNorm1d(config);
/** `layers.instanceNorm3d(config)`. */
export const instanceNorm3d = (config: InstanceNormLayerArgs) => new InstanceNorm3d(config);
/** `layers.instanceNorm2d(config)`. */
export const instanceNorm2d = (config: InstanceNormLayerArgs) => new InstanceNorm2d(config);
/** `layers.instanceNorm1d(config)`. */
export const instanceNorm1d = (config: InstanceNormLayerArgs) => new InstanceNorm1d(config);
/** `layers.groupNorm(config)`. */
export const groupNorm = (config: GroupNormLayerArgs) => new GroupNorm(config);
