/**
 * The WebAssembly SIMD compute core, seen from JS: same signatures as kernels/cpu/compute.ts (the
 * pure-JS oracle and fallback), so a kernel can call either.
 *
 * Loading: Node compiles the embedded module synchronously when this file is imported; elsewhere
 * (browsers forbid synchronous compilation of large modules on the main thread) `ready()`
 * compiles it asynchronously and the JS path is used until it resolves. Without WebAssembly SIMD
 * the core is never loaded and everything runs on the JS path.
 *
 * Memory: one linear memory holding [parameter block | scratch | inputs | output | cols], grown
 * as needed and kept for the next call. Inputs are copied in and the output copied out.
 */
import type {ConvTranspose3DInfo} from '../../src/geometry.js';
import {depthChunk, tapTables} from '../cpu/compute.js';
import {CORE_WASM_BASE64} from './core_wasm.js';

export interface CoreExports {
  memory: WebAssembly.Memory;
  SCRATCH_BYTES: WebAssembly.Global;
  heapBase(): number;
  forward(par: number, x: number, w: number, bias: number, y: number, cols: number,
          scratch: number): void;
  conv3d(par: number, x: number, w: number, bias: number, y: number, cols: number,
         scratch: number): void;
  weightGrad(par: number, x: number, dy: number, dw: number, cols: number,
             scratch: number): void;
  forwardWork(par: number, axes: number): number;
  biasGrad(dy: number, N: number, C: number, L: number, db: number): void;
  allFinite(p: number, n: number): number;
  backWork(par: number, axes: number): number;
  axesFit(par: number): number;
  weightGradImplicitWins(par: number, axes: number): number;
  conv3dImplicit(par: number, x: number, w: number, bias: number, y: number, work: number,
                 scratch: number): void;
  weightGradImplicit(par: number, x: number, dy: number, dw: number, work: number,
                     scratch: number): void;
  forwardImplicit(par: number, x: number, w: number, bias: number, y: number, work: number,
                  scratch: number): void;
  conv3dDirectWork(par: number): number;
  conv3dDirect(par: number, x: number, w: number, bias: number, y: number, work: number,
               scratch: number): void;
}

/** A minimal module using a v128 instruction (i8x16.popcnt), as wasm-feature-detect does. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
  15, 253, 98, 11,
]);

let simd: boolean|null = null;

/** Whether this platform runs WebAssembly with 128-bit SIMD. */
export function wasmSimdSupported(): boolean {
  if (simd == null) {
    try {
      simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  return simd;
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return base64Bytes(CORE_WASM_BASE64);
}

/** The bytes of an embedded (base64) module. */
export function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

const imports = {env: {}};
let core: CoreExports|null = null;
let loading: Promise<boolean>|null = null;
/** Why the core is off, once that is known (a sentence for users; null: on, or still loading). */
let offReason: string|null = null;
let warned = false;

/** The instantiated core, or null while it is not (yet) available. */
export function wasmCore(): CoreExports|null {
  return core;
}

/**
 * Why the wasm core is not in use, as a sentence a user can act on: no WebAssembly, no SIMD, a
 * Content-Security-Policy without 'wasm-unsafe-eval', or the compile error. Null while the core
 * is loaded or may still load (browsers before `ready()` resolves).
 */
export function wasmCoreOffReason(): string|null {
  if (core != null) return null;
  if (offReason == null && !wasmSimdSupported()) {
    offReason = typeof WebAssembly !== 'object' ?
        'this JavaScript engine has no WebAssembly' :
        'this platform\'s WebAssembly has no 128-bit SIMD (Chrome/Edge 91+, Firefox 89+, ' +
            'Safari 16.4+ and Node 16.4+ have it)';
  }
  return offReason;
}

/** Turns a compile/instantiate failure into the reason (CSP refusals name the fix). */
function failureReason(e: unknown): string {
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  // Chrome: "Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an
  // allowed source of script in the following Content Security Policy directive"; Firefox:
  // "blocked by CSP"; Safari: "'unsafe-eval' or 'wasm-unsafe-eval' is not an allowed source".
  if (/content.security.policy|\bCSP\b|unsafe-eval/i.test(message)) {
    return 'the page\'s Content-Security-Policy does not allow compiling WebAssembly: add ' +
        '\'wasm-unsafe-eval\' to its script-src directive (e.g. script-src \'self\' ' +
        `'wasm-unsafe-eval') (${message})`;
  }
  return `compiling it failed (${message})`;
}

/**
 * Records why the core is off and says so once on the console: otherwise a CSP or a broken
 * engine silently costs the 5–8× of the SIMD core, and `setCpuImplementation('wasm')` and the
 * ops could only guess why.
 */
function off(reason: string): false {
  offReason = reason;
  if (!warned) {
    warned = true;
    console.warn(`tfjs-convtranspose3d: the WebAssembly SIMD core is off, so our cpu and wasm ` +
                 `kernels run on the pure-JS core (correct, several times slower): ${reason}. ` +
                 `cpuImplementationReason() returns this.`);
  }
  return false;
}

/**
 * Compiles and instantiates the core asynchronously (a no-op once done); resolves to whether the
 * wasm path is available, never rejects (the reason is in wasmCoreOffReason()). The package's
 * `ready()`.
 */
export function loadWasmCore(): Promise<boolean> {
  if (core != null) return Promise.resolve(true);
  if (!wasmSimdSupported()) return Promise.resolve(off(wasmCoreOffReason()!));
  if (loading == null) {
    let compiled: Promise<WebAssembly.WebAssemblyInstantiatedSource>;
    try {
      compiled = WebAssembly.instantiate(moduleBytes(), imports);
    } catch (e) {  // a synchronous throw (some engines' CSP refusal) instead of a rejection
      compiled = Promise.reject(e);
    }
    loading = compiled.then(({instance}: WebAssembly.WebAssemblyInstantiatedSource) => {
      core ??= instance.exports as unknown as CoreExports;
      offReason = null;
      return true;
    }, (e: unknown) => off(failureReason(e)));
  }
  return loading;
}

/** Tests only: forget the loaded core and any reason, as if this module were fresh. */
export function resetWasmCoreForTests(): void {
  core = null;
  loading = null;
  offReason = null;
  warned = false;
  simd = null;
}

function isNode(): boolean {
  const p = (globalThis as {process?: {versions?: {node?: string}}}).process;
  return p?.versions?.node != null;
}

// Node allows synchronous compilation of any size: the core is ready at import.
if (isNode() && wasmSimdSupported()) {
  try {
    core = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), imports).exports as
        unknown as CoreExports;
  } catch (e) {
    core = null;
    off(failureReason(e));
  }
}

export const PARAMS_BYTES = 4096;
/** Slot of the parameter block where conv3d's direct path reads its position range (core.ts). */
export const P_L0 = 25;

/** Byte layout of one call: 16-byte aligned regions after the parameter block and scratch. */
class Arena {
  private next: number;
  constructor(private readonly c: CoreExports) {
    this.next = c.heapBase() + PARAMS_BYTES + (c.SCRATCH_BYTES.value as number);
  }
  alloc(floats: number): number {
    const at = this.next;
    this.next += Math.ceil(floats / 4) * 16;
    return at;
  }
  /** Grows the memory to hold everything allocated; returns a fresh f32 view. */
  commit(): Float32Array {
    const mem = this.c.memory;
    const need = this.next - mem.buffer.byteLength;
    if (need > 0) mem.grow(Math.ceil(need / 65536));
    return new Float32Array(mem.buffer);
  }
}

/** Writes the geometry record and per-tap tables into the parameter block (layout: core.ts). */
export function writeParams(c: CoreExports, info: ConvTranspose3DInfo, dChunk: number,
                            par = c.heapBase()): number {
  const i32 = new Int32Array(c.memory.buffer, par, PARAMS_BYTES / 4);
  i32.set([
    info.batchSize, info.groups, info.inChannelsPerGroup, info.outChannelsPerGroup,
    ...info.inSize, ...info.outSize, ...info.kernelSize, ...info.stride, ...info.padding,
    ...info.dilation, dChunk, info.inChannels, info.outChannels, 0, 0,
  ]);
  let slot = 32;
  for (const axis of tapTables(info)) {
    for (const [lo, hi] of axis) {
      i32[slot++] = lo;
      i32[slot++] = hi;
    }
  }
  return par;
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const biasLength = (bias: Float32Array|null, n: number): Array<[string, Float32Array, number]> =>
    bias ? [['bias', bias, n]] : [];
const kvol = (info: ConvTranspose3DInfo) =>
    info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
const plane = (info: ConvTranspose3DInfo) => info.inSize[1] * info.inSize[2];

type NodeBuffer = {allocUnsafeSlow(size: number): Uint8Array};

/**
 * A fresh copy of heap[from, from + n): the result leaves the wasm memory. In Node,
 * `Buffer.allocUnsafeSlow` skips zero-filling memory we overwrite at once (a 16 MB result comes
 * out ≈ 1.7× faster than with `slice`); the array owns its whole, unpooled buffer, like a plain
 * Float32Array.
 */
export function copyOut(heap: Float32Array, from: number, n: number): Float32Array {
  const out = uninitFloat32(n);
  if (out == null) return heap.slice(from, from + n);
  out.set(heap.subarray(from, from + n));
  return out;
}

/**
 * A Float32Array of n floats that the caller overwrites at once, not zero-filled where that can
 * be had (Node's `Buffer.allocUnsafeSlow`: its own, unpooled buffer, like a plain Float32Array);
 * null elsewhere (the caller allocates as it would have).
 */
export function uninitFloat32(n: number): Float32Array|null {
  const B = (globalThis as {Buffer?: NodeBuffer}).Buffer;
  if (typeof B?.allocUnsafeSlow !== 'function') return null;
  const b = B.allocUnsafeSlow(4 * n);
  return b.byteOffset % 4 === 0 ? new Float32Array(b.buffer, b.byteOffset, n) : null;
}

/** Work memory (floats) beyond which the implicit paths give way to the chunked cols paths. */
let implicitWorkLimit = 1 << 26;

/**
 * Internal (tests, benchmarks): whether the implicit-GEMM paths are used where they fit (the
 * default) or the chunked cols paths (and, for depthwise groups, the direct row paths) everywhere.
 */
export function setImplicitPaths(on: boolean): void {
  implicitWorkLimit = on ? 1 << 26 : -1;
}

/** Whether an implicit path needing `work` floats (−1: not applicable) is taken. */
export function implicitFits(work: number): boolean {
  return work >= 0 && work <= implicitWorkLimit;
}

let directConv3d = true;

/**
 * Internal (tests, benchmarks): whether conv3d takes its direct path (core.ts, conv3dDirect)
 * where it applies (the default), or the implicit-GEMM path there. `setImplicitPaths(false)`
 * turns it off too (the cols paths everywhere).
 */
export function setDirectConv3d(on: boolean): void {
  directConv3d = on;
}

/**
 * The work (floats) of conv3d's direct path for the parameter block at `par`, or −1 where it is
 * not taken.
 */
export function conv3dDirectFits(c: CoreExports, par: number): number {
  if (!directConv3d) return -1;
  const w = c.conv3dDirectWork(par);
  return implicitFits(w) ? w : -1;
}

/**
 * Starts a call: the parameter block written, and the path chosen. `implicitWork(par, scratch)`
 * gives the implicit path's work memory in floats, or −1 where it does not apply; `work` is that,
 * or −1 for the cols path (also when the work exceeds the limit).
 */
function prepare(c: CoreExports, info: ConvTranspose3DInfo, dChunk: number,
                 implicitWork: (par: number, scratch: number) => number) {
  const a = new Arena(c);
  a.commit();  // the parameter block and scratch exist
  const par = writeParams(c, info, dChunk), scratch = par + PARAMS_BYTES;
  const w = c.axesFit(par) ? implicitWork(par, scratch) : -1;
  return {a, par, scratch, work: implicitFits(w) ? w : -1};
}

/**
 * Throws unless every input has exactly the length its shape implies: the core reads whole
 * regions, and a short array (a ragged nested array that reached a kernel) would leave the rest
 * of its region holding an earlier call's data, which must never reach a result.
 */
export function checkLengths(fn: string, arrays: Array<[string, Float32Array, number]>): void {
  for (const [name, a, n] of arrays) {
    if (a.length !== n) {
      throw new Error(`${fn}: ${name} has ${a.length} values, but its shape needs ${n}`);
    }
  }
}

/**
 * Whether the inputs copied into the heap at (pointer, length) are all finite (one SIMD pass).
 * The fast paths are exact for finite values only, where 0·NaN = 0·Inf = NaN would differ from
 * PyTorch (whose CPU kernels scatter with col2vol: only the taps that touch an output, and
 * gather with im2col: zero padding times every tap). Only the inputs that can meet such a zero
 * are checked:
 * - forward: the weight (the implicit and direct paths multiply x's zero padding by every tap);
 *   a non-finite x only reaches the outputs it touches, as in PyTorch;
 * - conv3d: the weight (the depthwise row paths skip the padding that im2col multiplies);
 * - weight gradient: x and dy on the depthwise row paths (they skip padding and visit taps
 *   PyTorch does not), dy on the implicit path when rows are not runs of 4 (its K spans junk
 *   columns, zeros of x against real dy values).
 * On a non-finite input the wrappers return null and the caller runs the JS core, which
 * propagates NaN and ±Inf as PyTorch does (test/nonfinite_test.ts).
 */
export function finiteInputs(c: CoreExports, ...regions: Array<[number, number]>): boolean {
  return regions.every(([ptr, n]) => c.allFinite(ptr, n) !== 0);
}

type ConvEntry = (par: number, x: number, w: number, bias: number, y: number, work: number,
                  scratch: number) => void;

/**
 * One convolution call (x, w, bias → a `yShape` result): the implicit entry when its work
 * (`implicitWork`) fits, else the cols entry.
 */
function convCall(
    c: CoreExports, x: Float32Array, w: Float32Array, bias: Float32Array|null,
    info: ConvTranspose3DInfo, yShape: number[], implicitWork: CoreExports['forwardWork'],
    implicit: ConvEntry, cols: ConvEntry, direct?: ConvEntry): Float32Array|null {
  const rows = info.outChannelsPerGroup * kvol(info);
  const dChunk = depthChunk(info, rows);
  let entry = cols, work = -1;
  const a = new Arena(c);
  a.commit();  // the parameter block and scratch exist
  const par = writeParams(c, info, dChunk), scratch = par + PARAMS_BYTES;
  const dw = direct ? conv3dDirectFits(c, par) : -1;
  if (dw >= 0) {
    entry = direct!;
    work = dw;
  } else {
    const iw = c.axesFit(par) ? implicitWork(par, scratch) : -1;
    if (implicitFits(iw)) {
      entry = implicit;
      work = iw;
    }
  }
  const px = a.alloc(x.length), pw = a.alloc(w.length), pb = bias ? a.alloc(bias.length) : 0;
  const ny = size(yShape), py = a.alloc(ny);
  const pc = a.alloc(work >= 0 ? work : rows * dChunk * plane(info));
  const heap = a.commit();
  heap.set(x, px >> 2);
  heap.set(w, pw >> 2);
  if (bias) heap.set(bias, pb >> 2);
  if (!finiteInputs(c, [pw, w.length])) return null;
  entry(par, px, pw, pb, py, pc, scratch);
  return copyOut(heap, py >> 2, ny);
}

/**
 * convTranspose3dForward of compute.ts on the wasm core; null when an input is not finite (run
 * the JS core then, see finiteInputs).
 */
export function wasmConvTranspose3dForward(
    c: CoreExports, x: Float32Array, w: Float32Array, bias: Float32Array|null,
    info: ConvTranspose3DInfo): Float32Array|null {
  checkLengths('convTranspose3d', [['input', x, size(info.inShape)],
      ['weight', w, size(info.weightShape)], ...biasLength(bias, info.outChannels)]);
  return convCall(c, x, w, bias, info, info.outShape, c.forwardWork, c.forwardImplicit, c.forward);
}

/** conv3dForward of compute.ts on the wasm core (x: big side, result: small side), or null. */
export function wasmConv3dForward(
    c: CoreExports, x: Float32Array, w: Float32Array, bias: Float32Array|null,
    info: ConvTranspose3DInfo): Float32Array|null {
  checkLengths('conv3d', [['input', x, size(info.outShape)],
      ['weight', w, size(info.weightShape)], ...biasLength(bias, info.inChannels)]);
  return convCall(c, x, w, bias, info, info.inShape, c.backWork, c.conv3dImplicit, c.conv3d,
                  c.conv3dDirect);
}

/** convTranspose3dWeightGrad of compute.ts on the wasm core, or null. */
export function wasmConvTranspose3dWeightGrad(
    c: CoreExports, x: Float32Array, dy: Float32Array, info: ConvTranspose3DInfo):
    Float32Array|null {
  checkLengths('convTranspose3dWeightGrad',
               [['input', x, size(info.inShape)], ['dy', dy, size(info.outShape)]]);
  const M = info.outChannelsPerGroup * kvol(info);
  const dChunk = depthChunk(info, M);
  const {a, work, par, scratch} = prepare(c, info, dChunk, (p, s) =>
      c.weightGradImplicitWins(p, s) ? c.backWork(p, s) : -1);
  const px = a.alloc(x.length), pd = a.alloc(dy.length);
  const nw = size(info.weightShape), pw = a.alloc(nw);
  const pc = a.alloc(work >= 0 ? work : M * dChunk * plane(info));
  const heap = a.commit();
  heap.set(x, px >> 2);
  heap.set(dy, pd >> 2);
  const depthwise = info.inChannelsPerGroup === 1 && info.outChannelsPerGroup === 1;
  const junk = work >= 0 && info.inSize[2] % 4 !== 0;
  const regions: Array<[number, number]> = [];
  if (depthwise) regions.push([px, x.length]);
  if (depthwise || junk) regions.push([pd, dy.length]);
  if (!finiteInputs(c, ...regions)) return null;
  (work >= 0 ? c.weightGradImplicit : c.weightGrad)(par, px, pd, pw, pc, scratch);
  return copyOut(heap, pw >> 2, nw);
}

/** biasGradient of compute.ts on the wasm core (dy viewed as [N, C, L]). */
export function wasmBiasGrad(c: CoreExports, dy: Float32Array, N: number, C: number,
                             L: number): Float32Array {
  const a = new Arena(c);
  const pd = a.alloc(dy.length), pb = a.alloc(C);
  const heap = a.commit();
  heap.set(dy, pd >> 2);
  c.biasGrad(pd, N, C, L, pb);
  return heap.slice(pb >> 2, (pb >> 2) + C);
}
