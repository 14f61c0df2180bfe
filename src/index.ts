/**
 * tfjs-convtranspose3d: PyTorch-exact ConvTranspose3d for TensorFlow.js.
 * Importing this module registers our kernels (cpu, webgl, webgpu, wasm, tensorflow, …) and gradients with
 * tfjs-core.
 */
import './gradients.js';
import '../kernels/cpu/register.js';
import '../kernels/webgl/register.js';
import '../kernels/webgpu/register.js';
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
import * as LConv from './layers/conv.js';
import * as LLinear from './layers/linear.js';
import * as LPad from './layers/padding.js';
import * as N from './layers/normalization.js';
/** Layers, mirroring `tf.layers.*`: `layers.convTranspose3d({inChannels, outChannels, …})`. */
export const layers = {
  convTranspose3d: L.convTranspose3d,
  convTranspose2d: L.convTranspose2d,
  convTranspose1d: L.convTranspose1d,
  // Conv, Linear and pad layers (conv.ts, linear.ts, padding.ts)
  conv3d: LConv.conv3d,
  conv2d: LConv.conv2d,
  conv1d: LConv.conv1d,
  linear: LLinear.linear,
  pad: LPad.padLayer,
  // Pooling and upsampling (issue 14; imports below).
  maxPool3d: LP.maxPool3d, maxPool2d: LP.maxPool2d, maxPool1d: LP.maxPool1d,
  avgPool3d: LP.avgPool3d, avgPool2d: LP.avgPool2d, avgPool1d: LP.avgPool1d,
  upsample: LU.upsample,
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
// Loader limits (issue 12): the safetensors options and the defaults of every loader limit.
export type {SafetensorsEntry, SafetensorsLoadOptions} from './io/safetensors.js';
export {DEFAULT_LIMITS as LOAD_LIMIT_DEFAULTS} from './io/limits.js';
// Why the cpu kernels run on the JS core (no SIMD, a CSP refusal, a compile error, …), or null.
export {cpuImplementationReason} from '../kernels/cpu/dispatch.js';
export {getNumThreads, numThreadsReason, setNumThreads} from '../kernels/simd/threads.js';
// Which build of the WebAssembly core runs: relaxed SIMD (fused multiply-adds) or plain SIMD.
export {setCpuCoreBuild} from '../kernels/cpu/dispatch.js';
export {cpuCoreBuild, cpuCoreBuildReason} from '../kernels/simd/simd_core.js';
export type {CoreBuild, CoreBuildSetting} from '../kernels/simd/simd_core.js';

// ---- padding (F.pad) ----
export {pad, padInfo} from './padding.js';
export type {PadInfo, PadMode, PadOptions} from './padding.js';

// ---- Conv and Linear layers, F.linear, F.pad's layer ----
export {linear} from './linear.js';
export {Conv1d, Conv2d, Conv3d} from './layers/conv.js';
export type {ConvLayerArgs, ConvPaddingMode} from './layers/conv.js';
export {Linear} from './layers/linear.js';
export type {LinearLayerArgs} from './layers/linear.js';
export {Pad} from './layers/padding.js';
export type {PadLayerArgs} from './layers/padding.js';

// ---- taking state_dict tensors by key ----
export {stateDictTaker} from './io/state_dict.js';
export type {StateDictTaker} from './io/state_dict.js';

// ---- Pooling and interpolation (issue 14).
export {avgPool1d, avgPool2d, avgPool3d, maxPool1d, maxPool2d, maxPool3d, poolInfo, poolOutputSize} from './pooling.js';
export type {AvgPoolOptions, MaxPoolOptions, PoolAttrs, PoolInfo, PoolKind} from './pooling.js';
export {axisTable, interpolate, interpolateInfo} from './interpolate.js';
export type {AxisTable, InterpolateAttrs, InterpolateMode, InterpolateOptions} from './interpolate.js';
export {registerPoolingKernels} from '../kernels/node/pooling.js';

import * as LP from './layers/pooling.js';
import * as LU from './layers/upsample.js';
export {AvgPool1d, AvgPool2d, AvgPool3d, MaxPool1d, MaxPool2d, MaxPool3d} from './layers/pooling.js';
export type {AvgPoolLayerArgs, MaxPoolLayerArgs} from './layers/pooling.js';
export {Upsample} from './layers/upsample.js';
export type {UpsampleLayerArgs} from './layers/upsample.js';

// Normalisation: ops (torch.nn.functional) and layers (torch.nn).
export {batchNorm, groupNorm, instanceNorm} from './normalization.js';
export type {BatchNormOptions, GroupNormOptions, InstanceNormOptions} from './normalization.js';
export {BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d} from './layers/normalization.js';
export type {BatchNormLayerArgs, GroupNormLayerArgs, InstanceNormLayerArgs} from './layers/normalization.js';
