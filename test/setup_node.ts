// Node test setup: the cpu and wasm backends and our package (registers kernels and gradients).
import '@tensorflow/tfjs';  // core + cpu + all of tfjs' own gradients (Reshape, Slice, …)
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {ready} from '../src/index.js';

// Every parity suite runs on cpu (WebAssembly SIMD core), cpu with the pure-JS core, and wasm.
(globalThis as {TFJS_CT3D_TEST_BACKENDS?: string[]}).TFJS_CT3D_TEST_BACKENDS =
    ['cpu', 'cpu:js', 'wasm'];

beforeAll(async () => {
  await ready();
  await tf.setBackend('cpu');
  await tf.ready();
});

// A closing line CI can read: "jasmine: N passed, N failed, N skipped".
let passed = 0, failed = 0, skipped = 0;
jasmine.getEnv().addReporter({
  specDone(r) {
    if (r.status === 'passed') passed++;
    else if (r.status === 'failed') failed++;
    else skipped++;
  },
  jasmineDone() {
    console.log(`\njasmine: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  },
});
