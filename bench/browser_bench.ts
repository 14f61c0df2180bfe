/**
 * `npm run bench:browser`: our webgl kernels against tfjs' own conv3dTranspose on webgl doing the
 * same work, in one headless-Chromium run (karma). Under SwiftShader only the ratio means
 * anything. Median ms, each timed up to the downloaded result.
 */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3d} from '../src/index.js';
import {SHAPES, timeMedian, weightShape} from './shapes.js';
import {tfjsEquivalent, tfjsForwardBackward} from './tfjs_equivalent.js';

const fmt = (ms: number|undefined) => ms == null ? 'n/a' : ms.toFixed(1);
const ratio = (a: number|undefined, b: number) => a == null ? 'n/a' : (a / b).toFixed(2) + '×';

describe('browser bench', () => {
  it('times S1–S3 on webgl', async () => {
    await tf.setBackend('webgl');
    await tf.ready();
    const rows: string[][] = [];
    for (const s of SHAPES.filter(k => ['S1', 'S2', 'S3'].includes(k.name))) {
      const x = tf.randomNormal(s.input) as unknown as tf.Tensor5D;
      const w = tf.randomNormal(weightShape(s)) as unknown as tf.Tensor5D;
      const b = tf.randomNormal([s.outChannels]) as tf.Tensor1D;
      const opts = {warmup: 1, reps: 5, budgetMs: 3000};
      const ours = await timeMedian(async () => {
        const y = convTranspose3d(x, w, b, s.options);
        await y.data();
        y.dispose();
      }, opts);
      const eq = tfjsEquivalent(s, x, w, b);
      const theirs = eq ? await timeMedian(async () => {
        const y = eq();
        await y.data();
        y.dispose();
      }, opts) : undefined;
      const download = async (ts: tf.Tensor[]) => {
        await Promise.all(ts.map(t => t.data()));
        tf.dispose(ts);
      };
      const oursFB = await timeMedian(() => download(tf.grads(
          (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
              tf.sum(convTranspose3d(a, c, d, s.options)))([x, w, b])), opts);
      const fb = tfjsForwardBackward(s, x, w, b);
      const theirsFB = fb ? await timeMedian(() => download(fb()), opts) : undefined;
      rows.push([s.name, fmt(ours), fmt(theirs), ratio(theirs, ours), fmt(oursFB), fmt(theirsFB),
                 ratio(theirsFB, oursFB)]);
      console.log(rows[rows.length - 1].join('  '));
      tf.dispose([x, w, b]);
    }
    const head = ['shape', 'ours fwd', 'tfjs fwd', 'tfjs/ours', 'ours fwd+bwd', 'tfjs fwd+bwd',
                  'tfjs/ours'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
    const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
    const table = [line(head), '|' + widths.map(n => '-'.repeat(n + 2)).join('|') + '|',
                   ...rows.map(line)].join('\n');
    console.log(`\ntfjs ${tf.version_core}, backend webgl (${
        tf.env().getNumber('WEBGL_VERSION') === 2 ? 'WebGL 2' : 'WebGL 1'}). Median ms.\n${table}\n`);
    expect(rows.length).toBe(3);
  }, 900_000);
});
