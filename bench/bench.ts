/**
 * `npm run bench`: our cpu kernels on S1–S7 (WebAssembly SIMD core and pure-JS core) beside tfjs'
 * own conv3dTranspose doing equivalent work on the cpu and wasm backends (the latter checked
 * against our JS result and flagged where wrong) and PyTorch when /usr/bin/python3 has torch, all
 * in the same run: one thread, and ours and PyTorch's also on BENCH_THREADS threads (default 2;
 * ours interleaved with our one-thread runs, PyTorch with OPENBLAS_NUM_THREADS and
 * torch.set_num_threads alike). Medians; our times include copying into and out of the wasm
 * memory. `npm run bench -- S2 S3` runs a subset.
 */
import '@tensorflow/tfjs';  // core + cpu + all of tfjs' own gradients (Reshape, Slice, …)
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {spawnSync} from 'node:child_process';
import {availableParallelism, loadavg} from 'node:os';
import {convTranspose3d, ready, setCpuImplementation, setNumThreads} from '../src/index.js';
import {BenchShape, flops, SHAPES, timeInterleaved, timeMedian, weightShape} from './shapes.js';
import {tfjsEquivalent} from './tfjs_equivalent.js';
import {PYTHON, torchEnv} from './torch_env.js';

/** Threads of the multi-threaded columns. */
const THREADS = Number(process.env.BENCH_THREADS ?? 2);

function torchTimes(threads: number): {torch: string, forward: Record<string, number>,
                                       backward: Record<string, number>}|null {
  const torch = torchEnv(threads);
  if (!torch.available) return null;
  console.log(`PyTorch on ${threads} thread${threads > 1 ? 's' : ''} runs with ${torch.blas}`);
  const r = spawnSync(PYTHON, ['bench/torch_bench.py', String(threads)],
                      {input: JSON.stringify(SHAPES), encoding: 'utf8', env: torch.env});
  if (r.status !== 0) {
    console.log('(PyTorch not measured: ' + (r.stderr.trim().split('\n').pop() ?? '') + ')');
    return null;
  }
  return JSON.parse(r.stdout);
}

const gf = (s: BenchShape, ms: number) => (flops(s) / ms / 1e6).toFixed(2);
const fmt = (ms: number|undefined) => ms == null ? 'n/a' : ms.toFixed(2);
const cell = (s: BenchShape, ms: number|undefined) => ms == null ? 'n/a' : `${fmt(ms)} (${gf(s, ms)})`;
/** Peers are slow: fewer repetitions. */
const PEER = {warmup: 1, reps: 3};

/** max |a − b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / (scale || 1);
}

/** tfjs' own conv3dTranspose on the wasm backend: median ms and its error against `expected`. */
async function tfjsWasm(s: BenchShape, data: Float32Array[], shapes: number[][],
                        expected: Float32Array): Promise<{ms: number, err: number}|null> {
  await tf.setBackend('wasm');
  const [x, w, b] = data.map((d, i) => tf.tensor(d, shapes[i]));
  try {
    const eq = tfjsEquivalent(s, x as tf.Tensor5D, w as tf.Tensor5D, b as tf.Tensor1D);
    if (!eq) return null;
    const y = eq();
    const err = relErr(await y.data(), expected);
    y.dispose();
    return {ms: await timeMedian(() => eq().dispose(), PEER), err};
  } finally {
    tf.dispose([x, w, b]);
    await tf.setBackend('cpu');
  }
}

async function main() {
  await ready();
  await tf.setBackend('wasm');  // initialise tfjs-backend-wasm once, outside the timings
  await tf.setBackend('cpu');
  const only = process.argv.slice(2);
  const shapes = only.length ? SHAPES.filter(s => only.includes(s.name)) : SHAPES;
  const torch = torchTimes(1), torchT = torchTimes(THREADS);
  console.log(`tfjs-core ${tf.version_core}; PyTorch ${torch?.torch ?? 'not available'}. ` +
      `Median ms (GFLOP/s); fwd+bwd = forward plus the three gradients for a given dy; ` +
      `${THREADS}t = ${THREADS} threads, one otherwise.`);
  const rows: string[][] = [];
  for (const s of shapes) {
    const x = tf.randomNormal(s.input) as unknown as tf.Tensor5D;
    const w = tf.randomNormal(weightShape(s)) as unknown as tf.Tensor5D;
    const b = tf.randomNormal([s.outChannels]) as tf.Tensor1D;
    const fwd = () => convTranspose3d(x, w, b, s.options).dispose();
    setNumThreads(1);
    setCpuImplementation('js');
    const yJs = convTranspose3d(x, w, b, s.options);
    const expected = await yJs.data() as Float32Array;
    const dy = tf.randomNormal(yJs.shape);
    yJs.dispose();
    const js = await timeMedian(fwd, PEER);
    setCpuImplementation('auto');
    const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
        convTranspose3d(a as tf.Tensor5D, c as tf.Tensor5D, d as tf.Tensor1D, s.options);
    // Forward and forward+backward, one and THREADS threads, interleaved, so that their ratios
    // are not skewed by load changes.
    const bwd = () => tf.dispose(tf.grads(f)([x, w, b], dy));
    const on = (n: number, fn: () => void) => () => {
      setNumThreads(n);
      fn();
    };
    const [ours, fwdBwd, oursT, fwdBwdT] = await timeInterleaved(
        [on(1, fwd), on(1, bwd), on(THREADS, fwd), on(THREADS, bwd)]);
    setNumThreads(1);
    const eq = tfjsEquivalent(s, x, w, b);
    const tfCpu = eq ? await timeMedian(() => eq().dispose(), PEER) : undefined;
    let tfCpuErr = 0;
    if (eq) {
      const y = eq();
      tfCpuErr = relErr(await y.data(), expected);
      y.dispose();
    }
    const tw = await tfjsWasm(s, [await x.data(), await w.data(), await b.data()] as Float32Array[],
                              [x.shape, w.shape, b.shape], expected);
    const pt = torch?.forward[s.name], ptb = torch?.backward[s.name];
    const ptT = torchT?.forward[s.name], ptbT = torchT?.backward[s.name];
    rows.push([
      s.name, cell(s, ours), cell(s, js),
      cell(s, tfCpu) + (tfCpuErr > 1e-3 ? ` WRONG (err ${tfCpuErr.toExponential(1)})` : ''),
      tw ? `${cell(s, tw.ms)}${tw.err > 1e-3 ? ` WRONG (err ${tw.err.toExponential(1)})` : ''}` :
           'n/a',
      cell(s, pt), pt ? (pt / ours).toFixed(2) + '×' : 'n/a',
      `${fmt(fwdBwd)} (${(fwdBwd / ours).toFixed(2)}× fwd)`,
      ptb ? `${fmt(ptb)} (${(ptb / fwdBwd).toFixed(2)}×)` : 'n/a',
      `${cell(s, oursT)} ${(ours / oursT).toFixed(2)}×`,
      ptT ? `${cell(s, ptT)} ${(ptT / oursT).toFixed(2)}×` : 'n/a',
      `${fmt(fwdBwdT)} (${(fwdBwd / fwdBwdT).toFixed(2)}×)`,
      ptbT ? `${fmt(ptbT)} (${(ptbT / fwdBwdT).toFixed(2)}×)` : 'n/a',
    ]);
    tf.dispose([x, w, b, dy]);
  }
  const head = ['shape', 'ours wasm fwd', 'ours JS fwd', 'tfjs cpu', 'tfjs wasm', 'PyTorch fwd',
                'PyTorch/ours', 'ours fwd+bwd', 'PyTorch fwd+bwd (/ours)',
                `ours ${THREADS}t fwd (/ours 1t)`, `PyTorch ${THREADS}t fwd (/ours ${THREADS}t)`,
                `ours ${THREADS}t fwd+bwd (/1t)`, `PyTorch ${THREADS}t fwd+bwd (/ours)`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map(w => '-'.repeat(w + 2)).join('|') + '|');
  rows.forEach(r => console.log(line(r)));
  console.log(`load average before/after: ${loadBefore} / ${loadAverage()} (${cores()} cores)`);
}

const loadAverage = () => loadavg().map(v => v.toFixed(2)).join(' ');
const cores = () => availableParallelism();
const loadBefore = loadAverage();

main();
