/**
 * The normalisation kernels composed from tfjs' own kernels of one backend (Reshape, Mean, Sub,
 * Square, Multiply, Add), looked up by name and called directly: for `tensorflow` (tfjs-node, where
 * each is one native TensorFlow op with its own broadcasting) and any backend with those kernels.
 * Statistics are two-pass (mean, then the mean of squared deviations) in the backend's float32.
 */
import type {KernelBackend, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {NormAffine, NormRowSums, NormStats, NormStatsAttrs} from '../../src/kernel_names.js';
import {normParamPerSample, normRowSumsPerSample, normStatsShape, normView} from '../cpu/normalization.js';
import {KernelScope, scoped} from './kernel_scope.js';

function normStatsKernel(backendName: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as {x: TensorInfo};
    const a = attrs as unknown as NormStatsAttrs;
    const outShape = normStatsShape(x.shape, a);
    const [n, c, s] = normView(NormStats, x.shape);
    const g = a.groups;
    const statsOf = (sc: KernelScope) => {
      const x3 = sc.reshape(x, [n, g, (c / g) * s]);
      const axis = a.perSample ? [2] : [0, 2];
      const mean = sc.run('Mean', {x: x3}, {axis, keepDims: true});
      const d = sc.run('Sub', {a: x3, b: mean}, {});
      const variance = sc.run('Mean', {x: sc.run('Square', {x: d}, {})}, {axis, keepDims: false});
      return [sc.reshape(mean, outShape), sc.reshape(variance, outShape)];
    };
    // Two outputs: one scope keeps both (scoped() hands out one).
    const sc = new KernelScope('normStats', backendName, backend as KernelBackend);
    try {
      return statsOf(sc).map(t => sc.keep(t));
    } finally {
      sc.dispose();
    }
  };
}

function normAffineKernel(backendName: string): KernelFunc {
  return ({inputs, backend}) => {
    const {x, mean, scale, shift} = inputs as unknown as
        {x: TensorInfo, mean?: TensorInfo, scale: TensorInfo, shift?: TensorInfo};
    const [n, c, s] = normView(NormAffine, x.shape);
    return scoped('normAffine', backendName, backend as KernelBackend, sc => {
      const col = (what: string, t: TensorInfo) =>
          sc.reshape(t, normParamPerSample(x.shape, what, t.shape) ? [n, c, 1] : [1, c, 1]);
      const m = mean && col('mean', mean), a = col('scale', scale);
      const b = shift && col('shift', shift);
      let y = sc.reshape(x, [n, c, s]);
      if (m) y = sc.run('Sub', {a: y, b: m}, {});
      y = sc.run('Multiply', {a: y, b: a}, {});
      if (b) y = sc.run('Add', {a: y, b}, {});
      return sc.keep(sc.reshape(y, [...x.shape]));
    });
  };
}

function normRowSumsKernel(backendName: string): KernelFunc {
  return ({inputs, backend}) => {
    const {dy, x, mean} = inputs as {dy: TensorInfo, x: TensorInfo, mean: TensorInfo};
    const perSample = normRowSumsPerSample(dy.shape, x.shape, mean.shape);
    const [n, c, s] = normView(NormRowSums, x.shape);
    const sc = new KernelScope('normRowSums', backendName, backend as KernelBackend);
    try {
      const dy3 = sc.reshape(dy, [n, c, s]);
      const centred = sc.run('Sub', {a: sc.reshape(x, [n, c, s]),
                                     b: sc.reshape(mean, perSample ? [n, c, 1] : [1, c, 1])}, {});
      const sumOf = (t: TensorInfo) => sc.run('Sum', {x: t}, {axis: [2], keepDims: false});
      const sums = [sumOf(dy3), sumOf(sc.run('Multiply', {a: dy3, b: centred}, {}))];
      return sums.map(t => sc.keep(t));
    } finally {
      sc.dispose();
    }
  };
}

/** The normalisation kernels of the composite implementation for one backend. */
export function normCompositeKernelConfigs(backendName: string): KernelConfig[] {
  return [
    {kernelName: NormStats, backendName, kernelFunc: normStatsKernel(backendName)},
    {kernelName: NormAffine, backendName, kernelFunc: normAffineKernel(backendName)},
    {kernelName: NormRowSums, backendName, kernelFunc: normRowSumsKernel(backendName)},
  ];
}
