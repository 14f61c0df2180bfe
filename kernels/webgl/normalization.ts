/**
 * The normalisation kernels on `webgl`, as GPGPUPrograms on flat (1-D) views of the tensors; the
 * same index arithmetic as kernels/cpu/normalization.ts. Sizes are uniforms, so a new input size
 * compiles nothing; what is baked in is which per-channel inputs are per sample.
 *
 * Statistics are two-pass and chunked, because one fragment per statistic looping over all its
 * elements would leave the GPU idle (and sum long float32 runs): partial sums of CHUNK elements
 * per (statistic, chunk), then one fragment per statistic adds its chunks; then the same for
 * Σ (x − mean)². Four small programs, each O(size) work in parallel.
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {GPGPUProgram, MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import {NormAffine, NormRowSums, NormStats, NormStatsAttrs} from '../../src/kernel_names.js';
import {normParamPerSample, normRowSumsPerSample, normStatsShape, normView} from '../cpu/normalization.js';
import {checkFitsTexture, checkWebGL2, flatView} from './kernels.js';

/** Elements per partial sum. */
const CHUNK = 1024;

type Uniform = {name: string, type: 'int'};
const ints = (...names: string[]): Uniform[] => names.map(name => ({name, type: 'int'}));

/**
 * The elements of statistic `st` are numbered j = 0 … M − 1; each lies in a contiguous block of
 * `blockLen` = (C/G)·S elements: block (st) itself when per sample (M = blockLen), else block
 * (n·G + st) for n = j / blockLen (batch norm: M = N·blockLen).
 */
const ELEMENT_OFFSET = (perSample: boolean) => perSample ? `
int elementOffset(int st, int j) { return st * blockLen + j; }` : `
int elementOffset(int st, int j) {
  int n = j / blockLen;
  return (n * groups + st) * blockLen + (j - n * blockLen);
}`;

/**
 * partial[st·chunks + k] = Σ over chunk k of statistic st of x − x₀ (x₀: the statistic's first
 * element, so that float32 sums of data far from 0 keep their precision), or of (x − mean[st])².
 */
class NormPartialSumProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = ints('count', 'blockLen', 'groups', 'chunks');

  constructor(numStats: number, chunks: number, perSample: boolean, centred: boolean) {
    this.variableNames = centred ? ['x', 'mean'] : ['x'];
    this.outputShape = [numStats * chunks];
    this.userCode = `
${ELEMENT_OFFSET(perSample)}
void main() {
  int idx = getOutputCoords();
  int st = idx / chunks;
  int k = idx - st * chunks;
  int j0 = k * ${CHUNK};
  int j1 = min(j0 + ${CHUNK}, count);
  float m = ${centred ? 'getMean(st)' : 'getX(elementOffset(st, 0))'};
  float acc = 0.0;
  for (int j = j0; j < j1; j++) {
    float v = getX(elementOffset(st, j));
    v -= m;
    acc += ${centred ? 'v * v' : 'v'};
  }
  setOutput(acc);
}`;
  }
}

/** out[st] = Σ_k partial[st·chunks + k] / count (+ x₀ for the mean). */
class NormFinishProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = ints('count', 'blockLen', 'groups', 'chunks');

  constructor(numStats: number, perSample: boolean, mean: boolean) {
    this.variableNames = mean ? ['partial', 'x'] : ['partial'];
    this.outputShape = [numStats];
    this.userCode = `
${ELEMENT_OFFSET(perSample)}
void main() {
  int st = getOutputCoords();
  float acc = 0.0;
  for (int k = 0; k < chunks; k++) acc += getPartial(st * chunks + k);
  setOutput(acc / float(count)${mean ? ' + getX(elementOffset(st, 0))' : ''});
}`;
  }
}

/**
 * partial[row·chunks + k] = Σ over chunk k of row `row` (S contiguous elements) of dy, or of
 * dy·(x − mean) (mean indexed by the row, or by its channel).
 */
class NormRowPartialProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = ints('count', 'channels', 'chunks');

  constructor(rows: number, chunks: number, centred: boolean, meanPerSample: boolean) {
    this.variableNames = centred ? ['dy', 'x', 'mean'] : ['dy'];
    this.outputShape = [rows * chunks];
    this.userCode = `
void main() {
  int idx = getOutputCoords();
  int row = idx / chunks;
  int k = idx - row * chunks;
  int j0 = k * ${CHUNK};
  int j1 = min(j0 + ${CHUNK}, count);
  int base = row * count;
  ${centred ? `float m = getMean(${meanPerSample ? 'row' : 'imod(row, channels)'});` : ''}
  float acc = 0.0;
  for (int j = j0; j < j1; j++) {
    acc += getDy(base + j)${centred ? ' * (getX(base + j) - m)' : ''};
  }
  setOutput(acc);
}`;
  }
}

/** y = (x − mean)·scale + shift per (n, c) row; each parameter indexed by c or by n·C + c. */
class NormAffineProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  enableShapeUniforms = true;
  customUniforms = ints('channels', 'rowLen');

  constructor(size: number, params: Array<{name: string, perSample: boolean}>) {
    this.variableNames = ['x', ...params.map(p => p.name)];
    this.outputShape = [size];
    const get = (name: string) => {
      const p = params.find(q => q.name === name);
      if (p == null) return name === 'scale' ? '1.0' : '0.0';
      const cap = name[0].toUpperCase() + name.slice(1);
      return `get${cap}(${p.perSample ? 'row' : 'c'})`;
    };
    this.userCode = `
void main() {
  int idx = getOutputCoords();
  int row = idx / rowLen;
  int c = imod(row, channels);
  setOutput((getX(idx) - ${get('mean')}) * ${get('scale')} + ${get('shift')});
}`;
  }
}

const normStatsKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x} = inputs as {x: TensorInfo};
  const a = attrs as unknown as NormStatsAttrs;
  const outShape = normStatsShape(x.shape, a);
  const [n, c, s] = normView(NormStats, x.shape);
  const b = backend as MathBackendWebGL;
  checkWebGL2('normStats');
  const numStats = outShape.reduce((p, q) => p * q, 1);
  const blockLen = (c / a.groups) * s;
  const count = a.perSample ? blockLen : n * blockLen;
  if (count === 0 || numStats === 0) {
    const nan = new Float32Array(numStats).fill(NaN);
    return [b.makeTensorInfo(outShape, 'float32', nan), b.makeTensorInfo(outShape, 'float32', nan)];
  }
  checkFitsTexture('normStats', 'input', x.shape);
  const chunks = Math.ceil(count / CHUNK);
  const temps: TensorInfo[] = [];
  try {
    const xv = flatView(b, x, temps);
    const uniforms = [[count], [blockLen], [a.groups], [chunks]];
    const sums = b.runWebGLProgram(new NormPartialSumProgram(numStats, chunks, a.perSample, false),
                                   [xv], 'float32', uniforms);
    temps.push(sums);
    const mean = b.runWebGLProgram(new NormFinishProgram(numStats, a.perSample, true), [sums, xv],
                                   'float32', uniforms);
    const squares = b.runWebGLProgram(
        new NormPartialSumProgram(numStats, chunks, a.perSample, true), [xv, mean], 'float32',
        uniforms);
    temps.push(squares);
    const variance = b.runWebGLProgram(new NormFinishProgram(numStats, a.perSample, false),
                                       [squares], 'float32', uniforms);
    return [{dataId: mean.dataId, shape: outShape, dtype: 'float32'},
            {dataId: variance.dataId, shape: outShape, dtype: 'float32'}];
  } finally {
    for (const t of temps) b.disposeIntermediateTensorInfo(t);
  }
};

const normAffineKernel: KernelFunc = ({inputs, backend}) => {
  const {x, mean, scale, shift} = inputs as unknown as
      {x: TensorInfo, mean?: TensorInfo, scale: TensorInfo, shift?: TensorInfo};
  const [, c, s] = normView(NormAffine, x.shape);
  const b = backend as MathBackendWebGL;
  const given = ([['mean', mean], ['scale', scale], ['shift', shift]] as const)
      .filter(([, t]) => t != null) as Array<[string, TensorInfo]>;
  const params =
      given.map(([name, t]) => ({name, perSample: normParamPerSample(x.shape, name, t.shape)}));
  const size = x.shape.reduce((p, q) => p * q, 1);
  if (size === 0) return b.makeTensorInfo([...x.shape], 'float32', new Float32Array(0));
  checkWebGL2('normAffine');
  checkFitsTexture('normAffine', 'input', x.shape);
  const temps: TensorInfo[] = [];
  try {
    const views = [x, ...given.map(([, t]) => t)].map(t => flatView(b, t, temps));
    const out = b.runWebGLProgram(new NormAffineProgram(size, params), views, 'float32',
                                  [[c], [s]]);
    return {dataId: out.dataId, shape: [...x.shape], dtype: 'float32'};
  } finally {
    for (const t of temps) b.disposeIntermediateTensorInfo(t);
  }
};

const normRowSumsKernel: KernelFunc = ({inputs, backend}) => {
  const {dy, x, mean} = inputs as {dy: TensorInfo, x: TensorInfo, mean: TensorInfo};
  const perSample = normRowSumsPerSample(dy.shape, x.shape, mean.shape);
  const [n, c, s] = normView(NormRowSums, x.shape);
  const b = backend as MathBackendWebGL;
  const rows = n * c;
  if (rows === 0 || s === 0) {
    const zeros = new Float32Array(rows);
    return [b.makeTensorInfo([n, c], 'float32', zeros), b.makeTensorInfo([n, c], 'float32', zeros)];
  }
  checkWebGL2('normRowSums');
  checkFitsTexture('normRowSums', 'input', x.shape);
  const chunks = Math.ceil(s / CHUNK);
  const temps: TensorInfo[] = [];
  try {
    const [dyv, xv, mv] = [dy, x, mean].map(t => flatView(b, t, temps));
    const uniforms = [[s], [c], [chunks]];
    // The finishing program adds each row's chunks (count 1: a sum, not a mean).
    const finish = [[1], [0], [0], [chunks]];
    const outs = [false, true].map(centred => {
      const partial = b.runWebGLProgram(new NormRowPartialProgram(rows, chunks, centred, perSample),
                                        centred ? [dyv, xv, mv] : [dyv], 'float32', uniforms);
      temps.push(partial);
      const sums = b.runWebGLProgram(new NormFinishProgram(rows, true, false), [partial],
                                     'float32', finish);
      return {dataId: sums.dataId, shape: [n, c], dtype: 'float32'} as TensorInfo;
    });
    return outs;
  } finally {
    for (const t of temps) b.disposeIntermediateTensorInfo(t);
  }
};

export function normWebglKernelConfigs(): KernelConfig[] {
  return [
    {kernelName: NormRowSums, backendName: 'webgl', kernelFunc: normRowSumsKernel},
    {kernelName: NormStats, backendName: 'webgl', kernelFunc: normStatsKernel},
    {kernelName: NormAffine, backendName: 'webgl', kernelFunc: normAffineKernel},
  ];
}
