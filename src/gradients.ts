/**
 * Gradients of our kernels, registered once by kernel name and built from our ops, so they work
 * on every backend that has the three convolution kernels, and are themselves differentiable
 * (double backward): each convolution kernel's gradient uses only the other two plus slice and
 * the bias gradient (our BiasGrad kernel where the backend has it, else sum); BiasGrad's own
 * gradient is a broadcast.
 */
import {broadcastTo, engine, getBackend, getKernel, GradConfig, registerGradient, reshape, slice, sum, Tensor, zeros} from '@tensorflow/tfjs-core';
import {conv3d} from './conv3d.js';
import {convTranspose3d} from './conv_transpose3d.js';
import {convTranspose3dWeightGrad} from './conv_transpose3d_weight_grad.js';
import {conv3dInfo, ConvTranspose3DAttrs, fmtShape, infoFromAttrs} from './geometry.js';
import {BiasGrad, Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad} from './kernel_names.js';

/**
 * conv3d's output can exceed the small side when outputPadding ≥ stride: crop it (spatially; N
 * and C already match). The slice is done on [N·C, D, H, W] because its gradient is a pad, and
 * tfjs-webgl 4.22's packed pad shader does not compile for rank 5 (it uses an `ivec5`).
 */
function cropTo(t: Tensor, shape: number[]): Tensor {
  if (t.shape.every((s, i) => s === shape[i])) return t;
  const [n, c, ...spatial] = t.shape as number[];
  const cropped = slice(reshape(t, [n * c, ...spatial]), [0, 0, 0, 0], [n * c, ...shape.slice(2)]);
  return reshape(cropped, shape);
}

/**
 * Refuses an upstream gradient whose shape is not the forward result's (tfjs does not check it
 * for `tf.grads(f)(args, dy)`), naming dy, before any of the gradient ops would fail on it with
 * a message about their own arguments.
 */
function checkDy(opName: string, dy: Tensor, expected: readonly number[], what = 'dy') {
  if (dy.shape.length !== expected.length || dy.shape.some((s, i) => s !== expected[i])) {
    throw new Error(`${opName} (gradient): expected ${what} of shape ${fmtShape(expected)} ` +
        `(the forward output's), but got ${what} of shape ${fmtShape(dy.shape)}`);
  }
}

function convOpts(a: ConvTranspose3DAttrs) {
  return {stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups};
}

/**
 * Σ over N, D, H, W: our BiasGrad kernel where the backend has one (cpu, wasm, webgpu), else
 * tfjs' sum.
 * Summing the last axis of [N, C, D·H·W] first avoids the full transpose that tfjs' cpu backend
 * performs to reduce inner axes.
 */
const biasGrad = (dy: Tensor) => {
  const [n, c, d, h, w] = dy.shape as number[];
  // tfjs-webgl 4.22 cannot reduce an empty tensor (its sum divides 0 by 0 to get a batch size).
  if (n === 0) return zeros([c]);
  if (getKernel(BiasGrad, getBackend()) != null) {
    return engine().runKernel(BiasGrad, {dy}) as Tensor;
  }
  return sum(sum(reshape(dy, [n, c, d * h * w]), 2), 0);
};

/**
 * BiasGrad's own gradient (double backward): the upstream gradient broadcast over dy. Broadcast
 * as [N, C, D·H·W] (tfjs-webgpu 4.22's rank-5 Tile does not compile).
 */
export const biasGradGradConfig: GradConfig = {
  kernelName: BiasGrad,
  inputsToSave: ['dy'],
  gradFunc: (ddb, saved) => {
    const [dy] = saved;
    const [n, c, ...spatial] = dy.shape as number[];
    const flat = [n, c, spatial.reduce((a, b) => a * b, 1)];
    return {dy: () => reshape(broadcastTo(reshape(ddb as Tensor, [1, c, 1]), flat), dy.shape)};
  },
};

export const convTranspose3dGradConfig: GradConfig = {
  kernelName: ConvTranspose3D,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy, saved, attrs) => {
    const [x, weight] = saved;
    const a = attrs as unknown as ConvTranspose3DAttrs;
    const $dy = dy as Tensor;
    checkDy('convTranspose3d', $dy,
            infoFromAttrs('convTranspose3d', x.shape, weight.shape, a).outShape);
    return {
      x: () => cropTo(conv3d($dy, weight, null, convOpts(a)), x.shape),
      weight: () => convTranspose3dWeightGrad(x, $dy, weight.shape.slice(2), a),
      bias: () => biasGrad($dy),
    };
  },
};

export const conv3dGradConfig: GradConfig = {
  kernelName: Conv3D,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy, saved, attrs) => {
    const [x, weight] = saved;
    const a = attrs as unknown as ConvTranspose3DAttrs;
    const $dy = dy as Tensor;
    checkDy('conv3d', $dy, conv3dInfo('conv3d', x.shape, weight.shape, null, convOpts(a)).inShape);
    return {
      x: () => convTranspose3d($dy, weight, null, {...convOpts(a), outputSize: x.shape}),
      weight: () => convTranspose3dWeightGrad($dy, x, weight.shape.slice(2), convOpts(a)),
      bias: () => biasGrad($dy),
    };
  },
};

export const weightGradGradConfig: GradConfig = {
  kernelName: ConvTranspose3DWeightGrad,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved;
    const a = attrs as unknown as ConvTranspose3DAttrs&{kernelSize: number[]};
    const $ddw = ddw as Tensor;
    checkDy('convTranspose3dWeightGrad', $ddw,
            [x.shape[1] as number, (dy.shape[1] as number) / a.groups, ...a.kernelSize],
            'the upstream gradient');
    return {
      x: () => cropTo(conv3d(dy, $ddw, null, convOpts(a)), x.shape),
      dy: () => convTranspose3d(x, $ddw, null, {...convOpts(a), outputPadding: a.outputPadding}),
    };
  },
};

for (const config of [convTranspose3dGradConfig, conv3dGradConfig, weightGradGradConfig,
                      biasGradGradConfig]) {
  registerGradient(config);
}

// Pooling and interpolation (issue 14): their gradients live in pooling_gradients.ts and are
// registered here, in a module the bundler keeps for its side effects.
import {poolingGradConfigs} from './pooling_gradients.js';
for (const config of poolingGradConfigs) registerGradient(config);
// Normalisation kernels' gradients (src/normalization.ts).
import {normGradConfigs} from './normalization.js';
for (const config of normGradConfigs) registerGradient(config);
