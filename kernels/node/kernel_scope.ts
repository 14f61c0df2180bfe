/**
 * How the composite kernels (kernels/node/: conv, norm, pad) call tfjs' own kernels of one backend
 * and dispose every intermediate they create, also when they throw.
 */
import {getKernel, KernelBackend, NamedAttrMap, TensorInfo} from '@tensorflow/tfjs-core';

/**
 * Calls kernels of one backend and owns what they return: `dispose()` frees every result that
 * was not handed out with `keep()`.
 */
export class KernelScope {
  private readonly owned: TensorInfo[] = [];

  constructor(
      private readonly opName: string, private readonly backendName: string,
      private readonly backend: KernelBackend) {}

  run(kernelName: string, inputs: TensorInfo[]|Record<string, TensorInfo>,
      attrs: object): TensorInfo {
    const kernel = getKernel(kernelName, this.backendName);
    if (kernel == null) {
      throw new Error(`${this.opName}: the '${this.backendName}' backend has no '${kernelName}' ` +
          `kernel, which this package's composite kernels need`);
    }
    const out = kernel.kernelFunc({
      // Concat takes an array of inputs, as tfjs' concat op passes it.
      inputs: inputs as unknown as Record<string, TensorInfo>,
      backend: this.backend,
      attrs: attrs as NamedAttrMap,
    }) as TensorInfo;
    this.owned.push(out);
    return out;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', {x}, {perm});
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', {x}, {shape});
  }

  /** Zero padding; `x` itself when there is none. */
  pad(x: TensorInfo, paddings: Array<[number, number]>): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', {x}, {paddings, constantValue: 0});
  }

  /** `x` itself when the slice is the whole tensor. */
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every(b => b === 0) && size.every((s, i) => s === x.shape[i])) return x;
    return this.run('Slice', {x}, {begin, size});
  }

  /** Entries [start, start + count) of `axis`. */
  sliceAxis(x: TensorInfo, axis: number, start: number, count: number): TensorInfo {
    const begin = x.shape.map((_, i) => i === axis ? start : 0);
    const size = x.shape.map((s, i) => i === axis ? count : s);
    return this.slice(x, begin, size);
  }

  /** Channels [start, start + count) of a channels-last tensor. */
  sliceLast(x: TensorInfo, start: number, count: number): TensorInfo {
    return this.sliceAxis(x, x.shape.length - 1, start, count);
  }

  concatLast(parts: TensorInfo[]): TensorInfo {
    if (parts.length === 1) return parts[0];
    return this.run('Concat', parts, {axis: parts[0].shape.length - 1});
  }

  /** Zeros of `shape`, e.g. the empty result of an empty batch. */
  zeros(shape: number[]): TensorInfo {
    return this.run('Fill', {}, {shape, value: 0, dtype: 'float32'});
  }

  /** Hands `t` out: it is not disposed with the scope. */
  keep(t: TensorInfo): TensorInfo {
    const i = this.owned.indexOf(t);
    if (i >= 0) this.owned.splice(i, 1);
    return t;
  }

  dispose() {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }
}

/** Runs `body` in a fresh scope; disposes every intermediate, whether it returns or throws. */
export function scoped<S extends KernelScope = KernelScope>(
    opName: string, backendName: string, backend: KernelBackend, body: (s: S) => TensorInfo,
    Scope: new (opName: string, backendName: string, backend: KernelBackend) => S =
        KernelScope as never): TensorInfo {
  const s = new Scope(opName, backendName, backend);
  try {
    return body(s);
  } finally {
    s.dispose();
  }
}
