// Browser test setup (karma): tfjs with its cpu and webgl backends, our package, and the parity
// suites widened to both backends. Evaluated before any spec module (first in karma's files).
import '@tensorflow/tfjs';  // core + cpu + webgl + all of tfjs' own gradients
import * as tf from '@tensorflow/tfjs-core';
import '../src/index.js';

(globalThis as {TFJS_CT3D_TEST_BACKENDS?: string[]}).TFJS_CT3D_TEST_BACKENDS = ['cpu', 'webgl'];

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
