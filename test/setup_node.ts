// Node test setup: the cpu and wasm backends and our package (registers kernels and gradients),
// the cpu stand-in for tfjs-node's backend (our composite kernels on tfjs' cpu kernels), and the
// real `tensorflow` backend when @tensorflow/tfjs-node is installed.
import '@tensorflow/tfjs';  // core + cpu + all of tfjs' own gradients (Reshape, Slice, …)
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {ready} from '../src/index.js';
import {CPU_STAND_IN, registerCpuStandIn} from './node/cpu_stand_in.js';
import {loadTfjsNode} from './node/tfjs_node.js';

registerCpuStandIn();
export const tfjsNode = await loadTfjsNode();
// Every parity suite runs on cpu (WebAssembly SIMD core), cpu with the pure-JS core, cpu with the
// SIMD core's cols paths (the fallback of its implicit-GEMM paths), wasm, the composite kernels on
// the cpu stand-in, and tfjs-node's backend when it is installed.
(globalThis as {TFJS_CT3D_TEST_BACKENDS?: string[]}).TFJS_CT3D_TEST_BACKENDS = [
  'cpu', 'cpu:js', 'cpu:cols', 'wasm', CPU_STAND_IN, ...(tfjsNode.available ? ['tensorflow'] : []),
];

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
