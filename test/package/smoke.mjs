// Loads the built ES module bundle the way an `import` user would (run in the consumer
// project of consumer.ts, where the name resolves to the installed tarball); prints a JSON summary.
import * as tf from '@tensorflow/tfjs';
import * as m from 'tfjs-convtranspose3d';
(async () => {
  await tf.setBackend('cpu');
  const w = tf.ones([2, 2, 3, 3, 3]);
  const y = m.convTranspose3d(tf.ones([1, 2, 3, 3, 3]), w, null, {stride: 2});
  const g = tf.grad(x => tf.sum(m.convTranspose3d(x, w)))(tf.ones([1, 2, 3, 3, 3]));
  console.log(JSON.stringify({y: y.shape, sum: (await tf.sum(y).data())[0], g: g.shape,
                              ready: await m.ready(), layer: m.layers.convTranspose1d(
                                  {inChannels: 2, outChannels: 2, kernelSize: 3}).getClassName()}));
})();
