/**
 * The `webgl` backend's interpolation kernels. The per-axis index/weight tables come from
 * src/interpolate.ts `axisTable` (the float32 index rules of PyTorch, computed once in JS, so
 * the GPU cannot round an index differently from the cpu) and are uploaded as one small
 * texture; the shaders only gather. Forward: per output element, the nested 2-tap sums of
 * PyTorch's CPU kernel (innermost axis first; nearest takes the single tap). Gradient: per input
 * element, the contiguous range of outputs along each axis that read it (an inverse table in the
 * same texture), each weighted by the table's weight for that input. No shape is baked into the
 * source: sizes and table offsets are uniforms.
 */
import {env, util} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {GPGPUProgram, MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import {axisTables, InterpolateAttrs} from '../../src/interpolate.js';
import {Interpolate, InterpolateGrad, InterpolateGradKernelAttrs} from '../../src/kernel_names.js';
import {interpolateGradCheck} from '../cpu/interpolate.js';
import {checkFitsTexture, checkWebGL2, flatView} from './kernels.js';
import {COORDS} from './pooling.js';
import type {Uniform} from './programs.js';

const UNIFORMS: Uniform[] = [
  {name: 'inSize', type: 'ivec3'},
  {name: 'outSize', type: 'ivec3'},
  {name: 'fwdOff', type: 'ivec3'},  // per axis: start of its [i0, i1, w0, w1] × out entries
  {name: 'invOff', type: 'ivec3'},  // per axis: start of its [oLo, oHi] × in entries
];

/**
 * One flat table for the three axes: forward entries [i0, i1, w0, w1] per output index, then
 * inverse ranges [oLo, oHi) per input index (the outputs with i0 or i1 equal to it, contiguous
 * because i0 is non-decreasing). Indices are exact in float32 below 2^24.
 */
export function interpolateTable(xShape: readonly number[], a: InterpolateAttrs) {
  const tables = axisTables(xShape, a);
  const inSize = xShape.slice(2);
  const fwdOff: number[] = [], invOff: number[] = [];
  let n = 0;
  for (const t of tables) {
    fwdOff.push(n);
    n += 4 * t.i0.length;
  }
  for (let i = 0; i < 3; i++) {
    invOff.push(n);
    n += 2 * inSize[i];
  }
  const data = new Float32Array(n);
  tables.forEach((t, ax) => {
    const f = fwdOff[ax], v = invOff[ax];
    for (let i = 0; i < inSize[ax]; i++) {
      data[v + 2 * i] = t.i0.length;
      data[v + 2 * i + 1] = 0;
    }
    for (let o = 0; o < t.i0.length; o++) {
      data.set([t.i0[o], t.i1[o], t.w0[o], t.w1[o]], f + 4 * o);
      for (const i of [t.i0[o], t.i1[o]]) {
        data[v + 2 * i] = Math.min(data[v + 2 * i], o);
        data[v + 2 * i + 1] = Math.max(data[v + 2 * i + 1], o + 1);
      }
    }
  });
  return {data, uniforms: [inSize, [...a.outSize], fwdOff, invOff]};
}

const TABLE = `
int idx0(int off, int o) { return int(getT(off + 4 * o) + 0.5); }
int idx1(int off, int o) { return int(getT(off + 4 * o + 1) + 0.5); }
float wt0(int off, int o) { return getT(off + 4 * o + 2); }
float wt1(int off, int o) { return getT(off + 4 * o + 3); }`;

export class InterpolateProgram implements GPGPUProgram {
  variableNames = ['x', 'T'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = UNIFORMS;

  constructor(outShape: number[], nearest: boolean) {
    this.outputShape = [util.sizeFromShape(outShape)];
    const body = nearest ? `
  setOutput(getX(base + (idx0(fwdOff.x, d) * inSize.y + idx0(fwdOff.y, h)) * inSize.z +
                 idx0(fwdOff.z, w)));` : `
  int d0 = idx0(fwdOff.x, d), d1 = idx1(fwdOff.x, d);
  int h0 = idx0(fwdOff.y, h), h1 = idx1(fwdOff.y, h);
  int w0 = idx0(fwdOff.z, w), w1 = idx1(fwdOff.z, w);
  float a0 = wt0(fwdOff.z, w), a1 = wt1(fwdOff.z, w);
  float b0 = wt0(fwdOff.y, h), b1 = wt1(fwdOff.y, h);
  float c0 = wt0(fwdOff.x, d), c1 = wt1(fwdOff.x, d);
  int r00 = base + (d0 * inSize.y + h0) * inSize.z, r01 = base + (d0 * inSize.y + h1) * inSize.z;
  int r10 = base + (d1 * inSize.y + h0) * inSize.z, r11 = base + (d1 * inSize.y + h1) * inSize.z;
  // PyTorch's nesting: innermost (W) first.
  float t0 = b0 * (a0 * getX(r00 + w0) + a1 * getX(r00 + w1)) +
             b1 * (a0 * getX(r01 + w0) + a1 * getX(r01 + w1));
  float t1 = b0 * (a0 * getX(r10 + w0) + a1 * getX(r10 + w1)) +
             b1 * (a0 * getX(r11 + w0) + a1 * getX(r11 + w1));
  setOutput(c0 * t0 + c1 * t1);`;
    this.userCode = `
${TABLE}

void main() {
${COORDS('outSize')}
  int base = plane * inSize.x * inSize.y * inSize.z;
${body}
}`;
  }
}

/** dx[i] = Σ over outputs o reading i (per axis, from the inverse ranges) of weight · dy[o]. */
export class InterpolateGradProgram implements GPGPUProgram {
  variableNames = ['dy', 'T'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = UNIFORMS;

  constructor(inShape: number[]) {
    this.outputShape = [util.sizeFromShape(inShape)];
    this.userCode = `
${TABLE}

// The weight of input index i in output o of one axis (both taps may be i at an edge).
float weightOf(int off, int o, int i) {
  return (idx0(off, o) == i ? wt0(off, o) : 0.0) + (idx1(off, o) == i ? wt1(off, o) : 0.0);
}
int lo(int off, int i) { return int(getT(off + 2 * i) + 0.5); }
int hi(int off, int i) { return int(getT(off + 2 * i + 1) + 0.5); }

void main() {
${COORDS('inSize')}
  int base = plane * outSize.x * outSize.y * outSize.z;
  float acc = 0.0;
  for (int od = lo(invOff.x, d); od < hi(invOff.x, d); od++) {
    float c = weightOf(fwdOff.x, od, d);
    for (int oh = lo(invOff.y, h); oh < hi(invOff.y, h); oh++) {
      float b = c * weightOf(fwdOff.y, oh, h);
      int row = base + (od * outSize.y + oh) * outSize.z;
      for (int ow = lo(invOff.z, w); ow < hi(invOff.z, w); ow++) {
        acc += b * weightOf(fwdOff.z, ow, w) * getDy(row + ow);
      }
    }
  }
  setOutput(acc);
}`;
  }
}

function runWithTable(
    backend: MathBackendWebGL, program: GPGPUProgram, input: TensorInfo,
    xShape: number[], a: InterpolateAttrs, outShape: number[]): TensorInfo {
  if (util.sizeFromShape(outShape) === 0 || util.sizeFromShape(input.shape) === 0) {
    return backend.makeTensorInfo(outShape, 'float32',
                                  new Float32Array(util.sizeFromShape(outShape)));
  }
  const {data, uniforms} = interpolateTable(xShape, a);
  const temps: TensorInfo[] = [];
  try {
    const table = backend.makeTensorInfo([data.length], 'float32', data);
    temps.push(table);
    const out = backend.runWebGLProgram(program, [flatView(backend, input, temps), table],
                                        'float32', uniforms);
    return {dataId: out.dataId, shape: outShape, dtype: 'float32'};
  } finally {
    for (const t of temps) backend.disposeIntermediateTensorInfo(t);
  }
}

/** Table indices must be exact in the texture: float32 below 2^24, float16 (no float32 render
 * targets) below 2^11. */
function checkTableIndices(xShape: readonly number[], outSize: readonly number[]) {
  const f32 = env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const limit = f32 ? 2 ** 24 : 2 ** 11;
  if ([...xShape.slice(2), ...outSize].some(s => s > limit)) {
    throw new Error(`interpolate (webgl): spatial sizes must be at most ${limit} (indices are ` +
        `${f32 ? 'float32' : 'float16'} in the table texture), but got input ` +
        `[${xShape.join(', ')}] and output size [${outSize.join(', ')}]; use another backend`);
  }
}

const interpolateKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as InterpolateAttrs;
  const outShape = [x.shape[0], x.shape[1], ...a.outSize];
  checkWebGL2('interpolate');
  checkFitsTexture('interpolate', 'output', outShape);
  checkTableIndices(x.shape, a.outSize);
  return runWithTable(backend as MathBackendWebGL,
                      new InterpolateProgram(outShape, a.mode !== 'linear'), x, x.shape, a,
                      outShape);
};

const interpolateGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const a = attrs as unknown as InterpolateGradKernelAttrs;
  interpolateGradCheck(dy.shape, a);
  checkWebGL2('interpolate (gradient)');
  checkTableIndices(a.inputShape, a.outSize);
  return runWithTable(backend as MathBackendWebGL, new InterpolateGradProgram(a.inputShape), dy,
                      a.inputShape, a, [...a.inputShape]);
};

export function webglInterpolateKernelConfigs(): KernelConfig[] {
  const backendName = 'webgl';
  return [
    {kernelName: Interpolate, backendName, kernelFunc: interpolateKernel},
    {kernelName: InterpolateGrad, backendName, kernelFunc: interpolateGradKernel},
  ];
}
