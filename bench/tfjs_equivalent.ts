/**
 * tfjs' own conv3dTranspose doing the same job as our convTranspose3d, shared by the Node and the
 * browser benches so that both compare against the same thing.
 */
import * as tf from '@tensorflow/tfjs-core';
import {convTranspose3dInfo} from '../src/geometry.js';
import type {BenchShape} from './shapes.js';

/**
 * y + b over the channels-last axis, as a 2-D broadcast: the same work as tf.add(y, b), but
 * tfjs-webgpu 4.22's rank-5 broadcasting add does not compile (`vec5`) and returns wrong numbers.
 */
function addBias(y: tf.Tensor, b: tf.Tensor1D): tf.Tensor {
  const c = b.shape[0];
  return tf.reshape(tf.add(tf.reshape(y, [-1, c]), b), y.shape);
}

function triple(v: number|number[]|undefined, d: number): number[] {
  return v == null ? [d, d, d] : typeof v === 'number' ? [v, v, v] : v;
}

/**
 * tfjs' conv3dTranspose doing the same job: NCDHW→NDHWC, weight → [kD,kH,kW,Cout/g,Cin], groups
 * by split/concat, dilation by a zero-inserted filter, padding/outputPadding by a 'valid'
 * transposed conv then a slice, bias by add, back to NCDHW. Null if it cannot be expressed.
 */
export function tfjsEquivalent(s: BenchShape, x: tf.Tensor5D, w: tf.Tensor5D, b: tf.Tensor1D):
    (() => tf.Tensor)|null {
  const info = convTranspose3dInfo('bench', x.shape, w.shape, b.shape, s.options);
  const st = triple(s.options.stride, 1) as [number, number, number];
  const pad = info.padding, op = info.outputPadding, dil = info.dilation;
  if (pad.some((p, i) => p < op[i])) return null;  // the 'valid' result would be too small
  const g = info.groups;
  // Zero-inserted (dilated) filters in tfjs layout, prepared once (weights are constants).
  const k = info.kernelSize.map((kk, i) => dil[i] * (kk - 1) + 1);
  const filters = tf.tidy(() => {
    let f = tf.transpose(w, [2, 3, 4, 1, 0]);  // [kD,kH,kW,Cout/g,Cin]
    if (dil.some(d => d > 1)) {
      const buf = tf.buffer([k[0], k[1], k[2], f.shape[3], f.shape[4]]);
      const src = f.arraySync() as number[][][][][];
      src.forEach((a, i) => a.forEach((bb, j) => bb.forEach((c, l) => c.forEach((dd, m) =>
          dd.forEach((v, n) => buf.set(v, i * dil[0], j * dil[1], l * dil[2], m, n))))));
      f = buf.toTensor() as tf.Tensor5D;
    }
    return tf.split(f, g, 4) as tf.Tensor5D[];
  });
  const full = info.inSize.map((n, i) => (n - 1) * st[i] + k[i]);
  const fn = () => tf.tidy(() => {
    const xl = tf.transpose(x, [0, 2, 3, 4, 1]) as tf.Tensor5D;
    const parts = g === 1 ? [xl] : tf.split(xl, g, 4) as tf.Tensor5D[];
    const ys = parts.map((p, i) => tf.conv3dTranspose(
        p, filters[i], [x.shape[0], full[0], full[1], full[2], info.outChannelsPerGroup],
        st, 'valid'));
    const y = g === 1 ? ys[0] : tf.concat(ys, 4);
    const cropped = tf.slice(y, [0, pad[0], pad[1], pad[2], 0],
                             [-1, info.outSize[0], info.outSize[1], info.outSize[2], -1]);
    return tf.transpose(addBias(cropped, b), [0, 4, 1, 2, 3]);
  });
  return fn;
}

/**
 * Forward + backward of the same job in tfjs, for groups = 1 and no dilation (else null). tfjs
 * registers no gradient for conv3dTranspose (Conv3DBackpropInputV2), so the backward is spelled
 * out as the kernels autograd would run: dInput = conv3d(dy, filter), dFilter =
 * Conv3DBackpropFilterV2(dy, input), dBias = Σ dy, with dy the upstream gradient of Σ output
 * (ones; its value does not change the work).
 */
export function tfjsForwardBackward(s: BenchShape, x: tf.Tensor5D, w: tf.Tensor5D, b: tf.Tensor1D):
    (() => tf.Tensor[])|null {
  const info = convTranspose3dInfo('bench', x.shape, w.shape, b.shape, s.options);
  const st = info.stride, pad = info.padding, k = info.kernelSize;
  if (info.groups !== 1 || info.dilation.some(d => d > 1) ||
      pad.some((p, i) => p < info.outputPadding[i])) {
    return null;
  }
  const full = info.inSize.map((n, i) => (n - 1) * st[i] + k[i]);
  const [n, c] = [x.shape[0], info.outChannels];
  const [oD, oH, oW] = info.outSize;
  return () => tf.tidy(() => {
    const xl = tf.transpose(x, [0, 2, 3, 4, 1]) as tf.Tensor5D;
    const f = tf.transpose(w, [2, 3, 4, 1, 0]) as tf.Tensor5D;
    const yFull = tf.conv3dTranspose(xl, f, [n, full[0], full[1], full[2], c], st, 'valid');
    const y4 = tf.reshape(yFull, [n, full[0], full[1], full[2] * c]);
    const cropped = tf.slice(y4, [0, pad[0], pad[1], pad[2] * c], [n, oD, oH, oW * c]);
    const y = tf.transpose(addBias(tf.reshape(cropped, [n, oD, oH, oW, c]), b), [0, 4, 1, 2, 3]);
    const dy = tf.onesLike(yFull);
    const dx = tf.transpose(tf.conv3d(dy, f, st, 'valid'), [0, 4, 1, 2, 3]);
    const df = tf.engine().runKernel('Conv3DBackpropFilterV2', {x: dy, dy: xl},
                                     {strides: st, pad: 'valid', filterShape: f.shape}) as tf.Tensor;
    const dw = tf.transpose(df, [4, 3, 0, 1, 2]);
    const db = tf.sum(tf.reshape(dy, [-1, c]), 0);
    return [y, dx, dw, db];
  });
}
