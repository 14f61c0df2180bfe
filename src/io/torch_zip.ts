/**
 * Reading `torch.save(state_dict)` files (PyTorch ≥ 1.6's zip format: `<name>/data.pkl`, the
 * pickled structure, and `<name>/data/<key>`, one raw little-endian storage per key) with no
 * Python: our own zip directory reader (every count, size and offset checked against the file
 * before it is used), fflate's inflater for the rare compressed record, and our restricted
 * unpickler for data.pkl. Only the records the pickle references are ever read, and everything
 * is bounded by the limits of limits.ts.
 */
import {NamedTensorMap, tensor} from '@tensorflow/tfjs-core';
import {Inflate} from 'fflate';
import {checkedNumel, DTYPES, gather, STORAGE_DTYPE} from './dtypes.js';
import {ByteBudget, checkData, checkEntryCount, checkLoadOptions, LoadLimits, MAX_KEY_CHARS, shown, TORCH_OPTION_KEYS} from './limits.js';
import {isTuple, PyDict, PyValue, TensorRef, unpickle} from './pickle.js';

export interface TorchLoadOptions {
  /** Refuse a compressed zip record that would inflate past this many bytes (default 1 GiB). */
  maxEntryBytes?: number;
  /**
   * Refuse a file for which the records to inflate plus the tensors to create would take more
   * than this many bytes (default 2 GiB).
   */
  maxTotalBytes?: number;
  /**
   * Refuse a file with more zip records, or more state_dict entries (each path through a dict
   * the pickle shares counts), than this (default 100,000).
   */
  maxEntries?: number;
  /** Refuse dicts, lists and tuples nested deeper than this (default 1,000). */
  maxDepth?: number;
}

/** What a torch.save file held: its tensors (flattened keys) and any non-tensor values. */
export interface TorchFileContents {
  /** Tensors by flattened key, in a prototype-less object: no key (`__proto__`) is special. */
  tensors: NamedTensorMap;
  /** Non-tensor leaves (e.g. a checkpoint's `epoch`), by flattened key; dicts prototype-less. */
  other: Record<string, unknown>;
}

const P = 'torch.load';

function fail(msg: string): never {
  throw new Error(`${P}: ${msg}`);
}

/** PyTorch's wording for a zip it cannot read, with what exactly was wrong. */
function corrupt(msg: string): never {
  fail(`corrupt or unsupported zip (PyTorch: "invalid header or archive is corrupted"): ${msg}`);
}

function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v != null && (v as TensorRef).kind === 'tensor';
}

// ---------------------------------------------------------------------------------------------
// The zip directory

interface ZipRecord {
  name: string;
  flags: number;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD_SIG = 0x06054b50, EOCD64_SIG = 0x06064b50, LOCATOR_SIG = 0x07064b50;
const CENTRAL_SIG = 0x02014b50, LOCAL_SIG = 0x04034b50;
const CENTRAL_SIZE = 46;

function u64(view: DataView, at: number, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`${what} ${v} is not a usable number`);
  return Number(v);
}

/** The offset of the end-of-central-directory record, or -1 (searched as zip readers do). */
function findEnd(bytes: Uint8Array, view: DataView): number {
  for (let i = bytes.length - 22; i >= 0 && i >= bytes.length - 22 - 0xffff; i--) {
    if (bytes[i] === 0x50 && view.getUint32(i, true) === EOCD_SIG &&
        i + 22 + view.getUint16(i + 20, true) <= bytes.length) {
      return i;
    }
  }
  return -1;
}

/**
 * Whether `bytes` is a zip in the structural sense: a local header signature at 0 and an end of
 * central directory whose directory lies inside the file. (For telling formats apart; the
 * directory itself is checked in full by readDirectory.)
 */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 30 + 22) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== LOCAL_SIG) return false;
  const end = findEnd(bytes, view);
  if (end < 0) return false;
  const size = view.getUint32(end + 12, true), offset = view.getUint32(end + 16, true);
  return size === 0xffffffff || offset === 0xffffffff || offset + size <= end;
}

/**
 * Reads and validates the central directory: every count, size and offset (zip64's included) is
 * checked against the file before it is used, so no walk can run past it or loop on nothing.
 */
function readDirectory(bytes: Uint8Array, limits: LoadLimits): Map<string, ZipRecord> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEnd(bytes, view);
  if (end < 0) corrupt('no end of central directory record (truncated, or not a zip)');
  let entries = view.getUint16(end + 10, true);
  const diskEntries = view.getUint16(end + 8, true);
  let disk = view.getUint16(end + 4, true) | view.getUint16(end + 6, true);
  let cdSize = view.getUint32(end + 12, true);
  let cdOffset = view.getUint32(end + 16, true);
  let cdLimit = end;  // the directory must end before this
  if (entries === 0xffff || diskEntries === 0xffff || cdSize === 0xffffffff ||
      cdOffset === 0xffffffff) {
    const loc = end - 20;
    if (loc < 0 || view.getUint32(loc, true) !== LOCATOR_SIG) {
      corrupt('the end of central directory asks for zip64, but the zip64 locator is missing');
    }
    const at = u64(view, loc + 8, 'the zip64 directory offset');
    if (at + 56 > loc) corrupt(`the zip64 end of directory at ${at} lies outside the file`);
    if (view.getUint32(at, true) !== EOCD64_SIG) corrupt('bad zip64 end of directory signature');
    disk = view.getUint32(at + 16, true) | view.getUint32(at + 20, true) |
        view.getUint32(loc + 4, true);
    const e64 = u64(view, at + 32, 'the zip64 entry count');
    if (u64(view, at + 24, 'the zip64 entry count') !== e64) disk = 1;
    entries = e64;
    cdSize = u64(view, at + 40, 'the zip64 directory size');
    cdOffset = u64(view, at + 48, 'the zip64 directory offset');
    cdLimit = at;
  } else if (diskEntries !== entries) {
    disk = 1;
  }
  if (disk !== 0) corrupt('multi-disk (split) archives are not supported');
  if (cdOffset + cdSize > cdLimit) {
    corrupt(`the central directory (offset ${cdOffset}, ${cdSize} bytes) runs past the end of ` +
        `the directory records at ${cdLimit}`);
  }
  if (entries * CENTRAL_SIZE > cdSize) {
    corrupt(`the directory claims ${entries} entries, but its ${cdSize} bytes hold at most ` +
        `${Math.floor(cdSize / CENTRAL_SIZE)}`);
  }
  checkEntryCount(P, entries, limits.maxEntries, `the zip directory lists ${entries} records,`);

  const names = new TextDecoder('utf-8');
  const records = new Map<string, ZipRecord>();
  const cdEnd = cdOffset + cdSize;
  let p = cdOffset;
  for (let i = 0; i < entries; i++) {  // bounded: entries × 46 ≤ cdSize ≤ the file
    if (p + CENTRAL_SIZE > cdEnd || view.getUint32(p, true) !== CENTRAL_SIG) {
      corrupt(`central directory entry ${i} at offset ${p} is missing or damaged`);
    }
    const n = view.getUint16(p + 28, true), e = view.getUint16(p + 30, true);
    const c = view.getUint16(p + 32, true);
    const next = p + CENTRAL_SIZE + n + e + c;
    if (next > cdEnd) {
      corrupt(`central directory entry ${i}'s name, extra field or comment runs past the ` +
          `directory`);
    }
    const name = names.decode(bytes.subarray(p + CENTRAL_SIZE, p + CENTRAL_SIZE + n));
    const rec: ZipRecord = {
      name, flags: view.getUint16(p + 8, true), method: view.getUint16(p + 10, true),
      compressedSize: view.getUint32(p + 20, true), size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
    };
    if (rec.size === 0xffffffff || rec.compressedSize === 0xffffffff ||
        rec.localOffset === 0xffffffff) {
      readZip64Extra(view, p + CENTRAL_SIZE + n, e, rec);
    }
    // PyTorch (miniz) then reads either copy, depending on how its sort orders them: refuse.
    if (records.has(name)) corrupt(`the archive holds two records named '${shown(name)}'`);
    records.set(name, rec);
    p = next;
  }
  return records;
}

/** The zip64 extended-information extra field: the 64-bit values of the fields set to ~0. */
function readZip64Extra(view: DataView, at: number, len: number, rec: ZipRecord) {
  const end = at + len;
  while (at + 4 <= end) {  // each step advances by ≥ 4 bytes
    const tag = view.getUint16(at, true), size = view.getUint16(at + 2, true);
    if (at + 4 + size > end) break;
    if (tag === 1) {
      let q = at + 4;
      const take = (what: string) => {
        if (q + 8 > at + 4 + size) corrupt(`record '${shown(rec.name)}': short zip64 field`);
        q += 8;
        return u64(view, q - 8, what);
      };
      if (rec.size === 0xffffffff) rec.size = take('a zip64 size');
      if (rec.compressedSize === 0xffffffff) rec.compressedSize = take('a zip64 size');
      if (rec.localOffset === 0xffffffff) rec.localOffset = take('a zip64 offset');
      return;
    }
    at += 4 + size;
  }
  corrupt(`record '${shown(rec.name)}' lacks its zip64 sizes`);
}

/** Inflates in slices, stopping as soon as the output passes the size the directory declared. */
function inflate(comp: Uint8Array, size: number, name: string): Uint8Array {
  let out: Uint8Array;
  try {
    out = new Uint8Array(size);
  } catch (e) {  // within the limits, but more than this engine will allocate
    fail(`cannot allocate ${size} bytes for record '${shown(name)}': ${(e as Error).message}`);
  }
  let written = 0;
  const inf = new Inflate((chunk: Uint8Array) => {
    if (written + chunk.length > size) {
      corrupt(`record '${shown(name)}' inflates to more than the ${size} bytes it declares`);
    }
    out.set(chunk, written);
    written += chunk.length;
  });
  // 16 KiB of input inflates to at most ~16 MiB: the overshoot past `size` stays bounded.
  const SLICE = 16384;
  try {
    for (let i = 0; i < comp.length || i === 0; i += SLICE) {
      inf.push(comp.subarray(i, i + SLICE), i + SLICE >= comp.length);
    }
  } catch (e) {
    if ((e as Error).message.startsWith(P)) throw e;
    corrupt(`record '${shown(name)}': ${(e as Error).message}`);
  }
  if (written !== size) {
    corrupt(`record '${shown(name)}' inflates to ${written} bytes, but declares ${size}`);
  }
  return out;
}

/** The bytes of one record: a view for a stored record, a checked inflation otherwise. */
function readRecord(bytes: Uint8Array, rec: ZipRecord): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const o = rec.localOffset;
  if (o + 30 > bytes.length || view.getUint32(o, true) !== LOCAL_SIG) {
    corrupt(`record '${shown(rec.name)}': no local header at offset ${o}`);
  }
  const start = o + 30 + view.getUint16(o + 26, true) + view.getUint16(o + 28, true);
  if (start + rec.compressedSize > bytes.length) {
    corrupt(`record '${shown(rec.name)}' (${rec.compressedSize} bytes at ${start}) runs past the ` +
        `end of the file`);
  }
  if (rec.flags & 1) corrupt(`record '${shown(rec.name)}' is encrypted`);
  const comp = bytes.subarray(start, start + rec.compressedSize);
  if (rec.method === 0) {
    if (rec.compressedSize !== rec.size) {
      corrupt(`stored record '${shown(rec.name)}' declares ${rec.size} bytes but holds ` +
          `${rec.compressedSize}`);
    }
    return comp;
  }
  return inflate(comp, rec.size, rec.name);
}

/** Checks a record against the limits before it is read; returns the bytes it will allocate. */
function recordCost(rec: ZipRecord, limits: LoadLimits): number {
  if (rec.method === 0) return 0;
  if (rec.method !== 8) {
    corrupt(`record '${shown(rec.name)}' uses unsupported compression method ${rec.method}`);
  }
  if (rec.size > limits.maxEntryBytes) {
    fail(`record '${shown(rec.name)}' would inflate to ${rec.size} bytes, more than ` +
        `maxEntryBytes = ${limits.maxEntryBytes}; pass a larger 'maxEntryBytes' option if you ` +
        `trust the file`);
  }
  return rec.size;
}

// ---------------------------------------------------------------------------------------------
// The pickled structure → flat keys

function tooDeep(key: string, maxDepth: number, depth?: number): never {
  fail(`the value at key '${shown(key)}' nests ${depth ?? `more than ${maxDepth}`} deep, more ` +
      `than maxDepth = ${maxDepth}; pass a larger 'maxDepth' option if you trust the file`);
}

/**
 * Plain JS for non-tensor values, converted once per pickle object: what the pickle shares
 * (memo references) stays shared, never re-expanded. Iterative (post-order), so nesting depth
 * cannot overflow the call stack; cycles are refused. Returns the value and its nesting height.
 */
class PlainConverter {
  private readonly done = new Map<object, {value: unknown, height: number}>();

  /**
   * `root` sits `depth` levels down; refuse at once when the walk goes past `maxDepth` (the
   * height is checked exactly by the caller: a shared object is walked only once).
   */
  convert(root: PyValue, key: string, depth: number, maxDepth: number):
      {value: unknown, height: number} {
    if (typeof root !== 'object' || root === null) return {value: root, height: 0};
    const known = this.done.get(root);
    if (known != null) return known;
    const children = (v: object): PyValue[]|null =>
        v instanceof PyDict ? [...v.entries.values()] :
        Array.isArray(v) ? v : isTuple(v) ? v.items : null;
    interface Frame {node: object, kids: PyValue[], i: number}
    const onPath = new Set<object>();
    const stack: Frame[] = [];
    const enter = (node: object) => {
      const kids = children(node);
      if (kids == null) {  // a storage, tensor or global: passed through as is
        this.done.set(node, {value: node, height: 0});
        return;
      }
      if (depth + stack.length + 1 > maxDepth) tooDeep(key, maxDepth);
      onPath.add(node);
      stack.push({node, kids, i: 0});
    };
    enter(root);
    while (stack.length > 0) {  // each pickle object is entered once, each edge followed once
      const f = stack[stack.length - 1];
      if (f.i < f.kids.length) {
        const kid = f.kids[f.i++];
        if (typeof kid !== 'object' || kid === null || this.done.has(kid)) continue;
        if (onPath.has(kid)) fail(`the value at key '${shown(key)}' contains itself (a cycle)`);
        enter(kid);
        continue;
      }
      stack.pop();
      onPath.delete(f.node);
      // Post-order: every child container is converted; build this one from them.
      let height = 1;
      let value: unknown;
      if (f.node instanceof PyDict) {
        const o: Record<string, unknown> = Object.create(null);
        for (const [k, x] of f.node.entries) {
          const s = String(k);
          if (Object.prototype.hasOwnProperty.call(o, s)) {
            fail(`the dict at key '${shown(key)}' has two keys that both read '${shown(s)}'`);
          }
          if (typeof x === 'object' && x !== null) {
            const d = this.done.get(x)!;
            if (d.height >= height) height = d.height + 1;
            o[s] = d.value;
          } else {
            o[s] = x;
          }
        }
        value = o;
      } else {
        const a = new Array<unknown>(f.kids.length);
        for (let i = 0; i < f.kids.length; i++) {
          const x = f.kids[i];
          if (typeof x === 'object' && x !== null) {
            const d = this.done.get(x)!;
            if (d.height >= height) height = d.height + 1;
            a[i] = d.value;
          } else {
            a[i] = x;
          }
        }
        value = a;
      }
      this.done.set(f.node, {value, height});
    }
    return this.done.get(root)!;
  }
}

/**
 * Flattens nested dicts into `a.b.c` keys, iteratively, in insertion order. Every path through a
 * shared dict counts toward `maxEntries`; two entries that flatten to one key are refused.
 */
function flatten(root: PyValue, limits: LoadLimits):
    {refs: Map<string, TensorRef>, other: Record<string, unknown>} {
  const refs = new Map<string, TensorRef>();
  const other: Record<string, unknown> = Object.create(null);
  const seen = new Set<string>();
  const plain = new PlainConverter();
  let count = 0;
  const leaf = (key: string, v: PyValue, depth: number) => {
    checkEntryCount(P, ++count, limits.maxEntries, 'the state_dict has');
    if (seen.has(key)) {
      fail(`two entries flatten to the key '${shown(key)}' (e.g. {'a.b': …} beside ` +
          `{'a': {'b': …}}); refusing rather than dropping one`);
    }
    seen.add(key);
    if (isTensorRef(v)) {
      refs.set(key, v);
      return;
    }
    const {value, height} = plain.convert(v, key, depth, limits.maxDepth);
    if (depth + height > limits.maxDepth) tooDeep(key, limits.maxDepth, depth + height);
    other[key] = value;
  };
  if (!(root instanceof PyDict)) {
    leaf('', root, 0);
    return {refs, other};
  }
  interface Frame {dict: PyDict, it: Iterator<[PyValue, PyValue]>, prefix: string}
  const onPath = new Set<PyDict>([root]);
  const stack: Frame[] = [{dict: root, it: root.entries.entries(), prefix: ''}];
  while (stack.length > 0) {  // bounded: every step counts toward maxEntries or pops
    const f = stack[stack.length - 1];
    const next = f.it.next();
    if (next.done) {
      stack.pop();
      onPath.delete(f.dict);
      continue;
    }
    const [k, v] = next.value;
    const ks = String(k);
    if (f.prefix.length + 1 + ks.length > MAX_KEY_CHARS) {
      fail(`a key under '${shown(f.prefix)}' is longer than ${MAX_KEY_CHARS} characters`);
    }
    const key = f.prefix === '' ? ks : `${f.prefix}.${ks}`;
    if (v instanceof PyDict) {
      checkEntryCount(P, ++count, limits.maxEntries, 'the state_dict has');
      if (onPath.has(v)) fail(`the dict at key '${shown(key)}' contains itself (a cycle)`);
      if (stack.length + 1 > limits.maxDepth) {
        fail(`the dicts at key '${shown(key)}' nest more than maxDepth = ${limits.maxDepth} ` +
            `deep; pass a larger 'maxDepth' option if you trust the file`);
      }
      onPath.add(v);
      stack.push({dict: v, it: v.entries.entries(), prefix: key});
    } else {
      leaf(key, v, stack.length);
    }
  }
  return {refs, other};
}

// ---------------------------------------------------------------------------------------------

/**
 * `torch.load` of a zip-format file, restricted to tensors and plain data, within the limits of
 * `options` (see TorchLoadOptions). The caller owns (and disposes) the tensors.
 */
export function loadTorchFile(data: Uint8Array|ArrayBuffer, options?: TorchLoadOptions|null):
    TorchFileContents {
  const bytes = checkData('loadTorchFile', data);
  return readTorchFile(bytes, checkLoadOptions('loadTorchFile', options, TORCH_OPTION_KEYS));
}

/** loadTorchFile with checked arguments. */
export function readTorchFile(bytes: Uint8Array, limits: LoadLimits): TorchFileContents {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    fail(bytes.length >= 2 && bytes[0] === 0x80 ?
             'this is a legacy (pre-1.6, non-zip) torch.save file, which is not supported; ' +
                 're-save it with a recent PyTorch' :
             'not a zip file (torch.save files start with "PK")');
  }
  const budget = new ByteBudget(P, limits.maxTotalBytes);
  const records = readDirectory(bytes, limits);
  let pkl: ZipRecord|undefined;
  for (const [name, rec] of records) {
    if (/^[^/]*\/?data\.pkl$/.test(name)) {
      pkl = rec;
      break;
    }
  }
  if (pkl == null) fail('no data.pkl in the archive: not a torch.save file');
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const orderRec = records.get(`${prefix}byteorder`);
  if (orderRec != null) {
    if (orderRec.size > 64) corrupt('the byteorder record is too long');
    budget.take(recordCost(orderRec, limits), 'the byteorder record');
    if (new TextDecoder().decode(readRecord(bytes, orderRec)).trim() !== 'little') {
      fail('big-endian torch.save files are not supported');
    }
  }
  budget.take(recordCost(pkl, limits), `inflating '${shown(pkl.name)}'`);
  const {refs, other} = flatten(unpickle(readRecord(bytes, pkl)), limits);

  // Validate every tensor, and reserve every byte, before reading a storage or creating a tensor.
  const storages = new Map<string, ZipRecord>();
  const plan: Array<[string, TensorRef]> = [];
  for (const [name, t] of refs) {
    const s = t.storage;
    const dt = DTYPES[STORAGE_DTYPE[s.storageType]];
    const rec = records.get(`${prefix}data/${s.key}`);
    if (rec == null) {
      fail(`tensor '${shown(name)}': storage data/${s.key} is missing from the archive`);
    }
    if (rec.size !== s.numel * dt.itemSize) {
      fail(`tensor '${shown(name)}': storage data/${s.key} has ${rec.size} bytes, expected ` +
          `${s.numel} × ${dt.itemSize}`);
    }
    if (!storages.has(s.key)) {
      budget.take(recordCost(rec, limits), `inflating storage data/${s.key}`);
      storages.set(s.key, rec);
    }
    const numel = checkedNumel(t.size, `${P}: tensor '${shown(name)}'`);
    if (numel > 0) {
      const last = t.offset + t.size.reduce((acc, n, i) => acc + (n - 1) * t.stride[i], 0);
      if (last >= s.numel) {
        fail(`tensor '${shown(name)}' (size [${t.size.join(', ')}], stride ` +
            `[${t.stride.join(', ')}], offset ${t.offset}) reaches past its storage of ` +
            `${s.numel} elements`);
      }
    }
    budget.take(numel * (dt.target === 'bool' ? 1 : 4),
                `tensor '${shown(name)}' (size [${t.size.join(', ')}])`);
    plan.push([name, t]);
  }
  const raw = new Map<string, Uint8Array>();
  for (const [key, rec] of storages) raw.set(key, readRecord(bytes, rec));
  const arrays: Array<[string, TensorRef, ReturnType<typeof gather>]> = [];
  for (const [name, t] of plan) {
    const dt = DTYPES[STORAGE_DTYPE[t.storage.storageType]];
    try {
      arrays.push([name, t, gather(raw.get(t.storage.key)!, dt, t.size, t.stride, t.offset)]);
    } catch (err) {
      fail(`tensor '${shown(name)}': ${(err as Error).message}`);
    }
  }
  // Prototype-less, so that a key named `__proto__` is a key like any other.
  const tensors: NamedTensorMap = Object.create(null);
  for (const [name, t, values] of arrays) {
    tensors[name] = tensor(values, t.size, DTYPES[STORAGE_DTYPE[t.storage.storageType]].target);
  }
  return {tensors, other};
}
