/** Registers our kernels for tfjs' `cpu` backend (a side effect of importing the package). */
import {getKernel, registerKernel} from '@tensorflow/tfjs-core';
import {typedArrayKernelConfigs} from './kernels.js';

for (const config of typedArrayKernelConfigs('cpu')) {
  // Importing two builds of this package (ESM and CJS) must not throw on re-registration.
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}

// Normalisation kernels (kernels/cpu/normalization.ts).
import {normKernelConfigs} from './normalization.js';
import type {TypedArrayBackend} from './kernels.js';
for (const config of normKernelConfigs('cpu', backend => backend as TypedArrayBackend)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
