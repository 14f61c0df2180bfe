/** Reading `.safetensors` files (8-byte LE header length, JSON header, raw LE data). */
import {NamedTensorMap, tensor} from '@tensorflow/tfjs-core';
import {checkedNumel, DTYPES, gather} from './dtypes.js';

const MAX_HEADER = 100 * 1024 * 1024;

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and validates the header only; no tensor data is touched. */
export function parseSafetensorsHeader(bytes: Uint8Array):
    {entries: Map<string, SafetensorsEntry>, metadata: Record<string, string>, dataStart: number} {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array or ArrayBuffer');
  if (bytes.length < 8) fail(`file is truncated (${bytes.length} bytes, need at least 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(`header length ${n} exceeds the file size (${bytes.length} bytes): truncated or not a ` +
        `safetensors file`);
  }
  if (n > BigInt(MAX_HEADER)) fail(`header length ${n} is larger than ${MAX_HEADER}`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(
        bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header == null || Array.isArray(header)) {
    fail('header must be a JSON object');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw == null ||
          Object.values(raw).some(v => typeof v !== 'string')) {
        fail('__metadata__ must map strings to strings');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as {dtype?: unknown, shape?: unknown, data_offsets?: unknown};
    if (typeof e !== 'object' || e == null) fail(`entry '${name}' is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPES)) {
      fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(e.dtype)} (supported: ` +
          `${Object.keys(DTYPES).join(', ')})`);
    }
    if (!Array.isArray(e.shape)) fail(`tensor '${name}' has no shape array`);
    const numel = checkedNumel(e.shape as number[], `safetensors: tensor '${name}'`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 ||
        !off.every(o => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1] ||
        off[1] > dataLen) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)} (data section is ` +
          `${dataLen} bytes)`);
    }
    if (off[1] - off[0] !== numel * DTYPES[e.dtype].itemSize) {
      fail(`tensor '${name}': data_offsets span ${off[1] - off[0]} bytes, but shape ` +
          `[${(e.shape as number[]).join(', ')}] of ${e.dtype} needs ` +
          `${numel * DTYPES[e.dtype].itemSize}`);
    }
    entries.set(name, {dtype: e.dtype, shape: [...e.shape as number[]], begin: off[0], end: off[1]});
  }
  return {entries, metadata, dataStart};
}

/**
 * A safetensors file → named tfjs tensors. Floats (F32/F64/F16/BF16) become float32, integers
 * int32 (range-checked), BOOL bool. The caller owns (and disposes) the tensors.
 */
export function loadSafetensors(data: Uint8Array|ArrayBuffer): NamedTensorMap {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  const {entries, dataStart} = parseSafetensorsHeader(bytes);
  const arrays: Array<[string, SafetensorsEntry, ReturnType<typeof gather>]> = [];
  for (const [name, e] of entries) {
    const dt = DTYPES[e.dtype];
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const strides = e.shape.map((_, i) => e.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    try {
      arrays.push([name, e, gather(raw, dt, e.shape, strides, 0)]);
    } catch (err) {
      fail(`tensor '${name}': ${(err as Error).message}`);
    }
  }
  // Tensors only once everything has parsed, so an error leaves nothing to dispose.
  const out: NamedTensorMap = {};
  for (const [name, e, values] of arrays) {
    out[name] = tensor(values, e.shape, DTYPES[e.dtype].target);
  }
  return out;
}
