/**
 * Byte builders for hand-made hostile files: pickle opcodes, zip records (local, central,
 * end-of-directory, zip64) and safetensors headers. Nothing here reads our loaders' code, so the
 * files are what a stranger could send.
 */

/** A protocol-2 pickle, opcode by opcode. */
export class Pickle {
  private readonly parts: number[] = [0x80, 2];

  op(...bytes: number[]): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  u32(n: number): this {
    return this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.op(0x58).u32(b.length);  // BINUNICODE
    for (const x of b) this.parts.push(x);
    return this;
  }
  int(n: number): this {
    if (Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return this.op(0x4a).u32(n >>> 0);
    let v = BigInt(n);  // LONG1, 8 bytes two's complement
    if (v < 0n) v += 1n << 64n;
    this.op(0x8a, 8);
    for (let i = 0; i < 8; i++) this.op(Number((v >> BigInt(8 * i)) & 0xffn));
    return this;
  }
  global(module: string, name: string): this {
    this.op(0x63);
    for (const c of `${module}\n${name}\n`) this.parts.push(c.charCodeAt(0));
    return this;
  }
  mark(): this { return this.op(0x28); }
  tuple(): this { return this.op(0x74); }
  intTuple(xs: number[]): this {
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }
  put(i: number): this { return this.op(0x72).u32(i); }  // LONG_BINPUT
  get(i: number): this { return this.op(0x6a).u32(i); }  // LONG_BINGET
  emptyDict(): this { return this.op(0x7d); }
  emptyList(): this { return this.op(0x5d); }
  setItem(): this { return this.op(0x73); }
  setItems(): this { return this.op(0x75); }
  append(): this { return this.op(0x61); }
  appends(): this { return this.op(0x65); }
  /** Pushes `_rebuild_tensor_v2(storage(key, numel), offset, size, stride, False, OrderedDict())`. */
  tensor(key: string, numel: number, size: number[], stride: number[], offset = 0,
         storage = 'FloatStorage'): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storage).str(key).str('cpu').int(numel).tuple()
        .op(0x51);  // BINPERSID
    this.int(offset).intTuple(size).intTuple(stride).op(0x89);  // NEWFALSE
    this.global('collections', 'OrderedDict').op(0x29, 0x52);  // EMPTY_TUPLE REDUCE
    return this.tuple().op(0x52);  // REDUCE
  }
  stop(): Uint8Array {
    return Uint8Array.from([...this.parts, 0x2e]);
  }
}

export interface ZipRecordSpec {
  name: string;
  data: Uint8Array;
  /** 8: `data` is already deflated; `size` is then the declared inflated size. */
  method?: number;
  size?: number;
}

export interface ZipTweaks {
  /** Entry count written in the end of central directory (default: the real one). */
  entries?: number;
  /** Write zip64 records claiming this many entries (the 32-bit fields then read ~0). */
  zip64Entries?: bigint;
  /** Comment length of the last central entry (default 0). */
  lastCommentLength?: number;
  /** Central directory offset written in the end record (default: the real one). */
  cdOffset?: number;
  /**
   * Central entries give their sizes and offset as ~0 and the real values in a zip64 extra
   * field ('drop': ~0 but no extra field).
   */
  zip64Fields?: 'extra'|'drop';
}

/** A zip of `records` (no CRCs: our reader does not check them), with optional damage. */
export function zip(records: ZipRecordSpec[], tweaks: ZipTweaks = {}): Uint8Array {
  const out: number[] = [];
  const u16 = (n: number) => out.push(n & 0xff, (n >>> 8) & 0xff);
  const u32 = (n: number) => (u16(n & 0xffff), u16(Math.floor(n / 65536) & 0xffff));
  const u64 = (n: bigint) => (u32(Number(n & 0xffffffffn)), u32(Number(n >> 32n)));
  const bytes = (b: ArrayLike<number>) => {
    for (let i = 0; i < b.length; i++) out.push(b[i]);
  };
  const enc = new TextEncoder();
  const offsets: number[] = [];
  for (const r of records) {
    offsets.push(out.length);
    const name = enc.encode(r.name);
    u32(0x04034b50); u16(20); u16(0); u16(r.method ?? 0); u16(0); u16(0); u32(0);
    u32(r.data.length); u32(r.size ?? r.data.length); u16(name.length); u16(0);
    bytes(name);
    bytes(r.data);
  }
  const cdOffset = out.length;
  records.forEach((r, i) => {
    const name = enc.encode(r.name);
    const z64 = tweaks.zip64Fields != null;
    const extra = tweaks.zip64Fields === 'extra' ? 28 : 0;
    u32(0x02014b50); u16(20); u16(20); u16(0); u16(r.method ?? 0); u16(0); u16(0); u32(0);
    u32(z64 ? 0xffffffff : r.data.length); u32(z64 ? 0xffffffff : r.size ?? r.data.length);
    u16(name.length); u16(extra);
    u16(i === records.length - 1 ? tweaks.lastCommentLength ?? 0 : 0); u16(0); u16(0); u32(0);
    u32(z64 ? 0xffffffff : offsets[i]);
    bytes(name);
    if (extra > 0) {  // tag 1: inflated size, compressed size, local header offset
      u16(1); u16(24);
      u64(BigInt(r.size ?? r.data.length)); u64(BigInt(r.data.length)); u64(BigInt(offsets[i]));
    }
  });
  const cdSize = out.length - cdOffset;
  const n = tweaks.entries ?? records.length;
  if (tweaks.zip64Entries != null) {
    const at = out.length;
    u32(0x06064b50); u64(44n); u16(45); u16(45); u32(0); u32(0);
    u64(tweaks.zip64Entries); u64(tweaks.zip64Entries); u64(BigInt(cdSize));
    u64(BigInt(tweaks.cdOffset ?? cdOffset));
    u32(0x07064b50); u32(0); u64(BigInt(at)); u32(1);
    u32(0x06054b50); u16(0); u16(0); u16(0xffff); u16(0xffff); u32(0xffffffff); u32(0xffffffff);
    u16(0);
  } else {
    u32(0x06054b50); u16(0); u16(0); u16(n); u16(n); u32(cdSize); u32(tweaks.cdOffset ?? cdOffset);
    u16(0);
  }
  return Uint8Array.from(out);
}

/** Little-endian float32 bytes. */
export function f32(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** A torch.save-shaped zip: `archive/data.pkl`, `archive/data/<key>` per storage, `version`. */
export function torchFile(pkl: Uint8Array, storages: Record<string, Uint8Array>,
                          extra: ZipRecordSpec[] = [], tweaks: ZipTweaks = {}): Uint8Array {
  return zip([
    {name: 'archive/data.pkl', data: pkl},
    ...Object.entries(storages).map(([k, data]) => ({name: `archive/data/${k}`, data})),
    ...extra,
    {name: 'archive/version', data: new TextEncoder().encode('3\n')},
  ], tweaks);
}

/** A safetensors file from a raw header text (so that duplicates and padding can be written). */
export function safetensorsText(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
