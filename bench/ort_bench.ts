/**
 * ONNX Runtime beside our cpu kernels on S1–S7, one thread each, same run. Optional: it needs
 * `onnxruntime-node` (not a dependency: its install script downloads GPU binaries; install it
 * with `npm install --no-save --ignore-scripts onnxruntime-node`, the CPU binary ships in the
 * package) and PyTorch at /usr/bin/python3 to export the models. Skips with a note otherwise.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {convTranspose3d, getCpuImplementation} from '../src/index.js';
import {flops, SHAPES, timeMedian, weightShape} from './shapes.js';

interface Ort {
  InferenceSession: {create(path: string, o: object): Promise<{
    inputNames: string[], run(feeds: object): Promise<Record<string, unknown>>}>};
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
}

async function main() {
  const ort = await import('onnxruntime-node' as string).catch(() => null) as
      {default?: Ort}&Ort|null;
  if (ort == null) {
    console.log('\n(ONNX Runtime not measured: `npm install --no-save --ignore-scripts ' +
        'onnxruntime-node` to add it)');
    return;
  }
  const O: Ort = ort.default ?? ort;
  const only = process.argv.slice(2);
  const shapes = only.length ? SHAPES.filter(s => only.includes(s.name)) : SHAPES;
  const dir = mkdtempSync(join(tmpdir(), 'ct3d-onnx-'));
  try {
    const r = spawnSync('/usr/bin/python3', ['bench/export_onnx.py', dir],
                        {input: JSON.stringify(shapes), encoding: 'utf8'});
    if (r.status !== 0) {
      console.log('\n(ONNX Runtime not measured: exporting with PyTorch failed: ' +
          (r.stderr.trim().split('\n').pop() ?? '') + ')');
      return;
    }
    await tf.setBackend('cpu');
    console.log(`\nONNX Runtime (onnxruntime-node, 1 intra-op thread) vs ours (cpu, ${
        getCpuImplementation()} core), same run. Median ms (GFLOP/s):`);
    console.log('| shape | ours | ONNX Runtime | ORT/ours |');
    console.log('|---|---|---|---|');
    for (const s of shapes) {
      const session = await O.InferenceSession.create(
          join(dir, `${s.name}.onnx`), {intraOpNumThreads: 1, interOpNumThreads: 1});
      const n = s.input.reduce((a, b) => a * b, 1);
      const feed = {x: new O.Tensor('float32', new Float32Array(n).map(() => Math.random()), s.input)};
      const theirs = await timeMedian(() => session.run(feed));
      const x = tf.randomNormal(s.input), w = tf.randomNormal(weightShape(s));
      const b = tf.randomNormal([s.outChannels]);
      const ours = await timeMedian(() => convTranspose3d(x, w, b, s.options).dispose());
      const gf = (ms: number) => (flops(s) / ms / 1e6).toFixed(2);
      console.log(`| ${s.name} | ${ours.toFixed(2)} (${gf(ours)}) | ${theirs.toFixed(2)} (${
          gf(theirs)}) | ${(theirs / ours).toFixed(2)}× |`);
      tf.dispose([x, w, b]);
    }
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
}

main();
