/**
 * Pad and PadGrad for tfjs' `webgl` backend, mirroring kernels/cpu/padding.ts (read one against
 * the other): tensors are flat 1-D views, all index math in `int`. The padded axes (up to 3 for
 * the non-constant modes; any number for constant) and the mode are baked into the source, the
 * sizes and pads are uniforms, so a new input size does not compile a new program.
 * The forward gathers; the adjoint runs one pass per padded axis, each output element summing
 * the few dy elements that read it (a range at the edges for replicate).
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {util} from '@tensorflow/tfjs-core';
import type {GPGPUProgram, MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import {Pad, PadAttrs, PadGrad, PadGradAttrs, PadMode} from '../../src/kernel_names.js';
import {PadAxis, padInfo} from '../../src/padding.js';

type Uniform = {name: string, type: 'int'|'ivec4'|'float'};

/** (J, W, pl or lead, s) of an axis, and C. */
function axisUniforms(a: PadAxis, mode: PadMode): number[][] {
  return mode === 'circular' ? [[a.J, a.W, a.lead, a.s], [a.C]] : [[a.J, a.W, a.pl, 0], [a.C]];
}

/** GLSL of padSource (src/padding.ts) for axis `n`: the input index read by output index j. */
function sourceFn(n: number, mode: PadMode): string {
  const body = mode === 'circular' ? `
    int k = j - ax${n}.z;
    if (k < 0) k += ax${n}C; else if (k >= ax${n}C) k -= ax${n}C;
    return ax${n}.w + k;` : `
    int i = j - ax${n}.z;
    if (i >= 0 && i < ax${n}.y) return i;
    ${mode === 'constant' ? 'return -1;' :
      mode === 'replicate' ? `return i < 0 ? 0 : ax${n}.y - 1;` :
                             `return i < 0 ? -i : 2 * (ax${n}.y - 1) - i;`}`;
  return `int src${n}(int j) {${body}\n  }`;
}

class PadProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  customUniforms: Uniform[];

  constructor(outSize: number, k: number, mode: PadMode) {
    this.outputShape = [outSize];
    this.customUniforms = [{name: 'value', type: 'float'}];
    const fns: string[] = [], steps: string[] = [];
    for (let n = 0; n < k; n++) {
      this.customUniforms.push({name: `ax${n}`, type: 'ivec4'}, {name: `ax${n}C`, type: 'int'});
      fns.push(sourceFn(n, mode));
    }
    for (let n = k - 1; n >= 0; n--) {  // last axis first, as the flat index unrolls
      steps.push(`{
        int j = imod(rest, ax${n}.x); rest = rest / ax${n}.x;
        int i = src${n}(j);
        if (i < 0) outside = true;
        src += i * mul; mul *= ax${n}.y;
      }`);
    }
    this.userCode = `
${fns.join('\n')}
void main() {
  int rest = getOutputCoords();
  int src = 0; int mul = 1; bool outside = false;
  ${steps.join('\n  ')}
  src += rest * mul;
  setOutput(outside ? value : getX(src));
}`;
  }
}

/**
 * The adjoint along one axis of a tensor seen as [outer, J, inner] → [outer, W, inner]:
 * dx(i) = Σ dy(j) over the j with src(j) = i, enumerated per mode (mirror of padSource).
 */
class PadGradAxisProgram implements GPGPUProgram {
  variableNames = ['dy'];
  outputShape: number[];
  userCode: string;
  customUniforms: Uniform[] = [{name: 'ax0', type: 'ivec4'}, {name: 'ax0C', type: 'int'},
                               {name: 'inner', type: 'int'}];

  constructor(outSize: number, mode: PadMode) {
    this.outputShape = [outSize];
    // Candidate output indices j of input index i, each in one branch of padSource.
    const gather = mode === 'circular' ? `
    if (i >= ax0.w && i < ax0.w + ax0C) {
      int j = ax0.z + i - ax0.w;
      acc += at(j - ax0C) + at(j) + at(j + ax0C);
    }` : mode === 'constant' ? `
    acc += at(i + ax0.z);` : mode === 'reflect' ? `
    acc += at(i + ax0.z);
    if (i > 0 && i <= ax0.z) acc += at(ax0.z - i);
    if (i < ax0.y - 1) { int j = 2 * (ax0.y - 1) - i + ax0.z; if (j >= ax0.z + ax0.y) acc += at(j); }` : `
    if (ax0.y == 1) {
      for (int j = 0; j < ax0.x; j++) acc += at(j);
    } else if (i == 0) {
      int hi = min(ax0.z, ax0.x - 1);
      for (int j = 0; j <= hi; j++) acc += at(j);
    } else if (i == ax0.y - 1) {
      for (int j = max(ax0.z + ax0.y - 1, 0); j < ax0.x; j++) acc += at(j);
    } else {
      acc += at(i + ax0.z);
    }`;
    this.userCode = `
int base; 
float at(int j) { return j >= 0 && j < ax0.x ? getDy(base + j * inner) : 0.0; }
void main() {
  int idx = getOutputCoords();
  int n = imod(idx, inner); int r = idx / inner;
  int i = imod(r, ax0.y); int o = r / ax0.y;
  base = o * ax0.x * inner + n;
  float acc = 0.0;
  ${gather}
  setOutput(acc);
}`;
  }
}

/** A 1-D view of `t` sharing its texture (packed textures are unpacked first, into `temps`). */
function flatView(backend: MathBackendWebGL, t: TensorInfo, temps: TensorInfo[]): TensorInfo {
  let src = t;
  if (backend.texData.get(t.dataId).isPacked) {
    src = backend.unpackTensor(t);
    temps.push(src);
  }
  return {dataId: src.dataId, shape: [util.sizeFromShape(t.shape)], dtype: t.dtype};
}

const padKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as PadAttrs;
  const info = padInfo('pad', x.shape, a.pad, a.mode);
  const b = backend as MathBackendWebGL;
  const n = util.sizeFromShape(info.outShape);
  if (n === 0 || util.sizeFromShape(x.shape) === 0) {
    return b.makeTensorInfo(info.outShape, x.dtype,
        util.getTypedArrayFromDType(x.dtype as 'float32', n).fill(a.value));
  }
  const temps: TensorInfo[] = [];
  try {
    const program = new PadProgram(n, info.axes.length, a.mode);
    const uniforms = [[a.value], ...info.axes.flatMap(ax => axisUniforms(ax, a.mode))];
    const out = b.runWebGLProgram(program, [flatView(b, x, temps)], x.dtype, uniforms);
    return {dataId: out.dataId, shape: info.outShape, dtype: x.dtype};
  } finally {
    for (const t of temps) b.disposeIntermediateTensorInfo(t);
  }
};

const padGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const a = attrs as unknown as PadGradAttrs;
  const info = padInfo('pad (gradient)', a.inShape, a.pad, a.mode);
  const b = backend as MathBackendWebGL;
  if (util.sizeFromShape(info.outShape) === 0 || util.sizeFromShape(info.inShape) === 0) {
    return b.makeTensorInfo(info.inShape, 'float32',
                            new Float32Array(util.sizeFromShape(info.inShape)));
  }
  const temps: TensorInfo[] = [];
  try {
    let t = flatView(b, dy, temps);
    const k = info.axes.length, lead = info.inShape.length - k;
    // Current logical shape: the axes before `n` are already input-sized.
    const shape = [...info.outShape];
    for (let n = k - 1; n >= 0; n--) {
      const ax = info.axes[n], dim = lead + n;
      shape[dim] = ax.W;
      const inner = util.sizeFromShape(shape.slice(dim + 1));
      const program = new PadGradAxisProgram(util.sizeFromShape(shape), a.mode);
      const out = b.runWebGLProgram(program, [t], 'float32',
                                    [...axisUniforms(ax, a.mode), [inner]]);
      temps.push(out);
      t = out;
    }
    temps.pop();
    return {dataId: t.dataId, shape: info.inShape, dtype: 'float32'};
  } finally {
    for (const t of temps) b.disposeIntermediateTensorInfo(t);
  }
};

export function padWebglKernelConfigs(): KernelConfig[] {
  return [
    {kernelName: Pad, backendName: 'webgl', kernelFunc: padKernel},
    {kernelName: PadGrad, backendName: 'webgl', kernelFunc: padGradKernel},
  ];
}
