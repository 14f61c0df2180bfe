/**
 * `node --import tsx bench/profile_unet_conv.ts`: the demo U-Net's conv3d calls (demo/models.ts,
 * input [1, 1, 15, 14, 13]) one by one on the compute core (no tfjs), on one thread and on the
 * default thread count, beside each call's GFLOP/s and the cost of merely copying its input and
 * output. For locating where PtConv3D's time goes; bench/profile_unet.ts is the whole forward.
 */
import {computeConv3d} from '../kernels/cpu/dispatch.js';
import {getNumThreads, setNumThreads} from '../kernels/simd/threads.js';
import {conv3dInfo, macCount} from '../src/geometry.js';
import {medianSync, randomFloats} from './shapes.js';

/** [Cin, Cout, D, H, W, k] of each conv3d call of the forward, in order. */
export const UNET_CONVS: Array<[number, number, number, number, number, number]> = [
  [1, 8, 15, 14, 13, 3], [8, 8, 15, 14, 13, 3], [8, 16, 7, 7, 6, 3], [16, 16, 7, 7, 6, 3],
  [16, 32, 3, 3, 3, 3], [32, 32, 3, 3, 3, 3], [48, 16, 7, 7, 6, 3], [16, 16, 7, 7, 6, 3],
  [16, 8, 15, 14, 13, 3], [8, 8, 15, 14, 13, 3], [8, 2, 15, 14, 13, 1],
];

const rand = randomFloats;
const median = (fn: () => unknown) => medianSync(fn, 201, 50);

const threadsDefault = getNumThreads();
const rows: string[] = [];
const totals = [0, 0, 0];
for (const [cin, cout, D, H, W, k] of UNET_CONVS) {
  const info = conv3dInfo('bench', [1, cin, D, H, W], [cout, cin, k, k, k], [cout],
                          {padding: (k - 1) / 2});
  const x = rand(cin * D * H * W), w = rand(cout * cin * k * k * k), b = rand(cout);
  setNumThreads(1);
  const one = median(() => computeConv3d(x, w, b, info));
  setNumThreads(threadsDefault);
  const dflt = median(() => computeConv3d(x, w, b, info));
  const ny = cout * D * H * W;
  const copy = median(() => { new Float32Array(x.length).set(x); new Float32Array(ny).set(x.subarray(0, Math.min(ny, x.length))); });
  totals[0] += one; totals[1] += dflt; totals[2] += copy;
  const gf = 2 * macCount(info) / 1e6;
  rows.push(`| ${cin}→${cout} k${k} ${D}×${H}×${W} | ${(gf).toFixed(2)} | ${(one * 1e3).toFixed(0)} ` +
            `(${(gf / one).toFixed(1)}) | ${(dflt * 1e3).toFixed(0)} | ${(copy * 1e3).toFixed(0)} |`);
}
console.log(`| conv3d | MFLOP | 1 thread µs (GFLOP/s) | ${threadsDefault} threads µs | copies µs |`);
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(`| total | | ${(totals[0] * 1e3).toFixed(0)} | ${(totals[1] * 1e3).toFixed(0)} | ${(totals[2] * 1e3).toFixed(0)} |`);
