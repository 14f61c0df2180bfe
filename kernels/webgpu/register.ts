/**
 * Registers our kernels for tfjs' `webgpu` backend (a side effect of importing the package).
 * Registering under a backend name needs no backend: without WebGPU (Node, an old browser)
 * nothing runs, and @tensorflow/tfjs-backend-webgpu is not loaded (only its types are used).
 */
import {getKernel, registerKernel} from '@tensorflow/tfjs-core';
import {webgpuKernelConfigs} from './kernels.js';

for (const config of webgpuKernelConfigs()) {
  // Importing two builds of this package (ESM and CJS) must not throw on re-registration.
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
