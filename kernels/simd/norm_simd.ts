/**
 * The normalisation kernels' loops on WebAssembly SIMD (kernels/simd/assembly/norm.ts), seen from
 * JS with the signatures of the JS loops in kernels/cpu/normalization.ts. The module is tiny
 * (under 1 KiB), so it is compiled synchronously at import everywhere (browsers allow that for
 * small modules); without WebAssembly SIMD it is never loaded and the JS loops run.
 *
 * Memory: one linear memory holding [x | y] (and 16 bytes of results), grown as needed and kept
 * for the next call; x is copied in and y copied out.
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

/** Byte offsets of x, y (each `floats` long) and a 16-byte result slot, memory grown to fit. */
function layout(m: NormExports, floats: number, withY: boolean) {
  const base = m.heapBase();
  const bytes = Math.ceil(floats / 4) * 16;
  const x = base, y = x + bytes, out = withY ? y + bytes : y;
  const need = out + 16;
  const have = m.memory.buffer.byteLength;
  if (need > have) m.memory.grow(Math.ceil((need - have) / 65536));  // RangeError if it cannot
  return {x, y, out};
}

/** Largest x the module takes (its 32-bit memory, with room for y). */
export const NORM_WASM_MAX_FLOATS = 2 ** 28;

/** y = (x − m)·a + b per row of `s` elements, with per-row m, a, b given by `row(r)`. */
export function wasmNormAffine(
    m: NormExports, x: Float32Array, rows: number, s: number,
    param: (r: number) => [number, number, number]): Float32Array {
  const at = layout(m, x.length, true);
  new Float32Array(m.memory.buffer, at.x, x.length).set(x);
  for (let r = 0; r < rows; r++) {
    const [mean, a, b] = param(r);
    m.affineRow(at.x + r * s * 4, at.y + r * s * 4, s, mean, a, b);
  }
  return new Float32Array(m.memory.buffer, at.y, x.length).slice();
}

/**
 * Shifted sums of each row of `s` elements: calls `add(r, Σ(x − k), Σ(x − k)²)` with k =
 * `shift(r)`, row by row.
 */
export function wasmNormRowStats(
    m: NormExports, x: Float32Array, rows: number, s: number, shift: (r: number) => number,
    add: (r: number, sum: number, sq: number) => void): void {
  const at = layout(m, x.length, false);
  new Float32Array(m.memory.buffer, at.x, x.length).set(x);
  const out = new Float64Array(m.memory.buffer, at.out, 2);
  for (let r = 0; r < rows; r++) {
    m.rowStats(at.x + r * s * 4, s, shift(r), at.out);
    add(r, out[0], out[1]);
  }
}
