// Node test setup: the cpu backend and our package (registers kernels and gradients).
import '@tensorflow/tfjs';  // core + cpu + all of tfjs' own gradients (Reshape, Slice, …)
import * as tf from '@tensorflow/tfjs-core';
import '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
