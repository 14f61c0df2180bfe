/**
 * Registers our kernels for tfjs' `webgpu` backend (a side effect of importing the package).
 * Registering under a backend name needs no backend: without WebGPU, nothing runs, and only
 * types are imported from @tensorflow/tfjs-backend-webgpu (an optional peer).
 */
import {getKernel, registerKernel} from '@tensorflow/tfjs-core';
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {normWebgpuKernelConfigs} from './normalization.js';
import {padWebgpuKernelConfigs} from './padding.js';
import {webgpuPoolingKernelConfigs} from './pooling.js';
import {webgpuInterpolateKernelConfigs} from './interpolate.js';

function registerAll(configs: KernelConfig[]) {
  for (const config of configs) {
    // Importing two builds of this package (ESM and CJS) must not throw on re-registration.
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
}

// Whole-network ops: norms, padding, pooling, interpolation.
registerAll([...normWebgpuKernelConfigs(), ...padWebgpuKernelConfigs(),
             ...webgpuPoolingKernelConfigs(), ...webgpuInterpolateKernelConfigs()]);
