/**
 * Registers our kernels for tfjs' `webgpu` backend (a side effect of importing the package).
 * Registering under a backend name needs no backend: without WebGPU (Node, an old browser)
 * nothing runs, and @tensorflow/tfjs-backend-webgpu is not loaded (only its types are used).
 */
import {getKernel, registerKernel} from '@tensorflow/tfjs-core';
import type {KernelConfig} from '@tensorflow/tfjs-core';
import {webgpuKernelConfigs} from './kernels.js';
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

// The convolutions (kernels.ts), then the whole-network ops: norms, padding, pooling, interpolation.
registerAll([...webgpuKernelConfigs(), ...normWebgpuKernelConfigs(), ...padWebgpuKernelConfigs(),
             ...webgpuPoolingKernelConfigs(), ...webgpuInterpolateKernelConfigs()]);
