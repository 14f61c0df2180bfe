/**
 * `npm run demo`: a small PyTorch 3-D decoder, rebuilt with our layer, its weights read from
 * PyTorch's own `.pt` and `.safetensors` files (no Python), run on every available backend and
 * compared with PyTorch's output. Exits non-zero if any backend misses parity.
 */
import * as tf from '@tensorflow/tfjs';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {assignStateDict, getCpuImplementation, loadSafetensors, loadStateDict, setCpuImplementation} from '../src/index.js';
import {buildDecoder, DECODER_MAPPING, maxDiff} from './decoder.js';

const assets = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const read = (f: string) => new Uint8Array(readFileSync(join(assets, f)));
const REL_TOL = 1e-4;

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
  for (const label of runsOn) {
    const [backend, core] = label.split(':');
    if (!(await tf.setBackend(backend).catch(() => false))) {
      console.log(`backend ${backend}: not available here, skipped`);
      continue;
    }
    await tf.ready();
    setCpuImplementation(core === 'js' ? 'js' : 'auto');
    const name = backend === 'webgl' ? backend : `${backend} (${getCpuImplementation()} core)`;
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
