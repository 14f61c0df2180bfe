/**
 * The `webgpu` backend's pooling kernels: the WGSL of kernels/webgl/pooling.ts (gather form, one
 * output element per invocation, the window tables of kernels/cpu/pooling.ts computed with
 * integer arithmetic on non-negative values only). Tensors are flat 1-D views; the pooling
 * hyper-parameters are baked in as constants (and into the shader key), the sizes are uniforms,
 * so a new input size compiles nothing. The gradients are gathers too: each input element finds
 * the windows that contain it (o·s − p + k·d = i, solved per axis) and sums their contributions;
 * max pooling's recomputes each such window's first maximum.
 */
import {util} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {PoolAttrs, PoolInfo, poolInfoFromAttrs} from '../../src/pooling.js';
import {AvgPool, AvgPoolGrad, MaxPool, MaxPoolGrad, MaxPoolIndices, PoolGradKernelAttrs} from '../../src/kernel_names.js';
import {poolGradInfo} from '../cpu/pooling.js';
import {FlatProgram, intUniforms, ints, runFlat} from './ops_util.js';
import {checkFitsBinding} from './webgpu_util.js';

const UNIFORMS = intUniforms(['inSize', 3], ['outSize', 3]);

function poolConstants(info: PoolInfo): string {
  const [kd, kh, kw] = info.kernelSize, [sd, sh, sw] = info.stride;
  const [pd, ph, pw] = info.padding, [dd, dh, dw] = info.dilation;
  const c: Record<string, number> = {
    KD: kd, KH: kh, KW: kw, SD: sd, SH: sh, SW: sw, PD: pd, PH: ph, PW: pw, DD: dd, DH: dh,
    DW: dw, INCLUDE_PAD: info.countIncludePad ? 1 : 0, DIVISOR: info.divisorOverride};
  return Object.entries(c).map(([k, v]) => `const ${k} : i32 = ${v};`).join('\n');
}

function poolKey(info: PoolInfo): string {
  return [info.kernelSize, info.stride, info.padding, info.dilation, info.countIncludePad ? 1 : 0,
          info.divisorOverride].join('_');
}

/** The valid tap range [lo, hi) of a window starting at `start` (poolAxis on the cpu). */
const TAPS = `
fn taps(start : i32, d : i32, k : i32, size : i32) -> vec2<i32> {
  var lo = 0;
  if (start < 0) { lo = (-start + d - 1) / d; }
  var hi = 0;
  if (size - 1 - start >= 0) { hi = min(k, (size - 1 - start) / d + 1); }
  return vec2<i32>(lo, hi);
}`;

/** In-plane index of the first maximum of window (od, oh, ow) (NaN wins), −1 if it is empty. */
const ARGMAX = `
fn argmaxOf(base : i32, od : i32, oh : i32, ow : i32) -> i32 {
  let inSize = uniforms.inSize;
  let sd = od * SD - PD; let sh = oh * SH - PH; let sw = ow * SW - PW;
  let td = taps(sd, DD, KD, inSize.x); let th = taps(sh, DH, KH, inSize.y);
  let tw = taps(sw, DW, KW, inSize.z);
  var m = 0.0;
  var at = -1;
  for (var kd = td.x; kd < td.y; kd++) {
    let rowD = (sd + kd * DD) * inSize.y;
    for (var kh = th.x; kh < th.y; kh++) {
      let row = (rowD + sh + kh * DH) * inSize.z + sw;
      for (var kw = tw.x; kw < tw.y; kw++) {
        let i = row + kw * DW;
        let v = x[base + i];
        if (at < 0 || v > m || isnan(v)) {
          m = v;
          at = i;
        }
      }
    }
  }
  return at;
}`;

/** Average pooling's divisor of window (od, oh, ow). */
const DIVISOR = `
fn divisorOf(od : i32, oh : i32, ow : i32) -> f32 {
  if (DIVISOR != 0) { return f32(DIVISOR); }
  let inSize = uniforms.inSize;
  let sd = od * SD - PD; let sh = oh * SH - PH; let sw = ow * SW - PW;
  if (INCLUDE_PAD == 1) {
    return f32((min(sd + KD, inSize.x + PD) - sd) * (min(sh + KH, inSize.y + PH) - sh) *
               (min(sw + KW, inSize.z + PW) - sw));
  }
  let td = taps(sd, 1, KD, inSize.x); let th = taps(sh, 1, KH, inSize.y);
  let tw = taps(sw, 1, KW, inSize.z);
  return f32((td.y - td.x) * (th.y - th.x) * (tw.y - tw.x));
}`;

/** Decomposes `index` into plane and (d, h, w) of `size` (also interpolate's). */
export const COORDS = (size: string) => `
    let w = index % ${size}.z;
    var r = index / ${size}.z;
    let h = r % ${size}.y;
    r = r / ${size}.y;
    let d = r % ${size}.x;
    let plane = r / ${size}.x;`;

/** y = max ('max'), its in-plane index ('argmax', int32) or average ('avg') per window. */
function poolProgram(kind: 'max'|'avg'|'argmax', info: PoolInfo, size: number): FlatProgram {
  const body = kind === 'argmax' ? `
    result[index] = argmaxOf(base, d, h, w);` : kind === 'max' ? `
    let at = argmaxOf(base, d, h, w);
    // An empty window (only padding) is −∞, as in PyTorch.
    if (at < 0) { result[index] = -uniforms.INFINITY; } else { result[index] = x[base + at]; }` : `
    let inSize = uniforms.inSize;
    let sd = d * SD - PD; let sh = h * SH - PH; let sw = w * SW - PW;
    let td = taps(sd, 1, KD, inSize.x); let th = taps(sh, 1, KH, inSize.y);
    let tw = taps(sw, 1, KW, inSize.z);
    var sum = 0.0;
    for (var kd = td.x; kd < td.y; kd++) {
      for (var kh = th.x; kh < th.y; kh++) {
        let row = base + ((sd + kd) * inSize.y + sh + kh) * inSize.z + sw;
        for (var kw = tw.x; kw < tw.y; kw++) { sum += x[row + kw]; }
      }
    }
    let empty = td.x >= td.y || th.x >= th.y || tw.x >= tw.y;
    if (empty) { result[index] = 0.0; } else { result[index] = sum / divisorOf(d, h, w); }`;
  const helpers = [poolConstants(info), TAPS, kind === 'avg' ? DIVISOR : ARGMAX].join('\n');
  return new FlatProgram(`ptPool_${kind}_${poolKey(info)}`, size, ['x'], UNIFORMS, helpers, `
${COORDS('uniforms.outSize')}
    let base = plane * uniforms.inSize.x * uniforms.inSize.y * uniforms.inSize.z;
${body}`);
}

/**
 * dx of max ('max', inputs x, dy) or average ('avg', input dy) pooling: for x element i, the
 * windows o with o·s − p + k·d = i along every axis, each adding dy[o] if i is its argmax (max),
 * or dy[o] / divisor(o) (avg).
 */
function poolGradProgram(kind: 'max'|'avg', info: PoolInfo, size: number): FlatProgram {
  const add = kind === 'max' ?
      `if (argmaxOf(xBase, od, oh, ow) == selfIdx) { acc += dy[o]; }` :
      `acc += dy[o] / divisorOf(od, oh, ow);`;
  const helpers = [poolConstants(info), TAPS, kind === 'avg' ? DIVISOR : ARGMAX].join('\n');
  return new FlatProgram(`ptPoolGrad_${kind}_${poolKey(info)}`, size,
                         kind === 'max' ? ['x', 'dy'] : ['dy'], UNIFORMS, helpers, `
    let inSize = uniforms.inSize; let outSize = uniforms.outSize;
${COORDS('inSize')}
    let xBase = plane * inSize.x * inSize.y * inSize.z;
    let yBase = plane * outSize.x * outSize.y * outSize.z;
    let selfIdx = (d * inSize.y + h) * inSize.z + w;
    var acc = 0.0;
    // t − k·d decreases with k: stop at t < 0; a multiple of s below outSize is a window.
    for (var kd = 0; kd < KD; kd++) {
      let td = d + PD - kd * DD;
      if (td < 0) { break; }
      if (td % SD != 0 || td / SD >= outSize.x) { continue; }
      let od = td / SD;
      for (var kh = 0; kh < KH; kh++) {
        let th = h + PH - kh * DH;
        if (th < 0) { break; }
        if (th % SH != 0 || th / SH >= outSize.y) { continue; }
        let oh = th / SH;
        for (var kw = 0; kw < KW; kw++) {
          let tw = w + PW - kw * DW;
          if (tw < 0) { break; }
          if (tw % SW != 0 || tw / SW >= outSize.z) { continue; }
          let ow = tw / SW;
          let o = yBase + (od * outSize.y + oh) * outSize.z + ow;
          ${add}
        }
      }
    }
    result[index] = acc;`);
}

const uniforms = (info: PoolInfo) => ints([...info.inSize], [...info.outSize]);
const size = (shape: number[]) => util.sizeFromShape(shape);

const poolKernel = (kind: 'max'|'avg'|'argmax'): KernelFunc => ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const info = poolInfoFromAttrs(x.shape, attrs as unknown as PoolAttrs);
  const b = backend as WebGPUBackend;
  checkFitsBinding(b, kind === 'avg' ? 'avgPool3d' : 'maxPool3d', 'output', info.outShape);
  return runFlat(b, poolProgram(kind, info, size(info.outShape)), [x],
                 kind === 'argmax' ? 'int32' : 'float32', uniforms(info), info.outShape);
};

const maxPoolGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
  const info = poolGradInfo('maxPool', dy.shape,
                            {...attrs, inputShape: x.shape} as unknown as PoolGradKernelAttrs);
  const b = backend as WebGPUBackend;
  return runFlat(b, poolGradProgram('max', info, size(info.inShape)), [x, dy], 'float32',
                 uniforms(info), info.inShape);
};

const avgPoolGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const info = poolGradInfo('avgPool', dy.shape, attrs as unknown as PoolGradKernelAttrs);
  const b = backend as WebGPUBackend;
  checkFitsBinding(b, 'avgPool (gradient)', 'input gradient', info.inShape);
  return runFlat(b, poolGradProgram('avg', info, size(info.inShape)), [dy], 'float32',
                 uniforms(info), info.inShape);
};

export function webgpuPoolingKernelConfigs(): KernelConfig[] {
  const backendName = 'webgpu';
  return [
    {kernelName: MaxPool, backendName, kernelFunc: poolKernel('max')},
    {kernelName: AvgPool, backendName, kernelFunc: poolKernel('avg')},
    {kernelName: MaxPoolIndices, backendName, kernelFunc: poolKernel('argmax')},
    {kernelName: MaxPoolGrad, backendName, kernelFunc: maxPoolGradKernel},
    {kernelName: AvgPoolGrad, backendName, kernelFunc: avgPoolGradKernel},
  ];
}
