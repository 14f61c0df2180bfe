// Browser test setup (karma): tfjs with its cpu, webgl and webgpu backends, and our package. The
// parity suites run on cpu (the WebAssembly SIMD core, once ready() has compiled it), cpu:js (the
// JS core), webgl and webgpu: that list is test/util.ts' browser default, since the bundle may
// evaluate spec modules before this one.
import '@tensorflow/tfjs';  // core + cpu + webgl + all of tfjs' own gradients
import '@tensorflow/tfjs-backend-webgpu';  // registers the webgpu backend (SwiftShader adapter)
import * as tf from '@tensorflow/tfjs-core';
import {ready} from '../src/index.js';

beforeAll(async () => {
  expect(await ready()).withContext('WebAssembly SIMD core compiled in the browser').toBe(true);
  await tf.setBackend('cpu');
  await tf.ready();
});
