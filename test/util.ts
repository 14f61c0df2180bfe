/** Shared test helpers: fixture tensors, closeness, leak checks, per-backend suites. */
import * as tf from '@tensorflow/tfjs-core';
import {ready, setCpuCoreBuild, setCpuImplementation} from '../src/index.js';
import {type CoreBuildSetting, cpuCoreBuildSetting, setImplicitPaths} from '../kernels/simd/simd_core.js';
import {DEFAULT_MIN_FLOPS_PER_THREAD, loadThreads, setMinFlopsPerThreadForTests, setNumThreads} from '../kernels/simd/threads.js';

export interface FixtureArray {shape: number[]; data: number[]}

/** n floats in [−1, 1) from a fixed LCG: the same inputs on every run and engine. */
export function seededFloats(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}

export function fromFixture(a: FixtureArray): tf.Tensor {
  return tf.tensor(a.data, a.shape, 'float32');
}

/** max |a − b| / (atol + rtol·|b|) ≤ 1, with the worst element reported. */
export function expectClose(
    actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number,
    what = ''): void {
  expect(actual.length).withContext(`${what} length`).toBe(expected.length);
  let worst = 0, at = -1;
  for (let i = 0; i < expected.length; i++) {
    const r = Math.abs(actual[i] - expected[i]) / (atol + rtol * Math.abs(expected[i]));
    if (!(r <= worst)) {
      worst = r;
      at = i;
    }
  }
  expect(worst).withContext(`${what}: element ${at} is ${actual[at]}, expected ` +
      `${expected[at]} (atol ${atol}, rtol ${rtol})`).toBeLessThanOrEqual(1);
}

export async function expectTensorClose(
    actual: tf.Tensor, expected: FixtureArray, atol: number, rtol: number, what = '') {
  expect(actual.shape).withContext(`${what} shape`).toEqual(expected.shape);
  expectClose(await actual.data(), expected.data, atol, rtol, what);
}

/** Runs `fn` and checks it leaves no tensor behind, whether it returns or throws. */
export async function expectNoLeak(fn: () => unknown|Promise<unknown>): Promise<void> {
  const before = tf.memory().numTensors;
  // Intermediates a kernel creates and forgets are backend data without a Tensor: count both.
  const dataBefore = tf.backend().numDataIds();
  try {
    await fn();
  } finally {
    expect(tf.memory().numTensors).withContext('tensors leaked').toBe(before);
    expect(tf.backend().numDataIds()).withContext('backend data leaked').toBe(dataBefore);
  }
}

/**
 * Backends the parity suites run on. `cpu:js` is the cpu backend with our pure-JS compute core
 * forced (plain `cpu` uses the WebAssembly SIMD core where available), so every fixture goes
 * through both; `cpu:plain` the core's plain SIMD build (plain `cpu` runs the relaxed-SIMD build
 * where the engine has it: Chromium does). The browser default adds webgl and webgpu (test/webgpu_browser_test.ts fails if
 * webgpu did not initialise). The setup files set the list (Node adds wasm, the tfjs-node stand-in, …). The
 * browser default is decided here too, because karma-esbuild does not guarantee that the setup
 * module is evaluated before the spec modules whose describe() calls read this list.
 */
export function testBackends(): string[] {
  const g = globalThis as {TFJS_CT3D_TEST_BACKENDS?: string[], document?: unknown,
                           __karma__?: {config?: {backends?: string[]}}};
  return g.TFJS_CT3D_TEST_BACKENDS ?? g.__karma__?.config?.backends ??
      (g.document !== undefined ? ['cpu', 'cpu:plain', 'cpu:js', 'webgl', 'webgpu'] :
                                  ['cpu', 'cpu:js']);
}

/** Tolerances per backend (float16 textures get looser ones). */
export function tolerance(kind: 'forward'|'grad'|'double'): {atol: number, rtol: number} {
  const g = globalThis as {TFJS_CT3D_TOLERANCE_SCALE?: number};
  const scale = g.TFJS_CT3D_TOLERANCE_SCALE ?? 1;
  const base = kind === 'forward' ? 2e-4 : kind === 'grad' ? 5e-4 : 1e-3;
  return {atol: base * scale, rtol: base * scale};
}

/**
 * `describe` once per test backend, with that backend active inside; `fn` gets the tfjs backend
 * name (`cpu` for `cpu:js`) and the label. A `:js` suffix forces our pure-JS core for the suite, `:cols` the
 * WebAssembly core's chunked cols paths (the fallback of its implicit-GEMM paths), `:2t` two
 * threads (kernels/simd/threads.ts) for every call, however small (the others run one thread),
 * `:plain` the plain SIMD build of the core (the others run the build the setting in force
 * chooses: 'auto', or TFJS_CT3D_SIMD),
 * `webgpu:gpu` turns tfjs-webgpu's WEBGPU_CPU_FORWARD off, so that tfjs' own ops on small inputs
 * run on the GPU too instead of its cpu kernels (which would hide their GPU results from the suite).
 */
export function describeWithBackends(
    name: string, fn: (backend: string, label: string) => void,
    only: (label: string) => boolean = () => true) {
  // `only` leaves backends out without an empty describe (which jasmine 4 refuses).
  for (const label of testBackends().filter(only)) {
    const [backend, impl] = label.split(':');
    describe(`${name} [${label}]`, () => {
      let previous: string;
      let cpuForward: boolean|undefined;
      let build: CoreBuildSetting;
      beforeAll(async () => {
        previous = tf.getBackend();
        await tf.setBackend(backend);
        await tf.ready();
        if (impl === 'gpu') {
          cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
          tf.env().set('WEBGPU_CPU_FORWARD', false);
        }
        setCpuImplementation(impl === 'js' ? 'js' : 'auto');
        setImplicitPaths(impl !== 'cols');
        setNumThreads(impl === '2t' ? 2 : 1);
        setMinFlopsPerThreadForTests(impl === '2t' ? 0 : DEFAULT_MIN_FLOPS_PER_THREAD);
        build = cpuCoreBuildSetting();
        if (impl === 'plain') {
          setCpuCoreBuild('plain');
          await ready();  // browsers compile it here
        }
        if (impl === '2t') await loadThreads();
      });
      afterAll(async () => {
        if (cpuForward !== undefined) tf.env().set('WEBGPU_CPU_FORWARD', cpuForward);
        setCpuImplementation('auto');
        setImplicitPaths(true);
        setNumThreads(1);
        setMinFlopsPerThreadForTests(DEFAULT_MIN_FLOPS_PER_THREAD);
        if (impl === 'plain') {
          setCpuCoreBuild(build);
          await ready();
        }
        await tf.setBackend(previous);
      });
      fn(backend, label);
    });
  }
}

/** PyTorch's message, normalised to our spelling (option names, its doubled brackets). */
export function torchKeyPhrase(message: string): string {
  return message.replace(/^\w+Error: /, '')
      .replace(/torch\.Size\((\[[^\]]*\])\)/g, '$1')
      .replace(/\[\[/g, '[').replace(/\]\]/g, ']')
      .replace(/output_size/g, 'outputSize')
      .replace(/ConvTranspose\dD: /, '');
}

