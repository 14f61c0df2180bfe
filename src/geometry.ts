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

import {checkOutputSize, MAX_TENSOR_ELEMENTS} from './args.js';

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
  /** Spatial axes of the op that made the record (1-D and 2-D ops are lifted to 3-D). */
  spatialDims: SpatialDims;
}

/** Number of spatial axes of an op: 1, 2 or 3. Lower ranks are lifted to 3-D with unit axes. */
export type SpatialDims = 1|2|3;

const AXIS_NAMES = ['depth', 'height', 'width'];
const axisNames = (nd: number) => AXIS_NAMES.slice(3 - nd);

/** PyTorch prints sizes as `[1, 2, 3]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** A number or a list of `nd` integers → a list of `nd` (PyTorch's `_ntuple` plus its checks). */
export function toSpatial(
    opName: string, argName: string, value: SpatialOption|undefined, dflt: number,
    nd: SpatialDims = 3): number[] {
  if (value == null) return new Array(nd).fill(dflt);
  if (typeof value === 'number') {
    if (!isInt(value)) {
      throw new Error(`${opName}: argument '${argName}' must be an integer or a list of ${nd} ` +
          `integers, but got ${value}`);
    }
    return new Array(nd).fill(value);
  }
  if (!Array.isArray(value)) {
    throw new Error(`${opName}: argument '${argName}' must be an integer or a list of ${nd} ` +
        `integers, but got ${String(value)}`);
  }
  if (value.length !== nd) {
    throw new Error(`${opName}: expected ${argName} to be a single integer value or a list of ` +
        `${nd} values to match the convolution dimensions, but got ${argName}=` +
        `${fmtShape(value)}`);
  }
  value.forEach((v, i) => {
    if (!isInt(v)) {
      throw new Error(`${opName}: argument '${argName}' must be a list of integers, but found ` +
          `${v} at position ${i}`);
    }
  });
  return [...value];
}

/** A number or a triple of integers → a triple. */
export function toTriple(
    opName: string, argName: string, value: SpatialOption|undefined, dflt: number): Triple {
  return toSpatial(opName, argName, value, dflt, 3) as Triple;
}

/** Prepends unit axes (value `fill`) to lift an nd-list to 3-D. */
/**
 * Lifts an nd-list to 3-D with unit axes (value `fill`): 1-D `[l]` → `[·, ·, l]`; 2-D `[h, w]` →
 * `[h, ·, w]`, the unit axis in the middle so that the kernels' depth chunks are rows of h and
 * their contiguous runs stay along w (a large image would otherwise be one unsplittable plane).
 */
function lift(v: readonly number[], fill: number): Triple {
  if (v.length === 2) return [v[0], fill, v[1]];
  return [...new Array(3 - v.length).fill(fill), ...v] as Triple;
}

/** The spatial axes (of 3) that a `nd`-D op's axes map to; the others are lift's unit axes. */
const LIFTED_AXES: Record<SpatialDims, number[]> = {1: [2], 2: [0, 2], 3: [0, 1, 2]};

function checkGroups(opName: string, groups: unknown): number {
  const g = groups == null ? 1 : groups;
  if (!isInt(g)) {
    throw new Error(`${opName}: argument 'groups' must be an integer, but got ${String(g)}`);
  }
  if (g < 1) throw new Error(`${opName}: non-positive groups is not supported (got groups=${g})`);
  return g;
}

/**
 * Largest stride, padding, output padding, dilation or kernel size: every backend's index
 * arithmetic (the WebAssembly core's and WebGL's in 32-bit integers, the JS core's in doubles
 * whose products such values would push past 2⁵³) is exact up to here, and no tensor tfjs can
 * hold has an axis longer.
 */
export const MAX_GEOMETRY_VALUE = 2 ** 31 - 1;

function checkBounded(opName: string, argName: string, values: readonly number[]) {
  if (values.some(v => v > MAX_GEOMETRY_VALUE)) {
    throw new Error(`${opName}: argument '${argName}' must be at most ${MAX_GEOMETRY_VALUE} ` +
        `(the largest axis a tfjs tensor can have), but got ${argName}=${fmtShape(values)}`);
  }
}

/** PyTorch's option checks shared by both directions (check_shape_forward). */
function checkCommon(
    opName: string, stride: number[], padding: number[], dilation: number[],
    outputPadding: number[]) {
  checkBounded(opName, 'stride', stride);
  checkBounded(opName, 'padding', padding);
  checkBounded(opName, 'outputPadding', outputPadding);
  checkBounded(opName, 'dilation', dilation);
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
    const names = axisNames(dilation.length);
    throw new Error(`${opName}: dilation should be greater than zero, but got ` +
        dilation.map((d, i) => `dilation_${names[i]}: ${d}`).join(', '));
  }
}

function checkShapeArray(opName: string, argName: string, shape: readonly number[]) {
  if (!Array.isArray(shape) || shape.some(s => !isInt(s) || s < 0)) {
    throw new Error(`${opName}: ${argName} has an invalid shape ${String(shape)}`);
  }
}

/**
 * Weight and bias checks, same wording as PyTorch's check_shape_forward. `transposed` selects
 * which side the weight's dim 0 belongs to.
 */
function checkWeightAndBias(
    opName: string, nd: SpatialDims, transposed: boolean, inputShape: readonly number[],
    weightShape: readonly number[], biasShape: readonly number[]|null|undefined,
    groups: number, batched: readonly number[]) {
  checkShapeArray(opName, 'weight', weightShape);
  const ks = ['kD', 'kH', 'kW'].slice(3 - nd).join(', ');
  if (weightShape.length !== nd + 2) {
    throw new Error(`${opName}: expected a ${nd + 2}-dimensional weight (${transposed ?
        'inChannels, outChannels/groups' : 'outChannels, inChannels/groups'}, ${ks}), but ` +
        `got weight of size ${fmtShape(weightShape)}`);
  }
  if (weightShape.some(s => s === 0)) {
    throw new Error(`${opName}: non-empty ${nd + 2}D weight expected, but got weight of size ` +
        `${fmtShape(weightShape)}`);
  }
  checkBounded(opName, 'kernelSize', weightShape.slice(2));
  checkOutputSize(opName, weightShape, 'weight');
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
          `${c} channels instead` +
          layoutHints(nd, true, inputShape, weightShape, groups, weightShape[0]));
    }
  } else if (c !== weightShape[1] * groups) {
    throw new Error(`${opName}: Given groups=${groups}, weight of size ${fmtShape(weightShape)}, ` +
        `expected input${fmtShape(inputShape)} to have ${weightShape[1] * groups} channels, but ` +
        `got ${c} channels instead` +
        layoutHints(nd, false, inputShape, weightShape, groups, weightShape[1] * groups));
  }
  if (biasShape != null) {
    checkShapeArray(opName, 'bias', biasShape);
    const nb = transposed ? weightShape[1] * groups : weightShape[0];
    if (biasShape.length !== 1 || biasShape[0] !== nb) {
      throw new Error(`${opName}: Given ${transposed ? 'transposed=1' : `groups=${groups}`}, ` +
          `weight of size ${fmtShape(weightShape)}, expected bias to be 1-dimensional with ` +
          `${nb} elements, but got bias of size ${fmtShape(biasShape)} instead`);
    }
  }
}

/** `[a, b, c]` → `'[a, b, c]'` as a tf.transpose perm argument. */
const perm = (p: number[]) => `[${p.join(', ')}]`;

/**
 * What follows PyTorch's channel-mismatch message: the weight layout this op expects and, when
 * the shapes look like the likeliest mistakes, which one: tfjs' filter layout (`[kD, kH, kW, out,
 * in]` for conv3dTranspose, `[kD, kH, kW, in, out]` for conv3d) or channels-last input (its last
 * axis being the channel count the weight expects), each with the transpose that fixes it.
 */
function layoutHints(
    nd: SpatialDims, transposed: boolean, inputShape: readonly number[],
    weightShape: readonly number[], groups: number, expectedChannels: number): string {
  const ks = ['kD', 'kH', 'kW'].slice(3 - nd).join(', ');
  const spatial = Array.from({length: nd}, (_, i) => i);
  let msg = transposed ?
      `. weight must be [Cin, Cout/groups, ${ks}] (PyTorch's layout)` :
      `. weight must be [Cout, Cin/groups, ${ks}] (PyTorch's layout)`;
  const c = inputShape.length === nd + 2 ? inputShape[1] : inputShape[0];
  // tfjs' filter: spatial axes first; its last axis is the input's channels (transposed: tfjs'
  // inChannels is the small side, ours too; conv: tfjs' [.., in, out] has in at nd).
  const tfjsIn = transposed ? weightShape[nd + 1] : weightShape[nd];
  if (groups === 1 && tfjsIn === c) {
    msg += `; this weight looks like tfjs' filter layout [${ks}, ${transposed ?
        'outChannels, inChannels' : 'inChannels, outChannels'}]: convert it with ` +
        `tf.transpose(weight, ${perm([nd + 1, nd, ...spatial])})`;
  }
  const last = inputShape[inputShape.length - 1];
  if (last === expectedChannels && last !== c) {
    const batched = inputShape.length === nd + 2;
    msg += `; the input looks channels-last (${batched ? 'N' : ''}${
        ['D', 'H', 'W'].slice(3 - nd).join('')}C), but this package is channels-first as ` +
        `PyTorch: convert it with tf.transpose(input, ${batched ?
            perm([0, nd + 1, ...spatial.map(i => i + 1)]) : perm([nd, ...spatial])})`;
  }
  return msg;
}

/** Rank check; returns the batched shape (a unit batch prepended to unbatched input). */
function checkInputRank(
    opName: string, torchName: string, nd: SpatialDims, inputShape: readonly number[]) {
  checkShapeArray(opName, 'input', inputShape);
  if (inputShape.length !== nd + 1 && inputShape.length !== nd + 2) {
    throw new Error(`${opName}: Expected ${nd + 1}D (unbatched) or ${nd + 2}D (batched) input ` +
        `to ${torchName}, but got input of size: ${fmtShape(inputShape)}`);
  }
  const batched = inputShape.length === nd + 2 ? [...inputShape] : [1, ...inputShape];
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

interface NdAttrs {
  stride: number[]; padding: number[]; outputPadding: number[]; dilation: number[];
  groups: number;
}

/** Builds the (3-D) record from nd-validated pieces, lifting 1-D/2-D with unit axes. */
function makeInfo(
    nd: SpatialDims, batchSize: number, inC: number, weightShape: readonly number[],
    inSize: number[], outSize: number[], a: NdAttrs): ConvTranspose3DInfo {
  const g = a.groups;
  const outC = weightShape[1] * g;
  const w3 = [weightShape[0], weightShape[1], ...lift(weightShape.slice(2), 1)];
  const in3 = lift(inSize, 1), out3 = lift(outSize, 1);
  return {
    stride: lift(a.stride, 1),
    padding: lift(a.padding, 0),
    outputPadding: lift(a.outputPadding, 0),
    dilation: lift(a.dilation, 1),
    groups: g,
    batchSize,
    inChannels: inC,
    outChannels: outC,
    inChannelsPerGroup: inC / g,
    outChannelsPerGroup: weightShape[1],
    inSize: in3,
    outSize: out3,
    kernelSize: [w3[2], w3[3], w3[4]],
    inShape: [batchSize, inC, ...in3],
    outShape: [batchSize, outC, ...out3],
    weightShape: w3,
    spatialDims: nd,
  };
}

/**
 * Refuses, before anything is allocated, a result tfjs cannot hold (MAX_TENSOR_ELEMENTS) and a
 * call whose working set does not fit that budget either: conv's zero-padded input with its
 * output, or a transposed convolution's input with its uncropped output (before `padding` is
 * removed), the tensors the tensorflow backend holds at once. This also bounds every index the
 * kernels form, and refuses padding so large that nearly all the work is padding (1e9 on one
 * voxel: 2·10⁹ outputs, 8 GB, half a minute, rather than an error).
 */
function checkSizes(opName: string, info: ConvTranspose3DInfo, transposed: boolean) {
  const {batchSize: n, inChannels: cSmall, outChannels: cBig, padding, outputPadding} = info;
  const axes = LIFTED_AXES[info.spatialDims];
  const user = (c: number, spatial: (a: number) => number) => [n, c, ...axes.map(spatial)];
  const small = user(cSmall, a => info.inSize[a]), big = user(cBig, a => info.outSize[a]);
  checkOutputSize(opName, transposed ? big : small, 'output');
  const [workName, work, other, otherName] = transposed ?
      ['uncropped output', user(cBig, a => info.outSize[a] + 2 * padding[a] - outputPadding[a]),
       small, 'input'] :
      ['zero-padded input', user(cBig, a => info.outSize[a] + 2 * padding[a]), small, 'output'];
  const total = work.reduce((a, b) => a * b, 1) + other.reduce((a, b) => a * b, 1);
  if (!(total <= MAX_TENSOR_ELEMENTS)) {
    throw new Error(`${opName}: the ${workName} ${fmtShape(work)} and the ${otherName} ` +
        `${fmtShape(other)} would need ${total} elements at once, more than the ` +
        `${MAX_TENSOR_ELEMENTS} a tfjs tensor can hold (check padding and stride)`);
  }
}

/** Checks outputPadding (PyTorch's slow_conv_transpose shape check) and output size ≥ 1. */
function checkTransposedOutput(
    opName: string, inSize: number[], outSize: number[], a: NdAttrs) {
  const nd = inSize.length;
  const ok = a.outputPadding.every((op, i) => op < a.stride[i] || op < a.dilation[i]);
  if (!ok) {
    const names = axisNames(nd);
    const list = (label: string, v: number[]) =>
        v.map((x, i) => `${label}_${names[i]}: ${x}`).join(' ');
    throw new Error(`${opName}: output padding must be smaller than either stride or ` +
        `dilation, but got ${list('output_padding', a.outputPadding)} ` +
        `${list('stride', a.stride)} ${list('dilation', a.dilation)}`);
  }
  if (outSize.some(s => s < 1)) {
    throw new Error(`${opName}: Given input size per channel: (${inSize.join(' x ')}). ` +
        `Calculated output size per channel: (${outSize.join(' x ')}). Output size is too small`);
  }
}

/**
 * Geometry of a transposed convolution with `nd` spatial axes (`torch.nn.functional.
 * conv_transpose{nd}d`), PyTorch's checks in PyTorch's order. `outputSize`, when given, is turned
 * into per-axis outputPadding here. The record is 3-D (lower ranks lifted with unit axes).
 */
export function convTransposeInfo(
    nd: SpatialDims, opName: string, inputShape: readonly number[],
    weightShape: readonly number[], biasShape: readonly number[]|null|undefined,
    options: ConvTranspose3DOptions = {}, sizeLimits = true): ConvTranspose3DInfo {
  const batched = checkInputRank(opName, `conv_transpose${nd}d`, nd, inputShape);
  const stride = toSpatial(opName, 'stride', options.stride, 1, nd);
  const padding = toSpatial(opName, 'padding', options.padding, 0, nd);
  let outputPadding = toSpatial(opName, 'outputPadding', options.outputPadding, 0, nd);
  const dilation = toSpatial(opName, 'dilation', options.dilation, 1, nd);
  const groups = checkGroups(opName, options.groups);
  checkCommon(opName, stride, padding, dilation, outputPadding);
  checkWeightAndBias(opName, nd, true, inputShape, weightShape, biasShape, groups, batched);
  const inSize = batched.slice(2);
  const k = weightShape.slice(2);
  if (options.outputSize != null) {
    outputPadding = outputPaddingFromSize(
        nd, opName, inputShape, options.outputSize, stride, padding, dilation, k);
  }
  const outSize = inSize.map(
      (n, i) => transposedSize(n, stride[i], padding[i], dilation[i], k[i], outputPadding[i]));
  const attrs = {stride, padding, outputPadding, dilation, groups};
  checkTransposedOutput(opName, inSize, outSize, attrs);
  const info = makeInfo(nd, batched[0], batched[1], weightShape, inSize, outSize, attrs);
  if (sizeLimits) checkSizes(opName, info, true);
  return info;
}

/** Geometry of `convTranspose3d(input, weight, bias, options)`. */
export function convTranspose3dInfo(
    opName: string, inputShape: readonly number[], weightShape: readonly number[],
    biasShape: readonly number[]|null|undefined,
    options: ConvTranspose3DOptions = {}): ConvTranspose3DInfo {
  return convTransposeInfo(3, opName, inputShape, weightShape, biasShape, options);
}

/** PyTorch's `_ConvTransposeNd._output_padding`. */
function outputPaddingFromSize(
    nd: SpatialDims, opName: string, inputShape: readonly number[],
    outputSize: readonly number[], stride: number[], padding: number[], dilation: number[],
    k: readonly number[]): number[] {
  if (!Array.isArray(outputSize)) {
    throw new Error(`${opName}: outputSize must be an array of integers, but got ` +
        `${String(outputSize)}`);
  }
  const nonSpatial = inputShape.length === nd + 2 ? 2 : 1;
  const sizes = outputSize.length === nonSpatial + nd ? outputSize.slice(nonSpatial) :
                                                         outputSize;
  if (sizes.length !== nd) {
    throw new Error(`${opName}: ConvTranspose${nd}D: for ${inputShape.length}D input, ` +
        `outputSize must have ${nd} or ${nonSpatial + nd} elements (got ${outputSize.length})`);
  }
  outputSize.forEach((v, i) => {
    if (!isInt(v)) {
      throw new Error(`${opName}: outputSize must be a list of integers, but found ${v} at ` +
          `position ${i}`);
    }
  });
  const spatialIn = inputShape.slice(nonSpatial);
  const minSizes = spatialIn.map(
      (n, i) => transposedSize(n, stride[i], padding[i], dilation[i], k[i], 0));
  const maxSizes = minSizes.map((m, i) => m + stride[i] - 1);
  if (sizes.some((s, i) => s < minSizes[i] || s > maxSizes[i])) {
    throw new Error(`${opName}: requested an output size of ${fmtShape(sizes)}, but valid ` +
        `sizes range from ${fmtShape(minSizes)} to ${fmtShape(maxSizes)} (for an input of ` +
        `${fmtShape(spatialIn)})`);
  }
  return sizes.map((s, i) => s - minSizes[i]);
}

/**
 * Geometry of a convolution with `nd` spatial axes (`torch.nn.functional.conv{nd}d`), expressed
 * as the adjoint transposed convolution: the conv input is the record's big (`out*`) side.
 */
export function convInfo(
    nd: SpatialDims, opName: string, inputShape: readonly number[],
    weightShape: readonly number[], biasShape: readonly number[]|null|undefined,
    options: Conv3DOptions = {}, sizeLimits = true): ConvTranspose3DInfo {
  const batched = checkInputRank(opName, `conv${nd}d`, nd, inputShape);
  const stride = toSpatial(opName, 'stride', options.stride, 1, nd);
  if (typeof options.padding === 'string') {
    throw new Error(`${opName}: string padding ('${options.padding}') is not supported; pass ` +
        `numbers`);
  }
  const padding = toSpatial(opName, 'padding', options.padding, 0, nd);
  const dilation = toSpatial(opName, 'dilation', options.dilation, 1, nd);
  const groups = checkGroups(opName, options.groups);
  checkCommon(opName, stride, padding, dilation, new Array(nd).fill(0));
  checkWeightAndBias(opName, nd, false, inputShape, weightShape, biasShape, groups, batched);
  const bigSize = batched.slice(2);
  const k = weightShape.slice(2);
  const padded = bigSize.map((n, i) => n + 2 * padding[i]);
  const eff = k.map((kk, i) => dilation[i] * (kk - 1) + 1);
  if (padded.some((p, i) => p < eff[i])) {
    throw new Error(`${opName}: Calculated padded input size per channel: (` +
        `${padded.join(' x ')}). Kernel size: (${eff.join(' x ')}). Kernel size can't be ` +
        `greater than actual input size`);
  }
  const smallSize = padded.map((p, i) => Math.floor((p - eff[i]) / stride[i]) + 1);
  // The big side's extra rows past the last window: always < stride, so a legal outputPadding.
  const outputPadding = bigSize.map(
      (n, i) => n - transposedSize(smallSize[i], stride[i], padding[i], dilation[i], k[i], 0));
  const attrs = {stride, padding, outputPadding, dilation, groups};
  const info = makeInfo(nd, batched[0], weightShape[0], weightShape, smallSize, bigSize, attrs);
  if (sizeLimits) checkSizes(opName, info, false);
  return info;
}

/** Geometry of `conv3d(input, weight, bias, options)` (torch.nn.functional.conv3d). */
export function conv3dInfo(
    opName: string, inputShape: readonly number[], weightShape: readonly number[],
    biasShape: readonly number[]|null|undefined, options: Conv3DOptions = {}): ConvTranspose3DInfo {
  return convInfo(3, opName, inputShape, weightShape, biasShape, options);
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

/** A 5-D shape of the record, as the op's rank: unit axes dropped, batch dropped if unbatched. */
export function userShape(shape5: readonly number[], nd: SpatialDims, batched: boolean): number[] {
  const s = [shape5[0], shape5[1], ...LIFTED_AXES[nd].map(a => shape5[2 + a])];
  return batched ? s : s.slice(1);
}

/** Multiply-adds of the map (= FLOPs / 2): N·Cin·(Cout/g)·kvol·D·H·W. */
export function macCount(info: ConvTranspose3DInfo): number {
  const [kd, kh, kw] = info.kernelSize;
  const [d, h, w] = info.inSize;
  return info.batchSize * info.inChannels * info.outChannelsPerGroup * kd * kh * kw * d * h * w;
}
