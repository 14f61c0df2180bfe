/**
 * Pad and PadGrad composed from tfjs' own kernels of one backend (Slice, Reverse, Tile, Concat,
 * PadV2, Sum, Add, Fill, Reshape), for `tensorflow` (tfjs-node), where each is one native op. One padded
 * axis at a time (the padding is separable): the forward concatenates [border, kept part,
 * border]; the adjoint adds each border's gradient back onto the input elements it was read
 * from (reversed for reflect, summed for replicate, shifted for circular).
 * Every intermediate TensorInfo is disposed inside the kernel, also when it throws.
 */
import {KernelBackend, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {KernelScope, scoped} from './kernel_scope.js';
import {Pad, PadAttrs, PadGrad, PadGradAttrs} from '../../src/kernel_names.js';
import {padInfo} from '../../src/padding.js';

/** KernelScope with the axis operations the separable pad needs. */
class Scope extends KernelScope {
  /** Zeros `before` and `after` along `dim`. */
  padAxis(x: TensorInfo, dim: number, before: number, after: number, value = 0): TensorInfo {
    if (before === 0 && after === 0) return x;
    return this.run('PadV2', {x}, {
      paddings: x.shape.map((_, i) => i === dim ? [before, after] : [0, 0]),
      constantValue: value,
    });
  }
  reverse(x: TensorInfo, dim: number): TensorInfo {
    return this.run('Reverse', {x}, {dims: [dim]});
  }
}

const empty = (shape: number[]) => shape.some(d => d === 0);

function padKernel(backendName: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as {x: TensorInfo};
    const a = attrs as unknown as PadAttrs;
    const info = padInfo('pad', x.shape, a.pad, a.mode);
    return scoped<Scope>('pad', backendName, backend as KernelBackend, s => {
      if (empty(info.outShape) || empty(x.shape)) {
        return s.keep(s.run('Fill', {}, {shape: info.outShape, value: a.value, dtype: x.dtype}));
      }
      const k = info.axes.length, first = x.shape.length - k;
      let t = x;
      info.axes.forEach((ax, i) => {
        const dim = first + i;
        const kept = s.sliceAxis(t, dim, ax.s, ax.C);
        if (a.mode === 'constant') {
          t = s.padAxis(kept, dim, Math.max(ax.pl, 0), Math.max(ax.pr, 0), a.value);
          return;
        }
        const pl = Math.max(ax.pl, 0), pr = Math.max(ax.pr, 0);
        let left: TensorInfo|null = null, right: TensorInfo|null = null;
        if (a.mode === 'reflect') {
          if (pl > 0) left = s.reverse(s.sliceAxis(t, dim, 1, pl), dim);
          if (pr > 0) right = s.reverse(s.sliceAxis(t, dim, ax.W - 1 - pr, pr), dim);
        } else if (a.mode === 'replicate') {
          const reps = (n: number) => t.shape.map((_, j) => j === dim ? n : 1);
          if (pl > 0) left = s.run('Tile', {x: s.sliceAxis(t, dim, 0, 1)}, {reps: reps(pl)});
          if (pr > 0) right = s.run('Tile', {x: s.sliceAxis(t, dim, ax.W - 1, 1)}, {reps: reps(pr)});
        } else {  // circular: the borders wrap around the kept part
          if (pl > 0) left = s.sliceAxis(kept, dim, ax.C - pl, pl);
          if (pr > 0) right = s.sliceAxis(kept, dim, 0, pr);
        }
        const parts = [left, kept, right].filter((p): p is TensorInfo => p != null);
        t = parts.length === 1 ? kept : s.run('Concat', parts, {axis: dim});
      });
      return s.keep(t === x ? s.run('Reshape', {x}, {shape: x.shape}) : t);
    }, Scope);
  };
}

function padGradKernel(backendName: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {dy} = inputs as {dy: TensorInfo};
    const a = attrs as unknown as PadGradAttrs;
    const info = padInfo('pad (gradient)', a.inShape, a.pad, a.mode);
    return scoped<Scope>('pad', backendName, backend as KernelBackend, s => {
      if (empty(info.outShape) || empty(info.inShape)) {
        return s.keep(s.run('Fill', {}, {shape: info.inShape, value: 0, dtype: 'float32'}));
      }
      const k = info.axes.length, first = info.inShape.length - k;
      let t = dy;
      info.axes.forEach((ax, i) => {
        const dim = first + i, W = ax.W;
        const pl = Math.max(ax.pl, 0), pr = Math.max(ax.pr, 0);
        let dx = s.padAxis(s.sliceAxis(t, dim, pl, ax.C), dim, ax.s, W - ax.s - ax.C);
        const add = (part: TensorInfo) => {
          dx = s.run('Add', {a: dx, b: part}, {});
        };
        if (a.mode !== 'constant') {
          const left = pl > 0 ? s.sliceAxis(t, dim, 0, pl) : null;
          const right = pr > 0 ? s.sliceAxis(t, dim, pl + ax.C, pr) : null;
          if (a.mode === 'reflect') {
            if (left) add(s.padAxis(s.reverse(left, dim), dim, 1, W - 1 - pl));
            if (right) add(s.padAxis(s.reverse(right, dim), dim, W - 1 - pr, 1));
          } else if (a.mode === 'replicate') {
            const sum = (p: TensorInfo) => s.run('Sum', {x: p}, {axis: [dim], keepDims: true});
            if (left) add(s.padAxis(sum(left), dim, 0, W - 1));
            if (right) add(s.padAxis(sum(right), dim, W - 1, 0));
          } else {
            if (left) add(s.padAxis(left, dim, ax.s + ax.C - pl, W - ax.s - ax.C));
            if (right) add(s.padAxis(right, dim, ax.s, W - ax.s - pr));
          }
        }
        t = dx;
      });
      return s.keep(t === dy ? s.run('Reshape', {x: dy}, {shape: dy.shape}) : t);
    }, Scope);
  };
}

export function padCompositeKernelConfigs(backendName: string): KernelConfig[] {
  return [
    {kernelName: Pad, backendName, kernelFunc: padKernel(backendName)},
    {kernelName: PadGrad, backendName, kernelFunc: padGradKernel(backendName)},
  ];
}
