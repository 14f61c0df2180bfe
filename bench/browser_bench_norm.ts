/**
 * The norms on webgl and webgpu in headless Chromium (karma; KARMA_BACKENDS=webgpu picks one), ours against tfjs' nearest equivalent
 * (tf.moments and broadcasting sub/mul/add, which tfjs runs as its own shaders), forward
 * and forward+backward (gradients for x, weight and bias). Under SwiftShader only the ratios mean
 * anything. Median ms, each timed up to the downloaded result.
 * `KARMA_FILES=bench/browser_bench_norm.ts npx karma start karma.conf.js --single-run`
 */
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import {batchNorm, groupNorm, instanceNorm} from '../src/index.js';
import {timeMedian} from './shapes.js';

const SHAPE = [2, 16, 16, 32, 32];
const C = SHAPE[1], GROUPS = 4;

type Norm = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** tfjs alone: per-statistic moments over `axes` of x viewed as `shape`, broadcasting ops. */
function tfjsNorm(shape: number[], axes: number[]): Norm {
  return (x, w, b) => {
    const v = tf.reshape(x, shape);
    const {mean, variance} = tf.moments(v, axes, true);
    const y = tf.reshape(tf.mul(tf.sub(v, mean), tf.rsqrt(tf.add(variance, 1e-5))), x.shape);
    const col = (t: tf.Tensor) => tf.reshape(t, [1, C, 1, 1, 1]);
    return tf.add(tf.mul(y, col(w)), col(b));
  };
}

const BACKENDS = (globalThis as {__karma__?: {config?: {backends?: string[]}}})
    .__karma__?.config?.backends ?? ['webgl', 'webgpu'];

describe('browser bench: norms', () => {
  for (const backend of BACKENDS) it(`times the norms on ${backend}, ${JSON.stringify(SHAPE)}`, async () => {
    expect(await tf.setBackend(backend)).withContext(`backend ${backend}`).toBe(true);
    await tf.ready();
    const [n, c, ...sp] = SHAPE;
    const s = sp.reduce((p, q) => p * q, 1);
    const x = tf.randomNormal(SHAPE), w = tf.randomUniform([C], 0.5, 1.5);
    const b = tf.randomNormal([C]);
    const rows: Array<[string, Norm, Norm]> = [
      ['batchNorm training',
       (a, g, h) => batchNorm(a, null, null, {weight: g, bias: h, training: true}),
       tfjsNorm([n, c, s], [0, 2])],
      ['instanceNorm', (a, g, h) => instanceNorm(a, {weight: g, bias: h}), tfjsNorm([n, c, s], [2])],
      [`groupNorm (${GROUPS} groups)`, (a, g, h) => groupNorm(a, GROUPS, {weight: g, bias: h}),
       tfjsNorm([n, GROUPS, (c / GROUPS) * s], [2])],
    ];
    const opts = {warmup: 1, reps: 5, budgetMs: 4000};
    const fwd = (f: Norm) => timeMedian(async () => {
      const y = f(x, w, b);
      await y.data();
      y.dispose();
    }, opts);
    const fb = (f: Norm) => timeMedian(async () => {
      const loss = (a: tf.Tensor, p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(f(a, p, q)));
      const g = tf.grads(loss)([x, w, b]);
      await Promise.all(g.map(t => t.data()));
      tf.dispose(g);
    }, opts);
    const lines = [
      '| norm | ours fwd | tfjs fwd | tfjs / ours | ours fwd+bwd | tfjs fwd+bwd | tfjs / ours |',
      '|---|---|---|---|---|---|---|',
    ];
    for (const [name, ours, theirs] of rows) {
      const of = await fwd(ours), tf_ = await fwd(theirs);
      const ob = await fb(ours), tb = await fb(theirs);
      lines.push(`| ${name} | ${of.toFixed(1)} | ${tf_.toFixed(1)} | ${(tf_ / of).toFixed(2)}× | ` +
          `${ob.toFixed(1)} | ${tb.toFixed(1)} | ${(tb / ob).toFixed(2)}× |`);
    }
    console.log(`\n${backend}\n` + lines.join('\n'));
    tf.dispose([x, w, b]);
    expect(lines.length).toBe(rows.length + 2);
  });
});
