/** Decoding of PyTorch / safetensors element types into tfjs dtypes (float32, int32, bool). */
import {DataType} from '@tensorflow/tfjs-core';

export interface SourceDtype {
  /** Bytes per element. */
  itemSize: number;
  /** The tfjs dtype it becomes. */
  target: DataType;
  /** Reads element `i` of `view` (little-endian). */
  read(view: DataView, byteOffset: number): number;
}

function f16(bits: number): number {
  const s = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const bf16Buf = new DataView(new ArrayBuffer(4));
function bf16(bits: number): number {
  bf16Buf.setUint32(0, bits << 16);
  return bf16Buf.getFloat32(0);
}

function int64(view: DataView, o: number): number {
  const v = view.getBigInt64(o, true);
  if (v > 2147483647n || v < -2147483648n) {
    throw new Error(`an int64 value ${v} does not fit tfjs' int32`);
  }
  return Number(v);
}

/** Keyed by safetensors' names; PyTorch storage names map onto them below. */
export const DTYPES: Record<string, SourceDtype> = {
  F32: {itemSize: 4, target: 'float32', read: (v, o) => v.getFloat32(o, true)},
  F64: {itemSize: 8, target: 'float32', read: (v, o) => v.getFloat64(o, true)},
  F16: {itemSize: 2, target: 'float32', read: (v, o) => f16(v.getUint16(o, true))},
  BF16: {itemSize: 2, target: 'float32', read: (v, o) => bf16(v.getUint16(o, true))},
  I64: {itemSize: 8, target: 'int32', read: int64},
  I32: {itemSize: 4, target: 'int32', read: (v, o) => v.getInt32(o, true)},
  I16: {itemSize: 2, target: 'int32', read: (v, o) => v.getInt16(o, true)},
  I8: {itemSize: 1, target: 'int32', read: (v, o) => v.getInt8(o)},
  U8: {itemSize: 1, target: 'int32', read: (v, o) => v.getUint8(o)},
  BOOL: {itemSize: 1, target: 'bool', read: (v, o) => (v.getUint8(o) ? 1 : 0)},
};

export const STORAGE_DTYPE: Record<string, string> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8',
  ByteStorage: 'U8', BoolStorage: 'BOOL',
};

/** PyTorch's own limit on a tensor's number of dimensions. */
export const MAX_RANK = 64;

/**
 * The element count of a shape, refusing non-integers, more than MAX_RANK dimensions and anything
 * past 2^31 elements.
 */
export function checkedNumel(shape: readonly number[], what: string): number {
  if (shape.length > MAX_RANK) {
    throw new Error(`${what}: ${shape.length} dimensions, more than the ${MAX_RANK} allowed`);
  }
  let n = 1;
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) {
      throw new Error(`${what}: invalid shape [${shape.join(', ')}]`);
    }
    n *= s;
    if (n > 2 ** 31) throw new Error(`${what}: shape [${shape.join(', ')}] is too large`);
  }
  return n;
}

/**
 * Gathers a strided view (PyTorch's size/stride/offset, in elements) of `bytes` into a typed
 * array of the target dtype. The caller has checked that every index lies inside `bytes`.
 */
export function gather(
    bytes: Uint8Array, dtype: SourceDtype, size: readonly number[], stride: readonly number[],
    offset: number): Float32Array|Int32Array|Uint8Array {
  const numel = checkedNumel(size, 'tensor');
  const out = dtype.target === 'float32' ? new Float32Array(numel) :
      dtype.target === 'int32' ? new Int32Array(numel) : new Uint8Array(numel);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rank = size.length;
  const idx = new Array<number>(rank).fill(0);
  let src = offset;
  for (let i = 0; i < numel; i++) {
    out[i] = dtype.read(view, src * dtype.itemSize);
    // Odometer increment over the indices, last axis fastest. A wrapping axis steps back by
    // stride × (size − 1) rather than stepping past its end first: `src` never leaves the view's
    // (checked) index range, so it stays exact even for a size-1 axis with a stride near 2^53.
    for (let ax = rank - 1; ax >= 0; ax--) {
      if (idx[ax] + 1 < size[ax]) {
        idx[ax]++;
        src += stride[ax];
        break;
      }
      src -= stride[ax] * idx[ax];
      idx[ax] = 0;
    }
  }
  return out;
}
