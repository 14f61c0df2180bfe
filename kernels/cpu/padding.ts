/**
 * Pad and PadGrad on backends that keep typed arrays (cpu, wasm through an adapter): the gather
 * loop of the forward (each output element reads one input element, or the value) and the
 * scatter-add of its adjoint, one pass each, the innermost loop running along the last axis.
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {Pad, PadAttrs, PadGrad, PadGradAttrs} from '../../src/kernel_names.js';
import {PadInfo, padInfo, padSource} from '../../src/padding.js';
import type {BackendAdapter, TypedArrayBackend} from './kernels.js';
import {getCpuImplementation} from './dispatch.js';
import {poolWasm, wasmPadVolumes} from '../simd/pool_simd.js';
import {uninitFloat32} from '../simd/simd_core.js';

type Values = Float32Array|Int32Array;

/** Per padded axis, the input index read by each output index (−1: the constant). */
function sourceMaps(info: PadInfo): Int32Array[] {
  return info.axes.map(a => {
    const m = new Int32Array(a.J);
    for (let j = 0; j < a.J; j++) m[j] = padSource(a, info.mode, j);
    return m;
  });
}

/**
 * The input offset of every output row (all but the last padded axis fixed; output row r starts
 * at r · J_last), −1 when the row lies in the constant border. Rows are few (1/J_last of the
 * output), so the element loops below stay plain and monomorphic.
 */
function rowSources(info: PadInfo, maps: Int32Array[]): Int32Array {
  const k = info.axes.length;
  const J = info.axes.map(a => a.J), W = info.axes.map(a => a.W);
  const inRow = W[k - 1];
  const inPlane = W.reduce((p, q) => p * q, 1);
  const outer = J.slice(0, k - 1);
  const nOuter = outer.reduce((p, q) => p * q, 1);
  const rows = new Int32Array(info.batch * nOuter);
  const idx = new Array(k - 1).fill(0);
  let r = 0;
  for (let b = 0; b < info.batch; b++) {
    for (let q = 0; q < nOuter; q++, r++) {
      let src = 0, outside = false;
      for (let a = 0; a < k - 1; a++) {
        const i = maps[a][idx[a]];
        if (i < 0) outside = true;
        src = src * W[a] + i;
      }
      rows[r] = outside ? -1 : b * inPlane + src * inRow;
      for (let a = k - 2; a >= 0; a--) {  // odometer over the outer padded axes
        if (++idx[a] < outer[a]) break;
        idx[a] = 0;
      }
    }
  }
  return rows;
}

/**
 * The readable gather loop (the oracle of computePad in test/padding_test.ts): each output
 * element reads the input element its per-axis sources name, or the value.
 */
export function padReference(x: Values, info: PadInfo, value: number): Values {
  const y = x instanceof Int32Array ? new Int32Array(sizeOf(info.outShape)) :
                                      new Float32Array(sizeOf(info.outShape));
  const J = info.axes.map(a => a.J), W = info.axes.map(a => a.W);
  const inPlane = sizeOf(W), outPlane = sizeOf(J), k = J.length;
  const idx = new Array<number>(k).fill(0);
  for (let b = 0, o = 0; b < info.batch; b++) {
    for (let q = 0; q < outPlane; q++, o++) {
      let i = 0;
      for (let a = 0; a < k && i >= 0; a++) {
        const s = padSource(info.axes[a], info.mode, idx[a]);
        i = s < 0 ? -1 : i * W[a] + s;
      }
      y[o] = i < 0 ? value : x[b * inPlane + i];
      for (let a = k - 1; a >= 0; a--) {  // odometer over the padded axes
        if (++idx[a] < J[a]) break;
        idx[a] = 0;
      }
    }
  }
  return y;
}

/**
 * computePad's sweep, on the raw 32-bit patterns (float32 data viewed as Int32Array: a copy
 * needs no arithmetic, and one element type keeps the loops monomorphic). Along each padded
 * axis but the last, an output block (all inner axes) whose source index an earlier block of
 * the same plane already holds is one `copyWithin` of that block, and a border block of the
 * constant one `fill`: only the first occurrence of each source row is gathered from x. So the
 * replicated, reflected and wrapped rows and slabs cost one memmove, and x is read once.
 */
class PadSweep {
  readonly maps: Int32Array[];
  /** Per axis: the output index that first reads each output index's source (itself if so). */
  readonly first: Int32Array[];
  /** Output and input strides of each padded axis (elements per index step). */
  readonly outStride: number[];
  readonly inStride: number[];
  readonly j0: number;
  readonly j1: number;
  readonly shift: number;

  constructor(readonly info: PadInfo, readonly src: Int32Array, readonly y: Int32Array,
              readonly fillBits: number) {
    this.maps = sourceMaps(info);
    this.first = this.maps.map(m => {
      const seen = new Map<number, number>(), f = new Int32Array(m.length);
      m.forEach((s, j) => {
        if (s < 0) return void (f[j] = -1);
        if (!seen.has(s)) seen.set(s, j);
        f[j] = seen.get(s)!;
      });
      return f;
    });
    const k = info.axes.length;
    this.outStride = new Array(k).fill(1);
    this.inStride = new Array(k).fill(1);
    for (let a = k - 2; a >= 0; a--) {
      this.outStride[a] = this.outStride[a + 1] * info.axes[a + 1].J;
      this.inStride[a] = this.inStride[a + 1] * info.axes[a + 1].W;
    }
    const ax = info.axes[k - 1], rowLen = ax.J;
    // Output indices [j0, j1) of a row read input indices [j0 + shift, j1 + shift).
    this.j0 = Math.min(Math.max(ax.pl, 0), rowLen);
    this.j1 = Math.min(rowLen, this.j0 + ax.C);
    this.shift = info.mode === 'circular' ? ax.s - ax.lead : -ax.pl;
  }

  /** Writes the output block of axis `a` at output offset `o` from the input block at `i`. */
  block(a: number, o: number, i: number): void {
    const k = this.maps.length;
    if (a >= k - 2) return this.plane(a, o, i);
    const m = this.maps[a], f = this.first[a], n = m.length;
    const os = this.outStride[a], is = this.inStride[a];
    for (let j = 0; j < n; j++) {
      if (f[j] === j) this.block(a + 1, o + j * os, i + m[j] * is);
    }
    this.duplicates(a, o);
  }

  /** The border blocks of axis `a` at `o`: copies of the first block with their source, or fills. */
  duplicates(a: number, o: number): void {
    const f = this.first[a], n = f.length, os = this.outStride[a];
    for (let j = 0; j < n; j++) {
      const at = o + j * os;
      if (f[j] < 0) this.y.fill(this.fillBits, at, at + os);
      else if (f[j] !== j) this.y.copyWithin(at, o + f[j] * os, o + f[j] * os + os);
    }
  }

  /**
   * The last two padded axes (or the last one, a = k − 1) in one loop with locals: one output
   * row per source row, its borders through the map and its run copied.
   */
  plane(a: number, o: number, i: number): void {
    const y = this.y, src = this.src, k = this.maps.length, last = this.maps[k - 1];
    const j0 = this.j0, j1 = this.j1, n = last.length, fill = this.fillBits, shift = this.shift;
    const one = a === k - 1;
    const m = one ? null : this.maps[a], f = one ? null : this.first[a];
    const rows = one ? 1 : m!.length, inRow = one ? 0 : this.inStride[a];
    for (let r = 0, or = o; r < rows; r++, or += n) {
      if (!one && f![r] !== r) continue;
      const ir = one ? i : i + m![r] * inRow;
      for (let j = 0; j < j0; j++) {
        const s = last[j];
        y[or + j] = s < 0 ? fill : src[ir + s];
      }
      const from = ir + shift;
      if (j1 - j0 >= 256) {
        y.set(src.subarray(from + j0, from + j1), or + j0);
      } else {
        for (let j = j0; j < j1; j++) y[or + j] = src[from + j];
      }
      for (let j = j1; j < n; j++) {
        const s = last[j];
        y[or + j] = s < 0 ? fill : src[ir + s];
      }
    }
    if (!one) this.duplicates(a, o);
  }
}

/**
 * computePad on the WebAssembly SIMD module (kernels/simd/pool_simd.ts) when at most three axes
 * are padded: the padded axes (lifted to three) as volumes, the leading axes their count, the
 * same source maps and last-axis run as PadSweep. False where it does not apply.
 */
function simdPad(src: Int32Array, info: PadInfo, fill: number, bits: Int32Array): boolean {
  const m = getCpuImplementation() === 'wasm' ? poolWasm() : null;
  const k = info.axes.length;
  if (m == null || k > 3 || src.length === 0) return false;
  const maps = sourceMaps(info);
  const one = Int32Array.of(0);
  while (maps.length < 3) maps.unshift(one);
  const lift = (v: number[]) => [...new Array(3 - k).fill(1), ...v];
  const ax = info.axes[k - 1], rowLen = ax.J;
  const j0 = Math.min(Math.max(ax.pl, 0), rowLen), j1 = Math.min(rowLen, j0 + ax.C);
  const shift = info.mode === 'circular' ? ax.s - ax.lead : -ax.pl;
  try {
    wasmPadVolumes(m, src, info.batch, lift(info.axes.map(a => a.W)),
                   lift(info.axes.map(a => a.J)), maps, j0, j1, shift, fill, bits);
    return true;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;  // the wasm memory could not grow: the JS sweep
    return false;
  }
}

/** y = pad(x): computePad's result equals padReference's, bit for bit. */
export function computePad(x: Values, info: PadInfo, value: number): Values {
  const n = sizeOf(info.outShape);
  // Every element is written (the sweep's and the SIMD path's fills, copies and runs cover the
  // output): no zero-filling (in Node).
  const raw = uninitFloat32(n);
  const bits = raw ? new Int32Array(raw.buffer, raw.byteOffset, n) : new Int32Array(n);
  if (n > 0) {
    const src = new Int32Array(x.buffer, x.byteOffset, x.length);
    const fill = x instanceof Int32Array ? value | 0 :
        new Int32Array(new Float32Array([value]).buffer)[0];
    if (simdPad(src, info, fill, bits)) {
      return x instanceof Int32Array ? bits : new Float32Array(bits.buffer, bits.byteOffset, n);
    }
    const sweep = new PadSweep(info, src, bits, fill);
    // Products, not n / batch: a quotient is a double to V8, and double offsets slow every
    // index computation below ~10×.
    const inPlane = sizeOf(info.axes.map(a => a.W)), outPlane = sizeOf(info.axes.map(a => a.J));
    for (let b = 0; b < info.batch; b++) sweep.block(0, b * outPlane, b * inPlane);
  }
  return x instanceof Int32Array ? bits : new Float32Array(bits.buffer, bits.byteOffset, n);
}

/** dx[src(j)] += dy[j]: the adjoint of computePad (value-elements have no source). */
export function computePadGrad(dy: Float32Array, info: PadInfo): Float32Array {
  const dx = new Float32Array(sizeOf(info.inShape));
  const maps = sourceMaps(info);
  const last = maps[maps.length - 1], n = last.length;
  if (n === 0) return dx;
  const ax = info.axes[info.axes.length - 1];
  // The interior [j0, j1) of each row adds into a contiguous run (see computePad).
  const j0 = Math.min(Math.max(ax.pl, 0), n), j1 = Math.min(n, j0 + ax.C);
  const shift = info.mode === 'circular' ? ax.s - ax.lead : -ax.pl;
  const rows = rowSources(info, maps);
  for (let r = 0, o = 0; r < rows.length; r++, o += n) {
    const i = rows[r];
    if (i < 0) continue;
    for (let j = 0; j < j0; j++) {
      const s = last[j];
      if (s >= 0) dx[i + s] += dy[o + j];
    }
    const to = i + shift;
    for (let j = j0; j < j1; j++) dx[to + j] += dy[o + j];
    for (let j = j1; j < n; j++) {
      const s = last[j];
      if (s >= 0) dx[i + s] += dy[o + j];
    }
  }
  return dx;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((p, q) => p * q, 1);
}

function read(b: TypedArrayBackend, t: TensorInfo): Values {
  const v = b.readSync(t.dataId);
  if (v instanceof Float32Array || v instanceof Int32Array) return v;
  return t.dtype === 'int32' ? Int32Array.from(v as ArrayLike<number>) :
                               Float32Array.from(v as ArrayLike<number>);
}

const padKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as PadAttrs;
  const b = adapt(backend);
  const info = padInfo('pad', x.shape, a.pad, a.mode);
  const y = computePad(read(b, x), info, a.value);
  // makeTensorInfo's type says float32; the backends store whatever typed array they get.
  return b.makeTensorInfo(info.outShape, x.dtype as 'float32', y as Float32Array);
};

const padGradKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const a = attrs as unknown as PadGradAttrs;
  const b = adapt(backend);
  const info = padInfo('pad (gradient)', a.inShape, a.pad, a.mode);
  const v = read(b, dy);
  const dx = computePadGrad(v instanceof Float32Array ? v : Float32Array.from(v), info);
  return b.makeTensorInfo(info.inShape, 'float32', dx);
};

export function padKernelConfigs(backendName: string, adapt: BackendAdapter): KernelConfig[] {
  return [
    {kernelName: Pad, backendName, kernelFunc: padKernel(adapt)},
    {kernelName: PadGrad, backendName, kernelFunc: padGradKernel(adapt)},
  ];
}
