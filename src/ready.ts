/**
 * `ready()`: resolves once our WebAssembly SIMD core is compiled (true) or known unavailable
 * (false; it never rejects). Node compiles it at import, so this resolves at once; browsers
 * compile it here, asynchronously, and our cpu kernels use the pure-JS core until then. On false
 * the reason (no SIMD, a Content-Security-Policy without 'wasm-unsafe-eval', a compile error) is
 * printed once with console.warn and returned by `cpuImplementationReason()`.
 */
import {loadWasmCore} from '../kernels/simd/simd_core.js';

export function ready(): Promise<boolean> {
  return loadWasmCore();
}
