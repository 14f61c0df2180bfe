/**
 * Pad and PadGrad for tfjs' `webgpu` backend: the WGSL of kernels/webgl/padding.ts (read one
 * against the other, and both against kernels/cpu/padding.ts). Flat 1-D views, i32 index math;
 * the number of padded axes and the mode are baked into the source, sizes and pads are uniforms.
 * The forward gathers; the adjoint runs one pass per padded axis, each output element summing
 * the few dy elements that read it (a range at the edges for replicate).
 */
import {util} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import {Pad, PadAttrs, PadGrad, PadGradAttrs, PadMode} from '../../src/kernel_names.js';
import {PadAxis, padInfo} from '../../src/padding.js';
import {FlatProgram, intUniforms, runFlat, UniformData} from './ops_util.js';
import {checkFitsBinding} from './webgpu_util.js';

/** Per axis: vec4 (J, W, pl or lead, s) and C. */
function axisUniforms(a: PadAxis, mode: PadMode): UniformData[] {
  const v = mode === 'circular' ? [a.J, a.W, a.lead, a.s] : [a.J, a.W, a.pl, 0];
  return [{type: 'int32', data: v}, {type: 'int32', data: [a.C]}];
}

/** WGSL of padSource (src/padding.ts) for axis `n`: the input index read by output index j. */
function sourceFn(n: number, mode: PadMode): string {
  const ax = `uniforms.ax${n}`, c = `uniforms.ax${n}C`;
  const body = mode === 'circular' ? `
  var k = j - ${ax}.z;
  if (k < 0) { k += ${c}; } else if (k >= ${c}) { k -= ${c}; }
  return ${ax}.w + k;` : `
  let i = j - ${ax}.z;
  if (i >= 0 && i < ${ax}.y) { return i; }
  ${mode === 'constant' ? 'return -1;' :
    mode === 'replicate' ? `return select(${ax}.y - 1, 0, i < 0);` :
                           `return select(2 * (${ax}.y - 1) - i, -i, i < 0);`}`;
  return `fn src${n}(j : i32) -> i32 {${body}\n}`;
}

function padProgram(outSize: number, k: number, mode: PadMode, dtype: string): FlatProgram {
  const decls: Array<[string, number]> = [];
  const fns: string[] = [], steps: string[] = [];
  for (let n = 0; n < k; n++) {
    decls.push([`ax${n}`, 4], [`ax${n}C`, 1]);
    fns.push(sourceFn(n, mode));
  }
  for (let n = k - 1; n >= 0; n--) {  // last axis first, as the flat index unrolls
    steps.push(`{
      let j = rest % uniforms.ax${n}.x; rest = rest / uniforms.ax${n}.x;
      let i = src${n}(j);
      if (i < 0) { outside = true; }
      src += i * mul; mul *= uniforms.ax${n}.y;
    }`);
  }
  const value = dtype === 'int32' ? 'i32(uniforms.value)' : 'uniforms.value';
  return new FlatProgram(`ptPad_${mode}_${k}_${dtype}`, outSize, ['x'],
                         `value : f32, ${intUniforms(...decls)}`, fns.join('\n'), `
    var rest = index;
    var src = 0; var mul = 1; var outside = false;
    ${steps.join('\n    ')}
    src += rest * mul;
    if (outside) { result[index] = ${value}; } else { result[index] = x[src]; }`);
}

/**
 * The adjoint along one axis of a tensor seen as [outer, J, inner] → [outer, W, inner]:
 * dx(i) = Σ dy(j) over the j with src(j) = i, enumerated per mode (mirror of padSource).
 */
function padGradAxisProgram(outSize: number, mode: PadMode): FlatProgram {
  const ax = 'uniforms.ax0', c = 'uniforms.ax0C';
  const gather = mode === 'circular' ? `
    if (i >= ${ax}.w && i < ${ax}.w + ${c}) {
      let j = ${ax}.z + i - ${ax}.w;
      acc += at(base, j - ${c}) + at(base, j) + at(base, j + ${c});
    }` : mode === 'constant' ? `
    acc += at(base, i + ${ax}.z);` : mode === 'reflect' ? `
    acc += at(base, i + ${ax}.z);
    if (i > 0 && i <= ${ax}.z) { acc += at(base, ${ax}.z - i); }
    if (i < ${ax}.y - 1) {
      let j = 2 * (${ax}.y - 1) - i + ${ax}.z;
      if (j >= ${ax}.z + ${ax}.y) { acc += at(base, j); }
    }` : `
    if (${ax}.y == 1) {
      for (var j = 0; j < ${ax}.x; j++) { acc += at(base, j); }
    } else if (i == 0) {
      let hi = min(${ax}.z, ${ax}.x - 1);
      for (var j = 0; j <= hi; j++) { acc += at(base, j); }
    } else if (i == ${ax}.y - 1) {
      for (var j = max(${ax}.z + ${ax}.y - 1, 0); j < ${ax}.x; j++) { acc += at(base, j); }
    } else {
      acc += at(base, i + ${ax}.z);
    }`;
  const helpers = `
fn at(base : i32, j : i32) -> f32 {
  if (j >= 0 && j < ${ax}.x) { return dy[base + j * uniforms.inner]; }
  return 0.0;
}`;
  return new FlatProgram(`ptPadGrad_${mode}`, outSize, ['dy'],
                         intUniforms(['ax0', 4], ['ax0C', 1], ['inner', 1]), helpers, `
    let n = index % uniforms.inner; let r = index / uniforms.inner;
    let i = r % ${ax}.y; let o = r / ${ax}.y;
    let base = o * ${ax}.x * uniforms.inner + n;
    var acc = 0.0;
    ${gather}
    result[index] = acc;`);
}

const padKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as PadAttrs;
  const info = padInfo('pad', x.shape, a.pad, a.mode);
  const b = backend as WebGPUBackend;
  checkFitsBinding(b, 'pad', 'output', info.outShape);
  const program = padProgram(util.sizeFromShape(info.outShape), info.axes.length, a.mode,
                             x.dtype);
  const uniforms: UniformData[] =
      [{type: 'float32', data: [a.value]}, ...info.axes.flatMap(ax => axisUniforms(ax, a.mode))];
  return runFlat(b, program, [x], x.dtype, uniforms, info.outShape, a.value);
};

const padGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const a = attrs as unknown as PadGradAttrs;
  const info = padInfo('pad (gradient)', a.inShape, a.pad, a.mode);
  const b = backend as WebGPUBackend;
  checkFitsBinding(b, 'pad (gradient)', 'input gradient', info.inShape);
  if (util.sizeFromShape(info.outShape) === 0 || util.sizeFromShape(info.inShape) === 0) {
    return b.makeTensorInfo(info.inShape, 'float32',
                            new Float32Array(util.sizeFromShape(info.inShape)));
  }
  const k = info.axes.length, lead = info.inShape.length - k;
  if (k === 0) {  // nothing padded: the adjoint is a copy
    return runFlat(b, padProgram(util.sizeFromShape(dy.shape), 0, 'constant', 'float32'), [dy],
                   'float32', [{type: 'float32', data: [0]}], info.inShape);
  }
  // Current logical shape: the axes before `n` are already input-sized.
  const shape = [...info.outShape];
  let t = dy;
  for (let n = k - 1; n >= 0; n--) {
    const ax = info.axes[n], dim = lead + n;
    shape[dim] = ax.W;
    const inner = util.sizeFromShape(shape.slice(dim + 1));
    const program = padGradAxisProgram(util.sizeFromShape(shape), a.mode);
    const out = runFlat(b, program, [t], 'float32',
                        [...axisUniforms(ax, a.mode), {type: 'int32', data: [inner]}],
                        [...shape]);
    if (t !== dy) b.disposeData(t.dataId);
    t = out;
  }
  return {dataId: t.dataId, shape: info.inShape, dtype: 'float32'};
};

export function padWebgpuKernelConfigs(): KernelConfig[] {
  return [
    {kernelName: Pad, backendName: 'webgpu', kernelFunc: padKernel},
    {kernelName: PadGrad, backendName: 'webgpu', kernelFunc: padGradKernel},
  ];
}
