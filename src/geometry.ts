/**
 * The one source of truth for shapes and validation.
 *
 * Every entry point (the ops, every backend's kernels, the gradients and the layers) turns user
 * options into a `ConvTranspose3DInfo` here, and every validation error is thrown here, before
 * any work is done. Nobody else recomputes an output size.
 *
 * The record describes a transposed convolution from a "small" tensor (its input, `in*`) to a
 * "big" tensor (its output, `out*`) with a weight `[inChannels, outChannels/groups, kD, kH, kW]`.
 * A PyTorch `conv3d` is the adjoint of that map, so the same record describes it with the roles
 * swapped: conv3d's input is the record's `out*` side and conv3d's output its `in*` side, and the
 * conv3d weight `[Cout, Cin/groups, kD, kH, kW]` is the same tensor layout.
 */

export type Triple = [number, number, number];
export type SpatialOption = number|number[];

/** Options of `convTranspose3d`, as `torch.nn.functional.conv_transpose3d` (plus `outputSize`). */
export interface ConvTranspose3DOptions {
  stride?: SpatialOption;
  padding?: SpatialOption;
  outputPadding?: SpatialOption;
  groups?: number;
  dilation?: SpatialOption;
  /**
   * As `ConvTranspose3d.forward(input, output_size)`: 3 spatial sizes, or the full output shape
   * (5 entries, or 4 for unbatched input). Overrides `outputPadding`.
   */
  outputSize?: number[];
}

/** Options of `conv3d`, as `torch.nn.functional.conv3d` (numeric padding only). */
export interface Conv3DOptions {
  stride?: SpatialOption;
  padding?: SpatialOption;
  groups?: number;
  dilation?: SpatialOption;
}

/** Normalised options, as kernels receive them in their attrs. */
export interface ConvTranspose3DAttrs {
  stride: Triple;
  padding: Triple;
  outputPadding: Triple;
  dilation: Triple;
  groups: number;
}

export interface ConvTranspose3DInfo extends ConvTranspose3DAttrs {
  batchSize: number;
  /** Channels of the small side (convTranspose3d input, conv3d output); weight dim 0. */
  inChannels: number;
  /** Channels of the big side (convTranspose3d output, conv3d input). */
  outChannels: number;
  inChannelsPerGroup: number;
  outChannelsPerGroup: number;
  /** Spatial [D, H, W] of the small side. */
  inSize: Triple;
  /** Spatial [D, H, W] of the big side. */
  outSize: Triple;
  kernelSize: Triple;
  /** Shapes as 5-D NCDHW / weight arrays, for kernels. */
  inShape: number[];
  outShape: number[];
  weightShape: number[];
}

const AXES = 3;

/** PyTorch prints sizes as `[1, 2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** A number or a triple of integers → a triple (PyTorch's `_triple` plus its argument checks). */
export function toTriple(
    opName: string, argName: string, value: SpatialOption|undefined, dflt: number): Triple {
  if (value == null) return [dflt, dflt, dflt];
  if (typeof value === 'number') {
    if (!isInt(value)) {
      throw new Error(`${opName}: argument '${argName}' must be an integer or a list of 3 ` +
          `integers, but got ${value}`);
    }
    return [value, value, value];
  }
  if (!Array.isArray(value)) {
    throw new Error(`${opName}: argument '${argName}' must be an integer or a list of 3 ` +
        `integers, but got ${String(value)}`);
  }
  if (value.length !== AXES) {
    throw new Error(`${opName}: expected ${argName} to be a single integer value or a list of ` +
        `${AXES} values to match the convolution dimensions, but got ${argName}=` +
        `${fmtShape(value)}`);
  }
  value.forEach((v, i) => {
    if (!isInt(v)) {
      throw new Error(`${opName}: argument '${argName}' must be a list of integers, but found ` +
          `${v} at position ${i}`);
    }
  });
  return [value[0], value[1], value[2]];
}

function checkGroups(opName: string, groups: unknown): number {
  const g = groups == null ? 1 : groups;
  if (!isInt(g)) {
    throw new Error(`${opName}: argument 'groups' must be an integer, but got ${String(g)}`);
  }
  if (g < 1) throw new Error(`${opName}: non-positive groups is not supported (got groups=${g})`);
  return g;
}

/** PyTorch's option checks shared by both directions (check_shape_forward). */
function checkCommon(
    opName: string, stride: Triple, padding: Triple, dilation: Triple, outputPadding: Triple) {
  if (padding.some(p => p < 0)) {
    throw new Error(`${opName}: negative padding is not supported (got padding=` +
        `${fmtShape(padding)})`);
  }
  if (outputPadding.some(p => p < 0)) {
    throw new Error(`${opName}: negative output_padding is not supported (got outputPadding=` +
        `${fmtShape(outputPadding)})`);
  }
  if (stride.some(s => s < 1)) {
    throw new Error(`${opName}: non-positive stride is not supported (got stride=` +
        `${fmtShape(stride)})`);
  }
  if (dilation.some(d => d < 1)) {
    throw new Error(`${opName}: dilation should be greater than zero, but got dilation_depth: ` +
        `${dilation[0]}, dilation_height: ${dilation[1]}, dilation_width: ${dilation[2]}`);
  }
}

function checkShapeArray(opName: string, argName: string, shape: readonly number[]) {
  if (shape.some(s => !isInt(s) || s < 0)) {
    throw new Error(`${opName}: ${argName} has an invalid shape ${fmtShape(shape)}`);
  }
}

/**
 * Weight and bias checks, same wording as PyTorch's check_shape_forward. `transposed` selects
 * which side the weight's dim 0 belongs to.
 */
function checkWeightAndBias(
    opName: string, transposed: boolean, inputShape: readonly number[],
    weightShape: readonly number[], biasShape: readonly number[]|null|undefined,
    groups: number, batched: readonly number[]) {
  checkShapeArray(opName, 'weight', weightShape);
  if (weightShape.length !== 5) {
    throw new Error(`${opName}: expected a 5-dimensional weight (${transposed ?
        'inChannels, outChannels/groups' : 'outChannels, inChannels/groups'}, kD, kH, kW), but ` +
        `got weight of size ${fmtShape(weightShape)}`);
  }
  if (weightShape.some(s => s === 0)) {
    throw new Error(`${opName}: non-empty 5D weight expected, but got weight of size ` +
        `${fmtShape(weightShape)}`);
  }
  if (weightShape[0] < groups) {
    throw new Error(`${opName}: Given groups=${groups}, expected weight to be at least ` +
        `${groups} at dimension 0, but got weight of size ${fmtShape(weightShape)} instead`);
  }
  if (weightShape[0] % groups !== 0) {
    throw new Error(`${opName}: Given groups=${groups}, expected weight to be divisible by ` +
        `${groups} at dimension 0, but got weight of size ${fmtShape(weightShape)} instead`);
  }
  const c = batched[1];
  if (transposed) {
    if (c !== weightShape[0]) {
      throw new Error(`${opName}: Given transposed=1, weight of size ${fmtShape(weightShape)}, ` +
          `expected input${fmtShape(inputShape)} to have ${weightShape[0]} channels, but got ` +
          `${c} channels instead`);
    }
  } else if (c !== weightShape[1] * groups) {
    throw new Error(`${opName}: Given groups=${groups}, weight of size ${fmtShape(weightShape)}, ` +
        `expected input${fmtShape(inputShape)} to have ${weightShape[1] * groups} channels, but ` +
        `got ${c} channels instead`);
  }
  if (biasShape != null) {
    const nb = transposed ? weightShape[1] * groups : weightShape[0];
    if (biasShape.length !== 1 || biasShape[0] !== nb) {
      throw new Error(`${opName}: Given ${transposed ? 'transposed=1' : `groups=${groups}`}, ` +
          `weight of size ${fmtShape(weightShape)}, expected bias to be 1-dimensional with ` +
          `${nb} elements, but got bias of size ${fmtShape(biasShape)} instead`);
    }
  }
}

function checkInputRank(opName: string, torchName: string, inputShape: readonly number[]) {
  checkShapeArray(opName, 'input', inputShape);
  if (inputShape.length !== 4 && inputShape.length !== 5) {
    throw new Error(`${opName}: Expected 4D (unbatched) or 5D (batched) input to ${torchName}, ` +
        `but got input of size: ${fmtShape(inputShape)}`);
  }
  const batched = inputShape.length === 5 ? [...inputShape] : [1, ...inputShape];
  if (batched.slice(1).some(s => s === 0)) {
    // PyTorch only allows an empty batch; an empty channel or spatial axis is refused.
    throw new Error(`${opName}: expected input with non-zero channels and spatial sizes ` +
        `(only the batch may be empty), but got input of size: ${fmtShape(inputShape)}`);
  }
  return batched;
}

/** Size of the big side along one axis, from the small side (the shape formula). */
export function transposedSize(
    inSize: number, stride: number, padding: number, dilation: number, kernel: number,
    outputPadding: number): number {
  return (inSize - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
}

function makeInfo(
    batchSize: number, inC: number, weightShape: readonly number[], inSize: Triple,
    outSize: Triple, attrs: ConvTranspose3DAttrs): ConvTranspose3DInfo {
  const g = attrs.groups;
  const outC = weightShape[1] * g;
  const kernelSize: Triple = [weightShape[2], weightShape[3], weightShape[4]];
  return {
    ...attrs,
    batchSize,
    inChannels: inC,
    outChannels: outC,
    inChannelsPerGroup: inC / g,
    outChannelsPerGroup: weightShape[1],
    inSize,
    outSize,
    kernelSize,
    inShape: [batchSize, inC, ...inSize],
    outShape: [batchSize, outC, ...outSize],
    weightShape: [...weightShape],
  };
}

/** Checks outputPadding (PyTorch's slow_conv_transpose3d_shape_check) and output size ≥ 1. */
function checkTransposedOutput(
    opName: string, inSize: Triple, outSize: Triple, a: ConvTranspose3DAttrs) {
  const ok = [0, 1, 2].every(
      i => a.outputPadding[i] < a.stride[i] || a.outputPadding[i] < a.dilation[i]);
  if (!ok) {
    const [od, oh, ow] = a.outputPadding;
    const [sd, sh, sw] = a.stride;
    const [dd, dh, dw] = a.dilation;
    throw new Error(`${opName}: output padding must be smaller than either stride or ` +
        `dilation, but got output_padding_depth: ${od} output_padding_height: ${oh} ` +
        `output_padding_width: ${ow} stride_depth: ${sd} stride_height: ${sh} stride_width: ` +
        `${sw} dilation_depth: ${dd} dilation_height: ${dh} dilation_width: ${dw}`);
  }
  if (outSize.some(s => s < 1)) {
    throw new Error(`${opName}: Given input size per channel: (${inSize.join(' x ')}). ` +
        `Calculated output size per channel: (${outSize.join(' x ')}). Output size is too small`);
  }
}

/**
 * Geometry of `convTranspose3d(input, weight, bias, options)`, PyTorch's checks in PyTorch's
 * order. `outputSize`, when given, is turned into per-axis outputPadding here.
 */
export function convTranspose3dInfo(
    opName: string, inputShape: readonly number[], weightShape: readonly number[],
    biasShape: readonly number[]|null|undefined,
    options: ConvTranspose3DOptions = {}): ConvTranspose3DInfo {
  const batched = checkInputRank(opName, 'conv_transpose3d', inputShape);
  const stride = toTriple(opName, 'stride', options.stride, 1);
  const padding = toTriple(opName, 'padding', options.padding, 0);
  let outputPadding = toTriple(opName, 'outputPadding', options.outputPadding, 0);
  const dilation = toTriple(opName, 'dilation', options.dilation, 1);
  const groups = checkGroups(opName, options.groups);
  checkCommon(opName, stride, padding, dilation, outputPadding);
  checkWeightAndBias(opName, true, inputShape, weightShape, biasShape, groups, batched);
  const inSize: Triple = [batched[2], batched[3], batched[4]];
  const k = weightShape.slice(2);
  if (options.outputSize != null) {
    outputPadding = outputPaddingFromSize(
        opName, inputShape, options.outputSize, stride, padding, dilation, k);
  }
  const outSize = inSize.map(
      (n, i) => transposedSize(n, stride[i], padding[i], dilation[i], k[i], outputPadding[i])) as
      Triple;
  const attrs = {stride, padding, outputPadding, dilation, groups};
  checkTransposedOutput(opName, inSize, outSize, attrs);
  return makeInfo(batched[0], batched[1], weightShape, inSize, outSize, attrs);
}

/** PyTorch's `_ConvTransposeNd._output_padding`. */
function outputPaddingFromSize(
    opName: string, inputShape: readonly number[], outputSize: readonly number[], stride: Triple,
    padding: Triple, dilation: Triple, k: readonly number[]): Triple {
  if (!Array.isArray(outputSize)) {
    throw new Error(`${opName}: outputSize must be an array of integers, but got ` +
        `${String(outputSize)}`);
  }
  const nonSpatial = inputShape.length === 5 ? 2 : 1;
  const sizes = outputSize.length === nonSpatial + AXES ? outputSize.slice(nonSpatial) :
                                                           outputSize;
  if (sizes.length !== AXES) {
    throw new Error(`${opName}: ConvTranspose3D: for ${inputShape.length}D input, outputSize ` +
        `must have ${AXES} or ${nonSpatial + AXES} elements (got ${outputSize.length})`);
  }
  outputSize.forEach((v, i) => {
    if (!isInt(v)) {
      throw new Error(`${opName}: outputSize must be a list of integers, but found ${v} at ` +
          `position ${i}`);
    }
  });
  const spatialIn = inputShape.slice(nonSpatial);
  const minSizes = [0, 1, 2].map(
      i => transposedSize(spatialIn[i], stride[i], padding[i], dilation[i], k[i], 0));
  const maxSizes = minSizes.map((m, i) => m + stride[i] - 1);
  if (sizes.some((s, i) => s < minSizes[i] || s > maxSizes[i])) {
    throw new Error(`${opName}: requested an output size of ${fmtShape(sizes)}, but valid ` +
        `sizes range from ${fmtShape(minSizes)} to ${fmtShape(maxSizes)} (for an input of ` +
        `${fmtShape(spatialIn)})`);
  }
  return sizes.map((s, i) => s - minSizes[i]) as Triple;
}

/**
 * Geometry of `conv3d(input, weight, bias, options)` (torch.nn.functional.conv3d), expressed as
 * the adjoint transposed convolution: the conv input is the record's big (`out*`) side.
 */
export function conv3dInfo(
    opName: string, inputShape: readonly number[], weightShape: readonly number[],
    biasShape: readonly number[]|null|undefined, options: Conv3DOptions = {}): ConvTranspose3DInfo {
  const batched = checkInputRank(opName, 'conv3d', inputShape);
  const stride = toTriple(opName, 'stride', options.stride, 1);
  if (typeof options.padding === 'string') {
    throw new Error(`${opName}: string padding ('${options.padding}') is not supported; pass ` +
        `numbers`);
  }
  const padding = toTriple(opName, 'padding', options.padding, 0);
  const dilation = toTriple(opName, 'dilation', options.dilation, 1);
  const groups = checkGroups(opName, options.groups);
  checkCommon(opName, stride, padding, dilation, [0, 0, 0]);
  checkWeightAndBias(opName, false, inputShape, weightShape, biasShape, groups, batched);
  const bigSize: Triple = [batched[2], batched[3], batched[4]];
  const k = weightShape.slice(2);
  const padded = bigSize.map((n, i) => n + 2 * padding[i]);
  const eff = k.map((kk, i) => dilation[i] * (kk - 1) + 1);
  if (padded.some((p, i) => p < eff[i])) {
    throw new Error(`${opName}: Calculated padded input size per channel: (` +
        `${padded.join(' x ')}). Kernel size: (${eff.join(' x ')}). Kernel size can't be ` +
        `greater than actual input size`);
  }
  const smallSize = padded.map((p, i) => Math.floor((p - eff[i]) / stride[i]) + 1) as Triple;
  // The big side's extra rows past the last window: always < stride, so a legal outputPadding.
  const outputPadding = bigSize.map(
      (n, i) => n - transposedSize(smallSize[i], stride[i], padding[i], dilation[i], k[i], 0)) as
      Triple;
  const attrs = {stride, padding, outputPadding, dilation, groups};
  return makeInfo(batched[0], weightShape[0], weightShape, smallSize, bigSize, attrs);
}

/**
 * Rebuilds the record inside a kernel from its inputs' shapes and its (already normalised)
 * attrs. `inShape` is the small side, 5-D.
 */
export function infoFromAttrs(
    opName: string, inShape: readonly number[], weightShape: readonly number[],
    attrs: ConvTranspose3DAttrs): ConvTranspose3DInfo {
  return convTranspose3dInfo(opName, inShape, weightShape, null, {
    stride: attrs.stride,
    padding: attrs.padding,
    outputPadding: attrs.outputPadding,
    dilation: attrs.dilation,
    groups: attrs.groups,
  });
}

/** The attrs a kernel receives, from a record. */
export function attrsOf(info: ConvTranspose3DAttrs): ConvTranspose3DAttrs {
  return {
    stride: [...info.stride],
    padding: [...info.padding],
    outputPadding: [...info.outputPadding],
    dilation: [...info.dilation],
    groups: info.groups,
  };
}

/** Multiply-adds of the map (= FLOPs / 2): N·Cin·(Cout/g)·kvol·D·H·W. */
export function macCount(info: ConvTranspose3DInfo): number {
  const [kd, kh, kw] = info.kernelSize;
  const [d, h, w] = info.inSize;
  return info.batchSize * info.inChannels * info.outChannelsPerGroup * kd * kh * kw * d * h * w;
}
