/**
 * `Conv3d`, `Conv2d`, `Conv1d`: PyTorch's `torch.nn.Conv{3,2,1}d` as `tf.layers.Layer`s:
 * channels-first input, PyTorch's weight layout `[outChannels, inChannels/groups, …k]`, its
 * initialisation, padding strings and padding modes, on our conv ops. One class does the work
 * for any number of spatial axes; the public classes only fix it.
 *
 * Padding, as PyTorch's `_ConvNd` (`_reversed_padding_repeated_twice`) and `_conv_forward`:
 * - `paddingMode` other than 'zeros': `pad(x, reversedPadding, {mode})`, then the conv with
 *   padding 0;
 * - 'zeros' with a number/tuple, 'valid', or a symmetric 'same': the conv's own zero padding;
 * - 'zeros' with an asymmetric 'same' (an even dilated kernel): PyTorch pads the extra element on
 *   the right; our conv ops take numeric padding only, so the layer pads with `pad` (constant
 *   zeros) and runs the conv with padding 0 — the same result.
 */
import {serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape} from '@tensorflow/tfjs-layers';
import type {LayerArgs} from './tfjs_types.js';

import {checkBool, checkInt, checkOptions, describeValue, TFJS_LAYER_ARGS} from
    '../args.js';
import {convNd} from '../conv3d.js';
import {convInfo, fmtShape, SpatialDims, SpatialOption, toSpatial, userShape} from '../geometry.js';
import {pad, PadMode} from '../padding.js';
import {TorchConvLayer} from './conv_base.js';
import {SERIALIZATION_PACKAGE} from './torch_uniform.js';
import {defaultLayerName} from './naming.js';
import {singleInput} from './layer_util.js';

export type ConvPaddingMode = 'zeros'|'reflect'|'replicate'|'circular';

/** Constructor arguments: PyTorch's, in camelCase, plus tfjs' usual layer arguments. */
export interface ConvLayerArgs extends LayerArgs {
  inChannels: number;
  outChannels: number;
  kernelSize: SpatialOption;
  stride?: SpatialOption;
  /** A number, one per spatial axis, 'valid' (no padding) or 'same' (stride 1 only). */
  padding?: SpatialOption|'same'|'valid';
  dilation?: SpatialOption;
  groups?: number;
  /** Learn an additive bias (default true), as PyTorch's `bias=True`. */
  bias?: boolean;
  paddingMode?: ConvPaddingMode;
}

const OWN_ARGS = ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'dilation',
                  'groups', 'bias', 'paddingMode'];
const PADDING_MODES = ['zeros', 'reflect', 'replicate', 'circular'];

abstract class ConvNd extends TorchConvLayer {
  readonly torchName: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  /** As given: numbers per axis, or the string. */
  readonly padding: number[]|'same'|'valid';
  readonly dilation: number[];
  readonly groups: number;
  readonly useBias: boolean;
  readonly paddingMode: ConvPaddingMode;
  /** PyTorch's `_reversed_padding_repeated_twice`: (left, right) of the last axis first. */
  readonly reversedPadding: number[];

  constructor(readonly spatialDims: SpatialDims, snakeName: string, args: ConvLayerArgs) {
    const NAME = `Conv${spatialDims}d`;
    if (args == null || typeof args !== 'object' || Array.isArray(args)) {
      throw new Error(`${NAME}: expected a config object {inChannels, outChannels, ` +
          `kernelSize, …}, but got ${describeValue(args)}`);
    }
    checkOptions(NAME, args, [...OWN_ARGS, ...TFJS_LAYER_ARGS],
                 'arguments');
    super({...args, name: args.name ?? defaultLayerName(snakeName)});
    this.torchName = NAME;
    const nd = spatialDims;
    // PyTorch's _ConvNd.__init__ order of checks.
    const groups = checkInt(NAME, 'groups', args.groups, 1, 1);
    this.inChannels = checkInt(NAME, 'inChannels', args.inChannels, 1);
    this.outChannels = checkInt(NAME, 'outChannels', args.outChannels, 1);
    if (this.inChannels % groups !== 0) {
      throw new Error(`${NAME}: in_channels must be divisible by groups (got inChannels=` +
          `${this.inChannels}, groups=${groups})`);
    }
    if (this.outChannels % groups !== 0) {
      throw new Error(`${NAME}: out_channels must be divisible by groups (got outChannels=` +
          `${this.outChannels}, groups=${groups})`);
    }
    this.groups = groups;
    if (args.kernelSize == null) throw new Error(`${NAME}: kernelSize is required`);
    this.kernelSize = toSpatial(NAME, 'kernelSize', args.kernelSize, 1, nd);
    if (this.kernelSize.some(k => k < 1)) {
      throw new Error(`${NAME}: kernelSize must be positive, but got kernelSize=` +
          fmtShape(this.kernelSize));
    }
    this.stride = toSpatial(NAME, 'stride', args.stride, 1, nd);
    this.dilation = toSpatial(NAME, 'dilation', args.dilation, 1, nd);
    const p = args.padding;
    if (typeof p === 'string') {
      if (p !== 'same' && p !== 'valid') {
        throw new Error(`${NAME}: Invalid padding string '${p}', should be one of ` +
            `{'valid', 'same'}`);
      }
      if (p === 'same' && this.stride.some(s => s !== 1)) {
        throw new Error(`${NAME}: padding='same' is not supported for strided convolutions ` +
            `(got stride=${fmtShape(this.stride)})`);
      }
      this.padding = p;
    } else {
      this.padding = toSpatial(NAME, 'padding', p, 0, nd);
    }
    const mode = args.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(mode)) {
      throw new Error(`${NAME}: padding_mode must be one of {'zeros', 'reflect', 'replicate', ` +
          `'circular'}, but got padding_mode=${describeValue(mode).replace(/"/g, "'")}`);
    }
    this.paddingMode = mode;
    this.useBias = checkBool(NAME, 'bias', args.bias, true);
    this.reversedPadding = this.computeReversedPadding();
    // Let the shared geometry check stride/padding/dilation now, on an input just large enough.
    const eff = this.kernelSize.map((k, i) => this.dilation[i] * (k - 1) + 1);
    this.info([1, this.inChannels, ...eff]);
    this.inputSpec = [{ndim: nd + 2, axes: {1: this.inChannels}}];
  }

  private computeReversedPadding(): number[] {
    const out: number[] = [];
    for (let i = this.spatialDims - 1; i >= 0; i--) {
      if (this.padding === 'valid') {
        out.push(0, 0);
      } else if (this.padding === 'same') {
        const total = this.dilation[i] * (this.kernelSize[i] - 1);
        const left = Math.floor(total / 2);
        out.push(left, total - left);
      } else {
        out.push(this.padding[i], this.padding[i]);
      }
    }
    return out;
  }

  get weightShape(): number[] {
    return [this.outChannels, this.inChannels / this.groups, ...this.kernelSize];
  }

  /**
   * How the forward pads: a `pad` call first (mode and list, or null), and the conv's own
   * symmetric zero padding.
   */
  private plan(): {prePad: {mode: PadMode, pad: number[]}|null, convPadding: number[]} {
    const nd = this.spatialDims, r = this.reversedPadding;
    const left = (i: number) => r[2 * (nd - 1 - i)], right = (i: number) => r[2 * (nd - 1 - i) + 1];
    const zeros = new Array(nd).fill(0);
    if (this.paddingMode !== 'zeros') {
      return {prePad: {mode: this.paddingMode, pad: [...r]}, convPadding: zeros};
    }
    const axes = [...new Array(nd).keys()];
    if (axes.every(i => left(i) === right(i))) {
      return {prePad: null, convPadding: axes.map(left)};
    }
    return {prePad: {mode: 'constant', pad: [...r]}, convPadding: zeros};
  }

  private options(convPadding: number[]) {
    return {stride: this.stride, padding: convPadding, dilation: this.dilation,
            groups: this.groups};
  }

  /**
   * The conv's geometry on an input shape (before any pre-padding); size limits only when
   * `sizeLimits`, i.e. no stand-in sizes for unknown dimensions.
   */
  private info(inputShape: number[], sizeLimits = true) {
    const {prePad, convPadding} = this.plan();
    const nd = this.spatialDims, shape = [...inputShape];
    if (prePad) {
      for (let i = 0; i < nd; i++) {
        shape[2 + i] += prePad.pad[2 * (nd - 1 - i)] + prePad.pad[2 * (nd - 1 - i) + 1];
      }
    }
    return convInfo(nd, this.torchName, shape, this.weightShape,
                    this.useBias ? [this.outChannels] : null, this.options(convPadding),
                    sizeLimits);
  }

  override build(inputShape: Shape|Shape[]): void {
    this.channelsFirstInput(inputShape);
    this.addTorchWeights(this.weightShape,
                         (this.inChannels / this.groups) * this.kernelSize.reduce((a, b) => a * b, 1));
  }

  /** Output shape from the shared geometry; unknown (null) dimensions stay unknown. */
  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const {concrete, known} = this.standInShape(shape);
    return this.keepUnknown(userShape(this.info(concrete, known).inShape, this.spatialDims, true),
                            shape);
  }

  override call(inputs: Tensor|Tensor[]): Tensor {
    return tidy(() => {
      const x = singleInput(this.torchName, inputs);
      const {prePad, convPadding} = this.plan();
      const padded = prePad ? pad(x, prePad.pad, {mode: prePad.mode}) : x;
      return convNd(this.spatialDims, this.torchName, padded, this.kernel!.read(),
                    this.bias ? this.bias.read() : null, this.options(convPadding));
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: [...this.kernelSize],
      stride: [...this.stride],
      padding: typeof this.padding === 'string' ? this.padding : [...this.padding],
      dilation: [...this.dilation],
      groups: this.groups,
      bias: this.useBias,
      paddingMode: this.paddingMode,
    };
  }
}

// Saved models name the class without its package: ours are prefixed so they cannot clash.

/** PyTorch's `nn.Conv3d`: input `[N, C, D, H, W]`, weight `[Cout, Cin/groups, kD, kH, kW]`. */
export class Conv3d extends ConvNd {
  static className = 'PtConv3d';
  constructor(args: ConvLayerArgs) {
    super(3, 'conv3d', args);
  }
}
/** PyTorch's `nn.Conv2d`: input `[N, C, H, W]`, weight `[Cout, Cin/groups, kH, kW]`. */
export class Conv2d extends ConvNd {
  static className = 'PtConv2d';
  constructor(args: ConvLayerArgs) {
    super(2, 'conv2d', args);
  }
}
/** PyTorch's `nn.Conv1d`: input `[N, C, L]`, weight `[Cout, Cin/groups, kL]`. */
export class Conv1d extends ConvNd {
  static className = 'PtConv1d';
  constructor(args: ConvLayerArgs) {
    super(1, 'conv1d', args);
  }
}
for (const cls of [Conv3d, Conv2d, Conv1d]) serialization.registerClass(cls, SERIALIZATION_PACKAGE);

/** `layers.conv3d(config)`, as `tf.layers.conv3d(config)` but PyTorch's `nn.Conv3d`. */
export function conv3d(config: ConvLayerArgs): Conv3d {
  return new Conv3d(config);
}
/** `layers.conv2d(config)`: PyTorch's `nn.Conv2d`. */
export function conv2d(config: ConvLayerArgs): Conv2d {
  return new Conv2d(config);
}
/** `layers.conv1d(config)`: PyTorch's `nn.Conv1d`. */
export function conv1d(config: ConvLayerArgs): Conv1d {
  return new Conv1d(config);
}
