/**
 * The `webgl` backend's kernels: rebuild the geometry, check that the result fits a texture, run
 * one shader from programs.ts on flat views of the inputs, hand back the output with its N-D
 * shape. Only webgl *types* are imported here, so importing the package never loads WebGL.
 */
import {env, util} from '@tensorflow/tfjs-core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import type {GPGPUProgram, MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import {conv3dInfo, ConvTranspose3DAttrs, ConvTranspose3DInfo, fmtShape, infoFromAttrs} from '../../src/geometry.js';
import {Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad, ConvTranspose3DWeightGradAttrs} from '../../src/kernel_names.js';
import {weightGradInfo} from '../cpu/kernels.js';
import {activationGrid, Conv3DPackedProgram, ConvTranspose3DPackedProgram, PackActivationsProgram, PackWeightProgram, UnpackActivationsProgram, UnpackWeightGradProgram, weightGrid, weightGradGrid, WeightGradPackedProgram, WeightLayout} from './packed_programs.js';
import {Conv3DProgram, ConvTranspose3DProgram, ConvTranspose3DWeightGradProgram, sizeUniformValues} from './programs.js';

/**
 * tfjs stores a tensor of n elements that it sees as 1-D in a [1, n] texture, or a squarish one
 * when n exceeds WEBGL_MAX_TEXTURE_SIZE; past max² elements no texture can hold it. We check
 * before any work is done rather than let the allocation fail later (or a shader index wrap).
 */
export function checkFitsTexture(opName: string, what: string, shape: readonly number[]) {
  const max = env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  const n = util.sizeFromShape(shape as number[]);
  if (n <= max) return;
  const [rows, cols] = util.sizeToSquarishShape(n);
  if (rows <= max && cols <= max) return;
  throw new Error(`${opName} (webgl): the ${what} of size ${fmtShape(shape)} has ${n} ` +
      `elements, more than a WebGL texture holds here (WEBGL_MAX_TEXTURE_SIZE = ${max}, so at ` +
      `most ${max}×${max} = ${max * max} elements); split the batch or use another backend`);
}

export function checkWebGL2(opName: string) {
  const version = env().getNumber('WEBGL_VERSION');
  if (version < 2) {
    throw new Error(`${opName} (webgl): needs WebGL 2 (loops with uniform bounds), but this ` +
        `context is WebGL ${version}; use the cpu or wasm backend`);
  }
}

/**
 * A 1-D view of `t` sharing its texture. An unpacked texture is row-major whatever its logical
 * shape; a packed one is unpacked first, at its own shape (the copy goes to `temps`).
 */
export function flatView(backend: MathBackendWebGL, t: TensorInfo, temps: TensorInfo[]): TensorInfo {
  let src = t;
  if (backend.texData.get(t.dataId).isPacked) {
    src = backend.unpackTensor(t);
    temps.push(src);
  }
  return {dataId: src.dataId, shape: [util.sizeFromShape(t.shape)], dtype: t.dtype};
}

/** Runs `program` on flat views of `inputs`; the result gets `outShape`. */
function run(
    backend: MathBackendWebGL, program: GPGPUProgram, inputs: TensorInfo[],
    info: ConvTranspose3DInfo, outShape: number[]): TensorInfo {
  const temps: TensorInfo[] = [];
  try {
    const views = inputs.map(t => flatView(backend, t, temps));
    const out = backend.runWebGLProgram(program, views, 'float32', sizeUniformValues(info));
    // The 1-D output's texture is row-major: the N-D tensor is the same data, reshaped.
    return {dataId: out.dataId, shape: outShape, dtype: 'float32'};
  } finally {
    for (const t of temps) backend.disposeIntermediateTensorInfo(t);
  }
}


/**
 * tfjs environment flag: `tf.env().set('CT3D_WEBGL_PACKED', false)` sends every call to the flat
 * programs (programs.ts), the fallback otherwise used only where the packed textures do not fit.
 * The tests use it to keep the fallback covered.
 */
export const PACKED_FLAG = 'CT3D_WEBGL_PACKED';
env().registerFlag(PACKED_FLAG, () => true);

/**
 * The packed path (packed_programs.ts) needs every texel grid it creates to be a texture of
 * exactly that many texels, i.e. each side at most WEBGL_MAX_TEXTURE_SIZE, and non-empty inputs.
 */
function packedPathFits(grids: Array<[number, number]>, inputs: TensorInfo[]): boolean {
  if (!env().getBool(PACKED_FLAG)) return false;
  const max = env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  return grids.every(([r, c]) => r >= 1 && c >= 1 && r <= max && c <= max) &&
      inputs.every(t => util.sizeFromShape(t.shape) > 0);
}

/**
 * Runs a program with a packed output of logical shape [2R, 2C] and checks that tfjs gave it a
 * texture of R × C texels (the layout the main programs address with texelFetch). The output goes
 * to `temps`; null when the texture has another shape (the caller falls back to the flat path).
 */
function runPacked(
    backend: MathBackendWebGL, program: GPGPUProgram, inputs: TensorInfo[],
    uniforms: number[][]|undefined, temps: TensorInfo[]): TensorInfo|null {
  const out = backend.runWebGLProgram(program, inputs, 'float32', uniforms, true);
  temps.push(out);
  const tex = backend.texData.get(out.dataId).texShape;
  return tex != null && tex[0] === program.outputShape[0] && tex[1] === program.outputShape[1] ?
      out : null;
}

/** Activations [N, C, D, H, W] → channels-innermost texels with `groups` groups. */
function packActivations(
    backend: MathBackendWebGL, t: TensorInfo, groups: number, temps: TensorInfo[]) {
  return runPacked(backend, new PackActivationsProgram(t.shape, groups),
                   [flatView(backend, t, temps)], [t.shape.slice(2)], temps);
}

/**
 * The packed path of convTranspose3d / conv3d: pack x and the weight (+ bias), run the main
 * program. Null when a texture did not get the expected layout.
 */
function runPackedConv(
    backend: MathBackendWebGL, layout: WeightLayout, x: TensorInfo, weight: TensorInfo,
    bias: TensorInfo|undefined, info: ConvTranspose3DInfo, outShape: number[]): TensorInfo|null {
  const temps: TensorInfo[] = [];
  try {
    const xp = packActivations(backend, x, info.groups, temps);
    const wInputs = [weight, ...(bias ? [bias] : [])].map(t => flatView(backend, t, temps));
    const wp = xp && runPacked(backend, new PackWeightProgram(info, layout, bias != null),
                               wInputs, undefined, temps);
    if (xp == null || wp == null) return null;
    const program = layout === 'transposed' ? new ConvTranspose3DPackedProgram(info, bias != null) :
                                              new Conv3DPackedProgram(info, bias != null);
    const yp = runPacked(backend, program, [xp, wp], sizeUniformValues(info), temps);
    if (yp == null) return null;
    const out = backend.runWebGLProgram(new UnpackActivationsProgram(outShape, info.groups), [yp],
                                        'float32', [outShape.slice(2)]);
    return {dataId: out.dataId, shape: outShape, dtype: 'float32'};
  } finally {
    for (const t of temps) backend.disposeIntermediateTensorInfo(t);
  }
}

const convTranspose3dKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
  const name = 'convTranspose3d';
  const info = infoFromAttrs(name, x.shape, weight.shape, attrs as unknown as ConvTranspose3DAttrs);
  checkWebGL2(name);
  checkFitsTexture(name, 'output', info.outShape);
  const b = backend as MathBackendWebGL;
  if (packedPathFits([activationGrid(x.shape, info.groups),
                      weightGrid(info, 'transposed', bias != null),
                      activationGrid(info.outShape, info.groups)], [x, weight])) {
    const out = runPackedConv(b, 'transposed', x, weight, bias, info, info.outShape);
    if (out != null) return out;
  }
  const program = new ConvTranspose3DProgram(info, bias != null);
  return run(b, program, bias ? [x, weight, bias] : [x, weight], info, info.outShape);
};

const conv3dKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
  const name = 'conv3d';
  const info = conv3dInfo(name, x.shape, weight.shape, bias?.shape,
                          attrs as unknown as ConvTranspose3DAttrs);
  checkWebGL2(name);
  checkFitsTexture(name, 'output', info.inShape);
  const b = backend as MathBackendWebGL;
  if (packedPathFits([activationGrid(x.shape, info.groups),
                      weightGrid(info, 'conv', bias != null),
                      activationGrid(info.inShape, info.groups)], [x, weight])) {
    const out = runPackedConv(b, 'conv', x, weight, bias, info, info.inShape);
    if (out != null) return out;
  }
  const program = new Conv3DProgram(info, bias != null);
  return run(b, program, bias ? [x, weight, bias] : [x, weight], info, info.inShape);
};

/** The packed path of the weight gradient; null when a texture did not get the expected layout. */
function runPackedWeightGrad(
    backend: MathBackendWebGL, x: TensorInfo, dy: TensorInfo,
    info: ConvTranspose3DInfo): TensorInfo|null {
  const temps: TensorInfo[] = [];
  try {
    const xp = packActivations(backend, x, info.groups, temps);
    const dyp = xp && packActivations(backend, dy, info.groups, temps);
    const dwp = dyp && runPacked(backend, new WeightGradPackedProgram(info), [xp!, dyp],
                                 sizeUniformValues(info), temps);
    if (dwp == null) return null;
    const out = backend.runWebGLProgram(new UnpackWeightGradProgram(info), [dwp], 'float32');
    return {dataId: out.dataId, shape: info.weightShape, dtype: 'float32'};
  } finally {
    for (const t of temps) backend.disposeIntermediateTensorInfo(t);
  }
}

const weightGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
  const info = weightGradInfo(x.shape, dy.shape, attrs as unknown as ConvTranspose3DWeightGradAttrs);
  const b = backend as MathBackendWebGL;
  if (info.batchSize === 0) {
    // An empty batch sums nothing (and empty inputs have no texture to sample).
    return b.makeTensorInfo(info.weightShape, 'float32',
                            new Float32Array(util.sizeFromShape(info.weightShape)));
  }
  checkWebGL2('convTranspose3dWeightGrad');
  checkFitsTexture('convTranspose3dWeightGrad', 'weight gradient', info.weightShape);
  if (packedPathFits([activationGrid(x.shape, info.groups), activationGrid(dy.shape, info.groups),
                      weightGradGrid(info)], [x, dy])) {
    const out = runPackedWeightGrad(b, x, dy, info);
    if (out != null) return out;
  }
  return run(b, new ConvTranspose3DWeightGradProgram(info), [x, dy], info, info.weightShape);
};

export function webglKernelConfigs(): KernelConfig[] {
  const backendName = 'webgl';
  return [
    {kernelName: ConvTranspose3D, backendName, kernelFunc: convTranspose3dKernel},
    {kernelName: Conv3D, backendName, kernelFunc: conv3dKernel},
    {kernelName: ConvTranspose3DWeightGrad, backendName, kernelFunc: weightGradKernel},
  ];
}
