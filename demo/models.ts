/**
 * The demo's whole PyTorch models rebuilt with this package's layers and tfjs' own activations
 * and merges, layer for layer (the PyTorch side is test/fixtures/make_model_assets.py). Each tfjs
 * layer is named with its PyTorch module path (`enc0.conv_0`), so `assignStateDict` maps the
 * state_dict with no mapping at all.
 */
import * as tf from '@tensorflow/tfjs';
import {layers} from '../src/index.js';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym|Sym[]) => layer.apply(x) as Sym;

/** A norm layer factory: `norm(name, channels)`. */
type Norm = (name: string, channels: number) => tf.layers.Layer;
const instanceNorm: Norm = (name, c) => layers.instanceNorm3d({name, numFeatures: c, affine: true});
const batchNorm: Norm = (name, c) => layers.batchNorm3d({name, numFeatures: c});
const groupNorm: Norm = (name, c) => layers.groupNorm({name, numGroups: 4, numChannels: c});

/** MONAI's TwoConv: (Conv3d k3 p1 → norm → LeakyReLU(0.01)) × 2; tfjs' leakyReLU defaults to 0.3. */
function twoConv(x: Sym, name: string, cin: number, cout: number, norm: Norm): Sym {
  for (const i of [0, 1]) {
    x = apply(layers.conv3d({name: `${name}.conv_${i}`, inChannels: i === 0 ? cin : cout,
                             outChannels: cout, kernelSize: 3, padding: 1}), x);
    x = apply(norm(`${name}.norm_${i}`, cout), x);
    x = apply(tf.layers.leakyReLU({alpha: 0.01}), x);
  }
  return x;
}

/**
 * PyTorch (make_model_assets.py, UNet3D.forward):
 *   e0 = enc0(x); e1 = enc1(pool(e0)); b = bottleneck(pool(e1))
 *   d1 = dec1(cat([e1, interpolate(b, size=e1.shape[2:], mode='nearest')], 1))
 *   d0 = dec0(cat([e0, pad_to(up0(d1), e0)], 1));  return head(d0)
 * `inputShape` is [C, D, H, W]; the up-sampling sizes and the odd-size padding follow from it,
 * as PyTorch computes them from the tensors at run time.
 */
export function buildUNet(inputShape: number[] = [1, 15, 14, 13]): tf.LayersModel {
  const input = tf.input({shape: inputShape});
  const pool = () => layers.maxPool3d({kernelSize: 2});
  const e0 = twoConv(input, 'enc0', 1, 8, instanceNorm);
  const e1 = twoConv(apply(pool(), e0), 'enc1', 8, 16, batchNorm);
  const b = twoConv(apply(pool(), e1), 'bottleneck', 16, 32, groupNorm);
  const u1 = apply(layers.upsample({size: e1.shape.slice(2) as number[], mode: 'nearest'}), b);
  const d1 = twoConv(apply(tf.layers.concatenate({axis: 1}), [e1, u1]), 'dec1', 48, 16, batchNorm);
  let u0 = apply(layers.convTranspose3d({name: 'up0', inChannels: 16, outChannels: 8,
                                         kernelSize: 2, stride: 2}), d1);
  // MONAI's UpCat: replicate-pad by one at the end of each axis where e0 is odd-sized.
  const pad: number[] = [];
  for (let axis = 4; axis >= 2; axis--) pad.push(0, e0.shape[axis] === u0.shape[axis] ? 0 : 1);
  u0 = apply(layers.pad({pad, mode: 'replicate'}), u0);
  const d0 = twoConv(apply(tf.layers.concatenate({axis: 1}), [e0, u0]), 'dec0', 16, 8,
                     instanceNorm);
  const y = apply(layers.conv3d({name: 'head', inChannels: 8, outChannels: 2, kernelSize: 1}), d0);
  return tf.model({name: 'unet3d', inputs: input, outputs: y});
}

/**
 * PyTorch (make_model_assets.py, Generator.forward):
 *   x = fc(z).view(-1, 32, 2, 2, 2); x = relu(bn0(up0(x))); x = leaky_relu(in1(up1(x)), 0.2)
 *   x = relu(gn(conv(x)));  return sigmoid(head(x))
 * `view` is tfjs' reshape: both are row-major, so [N, 256] → [N, 32, 2, 2, 2] is the same.
 */
export function buildGenerator(zDim = 16): tf.LayersModel {
  const z = tf.input({shape: [zDim]});
  let x = apply(layers.linear({name: 'fc', inFeatures: zDim, outFeatures: 32 * 8}), z);
  x = apply(tf.layers.reshape({targetShape: [32, 2, 2, 2]}), x);
  x = apply(layers.convTranspose3d({name: 'up0', inChannels: 32, outChannels: 16, kernelSize: 4,
                                    stride: 2, padding: 1}), x);
  x = apply(tf.layers.reLU(), apply(layers.batchNorm3d({name: 'bn0', numFeatures: 16}), x));
  x = apply(layers.convTranspose3d({name: 'up1', inChannels: 16, outChannels: 8, kernelSize: 4,
                                    stride: 2, padding: 1}), x);
  x = apply(layers.instanceNorm3d({name: 'in1', numFeatures: 8, affine: true}), x);
  x = apply(tf.layers.leakyReLU({alpha: 0.2}), x);
  x = apply(layers.conv3d({name: 'conv', inChannels: 8, outChannels: 8, kernelSize: 3,
                           padding: 'same', paddingMode: 'replicate'}), x);
  x = apply(tf.layers.reLU(), apply(layers.groupNorm({name: 'gn', numGroups: 4, numChannels: 8}), x));
  x = apply(layers.convTranspose3d({name: 'head', inChannels: 8, outChannels: 1, kernelSize: 4,
                                    stride: 2, padding: 1}), x);
  x = apply(tf.layers.activation({activation: 'sigmoid'}), x);
  return tf.model({name: 'generator', inputs: z, outputs: x});
}
