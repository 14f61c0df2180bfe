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

const adaptWasm: BackendAdapter = backend => {
  const b = backend as WasmBackend;
  return {
    readSync: dataId => b.readSync(dataId),
    makeTensorInfo: (shape, dtype, values) => b.makeOutput(shape, dtype, undefined, values),
  };
};

for (const config of typedArrayKernelConfigs('wasm', adaptWasm)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}

// Normalisation kernels: the cpu ones (kernels/cpu/normalization.ts) through the same adapter.
import {normKernelConfigs} from '../cpu/normalization.js';
for (const config of normKernelConfigs('wasm', adaptWasm)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
