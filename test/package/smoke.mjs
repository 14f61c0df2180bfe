// Loads the built ES module bundle the way an `import` user would (run in the consumer
// project of consumer.ts, where the name resolves to the installed tarball); prints a JSON summary.
import * as tf from '@tensorflow/tfjs';
import * as m from 'tfjs-convtranspose3d';
(async () => {
  await tf.setBackend('cpu');
  const w = tf.ones([2, 2, 3, 3, 3]);
  const y = m.convTranspose3d(tf.ones([1, 2, 3, 3, 3]), w, null, {stride: 2});
  const g = tf.grad(x => tf.sum(m.convTranspose3d(x, w)))(tf.ones([1, 2, 3, 3, 3]));
  const isReady = await m.ready();
  // Large enough for the thread pool (two threads): its workers start from the bundle's inlined
  // source and must not keep the process alive.
  m.setNumThreads(2);
  const big = m.convTranspose3d(tf.ones([1, 32, 8, 8, 8]), tf.ones([32, 32, 3, 3, 3]), null,
                                {stride: 2});
  const bigSum = (await tf.sum(big).data())[0], numThreads = m.getNumThreads();
  m.setNumThreads(1);
  const bigSum1 = (await tf.sum(m.convTranspose3d(tf.ones([1, 32, 8, 8, 8]),
      tf.ones([32, 32, 3, 3, 3]), null, {stride: 2})).data())[0];
  console.log(JSON.stringify({y: y.shape, sum: (await tf.sum(y).data())[0], g: g.shape,
                              ready: isReady, threads: bigSum === bigSum1 && bigSum > 0, numThreads,
                              layer: m.layers.convTranspose1d(
                                  {inChannels: 2, outChannels: 2, kernelSize: 3}).getClassName()}));
})();
