/**
 * 2-D and 1-D ops run on the 3-D kernels with unit axes: this prints their GFLOP/s beside the
 * comparable 3-D shapes (same channels, kernel extent and stride) in the same run, to show the
 * unit axis costs nothing.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose1d, convTranspose2d, convTranspose3d} from '../src/index.js';
import {timeMedian} from './shapes.js';

interface NdShape {name: string; input: number[]; outChannels: number; k: number; stride: number;
                  padding: number; outputPadding: number}

const SHAPES: NdShape[] = [
  {name: 'S2 (3-D)', input: [1, 32, 16, 16, 16], outChannels: 16, k: 3, stride: 2, padding: 1, outputPadding: 1},
  {name: 'S2-2d', input: [1, 32, 64, 64], outChannels: 16, k: 3, stride: 2, padding: 1, outputPadding: 1},
  {name: 'S2-1d', input: [1, 32, 4096], outChannels: 16, k: 3, stride: 2, padding: 1, outputPadding: 1},
  {name: 'S3 (3-D)', input: [1, 64, 8, 16, 16], outChannels: 32, k: 4, stride: 2, padding: 1, outputPadding: 0},
  {name: 'S3-2d', input: [1, 64, 32, 64], outChannels: 32, k: 4, stride: 2, padding: 1, outputPadding: 0},
  {name: 'S7 (3-D)', input: [1, 4, 32, 64, 64], outChannels: 4, k: 2, stride: 2, padding: 0, outputPadding: 0},
  {name: 'S7-2d', input: [1, 4, 256, 512], outChannels: 4, k: 2, stride: 2, padding: 0, outputPadding: 0},
];

async function main() {
  await tf.setBackend('cpu');
  console.log('\n2-D / 1-D ops on the 3-D kernels (cpu, one thread; median ms, GFLOP/s):');
  console.log('| shape | input | ms | GFLOP/s |');
  console.log('|---|---|---|---|');
  for (const s of SHAPES) {
    const nd = s.input.length - 2;
    const op = nd === 3 ? convTranspose3d : nd === 2 ? convTranspose2d : convTranspose1d;
    const x = tf.randomNormal(s.input);
    const w = tf.randomNormal([s.input[1], s.outChannels, ...new Array(nd).fill(s.k)]);
    const opts = {stride: s.stride, padding: s.padding, outputPadding: s.outputPadding};
    const ms = await timeMedian(() => op(x, w, null, opts).dispose());
    const spatial = s.input.slice(2).reduce((a, b) => a * b, 1);
    const flops = 2 * s.input[0] * s.input[1] * s.outChannels * s.k ** nd * spatial;
    console.log(`| ${s.name} | ${JSON.stringify(s.input)} | ${ms.toFixed(2)} | ` +
        `${(flops / ms / 1e6).toFixed(2)} |`);
    tf.dispose([x, w]);
  }
}

main();
