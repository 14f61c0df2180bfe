// Node test setup: the cpu and wasm backends and our package (registers kernels and gradients),
// the cpu stand-in for tfjs-node's backend (our composite kernels on tfjs' cpu kernels), and the
// real `tensorflow` backend when @tensorflow/tfjs-node is installed.
import '@tensorflow/tfjs';  // core + cpu + all of tfjs' own gradients (Reshape, Slice, …)
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {ready} from '../src/index.js';
import {CPU_STAND_IN, registerCpuStandIn} from './node/cpu_stand_in.js';
import {loadTfjsNode} from './node/tfjs_node.js';

// tfjs' test flag: silences its console advice ("Hi, looks like you are running TensorFlow.js in
// Node.js …", printed on the cpu backend's first use) and its other warnings, and turns on its
// own per-kernel data-leak check, as in tfjs' test suites.
tf.env().set('IS_TEST', true);
registerCpuStandIn();
export const tfjsNode = await loadTfjsNode();
// Every parity suite runs on cpu (WebAssembly SIMD core), cpu with the pure-JS core, cpu with the
// SIMD core's cols paths (the fallback of its implicit-GEMM paths), cpu and wasm with the core on
// two threads (every call cut between them), wasm, the composite kernels on the cpu stand-in, and
// tfjs-node's backend when it is installed.
// TFJS_CT3D_TEST_BACKENDS=cpu,cpu:2t narrows the list (test/core_builds_node_test.ts runs the
// parity suites on the relaxed-SIMD build so).
(globalThis as {TFJS_CT3D_TEST_BACKENDS?: string[]}).TFJS_CT3D_TEST_BACKENDS =
    process.env.TFJS_CT3D_TEST_BACKENDS ? process.env.TFJS_CT3D_TEST_BACKENDS.split(',') : [
      'cpu', 'cpu:js', 'cpu:cols', 'cpu:2t', 'wasm', 'wasm:2t', CPU_STAND_IN,
      ...(tfjsNode.available ? ['tensorflow'] : []),
    ];

beforeAll(async () => {
  await ready();
  await tf.setBackend('cpu');
  await tf.ready();
});

// What the suite prints, for a person: a dot per spec (F failed, * skipped), then each failure
// with its message and stack, each skip reason once with its count (jasmine's own reporter lists
// every skipped spec, as "No reason given" where it has none), and one closing line CI can read:
// "jasmine: N passed, N failed, N skipped (T s)". Browser-only specs are not loaded in Node at all
// (jasmine.json), so they are not counted as skipped.
const started = Date.now();
let passed = 0, failed = 0, skipped = 0, column = 0;
const failures: string[] = [];
const reasons = new Map<string, number>();
const dot = (c: string) => {
  process.stdout.write(c + (++column % 80 === 0 ? '\n' : ''));
};
const stack = (s: string|undefined) => (s ?? '').split('\n')
    .filter(l => /^\s+at /.test(l) && !/node_modules\/jasmine|node:internal|node:async_hooks|<Jasmine>/.test(l))
    .slice(0, 6).join('\n');
function collect(name: string, expectations: {message: string, stack?: string}[]) {
  for (const e of expectations) {
    failures.push(`${failures.length + 1}) ${name}\n  ${e.message.replace(/\n/g, '\n  ')}\n` +
                  `${stack(e.stack)}`);
  }
}
const env = jasmine.getEnv();
env.clearReporters();
env.addReporter({
  specDone(r) {
    if (r.status === 'passed') {
      passed++;
      dot('.');
    } else if (r.status === 'failed') {
      failed++;
      dot('F');
      collect(r.fullName, r.failedExpectations);
    } else {
      skipped++;
      dot('*');
      const why = r.pendingReason || `${r.status}: ${r.fullName}`;
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
  },
  suiteDone(r) {
    if (r.failedExpectations.length > 0) collect(`${r.fullName} (beforeAll/afterAll)`, r.failedExpectations);
  },
  jasmineDone(r) {
    collect('(outside any spec)', r.failedExpectations);
    const out: string[] = [column % 80 === 0 ? '' : '\n'];
    if (failures.length > 0) out.push(`Failures:\n${failures.join('\n\n')}\n`);
    for (const [why, n] of reasons) out.push(`Skipped ${n} spec${n === 1 ? '' : 's'}: ${why}`);
    if (r.overallStatus === 'incomplete') out.push(`Incomplete: ${r.incompleteReason}`);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    out.push(`jasmine: ${passed} passed, ${failed} failed, ${skipped} skipped (${seconds} s)`);
    console.log(out.join('\n'));
  },
});
