/**
 * `npm run bench:browser`: our kernels against tfjs' own conv3dTranspose doing the same work, on
 * webgl and on webgpu, in one headless-Chromium run (karma). Under SwiftShader (CPU emulation of
 * both) only the ratios mean anything. Median ms, each timed up to the downloaded result. On
 * webgpu also where our forward+backward's time goes (each kernel timed alone) and a check that
 * tfjs' path computes what ours does (so that it does the same work).
 */
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import {BiasGrad, conv3d, convTranspose3d, convTranspose3dWeightGrad} from '../src/index.js';
import {SHAPES, timeMedian, weightShape} from './shapes.js';
import {tfjsEquivalent, tfjsForwardBackward} from './tfjs_equivalent.js';

const fmt = (ms: number|undefined) => ms == null ? 'n/a' : ms.toFixed(1);
const ratio = (a: number|undefined, b: number) => a == null ? 'n/a' : (a / b).toFixed(2) + '×';

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(head), '|' + widths.map(n => '-'.repeat(n + 2)).join('|') + '|',
          ...rows.map(line)].join('\n');
}

const download = async (ts: tf.Tensor|tf.Tensor[]) => {
  const list = Array.isArray(ts) ? ts : [ts];
  await Promise.all(list.map(t => t.data()));
  tf.dispose(list);
};

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return x.length === y.length ? m : Infinity;
}

function describeBackend(): string {
  if (tf.getBackend() === 'webgl') {
    return `webgl (${tf.env().getNumber('WEBGL_VERSION') === 2 ? 'WebGL 2' : 'WebGL 1'})`;
  }
  const info = (tf.backend() as unknown as {adapterInfo?: {vendor?: string, architecture?: string}})
      .adapterInfo;
  return `webgpu (adapter ${info?.vendor ?? '?'} ${info?.architecture ?? ''})`.trim();
}

// KARMA_BACKENDS=webgpu npm run bench:browser runs one of them.
const karma = (globalThis as {__karma__?: {config?: {backends?: string[]}}}).__karma__;
for (const backend of karma?.config?.backends ?? ['webgl', 'webgpu']) {
  describe(`browser bench [${backend}]`, () => {
    it(`times S1–S3 on ${backend}`, async () => {
      expect(await tf.setBackend(backend)).withContext(`tf.setBackend('${backend}')`).toBe(true);
      await tf.ready();
      const rows: string[][] = [], parts: string[][] = [];
      for (const s of SHAPES.filter(k => ['S1', 'S2', 'S3'].includes(k.name))) {
        const x = tf.randomNormal(s.input) as unknown as tf.Tensor5D;
        const w = tf.randomNormal(weightShape(s)) as unknown as tf.Tensor5D;
        const b = tf.randomNormal([s.outChannels]) as tf.Tensor1D;
        const opts = {warmup: 1, reps: 5, budgetMs: 3000};
        const ours = await timeMedian(() => download(convTranspose3d(x, w, b, s.options)), opts);
        const eq = tfjsEquivalent(s, x, w, b);
        const theirs = eq ? await timeMedian(() => download(eq()), opts) : undefined;
        // Does tfjs' path compute what ours does here (e.g. not hit a broken rank-5 shader)?
        let agree = 'n/a';
        if (eq) {
          const [y1, y2] = [convTranspose3d(x, w, b, s.options), eq()];
          agree = (await maxDiff(y1, y2)).toExponential(1);
          tf.dispose([y1, y2]);
        }
        const oursFB = await timeMedian(() => download(tf.grads(
            (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
                tf.sum(convTranspose3d(a, c, d, s.options)))([x, w, b])), opts);
        const fb = tfjsForwardBackward(s, x, w, b);
        const theirsFB = fb ? await timeMedian(() => download(fb()), opts) : undefined;
        rows.push([s.name, fmt(ours), fmt(theirs), ratio(theirs, ours), fmt(oursFB),
                   fmt(theirsFB), ratio(theirsFB, oursFB), agree]);
        console.log(rows[rows.length - 1].join('  '));
        if (backend === 'webgpu') {
          // Our backward's kernels, each alone: dx = conv3d(dy), dW, db.
          const y = convTranspose3d(x, w, b, s.options);
          const dy = tf.onesLike(y);
          const dx = await timeMedian(() => download(conv3d(dy, w, null, {
            stride: s.options.stride, padding: s.options.padding})), opts);
          const dw = await timeMedian(() => download(convTranspose3dWeightGrad(
              x, dy, s.kernel, s.options)), opts);
          const db = await timeMedian(
              () => download(tf.engine().runKernel(BiasGrad, {dy}) as tf.Tensor), opts);
          parts.push([s.name, fmt(ours), fmt(dx), fmt(dw), fmt(db)]);
          tf.dispose([y, dy]);
        }
        tf.dispose([x, w, b]);
      }
      const head = ['shape', 'ours fwd', 'tfjs fwd', 'tfjs/ours', 'ours fwd+bwd', 'tfjs fwd+bwd',
                    'tfjs/ours', 'max|ours − tfjs| fwd'];
      console.log(`\ntfjs ${tf.version_core}, backend ${describeBackend()}. Median ms.\n` +
                  `${table(head, rows)}\n`);
      if (parts.length > 0) {
        console.log(`\nwebgpu, our kernels alone (median ms): where forward+backward goes\n${table(
            ['shape', 'PtConvTranspose3D', 'PtConv3D (dx)', 'PtConvTranspose3DWeightGrad (dW)',
             'PtBiasGrad (db)'], parts)}\n`);
      }
      expect(rows.length).toBe(3);
    }, 900_000);
  });
}
