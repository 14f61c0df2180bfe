/**
 * The `webgpu` backend's convolution kernels: rebuild the geometry with the shared module, check
 * that every tensor fits a storage binding, run one program from programs.ts on flat views of
 * the inputs, hand back the output with its N-D shape. No intermediate tensors (so nothing to
 * dispose) and no tfjs op of rank 5 (whose webgpu shaders do not compile: see webgpu_util.ts).
 */
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {util} from '@tensorflow/tfjs-core';
import {conv3dInfo, ConvTranspose3DAttrs, fmtShape, infoFromAttrs} from '../../src/geometry.js';
import {BiasGrad, Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad, ConvTranspose3DWeightGradAttrs} from '../../src/kernel_names.js';
import {weightGradInfo} from '../cpu/kernels.js';
import {BiasGradProgram, Conv3DProgram, ConvTranspose3DProgram, ConvTranspose3DWeightGradProgram} from './programs.js';
import {checkFitsBinding, runFlat, WebGPUBackend} from './webgpu_util.js';

type ConvInputs = {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};

function checkAll(backend: WebGPUBackend, opName: string, tensors: Record<string, readonly number[]>) {
  for (const [what, shape] of Object.entries(tensors)) checkFitsBinding(backend, opName, what, shape);
}

const convTranspose3dKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as ConvInputs;
  const name = 'convTranspose3d';
  const info = infoFromAttrs(name, x.shape, weight.shape, attrs as unknown as ConvTranspose3DAttrs);
  const b = backend as WebGPUBackend;
  checkAll(b, name, {input: x.shape, weight: weight.shape, output: info.outShape});
  const program = new ConvTranspose3DProgram(info, bias != null);
  return runFlat(b, program, bias ? [x, weight, bias] : [x, weight], program.uniformValues,
                 info.outShape);
};

const conv3dKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as ConvInputs;
  const name = 'conv3d';
  const info = conv3dInfo(name, x.shape, weight.shape, bias?.shape,
                          attrs as unknown as ConvTranspose3DAttrs);
  const b = backend as WebGPUBackend;
  checkAll(b, name, {input: x.shape, weight: weight.shape, output: info.inShape});
  const program = new Conv3DProgram(info, bias != null);
  return runFlat(b, program, bias ? [x, weight, bias] : [x, weight], program.uniformValues,
                 info.inShape);
};

const weightGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
  const info = weightGradInfo(x.shape, dy.shape, attrs as unknown as ConvTranspose3DWeightGradAttrs);
  const b = backend as WebGPUBackend;
  if (info.batchSize === 0) {
    // An empty batch sums nothing (and empty inputs have no buffer to bind).
    return b.makeTensorInfo(info.weightShape, 'float32',
                            new Float32Array(util.sizeFromShape(info.weightShape)));
  }
  const name = 'convTranspose3dWeightGrad';
  checkAll(b, name, {input: x.shape, dy: dy.shape, 'weight gradient': info.weightShape});
  const program = new ConvTranspose3DWeightGradProgram(info);
  return runFlat(b, program, [x, dy], program.uniformValues, info.weightShape);
};

const biasGradKernel: KernelFunc = ({inputs, backend}) => {
  const {dy} = inputs as {dy: TensorInfo};
  if (dy.shape.length !== 5) {
    throw new Error(`bias gradient: expected a 5-D dy, but got ${fmtShape(dy.shape)}`);
  }
  const b = backend as WebGPUBackend;
  const c = dy.shape[1];
  if (util.sizeFromShape(dy.shape) === 0) {
    return b.makeTensorInfo([c], 'float32', new Float32Array(c));
  }
  checkFitsBinding(b, 'bias gradient', 'dy', dy.shape);
  const program = new BiasGradProgram(dy.shape);
  return runFlat(b, program, [dy], program.uniformValues, [c]);
};

export function webgpuKernelConfigs(): KernelConfig[] {
  const backendName = 'webgpu';
  return [
    {kernelName: ConvTranspose3D, backendName, kernelFunc: convTranspose3dKernel},
    {kernelName: Conv3D, backendName, kernelFunc: conv3dKernel},
    {kernelName: ConvTranspose3DWeightGrad, backendName, kernelFunc: weightGradKernel},
    {kernelName: BiasGrad, backendName, kernelFunc: biasGradKernel},
  ];
}
