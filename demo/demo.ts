/**
 * `npm run demo`: PyTorch 3-D models rebuilt with our layers, their weights read from PyTorch's
 * own `.pt` and `.safetensors` files (no Python), run on every available backend and compared
 * with PyTorch's output: a small decoder (ConvTranspose3d only), a MONAI-style 3-D U-Net (Conv3d,
 * every norm, max pooling, nearest up-sampling, ConvTranspose3d, replicate padding, skips) and a
 * 3D-GAN generator from a training checkpoint (Linear, BatchNorm3d, InstanceNorm3d, GroupNorm,
 * Conv3d 'same' with replicate padding). Prints PyTorch's time (one thread) beside ours when
 * PyTorch is installed. Exits non-zero if any backend misses parity.
 */
import * as tf from '@tensorflow/tfjs';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {assignStateDict, getCpuImplementation, loadSafetensors, loadStateDict, setCpuImplementation} from '../src/index.js';
import {spawnSync} from 'node:child_process';
import {PYTHON, torchEnv} from '../bench/torch_env.js';
import {buildDecoder, DECODER_MAPPING, maxDiff} from './decoder.js';
import {buildGenerator, buildUNet} from './models.js';

const assets = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const read = (f: string) => new Uint8Array(readFileSync(join(assets, f)));
const REL_TOL = 1e-4;

/** Median ms of `runs` calls of `fn` after a warm-up (JIT, shaders); `fn` returns a tensor. */
async function timeForward(fn: () => tf.Tensor, runs = 7): Promise<{y: tf.Tensor, ms: number}> {
  for (let i = 0; i < 3; i++) tf.dispose(fn());
  const ts: number[] = [];
  let y = fn();
  await y.data();
  for (let i = 0; i < runs; i++) {
    y.dispose();
    const t0 = performance.now();
    y = fn();
    await y.data();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return {y, ms: ts[ts.length >> 1]};
}

/** PyTorch's forward times (one thread) of the whole models, or null without PyTorch. */
function torchTimes(): {torch: string, unet: number, generator: number, blas: string}|null {
  const torch = torchEnv();
  if (!torch.available) return null;
  const r = spawnSync(PYTHON, [join(dirname(assets), 'torch_time.py')],
                      {encoding: 'utf8', env: torch.env});
  if (r.status !== 0) return null;
  return {...JSON.parse(r.stdout), blas: torch.blas};
}

/** The whole models: U-Net from unet.pt, generator from a training checkpoint. */
const MODELS = [
  {name: 'unet3d', build: () => buildUNet(), weights: 'unet.pt', io: 'unet_io.safetensors',
   options: {}},
  {name: 'generator', build: () => buildGenerator(), weights: 'generator_checkpoint.pt',
   io: 'generator_io.safetensors', options: {prefix: 'model_state_dict.'}},
] as const;

async function main() {
  const info = JSON.parse(readFileSync(join(assets, 'decoder.json'), 'utf8'));
  const io = loadSafetensors(read('decoder_io.safetensors'));
  console.log(`PyTorch ${info.torch} decoder: input [${io.input.shape}] → output ` +
      `[${io.output.shape}]`);
  // tfjs-backend-wasm is an optional peer: use it when it is installed.
  await import('@tensorflow/tfjs-backend-wasm').catch(() => null);
  const backends = Object.keys(tf.engine().registryFactory);
  console.log(`registered backends: ${backends.join(', ')}`);
  // The cpu backend runs once on each of our compute cores (WebAssembly SIMD, pure JS).
  const runsOn = backends.flatMap(b => b === 'cpu' ? ['cpu', 'cpu:js'] : [b]);
  let ok = true;
  const rows: string[] = [];
  const timesOf: Record<string, string[]> = {unet3d: [], generator: []};
  for (const label of runsOn) {
    const [backend, core] = label.split(':');
    if (!(await tf.setBackend(backend).catch(() => false))) {
      console.log(`backend ${backend}: not available here, skipped`);
      continue;
    }
    await tf.ready();
    setCpuImplementation(core === 'js' ? 'js' : 'auto');
    const name = backend === 'webgl' ? backend : `${backend} (${getCpuImplementation()} core)`;
    for (const m of MODELS) {
      const model = m.build();
      const sd = loadStateDict(read(m.weights));
      // No mapping: the tfjs layers carry PyTorch's module paths as names. The checkpoint's
      // optimizer state and epoch lie outside the prefix and are ignored.
      assignStateDict(model, sd, m.options);
      tf.dispose(Object.values(sd));
      const mio = loadSafetensors(read(m.io));
      const {y, ms} = await timeForward(() => model.predict(mio.input) as tf.Tensor);
      const {diff, scale} = await maxDiff(y, mio.output);
      const pass = diff <= REL_TOL * Math.max(scale, 1e-6);
      ok &&= pass;
      timesOf[m.name].push(`${name} ${ms.toFixed(2)} ms`);
      rows.push(`${name.padEnd(20)} ${m.name.padEnd(20)} max|diff| ${diff.toExponential(2)}  ` +
          `(max|y| ${scale.toFixed(3)})  ${ms.toFixed(2)} ms/forward  ${pass ? 'OK' : 'FAIL'}`);
      tf.dispose([y, ...Object.values(mio)]);
      model.dispose();
    }
    for (const file of ['decoder.pt', 'decoder.safetensors']) {
      const model = buildDecoder();
      const sd = loadStateDict(read(file));
      assignStateDict(model, sd, {mapping: DECODER_MAPPING});
      tf.dispose(Object.values(sd));
      const x = tf.tensor(await io.input.data(), io.input.shape);
      for (let i = 0; i < 3; i++) tf.dispose(model.predict(x));  // warm-up (JIT, shaders)
      const runs = 5;
      const t0 = performance.now();
      let y = model.predict(x) as tf.Tensor;
      for (let i = 1; i < runs; i++) {
        y.dispose();
        y = model.predict(x) as tf.Tensor;
      }
      await y.data();
      const ms = (performance.now() - t0) / runs;
      const expected = tf.tensor(await io.output.data(), io.output.shape);
      const {diff, scale} = await maxDiff(y, expected);
      const pass = diff <= REL_TOL * Math.max(scale, 1e-6);
      ok &&= pass;
      rows.push(`${name.padEnd(20)} ${file.padEnd(20)} max|diff| ${diff.toExponential(2)}  ` +
          `(max|y| ${scale.toFixed(3)})  ${ms.toFixed(2)} ms/forward  ${pass ? 'OK' : 'FAIL'}`);
      tf.dispose([x, y, expected]);
      model.dispose();
    }
  }
  console.log(rows.join('\n'));
  const torch = torchTimes();
  if (torch) {
    console.log(`PyTorch ${torch.torch}, one thread, ${torch.blas}: unet3d ` +
        `${torch.unet.toFixed(2)} ms/forward, generator ${torch.generator.toFixed(2)} ms/forward`);
    console.log(`ours: unet3d ${timesOf.unet3d.join(', ')}; generator ` +
        `${timesOf.generator.join(', ')}`);
  } else {
    console.log('(PyTorch not installed: its times are not shown)');
  }
  tf.dispose(Object.values(io));
  if (!ok) {
    console.error(`parity FAILED (tolerance: ${REL_TOL} × max|y|)`);
    process.exit(1);
  }
  console.log(`parity OK on ${rows.length} runs (tolerance ${REL_TOL} × max|y|)`);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
