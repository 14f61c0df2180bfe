/**
 * The WebAssembly SIMD compute core, seen from JS: same signatures as kernels/cpu/compute.ts (the
 * pure-JS oracle and fallback), so a kernel can call either.
 *
 * Loading: Node compiles the embedded module synchronously when this file is imported; elsewhere
 * (browsers forbid synchronous compilation of large modules on the main thread) `ready()`
 * compiles it asynchronously and the JS path is used until it resolves. Without WebAssembly SIMD
 * the core is never loaded and everything runs on the JS path.
 *
 * Builds: the core is built twice (scripts/build_wasm.mjs), plain SIMD (core_wasm.ts) and with
 * relaxed SIMD (core_relaxed_wasm.ts: `f32x4.relaxed_madd`, fused where the hardware has FMA).
 * 'auto' (the default; TFJS_CT3D_SIMD in Node) loads the relaxed build where
 * `WebAssembly.validate` accepts it and a tiny convolution on it gives the exact result, else the
 * plain one; `setCpuCoreBuild` forces either (kernels/cpu/dispatch.ts).
 *
 * Memory: one linear memory holding [parameter block | scratch | inputs | output | cols], grown
 * as needed and kept for the next call. Inputs are copied in and the output copied out.
 */
import {convTranspose3dInfo, type ConvTranspose3DInfo} from '../../src/geometry.js';
import {convTranspose3dForward, depthChunk, tapTables} from '../cpu/compute.js';
import {CORE_RELAXED_WASM_BASE64} from './core_relaxed_wasm.js';
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

/** A build of the core: 'relaxed' (relaxed SIMD: fused multiply-adds) or 'plain' (SIMD). */
export type CoreBuild = 'relaxed'|'plain';
/** What `setCpuCoreBuild` takes: a build, or 'auto' (relaxed where it runs correctly). */
export type CoreBuildSetting = CoreBuild|'auto';

function moduleBytes(build: CoreBuild): Uint8Array<ArrayBuffer> {
  return base64Bytes(build === 'relaxed' ? CORE_RELAXED_WASM_BASE64 : CORE_WASM_BASE64);
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
/** The build of `core`, and the setting it was loaded for. */
let coreBuild: CoreBuild|null = null;
let loadedFor: CoreBuildSetting|null = null;
let loading: {setting: CoreBuildSetting, done: Promise<boolean>}|null = null;
/** Why the core is off, once that is known (a sentence for users; null: on, or still loading). */
let offReason: string|null = null;
let warned = false;

/** The instantiated core, or null while it is not (yet) available. */
export function wasmCore(): CoreExports|null {
  return core;
}

// ---------------------------------------------------------------------------------------------
// Choosing the build

const SETTINGS: readonly CoreBuildSetting[] = ['auto', 'relaxed', 'plain'];

/** `value` as a build setting, or throws naming `fn` (setCpuCoreBuild, TFJS_CT3D_SIMD). */
export function validCoreBuildSetting(fn: string, value: unknown): CoreBuildSetting {
  if (!SETTINGS.includes(value as CoreBuildSetting)) {
    throw new Error(`${fn}: expected 'auto', 'relaxed' or 'plain', but got ${
        typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return value as CoreBuildSetting;
}

/** TFJS_CT3D_SIMD in Node ('auto' when unset or empty; anything else unknown throws). */
function initialSetting(): CoreBuildSetting {
  const v = (globalThis as {process?: {env?: Record<string, string|undefined>}}).process?.env
      ?.TFJS_CT3D_SIMD;
  return v == null || v === '' ? 'auto' : validCoreBuildSetting('TFJS_CT3D_SIMD', v);
}

let setting: CoreBuildSetting = initialSetting();
/** Whether WebAssembly.validate accepts the relaxed build (null: not asked yet). */
let relaxedValid: boolean|null = null;
/** Why the relaxed build is not used under 'auto' (null: it is, or it was not tried). */
let relaxedOffReason: string|null = null;

const NO_RELAXED = 'this engine\'s WebAssembly has no relaxed SIMD (WebAssembly.validate refuses ' +
    'the relaxed build; Chrome/Edge 114+ and Node 22+ have it, Node 20 with ' +
    '--experimental-wasm-relaxed-simd)';

/** Why the relaxed build cannot be compiled here, or null when WebAssembly.validate accepts it. */
function relaxedRefused(): string|null {
  if (relaxedValid == null) {
    try {
      relaxedValid = wasmSimdSupported() && WebAssembly.validate(moduleBytes('relaxed'));
    } catch {
      relaxedValid = false;
    }
  }
  return relaxedValid ? null : NO_RELAXED;
}

/**
 * The self-check of a relaxed instance: a tiny convTranspose3d of small integers (through the
 * micro-kernels' multiply-adds), whose every sum is exact in float32 whether or not the engine
 * fuses, must equal the JS core's result exactly. Guards against an engine whose relaxed
 * instructions validate but compute something else.
 */
function selfCheck(c: CoreExports): boolean {
  const info = convTranspose3dInfo('selfCheck', [1, 4, 2, 3, 8], [4, 8, 2, 2, 2], [8],
                                   {stride: 2});
  const x = Float32Array.from({length: 4 * 2 * 3 * 8}, (_, i) => i % 7 - 3);
  const w = Float32Array.from({length: 4 * 8 * 8}, (_, i) => i % 5 - 2);
  const b = Float32Array.from({length: 8}, (_, i) => i - 4);
  const got = wasmConvTranspose3dForward(c, x, w, b, info);
  const want = convTranspose3dForward(x, w, b, info);
  return got != null && got.length === want.length && got.every((v, i) => v === want[i]);
}

function relaxedFailed(e: unknown): string {
  return `the relaxed build did not load: ${failureReason(e)}`;
}
const SELF_CHECK_FAILED = 'the relaxed build validates but failed its self-check (a tiny ' +
    'convolution gave a wrong result)';

/**
 * The build of the loaded core ('relaxed' or 'plain'), or null where none is loaded (no SIMD, a
 * CSP refusal, browsers before `ready()` resolves). `setCpuCoreBuild` chooses; 'auto' (the
 * default) loads 'relaxed' where the engine runs relaxed SIMD correctly.
 */
export function cpuCoreBuild(): CoreBuild|null {
  return core != null ? coreBuild : null;
}

/**
 * Why the plain build runs rather than the relaxed one ('auto' found no relaxed SIMD, or the
 * relaxed build failed its self-check; or 'plain' was chosen), or null (the relaxed build runs,
 * or no core is loaded).
 */
export function cpuCoreBuildReason(): string|null {
  if (cpuCoreBuild() !== 'plain') return null;
  if (loadedFor === 'plain') {
    return 'setCpuCoreBuild(\'plain\') (or TFJS_CT3D_SIMD=plain) chose the plain build';
  }
  return relaxedOffReason;
}

/** The current setting ('auto' unless setCpuCoreBuild or TFJS_CT3D_SIMD chose a build). */
export function cpuCoreBuildSetting(): CoreBuildSetting {
  return setting;
}

/** The error of a 'relaxed' setting the engine cannot honour. */
function cannotRunRelaxed(fn: string, why: string): Error {
  return new Error(`${fn}: the relaxed-SIMD build of the WebAssembly core cannot run here: ${
      why}; use 'auto' or 'plain'`);
}

/** A compiled relaxed build, kept if its self-check passes, else dropped with the reason. */
function checkedRelaxed(c: CoreExports): [CoreExports|null, CoreBuild, string|null] {
  return selfCheck(c) ? [c, 'relaxed', null] : [null, 'plain', SELF_CHECK_FAILED];
}

/** Makes `c` (build `build`, loaded for setting `s`; `why`: why not relaxed) the running core. */
function install(c: CoreExports, build: CoreBuild, s: CoreBuildSetting, why: string|null): void {
  core = c;
  coreBuild = build;
  loadedFor = s;
  relaxedOffReason = why;
  offReason = null;
}

/**
 * Loads the build for `s` synchronously (Node), replacing the core only once the new one works;
 * throws where 'relaxed' cannot run (the core is then left as it was) or a compile fails.
 */
function loadSync(fn: string, s: CoreBuildSetting): void {
  let c: CoreExports|null = null, build: CoreBuild = 'plain', why: string|null = null;
  if (s !== 'plain') {
    why = relaxedRefused();
    if (why == null) {
      try {
        c = instantiateSync('relaxed');
        [c, build, why] = checkedRelaxed(c);
      } catch (e) {
        c = null;
        why = relaxedFailed(e);
      }
    }
    if (c == null && s === 'relaxed') throw cannotRunRelaxed(fn, why!);
  }
  c ??= instantiateSync('plain');
  install(c, build, s, why);
  loading = null;
}

function instantiateSync(build: CoreBuild): CoreExports {
  return new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(build)), imports)
      .exports as unknown as CoreExports;
}

async function instantiateAsync(build: CoreBuild): Promise<CoreExports> {
  // A synchronous throw (some engines' CSP refusal) becomes a rejection.
  const {instance} = await (async () => WebAssembly.instantiate(moduleBytes(build), imports))();
  return instance.exports as unknown as CoreExports;
}

/**
 * Chooses the build (setCpuCoreBuild): Node loads it at once (throwing where 'relaxed' cannot
 * run); browsers check that 'relaxed' validates, keep the current core running, and load the
 * new build at the next `ready()`. A no-op when `value` is the current setting.
 */
export function selectCoreBuild(fn: string, value: unknown): void {
  const s = validCoreBuildSetting(fn, value);
  if (s === setting && (core == null || loadedFor === s)) return;
  const refused = s === 'relaxed' ? relaxedRefused() : null;
  if (refused != null) throw cannotRunRelaxed(`${fn}('relaxed')`, refused);
  if (isNode() && wasmSimdSupported() && offReason == null) {
    loadSync(`${fn}('${s}')`, s);  // throws before changing anything
    setting = s;
    return;
  }
  setting = s;
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
 * Compiles and instantiates the core asynchronously (a no-op once done for the current setting);
 * resolves to whether the wasm path is available, never rejects (the reason is in
 * wasmCoreOffReason()). The package's `ready()`. A new build replaces the running core only
 * once it is ready.
 */
export function loadWasmCore(): Promise<boolean> {
  if (core != null && loadedFor === setting) return Promise.resolve(true);
  if (!wasmSimdSupported()) return Promise.resolve(off(wasmCoreOffReason()!));
  if (loading?.setting !== setting) loading = {setting, done: loadAsync(setting)};
  return loading.done;
}

/** loadWasmCore's work for setting `s`; its result is dropped if the setting changed meanwhile. */
async function loadAsync(s: CoreBuildSetting): Promise<boolean> {
  let c: CoreExports|null = null, build: CoreBuild = 'plain', why: string|null = null;
  let failed: string|null = null;
  if (s !== 'plain') {
    why = relaxedRefused();
    if (why == null) {
      try {
        [c, build, why] = checkedRelaxed(await instantiateAsync('relaxed'));
      } catch (e) {
        why = relaxedFailed(e);
      }
    }
    if (c == null && s === 'relaxed') {
      failed = `setCpuCoreBuild('relaxed') (or TFJS_CT3D_SIMD=relaxed) was chosen, but ${why}`;
    }
  }
  if (c == null && failed == null) {
    try {
      c = await instantiateAsync('plain');
    } catch (e) {
      failed = failureReason(e);
    }
  }
  if (setting !== s) return loadWasmCore();
  if (c == null) {
    core = null;
    return off(failed!);
  }
  install(c, build, s, why);
  return true;
}

/** Tests only: forget the loaded core and any reason, as if this module were fresh. */
export function resetWasmCoreForTests(): void {
  core = null;
  coreBuild = null;
  loadedFor = null;
  loading = null;
  offReason = null;
  warned = false;
  simd = null;
  relaxedValid = null;
  relaxedOffReason = null;
  setting = initialSetting();
}

function isNode(): boolean {
  const p = (globalThis as {process?: {versions?: {node?: string}}}).process;
  return p?.versions?.node != null;
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

// Node allows synchronous compilation of any size: the core is ready at import (here, at the end:
// the self-check uses the wrappers above). A setting the engine cannot honour
// (TFJS_CT3D_SIMD=relaxed without relaxed SIMD) throws here, as setCpuCoreBuild would; a compile
// failure turns the core off with its reason.
if (isNode() && wasmSimdSupported()) {
  try {
    loadSync('TFJS_CT3D_SIMD=relaxed', setting);
  } catch (e) {
    if (setting === 'relaxed') throw e;
    core = null;
    off(failureReason(e));
  }
}
