/**
 * Helpers shared by our `webgpu` kernels (tfjs-backend-webgpu 4.22's `WebGPUProgram`s). Only
 * webgpu *types* are imported, so importing the package never loads WebGPU.
 *
 * Why flat views: tfjs-webgpu declares a uniform per input and output shape, and for rank 5 it
 * declares a `vec5` struct that its own generated helpers then index (`cannot index type 'vec5'`):
 * the pipeline does not compile, tfjs only warns, and the result is silently wrong. So every
 * tensor goes to `runWebGPUProgram` as a view of rank ≤ 2 on the same GPU buffer (no copy),
 * and our shaders do their own NCDHW index arithmetic, in i32, from our own uniforms.
 *
 * Why the odd output shape `[size, 1]` and a 2-D dispatch: tfjs' pipeline key
 * (`makeShaderKey`) appends the inputs' broadcast dims against the output, whether an input's
 * shape equals the output's, and whether the dispatch is flat. With inputs `[n]` against an
 * output `[size, 1]` the first two never depend on the sizes, and a dispatch that is never flat
 * fixes the third: the key is our `shaderKey` plus fixed strings, so a new input size compiles
 * nothing.
 */
import {util} from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {WebGPUBackend, WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import {fmtShape} from '../../src/geometry.js';

export type {WebGPUBackend, WebGPUProgram};

/** One custom uniform, in the order of the program's `uniforms` declaration. */
export type Uniform = {type: 'int32'|'float32'|'uint32', data: number[]};

/** Invocations per workgroup of our programs (1-D workgroups). */
export const WORKGROUP_SIZE = 64;

/** A rank-1 view of `t` on the same GPU buffer (a TensorInfo, no copy, nothing to dispose). */
export function flatView(t: TensorInfo): TensorInfo {
  return {dataId: t.dataId, shape: [util.sizeFromShape(t.shape)], dtype: t.dtype};
}

/**
 * A dispatch of `workgroups` 1-D workgroups that is never "flat" (its y is at least 2; see the
 * file comment) and stays within WebGPU's 65535 workgroups per dimension. Invocations past the
 * work are idle: programs check their index against a `total` uniform.
 */
export function dispatchFor(workgroups: number): [number, number, number] {
  const max = 65535;
  if (workgroups <= 2 * max) return [Math.max(1, Math.ceil(workgroups / 2)), 2, 1];
  const y = Math.ceil(workgroups / max);
  if (y > max) throw new Error(`webgpu: ${workgroups} workgroups exceed WebGPU's dispatch limit`);
  return [max, y, 1];
}

/** `const NAME : i32 = value;` lines for the hyper-parameters baked into a shader. */
export function wgslConstants(values: Record<string, number>): string {
  return Object.entries(values).map(([k, v]) => `const ${k} : i32 = ${v};`).join('\n');
}

/**
 * The workgroup-linear index of this invocation over a `dispatchFor` dispatch (tfjs' generated
 * `getGlobalIndex()` computes the same for a non-flat dispatch; this one is for programs that
 * need the workgroup's own index, e.g. reductions with one workgroup per output).
 */
export const WORKGROUP_INDEX = `
fn workgroupIndex() -> i32 {
  return i32(workgroupId.z * numWorkgroups.x * numWorkgroups.y +
             workgroupId.y * numWorkgroups.x + workgroupId.x);
}`;

/**
 * A WebGPU storage binding holds at most `maxStorageBufferBindingSize` bytes (the adapter's
 * limit, which tfjs requests); a larger tensor would fail validation, which tfjs-webgpu turns into
 * a console warning and a wrong result. Checked before any work is done.
 */
export function checkFitsBinding(
    backend: WebGPUBackend, opName: string, what: string, shape: readonly number[]) {
  const max = backend.device.limits.maxStorageBufferBindingSize;
  const bytes = util.sizeFromShape(shape as number[]) * 4;
  if (bytes <= max) return;
  throw new Error(`${opName} (webgpu): the ${what} of size ${fmtShape(shape)} needs ${bytes} ` +
      `bytes, more than one WebGPU storage buffer binds here (maxStorageBufferBindingSize = ` +
      `${max}); split the batch or use another backend`);
}

/**
 * Runs `program` on flat views of `inputs` (output `[size, 1]`) and hands back the result with
 * the logical shape `outShape`: the same buffer, so there is nothing to dispose.
 */
export function runFlat(
    backend: WebGPUBackend, program: WebGPUProgram, inputs: TensorInfo[], uniforms: Uniform[],
    outShape: number[]): TensorInfo {
  const out = backend.runWebGPUProgram(program, inputs.map(flatView), 'float32', uniforms);
  return {dataId: out.dataId, shape: outShape, dtype: 'float32'};
}

/** Fields every program of ours shares; the subclass sets the key, variables and code. */
export abstract class FlatProgram implements WebGPUProgram {
  abstract variableNames: string[];
  abstract shaderKey: string;
  abstract uniforms: string;
  outputShape: number[];
  dispatchLayout = {x: [0]};
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];

  /** `size` output elements, `invocations` invocations (or workgroups × WORKGROUP_SIZE). */
  constructor(size: number, invocations: number) {
    this.outputShape = [size, 1];
    this.dispatch = dispatchFor(Math.ceil(invocations / WORKGROUP_SIZE));
  }

  abstract getUserCode(): string;
}
