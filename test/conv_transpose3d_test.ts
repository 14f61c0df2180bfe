import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d} from '../src/index.js';
import {convTransposeCases, convTransposeErrors, TORCH_VERSION} from './fixtures/fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance, torchKeyPhrase} from './util.js';

describeWithBackends('convTranspose3d forward matches PyTorch ' + TORCH_VERSION, () => {
  for (const c of convTransposeCases) {
    it(c.name, async () => {
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), w = fromFixture(c.weight);
        const b = c.bias ? fromFixture(c.bias) : null;
        const y = convTranspose3d(x, w, b, c.options);
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        tf.dispose([x, w, b, y].filter(t => t != null) as tf.Tensor[]);
      });
    });
  }

  it('accepts nested arrays like every tfjs op', async () => {
    await expectNoLeak(async () => {
      const c = convTransposeCases.find(k => k.name === 'sample_defaults_unbatched')!;
      const x = (await fromFixtureDisposed(c.input));
      const w = (await fromFixtureDisposed(c.weight));
      const y = convTranspose3d(x, w);
      await expectTensorClose(y, c.output, 2e-4, 2e-4, 'nested arrays');
      y.dispose();
    });
  });
});

async function fromFixtureDisposed(a: {shape: number[], data: number[]}) {
  const t = tf.tensor(a.data, a.shape);
  const arr = await t.array();
  t.dispose();
  return arr as number[][][][];
}

describeWithBackends('convTranspose3d errors match PyTorch', () => {
  for (const e of convTransposeErrors) {
    it(e.name, async () => {
      const x = tf.zeros(e.input), w = tf.zeros(e.weight);
      const b = e.bias ? tf.zeros(e.bias) : null;
      const phrase = torchKeyPhrase(e.torchMessage);
      await expectNoLeak(() => {
        expect(() => convTranspose3d(x, w, b, e.options))
            .toThrowMatching(err => (err as Error).message.startsWith('convTranspose3d: ') &&
                (err as Error).message.includes(phrase));
      });
      tf.dispose([x, w, b].filter(t => t != null) as tf.Tensor[]);
    });
  }

  const x = () => tf.zeros([1, 2, 3, 3, 3]);
  const w = () => tf.zeros([2, 2, 3, 3, 3]);
  const bad: Array<[string, object, RegExp]> = [
    ['non-integer stride', {stride: 1.5}, /argument 'stride' must be an integer.*got 1\.5/],
    ['NaN padding', {padding: NaN}, /argument 'padding' must be an integer.*got NaN/],
    ['non-integer element', {dilation: [1, 2.5, 1]}, /'dilation' must be a list of integers, but found 2\.5 at position 1/],
    ['wrong-length dilation', {dilation: [1, 1, 1, 1]}, /expected dilation to be a single integer value or a list of 3 values.*dilation=\[1, 1, 1, 1\]/],
    ['string groups', {groups: '2'}, /argument 'groups' must be an integer, but got 2/],
    ['non-integer outputSize', {outputSize: [5, 5, 5.5]}, /outputSize must be a list of integers, but found 5\.5 at position 2/],
  ];
  for (const [name, opts, re] of bad) {
    it(`refuses ${name}`, async () => {
      const $x = x(), $w = w();
      await expectNoLeak(() => {
        expect(() => convTranspose3d($x, $w, null, opts)).toThrowError(re);
      });
      tf.dispose([$x, $w]);
    });
  }

  it('refuses integer tensors as PyTorch does, naming the argument', async () => {
    const $x = tf.zeros([1, 2, 3, 3, 3], 'int32'), $w = w();
    await expectNoLeak(() => {
      expect(() => convTranspose3d($x, $w))
          .toThrowError(/argument 'input' must be a float32 tensor, but got a int32 tensor/);
    });
    tf.dispose([$x, $w]);
  });

  it('refuses a 4-D weight with the expected layout in the message', async () => {
    const $x = x(), $w = tf.zeros([2, 2, 3, 3]);
    await expectNoLeak(() => {
      expect(() => convTranspose3d($x, $w)).toThrowError(
          /expected a 5-dimensional weight \(inChannels, outChannels\/groups, kD, kH, kW\), but got weight of size \[2, 2, 3, 3\]/);
    });
    tf.dispose([$x, $w]);
  });

  it('refuses non-numeric input, without leaking', async () => {
    const $w = w();
    await expectNoLeak(() => {
      expect(() => convTranspose3d('abc' as unknown as number[][], $w))
          .toThrowError(/argument 'input' must be a Tensor or a nested array of numbers, but got string/);
    });
    $w.dispose();
  });
});
