import * as tf from '@tensorflow/tfjs-core';
describe('dbg', () => {
  it('rank-5 tfjs ops on webgpu vs cpu', async () => {
    const ops: Record<string, (x: tf.Tensor5D, f: tf.Tensor5D) => tf.Tensor> = {
      transpose: x => tf.transpose(x, [0, 2, 3, 4, 1]),
      slice: x => tf.slice(x, [0, 1, 1, 1, 0], [-1, 3, 3, 3, -1]),
      addBias: x => tf.add(x, tf.range(0, 4)),
      addBias5: x => tf.add(x, tf.reshape(tf.range(0, 9), [1, 9, 1, 1, 1])),
      pad: x => tf.pad(x, [[0, 0], [1, 1], [0, 2], [1, 0], [0, 0]]),
      broadcastTo: x => tf.broadcastTo(tf.reshape(tf.range(0, 9), [1, 9, 1, 1, 1]), [2, 9, 9, 9, 4]),
      mulSame: x => tf.mul(x, x),
      sum0123: x => tf.sum(x, [0, 1, 2, 3]),
      conv3dTranspose: (x, f) => tf.conv3dTranspose(x, f, [1, 19, 19, 19, 3], 2, 'valid'),
      conv3d: (x, f) => tf.conv3d(tf.ones([1, 19, 19, 19, 3]) as tf.Tensor5D, f, 2, 'valid'),
      filterGrad: (x, f) => tf.engine().runKernel('Conv3DBackpropFilterV2', {x: tf.ones([1, 19, 19, 19, 3]), dy: x}, {strides: [2, 2, 2], pad: 'valid', filterShape: f.shape}) as tf.Tensor,
    };
    const xv = tf.randomNormal([1, 9, 9, 9, 4]), fv = tf.randomNormal([3, 3, 3, 3, 4]);
    const xd = await xv.data(), fd = await fv.data();
    for (const [name, op] of Object.entries(ops)) {
      const res: Float32Array[] = [];
      for (const be of ['cpu', 'webgpu']) {
        await tf.setBackend(be);
        const x = tf.tensor(xd, [1, 9, 9, 9, 4]) as tf.Tensor5D, f = tf.tensor(fd, [3, 3, 3, 3, 4]) as tf.Tensor5D;
        res.push(await op(x, f).data() as Float32Array);
      }
      let m = 0; for (let i = 0; i < res[0].length; i++) m = Math.max(m, Math.abs(res[0][i] - res[1][i]));
      console.log(name, 'max|diff|', m);
    }
  });
});
