/**
 * The two builds of the WebAssembly core in the browser (kernels/simd/simd_core.ts): Chromium has
 * relaxed SIMD on, so 'auto' (the `cpu` label) runs the relaxed build and `cpu:plain` the plain
 * one (the parity suites run on both); setCpuCoreBuild keeps the running build until ready() has
 * compiled the new one; on a cross-origin isolated page (KARMA_ISOLATED=1) the thread pool runs
 * the shared build matching the core's. Node: test/core_builds_node_test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d, cpuCoreBuild, cpuCoreBuildReason, ready, setCpuCoreBuild, setCpuImplementation} from '../src/index.js';
import {cpuCoreBuildSetting} from '../kernels/simd/simd_core.js';
import {loadThreads, poolBuildForTests, setNumThreads} from '../kernels/simd/threads.js';
import {describeWithBackends, expectClose, expectNoLeak} from './util.js';

const isChromium = /Chrom(e|ium)\//.test(globalThis.navigator?.userAgent ?? '');

describeWithBackends('the core\'s build', (_backend, label) => {
  const want = label === 'cpu:plain' ? 'plain' : 'relaxed';
  it(`is ${want} on ${label} (Chromium has relaxed SIMD)`, () => {
    if (!isChromium) {
      pending('relaxed SIMD is on by default in Chromium only');
      return;
    }
    expect(cpuCoreBuild()).toBe(want);
    if (want === 'relaxed') expect(cpuCoreBuildReason()).toBeNull();
  });
}, label => label.startsWith('cpu') && label !== 'cpu:js');

describe('setCpuCoreBuild in the browser', () => {
  afterEach(async () => {
    setCpuCoreBuild('auto');
    await ready();
    setCpuImplementation('auto');
    setNumThreads(1);
  });

  it('swaps the build at the next ready(), the running one serving until then', async () => {
    expect(cpuCoreBuildSetting()).toBe('auto');
    const x = tf.randomNormal([1, 4, 3, 4, 5], 0, 1, 'float32', 1);
    const w = tf.randomNormal([4, 6, 3, 3, 3], 0, 1, 'float32', 2);
    const run = async () => {
      const y = convTranspose3d(x, w, null, {stride: 2});
      const d = await y.data();
      y.dispose();
      return d;
    };
    await expectNoLeak(async () => {
      setCpuImplementation('js');
      const js = await run();
      setCpuImplementation('wasm');
      const before = cpuCoreBuild();
      setCpuCoreBuild('plain');
      expect(cpuCoreBuild()).withContext('until ready()').toBe(before);
      expectClose(await run(), js, 2e-4, 2e-4, 'before ready()');
      await ready();
      expect(cpuCoreBuild()).toBe('plain');
      expect(cpuCoreBuildReason()).toMatch(/chose the plain build/);
      expectClose(await run(), js, 2e-4, 2e-4, 'plain');
      setCpuCoreBuild('auto');
      await ready();
      expect(cpuCoreBuild()).toBe(isChromium ? 'relaxed' : before);
      expectClose(await run(), js, 2e-4, 2e-4, 'auto');
    });
    tf.dispose([x, w]);
  });

  it('refuses unknown values, naming the function and the value', () => {
    expect(() => setCpuCoreBuild('fma' as 'auto')).toThrowError(
        'setCpuCoreBuild: expected \'auto\', \'relaxed\' or \'plain\', but got "fma"');
  });

  it('the thread pool (cross-origin isolated pages) runs the shared build of the core\'s', async () => {
    if (!(globalThis as {crossOriginIsolated?: boolean}).crossOriginIsolated) {
      pending('threads need a cross-origin isolated page (KARMA_ISOLATED=1)');
      return;
    }
    for (const b of ['plain', 'auto'] as const) {
      setCpuCoreBuild(b);
      await ready();
      setNumThreads(2);
      expect(await loadThreads()).toBe(2);
      expect(poolBuildForTests()).withContext(`setCpuCoreBuild('${b}')`).toBe(cpuCoreBuild());
    }
  });
});
