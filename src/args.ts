/**
 * Shared argument handling for every public op and layer (beside the geometry module, which owns
 * the convolution shapes): option objects with unknown-key refusal, scalar checks, and
 * PyTorch-style messages that name the function, the argument, the rule and the value received.
 * Nobody copies these per op or per layer.
 */

/**
 * tfjs' (and Keras') spellings of options that PyTorch, and so this package, spells otherwise:
 * an unknown key found here gets the hint. Values: what to write instead.
 */
const OTHER_SPELLINGS: Record<string, string> = {
  strides: "'stride'",
  dilations: "'dilation'",
  dilationRate: "'dilation'",
  dilation_rate: "'dilation'",
  filters: "'outChannels' (layers) or the weight's shape (ops)",
  units: "'outFeatures'",
  useBias: "'bias'",
  use_bias: "'bias'",
  kernel_size: "'kernelSize'",
  poolSize: "'kernelSize'",
  pool_size: "'kernelSize'",
  output_padding: "'outputPadding'",
  output_size: "'outputSize'",
  padding_mode: "'paddingMode'",
  epsilon: "'eps'",
  dataFormat: "nothing: this package is always channels-first (NCDHW, NCHW, NCL), as PyTorch",
  data_format: "nothing: this package is always channels-first (NCDHW, NCHW, NCL), as PyTorch",
  in_channels: "'inChannels'",
  out_channels: "'outChannels'",
  num_features: "'numFeatures'",
  num_groups: "'numGroups'",
  num_channels: "'numChannels'",
  track_running_stats: "'trackRunningStats'",
  in_features: "'inFeatures'",
  out_features: "'outFeatures'",
  scale_factor: "'scaleFactor'",
  align_corners: "'alignCorners'",
  ceil_mode: "'ceilMode'",
  count_include_pad: "'countIncludePad'",
  divisor_override: "'divisorOverride'",
  use_input_stats: "'useInputStats'",
  running_mean: "'runningMean'",
  running_var: "'runningVar'",
};

/** `v` as a string a message can show: arrays as `[1, 2]`, objects by their type. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(describeValue).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') {
    const name = (v as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return String(v);
}

/**
 * `options` as an object whose keys are all in `allowed`, or `{}` for `undefined`/`null`. Refuses
 * anything else (a number, an array, a string: `convTranspose3d(x, w, b, 2)`) and unknown keys,
 * as PyTorch raises `TypeError: f() got an unexpected keyword argument 'strides'`, with a hint
 * for tfjs' spellings. Keys whose value is `undefined` count too: a misspelt key is a misspelt key.
 */
export function checkOptions<T extends object>(
    fnName: string, options: T|null|undefined, allowed: readonly string[],
    argName = 'options'): T {
  if (options == null) return {} as T;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${fnName}: argument '${argName}' must be an object with any of ` +
        `{${allowed.join(', ')}}, but got ${typeof options === 'object' ? 'an array' :
        typeof options} ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const hint = Object.prototype.hasOwnProperty.call(OTHER_SPELLINGS, key) ?
          ` (did you mean ${OTHER_SPELLINGS[key]}?)` : '';
      throw new Error(`${fnName}: got an unexpected keyword argument '${key}'${hint}; the ` +
          `accepted ${argName} are ${allowed.join(', ')}`);
    }
  }
  return options;
}

/** An integer ≥ `min` (PyTorch's ints), or `dflt` when `undefined`/`null`. */
export function checkInt(
    fnName: string, argName: string, value: unknown, min: number, dflt?: number): number {
  if (value == null && dflt !== undefined) return dflt;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`${fnName}: argument '${argName}' must be an integer ≥ ${min}, but got ` +
        describeValue(value));
  }
  return value;
}

/**
 * A finite number (with `min`/`max` bounds, inclusive unless `exclusiveMin`), or `dflt` when
 * `undefined`/`null`. NaN and ±Infinity are refused.
 */
export function checkNumber(
    fnName: string, argName: string, value: unknown,
    rule: {dflt?: number, min?: number, max?: number, exclusiveMin?: boolean} = {}): number {
  if (value == null && rule.dflt !== undefined) return rule.dflt;
  const {min, max, exclusiveMin} = rule;
  const ok = typeof value === 'number' && Number.isFinite(value) &&
      (min === undefined || (exclusiveMin ? value > min : value >= min)) &&
      (max === undefined || value <= max);
  if (!ok) {
    const bounds = [min === undefined ? '' : `${exclusiveMin ? '>' : '≥'} ${min}`,
                    max === undefined ? '' : `≤ ${max}`].filter(s => s).join(' and ');
    throw new Error(`${fnName}: argument '${argName}' must be a finite number` +
        `${bounds ? ` ${bounds}` : ''}, but got ${describeValue(value)}`);
  }
  return value as number;
}

/** A boolean, or `dflt` when `undefined`. */
export function checkBool(fnName: string, argName: string, value: unknown, dflt: boolean):
    boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') {
    throw new Error(`${fnName}: argument '${argName}' must be a boolean, but got ` +
        describeValue(value));
  }
  return value;
}

/** One of `choices` (strings), or `dflt` when `undefined`. */
export function checkChoice<T extends string>(
    fnName: string, argName: string, value: unknown, choices: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new Error(`${fnName}: argument '${argName}' must be one of ` +
        `${choices.map(c => `'${c}'`).join(', ')}, but got ${describeValue(value)}`);
  }
  return value as T;
}

/**
 * Largest number of elements one tensor may have: tfjs' backends hold a tensor in one typed array
 * (V8's limit is 2³¹ − 1 float32 elements less a little; WebGL far less), so larger results are
 * refused before anything is allocated, with the op's name.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** Throws, naming the op and the shape, when a result of `shape` cannot be held by tfjs. */
export function checkOutputSize(fnName: string, shape: readonly number[], what = 'output'):
    void {
  let n = 1;
  for (const s of shape) n *= s;
  if (!(n <= MAX_TENSOR_ELEMENTS)) {
    throw new Error(`${fnName}: the ${what} would have shape [${shape.join(', ')}] = ${n} ` +
        `elements, more than the ${MAX_TENSOR_ELEMENTS} a tfjs tensor can hold`);
  }
}

/**
 * tfjs' own layer arguments (`LayerArgs`), accepted by every layer of ours beside its own, and
 * `customObjects`, which tfjs' deserializer (`tf.loadLayersModel`, `fromConfig`) adds to every
 * layer's config.
 */
export const TFJS_LAYER_ARGS = [
  'name', 'inputShape', 'batchInputShape', 'batchSize', 'dtype', 'trainable', 'weights',
  'inputDType',
  'customObjects',
] as const;
const COUNT_WORDS = ['zero', 'one', 'two', 'three'];

/**
 * An integer or a list of `nd` integers (PyTorch's `_ntuple` for pooling's kernel_size, stride,
 * padding, dilation) → a list of `nd`, or `dflt` when `undefined`/`null`. Ranges are the
 * caller's (PyTorch words each rule differently).
 */
export function checkIntTuple(
    fnName: string, argName: string, value: unknown, nd: number, dflt?: readonly number[]):
    number[] {
  if (value == null && dflt !== undefined) return [...dflt];
  const ok = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v);
  if (ok(value)) return new Array(nd).fill(value);
  if (!Array.isArray(value) || value.length !== nd || !value.every(ok)) {
    throw new Error(`${fnName}: ${argName} must either be a single int, or a tuple of ` +
        `${COUNT_WORDS[nd] ?? nd} ints, but got ${describeValue(value)}`);
  }
  return [...value] as number[];
}
