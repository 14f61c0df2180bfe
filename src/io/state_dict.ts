/** A PyTorch state_dict → tfjs layers, with `load_state_dict(strict=True)`'s reporting. */
import {NamedTensorMap, Tensor} from '@tensorflow/tfjs-core';
import type {LayersModel, LayerVariable} from '@tensorflow/tfjs-layers';
import {checkBool, checkOptions, describeValue} from '../args.js';
import {checkData, checkLoadOptions, TORCH_OPTION_KEYS} from './limits.js';
import {looksLikeSafetensors, readSafetensors} from './safetensors.js';
import {looksLikeZip, readTorchFile, TorchLoadOptions} from './torch_zip.js';

/**
 * Reads a state_dict from a `torch.save` zip file or a `.safetensors` file into named tensors, in
 * a prototype-less object. The caller owns (and disposes) them. The format is told apart by
 * structure, not a guess from two bytes: a zip has a local header signature at 0 *and* an end of
 * central directory; a safetensors file has a header length that fits the file and a header that
 * opens with '{' (after blanks). A real file is never both (a zip's byte 8 is its compression
 * method, and its "header length" reads ≥ 64 MiB); a crafted one is refused. What is neither
 * goes to the reader its first bytes suggest, for that reader's error.
 */
export function loadStateDict(data: Uint8Array|ArrayBuffer, options?: TorchLoadOptions|null):
    NamedTensorMap {
  const bytes = checkData('loadStateDict', data);
  const limits = checkLoadOptions('loadStateDict', options, TORCH_OPTION_KEYS);
  const zip = looksLikeZip(bytes), safetensors = looksLikeSafetensors(bytes);
  if (zip && safetensors) {
    throw new Error('loadStateDict: the data reads both as a zip and as a safetensors file; ' +
        'call loadTorchFile or loadSafetensors');
  }
  if (zip) return readTorchFile(bytes, limits).tensors;
  if (safetensors) return readSafetensors(bytes, limits);
  // Neither: a damaged zip (PK…) or a legacy pickle (PROTO 0x80) gets torch.load's diagnosis.
  if (bytes.length >= 2 && ((bytes[0] === 0x50 && bytes[1] === 0x4b) || bytes[0] === 0x80)) {
    return readTorchFile(bytes, limits).tensors;
  }
  return readSafetensors(bytes, limits);
}

/** PyTorch's name for a tfjs weight: its name after the last '/' (tfjs' `kernel` is `weight`). */
function torchParamName(v: LayerVariable): string {
  const base = v.originalName.split('/').pop()!;
  return base === 'kernel' ? 'weight' : base;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
  /** Keys present on both sides with different shapes. */
  mismatched: Array<{key: string, checkpoint: number[], model: number[]}>;
  /**
   * With the `prefix` option only: keys without the prefix, not considered (not unexpected
   * either).
   */
  ignoredKeys?: string[];
}

export interface AssignStateDictOptions {
  /**
   * PyTorch module path → tfjs layer name, e.g. `{up1: 'up1', '0': 'conv_transpose3d_1'}`.
   * Default: every layer with weights under its own name (name a layer with its module path,
   * `'decoders.0.upsample'`, and no mapping is needed); layers of a nested model as
   * `<model name>.<layer name>`.
   */
  mapping?: Record<string, string>;
  /** As PyTorch's `strict` (default true): missing or unexpected keys throw. */
  strict?: boolean;
  /**
   * Only keys that start with this prefix are loaded, with it removed: `'model_state_dict'` for
   * a training checkpoint `{model_state_dict, optimizer_state_dict, …}` read by loadStateDict,
   * `'module'` for a `DataParallel` model. A trailing '.' is added when missing. Other keys are
   * ignored (listed in `ignoredKeys`, never unexpected).
   */
  prefix?: string;
}

const fmt = (s: readonly number[]) => `torch.Size([${s.join(', ')}])`;

/** What a state_dict value is, in PyTorch's words (`NoneType` for null/undefined). */
function typeName(v: unknown): string {
  if (v == null) return `NoneType (${v === null ? 'null' : 'undefined'})`;
  return describeValue(v).replace(/^an? /, '');
}

interface LayerLike {name: string; weights: LayerVariable[]; layers?: LayerLike[]}

/** `key → variable` of every weight under `path`, nested models' layers included. */
function collect(layer: LayerLike, path: string, into: Map<string, LayerVariable>) {
  if (Array.isArray(layer.layers) && layer.layers.length > 0) {
    for (const l of layer.layers) collect(l, `${path}.${l.name}`, into);
    return;
  }
  for (const v of layer.weights) {
    const key = `${path}.${torchParamName(v)}`;
    if (into.has(key)) {
      throw new Error(`assignStateDict: two weights of the model map to the key '${key}' (layer ` +
          `'${layer.name}'); give the layers distinct names or pass a mapping`);
    }
    into.set(key, v);
  }
}

/**
 * Copies `stateDict` into `model`'s weights: key `<layer name>.<weight name>` (or the mapped
 * module path) → that layer's weight, with no transposes (our layers keep PyTorch's layout and
 * names: `weight`/`kernel`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
 * All or nothing: every value is checked first (a live Tensor — not null, not disposed, not a
 * tensor-like object —, same dtype, same shape), and with `strict` every key accounted for; any
 * problem throws PyTorch's `load_state_dict` message listing them all, and nothing is written.
 * Does not dispose `stateDict` (the model's variables take their own reference).
 */
export function assignStateDict(
    model: LayersModel, stateDict: NamedTensorMap|Record<string, Tensor|null|undefined>,
    options: AssignStateDictOptions = {}): LoadStateDictResult {
  const fn = 'assignStateDict';
  if (model == null || !Array.isArray((model as {layers?: unknown}).layers)) {
    throw new Error(`${fn}: argument 'model' must be a tfjs LayersModel, but got ` +
        describeValue(model));
  }
  if (stateDict == null || typeof stateDict !== 'object' || Array.isArray(stateDict) ||
      stateDict instanceof Tensor) {
    throw new Error(`${fn}: argument 'stateDict' must be an object of named tensors (a ` +
        `state_dict, e.g. from loadStateDict), but got ${describeValue(stateDict)}`);
  }
  const opts = checkOptions(fn, options, ['mapping', 'strict', 'prefix']);
  const strict = checkBool(fn, 'strict', opts.strict, true);
  if (opts.prefix != null && typeof opts.prefix !== 'string') {
    throw new Error(`${fn}: option 'prefix' must be a string, but got ${describeValue(opts.prefix)}`);
  }
  const prefix = opts.prefix ? (opts.prefix.endsWith('.') ? opts.prefix : `${opts.prefix}.`) : '';
  if (opts.mapping != null && (typeof opts.mapping !== 'object' || Array.isArray(opts.mapping))) {
    throw new Error(`${fn}: option 'mapping' must be an object {modulePath: layerName}, but got ` +
        describeValue(opts.mapping));
  }
  const layers = model.layers as unknown as LayerLike[];
  const mapping = opts.mapping ??
      Object.fromEntries(layers.filter(l => l.weights.length > 0).map(l => [l.name, l.name]));
  const targets = new Map<string, LayerVariable>();
  for (const [path, layerName] of Object.entries(mapping)) {
    const layer = layers.find(l => l.name === layerName);
    if (layer == null) {
      throw new Error(`${fn}: the model has no layer named '${layerName}' (mapped from ` +
          `'${path}'); its layers are ${layers.map(l => `'${l.name}'`).join(', ')}`);
    }
    collect(layer, path, targets);
  }
  // The state_dict's entries, prefix removed (own keys only: nothing from a prototype).
  const entries = new Map<string, unknown>();
  const ignoredKeys: string[] = [];
  for (const k of Object.keys(stateDict)) {
    if (prefix && !k.startsWith(prefix)) {
      ignoredKeys.push(k);
      continue;
    }
    entries.set(k.slice(prefix.length), (stateDict as Record<string, unknown>)[k]);
  }
  const result: LoadStateDictResult = {
    missingKeys: [...targets.keys()].filter(k => !entries.has(k)),
    unexpectedKeys: [...entries.keys()].filter(k => !targets.has(k)),
    mismatched: [],
    ...(prefix ? {ignoredKeys} : {}),
  };
  const errors: string[] = [];
  if (strict && result.unexpectedKeys.length > 0) {
    errors.push(`Unexpected key(s) in state_dict: ${
        result.unexpectedKeys.map(k => `"${prefix}${k}"`).join(', ')}. `);
  }
  if (strict && result.missingKeys.length > 0) {
    errors.push(`Missing key(s) in state_dict: ${
        result.missingKeys.map(k => `"${prefix}${k}"`).join(', ')}. `);
  }
  // Every value, strict or not (PyTorch reports these in both modes).
  for (const [k, v] of targets) {
    if (!entries.has(k)) continue;
    const t = entries.get(k);
    const name = `${prefix}${k}`;
    if (!(t instanceof Tensor)) {
      errors.push(`While copying the parameter named "${name}", expected torch.Tensor or ` +
          `Tensor-like object from checkpoint but received ${typeName(t)}`);
    } else if (t.isDisposed) {
      errors.push(`While copying the parameter named "${name}", the checkpoint's tensor has ` +
          `been disposed`);
    } else if (t.shape.length !== v.shape.length || t.shape.some((n: number, i: number) => n !== v.shape[i])) {
      result.mismatched.push({key: name, checkpoint: [...t.shape], model: v.shape as number[]});
      errors.push(`size mismatch for ${name}: copying a param with shape ${fmt(t.shape)} ` +
          `from checkpoint, the shape in current model is ${fmt(v.shape as number[])}.`);
    } else if (t.dtype !== v.dtype) {
      errors.push(`dtype mismatch for ${name}: the checkpoint's tensor is ${t.dtype}, the ` +
          `model's weight is ${v.dtype} (cast it with tf.cast first)`);
    }
  }
  if (errors.length > 0) {
    throw new Error(`Error(s) in loading state_dict for ${model.name}:\n\t${errors.join('\n\t')}`);
  }
  for (const [k, v] of targets) {
    if (entries.has(k)) v.write(entries.get(k) as Tensor);
  }
  return result;
}

/** Takes tensors out of a state_dict by key, for ports written as plain functions. */
export interface StateDictTaker {
  /**
   * The tensor under `key` (after the prefix); throws naming the key and the closest keys when
   * there is none, or when it is not a live tensor, or (with `shape`) has another shape.
   */
  take(key: string, shape?: readonly number[]): Tensor;
  /** Whether `key` is present. */
  has(key: string): boolean;
  /** Keys never taken, in the state_dict's order (PyTorch's "unexpected keys" of the port). */
  unusedKeys(): string[];
  /** Throws listing the unused keys, if any (a strict port's last line). */
  assertAllUsed(): void;
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Whether the '.'-parts of `key` appear in `k`'s, in order. */
function hasParts(k: string, key: string): boolean {
  const parts = k.split('.');
  let i = 0;
  for (const p of key.split('.')) {
    while (i < parts.length && parts[i] !== p) i++;
    if (i++ >= parts.length) return false;
  }
  return true;
}

/**
 * `const p = stateDictTaker(sd); const w = p.take('enc.0.weight'); …; p.assertAllUsed()`.
 * `prefix` as assignStateDict's ('model_state_dict', 'module'): keys without it are left out.
 * The tensors stay owned by the caller (taking does not copy or dispose).
 */
export function stateDictTaker(
    stateDict: NamedTensorMap|Record<string, Tensor|null|undefined>,
    options: {prefix?: string} = {}): StateDictTaker {
  const fn = 'stateDictTaker';
  if (stateDict == null || typeof stateDict !== 'object' || Array.isArray(stateDict) ||
      stateDict instanceof Tensor) {
    throw new Error(`${fn}: argument 'stateDict' must be an object of named tensors, but got ` +
        describeValue(stateDict));
  }
  const opts = checkOptions(fn, options, ['prefix']);
  const prefix = opts.prefix ? (opts.prefix.endsWith('.') ? opts.prefix : `${opts.prefix}.`) : '';
  const entries = new Map<string, unknown>();
  for (const k of Object.keys(stateDict)) {
    if (k.startsWith(prefix)) entries.set(k.slice(prefix.length), (stateDict as Record<string, unknown>)[k]);
  }
  const used = new Set<string>();
  // Close keys: those containing the key's dot-separated parts in order ('enc.0.weight' →
  // 'enc.0.conv.weight') first, then those a few edits away.
  const close = (key: string) => [...entries.keys()]
      .map(k => ({k, d: editDistance(key, k) - (hasParts(k, key) ? 1000 : 0)}))
      .filter(({d}) => d <= Math.max(3, Math.floor(key.length / 3)))
      .sort((a, b) => a.d - b.d).slice(0, 3).map(({k}) => `'${k}'`);
  return {
    take(key, shape) {
      if (!entries.has(key)) {
        const near = close(key);
        throw new Error(`${fn}: no key '${prefix}${key}' in the state_dict (${entries.size} ` +
            `keys${prefix ? ` under '${prefix}'` : ''})` +
            (near.length ? `; close keys: ${near.join(', ')}` : ''));
      }
      const t = entries.get(key);
      if (!(t instanceof Tensor)) {
        throw new Error(`${fn}: '${prefix}${key}' is not a Tensor but ${typeName(t)}`);
      }
      if (t.isDisposed) throw new Error(`${fn}: '${prefix}${key}' has been disposed`);
      if (shape != null && (shape.length !== t.rank || shape.some((s, i) => s !== t.shape[i]))) {
        throw new Error(`${fn}: '${prefix}${key}' has shape ${fmt(t.shape)}, expected ` +
            fmt(shape));
      }
      used.add(key);
      return t;
    },
    has: key => entries.has(key),
    unusedKeys: () => [...entries.keys()].filter(k => !used.has(k)).map(k => prefix + k),
    assertAllUsed() {
      const unused = this.unusedKeys();
      if (unused.length > 0) {
        throw new Error(`${fn}: ${unused.length} key(s) of the state_dict were never taken: ` +
            unused.map(k => `"${k}"`).join(', '));
      }
    },
  };
}
