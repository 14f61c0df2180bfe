/**
 * A restricted unpickler for PyTorch `state_dict`s: it understands the opcodes a `torch.save`
 * of tensors produces and builds plain data from them. It never imports or calls anything: the
 * only GLOBALs it accepts are a short list of names it interprets itself (OrderedDict, the
 * tensor rebuild functions, storage types); every other GLOBAL, and any REDUCE/BUILD/NEWOBJ on
 * something else, is refused with an error naming it.
 */

/** A `torch.*Storage` reference (persistent id), resolved to bytes by the zip reader. */
export interface StorageRef {
  kind: 'storage';
  storageType: string;
  key: string;
  location: string;
  numel: number;
}

/** `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)`, not yet materialised. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

/** A Python dict (insertion-ordered; OrderedDict too). `metadata` is state_dict's _metadata. */
export class PyDict {
  readonly entries = new Map<PyValue, PyValue>();
  attributes: PyValue = null;
}

export type PyValue = null|boolean|number|bigint|string|PyValue[]|PyTuple|PyDict|StorageRef|
    TensorRef|PyGlobal;
/** Tuples are frozen arrays tagged so that they stay distinct from lists. */
export interface PyTuple {kind: 'tuple'; items: PyValue[]}
/** One of the allowed globals (a name, never a function). */
export interface PyGlobal {kind: 'global'; name: string}

export const STORAGE_TYPES = [
  'FloatStorage', 'DoubleStorage', 'HalfStorage', 'BFloat16Storage', 'LongStorage',
  'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage',
];
const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...STORAGE_TYPES.map(s => `torch.${s}`),
]);

const MARK = Symbol('mark');
type StackItem = PyValue|typeof MARK;

function fail(msg: string): never {
  throw new Error(`torch.load: ${msg}`);
}

export function isTuple(v: unknown): v is PyTuple {
  return typeof v === 'object' && v != null && (v as PyTuple).kind === 'tuple';
}
function isGlobal(v: unknown, name?: string): v is PyGlobal {
  return typeof v === 'object' && v != null && (v as PyGlobal).kind === 'global' &&
      (name == null || (v as PyGlobal).name === name);
}

function intArg(v: PyValue, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    fail(`${what} must be a non-negative integer, but got ${describe(v)}`);
  }
  return v;
}

function intTuple(v: PyValue, what: string): number[] {
  if (!isTuple(v)) fail(`${what} must be a tuple of integers, but got ${describe(v)}`);
  return v.items.map((x, i) => intArg(x, `${what}[${i}]`));
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v !== 'object') return `${typeof v} ${String(v).slice(0, 40)}`;
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyDict) return 'a dict';
  return `a ${(v as {kind?: string}).kind ?? 'object'}`;
}

/** Applies an allowed callable to its argument tuple (REDUCE). */
function reduce(fn: StackItem, args: StackItem): PyValue {
  if (!isGlobal(fn)) fail(`REDUCE on ${describe(fn)} is not allowed`);
  if (!isTuple(args)) fail(`REDUCE arguments must be a tuple, but got ${describe(args)}`);
  const a = args.items;
  switch (fn.name) {
    case 'collections.OrderedDict':
      if (a.length !== 0) fail('OrderedDict(...) with arguments is not supported');
      return new PyDict();
    case 'torch._utils._rebuild_tensor_v2': {
      if (a.length < 4) fail('_rebuild_tensor_v2 expects at least 4 arguments');
      const storage = a[0] as StorageRef;
      if (typeof storage !== 'object' || storage == null || storage.kind !== 'storage') {
        fail(`_rebuild_tensor_v2 expects a storage, but got ${describe(storage)}`);
      }
      const size = intTuple(a[2], 'tensor size');
      const stride = intTuple(a[3], 'tensor stride');
      if (size.length !== stride.length) {
        fail(`tensor size ${JSON.stringify(size)} and stride ${JSON.stringify(stride)} differ ` +
            `in length`);
      }
      return {kind: 'tensor', storage, offset: intArg(a[1], 'storage offset'), size, stride};
    }
    case 'torch._utils._rebuild_parameter': {
      const t = a[0] as TensorRef;
      if (typeof t !== 'object' || t == null || t.kind !== 'tensor') {
        fail(`_rebuild_parameter expects a tensor, but got ${describe(t)}`);
      }
      return t;
    }
    default:
      fail(`calling ${fn.name} is not allowed (only tensor state_dicts can be read)`);
  }
}

function persistentLoad(pid: StackItem): StorageRef {
  if (!isTuple(pid) || pid.items.length < 5 || pid.items[0] !== 'storage') {
    fail(`unsupported persistent id ${describe(pid)} (expected ('storage', type, key, ` +
        `location, numel))`);
  }
  const [, type, key, location, numel] = pid.items;
  if (!isGlobal(type) || !STORAGE_TYPES.includes(type.name.replace(/^torch\./, ''))) {
    fail(`unsupported storage type ${describe(type)}`);
  }
  if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) fail('invalid storage key');
  return {
    kind: 'storage', storageType: type.name.replace(/^torch\./, ''), key,
    location: typeof location === 'string' ? location : '?', numel: intArg(numel, 'storage numel'),
  };
}

// Fixed limits (README: Safety): larger than any state_dict's pickle needs.
const MAX_STACK = 1 << 20;
const MAX_MEMO = 1 << 20;

/** Unpickles `data` (protocols 2–5) under the restrictions above. */
export function unpickle(data: Uint8Array): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const dec = new TextDecoder('utf-8', {fatal: true});
  let pos = 0;
  let stack: StackItem[] = [];
  const marks: StackItem[][] = [];
  const memo = new Map<number, StackItem>();

  const need = (n: number) => {
    if (!(n >= 0) || pos + n > data.length) {
      fail(`truncated pickle: needs ${n} bytes at offset ${pos}, but only ${data.length - pos} ` +
          `remain`);
    }
  };
  const u8 = () => (need(1), data[pos++]);
  const u16 = () => (need(2), pos += 2, view.getUint16(pos - 2, true));
  const u32 = () => (need(4), pos += 4, view.getUint32(pos - 4, true));
  const i32 = () => (need(4), pos += 4, view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.length)) fail(`length ${v} exceeds the file size`);
    return Number(v);
  };
  const bytes = (n: number) => (need(n), pos += n, data.subarray(pos - n, pos));
  const str = (n: number) => {
    try {
      return dec.decode(bytes(n));
    } catch (e) {
      if ((e as Error).message.startsWith('torch.load')) throw e;
      return fail('invalid UTF-8 in a string');
    }
  };
  const line = () => {
    const end = data.indexOf(10, pos);
    if (end < 0 || end - pos > 256) fail('truncated or overlong GLOBAL name');
    const s = String.fromCharCode(...data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop()!;
  };
  const top = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): StackItem[] => {
    if (marks.length === 0) fail('MARK expected');
    const items = stack;
    stack = marks.pop()!;
    return items;
  };
  const push = (v: StackItem) => {
    if (stack.length >= MAX_STACK) {
      fail(`the pickle stack passes ${MAX_STACK} items (a fixed limit)`);
    }
    stack.push(v);
  };
  const memoPut = (k: number) => {
    if (memo.size >= MAX_MEMO && !memo.has(k)) {
      fail(`the pickle memo passes ${MAX_MEMO} entries (a fixed limit)`);
    }
    memo.set(k, top());
  };
  const memoGet = (k: number) => {
    if (!memo.has(k)) fail(`memo key ${k} missing`);
    push(memo.get(k)!);
  };
  const global = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) {
      fail(`refusing to load global '${full}': only tensor state_dicts (OrderedDict, ` +
          `torch._utils._rebuild_tensor_v2, torch.*Storage) can be read; nothing is imported ` +
          `or executed`);
    }
    return {kind: 'global', name: full};
  };
  const setItems = (d: StackItem, items: StackItem[]) => {
    if (!(d instanceof PyDict)) fail(`SETITEM on ${describe(d)}`);
    if (items.length % 2 !== 0) fail('odd number of items in SETITEMS');
    for (let i = 0; i < items.length; i += 2) {
      const k = items[i];
      if (typeof k === 'object' && k !== null) fail(`unsupported dict key ${describe(k)}`);
      d.entries.set(k as PyValue, items[i + 1] as PyValue);
    }
  };
  const append = (l: StackItem, items: StackItem[]) => {
    if (!Array.isArray(l)) fail(`APPEND on ${describe(l)}`);
    if (l.length + items.length > MAX_STACK) {
      fail(`a list passes ${MAX_STACK} items (a fixed limit)`);
    }
    // A loop, not push(...items): spreading 10^6 arguments overflows the call stack.
    for (const item of items) l.push(item as PyValue);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break;                                  // PROTO
      case 0x95: u64(); break;                                 // FRAME (length: ignored)
      case 0x2e:                                               // STOP
        if (stack.length !== 1 || marks.length !== 0) fail('malformed pickle at STOP');
        return stack[0] as PyValue;
      case 0x28: marks.push(stack); stack = []; break;         // MARK
      case 0x7d: push(new PyDict()); break;                    // EMPTY_DICT
      case 0x5d: push([]); break;                              // EMPTY_LIST
      case 0x29: push({kind: 'tuple', items: []}); break;      // EMPTY_TUPLE
      case 0x74: push({kind: 'tuple', items: popMark() as PyValue[]}); break;  // TUPLE
      case 0x85: push({kind: 'tuple', items: [pop() as PyValue]}); break;      // TUPLE1
      case 0x86: {                                             // TUPLE2
        const b = pop(), a = pop();
        push({kind: 'tuple', items: [a, b] as PyValue[]});
        break;
      }
      case 0x87: {                                             // TUPLE3
        const c = pop(), b = pop(), a = pop();
        push({kind: 'tuple', items: [a, b, c] as PyValue[]});
        break;
      }
      case 0x6c: push(popMark() as PyValue[]); break;          // LIST
      case 0x64: {                                             // DICT
        const d = new PyDict();
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x61: { const v = pop(); append(top(), [v]); break; }          // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; }  // APPENDS
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; }  // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; }  // SETITEMS
      case 0x4e: push(null); break;                            // NONE
      case 0x88: push(true); break;                            // NEWTRUE
      case 0x89: push(false); break;                           // NEWFALSE
      case 0x4b: push(u8()); break;                            // BININT1
      case 0x4d: push(u16()); break;                           // BININT2
      case 0x4a: push(i32()); break;                           // BININT
      case 0x8a: {                                             // LONG1
        const n = u8();
        if (n > 8) fail(`integer of ${n} bytes is too large`);
        const b = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && (b[n - 1] & 0x80)) v -= 1n << BigInt(8 * n);
        push(Number.isSafeInteger(Number(v)) ? Number(v) : v);
        break;
      }
      case 0x47: push((need(8), pos += 8, view.getFloat64(pos - 8, false))); break;  // BINFLOAT
      case 0x58: push(str(u32())); break;                      // BINUNICODE
      case 0x8c: push(str(u8())); break;                       // SHORT_BINUNICODE
      case 0x8d: push(str(u64())); break;                      // BINUNICODE8
      case 0x55: push(str(u8())); break;                       // SHORT_BINSTRING (ascii)
      case 0x54: push(str(u32())); break;                      // BINSTRING
      case 0x71: memoPut(u8()); break;                         // BINPUT
      case 0x72: memoPut(u32()); break;                        // LONG_BINPUT
      case 0x94: memoPut(memo.size); break;                    // MEMOIZE
      case 0x68: memoGet(u8()); break;                         // BINGET
      case 0x6a: memoGet(u32()); break;                        // LONG_BINGET
      case 0x63: { const m = line(); push(global(m, line())); break; }  // GLOBAL
      case 0x93: {                                             // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof name !== 'string' || typeof module !== 'string') fail('bad STACK_GLOBAL');
        push(global(module, name));
        break;
      }
      case 0x51: push(persistentLoad(pop())); break;           // BINPERSID
      case 0x52: { const args = pop(), fn = pop(); push(reduce(fn, args)); break; }  // REDUCE
      case 0x62: {                                             // BUILD
        const state = pop(), obj = top();
        // Only dict state on a dict (state_dict's `_metadata`) or no-op state on a tensor.
        if (obj instanceof PyDict) obj.attributes = state as PyValue;
        else if (!(typeof obj === 'object' && obj != null && (obj as TensorRef).kind === 'tensor')) {
          fail(`BUILD on ${describe(obj)} is not allowed`);
        }
        break;
      }
      case 0x30: pop(); break;                                 // POP
      case 0x31: popMark(); break;                             // POP_MARK
      case 0x32: push(top()); break;                           // DUP
      default:
        fail(`unsupported or disallowed pickle opcode 0x${op.toString(16).padStart(2, '0')} at ` +
            `offset ${pos - 1}`);
    }
  }
}
