/**
 * The `cpu` backend's kernels: read the backend's typed arrays, run the compute core, hand back a
 * new TensorInfo. No other tf ops are used, so no intermediate TensorInfo is ever created.
 */
import type {DataId, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {infoFromAttrs, conv3dInfo, ConvTranspose3DAttrs, fmtShape} from '../../src/geometry.js';
import {Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad, ConvTranspose3DWeightGradAttrs} from '../../src/kernel_names.js';
import {conv3dForward, convTranspose3dForward, convTranspose3dWeightGrad} from './compute.js';

/** What we need of a backend that keeps its data in JS typed arrays (MathBackendCPU). */
export interface TypedArrayBackend {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export function readF32(backend: TypedArrayBackend, t: TensorInfo): Float32Array {
  const v = backend.readSync(t.dataId);
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

const convTranspose3dKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
  const b = backend as unknown as TypedArrayBackend;
  const info = infoFromAttrs('convTranspose3d', x.shape, weight.shape,
                             attrs as unknown as ConvTranspose3DAttrs);
  const y = convTranspose3dForward(readF32(b, x), readF32(b, weight),
                                   bias ? readF32(b, bias) : null, info);
  return b.makeTensorInfo(info.outShape, 'float32', y);
};

const conv3dKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
  const b = backend as unknown as TypedArrayBackend;
  const info = conv3dInfo('conv3d', x.shape, weight.shape, bias?.shape,
                          attrs as unknown as ConvTranspose3DAttrs);
  const y = conv3dForward(readF32(b, x), readF32(b, weight), bias ? readF32(b, bias) : null, info);
  return b.makeTensorInfo(info.inShape, 'float32', y);
};

/** Geometry of the weight-gradient kernel, checked against the upstream gradient's shape. */
export function weightGradInfo(
    xShape: number[], dyShape: number[], attrs: ConvTranspose3DWeightGradAttrs) {
  const cog = dyShape[1] / attrs.groups;
  const info = infoFromAttrs('convTranspose3d (weight gradient)', xShape,
                             [xShape[1], cog, ...attrs.kernelSize], attrs);
  if (info.outShape.some((s, i) => s !== dyShape[i])) {
    throw new Error(`convTranspose3d (weight gradient): expected dy of size ` +
        `${fmtShape(info.outShape)}, but got ${fmtShape(dyShape)}`);
  }
  return info;
}

const weightGradKernel: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
  const b = backend as unknown as TypedArrayBackend;
  const info = weightGradInfo(x.shape, dy.shape,
                              attrs as unknown as ConvTranspose3DWeightGradAttrs);
  const dw = convTranspose3dWeightGrad(readF32(b, x), readF32(b, dy), info);
  return b.makeTensorInfo(info.weightShape, 'float32', dw);
};

/** Kernel configs for a backend that stores typed arrays (cpu, and stand-ins wrapping it). */
export function typedArrayKernelConfigs(backendName: string): KernelConfig[] {
  return [
    {kernelName: ConvTranspose3D, backendName, kernelFunc: convTranspose3dKernel},
    {kernelName: Conv3D, backendName, kernelFunc: conv3dKernel},
    {kernelName: ConvTranspose3DWeightGrad, backendName, kernelFunc: weightGradKernel},
  ];
}
