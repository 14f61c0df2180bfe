import * as tf from '@tensorflow/tfjs-core';
import {batchNorm, groupNorm, instanceNorm} from '../src/index.js';
import {NORM_TORCH_VERSION, NormCase, normCases, normErrors} from './fixtures/norm_fixtures.js';
import {describeWithBackends, expectNoLeak, expectTensorClose, fromFixture, tolerance} from './util.js';

/** PyTorch's message in our spelling (argument names camelCase, torch.Size([…]) as […]). */
function normPhrase(message: string): string {
  return message.replace(/torch\.Size\((\[[^\]]*\])\)/g, '$1')
      .replace(/running_mean/g, 'runningMean').replace(/running_var/g, 'runningVar')
      .replace(/use_input_stats/g, 'useInputStats').replace(/num_groups/g, 'numGroups');
}

/** Runs a fixture's op on tensors (running statistics as Variables, so updates are visible). */
function runCase(c: NormCase, x: tf.Tensor, w: tf.Tensor|null, b: tf.Tensor|null,
                 rm: tf.Tensor|null, rv: tf.Tensor|null): tf.Tensor {
  const o = c.options;
  if (c.op === 'batchNorm') {
    return batchNorm(x, rm, rv, {weight: w, bias: b, training: o.training, momentum: o.momentum,
                                 eps: o.eps});
  }
  if (c.op === 'instanceNorm') {
    return instanceNorm(x, {runningMean: rm, runningVar: rv, weight: w, bias: b,
                            useInputStats: o.use_input_stats, momentum: o.momentum, eps: o.eps});
  }
  return groupNorm(x, c.groups!, {weight: w, bias: b, eps: o.eps});
}

describe('normalisation fixtures', () => {
  it('come from PyTorch 1.13', () => {
    expect(NORM_TORCH_VERSION).toMatch(/^1\.13/);
    expect(normCases.length).toBeGreaterThan(30);
  });
});

describeWithBackends('batchNorm, instanceNorm, groupNorm match PyTorch', () => {
  for (const c of normCases) {
    it(`${c.name}: output, running statistics and gradients`, async () => {
      // Variables holding the only reference to their data, so in-place updates leak nothing.
      const variable = (a: typeof c.runningMean) =>
          a == null ? null : tf.tidy(() => tf.variable(fromFixture(a), false));
      const rm = variable(c.runningMean), rv = variable(c.runningVar);
      await expectNoLeak(async () => {
        const x = fromFixture(c.input), cot = fromFixture(c.cot);
        const w = c.weight ? fromFixture(c.weight) : null;
        const b = c.bias ? fromFixture(c.bias) : null;
        const fwd = tolerance('forward'), grad = tolerance('grad');
        const y = runCase(c, x, w, b, rm, rv);
        await expectTensorClose(y, c.output, fwd.atol, fwd.rtol, `${c.name} output`);
        if (c.runningMeanAfter) {
          await expectTensorClose(rm!, c.runningMeanAfter, fwd.atol, fwd.rtol, 'running mean');
        }
        if (c.runningVarAfter) {
          await expectTensorClose(rv!, c.runningVarAfter, fwd.atol, fwd.rtol, 'running var');
        }
        // Gradients, with copies of the running statistics (training updates them again).
        const args = w && b ? [x, w, b] : [x];
        const rm2 = rm && tf.variable(rm, false), rv2 = rv && tf.variable(rv, false);
        const grads = tf.grads((...t: tf.Tensor[]) =>
            tf.sum(tf.mul(runCase(c, t[0], t[1] ?? null, t[2] ?? null, rm2, rv2), cot)))(args);
        tf.dispose([rm2, rv2].filter(t => t != null) as tf.Tensor[]);
        await expectTensorClose(grads[0], c.grads.input, grad.atol, grad.rtol, 'd/dinput');
        if (c.grads.weight) {
          await expectTensorClose(grads[1], c.grads.weight, grad.atol, grad.rtol, 'd/dweight');
          await expectTensorClose(grads[2], c.grads.bias!, grad.atol, grad.rtol, 'd/dbias');
        }
        tf.dispose([x, cot, y, ...args, ...grads]);
      });
      tf.dispose([rm, rv].filter(t => t != null) as tf.Tensor[]);
    });
  }
});
