/**
 * The normalisation kernels' loops on WebAssembly SIMD (kernels/simd/assembly/norm.ts), seen from
 * JS with the signatures of the JS loops in kernels/cpu/normalization.ts. The module is tiny
 * (under 1 KiB), so it is compiled synchronously at import everywhere (browsers allow that for
 * small modules); without WebAssembly SIMD it is never loaded and the JS loops run.
 *
 * Memory: a staging window of STAGE floats (and 16 bytes of results) in the module's memory,
 * small enough to stay in cache: x passes through it a span at a time (copied in, transformed in
 * place, copied out into y), so main memory sees one read of x and one write of y, as a copy.
 * The memory is grown once, as needed, and kept.
 */
import {wasmSimdSupported} from './simd_core.js';
import {NORM_WASM_BASE64} from './norm_wasm.js';

interface NormExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  affineRow(x: number, y: number, len: number, m: number, a: number, b: number): void;
  rowStats(x: number, len: number, k: number, out: number): void;
}

let mod: NormExports|null = null;
if (wasmSimdSupported()) {
  try {
    const bin = atob(NORM_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    mod = new WebAssembly.Instance(new WebAssembly.Module(bytes), {env: {}}).exports as
        unknown as NormExports;
  } catch {
    mod = null;
  }
}

/** The instantiated module, or null where WebAssembly SIMD is unavailable. */
export function normWasm(): NormExports|null {
  return mod;
}

/** Floats of the staging window: 64 KiB, half a typical L2. */
const STAGE = 16384;

/** Byte offsets of the staging window and the 16-byte result slot, memory grown to fit. */
function layout(m: NormExports) {
  const stage = m.heapBase(), out = stage + STAGE * 4;
  const need = out + 16, have = m.memory.buffer.byteLength;
  if (need > have) m.memory.grow(Math.ceil((need - have) / 65536));  // RangeError if it cannot
  return {stage, out};
}

/** Largest x the module takes: any (it streams x through a fixed window). */
export const NORM_WASM_MAX_FLOATS = Number.MAX_SAFE_INTEGER;

/**
 * y = (x − mean[r])·scale[r] + shift[r] on each row r of `s` elements (y may be x), x streamed
 * through the staging window span by span.
 */
export function wasmNormAffine(
    m: NormExports, x: Float32Array, y: Float32Array, s: number, mean: Float64Array,
    scale: Float64Array, shift: Float64Array): void {
  const at = layout(m);
  const heap = new Float32Array(m.memory.buffer, at.stage, STAGE);
  const total = x.length;
  for (let p = 0; p < total; p += STAGE) {
    const q = Math.min(total, p + STAGE);
    heap.set(x.subarray(p, q));
    for (let r = Math.floor(p / s), a = p; a < q; r++) {
      const e = Math.min(q, (r + 1) * s);
      const ptr = at.stage + (a - p) * 4;
      m.affineRow(ptr, ptr, e - a, mean[r], scale[r], shift[r]);
      a = e;
    }
    y.set(q - p === STAGE ? heap : heap.subarray(0, q - p), p);
  }
}

/**
 * Shifted sums of each row r of `s` elements, added to sum[r] += Σ(x − k[r]) and
 * sq[r] += Σ(x − k[r])², x streamed through the staging window.
 */
export function wasmNormRowStats(
    m: NormExports, x: Float32Array, s: number, k: Float64Array, sum: Float64Array,
    sq: Float64Array): void {
  const at = layout(m);
  const heap = new Float32Array(m.memory.buffer, at.stage, STAGE);
  const res = new Float64Array(m.memory.buffer, at.out, 2);
  const total = x.length;
  for (let p = 0; p < total; p += STAGE) {
    const q = Math.min(total, p + STAGE);
    heap.set(x.subarray(p, q));
    for (let r = Math.floor(p / s), a = p; a < q; r++) {
      const e = Math.min(q, (r + 1) * s);
      m.rowStats(at.stage + (a - p) * 4, e - a, k[r], at.out);
      sum[r] += res[0];
      sq[r] += res[1];
      a = e;
    }
  }
}
