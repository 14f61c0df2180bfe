/**
 * `ready()`: resolves once our WebAssembly SIMD core is compiled (true) or known unavailable
 * (false; it never rejects). Node compiles it at import, so this resolves at once; browsers
 * compile it here, asynchronously, and our cpu kernels use the pure-JS core until then. On false
 * the reason (no SIMD, a Content-Security-Policy without 'wasm-unsafe-eval', a compile error) is
 * printed once with console.warn and returned by `cpuImplementationReason()`. It also starts the
 * thread pool's workers (kernels/simd/threads.ts; `getNumThreads()` − 1 of them) and waits until
 * they are up; where threads are unavailable (a page that is not cross-origin isolated)
 * `numThreadsReason()` says why, and the kernels run on one thread. The core loaded is the
 * relaxed-SIMD build where the engine runs it correctly, else the plain SIMD build
 * (`cpuCoreBuild()` says which, `cpuCoreBuildReason()` why plain); after `setCpuCoreBuild` in a
 * browser, it compiles the chosen build and swaps it in (and the pool's).
 */
import {loadWasmCore} from '../kernels/simd/simd_core.js';
import {loadThreads} from '../kernels/simd/threads.js';

export async function ready(): Promise<boolean> {
  const on = await loadWasmCore();
  if (on) await loadThreads().catch(() => 1);
  return on;
}
