/** `linear(x, weight, bias?)`: PyTorch's `torch.nn.functional.linear`, y = x·weightᵀ + bias. */
import {add, matMul, mul, op, reshape, sum, Tensor, TensorLike, transpose} from '@tensorflow/tfjs-core';
import {conv3d} from './conv3d.js';
import {fmtShape} from './geometry.js';
import {toFloatTensor} from './op_util.js';

/**
 * @param input `[…, inFeatures]` (any number of leading axes, or none).
 * @param weight `[outFeatures, inFeatures]` (PyTorch's layout), or `[inFeatures]` (a dot product
 *   over the last axis, as PyTorch).
 * @param bias `[outFeatures]`, optional.
 * @returns `[…, outFeatures]` (`[…]` for a 1-D weight).
 */
function linear_<T extends Tensor>(
    input: T|TensorLike, weight: Tensor|TensorLike, bias?: Tensor|TensorLike|null): T {
  const x = toFloatTensor(input, 'input', 'linear');
  const w = toFloatTensor(weight, 'weight', 'linear');
  const b = bias == null ? null : toFloatTensor(bias, 'bias', 'linear');
  if (x.rank === 0) {
    throw new Error(`linear: both arguments to matmul need to be at least 1D, but got input ` +
        `of shape [] (a scalar)`);
  }
  if (w.rank !== 1 && w.rank !== 2) {
    throw new Error(`linear: t() expects a tensor with <= 2 dimensions, but weight is ` +
        `${w.rank}D (shape ${fmtShape(w.shape)})`);
  }
  const k = x.shape[x.rank - 1];
  const lead = x.shape.slice(0, -1);
  const m = lead.reduce((p, q) => p * q, 1);
  if (w.shape[w.rank - 1] !== k) {
    // PyTorch's message shows the flattened input and weightᵀ.
    const wt = w.rank === 2 ? `${w.shape[1]}x${w.shape[0]}` : `${w.shape[0]}`;
    throw new Error(`linear: mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${wt}) ` +
        `(input of shape ${fmtShape(x.shape)}, weight of shape ${fmtShape(w.shape)}: weight ` +
        `must be [outFeatures, ${k}])`);
  }
  const out = w.rank === 2 ? w.shape[0] : null;
  if (b != null && !(b.rank <= 1 && (b.rank === 0 || b.shape[0] === (out ?? 1)))) {
    throw new Error(`linear: argument 'bias' must have shape [${out ?? ''}], but got ` +
        fmtShape(b.shape));
  }
  if (out == null) {
    // On [m, k], not x's rank: tfjs-webgpu 4.22 gets a rank-5 tensor times a short 1-D one wrong
    // (its shared-memory broadcast indexes a vec5), silently.
    const y = sum(mul(reshape(x, [m, k]), w), -1);
    return reshape(b == null ? y : add(y, b), lead) as T;
  }
  if (m === 0 || k === 0 || out === 0) {
    const y = matMul(reshape(x, [m, k]), w, false, true);
    return reshape(b == null ? y : add(y, b), [...lead, out]) as T;
  }
  // A 1×1×1 convolution over m positions with k input and `out` output channels: our conv
  // kernels (the WebAssembly SIMD core on cpu) instead of tfjs' cpu matMul, which runs
  // [256, 1024]·[1024, 1024] about 100× slower than PyTorch. The transposes are O(m·(k + out)).
  const x5 = reshape(transpose(reshape(x, [m, k])), [1, k, 1, 1, m]);
  const inConv = b != null && b.rank === 1 ? b : null;  // a scalar bias broadcasts after
  const y5 = conv3d(x5, reshape(w, [out, k, 1, 1, 1]), inConv);
  const y = reshape(transpose(reshape(y5, [out, m])), [...lead, out]);
  return (b == null || inConv != null ? y : add(y, b)) as T;
}

export const linear = op({linear_});
