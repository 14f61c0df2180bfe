/**
 * Pad and PadGrad composed from tfjs' own kernels of one backend (Slice, Reverse, Tile, Concat,
 * PadV2, Sum, Add, Fill, Reshape), for `tensorflow` (tfjs-node), where each is one native op. One padded
 * axis at a time (the padding is separable): the forward concatenates [border, kept part,
 * border]; the adjoint adds each border's gradient back onto the input elements it was read
 * from (reversed for reflect, summed for replicate, shifted for circular).
 * Every intermediate TensorInfo is disposed inside the kernel, also when it throws.
 */
import {getKernel, KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';
import {Pad, PadAttrs, PadGrad, PadGradAttrs} from '../../src/kernel_names.js';
import {padInfo} from '../../src/padding.js';

class Scope {
  private readonly owned: TensorInfo[] = [];
  constructor(readonly backendName: string, readonly backend: KernelBackend) {}

  run(name: string, inputs: TensorInfo[]|Record<string, TensorInfo>, attrs: object): TensorInfo {
    const kernel = getKernel(name, this.backendName);
    if (kernel == null) {
      throw new Error(`pad: the '${this.backendName}' backend has no '${name}' kernel, which ` +
          `this package's composite kernels need`);
    }
    const out = kernel.kernelFunc({inputs: inputs as Record<string, TensorInfo>,
                                   backend: this.backend, attrs: attrs as NamedAttrMap}) as
        TensorInfo;
    this.owned.push(out);
    return out;
  }
  /** Entries [start, start + count) of axis `dim`. */
  slice(x: TensorInfo, dim: number, start: number, count: number): TensorInfo {
    if (start === 0 && count === x.shape[dim]) return x;
    return this.run('Slice', {x}, {begin: x.shape.map((_, i) => i === dim ? start : 0),
                                   size: x.shape.map((s, i) => i === dim ? count : s)});
  }
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
  keep(t: TensorInfo): TensorInfo {
    const i = this.owned.indexOf(t);
    if (i >= 0) this.owned.splice(i, 1);
    return t;
  }
  dispose() {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
  }
}

function scoped(backendName: string, backend: unknown, body: (s: Scope) => TensorInfo) {
  const s = new Scope(backendName, backend as KernelBackend);
  try {
    return body(s);
  } finally {
    s.dispose();
  }
}

const empty = (shape: number[]) => shape.some(d => d === 0);

function padKernel(backendName: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {x} = inputs as {x: TensorInfo};
    const a = attrs as unknown as PadAttrs;
    const info = padInfo('pad', x.shape, a.pad, a.mode);
    return scoped(backendName, backend, s => {
      if (empty(info.outShape) || empty(x.shape)) {
        return s.keep(s.run('Fill', {}, {shape: info.outShape, value: a.value, dtype: x.dtype}));
      }
      const k = info.axes.length, first = x.shape.length - k;
      let t = x;
      info.axes.forEach((ax, i) => {
        const dim = first + i;
        const kept = s.slice(t, dim, ax.s, ax.C);
        if (a.mode === 'constant') {
          t = s.padAxis(kept, dim, Math.max(ax.pl, 0), Math.max(ax.pr, 0), a.value);
          return;
        }
        const pl = Math.max(ax.pl, 0), pr = Math.max(ax.pr, 0);
        let left: TensorInfo|null = null, right: TensorInfo|null = null;
        if (a.mode === 'reflect') {
          if (pl > 0) left = s.reverse(s.slice(t, dim, 1, pl), dim);
          if (pr > 0) right = s.reverse(s.slice(t, dim, ax.W - 1 - pr, pr), dim);
        } else if (a.mode === 'replicate') {
          const reps = (n: number) => t.shape.map((_, j) => j === dim ? n : 1);
          if (pl > 0) left = s.run('Tile', {x: s.slice(t, dim, 0, 1)}, {reps: reps(pl)});
          if (pr > 0) right = s.run('Tile', {x: s.slice(t, dim, ax.W - 1, 1)}, {reps: reps(pr)});
        } else {  // circular: the borders wrap around the kept part
          if (pl > 0) left = s.slice(kept, dim, ax.C - pl, pl);
          if (pr > 0) right = s.slice(kept, dim, 0, pr);
        }
        const parts = [left, kept, right].filter((p): p is TensorInfo => p != null);
        t = parts.length === 1 ? kept : s.run('Concat', parts, {axis: dim});
      });
      return s.keep(t === x ? s.run('Reshape', {x}, {shape: x.shape}) : t);
    });
  };
}

function padGradKernel(backendName: string): KernelFunc {
  return ({inputs, backend, attrs}) => {
    const {dy} = inputs as {dy: TensorInfo};
    const a = attrs as unknown as PadGradAttrs;
    const info = padInfo('pad (gradient)', a.inShape, a.pad, a.mode);
    return scoped(backendName, backend, s => {
      if (empty(info.outShape) || empty(info.inShape)) {
        return s.keep(s.run('Fill', {}, {shape: info.inShape, value: 0, dtype: 'float32'}));
      }
      const k = info.axes.length, first = info.inShape.length - k;
      let t = dy;
      info.axes.forEach((ax, i) => {
        const dim = first + i, W = ax.W;
        const pl = Math.max(ax.pl, 0), pr = Math.max(ax.pr, 0);
        let dx = s.padAxis(s.slice(t, dim, pl, ax.C), dim, ax.s, W - ax.s - ax.C);
        const add = (part: TensorInfo) => {
          dx = s.run('Add', {a: dx, b: part}, {});
        };
        if (a.mode !== 'constant') {
          const left = pl > 0 ? s.slice(t, dim, 0, pl) : null;
          const right = pr > 0 ? s.slice(t, dim, pl + ax.C, pr) : null;
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
    });
  };
}

export function padCompositeKernelConfigs(backendName: string): KernelConfig[] {
  return [
    {kernelName: Pad, backendName, kernelFunc: padKernel(backendName)},
    {kernelName: PadGrad, backendName, kernelFunc: padGradKernel(backendName)},
  ];
}
