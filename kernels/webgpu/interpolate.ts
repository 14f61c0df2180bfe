/**
 * The `webgpu` backend's interpolation kernels, the WGSL of kernels/webgl/interpolate.ts. The
 * per-axis index/weight tables come from src/interpolate.ts `axisTable` (PyTorch's float32 index
 * rules, computed once in JS, so the GPU cannot round an index differently from the cpu) and go
 * up as two small buffers, an int32 one (forward taps i0, i1 per output index; inverse ranges
 * [oLo, oHi) per input index) and a float32 one (weights w0, w1 per output index); the shaders
 * only gather. Forward: per output element, the nested 2-tap sums of PyTorch's CPU kernel
 * (innermost axis first; nearest takes the single tap). Gradient: per input element, the
 * contiguous range of outputs along each axis that read it, each weighted by the table's weight
 * for that input. No shape is baked into the source: sizes and table offsets are uniforms.
 */
import {util} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {axisTables, InterpolateAttrs} from '../../src/interpolate.js';
import {Interpolate, InterpolateGrad, InterpolateGradKernelAttrs} from '../../src/kernel_names.js';
import {interpolateGradCheck} from '../cpu/interpolate.js';
import {FlatProgram, intUniforms, ints, runFlat} from './ops_util.js';
import {checkFitsBinding} from './webgpu_util.js';
import {COORDS} from './pooling.js';

// fwdOff: per axis, the start of its (i0, i1) pairs in `ti` and of its (w0, w1) pairs in `tw`;
// invOff: per axis, the start of its (oLo, oHi) pairs in `ti`.
const UNIFORMS = intUniforms(['inSize', 3], ['outSize', 3], ['fwdOff', 3], ['invOff', 3]);

/** The two tables of a kernel's 5-D input shape and attrs, and the uniforms that index them. */
export function interpolateTables(xShape: readonly number[], a: InterpolateAttrs) {
  const tables = axisTables(xShape, a);
  const inSize = xShape.slice(2);
  const fwdOff: number[] = [], invOff: number[] = [];
  let n = 0;
  for (const t of tables) {
    fwdOff.push(n);
    n += 2 * t.i0.length;
  }
  const weights = new Float32Array(n);
  for (let i = 0; i < 3; i++) {
    invOff.push(n);
    n += 2 * inSize[i];
  }
  const indices = new Int32Array(n);
  tables.forEach((t, ax) => {
    const f = fwdOff[ax], v = invOff[ax];
    for (let i = 0; i < inSize[ax]; i++) {
      indices[v + 2 * i] = t.i0.length;
      indices[v + 2 * i + 1] = 0;
    }
    for (let o = 0; o < t.i0.length; o++) {
      indices[f + 2 * o] = t.i0[o];
      indices[f + 2 * o + 1] = t.i1[o];
      weights[f + 2 * o] = t.w0[o];
      weights[f + 2 * o + 1] = t.w1[o];
      for (const i of [t.i0[o], t.i1[o]]) {
        indices[v + 2 * i] = Math.min(indices[v + 2 * i], o);
        indices[v + 2 * i + 1] = Math.max(indices[v + 2 * i + 1], o + 1);
      }
    }
  });
  return {indices, weights, uniforms: ints(inSize, [...a.outSize], fwdOff, invOff)};
}

function interpolateProgram(size: number, nearest: boolean): FlatProgram {
  const body = nearest ? `
    result[index] = x[base + (ti[f.x + 2 * d] * inSize.y + ti[f.y + 2 * h]) * inSize.z +
                      ti[f.z + 2 * w]];` : `
    let d0 = ti[f.x + 2 * d]; let d1 = ti[f.x + 2 * d + 1];
    let h0 = ti[f.y + 2 * h]; let h1 = ti[f.y + 2 * h + 1];
    let w0 = ti[f.z + 2 * w]; let w1 = ti[f.z + 2 * w + 1];
    let a0 = tw[f.z + 2 * w]; let a1 = tw[f.z + 2 * w + 1];
    let b0 = tw[f.y + 2 * h]; let b1 = tw[f.y + 2 * h + 1];
    let c0 = tw[f.x + 2 * d]; let c1 = tw[f.x + 2 * d + 1];
    let r00 = base + (d0 * inSize.y + h0) * inSize.z; let r01 = base + (d0 * inSize.y + h1) * inSize.z;
    let r10 = base + (d1 * inSize.y + h0) * inSize.z; let r11 = base + (d1 * inSize.y + h1) * inSize.z;
    // PyTorch's nesting: innermost (W) first.
    let t0 = b0 * (a0 * x[r00 + w0] + a1 * x[r00 + w1]) + b1 * (a0 * x[r01 + w0] + a1 * x[r01 + w1]);
    let t1 = b0 * (a0 * x[r10 + w0] + a1 * x[r10 + w1]) + b1 * (a0 * x[r11 + w0] + a1 * x[r11 + w1]);
    result[index] = c0 * t0 + c1 * t1;`;
  return new FlatProgram(`ptInterpolate_${nearest ? 'nearest' : 'linear'}`, size,
                         nearest ? ['x', 'ti'] : ['x', 'ti', 'tw'], UNIFORMS, '', `
    let inSize = uniforms.inSize; let f = uniforms.fwdOff;
${COORDS('uniforms.outSize')}
    let base = plane * inSize.x * inSize.y * inSize.z;
${body}`);
}

/** dx[i] = Σ over outputs o reading i (per axis, from the inverse ranges) of weight · dy[o]. */
function interpolateGradProgram(size: number, nearest: boolean): FlatProgram {
  // Nearest has weight 1 on its one tap (i0 = i1, w0 = 1, w1 = 0 in the table).
  const weight = nearest ? `
  if (ti[off + 2 * o] == i) { return 1.0; }
  return 0.0;` : `
  var v = 0.0;
  if (ti[off + 2 * o] == i) { v += tw[off + 2 * o]; }
  if (ti[off + 2 * o + 1] == i) { v += tw[off + 2 * o + 1]; }
  return v;`;
  const helpers = `
// The weight of input index i in output o of one axis (both taps may be i at an edge).
fn weightOf(off : i32, o : i32, i : i32) -> f32 {${weight}
}`;
  return new FlatProgram(`ptInterpolateGrad_${nearest ? 'nearest' : 'linear'}`, size,
                         nearest ? ['dy', 'ti'] : ['dy', 'ti', 'tw'], UNIFORMS, helpers, `
    let outSize = uniforms.outSize; let f = uniforms.fwdOff; let v = uniforms.invOff;
${COORDS('uniforms.inSize')}
    let base = plane * outSize.x * outSize.y * outSize.z;
    var acc = 0.0;
    for (var od = ti[v.x + 2 * d]; od < ti[v.x + 2 * d + 1]; od++) {
      let c = weightOf(f.x, od, d);
      for (var oh = ti[v.y + 2 * h]; oh < ti[v.y + 2 * h + 1]; oh++) {
        let bw = c * weightOf(f.y, oh, h);
        let row = base + (od * outSize.y + oh) * outSize.z;
        for (var ow = ti[v.z + 2 * w]; ow < ti[v.z + 2 * w + 1]; ow++) {
          acc += bw * weightOf(f.z, ow, w) * dy[row + ow];
        }
      }
    }
    result[index] = acc;`);
}

function runWithTables(backend: WebGPUBackend, program: FlatProgram, input: TensorInfo,
                       xShape: number[], a: InterpolateAttrs, outShape: number[]): TensorInfo {
  if (util.sizeFromShape(outShape) === 0 || util.sizeFromShape(input.shape) === 0) {
    return runFlat(backend, program, [input], 'float32', [], outShape);
  }
  const {indices, weights, uniforms} = interpolateTables(xShape, a);
  const ti = backend.makeTensorInfo([indices.length], 'int32', indices);
  const tw = backend.makeTensorInfo([weights.length], 'float32', weights);
  try {
    const inputs = program.variableNames.length === 3 ? [input, ti, tw] : [input, ti];
    return runFlat(backend, program, inputs, 'float32', uniforms, outShape);
  } finally {
    backend.disposeData(ti.dataId);
    backend.disposeData(tw.dataId);
  }
}

const interpolateKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as InterpolateAttrs;
  const outShape = [x.shape[0], x.shape[1], ...a.outSize];
  const b = backend as WebGPUBackend;
  checkFitsBinding(b, 'interpolate', 'output', outShape);
  return runWithTables(b, interpolateProgram(util.sizeFromShape(outShape), a.mode !== 'linear'),
                       x, x.shape, a, outShape);
};

const interpolateGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const a = attrs as unknown as InterpolateGradKernelAttrs;
  interpolateGradCheck(dy.shape, a);
  const b = backend as WebGPUBackend;
  checkFitsBinding(b, 'interpolate (gradient)', 'input gradient', a.inputShape);
  return runWithTables(
      b, interpolateGradProgram(util.sizeFromShape(a.inputShape), a.mode !== 'linear'), dy,
      a.inputShape, a, [...a.inputShape]);
};

export function webgpuInterpolateKernelConfigs(): KernelConfig[] {
  const backendName = 'webgpu';
  return [
    {kernelName: Interpolate, backendName, kernelFunc: interpolateKernel},
    {kernelName: InterpolateGrad, backendName, kernelFunc: interpolateGradKernel},
  ];
}
