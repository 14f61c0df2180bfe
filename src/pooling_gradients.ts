/**
 * Gradients of the pooling and interpolation kernels, registered once by kernel name and built
 * from our kernels, so they work on every backend that has them: max pooling's goes to each
 * window's first maximum (PyTorch's argmax), average pooling's and interpolation's are the
 * adjoints of their forward loops. Those two adjoints are linear, and their own gradients are
 * the forward kernels again (double backward).
 */
import {engine, GradConfig, Tensor} from '@tensorflow/tfjs-core';
import {AvgPool, AvgPoolGrad, Interpolate, InterpolateGrad, MaxPool, MaxPoolGrad} from './kernel_names.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const run = (name: string, inputs: object, attrs: object) =>
    engine().runKernel(name, inputs as any, attrs as any) as Tensor;  // eslint-disable-line

/** Registered by gradients.ts (a file package.json lists as having side effects). */
export const poolingGradConfigs: GradConfig[] = [
  {
    kernelName: MaxPool,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => ({x: () => run(MaxPoolGrad, {x, dy}, attrs)}),
  },
  {
    kernelName: AvgPool,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) =>
        ({x: () => run(AvgPoolGrad, {dy}, {...attrs, inputShape: x.shape})}),
  },
  {
    kernelName: AvgPoolGrad,
    gradFunc: (ddx, _, attrs) => ({dy: () => run(AvgPool, {x: ddx}, attrs)}),
  },
  {
    kernelName: Interpolate,
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) =>
        ({x: () => run(InterpolateGrad, {dy}, {...attrs, inputShape: x.shape})}),
  },
  {
    kernelName: InterpolateGrad,
    gradFunc: (ddx, _, attrs) => ({dy: () => run(Interpolate, {x: ddx}, attrs)}),
  },
];
