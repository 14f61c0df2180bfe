/**
 * The thread pool (kernels/simd/threads.ts): setNumThreads' checks, the ways a call is cut into
 * tasks at thread-count edge cases (more threads than channels, one row, an empty batch, huge
 * strides, batch splits, groups), no worker or memory growth over many calls, and a process that
 * used the pool exits on its own. The parity suites (PyTorch fixtures) run on two threads through
 * the `cpu:2t` and `wasm:2t` test backends; here the threaded results are compared with the
 * same core on one thread and with the pure-JS core (the oracle those suites check).
 */
import * as tf from '@tensorflow/tfjs-core';
import {spawn} from 'node:child_process';
import {availableParallelism} from 'node:os';
import {conv3d, convTranspose3d, convTranspose3dWeightGrad, getNumThreads, numThreadsReason, setCpuImplementation, setNumThreads} from '../src/index.js';
import {DEFAULT_MIN_FLOPS_PER_THREAD, loadThreads, poolMemoryBytesForTests, poolWorkerCountForTests, setMinFlopsPerThreadForTests, threadedCallsForTests} from '../kernels/simd/threads.js';
import {expectClose, expectNoLeak} from './util.js';

interface Run {
  code: number|null;
  stdout: string;
  stderr: string;
  /** ms from the last line of output to the process' exit. */
  exitLag: number;
}

function runChild(env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/threads_child.ts'],
                        {env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '', stderr = '', last = Date.now();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);  // before the spec times out
    child.stdout.on('data', (d: Buffer) => {
      stdout += String(d);
      last = Date.now();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('exit', code => {
      clearTimeout(timer);
      resolve({code, stdout, stderr, exitLag: Date.now() - last});
    });
  });
}

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').pop()!);

describe('setNumThreads', () => {
  afterEach(() => setNumThreads(1));

  it('takes 1 to 256 and getNumThreads returns it', () => {
    for (const n of [1, 2, 3, 256]) {
      setNumThreads(n);
      expect(getNumThreads()).toBe(n);
    }
    expect(numThreadsReason()).toBeNull();
  });

  it('refuses anything else, naming the function, the rule and the value', () => {
    const cases: Array<[unknown, string]> = [
      [0, '0'], [-1, '-1'], [1.5, '1.5'], [NaN, 'NaN'], [Infinity, 'Infinity'], [257, '257'],
      ['2', '"2"'], [null, 'null'], [undefined, 'undefined'], [true, 'true'],
    ];
    for (const [v, shown] of cases) {
      expect(() => setNumThreads(v as number)).toThrowError(
          `setNumThreads: the number of threads must be an integer from 1 to 256, but got ${shown}`);
    }
  });

  it('defaults to the available cores; TFJS_CT3D_THREADS sets it in Node, checked alike', async () => {
    expect(lastJson((await runChild({TFJS_CT3D_THREADS: ''})).stdout).threads)
        .toBe(Math.min(256, availableParallelism()));
    expect(lastJson((await runChild({TFJS_CT3D_THREADS: '3'})).stdout).threads).toBe(3);
    expect(lastJson((await runChild({TFJS_CT3D_THREADS: 'many'})).stdout).error).toBe(
        'TFJS_CT3D_THREADS: the number of threads must be an integer from 1 to 256, but got "many"');
    expect(lastJson((await runChild({TFJS_CT3D_THREADS: '0'})).stdout).error).toBe(
        'TFJS_CT3D_THREADS: the number of threads must be an integer from 1 to 256, but got 0');
  }, 120000);
});

interface Case {
  name: string;
  input: number[];
  outChannels: number;
  kernel: number[];
  options: {stride?: number|number[], padding?: number|number[], groups?: number,
            dilation?: number|number[]};
  threads: number;
  /** Whether the call is cut between threads (false: it cannot be, e.g. one channel, N = 1). */
  cut: boolean;
}

const CASES: Case[] = [
  {name: 'more threads than output channels', input: [1, 5, 3, 4, 5], outChannels: 3,
   kernel: [2, 3, 2], options: {stride: 2, padding: 1}, threads: 4, cut: true},
  {name: 'one row (a 1×1×1 input)', input: [1, 6, 1, 1, 1], outChannels: 5, kernel: [3, 3, 3],
   options: {}, threads: 2, cut: true},
  {name: 'one channel each side, batch 1 (nothing to cut)', input: [1, 1, 4, 4, 4],
   outChannels: 1, kernel: [3, 3, 3], options: {padding: 1}, threads: 2, cut: false},
  {name: 'huge strides', input: [1, 4, 2, 1, 3], outChannels: 6, kernel: [2, 2, 2],
   options: {stride: [3, 2 ** 20, 2]}, threads: 2, cut: true},
  {name: 'a batch the threads divide (batch split)', input: [4, 3, 3, 3, 3], outChannels: 4,
   kernel: [3, 3, 3], options: {stride: 2, padding: 1}, threads: 2, cut: true},
  {name: 'a batch they do not (3 on 2 threads)', input: [3, 4, 3, 3, 3], outChannels: 5,
   kernel: [3, 3, 3], options: {stride: 1, padding: 1}, threads: 2, cut: true},
  {name: 'groups (4 groups, 3 threads)', input: [1, 8, 3, 4, 4], outChannels: 12,
   kernel: [3, 3, 3], options: {groups: 4, stride: 2, padding: 1}, threads: 3, cut: true},
  {name: 'depthwise, dilated', input: [2, 6, 4, 4, 4], outChannels: 6, kernel: [3, 3, 3],
   options: {groups: 6, dilation: 2, padding: 2}, threads: 2, cut: true},
  {name: 'more threads than the batch and the channels', input: [2, 2, 3, 3, 3], outChannels: 2,
   kernel: [2, 2, 2], options: {stride: 2}, threads: 8, cut: true},
];

/** forward, conv3d (its adjoint, from the forward's output shape) and the weight gradient. */
function runAll(c: Case, x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, big: tf.Tensor,
                bSmall: tf.Tensor) {
  return tf.tidy(() => {
    const y = convTranspose3d(x, w, b, c.options);
    const z = conv3d(big, w, bSmall, c.options);
    const g = convTranspose3dWeightGrad(x, big, c.kernel, c.options);
    return [y, z, g];
  });
}

describe('the thread pool at edge cases', () => {
  beforeAll(() => setMinFlopsPerThreadForTests(0));
  afterAll(() => {
    setMinFlopsPerThreadForTests(DEFAULT_MIN_FLOPS_PER_THREAD);
    setNumThreads(1);
    setCpuImplementation('auto');
  });

  for (const c of CASES) {
    it(`${c.name}: the same results as one thread and as the JS core`, async () => {
      const g = c.options.groups ?? 1;
      const x = tf.randomNormal(c.input, 0, 1, 'float32', 1);
      const w = tf.randomNormal([c.input[1], c.outChannels / g, ...c.kernel], 0, 1, 'float32', 2);
      const b = tf.randomNormal([c.outChannels], 0, 1, 'float32', 3);
      const bSmall = tf.randomNormal([c.input[1]], 0, 1, 'float32', 4);
      const shape = tf.tidy(() => convTranspose3d(x, w, b, c.options).shape);
      const big = tf.randomNormal(shape, 0, 1, 'float32', 5);
      const results = async (threads: number, impl: 'js'|'auto') => {
        setNumThreads(threads);
        setCpuImplementation(impl);
        await loadThreads();
        const before = threadedCallsForTests();
        const out = runAll(c, x, w, b, big, bSmall);
        const cut = threadedCallsForTests() - before;
        const data = await Promise.all(out.map(t => t.data()));
        tf.dispose(out);
        return {data, cut, shapes: out.map(t => t.shape)};
      };
      await expectNoLeak(async () => {
        const one = await results(1, 'auto');
        const js = await results(1, 'js');
        const many = await results(c.threads, 'auto');
        expect(one.cut).toBe(0);
        expect(many.cut).withContext('calls cut between threads').toBe(c.cut ? 3 : 0);
        expect(many.shapes).toEqual(one.shapes);
        ['forward', 'conv3d', 'weight gradient'].forEach((what, i) => {
          expectClose(many.data[i], one.data[i], 1e-5, 1e-5, `${what} vs one thread`);
          expectClose(many.data[i], js.data[i], 2e-4, 2e-4, `${what} vs the JS core`);
        });
      });
      tf.dispose([x, w, b, bSmall, big]);
    });
  }

  it('with the default threshold, cuts no slice narrower than 4 channels (S7: 4 channels)',
     async () => {
       setNumThreads(2);
       setMinFlopsPerThreadForTests(DEFAULT_MIN_FLOPS_PER_THREAD);
       try {
         await loadThreads();
         await expectNoLeak(async () => {
           // 34 and 67 MFLOP (well above the threshold): 4 output channels stay on one thread,
           // 8 are cut into two slices of 4.
           const cuts = [4, 8].map(c => {
             const x = tf.randomNormal([1, 4, 32, 64, 64]), w = tf.randomNormal([4, c, 2, 2, 2]);
             const before = threadedCallsForTests();
             const y = convTranspose3d(x, w, null, {stride: 2});
             const cut = threadedCallsForTests() - before;
             tf.dispose([x, w, y]);
             return cut;
           });
           expect(cuts).toEqual([0, 1]);
         });
       } finally {
         setMinFlopsPerThreadForTests(0);
       }
     });

  it('an empty batch (N = 0) gives an empty result on any number of threads', async () => {
    setNumThreads(2);
    await loadThreads();
    await expectNoLeak(async () => {
      const x = tf.zeros([0, 4, 3, 3, 3]), w = tf.ones([4, 2, 3, 3, 3]);
      const big = tf.zeros([0, 2, 7, 7, 7]);
      const y = convTranspose3d(x, w, null, {stride: 2});
      expect(y.shape).toEqual([0, 2, 7, 7, 7]);
      const z = conv3d(big, w, null, {stride: 2});
      expect(z.shape).toEqual([0, 4, 3, 3, 3]);
      const gw = convTranspose3dWeightGrad(x, big, 3, {stride: 2});
      expect(gw.shape).toEqual([4, 2, 3, 3, 3]);
      expect(Array.from(await gw.data()).every(v => v === 0)).toBe(true);
      tf.dispose([x, w, big, y, z, gw]);
    });
  });

  it('leaks no worker, tensor or memory over many calls', async () => {
    setNumThreads(2);
    await loadThreads();
    const x = tf.randomNormal([1, 8, 4, 4, 4]), w = tf.randomNormal([8, 8, 3, 3, 3]);
    const call = () => tf.tidy(() => tf.sum(convTranspose3d(x, w, null, {stride: 2})).dataSync()[0]);
    const first = call();
    const workers = poolWorkerCountForTests();  // never fewer than 1 (= 2 − 1) here
    expect(workers).toBeGreaterThanOrEqual(1);
    const before = threadedCallsForTests();
    const tensors = tf.memory().numTensors, bytes = poolMemoryBytesForTests();
    for (let i = 0; i < 300; i++) expect(call()).toBe(first);
    expect(poolMemoryBytesForTests()).toBe(bytes);
    expect(threadedCallsForTests() - before).toBe(300);
    expect(poolWorkerCountForTests()).toBe(workers);
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([x, w]);
  });
});

describe('a Node process that used the thread pool', () => {
  it('exits on its own once its work is done', async () => {
    const r = await runChild();
    expect(r.code).withContext(r.stderr).toBe(0);
    const out = lastJson(r.stdout);
    expect(out.threads).toBe(Math.min(256, availableParallelism()));
    if (out.threads > 1) {
      expect(out.workers).toBe(out.threads - 1);
      expect(out.threaded).toBe(3);
    }
    // All-ones inputs: integer outputs, exact in float32 on any number of threads.
    expect(out.sum).toBe(out.oneThread);
    expect(out.sum).toBeGreaterThan(0);
    expect(r.exitLag).withContext('ms from the last output to the exit').toBeLessThan(3000);
  }, 60000);
});
