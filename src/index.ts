/**
 * tfjs-convtranspose3d: PyTorch-exact ConvTranspose3d for TensorFlow.js.
 * Importing this module registers our kernels (cpu, webgl, wasm, tensorflow, …) and gradients with
 * tfjs-core.
 */
import './gradients.js';
import '../kernels/cpu/register.js';
import '../kernels/webgl/register.js';
import '../kernels/wasm/register.js';
import '../kernels/node/register.js';

export {registerCompositeKernels} from '../kernels/node/composite.js';
export {conv1d, conv2d, convTranspose1d, convTranspose2d} from './conv_2d_1d.js';
export {conv3d} from './conv3d.js';
export {convTranspose3d} from './conv_transpose3d.js';
export {convTranspose3dWeightGrad} from './conv_transpose3d_weight_grad.js';
export {conv3dInfo, convInfo, convTranspose3dInfo, convTransposeInfo, transposedSize} from './geometry.js';
export type {Conv3DOptions, ConvTranspose3DAttrs, ConvTranspose3DInfo, ConvTranspose3DOptions, SpatialDims, SpatialOption, Triple} from './geometry.js';
export * from './kernel_names.js';

import * as L from './layers/conv_transpose3d.js';
import * as N from './layers/normalization.js';
/** Layers, mirroring `tf.layers.*`: `layers.convTranspose3d({inChannels, outChannels, …})`. */
export const layers = {
  convTranspose3d: L.convTranspose3d,
  convTranspose2d: L.convTranspose2d,
  convTranspose1d: L.convTranspose1d,
  batchNorm3d: N.batchNorm3d,
  batchNorm2d: N.batchNorm2d,
  batchNorm1d: N.batchNorm1d,
  instanceNorm3d: N.instanceNorm3d,
  instanceNorm2d: N.instanceNorm2d,
  instanceNorm1d: N.instanceNorm1d,
  groupNorm: N.groupNorm,
};
export {ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, TorchUniform, SERIALIZATION_PACKAGE} from './layers/conv_transpose3d.js';
export type {ConvTranspose3dCallArgs, ConvTranspose3dLayerArgs} from './layers/conv_transpose3d.js';
export {loadSafetensors, parseSafetensorsHeader} from './io/safetensors.js';
export {loadTorchFile} from './io/torch_zip.js';
export type {TorchFileContents, TorchLoadOptions} from './io/torch_zip.js';
export {assignStateDict, loadStateDict} from './io/state_dict.js';
export type {AssignStateDictOptions, LoadStateDictResult} from './io/state_dict.js';
export {ready} from './ready.js';
export {getCpuImplementation, setCpuImplementation} from '../kernels/cpu/dispatch.js';
export type {CpuImplementation} from '../kernels/cpu/dispatch.js';

// Normalisation: ops (torch.nn.functional) and layers (torch.nn).
export {batchNorm, groupNorm, instanceNorm} from './normalization.js';
export type {BatchNormOptions, GroupNormOptions, InstanceNormOptions} from './normalization.js';
export {BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d} from './layers/normalization.js';
export type {BatchNormLayerArgs, GroupNormLayerArgs, InstanceNormLayerArgs} from './layers/normalization.js';
