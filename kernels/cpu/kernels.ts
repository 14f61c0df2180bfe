/**
 * The `cpu` backend's kernels: read the backend's typed arrays, run the compute core (WebAssembly
 * SIMD or pure JS, see dispatch.ts), hand back a new TensorInfo. No other tf ops are used, so no
 * intermediate TensorInfo is ever created. tfjs-backend-wasm reuses them through an adapter.
 */
import type {DataId, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {infoFromAttrs, conv3dInfo, ConvTranspose3DAttrs, fmtShape} from '../../src/geometry.js';
import {BiasGrad, Conv3D, ConvTranspose3D, ConvTranspose3DWeightGrad, ConvTranspose3DWeightGradAttrs} from '../../src/kernel_names.js';
import {computeBiasGrad, computeConv3d, computeConvTranspose3d, computeWeightGrad} from './dispatch.js';

/** What we need of a backend that keeps its data in JS typed arrays (MathBackendCPU). */
export interface TypedArrayBackend {
  readSync(dataId: DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

export function readF32(backend: TypedArrayBackend, t: TensorInfo): Float32Array {
  const v = backend.readSync(t.dataId);
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/** Turns a backend into the two calls we need (the identity for MathBackendCPU). */
export type BackendAdapter = (backend: unknown) => TypedArrayBackend;
const asTypedArrayBackend: BackendAdapter = backend => backend as TypedArrayBackend;

const convTranspose3dKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
  const b = adapt(backend);
  const info = infoFromAttrs('convTranspose3d', x.shape, weight.shape,
                             attrs as unknown as ConvTranspose3DAttrs);
  const y = computeConvTranspose3d(readF32(b, x), readF32(b, weight),
                                 bias ? readF32(b, bias) : null, info);
  return b.makeTensorInfo(info.outShape, 'float32', y);
};

const conv3dKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x, weight, bias} = inputs as {x: TensorInfo, weight: TensorInfo, bias?: TensorInfo};
  const b = adapt(backend);
  const info = conv3dInfo('conv3d', x.shape, weight.shape, bias?.shape,
                          attrs as unknown as ConvTranspose3DAttrs);
  const y = computeConv3d(readF32(b, x), readF32(b, weight), bias ? readF32(b, bias) : null, info);
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

const weightGradKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend, attrs}) => {
  const {x, dy} = inputs as {x: TensorInfo, dy: TensorInfo};
  const b = adapt(backend);
  const info = weightGradInfo(x.shape, dy.shape,
                              attrs as unknown as ConvTranspose3DWeightGradAttrs);
  const dw = computeWeightGrad(readF32(b, x), readF32(b, dy), info);
  return b.makeTensorInfo(info.weightShape, 'float32', dw);
};

const biasGradKernel = (adapt: BackendAdapter): KernelFunc => ({inputs, backend}) => {
  const {dy} = inputs as {dy: TensorInfo};
  const b = adapt(backend);
  if (dy.shape.length !== 5) {
    throw new Error(`bias gradient: expected a 5-D dy, but got ${fmtShape(dy.shape)}`);
  }
  const [n, c, ...spatial] = dy.shape;
  const db = computeBiasGrad(readF32(b, dy), n, c, spatial.reduce((p, q) => p * q, 1));
  return b.makeTensorInfo([c], 'float32', db);
};

/** Kernel configs for a backend that stores typed arrays (cpu, and stand-ins wrapping it). */
export function typedArrayKernelConfigs(
    backendName: string, adapt: BackendAdapter = asTypedArrayBackend): KernelConfig[] {
  return [
    {kernelName: ConvTranspose3D, backendName, kernelFunc: convTranspose3dKernel(adapt)},
    {kernelName: Conv3D, backendName, kernelFunc: conv3dKernel(adapt)},
    {kernelName: ConvTranspose3DWeightGrad, backendName, kernelFunc: weightGradKernel(adapt)},
    {kernelName: BiasGrad, backendName, kernelFunc: biasGradKernel(adapt)},
  ];
}
