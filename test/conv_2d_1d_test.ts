import * as tf from '@tensorflow/tfjs-core';
import {conv1d, conv2d, convTranspose1d, convTranspose2d} from '../src/index.js';
import {NdKind, ndCases, ndErrors, seedExample} from './fixtures/fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance, torchKeyPhrase} from './util.js';

const OPS: Record<NdKind, [string, typeof convTranspose2d]> = {
  convT2d: ['convTranspose2d', convTranspose2d],
  convT1d: ['convTranspose1d', convTranspose1d],
  conv2d: ['conv2d', conv2d as unknown as typeof convTranspose2d],
  conv1d: ['conv1d', conv1d as unknown as typeof convTranspose2d],
};

describeWithBackends('2-D and 1-D ops match PyTorch', () => {
  for (const c of ndCases) {
    const [, op] = OPS[c.kind];
    it(`${c.name}: forward and gradients`, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), w = fromFixture(c.weight), cot = fromFixture(c.cot);
        const b = c.bias ? fromFixture(c.bias) : null;
        const y = op(x, w, b, c.options);
        const fwd = tolerance('forward'), grad = tolerance('grad');
        await expectTensorClose(y, c.output, fwd.atol, fwd.rtol, c.name);
        const args = b ? [x, w, b] : [x, w];
        const grads = tf.grads((...t: tf.Tensor[]) =>
            tf.sum(tf.mul(op(t[0], t[1], t[2] ?? null, c.options), cot)))(args);
        await expectTensorClose(grads[0], c.grads.input, grad.atol, grad.rtol, 'd/dinput');
        await expectTensorClose(grads[1], c.grads.weight, grad.atol, grad.rtol, 'd/dweight');
        if (c.grads.bias) {
          await expectTensorClose(grads[2], c.grads.bias, grad.atol, grad.rtol, 'd/dbias');
        }
        tf.dispose([y, cot, ...args, ...grads]);
      });
    });
  }

  it('reproduces the ConvTranspose2d docs example: downsample, then upsample to the input size',
     async () => {
       const e = seedExample;
       await expectNoLeak(async () => {
         const t = tf.tidy(() => {
           const input = fromFixture(e.input);
           const h = conv2d(input, fromFixture(e.downWeight), fromFixture(e.downBias),
                            {stride: 2, padding: 1});
           const out = convTranspose2d(h, fromFixture(e.upWeight), fromFixture(e.upBias),
                                       {stride: 2, padding: 1, outputSize: input.shape});
           return {h, out};
         });
         expect(t.h.shape).toEqual([1, 16, 6, 6]);
         expect(t.out.shape).toEqual([1, 16, 12, 12]);
         const {atol, rtol} = tolerance('forward');
         await expectTensorClose(t.h, e.hidden, atol, rtol, 'hidden');
         await expectTensorClose(t.out, e.output, atol, rtol, 'output');
         tf.dispose([t.h, t.out]);
       });
     });
});

describeWithBackends('2-D and 1-D errors match PyTorch', () => {
  for (const e of ndErrors) {
    const [name, op] = OPS[e.kind];
    it(e.name, async () => {
      const x = tf.zeros(e.input), w = tf.zeros(e.weight);
      const phrase = torchKeyPhrase(e.torchMessage);
      await expectNoLeak(() => {
        expect(() => op(x, w, null, e.options))
            .toThrowMatching(err => (err as Error).message.startsWith(`${name}: `) &&
                (err as Error).message.includes(phrase));
      });
      tf.dispose([x, w]);
    });
  }
});
