// Node test setup: the cpu backend and our package (registers kernels and gradients).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '../src/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});
