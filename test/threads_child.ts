// Run by threads_node_test.ts in a child process (not a spec): uses the thread pool from a fresh Node
// process and prints one JSON line; the test checks that the process then exits on its own. With
// TFJS_CT3D_THREADS set it only reports getNumThreads() (or the error it throws).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d, getNumThreads, ready, setNumThreads} from '../src/index.js';
import {poolWorkerCountForTests, threadedCallsForTests} from '../kernels/simd/threads.js';

if (process.env.TFJS_CT3D_THREADS != null) {
  try {
    console.log(JSON.stringify({threads: getNumThreads()}));
  } catch (e) {
    console.log(JSON.stringify({error: (e as Error).message}));
  }
} else {
  await tf.setBackend('cpu');
  await ready();
  // S2 of the benchmarks: 28 MFLOP, well above the threshold for two threads.
  const x = tf.ones([1, 32, 16, 16, 16]), w = tf.ones([32, 16, 3, 3, 3]);
  const run = async () => {
    const y = convTranspose3d(x, w, null, {stride: 2, padding: 1, outputPadding: 1});
    const sum = (await tf.sum(y).data())[0];
    tf.dispose(y);
    return sum;
  };
  let sum = 0;
  for (let i = 0; i < 3; i++) sum = await run();
  const threads = getNumThreads(), workers = poolWorkerCountForTests();
  const threaded = threadedCallsForTests();
  setNumThreads(1);
  const oneThread = await run();
  console.log(JSON.stringify({threads, workers, threaded, sum, oneThread}));
}
