// Browser test setup (karma): tfjs with its cpu and webgl backends, our package, and the parity
// suites widened to both backends. Evaluated before any spec module (first in karma's files).
import '@tensorflow/tfjs';  // core + cpu + webgl + all of tfjs' own gradients
import * as tf from '@tensorflow/tfjs-core';
import {ready} from '../src/index.js';

// cpu runs on the WebAssembly SIMD core once ready() has compiled it, cpu:js on the JS core.
(globalThis as {TFJS_CT3D_TEST_BACKENDS?: string[]}).TFJS_CT3D_TEST_BACKENDS =
    ['cpu', 'cpu:js', 'webgl'];

beforeAll(async () => {
  expect(await ready()).withContext('WebAssembly SIMD core compiled in the browser').toBe(true);
  await tf.setBackend('cpu');
  await tf.ready();
});
