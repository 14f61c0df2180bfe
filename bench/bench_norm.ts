/**
 * The norms (batchNorm eval and training, instanceNorm, groupNorm; forward) on a large feature
 * map, on tfjs' cpu backend with our kernels, beside tfjs' nearest equivalent (tf.moments and
 * broadcasting sub/mul/add, as a port without this package writes it; tf.batchNorm is wrong for
 * axis 1 on cpu and refuses rank 5), PyTorch on one thread, and the memory-bandwidth bound: one
 * read and one write of the tensor: a Float32Array copy into an existing array (`set`, the
 * strict bound) and into a new one (`slice`, what any op pays, since every tfjs op allocates its
 * output). Medians, ms; ours and `set` are timed interleaved so that the machine's load hits
 * them alike, and "best" (the fastest run) is shown too, as a shared machine's load inflates
 * medians. Target: within 2× of the bound and no slower than PyTorch. Then the same norms on a
 * U-Net's small map (SMALL), where the cost per call (tfjs dispatches, small ops) is what counts.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {batchNorm, groupNorm, instanceNorm} from '../src/index.js';
import {timeInterleaved, timeMedian} from './shapes.js';
import {runTorch} from './torch_env.js';

const SHAPE = [1, 32, 32, 32, 32];
const GROUPS = 8;
const C = SHAPE[1];
const SMALL = [1, 8, 15, 14, 13], SMALL_GROUPS = 4;

function torchTimes(shape = SHAPE, groups = GROUPS, reps = 15): Record<string, number>|null {
  const out = runTorch('bench/torch_norm_bench.py', {shape, groups, reps});
  return out == null ? null : JSON.parse(out);
}

/** tfjs without this package: moments over `axes` and broadcasting ops. */
function tfjsNorm(x: tf.Tensor, axes: number[], w: tf.Tensor, b: tf.Tensor,
                  stats?: {mean: tf.Tensor, variance: tf.Tensor}): tf.Tensor {
  return tf.tidy(() => {
    const {mean, variance} = stats ?? tf.moments(x, axes, true);
    const col = (t: tf.Tensor) => tf.reshape(t, [1, C, 1, 1, 1]);
    const invstd = tf.rsqrt(tf.add(variance, 1e-5));
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), invstd), col(w)), col(b));
  });
}

function tfjsGroupNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [n, c, ...sp] = x.shape;
    const xg = tf.reshape(x, [n, GROUPS, (c / GROUPS) * sp.reduce((p, q) => p * q, 1)]);
    const {mean, variance} = tf.moments(xg, [2], true);
    const y = tf.reshape(tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, 1e-5))), x.shape);
    const col = (t: tf.Tensor) => tf.reshape(t, [1, C, 1, 1, 1]);
    return tf.add(tf.mul(y, col(w)), col(b));
  });
}

async function main() {
  await tf.setBackend('cpu');
  const x = tf.randomNormal(SHAPE);
  const w = tf.add(tf.randomUniform([C]), 0.5), b = tf.randomNormal([C]);
  const rm = tf.variable(tf.zeros([C]), false), rv = tf.variable(tf.ones([C]), false);
  const rmT = tf.zeros([1, C, 1, 1, 1]), rvT = tf.ones([1, C, 1, 1, 1]);
  const n = x.size;
  const src = new Float32Array(n).map(() => Math.random()), dst = new Float32Array(n);

  const rows: Array<[string, () => tf.Tensor, () => tf.Tensor]> = [
    ['batchNorm eval', () => batchNorm(x, rm, rv, {weight: w, bias: b}),
     () => tfjsNorm(x, [], w, b, {mean: rmT, variance: rvT})],
    ['batchNorm training', () => batchNorm(x, rm, rv, {weight: w, bias: b, training: true}),
     () => tfjsNorm(x, [0, 2, 3, 4], w, b)],
    ['instanceNorm', () => instanceNorm(x, {weight: w, bias: b}),
     () => tfjsNorm(x, [2, 3, 4], w, b)],
    [`groupNorm (${GROUPS} groups)`, () => groupNorm(x, GROUPS, {weight: w, bias: b}),
     () => tfjsGroupNorm(x, w, b)],
  ];
  const torch = torchTimes();
  console.log(`\nNorms, forward, on ${JSON.stringify(SHAPE)} (${(n * 4 / 2 ** 20).toFixed(0)} MiB), ` +
      `cpu backend, one thread; ms (median, best).` +
      `${torch ? ` PyTorch ${torch.torch} copy_: ${torch.copy.toFixed(3)} ms.` : ''}`);
  console.log('| norm | ours | copy: set / slice | tfjs moments + broadcasting | PyTorch (1 thread) | ' +
              'ours / set | ours / slice | ours / PyTorch |');
  console.log('|---|---|---|---|---|---|---|---|');
  const f = (v: number) => v.toFixed(2);
  // Ours first, all rows, then the peers: tfjs' broadcasting ops leave garbage whose collection
  // would land in the next row's timings; the slice is timed apart for the same reason.
  const measured: number[][] = [];
  for (const [, ours] of rows) {
    const runs: number[][] = [[], []];
    const fns = [() => ours().dispose(), () => dst.set(src)];
    const timed = fns.map((fn, i) => () => {
      const t0 = performance.now();
      fn();
      runs[i].push(performance.now() - t0);
    });
    const [msOurs, msSet] = await timeInterleaved(timed, {warmup: 20, reps: 21, budgetMs: 4000});
    measured.push([msOurs, Math.min(...runs[0]), msSet]);
  }
  const msSlice = await timeMedian(() => src.slice(), {reps: 15});
  for (const [i, [name, , peer]] of rows.entries()) {
    const [msOurs, best, msSet] = measured[i];
    const msPeer = await timeMedian(() => peer().dispose(), {warmup: 0, reps: 3});
    const msTorch = torch?.[name];
    console.log(`| ${name} | ${f(msOurs)} (${f(best)}) | ${msSet.toFixed(3)} / ` +
        `${msSlice.toFixed(3)} | ${f(msPeer)} | ${msTorch == null ? 'n/a' : f(msTorch)} | ` +
        `${f(msOurs / msSet)}× | ${f(msOurs / msSlice)}× | ` +
        `${msTorch == null ? 'n/a' : f(msOurs / msTorch) + '×'} |`);
  }
  tf.dispose([x, w, b, rm, rv, rmT, rvT]);
  await smallMap();
}

/** The norms on SMALL: µs per call, ours and PyTorch (one thread). */
async function smallMap() {
  const c = SMALL[1];
  const x = tf.randomNormal(SMALL);
  const w = tf.add(tf.randomUniform([c]), 0.5), b = tf.randomNormal([c]);
  const rm = tf.variable(tf.zeros([c]), false), rv = tf.variable(tf.ones([c]), false);
  const rows: Array<[string, () => tf.Tensor]> = [
    ['batchNorm eval', () => batchNorm(x, rm, rv, {weight: w, bias: b})],
    ['batchNorm training', () => batchNorm(x, rm, rv, {weight: w, bias: b, training: true})],
    ['instanceNorm', () => instanceNorm(x, {weight: w, bias: b})],
    [`groupNorm (${SMALL_GROUPS} groups)`, () => groupNorm(x, SMALL_GROUPS, {weight: w, bias: b})],
  ];
  const torch = torchTimes(SMALL, SMALL_GROUPS, 201);
  console.log(`\nThe same on a U-Net's map ${JSON.stringify(SMALL)}: µs per call (median).`);
  console.log('| norm | ours | PyTorch (1 thread) | ours / PyTorch |');
  console.log('|---|---|---|---|');
  // A few hundred calls each before timing: the first rounds run before V8 has optimised
  // tfjs' dispatch and ours (2-4× slower).
  for (const [, ours] of rows) for (let i = 0; i < 400; i++) ours().dispose();
  for (const [name, ours] of rows) {
    const ms = await timeMedian(() => ours().dispose(), {warmup: 50, reps: 201, budgetMs: 2000});
    const t = torch?.[name];
    console.log(`| ${name} | ${(ms * 1e3).toFixed(0)} | ${t == null ? 'n/a' : (t * 1e3).toFixed(0)} | ${
        t == null ? 'n/a' : (ms / t).toFixed(2) + '×'} |`);
  }
  tf.dispose([x, w, b, rm, rv]);
}

main();
