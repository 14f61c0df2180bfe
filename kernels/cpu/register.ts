/** Registers our kernels for tfjs' `cpu` backend (a side effect of importing the package). */
import {getKernel, registerKernel, unregisterKernel} from '@tensorflow/tfjs-core';
import {typedArrayKernelConfigs} from './kernels.js';

for (const config of typedArrayKernelConfigs('cpu')) {
  // Importing two builds of this package (ESM and CJS) must not throw on re-registration.
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}

// ---- padding ----
import {padKernelConfigs} from './padding.js';
for (const config of padKernelConfigs('cpu', backend => backend as never)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
// Pooling and interpolation (issue 14): the same JS kernels serve cpu, wasm and tensorflow.
import {poolingKernelConfigs} from './pooling.js';
import {interpolateKernelConfigs} from './interpolate.js';
for (const config of [...poolingKernelConfigs('cpu'), ...interpolateKernelConfigs('cpu')]) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
// Normalisation kernels (kernels/cpu/normalization.ts).
import {normKernelConfigs} from './normalization.js';
import type {TypedArrayBackend} from './kernels.js';
for (const config of normKernelConfigs('cpu', backend => backend as TypedArrayBackend)) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
// tfjs' own LeakyRelu on cpu, replaced by a bit-identical SIMD one (kernels/cpu/activation.ts
// says why and when); only if tfjs' cpu kernels are registered already.
import {leakyReluConfig, isOurLeakyRelu} from './activation.js';
{
  const original = getKernel('LeakyRelu', 'cpu');
  if (original != null && !isOurLeakyRelu(original)) {
    unregisterKernel('LeakyRelu', 'cpu');
    registerKernel(leakyReluConfig(original));
  }
}
