/**
 * The `webgl` backend's pooling kernels: GPGPUPrograms in gather form, one output element per
 * fragment, mirroring kernels/cpu/pooling.ts (same window tables, computed in the shader with
 * integer arithmetic on non-negative values only). Tensors are flat 1-D views; the pooling
 * hyper-parameters are baked in as constants, the sizes are uniforms, so a new input size
 * compiles no new program. The gradients are gathers too: each input element finds the windows
 * that contain it (o·s − p + k·d = i, solved per axis with imod) and sums their contributions;
 * max pooling's recomputes each such window's first maximum.
 */
import {env, util} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {GPGPUProgram, MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import {PoolAttrs, PoolInfo, poolInfoFromAttrs} from '../../src/pooling.js';
import {AvgPool, AvgPoolGrad, MaxPool, MaxPoolGrad, MaxPoolIndices, PoolGradKernelAttrs} from '../../src/kernel_names.js';
import {poolGradInfo} from '../cpu/pooling.js';
import {checkFitsTexture, checkWebGL2, flatView} from './kernels.js';
import {constants, Uniform} from './programs.js';

const SIZE_UNIFORMS: Uniform[] = [
  {name: 'inSize', type: 'ivec3'},   // [D, H, W] of x
  {name: 'outSize', type: 'ivec3'},  // [D, H, W] of y
];

function poolConstants(info: PoolInfo): Record<string, number> {
  const [kd, kh, kw] = info.kernelSize, [sd, sh, sw] = info.stride;
  const [pd, ph, pw] = info.padding, [dd, dh, dw] = info.dilation;
  return {KD: kd, KH: kh, KW: kw, SD: sd, SH: sh, SW: sw, PD: pd, PH: ph, PW: pw,
          DD: dd, DH: dh, DW: dw, INCLUDE_PAD: info.countIncludePad ? 1 : 0,
          DIVISOR: info.divisorOverride};
}

/**
 * Shared GLSL: the valid tap range [lo, hi) of a window starting at `start` (as poolAxis in
 * kernels/cpu/pooling.ts), the first maximum of a window, and average pooling's divisor.
 */
const POOL_FUNCS = `
ivec2 taps(int start, int d, int k, int size) {
  int lo = start >= 0 ? 0 : (-start + d - 1) / d;
  int hi = size - 1 - start < 0 ? 0 : min(k, (size - 1 - start) / d + 1);
  return ivec2(lo, hi);
}

// In-plane index of the first maximum of window (od, oh, ow) (NaN wins), -1 if it is empty.
int argmaxOf(int base, int od, int oh, int ow) {
  int sd = od * SD - PD, sh = oh * SH - PH, sw = ow * SW - PW;
  ivec2 td = taps(sd, DD, KD, inSize.x), th = taps(sh, DH, KH, inSize.y);
  ivec2 tw = taps(sw, DW, KW, inSize.z);
  float m = 0.0;
  int at = -1;
  for (int kd = td.x; kd < td.y; kd++) {
    int rowD = (sd + kd * DD) * inSize.y;
    for (int kh = th.x; kh < th.y; kh++) {
      int row = (rowD + sh + kh * DH) * inSize.z + sw;
      for (int kw = tw.x; kw < tw.y; kw++) {
        int i = row + kw * DW;
        float v = getX(base + i);
        if (at < 0 || v > m || v != v) {
          m = v;
          at = i;
        }
      }
    }
  }
  return at;
}

float divisorOf(int od, int oh, int ow) {
  if (DIVISOR != 0) return float(DIVISOR);
  int sd = od * SD - PD, sh = oh * SH - PH, sw = ow * SW - PW;
  if (INCLUDE_PAD == 1) {
    return float((min(sd + KD, inSize.x + PD) - sd) * (min(sh + KH, inSize.y + PH) - sh) *
                 (min(sw + KW, inSize.z + PW) - sw));
  }
  ivec2 td = taps(sd, 1, KD, inSize.x), th = taps(sh, 1, KH, inSize.y);
  ivec2 tw = taps(sw, 1, KW, inSize.z);
  return float((td.y - td.x) * (th.y - th.x) * (tw.y - tw.x));
}`;

/** Decomposes the flat output index into plane and (d, h, w) of `size` (also interpolate's). */
export const COORDS = (size: string) => `
  int idx = getOutputCoords();
  int w = imod(idx, ${size}.z);
  int r = idx / ${size}.z;
  int h = imod(r, ${size}.y);
  r = r / ${size}.y;
  int d = imod(r, ${size}.x);
  int plane = r / ${size}.x;`;

/** y = max (kind 'max') or average ('avg') over each window of x. */
export class PoolProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(kind: 'max'|'avg'|'argmax', info: PoolInfo) {
    this.outputShape = [util.sizeFromShape(info.outShape)];
    const body = kind === 'argmax' ? `
  setOutput(float(argmaxOf(base, d, h, w)));` : kind === 'max' ? `
  int at = argmaxOf(base, d, h, w);
  // An empty window (only padding) is −∞, as in PyTorch.
  setOutput(at < 0 ? uintBitsToFloat(0xff800000u) : getX(base + at));` : `
  int sd = d * SD - PD, sh = h * SH - PH, sw = w * SW - PW;
  ivec2 td = taps(sd, 1, KD, inSize.x), th = taps(sh, 1, KH, inSize.y);
  ivec2 tw = taps(sw, 1, KW, inSize.z);
  float sum = 0.0;
  for (int kd = td.x; kd < td.y; kd++) {
    for (int kh = th.x; kh < th.y; kh++) {
      int row = base + ((sd + kd) * inSize.y + sh + kh) * inSize.z + sw;
      for (int kw = tw.x; kw < tw.y; kw++) sum += getX(row + kw);
    }
  }
  bool empty = td.x >= td.y || th.x >= th.y || tw.x >= tw.y;
  setOutput(empty ? 0.0 : sum / divisorOf(d, h, w));`;
    this.userCode = `
${constants(poolConstants(info))}
${POOL_FUNCS}

void main() {
${COORDS('outSize')}
  int base = plane * inSize.x * inSize.y * inSize.z;
${body}
}`;
  }
}

/**
 * dx of max ('max', inputs x, dy) or average ('avg', input dy) pooling: for x element i, the
 * windows o with o·s − p + k·d = i along every axis, each adding dy[o] if i is its argmax (max),
 * or dy[o] / divisor(o) (avg).
 */
export class PoolGradProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(kind: 'max'|'avg', info: PoolInfo) {
    this.variableNames = kind === 'max' ? ['x', 'dy'] : ['dy'];
    this.outputShape = [util.sizeFromShape(info.inShape)];
    const add = kind === 'max' ?
        `if (argmaxOf(xBase, od, oh, ow) == self) acc += getDy(o);` :
        `acc += getDy(o) / divisorOf(od, oh, ow);`;
    this.userCode = `
${constants(poolConstants(info))}
${kind === 'max' ? '' : 'float getX(int i) { return 0.0; }'}
${POOL_FUNCS}

void main() {
${COORDS('inSize')}
  int xBase = plane * inSize.x * inSize.y * inSize.z;
  int yBase = plane * outSize.x * outSize.y * outSize.z;
  int self = (d * inSize.y + h) * inSize.z + w;
  float acc = 0.0;
  // t − k·d decreases with k: stop at t < 0; a multiple of s below outSize is a window.
  for (int kd = 0; kd < KD; kd++) {
    int td = d + PD - kd * DD;
    if (td < 0) break;
    if (imod(td, SD) != 0 || td / SD >= outSize.x) continue;
    int od = td / SD;
    for (int kh = 0; kh < KH; kh++) {
      int th = h + PH - kh * DH;
      if (th < 0) break;
      if (imod(th, SH) != 0 || th / SH >= outSize.y) continue;
      int oh = th / SH;
      for (int kw = 0; kw < KW; kw++) {
        int tw = w + PW - kw * DW;
        if (tw < 0) break;
        if (imod(tw, SW) != 0 || tw / SW >= outSize.z) continue;
        int ow = tw / SW;
        int o = yBase + (od * outSize.y + oh) * outSize.z + ow;
        ${add}
      }
    }
  }
  setOutput(acc);
}`;
  }
}

function uniforms(info: PoolInfo): number[][] {
  return [[...info.inSize], [...info.outSize]];
}

function runFlat(backend: MathBackendWebGL, program: GPGPUProgram, inputs: TensorInfo[],
                 info: PoolInfo, outShape: number[],
                 dtype: 'float32'|'int32' = 'float32'): TensorInfo {
  if (util.sizeFromShape(outShape) === 0 || inputs.some(t => util.sizeFromShape(t.shape) === 0)) {
    // Empty batch: nothing to sample (the result is empty or, for a gradient, zeros).
    const n = util.sizeFromShape(outShape);
    return backend.makeTensorInfo(outShape, dtype,
                                  dtype === 'int32' ? new Int32Array(n) : new Float32Array(n));
  }
  const temps: TensorInfo[] = [];
  try {
    const views = inputs.map(t => flatView(backend, t, temps));
    const out = backend.runWebGLProgram(program, views, dtype, uniforms(info));
    return {dataId: out.dataId, shape: outShape, dtype};
  } finally {
    for (const t of temps) backend.disposeIntermediateTensorInfo(t);
  }
}

const poolKernel = (kind: 'max'|'avg'): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const name = `${kind}Pool3d`;
  const info = poolInfoFromAttrs(x.shape, attrs as unknown as PoolAttrs);
  checkWebGL2(name);
  checkFitsTexture(name, 'output', info.outShape);
  return runFlat(backend as MathBackendWebGL, new PoolProgram(kind, info), [x], info,
                 info.outShape);
};

/**
 * Indices as int32, exact while textures hold them exactly: below 2^24 per plane in float32,
 * 2^11 with float16 render targets.
 */
const maxPoolIndicesKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const info = poolInfoFromAttrs(x.shape, attrs as unknown as PoolAttrs);
  checkWebGL2('maxPool3d');
  const f32 = env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const limit = f32 ? 2 ** 24 : 2 ** 11;
  if (info.inSize[0] * info.inSize[1] * info.inSize[2] > limit) {
    throw new Error(`maxPool3d (webgl): returnIndices needs at most ${limit} input elements ` +
        `per channel (indices are ${f32 ? 'float32' : 'float16'} in textures), but got ` +
        `${info.inSize.join('×')}; use another backend`);
  }
  checkFitsTexture('maxPool3d', 'indices', info.outShape);
  return runFlat(backend as MathBackendWebGL, new PoolProgram('argmax', info), [x], info,
                 info.outShape, 'int32');
};

const maxPoolGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
  const info = poolGradInfo('maxPool', dy.shape,
                            {...attrs, inputShape: x.shape} as unknown as PoolGradKernelAttrs);
  checkWebGL2('maxPool (gradient)');
  return runFlat(backend as MathBackendWebGL, new PoolGradProgram('max', info), [x, dy], info,
                 info.inShape);
};

const avgPoolGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const info = poolGradInfo('avgPool', dy.shape, attrs as unknown as PoolGradKernelAttrs);
  checkWebGL2('avgPool (gradient)');
  checkFitsTexture('avgPool (gradient)', 'input gradient', info.inShape);
  return runFlat(backend as MathBackendWebGL, new PoolGradProgram('avg', info), [dy], info,
                 info.inShape);
};

export function webglPoolingKernelConfigs(): KernelConfig[] {
  const backendName = 'webgl';
  return [
    {kernelName: MaxPool, backendName, kernelFunc: poolKernel('max')},
    {kernelName: AvgPool, backendName, kernelFunc: poolKernel('avg')},
    {kernelName: MaxPoolIndices, backendName, kernelFunc: maxPoolIndicesKernel},
    {kernelName: MaxPoolGrad, backendName, kernelFunc: maxPoolGradKernel},
    {kernelName: AvgPoolGrad, backendName, kernelFunc: avgPoolGradKernel},
  ];
}
