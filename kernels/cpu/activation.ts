/**
 * tfjs-backend-cpu's own `LeakyRelu` kernel, replaced by a bit-identical one on WebAssembly SIMD.
 *
 * Why: a ported PyTorch 3-D network keeps tfjs' activations (`tf.layers.leakyReLU({alpha: 0.01})`,
 * the porting guide), and tfjs' cpu loop `x < 0 ? alpha * x : x` mispredicts a branch on every
 * other element of a feature map of mixed sign: ~1 ms of the demo U-Net's ~5 ms forward. The
 * replacement computes exactly what that loop computes (the product in float64 rounded once to
 * float32; x itself for 0, −0, NaN and positive x) without a branch, 5–10× faster.
 *
 * Decision (README, "What importing the package changes"): this is the one tfjs kernel the
 * package replaces, and only on the `cpu` backend, only when tfjs' cpu kernels are registered
 * before the package is imported (the usual `import * as tf from '@tensorflow/tfjs'` first);
 * otherwise tfjs' kernel stays. Everything our replacement does not cover goes to tfjs' kernel
 * unchanged: inputs that are not float32, `setCpuImplementation('js')`, no WebAssembly SIMD.
 * Its gradient is tfjs' (registered by op name, not by kernel).
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {getCpuImplementation} from './dispatch.js';
import {poolWasm, wasmLeakyRelu} from '../simd/pool_simd.js';
import type {TypedArrayBackend} from './kernels.js';

/** Marks our replacement, so that a second build of the package (ESM beside CJS) keeps it. */
const MARK = Symbol.for('tfjs-convtranspose3d.LeakyRelu');

export function isOurLeakyRelu(config: KernelConfig): boolean {
  return (config.kernelFunc as unknown as Record<symbol, unknown>)[MARK] === true;
}

/** The replacement for `original` (tfjs-backend-cpu's LeakyRelu config). */
export function leakyReluConfig(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = args => {
    const x = (args.inputs as {x: TensorInfo}).x;
    const alpha = (args.attrs as {alpha?: unknown}).alpha;
    const m = getCpuImplementation() === 'wasm' ? poolWasm() : null;
    if (m == null || x?.dtype !== 'float32' || typeof alpha !== 'number') {
      return original.kernelFunc(args);
    }
    const b = args.backend as TypedArrayBackend;
    const v = b.readSync(x.dataId);
    if (!(v instanceof Float32Array)) return original.kernelFunc(args);
    return b.makeTensorInfo(x.shape, 'float32',
                            wasmLeakyRelu(m, v, alpha, new Float32Array(v.length)));
  };
  (kernelFunc as unknown as Record<symbol, unknown>)[MARK] = true;
  return {...original, kernelFunc};
}
