/**
 * Pooling, padding and interpolation on webgl and webgpu in headless Chromium (karma;
 * KARMA_BACKENDS=webgpu picks one), ours beside tfjs' nearest equivalent where tfjs has one
 * (maxPool3d / avgPool3d on NDHWC with the two transposes a NCDHW caller needs) and beside a
 * memory-speed floor: tfjs' relu over the larger of the op's input and output (one read and one
 * write of it). Timed interleaved, up to the downloaded result; under SwiftShader only the
 * ratios mean anything. Median ms.
 * `KARMA_FILES=bench/browser_bench_pool.ts npx karma start karma.conf.js --single-run`
 */
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import {avgPool3d, interpolate, maxPool3d, pad} from '../src/index.js';
import {timeInterleaved} from './shapes.js';

const SHAPE = [1, 16, 32, 32, 32];

const BACKENDS = (globalThis as {__karma__?: {config?: {backends?: string[]}}})
    .__karma__?.config?.backends ?? ['webgl', 'webgpu'];

const ndhwc = (f: (t: tf.Tensor5D) => tf.Tensor5D) => (x: tf.Tensor) =>
    tf.transpose(f(tf.transpose(x, [0, 2, 3, 4, 1]) as tf.Tensor5D), [0, 4, 1, 2, 3]);

type Row = [string, (x: tf.Tensor) => tf.Tensor, ((x: tf.Tensor) => tf.Tensor)|null];

describe('browser bench: pooling, padding, interpolation', () => {
  for (const backend of BACKENDS) it(`times them on ${backend}, ${JSON.stringify(SHAPE)}`, async () => {
    expect(await tf.setBackend(backend)).withContext(`backend ${backend}`).toBe(true);
    await tf.ready();
    const x = tf.randomNormal(SHAPE);
    const rows: Row[] = [
      ['maxPool3d k2 s2', t => maxPool3d(t, 2), ndhwc(t => tf.maxPool3d(t, 2, 2, 'valid'))],
      ['avgPool3d k3 s1 p1', t => avgPool3d(t, 3, {stride: 1, padding: 1}), null],
      ['avgPool3d k2 s2', t => avgPool3d(t, 2), ndhwc(t => tf.avgPool3d(t, 2, 2, 'valid'))],
      ['pad replicate 1', t => pad(t, [1, 1, 1, 1, 1, 1], {mode: 'replicate'}), null],
      ['interpolate nearest ×2', t => interpolate(t, {scaleFactor: 2}), null],
      ['interpolate trilinear ×2',
       t => interpolate(t, {scaleFactor: 2, mode: 'trilinear'}), null],
    ];
    const run = (f: (t: tf.Tensor) => tf.Tensor) => async () => {
      const y = f(x);
      await y.data();
      y.dispose();
    };
    const lines = [
      '| op | ours | tfjs | tfjs / ours | relu floor | ours / floor |',
      '|---|---|---|---|---|---|',
    ];
    for (const [name, ours, theirs] of rows) {
      const probe = ours(x);
      const big = probe.size >= x.size ? probe.shape : x.shape;
      probe.dispose();
      const floorX = tf.randomNormal(big);
      const fns = [run(ours), run(() => tf.relu(floorX)), ...(theirs ? [run(theirs)] : [])];
      const [o, fl, t] = await timeInterleaved(fns, {warmup: 1, reps: 7, budgetMs: 4000});
      floorX.dispose();
      lines.push(`| ${name} | ${o.toFixed(1)} | ${t == null ? '—' : t.toFixed(1)} | ` +
          `${t == null ? '—' : (t / o).toFixed(2) + '×'} | ${fl.toFixed(1)} | ${(o / fl).toFixed(2)}× |`);
    }
    console.log(`\n${backend}\n` + lines.join('\n'));
    x.dispose();
    expect(lines.length).toBe(rows.length + 2);
  });
});
