/**
 * The memory-bound kernels' loops on WebAssembly SIMD (kernels/simd/assembly/pool.ts, with
 * interp.ts, pad.ts and activation.ts compiled into the same module), seen from JS with the
 * geometry of the JS loops they stand beside (and tfjs' cpu LeakyRelu, kernels/cpu/activation.ts):
 * pooling's tiled width-2 windows (k2 s2: U-Net's down-sampling) and separable passes
 * (overlapping windows, max), interpolation's per-axis passes (nearest, linear) and pad's sweep
 * (up to three padded axes). The JS loops in kernels/cpu/pooling.ts, interpolate.ts and
 * padding.ts stay the oracle and the fallback (`setCpuImplementation('js')`, no WebAssembly
 * SIMD, or a memory that cannot grow). The module is small (under 6 KiB), so it
 * is compiled synchronously at import everywhere.
 *
 * Memory: a staging window in the module's memory, small enough to stay in cache: x passes
 * through it a chunk at a time (whole input slabs, planes or volumes), the chunk's outputs are
 * computed beside it and copied out into y, so main memory sees one read of x and one write of
 * y, as a copy. The memory is grown once, as needed, and kept.
 */
import {wasmSimdSupported} from './simd_core.js';
import {POOL_WASM_BASE64} from './pool_wasm.js';

interface PoolExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  /** `noNaN`: the caller checked (hasNaN) that no tap is NaN; the rule is then one pmax. */
  maxPool2(x: number, y: number, slabs: number, slabIn: number, rowStep: number, oH: number,
           oW: number, n: number, q1: number, q2: number, q3: number, noNaN: boolean): void;
  hasNaN(p: number, n: number): boolean;
  avgPool2(x: number, y: number, slabs: number, slabIn: number, rowStep: number, oH: number,
           oW: number, n: number, q1: number, q2: number, q3: number, div: number): void;
  maxPassRow(src: number, dst: number, rows: number, inLen: number, outLen: number,
             start: number, lo: number, hi: number, d: number, K: number, full0: number,
             full1: number, noNaN: boolean): void;
  maxPassRows(src: number, dst: number, outer: number, inLen: number, inner: number,
              outLen: number, start: number, lo: number, hi: number, d: number,
              noNaN: boolean): void;
  linPassW(src: number, dst: number, rows: number, inLen: number, outLen: number, i0: number,
           i1: number, w0: number, w1: number): void;
  linPassRows(src: number, dst: number, outer: number, inLen: number, inner: number,
              outLen: number, i0: number, i1: number, w0: number, w1: number): void;
  nearPassW(src: number, dst: number, rows: number, inLen: number, outLen: number, i0: number,
            twice: boolean): void;
  nearPassRows(src: number, dst: number, outer: number, inLen: number, inner: number,
               outLen: number, i0: number): void;
  padVolumes(src: number, dst: number, vols: number, W0: number, W1: number, W2: number,
             J0: number, J1: number, J2: number, map0: number, map1: number, map2: number,
             j0: number, j1: number, shift: number, bits: number): void;
  leakyRelu(x: number, y: number, n: number, alpha: number): void;
}

let mod: PoolExports|null = null;
if (wasmSimdSupported()) {
  try {
    const bin = atob(POOL_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    mod = new WebAssembly.Instance(new WebAssembly.Module(bytes), {env: {}}).exports as
        unknown as PoolExports;
  } catch {
    mod = null;
  }
}

/** The instantiated module, or null where WebAssembly SIMD is unavailable. */
export function poolWasm(): PoolExports|null {
  return mod;
}

/** Floats of input per staging chunk (at least one slab): 64 KiB, half a typical L2. */
const STAGE = 16384;

/** The geometry of a tiled width-2 pooling, as kernels/cpu/pooling.ts's pairRows gives it. */
export interface Pair2Geometry {
  planes: number;
  inSize: number[];   // [D, H, W]
  outSize: number[];  // [oD, oH, oW]
  kd: number;
  kh: number;
  /** Window rows' offsets (floats) from the window's first row, in window order (1, 2 or 4). */
  offsets: number[];
}

/**
 * The tiled width-2 pooling (kind 'max', or 'avg' with `divisor`) of x into a new array; throws
 * a RangeError when the module's memory cannot grow to one slab.
 */
export function wasmPool2(m: PoolExports, kind: 'max'|'avg', x: Float32Array, g: Pair2Geometry,
                          divisor: number, y: Float32Array): Float32Array {
  const [D, H, W] = g.inSize, [oD, oH, oW] = g.outSize;
  const slabIn = g.kd * H * W, slabOut = oH * oW;
  // Whole planes are one run of slabs when no depth slice is left over.
  const uniform = oD * g.kd === D;
  const runs = uniform ? 1 : g.planes, perRun = uniform ? g.planes * oD : oD;
  const chunk = Math.max(1, Math.min(perRun, Math.floor(STAGE / slabIn)));
  const base = m.heapBase(), outAt = base + chunk * slabIn * 4;
  const need = outAt + chunk * slabOut * 4, have = m.memory.buffer.byteLength;
  if (need > have) m.memory.grow(Math.ceil((need - have) / 65536));  // RangeError if it cannot
  const buf = m.memory.buffer;
  const heapIn = new Float32Array(buf, base, chunk * slabIn);
  const heapOut = new Float32Array(buf, outAt, chunk * slabOut);
  const n = g.offsets.length, q1 = 4 * (g.offsets[1] ?? 0), q2 = 4 * (g.offsets[2] ?? 0),
        q3 = 4 * (g.offsets[3] ?? 0), rowStep = 4 * g.kh * W;
  const planeIn = D * H * W;
  for (let r = 0; r < runs; r++) {
    const inRun = r * planeIn, outRun = r * perRun * slabOut;
    for (let s = 0; s < perRun; s += chunk) {
      const k = Math.min(chunk, perRun - s);
      const from = inRun + s * slabIn;
      heapIn.set(x.subarray(from, from + k * slabIn));
      if (kind === 'max') {
        m.maxPool2(base, outAt, k, slabIn * 4, rowStep, oH, oW, n, q1, q2, q3,
                   !m.hasNaN(base, k * slabIn));
      } else {
        m.avgPool2(base, outAt, k, slabIn * 4, rowStep, oH, oW, n, q1, q2, q3, divisor);
      }
      y.set(k === chunk ? heapOut : heapOut.subarray(0, k * slabOut), outRun + s * slabOut);
    }
  }
  return y;
}

/** Per output index of one axis: window start and valid tap range (kernels/cpu/pooling.ts). */
export interface SeparableAxis {start: Int32Array; lo: Int32Array; hi: Int32Array}

/**
 * Separable max pooling (kernels/cpu/pooling.ts separableMax: a pass along W, then H, then D,
 * each the rule over its taps in order) of x into y, whole planes at a time: a chunk of planes
 * copied into the module's memory, the three passes run there (in cache for maps up to ~32³),
 * the result copied out. Throws a RangeError when the memory cannot grow to one plane.
 */
export function wasmSeparableMax(m: PoolExports, x: Float32Array, planes: number,
                                 inSize: number[], outSize: number[], kernel: number[],
                                 stride: number[], dilation: number[], axes: SeparableAxis[],
                                 y: Float32Array): Float32Array {
  const [D, H, W] = inSize, [oD, oH, oW] = outSize;
  const inVol = D * H * W, outVol = oD * oH * oW;
  const P = Math.max(1, Math.min(planes, Math.floor(STAGE / inVol)));
  // Tables (start, lo, hi of each axis), then x, t1, t2 and y of a chunk, 16-byte aligned.
  const al = (b: number) => (b + 15) & ~15;
  const tables = m.heapBase();
  const tableAt: number[] = [];
  let at = tables;
  for (const ax of axes) {
    for (let i = 0; i < 3; i++) {
      tableAt.push(at);
      at = al(at + 4 * ax.start.length);
    }
  }
  const xAt = at, t1At = al(xAt + 4 * P * inVol), t2At = al(t1At + 4 * P * D * H * oW);
  const yAt = al(t2At + 4 * P * D * oH * oW), end = yAt + 4 * P * outVol;
  const have = m.memory.buffer.byteLength;
  if (end > have) m.memory.grow(Math.ceil((end - have) / 65536));  // RangeError if it cannot
  const buf = m.memory.buffer;
  axes.forEach((ax, a) => {
    new Int32Array(buf, tableAt[3 * a], ax.start.length).set(ax.start);
    new Int32Array(buf, tableAt[3 * a + 1], ax.lo.length).set(ax.lo);
    new Int32Array(buf, tableAt[3 * a + 2], ax.hi.length).set(ax.hi);
  });
  // Along W with stride 1, the outputs whose taps are all inside form one run [full0, full1).
  const aw = axes[2], K = kernel[2];
  let full0 = 0, full1 = 0;
  if (stride[2] === 1) {
    full0 = aw.lo.findIndex((l, o) => l === 0 && aw.hi[o] === K);
    if (full0 < 0) full0 = 0;
    else {
      full1 = full0;
      while (full1 < oW && aw.lo[full1] === 0 && aw.hi[full1] === K) full1++;
    }
  }
  const heapX = new Float32Array(buf, xAt, P * inVol), heapY = new Float32Array(buf, yAt, P * outVol);
  const [dd, dh, dw] = dilation;
  for (let pl = 0; pl < planes; pl += P) {
    const q = Math.min(P, planes - pl);
    heapX.set(x.subarray(pl * inVol, (pl + q) * inVol));
    // Without a NaN in the chunk, the rule is one pmax per tap (the passes cannot make a NaN).
    const noNaN = !m.hasNaN(xAt, q * inVol);
    m.maxPassRow(xAt, t1At, q * D * H, W, oW, tableAt[6], tableAt[7], tableAt[8], dw, K, full0,
                 full1, noNaN);
    m.maxPassRows(t1At, t2At, q * D, H, oW, oH, tableAt[3], tableAt[4], tableAt[5], dh, noNaN);
    m.maxPassRows(t2At, yAt, q, D, oH * oW, oD, tableAt[0], tableAt[1], tableAt[2], dd, noNaN);
    y.set(q === P ? heapY : heapY.subarray(0, q * outVol), pl * outVol);
  }
  return y;
}

/** One axis' interpolation table (src/interpolate.ts AxisTable). */
export interface InterpAxis {i0: Int32Array; i1: Int32Array; w0: Float32Array; w1: Float32Array}

/** An axis' i0, i1, w0, w1 written into the module's memory at the four addresses `at`. */
function writeTable(buf: ArrayBufferLike, at: number[], t: InterpAxis): void {
  new Int32Array(buf, at[0], t.i0.length).set(t.i0);
  new Int32Array(buf, at[1], t.i1.length).set(t.i1);
  new Float32Array(buf, at[2], t.w0.length).set(t.w0);
  new Float32Array(buf, at[3], t.w1.length).set(t.w1);
}

/**
 * Interpolation (kernels/cpu/interpolate.ts: nearest, or linear with PyTorch's nesting) as one
 * pass per axis, W then H then D, each rounding to float32 as the JS passes store; an axis
 * flagged `skip` (its size unchanged: PyTorch copies it) is no pass. Planes are staged a chunk
 * at a time in the module's memory (x, two intermediates, y), the result copied out into y.
 * Throws a RangeError when the memory cannot grow to one plane.
 */
export function wasmInterpolate(m: PoolExports, linear: boolean, x: Float32Array, planes: number,
                                inSize: number[], tables: InterpAxis[], skip: boolean[],
                                twiceW: boolean, y: Float32Array): Float32Array {
  const [D, H, W] = inSize, [oD, oH, oW] = tables.map(t => t.i0.length);
  const inVol = D * H * W, outVol = oD * oH * oW;
  if (Math.max(inVol, outVol) > STAGE && sliceWiseFits(tables[0])) {
    return sliceWiseInterpolate(m, linear, x, planes, inSize, tables, skip, twiceW, y);
  }
  const P = Math.max(1, Math.min(planes, Math.floor(STAGE / Math.max(inVol, outVol))));
  const al = (b: number) => (b + 15) & ~15;
  let at = m.heapBase();
  const tableAt = tables.map(t => {
    const q = [at, al(at + 4 * t.i0.length)];
    q.push(al(q[1] + 4 * t.i0.length));
    q.push(al(q[2] + 4 * t.i0.length));
    at = al(q[3] + 4 * t.i0.length);
    return q;
  });
  // Either intermediate may hold the W pass's or the H pass's result.
  const mid = P * D * Math.max(H, oH) * oW;
  const xAt = at, t1At = al(xAt + 4 * P * inVol), t2At = al(t1At + 4 * mid);
  const yAt = al(t2At + 4 * mid), end = yAt + 4 * P * outVol;
  const have = m.memory.buffer.byteLength;
  if (end > have) m.memory.grow(Math.ceil((end - have) / 65536));  // RangeError if it cannot
  const buf = m.memory.buffer;
  tables.forEach((t, a) => writeTable(buf, tableAt[a], t));
  const heapX = new Float32Array(buf, xAt, P * inVol);
  const [td, th, tw] = tableAt;
  for (let pl = 0; pl < planes; pl += P) {
    const q = Math.min(P, planes - pl);
    heapX.set(x.subarray(pl * inVol, (pl + q) * inVol));
    let src = xAt;
    if (!skip[2]) {
      if (linear) m.linPassW(src, t1At, q * D * H, W, oW, tw[0], tw[1], tw[2], tw[3]);
      else m.nearPassW(src, t1At, q * D * H, W, oW, tw[0], twiceW);
      src = t1At;
    }
    if (!skip[1]) {
      const dst = src === t1At ? t2At : t1At;
      if (linear) m.linPassRows(src, dst, q * D, H, oW, oH, th[0], th[1], th[2], th[3]);
      else m.nearPassRows(src, dst, q * D, H, oW, oH, th[0]);
      src = dst;
    }
    if (!skip[0]) {
      if (linear) m.linPassRows(src, yAt, q, D, oH * oW, oD, td[0], td[1], td[2], td[3]);
      else m.nearPassRows(src, yAt, q, D, oH * oW, oD, td[0]);
      src = yAt;
    }
    y.set(new Float32Array(buf, src, q * outVol), pl * outVol);
  }
  return y;
}

/**
 * wasmInterpolate for planes that do not fit the staging window (large maps): one output depth
 * slice at a time, so that everything between the read of x and the write of y stays in L1/L2
 * (staging whole planes sent each of them through main memory once per pass: about 4× the
 * traffic). The W and H passes of each input depth slice are computed once, when an output slice
 * first needs it, into one of two slots (slot d mod 2: the depth taps of output slice o are
 * i0[o] and i1[o] ∈ {i0[o], i0[o] + 1}, both nondecreasing in o); the depth pass is linPassRows
 * on those two slots (adjacent: row 0 and row 1 of a two-row source) with a one-entry table, or
 * for nearest a copy of the slot. Same passes, same order, same arithmetic as the staged path.
 */
function sliceWiseFits(td: InterpAxis): boolean {
  for (let o = 0; o < td.i0.length; o++) {
    const step = td.i1[o] - td.i0[o];
    if ((step !== 0 && step !== 1) || (o > 0 && td.i0[o] < td.i0[o - 1])) return false;
  }
  return true;
}

function sliceWiseInterpolate(m: PoolExports, linear: boolean, x: Float32Array, planes: number,
                              inSize: number[], tables: InterpAxis[], skip: boolean[],
                              twiceW: boolean, y: Float32Array): Float32Array {
  const [D, H, W] = inSize, [oD, oH, oW] = tables.map(t => t.i0.length);
  const [td, th, tw] = tables;
  const inSlice = H * W, outSlice = oH * oW, inVol = D * inSlice, outVol = oD * outSlice;
  const al = (b: number) => (b + 15) & ~15;
  let at = m.heapBase();
  const put = (n: number) => {
    const q = at;
    at = al(at + 4 * n);
    return q;
  };
  const twAt = [put(oW), put(oW), put(oW), put(oW)], thAt = [put(oH), put(oH), put(oH), put(oH)];
  const oneAt = [put(1), put(1), put(1), put(1)];
  const xAt = put(inSlice), t1At = put(H * oW), slotAt = put(2 * outSlice), outAt = put(outSlice);
  const have = m.memory.buffer.byteLength;
  if (at > have) m.memory.grow(Math.ceil((at - have) / 65536));  // RangeError if it cannot
  const buf = m.memory.buffer;
  writeTable(buf, twAt, tw);
  writeTable(buf, thAt, th);
  const heapX = new Float32Array(buf, xAt, inSlice);
  const oneI0 = new Int32Array(buf, oneAt[0], 1), oneI1 = new Int32Array(buf, oneAt[1], 1);
  const oneW0 = new Float32Array(buf, oneAt[2], 1), oneW1 = new Float32Array(buf, oneAt[3], 1);
  const slots = [new Float32Array(buf, slotAt, outSlice),
                 new Float32Array(buf, slotAt + 4 * outSlice, outSlice)];
  const out = new Float32Array(buf, outAt, outSlice);
  for (let pl = 0; pl < planes; pl++) {
    const have: number[] = [-1, -1];  // the input slice each slot holds
    const need = (d: number) => {
      const k = d & 1;
      if (have[k] === d) return;
      have[k] = d;
      const from = pl * inVol + d * inSlice, dst = slotAt + 4 * k * outSlice;
      if (skip[2] && skip[1]) {
        slots[k].set(x.subarray(from, from + inSlice));
        return;
      }
      heapX.set(x.subarray(from, from + inSlice));
      let src = xAt;
      if (!skip[2]) {
        const to = skip[1] ? dst : t1At;
        if (linear) m.linPassW(src, to, H, W, oW, twAt[0], twAt[1], twAt[2], twAt[3]);
        else m.nearPassW(src, to, H, W, oW, twAt[0], twiceW);
        src = to;
      }
      if (!skip[1]) {
        if (linear) m.linPassRows(src, dst, 1, H, oW, oH, thAt[0], thAt[1], thAt[2], thAt[3]);
        else m.nearPassRows(src, dst, 1, H, oW, oH, thAt[0]);
      }
    };
    for (let o = 0; o < oD; o++) {
      const to = pl * outVol + o * outSlice;
      if (skip[0]) {
        need(o);
        y.set(slots[o & 1], to);
        continue;
      }
      const d0 = td.i0[o];
      need(d0);
      if (!linear) {
        y.set(slots[d0 & 1], to);
        continue;
      }
      const d1 = td.i1[o];
      need(d1);
      oneI0[0] = d0 & 1;
      oneI1[0] = d1 & 1;
      oneW0[0] = td.w0[o];
      oneW1[0] = td.w1[o];
      m.linPassRows(slotAt, outAt, 1, 2, outSlice, 1, oneAt[0], oneAt[1], oneAt[2], oneAt[3]);
      y.set(out, to);
    }
  }
  return y;
}

/**
 * Pad along (at most) the last three axes (kernels/cpu/padding.ts computePad, on 32-bit
 * patterns): `vols` input volumes `inSize` → `outSize` through the per-axis source maps (−1:
 * `bits`), the last axis' contiguous run [j0, j1) read at input index j + shift. Volumes are
 * staged a chunk at a time; throws a RangeError when the memory cannot grow to one volume.
 */
export function wasmPadVolumes(m: PoolExports, src: Int32Array, vols: number, inSize: number[],
                               outSize: number[], maps: Int32Array[], j0: number, j1: number,
                               shift: number, bits: number, y: Int32Array): Int32Array {
  const [W0, W1, W2] = inSize, [J0, J1, J2] = outSize;
  const inVol = W0 * W1 * W2, outVol = J0 * J1 * J2;
  const Q = Math.max(1, Math.min(vols, Math.floor(STAGE / Math.max(inVol, outVol, 1))));
  const al = (b: number) => (b + 15) & ~15;
  let at = m.heapBase();
  const mapAt = maps.map(mp => {
    const q = at;
    at = al(at + 4 * mp.length);
    return q;
  });
  const xAt = at, yAt = al(xAt + 4 * Q * inVol), end = yAt + 4 * Q * outVol;
  const have = m.memory.buffer.byteLength;
  if (end > have) m.memory.grow(Math.ceil((end - have) / 65536));  // RangeError if it cannot
  const buf = m.memory.buffer;
  maps.forEach((mp, a) => new Int32Array(buf, mapAt[a], mp.length).set(mp));
  const heapX = new Int32Array(buf, xAt, Q * inVol), heapY = new Int32Array(buf, yAt, Q * outVol);
  for (let v = 0; v < vols; v += Q) {
    const q = Math.min(Q, vols - v);
    heapX.set(src.subarray(v * inVol, (v + q) * inVol));
    m.padVolumes(xAt, yAt, q, W0, W1, W2, J0, J1, J2, mapAt[0], mapAt[1], mapAt[2], j0, j1,
                 shift, bits);
    y.set(q === Q ? heapY : heapY.subarray(0, q * outVol), v * outVol);
  }
  return y;
}

/**
 * tfjs' LeakyRelu (`x < 0 ? alpha * x : x`, the product rounded from float64, bit for bit) of x
 * into y, STAGE floats at a time through the module's memory, computed in place there.
 */
export function wasmLeakyRelu(m: PoolExports, x: Float32Array, alpha: number,
                              y: Float32Array): Float32Array {
  const base = m.heapBase(), Q = Math.min(STAGE, x.length);
  const have = m.memory.buffer.byteLength;
  if (base + 4 * Q > have) m.memory.grow(Math.ceil((base + 4 * Q - have) / 65536));
  const heap = new Float32Array(m.memory.buffer, base, Q);
  for (let i = 0; i < x.length; i += Q) {
    const q = Math.min(Q, x.length - i);
    heap.set(x.subarray(i, i + q));
    m.leakyRelu(base, base, q, alpha);
    y.set(q === Q ? heap : heap.subarray(0, q), i);
  }
  return y;
}
