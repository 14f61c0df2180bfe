/**
 * Pooling and interpolation on a large feature map (cpu backend, one thread): ours (NCDHW) vs
 * tfjs' nearest equivalent (NDHWC pooling with two transposes; interpolation as two 4-D resizes
 * of reshaped views, no transposes) vs PyTorch 1.13 with one thread, and the memory bound: one
 * read of the input and one write of the output at this machine's copy bandwidth (measured in
 * the same run with TypedArray.set between preallocated buffers). "fresh output" is the time to
 * allocate and fill a new array of the output's size: every op that returns a new tensor on
 * tfjs' cpu backend pays it (the first touch of fresh pages), whatever its kernel does.
 * Medians of CPU time (process.cpuUsage; PyTorch: time.process_time), which a machine shared
 * with other work inflates far less than wall time; the wall-time medians are printed after.
 * `npm run bench:pool`.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {avgPool3d, interpolate, maxPool3d} from '../src/index.js';
import {timeMedian} from './shapes.js';
import {runTorch} from './torch_env.js';

interface Case {name: string; op: string; input: number[]; k?: number; stride?: number;
                padding?: number; scale?: number; mode?: 'nearest'|'trilinear'}
const X = [1, 32, 32, 32, 32];
const CASES: Case[] = [
  {name: 'maxPool3d k2', op: 'maxPool3d', input: X, k: 2},
  {name: 'avgPool3d k2', op: 'avgPool3d', input: X, k: 2},
  // Overlapping windows (the separable passes); tfjs' 'same' pads k3 s1 by 1 with −∞ too.
  {name: 'maxPool3d k3 s1 p1', op: 'maxPool3d', input: X, k: 3, stride: 1, padding: 1},
  {name: 'interpolate nearest ×2', op: 'interpolate', input: X, scale: 2, mode: 'nearest'},
  {name: 'interpolate trilinear ×2', op: 'interpolate', input: X, scale: 2, mode: 'trilinear'},
];

function ours(c: Case, x: tf.Tensor): tf.Tensor {
  if (c.op === 'maxPool3d') {
    return c.stride ? maxPool3d(x, c.k!, {stride: c.stride, padding: c.padding}) : maxPool3d(x, c.k!);
  }
  if (c.op === 'avgPool3d') return avgPool3d(x, c.k!);
  return interpolate(x, {scaleFactor: c.scale, mode: c.mode});
}

/** What a tfjs user writes today for the same result. */
function tfjsEquivalent(c: Case, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [n, ch, d, h, w] = x.shape;
    if (c.op === 'maxPool3d' || c.op === 'avgPool3d') {
      const xl = tf.transpose(x, [0, 2, 3, 4, 1]) as tf.Tensor5D;
      const y = c.stride ? tf.maxPool3d(xl, c.k!, c.stride, 'same') :
          c.op === 'maxPool3d' ? tf.maxPool3d(xl, c.k!, c.k!, 'valid') :
                                       tf.avgPool3d(xl, c.k!, c.k!, 'valid');
      return tf.transpose(y, [0, 4, 1, 2, 3]);
    }
    // [N·C, D, H, W] seen as NHWC resizes (D, H); then [N·C·2D, 2H, W, 1] resizes W.
    const s = c.scale!, od = d * s, oh = h * s, ow = w * s;
    const resize = (t: tf.Tensor4D, size: [number, number]) => c.mode === 'nearest' ?
        tf.image.resizeNearestNeighbor(t, size) :
        tf.image.resizeBilinear(t, size, false, true);  // half-pixel centres = align_corners=False
    const a = resize(tf.reshape(x, [n * ch, d, h, w]) as tf.Tensor4D, [od, oh]);
    const b = resize(tf.reshape(a, [n * ch * od, oh, w, 1]) as tf.Tensor4D, [oh, ow]);
    return tf.reshape(b, [n, ch, od, oh, ow]);
  });
}

/** Median CPU milliseconds of `fn` (one thread: ours is synchronous on the cpu backend). */
function cpuMedian(fn: () => unknown, reps = 9, budgetMs = 4000): number {
  // Five warm-up runs: process.cpuUsage counts every thread, so V8's optimising compiler and
  // GC threads, still busy after two runs of the first case, would be billed to it.
  for (let i = 0; i < 5; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    times.push((c.user + c.system) / 1000);
    if (performance.now() - start > budgetMs && times.length >= 3) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Bytes per ms of a large copy (reads + writes counted). */
async function copyBandwidth(): Promise<number> {
  const n = 16 << 20;  // 64 MB of float32
  const a = new Float32Array(n).fill(1), b = new Float32Array(n);
  return (2 * 4 * n) / cpuMedian(() => b.set(a));
}

async function main() {
  await tf.setBackend('cpu');
  const torch = runTorch('bench/torch_pool_bench.py', CASES);
  const torchOut = torch != null ? JSON.parse(torch) : {ms: {}, cpuMs: {}};
  const torchMs: Record<string, number> = torchOut.cpuMs, torchWall: Record<string, number> =
      torchOut.ms;
  const wall: string[] = [], rows: Array<(bw: number) => string> = [];
  // One untimed round of every case first (start-up work billed to the first case otherwise).
  for (const c of CASES) {
    const x = tf.randomNormal(c.input, 0, 1, 'float32', 1);
    tf.dispose([ours(c, x), tfjsEquivalent(c, x), x]);
  }
  for (const c of CASES) {
    const x = tf.randomNormal(c.input, 0, 1, 'float32', 1);
    // Check the two agree before timing them.
    const [y, e] = [ours(c, x), tfjsEquivalent(c, x)];
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(y, e))).dataSync()[0]);
    const bytes = 4 * (x.size + y.size);
    tf.dispose([y, e]);
    const oursMs = cpuMedian(() => ours(c, x).dispose());
    const tfjsMs = cpuMedian(() => tfjsEquivalent(c, x).dispose());
    const oursWall = await timeMedian(() => ours(c, x).dispose());
    const tfjsWall = await timeMedian(() => tfjsEquivalent(c, x).dispose());
    wall.push(`| ${c.name} | ${oursWall.toFixed(2)} | ${tfjsWall.toFixed(2)} | ` +
        `${torchWall[c.name]?.toFixed(2) ?? 'n/a'} |`);
    const outSize = bytes / 4 - x.size;
    const freshMs = cpuMedian(() => new Float32Array(outSize).fill(1));
    const t = torchMs[c.name];
    rows.push(bw => `| ${c.name} | ${oursMs.toFixed(2)} | ${tfjsMs.toFixed(2)} | ` +
        `${t != null ? t.toFixed(2) : 'n/a'} | ${(bytes / bw).toFixed(2)} | ` +
        `${freshMs.toFixed(2)} | ${(oursMs * bw / bytes).toFixed(1)}× | ` +
        `${t != null ? (oursMs / t).toFixed(2) + '×' : 'n/a'} |` +
        `${diff > 1e-4 ? ` (tfjs differs by ${diff})` : ''}`);
    x.dispose();
  }
  // Measured last: its 128 MB of garbage, collected while the first case was timed, was
  // billed to that case.
  const bw = await copyBandwidth();
  console.log(`\nPooling and interpolation, input ${JSON.stringify(X)} (cpu backend, one thread; ` +
      `median CPU ms; copy bandwidth ${(bw / 1e6).toFixed(1)} GB/s):`);
  console.log('| op | ours | tfjs equivalent | PyTorch 1 thread | memory bound | fresh output | ' +
              'ours / bound | ours / PyTorch |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row(bw));
  console.log('\nWall-time medians (ms), same run:');
  console.log('| op | ours | tfjs equivalent | PyTorch 1 thread |');
  console.log('|---|---|---|---|');
  for (const line of wall) console.log(line);
}

main();
