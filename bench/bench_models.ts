/**
 * `npm run bench:models`: the demo's whole models (a MONAI-style 3-D U-Net, a 3D-GAN generator;
 * demo/models.ts) forward on the cpu backend (wasm core, and the JS core) beside PyTorch (one
 * thread, OpenBLAS when it can be had; bench/torch_env.ts), same run, medians.
 */
import * as tf from '@tensorflow/tfjs';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {buildGenerator, buildUNet} from '../demo/models.js';
import {assignStateDict, loadSafetensors, loadStateDict, setCpuImplementation} from '../src/index.js';
import {medianSync} from './shapes.js';
import {PYTHON, torchEnv} from './torch_env.js';

const read = (f: string) => new Uint8Array(readFileSync(`demo/assets/${f}`));
const MODELS = [
  {name: 'unet3d [1,1,15,14,13]', build: () => buildUNet(), weights: 'unet.pt',
   io: 'unet_io.safetensors', options: {}, torch: 'unet'},
  {name: 'generator [2,16]', build: () => buildGenerator(), weights: 'generator_checkpoint.pt',
   io: 'generator_io.safetensors', options: {prefix: 'model_state_dict.'}, torch: 'generator'},
] as const;

// 50 warm-ups: JIT, first-touch of the weights and the heap's steady state (after 10 runs the
// U-Net still ran ≈ 1.5× slower than after 50).
const median = (fn: () => void) => medianSync(fn, 21, 50);

async function main() {
  await tf.setBackend('cpu');
  const torch = torchEnv();
  let torchMs: Record<string, number>|null = null;
  if (torch.available) {
    const r = spawnSync(PYTHON, ['demo/torch_time.py'], {encoding: 'utf8', env: torch.env});
    if (r.status === 0) torchMs = JSON.parse(r.stdout);
  }
  console.log(`whole models, forward (predict), ms, medians; PyTorch ${
      torchMs ? `one thread, ${torch.blas}` : 'not installed'}`);
  console.log('| model | ours (wasm core) | ours (JS core) | PyTorch | PyTorch / ours |');
  console.log('|---|---|---|---|---|');
  for (const m of MODELS) {
    const model = m.build();
    const sd = loadStateDict(read(m.weights));
    assignStateDict(model, sd, m.options);
    tf.dispose(Object.values(sd));
    const io = loadSafetensors(read(m.io));
    const times: number[] = [];
    for (const core of ['auto', 'js'] as const) {
      setCpuImplementation(core);
      times.push(median(() => tf.tidy(() => {
        (model.predict(io.input) as tf.Tensor).dataSync();
      })));
    }
    setCpuImplementation('auto');
    const t = torchMs?.[m.torch];
    console.log(`| ${m.name} | ${times[0].toFixed(2)} | ${times[1].toFixed(2)} | ${
        t == null ? 'n/a' : t.toFixed(2)} | ${t == null ? 'n/a' : (t / times[0]).toFixed(2)} |`);
    tf.dispose(Object.values(io));
    model.dispose();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
