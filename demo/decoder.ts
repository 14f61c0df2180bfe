/** The demo's 3-D decoder, built with our layer (same architecture as make_layer_fixtures.py). */
import * as tf from '@tensorflow/tfjs';
import {layers} from '../src/index.js';

/**
 * PyTorch:
 *   up1  = nn.ConvTranspose3d(8, 8, 3, stride=2, padding=1, output_padding=1, groups=2)
 *   up2  = nn.ConvTranspose3d(8, 4, 3, stride=2, padding=2, output_padding=1, dilation=2, groups=4)
 *   head = nn.ConvTranspose3d(4, 1, (1, 3, 3), padding=(0, 1, 1), bias=False)
 *   forward: sigmoid(head(relu(up2(relu(up1(z))))))
 */
export function buildDecoder(): tf.Sequential {
  return tf.sequential({
    name: 'decoder',
    layers: [
      layers.convTranspose3d({
        name: 'up1', inputShape: [8, null, null, null], inChannels: 8,
        outChannels: 8, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2,
      }),
      tf.layers.activation({activation: 'relu'}),
      layers.convTranspose3d({
        name: 'up2', inChannels: 8, outChannels: 4, kernelSize: 3, stride: 2, padding: 2,
        outputPadding: 1, dilation: 2, groups: 4,
      }),
      tf.layers.activation({activation: 'relu'}),
      layers.convTranspose3d({
        name: 'head', inChannels: 4, outChannels: 1, kernelSize: [1, 3, 3], padding: [0, 1, 1],
        bias: false,
      }),
      tf.layers.activation({activation: 'sigmoid'}),
    ],
  });
}

/** torch module name → tfjs layer name (here the same). */
export const DECODER_MAPPING = {up1: 'up1', up2: 'up2', head: 'head'};

/** max |a − b| and max |b| over two same-shaped tensors. */
export async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<{diff: number, scale: number}> {
  const [x, y] = [await a.data(), await b.data()];
  let diff = 0, scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return {diff, scale};
}
