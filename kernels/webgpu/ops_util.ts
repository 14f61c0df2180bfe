/**
 * Shared pieces of the whole-network kernels on `webgpu` (norms, pooling, padding,
 * interpolation): flat programs over 1-D views of the tensors.
 *
 * tfjs-webgpu 4.22 declares each input's and the output's shape as a uniform of a type chosen by
 * rank, and for rank 5 that type is a `vec5` struct that several of its own snippets index like
 * a vector: the shader fails to compile, with only a console warning, and the output is left
 * unwritten. So every program here sees its inputs and output as 1-D (`i32` shapes), reads the
 * buffers directly and does its index arithmetic on our own i32 uniforms. Sizes are uniforms;
 * only what changes the code (mode, pooling window) is baked into the source and our shader key.
 *
 * tfjs' pipeline key (`makeShaderKey`) also appends, per input, its broadcast dims against the
 * output and whether its shape equals the output's, and whether the dispatch is flat. With
 * inputs `[n]`, an output `[size, 1]` and a dispatch that is never flat (y ≥ 2), none of these
 * depends on the sizes, so a new input size compiles nothing (the flat views, the dispatch and the
 * binding check are kernels/webgpu/webgpu_util.ts', shared with the convolutions; test/webgpu_ops_browser_test.ts counts the pipelines).
 *
 * Only types are imported from tfjs-backend-webgpu: importing this package never loads it.
 */
import {util} from '@tensorflow/tfjs-core';
import type {DataType, TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend, WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import {dispatchFor, flatView, WORKGROUP_SIZE} from './webgpu_util.js';

/** A uniform value as runWebGPUProgram takes it (declared in the program's `uniforms`). */
export type UniformData = {type: 'int32'|'float32', data: number[]};

export const ints = (...values: number[][]): UniformData[] =>
    values.map(data => ({type: 'int32', data}));

/** WGSL type of an int uniform of `n` components. */
const intType = (n: number) => n === 1 ? 'i32' : `vec${n}<i32>`;

/** Uniform declarations for runWebGPUProgram: `name : type,` per [name, components]. */
export function intUniforms(...decls: Array<[string, number]>): string {
  return decls.map(([name, n]) => `${name} : ${intType(n)},`).join(' ');
}

/**
 * One invocation per output element: `index` is the flat output index (below `uniforms.size`),
 * the output buffer is `result`, input `name` is the buffer `name` (array<f32> or array<i32>).
 * `helpers` is module-scope WGSL (functions, constants), `body` the work for one index.
 */
export class FlatProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];
  variableNames: string[];
  uniforms: string;
  size = true;
  private readonly helpers: string;
  private readonly body: string;

  constructor(key: string, size: number, variableNames: string[], uniforms: string,
              helpers: string, body: string) {
    this.outputShape = [size, 1];
    this.shaderKey = key;
    this.variableNames = variableNames;
    this.uniforms = uniforms;
    this.helpers = helpers;
    this.body = body;
    this.dispatch = dispatchFor(Math.ceil(size / WORKGROUP_SIZE));
  }

  getUserCode(): string {
    return `
${this.helpers}
fn main(index : i32) {
  if (index < uniforms.size) {
${this.body}
  }
}`;
  }
}

/**
 * Runs `program` on flat views of `inputs` and gives its flat output the N-D `outShape`. An
 * empty output is made directly; `fill` is the value of a non-empty output whose input is empty
 * (a gradient's zeros, constant padding of nothing).
 */
export function runFlat(backend: WebGPUBackend, program: WebGPUProgram, inputs: TensorInfo[],
                        dtype: DataType, uniforms: UniformData[], outShape: number[],
                        fill = 0): TensorInfo {
  const n = util.sizeFromShape(outShape);
  if (n === 0 || inputs.some(t => util.sizeFromShape(t.shape) === 0)) {
    return backend.makeTensorInfo(outShape, dtype,
        util.getTypedArrayFromDType(dtype as 'float32', n).fill(fill));
  }
  const out = backend.runWebGPUProgram(program, inputs.map(flatView), dtype, uniforms);
  return {dataId: out.dataId, shape: outShape, dtype};
}
