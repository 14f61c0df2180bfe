/**
 * Where the demo U-Net's forward goes on the cpu backend: per-kernel time (tf.profile, summed by
 * kernel name over a few forwards) beside the whole forward's wall time. `node --import tsx
 * bench/profile_unet.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import {readFileSync} from 'node:fs';
import {buildUNet} from '../demo/models.js';
import {assignStateDict, loadSafetensors, loadStateDict} from '../src/index.js';

const read = (f: string) => new Uint8Array(readFileSync(`demo/assets/${f}`));

async function main() {
  await tf.setBackend('cpu');
  const model = buildUNet();
  const sd = loadStateDict(read('unet.pt'));
  assignStateDict(model, sd);
  tf.dispose(Object.values(sd));
  const io = loadSafetensors(read('unet_io.safetensors'));
  const run = () => tf.tidy(() => { (model.predict(io.input) as tf.Tensor).dataSync(); });
  for (let i = 0; i < 30; i++) run();
  const reps = 20;
  const byName = new Map<string, {ms: number, n: number}>();
  for (let r = 0; r < reps; r++) {
    const p = await tf.profile(run);
    for (const k of p.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const e = byName.get(k.name) ?? {ms: 0, n: 0};
      e.ms += ms; e.n++;
      byName.set(k.name, e);
    }
  }
  const ts: number[] = [];
  for (let i = 0; i < 41; i++) { const t0 = performance.now(); run(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  let total = 0;
  console.log('| kernel | calls / forward | ms / forward |');
  console.log('|---|---|---|');
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    total += e.ms / reps;
    console.log(`| ${name} | ${e.n / reps} | ${(e.ms / reps).toFixed(3)} |`);
  }
  console.log(`kernels total ${total.toFixed(2)} ms; forward median ${ts[20].toFixed(2)} ms`);
}
main();
