/**
 * The WGSL compute programs of our convolution kernels on tfjs' `webgpu` backend. Read them
 * against kernels/webgl/programs.ts (the same gather formulas, one output per fragment there) and
 * kernels/cpu/compute.ts: all index math in i32 on flat NCDHW buffers (see webgpu_util.ts for why
 * flat).
 *
 * Tiling: each invocation computes TC = 4 output channels of one group in a vec4 accumulator, so
 * every input element it loads feeds four multiply-adds (and the loop and tap bookkeeping is paid
 * once for four outputs). Neighbouring invocations are neighbouring W positions of the same
 * channel block, so they read the same weights and adjacent inputs; in the transposed conv,
 * neighbouring positions of one residue mod the W stride, which have the same taps (SwiftShader
 * and GPUs run invocations in SIMD groups, where differing tap loops would diverge).
 *
 * Baked into the source (and the shader key): a layer's hyper-parameters (channels, groups,
 * kernel size, stride, padding, dilation, bias or not), which give constant loop bounds and
 * divisors. Spatial sizes, the batch and the work size are uniforms: a new input size compiles
 * nothing.
 */
import type {ConvTranspose3DInfo} from '../../src/geometry.js';
import {FlatProgram, WORKGROUP_INDEX, WORKGROUP_SIZE, wgslConstants} from './webgpu_util.js';
import type {Uniform} from './webgpu_util.js';

/** Output channels per invocation. */
export const TC = 4;

export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** The layer constants every program shares (D, H, W order per axis). */
function layerConstants(info: ConvTranspose3DInfo): Record<string, number> {
  const [kd, kh, kw] = info.kernelSize;
  return {
    CIN: info.inChannels, COUT: info.outChannels, CIG: info.inChannelsPerGroup,
    COG: info.outChannelsPerGroup, KD: kd, KH: kh, KW: kw, KVOL: kd * kh * kw,
    SD: info.stride[0], SH: info.stride[1], SW: info.stride[2],
    PD: info.padding[0], PH: info.padding[1], PW: info.padding[2],
    DD: info.dilation[0], DH: info.dilation[1], DW: info.dilation[2],
  };
}

/** A key naming every compiled-in constant (no sizes). */
function layerKey(info: ConvTranspose3DInfo): string {
  return Object.values(layerConstants(info)).join('_') + `_g${info.groups}`;
}

/** Declaration of SIZE_UNIFORMS; sizeUniforms(info, total) gives their values in order. */
const SIZE_UNIFORMS = 'smallSize : vec3<i32>, bigSize : vec3<i32>, batchSize : i32, total : i32,';

function sizeUniforms(info: ConvTranspose3DInfo, total: number): Uniform[] {
  return [
    {type: 'int32', data: [...info.inSize]},   // [D, H, W] of the small side
    {type: 'int32', data: [...info.outSize]},  // [D, H, W] of the big side
    {type: 'int32', data: [info.batchSize]},
    {type: 'int32', data: [total]},            // invocations with work
  ];
}

/**
 * Along one axis of the transposed conv, big index `o` receives small index i = (o + p − k·d) / s
 * from the taps k with o + p − k·d ≡ 0 (mod s): k0, k0 + step, … with step = s / gcd(s, d) and
 * k0 found in fewer than `step` tries. Only non-negative values are divided.
 */
const FIRST_TAP = `
fn firstTap(t : i32, s : i32, d : i32, nTry : i32, kSize : i32) -> i32 {
  for (var k = 0; k < nTry; k++) {
    let v = t - k * d;
    if (k >= kSize || v < 0) { break; }  // v only decreases: no valid tap at all
    if (v % s == 0) { return k; }
  }
  return kSize;
}`;

/**
 * The integers i in [lo, hi) ⊂ [0, count) with 0 ≤ off + i·step < big: along one axis, the taps
 * of a conv3d window (step = d, off = i·s − p) or the small-side positions of one tap
 * (step = s, off = k·d − p).
 */
const VALID_RANGE = `
fn validRange(off : i32, inc : i32, count : i32, big : i32) -> vec2<i32> {
  var lo = 0;
  if (off < 0) { lo = (inc - 1 - off) / inc; }  // ceil(−off / inc)
  let last = big - 1 - off;                     // i·inc ≤ last
  var hi = 0;
  if (last >= 0) { hi = min(count, last / inc + 1); }
  return vec2<i32>(lo, max(lo, hi));
}`;

/** `vec4<f32>(a(0), a(1), a(2), a(3))` for a WGSL expression template. */
const vec4Of = (f: (j: number) => string) => `vec4<f32>(${[0, 1, 2, 3].map(f).join(', ')})`;

/** Writes `acc` to the TC channels `c0 + j < limit` of `result` at `base + j·stride`. */
function writeTile(c0: string, limit: string, base: string, stride: string): string {
  return [0, 1, 2, 3].map(j => `
  if (${c0} + ${j} < ${limit}) { result[${base} + ${j} * ${stride}] = acc[${j}]; }`).join('');
}

/**
 * y[n, co, o] = bias[co] + Σ_{ci in co's group} Σ_k x[n, ci, i] · w[ci, co mod Cog, k] with
 * o = i·s − p + k·d (PtConvTranspose3D). One invocation: TC channels of one big-side position.
 */
export class ConvTranspose3DProgram extends FlatProgram {
  variableNames: string[];
  shaderKey: string;
  uniforms = SIZE_UNIFORMS + ' qW : i32,';
  private readonly constants: Record<string, number>;
  private readonly hasBias: boolean;
  readonly uniformValues: Uniform[];

  constructor(info: ConvTranspose3DInfo, hasBias: boolean) {
    const c = layerConstants(info);
    const nbg = ceilDiv(c.COG, TC);  // channel blocks per group
    // W positions of one residue mod SW per row: ceil(bigW / SW) (see getUserCode).
    const qW = ceilDiv(info.outSize[2], c.SW);
    const total = info.batchSize * info.groups * nbg * info.outSize[0] * info.outSize[1] * c.SW * qW;
    super(info.outShape.reduce((a, b) => a * b, 1), total);
    this.hasBias = hasBias;
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.constants = {
      ...c, NBG: nbg, NB: info.groups * nbg,
      STEP_D: c.SD / gcd(c.SD, c.DD), STEP_H: c.SH / gcd(c.SH, c.DH),
      STEP_W: c.SW / gcd(c.SW, c.DW),
    };
    this.shaderKey = `ptConvTranspose3D_${layerKey(info)}_${hasBias}`;
    this.uniformValues = [...sizeUniforms(info, total), {type: 'int32', data: [qW]}];
  }

  getUserCode(): string {
    return `
${wgslConstants(this.constants)}
${FIRST_TAP}

fn main(index : i32) {
  if (index >= uniforms.total) { return; }
  let small = uniforms.smallSize;
  let big = uniforms.bigSize;
  // index = ((((n·NB + cb)·bigD + od)·bigH + oh)·SW + ow mod SW)·qW + ow div SW: neighbouring
  // invocations have the same ow mod SW, hence the same taps (no divergence in a SIMD group).
  let q = index % uniforms.qW;
  var r = index / uniforms.qW;
  let ow = r % SW + SW * q;
  r = r / SW;
  if (ow >= big.z) { return; }  // the last q of a residue may lie past the row
  let oh = r % big.y;
  r = r / big.y;
  let od = r % big.x;
  r = r / big.x;
  let cb = r % NB;
  let n = r / NB;
  let g = cb / NBG;
  let col0 = (cb % NBG) * ${TC};
  let smallL = small.x * small.y * small.z;
  let bigL = big.x * big.y * big.z;
  let xBase = (n * CIN + g * CIG) * smallL;  // x[n, g·CIG, 0]
  // w[g·CIG, col0 + j, 0]; columns past COG read column COG − 1 and are not written.
  let wb = (g * CIG * COG + min(vec4<i32>(col0) + vec4<i32>(0, 1, 2, 3), vec4<i32>(COG - 1))) * KVOL;
  var acc = ${this.hasBias ? vec4Of(j => `bias[min(g * COG + col0 + ${j}, COUT - 1)]`) :
                             'vec4<f32>(0.0)'};
  let td = od + PD;
  let th = oh + PH;
  let tw = ow + PW;
  let kd0 = firstTap(td, SD, DD, STEP_D, KD);
  let kh0 = firstTap(th, SH, DH, STEP_H, KH);
  let kw0 = firstTap(tw, SW, DW, STEP_W, KW);
  // Along each axis i decreases as k grows: stop at i < 0, skip i ≥ size.
  for (var kd = kd0; kd < KD; kd += STEP_D) {
    if (td - kd * DD < 0) { break; }
    let id = (td - kd * DD) / SD;  // exact: td − kd·DD is a multiple of SD
    if (id >= small.x) { continue; }
    for (var kh = kh0; kh < KH; kh += STEP_H) {
      if (th - kh * DH < 0) { break; }
      let ih = (th - kh * DH) / SH;
      if (ih >= small.y) { continue; }
      for (var kw = kw0; kw < KW; kw += STEP_W) {
        if (tw - kw * DW < 0) { break; }
        let iw = (tw - kw * DW) / SW;
        if (iw >= small.z) { continue; }
        var xi = xBase + (id * small.y + ih) * small.z + iw;
        var wi = wb + vec4<i32>((kd * KH + kh) * KW + kw);
        for (var c = 0; c < CIG; c++) {
          acc += x[xi] * ${vec4Of(j => `w[wi[${j}]]`)};
          xi += smallL;
          wi += vec4<i32>(COG * KVOL);
        }
      }
    }
  }
  let pos = (od * big.y + oh) * big.z + ow;
  let outBase = (n * COUT + g * COG + col0) * bigL + pos;
  ${writeTile('col0', 'COG', 'outBase', 'bigL')}
}`;
  }
}

/**
 * y[n, ci, i] = bias[ci] + Σ_{co in ci's group} Σ_k w[ci, co mod Cog, k] · x[n, co, i·s − p + k·d]
 * (PtConv3D, PyTorch's conv3d: x is the big side, the output the small side). One invocation: TC
 * output channels of one small-side position.
 */
export class Conv3DProgram extends FlatProgram {
  variableNames: string[];
  shaderKey: string;
  uniforms = SIZE_UNIFORMS;
  private readonly constants: Record<string, number>;
  private readonly hasBias: boolean;
  readonly uniformValues: Uniform[];

  constructor(info: ConvTranspose3DInfo, hasBias: boolean) {
    const c = layerConstants(info);
    const nbg = ceilDiv(c.CIG, TC);
    const smallL = info.inSize[0] * info.inSize[1] * info.inSize[2];
    const total = info.batchSize * info.groups * nbg * smallL;
    super(info.inShape.reduce((a, b) => a * b, 1), total);
    this.hasBias = hasBias;
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.constants = {...c, NBG: nbg, NB: info.groups * nbg};
    this.shaderKey = `ptConv3D_${layerKey(info)}_${hasBias}`;
    this.uniformValues = sizeUniforms(info, total);
  }

  getUserCode(): string {
    return `
${wgslConstants(this.constants)}
${VALID_RANGE}

fn main(index : i32) {
  if (index >= uniforms.total) { return; }
  let small = uniforms.smallSize;
  let big = uniforms.bigSize;
  // index = (((n·NB + cb)·smallD + id)·smallH + ih)·smallW + iw
  let iw = index % small.z;
  var r = index / small.z;
  let ih = r % small.y;
  r = r / small.y;
  let id = r % small.x;
  r = r / small.x;
  let cb = r % NB;
  let n = r / NB;
  let g = cb / NBG;
  let ci0 = g * CIG + (cb % NBG) * ${TC};       // first output channel of the tile
  let cLast = g * CIG + CIG - 1;                // last channel of the group
  let smallL = small.x * small.y * small.z;
  let bigL = big.x * big.y * big.z;
  let xBase = (n * COUT + g * COG) * bigL;      // x[n, g·COG, 0]
  // w[ci0 + j, 0, 0]; channels past the group read its last channel and are not written.
  let wb = min(vec4<i32>(ci0) + vec4<i32>(0, 1, 2, 3), vec4<i32>(cLast)) * (COG * KVOL);
  var acc = ${this.hasBias ? vec4Of(j => `bias[min(ci0 + ${j}, cLast)]`) : 'vec4<f32>(0.0)'};
  let offD = id * SD - PD;
  let offH = ih * SH - PH;
  let offW = iw * SW - PW;
  let rd = validRange(offD, DD, KD, big.x);
  let rh = validRange(offH, DH, KH, big.y);
  let rw = validRange(offW, DW, KW, big.z);
  for (var kd = rd.x; kd < rd.y; kd++) {
    for (var kh = rh.x; kh < rh.y; kh++) {
      let row = xBase + ((offD + kd * DD) * big.y + offH + kh * DH) * big.z + offW;
      for (var kw = rw.x; kw < rw.y; kw++) {
        var xi = row + kw * DW;
        var wi = wb + vec4<i32>((kd * KH + kh) * KW + kw);
        for (var c = 0; c < COG; c++) {
          acc += x[xi] * ${vec4Of(j => `w[wi[${j}]]`)};
          xi += bigL;
          wi += vec4<i32>(KVOL);
        }
      }
    }
  }
  let outBase = (n * CIN + ci0) * smallL + (id * small.y + ih) * small.z + iw;
  ${writeTile('ci0', 'cLast + 1', 'outBase', 'smallL')}
}`;
  }
}

/**
 * dW[ci, col, k] = Σ_n Σ_i x[n, ci, i] · dy[n, g·Cog + col, i·s − p + k·d]
 * (PtConvTranspose3DWeightGrad; x: small side, dy: big side), in the weight's layout. One
 * invocation: TC columns of one (ci, k); the x element it loads feeds all four.
 */
export class ConvTranspose3DWeightGradProgram extends FlatProgram {
  variableNames = ['x', 'dy'];
  shaderKey: string;
  uniforms = SIZE_UNIFORMS;
  private readonly constants: Record<string, number>;
  readonly uniformValues: Uniform[];

  constructor(info: ConvTranspose3DInfo) {
    const c = layerConstants(info);
    const nbc = ceilDiv(c.COG, TC);
    const total = c.CIN * nbc * c.KVOL;
    super(info.weightShape.reduce((a, b) => a * b, 1), total);
    this.constants = {...c, NBC: nbc};
    this.shaderKey = `ptConvTranspose3DWeightGrad_${layerKey(info)}`;
    this.uniformValues = sizeUniforms(info, total);
  }

  getUserCode(): string {
    return `
${wgslConstants(this.constants)}
${VALID_RANGE}

fn main(index : i32) {
  if (index >= uniforms.total) { return; }
  let small = uniforms.smallSize;
  let big = uniforms.bigSize;
  // index = ((ci·NBC + cb)·KD + kd)·KH + kh)·KW + kw
  let kw = index % KW;
  var r = index / KW;
  let kh = r % KH;
  r = r / KH;
  let kd = r % KD;
  r = r / KD;
  let cb = r % NBC;
  let ci = r / NBC;
  let g = ci / CIG;
  let col0 = cb * ${TC};
  let smallL = small.x * small.y * small.z;
  let bigL = big.x * big.y * big.z;
  // dy channel g·COG + col0 + j; columns past COG read column COG − 1 and are not written.
  let dyc = g * COG + min(vec4<i32>(col0) + vec4<i32>(0, 1, 2, 3), vec4<i32>(COG - 1));
  let offD = kd * DD - PD;
  let offH = kh * DH - PH;
  let offW = kw * DW - PW;
  let rd = validRange(offD, SD, small.x, big.x);
  let rh = validRange(offH, SH, small.y, big.y);
  let rw = validRange(offW, SW, small.z, big.z);
  var acc = vec4<f32>(0.0);
  for (var n = 0; n < uniforms.batchSize; n++) {
    let xBase = (n * CIN + ci) * smallL;
    let dyb = (vec4<i32>(n * COUT) + dyc) * bigL;
    for (var id = rd.x; id < rd.y; id++) {
      for (var ih = rh.x; ih < rh.y; ih++) {
        var xi = xBase + (id * small.y + ih) * small.z + rw.x;
        var dyi = dyb + vec4<i32>(((id * SD + offD) * big.y + ih * SH + offH) * big.z +
                                  rw.x * SW + offW);
        for (var iw = rw.x; iw < rw.y; iw++) {
          acc += x[xi] * ${vec4Of(j => `dy[dyi[${j}]]`)};
          xi += 1;
          dyi += vec4<i32>(SW);
        }
      }
    }
  }
  let outBase = ((ci * COG + col0) * KD + kd) * KH * KW + kh * KW + kw;
  ${writeTile('col0', 'COG', 'outBase', 'KVOL')}
}`;
  }
}

/**
 * db[c] = Σ_n Σ_s dy[n, c, s] (PtBiasGrad): one workgroup per channel, each invocation summing a
 * strided share of the channel's N·L elements, then a tree reduction in workgroup memory. Nothing
 * is compiled in (channels, batch and plane size are uniforms): one program for every layer.
 */
export class BiasGradProgram extends FlatProgram {
  variableNames = ['dy'];
  shaderKey = 'ptBiasGrad';
  uniforms = 'channels : i32, batchSize : i32, plane : i32,';
  readonly uniformValues: Uniform[];

  constructor(dyShape: number[]) {
    const [n, c, ...spatial] = dyShape;
    super(c, c * WORKGROUP_SIZE);
    this.uniformValues = [{type: 'int32', data: [c]}, {type: 'int32', data: [n]},
                          {type: 'int32', data: [spatial.reduce((a, b) => a * b, 1)]}];
  }

  getUserCode(): string {
    return `
var<workgroup> sums : array<f32, ${WORKGROUP_SIZE}>;
${WORKGROUP_INDEX}

fn main(index : i32) {
  let c = workgroupIndex();
  let lid = i32(localIndex);
  let plane = uniforms.plane;
  var acc = 0.0;
  if (c < uniforms.channels) {
    for (var n = 0; n < uniforms.batchSize; n++) {
      let base = (n * uniforms.channels + c) * plane;
      for (var s = lid; s < plane; s += ${WORKGROUP_SIZE}) {
        acc += dy[base + s];
      }
    }
  }
  sums[lid] = acc;
  workgroupBarrier();
  for (var width = ${WORKGROUP_SIZE / 2}; width > 0; width = width / 2) {
    if (lid < width) { sums[lid] += sums[lid + width]; }
    workgroupBarrier();
  }
  if (lid == 0 && c < uniforms.channels) { result[c] = sums[0]; }
}`;
  }
}
