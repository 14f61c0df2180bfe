/**
 * The thread pool of the WebAssembly SIMD core: workers that share one WebAssembly memory
 * (`shared: true`) with an instance of the core built for it (core_shared_wasm.ts: the same
 * source as core_wasm.ts, compiled with an imported shared memory). A large convolution is cut
 * into independent sub-problems ("tasks"), each a complete call of one of the core's drivers
 * with its own parameter block:
 * - batch ranges, when the batch divides among the threads (the weight gradient: per-thread
 *   partial sums over its batch range, added up at the end);
 * - otherwise, per batch element, slices of the output channels (groups = 1: convTranspose3d's
 *   output channels, conv3d's and the weight gradient's input channels) or ranges of groups;
 *   conv3d on its direct path (core.ts, conv3dDirect: SIMD over 8 output channels) takes ranges
 *   of output positions instead, every channel each (thinner channel slices would waste lanes).
 * Each thread (the calling one is rank 0 and works too) runs every R-th task with its own scratch
 * and work memory: each instance has its own globals (the drivers' scratch pointers), so nothing
 * in memory is shared between threads but the read-only inputs and disjoint outputs.
 *
 * Hand-off: the caller writes the task table into a control block in the shared memory, bumps a
 * generation counter and `Atomics.notify`s; workers wait on it with `Atomics.wait`, run their
 * tasks and count a pending counter down; the caller waits for it to reach 0 (`Atomics.wait` in
 * Node and in Web Workers; a browser's main thread may not block, so it spins on
 * `Atomics.load`, which is brief: it does its own share first, and the shares are equal).
 *
 * Build: the pool runs the shared build matching the calling thread's core (cpuCoreBuild():
 * core_shared_wasm.ts or core_shared_relaxed_wasm.ts); when the core's build changes
 * (setCpuCoreBuild) the pool is released, its workers terminated, and a new one starts on demand.
 *
 * Where: Node (worker_threads, always) and browsers whose page is cross-origin isolated (Web
 * Workers from a Blob URL; SharedArrayBuffer needs `crossOriginIsolated`). Elsewhere one thread,
 * and `numThreadsReason()` says why. Workers are started on first use (or by `ready()`) and,
 * in Node, `unref`ed: they never keep a process alive. Work below MIN_FLOPS_PER_THREAD per thread
 * stays on the calling thread (the hand-off costs tens of microseconds).
 */
import type {ConvTranspose3DInfo} from '../../src/geometry.js';
import {depthChunk} from '../cpu/compute.js';
import {CORE_SHARED_RELAXED_WASM_BASE64} from './core_shared_relaxed_wasm.js';
import {CORE_SHARED_WASM_BASE64} from './core_shared_wasm.js';
import {base64Bytes, checkLengths, conv3dDirectFits, type CoreBuild, cpuCoreBuild, type CoreExports, finiteInputs, implicitFits, P_L0, PARAMS_BYTES, uninitFloat32, wasmSimdSupported, writeParams} from './simd_core.js';

/** Most threads `setNumThreads` takes. */
export const MAX_THREADS = 256;
const MAX_TASKS = 512;

// Control block (i32 slots, at the shared core's heap base).
const GEN = 0, DONE = 1, NTASKS = 2, ERROR = 4, NEXT = 5;
const READY = 16, AGEN = READY + MAX_THREADS, ARANK = AGEN + MAX_THREADS;
const TASKS = ARANK + MAX_THREADS, TASK_INTS = 8;
/** Per rank (0 = the caller): its work memory and scratch, which a task's −1 and −2 slots name. */
const RWORK = TASKS + MAX_TASKS * TASK_INTS;
const CTRL_INTS = RWORK + 2 * (MAX_THREADS + 1);
/**
 * Tasks are claimed, not assigned: NEXT holds the call's generation (its low 22 bits) above the
 * index of the next unclaimed task (10 bits: MAX_TASKS ≤ 1023), and each thread, the caller
 * included, takes the next one by compare-and-swap while the generation is its call's. A worker
 * that wakes late (a vCPU that went idle can take milliseconds) finds the tasks taken, and the
 * caller, which counts finished tasks (DONE) rather than threads, never waits for it.
 */
const TAG_SHIFT = 10, INDEX_MASK = (1 << TAG_SHIFT) - 1, TAG_MASK = (1 << 22) - 1;
const CTRL_BYTES = Math.ceil(CTRL_INTS * 4 / 16) * 16;
/**
 * How long (ms) a worker spins after its share of a call before it sleeps in Atomics.wait, and
 * how long the caller spins for the workers before it does: a wake-up costs tens of
 * microseconds, more on a loaded machine.
 */
const SPIN_MS = 0;

/** The core's drivers a task can run (a task's first slot is an index here). */
const ENTRIES = ['forward', 'forwardImplicit', 'conv3d', 'conv3dImplicit', 'weightGrad',
                 'weightGradImplicit', 'conv3dDirect'] as const;
/** ENTRIES' index of conv3d's direct path. */
const DIRECT_ENTRY = 6;

/**
 * The worker's whole program, run by Node's `new Worker(source, {eval: true})` and by browsers
 * from a Blob URL, so that it needs no file: the same in the ESM and CJS bundles and under tsx.
 * It receives {module, memory, ctrl, index}, instantiates the core on the shared memory and serves
 * generations until the process ends.
 */
export const WORKER_SOURCE = `'use strict';
const ENTRIES = ${JSON.stringify(ENTRIES)};
function serve(d, post) {
  let e;
  try {
    e = new WebAssembly.Instance(d.module, {env: {memory: d.memory}}).exports;
  } catch (err) {
    post({error: String(err)});
    return;
  }
  const fns = ENTRIES.map(n => e[n]);
  const c = new Int32Array(d.memory.buffer, d.ctrl, ${CTRL_INTS});
  const me = d.index;
  let served = Atomics.load(c, ${AGEN} + me);
  Atomics.store(c, ${READY} + me, 1);
  post({ready: true});
  let idleSince = 0;
  for (;;) {
    const seen = Atomics.load(c, ${GEN});
    const a = Atomics.load(c, ${AGEN} + me);
    if (a === served) {
      // Spin a little after a generation (calls often come back to back), then sleep.
      if (idleSince === 0) idleSince = performance.now();
      if (performance.now() - idleSince > ${SPIN_MS}) {
        Atomics.wait(c, ${GEN}, seen);
        idleSince = 0;
      }
      continue;
    }
    idleSince = 0;
    served = a;
    const rank = Atomics.load(c, ${ARANK} + me), n = c[${NTASKS}];
    const wk = c[${RWORK} + 2 * rank], sc = c[${RWORK} + 2 * rank + 1];
    const tag = (a & ${TAG_MASK}) << ${TAG_SHIFT};
    const arg = v => v === -1 ? wk : v === -2 ? sc : v;
    for (;;) {
      const v = Atomics.load(c, ${NEXT});
      if ((v & ~${INDEX_MASK}) !== tag || (v & ${INDEX_MASK}) >= n) break;
      if (Atomics.compareExchange(c, ${NEXT}, v, v + 1) !== v) continue;
      const b = ${TASKS} + ${TASK_INTS} * (v & ${INDEX_MASK});
      try {
        fns[c[b]](arg(c[b + 1]), arg(c[b + 2]), arg(c[b + 3]), arg(c[b + 4]), arg(c[b + 5]),
                  arg(c[b + 6]), arg(c[b + 7]));
      } catch (err) {
        Atomics.store(c, ${ERROR}, 1);
      }
      if (Atomics.add(c, ${DONE}, 1) === n - 1) Atomics.notify(c, ${DONE});
    }
  }
}
if (typeof self === 'object' && typeof self.postMessage === 'function' &&
    typeof require !== 'function') {
  self.onmessage = ev => serve(ev.data, m => self.postMessage(m));
} else {
  const {parentPort, workerData} = require('node:worker_threads');
  serve(workerData, m => parentPort.postMessage(m));
}
`;

// ---------------------------------------------------------------------------------------------
// Platform

type Env = Record<string, string|undefined>;
interface NodeProcess {
  versions?: {node?: string};
  env?: Env;
  getBuiltinModule?: (name: string) => unknown;
}
interface NodeWorker {
  unref(): void;
  on(event: string, fn: (v: unknown) => void): void;
  once(event: string, fn: (v: unknown) => void): void;
  terminate(): Promise<number>;
}
interface WorkerThreads {
  Worker: new (src: string, opts: {eval: true, workerData: unknown}) => NodeWorker;
}
interface BrowserWorker {
  postMessage(m: unknown): void;
  onmessage: ((ev: {data: unknown}) => void)|null;
  onerror: ((ev: {message?: string}) => void)|null;
  terminate(): void;
}

/** CommonJS' `require` (the CJS bundle); undefined in ES modules. */
declare const require: ((name: string) => unknown)|undefined;

const proc = (globalThis as {process?: NodeProcess}).process;
const isNode = proc?.versions?.node != null;

/** A Node built-in module, synchronously (ESM or CJS), or null where that is not possible. */
function nodeBuiltin<T>(name: string): T|null {
  try {
    if (typeof proc?.getBuiltinModule === 'function') return proc.getBuiltinModule(name) as T;
    // CJS bundles before Node 20.16 have `require`; ESM there cannot load one synchronously.
    const req = (globalThis as {require?: (n: string) => unknown}).require ??
        (typeof require === 'function' ? require : undefined);
    return req ? req(name) as T : null;
  } catch {
    return null;
  }
}

/** The available cores (Node: os.availableParallelism; browsers: navigator.hardwareConcurrency). */
function availableCores(): number {
  if (isNode) {
    const os = nodeBuiltin<{availableParallelism?: () => number, cpus: () => unknown[]}>('node:os');
    const n = os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
    return Math.max(1, Math.min(MAX_THREADS, n));
  }
  const hc = (globalThis as {navigator?: {hardwareConcurrency?: number}}).navigator
      ?.hardwareConcurrency;
  return typeof hc === 'number' && hc >= 1 ? Math.min(MAX_THREADS, Math.floor(hc)) : 1;
}

/** Why this platform runs one thread (null: it can run several). */
function platformReason(): string|null {
  if (!wasmSimdSupported()) return 'the WebAssembly SIMD core is off (see cpuImplementationReason())';
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return isNode ? 'this Node has no SharedArrayBuffer' :
                    'this page is not cross-origin isolated (crossOriginIsolated is false), so ' +
            'it has no SharedArrayBuffer: serve it with the headers Cross-Origin-Opener-Policy: ' +
            'same-origin and Cross-Origin-Embedder-Policy: require-corp to use several threads';
  }
  if (isNode) {
    return nodeBuiltin('node:worker_threads') == null ?
        'node:worker_threads cannot be loaded synchronously here (ESM on Node before 20.16: ' +
            'use the CJS bundle or a newer Node)' :
        null;
  }
  const g = globalThis as {crossOriginIsolated?: boolean, Worker?: unknown, Blob?: unknown};
  if (g.crossOriginIsolated === false) {
    return 'this page is not cross-origin isolated (crossOriginIsolated is false): serve it ' +
        'with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: ' +
        'require-corp to use several threads';
  }
  if (typeof g.Worker !== 'function' || typeof g.Blob !== 'function') {
    return 'this context cannot start Web Workers';
  }
  return null;
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function canBlock(): boolean {
  if (isNode) return true;
  const g = globalThis as {WorkerGlobalScope?: unknown};
  return typeof g.WorkerGlobalScope !== 'undefined';
}

// ---------------------------------------------------------------------------------------------
// Thread count

function validThreads(fn: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new Error(`${fn}: the number of threads must be an integer from 1 to ${MAX_THREADS}, ` +
                    `but got ${typeof n === 'string' ? JSON.stringify(n) : String(n)}`);
  }
  return n;
}

function initialThreads(): number {
  const v = proc?.env?.TFJS_CT3D_THREADS;
  if (v == null || v === '') return availableCores();
  return validThreads('TFJS_CT3D_THREADS', /^\s*\d+\s*$/.test(v) ? Number(v) : v);
}

let requested: number|null = null;

/**
 * Sets how many threads our cpu (and tfjs-backend-wasm) kernels use for convTranspose3d, conv3d
 * and the weight gradient on the WebAssembly core: an integer from 1 to 256; the default is the
 * available cores (TFJS_CT3D_THREADS in Node). Where threads are unavailable (a page that is not
 * cross-origin isolated) one thread runs whatever is set; `numThreadsReason()` says why.
 */
export function setNumThreads(n: number): void {
  requested = validThreads('setNumThreads', n);
}

function wanted(): number {
  return requested ??= initialThreads();
}

/**
 * The number of threads our kernels use for large convolutions: `setNumThreads`' value (default:
 * the available cores), or 1 where threads are unavailable (see `numThreadsReason()`).
 */
export function getNumThreads(): number {
  return platformReason() == null && pool?.failed == null ? wanted() : 1;
}

/**
 * Why our kernels run on one thread although more were asked for (no SharedArrayBuffer: a page
 * that is not cross-origin isolated, no WebAssembly SIMD, the workers failed to start), or null.
 */
export function numThreadsReason(): string|null {
  if (wanted() === 1) return null;
  return platformReason() ?? (pool?.failed != null ?
      `the worker threads failed to start (${pool.failed})` : null);
}

/**
 * FLOPs per thread below which fewer threads are used: a hand-off costs ≈ 70 µs on the
 * development VM, and S1, S4–S6 (7 MFLOP) lost on two threads (README, "Two threads").
 */
export const DEFAULT_MIN_FLOPS_PER_THREAD = 8e6;
let minFlopsPerThread = DEFAULT_MIN_FLOPS_PER_THREAD;
/**
 * conv3d's direct path runs ≈ 1.5× the FLOP rate of the paths the threshold was set on (38–42
 * against 25–30 GFLOP/s on the demo U-Net's layers), so its calls need 1.5× the FLOPs per thread:
 * the U-Net's 19 MFLOP layer (16 → 8 on 15×14×13) took 650–680 µs on two threads against
 * 510 µs on one inside the forward (bench/profile_unet.ts), where the worker wakes up cold.
 */
const DIRECT_FLOPS_RATIO = 1.5;

/** Tests only: the work (FLOPs) per thread below which fewer threads are used. */
export function setMinFlopsPerThreadForTests(flops: number): void {
  minFlopsPerThread = flops;
}

// ---------------------------------------------------------------------------------------------
// Pool

interface Slot {
  ready: Promise<boolean>;
  terminate(): void;
}

interface Pool {
  build: CoreBuild;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  core: CoreExports;
  ctrl: number;
  slots: Slot[];
  gen: number;
  failed: string|null;
}

let pool: Pool|null = null;

/** The shared build of the core matching `build`. */
function sharedBytes(build: CoreBuild): Uint8Array<ArrayBuffer> {
  return base64Bytes(build === 'relaxed' ? CORE_SHARED_RELAXED_WASM_BASE64 : CORE_SHARED_WASM_BASE64);
}

function newPool(module: WebAssembly.Module, build: CoreBuild): Pool {
  const memory = new WebAssembly.Memory({initial: 2, maximum: 65536, shared: true});
  const core = new WebAssembly.Instance(module, {env: {memory}}).exports as unknown as CoreExports;
  const ctrl = core.heapBase();
  const need = ctrl + CTRL_BYTES - memory.buffer.byteLength;
  if (need > 0) memory.grow(Math.ceil(need / 65536));
  return {build, module, memory, core, ctrl, slots: [], gen: 0, failed: null};
}

/** The browsers' asynchronous compile of the pool's module, for one build. */
let compiling: {build: CoreBuild, done: Promise<Pool|null>}|null = null;

/** Workers started and not yet exited (tests: none leak when pools are released). */
let liveWorkers = 0;

/**
 * Releases the pool when it (or its compile) is for another build than the core's: its workers
 * are terminated and its shared memory dropped. A no-op otherwise.
 */
export function releaseStalePool(): void {
  const build = cpuCoreBuild();
  if (compiling != null && compiling.build !== build) compiling = null;
  if (pool == null || pool.build === build) return;
  for (const s of pool.slots) s.terminate();
  pool = null;
}

/** The pool, compiling its module synchronously where allowed (Node); null until it exists. */
function getPool(): Pool|null {
  releaseStalePool();
  const build = cpuCoreBuild();
  if (pool == null && build != null && isNode && platformReason() == null) {
    pool = newPool(new WebAssembly.Module(sharedBytes(build)), build);
  }
  return pool;
}

function spawn(p: Pool, index: number): Slot {
  const data = {module: p.module, memory: p.memory, ctrl: p.ctrl, index};
  if (isNode) {
    const {Worker} = nodeBuiltin<WorkerThreads>('node:worker_threads')!;
    const w = new Worker(WORKER_SOURCE, {eval: true, workerData: data});
    w.unref();  // never keeps the process alive; blocked in Atomics.wait between calls
    liveWorkers++;
    const ready = new Promise<boolean>(resolve => {
      w.once('exit', () => {  // terminated (pool released) or failed
        liveWorkers--;
        resolve(false);
      });
      w.once('message', m => {  // `on` would keep the process alive
        const e = (m as {error?: string}).error;
        if (e != null) p.failed = e;
        resolve(e == null);
      });
      w.on('error', e => {
        p.failed = String(e);
        resolve(false);
      });
    });
    return {ready, terminate: () => void w.terminate()};
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], {type: 'text/javascript'}));
  const Ctor = (globalThis as unknown as {Worker: new (url: string) => BrowserWorker}).Worker;
  const w = new Ctor(url);
  liveWorkers++;
  let stop = () => {};
  const ready = new Promise<boolean>(resolve => {
    stop = () => resolve(false);
    w.onmessage = ev => {
      const e = (ev.data as {error?: string}).error;
      if (e != null) p.failed = e;
      URL.revokeObjectURL(url);
      resolve(e == null);
    };
    w.onerror = ev => {
      p.failed = ev.message ?? 'a worker failed to start (a Content-Security-Policy without ' +
          'worker-src blob:?)';
      resolve(false);
    };
  });
  w.postMessage(data);
  return {ready, terminate: () => {
    w.terminate();
    liveWorkers--;
    stop();
  }};
}

/** Starts workers up to getNumThreads() − 1 (never stops any: lowering the count idles them). */
function grow(p: Pool): void {
  const n = wanted() - 1;
  while (p.slots.length < n && p.failed == null) p.slots.push(spawn(p, p.slots.length));
}

/**
 * Creates the pool (compiling the shared core asynchronously in browsers) and starts its workers;
 * resolves to the number of threads ready (1 where there are none). Part of `ready()`.
 */
export async function loadThreads(): Promise<number> {
  releaseStalePool();
  const build = cpuCoreBuild();
  if (wanted() === 1 || platformReason() != null || build == null) return 1;
  let p = getPool();
  if (p == null) {
    if (compiling == null) {
      const c = compiling = {build, done: WebAssembly.compile(sharedBytes(build)).then(m => {
        // Dropped if the core's build changed meanwhile.
        if (compiling !== c) return null;
        return pool ??= newPool(m, build);
      }, (e: unknown) => {
        console.warn(`tfjs-convtranspose3d: the thread pool is off: ${String(e)}`);
        return null;
      })};
    }
    p = await compiling.done;
    if (p == null) return 1;
  }
  grow(p);
  const ok = await Promise.all(p.slots.slice(0, wanted() - 1).map(s => s.ready));
  return 1 + ok.filter(Boolean).length;
}

let threadedCalls = 0;

/** Tests only: how many calls have run on more than one thread so far. */
export function threadedCallsForTests(): number {
  return threadedCalls;
}

/** Tests only: the bytes of the pool's shared memory (0: no pool). */
export function poolMemoryBytesForTests(): number {
  return pool?.memory.buffer.byteLength ?? 0;
}

/** Tests only: how many workers the pool holds (started, ready or not). */
export function poolWorkerCountForTests(): number {
  return pool?.slots.length ?? 0;
}

/** Tests only: the build of the pool's core (null: no pool). */
export function poolBuildForTests(): CoreBuild|null {
  return pool?.build ?? null;
}

/** Tests only: workers started and not yet exited, in all pools so far. */
export function liveWorkersForTests(): number {
  return liveWorkers;
}

/** The workers that are ready now, up to `n − 1` of them (indices). */
function readyWorkers(p: Pool, n: number): number[] {
  const c = new Int32Array(p.memory.buffer, p.ctrl, CTRL_INTS);
  const out: number[] = [];
  for (let i = 0; i < p.slots.length && out.length < n - 1; i++) {
    if (Atomics.load(c, READY + i) === 1) out.push(i);
  }
  return out;
}

/** Runs the task table (already written) on rank 0 (here) and the `workers`, and waits. */
function runTasks(p: Pool, ntasks: number, workers: number[], rankMemory: number[][]): void {
  const c = new Int32Array(p.memory.buffer, p.ctrl, CTRL_INTS);
  c[NTASKS] = ntasks;
  c[ERROR] = 0;
  rankMemory.forEach(([wk, sc], r) => c.set([wk, sc], RWORK + 2 * r));
  Atomics.store(c, DONE, 0);
  const gen = ++p.gen;
  const tag = (gen & TAG_MASK) << TAG_SHIFT;
  Atomics.store(c, NEXT, tag);
  workers.forEach((w, i) => {
    c[ARANK + w] = i + 1;
    Atomics.store(c, AGEN + w, gen);
  });
  Atomics.store(c, GEN, gen);
  Atomics.notify(c, GEN);
  const fns = ENTRIES.map(n => p.core[n] as (...a: number[]) => void);
  const [wk, sc] = rankMemory[0];
  const arg = (v: number) => v === -1 ? wk : v === -2 ? sc : v;
  let error: unknown = null;
  for (;;) {
    const v = Atomics.load(c, NEXT);
    if ((v & INDEX_MASK) >= ntasks) break;
    if (Atomics.compareExchange(c, NEXT, v, v + 1) !== v) continue;
    const b = TASKS + TASK_INTS * (v & INDEX_MASK);
    try {
      fns[c[b]](arg(c[b + 1]), arg(c[b + 2]), arg(c[b + 3]), arg(c[b + 4]), arg(c[b + 5]),
                arg(c[b + 6]), arg(c[b + 7]));
    } catch (e) {
      error ??= e;
    }
    Atomics.add(c, DONE, 1);
  }
  const block = canBlock(), start = performance.now();
  for (let v; (v = Atomics.load(c, DONE)) !== ntasks;) {
    if (block && performance.now() - start > SPIN_MS) Atomics.wait(c, DONE, v);
  }
  if (error != null) throw error;
  if (c[ERROR] !== 0) throw new Error('tfjs-convtranspose3d: a worker thread of the core failed');
}

// ---------------------------------------------------------------------------------------------
// Cutting a convolution into tasks

type Kind = 'forward'|'conv3d'|'weightGrad';

interface Task {
  info: ConvTranspose3DInfo;
  /** Float offsets into the call's x, w (or dy), bias and result regions. */
  x: number;
  w: number;
  bias: number;
  y: number;
  /** forward, groups = 1: the weight slice is gathered (index into the call's gathered slices). */
  gather: [number, number]|null;
  /** weight gradient, batch split: this task's partial sum (0: the result itself). */
  partial: number;
  /** conv3d's direct path: the small positions [l0, l1) this task computes (absent: all). */
  positions?: [number, number];
}

const kvolOf = (info: ConvTranspose3DInfo) =>
    info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
const volOf = (s: number[]) => s[0] * s[1] * s[2];

function subInfo(info: ConvTranspose3DInfo, N: number, G: number, cig: number,
                 cog: number): ConvTranspose3DInfo {
  const k = info.kernelSize;
  return {
    ...info, batchSize: N, groups: G, inChannelsPerGroup: cig, outChannelsPerGroup: cog,
    inChannels: G * cig, outChannels: G * cog, inShape: [N, G * cig, ...info.inSize],
    outShape: [N, G * cog, ...info.outSize], weightShape: [G * cig, cog, ...k],
  };
}

/** [lo, hi) bounds of `parts` near-equal pieces of n (multiples of `unit` where possible). */
function pieces(n: number, parts: number, unit: number): number[] {
  const b = [0];
  for (let s = 1; s < parts; s++) b.push(Math.round(n * s / parts / unit) * unit);
  b.push(n);
  return b;
}

/**
 * The tasks of one call on `threads` threads, or null when it does not divide. `direct`: conv3d
 * runs on its direct path (split by positions rather than channels).
 */
function plan(kind: Kind, info: ConvTranspose3DInfo, threads: number, direct: boolean):
    Task[]|null {
  const N = info.batchSize, G = info.groups, Cig = info.inChannelsPerGroup;
  const Cog = info.outChannelsPerGroup, kvol = kvolOf(info);
  const L = volOf(info.inSize), oL = volOf(info.outSize);
  const Cin = info.inChannels, Cout = info.outChannels;
  // Small side [N, Cin, L], big side [N, Cout, oL]; x and the result per kind.
  const xPerN = kind === 'conv3d' ? Cout * oL : Cin * L;
  const yPerN = kind === 'forward' ? Cout * oL : Cin * L;
  const tasks: Task[] = [];
  const batchSplit = kind === 'weightGrad' ? N > 1 : N % threads === 0 || N >= 4 * threads;
  if (batchSplit) {
    const R = Math.min(threads, N);
    const b = pieces(N, R, 1);
    for (let r = 0; r < R; r++) {
      tasks.push({
        info: subInfo(info, b[r + 1] - b[r], G, Cig, Cog), x: b[r] * xPerN,
        w: kind === 'weightGrad' ? b[r] * Cout * oL : 0, bias: 0,
        y: kind === 'weightGrad' ? 0 : b[r] * yPerN, gather: null,
        partial: kind === 'weightGrad' ? r : 0,
      });
    }
    return tasks;
  }
  const SP = Math.min(threads, Math.ceil(L / 4));
  if (direct && (SP > 1 || N > 1) && N * SP <= MAX_TASKS) {
    // Per batch element, S ranges of the small positions (whole 4-position tiles); too few
    // positions (and one batch element) fall through to the channel slices below.
    const S = SP;
    const b = pieces(L, S, 4);
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        if (b[s + 1] <= b[s]) continue;
        tasks.push({info: subInfo(info, 1, G, Cig, Cog), x: n * Cout * oL, w: 0, bias: 0,
                    y: n * Cin * L, gather: null, partial: 0, positions: [b[s], b[s + 1]]});
      }
    }
    return tasks.length > 1 ? tasks : null;
  }
  // Per batch element, S slices: of the groups, or (groups = 1) of the output channels. A slice
  // of fewer than 4 channels leaves the micro-kernels' 4-row tiles part empty, so each thread
  // costs about what the whole call does (S7, 4 channels: 0.75× on two threads): none is made,
  // except with the threshold at 0 (tests: every call cut, however small, to check the cuts).
  const C = G > 1 ? G : kind === 'forward' ? Cog : Cig;
  const minSlice = G > 1 || minFlopsPerThread === 0 ? 1 : 4;
  const S = Math.min(threads, Math.floor(C / minSlice));
  if (S < 2 && N < 2) return null;
  if (N * S > MAX_TASKS) return null;
  const b = pieces(C, S, G === 1 && kind !== 'forward' && C >= 4 * S ? 4 : 1);
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const c0 = b[s], c1 = b[s + 1];
      let t: Task;
      if (G > 1) {
        const sub = subInfo(info, 1, c1 - c0, Cig, Cog);
        t = kind === 'forward' ?
            {info: sub, x: (n * Cin + c0 * Cig) * L, w: c0 * Cig * Cog * kvol, bias: c0 * Cog,
             y: (n * Cout + c0 * Cog) * oL, gather: null, partial: 0} :
            kind === 'conv3d' ?
            {info: sub, x: (n * Cout + c0 * Cog) * oL, w: c0 * Cig * Cog * kvol, bias: c0 * Cig,
             y: (n * Cin + c0 * Cig) * L, gather: null, partial: 0} :
            {info: sub, x: c0 * Cig * L, w: c0 * Cog * oL, bias: 0, y: c0 * Cig * Cog * kvol,
             gather: null, partial: 0};
      } else if (kind === 'forward') {
        t = {info: subInfo(info, 1, 1, Cig, c1 - c0), x: n * Cin * L, w: 0, bias: c0,
             y: (n * Cout + c0) * oL, gather: [c0, c1], partial: 0};
      } else if (kind === 'conv3d') {
        t = {info: subInfo(info, 1, 1, c1 - c0, Cog), x: n * Cout * oL, w: c0 * Cog * kvol,
             bias: c0, y: (n * Cin + c0) * L, gather: null, partial: 0};
      } else {  // weight gradient, N = 1
        t = {info: subInfo(info, 1, 1, c1 - c0, Cog), x: c0 * L, w: 0, bias: 0,
             y: c0 * Cog * kvol, gather: null, partial: 0};
      }
      tasks.push(t);
    }
  }
  return tasks.length > 1 ? tasks : null;
}

/** Byte allocator over the pool's memory, after the control block. */
class Heap {
  next: number;
  constructor(private readonly p: Pool) {
    this.next = p.ctrl + CTRL_BYTES;
  }
  alloc(floats: number): number {
    const at = this.next;
    this.next += Math.ceil(floats / 4) * 16;
    return at;
  }
  commit(): Float32Array {
    const mem = this.p.memory;
    const need = this.next - mem.buffer.byteLength;
    if (need > 0) mem.grow(Math.ceil(need / 65536));
    return new Float32Array(mem.buffer);
  }
}

const ENTRY = {forward: [1, 0], conv3d: [3, 2], weightGrad: [5, 4]} as const;

/**
 * One convolution on the pool: `undefined` where it does not apply (one thread, too little work,
 * no pool yet, a shape that does not divide), null when an input is not finite (the caller runs
 * the JS core, as simd_core.ts' wrappers do), else the result. `a` is x, `b` the weight (or dy
 * for the weight gradient).
 */
function threaded(kind: Kind, a: Float32Array, b: Float32Array, bias: Float32Array|null,
                  info: ConvTranspose3DInfo): Float32Array|null|undefined {
  const want = wanted();
  if (want === 1) return undefined;
  const Cog = info.outChannelsPerGroup, kvol = kvolOf(info);
  const flops = 2 * info.batchSize * info.inChannels * Cog * kvol * volOf(info.inSize);
  const byWork = Math.floor(flops / Math.max(1, minFlopsPerThread));
  if (byWork < 2) return undefined;
  const p = getPool();
  if (p == null) {
    if (compiling == null) void loadThreads();
    return undefined;
  }
  grow(p);
  const workers = readyWorkers(p, Math.min(want, byWork));
  if (workers.length === 0) return undefined;
  const c = p.core;
  // Parameter blocks and scratch first: the work sizes are computed from them (a probe block
  // for the whole call: whether conv3d takes its direct path).
  const h = new Heap(p);
  const probe = h.alloc(PARAMS_BYTES / 4);
  h.commit();
  let direct = false;
  if (kind === 'conv3d') {
    writeParams(c, info, 1, probe);
    direct = conv3dDirectFits(c, probe) >= 0;
  }
  if (direct) {
    // The direct path does a FLOP in less time: its threshold in FLOPs is higher.
    const n = Math.floor(flops / Math.max(1, minFlopsPerThread * DIRECT_FLOPS_RATIO));
    if (n < 2) return undefined;
    workers.length = Math.min(workers.length, n - 1);
  }
  const tasks = plan(kind, info, workers.length + 1, direct);
  if (tasks == null) return undefined;
  const R = Math.min(workers.length + 1, tasks.length);
  workers.length = R - 1;

  const smallLen = info.inShape.reduce((s, v) => s * v, 1);
  const bigLen = info.outShape.reduce((s, v) => s * v, 1);
  const wLen = info.weightShape.reduce((s, v) => s * v, 1);
  const [aLen, bLen, yLen] = kind === 'forward' ? [smallLen, wLen, bigLen] :
      kind === 'conv3d' ? [bigLen, wLen, smallLen] : [smallLen, bigLen, wLen];
  const fn = kind === 'forward' ? 'convTranspose3d' : kind === 'conv3d' ? 'conv3d' :
      'convTranspose3dWeightGrad';
  checkLengths(fn, [['input', a, aLen],
                    [kind === 'weightGrad' ? 'dy' : 'weight', b, bLen],
                    ...(bias ? [['bias', bias, kind === 'forward' ? info.outChannels :
                                 info.inChannels] as [string, Float32Array, number]] : [])]);

  const pars = tasks.map(() => h.alloc(PARAMS_BYTES / 4));
  const scratchBytes = c.SCRATCH_BYTES.value as number;
  const scratch = Array.from({length: R}, () => h.alloc(scratchBytes / 4));
  h.commit();
  const entries: number[] = [];
  const works = tasks.map((t, i) => {
    const rows = t.info.outChannelsPerGroup * kvol;
    writeParams(c, t.info, depthChunk(t.info, rows), pars[i]);
    if (t.positions) {
      new Int32Array(c.memory.buffer, pars[i], PARAMS_BYTES / 4).set(t.positions, P_L0);
    }
    // conv3d's direct path where it applies to the task (position ranges, and channel slices).
    const dw = kind === 'conv3d' ? conv3dDirectFits(c, pars[i]) : -1;
    if (dw >= 0 || t.positions) {
      entries.push(DIRECT_ENTRY);
      return dw;
    }
    let w = -1;
    if (c.axesFit(pars[i])) {
      w = kind === 'forward' ? c.forwardWork(pars[i], scratch[0]) :
          kind === 'conv3d' ? c.backWork(pars[i], scratch[0]) :
          c.weightGradImplicitWins(pars[i], scratch[0]) ? c.backWork(pars[i], scratch[0]) : -1;
    }
    w = implicitFits(w) ? w : -1;
    entries.push(ENTRY[kind][w >= 0 ? 0 : 1]);
    return w;
  });
  // A position range's work is that of the whole call, which fits (a guard, never taken).
  if (tasks.some((t, i) => t.positions && works[i] < 0)) return undefined;
  const workFloats = (i: number) => works[i] >= 0 ? works[i] :
      tasks[i].info.outChannelsPerGroup * kvol * depthChunk(tasks[i].info,
          tasks[i].info.outChannelsPerGroup * kvol) * info.inSize[1] * info.inSize[2];
  const perRank = Math.max(...tasks.map((_, i) => workFloats(i)));

  const pa = h.alloc(a.length), pb = h.alloc(b.length), pbias = bias ? h.alloc(bias.length) : 0;
  const py = h.alloc(yLen);
  // Weight gradient over batch ranges: task r > 0 sums into partial r − 1, added up at the end.
  const partials = tasks.filter(t => t.partial > 0).map(() => h.alloc(yLen));
  const gathers = new Map<Task, number>();
  for (const t of tasks) {
    if (t.gather) gathers.set(t, h.alloc(info.inChannels * (t.gather[1] - t.gather[0]) * kvol));
  }
  const work = Array.from({length: R}, () => h.alloc(perRank));
  // Every thread's work memory on top of the call's: beyond 3 GiB (or if the memory cannot
  // grow) the call runs on one thread, in the one-thread build's own memory.
  if (h.next > 3 * 2 ** 30) return undefined;
  let heap: Float32Array;
  try {
    heap = h.commit();
  } catch {
    return undefined;
  }
  heap.set(a, pa >> 2);
  heap.set(b, pb >> 2);
  if (bias) heap.set(bias, pbias >> 2);

  // The same finiteness rules as simd_core.ts' wrappers.
  if (kind === 'weightGrad') {
    const depthwise = info.inChannelsPerGroup === 1 && Cog === 1;
    const junk = info.inSize[2] % 4 !== 0 && works.some(w => w >= 0);
    const regions: Array<[number, number]> = [];
    if (depthwise) regions.push([pa, a.length]);
    if (depthwise || junk) regions.push([pb, b.length]);
    if (!finiteInputs(c, ...regions)) return null;
  } else if (!finiteInputs(c, [pb, b.length])) {
    return null;
  }

  // Gathered weight slices (convTranspose3d, groups = 1): w[:, c0:c1] as [Cin, c1 − c0, k].
  for (const [t, at] of gathers) {
    const [c0, c1] = t.gather!;
    const row = (c1 - c0) * kvol;
    for (let ci = 0; ci < info.inChannels; ci++) {
      heap.copyWithin((at >> 2) + ci * row, (pb >> 2) + (ci * Cog + c0) * kvol,
                      (pb >> 2) + (ci * Cog + c0) * kvol + row);
    }
  }

  const ctl = new Int32Array(p.memory.buffer, p.ctrl, CTRL_INTS);
  tasks.forEach((t, i) => {
    const o = TASKS + TASK_INTS * i;
    const entry = entries[i];
    // −1, −2: the work memory and scratch of the rank that claims the task (runTasks).
    const wk = -1, sc = -2;
    if (kind === 'weightGrad') {
      const dw = t.partial === 0 ? py + 4 * t.y : partials[t.partial - 1];
      ctl.set([entry, pars[i], pa + 4 * t.x, pb + 4 * t.w, dw, wk, sc, 0], o);
    } else {
      const pw = t.gather ? gathers.get(t)! : pb + 4 * t.w;
      ctl.set([entry, pars[i], pa + 4 * t.x, pw, bias ? pbias + 4 * t.bias : 0, py + 4 * t.y, wk,
               sc], o);
    }
  });
  runTasks(p, tasks.length, workers, work.map((wk, r) => [wk, scratch[r]]));
  threadedCalls++;

  const out = new Float32Array(p.memory.buffer);
  for (const q of partials) {
    const s = py >> 2, d = q >> 2;
    for (let i = 0; i < yLen; i++) out[s + i] += out[d + i];
  }
  // Not copyOut's `slice` fallback (browsers): slicing a shared buffer is element by element.
  const result = uninitFloat32(yLen) ?? new Float32Array(yLen);
  result.set(out.subarray(py >> 2, (py >> 2) + yLen));
  return result;
}

export function threadedConvTranspose3dForward(
    x: Float32Array, w: Float32Array, bias: Float32Array|null, info: ConvTranspose3DInfo) {
  return threaded('forward', x, w, bias, info);
}

export function threadedConv3dForward(
    x: Float32Array, w: Float32Array, bias: Float32Array|null, info: ConvTranspose3DInfo) {
  return threaded('conv3d', x, w, bias, info);
}

export function threadedWeightGrad(x: Float32Array, dy: Float32Array, info: ConvTranspose3DInfo) {
  return threaded('weightGrad', x, dy, null, info);
}
