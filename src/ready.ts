/**
 * `ready()`: resolves once our WebAssembly SIMD core is compiled (true) or known unavailable
 * (false). Node compiles it at import, so this resolves at once; browsers compile it here,
 * asynchronously, and our cpu kernels use the pure-JS core until then.
 */
import {loadWasmCore} from '../kernels/simd/simd_core.js';

export function ready(): Promise<boolean> {
  return loadWasmCore();
}
