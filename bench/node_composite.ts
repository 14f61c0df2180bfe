/**
 * `npm run bench:node`: the composite kernels (kernels/node/composite.ts, what runs on tfjs-node)
 * on the cpu stand-in, beside our cpu kernel, for S1–S7: forward and the weight gradient.
 * The stand-in's native kernels are tfjs' cpu ones (plain JS loops), so this shows the cost of
 * the decomposition (extra calls, transposes, zero-inserted filters, per-group calls), not
 * TensorFlow's speed. Medians, short runs.
 */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d, convTranspose3dWeightGrad} from '../src/index.js';
import {convTranspose3dInfo} from '../src/geometry.js';
import {CPU_STAND_IN, registerCpuStandIn} from '../test/node/cpu_stand_in.js';
import {SHAPES, timeMedian, weightShape} from './shapes.js';

registerCpuStandIn();
// Where the stand-in's time goes: its native convolutions vs the layout work around them.
const TIMED = 'cpu-composite-timed';
const spent = new Map<string, number>();
registerCpuStandIn(TIMED, config => ({
  ...config,
  kernelFunc: args => {
    const t0 = performance.now();
    const out = config.kernelFunc(args);
    const kind = config.kernelName.startsWith('Conv3D') ? 'conv' : 'layout';
    spent.set(kind, (spent.get(kind) ?? 0) + performance.now() - t0);
    return out;
  },
}));
const rows: string[] = [];
for (const s of SHAPES) {
  const cells: string[] = [];
  for (const backend of ['cpu', CPU_STAND_IN]) {
    await tf.setBackend(backend);
    const x = tf.randomNormal(s.input as [number, number, number, number, number]);
    const w = tf.randomNormal(weightShape(s) as [number, number, number, number, number]);
    const info = convTranspose3dInfo('bench', x.shape, w.shape, null, s.options);
    const dy = tf.randomNormal(info.outShape);
    const opts = {warmup: 1, reps: 3, budgetMs: 1500};
    const fwd = await timeMedian(async () => {
      const y = convTranspose3d(x, w, null, s.options);
      await y.data();
      y.dispose();
    }, opts);
    const wg = await timeMedian(async () => {
      const g = convTranspose3dWeightGrad(x, dy, info.kernelSize, s.options);
      await g.data();
      g.dispose();
    }, opts);
    cells.push(fwd.toFixed(1), wg.toFixed(1));
    tf.dispose([x, w, dy]);
  }
  // One timed forward pass on the instrumented stand-in: the share of the native convolutions.
  await tf.setBackend(TIMED);
  spent.clear();
  const xt = tf.randomNormal(s.input as [number, number, number, number, number]);
  const wt = tf.randomNormal(weightShape(s) as [number, number, number, number, number]);
  tf.dispose([xt, wt, convTranspose3d(xt, wt, null, s.options)]);
  const conv = spent.get('conv') ?? 0, layout = spent.get('layout') ?? 0;
  cells.push(`${(100 * conv / (conv + layout)).toFixed(0)}%`);
  rows.push(`| ${s.name} | ${cells.join(' | ')} |`);
  console.log(rows[rows.length - 1]);
}
console.log(['| shape | cpu forward ms | cpu weight grad ms | composite forward ms | ' +
             'composite weight grad ms | forward: share in native convs |', '|---|---|---|---|---|---|', ...rows].join('\n'));
