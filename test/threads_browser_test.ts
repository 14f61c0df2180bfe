/**
 * The thread pool in a browser: Web Workers sharing the core's memory where the page is
 * cross-origin isolated (`KARMA_ISOLATED=1 npm run test:browser` serves it so), one thread and a
 * reason otherwise (the default karma page is not isolated).
 */
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d, convTranspose3dWeightGrad, getNumThreads, numThreadsReason, ready, setNumThreads} from '../src/index.js';
import {DEFAULT_MIN_FLOPS_PER_THREAD, setMinFlopsPerThreadForTests, threadedCallsForTests} from '../kernels/simd/threads.js';
import {expectClose} from './util.js';

const isolated = (globalThis as {crossOriginIsolated?: boolean}).crossOriginIsolated === true;

describe('threads in a browser', () => {
  let previous: string;
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    setNumThreads(1);
    setMinFlopsPerThreadForTests(DEFAULT_MIN_FLOPS_PER_THREAD);
    await tf.setBackend(previous);
  });

  const run = async () => {
    const x = tf.randomNormal([2, 6, 4, 5, 6], 0, 1, 'float32', 1);
    const w = tf.randomNormal([6, 5, 3, 3, 3], 0, 1, 'float32', 2);
    const y = convTranspose3d(x, w, null, {stride: 2, padding: 1});
    const g = convTranspose3dWeightGrad(x, y, 3, {stride: 2, padding: 1});
    const out = [await y.data(), await g.data()];
    tf.dispose([x, w, y, g]);
    return out;
  };

  if (isolated) {
    it('cuts calls between Web Workers on a cross-origin isolated page, same results', async () => {
      setNumThreads(1);
      const one = await run();
      setNumThreads(2);
      setMinFlopsPerThreadForTests(0);
      await ready();
      expect(getNumThreads()).toBe(2);
      expect(numThreadsReason()).toBeNull();
      const before = threadedCallsForTests();
      const two = await run();
      expect(threadedCallsForTests() - before).toBe(2);
      expectClose(two[0], one[0], 1e-5, 1e-5, 'forward');
      expectClose(two[1], one[1], 1e-5, 1e-5, 'weight gradient');
    });
  } else {
    it('runs one thread on a page that is not cross-origin isolated, and says why', async () => {
      setNumThreads(2);
      setMinFlopsPerThreadForTests(0);
      await ready();
      expect(getNumThreads()).toBe(1);
      expect(numThreadsReason()).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy/);
      const before = threadedCallsForTests();
      const [y] = await run();
      expect(threadedCallsForTests()).toBe(before);
      expect(y.length).toBe(2 * 5 * 7 * 9 * 11);
    });
  }
});
