/**
 * Registers our kernels for tfjs' `webgl` backend (a side effect of importing the package).
 * Registering under a backend name needs no backend: in Node, without WebGL, nothing runs.
 */
import {getKernel, registerKernel} from '@tensorflow/tfjs-core';
import {webglKernelConfigs} from './kernels.js';

for (const config of webglKernelConfigs()) {
  // Importing two builds of this package (ESM and CJS) must not throw on re-registration.
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}

// ---- padding ----
import {padWebglKernelConfigs} from './padding.js';
for (const config of padWebglKernelConfigs()) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
// Pooling and interpolation (issue 14).
import {webglPoolingKernelConfigs} from './pooling.js';
import {webglInterpolateKernelConfigs} from './interpolate.js';
for (const config of [...webglPoolingKernelConfigs(), ...webglInterpolateKernelConfigs()]) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
// Normalisation kernels (kernels/webgl/normalization.ts).
import {normWebglKernelConfigs} from './normalization.js';
for (const config of normWebglKernelConfigs()) {
  if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
}
