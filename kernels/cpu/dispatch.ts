/**
 * Chooses the compute core behind our kernels on backends that hand us typed arrays (cpu, and
 * tfjs-backend-wasm): the WebAssembly SIMD core when it is available and loaded, else the pure-JS
 * one (kernels/cpu/compute.ts, the readable oracle). `setCpuImplementation` forces either, so
 * tests run every fixture through both; the TFJS_CT3D_CPU environment variable (`js`, `wasm` or
 * `auto`) sets the initial choice in Node.
 */
import type {ConvTranspose3DInfo} from '../../src/geometry.js';
import {type CoreBuildSetting, selectCoreBuild, wasmBiasGrad, wasmConv3dForward, wasmConvTranspose3dForward, wasmConvTranspose3dWeightGrad, wasmCore, wasmCoreOffReason} from '../simd/simd_core.js';
import {releaseStalePool, threadedConv3dForward, threadedConvTranspose3dForward, threadedWeightGrad} from '../simd/threads.js';
import {biasGradient, conv3dForward, convTranspose3dForward, convTranspose3dWeightGrad} from './compute.js';

export type CpuImplementation = 'js'|'wasm'|'auto';

function initial(): CpuImplementation {
  const env = (globalThis as {process?: {env?: Record<string, string|undefined>}}).process?.env;
  const v = env?.TFJS_CT3D_CPU;
  return v === 'js' || v === 'wasm' ? v : 'auto';
}

let choice: CpuImplementation = initial();

/**
 * Forces the compute core of our cpu (and tfjs-backend-wasm) kernels: 'js' (pure JavaScript),
 * 'wasm' (WebAssembly SIMD; throws, with the reason, where the core is off: no SIMD, a
 * Content-Security-Policy, a compile error) or 'auto' (wasm once loaded, the default). In
 * browsers, await `ready()` before relying on 'wasm'.
 */
export function setCpuImplementation(impl: CpuImplementation): void {
  if (impl !== 'js' && impl !== 'wasm' && impl !== 'auto') {
    throw new Error(`setCpuImplementation: expected 'js', 'wasm' or 'auto', but got ${
        String(impl)}`);
  }
  const off = impl === 'wasm' ? wasmCoreOffReason() : null;
  if (off != null) {
    throw new Error(`setCpuImplementation('wasm'): the WebAssembly SIMD core is off: ${off}`);
  }
  choice = impl;
}

/**
 * Chooses the build of the WebAssembly core: 'relaxed' (relaxed SIMD: `f32x4.relaxed_madd`,
 * fused multiply-adds where the hardware has FMA), 'plain' (128-bit SIMD multiply + add) or
 * 'auto' (the default; TFJS_CT3D_SIMD in Node): relaxed where `WebAssembly.validate` accepts it
 * and a tiny self-check convolution is exact, else plain. `cpuCoreBuild()` says which runs.
 * Throws for any other value, and for 'relaxed' where the engine has no relaxed SIMD (Node 20
 * without --experimental-wasm-relaxed-simd). Switching is allowed at any time: Node loads the
 * new build at once and the thread pool's workers are stopped (a new pool with the matching
 * shared build starts on the next large call or `ready()`); browsers keep the running build until
 * the new one is compiled by the next `await ready()`.
 */
export function setCpuCoreBuild(build: CoreBuildSetting): void {
  selectCoreBuild('setCpuCoreBuild', build);
  releaseStalePool();
}

/** The core our kernels run on right now: 'wasm' or 'js'. */
export function getCpuImplementation(): 'js'|'wasm' {
  return choice !== 'js' && wasmCore() != null ? 'wasm' : 'js';
}

/**
 * Why our cpu (and tfjs-backend-wasm) kernels run on the pure-JS core rather than the
 * WebAssembly SIMD one, or null when they run on the SIMD core: `setCpuImplementation('js')`,
 * `ready()` not awaited yet (browsers), no WebAssembly SIMD, a Content-Security-Policy without
 * 'wasm-unsafe-eval' (the fix is named), or the compile error. `ready()` resolving false is
 * explained here and, once, on the console.
 */
export function cpuImplementationReason(): string|null {
  if (getCpuImplementation() === 'wasm') return null;
  if (choice === 'js') return "setCpuImplementation('js') (or TFJS_CT3D_CPU=js) chose the JS core";
  return wasmCoreOffReason() ??
      'the WebAssembly SIMD core is not compiled yet: await ready() (browsers compile it there)';
}

/**
 * Largest stride, padding, dilation or kernel size the wasm core takes: its index arithmetic is
 * in 32-bit integers, where sums of a few such values must not overflow (a stride of 2³¹ − 1,
 * valid on an axis of size 1, would). Larger values run on the JS core, exact in doubles.
 */
const WASM_MAX_GEOMETRY_VALUE = 2 ** 24;

/** Work the wasm core takes: non-empty, parameter tables and memory within its limits. */
function wasmFits(info: ConvTranspose3DInfo, ...arrays: number[]): boolean {
  const taps = info.kernelSize[0] + info.kernelSize[1] + info.kernelSize[2];
  const total = arrays.reduce((a, b) => a + b, 0);
  const values = [...info.stride, ...info.padding, ...info.dilation, ...info.kernelSize];
  return arrays.every(n => n > 0) && 32 + 2 * taps <= 1024 && total * 4 < 2 ** 31 &&
      values.every(v => v <= WASM_MAX_GEOMETRY_VALUE);
}

function core(info: ConvTranspose3DInfo, ...arrays: number[]) {
  if (choice === 'js') return null;
  const c = wasmCore();
  if (c == null && choice === 'wasm') {
    const off = wasmCoreOffReason();
    throw new Error(off == null ?
        'tfjs-convtranspose3d: the WebAssembly core is not loaded yet; await ready()' :
        `tfjs-convtranspose3d: setCpuImplementation('wasm') was chosen, but the WebAssembly ` +
            `SIMD core is off: ${off}`);
  }
  return c != null && wasmFits(info, ...arrays) ? c : null;
}

const colsSize = (info: ConvTranspose3DInfo) => info.outChannelsPerGroup *
    info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2] *
    info.inSize[0] * info.inSize[1] * info.inSize[2];
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

export function computeConvTranspose3d(
    x: Float32Array, w: Float32Array, bias: Float32Array|null,
    info: ConvTranspose3DInfo): Float32Array {
  const c = core(info, x.length, w.length, numel(info.outShape), colsSize(info));
  // null from the wasm core: a non-finite input, which the JS core propagates as PyTorch does;
  // undefined from the thread pool: one thread (too little work, or no threads).
  const t = c ? threadedConvTranspose3dForward(x, w, bias, info) : undefined;
  if (t !== undefined) return t ?? convTranspose3dForward(x, w, bias, info);
  return (c && wasmConvTranspose3dForward(c, x, w, bias, info)) ??
      convTranspose3dForward(x, w, bias, info);
}

export function computeConv3d(
    x: Float32Array, w: Float32Array, bias: Float32Array|null,
    info: ConvTranspose3DInfo): Float32Array {
  const c = core(info, x.length, w.length, numel(info.inShape), colsSize(info));
  const t = c ? threadedConv3dForward(x, w, bias, info) : undefined;
  if (t !== undefined) return t ?? conv3dForward(x, w, bias, info);
  return (c && wasmConv3dForward(c, x, w, bias, info)) ?? conv3dForward(x, w, bias, info);
}

export function computeWeightGrad(
    x: Float32Array, dy: Float32Array, info: ConvTranspose3DInfo): Float32Array {
  const c = core(info, x.length, dy.length, numel(info.weightShape), colsSize(info));
  const t = c ? threadedWeightGrad(x, dy, info) : undefined;
  if (t !== undefined) return t ?? convTranspose3dWeightGrad(x, dy, info);
  return (c && wasmConvTranspose3dWeightGrad(c, x, dy, info)) ??
      convTranspose3dWeightGrad(x, dy, info);
}

/** The bias gradient of a 5-D dy of shape [N, C, …] (L = the spatial size). */
export function computeBiasGrad(dy: Float32Array, N: number, C: number, L: number): Float32Array {
  if (choice === 'js' || dy.length === 0 || dy.length * 4 >= 2 ** 31) return biasGradient(dy, N, C, L);
  const c = wasmCore();
  return c ? wasmBiasGrad(c, dy, N, C, L) : biasGradient(dy, N, C, L);
}
