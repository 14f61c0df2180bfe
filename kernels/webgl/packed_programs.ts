/**
 * The fast WebGL path: channels-innermost RGBA textures, 4 channels per texel.
 *
 * The flat programs in programs.ts read one float per texture fetch and walk the channels of an
 * NCDHW tensor D·H·W apart, turning every flat index into texture coordinates with an integer
 * division. Here each kernel first re-lays its inputs (small programs, one pass each, outputs
 * disposed inside the kernel) into packed RGBA textures whose texel grid we choose:
 *
 *   activations  texel (row = (n·D + d)·H + h, col = (w·G + g)·Q + q)
 *                = channels g·CG + 4q … g·CG + 4q + 3 of group g at (n, d, h, w), zero-padded,
 *                with Q = ⌈CG / 4⌉ texels per group
 *   weights      one row per output channel of the main program, the Q texels of every tap side
 *                by side, then (optionally) one texel holding the bias in .x
 *
 * tfjs gives a packed 2-D tensor of logical shape [2R, 2C] a texture of R × C texels (checked
 * after every pack: otherwise the kernel falls back to the flat programs), so the main programs
 * address texels with `texelFetch` on integer coordinates: no division in the inner loop, and one
 * fetch brings 4 channels, combined with `dot`. Every shader is keyed by its source (layer
 * hyper-parameters as constants) and the spatial sizes are uniforms, as in programs.ts.
 */
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {ConvTranspose3DInfo} from '../../src/geometry.js';
import {constants, FIRST_TAP, gcd, layerConstants as flatLayerConstants, SIZE_UNIFORMS, Uniform, VALID_RANGE} from './programs.js';

/** Texels per group of `perGroup` channels. */
export const texelsPerGroup = (perGroup: number) => Math.ceil(perGroup / 4);

/** Texel grid [rows, cols] of an activation tensor [N, C, D, H, W] packed with G groups. */
export function activationGrid(shape: readonly number[], groups: number): [number, number] {
  const [n, c, d, h, w] = shape;
  return [n * d * h, w * groups * texelsPerGroup(c / groups)];
}

/**
 * NCDHW (flat, unpacked) → channels-innermost RGBA texels, the activation layout above.
 * Uniform `size`: [D, H, W].
 */
export class PackActivationsProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [{name: 'size', type: 'ivec3'}];

  constructor(shape: readonly number[], groups: number) {
    const [rows, cols] = activationGrid(shape, groups);
    this.outputShape = [2 * rows, 2 * cols];
    const cg = shape[1] / groups;
    this.userCode = `
${constants({C: shape[1], G: groups, CG: cg, Q: texelsPerGroup(cg)})}

void main() {
  ivec2 rc = getOutputCoords();
  int row = rc.x / 2, col = rc.y / 2;  // the texel; rc holds its top-left element
  int h = imod(row, size.y);
  int r = row / size.y;
  int d = imod(r, size.x);
  int n = r / size.x;
  int q = imod(col, Q);
  r = col / Q;
  int g = imod(r, G);
  int w = r / G;
  int plane = size.x * size.y * size.z;
  int c = 4 * q;  // channel within the group
  int i = ((n * C + g * CG + c) * size.x + d) * size.y * size.z + h * size.z + w;
  setOutput(vec4(
      getX(i),
      c + 1 < CG ? getX(i + plane) : 0.0,
      c + 2 < CG ? getX(i + 2 * plane) : 0.0,
      c + 3 < CG ? getX(i + 3 * plane) : 0.0));
}`;
  }
}

/** Which weight layout a main program reads (see the two programs below). */
export type WeightLayout = 'transposed'|'conv';

/** Texel grid [rows, cols] of the packed weight (+ bias column). */
export function weightGrid(info: ConvTranspose3DInfo, layout: WeightLayout, hasBias: boolean):
    [number, number] {
  const kvol = info.kernelSize[0] * info.kernelSize[1] * info.kernelSize[2];
  const q = texelsPerGroup(layout === 'transposed' ? info.inChannelsPerGroup :
                                                     info.outChannelsPerGroup);
  return [layout === 'transposed' ? info.outChannels : info.inChannels,
          kvol * q + (hasBias ? 1 : 0)];
}

/**
 * weight [CIN, COG, k] (+ bias) → texels, one row per output channel of the main program:
 * - 'transposed' (convTranspose3d, reduces over a group's input channels): row co = g·COG + col,
 *   texel k·QI + q = w[g·CIG + 4q + j, col, k] for j = 0‥3;
 * - 'conv' (conv3d, reduces over a group's big-side channels): row ci,
 *   texel k·QO + q = w[ci, 4q + j, k].
 * The bias, if any, is texel KVOL·Q of each row, in .x.
 */
export class PackWeightProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedOutput = true;

  constructor(info: ConvTranspose3DInfo, layout: WeightLayout, hasBias: boolean) {
    this.variableNames = hasBias ? ['w', 'bias'] : ['w'];
    const [rows, cols] = weightGrid(info, layout, hasBias);
    this.outputShape = [2 * rows, 2 * cols];
    const [kd, kh, kw] = info.kernelSize;
    const c = {
      KVOL: kd * kh * kw, CIG: info.inChannelsPerGroup, COG: info.outChannelsPerGroup,
      Q: texelsPerGroup(layout === 'transposed' ? info.inChannelsPerGroup :
                                                  info.outChannelsPerGroup),
    };
    // Flat index of w[ci, col, k] and the step between the 4 channels of a texel.
    const index = layout === 'transposed' ?
        `int g = row / COG, col = row - g * COG;
  int j0 = 4 * q;
  int i = ((g * CIG + j0) * COG + col) * KVOL + k;
  const int STEP = COG * KVOL, LIMIT = CIG;` :
        `int j0 = 4 * q;
  int i = (row * COG + j0) * KVOL + k;
  const int STEP = KVOL, LIMIT = COG;`;
    this.userCode = `
${constants(c)}

void main() {
  ivec2 rc = getOutputCoords();
  int row = rc.x / 2, t = rc.y / 2;
  if (t >= KVOL * Q) {  // the bias column
    ${hasBias ? 'setOutput(vec4(getBias(row), 0.0, 0.0, 0.0));' : 'setOutput(vec4(0.0));'}
    return;
  }
  int k = t / Q, q = t - k * Q;
  ${index}
  setOutput(vec4(
      getW(i),
      j0 + 1 < LIMIT ? getW(i + STEP) : 0.0,
      j0 + 2 < LIMIT ? getW(i + 2 * STEP) : 0.0,
      j0 + 3 < LIMIT ? getW(i + 3 * STEP) : 0.0));
}`;
  }
}

/** The flat programs' layer constants plus the packed layout's groups and texels per group. */
function layerConstants(info: ConvTranspose3DInfo): Record<string, number> {
  return {
    ...flatLayerConstants(info), G: info.groups,
    QI: texelsPerGroup(info.inChannelsPerGroup), QO: texelsPerGroup(info.outChannelsPerGroup),
  };
}

/**
 * The start of `main` shared by the two packed convolutions, whose output is one activation-layout
 * texel (4 channels of one position): decodes row = (n·D + d)·H + h and col = (w·G + g)·Q + q
 * (sizes from the uniform `size`) into `n`, `g` and the given names, the weight rows `rows` of
 * the 4 channels c = g·perGroup + 4q … (clamped to `total`: channels past the group are dropped
 * later), and `acc` initialised to their bias (the weight texture's column KVOL·`wQ`) or 0.
 */
function outputTexelHeader(
    size: string, q: string, [d, h, w, qv]: string[], perGroup: string, total: string,
    wQ: string, hasBias: boolean): string {
  return `
  ivec2 rc = getOutputCoords();
  int row = rc.x / 2, col = rc.y / 2;
  int ${h} = imod(row, ${size}.y);
  int r = row / ${size}.y;
  int ${d} = imod(r, ${size}.x);
  int n = r / ${size}.x;
  int ${qv} = imod(col, ${q});
  r = col / ${q};
  int g = imod(r, G);
  int ${w} = r / G;
  int c0 = g * ${perGroup} + 4 * ${qv};
  ivec4 rows = ivec4(c0, min(c0 + 1, ${total} - 1), min(c0 + 2, ${total} - 1),
                     min(c0 + 3, ${total} - 1));
  vec4 acc = ${hasBias ? `vec4(texelFetch(wp, ivec2(KVOL * ${wQ}, rows.x), 0).x,
      texelFetch(wp, ivec2(KVOL * ${wQ}, rows.y), 0).x,
      texelFetch(wp, ivec2(KVOL * ${wQ}, rows.z), 0).x,
      texelFetch(wp, ivec2(KVOL * ${wQ}, rows.w), 0).x)` : 'vec4(0.0)'};`;
}

/** One x texel against the same weight column of the 4 weight rows: 4 output channels. */
const DOT4 = `
vec4 dot4(vec4 xv, int wCol, ivec4 rows) {
  return vec4(dot(xv, texelFetch(wp, ivec2(wCol, rows.x), 0)),
              dot(xv, texelFetch(wp, ivec2(wCol, rows.y), 0)),
              dot(xv, texelFetch(wp, ivec2(wCol, rows.z), 0)),
              dot(xv, texelFetch(wp, ivec2(wCol, rows.w), 0)));
}`;

/**
 * convTranspose3d on packed inputs: one output texel per fragment, i.e. 4 output channels
 * co = g·COG + 4qo … + 3 of one big-side position, in the activation layout (a last pass,
 * UnpackActivationsProgram, turns it into NCDHW). The valid taps as in ConvTranspose3DProgram;
 * per tap and input texel, one x fetch is shared by the 4 weight rows.
 */
export class ConvTranspose3DPackedProgram implements GPGPUProgram {
  variableNames = ['xp', 'wp'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(info: ConvTranspose3DInfo, hasBias: boolean) {
    const [rows, cols] = activationGrid(info.outShape, info.groups);
    this.outputShape = [2 * rows, 2 * cols];
    const c = layerConstants(info);
    const steps = {
      STEP_D: c.SD / gcd(c.SD, c.DD), STEP_H: c.SH / gcd(c.SH, c.DH),
      STEP_W: c.SW / gcd(c.SW, c.DW),
    };
    this.userCode = `
${constants({...c, ...steps})}
${FIRST_TAP}

${DOT4}

void main() {
${outputTexelHeader('bigSize', 'QO', ['od', 'oh', 'ow', 'qo'], 'COG', 'COUT', 'QI', hasBias)}
  int td = od + PD, th = oh + PH, tw = ow + PW;
  int kd0 = firstTap(td, SD, DD, STEP_D, KD);
  int kh0 = firstTap(th, SH, DH, STEP_H, KH);
  int kw0 = firstTap(tw, SW, DW, STEP_W, KW);
  for (int kd = kd0; kd < KD; kd += STEP_D) {
    if (td - kd * DD < 0) break;
    int id = (td - kd * DD) / SD;
    if (id >= smallSize.x) continue;
    for (int kh = kh0; kh < KH; kh += STEP_H) {
      if (th - kh * DH < 0) break;
      int ih = (th - kh * DH) / SH;
      if (ih >= smallSize.y) continue;
      int xRow = (n * smallSize.x + id) * smallSize.y + ih;
      for (int kw = kw0; kw < KW; kw += STEP_W) {
        if (tw - kw * DW < 0) break;
        int iw = (tw - kw * DW) / SW;
        if (iw >= smallSize.z) continue;
        int xCol = (iw * G + g) * QI;
        int wCol = ((kd * KH + kh) * KW + kw) * QI;
        for (int q = 0; q < QI; q++) {
          acc += dot4(texelFetch(xp, ivec2(xCol + q, xRow), 0), wCol + q, rows);
        }
      }
    }
  }
  setOutput(acc);
}`;
  }
}

/**
 * conv3d (PyTorch semantics, x the big side) on packed inputs: one output texel per fragment,
 * 4 small-side channels ci = g·CIG + 4qi … + 3 of one position, in the activation layout
 * (UnpackActivationsProgram turns it into NCDHW); per tap and x texel, 4 weight rows.
 */
export class Conv3DPackedProgram implements GPGPUProgram {
  variableNames = ['xp', 'wp'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(info: ConvTranspose3DInfo, hasBias: boolean) {
    const [rows, cols] = activationGrid(info.inShape, info.groups);
    this.outputShape = [2 * rows, 2 * cols];
    this.userCode = `
${constants(layerConstants(info))}
${VALID_RANGE}

${DOT4}

void main() {
${outputTexelHeader('smallSize', 'QI', ['id', 'ih', 'iw', 'qi'], 'CIG', 'CIN', 'QO', hasBias)}
  int offD = id * SD - PD, offH = ih * SH - PH, offW = iw * SW - PW;
  ivec2 rd = validRange(offD, DD, KD, bigSize.x);
  ivec2 rh = validRange(offH, DH, KH, bigSize.y);
  ivec2 rw = validRange(offW, DW, KW, bigSize.z);
  for (int kd = rd.x; kd < rd.y; kd++) {
    for (int kh = rh.x; kh < rh.y; kh++) {
      int xRow = (n * bigSize.x + offD + kd * DD) * bigSize.y + offH + kh * DH;
      for (int kw = rw.x; kw < rw.y; kw++) {
        int xCol = ((offW + kw * DW) * G + g) * QO;
        int wCol = ((kd * KH + kh) * KW + kw) * QO;
        for (int q = 0; q < QO; q++) {
          acc += dot4(texelFetch(xp, ivec2(xCol + q, xRow), 0), wCol + q, rows);
        }
      }
    }
  }
  setOutput(acc);
}`;
  }
}

/**
 * Activation-layout texels → flat NCDHW [N, C, D, H, W] (unpacked): the last pass of the two
 * convolutions. Uniform `size`: [D, H, W].
 */
export class UnpackActivationsProgram implements GPGPUProgram {
  variableNames = ['yp'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  enableShapeUniforms = true;
  customUniforms: Uniform[] = [{name: 'size', type: 'ivec3'}];

  constructor(shape: readonly number[], groups: number) {
    this.outputShape = [shape.reduce((a, b) => a * b, 1)];
    const cg = shape[1] / groups;
    this.userCode = `
${constants({C: shape[1], G: groups, CG: cg, Q: texelsPerGroup(cg)})}

void main() {
  int idx = getOutputCoords();
  int w = imod(idx, size.z);
  int r = idx / size.z;
  int h = imod(r, size.y);
  r = r / size.y;
  int d = imod(r, size.x);
  r = r / size.x;
  int c = imod(r, C);
  int n = r / C;
  int g = c / CG;
  int cl = c - g * CG;
  int q = cl / 4;
  int j = cl - 4 * q;
  vec4 v = texelFetch(yp, ivec2((w * G + g) * Q + q, (n * size.x + d) * size.y + h), 0);
  setOutput(dot(v, vec4(j == 0, j == 1, j == 2, j == 3)));
}`;
  }
}

/** Texel grid [rows, cols] of the packed weight gradient: row ci·KVOL + k, QO texels. */
export function weightGradGrid(info: ConvTranspose3DInfo): [number, number] {
  const [kd, kh, kw] = info.kernelSize;
  return [info.inChannels * kd * kh * kw, texelsPerGroup(info.outChannelsPerGroup)];
}

/**
 * Weight gradient on packed inputs: texel (row ci·KVOL + k, col q) =
 * dW[ci, 4q … 4q + 3, k] = Σ_n Σ_i x[n, ci, i] · dy[n, g·COG + 4q + j, i·s − p + k·d]:
 * one x channel (picked from its texel by a one-hot dot) times 4 dy channels per fetch pair.
 */
export class WeightGradPackedProgram implements GPGPUProgram {
  variableNames = ['xp', 'dyp'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;
  enableShapeUniforms = true;
  customUniforms = SIZE_UNIFORMS;

  constructor(info: ConvTranspose3DInfo) {
    const [rows, cols] = weightGradGrid(info);
    this.outputShape = [2 * rows, 2 * cols];
    this.userCode = `
${constants(layerConstants(info))}
${VALID_RANGE}

void main() {
  ivec2 rc = getOutputCoords();
  int row = rc.x / 2, q = rc.y / 2;
  int k = imod(row, KVOL);
  int ci = row / KVOL;
  int kw = imod(k, KW);
  int kh = imod(k / KW, KH);
  int kd = k / (KW * KH);
  int g = ci / CIG;
  int cl = ci - g * CIG;
  int xq = cl / 4;
  int j = cl - 4 * xq;
  vec4 pick = vec4(j == 0, j == 1, j == 2, j == 3);
  int offD = kd * DD - PD, offH = kh * DH - PH, offW = kw * DW - PW;
  ivec2 rd = validRange(offD, SD, smallSize.x, bigSize.x);
  ivec2 rh = validRange(offH, SH, smallSize.y, bigSize.y);
  ivec2 rw = validRange(offW, SW, smallSize.z, bigSize.z);
  vec4 acc = vec4(0.0);
  for (int n = 0; n < batchSize; n++) {
    for (int id = rd.x; id < rd.y; id++) {
      for (int ih = rh.x; ih < rh.y; ih++) {
        int xRow = (n * smallSize.x + id) * smallSize.y + ih;
        int dyRow = (n * bigSize.x + id * SD + offD) * bigSize.y + ih * SH + offH;
        int xCol = (rw.x * G + g) * QI + xq;
        int dyCol = ((rw.x * SW + offW) * G + g) * QO + q;
        for (int iw = rw.x; iw < rw.y; iw++) {
          acc += dot(texelFetch(xp, ivec2(xCol, xRow), 0), pick) *
                 texelFetch(dyp, ivec2(dyCol, dyRow), 0);
          xCol += G * QI;
          dyCol += SW * G * QO;
        }
      }
    }
  }
  setOutput(acc);
}`;
  }
}

/** The packed weight gradient → the weight's flat [CIN, COG, k] layout (unpacked). */
export class UnpackWeightGradProgram implements GPGPUProgram {
  variableNames = ['dwp'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;

  constructor(info: ConvTranspose3DInfo) {
    this.outputShape = [info.weightShape.reduce((a, b) => a * b, 1)];
    const [kd, kh, kw] = info.kernelSize;
    this.userCode = `
${constants({COG: info.outChannelsPerGroup, KVOL: kd * kh * kw})}

void main() {
  int idx = getOutputCoords();
  int k = imod(idx, KVOL);
  int r = idx / KVOL;
  int col = imod(r, COG);
  int ci = r / COG;
  int q = col / 4;
  int j = col - 4 * q;
  vec4 v = texelFetch(dwp, ivec2(q, ci * KVOL + k), 0);
  setOutput(dot(v, vec4(j == 0, j == 1, j == 2, j == 3)));
}`;
  }
}
