// Node test setup: the cpu backend and our package (registers kernels and gradients).
import '@tensorflow/tfjs';  // core + cpu + all of tfjs' own gradients (Reshape, Slice, …)
import * as tf from '@tensorflow/tfjs-core';
import '../src/index.js';

beforeAll(async () => {
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
