/**
 * `npm run demo`: runs convTranspose3d on a PyTorch fixture on the cpu backend and prints the
 * max difference from PyTorch's output and the time; exits non-zero if parity fails.
 */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d} from '../src/index.js';
import {convTransposeCases, TORCH_VERSION} from '../test/fixtures/fixtures.js';

async function main() {
  await tf.setBackend('cpu');
  const c = convTransposeCases.find(k => k.name === 'sample_g2_d4_mixed')!;
  const x = tf.tensor(c.input.data, c.input.shape);
  const w = tf.tensor(c.weight.data, c.weight.shape);
  const b = c.bias ? tf.tensor(c.bias.data, c.bias.shape) : null;
  convTranspose3d(x, w, b, c.options).dispose();  // warm-up
  const t0 = performance.now();
  const y = convTranspose3d(x, w, b, c.options);
  const out = await y.data();
  const ms = performance.now() - t0;
  let maxDiff = 0;
  c.output.data.forEach((v, i) => maxDiff = Math.max(maxDiff, Math.abs(v - out[i])));
  console.log(`convTranspose3d ${JSON.stringify(c.options)} input ${JSON.stringify(c.input.shape)} ` +
      `→ ${JSON.stringify(y.shape)} on ${tf.getBackend()}: max |ours − PyTorch ${TORCH_VERSION}| = ` +
      `${maxDiff.toExponential(2)}, ${ms.toFixed(1)} ms`);
  tf.dispose([x, w, y, ...(b ? [b] : [])]);
  if (!(maxDiff < 1e-3)) {
    console.error('parity FAILED');
    process.exit(1);
  }
}

main();
