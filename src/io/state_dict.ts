/** A PyTorch state_dict → tfjs layers, with `load_state_dict(strict=True)`'s reporting. */
import {NamedTensorMap} from '@tensorflow/tfjs-core';
import type {LayersModel, LayerVariable} from '@tensorflow/tfjs-layers';
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

/** PyTorch's name for a tfjs weight (tfjs' `kernel` is PyTorch's `weight`). */
function torchParamName(v: LayerVariable): string {
  const base = v.originalName.split('/').pop()!;
  return base === 'kernel' ? 'weight' : base;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
  /** Keys present on both sides with different shapes. */
  mismatched: Array<{key: string, checkpoint: number[], model: number[]}>;
}

export interface AssignStateDictOptions {
  /**
   * PyTorch module prefix → tfjs layer name, e.g. `{up1: 'up1', '0': 'conv_transpose3d_1'}`.
   * Default: every layer with weights, under its own name.
   */
  mapping?: Record<string, string>;
  /** As PyTorch's `strict` (default true): throw, and assign nothing, on any problem. */
  strict?: boolean;
}

const fmt = (s: number[]) => `torch.Size([${s.join(', ')}])`;

/**
 * Copies `stateDict` into `model`'s weights, key `<prefix>.<weight|bias|…>` → the mapped layer's
 * `kernel|bias|…`, with no transposes (our layer keeps PyTorch's layout). Reports missing,
 * unexpected and wrong-shaped keys as PyTorch's `load_state_dict` does; with `strict` (default)
 * any of them throws PyTorch's message before anything is assigned. Does not dispose `stateDict`.
 */
export function assignStateDict(
    model: LayersModel, stateDict: NamedTensorMap,
    options: AssignStateDictOptions = {}): LoadStateDictResult {
  const strict = options.strict ?? true;
  const mapping = options.mapping ??
      Object.fromEntries(model.layers.filter(l => l.weights.length > 0).map(l => [l.name, l.name]));
  const targets = new Map<string, LayerVariable>();
  for (const [prefix, layerName] of Object.entries(mapping)) {
    const layer = model.layers.find(l => l.name === layerName);
    if (layer == null) {
      throw new Error(`assignStateDict: the model has no layer named '${layerName}' (mapped from ` +
          `'${prefix}'); its layers are ${model.layers.map(l => `'${l.name}'`).join(', ')}`);
    }
    for (const v of layer.weights) targets.set(`${prefix}.${torchParamName(v)}`, v);
  }
  const result: LoadStateDictResult = {
    missingKeys: [...targets.keys()].filter(k => !(k in stateDict)),
    unexpectedKeys: Object.keys(stateDict).filter(k => !targets.has(k)),
    mismatched: [],
  };
  for (const [k, v] of targets) {
    const t = stateDict[k];
    if (t != null && (t.shape.length !== v.shape.length ||
                      t.shape.some((n, i) => n !== v.shape[i]))) {
      result.mismatched.push({key: k, checkpoint: [...t.shape], model: v.shape as number[]});
    }
  }
  const errors: string[] = [];
  if (strict && result.unexpectedKeys.length > 0) {
    errors.push(`Unexpected key(s) in state_dict: ${
        result.unexpectedKeys.map(k => `"${k}"`).join(', ')}. `);
  }
  if (strict && result.missingKeys.length > 0) {
    errors.push(`Missing key(s) in state_dict: ${
        result.missingKeys.map(k => `"${k}"`).join(', ')}. `);
  }
  for (const m of result.mismatched) {  // PyTorch reports these even when not strict
    errors.push(`size mismatch for ${m.key}: copying a param with shape ${fmt(m.checkpoint)} ` +
        `from checkpoint, the shape in current model is ${fmt(m.model)}.`);
  }
  if (errors.length > 0) {
    throw new Error(`Error(s) in loading state_dict for ${model.name}:\n\t${errors.join('\n\t')}`);
  }
  for (const [k, v] of targets) {
    const t = stateDict[k];
    if (t == null) continue;
    if (t.dtype !== v.dtype) {
      throw new Error(`assignStateDict: '${k}' is ${t.dtype}, but the model's weight is ${v.dtype}`);
    }
  }
  for (const [k, v] of targets) if (stateDict[k] != null) v.write(stateDict[k]);
  return result;
}
