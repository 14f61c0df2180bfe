// Run by core_builds_node_test.ts in a child process (not a spec), with or without
// --experimental-wasm-relaxed-simd and TFJS_CT3D_SIMD: prints one JSON line with the build the
// core loaded, why, what setCpuCoreBuild does with each value, and (argument `switch`) what the
// thread pool runs over build switches: its shared build, its results against the JS core and
// against the calling thread's, and the workers left alive. An import that throws (a bad TFJS_CT3D_SIMD) prints {importError}.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('IS_TEST', true);  // no "Hi, looks like you are running TensorFlow.js in Node.js"
const out: Record<string, unknown> = {};
try {
  const ct3d = await import('../src/index.js');
  const threads = await import('../kernels/simd/threads.js');
  const {cpuCoreBuild, cpuCoreBuildReason, setCpuCoreBuild} = ct3d;
  const attempt = (v: unknown) => {
    try {
      setCpuCoreBuild(v as 'auto');
      return {build: cpuCoreBuild()};
    } catch (e) {
      return {error: (e as Error).message, build: cpuCoreBuild()};
    }
  };
  await tf.setBackend('cpu');
  await ct3d.ready();
  out.build = cpuCoreBuild();
  out.reason = cpuCoreBuildReason();
  if (process.argv[2] === 'switch') {
    // Two threads for every call, and each build in turn: the pool must follow the core.
    ct3d.setNumThreads(2);
    threads.setMinFlopsPerThreadForTests(0);
    const x = tf.randomNormal([1, 8, 4, 5, 8], 0, 1, 'float32', 1);
    const w = tf.randomNormal([8, 8, 3, 3, 3], 0, 1, 'float32', 2);
    const run = async (n: number) => {
      ct3d.setNumThreads(n);
      const y = ct3d.convTranspose3d(x, w, null, {stride: 2});
      const d = await y.data();
      y.dispose();
      return d;
    };
    ct3d.setCpuImplementation('js');
    const js = await run(1);
    ct3d.setCpuImplementation('auto');
    const steps: unknown[] = [];
    const oneThread: Record<string, Float32Array> = {};
    for (const b of ['relaxed', 'plain', 'relaxed', 'plain', 'auto'] as const) {
      setCpuCoreBuild(b);
      ct3d.setNumThreads(2);
      await ct3d.ready();  // the new pool's worker is up
      const before = threads.threadedCallsForTests();
      const y = await run(2) as Float32Array;
      const threaded = threads.threadedCallsForTests() - before;
      // The cut keeps every output's order of summation: the pool's result is bit for bit the
      // calling thread's where both run the same build (and differs where fused rounding does).
      const one = oneThread[cpuCoreBuild()!] = await run(1) as Float32Array;
      let err = 0;
      for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - js[i]));
      steps.push({set: b, core: cpuCoreBuild(), pool: threads.poolBuildForTests(), threaded, err,
                  bitwiseAsOneThread: y.every((v, i) => v === one[i])});
    }
    out.buildsDiffer = oneThread.relaxed.some((v, i) => v !== oneThread.plain[i]);
    await new Promise(r => setTimeout(r, 500));  // terminated workers report their exit
    out.steps = steps;
    out.liveWorkers = threads.liveWorkersForTests();
    out.poolWorkers = threads.poolWorkerCountForTests();
    tf.dispose([x, w]);
  } else {
    out.setRelaxed = attempt('relaxed');
    out.setPlain = attempt('plain');
    out.setAuto = attempt('auto');
  }
} catch (e) {
  out.importError = (e as Error).message;
}
console.log(JSON.stringify(out));
