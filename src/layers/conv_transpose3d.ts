/**
 * `ConvTranspose3d` (and `ConvTranspose2d`, `ConvTranspose1d`): PyTorch's
 * `torch.nn.ConvTranspose{3,2,1}d` as `tf.layers.Layer`s: channels-first input, PyTorch's weight
 * layout and initialisation, and our ops for the maths. One class does the work for any number of
 * spatial axes; the public classes only fix it.
 */
import {serialization, Tensor, tidy} from '@tensorflow/tfjs-core';
import {Shape, SymbolicTensor} from '@tensorflow/tfjs-layers';
import {TorchConvLayer} from './conv_base.js';
import {SERIALIZATION_PACKAGE} from './torch_uniform.js';
import {defaultLayerName} from './naming.js';
import type {Kwargs, LayerArgs} from './tfjs_types.js';

import {checkOptions, describeValue, TFJS_LAYER_ARGS} from '../args.js';
import {convTransposeNd} from '../conv_transpose3d.js';
import {convTransposeInfo, fmtShape, SpatialDims, SpatialOption, toSpatial, userShape} from '../geometry.js';
import {singleInput} from './layer_util.js';

// Re-exported from here, where they were first defined.
export {SERIALIZATION_PACKAGE, TorchUniform} from './torch_uniform.js';

/** Constructor arguments: PyTorch's, in camelCase, plus tfjs' usual layer arguments. */
export interface ConvTranspose3dLayerArgs extends LayerArgs {
  inChannels: number;
  outChannels: number;
  kernelSize: SpatialOption;
  stride?: SpatialOption;
  padding?: SpatialOption;
  outputPadding?: SpatialOption;
  groups?: number;
  dilation?: SpatialOption;
  /** Learn an additive bias (default true), as PyTorch's `bias=True`. */
  bias?: boolean;
  /** Only 'zeros', as PyTorch's ConvTranspose3d. */
  paddingMode?: string;
}

/** `call`'s keyword arguments: PyTorch's `forward(input, output_size)`. */
export interface ConvTranspose3dCallArgs {
  /** 3 spatial sizes, or the full output shape; picks the outputPadding that produces it. */
  outputSize?: number[];
}


/** The constructor arguments of ours (beside tfjs' LayerArgs). */
const OWN_ARGS = ['inChannels', 'outChannels', 'kernelSize', 'stride', 'padding', 'outputPadding',
                  'groups', 'dilation', 'bias', 'paddingMode'] as const;
/**
 * `call`/`apply` keyword arguments: ours, and the ones tfjs' model executor passes to every
 * layer (`mask`, `training`).
 */
const CALL_KWARGS = ['outputSize', 'mask', 'training'] as const;

/**
 * The constructor's argument checked before tfjs' Layer constructor sees it (which would fail on
 * `null` with "Cannot read properties of null"): an object with known keys, and a default name
 * in tfjs' style (`conv_transpose3d_1`) instead of tfjs' `pt_conv_transpose3d_PtConvTranspose3d2`.
 */
function layerArgs(nd: SpatialDims, args: ConvTranspose3dLayerArgs): ConvTranspose3dLayerArgs {
  const NAME = `ConvTranspose${nd}d`;
  if (args == null || typeof args !== 'object' || Array.isArray(args)) {
    throw new Error(`${NAME}: expected a config object {inChannels, outChannels, kernelSize, …}, ` +
        `but got ${describeValue(args)}`);
  }
  checkOptions(NAME, args, [...TFJS_LAYER_ARGS, ...OWN_ARGS], 'arguments');
  return {...args, name: args.name ?? defaultLayerName(`conv_transpose${nd}d`)};
}

function positiveInt(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new Error(`${name}: ${what} must be a positive integer, but got ${String(v)}`);
  }
  return v;
}

/**
 * A transposed convolution layer with PyTorch's semantics and `nd` spatial axes (subclasses fix
 * it). Input `[N, inChannels, ...spatial]`; weights `kernel` `[inChannels, outChannels/groups,
 * ...kernelSize]` and `bias` `[outChannels]`, PyTorch's layout, so a PyTorch state_dict's
 * `weight` and `bias` load verbatim with `setWeights`.
 */
abstract class ConvTransposeNd extends TorchConvLayer {
  /** PyTorch's module name, used in messages. */
  protected readonly torchName: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputPadding: number[];
  readonly dilation: number[];
  readonly groups: number;
  readonly useBias: boolean;
  readonly paddingMode: 'zeros';
  /** outputSize of the symbolic `apply` in progress, so computeOutputShape can honour it. */
  private pendingOutputSize: number[]|null = null;
  /**
   * outputSize given when this layer was applied to a symbolic tensor. tfjs' model executor
   * does not pass a node's call arguments back to `call`, so the layer keeps it for predict/fit.
   */
  private graphOutputSize: number[]|null = null;

  constructor(readonly spatialDims: SpatialDims, args: ConvTranspose3dLayerArgs) {
    super(layerArgs(spatialDims, args));
    const nd = spatialDims;
    const NAME = this.torchName = `ConvTranspose${nd}d`;
    // PyTorch's _ConvNd.__init__ order of checks.
    const groups = args.groups ?? 1;
    if (typeof groups !== 'number' || !Number.isInteger(groups) || groups <= 0) {
      throw new Error(`${NAME}: groups must be a positive integer (got groups=${String(groups)})`);
    }
    this.inChannels = positiveInt(NAME, 'inChannels', args.inChannels);
    this.outChannels = positiveInt(NAME, 'outChannels', args.outChannels);
    if (this.inChannels % groups !== 0) {
      throw new Error(`${NAME}: in_channels must be divisible by groups (got inChannels=` +
          `${this.inChannels}, groups=${groups})`);
    }
    if (this.outChannels % groups !== 0) {
      throw new Error(`${NAME}: out_channels must be divisible by groups (got outChannels=` +
          `${this.outChannels}, groups=${groups})`);
    }
    const mode = args.paddingMode ?? 'zeros';
    const valid = ['zeros', 'reflect', 'replicate', 'circular'];
    if (!valid.includes(mode)) {
      throw new Error(`${NAME}: padding_mode must be one of ${JSON.stringify(valid)}, but got ` +
          `paddingMode='${mode}'`);
    }
    if (mode !== 'zeros') {
      throw new Error(`${NAME}: Only "zeros" padding mode is supported for ${NAME} ` +
          `(got paddingMode='${mode}')`);
    }
    if (args.kernelSize == null) throw new Error(`${NAME}: kernelSize is required`);
    this.kernelSize = toSpatial(NAME, 'kernelSize', args.kernelSize, 1, nd);
    if (this.kernelSize.some(k => k < 1)) {
      throw new Error(`${NAME}: kernelSize must be positive, but got kernelSize=` +
          `${fmtShape(this.kernelSize)}`);
    }
    this.stride = toSpatial(NAME, 'stride', args.stride, 1, nd);
    this.padding = toSpatial(NAME, 'padding', args.padding, 0, nd);
    this.outputPadding = toSpatial(NAME, 'outputPadding', args.outputPadding, 0, nd);
    this.dilation = toSpatial(NAME, 'dilation', args.dilation, 1, nd);
    this.groups = groups;
    if (args.bias != null && typeof args.bias !== 'boolean') {
      throw new Error(`${NAME}: bias must be a boolean, but got ${String(args.bias)}`);
    }
    this.useBias = args.bias ?? true;
    this.paddingMode = 'zeros';
    // Let the shared geometry check stride/padding/dilation/outputPadding now, on a 1-voxel
    // input (output size itself depends on the input and is checked when the shape is known).
    this.info([1, this.inChannels, ...new Array(nd).fill(1)], true);
    this.inputSpec = [{ndim: nd + 2, axes: {1: this.inChannels}}];
  }

  get weightShape(): number[] {
    return [this.inChannels, this.outChannels / this.groups, ...this.kernelSize];
  }

  private options(outputSize?: number[]|null) {
    return {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
      ...(outputSize != null ? {outputSize} : {}),
    };
  }

  /**
   * The geometry of this layer on an input shape (option checks only, when `optionsOnly`; size
   * limits only when `sizeLimits`, i.e. no stand-in sizes).
   */
  private info(inputShape: number[], optionsOnly = false, outputSize?: number[]|null,
               sizeLimits = true) {
    try {
      return convTransposeInfo(this.spatialDims, this.torchName, inputShape, this.weightShape,
          this.useBias ? [this.outChannels] : null, this.options(outputSize), sizeLimits);
    } catch (e) {
      const msg = (e as Error).message;
      if (optionsOnly && /Output size is too small/.test(msg)) return null;
      throw e;
    }
  }

  override build(inputShape: Shape|Shape[]): void {
    this.channelsFirstInput(inputShape);
    this.addTorchWeights(this.weightShape,
                         (this.outChannels / this.groups) * this.kernelSize.reduce((a, b) => a * b, 1));
  }

  /**
   * Output shape from the shared geometry; unknown (null) dimensions stay unknown. An unknown
   * spatial size is replaced by a large stand-in just to run the checks on the other axes.
   */
  override computeOutputShape(inputShape: Shape|Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const {concrete, known} = this.standInShape(shape);
    const nd = this.spatialDims;
    let outputSize = this.pendingOutputSize;
    if (outputSize != null && shape.slice(2).some(s => s == null)) {
      outputSize = null;  // cannot check it against an unknown size; call() will
    }
    const info = this.info(concrete, false, outputSize, known);
    const out = this.keepUnknown(userShape(info!.outShape, nd, true), shape);
    if (outputSize == null && this.pendingOutputSize != null) {
      const sizes = this.pendingOutputSize.slice(-nd);
      for (let i = 0; i < nd; i++) out[2 + i] = sizes[i];
    }
    return out;
  }

  override apply(
      inputs: Tensor|Tensor[]|SymbolicTensor|SymbolicTensor[],
      kwargs?: Kwargs): Tensor|Tensor[]|SymbolicTensor|SymbolicTensor[] {
    checkOptions(`${this.torchName}.apply`, kwargs, CALL_KWARGS, 'keyword arguments');
    const outputSize = (kwargs as ConvTranspose3dCallArgs | undefined)?.outputSize ?? null;
    const symbolic = (Array.isArray(inputs) ? inputs : [inputs]).some(
        t => t instanceof SymbolicTensor);
    if (symbolic && outputSize != null) {
      if (this.graphOutputSize != null &&
          JSON.stringify(this.graphOutputSize) !== JSON.stringify(outputSize)) {
        throw new Error(`${this.torchName}: layer '${this.name}' was already applied in a model with ` +
            `outputSize ${fmtShape(this.graphOutputSize)}; a shared layer cannot use another ` +
            `one (${fmtShape(outputSize)}) in the same model`);
      }
      this.graphOutputSize = [...outputSize];
    }
    this.pendingOutputSize = outputSize;
    try {
      return super.apply(inputs, kwargs);
    } finally {
      this.pendingOutputSize = null;
    }
  }

  override call(inputs: Tensor|Tensor[], kwargs: Kwargs): Tensor {
    return tidy(() => {
      const x = singleInput(this.torchName, inputs);
      const outputSize =
          (kwargs as ConvTranspose3dCallArgs | undefined)?.outputSize ?? this.graphOutputSize;
      return convTransposeNd(this.spatialDims, this.torchName, x, this.kernel!.read(),
          this.bias ? this.bias.read() : null, this.options(outputSize));
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: [...this.kernelSize],
      stride: [...this.stride],
      padding: [...this.padding],
      outputPadding: [...this.outputPadding],
      groups: this.groups,
      dilation: [...this.dilation],
      bias: this.useBias,
      paddingMode: this.paddingMode,
    };
  }
}

// Saved models name the class without its package: ours are prefixed so they cannot clash.

/** PyTorch's `nn.ConvTranspose3d`: input `[N, C, D, H, W]` (declare `inputShape: [C, D, H, W]`). */
export class ConvTranspose3d extends ConvTransposeNd {
  static className = 'PtConvTranspose3d';
  constructor(args: ConvTranspose3dLayerArgs) {
    super(3, args);
  }
}
/** PyTorch's `nn.ConvTranspose2d`: input `[N, C, H, W]`, kernel `[Cin, Cout/groups, kH, kW]`. */
export class ConvTranspose2d extends ConvTransposeNd {
  static className = 'PtConvTranspose2d';
  constructor(args: ConvTranspose3dLayerArgs) {
    super(2, args);
  }
}
/** PyTorch's `nn.ConvTranspose1d`: input `[N, C, L]`, kernel `[Cin, Cout/groups, kL]`. */
export class ConvTranspose1d extends ConvTransposeNd {
  static className = 'PtConvTranspose1d';
  constructor(args: ConvTranspose3dLayerArgs) {
    super(1, args);
  }
}
for (const cls of [ConvTranspose3d, ConvTranspose2d, ConvTranspose1d]) {
  serialization.registerClass(cls, SERIALIZATION_PACKAGE);
}

/** `layers.convTranspose3d(config)`, as `tf.layers.conv3dTranspose(config)`. */
export function convTranspose3d(config: ConvTranspose3dLayerArgs): ConvTranspose3d {
  return new ConvTranspose3d(config);
}
/** `layers.convTranspose2d(config)`. */
export function convTranspose2d(config: ConvTranspose3dLayerArgs): ConvTranspose2d {
  return new ConvTranspose2d(config);
}
/** `layers.convTranspose1d(config)`. */
export function convTranspose1d(config: ConvTranspose3dLayerArgs): ConvTranspose1d {
  return new ConvTranspose1d(config);
}
