/** Reading `.safetensors` files (8-byte LE header length, JSON header, raw LE data). */
import {NamedTensorMap, tensor} from '@tensorflow/tfjs-core';
import {checkedNumel, DTYPES, gather, MAX_RANK} from './dtypes.js';
import {ByteBudget, checkData, checkEntryCount, checkLoadOptions, LoadLimits, SAFETENSORS_OPTION_KEYS, shown} from './limits.js';

/** The reference implementation's limit on the header (100 MB). */
const MAX_HEADER = 100_000_000;
/** Valid headers nest 3 deep (object → entry → shape); anything past this is refused. */
const MAX_HEADER_DEPTH = 16;

const P = 'safetensors';

function fail(msg: string): never {
  throw new Error(`${P}: ${msg}`);
}

export interface SafetensorsLoadOptions {
  /** Refuse a file whose tensors would take more than this many bytes (default 2 GiB). */
  maxTotalBytes?: number;
  /** Refuse a header listing more tensors than this (default 100,000). */
  maxEntries?: number;
}

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Whether `bytes` is framed as a safetensors file: a header length N with 8 + N within the file,
 * and a header whose first non-blank byte is '{'. (For telling formats apart.)
 */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8) || n < 2n) return false;
  const end = 8 + Number(n);
  let i = 8;
  while (i < end && isSpace(bytes[i])) i++;
  return i < end && bytes[i] === 0x7b;
}

/**
 * One pass over the header's JSON text, before JSON.parse: refuses duplicate keys (at any depth:
 * JSON.parse would keep the last silently; the format forbids them), counts the tensors against
 * `maxEntries` (stopping as soon as there are too many) and bounds the nesting. Lenient about
 * everything else, which JSON.parse then checks.
 */
function scanKeys(text: string, maxEntries: number) {
  const bad = (why: string): never => fail(`header is not valid JSON (${why})`);
  const stack: Array<Set<string>|null> = [];  // a Set of keys per object, null per array
  const arrayItems: number[] = [];  // commas seen, per open array
  let expectKey = false;
  let tensors = 0;
  for (let i = 0; i < text.length; i++) {  // every step advances i
    const c = text.charCodeAt(i);
    if (c === 0x22) {  // a string: find its end, skipping escapes
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) bad('unterminated string');
        let k = q - 1, backslashes = 0;
        while (k > i && text.charCodeAt(k) === 0x5c) k--, backslashes++;
        j = q + 1;
        if (backslashes % 2 === 0) break;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top != null) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j)) as string;
        } catch (e) {
          bad((e as Error).message);
        }
        if (top.has(key!)) fail(`the header has the key '${shown(key!)}' twice`);
        top.add(key!);
        if (stack.length === 1 && key! !== '__metadata__') {
          checkEntryCount(P, ++tensors, maxEntries, 'the header lists');
        }
        expectKey = false;
      }
      i = j - 1;
    } else if (c === 0x7b || c === 0x5b) {  // { [
      if (stack.length >= MAX_HEADER_DEPTH) {
        fail(`the header nests deeper than ${MAX_HEADER_DEPTH}`);
      }
      stack.push(c === 0x7b ? new Set() : null);
      if (c === 0x5b) arrayItems.push(0);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {  // } ]
      if (stack.length === 0) bad(`unbalanced '${text[i]}'`);
      if (stack.pop() == null) arrayItems.pop();
      expectKey = false;
    } else if (c === 0x2c) {  // ,
      const top = stack[stack.length - 1];
      expectKey = stack.length > 0 && top != null;
      // Arrays are shapes and offsets: refused here, before JSON.parse builds a huge one.
      if (top === null && ++arrayItems[arrayItems.length - 1] >= MAX_RANK) {
        fail(`the header has an array of more than ${MAX_RANK} items (shapes have at most ` +
            `${MAX_RANK} dimensions)`);
      }
    }
  }
}

/** Parses and validates the header only; no tensor data is touched. */
export function parseSafetensorsHeader(data: Uint8Array|ArrayBuffer, options?:
    SafetensorsLoadOptions|null):
    {entries: Map<string, SafetensorsEntry>, metadata: Record<string, string>, dataStart: number} {
  return readHeader(checkData('parseSafetensorsHeader', data),
                    checkLoadOptions('parseSafetensorsHeader', options, SAFETENSORS_OPTION_KEYS));
}

function readHeader(bytes: Uint8Array, limits: LoadLimits):
    {entries: Map<string, SafetensorsEntry>, metadata: Record<string, string>, dataStart: number} {
  if (bytes.length < 8) fail(`file is truncated (${bytes.length} bytes, need at least 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(`header length ${n} exceeds the file size (${bytes.length} bytes): truncated or not a ` +
        `safetensors file`);
  }
  if (n > BigInt(MAX_HEADER)) fail(`header length ${n} is larger than ${MAX_HEADER}`);
  const headerLen = Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes.subarray(8, 8 + headerLen));
  } catch (e) {
    fail(`header is not valid UTF-8`);
  }
  scanKeys(text!, limits.maxEntries);
  let header: unknown;
  try {
    header = JSON.parse(text!);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header == null || Array.isArray(header)) {
    fail('header must be a JSON object');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const entries = new Map<string, SafetensorsEntry>();
  const metadata: Record<string, string> = Object.create(null);
  // JSON.parse makes every key, `__proto__` included, an own property: Object.entries sees all.
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw == null || Array.isArray(raw) ||
          Object.values(raw).some(v => typeof v !== 'string')) {
        fail('__metadata__ must map strings to strings');
      }
      for (const [k, v] of Object.entries(raw as Record<string, string>)) metadata[k] = v;
      continue;
    }
    const e = raw as {dtype?: unknown, shape?: unknown, data_offsets?: unknown};
    if (typeof e !== 'object' || e == null) fail(`entry '${shown(name)}' is not an object`);
    if (typeof e.dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPES, e.dtype)) {
      fail(`tensor '${shown(name)}' has unsupported dtype ${JSON.stringify(e.dtype)} ` +
          `(supported: ${Object.keys(DTYPES).join(', ')})`);
    }
    if (!Array.isArray(e.shape)) fail(`tensor '${shown(name)}' has no shape array`);
    const numel = checkedNumel(e.shape as number[], `${P}: tensor '${shown(name)}'`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 ||
        !off.every(o => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1] ||
        off[1] > dataLen) {
      fail(`tensor '${shown(name)}' has invalid data_offsets ${JSON.stringify(off)} (data ` +
          `section is ${dataLen} bytes)`);
    }
    if (off[1] - off[0] !== numel * DTYPES[e.dtype].itemSize) {
      fail(`tensor '${shown(name)}': data_offsets span ${off[1] - off[0]} bytes, but shape ` +
          `[${(e.shape as number[]).join(', ')}] of ${e.dtype} needs ` +
          `${numel * DTYPES[e.dtype].itemSize}`);
    }
    entries.set(name,
                {dtype: e.dtype, shape: [...e.shape as number[]], begin: off[0], end: off[1]});
  }
  // As the reference implementation: the tensors tile the data section exactly, in offset order,
  // with no overlap (two names for the same bytes), no gap and nothing after the last.
  const sorted = [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const [name, e] of sorted) {
    if (e.begin !== expected) {
      fail(`tensor '${shown(name)}' starts at byte ${e.begin} of the data section, but the ` +
          `previous tensor ends at ${expected} (${e.begin < expected ? 'overlapping' : 'a gap'}: ` +
          `the format requires the tensors to tile the data exactly)`);
    }
    expected = e.end;
  }
  if (expected !== dataLen) {
    fail(`the tensors cover ${expected} bytes, but the data section has ${dataLen} (the format ` +
        `allows no trailing bytes)`);
  }
  return {entries, metadata, dataStart};
}

/**
 * A safetensors file → named tfjs tensors. Floats (F32/F64/F16/BF16) become float32, integers
 * int32 (range-checked), BOOL bool. The caller owns (and disposes) the tensors, returned in a
 * prototype-less object (a tensor named `__proto__` is a key like any other).
 */
export function loadSafetensors(data: Uint8Array|ArrayBuffer, options?:
    SafetensorsLoadOptions|null): NamedTensorMap {
  const bytes = checkData('loadSafetensors', data);
  return readSafetensors(
      bytes, checkLoadOptions('loadSafetensors', options, SAFETENSORS_OPTION_KEYS));
}

/** loadSafetensors with checked arguments. */
export function readSafetensors(bytes: Uint8Array, limits: LoadLimits): NamedTensorMap {
  const {entries, dataStart} = readHeader(bytes, limits);
  const budget = new ByteBudget(P, limits.maxTotalBytes);
  for (const [name, e] of entries) {
    budget.take(e.shape.reduce((a, b) => a * b, 1) * (DTYPES[e.dtype].target === 'bool' ? 1 : 4),
                `tensor '${shown(name)}' (shape [${e.shape.join(', ')}])`);
  }
  const arrays: Array<[string, SafetensorsEntry, ReturnType<typeof gather>]> = [];
  for (const [name, e] of entries) {
    const dt = DTYPES[e.dtype];
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const strides = new Array<number>(e.shape.length);
    for (let i = e.shape.length - 1, acc = 1; i >= 0; acc *= e.shape[i--]) strides[i] = acc;
    try {
      arrays.push([name, e, gather(raw, dt, e.shape, strides, 0)]);
    } catch (err) {
      fail(`tensor '${shown(name)}': ${(err as Error).message}`);
    }
  }
  // Tensors only once everything has parsed, so an error leaves nothing to dispose.
  const out: NamedTensorMap = Object.create(null);
  for (const [name, e, values] of arrays) {
    out[name] = tensor(values, e.shape, DTYPES[e.dtype].target);
  }
  return out;
}
