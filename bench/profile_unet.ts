/**
 * Where the demo U-Net's forward goes on the cpu backend: per-kernel time (tf.profile, summed by
 * kernel name within a forward, the median over 41 forwards) beside the whole forward's wall
 * time. `node --import tsx bench/profile_unet.ts`.
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
  // Per kernel name: its calls' summed time in each profiled forward, the median over forwards
  // (a GC pause inside one call would move a mean by more than the differences looked for).
  const reps = 41;
  const byName = new Map<string, {ms: number[], n: number}>();
  for (let r = 0; r < reps; r++) {
    const p = await tf.profile(run);
    const sums = new Map<string, number>();
    for (const k of p.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      sums.set(k.name, (sums.get(k.name) ?? 0) + ms);
      const e = byName.get(k.name) ?? {ms: [], n: 0};
      e.n++;
      byName.set(k.name, e);
    }
    for (const [name, ms] of sums) byName.get(name)!.ms.push(ms);
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const ts: number[] = [];
  for (let i = 0; i < 41; i++) { const t0 = performance.now(); run(); ts.push(performance.now() - t0); }
  ts.sort((a, b) => a - b);
  let total = 0;
  console.log('| kernel | calls / forward | ms / forward |');
  console.log('|---|---|---|');
  for (const [name, e] of [...byName].sort((a, b) => med(b[1].ms) - med(a[1].ms))) {
    total += med(e.ms);
    console.log(`| ${name} | ${e.n / reps} | ${med(e.ms).toFixed(3)} |`);
  }
  console.log(`kernels total ${total.toFixed(2)} ms; forward median ${ts[20].toFixed(2)} ms`);
}
main();
