/**
 * `node --import tsx bench/bench_layers.ts`: the Conv3d layer and `pad` on a large feature map
 * [1, 32, 32, 32, 32], one thread, medians, beside tfjs' nearest equivalents and PyTorch (one
 * thread) in the same run:
 * - layers.linear ([256, 1024] → 1024) vs tf.layers.dense and nn.Linear;
 * - layers.conv3d (k3, p1, 32 → 32) vs tf.layers.conv3d({dataFormat: 'channelsFirst'}) (which
 *   transposes inside) on tfjs' cpu backend, and nn.Conv3d;
 * - pad (every mode, 1 on each side of D, H, W) vs tf.pad / tf.mirrorPad (tfjs has no replicate
 *   or circular), F.pad, and the memory bound: one read of the input and one write of the
 *   output (a typed-array copy of the output's size into an existing array), beside what a
 *   tfjs kernel pays at least (a new output array, whose pages fault in, plus that copy;
 *   PyTorch's caching allocator reuses memory instead).
 */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import {layers, pad, ready} from '../src/index.js';
import {padGrad} from '../src/padding.js';
import {timeMedian} from './shapes.js';
import {runTorch} from './torch_env.js';

const INPUT = [1, 32, 32, 32, 32];
const PAD = [1, 1, 1, 1, 1, 1];
/** Linear: [N, inFeatures] → outFeatures. */
const LINEAR = [256, 1024, 1024];

function torchTimes(): Record<string, number|string>|null {
  const out = runTorch('bench/torch_bench_layers.py', {input: INPUT, pad: PAD, linear: LINEAR});
  return out == null ? null : JSON.parse(out);
}

async function main() {
  await ready();
  await tf.setBackend('cpu');
  const torch = torchTimes();
  const x = tf.randomNormal(INPUT as [number, number, number, number, number]);
  const rows: string[][] = [];
  const fmt = (ms: number|undefined) => ms == null ? 'n/a' : ms.toFixed(2);
  const ratio = (a: number|undefined, b: number|undefined) =>
      a == null || b == null ? 'n/a' : `${(a / b).toFixed(2)}×`;

  // Conv3d layers: ours vs tfjs' channels-first conv3d (weights transposed to its layout).
  const c = INPUT[1];
  const ours = layers.conv3d({inChannels: c, outChannels: c, kernelSize: 3, padding: 1});
  ours.build([null, ...INPUT.slice(1)]);
  const theirs = tf.layers.conv3d({filters: c, kernelSize: 3, padding: 'same',
                                   dataFormat: 'channelsFirst'});
  theirs.build([null, ...INPUT.slice(1)]);
  const [w, b] = ours.getWeights();
  const wt = tf.transpose(w, [2, 3, 4, 1, 0]);
  theirs.setWeights([wt, b]);
  wt.dispose();
  const yo = ours.apply(x) as tf.Tensor, yt = theirs.apply(x) as tf.Tensor;
  const err = tf.max(tf.abs(tf.sub(yo, yt))).dataSync()[0];
  tf.dispose([yo, yt]);
  const tOurs = await timeMedian(() => (ours.apply(x) as tf.Tensor).dispose());
  // tfjs' is ~50× slower: one timed run after the comparison run above (its warm-up).
  const t0 = performance.now();
  (theirs.apply(x) as tf.Tensor).dispose();
  const tTheirs = performance.now() - t0;
  const tPt = torch?.conv3d as number|undefined;
  rows.push(['conv3d layer k3 p1 32→32', fmt(tOurs),
             `${fmt(tTheirs)} (tf.layers.conv3d channelsFirst, max |diff| ${err.toExponential(1)})`,
             fmt(tPt), ratio(tPt, tOurs), '']);

  const oursR = layers.conv3d({inChannels: c, outChannels: c, kernelSize: 3, padding: 1,
                               paddingMode: 'replicate'});
  oursR.build([null, ...INPUT.slice(1)]);
  const tOursR = await timeMedian(() => (oursR.apply(x) as tf.Tensor).dispose());
  const tPtR = torch?.conv3d_replicate as number|undefined;
  rows.push(["conv3d layer k3 p1 32→32 'replicate'", fmt(tOursR), 'n/a', fmt(tPtR),
             ratio(tPtR, tOursR), '']);

  // Linear: ours (weight [out, in], matMul with transposeB) vs tf.layers.dense (kernel [in, out]).
  const [n, fin, fout] = LINEAR;
  const lin = layers.linear({inFeatures: fin, outFeatures: fout});
  lin.build([null, fin]);
  const dense = tf.layers.dense({units: fout});
  dense.build([null, fin]);
  const [lw, lb] = lin.getWeights();
  const lwt = tf.transpose(lw);
  dense.setWeights([lwt, lb]);
  const xl = tf.randomNormal([n, fin]);
  const lo = lin.apply(xl) as tf.Tensor, ld = dense.apply(xl) as tf.Tensor;
  const lerr = tf.max(tf.abs(tf.sub(lo, ld))).dataSync()[0];
  tf.dispose([lwt, lo, ld]);
  const tLin = await timeMedian(() => (lin.apply(xl) as tf.Tensor).dispose());
  const tDense = await timeMedian(() => (dense.apply(xl) as tf.Tensor).dispose());
  const tPtL = torch?.linear as number|undefined;
  rows.push([`linear [${n}, ${fin}] → ${fout}`, fmt(tLin),
             `${fmt(tDense)} (tf.layers.dense, max |diff| ${lerr.toExponential(1)})`, fmt(tPtL),
             ratio(tPtL, tLin), '']);
  xl.dispose();

  // pad: the memory bound is one read of x and one write of the output.
  const outSize = [1, 32, 34, 34, 34].reduce((p, q) => p * q, 1);
  // Filled, so that no page is a shared zero page.
  const src = new Float32Array(outSize).fill(1.5), dst = new Float32Array(outSize).fill(2);
  const tCopy = await timeMedian(() => dst.set(src), {reps: 15});
  // What any tfjs kernel pays at least: a fresh output array (page faults) and one copy.
  const tAllocCopy = await timeMedian(() => new Float32Array(outSize).set(src), {reps: 15});
  const x4 = tf.reshape(x, [32, 32, 32, 32]);
  const tfPeer: Record<string, (() => tf.Tensor)|null> = {
    constant: () => tf.pad(x4, [[0, 0], [1, 1], [1, 1], [1, 1]]),
    reflect: () => tf.mirrorPad(x4, [[0, 0], [1, 1], [1, 1], [1, 1]], 'reflect'),
    replicate: null,
    circular: null,
  };
  for (const mode of ['replicate', 'reflect', 'circular', 'constant'] as const) {
    const t = await timeMedian(() => pad(x, PAD, {mode}).dispose(), {reps: 15});
    const peer = tfPeer[mode];
    const tp = peer ? await timeMedian(() => peer().dispose(), {reps: 9}) : undefined;
    const pt = torch?.[`pad_${mode}`] as number|undefined;
    rows.push([`pad ${mode} 1 per side`, fmt(t),
               peer ? `${fmt(tp)} (tf.${mode === 'reflect' ? 'mirrorPad' : 'pad'})` : 'n/a',
               fmt(pt), ratio(pt, t),
               `${ratio(t, tCopy)} (copy ${fmt(tCopy)}; new + copy ${fmt(tAllocCopy)} ms)`]);
  }
  // Forward + adjoint (the PadGrad kernel), as PyTorch's autograd.grad(F.pad(x), x, dy) row.
  const dy = tf.randomNormal([1, 32, 34, 34, 34]);
  const tGrad = await timeMedian(() => {
    pad(x, PAD, {mode: 'replicate'}).dispose();
    padGrad(dy, PAD, 'replicate', x.shape).dispose();
  }, {reps: 9});
  const ptGrad = torch?.pad_replicate_grad as number|undefined;
  rows.push(['pad replicate, forward + gradient', fmt(tGrad), 'n/a', fmt(ptGrad),
             ratio(ptGrad, tGrad), '']);
  tf.dispose([x, x4, dy]);
  [ours, theirs, oursR].forEach(l => l.weights.forEach(v => v.dispose()));

  console.log(`tfjs ${tf.version_core}, cpu backend, one thread; PyTorch ${
      torch?.torch ?? 'not available'} (one thread). Input ${JSON.stringify(INPUT)}; median ms.`);
  const head = ['row', 'ours', 'tfjs', 'PyTorch', 'PyTorch/ours', 'ours / memory bound'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((s, i) => s.padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map(n => '-'.repeat(n + 2)).join('|') + '|');
  rows.forEach(r => console.log(line(r)));
}

main();
