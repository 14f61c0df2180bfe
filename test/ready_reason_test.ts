/**
 * When the WebAssembly SIMD core cannot load, `ready()` resolves false without throwing, says why
 * once on the console, `cpuImplementationReason()` returns the same reason,
 * `setCpuImplementation('wasm')` throws it, and an op forced to 'wasm' names it (not "await
 * ready()" after ready() was awaited). A Content-Security-Policy without 'wasm-unsafe-eval' is
 * simulated by stubbing WebAssembly.instantiate with the error Chrome throws (a real CSP needs a
 * page served with the header; karma's is not); the core is reloaded for real after each spec.
 * Runs in Node and in the browser.
 */
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d, cpuImplementationReason, getCpuImplementation, ready, setCpuImplementation} from '../src/index.js';
import {resetWasmCoreForTests} from '../kernels/simd/simd_core.js';
import {expectNoLeak} from './util.js';

const CHROME_CSP = 'WebAssembly.instantiate(): Refused to compile or instantiate WebAssembly ' +
    'module because \'unsafe-eval\' is not an allowed source of script in the following Content ' +
    'Security Policy directive: "script-src \'self\'"';
const SAFARI_CSP = 'Refused to create a WebAssembly object because \'unsafe-eval\' or ' +
    '\'wasm-unsafe-eval\' is not an allowed source of script';

describe('ready() when the WebAssembly core cannot load', () => {
  let warn: jasmine.Spy;
  beforeEach(() => {
    warn = spyOn(console, 'warn');
    resetWasmCoreForTests();
  });
  afterEach(async () => {
    // Jasmine removes spies only after afterEach: let the stubbed functions through, then load the
    // real core again, as the other suites expect.
    for (const name of ['instantiate', 'validate'] as const) {
      const f = WebAssembly[name] as unknown as Partial<jasmine.Spy>;
      if (f.and != null) f.and.callThrough();
    }
    setCpuImplementation('auto');
    resetWasmCoreForTests();
    expect(await ready()).withContext('the real core loads again').toBe(true);
    expect(getCpuImplementation()).toBe('wasm');
  });

  it('names the CSP fix (\'wasm-unsafe-eval\'), once, and setCpuImplementation(\'wasm\') throws it', async () => {
    spyOn(WebAssembly, 'instantiate').and.rejectWith(new WebAssembly.CompileError(CHROME_CSP));
    expect(await ready()).toBe(false);
    expect(await ready()).toBe(false);
    const reason = cpuImplementationReason();
    expect(reason).toMatch(/Content-Security-Policy does not allow compiling WebAssembly: add 'wasm-unsafe-eval' to its script-src directive/);
    expect(reason).toContain(CHROME_CSP);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.calls.argsFor(0)[0]).toMatch(
        /^tfjs-convtranspose3d: the WebAssembly SIMD core is off, .*pure-JS core.*'wasm-unsafe-eval'/);
    expect(getCpuImplementation()).toBe('js');
    expect(() => setCpuImplementation('wasm')).toThrowError(
        /^setCpuImplementation\('wasm'\): the WebAssembly SIMD core is off: the page's Content-Security-Policy .*'wasm-unsafe-eval'/);
  });

  it('recognises a CSP refusal thrown synchronously (Safari\'s wording)', async () => {
    spyOn(WebAssembly, 'instantiate').and.throwError(new EvalError(SAFARI_CSP));
    expect(await ready()).toBe(false);
    expect(cpuImplementationReason()).toMatch(/Content-Security-Policy .*'wasm-unsafe-eval'.*EvalError: Refused/);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('reports any other compile error with its message', async () => {
    spyOn(WebAssembly, 'instantiate').and.rejectWith(
        new WebAssembly.CompileError('WebAssembly.instantiate(): expected magic word'));
    expect(await ready()).toBe(false);
    expect(cpuImplementationReason()).toBe(
        'compiling it failed (CompileError: WebAssembly.instantiate(): expected magic word)');
    expect(() => setCpuImplementation('wasm')).toThrowError(/core is off: compiling it failed/);
  });

  it('says "no 128-bit SIMD" where WebAssembly has none, and still resolves false', async () => {
    spyOn(WebAssembly, 'validate').and.returnValue(false);
    const instantiate = spyOn(WebAssembly, 'instantiate').and.callThrough();
    expect(await ready()).toBe(false);
    expect(instantiate).not.toHaveBeenCalled();
    expect(cpuImplementationReason()).toMatch(/^this platform's WebAssembly has no 128-bit SIMD/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(() => setCpuImplementation('wasm')).toThrowError(/no 128-bit SIMD/);
  });

  it('an op forced to \'wasm\' before the core went off names the reason, leaking nothing', async () => {
    setCpuImplementation('wasm');  // the real core was loaded: allowed
    resetWasmCoreForTests();
    spyOn(WebAssembly, 'instantiate').and.rejectWith(new WebAssembly.CompileError(CHROME_CSP));
    expect(await ready()).toBe(false);
    const x = tf.ones([1, 2, 3, 3, 3]);
    const w = tf.ones([2, 2, 3, 3, 3]);
    await expectNoLeak(() => {
      expect(() => convTranspose3d(x, w)).toThrowError(
          /setCpuImplementation\('wasm'\) was chosen, but the WebAssembly SIMD core is off: the page's Content-Security-Policy/);
    });
    tf.dispose([x, w]);
  });

  it('explains the JS core when it was chosen, and is null on the SIMD core', async () => {
    expect(await ready()).toBe(true);
    expect(cpuImplementationReason()).toBeNull();
    setCpuImplementation('js');
    expect(cpuImplementationReason()).toMatch(/setCpuImplementation\('js'\)/);
    expect(warn).not.toHaveBeenCalled();
  });
});
