/**
 * The real `tensorflow` backend (tfjs-node / tfjs-node-gpu). When either package is installed,
 * test/setup_node.ts adds 'tensorflow' to the parity suites' backends, so every PyTorch fixture
 * (forward, outputSize, gradients, double backward, conv3d) runs on it; this suite says whether
 * that happened, and why not.
 */
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d} from '../../src/index.js';
import {convTransposeCases} from '../fixtures/fixtures.js';
import {expectNoLeak, expectTensorClose, fromFixture, testBackends, tolerance} from '../util.js';
import {loadTfjsNode} from './tfjs_node.js';

const status = await loadTfjsNode();

describe('the tensorflow backend (tfjs-node)', () => {
  beforeEach(() => {
    if (!status.available) {
      pending(`SKIPPED: @tensorflow/tfjs-node is not installed here, so the PyTorch fixtures ` +
          `did not run on the real tensorflow backend (${status.reason})`);
    }
  });

  it('is among the parity suites\' backends', () => {
    expect(testBackends()).toContain('tensorflow');
  });

  it('runs a grouped, dilated, padded fixture natively (smoke test)', async () => {
    const previous = tf.getBackend();
    await tf.setBackend('tensorflow');
    try {
      await expectNoLeak(async () => {
        const c = convTransposeCases.find(k => k.name === 'sample_g2_d4_mixed')!;
        const x = fromFixture(c.input), w = fromFixture(c.weight);
        const b = c.bias ? fromFixture(c.bias) : null;
        const y = convTranspose3d(x, w, b, c.options);
        const {atol, rtol} = tolerance('forward');
        await expectTensorClose(y, c.output, atol, rtol, c.name);
        tf.dispose([x, w, b, y].filter(t => t != null) as tf.Tensor[]);
      });
    } finally {
      await tf.setBackend(previous);
    }
  });
});
