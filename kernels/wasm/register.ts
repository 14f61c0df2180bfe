/**
 * Registers our kernels for tfjs-backend-wasm's `wasm` backend (an optional peer; registering by
 * name needs nothing from that package). tfjs-wasm's own Conv3DBackpropInputV2 and (for
 * stride > 1) Conv3DBackpropFilterV2 disagree with PyTorch and tfjs' cpu backend; ours run the
 * same compute core as the cpu kernels: inputs are read out of the backend's heap, the output is
 * written into a tensor it allocates.
 */
import {getKernel, registerKernel} from '@tensorflow/tfjs-core';
import type {DataId, TensorInfo} from '@tensorflow/tfjs-core';
import {BackendAdapter, typedArrayKernelConfigs} from '../cpu/kernels.js';

/** The part of tfjs-backend-wasm's BackendWasm (4.x) we use. */
interface WasmBackend {
  readSync(dataId: DataId): unknown;
  makeOutput(shape: number[], dtype: 'float32', memoryOffset?: number,
             values?: Float32Array): TensorInfo;
}

export const adaptWasm: BackendAdapter = backend => {
  const b = backend as WasmBackend;
  return {
    readSync: dataId => b.readSync(dataId),
    makeTensorInfo: (shape, dtype, values) => b.makeOutput(shape, dtype, undefined, values),
  };
};

for (const config of typedArrayKernelConfigs('wasm', adaptWasm)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}

// ---- padding: the cpu loops on the wasm backend's memory ----
import {padKernelConfigs} from '../cpu/padding.js';
for (const config of padKernelConfigs('wasm', adaptWasm)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
// Pooling and interpolation (issue 14): the cpu backend's JS kernels, through the same adapter.
import {poolingKernelConfigs} from '../cpu/pooling.js';
import {interpolateKernelConfigs} from '../cpu/interpolate.js';
for (const config of [...poolingKernelConfigs('wasm', adaptWasm),
                      ...interpolateKernelConfigs('wasm', adaptWasm)]) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
// Normalisation kernels: the cpu ones (kernels/cpu/normalization.ts) through the same adapter.
import {normKernelConfigs} from '../cpu/normalization.js';
for (const config of normKernelConfigs('wasm', adaptWasm)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
